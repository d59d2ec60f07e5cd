"""JAX's persistent-cache options drive irax's disk cache: the directory, on/off, the
minimum compile time and entry size, and the size limit (least recently used go first)."""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

import irax
from irax.experimental.compilation_cache import compilation_cache as cc
from irax.runtime import cache, compile_flags, compiler
from irax.runtime.compiler import compile_stablehlo

from tests.runtime.rt_snippets import SCALAR

CPU = compile_flags("llvm-cpu")


@pytest.fixture(autouse=True)
def default_settings():
    yield
    cc.reset_cache()


def fresh_text(tag: str) -> str:
    return f"// settings {tag} {os.getpid()} {time.perf_counter_ns()}\n" + SCALAR


def entries(d: Path) -> list[Path]:
    return sorted((d / "modules").glob("*.irxc"))


def test_set_cache_dir_moves_reads_and_writes(tmp_path: Path, isolated_cache: Path) -> None:
    chosen = tmp_path / "chosen"
    cc.set_cache_dir(chosen)
    assert irax.config.jax_compilation_cache_dir == str(chosen)
    text = fresh_text("dir")
    data = compile_stablehlo(text, CPU)
    key = cache.cache_key(text, CPU)
    assert [p.name for p in entries(chosen)] == [f"{key}.irxc"]
    assert entries(isolated_cache) == []
    assert cache.get(key) == data
    irax.config.update("jax_compilation_cache_dir", None)   # back to $IRAX_CACHE_DIR
    assert cache.get(key) is None


def test_disabled_cache_neither_reads_nor_writes(isolated_cache: Path) -> None:
    cache.put("kept", b"payload")
    with irax.config_flags.enable_compilation_cache(False):
        assert cache.get("kept") is None
        compile_stablehlo(fresh_text("off"), CPU)
        assert [p.stem for p in entries(isolated_cache)] == ["kept"]
    assert cache.get("kept") == b"payload"


def test_minimum_compile_time_and_entry_size_leave_entries_out(isolated_cache: Path) -> None:
    irax.config.update("jax_persistent_cache_min_compile_time_secs", 3600)
    compile_stablehlo(fresh_text("quick"), CPU)
    assert entries(isolated_cache) == []
    irax.config.update("jax_persistent_cache_min_compile_time_secs", 0)
    irax.config.update("jax_persistent_cache_min_entry_size_bytes", 10**9)
    compile_stablehlo(fresh_text("small"), CPU)
    assert entries(isolated_cache) == []
    irax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    text = fresh_text("written")
    compile_stablehlo(text, CPU)
    assert [p.stem for p in entries(isolated_cache)] == [cache.cache_key(text, CPU)]


def test_size_limit_evicts_least_recently_used(isolated_cache: Path) -> None:
    payload = b"x" * 1000
    irax.config.update("jax_compilation_cache_max_size", 2500)
    for i, key in enumerate(["a", "b"]):
        cache.put(key, payload)
        os.utime(entries(isolated_cache)[i], (100 + i, 100 + i))   # a older than b
    assert cache.get("a") == payload      # a hit makes a the most recently used
    cache.put("c", payload)               # three entries > 2500 bytes: b goes
    assert [p.stem for p in entries(isolated_cache)] == ["a", "c"]
    irax.config.update("jax_compilation_cache_max_size", 10)
    cache.put("d", payload)               # larger than the limit on its own
    assert entries(isolated_cache) == []


def test_bad_option_values_raise_value_error() -> None:
    with pytest.raises(ValueError, match="compilation_cache_dir"):
        irax.config.update("jax_compilation_cache_dir", 3)
    with pytest.raises(ValueError, match="min_entry_size_bytes"):
        irax.config.update("jax_persistent_cache_min_entry_size_bytes", 1.5)
    with pytest.raises(ValueError, match="min_compile_time_secs"):
        irax.config.update("jax_persistent_cache_min_compile_time_secs", "1")
    assert irax.config.jax_persistent_cache_min_compile_time_secs == 0.0
