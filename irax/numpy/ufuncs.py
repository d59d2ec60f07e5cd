"""jnp.ufunc and jnp.frompyfunc: a Python function of scalars as a NumPy-style ufunc.

    add = jnp.frompyfunc(lambda x, y: x + y, nin=2, nout=1, identity=0)
    add(x, y); add.reduce(x, axis=0); add.accumulate(x); add.outer(x, y)
    add.at(x, idx, y, inplace=False); add.reduceat(x, jnp.array([0, 2]))

As JAX's jnp.ufunc: calls vectorize the function; reduce, accumulate, at and reduceat
apply it step by step (fori_loop / scan over the axis), unless the constructor is given
a faster implementation (reduce=jnp.sum, ...); outer is a double vmap. Everything
composes existing irax.numpy / irax.lax functions, so grad, vmap and jit apply as usual.
"""
from __future__ import annotations

import math
import operator
from typing import Any, Callable

import numpy as np

from ..tracer import api, api_extra
from ..tracer.core import get_aval
from . import _core, creation, indexing, shapes
from ._core import asarray
from .arrayops import vectorize
from .elementwise import logical_and, greater, less, where as _where

_AT_INPLACE = ("irax.numpy.ufunc.at() does not support inplace=True, because arrays are "
               "immutable; use at(..., inplace=False), which returns the updated array.")


def _axis(axis: int, ndim: int) -> int:
    axis = operator.index(axis)
    if not -ndim <= axis < ndim:
        raise ValueError(f"axis {axis} is out of bounds for array of dimension {ndim}")
    return axis % ndim


def _one(x):
    """A scalar 1 of x's dtype (to find the dtype the function gives)."""
    av = get_aval(asarray(x))
    return creation.ones((), av.dtype)


class ufunc:
    """A vectorized function of `nin` arrays giving `nout` (JAX's jnp.ufunc)."""

    def __init__(self, func: Callable[..., Any], /, nin: int, nout: int, *,
                 name: str | None = None, nargs: int | None = None, identity: Any = None,
                 call: Callable[..., Any] | None = None,
                 reduce: Callable[..., Any] | None = None,
                 accumulate: Callable[..., Any] | None = None,
                 at: Callable[..., Any] | None = None,
                 reduceat: Callable[..., Any] | None = None):
        self.__doc__ = func.__doc__
        self.__name__ = name or func.__name__
        self.__wrapped__ = func   # inspect.signature / getsource see the function
        self._props = {"func": func, "nin": operator.index(nin), "nout": operator.index(nout),
                       "nargs": operator.index(nargs or nin), "identity": identity,
                       "call": call, "reduce": reduce, "accumulate": accumulate, "at": at,
                       "reduceat": reduceat}

    _func = property(lambda self: self._props["func"])
    nin = property(lambda self: self._props["nin"])
    nout = property(lambda self: self._props["nout"])
    nargs = property(lambda self: self._props["nargs"])
    identity = property(lambda self: self._props["identity"])

    def _key(self):
        return (self._func, self.__name__, self.identity, self.nin, self.nout, self.nargs)

    def __hash__(self) -> int:
        return hash(self._key())

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, ufunc) and self._key() == other._key()

    def __repr__(self) -> str:
        return f"<jnp.ufunc '{self.__name__}'>"

    def _binary_only(self, what: str) -> None:
        if self.nin != 2:
            raise ValueError(f"{what} only supported for binary ufuncs")
        if self.nout != 1:
            raise ValueError(f"{what} only supported for functions returning a single value")

    def _result_dtype(self, *args):
        return api_extra.eval_shape(self._func, *(_one(a) for a in args)).dtype

    # -- calls
    def __call__(self, *args: Any, out: None = None, where: None = None) -> Any:
        _core.check_arraylike(self.__name__, *args)
        if out is not None:
            raise NotImplementedError(f"out argument of {self}")
        if where is not None:
            raise NotImplementedError(f"where argument of {self}")
        call = self._props["call"] or vectorize(self._func)
        return call(*args)

    def reduce(self, a: Any, axis: int | None = 0, dtype: Any = None, out: None = None,
               keepdims: bool = False, initial: Any = None, where: Any = None) -> Any:
        _core.check_arraylike(f"{self.__name__}.reduce", a)
        self._binary_only("reduce")
        if out is not None:
            raise NotImplementedError(f"out argument of {self.__name__}.reduce()")
        if where is not None:
            if self.identity is None and initial is None:
                raise ValueError(f"reduction operation {self.__name__!r} does not have an "
                                 "identity, so to use a where mask one has to specify "
                                 "'initial'.")
            if get_aval(asarray(where)).dtype != np.bool_:
                raise ValueError(f"where argument must have dtype=bool; got "
                                 f"dtype={get_aval(asarray(where)).dtype}")
        reduce = self._props["reduce"] or self._reduce_via_loop
        return reduce(a, axis=axis, dtype=dtype, keepdims=keepdims, initial=initial,
                      where=where)

    def _reduce_via_loop(self, arr, axis=0, dtype=None, keepdims=False, initial=None,
                         where=None):
        from ..lax.control_flow import fori_loop   # irax.lax sits above irax.numpy
        arr = asarray(arr)
        if initial is None:
            initial = self.identity
        dtype = dtype if dtype is not None else self._result_dtype(arr, arr)
        if where is not None:
            where = _core.broadcast_to(asarray(where), arr.shape)
        if isinstance(axis, tuple):
            raise NotImplementedError("tuple of axes")
        if axis is None:
            final_shape = (1,) * arr.ndim if keepdims else ()
            arr = arr.ravel()
            where = None if where is None else where.ravel()
            axis = 0
        else:
            axis = _axis(axis, arr.ndim)
            final_shape = (arr.shape[:axis] + ((1,) if keepdims else ()) + arr.shape[axis + 1:])
        if axis != 0:
            arr = shapes.moveaxis(arr, axis, 0)
            where = None if where is None else shapes.moveaxis(where, axis, 0)
        if arr.shape[0] == 0:
            if initial is None:
                raise ValueError(f"zero-size array to reduction operation {self.__name__} "
                                 "which has no identity")
            return creation.full(final_shape, initial, dtype)

        def body(i, val):
            new = self(val, arr[i].astype(dtype))
            return new if where is None else _where(where[i], new, val)
        start, init = (1, arr[0]) if initial is None else (0, initial)
        init = _core.broadcast_to(asarray(init).astype(dtype), arr.shape[1:])
        result = fori_loop(start, arr.shape[0], body, init)
        return result.reshape(final_shape) if keepdims else result

    def accumulate(self, a: Any, axis: int = 0, dtype: Any = None, out: None = None) -> Any:
        self._binary_only("accumulate")
        if out is not None:
            raise NotImplementedError(f"out argument of {self.__name__}.accumulate()")
        accumulate = self._props["accumulate"] or self._accumulate_via_scan
        return accumulate(a, axis=axis, dtype=dtype)

    def _accumulate_via_scan(self, arr, axis=0, dtype=None):
        from ..lax.control_flow import scan
        _core.check_arraylike(f"{self.__name__}.accumulate", arr)
        arr = asarray(arr)
        dtype = dtype if dtype is not None else self._result_dtype(arr, arr)
        if axis is None or isinstance(axis, tuple):
            raise ValueError("accumulate does not allow multiple axes")
        axis = _axis(axis, arr.ndim)
        if arr.size == 0:
            return creation.full(arr.shape, 0, dtype)
        arr = shapes.moveaxis(arr, axis, 0)

        def step(carry, x):
            y = self(carry, x.astype(dtype))
            return y, y
        first = arr[0].astype(dtype)
        _, rest = scan(step, first, arr[1:])
        result = shapes.concatenate([first[None], rest], axis=0)
        return shapes.moveaxis(result, 0, axis)

    def at(self, a: Any, indices: Any, b: Any = None, /, *, inplace: bool = True) -> Any:
        if inplace:
            raise NotImplementedError(_AT_INPLACE)
        at = self._props["at"] or self._at_via_scan
        return at(a, indices) if b is None else at(a, indices, b)

    def _at_via_scan(self, a, indices, *args):
        from ..lax.control_flow import scan
        dtype = self._result_dtype(a, *args)
        a = asarray(a).astype(dtype)
        args = tuple(asarray(x).astype(dtype) for x in args)
        indices = indices if isinstance(indices, tuple) else (indices,)
        if not indices:
            return a
        idx_shapes = [np.shape(i) for i in indices if not isinstance(i, slice)]
        shape = idx_shapes and np.broadcast_shapes(*idx_shapes)
        if not shape:
            return a.at[indices].set(self(a.at[indices].get(), *args))
        if args:
            arg = _core.broadcast_to(args[0], (*shape, *args[0].shape[len(shape):]))
            args = (arg.reshape(math.prod(shape), *args[0].shape[len(shape):]),)
        indices = [i if isinstance(i, slice) else
                   _core.broadcast_to(asarray(i), shape).ravel() for i in indices]

        def step(carry, k):
            idx = tuple(i if isinstance(i, slice) else i[k] for i in indices)
            upd = self(carry.at[idx].get(), *(x[k] for x in args))
            return carry.at[idx].set(upd), None
        out, _ = scan(step, a, creation.arange(math.prod(shape)))
        return out

    def reduceat(self, a: Any, indices: Any, axis: int = 0, dtype: Any = None,
                 out: None = None) -> Any:
        self._binary_only("reduceat")
        if out is not None:
            raise NotImplementedError(f"out argument of {self.__name__}.reduceat()")
        reduceat = self._props["reduceat"] or self._reduceat_via_loop
        return reduceat(a, indices, axis=axis, dtype=dtype)

    def _reduceat_via_loop(self, a, indices, axis=0, dtype=None):
        from ..lax.control_flow import fori_loop
        _core.check_arraylike(f"{self.__name__}.reduceat", a, indices)
        a, indices = asarray(a), asarray(indices)
        if a.ndim == 0:
            raise ValueError(f"reduceat: a must have 1 or more dimension, got a.shape={a.shape}")
        if indices.ndim != 1:
            raise ValueError(f"reduceat: indices must be one-dimensional, got "
                             f"indices.shape={indices.shape}")
        if axis is None or isinstance(axis, (tuple, list)):
            raise ValueError("reduceat requires a single integer axis.")
        axis = _axis(axis, a.ndim)
        out = indexing.take(a, indices, axis=axis)
        # each output k reduces a[indices[k]:indices[k+1]] (just a[indices[k]] when empty)
        bounds = shapes.concatenate([indices, asarray([a.shape[axis]], indices.dtype)])
        other = [d for d in range(out.ndim) if d != axis]
        ind = shapes.expand_dims(bounds, other) if other else bounds
        start = indexing.take(ind, creation.arange(len(indices)), axis=axis)
        end = indexing.take(ind, creation.arange(1, len(indices) + 1), axis=axis)

        def body(i, acc):
            inside = logical_and(greater(i, start), less(i, end))
            return _where(inside, self(acc, indexing.take(a, asarray([i]), axis=axis)), acc)
        out = fori_loop(0, a.shape[axis], body, out)
        return out if dtype is None else out.astype(dtype)

    def outer(self, A: Any, B: Any, /) -> Any:
        self._binary_only("outer")
        _core.check_arraylike(f"{self.__name__}.outer", A, B)
        A, B = asarray(A), asarray(B)
        inner = api.vmap(self, (None, 0))
        result = api.vmap(inner, (0, None))(A.ravel(), B.ravel())
        return result.reshape(*A.shape, *B.shape)


def frompyfunc(func: Callable[..., Any], /, nin: int, nout: int, *,
               identity: Any = None) -> ufunc:
    """A jnp.ufunc of `func` (a function of scalars)."""
    return ufunc(func, nin, nout, identity=identity)


def _sum_reduce(a, axis=0, dtype=None, keepdims=False, initial=None, where=None):
    from .reductions import sum as _sum
    out = _sum(a, axis=axis, dtype=dtype, keepdims=keepdims, where=where)
    return out if initial is None else out + asarray(initial).astype(out.dtype)


def _extremum_reduce(name):
    def reduce(a, axis=0, dtype=None, keepdims=False, initial=None, where=None):
        from . import reductions
        out = getattr(reductions, name)(a, axis=axis, keepdims=keepdims, initial=initial,
                                        where=where)
        return out if dtype is None else out.astype(dtype)
    return reduce


def _at_method(method):
    def at(a, indices, b=None):
        a = asarray(a)
        return getattr(a.at[indices], method)(b)
    return at


def _cumsum(a, axis=0, dtype=None):
    from .reductions import cumsum
    return cumsum(a, axis=axis, dtype=dtype)


# jax.numpy's functions that are jnp.ufunc instances: name -> (nin, identity, fast paths)
_NUMPY_UFUNCS = {
    "add": (2, 0, dict(reduce=_sum_reduce, accumulate=_cumsum, at=_at_method("add"))),
    "multiply": (2, 1, dict(at=_at_method("multiply"))),
    "maximum": (2, None, dict(reduce=_extremum_reduce("max"), at=_at_method("max"))),
    "minimum": (2, None, dict(reduce=_extremum_reduce("min"), at=_at_method("min"))),
    "subtract": (2, None, {}), "bitwise_and": (2, -1, {}), "bitwise_or": (2, 0, {}),
    "bitwise_xor": (2, 0, {}), "logaddexp": (2, -np.inf, {}), "logaddexp2": (2, -np.inf, {}),
    "logical_and": (2, True, {}), "logical_or": (2, False, {}), "logical_xor": (2, False, {}),
    "negative": (1, None, {}),
}


def as_ufuncs(namespace: dict) -> None:
    """Make irax.numpy's add, multiply, maximum, ... jnp.ufunc instances (as in JAX), so
    jnp.add.reduce / .accumulate / .outer / .at work; calling them is unchanged."""
    for name, (nin, identity, fast) in _NUMPY_UFUNCS.items():
        f = namespace[name]
        namespace[name] = ufunc(f, nin, 1, name=name, identity=identity, call=f, **fast)


__all__ = ["ufunc", "frompyfunc"]
