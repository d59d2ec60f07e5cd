"""irax.numpy's methods on arrays and tracers: indexing, `@`, x.sum(), x.T, x.at[...], ...

The arithmetic operators (+, -, *, /, comparisons, ...) are the tracer's own
(irax/tracer/array_methods.py, registered when irax.tracer is imported); this module adds
the rest of the array interface on top of them when irax.numpy is imported."""
from __future__ import annotations

import numpy as np

from ..tracer.core import Array, Tracer, get_aval
from ..tracer.prims import elementwise as ew
from ..tracer.prims import indexing as ix
from ..tracer.prims import shape as sh
from ._core import asarray, broadcast_to
from .elementwise import clip, multiply, round
from .reductions import all, any, argmax, argmin, cumsum, max, mean, min, prod, std, sum, var
from .shapes import ravel, reshape, squeeze, swapaxes, transpose
from .indexing import getitem
from .contractions import dot, matmul


def _rev(f):
    return lambda self, other: f(other, self)


def _astype(self, dtype):
    return asarray(self, dtype)


def _reshape_method(self, *shape, order="C"):
    if len(shape) == 1 and not isinstance(shape[0], (int, np.integer)):
        shape = tuple(shape[0])
    return reshape(self, shape, order)


def _transpose_method(self, *axes):
    if len(axes) == 1 and not isinstance(axes[0], (int, np.integer)):
        axes = axes[0]
    return transpose(self, axes or None)


def _setitem(self, idx, value):
    raise TypeError(f"'{type(self).__name__}' object does not support item assignment: irax "
                    "arrays are immutable. Instead of x[idx] = y, use x = x.at[idx].set(y).")


def _matmul(a, b):
    return matmul(a, b)


_METHODS = {
    "__matmul__": _matmul, "__rmatmul__": _rev(_matmul),
    "__getitem__": getitem, "__setitem__": _setitem,
    "astype": _astype, "reshape": _reshape_method, "transpose": _transpose_method,
    "sum": sum, "mean": mean, "max": max, "min": min, "prod": prod, "argmax": argmax,
    "argmin": argmin, "squeeze": squeeze, "ravel": ravel, "flatten": ravel, "dot": dot,
    "var": var, "std": std, "clip": clip, "cumsum": cumsum, "any": any, "all": all,
    "swapaxes": swapaxes, "round": round,
}


for _cls in (Tracer, Array):
    for _name, _fn in _METHODS.items():
        setattr(_cls, _name, _fn)
    _cls.T = property(lambda self: transpose(self))
    _cls.at = property(lambda self: _IndexUpdateHelper(self))


class _IndexUpdateHelper:
    def __init__(self, x):
        self.x = x

    def __getitem__(self, idx):
        return _IndexUpdateRef(self.x, idx)


class _IndexUpdateRef:
    """x.at[idx].set / add / get, for basic and single-integer-array indices."""

    def __init__(self, x, idx):
        self.x, self.idx = asarray(x), idx

    def get(self):
        return getitem(self.x, self.idx)

    def _positions(self):
        xa = get_aval(self.x)
        n = xa.size
        flat_ids = Array(np.arange(n, dtype=np.int32).reshape(xa.shape))
        return getitem(flat_ids, self.idx)

    def add(self, values):
        xa = get_aval(self.x)
        pos = self._positions()
        vals = broadcast_to(asarray(values, xa.dtype), get_aval(pos).shape)
        flat = ix.scatter_add(ravel(self.x), pos, vals, 0)
        return sh.reshape(flat, xa.shape)

    def set(self, values):
        xa = get_aval(self.x)
        pos = self._positions()
        vals = broadcast_to(asarray(values, xa.dtype), get_aval(pos).shape)
        ones_ = sh.full(get_aval(pos).shape, 1, xa.dtype)
        zeros_flat = sh.full((xa.size,), 0, xa.dtype)
        hit = ix.scatter_add(zeros_flat, pos, ones_, 0)
        placed = ix.scatter_add(zeros_flat, pos, vals, 0)
        flat = ew.select(ew.gt(hit, sh.full((xa.size,), 0, xa.dtype)),
                         ew.div(placed, ew.max_p.bind(hit, sh.full((xa.size,), 1, xa.dtype))),
                         ravel(self.x))
        return sh.reshape(flat, xa.shape)

    def multiply(self, values):
        return self.set(multiply(self.get(), values))
