"""custom_jvp / custom_vjp: one test per behaviour the custom-rules issue asks for.

References are analytic derivatives or central finite differences, never irax itself."""
from __future__ import annotations

from collections import namedtuple
from functools import partial

import numpy as np
import pytest

import irax
import irax.numpy as jnp
from irax import custom_jvp, custom_vjp, grad, jacfwd, jacrev, hessian, jvp, vjp, vmap


def fd(f, x, eps=1e-3):
    return (f(x + eps) - f(x - eps)) / (2 * eps)


# ---------------------------------------------------------------------------
# custom_jvp


def make_sin_times():
    @custom_jvp
    def f(x, y):
        return jnp.sin(x) * y

    @f.defjvp
    def f_jvp(primals, tangents):
        x, y = primals
        x_dot, y_dot = tangents
        return f(x, y), jnp.cos(x) * x_dot * y + jnp.sin(x) * y_dot
    return f, f_jvp


def test_defjvp_returns_rule_and_decorator_forms():
    f, rule = make_sin_times()
    assert callable(rule) and rule.__name__ == "f_jvp"
    g = custom_jvp(lambda x: x * 2.0)
    g.defjvp(lambda p, t: (g(p[0]), 3.0 * t[0]))
    assert float(grad(g)(1.0)) == 3.0
    h = partial(custom_jvp, nondiff_argnums=(0,))(lambda n, x: x ** n)
    h.defjvp(lambda n, p, t: (h(n, p[0]), 10.0 * t[0]))
    assert float(grad(h, argnums=1)(3, 2.0)) == 10.0


def test_custom_jvp_values_forward_and_reverse():
    f, _ = make_sin_times()
    y, y_dot = jvp(f, (2., 3.), (1., 0.))
    np.testing.assert_allclose(float(y), np.sin(2.) * 3, rtol=1e-6)
    np.testing.assert_allclose(float(y_dot), np.cos(2.) * 3, rtol=1e-6)
    np.testing.assert_allclose(float(grad(f)(2., 3.)), np.cos(2.) * 3, rtol=1e-6)
    gx, gy = grad(f, argnums=(0, 1))(2., 3.)
    np.testing.assert_allclose([float(gx), float(gy)], [np.cos(2.) * 3, np.sin(2.)], rtol=1e-6)


def test_defjvps_with_none_and_sum():
    @custom_jvp
    def f(x, y):
        return x * y

    f.defjvps(lambda x_dot, out, x, y: 10.0 * x_dot, None)
    _, t = jvp(f, (2., 3.), (1., 1.))
    assert float(t) == 10.0        # y's tangent contributes nothing (None)
    f.defjvps(lambda x_dot, out, x, y: 10.0 * x_dot, lambda y_dot, out, x, y: 100.0 * y_dot)
    _, t = jvp(f, (2., 3.), (1., 1.))
    assert float(t) == 110.0


def test_outside_differentiation_just_calls_python(capsys):
    @custom_jvp
    def f(x, y):
        print("called f!")
        return x * y

    f.defjvp(lambda p, t: (f(*p), t[0] * p[1]))
    out = f(2., 3.)
    assert out == 6.0 and type(out) is float          # Python scalars stay Python scalars
    assert capsys.readouterr().out == "called f!\n"


def test_rule_runs_only_when_differentiated(capsys):
    @custom_jvp
    def f(x):
        print("called f!")
        return jnp.sin(x)

    @f.defjvp
    def f_jvp(primals, tangents):
        print("called f_jvp!")
        x, = primals
        return f(x), jnp.cos(x) * tangents[0]

    f(3.)
    assert capsys.readouterr().out == "called f!\n"
    vmap(f)(jnp.arange(3.))
    assert capsys.readouterr().out == "called f!\n"
    grad(f)(3.)
    assert capsys.readouterr().out == "called f_jvp!\ncalled f!\n"
    # each level of differentiation uses the rule, because the rule calls f
    out = grad(grad(f))(3.)
    assert capsys.readouterr().out == "called f_jvp!\ncalled f_jvp!\ncalled f!\n"
    np.testing.assert_allclose(float(out), -np.sin(3.), rtol=1e-5)


def test_higher_order_uses_rule_only_where_rule_calls_f():
    @custom_jvp
    def f(x):
        return jnp.sin(x)

    @f.defjvp
    def f_jvp(primals, tangents):
        x, = primals
        return f(x), 2.0 * jnp.cos(x) * tangents[0]   # deliberately not the true derivative
    # second derivative: outer level differentiates the rule's tangent code (2 cos x)
    np.testing.assert_allclose(float(grad(grad(f))(1.)), -2 * np.sin(1.), rtol=1e-5)


def test_reverse_mode_is_the_transposed_rule():
    @custom_jvp
    def log1pexp(x):
        return jnp.log(1. + jnp.exp(x))

    @log1pexp.defjvp
    def log1pexp_jvp(primals, tangents):
        x, = primals
        return log1pexp(x), (1 - 1 / (1 + jnp.exp(x))) * tangents[0]

    assert float(grad(log1pexp)(100.)) == 1.0
    xs = jnp.array([-2.0, 0.0, 3.0])
    expected = 1 / (1 + np.exp(-np.array([-2.0, 0.0, 3.0])))
    np.testing.assert_allclose(np.asarray(vmap(grad(log1pexp))(xs)), expected, rtol=1e-6)


def test_nonlinear_rule_errors_in_reverse_mode_naming_the_rule():
    @custom_jvp
    def f(x):
        return x ** 3

    @f.defjvp
    def cubic_rule(primals, tangents):
        x, = primals
        t, = tangents
        return f(x), t * t           # not linear in t

    _, t = jvp(f, (2.,), (3.,))     # forward mode still works
    assert float(t) == 9.0
    with pytest.raises(TypeError, match="cubic_rule"):
        grad(f)(2.)


def test_nondiff_argnums_first_and_kwargs_resolved():
    @partial(custom_jvp, nondiff_argnums=(0, 2))
    def app2(f, x, g, scale=1.0):
        return f(g(x)) * scale

    @app2.defjvp
    def app2_jvp(f, g, primals, tangents):
        x, scale = primals
        x_dot, scale_dot = tangents
        return app2(f, x, g, scale), 7.0 * x_dot * scale

    sq = lambda v: v * v
    ident = lambda v: v
    assert float(app2(sq, 3., ident)) == 9.0
    assert float(grad(app2, argnums=1)(sq, 3., ident)) == 7.0
    # keyword argument and default resolved to positions
    assert float(grad(lambda x: app2(sq, x, ident, scale=2.0))(3.)) == 14.0

    @custom_jvp
    def kwonly(x, *, k):
        return x * k
    kwonly.defjvp(lambda p, t: (kwonly(*p), t[0]))
    with pytest.raises(TypeError, match="(?s)custom_jvp-decorated function kwonly.*could not be resolved to positions: k"):
        grad(lambda x: kwonly(x, k=2.0))(1.0)


def test_python_control_flow_on_concrete_values():
    @custom_jvp
    def f(x):
        if x > 0:
            return 2 * x
        return 3 * x

    @f.defjvp
    def f_jvp(primals, tangents):
        x, = primals
        t, = tangents
        if x > 0:
            return f(x), 2 * t
        return f(x), 3 * t

    assert float(grad(f)(1.)) == 2.0
    assert float(grad(f)(-1.)) == 3.0


def test_vmap_rule_sees_per_example_shapes():
    seen = []

    @custom_jvp
    def f(x):
        return jnp.sum(x ** 2)

    @f.defjvp
    def f_jvp(primals, tangents):
        x, = primals
        seen.append(x.shape)
        return f(x), jnp.sum(2 * x * tangents[0])

    xs = jnp.arange(6.).reshape(2, 3)
    g = vmap(grad(f))(xs)
    np.testing.assert_allclose(np.asarray(g), 2 * np.arange(6.).reshape(2, 3))
    assert seen and all(s == (3,) for s in seen)
    seen.clear()
    h = grad(lambda v: jnp.sum(vmap(f)(v)))(xs)
    np.testing.assert_allclose(np.asarray(h), 2 * np.arange(6.).reshape(2, 3))
    assert seen and all(s == (3,) for s in seen)


def test_make_jaxpr_shows_custom_jvp_call_with_primal_body():
    f, _ = make_sin_times()
    text = str(irax.make_jaxpr(f)(2., 3.))
    assert "custom_jvp_call" in text and "sin" in text and "cos" not in text


def test_custom_jvp_errors():
    @custom_jvp
    def no_rule(x):
        return x
    with pytest.raises(AttributeError, match="No JVP defined"):
        grad(no_rule)(1.)

    @custom_jvp
    def not_pair(x):
        return x
    not_pair.defjvp(lambda p, t: not_pair(p[0]))
    with pytest.raises(TypeError, match="must produce a pair"):
        jvp(not_pair, (1.,), (1.,))

    @custom_jvp
    def bad_tree(x):
        return x
    bad_tree.defjvp(lambda p, t: (bad_tree(p[0]), (t[0], t[0])))
    with pytest.raises(TypeError, match="equal container"):
        jvp(bad_tree, (1.,), (1.,))

    @custom_jvp
    def bad_shape(x):
        return x
    bad_shape.defjvp(lambda p, t: (bad_shape(p[0]), jnp.ones(3)))
    with pytest.raises(TypeError, match=r"shapes and dtypes\. Expected float32\[\].*but got float32\[3\]"):
        jvp(bad_shape, (jnp.float32(1.),), (jnp.float32(1.),))


# ---------------------------------------------------------------------------
# custom_vjp


def make_vjp_f():
    @custom_vjp
    def f(x, y):
        return jnp.sin(x) * y

    def f_fwd(x, y):
        return f(x, y), (jnp.cos(x), jnp.sin(x), y)

    def f_bwd(res, g):
        cos_x, sin_x, y = res
        return (cos_x * g * y, sin_x * g)

    f.defvjp(f_fwd, f_bwd)
    return f


def test_custom_vjp_grad_and_vjp_values():
    f = make_vjp_f()
    np.testing.assert_allclose(float(grad(f)(2., 3.)), np.cos(2.) * 3, rtol=1e-6)
    out, f_vjp = vjp(f, 2., 3.)
    gx, gy = f_vjp(jnp.float32(2.0))
    np.testing.assert_allclose([float(gx), float(gy)], [2 * np.cos(2.) * 3, 2 * np.sin(2.)],
                               rtol=1e-6)


def test_custom_vjp_forward_mode_raises():
    f = make_vjp_f()
    msg = "can't apply forward-mode autodiff \\(jvp\\) to a custom_vjp function."
    with pytest.raises(TypeError, match=msg):
        jvp(f, (2., 3.), (1., 0.))
    with pytest.raises(TypeError, match=msg):
        jacfwd(f)(2., 3.)
    with pytest.raises(TypeError, match=msg):
        hessian(f)(2., 3.)


def test_custom_vjp_with_jvp_rule_supports_forward_mode():
    @custom_vjp
    def f(x):
        return jnp.sin(x)

    f.defvjp(lambda x: (jnp.sin(x), jnp.cos(x)), lambda c, g: (100.0 * c * g,))

    @f.defjvp
    def f_jvp(primals, tangents):
        x, = primals
        return jnp.sin(x), jnp.cos(x) * tangents[0]

    # reverse mode uses bwd (scaled by 100 to tell them apart), forward mode the jvp rule
    np.testing.assert_allclose(float(grad(f)(1.)), 100 * np.cos(1.), rtol=1e-6)
    _, t = jvp(f, (1.,), (1.,))
    np.testing.assert_allclose(float(t), np.cos(1.), rtol=1e-6)
    np.testing.assert_allclose(float(jacfwd(f)(1.)), np.cos(1.), rtol=1e-6)
    # hessian = jacfwd(jacrev): outer forward level differentiates the bwd computation
    np.testing.assert_allclose(float(hessian(f)(1.)), -100 * np.sin(1.), rtol=1e-5)


def test_bwd_none_means_zero_and_list_allowed():
    @custom_vjp
    def clip_gradient(lo, hi, x):
        return x

    clip_gradient.defvjp(lambda lo, hi, x: (x, (lo, hi)),
                         lambda res, g: [None, None, jnp.clip(g, res[0], res[1])])
    f = lambda x: 5.0 * clip_gradient(-0.75, 0.75, x)
    assert float(grad(f)(1.)) == 0.75
    g = grad(lambda lo, x: clip_gradient(lo, 1.0, x), argnums=(0, 1))(-1.0, 2.0)
    assert float(g[0]) == 0.0 and float(g[1]) == 1.0


def test_bwd_validation_errors():
    @custom_vjp
    def f(x, y):
        return x * y

    f.defvjp(lambda x, y: (x * y, (x, y)), lambda res, g: (g,))
    with pytest.raises(TypeError, match=r"bwd output structure PyTreeDef\(\(\*,\)\) for primal input structure PyTreeDef\(\(\*, \*\)\)"):
        grad(f)(1., 2.)

    f.defvjp(lambda x, y: (x * y, (x, y)), lambda res, g: g)
    with pytest.raises(TypeError, match=r"must produce a tuple of length equal.*PyTreeDef\(\*\) for"):
        grad(f)(1., 2.)

    f.defvjp(lambda x, y: (x * y, (x, y)), lambda res, g: (jnp.ones(3), g))
    with pytest.raises(ValueError, match=r"at output\[0\] the bwd rule produced an output of type float32\[3\] corresponding to an input of type float32\[\]"):
        grad(f)(1., 2.)

    @custom_vjp
    def h(p):
        return p["a"] * p["b"]
    h.defvjp(lambda p: (h(p), p), lambda p, g: ((g, g),))
    with pytest.raises(TypeError, match="structure of the argument"):
        grad(h)({"a": 1., "b": 2.})
    h.defvjp(lambda p: (h(p), p), lambda p, g: ({"a": g * p["b"], "b": None},))
    gr = grad(h)({"a": 1., "b": 2.})
    assert float(gr["a"]) == 2.0 and float(gr["b"]) == 0.0


def test_tracer_in_nondiff_position_is_a_clear_error():
    @partial(custom_vjp, nondiff_argnums=(0,))
    def f(scale, x):
        return scale * x
    f.defvjp(lambda scale, x: (scale * x, None), lambda scale, res, g: (scale * g,))
    assert float(grad(f, argnums=1)(3., 1.)) == 3.0
    with pytest.raises(TypeError, match="nondiff_argnums.*regular"):
        grad(lambda s: f(s, 1.0))(3.)


def test_closure_over_vmap_tracer_in_fwd_and_bwd():
    def outer(c):
        @custom_vjp
        def f(x):
            return c * x
        f.defvjp(lambda x: (c * x, None), lambda _, g: (c * g,))
        return grad(f)(2.0)
    cs = jnp.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(np.asarray(vmap(outer)(cs)), [1.0, 2.0, 3.0])


def test_vmap_sums_cotangents_of_unbatched_inputs():
    f = make_vjp_f()
    xs = jnp.array([0.5, 1.0, 2.0])
    y = 3.0
    # d/dy sum_i sin(x_i) y = sum_i sin(x_i)
    gy = grad(lambda y_: jnp.sum(vmap(f, in_axes=(0, None))(xs, y_)))(y)
    np.testing.assert_allclose(float(gy), np.sum(np.sin([0.5, 1.0, 2.0])), rtol=1e-6)
    gx = vmap(grad(f), in_axes=(0, None))(xs, y)
    np.testing.assert_allclose(np.asarray(gx), 3 * np.cos([0.5, 1.0, 2.0]), rtol=1e-6)


def test_grad_of_grad_through_fwd_and_bwd():
    @custom_vjp
    def f(x):
        return jnp.sin(x)

    f.defvjp(lambda x: (jnp.sin(x), jnp.cos(x)), lambda c, g: (c * g,))
    np.testing.assert_allclose(float(grad(grad(f))(1.)), -np.sin(1.), rtol=1e-5)


def test_eager_bwd_sees_concrete_arrays():
    seen = []

    @custom_vjp
    def f(x):
        return x

    def bwd(x, g):
        seen.append((type(x).__name__, float(x), float(g)))
        return (g,)
    f.defvjp(lambda x: (x, x), bwd)
    grad(lambda x: jnp.sin(f(x ** 2)))(3.)
    assert seen == [("Array", 9.0, pytest.approx(np.cos(9.), rel=1e-6))]


def test_pytree_inputs_and_outputs():
    Point = namedtuple("Point", ["x", "y"])

    @custom_vjp
    def f(pt):
        x, y = pt.x, pt.y
        return {"a": x ** 2, "b": (jnp.sin(x), jnp.cos(y))}

    def f_fwd(pt):
        return f(pt), pt

    def f_bwd(pt, g):
        a_bar, (b0_bar, b1_bar) = g["a"], g["b"]
        return (Point(2 * pt.x * a_bar + jnp.cos(pt.x) * b0_bar, -jnp.sin(pt.y) * b1_bar),)
    f.defvjp(f_fwd, f_bwd)

    def fun(pt):
        out = f(pt)
        return out["a"] + out["b"][0] + out["b"][1]
    g = grad(fun)(Point(1., 2.))
    assert isinstance(g, Point)
    np.testing.assert_allclose([float(g.x), float(g.y)],
                               [2 + np.cos(1.), -np.sin(2.)], rtol=1e-6)


# ---------------------------------------------------------------------------
# Under jit (real lowering + IREE)


def make_log1pexp():
    @custom_jvp
    def log1pexp(x):
        return jnp.log(1. + jnp.exp(x))

    @log1pexp.defjvp
    def log1pexp_jvp(primals, tangents):
        x, = primals
        return log1pexp(x), (1 - 1 / (1 + jnp.exp(x))) * tangents[0]
    return log1pexp


def test_log1pexp_grad_is_one_eager_jit_and_vmap_jit():
    f = make_log1pexp()
    assert float(grad(f)(100.)) == 1.0
    assert float(irax.jit(grad(f))(100.)) == 1.0
    out = vmap(irax.jit(grad(f)))(jnp.array([100., 200., 0.]))
    np.testing.assert_allclose(np.asarray(out), [1.0, 1.0, 0.5], rtol=1e-6)
    assert float(grad(irax.jit(f))(100.)) == 1.0


def test_jit_lowering_emits_only_the_primal():
    f, _ = make_sin_times()
    text = irax.jit(f).lower(2., 3.).as_text()
    assert "sine" in text and "cosine" not in text
    np.testing.assert_allclose(float(irax.jit(f)(2., 3.)), np.sin(2.) * 3, rtol=1e-6)
    np.testing.assert_allclose(float(irax.jit(grad(f))(2., 3.)), np.cos(2.) * 3, rtol=1e-6)
    np.testing.assert_allclose(float(grad(irax.jit(f))(2., 3.)), np.cos(2.) * 3, rtol=1e-6)


def test_python_control_flow_under_jit_is_a_concretization_error():
    @custom_jvp
    def f(x):
        if x > 0:
            return 2 * x
        return 3 * x
    f.defjvp(lambda p, t: (f(*p), t[0]))
    with pytest.raises(irax.ConcretizationTypeError, match="static_argnums"):
        irax.jit(f)(1.)


def test_custom_vjp_under_jit_and_grad_of_jit():
    f = make_vjp_f()
    np.testing.assert_allclose(float(irax.jit(f)(2., 3.)), np.sin(2.) * 3, rtol=1e-6)
    np.testing.assert_allclose(float(irax.jit(grad(f))(2., 3.)), np.cos(2.) * 3, rtol=1e-6)
    np.testing.assert_allclose(float(grad(irax.jit(f))(2., 3.)), np.cos(2.) * 3, rtol=1e-6)
    xs = jnp.array([0.5, 1.0])
    np.testing.assert_allclose(np.asarray(irax.jit(vmap(grad(f), in_axes=(0, None)))(xs, 3.)),
                               3 * np.cos([0.5, 1.0]), rtol=1e-6)
    with pytest.raises(TypeError, match="forward-mode"):
        irax.jit(lambda x: jvp(f, (x, 3.), (1., 0.)))(2.)


def test_grad_of_jit_uses_bwd_even_when_a_jvp_rule_exists():
    @custom_vjp
    def f(x):
        return jnp.sin(x)

    f.defvjp(lambda x: (jnp.sin(x), jnp.cos(x)), lambda c, g: (100.0 * c * g,))
    f.defjvp(lambda p, t: (jnp.sin(p[0]), jnp.cos(p[0]) * t[0]))
    np.testing.assert_allclose(float(grad(irax.jit(f))(1.)), 100 * np.cos(1.), rtol=1e-6)
    _, t = jvp(irax.jit(f), (1.,), (1.,))
    np.testing.assert_allclose(float(t), np.cos(1.), rtol=1e-6)


def test_rules_closing_over_an_enclosing_vmaps_values():
    """JAX's custom_api_test closure cases (issues 3822, 8783): a custom_jvp/custom_vjp
    function and its rules close over a value batched by an enclosing vmap while its own
    arguments are not batched. Expected values are analytic (JAX gives the same)."""
    def outer(y):
        @irax.custom_jvp
        def g(x):
            return x * y
        g.defjvp(lambda p, t: (g(p[0]), t[0] * y))
        return g(2.0)
    ys = jnp.arange(3.0)
    np.testing.assert_allclose(irax.vmap(outer)(ys), [0.0, 2.0, 4.0])
    np.testing.assert_allclose(irax.vmap(irax.jit(outer))(ys), [0.0, 2.0, 4.0])
    grads = irax.vmap(irax.grad(lambda z, y: outer(y) * z))(jnp.ones(3), ys)
    np.testing.assert_allclose(grads, [0.0, 2.0, 4.0])

    def h(z):   # the rule closes over the vmap's x; z is a jvp tracer, not batched
        def f(x):
            @irax.custom_jvp
            def g(y):
                return x * y

            @g.defjvp
            def g_jvp(primals, tangents):
                return x * primals[0], x * tangents[0]
            return g(z)
        return irax.vmap(f)(jnp.arange(3.0))
    p, t = irax.jvp(h, (jnp.float32(1.0),), (jnp.float32(2.0),))
    np.testing.assert_allclose(p, [0.0, 1.0, 2.0])
    np.testing.assert_allclose(t, [0.0, 2.0, 4.0])

    def vj(y):
        @irax.custom_vjp
        def g(x):
            return x * y
        g.defvjp(lambda x: (x * y, None), lambda r, ct: (ct * y,))
        return irax.grad(g)(2.0) + g(1.0)
    np.testing.assert_allclose(irax.vmap(vj)(ys), [0.0, 2.0, 4.0])

    def sample(key):   # issue 3822: the function closes over a batched PRNG key
        @irax.custom_jvp
        def f(alpha):
            return irax.random.gamma(key, alpha, shape=[])

        @f.defjvp
        def f_jvp(primal, tangent):
            s = f(primal[0])
            return s, irax.lax.random_gamma_grad(primal[0], s) * tangent[0]
        return f(2.0)
    keys = irax.random.split(irax.random.key(1), 3)
    np.testing.assert_allclose(irax.vmap(sample)(keys), [sample(k) for k in keys], rtol=1e-6)


def test_lax_iota_takes_a_size_as_jax():
    np.testing.assert_array_equal(irax.lax.iota(jnp.int32, 4), np.arange(4, dtype=np.int32))
    assert irax.lax.iota(jnp.float32, 3).dtype == np.float32


def test_vmap_sees_batched_values_reached_only_through_nondiff_args_and_nested_calls():
    # a batched PRNG key passed as a nondiff argument: the call is batched (one draw per key)
    sample = irax.custom_jvp(
        lambda shape, param, seed: irax.random.uniform(seed, shape, minval=param),
        nondiff_argnums=(0, 2))
    sample.defjvp(lambda shape, seed, p, t: (sample(shape, p[0], seed),
                                             sample(shape, p[0], seed) * t[0]))
    keys = irax.random.split(irax.random.key(1), 4)
    got = irax.vmap(lambda k: sample((2,), 1.0, k))(keys)
    want = np.stack([np.asarray(irax.random.uniform(keys[i], (2,), minval=1.0))
                     for i in range(4)])
    np.testing.assert_array_equal(np.asarray(got), want)

    # a custom_jvp whose function jits a closure over the outer vmap's value and the rule's
    # own batched argument (JAX's test_fun_with_nested_calls_2): f(x) = 4x + x sin(x)
    def call(f, *args):
        f = irax.custom_jvp(f)
        f.defjvp(lambda primals, tangents: (f(*primals), sum(tangents)))
        return f(*args)

    def fun(x):
        def bar(y):
            def baz(w):
                q = call(lambda _: y, x) + call(lambda: y) + call(lambda v: w + v, y)
                return call(lambda _: call(jnp.sin, x) * y, 1.0) + q
            return irax.jit(baz)(x)
        return call(bar, x)
    xs = np.arange(3.0, dtype=np.float32)
    np.testing.assert_allclose(np.asarray(irax.vmap(fun)(xs)), 4 * xs + xs * np.sin(xs),
                               rtol=1e-6)
