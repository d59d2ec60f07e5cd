"""Faults at the jit level: the disk cache across processes, killed writers, corrupt
entries, unwritable or full cache dirs, concurrent processes and threads.

tests/runtime/test_cache.py covers the cache module itself; these drive it through
`irax.jit` in fresh Python processes (IRAX_CACHE_DIR set to a tmp dir), observing
`irax.runtime.compiler.stats` / `irax.runtime.cache.stats` rather than timings.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import irax
import irax.numpy as jnp
from irax.runtime import cache, compiler

ROOT = Path(__file__).resolve().parents[1]

# A jitted function run in a child process; prints its result and the compile counters.
CHILD = textwrap.dedent("""
    import json, sys, warnings
    warnings.simplefilter("always")
    import numpy as np
    import irax, irax.numpy as jnp
    from irax.runtime import cache, compiler
    {prelude}
    @irax.jit
    def f(x, y):
        return jnp.tanh(x @ y) * 3.0 + jnp.sum(y)
    x = jnp.asarray(np.arange(6, dtype=np.float32).reshape(2, 3) / 6)
    y = jnp.asarray(np.arange(12, dtype=np.float32).reshape(3, 4) / 12)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = np.asarray(f(x, y)).tolist()
        out2 = np.asarray(irax.jit(lambda a: a * 2.0 + 1.0)(x)).tolist()
    print(json.dumps({{"out": out, "out2": out2, "compiles": compiler.stats["iree_compiles"],
                       "cache": cache.stats,
                       "warnings": [str(w.message) for w in caught]}}))
""")


def _expected():
    x = np.arange(6, dtype=np.float32).reshape(2, 3) / 6
    y = np.arange(12, dtype=np.float32).reshape(3, 4) / 12
    return np.tanh(x @ y) * 3.0 + y.sum(), x * 2.0 + 1.0


def _env(cache_dir: Path) -> dict:
    return {**os.environ, "IRAX_CACHE_DIR": str(cache_dir), "PYTHONPATH": str(ROOT)}


def run_child(cache_dir: Path, prelude: str = "") -> dict:
    proc = subprocess.run([sys.executable, "-c", CHILD.format(prelude=prelude)],
                          env=_env(cache_dir), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    want, want2 = _expected()
    np.testing.assert_allclose(res["out"], want, rtol=1e-5)
    np.testing.assert_allclose(res["out2"], want2, rtol=1e-6)
    return res


def _entries(cache_dir: Path) -> list[Path]:
    return sorted((cache_dir / "modules").glob("*.irxc"))


def _tmp_files(cache_dir: Path) -> list[Path]:
    return sorted((cache_dir / "modules").glob("*.tmp"))


def test_second_process_skips_iree_compilation(tmp_path: Path):
    first = run_child(tmp_path)
    assert first["compiles"] == 2 and first["cache"]["writes"] == 2
    assert len(_entries(tmp_path)) == 2
    second = run_child(tmp_path)
    assert second["compiles"] == 0, "a warm disk cache must skip IREE entirely"
    assert second["cache"]["disk_hits"] == 2 and second["cache"]["disk_misses"] == 0


def test_corrupt_entry_is_rebuilt_through_jit(tmp_path: Path):
    warm = tmp_path / "warm"
    run_child(warm)                                 # one warm cache, damaged two ways
    for damage in ("truncate", "garbage"):
        cache_dir = tmp_path / damage
        shutil.copytree(warm, cache_dir)
        for entry in _entries(cache_dir):
            raw = entry.read_bytes()
            if damage == "truncate":
                entry.write_bytes(raw[: len(raw) // 2])
            else:
                entry.write_bytes(os.urandom(len(raw)))
        res = run_child(cache_dir)                  # right answers, rebuilt
        assert res["compiles"] == 2 and res["cache"]["corrupt"] == 2, damage
        again = run_child(cache_dir)                # and the rebuilt entries are whole
        assert again["compiles"] == 0 and again["cache"]["corrupt"] == 0, damage


# The child writes one cache entry slowly (a sleep between header and payload), tells the
# parent, and is SIGKILLed mid-write.
SLOW_WRITER = """
import os, sys, time
_real_fdopen = os.fdopen
class _Slow:
    def __init__(self, f): self.f = f
    def __enter__(self): return self
    def __exit__(self, *a): return self.f.__exit__(*a)
    def write(self, b):
        n = self.f.write(b[: len(b) // 2]); self.f.flush()
        print("WRITING", flush=True); time.sleep(60)
        return n + self.f.write(b[len(b) // 2:])
    def __getattr__(self, k): return getattr(self.f, k)
def _fdopen(fd, *a, **k):
    return _Slow(_real_fdopen(fd, *a, **k))
cache.os.fdopen = _fdopen
"""


def test_killed_writer_leaves_no_readable_partial_entry(tmp_path: Path):
    proc = subprocess.Popen([sys.executable, "-c", CHILD.format(prelude=SLOW_WRITER)],
                            env=_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        deadline = time.time() + 240
        line = ""
        while "WRITING" not in line:
            line = proc.stdout.readline()
            assert line or proc.poll() is None, proc.stderr.read()
            assert time.time() < deadline, "child never reached the cache write"
        time.sleep(0.2)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert _entries(tmp_path) == [], "a partial write must never appear under its final name"
    assert _tmp_files(tmp_path), "the killed writer's temp file should be what is left"
    res = run_child(tmp_path)                       # a later process: miss, compile, correct
    assert res["compiles"] == 2 and res["cache"]["corrupt"] == 0
    assert len(_entries(tmp_path)) == 2
    assert run_child(tmp_path)["compiles"] == 0


def test_cache_dir_that_cannot_exist_warns_once_and_runs(tmp_path: Path):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache dir should be")
    res = run_child(blocker / "cache")              # root ignores chmod; this fails for anyone
    assert res["compiles"] == 2
    assert len([w for w in res["warnings"] if "not writable" in w]) == 1, res["warnings"]


FULL_DISK = """
import errno
def _full(fd):
    raise OSError(errno.ENOSPC, "No space left on device")
cache.os.fsync = _full
"""


def test_full_cache_dir_warns_once_leaves_nothing_and_runs(tmp_path: Path):
    res = run_child(tmp_path, prelude=FULL_DISK)
    assert res["compiles"] == 2 and res["cache"]["writes"] == 0
    assert len([w for w in res["warnings"] if "not writable" in w]) == 1, res["warnings"]
    assert _entries(tmp_path) == [] and _tmp_files(tmp_path) == []
    assert run_child(tmp_path)["compiles"] == 2     # nothing half-written was kept


def test_concurrent_processes_compile_the_same_function(tmp_path: Path):
    procs = [subprocess.Popen([sys.executable, "-c", CHILD.format(prelude="")],
                              env=_env(tmp_path), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(3)]
    want, want2 = _expected()
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        res = json.loads(out.strip().splitlines()[-1])
        np.testing.assert_allclose(res["out"], want, rtol=1e-5)
        np.testing.assert_allclose(res["out2"], want2, rtol=1e-6)
    assert len(_entries(tmp_path)) == 2 and _tmp_files(tmp_path) == []
    assert run_child(tmp_path)["compiles"] == 0      # every entry whole and readable


def test_eight_threads_call_one_jitted_function(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("IRAX_CACHE_DIR", str(tmp_path))

    @irax.jit
    def f(x):
        return jnp.sum(jnp.sin(x) * 1.2345) + 0.5   # a module no other test compiles

    before = compiler.stats["iree_compiles"]
    inputs = [np.full((5,), i, np.float32) for i in range(8)]
    results: dict[int, float] = {}
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def worker(i: int) -> None:
        try:
            barrier.wait()
            results[i] = float(f(jnp.asarray(inputs[i])))
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    for i in range(8):
        assert results[i] == pytest.approx(float(np.sum(np.sin(inputs[i]) * 1.2345) + 0.5), rel=1e-5)
    assert compiler.stats["iree_compiles"] == before + 1
    assert f._cache_size() == 1
