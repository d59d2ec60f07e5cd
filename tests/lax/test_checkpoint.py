import numpy as np
import pytest

import irax
import irax.numpy as jnp
from irax import lax

from tests.lax.cf_helpers import central_fd, check_close

W = np.array([[0.9, -0.2], [0.3, 0.8]])


def body(c):
    return c[0] + 1, jnp.tanh(W @ c[1]) * c[2] + 0.3, c[2]


def cond(c):
    return jnp.sum(c[1] * c[1]) < 10.0


def loop(x0, a, max_steps, k):
    out = lax.checkpointed_while_loop(cond, body, (0, x0, a), max_steps=max_steps,
                                      checkpoints=k)
    return jnp.sum(out[1]) + out[0]


def unrolled(x0, a, max_steps):
    c = (0, x0, a)
    for _ in range(max_steps):
        if not bool(cond(c)):
            break
        c = body(c)
    return jnp.sum(c[1]) + c[0]


@pytest.mark.parametrize("max_steps,k", [(7, 2), (20, 20), (50, 3), (30, None)])
def test_checkpointed_grad_equals_unrolled(x64, max_steps, k):
    x0 = np.array([0.1, 0.2])
    for a in (1.1, 0.6):   # 1.1 stops early (cond), 0.6 runs to max_steps
        check_close(loop(x0, a, max_steps, k), unrolled(x0, a, max_steps), 1e-12)
        g = irax.grad(loop, argnums=(0, 1))(x0, a, max_steps, k)
        gu = irax.grad(unrolled, argnums=(0, 1))(x0, a, max_steps)
        check_close(g[0], gu[0], 1e-10)
        check_close(g[1], gu[1], 1e-10)


def test_checkpointed_closure_grad_jvp_vmap(x64):
    x0 = np.array([0.1, 0.2])

    def f(s):   # s is closed over by the body
        out = lax.while_loop(lambda c: c[0] < 9, lambda c: (c[0] + 1, jnp.sin(c[1]) * s),
                             (0, x0), max_steps=12, checkpoints=3)
        return jnp.sum(out[1])
    g = irax.grad(f)(1.3)
    check_close(g, central_fd(lambda s: float(f(float(s))), 1.3), 1e-6)
    check_close(irax.jvp(f, (1.3,), (1.0,))[1], g, 1e-10)
    check_close(irax.vmap(irax.grad(f))(jnp.array([1.3, 0.7])), [g, irax.grad(f)(0.7)], 1e-10)


def test_checkpointed_memory_is_sublinear():
    """Stored residual/checkpoint elements of the staged gradient (bench/bench_checkpoint.py)."""
    import importlib.util
    import pathlib
    path = pathlib.Path(__file__).parents[2] / "bench" / "bench_checkpoint.py"
    spec = importlib.util.spec_from_file_location("bench_checkpoint", path)
    b = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(b)
    small, big = b.count(64, True), b.count(1024, True)
    plain_small, plain_big = b.count(64, False), b.count(1024, False)
    assert plain_big == 16 * plain_small      # storing every step: linear
    assert big < 5 * small                    # 16x the steps: about 4x (sqrt) here
    assert big * 10 < plain_big
    # fixed K: O(K log_K N)
    assert b.count(4096, True, 4) < 2 * b.count(64, True, 4)
