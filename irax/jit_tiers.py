"""Tiered execution for irax.jit: calls run the traced jaxpr eagerly while IREE compiles.

A jit call whose module is in neither the memory nor the disk cache would wait seconds for
IREE (about 3 s for an MLP's value_and_grad step on 2 cores). Instead the module compiles
in a background thread (IREE's C API releases the GIL) and, until it is ready, each call of
that signature runs the same traced jaxpr through the eager (NumPy) evaluator. The Python
function is traced once either way, so its side effects happen exactly as under JAX's jit;
the values agree with the compiled ones within float32 rounding (the fuzzers hold eager and
compiled irax to the same semantics).

Which tier ran is visible: `JitFunction.tier_of(*args)` and `Compiled.last_tier` say
"eager" or "compiled". It is controllable: `irax.config.update("jit_tiered", False)`,
`$IRAX_JIT_TIERED=0`, or `irax.jit(f, tiered=False)`, make every first call wait for IREE.

Tiering applies to modules whose jaxpr has no debug callback (a print must come from one
place) and whose eager run cannot outlast the compile by much: an eager while or scan loop
checks after each iteration whether the module is ready and, if it is, the call is handed
to the compiled module (the jaxpr is pure, so nothing is done twice). A background compile
that fails leaves that signature on the eager tier with one RuntimeWarning carrying IREE's
diagnostics: the program keeps its correct values.
"""
from __future__ import annotations

import atexit
import os
import threading
import time
import warnings
from typing import Any, Callable, Sequence

from .tracer import core
from .tracer.core import Array, ClosedJaxpr
from .tracer.dtypes import config

__all__ = ["tiering_enabled", "BackgroundCompile", "run_eager", "pure_jaxpr"]


class _TieredOption:
    """`irax.config.update("jit_tiered", bool)` (default: $IRAX_JIT_TIERED, else on)."""

    def __init__(self) -> None:
        self.value = os.environ.get("IRAX_JIT_TIERED", "1").strip().lower() not in (
            "0", "false", "no", "off")

    def set(self, value: Any) -> None:
        if not isinstance(value, (bool, int)):
            raise ValueError(f"jit_tiered: expected a bool, got {value!r}")
        self.value = bool(value)


_option = _TieredOption()
config.options["jit_tiered"] = _option
config.options["irax_jit_tiered"] = _option


def tiering_enabled(per_function: bool | None) -> bool:
    return _option.value if per_function is None else per_function


# Primitives whose eager and compiled runs are observably different events (a print, a
# user callback with effects): a jaxpr holding one always waits for its module.
_EFFECTFUL = frozenset({"debug_callback", "io_callback", "check"})


def pure_jaxpr(jaxpr: core.Jaxpr) -> bool:
    for e in jaxpr.eqns:
        if e.primitive.name in _EFFECTFUL:
            return False
        if not all(pure_jaxpr(sub) for sub in core.sub_jaxprs(e.params)):
            return False
    return True


# Background compiles running at once (IREE's compile is itself multi-threaded; more at
# once only oversubscribes the cores the eager tier also needs). Queued ones wait here.
_compile_slots = threading.BoundedSemaphore(max(1, (os.cpu_count() or 2) // 2))


# At exit the interpreter waits this long, in all, for compiles still running. A daemon
# thread alive at finalization keeps the runtime's objects from being freed (IREE's
# nanobind bindings then print a page of "leaked instance" lines), and a finished compile
# lands in the disk cache, so the next run of the script starts warm.
EXIT_WAIT_S = 120.0
_running: set["BackgroundCompile"] = set()
_running_lock = threading.Lock()


def wait_for_background_compiles(timeout: float | None = None) -> None:
    """Wait for the compiles running in the background now (at most `timeout` seconds in
    all; irax.effects_barrier waits for them all)."""
    deadline = None if timeout is None else time.monotonic() + timeout
    with _running_lock:
        jobs = list(_running)
    for job in jobs:
        job.wait(None if deadline is None else max(0.0, deadline - time.monotonic()))


@atexit.register
def _wait_for_running_compiles() -> None:
    wait_for_background_compiles(EXIT_WAIT_S)


class BackgroundCompile:
    """`compile_fn()` -> (vmfb, key) running in a daemon thread (the disk cache is written
    atomically; at exit the process waits for it, at most EXIT_WAIT_S)."""

    def __init__(self, name: str, compile_fn: Callable[[], tuple[bytes, str]]) -> None:
        self.name = name
        self._done = threading.Event()
        self.result: tuple[bytes, str] | None = None
        self.error: BaseException | None = None
        self._warned = False
        with _running_lock:
            _running.add(self)
        thread = threading.Thread(target=self._run, args=(compile_fn,),
                                  name=f"irax-compile-{name}", daemon=True)
        thread.start()

    def _run(self, compile_fn) -> None:
        try:
            with _compile_slots:
                self.result = compile_fn()
        except BaseException as e:   # reported to the calling thread, never lost
            self.error = e
        finally:
            self._done.set()
            with _running_lock:
                _running.discard(self)

    def ready(self) -> bool:
        """True when the module is compiled (False while compiling or after a failure)."""
        return self._done.is_set() and self.result is not None

    def failed(self) -> bool:
        if not (self._done.is_set() and self.error is not None):
            return False
        if not self._warned:
            self._warned = True
            warnings.warn(f"irax.jit: IREE could not compile {self.name} "
                          f"({type(self.error).__name__}: {self.error}); its calls keep "
                          "running on the eager tier", RuntimeWarning, stacklevel=4)
        return True

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)


class _SwitchToCompiled(BaseException):
    """Raised inside an eager loop when the compiled module became ready (BaseException:
    nothing on the way may swallow it as an error)."""


def run_eager(closed: ClosedJaxpr, in_weak: Sequence[bool], values: Sequence[Any],
              compile_job: BackgroundCompile | None) -> list[Any] | None:
    """The outputs of `closed` on the executable's argument values, evaluated eagerly;
    None if the eager loops gave way to the compiled module that became ready meanwhile."""
    args = [Array(v, w) for v, w in zip(values, in_weak)]
    state = core._state
    outer = state.eager_tier, state.loop_poll
    state.eager_tier = True
    if compile_job is not None:
        def poll() -> None:
            if compile_job.ready():
                raise _SwitchToCompiled
        state.loop_poll = poll
    try:
        outs = core.eval_jaxpr(closed.jaxpr, closed.consts, args)
    except _SwitchToCompiled:
        return None
    finally:
        state.eager_tier, state.loop_poll = outer
    return [o._value if isinstance(o, Array) else o for o in outs]
