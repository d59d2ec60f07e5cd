"""The `pure_callback` primitive: a pure Python function of its operands' values whose
results have declared avals (irax.pure_callback, irax/callback.py, is built on it).

    pure_callback_p.bind(*operands, callback=fn, result_avals=(...), vmap_method=None)

`callback(*numpy_arrays)` returns one NumPy-convertible value per result aval. Rules, as
JAX's:

  impl        calls `callback` now and checks each result's shape and dtype;
  abstract    the declared result avals;
  jvp         refused (ValueError, JAX's message): a callback is opaque; wrap it in
              custom_jvp / custom_vjp to differentiate it;
  vmap        by `vmap_method`: "sequential" / "sequential_unrolled" call it once per
              batch element and stack the results; "expand_dims" calls it once with the
              batched operands at axis 0 and a size-1 axis on the others, "broadcast_all"
              with every operand broadcast to the batch (the callback returns batched
              results); "legacy_vectorized" passes unbatched operands unchanged; None
              raises NotImplementedError, as in JAX 0.10.

Under irax.jit it lowers to a host call that returns tensors (irax/lowering/prims/
callback.py, runtime/host.py).

An exception a callback raises is logged and reported as JaxRuntimeError, as JAX reports
it: "INTERNAL: CpuCallback error calling callback: " and the Python traceback ending with
the original exception (`call_host`; `HostCall` is what compiled code calls). Eagerly too,
for pure_callback and io_callback (JAX runs those through a compiled call); an eager
debug callback raises the original (irax/tracer/prims/debug.py), as in JAX.

Layering: a primitive family after debug (uses shape's slice/squeeze/broadcast/concat).
"""
from __future__ import annotations

import logging
import traceback
from typing import Any, Callable, Sequence

import numpy as np

from .. import core, dtypes
from ..batching import batch_rules
from ..core import Primitive, ShapedArray, get_aval
from ..jvp import jvp_rules
from ..rules import BDim, Tangent, Value
from . import shape as sh

pure_callback_p = Primitive("pure_callback", multiple_results=True)

logger = logging.getLogger("irax.callback")


class JaxRuntimeError(RuntimeError):
    """A failure while a computation runs (jax.errors.JaxRuntimeError), such as an
    exception raised by a host callback."""


def _host_error_text(exc: BaseException) -> str:
    # JAX's text: the frames that led to the callback, then the callback's own, one line
    # each, then the exception itself
    frames = traceback.extract_stack()[:-2] + traceback.extract_tb(exc.__traceback__)
    lines = "".join(f'  File "{f.filename}", line {f.lineno}, in {f.name}\n' for f in frames)
    last = "".join(traceback.format_exception_only(type(exc), exc)).rstrip("\n")
    return ("INTERNAL: CpuCallback error calling callback: Traceback (most recent call "
            f"last):\n{lines}{last}")


def call_host(what: str, fn: Callable[..., Any], *values: Any) -> Any:
    """fn(*values) as a host callback; an exception it raises is logged ("<what> failed",
    with its traceback) and raised again as JaxRuntimeError."""
    try:
        return fn(*values)
    except Exception as e:
        logger.exception("%s failed", what)
        raise JaxRuntimeError(_host_error_text(e)) from e


class HostCall:
    """A host function as compiled code calls it (through call_host). Its other
    attributes (host_label, host_spec, __name__) are the function's own."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn

    def __call__(self, *values: Any) -> Any:
        label = getattr(self.fn, "host_label", None) or getattr(self.fn, "__name__", "callback")
        return call_host(label, self.fn, *values)

    def __getattr__(self, name: str) -> Any:
        if name == "fn":
            raise AttributeError(name)
        return getattr(self.fn, name)

VMAP_METHODS = ("sequential", "sequential_unrolled", "expand_dims", "broadcast_all",
                "legacy_vectorized", None)


def _abstract(*avals: ShapedArray, callback: Callable[..., Any],
              result_avals: tuple[ShapedArray, ...], vmap_method: str | None
              ) -> list[ShapedArray]:
    return list(result_avals)


def _impl(*values: Any, callback: Callable[..., Any], result_avals: tuple[ShapedArray, ...],
          vmap_method: str | None) -> list[Any]:
    return call_host("irax.pure_callback",
                     lambda: checked_results(callback(*values), result_avals))


def checked_results(outs: Any, result_avals: Sequence[ShapedArray]) -> list[np.ndarray]:
    """The callback's results as NumPy arrays of the declared avals; RuntimeError, in
    JAX's words, for another number of results or one of another shape or dtype (eagerly,
    and on the host under irax.jit)."""
    outs = list(outs)
    if len(outs) != len(result_avals):
        raise RuntimeError("Mismatched number of outputs from callback. "
                           f"Expected: {len(result_avals)}, Actual: {len(outs)}")
    checked = []
    for i, (o, aval) in enumerate(zip(outs, result_avals)):
        arr = np.asarray(o)
        dt = arr.dtype
        if dt != aval.dtype and dtypes.canonicalize(dt) == aval.dtype:
            arr = arr.astype(aval.dtype)   # e.g. a float64 result declared float32 (x64 off)
        if arr.shape != tuple(aval.shape):
            raise RuntimeError(f"Incorrect output shape for return value #{i}: "
                               f"Expected: {tuple(aval.shape)}, Actual: {arr.shape}")
        if arr.dtype != aval.dtype:
            raise RuntimeError(f"Incorrect output dtype for return value #{i}: "
                               f"Expected: {aval.dtype}, Actual: {dt}")
        checked.append(arr)
    return checked


def _jvp(primals: Sequence[Value], tangents: Sequence[Tangent], **params: Any):
    raise ValueError("Pure callbacks do not support JVP. Please use `jax.custom_jvp` to use "
                     "callbacks while taking gradients.")


def _element(x: Value, i: int) -> Value:
    shape = get_aval(x).shape
    part = sh.slice_(x, (i,) + (0,) * (len(shape) - 1), (i + 1,) + tuple(shape[1:]))
    return sh.squeeze(part, (0,))


def _front(x: Value, d: BDim) -> Value:
    if d is None or d == 0:
        return x
    nd = get_aval(x).ndim
    return sh.transpose(x, (d, *[i for i in range(nd) if i != d]))


def _batched(aval: ShapedArray, n: int) -> ShapedArray:
    return ShapedArray((n, *aval.shape), aval.dtype)


def _batch(axis_size: int, vals: Sequence[Value], dims: Sequence[BDim], *,
           callback: Callable[..., Any], result_avals: tuple[ShapedArray, ...],
           vmap_method: str | None) -> tuple[list[Value], list[BDim]]:
    vals = [_front(v, d) for v, d in zip(vals, dims)]
    params = dict(callback=callback, vmap_method=vmap_method)
    batched_avals = tuple(_batched(a, axis_size) for a in result_avals)
    if vmap_method in ("sequential", "sequential_unrolled"):
        per = [pure_callback_p.bind(*[v if d is None else _element(v, i)
                                      for v, d in zip(vals, dims)],
                                    result_avals=result_avals, **params)
               for i in range(axis_size)]
        outs = [sh.concatenate([sh.expand_dims(p[j], (0,)) for p in per], 0)
                for j in range(len(result_avals))]
        return outs, [0] * len(outs)
    if vmap_method in ("expand_dims", "broadcast_all"):
        size = axis_size if vmap_method == "broadcast_all" else 1
        args = []
        for v, d in zip(vals, dims):
            if d is None:
                a = get_aval(v)
                v = sh.broadcast_in_dim(v, (size, *a.shape), tuple(range(1, a.ndim + 1)))
            args.append(v)
        return list(pure_callback_p.bind(*args, result_avals=batched_avals, **params)), \
            [0] * len(result_avals)
    if vmap_method == "legacy_vectorized":
        return list(pure_callback_p.bind(*vals, result_avals=batched_avals, **params)), \
            [0] * len(result_avals)
    raise NotImplementedError(
        "vmap is only supported for the pure_callback primitive when vmap_method is one of "
        "'sequential', 'sequential_unrolled', 'expand_dims', 'broadcast_all', or "
        f"'legacy_vectorized'. Got vmap_method={vmap_method}.")


# ---------------------------------------------------------------------------
# io_callback: the same host call, for a function with side effects (JAX's io_callback).
# It runs exactly once per execution: nothing may drop it for an unused result, the eager
# tier leaves it to the compiled module (irax/jit_tiers.py), and vmap calls it once per
# example (an ordered one refuses vmap, as in JAX).

io_callback_p = Primitive("io_callback", multiple_results=True)


def _io_abstract(*avals: ShapedArray, callback: Callable[..., Any],
                 result_avals: tuple[ShapedArray, ...], ordered: bool) -> list[ShapedArray]:
    return list(result_avals)


def _io_impl(*values: Any, callback: Callable[..., Any], result_avals: tuple[ShapedArray, ...],
             ordered: bool) -> list[Any]:
    return call_host("irax.io_callback",
                     lambda: checked_results(callback(*values), result_avals))


def _io_jvp(primals: Sequence[Value], tangents: Sequence[Tangent], **params: Any):
    raise ValueError("IO callbacks do not support JVP.")


def _io_batch(axis_size: int, vals: Sequence[Value], dims: Sequence[BDim], *,
              callback: Callable[..., Any], result_avals: tuple[ShapedArray, ...],
              ordered: bool) -> tuple[list[Value], list[BDim]]:
    if ordered:
        raise ValueError("Cannot `vmap` ordered IO callback.")
    vals = [_front(v, d) for v, d in zip(vals, dims)]
    per = [io_callback_p.bind(*[v if d is None else _element(v, i) for v, d in zip(vals, dims)],
                              callback=callback, result_avals=result_avals, ordered=ordered)
           for i in range(axis_size)]
    outs = [sh.concatenate([sh.expand_dims(p[j], (0,)) for p in per], 0)
            for j in range(len(result_avals))]
    return outs, [0] * len(outs)


# ---------------------------------------------------------------------------
# Registration

core.abstract_eval_rules[pure_callback_p] = _abstract
core.impl_rules[pure_callback_p] = _impl
jvp_rules[pure_callback_p] = _jvp
batch_rules[pure_callback_p] = _batch

core.abstract_eval_rules[io_callback_p] = _io_abstract
core.impl_rules[io_callback_p] = _io_impl
jvp_rules[io_callback_p] = _io_jvp
batch_rules[io_callback_p] = _io_batch
