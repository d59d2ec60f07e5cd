"""symbolic_zeros=True for custom_jvp.defjvp / custom_vjp.defvjp, and nondiff_argnames.

Each program is written once, as make(api) with api = irax or jax, and run by both: what the
rules see (SymbolicZero or an array; CustomVJPPrimal.perturbed) must match JAX's, and the
values match analytic derivatives (and JAX's)."""
from __future__ import annotations

from functools import partial

import numpy as np
import pytest

import irax
import irax.numpy as jnp

jax = pytest.importorskip("jax")


def _kind(t, api) -> str:
    return "Z" if type(t) is api.custom_derivatives.SymbolicZero else "A"


def _sin_times(api):
    """custom_jvp f(x, y) = sin(x) * y whose symbolic-zeros rule logs what it sees."""
    np_ = api.numpy
    SymbolicZero = api.custom_derivatives.SymbolicZero
    log = []

    @api.custom_jvp
    def f(x, y):
        return np_.sin(x) * y

    def f_jvp(primals, tangents):
        x, y = primals
        tx, ty = tangents
        log.append(_kind(tx, api) + _kind(ty, api))
        t = np_.zeros_like(x * y)
        if type(tx) is not SymbolicZero:
            t = t + np_.cos(x) * tx * y
        if type(ty) is not SymbolicZero:
            t = t + np_.sin(x) * ty
        return f(x, y), t
    f.defjvp(f_jvp, symbolic_zeros=True)
    return f, log


def _jvp_programs(api):
    f, log = _sin_times(api)
    xs, ys = api.numpy.arange(3.0), api.numpy.ones(3) * 2.0
    progs = {
        "grad_x": lambda: api.grad(f)(1.0, 2.0),
        "grad_y": lambda: api.grad(f, 1)(1.0, 2.0),
        "jvp_both": lambda: api.jvp(f, (1.0, 2.0), (1.0, 0.0))[1],
        "jvp_const_y": lambda: api.jvp(lambda x: f(x, 2.0), (1.0,), (1.0,))[1],
        "vmap_grad": lambda: api.vmap(api.grad(f))(xs, ys),
        "grad_vmap": lambda: api.grad(lambda x, y: api.vmap(f)(x, y).sum())(xs, ys),
        "jit_grad": lambda: api.jit(api.grad(f))(1.0, 2.0),
        "grad_jit": lambda: api.grad(api.jit(f))(1.0, 2.0),
        "jacfwd": lambda: api.jacfwd(f)(1.0, 2.0),
        "hessian": lambda: api.hessian(f)(1.0, 2.0),
    }
    return progs, log


def _expected_jvp_values():
    c, s = np.cos(1.0), np.sin(1.0)
    x = np.arange(3.0)
    return {"grad_x": 2 * c, "grad_y": s, "jvp_both": 2 * c, "jvp_const_y": 2 * c,
            "vmap_grad": 2 * np.cos(x), "grad_vmap": 2 * np.cos(x), "jit_grad": 2 * c,
            "grad_jit": 2 * c, "jacfwd": 2 * c, "hessian": -2 * s}


def test_custom_jvp_rule_sees_symbolic_zeros_as_jax_does():
    ours, our_log = _jvp_programs(irax)
    theirs, their_log = _jvp_programs(jax)
    want = _expected_jvp_values()
    for name in ours:
        our_log.clear()
        their_log.clear()
        got, ref = ours[name](), theirs[name]()
        np.testing.assert_allclose(np.asarray(got), want[name], rtol=2e-6, atol=1e-6,
                                   err_msg=name)
        np.testing.assert_allclose(np.asarray(got), np.asarray(ref), rtol=2e-6, atol=1e-6)
        # e.g. grad_x: ["AZ"] -- y is not differentiated, so its tangent is a SymbolicZero
        assert our_log == their_log, (name, our_log, their_log)
    assert their_log  # the last program (hessian) ran the rule


def _pair_rule_returning_zero(api):
    SymbolicZero = api.custom_derivatives.SymbolicZero
    seen = []

    @api.custom_jvp
    def g(x, y):
        return x * 2.0, y * 3.0

    def g_jvp(p, t):
        tx, ty = t
        seen.append((_kind(ty, api), getattr(ty, "shape", None), str(getattr(ty, "dtype", ""))))
        out_ty = ty if type(ty) is SymbolicZero else ty * 3.0    # a SymbolicZero returned
        out_tx = tx if type(tx) is SymbolicZero else tx * 2.0
        return g(*p), (out_tx, out_ty)
    g.defjvp(g_jvp, symbolic_zeros=True)
    return g, seen


def test_rule_may_return_symbolic_zeros():
    g, seen = _pair_rule_returning_zero(irax)
    gj, seen_j = _pair_rule_returning_zero(jax)
    x = np.array([1.0, -2.0], np.float32)
    (p0, p1), (t0, t1) = irax.jvp(lambda a: g(a, jnp.ones(2)), (x,), (np.ones(2, np.float32),))
    np.testing.assert_array_equal(np.asarray(t0), [2.0, 2.0])
    np.testing.assert_array_equal(np.asarray(t1), [0.0, 0.0])   # the returned SymbolicZero
    assert np.asarray(t1).shape == (2,) and np.asarray(t1).dtype == np.float32
    jx = jax.jvp(lambda a: gj(a, jax.numpy.ones(2)), (x,), (np.ones(2, np.float32),))
    np.testing.assert_array_equal(np.asarray(t1), np.asarray(jx[1][1]))
    gr = irax.grad(lambda a, b: g(a, b)[0].sum())(x, x)
    np.testing.assert_array_equal(np.asarray(gr), [2.0, 2.0])
    jax.grad(lambda a, b: gj(a, b)[0].sum())(x, x)
    assert seen == seen_j == [("Z", (2,), "float32")] * 2


def test_integer_input_tangent_is_a_float0_symbolic_zero():
    def make(api):
        seen = []

        @api.custom_jvp
        def h(x, n):
            return x * n

        def h_jvp(p, t):
            seen.append((_kind(t[1], api), t[1].shape, str(t[1].dtype)))
            return h(*p), t[0] * p[1]
        h.defjvp(h_jvp, symbolic_zeros=True)
        return h, seen
    h, seen = make(irax)
    hj, seen_j = make(jax)
    assert float(irax.grad(h)(1.5, 3)) == float(jax.grad(hj)(1.5, 3)) == 3.0
    assert seen == seen_j == [("Z", (), str(irax.dtypes.float0))]


def test_without_symbolic_zeros_rules_get_arrays():
    seen = []

    @irax.custom_jvp
    def f(x, y):
        return x * y

    @f.defjvp
    def f_jvp(p, t):
        seen.append([float(ti) for ti in t])   # eager: the tangents are concrete
        return f(*p), t[0] * p[1] + p[0] * t[1]
    assert float(irax.jvp(lambda x: f(x, 2.0), (3.0,), (1.0,))[1]) == 2.0
    assert seen == [[1.0, 0.0]]   # the zero tangent of the constant 2.0, as an array


# ---------------------------------------------------------------------------
# custom_vjp


def _vjp_pair(api):
    """custom_vjp k(x, y) = (sin(x) * y, x * y) with symbolic-zeros fwd/bwd that log."""
    np_ = api.numpy
    SymbolicZero = api.custom_derivatives.SymbolicZero
    CustomVJPPrimal = api.custom_derivatives.CustomVJPPrimal
    log = []

    @api.custom_vjp
    def k(x, y):
        return np_.sin(x) * y, x * y

    def k_fwd(x, y):
        assert type(x) is CustomVJPPrimal and type(y) is CustomVJPPrimal
        log.append(("fwd", x.perturbed, y.perturbed))
        x, y = x.value, y.value
        return k(x, y), (x, y)

    def k_bwd(res, cts):
        x, y = res
        ca, cb = cts
        log.append(("bwd", _kind(ca, api), _kind(cb, api)))
        gx = gy = np_.zeros_like(x)
        if type(ca) is not SymbolicZero:
            gx, gy = gx + np_.cos(x) * y * ca, gy + np_.sin(x) * ca
        if type(cb) is not SymbolicZero:
            gx, gy = gx + y * cb, gy + x * cb
        return gx, gy
    k.defvjp(k_fwd, k_bwd, symbolic_zeros=True)
    return k, log


def _vjp_programs(api):
    k, log = _vjp_pair(api)
    xs, ys = api.numpy.arange(3.0), api.numpy.ones(3) * 2.0
    first = lambda x, y: k(x, y)[0]   # noqa: E731
    return {
        "first": lambda: api.grad(first)(1.0, 2.0),
        "second_wrt_y": lambda: api.grad(lambda x, y: k(x, y)[1], 1)(1.0, 2.0),
        "sum_both": lambda: api.grad(lambda x, y: sum(k(x, y)), (0, 1))(1.0, 2.0),
        "vmap_grad": lambda: api.vmap(api.grad(first))(xs, ys),
        "grad_vmap": lambda: api.grad(lambda x, y: api.vmap(k)(x, y)[0].sum())(xs, ys),
        "jit_grad": lambda: api.jit(api.grad(first))(1.0, 2.0),
        "grad_jit": lambda: api.grad(api.jit(first))(1.0, 2.0),
        "primal": lambda: k(1.0, 2.0),
        "vmap_primal": lambda: api.vmap(k)(xs, ys),
    }, log


def test_custom_vjp_fwd_and_bwd_see_what_jax_shows():
    ours, our_log = _vjp_programs(irax)
    theirs, their_log = _vjp_programs(jax)
    c, s, xs = np.cos(1.0), np.sin(1.0), np.arange(3.0)
    want = {"first": 2 * c, "second_wrt_y": 1.0, "sum_both": (2 * c + 2, s + 1),
            "vmap_grad": 2 * np.cos(xs), "grad_vmap": 2 * np.cos(xs), "jit_grad": 2 * c,
            "grad_jit": 2 * c, "primal": (2 * s, 2.0),
            "vmap_primal": (2 * np.sin(xs), 2 * xs)}
    for name in ours:
        our_log.clear()
        their_log.clear()
        got, ref = ours[name](), theirs[name]()
        for g, w, r in zip(np.broadcast_arrays(*[np.asarray(v) for v in
                                                  (got if isinstance(got, tuple) else (got,))]),
                           want[name] if isinstance(want[name], tuple) else (want[name],),
                           ref if isinstance(ref, tuple) else (ref,)):
            np.testing.assert_allclose(g, w, rtol=2e-6, atol=1e-6, err_msg=name)
            np.testing.assert_allclose(g, np.asarray(r), rtol=2e-6, atol=1e-6, err_msg=name)
        # e.g. first: fwd sees x perturbed and y not; bwd a SymbolicZero for the unused output
        assert our_log == their_log, (name, our_log, their_log)


def test_bwd_may_return_symbolic_zero_or_none():
    def make(api):
        SymbolicZero = api.custom_derivatives.SymbolicZero

        @api.custom_vjp
        def m(x, y, z):
            return x * y * z

        def m_fwd(x, y, z):
            vals = api.custom_derivatives.custom_vjp_primal_tree_values((x, y, z))
            return m(*vals), vals

        def m_bwd(res, ct):
            x, y, z = res
            return ct * y * z, SymbolicZero.from_primal_value(y), None
        m.defvjp(m_fwd, m_bwd, symbolic_zeros=True)
        return api.grad(m, (0, 1, 2))
    got = make(irax)(2.0, 3.0, 4.0)
    ref = make(jax)(2.0, 3.0, 4.0)
    assert [float(g) for g in got] == [float(r) for r in ref] == [12.0, 0.0, 0.0]


def test_bwd_symbolic_zero_of_the_wrong_shape_is_a_value_error():
    @irax.custom_vjp
    def m(x):
        return x * 2.0
    m.defvjp(lambda x: (m(x.value), None),
             lambda res, ct: (irax.custom_derivatives.SymbolicZero.from_primal_value(
                 jnp.ones(3)),), symbolic_zeros=True)
    with pytest.raises(ValueError, match="SymbolicZero"):
        irax.grad(lambda x: m(x).sum())(jnp.ones(2))


def test_pytree_arguments_get_one_custom_vjp_primal_per_leaf():
    def make(api):
        flags = []

        @api.custom_vjp
        def f(d, scale):
            return d["a"] * d["b"] * scale

        def f_fwd(d, scale):
            flags.append((d["a"].perturbed, d["b"].perturbed, scale.perturbed))
            d, scale = api.custom_derivatives.custom_vjp_primal_tree_values((d, scale))
            return f(d, scale), (d, scale)

        def f_bwd(res, ct):
            d, scale = res
            return {"a": ct * d["b"] * scale, "b": ct * d["a"] * scale}, None
        f.defvjp(f_fwd, f_bwd, symbolic_zeros=True)
        g = api.grad(lambda a, b: f({"a": a, "b": b}, 3.0))(2.0, 5.0)
        return float(g), flags
    assert make(irax) == make(jax) == (15.0, [(True, False, False)])


# ---------------------------------------------------------------------------
# nondiff_argnames


def test_nondiff_argnames_like_jax():
    def make(api):
        np_ = api.numpy

        @partial(api.custom_jvp, nondiff_argnames=("n",))
        def powj(x, n):
            return x ** n

        @powj.defjvp
        def _(n, primals, tangents):   # the nondiff argument comes first, as with argnums
            (x,), (t,) = primals, tangents
            return powj(x, n), n * x ** (n - 1) * t

        def fwd(f, x, s):
            return f(x) * s, (x, s)

        @partial(api.custom_vjp, nondiff_argnames="f")
        def apply(f, x, s):
            return f(x) * s

        def bwd(f, res, ct):
            x, s = res
            return 10.0 * ct * s, ct * f(x)   # deliberately not the true derivative in x
        apply.defvjp(fwd, bwd)
        return (api.grad(powj)(2.0, 3), api.grad(lambda x: powj(x, n=3))(2.0),
                api.jit(api.grad(powj), static_argnums=1)(2.0, 3),
                api.grad(lambda x, s: apply(np_.sin, x, s), (0, 1))(1.0, 2.0),
                powj.nondiff_argnums, apply.nondiff_argnums)
    ours, theirs = make(irax), make(jax)
    assert ours[4] == theirs[4] == (1,) and ours[5] == theirs[5] == (0,)
    for g, r in zip(ours[:3], theirs[:3]):
        assert float(g) == float(r) == 12.0
    np.testing.assert_allclose([float(v) for v in ours[3]], [20.0, np.sin(1.0)], rtol=1e-6)
    np.testing.assert_allclose([float(v) for v in ours[3]], [float(v) for v in theirs[3]],
                               rtol=1e-6)


def test_symbolic_zeros_with_nondiff_argnums_and_vmap():
    def make(api):
        np_ = api.numpy
        SymbolicZero = api.custom_derivatives.SymbolicZero
        seen = []

        @partial(api.custom_jvp, nondiff_argnums=(0,))
        def scaled(k, x, y):
            return k * x * y

        @partial(scaled.defjvp, symbolic_zeros=True)
        def _(k, p, t):
            seen.append(_kind(t[0], api) + _kind(t[1], api))
            out = scaled(k, *p)
            tan = np_.zeros_like(out)
            for ti, other in zip(t, p[::-1]):
                if type(ti) is not SymbolicZero:
                    tan = tan + k * ti * other
            return out, tan
        x, y = np_.arange(1.0, 4.0), np_.arange(4.0, 7.0)
        outs = (api.vmap(api.grad(scaled, 2), (None, 0, 0))(2.0, x, y),
                api.jvp(api.vmap(lambda a, b: scaled(2.0, a, b)), (x, y),
                        (np_.ones(3), np_.zeros(3)))[1])
        return [np.asarray(o) for o in outs], seen
    ours, seen = make(irax)
    theirs, seen_j = make(jax)
    np.testing.assert_allclose(ours[0], 2.0 * np.arange(1.0, 4.0))
    np.testing.assert_allclose(ours[1], 2.0 * np.arange(4.0, 7.0))
    for g, r in zip(ours, theirs):
        np.testing.assert_allclose(g, r)
    assert seen == seen_j == ["ZA", "AA"]
