"""Buffers and their device: with IREE's caching allocator (the CPU pool, on by default) a
buffer returns to a pool it does not keep alive, so every holder of a buffer must release
it before the device. References: the exit status of a real process (a use-after-free at
exit is a segfault; MALLOC_PERTURB_ makes freed memory garbage so it shows every time),
NumPy values, and the release order observed through weakref finalizers."""
from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import textwrap
import weakref
from pathlib import Path

import numpy as np

import irax
import irax.numpy as jnp
from irax.runtime.arrays import COPY_OUT_BELOW_BYTES, DeviceArray, _MappedHost

ROOT = Path(__file__).resolve().parents[2]


class _Tracked:
    """A stand-in payload whose release is recorded (weakref finalizer)."""

    def __init__(self, log: list[str], name: str) -> None:
        weakref.finalize(self, log.append, name)


def test_holders_release_the_buffer_before_the_device():
    log: list[str] = []
    arr = DeviceArray(_Tracked(log, "buffer"), _Tracked(log, "device"), "local-sync")
    del arr
    gc.collect()
    assert log == ["buffer", "device"]

    log.clear()
    mapped = np.arange(4.0)
    weakref.finalize(mapped, log.append, "buffer")
    view = np.asarray(_MappedHost(mapped, _Tracked(log, "device")))
    del mapped
    part = view[1:3]     # a view of the view keeps the owner alive too
    del view
    assert log == []
    np.testing.assert_array_equal(part, [1.0, 2.0])
    del part
    gc.collect()
    assert log == ["buffer", "device"]


def test_results_read_back_copied_or_in_place():
    f = irax.jit(lambda x, y: (jnp.sin(x) * 2, jnp.sin(y) * 2))
    small = np.linspace(0, 1, 8, dtype=np.float32)                           # copied out
    big = np.linspace(0, 1, COPY_OUT_BELOW_BYTES // 4 + 1, dtype=np.float32)  # viewed in place
    hosts = [np.asarray(r) for r in f(small, big)]   # the results' DeviceArrays are gone
    gc.collect()
    for host, x in zip(hosts, (small, big)):
        assert not host.flags.writeable
        np.testing.assert_allclose(host, np.sin(x) * 2, rtol=1e-6)


def test_script_with_pooled_buffers_exits_cleanly(tmp_path):
    """The script of tests/test_export_api.py's subprocess test segfaulted at exit in 3 of
    4 runs with the pool on (8 of 8 with MALLOC_PERTURB_): at the final garbage collection
    a DeviceArray dropped its device before the NumPy view of its mapped memory, whose
    buffer then went back into the freed pool. Here the results are big enough to be
    viewed in place (COPY_OUT_BELOW_BYTES), one view outlives its DeviceArray, one not."""
    n = 1 << 15
    S = irax.ShapeDtypeStruct

    def f(x, w):
        y = jnp.sin(x) * w
        return {"y": y, "z": y + 1, "s": jnp.sum(x * x)}

    exported = irax.export.export(irax.jit(f))(S((n,), np.float32), S((n,), np.float32))
    path = tmp_path / "f.irax"
    path.write_bytes(exported.serialize(vjp_order=1))
    code = textwrap.dedent(f"""
        import json, numpy as np
        import irax, irax.runtime.compiler as c
        def refuse(*a, **k):
            raise AssertionError("compiled")
        c.compile_stablehlo = refuse
        exp = irax.export.deserialize(open({str(path)!r}, "rb").read())
        x = np.linspace(0, 1, {n}, dtype=np.float32)
        out = exp.call(x, np.full({n}, 2.0, np.float32))
        y = np.asarray(out["y"])
        z = np.asarray(out.pop("z"))   # its DeviceArray goes; the view stays
        vjp = exp.vjp()
        print(json.dumps({{"y": float(y[-1]), "z": float(z[-1]), "s": float(out["s"])}}))
    """)
    env = {k: v for k, v in os.environ.items() if k != "IRAX_CPU_POOL_BYTES"}   # the default
    env["MALLOC_PERTURB_"] = "165"
    for _ in range(2):
        run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             cwd=ROOT, timeout=120, env=env)
        assert run.returncode == 0, (run.returncode, run.stderr[-2000:])
        got = json.loads(run.stdout.strip().splitlines()[-1])
        np.testing.assert_allclose([got["y"], got["z"]], [2 * np.sin(1.0), 2 * np.sin(1.0) + 1],
                                   rtol=1e-6)
        x = np.linspace(0, 1, n, dtype=np.float32)
        np.testing.assert_allclose(got["s"], np.sum(x.astype(np.float64) ** 2), rtol=1e-4)
