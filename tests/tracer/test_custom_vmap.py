"""irax.custom_batching: custom_vmap and sequential_vmap.

The functions are written once, as make(api) for api = irax or jax, with a rule that is
deliberately *not* the batched function (cos instead of sin), so a result shows whether the
rule or the function ran. Values are checked against NumPy formulas and against JAX."""
from __future__ import annotations

import numpy as np
import pytest

import irax
import irax.numpy as jnp

jax = pytest.importorskip("jax")


def _make(api):
    """f(x, y) = sin(x) * y whose vmap rule computes cos(xs) * ys and logs its calls."""
    np_ = api.numpy
    calls = []

    @api.custom_batching.custom_vmap
    def f(x, y):
        return np_.sin(x) * y

    @f.def_vmap
    def rule(axis_size, in_batched, xs, ys):
        calls.append((axis_size, list(in_batched)))
        return np_.cos(xs) * ys, True
    return f, calls


X = np.array([0.0, 0.5, 1.0], np.float32)
Y = np.array([2.0, -1.0, 3.0], np.float32)


def _programs(api):
    f, calls = _make(api)
    progs = {
        "eager": lambda: f(0.5, 2.0),
        "vmap": lambda: api.vmap(f)(X, Y),
        "vmap_in_axes_none": lambda: api.vmap(f, (0, None))(X, 2.0),
        "vmap_vmap": lambda: api.vmap(api.vmap(f))(np.stack([X, 2 * X]), np.stack([Y, Y])),
        "jvp": lambda: api.jvp(f, (0.5, 2.0), (1.0, 0.5))[1],
        "vmap_of_jvp": lambda: api.vmap(lambda x, y: api.jvp(f, (x, y), (1.0, 0.0))[1])(X, Y),
        "jvp_of_vmap": lambda: api.jvp(api.vmap(f), (X, Y), (np.ones(3, np.float32),
                                                               np.zeros(3, np.float32)))[1],
        "grad_of_vmap": lambda: api.grad(lambda x: api.vmap(f)(x, Y).sum())(X),
    }
    return progs, calls


def _expected():
    return {
        "eager": np.sin(0.5) * 2.0,                       # the function, not the rule
        "vmap": np.cos(X) * Y,                            # the rule
        "vmap_in_axes_none": np.cos(X) * 2.0,
        "vmap_vmap": np.cos(np.stack([X, 2 * X])) * Y,    # the inner vmap's rule
        "jvp": np.cos(0.5) * 2.0 + np.sin(0.5) * 0.5,     # jvp of the function
        "vmap_of_jvp": -np.sin(X) * Y,                    # jvp of the rule (as JAX)
        "jvp_of_vmap": -np.sin(X) * Y,
        "grad_of_vmap": -np.sin(X) * Y,
    }


def test_custom_vmap_like_jax():
    ours, our_calls = _programs(irax)
    theirs, their_calls = _programs(jax)
    want = _expected()
    for name in ours:
        our_calls.clear()
        their_calls.clear()
        got, ref = np.asarray(ours[name]()), np.asarray(theirs[name]())
        np.testing.assert_allclose(got, want[name], rtol=2e-6, atol=1e-6, err_msg=name)
        np.testing.assert_allclose(got, ref, rtol=2e-6, atol=1e-6, err_msg=name)
        # e.g. vmap_in_axes_none: [(3, [True, False])]; vmap_of_jvp: [(3, [False, False])]
        assert our_calls == their_calls, (name, our_calls, their_calls)


def test_custom_vmap_under_jit():
    f, calls = _make(irax)

    @irax.jit
    def many(x, y, xs, ys):
        return (f(x, y), irax.vmap(f)(xs, ys), irax.vmap(irax.jit(f))(xs, ys),
                irax.vmap(f, (0, None))(xs, y), irax.jvp(f, (x, y), (1.0, 0.0))[1])
    outs = [np.asarray(o) for o in many(0.5, 2.0, X, Y)]
    np.testing.assert_allclose(outs[0], np.sin(0.5) * 2.0, rtol=1e-6)
    np.testing.assert_allclose(outs[1], np.cos(X) * Y, rtol=1e-6)
    np.testing.assert_allclose(outs[2], np.cos(X) * Y, rtol=1e-6)   # vmap of a jitted f
    np.testing.assert_allclose(outs[3], np.cos(X) * 2.0, rtol=1e-6)
    np.testing.assert_allclose(outs[4], np.cos(0.5) * 2.0, rtol=1e-6)
    assert calls == [(3, [True, True]), (3, [True, True]), (3, [True, False])]
    jaxpr = irax.make_jaxpr(f)(0.5, 2.0)
    assert [e.primitive.name for e in jaxpr.jaxpr.eqns] == ["custom_vmap_call"]


def test_grad_differentiates_the_function_where_jax_raises():
    f, _ = _make(irax)
    fj, _ = _make(jax)
    # JAX: "Linearization failed to produce known values for all output primals"
    with pytest.raises(ValueError, match="Linearization failed"):
        jax.grad(fj)(0.5, 2.0)
    gx, gy = irax.grad(f, (0, 1))(0.5, 2.0)
    np.testing.assert_allclose([float(gx), float(gy)], [np.cos(0.5) * 2.0, np.sin(0.5)],
                               rtol=1e-6)
    # vmap of grad: the derivative of the function, per example (a Python loop's values)
    got = irax.vmap(irax.grad(f))(X, Y)
    loop = [float(irax.grad(f)(float(x), float(y))) for x, y in zip(X, Y)]
    np.testing.assert_allclose(np.asarray(got), loop, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(got), np.cos(X) * Y, rtol=1e-6)
    g = irax.jit(irax.grad(lambda x, y: f(x, y) * x))(0.5, 2.0)
    np.testing.assert_allclose(float(g), np.cos(0.5) * 2.0 * 0.5 + np.sin(0.5) * 2.0,
                               rtol=1e-6)


def test_custom_vjp_around_custom_vmap_as_in_jax_docs():
    def make(api):
        np_ = api.numpy

        @api.custom_vjp
        @api.custom_batching.custom_vmap
        def f(x, y):
            return np_.sin(x) * y

        @f.def_vmap
        def f_vmap_rule(axis_size, in_batched, xs, ys):
            return np_.cos(xs) * ys, True

        def f_fwd(x, y):
            return f(x, y), (np_.cos(x), np_.sin(x), y)

        def f_bwd(res, g):
            cos_x, sin_x, y = res
            return (cos_x * g * y, sin_x * g)
        f.defvjp(f_fwd, f_bwd)
        return (api.vmap(f)(np_.zeros(3), np_.ones(3)), api.grad(f)(0.0, 1.0),
                api.vmap(api.grad(f))(np_.zeros(3), np_.ones(3)))
    ours, theirs = make(irax), make(jax)
    np.testing.assert_allclose(np.asarray(ours[0]), np.ones(3))
    assert float(ours[1]) == 1.0
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(np.asarray(o), np.asarray(t), rtol=1e-6)


def test_pytree_arguments_and_partly_batched_outputs():
    def make(api):
        np_ = api.numpy
        seen = []

        @api.custom_batching.custom_vmap
        def g(d, s):
            return {"sum": d["a"] + d["b"] * s, "s2": s * 2.0}

        @g.def_vmap
        def rule(axis_size, in_batched, d, s):
            seen.append(in_batched)
            out = {"sum": d["a"] + d["b"] * s + 100.0, "s2": s * 2.0}
            return out, {"sum": True, "s2": in_batched[1]}
        a, b = np_.arange(3.0), np_.ones(3)
        out = api.vmap(g, ({"a": 0, "b": None}, None))({"a": a, "b": 2.0}, 0.5)
        return {k: np.asarray(v) for k, v in out.items()}, seen
    ours, seen = make(irax)
    theirs, seen_j = make(jax)
    np.testing.assert_allclose(ours["sum"], np.arange(3.0) + 1.0 + 100.0)
    np.testing.assert_allclose(ours["s2"], 1.0)   # unbatched output: vmap broadcasts it
    assert ours["s2"].shape == theirs["s2"].shape == (3,)
    for k in ours:
        np.testing.assert_allclose(ours[k], theirs[k])
    assert seen == seen_j == [[{"a": True, "b": False}, False]]


def test_errors_like_jax():
    f = irax.custom_batching.custom_vmap(lambda x: x * 2.0)
    with pytest.raises(AttributeError, match="No batching rule"):
        f(1.0)
    f.def_vmap(lambda n, b, xs: ((xs, xs), (True, True)))   # the function returns one array
    with pytest.raises(ValueError, match="does not match that of original"):
        irax.vmap(f)(X)
    f.def_vmap(lambda n, b, xs: (xs, (True, True)))
    with pytest.raises(ValueError, match="do not match"):
        irax.vmap(f)(X)
    f.def_vmap(lambda n, b, xs: (xs[0], True))               # says batched, is not
    with pytest.raises(ValueError, match="expected"):
        irax.vmap(f)(X)


# ---------------------------------------------------------------------------
# sequential_vmap


def test_sequential_vmap_loops_like_jax():
    def make(api):
        np_ = api.numpy

        @api.custom_batching.sequential_vmap
        def h(x, w):
            return np_.sum(x) * w, x.shape[0]   # shape[0]: per-example, so not batched code

        xs = np_.arange(12.0).reshape(3, 4)
        return (api.vmap(h, (0, None))(xs, 2.0)[0], api.vmap(h)(xs, np_.arange(3.0))[0],
                h(xs[0], 2.0)[0])
    ours, theirs = make(irax), make(jax)
    xs = np.arange(12.0).reshape(3, 4)
    np.testing.assert_allclose(np.asarray(ours[0]), xs.sum(1) * 2.0)
    np.testing.assert_allclose(np.asarray(ours[1]), xs.sum(1) * np.arange(3.0))
    np.testing.assert_allclose(float(ours[2]), xs[0].sum() * 2.0)
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(np.asarray(o), np.asarray(t))

    @irax.custom_batching.sequential_vmap
    def s(x):
        return jnp.sin(x).sum()
    jaxpr = irax.make_jaxpr(irax.vmap(s))(jnp.ones((3, 2)))
    assert "scan" in [e.primitive.name for e in jaxpr.jaxpr.eqns]   # a loop, as in JAX
    out = irax.jit(irax.vmap(s))(xs)
    np.testing.assert_allclose(np.asarray(out), np.sin(xs).sum(1), rtol=1e-6, atol=1e-6)


def test_closing_over_a_batched_value():
    def make(api):
        def outer(c, x):
            @api.custom_batching.custom_vmap
            def f(x):
                return x * c

            f.def_vmap(lambda n, b, xs: (xs * 2.0, True))
            return f(x)
        return outer
    ours, theirs = make(irax), make(jax)
    # an unbatched closed-over value is fine: the rule runs
    for api, fn in ((irax, ours), (jax, theirs)):
        np.testing.assert_array_equal(np.asarray(api.vmap(fn, (None, 0))(3.0, np.ones(3))),
                                      [2.0, 2.0, 2.0])
    # a batched one cannot reach the rule: JAX fails an internal assertion; irax says why
    with pytest.raises(AssertionError):
        jax.vmap(theirs)(np.arange(3.0), np.ones(3))
    with pytest.raises(NotImplementedError, match="closes over a value that is batched"):
        irax.vmap(ours)(np.arange(3.0), np.ones(3))


def test_jvp_with_an_integer_argument():
    def make(api):
        np_ = api.numpy

        @api.custom_batching.custom_vmap
        def f(x, n):
            return x * n, n + 1

        @f.def_vmap
        def rule(axis_size, in_batched, xs, ns):
            return (xs * ns * 10, ns + 1), (True, in_batched[1])
        x, n = np_.ones(3), np_.arange(3)
        (p, q), (t, _) = api.vmap(lambda a, b: api.jvp(lambda a: f(a, b), (a,), (1.0,)))(x, n)
        (p2, _), (t2, _) = api.jvp(lambda a: f(a, 3), (2.0,), (1.0,))
        return [np.asarray(v) for v in (p, q, t, p2, t2)]
    ours, theirs = make(irax), make(jax)
    want = [10.0 * np.arange(3), np.arange(1, 4), 10.0 * np.arange(3), 6.0, 3.0]
    for o, t, w in zip(ours, theirs, want):
        np.testing.assert_allclose(o, w)
        np.testing.assert_allclose(o, t)
