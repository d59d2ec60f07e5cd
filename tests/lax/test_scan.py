import numpy as np
import pytest

import irax
import irax.numpy as jnp
from irax import lax

from tests.lax.cf_helpers import central_fd, check_close


def rnn_scan(w, xs, h0):
    def step(h, x):
        h = jnp.tanh(w * h + x)
        return h, h * h
    h, ys = lax.scan(step, h0, xs)
    return jnp.sum(h) + jnp.sum(ys)


def rnn_unrolled(w, xs, h0):
    h, acc = h0, 0.0
    for t in range(xs.shape[0]):
        h = jnp.tanh(w * h + xs[t])
        acc = acc + jnp.sum(h * h)
    return jnp.sum(h) + acc


def test_scan_eager_matches_python():
    xs = np.arange(5.0, dtype=np.float32)
    c, ys = lax.scan(lambda c, x: (c + x, c * x), 1.0, xs)
    ref_c, ref_ys = 1.0, []
    for x in xs:
        ref_ys.append(ref_c * x)
        ref_c = ref_c + x
    check_close(c, ref_c)
    check_close(ys, ref_ys)


def test_scan_reverse_and_pytrees():
    xs = {"a": np.arange(4.0, dtype=np.float32), "b": np.ones((4, 2), np.float32)}

    def f(c, x):
        return (c[0] + x["a"], c[1] * 2), {"y": x["b"] * c[0]}
    (c0, c1), ys = lax.scan(f, (0.0, 1), xs, reverse=True)
    check_close(c0, 6.0)
    assert int(c1) == 16
    # reverse: step order 3,2,1,0 -> c0 before each step is 0,3,5,6
    check_close(ys["y"][:, 0], [6.0, 5.0, 3.0, 0.0])


def test_scan_length_without_xs():
    c, ys = lax.scan(lambda c, _: (c * 2, c), 1, None, length=4)
    assert int(c) == 16
    assert ys.tolist() == [1, 2, 4, 8]


def test_scan_grad_matches_unrolled_and_fd(x64):
    rng = np.random.RandomState(0)
    w = 0.7
    xs = rng.randn(6, 3)
    h0 = rng.randn(3)
    for argnum, val in [(0, w), (1, xs), (2, h0)]:
        g = irax.grad(rnn_scan, argnums=argnum)(w, xs, h0)
        gu = irax.grad(rnn_unrolled, argnums=argnum)(w, xs, h0)
        check_close(g, gu, 1e-10)
        args = [w, xs, h0]

        def fa(v):
            a = list(args)
            a[argnum] = v
            return rnn_unrolled(*a)
        check_close(g, central_fd(fa, val), 1e-6)


def test_scan_jvp_matches_unrolled(x64):
    rng = np.random.RandomState(1)
    xs, h0 = rng.randn(5, 2), rng.randn(2)
    t = rng.randn(5, 2)
    _, a = irax.jvp(lambda x: rnn_scan(0.3, x, h0), (xs,), (t,))
    _, b = irax.jvp(lambda x: rnn_unrolled(0.3, x, h0), (xs,), (t,))
    check_close(a, b, 1e-10)


def test_scan_second_order(x64):
    xs = np.linspace(-1, 1, 4)
    h0 = np.array([0.1, -0.2])
    f = lambda w: rnn_scan(w, xs, h0)  # noqa: E731
    fu = lambda w: rnn_unrolled(w, xs, h0)  # noqa: E731
    check_close(irax.grad(irax.grad(f))(0.5), irax.grad(irax.grad(fu))(0.5), 1e-9)
    H = irax.hessian(lambda h: rnn_scan(0.5, xs, h))(h0)
    Hu = irax.hessian(lambda h: rnn_unrolled(0.5, xs, h))(h0)
    check_close(H, Hu, 1e-9)
    check_close(irax.jacrev(lambda h: rnn_scan(0.5, xs, h))(h0),
                irax.jacfwd(lambda h: rnn_unrolled(0.5, xs, h))(h0), 1e-10)


def test_scan_grad_closure_and_nested(x64):
    W = np.array([[0.5, -0.3], [0.2, 0.4]])

    def f(W, x0):
        def outer(c, _):
            def inner(d, _):
                return jnp.sin(W @ d) + c, None
            d, _ = lax.scan(inner, c, None, length=3)
            return d, jnp.sum(d)
        c, ys = lax.scan(outer, x0, None, length=2)
        return jnp.sum(c * c) + jnp.sum(ys)

    def fu(W, x0):
        c, acc = x0, 0.0
        for _ in range(2):
            d = c
            for _ in range(3):
                d = jnp.sin(W @ d) + c
            c = d
            acc = acc + jnp.sum(d)
        return jnp.sum(c * c) + acc
    x0 = np.array([0.3, -0.1])
    check_close(irax.grad(f)(W, x0), irax.grad(fu)(W, x0), 1e-10)
    check_close(irax.grad(f, argnums=1)(W, x0), central_fd(lambda x: fu(W, x), x0), 1e-6)


def test_scan_vmap_matches_loop():
    rng = np.random.RandomState(2)
    ws = rng.randn(4).astype(np.float32)
    xs = rng.randn(4, 6, 3).astype(np.float32)
    h0 = rng.randn(3).astype(np.float32)

    def f(w, xs):
        return lax.scan(lambda h, x: (jnp.tanh(w * h + x), h.sum()), h0, xs)
    hb, yb = irax.vmap(f)(ws, xs)
    for i in range(4):
        h, y = f(ws[i], xs[i])
        check_close(hb[i], h, 1e-6)
        check_close(yb[i], y, 1e-6)
    # batched carry only, unbatched xs
    hb2, _ = irax.vmap(lambda h: lax.scan(lambda h, x: (h * 0.5 + x, None), h, xs[0]))(xs[:, 0])
    for i in range(4):
        check_close(hb2[i], lax.scan(lambda h, x: (h * 0.5 + x, None), xs[i, 0], xs[0])[0], 1e-6)


def test_scan_grad_of_vmap(x64):
    xs = np.random.RandomState(3).randn(3, 5)
    g = irax.grad(lambda w: jnp.sum(irax.vmap(lambda x: rnn_scan(w, x, 0.1))(xs)))(0.4)
    gu = sum(irax.grad(rnn_unrolled)(0.4, xs[i], 0.1) for i in range(3))
    check_close(g, gu, 1e-10)


def test_fori_loop_static_is_scan_and_differentiable(x64):
    def f(x):
        return lax.fori_loop(0, 5, lambda i, c: c * jnp.sin(c + i), x)

    def fu(x):
        for i in range(5):
            x = x * jnp.sin(x + i)
        return x
    jaxpr = str(irax.make_jaxpr(f)(1.0))
    assert "scan" in jaxpr and "while" not in jaxpr
    check_close(f(0.7), fu(0.7))
    check_close(irax.grad(f)(0.7), irax.grad(fu)(0.7), 1e-12)
    check_close(irax.grad(f)(0.7), central_fd(fu, 0.7), 1e-6)
    check_close(irax.vmap(f)(np.array([0.1, 0.7])), [fu(0.1), fu(0.7)], 1e-12)


def test_scan_carry_type_error():
    with pytest.raises(TypeError, match="carry input and carry output must have equal types"):
        lax.scan(lambda c, x: (c.astype(np.int32), None), np.float32(1.0), None, length=2)


def test_jit_scan_steps_per_iteration_any_length_forward_and_reverse():
    # small bodies run several steps per compiled iteration, the rest after the loop, and
    # long scans run in blocks of steps: lengths below, at and around those counts,
    # forward and reverse, with ys and xs
    lengths = (0, 1, 7, 8, 9, 13, 17, 100, 200, 203)   # 200, 203: in blocks of 40 steps

    def scans(x):
        outs = []
        for n in lengths:
            xs = jnp.arange(n, dtype=jnp.float32)
            for rev in (False, True):
                outs.append(lax.scan(lambda c, t: (c * 0.5 + t, c - t), x, xs, reverse=rev))
        return outs
    x = np.float32(3.0)
    got = irax.jit(scans)(x)
    i = 0
    for n in lengths:
        for rev in (False, True):
            c, ys = np.float32(x), []
            for t in (reversed(range(n)) if rev else range(n)):
                c, y = np.float32(c * np.float32(0.5) + np.float32(t)), np.float32(c - t)
                ys.append(y)
            if rev:
                ys.reverse()
            gc, gys = got[i]
            i += 1
            assert float(gc) == c, (n, rev)
            np.testing.assert_array_equal(np.asarray(gys), np.array(ys, np.float32).reshape(n))


def test_grad_of_scan_keeps_loop_invariant_residuals_out_of_the_stack():
    # x_{t+1} = sin(x_t) cos(w) + 0.01: dx_n/dx_0 = prod_t cos(w) cos(x_t). cos(w), which
    # the body computes from a closed-over array, does not change per step: it is computed
    # once, and the forward loop stacks only cos(x_t) (as JAX's scan partial evaluation does)
    n = 30
    w = np.array([0.1, 0.5, 0.9], np.float32)

    def f(x):
        return jnp.sum(lax.fori_loop(0, n, lambda i, x: jnp.sin(x) * jnp.cos(w) + 0.01, x))
    x0 = np.array([0.3, -1.2, 2.5], np.float32)
    (fwd, _) = [e for e in irax.make_jaxpr(irax.grad(f))(x0).jaxpr.eqns
                if e.primitive.name == "scan"]
    stacked = [v.aval.shape for v in fwd.outputs[fwd.params["num_carry"]:]]
    assert stacked == [(n, 3)]
    xs, want, cw = x0.astype(np.float64), np.ones(3), np.cos(w.astype(np.float64))
    for _ in range(n):
        want, xs = want * cw * np.cos(xs), np.sin(xs) * cw + 0.01
    for g in (irax.grad(f), irax.jit(irax.grad(f))):
        np.testing.assert_allclose(np.asarray(g(x0)), want, rtol=2e-5)
