"""The `debug_callback` primitive: a Python function called with the values of its operands
when the program runs (eagerly, or from inside compiled code), returning nothing.

    debug_callback_p.bind(*operands, callback=fn, ordered=False)   # -> []

`callback(*numpy_arrays)` receives one NumPy array per operand. irax.debug.print and
irax.debug.callback (irax/debug.py) are built on it. Rules, as JAX's debug callbacks:

  impl        calls `callback` now;
  abstract    no outputs (the equation exists for its effect; jaxprs keep it);
  jvp         the callback runs on the primals; there are no outputs, so no tangents;
  transpose   none: with no outputs nothing flows back, and the backward pass skips an
              equation whose outputs all have zero cotangents (a callback on a linear
              value, e.g. under linear_transpose, is dropped, as in JAX);
  vmap        one call per batch element, in order (JAX unrolls the same way), with the
              unbatched operands passed whole.

`ordered` is recorded for the lowering (compiled code calls the host in program order).

Layering: a primitive family after linear_solve (uses shape's slice and squeeze).
"""
from __future__ import annotations

import logging
from typing import Any, Callable, Sequence

from .. import core
from ..batching import batch_rules
from ..core import Primitive, ShapedArray, get_aval
from ..jvp import jvp_rules
from ..rules import BDim, Tangent, Value
from .shape import slice_, squeeze

debug_callback_p = Primitive("debug_callback", multiple_results=True)


def debug_callback(callback: Callable[..., Any], *operands: Value, ordered: bool = False) -> None:
    """Call `callback(*numpy_arrays)` with the operands' values when the program runs."""
    if not callable(callback):
        raise TypeError(f"debug_callback: callback must be callable, got {type(callback).__name__}")
    debug_callback_p.bind(*operands, callback=callback, ordered=bool(ordered))


def _abstract(*avals: ShapedArray, callback: Callable[..., Any], ordered: bool
              ) -> list[ShapedArray]:
    return []


def _impl(*values: Any, callback: Callable[..., Any], ordered: bool) -> list[Any]:
    try:
        callback(*values)
    except Exception:
        # eagerly the callback's own exception propagates (compiled code reports it as
        # JaxRuntimeError, prims/callback.HostCall); logged as JAX logs it
        logging.getLogger("irax.callback").exception("irax.debug.callback failed")
        raise
    return []


def _jvp(primals: Sequence[Value], tangents: Sequence[Tangent], **params: Any
         ) -> tuple[list[Value], list[Tangent]]:
    debug_callback_p.bind(*primals, **params)
    return [], []


def _element(x: Value, i: int) -> Value:
    """x[i] along the leading (batch) axis."""
    shape = get_aval(x).shape
    part = slice_(x, (i,) + (0,) * (len(shape) - 1), (i + 1,) + tuple(shape[1:]))
    return squeeze(part, (0,))


def _batch(axis_size: int, vals: Sequence[Value], dims: Sequence[BDim], **params: Any
           ) -> tuple[list[Value], list[BDim]]:
    for i in range(axis_size):
        debug_callback_p.bind(*[v if d is None else _element(v, i) for v, d in zip(vals, dims)],
                              **params)
    return [], []


# ---------------------------------------------------------------------------
# Registration

core.abstract_eval_rules[debug_callback_p] = _abstract
core.impl_rules[debug_callback_p] = _impl
jvp_rules[debug_callback_p] = _jvp
batch_rules[debug_callback_p] = _batch
