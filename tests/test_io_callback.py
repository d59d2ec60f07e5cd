"""irax.experimental.io_callback (as jax.experimental.io_callback): a host function run for
its side effects, exactly once per execution, eagerly, under vmap and inside irax.jit.

Expected values are the side effects a Python loop produces; errors are JAX 0.10's."""
from __future__ import annotations

import numpy as np
import pytest

import irax
import irax.numpy as jnp
from irax import ShapeDtypeStruct as S
from irax.experimental import io_callback

LOG: list = []


def _record(x):
    LOG.append(np.asarray(x).tolist())
    return np.asarray(x).sum(dtype=np.float32)


def _record_no_result(x):
    LOG.append(("seen", np.asarray(x).tolist()))


def test_eager_and_vmap_call_once_per_example():
    LOG.clear()
    out = io_callback(_record, S((), np.float32), jnp.asarray([1.0, 2.0]))
    assert float(out) == 3.0 and LOG == [[1.0, 2.0]]
    LOG.clear()
    outs = irax.vmap(lambda r: io_callback(_record, S((), np.float32), r))(
        jnp.asarray([[1.0, 2.0], [3.0, 4.0]]))
    np.testing.assert_array_equal(np.asarray(outs), [3.0, 7.0])
    assert LOG == [[1.0, 2.0], [3.0, 4.0]]


def _compiled(x):
    io_callback(_record_no_result, None, x, ordered=True)     # result unused: still runs

    def body(c, _):
        return c + io_callback(_record, S((), np.float32), c), None
    total, _ = irax.lax.scan(body, x[0], None, length=3)
    return total * 2


def test_under_jit_it_runs_once_per_call_and_once_per_loop_iteration():
    f = irax.jit(_compiled)
    LOG.clear()
    np.testing.assert_allclose(np.asarray(f(jnp.asarray([1.0, 5.0]))), 16.0)
    np.testing.assert_allclose(np.asarray(f(jnp.asarray([2.0, 0.0]))), 32.0)
    # c: 1 -> 2 -> 4 -> 8, then 2 -> 4 -> 8 -> 16; the unused call comes first each time
    assert LOG == [("seen", [1.0, 5.0]), 1.0, 2.0, 4.0, ("seen", [2.0, 0.0]), 2.0, 4.0, 8.0]


@pytest.mark.parametrize("call, exc, match", [
    (lambda: irax.grad(lambda x: io_callback(_record, S((), np.float32), x))(1.0),
     ValueError, "IO callbacks do not support JVP"),
    (lambda: irax.vmap(lambda x: io_callback(_record, S((), np.float32), x, ordered=True))(
        jnp.ones(2)), ValueError, "Cannot `vmap` ordered IO callback"),
    (lambda: io_callback(_record, S((), np.float64), 1.0), ValueError, "64-bit"),
])
def test_errors_as_jax(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
