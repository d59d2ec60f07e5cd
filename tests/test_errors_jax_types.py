"""Errors of the type JAX raises (a subclass is fine), naming the problem; and parameters
that used to be accepted and ignored. JAX 0.10 is the oracle: each case runs in both."""
from __future__ import annotations

import functools

import numpy as np
import pytest

import irax
import irax.numpy as jnp
from irax import lax

jax = pytest.importorskip("jax")
jjnp, jlax = jax.numpy, jax.lax


def both(make):
    """make(api, numpy, lax) -> a thunk; returns (irax thunk, jax thunk)."""
    return make(irax, jnp, lax), make(jax, jjnp, jlax)


def raises_like_jax(make, ours_type, match):
    ours, theirs = both(make)
    with pytest.raises(Exception) as jax_error:
        theirs()
    with pytest.raises(ours_type, match=match) as irax_error:
        ours()
    # the same kind of error: ours is an instance of the built-in class JAX's derives from
    builtin = next(c for c in type(jax_error.value).__mro__ if c.__module__ == "builtins")
    assert isinstance(irax_error.value, builtin), (irax_error.value, jax_error.value)
    return irax_error.value, jax_error.value


def test_reverse_mode_of_while_loop_is_a_value_error_with_alternatives():
    def make(ax, np_, lx):
        return lambda: ax.grad(lambda x: lx.while_loop(lambda c: c < 10.0, lambda c: c * 2.0,
                                                       x))(1.0)
    ours, theirs = raises_like_jax(make, ValueError, "while_loop")
    assert isinstance(theirs, ValueError)
    for word in ("fori_loop", "scan", "custom_vjp", "checkpointed_while_loop"):
        assert word in str(ours)


def test_tracer_in_custom_vjp_nondiff_argnums_is_unexpected_tracer_error():
    def make(ax, np_, lx):
        @functools.partial(ax.custom_vjp, nondiff_argnums=(0,))
        def h(n, x):
            return x * n
        h.defvjp(lambda n, x: (x * n, None), lambda n, res, ct: (ct * n,))
        return lambda: ax.grad(lambda x: h(x, x))(2.0)
    ours, theirs = raises_like_jax(make, irax.UnexpectedTracerError, "nondiff_argnums")
    assert isinstance(theirs, jax.errors.UnexpectedTracerError)
    assert isinstance(ours, TypeError)            # as JAX's UnexpectedTracerError is


def test_tracer_in_custom_jvp_nondiff_argnums_is_treated_as_constant_as_jax():
    def make(ax, np_, lx):
        @functools.partial(ax.custom_jvp, nondiff_argnums=(0,))
        def k(n, x):
            return x * n
        k.defjvp(lambda n, p, t: (p[0] * n, t[0] * n))
        return lambda: ax.grad(lambda x: k(x, x))(2.0)
    ours, theirs = both(make)
    assert float(ours()) == float(theirs()) == 2.0


def _wrong_fwd(ax, np_, lx):
    @ax.custom_vjp
    def f(x):
        return x * 2.0

    def f_fwd(x):
        return (x * 2.0, x * 3.0), x       # the primal output has the wrong structure

    def f_bwd(res, ct):
        return (ct * 2.0,)
    f.defvjp(f_fwd, f_bwd)
    return lambda: ax.grad(ax.jit(f))(1.0)


def test_a_wrong_fwd_rule_is_blamed_on_the_fwd_rule():
    ours, theirs = raises_like_jax(_wrong_fwd, TypeError, "fwd rule f_fwd")
    assert "fwd rule f_fwd" in str(theirs) and "bwd" not in str(ours)


def test_jvp_rule_whose_primal_output_differs_from_the_function_is_refused():
    def make_structure(ax, np_, lx):
        @ax.custom_jvp
        def g(x):
            return x * 2.0

        @g.defjvp
        def g_jvp(primals, tangents):
            return (primals[0] * 2.0, primals[0]), (tangents[0] * 2.0, tangents[0])
        return lambda: ax.jvp(ax.jit(g), (1.0,), (1.0,))

    def make_shape(ax, np_, lx):
        @ax.custom_jvp
        def g2(x):
            return x * 2.0

        @g2.defjvp
        def g2_jvp(primals, tangents):
            return np_.stack([primals[0]] * 2), np_.stack([tangents[0]] * 2)
        return lambda: ax.jvp(ax.jit(g2), (1.0,), (1.0,))
    raises_like_jax(make_structure, TypeError, "JVP rule g_jvp .*structure")
    raises_like_jax(make_shape, TypeError, "JVP rule g2_jvp .*shapes/dtypes")


@pytest.mark.parametrize("lo,hi", [(np.int32(0), np.int16(3)), (np.uint8(0), np.int32(3)),
                                   (0.0, 3)])
def test_fori_loop_bounds_of_mixed_dtypes(lo, hi):
    def make(ax, np_, lx):
        return lambda: lx.fori_loop(np_.asarray(lo), np_.asarray(hi), lambda i, c: c + i, 0)
    raises_like_jax(make, TypeError, "lower and upper arguments to fori_loop must have equal")


def test_fori_loop_weak_python_bound_takes_the_other_type():
    ours, theirs = both(lambda ax, np_, lx: lambda: lx.fori_loop(
        0, np_.int16(4), lambda i, c: c + i.astype(np_.int32), np_.int32(0)))
    assert int(ours()) == int(theirs()) == 6


def test_scan_unroll_errors():
    def body(c, x):
        return c + x, c

    for unroll, kind, match in [(-1, ValueError, "non-negative"), (2.5, TypeError, "unroll")]:
        def make(ax, np_, lx, unroll=unroll):
            return lambda: lx.scan(body, 0.0, np_.arange(3.0), unroll=unroll)
        raises_like_jax(make, kind, match)

    def traced(ax, np_, lx):
        return lambda: ax.grad(lambda u: lx.scan(body, u, np_.arange(3.0), unroll=u)[0])(2.0)
    raises_like_jax(traced, TypeError, "unroll")


@pytest.mark.parametrize("unroll", [1, 2, 3, 7, 10, True, False, 0])
def test_scan_unroll_is_only_a_schedule(unroll):
    xs = np.linspace(-1.0, 2.0, 7).astype(np.float32)

    def f(c, x):
        return jnp.sin(c) * 0.9 + x, (c * x, 2.0 * x)

    def run(xs, c0, unroll, reverse):
        c, (a, b) = lax.scan(f, c0, xs, unroll=unroll, reverse=reverse)
        return c + jnp.sum(a) + jnp.sum(b * b)

    for reverse in (False, True):
        want = run(jnp.asarray(xs), 0.3, 1, reverse)
        got = run(jnp.asarray(xs), 0.3, unroll, reverse)
        np.testing.assert_allclose(got, want, rtol=1e-6)
        gw = irax.grad(run, argnums=(0, 1))(jnp.asarray(xs), 0.3, 1, reverse)
        gg = irax.grad(run, argnums=(0, 1))(jnp.asarray(xs), 0.3, unroll, reverse)
        for a, b in zip(gg, gw):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    # and the rolled scan agrees with JAX's
    jwant = jax.lax.scan(lambda c, x: (jjnp.sin(c) * 0.9 + x, (c * x, 2.0 * x)), 0.3,
                         jjnp.asarray(xs), unroll=unroll)[0]
    np.testing.assert_allclose(lax.scan(f, 0.3, jnp.asarray(xs), unroll=unroll)[0], jwant,
                               rtol=1e-6)


def test_custom_rules_of_functools_partial():
    def base(x, y):
        return x * x * y

    def make(ax, np_, lx):
        p = ax.custom_jvp(functools.partial(base, y=2.0))
        p.defjvp(lambda pr, t: (p(*pr), 4.0 * pr[0] * t[0]))
        v = ax.custom_vjp(functools.partial(base, y=3.0))
        v.defvjp(lambda x: (v(x), x), lambda x, ct: (6.0 * x * ct,))
        return lambda: (p(1.5), ax.grad(p)(1.5), v(1.5), ax.grad(v)(1.5))
    ours, theirs = both(make)
    np.testing.assert_allclose([float(a) for a in ours()], [float(b) for b in theirs()])
    np.testing.assert_allclose([float(a) for a in ours()], [4.5, 6.0, 6.75, 9.0])


def test_custom_vjp_with_a_none_leaf_in_its_input():
    def make(ax, np_, lx):
        @ax.custom_vjp
        def q(d):
            return d["a"] * 2.0
        q.defvjp(lambda d: (q(d), None), lambda res, ct: ({"a": ct * 2.0, "b": None},))
        return lambda: ax.grad(lambda a: q({"a": a, "b": None}))(1.0)
    ours, theirs = both(make)
    assert float(ours()) == float(theirs()) == 2.0


def test_symbolic_zeros_with_optimize_remat_is_refused_as_in_jax():
    # (symbolic_zeros itself is implemented: tests/tracer/test_symbolic_zeros.py)
    f = irax.custom_vjp(lambda x: x)
    with pytest.raises(NotImplementedError, match="symbolic zeros"):
        f.defvjp(lambda x: (x, None), lambda r, c: (c,), symbolic_zeros=True,
                 optimize_remat=True)
    fj = jax.custom_vjp(lambda x: x)
    with pytest.raises(NotImplementedError, match="symbolic zeros"):
        fj.defvjp(lambda x: (x, None), lambda r, c: (c,), symbolic_zeros=True,
                  optimize_remat=True)
    # the defaults stay accepted
    f.defvjp(lambda x: (x, None), lambda r, c: (c,), symbolic_zeros=False)
    assert float(irax.grad(f)(1.0)) == 1.0


def test_grad_through_vmapped_cond_with_batched_predicate_has_no_nan():
    """The untaken branch's derivative (sqrt or log of a value it never sees) must not leak."""
    def make(ax, np_, lx):
        def safe(x):
            return lx.cond(x > 0, lambda x: np_.sqrt(x) + np_.log(x), lambda x: 2.0 * x, x)
        x = np_.asarray(np.array([4.0, -1.0, 0.0, 9.0], np.float32))
        return lambda: ax.grad(lambda x: ax.vmap(safe)(x).sum())(x)
    ours, theirs = both(make)
    got = np.asarray(ours())
    np.testing.assert_allclose(got, np.asarray(theirs()), rtol=1e-6)
    x = np.array([4.0, -1.0, 0.0, 9.0])
    pos = np.where(x > 0, x, 1.0)
    want = np.where(x > 0, 0.5 / np.sqrt(pos) + 1 / pos, 2.0)
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_grad_through_vmapped_switch_with_batched_index():
    def make(ax, np_, lx):
        def f(i, x):
            return lx.switch(i, [lambda x: np_.log(x), lambda x: np_.sqrt(-x), lambda x: x * x], x)
        i = np_.asarray(np.array([0, 1, 2, 1], np.int32))
        x = np_.asarray(np.array([2.0, -4.0, 3.0, -1.0], np.float32))
        return lambda: ax.grad(lambda x: ax.vmap(f)(i, x).sum())(x)
    ours, theirs = both(make)
    got = np.asarray(ours())
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, np.asarray(theirs()), rtol=1e-6)
    np.testing.assert_allclose(got, [0.5, -0.25, 6.0, -0.5], rtol=1e-6)
