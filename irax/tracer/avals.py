"""Abstract values: ShapedArray (shape, dtype, weak type) and ShapeDtypeStruct.

Layering: the bottom of irax/tracer with dtypes; core re-exports these names.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import dtypes


@dataclass(frozen=True)
class ShapedArray:
    shape: tuple[int, ...]
    dtype: np.dtype
    weak_type: bool = False

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    def str_short(self) -> str:
        return f"{dtypes.short_name(self.dtype)}[{','.join(map(str, self.shape))}]"

    def strip_weak(self) -> "ShapedArray":
        return ShapedArray(self.shape, self.dtype, False) if self.weak_type else self

    def update(self, shape=None, dtype=None, weak_type=None) -> "ShapedArray":
        return ShapedArray(self.shape if shape is None else tuple(shape),
                           self.dtype if dtype is None else np.dtype(dtype),
                           self.weak_type if weak_type is None else weak_type)

    def __repr__(self) -> str:
        return f"ShapedArray({self.str_short()}{', weak_type=True' if self.weak_type else ''})"


def same_type(a: ShapedArray, b: ShapedArray) -> bool:
    return a.shape == b.shape and a.dtype == b.dtype


class ShapeDtypeStruct:
    """An abstract argument: a shape and a dtype, no data (irax.ShapeDtypeStruct)."""

    def __init__(self, shape, dtype):
        self.shape = tuple(shape)
        try:
            self.dtype = np.dtype(dtype)  # "float32", np.float32, np.dtype
        except TypeError:
            self.dtype = np.dtype(dtype.dtype)  # an array (or anything with a .dtype)

    def __repr__(self) -> str:
        return f"ShapeDtypeStruct(shape={self.shape}, dtype={self.dtype.name})"

    def __eq__(self, other) -> bool:
        return isinstance(other, ShapeDtypeStruct) and (self.shape, self.dtype) == \
            (other.shape, other.dtype)

    def __hash__(self) -> int:
        return hash((self.shape, self.dtype))
