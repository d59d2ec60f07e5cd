"""Bit-level primitives on integers: shifts, population count, leading zeros, and
reinterpreting the bits of one dtype as another (what counter-based PRNGs are made of).

Shift semantics follow StableHLO (and so XLA and JAX): a shift amount outside
[0, bit width) gives 0 for shift_left / shift_right_logical and the sign fill for
shift_right_arithmetic; the amount is read as unsigned, so negative amounts are
out of range too. None of these is differentiable: their tangents are zero.

Layering: above elementwise (its primitives are elementwise ones).
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .. import core, dtypes
from ..batching import defbroadcasting, defvectorized
from ..core import Primitive, ShapedArray
from ..jvp import defzero
from ..rules import Value
from .elementwise import INT, _elementwise

shift_left_p = _elementwise("shift_left", INT, nargs=2)
shift_right_logical_p = _elementwise("shift_right_logical", INT, nargs=2)
shift_right_arithmetic_p = _elementwise("shift_right_arithmetic", INT, nargs=2)
population_count_p = _elementwise("population_count", INT)
clz_p = _elementwise("clz", INT)
bitcast_convert_type_p = Primitive("bitcast_convert_type")


def _bitcast_abstract(x: ShapedArray, *, new_dtype: np.dtype) -> ShapedArray:
    new_dtype = np.dtype(new_dtype)
    if x.dtype.itemsize != new_dtype.itemsize:
        raise TypeError(f"bitcast_convert_type here needs equal bit widths, got "
                        f"{x.dtype.name} ({x.dtype.itemsize * 8} bits) to {new_dtype.name} "
                        f"({new_dtype.itemsize * 8} bits)")
    if x.dtype == np.bool_ or new_dtype == np.bool_:
        raise TypeError("bitcast_convert_type does not accept bool")
    return ShapedArray(x.shape, new_dtype, False)


core.abstract_eval_rules[bitcast_convert_type_p] = _bitcast_abstract


# ---------------------------------------------------------------------------
# NumPy implementations


def _unsigned(dtype: np.dtype) -> np.dtype:
    return np.dtype(f"u{dtype.itemsize}")


def _out_of_range(y: np.ndarray) -> np.ndarray:
    nbits = y.dtype.itemsize * 8
    return y.view(_unsigned(y.dtype)) >= nbits


def _safe_amount(y: np.ndarray) -> np.ndarray:
    return np.where(_out_of_range(y), 0, y).astype(y.dtype)


def _shift_left(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    out = np.left_shift(x, _safe_amount(y))
    return np.where(_out_of_range(y), 0, out).astype(x.dtype)


def _shift_right_logical(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    u = x.view(_unsigned(x.dtype))
    out = np.right_shift(u, _safe_amount(y).astype(u.dtype))
    return np.asarray(np.where(_out_of_range(y), 0, out).astype(u.dtype)).view(x.dtype)


def _shift_right_arithmetic(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    nbits = x.dtype.itemsize * 8
    if dtypes.kind(x.dtype) == "u":   # sign fill of an unsigned value: shift its signed view
        return _shift_right_arithmetic(x.view(np.dtype(f"i{x.dtype.itemsize}")), y).view(x.dtype)
    amount = np.where(_out_of_range(y), nbits - 1, y).astype(x.dtype)
    return np.right_shift(x, amount).astype(x.dtype)


def _population_count(x: np.ndarray) -> np.ndarray:
    u = np.asarray(x).view(_unsigned(x.dtype))
    as_bytes = u.reshape(u.shape + (1,)).view(np.uint8)
    return np.unpackbits(as_bytes, axis=-1).sum(axis=-1).astype(x.dtype).reshape(x.shape)


def _clz(x: np.ndarray) -> np.ndarray:
    nbits = x.dtype.itemsize * 8
    u = np.asarray(x).view(_unsigned(x.dtype)).astype(np.uint64)
    count = np.full(u.shape, nbits, np.int64)
    for bit in range(nbits):   # the highest set bit decides
        count = np.where((u >> np.uint64(bit)) & np.uint64(1), nbits - 1 - bit, count)
    return count.astype(x.dtype)


def _bitcast(x: np.ndarray, *, new_dtype: np.dtype) -> np.ndarray:
    x = np.array(x, order="C")   # (np.ascontiguousarray would make a 0-d array 1-d)
    return x.reshape(x.shape + (1,)).view(np.dtype(new_dtype)).reshape(x.shape)


def _typed(fn: Callable[..., Any]) -> Callable[..., np.ndarray]:
    def impl(*xs: np.ndarray, **params: Any) -> np.ndarray:
        return np.asarray(fn(*(np.asarray(v) for v in xs), **params))
    return impl


# ---------------------------------------------------------------------------
# Public helpers (irax.lax re-exports these)


def shift_left(x: Value, y: Value) -> Value: return shift_left_p.bind(x, y)
def shift_right_logical(x: Value, y: Value) -> Value: return shift_right_logical_p.bind(x, y)
def shift_right_arithmetic(x: Value, y: Value) -> Value: return shift_right_arithmetic_p.bind(x, y)
def population_count(x: Value) -> Value: return population_count_p.bind(x)
def clz(x: Value) -> Value: return clz_p.bind(x)


def bitcast_convert_type(x: Value, new_dtype: Any) -> Value:
    new_dtype = np.dtype(new_dtype)
    if core.get_aval(x).dtype == new_dtype:
        return x
    return bitcast_convert_type_p.bind(x, new_dtype=new_dtype)


# ---------------------------------------------------------------------------
# Registration: impl, jvp (zero), batching

_BINARY_IMPL = {shift_left_p: _shift_left, shift_right_logical_p: _shift_right_logical,
                shift_right_arithmetic_p: _shift_right_arithmetic}
_UNARY_IMPL = {population_count_p: _population_count, clz_p: _clz,
               bitcast_convert_type_p: _bitcast}
for _p, _f in {**_BINARY_IMPL, **_UNARY_IMPL}.items():
    core.impl_rules[_p] = _typed(_f)
    defzero(_p)
for _p in _BINARY_IMPL:
    defbroadcasting(_p)
for _p in _UNARY_IMPL:
    defvectorized(_p)

BINARY_PRIMITIVES = list(_BINARY_IMPL)
UNARY_PRIMITIVES = [population_count_p, clz_p]
