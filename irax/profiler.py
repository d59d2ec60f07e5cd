"""irax.profiler (as jax.profiler): host-side traces in the Chrome trace-event format.

    with irax.profiler.trace("/tmp/logs"):
        with irax.profiler.TraceAnnotation("step"):
            f(x)

writes /tmp/logs/plugins/profile/<run>/<host>.trace.json.gz: the layout TensorBoard's
profile plugin reads and the JSON Perfetto (ui.perfetto.dev) and chrome://tracing open.
It holds one complete event ("ph": "X") per TraceAnnotation / StepTraceAnnotation /
annotate_function span and per irax.jit stage: "lower <f>", "compile <f>" (IREE) and
"execute <f>" (each call of a compiled module). Times are host wall-clock microseconds;
IREE's device activity is not sampled (an execute span ends when the call returns, which
for asynchronous drivers may be before the device finishes).

device_memory_profile() describes the live irax.Arrays as a gzipped pprof protocol buffer
(one sample per shape and dtype: count and bytes), as `pprof` reads it.

This module imports only the tracer and irax.monitoring, so irax.jit records its spans
through it (and reports its compile durations to irax.monitoring's listeners).
"""
from __future__ import annotations

import contextlib
import functools
import gc
import gzip
import json
import os
import socket
import threading
import time
from pathlib import Path
from typing import Any, Callable

from . import monitoring

__all__ = ["trace", "start_trace", "stop_trace", "TraceAnnotation", "StepTraceAnnotation",
           "annotate_function", "device_memory_profile", "save_device_memory_profile",
           "start_server", "stop_server", "register_subprocess", "ProfileOptions"]


class _State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.active = False          # read by irax.jit on every compiled call
        self.log_dir: Path | None = None
        self.events: list[dict[str, Any]] = []
        self.create_perfetto_trace = False
        self.t0 = 0.0


_state = _State()


def _now_us() -> float:
    return time.perf_counter() * 1e6


def _record(name: str, start_us: float, end_us: float, cat: str, args: dict | None) -> None:
    ev = {"name": name, "ph": "X", "cat": cat, "ts": start_us - _state.t0,
          "dur": max(end_us - start_us, 0.0), "pid": os.getpid(), "tid": threading.get_ident()}
    if args:
        ev["args"] = {k: str(v) for k, v in args.items()}
    with _state.lock:
        if _state.active:
            _state.events.append(ev)


@contextlib.contextmanager
def span(name: str, cat: str = "irax", event: str | None = None, fun_name: str | None = None,
         **args: Any):
    """Record a span while a trace runs (irax.jit's stages use it); with `event`, also
    report its duration to irax.monitoring's listeners (with fun_name=)."""
    report = event is not None and monitoring.listening()
    if not (_state.active or report):
        yield
        return
    start, wall = _now_us(), time.time()
    try:
        yield
    finally:
        end = _now_us()
        if _state.active:
            _record(name, start, end, cat, args)
        if report:
            kw = {} if fun_name is None else {"fun_name": fun_name}
            monitoring.record_event_duration_secs(event, (end - start) / 1e6, **kw)
            monitoring.record_event_time_span(event, wall, wall + (end - start) / 1e6, **kw)


class ProfileOptions:
    """Options of a trace (as jax.profiler.ProfileOptions); irax records host spans only,
    so these are kept and not used."""

    def __init__(self) -> None:
        self.host_tracer_level = 2
        self.python_tracer_level = 0
        self.enable_hlo_proto = True
        self.start_timestamp_ns = 0
        self.duration_ms = 0
        self.repository_path = ""
        self.raise_error_on_start_failure = False
        self.advanced_configuration: dict[str, Any] = {}


def start_trace(log_dir: os.PathLike | str, create_perfetto_link: bool = False,
                create_perfetto_trace: bool = False,
                profiler_options: ProfileOptions | None = None) -> None:
    """Start collecting spans; stop_trace writes them under log_dir. RuntimeError if a
    trace is already running (one at a time, as in JAX)."""
    if create_perfetto_link:
        raise NotImplementedError("irax.profiler: create_perfetto_link (serving the trace to "
                                  "ui.perfetto.dev) is not supported; use "
                                  "create_perfetto_trace=True and open the file there")
    with _state.lock:
        if _state.active:
            raise RuntimeError("Profile has already been started. Only one profile may be "
                               "run at a time.")
        _state.log_dir = Path(log_dir)
        _state.events = []
        _state.create_perfetto_trace = create_perfetto_trace
        _state.t0 = _now_us()
        _state.active = True


def stop_trace() -> Path:
    """Stop the trace and write it; returns the path of the `.trace.json.gz` file.
    RuntimeError if no trace is running."""
    with _state.lock:
        if not _state.active:
            raise RuntimeError("No profile started")
        _state.active = False
        events, log_dir = _state.events, _state.log_dir
        _state.events = []
    run = time.strftime("%Y_%m_%d_%H_%M_%S") + f"_{os.getpid()}"
    folder = log_dir / "plugins" / "profile" / run
    folder.mkdir(parents=True, exist_ok=True)
    host = socket.gethostname() or "localhost"
    meta = [{"name": "process_name", "ph": "M", "pid": os.getpid(),
             "args": {"name": f"irax host {host}"}}]
    doc = {"displayTimeUnit": "ms", "traceEvents": meta + events}
    path = folder / f"{host}.trace.json.gz"
    with gzip.open(path, "wt", encoding="utf-8") as f:
        json.dump({**doc, "metadata": {"producer": "irax"}}, f)
    if _state.create_perfetto_trace:   # Perfetto refuses the "metadata" entry (as in JAX)
        with gzip.open(folder / "perfetto_trace.json.gz", "wt", encoding="utf-8") as f:
            json.dump(doc, f)
    return path


@contextlib.contextmanager
def trace(log_dir: os.PathLike | str, create_perfetto_link: bool = False,
          create_perfetto_trace: bool = False,
          profiler_options: ProfileOptions | None = None):
    """Context manager: start_trace on entry, stop_trace on exit."""
    start_trace(log_dir, create_perfetto_link, create_perfetto_trace, profiler_options)
    try:
        yield
    finally:
        stop_trace()


class TraceAnnotation:
    """A named span on the trace timeline for the code it encloses; keyword arguments are
    shown as the event's args."""

    def __init__(self, name: str, **kwargs: Any) -> None:
        self.name = name
        self.kwargs = kwargs
        self._start: float | None = None

    def __enter__(self) -> "TraceAnnotation":
        self._start = _now_us() if _state.active else None
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._start is not None:
            _record(self.name, self._start, _now_us(), "annotation", self.kwargs)


class StepTraceAnnotation(TraceAnnotation):
    """A training step's span: `StepTraceAnnotation("train", step_num=i)`."""

    def __init__(self, name: str, **kwargs: Any) -> None:
        super().__init__(name, **kwargs)


def annotate_function(func: Callable, name: str | None = None, **decorator_kwargs: Any):
    """Decorator: each call of func is a span named name (default: its qualified name)."""
    name = name or getattr(func, "__qualname__", None) or func.__name__

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with TraceAnnotation(name, **decorator_kwargs):
            return func(*args, **kwargs)
    return wrapper


def start_server(port: int) -> Any:
    raise NotImplementedError(
        "irax.profiler.start_server: irax has no profiler server for TensorBoard to "
        "connect to; record a trace with irax.profiler.trace(log_dir) instead")


def stop_server() -> None:
    raise RuntimeError("No profiler server is running (irax.profiler has none).")


def register_subprocess(pid: int, port: int) -> Callable[[], None]:
    raise NotImplementedError(
        "irax.profiler.register_subprocess: irax has no profiler servers to connect; each "
        "process records its own trace with irax.profiler.trace(log_dir)")


# ---------------------------------------------------------------------------
# Device memory profile: live arrays as pprof (github.com/google/pprof profile.proto)


def _live_arrays() -> list[Any]:
    from .tracer.core import Array
    return [o for o in gc.get_objects() if type(o) is Array]


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(num: int, payload: bytes | int) -> bytes:
    if isinstance(payload, int):   # wire type 0 (varint)
        return _varint(num << 3) + _varint(payload)
    return _varint((num << 3) | 2) + _varint(len(payload)) + payload   # length-delimited


def device_memory_profile(backend: str | None = None) -> bytes:
    """The live irax.Arrays as a gzipped pprof Profile: sample types (allocations, count)
    and (space, bytes); one sample per (dtype, shape), its location a function named so."""
    import numpy as np
    groups: dict[str, list[int]] = {}
    for a in _live_arrays():
        try:
            key = f"{np.dtype(a.dtype).name}{list(a.shape)}"
            nbytes = int(np.prod(a.shape)) * np.dtype(a.dtype).itemsize
        except Exception:   # an Array of an extended dtype (a PRNG key) has no itemsize
            continue
        g = groups.setdefault(key, [0, 0])
        g[0] += 1
        g[1] += nbytes
    strings = ["", "allocations", "count", "space", "bytes"]

    def sid(s: str) -> int:
        strings.append(s)
        return len(strings) - 1

    out = _field(1, _field(1, 1) + _field(2, 2)) + _field(1, _field(1, 3) + _field(2, 4))
    for i, (key, (count, nbytes)) in enumerate(sorted(groups.items()), 1):
        name = sid(key)
        out += _field(2, _field(1, _varint(i)) + _field(2, _varint(count) + _varint(nbytes)))
        out += _field(4, _field(1, i) + _field(4, _field(1, i)))
        out += _field(5, _field(1, i) + _field(2, name) + _field(3, name))
    for s in strings:
        out += _field(6, s.encode())
    return gzip.compress(out)


def save_device_memory_profile(filename: os.PathLike | str, backend: str | None = None) -> None:
    with open(filename, "wb") as f:
        f.write(device_memory_profile(backend))
