"""Disk cache of compiled module bytes.

Layout: `<dir>/modules/<key>.irxc`, dir = the `jax_compilation_cache_dir` option if set,
else `$IRAX_CACHE_DIR`, else `~/.cache/irax`.
Each entry is `MAGIC | payload length (8 bytes, little endian) | sha256(payload) | payload`,
so a truncated or corrupted entry is detected, deleted and reported as a miss.
Writes go to a temp file in the same directory, are fsync'ed, then
`os.replace`d into place: readers see the old entry, no entry, or the whole
new one, and concurrent writers of one key simply race to an identical file.
A cache dir that cannot be written (read-only, full, not a directory) turns
disk caching off for that dir with a single warning; compiling still works.

`settings` holds JAX's persistent-cache options (irax.config's `jax_compilation_cache_dir`,
`jax_enable_compilation_cache`, `jax_persistent_cache_min_compile_time_secs`,
`jax_persistent_cache_min_entry_size_bytes`, `jax_compilation_cache_max_size`). Unlike
JAX, irax caches every module by default: its warm start depends on it.
"""
from __future__ import annotations

import functools
import hashlib
import os
import tempfile
import threading
import warnings
from pathlib import Path

MAGIC = b"IRAXC1\n\0"
_HEADER_LEN = len(MAGIC) + 8 + 32

# Observable counters, for tests and debugging (timing-free signals).
stats: dict[str, int] = {"disk_hits": 0, "disk_misses": 0, "corrupt": 0, "writes": 0,
                         "evictions": 0}

_lock = threading.Lock()
_unwritable_dirs: set[str] = set()  # dirs already warned about

DEFAULT_SETTINGS: dict[str, object] = {
    "dir": None,                  # None: $IRAX_CACHE_DIR or ~/.cache/irax
    "enabled": True,
    "min_compile_time_secs": 0.0,
    "min_entry_size_bytes": 0,    # > 0: smaller entries are not written
    "max_size": -1,               # >= 0: least recently used entries go beyond it
}
settings: dict[str, object] = dict(DEFAULT_SETTINGS)


def cache_dir() -> Path:
    """The cache root; read each time so tests can change `$IRAX_CACHE_DIR`."""
    if settings["dir"] is not None:
        return Path(str(settings["dir"]))
    env = os.environ.get("IRAX_CACHE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "irax"


@functools.cache
def compiler_version() -> str:
    """IREE compiler version + revision: part of every cache key. (Imported when first
    needed: loading a saved module must not need iree.compiler.)"""
    v = _compiler_version_module()
    rev = ",".join(f"{k}={h}" for k, h in sorted(getattr(v, "REVISIONS", {}).items()))
    return f"{v.VERSION}{getattr(v, 'PACKAGE_SUFFIX', '')}({rev})"


def _compiler_version_module():
    """iree.compiler's version.py, read without importing iree.compiler (whose __init__
    loads the MLIR bindings: ~30 ms that a disk-cache hit does not need)."""
    import importlib.util
    import types
    try:
        spec = importlib.util.find_spec("iree.compiler")
        path = Path(next(iter(spec.submodule_search_locations))) / "version.py"
        module = types.ModuleType("_irax_iree_compiler_version")
        exec(compile(path.read_text(), str(path), "exec"), module.__dict__)
        return module
    except (ImportError, AttributeError, StopIteration, OSError, TypeError):
        from iree.compiler import version
        return version


def cache_key(text: str, flags: list[str]) -> str:
    """sha256 over the StableHLO text, the flags and the IREE compiler version."""
    h = hashlib.sha256()
    h.update(compiler_version().encode())
    h.update(b"\0")
    for f in flags:
        h.update(f.encode())
        h.update(b"\0")
    h.update(b"\0")
    h.update(text.encode())
    return h.hexdigest()


def _entry_path(key: str) -> Path:
    return cache_dir() / "modules" / f"{key}.irxc"


def _disabled() -> bool:
    return not settings["enabled"] or str(cache_dir()) in _unwritable_dirs


def _disable(reason: BaseException) -> None:
    d = str(cache_dir())
    with _lock:
        if d in _unwritable_dirs:
            return
        _unwritable_dirs.add(d)
    warnings.warn(
        f"irax: compile cache dir {d!r} is not writable ({reason}); running without disk cache",
        RuntimeWarning,
        stacklevel=3,
    )


def get(key: str) -> bytes | None:
    """Cached payload for `key`, or None (missing, unreadable, corrupt or caching off)."""
    if not settings["enabled"]:
        stats["disk_misses"] += 1
        return None
    path = _entry_path(key)
    try:
        raw = path.read_bytes()
    except OSError:
        stats["disk_misses"] += 1
        return None
    payload = raw[_HEADER_LEN:]
    ok = (
        len(raw) >= _HEADER_LEN
        and raw[: len(MAGIC)] == MAGIC
        and int.from_bytes(raw[len(MAGIC) : len(MAGIC) + 8], "little") == len(payload)
        and raw[len(MAGIC) + 8 : _HEADER_LEN] == hashlib.sha256(payload).digest()
    )
    if not ok:
        stats["corrupt"] += 1
        stats["disk_misses"] += 1
        try:
            path.unlink()
        except OSError:
            pass  # another process may have replaced or removed it already
        return None
    stats["disk_hits"] += 1
    if int(settings["max_size"]) >= 0:
        _touch(path)   # the eviction order is by last use
    return payload


def put(key: str, data: bytes, compile_secs: float | None = None) -> bool:
    """Store `data` atomically; False if the settings leave it out (compiled faster than
    min_compile_time_secs, smaller than min_entry_size_bytes) or, after one warning per dir,
    if the dir is unwritable."""
    if _disabled():
        return False
    if compile_secs is not None and compile_secs < float(settings["min_compile_time_secs"]):
        return False
    if len(data) + _HEADER_LEN < int(settings["min_entry_size_bytes"]):
        return False
    path = _entry_path(key)
    header = MAGIC + len(data).to_bytes(8, "little") + hashlib.sha256(data).digest()
    tmp_name: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{key[:16]}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(header)
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_name, path)
        tmp_name = None
    except OSError as e:
        _disable(e)
        return False
    finally:
        if tmp_name is not None:
            try:
                os.unlink(tmp_name)
            except OSError:
                pass
    stats["writes"] += 1
    if int(settings["max_size"]) >= 0:
        _evict_beyond(int(settings["max_size"]), keep=path)
    return True


def _touch(path: Path) -> None:
    try:
        os.utime(path)
    except OSError:
        pass


def _evict_beyond(max_size: int, keep: Path) -> None:
    """Delete the least recently used entries until the entries total at most `max_size`
    bytes; the entry just written goes only if it alone is larger."""
    entries = []
    for p in (cache_dir() / "modules").glob("*.irxc"):
        try:
            st = p.stat()
        except OSError:
            continue   # removed by another process meanwhile
        entries.append((p != keep, st.st_mtime, st.st_size, p))
    total = sum(e[2] for e in entries)
    for _, _, size, p in sorted(entries, key=lambda e: (not e[0], e[1])):
        if total <= max_size:
            break
        try:
            p.unlink()
            stats["evictions"] += 1
        except OSError:
            pass
        total -= size


def failed_source_dir() -> Path:
    """Where the text of failed compiles is written: `<cache>/failed`, else the temp dir."""
    d = cache_dir() / "failed"
    if not _disabled():
        try:
            d.mkdir(parents=True, exist_ok=True)
            if os.access(d, os.W_OK):
                return d
        except OSError:
            pass
    d = Path(tempfile.gettempdir()) / "irax-failed"
    d.mkdir(parents=True, exist_ok=True)
    return d
