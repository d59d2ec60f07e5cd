"""Buffers of while loops on llvm-cpu: a loop result captured by a later loop must not
leak a buffer per call on IREE's local-sync driver (IREE 3.13 did, 8 MiB per call for the
vmap(grad) of the seed's fixed_point Newton solver, until the lowering gave loop results
their own buffers)."""
import numpy as np

import irax
import irax.numpy as jnp
from irax.runtime import Executable

from tests.lax import seed_fixed_point as seed


def _rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2 ** 20


def test_two_loops_sharing_a_result_do_not_leak_on_local_sync():
    a = np.linspace(0.5, 100.0, 1 << 20).astype(np.float32)
    f = irax.jit(irax.vmap(irax.grad(seed.newton_sqrt)))
    exe = Executable(f.lower(jnp.asarray(a)).compile().vmfb, "local-sync")
    expected = 0.5 / np.sqrt(a.astype(np.float64))   # d sqrt(a) / da
    for _ in range(5):
        out = exe.call("main", [a])
    np.testing.assert_allclose(np.asarray(out[0].to_numpy()), expected, rtol=1e-5)
    before = _rss_mib()
    for _ in range(40):
        out = exe.call("main", [a])
    del out
    assert _rss_mib() - before < 64   # leaking, it grew by 8 MiB per call (~320 MiB)
