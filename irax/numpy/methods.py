"""irax.numpy's methods on arrays and tracers: indexing, `@`, x.sum(), x.T, x.at[...], ...

The arithmetic operators (+, -, *, /, comparisons, ...) are the tracer's own
(irax/tracer/array_methods.py, registered when irax.tracer is imported); this module adds
the rest of the array interface on top of them when irax.numpy is imported."""
from __future__ import annotations

import builtins

import numpy as np

from ..tracer import core
from ..tracer.core import Array, Tracer, get_aval
from ..tracer.prims import elementwise as ew
from ..tracer.prims import indexing as ix
from ..tracer.prims import shape as sh
from ._core import asarray, broadcast_to
from .elementwise import clip, negative, power, round, true_divide
from .elementwise import conj as _conj, imag as _imag, real as _real
from .reductions import all, any, argmax, argmin, cumsum, max, mean, min, prod, std, sum, var
from .shapes import ravel, reshape, squeeze, swapaxes, transpose
from .indexing import GatherScatterMode, getitem
from .creation import ones_like
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


def _without_out(fn):
    """The method NumPy's own functions call (np.sum(x) is x.sum(axis, dtype, out=None)):
    out=None is accepted, a buffer is not, as in JAX."""
    def method(self, *args, out=None, **kwargs):
        if out is not None:
            raise NotImplementedError(f"The 'out' argument to jnp.{fn.__name__} is not supported.")
        return fn(self, *args, **kwargs)
    method.__name__ = method.__qualname__ = fn.__name__
    method.__doc__ = fn.__doc__
    return method


_METHODS = {
    "__matmul__": _matmul, "__rmatmul__": _rev(_matmul),
    "__getitem__": getitem, "__setitem__": _setitem,
    "astype": _astype, "reshape": _reshape_method, "transpose": _transpose_method,
    "sum": sum, "mean": mean, "max": max, "min": min, "prod": prod, "argmax": argmax,
    "argmin": argmin, "squeeze": squeeze, "ravel": ravel, "flatten": ravel, "dot": dot,
    "var": var, "std": std, "clip": clip, "cumsum": cumsum, "any": any, "all": all,
    "swapaxes": swapaxes, "round": round,
}
for _name in ("sum", "mean", "max", "min", "prod", "argmax", "argmin", "var", "std", "clip",
              "cumsum", "any", "all", "round"):
    _METHODS[_name] = _without_out(_METHODS[_name])


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


def _scatter_mode(mode) -> str:
    """irax's scatter mode for a user's: None, "drop", "fill" and "promise_in_bounds" drop
    out-of-bounds updates (a broken promise must not write outside the array), "clip"
    clamps the index."""
    m = GatherScatterMode.from_any(mode)
    if m == GatherScatterMode.ONE_HOT:
        raise NotImplementedError("mode='one_hot' is supported by take_along_axis only")
    return "clip" if m == GatherScatterMode.CLIP else "drop"


class _IndexUpdateRef:
    """x.at[idx]: get, set, add, subtract, multiply / mul, divide, power, min, max, with
    JAX's index rules (negative indices wrap once; out-of-bounds updates are dropped unless
    mode="clip")."""

    def __init__(self, x, idx):
        if isinstance(idx, list):
            raise TypeError("Using a non-tuple sequence for multidimensional indexing is not "
                            "allowed; use `arr[array(seq)]` instead of `arr[seq]`.")
        self.x, self.idx = asarray(x), idx

    def get(self, *, indices_are_sorted=False, unique_indices=False, mode=None,
            fill_value=None, wrap_negative_indices=True):
        if fill_value is not None:
            value = core.concrete_or_none(fill_value)
            if value is None:
                raise core.ConcretizationTypeError(
                    "fill_value argument to indexed get() must be a concrete value")
            if np.ndim(value) != 0:
                raise ValueError("fill_value argument to indexed get() must be a scalar")
            fill_value = np.asarray(value).item()
        return getitem(self.x, self.idx, mode=mode, fill_value=fill_value,
                       wrap_negative_indices=wrap_negative_indices)

    def _positions(self, mode, wrap):
        """The flat position in x of each element x[idx] names, shaped like x[idx]; -1 where
        an index is out of bounds (mode "drop"). Static indices give constant positions."""
        xa = get_aval(self.x)
        gmode = "clip" if mode == "clip" else "fill"

        def positions(flat_ids):
            return getitem(flat_ids.reshape(xa.shape), self.idx, mode=gmode, fill_value=-1,
                           wrap_negative_indices=wrap)
        if not _has_tracer(self.idx):
            with core.set_current_trace(core.EvalTrace()):   # all NumPy: a constant
                return positions(Array(np.arange(xa.size, dtype=np.int32)))
        return positions(sh.iota(np.int32, (xa.size,), 0))

    def _scatter(self, values, combine, mode, unique_indices, wrap, name):
        xa = get_aval(self.x)
        if xa.dtype == np.bool_ and combine in ("add", "mul"):
            raise TypeError(f"{name} does not accept dtype bool (x.at[...].{name} of a bool "
                            "array); use set, min (and) or max (or)")
        mode = _scatter_mode(mode)
        pos = self._positions(mode, wrap)
        pa = get_aval(pos)
        vals = asarray(values)
        if get_aval(vals).dtype != xa.dtype:
            vals = ew.convert_element_type(vals, xa.dtype, xa.weak_type)
        vals = broadcast_to(vals, pa.shape)
        flat = ix.scatter(ravel(self.x), pos, vals, 0, combine, mode,
                          unique_indices=unique_indices)
        return sh.reshape(flat, xa.shape)

    def set(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None,
            wrap_negative_indices=True):
        return self._scatter(values, "set", mode, unique_indices, wrap_negative_indices, "set")

    def add(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None,
            wrap_negative_indices=True):
        return self._scatter(values, "add", mode, unique_indices, wrap_negative_indices, "add")

    def subtract(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None,
                 wrap_negative_indices=True):
        return self.add(negative(asarray(values, get_aval(self.x).dtype)),
                        unique_indices=unique_indices, mode=mode,
                        wrap_negative_indices=wrap_negative_indices)

    def multiply(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None,
                 wrap_negative_indices=True):
        return self._scatter(values, "mul", mode, unique_indices, wrap_negative_indices, "mul")

    mul = multiply

    def divide(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None,
               wrap_negative_indices=True):
        """x / (ones with values multiplied in at idx), as JAX (true division)."""
        ref = _IndexUpdateRef(ones_like(self.x), self.idx)
        return true_divide(self.x, ref.multiply(values, unique_indices=unique_indices,
                                                mode=mode,
                                                wrap_negative_indices=wrap_negative_indices))

    def power(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None,
              wrap_negative_indices=True):
        """x ** (ones with values multiplied in at idx), as JAX."""
        ref = _IndexUpdateRef(ones_like(self.x), self.idx)
        return power(self.x, ref.multiply(values, unique_indices=unique_indices, mode=mode,
                                          wrap_negative_indices=wrap_negative_indices))

    def min(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None,
            wrap_negative_indices=True):
        return self._scatter(values, "min", mode, unique_indices, wrap_negative_indices, "min")

    def max(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None,
            wrap_negative_indices=True):
        return self._scatter(values, "max", mode, unique_indices, wrap_negative_indices, "max")


def _has_tracer(idx) -> bool:
    if isinstance(idx, (tuple, list)):
        return builtins.any(_has_tracer(p) for p in idx)
    return isinstance(idx, Tracer)


# complex parts as attributes and methods (x.real, x.imag, x.conj()), as on jax.Array
for _cls in (Tracer, Array):
    _cls.real = property(_real)
    _cls.imag = property(_imag)
    _cls.conj = _conj
    _cls.conjugate = _conj
