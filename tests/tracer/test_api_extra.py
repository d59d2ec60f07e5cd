"""eval_shape, typeof, jacobian, linear_transpose, custom_gradient, closure_convert,
disable_jit, ensure_compile_time_eval, the device queries, make_jaxpr(return_shape=True)
and vjp's pytree pullback, against NumPy / analytic values (JAX 0.10's behaviour)."""
import numpy as np
import pytest

import irax
import irax.numpy as jnp
from irax import tree_util


def test_eval_shape_computes_nothing():
    calls = []

    def f(x, y, *, scale):
        calls.append(type(x).__name__)
        return {"prod": x @ y * scale, "sum": jnp.sum(x, axis=0), "n": x.shape[0]}
    x = irax.ShapeDtypeStruct((2, 3), np.float32)
    out = irax.eval_shape(f, x, np.ones((3, 4), np.float32), scale=2.0)
    assert out["prod"] == irax.ShapeDtypeStruct((2, 4), np.float32)
    assert out["sum"] == irax.ShapeDtypeStruct((3,), np.float32)
    assert out["n"].shape == () and out["n"].dtype.kind == "i"
    assert calls and calls[0] != "Array"   # traced, not evaluated
    with pytest.raises(TypeError, match="not a valid irax type"):
        irax.eval_shape(lambda s: s, "text")


def test_typeof_and_jacobian():
    assert irax.typeof(1.0) == irax._core.ShapedArray((), np.dtype(np.float32), True)
    assert irax.typeof(np.ones((2, 3), np.int32)).str_short() == "i32[2,3]"
    x = np.array([0.5, -1.0], np.float32)
    jac = irax.jacobian(lambda x: jnp.sin(x) * x[0])(x)
    want = np.diag(np.cos(x) * x[0])
    want[:, 0] += np.sin(x)
    np.testing.assert_allclose(np.asarray(jac), want, rtol=1e-6)


def test_linear_transpose_is_the_adjoint():
    a = np.array([[1.0, 2.0, 0.5], [-1.0, 0.0, 3.0]], np.float32)

    def f(x, y):
        return {"u": a @ x + 2.0 * jnp.sum(y), "v": -y}
    t = irax.linear_transpose(f, np.ones(3, np.float32), np.ones(4, np.float32))
    cu, cv = np.array([1.0, -2.0], np.float32), np.arange(4.0, dtype=np.float32)
    ct_x, ct_y = t({"u": cu, "v": cv})
    np.testing.assert_allclose(np.asarray(ct_x), a.T @ cu, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(ct_y), 2.0 * cu.sum() - cv, rtol=1e-6)
    # the result is a pytree: it can be passed to a jitted function
    ct_x2, _ = irax.jit(lambda t, c: t(c))(t, {"u": cu, "v": cv})
    np.testing.assert_allclose(np.asarray(ct_x2), a.T @ cu, rtol=1e-6)
    with pytest.raises(TypeError, match="cotangent tree does not match"):
        t(cu)
    with pytest.raises(TypeError, match="cotangent type does not match"):
        t({"u": np.ones(3, np.float32), "v": cv})
    with pytest.raises(TypeError, match="linear_transpose only supports"):
        irax.linear_transpose(lambda x: x.astype(np.int32), np.ones(2, np.float32))
    with pytest.raises(TypeError, match="not linear|Transpose rule"):
        irax.linear_transpose(jnp.sin, np.ones(2, np.float32))(np.ones(2, np.float32))


def test_custom_gradient():
    @irax.custom_gradient
    def f(x):
        return jnp.sin(x), lambda g: (g * 100.0 * x,)   # deliberately not cos(x)

    @irax.custom_gradient
    def two(x, y):
        return x * y, lambda g: (g * 2.0, g * 3.0)
    np.testing.assert_allclose(float(f(1.0)), np.sin(1.0), rtol=1e-6)
    np.testing.assert_allclose(float(irax.grad(f)(1.5)), 150.0, rtol=1e-6)
    xs = np.array([1.0, 2.0], np.float32)
    np.testing.assert_allclose(np.asarray(irax.vmap(irax.grad(f))(xs)), 100 * xs, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(irax.jit(irax.grad(f))(1.5)), 150.0, rtol=1e-6)
    gx, gy = irax.grad(two, argnums=(0, 1))(4.0, 5.0)
    assert (float(gx), float(gy)) == (2.0, 3.0)
    # chained with ordinary differentiation: d/dx f(x^2) = 100 x^2 * 2x
    np.testing.assert_allclose(float(irax.grad(lambda x: f(x * x))(0.5)), 25.0, rtol=1e-6)


def test_closure_convert_for_a_custom_vjp():
    """JAX's use: closure-convert a function that closes over traced values, then pass the
    hoisted values to a custom_vjp function explicitly (its rules cannot close over them)."""
    def call(fn, x, *consts):
        return fn(x, *consts)
    apply = irax.custom_vjp(call, nondiff_argnums=(0,))

    def fwd(fn, x, *consts):
        return fn(x, *consts), (x, consts)

    def bwd(fn, res, g):
        x, consts = res
        _, pullback = irax.vjp(fn, x, *consts)
        return tuple(2.0 * c for c in pullback(g))   # doubled: shows the rule ran
    apply.defvjp(fwd, bwd)
    n_hoisted = []

    def outer(a, x):
        conv, consts = irax.closure_convert(lambda v: jnp.sin(a * v), x)
        n_hoisted.append(len(consts))
        return apply(conv, x, *consts)
    np.testing.assert_allclose(float(outer(0.5, 2.0)), np.sin(1.0), rtol=1e-6)
    ga, gx = irax.grad(outer, argnums=(0, 1))(0.5, 2.0)
    np.testing.assert_allclose([float(ga), float(gx)],
                               [2 * 2.0 * np.cos(1.0), 2 * 0.5 * np.cos(1.0)], rtol=1e-6)
    assert n_hoisted == [0, 1]   # eager: nothing traced to hoist; under grad: `a`


def test_disable_jit_runs_python():
    seen = []

    @irax.jit
    def f(x):
        seen.append(isinstance(x, irax.Array) or np.ndim(x) == 0 and not hasattr(x, "_trace"))
        return x * 2
    with irax.disable_jit():
        assert float(f(3.0)) == 6.0
        assert float(irax.grad(f)(3.0)) == 2.0
    assert seen == [True, False]   # eager, then a JVP tracer (no staging)
    assert float(f(3.0)) == 6.0
    assert len(seen) == 3 and seen[-1] is False   # traced by jit again


def test_ensure_compile_time_eval_under_jit():
    @irax.jit
    def f(x):
        with irax.ensure_compile_time_eval():
            y = jnp.sin(3.0)
            positive = y > 0          # concrete: usable in Python control flow
            w = x * 2.0               # depends on x: still staged
            k = int(jnp.sum(jnp.arange(4)))
        if positive:
            return jnp.sin(x) + w + k
        return jnp.cos(x)
    np.testing.assert_allclose(float(f(1.0)), np.sin(1.0) + 2.0 + 6, rtol=1e-6)
    with irax.ensure_compile_time_eval():   # outside any trace: a no-op
        assert float(jnp.sin(0.0)) == 0.0


def test_devices():
    assert irax.default_backend() == "cpu"
    (d,) = irax.devices()
    assert d.platform == "cpu" and d.id == 0
    assert irax.device_count() == 1 and irax.local_devices() == [d]
    out = irax.device_put({"a": np.ones(2, np.float64), "b": 1.0}, d)
    assert isinstance(out["a"], irax.Array) and out["a"].dtype == np.float32
    assert isinstance(out["b"], irax.Array) and out["b"].weak_type


def test_make_jaxpr_return_shape():
    closed, shapes = irax.make_jaxpr(lambda x: (jnp.sin(x), jnp.sum(x)),
                                     return_shape=True)(np.ones(3, np.float32))
    assert [e.primitive.name for e in closed.jaxpr.eqns][0] == "sin"
    assert shapes == (irax.ShapeDtypeStruct((3,), np.float32),
                      irax.ShapeDtypeStruct((), np.float32))


def test_vjp_pullback_is_a_pytree():
    x = np.array([1.0, 2.0], np.float32)
    out, pullback = irax.vjp(lambda x: jnp.sin(x) * x, x)
    leaves = tree_util.tree_leaves(pullback)
    assert leaves and all(isinstance(v, irax.Array) for v in leaves)
    want = np.cos(x) * x + np.sin(x)
    (ct,) = pullback(np.ones(2, np.float32))
    np.testing.assert_allclose(np.asarray(ct), want, rtol=1e-6)
    (ct,) = irax.jit(lambda pb, c: pb(c))(pullback, np.ones(2, np.float32))
    np.testing.assert_allclose(np.asarray(ct), want, rtol=1e-6)
    # rebuilt from its leaves (what a transformation does), it is the same function
    rebuilt = tree_util.tree_unflatten(tree_util.tree_structure(pullback), leaves)
    np.testing.assert_allclose(np.asarray(rebuilt(np.ones(2, np.float32))[0]), want, rtol=1e-6)
    # a pullback returned by a jitted function
    out2, pb2 = irax.jit(lambda x: irax.vjp(jnp.sin, x))(x)
    np.testing.assert_allclose(np.asarray(pb2(np.ones(2, np.float32))[0]), np.cos(x),
                               rtol=1e-6)
    with pytest.raises(ValueError, match="structure"):   # JAX: ValueError
        pullback((np.ones(2, np.float32),))


def test_tracer_reprs_read_as_jax_0_10_prints_them():
    import irax.numpy as jnp
    seen = []

    def show(x):
        seen.append(repr(x))
        return x
    irax.jit(show)(1.0)
    irax.jit(show)(jnp.ones((2, 3)))
    irax.vmap(show)(jnp.ones((2, 3)))
    irax.grad(lambda x: show(x) * 1.0)(1.0)
    irax.jvp(show, (1.0,), (1.0,))
    irax.make_jaxpr(show)(1)
    irax.vmap(irax.grad(lambda x: show(x) * 1.0))(jnp.ones(2))
    assert seen == [   # what JAX 0.10.2 prints for the same program
        "JitTracer(~float32[])", "JitTracer(float32[2,3])",
        "VmapTracer(aval=float32[3], batched=float32[2,3])",
        "GradTracer(primal=1.0, typeof(tangent)=f32[])", "JVPTracer(primal=1.0, tangent=1.0)",
        "JitTracer(~int32[])",
        "GradTracer(primal=VmapTracer(aval=float32[], batched=float32[2]), typeof(tangent)=f32[])"]
