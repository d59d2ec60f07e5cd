"""Abstract values: ShapedArray (shape, dtype, weak type) and ShapeDtypeStruct.

Layering: the bottom of irax/tracer with dtypes; core re-exports these names.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import dtypes


def type_str(aval) -> str:
    """An aval (or anything with a shape and a dtype) as JAX writes it: float32[3,4]."""
    return f"{np.dtype(aval.dtype).name}[{','.join(str(d) for d in aval.shape)}]"


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

    def str_long(self) -> str:
        """`float32[3,4]`: how JAX's messages and reprs write an aval."""
        return type_str(self)

    def __str__(self) -> str:
        return ("~" if self.weak_type else "") + self.str_long()

    def __repr__(self) -> str:
        return f"ShapedArray({self.str_long()}{', weak_type=True' if self.weak_type else ''})"


def same_type(a: ShapedArray, b: ShapedArray) -> bool:
    return a.shape == b.shape and a.dtype == b.dtype


class ShapeDtypeStruct:
    """An abstract argument: a shape, a dtype and a weak-type flag, no data
    (irax.ShapeDtypeStruct). `sharding` is kept as given (irax runs on one device)."""

    def __init__(self, shape, dtype, *, sharding=None, weak_type: bool = False):
        if dtype is None:
            raise ValueError("ShapeDtypeStruct: dtype must be specified.")
        self.shape = tuple(shape)
        try:
            self.dtype = np.dtype(dtype)  # "float32", np.float32, np.dtype
        except TypeError:
            self.dtype = np.dtype(dtype.dtype)  # an array (or anything with a .dtype)
        self.sharding = sharding
        self.weak_type = bool(weak_type)

    @classmethod
    def like(cls, x) -> "ShapeDtypeStruct":
        """The struct of x (an array, a tracer, a Python or NumPy scalar, or another
        struct), its weak type included: like(1.0) is a weakly typed float32[]."""
        if isinstance(x, ShapeDtypeStruct):
            return cls(x.shape, x.dtype, sharding=x.sharding, weak_type=x.weak_type)
        aval = getattr(x, "aval", None)
        if not isinstance(aval, ShapedArray):
            if isinstance(x, (bool, int, float, complex)) and not isinstance(x, np.generic):
                aval = ShapedArray((), dtypes.python_scalar_dtype(x), not isinstance(x, bool))
            elif isinstance(x, (np.ndarray, np.generic)):
                aval = ShapedArray(tuple(x.shape), dtypes.canonicalize(x.dtype), False)
            else:
                raise TypeError(f"Argument {x!r} of type {type(x)} is not a valid JAX type")
        return cls(aval.shape, aval.dtype, weak_type=aval.weak_type)

    size = property(lambda self: int(np.prod(self.shape, dtype=np.int64)))
    ndim = property(lambda self: len(self.shape))

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of unsized object")
        return self.shape[0]

    def update(self, **changes) -> "ShapeDtypeStruct":
        """A copy with some of shape / dtype / sharding / weak_type changed."""
        fields = dict(shape=self.shape, dtype=self.dtype, sharding=self.sharding,
                      weak_type=self.weak_type)
        fields.update(changes)
        return ShapeDtypeStruct(fields.pop("shape"), fields.pop("dtype"), **fields)

    def __repr__(self) -> str:
        sharding = f", sharding={self.sharding}" if self.sharding is not None else ""
        weak = f", weak_type={self.weak_type}" if self.weak_type else ""
        return f"ShapeDtypeStruct(shape={self.shape}, dtype={self.dtype.name}{sharding}{weak})"

    __str__ = __repr__

    def _key(self) -> tuple:
        return (self.shape, self.dtype, self.weak_type)

    def __eq__(self, other) -> bool:
        return isinstance(other, ShapeDtypeStruct) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())
