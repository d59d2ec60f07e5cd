"""lax.map: stack([f(x) for x in xs]), as a scan or in vmapped chunks (batch_size)."""
import numpy as np
import pytest

import irax
import irax.numpy as jnp
from irax import lax


def f(x):
    return {"norm2": jnp.sum(x["v"] ** 2), "scaled": x["v"] * x["s"]}


def f_np(v, s):
    return np.sum(v ** 2), v * s


XS = {"v": np.arange(14.0, dtype=np.float32).reshape(7, 2),
      "s": np.linspace(-1.0, 1.0, 7).astype(np.float32)}


@pytest.mark.parametrize("batch_size", [None, 0, 1, 2, 3, 7, 10])
def test_map_matches_a_python_loop(batch_size):
    out = lax.map(f, XS, batch_size=batch_size)
    want = [f_np(v, s) for v, s in zip(XS["v"], XS["s"])]
    np.testing.assert_allclose(np.asarray(out["norm2"]), [w[0] for w in want], rtol=1e-6)
    np.testing.assert_allclose(np.asarray(out["scaled"]), np.stack([w[1] for w in want]),
                               rtol=1e-6)


def test_map_batches_are_vmapped():
    shapes = []

    def g(x):
        shapes.append(tuple(x.shape))
        return x + 1.0
    lax.map(g, np.ones((10, 3, 4), np.float32), batch_size=3)
    assert shapes == [(3, 4), (3, 4)]   # traced once for the scanned chunks, once for the rest


def test_map_grad_and_jit():
    xs = np.linspace(0.1, 1.0, 5).astype(np.float32)

    def loss(xs, bs):
        return jnp.sum(lax.map(jnp.sin, xs, batch_size=bs) * xs)
    for bs in (None, 2):
        np.testing.assert_allclose(np.asarray(irax.grad(loss)(xs, bs)),
                                   np.sin(xs) + xs * np.cos(xs), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(irax.jit(lambda x: lax.map(jnp.exp, x,
                                                                     batch_size=2))(xs)),
                               np.exp(xs), rtol=1e-6)
    with pytest.raises(TypeError, match="batch_size"):
        lax.map(jnp.sin, xs, batch_size=-1)
