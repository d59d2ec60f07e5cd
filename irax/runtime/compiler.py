"""StableHLO text -> IREE VM flatbuffer, in process, cached in memory and on disk.

`iree.compiler` is imported lazily here so that `irax.runtime` (loading and
running saved modules) works without the compiler package installed.
"""
from __future__ import annotations

import ctypes
import hashlib
import threading
import time
from typing import Any

from . import cache

# Observable counter: number of real IREE compiles in this process.
stats: dict[str, int] = {"iree_compiles": 0, "memory_hits": 0}

_memory: dict[str, bytes] = {}
_key_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()

# Flags that are process-global LLVM options in IREE 3.13, refused by
# `Session.set_flags`: a compile that needs one runs `iree-compile` in a
# subprocess instead (multi-target modules; rare, so the ~0.1 s start-up is fine).
_GLOBAL_ONLY_FLAGS = ("--iree-hal-link-executables",)

_SEVERITY = {0: "note", 1: "warning", 2: "error", 3: "remark"}

# void (*)(severity, const char *message, size_t size, void *user_data)
_DIAG_CALLBACK = ctypes.CFUNCTYPE(None, ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p)
_callback_api_ready = False


class CompileError(Exception):
    """IREE rejected a module. Carries IREE's own diagnostics and where the text was saved."""

    def __init__(self, message: str, diagnostics: str, source_path: str | None) -> None:
        super().__init__(message)
        self.diagnostics = diagnostics
        self.source_path = source_path


def _lock_for(key: str) -> threading.Lock:
    with _locks_guard:
        lock = _key_locks.get(key)
        if lock is None:
            lock = _key_locks[key] = threading.Lock()
        return lock


def compile_stablehlo(text: str, flags: list[str]) -> bytes:
    """Compile StableHLO text with `flags` (see targets.compile_flags) to vmfb bytes.

    Concurrent callers with the same (text, flags) compile once; the result
    is memoized per process and stored in the disk cache.
    """
    key = cache.cache_key(text, flags)
    hit = _memory.get(key)
    if hit is not None:
        stats["memory_hits"] += 1
        return hit
    with _lock_for(key):
        hit = _memory.get(key)
        if hit is not None:
            stats["memory_hits"] += 1
            return hit
        data = cache.get(key)
        if data is None:
            started = time.perf_counter()
            if any(f.split("=", 1)[0] in _GLOBAL_ONLY_FLAGS for f in flags):
                data = _compile_subprocess(text, flags, key)
            else:
                data = _compile_in_process(text, flags, key)
            cache.put(key, data, compile_secs=time.perf_counter() - started)
        _memory[key] = data
        return data


def is_cached(text: str, flags: list[str]) -> bool:
    """Would compile_stablehlo(text, flags) return without compiling (memory or disk hit)?"""
    key = cache.cache_key(text, flags)
    if key in _memory:
        return True
    data = cache.get(key)   # a valid disk entry is kept in memory for that call
    if data is not None:
        _memory[key] = data
    return data is not None


def _enable_callback_diagnostics(dylib: Any, inv_p: Any, sink: list[str]) -> Any:
    """Route the invocation's diagnostics into `sink` (not the console)."""
    global _callback_api_ready
    fn = dylib.ireeCompilerInvocationEnableCallbackDiagnostics
    if not _callback_api_ready:
        fn.restype = None
        fn.argtypes = [ctypes.c_void_p, ctypes.c_int, _DIAG_CALLBACK, ctypes.c_void_p]
        _callback_api_ready = True

    def on_diag(severity: int, message: int, size: int, _user: int) -> None:
        text = ctypes.string_at(message, size).decode("utf-8", "replace")
        sink.append(f"{_SEVERITY.get(severity, 'diag')}: {text}")

    cb = _DIAG_CALLBACK(on_diag)
    fn(inv_p, 0, cb, None)
    return cb  # caller keeps it alive for the invocation's lifetime


def _compile_in_process(text: str, flags: list[str], key: str) -> bytes:
    from iree.compiler.api import Output, Session, Source
    from iree.compiler.api import ctypes_dl

    stats["iree_compiles"] += 1
    diags: list[str] = []
    session = Session()
    try:
        try:
            session.set_flags(*flags)
        except ValueError as e:  # unknown or malformed flag
            raise _error("IREE rejected the compile flags", str(e), text, key) from None
        inv = session.invocation()
        try:
            keepalive = _enable_callback_diagnostics(ctypes_dl._dylib, inv._inv_p, diags)
            source = Source.wrap_buffer(session, text.encode() + b"\0")
            ok = inv.parse_source(source) and inv.execute()
            if not ok:
                raise _error("IREE failed to compile the StableHLO module", "\n".join(diags), text, key)
            output = Output.open_membuffer()
            try:
                inv.output_vm_bytecode(output)
                data = bytes(output.map_memory())
            finally:
                output.close()
            del keepalive
            return data
        finally:
            inv.close()
    finally:
        session.close()


def _compile_subprocess(text: str, flags: list[str], key: str) -> bytes:
    import subprocess
    import tempfile

    from iree.compiler.tools.binaries import find_tool

    stats["iree_compiles"] += 1
    with tempfile.TemporaryDirectory(prefix="irax-compile-") as tmp:
        out = f"{tmp}/module.vmfb"
        proc = subprocess.run(
            [find_tool("iree-compile"), "-", "-o", out, *flags],
            input=text.encode(),
            capture_output=True,
        )
        if proc.returncode != 0:
            diags = proc.stderr.decode("utf-8", "replace").strip()
            raise _error("IREE failed to compile the StableHLO module", diags, text, key)
        with open(out, "rb") as f:
            return f.read()


def _error(headline: str, diagnostics: str, text: str, key: str) -> CompileError:
    path: str | None
    try:
        p = cache.failed_source_dir() / f"{key[:20] or hashlib.sha256(text.encode()).hexdigest()[:20]}.mlir"
        p.write_text(text)
        path = str(p)
    except OSError:
        path = None
    where = f"\nStableHLO text written to: {path}" if path else ""
    return CompileError(f"{headline}:\n{diagnostics or '(no diagnostics)'}{where}", diagnostics, path)
