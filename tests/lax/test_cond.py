import numpy as np
import pytest

import irax
import irax.numpy as jnp
from irax import lax

from tests.lax.cf_helpers import central_fd, check_close


def f_cond(x, y):
    return lax.cond(x > 0, lambda a, b: jnp.sin(a) * b, lambda a, b: a * a - b, x, y)


def f_py(x, y):
    return np.sin(x) * y if x > 0 else x * x - y


def test_cond_eager_and_pytrees():
    assert float(f_cond(1.0, 2.0)) == pytest.approx(f_py(1.0, 2.0))
    assert float(f_cond(-1.0, 2.0)) == pytest.approx(f_py(-1.0, 2.0))
    out = lax.cond(True, lambda d: {"s": d["a"] + 1}, lambda d: {"s": d["a"] - 1}, {"a": 1.0})
    assert float(out["s"]) == 2.0
    # a non-bool predicate is compared with zero
    assert float(lax.cond(3, lambda: 1.0, lambda: 0.0)) == 1.0


def test_switch_clamps_index():
    brs = [lambda x: x + 1, lambda x: x * 10, lambda x: -x]
    assert [float(lax.switch(i, brs, 2.0)) for i in (-3, 0, 1, 2, 7)] == [3, 3, 20, -2, -2]


def test_cond_grad_both_branches(x64):
    for x in (0.8, -0.6):
        gx, gy = irax.grad(f_cond, argnums=(0, 1))(x, 1.7)
        check_close(gx, central_fd(lambda v: f_py(float(v), 1.7), x), 1e-6)
        check_close(gy, central_fd(lambda v: f_py(x, float(v)), 1.7), 1e-6)


def test_cond_jvp_and_closure(x64):
    w = 3.0

    def f(x):
        return lax.cond(x < 1.0, lambda: jnp.exp(w * x), lambda: w * jnp.ones(()))
    _, t = irax.jvp(f, (0.5,), (1.0,))
    check_close(t, w * np.exp(w * 0.5))
    _, t = irax.jvp(f, (1.5,), (1.0,))
    check_close(t, 0.0)
    check_close(irax.grad(lambda w_: lax.cond(True, lambda: w_ * w_, lambda: w_), )(2.0), 4.0)


def test_switch_grad_and_second_order(x64):
    brs = [lambda x: jnp.sin(x), lambda x: x ** 3, lambda x: jnp.exp(-x)]
    for i, d1, d2 in [(0, np.cos, lambda x: -np.sin(x)), (1, lambda x: 3 * x * x, lambda x: 6 * x),
                      (2, lambda x: -np.exp(-x), lambda x: np.exp(-x))]:
        f = lambda x: lax.switch(i, brs, x)  # noqa: E731
        check_close(irax.grad(f)(0.3), d1(0.3))
        check_close(irax.grad(irax.grad(f))(0.3), d2(0.3))


def test_cond_vmap_batched_predicate():
    xs = np.array([-2.0, -0.5, 0.5, 2.0], np.float32)
    ys = np.array([1.0, 2.0, 3.0, 4.0], np.float32)
    out = irax.vmap(f_cond)(xs, ys)
    check_close(out, [f_py(x, y) for x, y in zip(xs, ys)], 1e-6)
    jaxpr = str(irax.make_jaxpr(irax.vmap(f_cond))(xs, ys))
    assert "select" in jaxpr and "cond" not in jaxpr


def test_cond_vmap_unbatched_predicate():
    ys = np.array([1.0, 2.0, 3.0], np.float32)
    out = irax.vmap(lambda y: f_cond(0.5, y))(ys)
    check_close(out, [f_py(0.5, y) for y in ys], 1e-6)
    assert "cond" in str(irax.make_jaxpr(irax.vmap(lambda y: f_cond(0.5, y)))(ys))


def test_switch_vmap_batched_index_and_grad(x64):
    brs = [lambda x: jnp.sin(x), lambda x: x ** 3, lambda x: jnp.exp(-x)]
    idx = np.array([0, 2, 1, 5, -1])
    xs = np.linspace(0.1, 0.9, 5)
    out = irax.vmap(lambda i, x: lax.switch(i, brs, x))(idx, xs)
    ref = [float(brs[min(max(i, 0), 2)](x)) for i, x in zip(idx, xs)]
    check_close(out, ref)
    g = irax.vmap(irax.grad(lambda x, i: lax.switch(i, brs, x)), in_axes=(0, 0))(xs, idx)
    ref_g = [central_fd(lambda v: float(brs[min(max(i, 0), 2)](float(v))), x)
             for i, x in zip(idx, xs)]
    check_close(g, ref_g, 1e-6)


def test_cond_inside_scan_grad(x64):
    def f(x):
        def step(c, t):
            c = lax.cond(t % 2 == 0, lambda c: jnp.sin(c) * 2.0, lambda c: c * c, c)
            return c, c
        c, ys = lax.scan(step, x, jnp.arange(4))
        return c + jnp.sum(ys)

    def fu(x):
        c, acc = x, 0.0
        for t in range(4):
            c = np.sin(c) * 2.0 if t % 2 == 0 else c * c
            acc += c
        return c + acc
    check_close(f(0.3), fu(0.3))
    check_close(irax.grad(f)(0.3), central_fd(fu, 0.3), 1e-6)


def test_cond_branch_type_mismatch():
    with pytest.raises(TypeError, match="cond branches must have equal output types"):
        lax.cond(True, lambda: jnp.zeros(2), lambda: jnp.zeros(3))
