"""Control flow compiled through StableHLO and IREE (irax.jit)."""
import numpy as np
import pytest

import irax
import irax.numpy as jnp
from irax import lax

pytest.importorskip("iree.compiler")
pytest.importorskip("iree.runtime")

from tests.lax import seed_fixed_point as seed  # noqa: E402
from tests.lax.cf_helpers import check_close  # noqa: E402


def test_seed_jit_vmap_prints_notebook_numbers():
    out = irax.jit(irax.vmap(seed.newton_sqrt_plain))(jnp.array([1., 2., 3., 4.]))
    assert str(out) == "[1.        1.4142135 1.7320509 2.       ]"
    text = irax.jit(seed.newton_sqrt_plain).lower(2.).as_text()
    assert "stablehlo.while" in text
    assert "stablehlo.while" in irax.jit(irax.vmap(seed.newton_sqrt_plain)).lower(
        jnp.array([1., 2., 3., 4.])).as_text()
    assert str(irax.jit(seed.newton_sqrt)(2.)) == "1.4142135"


def test_seed_jit_grad():
    assert str(irax.jit(irax.grad(seed.newton_sqrt))(2.)) == "0.35355338"
    check_close(irax.jit(irax.grad(irax.grad(seed.newton_sqrt)))(2.), -0.088388346, 1e-6)


def test_while_batched_predicate_compiled():
    def collatz_steps(n):
        def body(c):
            n, k = c
            return jnp.where(n % 2 == 0, n // 2, 3 * n + 1), k + 1
        return lax.while_loop(lambda c: c[0] != 1, body, (n, 0))[1]
    ns = np.array([6, 7, 1, 27], np.int32)
    assert irax.jit(irax.vmap(collatz_steps))(ns).tolist() == [8, 16, 0, 111]


def test_scan_cond_compiled_forward_and_grad():
    def f(w, xs):
        def step(c, x):
            c = lax.cond(x > 2.0, lambda c: jnp.sin(c * w), lambda c: c * w + x, c)
            return c, c * c
        c, ys = lax.scan(step, 0.5, xs)
        c2, _ = lax.scan(lambda c, x: (c + x, None), c, xs, reverse=True)
        return c2 + jnp.sum(ys)
    xs = jnp.arange(5.0)
    text = irax.jit(f).lower(0.7, xs).as_text()
    assert "stablehlo.while" in text and "stablehlo.case" in text
    check_close(irax.jit(f)(0.7, xs), f(0.7, xs), 1e-5)
    check_close(irax.jit(irax.grad(f))(0.7, xs), irax.grad(f)(0.7, xs), 1e-5)
    ws = jnp.array([0.3, 0.7, 1.1])
    check_close(irax.jit(irax.vmap(f, in_axes=(0, None)))(ws, xs),
                [f(w, xs) for w in ws], 1e-5)


def test_switch_and_fori_compiled():
    brs = [jnp.sin, jnp.cos, jnp.exp]
    g = irax.jit(lambda i, x: lax.switch(i, brs, x))
    check_close([g(i, 0.5) for i in (0, 1, 2, 9)], [np.sin(.5), np.cos(.5), np.exp(.5), np.exp(.5)],
                1e-6)
    h = irax.jit(lambda n, x: lax.fori_loop(0, n, lambda i, c: c * 2.0 + i, x))
    assert float(h(4, 1.0)) == float(lax.fori_loop(0, 4, lambda i, c: c * 2.0 + i, 1.0))
    check_close(irax.jit(irax.vmap(lambda i, x: lax.switch(i, brs, x)))(
        np.array([0, 2, 1]), np.array([0.1, 0.2, 0.3], np.float32)),
        [np.sin(.1), np.exp(.2), np.cos(.3)], 1e-6)


def test_fixed_point_and_checkpointed_compiled(x64):
    def newton_sqrt(a):
        return lax.fixed_point(lambda a, x: 0.5 * (x + a / x), a, a)
    check_close(irax.jit(newton_sqrt)(2.0), np.sqrt(2.0), 1e-12)
    check_close(irax.jit(irax.grad(newton_sqrt))(2.0), 0.5 / np.sqrt(2.0), 1e-10)


def test_checkpointed_compiled():   # float32: f64 sin does not link on IREE's llvm-cpu
    def loop(a):
        out = lax.checkpointed_while_loop(lambda c: c[0] < 13, lambda c: (c[0] + 1, jnp.sin(c[1]) * a),
                                          (0, 0.5), max_steps=20, checkpoints=3)
        return out[1]
    check_close(irax.jit(irax.grad(loop))(1.2), irax.grad(loop)(1.2), 1e-5)
