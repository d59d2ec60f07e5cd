"""What the transformations share: symbolic zeros, adding tangents, and the few array
operations the transformations themselves need.

Layering: above core, below the transformations (jvp, transpose, batching, partial_eval)
and the primitive families. The operations below (`full`, `add`, `broadcast_in_dim`,
`transpose`, `reduce_sum`) are *provided* by the primitive families when they are imported
(`provide(...)` at the end of prims/elementwise.py, shape.py, reduce.py), so the imports
point downward only: a transformation or a lower primitive family calls
`ad_util.full(...)` without importing prims/shape.py, which imports it. irax/tracer's
`__init__` imports every family, so by the time any rule runs all of them are provided.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from . import dtypes
from .core import ShapedArray
from .rules import Tangent, Value

# ---------------------------------------------------------------------------
# Symbolic zeros: a tangent known to be zero costs nothing until it must exist.


class Zero:
    def __init__(self, aval: ShapedArray):
        self.aval = aval

    @staticmethod
    def from_primal_value(value: Any) -> "Zero":
        """The zero tangent of `value` (JAX's constructor of that name)."""
        from .core import get_aval
        return Zero(tangent_aval(get_aval(value)))

    def __repr__(self) -> str:
        return f"Zero({self.aval.str_short()})"


def tangent_aval(aval: ShapedArray) -> ShapedArray:
    return ShapedArray(aval.shape, aval.dtype, aval.weak_type)


def is_differentiable(aval: ShapedArray) -> bool:
    return dtypes.kind(aval.dtype) in "fc"


def zeros_like_aval(aval: ShapedArray) -> Value:
    return full(aval.shape, 0, aval.dtype, aval.weak_type)


def instantiate(t: Tangent) -> Value:
    """A tangent as an array: a symbolic Zero becomes real zeros."""
    return zeros_like_aval(t.aval) if isinstance(t, Zero) else t


def instantiate_all(ts: Sequence[Tangent]) -> list[Value]:
    return [instantiate(t) for t in ts]


def add_tangents(a: Tangent, b: Tangent) -> Tangent:
    """a + b for tangents (or cotangents), without materialising symbolic zeros."""
    if isinstance(a, Zero):
        return b
    if isinstance(b, Zero):
        return a
    return add(a, b)


# ---------------------------------------------------------------------------
# Operations provided by the primitive families

_provided: dict[str, Callable[..., Any]] = {}


def provide(**ops: Callable[..., Any]) -> None:
    """Called once by a primitive family at import with the operations it owns."""
    _provided.update(ops)


def _op(name: str) -> Callable[..., Any]:
    try:
        return _provided[name]
    except KeyError:
        raise RuntimeError(f"irax.tracer: the operation {name!r} is provided by a primitive "
                           "family that has not been imported; import irax.tracer (its "
                           "__init__ imports every family)") from None


def full(shape: Sequence[int], value: Any, dtype: Any, weak_type: bool = False) -> Value:
    """A constant array (prims/shape.py: a broadcast scalar)."""
    return _op("full")(shape, value, dtype, weak_type)


def add(x: Value, y: Value) -> Value:
    """x + y of equal types (prims/elementwise.py)."""
    return _op("add")(x, y)


def broadcast_in_dim(x: Value, shape: Sequence[int], broadcast_dimensions: Sequence[int]
                     ) -> Value:
    """prims/shape.py's broadcast_in_dim (a no-op when nothing changes)."""
    return _op("broadcast_in_dim")(x, shape, broadcast_dimensions)


def reshape(x: Value, new_sizes: Sequence[int]) -> Value:
    """prims/shape.py's reshape (a no-op when the shape is new_sizes)."""
    return _op("reshape")(x, new_sizes)


def transpose(x: Value, permutation: Sequence[int]) -> Value:
    """prims/shape.py's transpose (a no-op for the identity permutation)."""
    return _op("transpose")(x, permutation)


def reduce_sum(x: Value, axes: Sequence[int]) -> Value:
    """prims/reduce.py's reduce_sum (a no-op over no axes)."""
    return _op("reduce_sum")(x, axes)
