"""Disk cache: hits across processes, corruption, unwritable dirs, concurrency."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import warnings
from pathlib import Path

import numpy as np
import pytest

from irax.runtime import Executable, cache, compile_flags, compiler
from irax.runtime.compiler import compile_stablehlo

from tests.runtime.rt_snippets import SCALAR

ROOT = Path(__file__).resolve().parents[2]
CPU = compile_flags("llvm-cpu")


def unique_text(tag: str) -> str:
    """A module no other test compiled (the in-memory cache is per process)."""
    return f"// {tag} {os.getpid()} {id(object())}\n" + SCALAR


def test_entry_format_and_roundtrip(isolated_cache: Path) -> None:
    cache.put("k1", b"payload")
    assert cache.get("k1") == b"payload"
    assert cache.get("missing") is None
    assert not list((isolated_cache / "modules").glob("*.tmp"))


def test_second_compile_hits_disk_in_fresh_process(isolated_cache: Path) -> None:
    text = unique_text("disk")
    first = compile_stablehlo(text, CPU)
    script = (
        "import sys, json\n"
        "from irax.runtime import compiler, cache, compile_flags\n"
        "data = compiler.compile_stablehlo(sys.stdin.read(), compile_flags('llvm-cpu'))\n"
        "print(json.dumps([compiler.stats['iree_compiles'], cache.stats['disk_hits'], len(data)]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], input=text, capture_output=True, text=True, check=True,
        cwd=ROOT, env={**os.environ, "IRAX_CACHE_DIR": str(isolated_cache), "PYTHONPATH": str(ROOT)},
    ).stdout
    assert out.strip() == f"[0, 1, {len(first)}]"


def test_truncated_entry_is_rebuilt(isolated_cache: Path) -> None:
    text = unique_text("trunc")
    good = compile_stablehlo(text, CPU)
    key = cache.cache_key(text, CPU)
    path = isolated_cache / "modules" / f"{key}.irxc"
    path.write_bytes(path.read_bytes()[:-100])  # truncated
    compiler._memory.pop(key)
    before = dict(compiler.stats), dict(cache.stats)
    again = compile_stablehlo(text, CPU)
    assert again == good
    assert compiler.stats["iree_compiles"] == before[0]["iree_compiles"] + 1
    assert cache.stats["corrupt"] == before[1]["corrupt"] + 1
    assert cache.get(key) == good  # rewritten whole


def test_corrupt_payload_detected(isolated_cache: Path) -> None:
    cache.put("k2", b"x" * 100)
    p = isolated_cache / "modules" / "k2.irxc"
    raw = bytearray(p.read_bytes())
    raw[-1] ^= 0xFF
    p.write_bytes(bytes(raw))
    assert cache.get("k2") is None and not p.exists()


def test_unwritable_dir_warns_once_and_still_compiles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "not_a_dir"
    blocker.write_text("a file where the cache dir should be")
    monkeypatch.setenv("IRAX_CACHE_DIR", str(blocker / "cache"))  # root ignores chmod; this fails for anyone
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data1 = compile_stablehlo(unique_text("ro1"), CPU)
        data2 = compile_stablehlo(unique_text("ro2"), CPU)
    assert data1 and data2
    assert len([w for w in caught if "not writable" in str(w.message)]) == 1


def test_eight_threads_compile_once() -> None:
    text = unique_text("threads")
    before = compiler.stats["iree_compiles"]
    results: list[bytes] = []
    barrier = threading.Barrier(8)

    def worker() -> None:
        barrier.wait()
        results.append(compile_stablehlo(text, CPU))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 8 and len(set(results)) == 1
    assert compiler.stats["iree_compiles"] == before + 1
    (r,) = Executable(results[0], "local-sync").call("main", [np.asarray(2.0, np.float32)])
    assert float(r) == 4.0


def test_concurrent_processes_same_key(isolated_cache: Path) -> None:
    payload = os.urandom(1 << 20)
    script = (
        "import sys\nfrom irax.runtime import cache\n"
        "data = open(sys.argv[1], 'rb').read()\n"
        "for _ in range(20): cache.put('shared', data); assert cache.get('shared') in (None, data)\n"
    )
    src = isolated_cache.parent / "payload.bin"
    src.write_bytes(payload)
    env = {**os.environ, "IRAX_CACHE_DIR": str(isolated_cache), "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-c", script, str(src)], env=env) for _ in range(3)]
    assert all(p.wait() == 0 for p in procs)
    assert cache.get("shared") == payload
