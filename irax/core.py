"""irax.core: the few names jax.core still exports in JAX 0.10 (the rest of JAX's core
moved to jax.extend.core: irax.extend.core).

    isinstance(x, irax.core.Tracer)    # inside a transformation
    irax.core.ShapedArray((3,), np.float32)
    irax.core.eval_jaxpr(closed.jaxpr, closed.consts, *args)
"""
from __future__ import annotations

import contextlib
from typing import Any, Iterator

from .tracer import core as _core
from .tracer.api_extra import ensure_compile_time_eval
from .tracer.avals import ShapedArray
from .tracer.core import Atom, Trace, Tracer

__all__ = ["AbstractValue", "Atom", "ParamDict", "ShapedArray", "Trace", "Tracer", "Value",
           "ensure_compile_time_eval", "eval_context", "eval_jaxpr", "max_dim", "min_dim"]

AbstractValue = ShapedArray   # irax's only abstract value
Value = Any
ParamDict = dict[str, Any]   # an equation's params


def eval_jaxpr(jaxpr: Any, consts: Any, *args: Any, propagate_source_info: bool = True) -> list:
    """Evaluate a Jaxpr on consts and arguments: the list of its outputs."""
    return _core.eval_jaxpr(jaxpr, list(consts), list(args))


@contextlib.contextmanager
def eval_context() -> Iterator[None]:
    """Evaluate eagerly inside (as ensure_compile_time_eval)."""
    with ensure_compile_time_eval():
        yield


def max_dim(d1: Any, d2: Any) -> Any:
    return max(d1, d2)   # dimensions are ints (no symbolic shapes)


def min_dim(d1: Any, d2: Any) -> Any:
    return min(d1, d2)
