"""irax.monitoring (as jax.monitoring): listeners for named events, durations, time spans
and scalars.

    irax.monitoring.register_event_duration_secs_listener(
        lambda event, secs, **kw: print(event, kw["fun_name"], secs))

irax.jit reports, as JAX names them, "/jax/core/compile/jaxpr_to_mlir_module_duration"
(lowering to StableHLO) and "/jax/core/compile/backend_compile_duration" (IREE; a disk
cache hit included), each with fun_name=, as a duration and as a time span. A program's
own record_* calls reach the listeners registered for their kind.

This module imports nothing of irax: irax.profiler's spans report through it.
"""
from __future__ import annotations

from typing import Any, Callable

__all__ = ["record_event", "record_event_duration_secs", "record_event_time_span",
           "record_scalar", "register_event_listener",
           "register_event_duration_secs_listener", "register_event_time_span_listener",
           "register_scalar_listener", "unregister_event_listener",
           "unregister_event_duration_listener", "unregister_event_time_span_listener",
           "unregister_scalar_listener", "clear_event_listeners"]

JAXPR_TO_MLIR_MODULE_EVENT = "/jax/core/compile/jaxpr_to_mlir_module_duration"
BACKEND_COMPILE_EVENT = "/jax/core/compile/backend_compile_duration"

_event: list[Callable[..., Any]] = []
_duration: list[Callable[..., Any]] = []
_span: list[Callable[..., Any]] = []
_scalar: list[Callable[..., Any]] = []


def listening() -> bool:
    """Whether a duration or time-span listener would hear irax.jit's compile events."""
    return bool(_duration or _span)


def record_event(event: str, **kwargs: str | int) -> None:
    for cb in list(_event):
        cb(event, **kwargs)


def record_event_duration_secs(event: str, duration: float, **kwargs: str | int) -> None:
    for cb in list(_duration):
        cb(event, duration, **kwargs)


def record_event_time_span(event: str, start_time: float, end_time: float,
                           **kwargs: str | int) -> None:
    for cb in list(_span):
        cb(event, start_time, end_time, **kwargs)


def record_scalar(event: str, value: float | int, **kwargs: str | int) -> None:
    for cb in list(_scalar):
        cb(event, value, **kwargs)


def register_event_listener(callback: Callable[..., Any]) -> None:
    _event.append(callback)


def register_event_duration_secs_listener(callback: Callable[..., Any]) -> None:
    _duration.append(callback)


def register_event_time_span_listener(callback: Callable[..., Any]) -> None:
    _span.append(callback)


def register_scalar_listener(callback: Callable[..., Any]) -> None:
    _scalar.append(callback)


def _unregister(listeners: list, callback: Callable[..., Any], what: str) -> None:
    if callback not in listeners:   # AssertionError, as JAX's check
        raise AssertionError(f"{what} listener {callback} is not registered")
    listeners.remove(callback)


def unregister_event_listener(callback: Callable[..., Any]) -> None:
    _unregister(_event, callback, "event")


def unregister_event_duration_listener(callback: Callable[..., Any]) -> None:
    _unregister(_duration, callback, "event duration")


def unregister_event_time_span_listener(callback: Callable[..., Any]) -> None:
    _unregister(_span, callback, "event time span")


def unregister_scalar_listener(callback: Callable[..., Any]) -> None:
    _unregister(_scalar, callback, "scalar")


def clear_event_listeners() -> None:
    for listeners in (_event, _duration, _span, _scalar):
        listeners.clear()
