"""jax.lax's array constructors, in-dimension slicing, reductions over axes and cumulative
ops, written over irax.numpy and lax's own slicing (issue #12).

They follow jax.lax's signatures (axes as tuples, `axis`/`reverse` keywords); where lax is
stricter than jnp (select_n's predicate, argmax's required axis) the error is JAX's type.
"""
from __future__ import annotations

import operator

import numpy as np

from .. import numpy as jnp
from ..numpy import _core
from ..tracer import dtypes
from ..tracer.core import get_aval
from ..tracer.prims import bits
from .associative_scan import associative_scan
from .ops import dynamic_slice, dynamic_update_slice, slice as lax_slice


def full(shape, fill_value, dtype=None):
    """An array of `shape` filled with `fill_value`, as jax.lax.full."""
    shape = (shape,) if np.ndim(shape) == 0 else tuple(shape)
    return jnp.full(shape, fill_value, dtype)


def full_like(x, fill_value, dtype=None, shape=None):
    return jnp.full_like(x, fill_value, dtype=dtype, shape=shape)


def broadcasted_iota(dtype, shape, dimension):
    shape = tuple(shape)
    if not 0 <= dimension < len(shape):
        raise ValueError(f"broadcasted_iota: dimension {dimension} out of range for shape {shape}")
    n = shape[dimension]
    line = jnp.arange(n, dtype=dtype).reshape([n if d == dimension else 1 for d in range(len(shape))])
    return jnp.broadcast_to(line, shape)


def broadcast(operand, sizes):
    """Adds leading dimensions `sizes`, as jax.lax.broadcast."""
    operand = jnp.asarray(operand)
    return jnp.broadcast_to(operand, tuple(sizes) + get_aval(operand).shape)


def collapse(operand, start_dimension, stop_dimension=None):
    """Merges dimensions [start, stop) into one, as jax.lax.collapse."""
    shape = get_aval(jnp.asarray(operand)).shape
    lo, hi, _ = slice(start_dimension, stop_dimension).indices(len(shape))
    size = int(np.prod(shape[lo:hi], dtype=np.int64))
    return jnp.reshape(operand, shape[:lo] + (size,) + shape[hi:])


def _axis(operand, axis):
    return _core._axis(operator.index(axis), get_aval(operand).ndim)


def slice_in_dim(operand, start_index, limit_index, stride=1, axis=0):
    operand = jnp.asarray(operand)
    axis = _axis(operand, axis)
    shape = get_aval(operand).shape
    r = range(shape[axis])[start_index:limit_index]  # Python's clipping of None/negative bounds
    start, limit = r.start, max(r.start, r.stop)
    starts = [start if d == axis else 0 for d in range(len(shape))]
    limits = [limit if d == axis else n for d, n in enumerate(shape)]
    strides = [stride if d == axis else 1 for d in range(len(shape))]
    return lax_slice(operand, starts, limits, strides)


def index_in_dim(operand, index, axis=0, keepdims=True):
    operand = jnp.asarray(operand)
    axis = _axis(operand, axis)
    n = get_aval(operand).shape[axis]
    index = operator.index(index)
    if not -n <= index < n:
        raise IndexError(f"index {index} is out of bounds for axis {axis} with size {n}")
    index %= n
    out = slice_in_dim(operand, index, index + 1, axis=axis)
    return out if keepdims else jnp.squeeze(out, axis)


def dynamic_slice_in_dim(operand, start_index, slice_size, axis=0):
    operand = jnp.asarray(operand)
    axis = _axis(operand, axis)
    shape = get_aval(operand).shape
    starts = [start_index if d == axis else 0 for d in range(len(shape))]
    sizes = [slice_size if d == axis else n for d, n in enumerate(shape)]
    return dynamic_slice(operand, starts, sizes)


def dynamic_update_slice_in_dim(operand, update, start_index, axis):
    operand = jnp.asarray(operand)
    axis = _axis(operand, axis)
    starts = [start_index if d == axis else 0 for d in range(get_aval(operand).ndim)]
    return dynamic_update_slice(operand, update, starts)


def dynamic_update_index_in_dim(operand, update, index, axis):
    operand, update = jnp.asarray(operand), jnp.asarray(update)
    axis = _axis(operand, axis)
    if get_aval(update).ndim == get_aval(operand).ndim - 1:
        update = jnp.expand_dims(update, axis)
    return dynamic_update_slice_in_dim(operand, update, index, axis)


def _axes(axes):
    return tuple(operator.index(a) for a in axes)


def reduce_max(operand, axes):
    return jnp.max(operand, axis=_axes(axes))


def reduce_min(operand, axes):
    return jnp.min(operand, axis=_axes(axes))


def reduce_prod(operand, axes):
    operand = jnp.asarray(operand)
    return jnp.prod(operand, axis=_axes(axes), dtype=get_aval(operand).dtype)


def _bool_reduction(name, fn):
    def f(operand, axes):
        operand = jnp.asarray(operand)
        if get_aval(operand).dtype != np.bool_:
            raise TypeError(f"lax.{name}: irax supports boolean operands only, got "
                            f"{get_aval(operand).dtype}")
        return fn(operand, axis=_axes(axes))
    f.__name__ = f.__qualname__ = name
    return f


reduce_and = _bool_reduction("reduce_and", jnp.all)
reduce_or = _bool_reduction("reduce_or", jnp.any)


def argmax(operand, axis, index_dtype):
    operand = jnp.asarray(operand)
    return jnp.argmax(operand, axis=_axis(operand, axis)).astype(index_dtype)


def argmin(operand, axis, index_dtype):
    operand = jnp.asarray(operand)
    return jnp.argmin(operand, axis=_axis(operand, axis)).astype(index_dtype)


def _cumulative(name, combine):
    def f(operand, axis=0, reverse=False):
        operand = jnp.asarray(operand)
        return associative_scan(combine, operand, reverse=reverse,
                                axis=_axis(operand, axis))
    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"Cumulative {name[3:]} along `axis`, as jax.lax.{name}."
    return f


cumprod = _cumulative("cumprod", jnp.multiply)
cummax = _cumulative("cummax", jnp.maximum)
cummin = _cumulative("cummin", jnp.minimum)
cumlogsumexp = _cumulative("cumlogsumexp", jnp.logaddexp)


def select_n(which, *cases):
    """cases[which] elementwise: `which` is boolean for two cases, else an integer index."""
    if not cases:
        raise ValueError("select_n() must have at least one case")
    which = jnp.asarray(which)
    dtype = get_aval(which).dtype
    if dtype == np.bool_:
        if len(cases) > 2:
            raise TypeError("select_n with a boolean predicate takes at most two cases, got "
                            f"{len(cases)}")
    elif dtypes.kind(dtype) not in "iu":
        raise TypeError(f"select_n: which must be boolean or integer, got {dtype}")
    out = jnp.asarray(cases[0])
    for i, case in enumerate(cases[1:], start=1):
        out = jnp.where(which == i, case, out) if dtype != np.bool_ else jnp.where(which, case, out)
    return out


def batch_matmul(lhs, rhs, precision=None):
    lhs, rhs = jnp.asarray(lhs), jnp.asarray(rhs)
    if get_aval(lhs).ndim < 2 or get_aval(lhs).ndim != get_aval(rhs).ndim:
        raise ValueError("batch_matmul requires arguments of equal rank >= 2, got ranks "
                         f"{get_aval(lhs).ndim} and {get_aval(rhs).ndim}")
    return jnp.matmul(lhs, rhs)


bitcast_convert_type = bits.bitcast_convert_type

__all__ = ["full", "full_like", "broadcasted_iota", "broadcast", "collapse", "slice_in_dim",
           "index_in_dim", "dynamic_slice_in_dim", "dynamic_update_slice_in_dim",
           "dynamic_update_index_in_dim", "reduce_max", "reduce_min", "reduce_prod",
           "reduce_and", "reduce_or", "argmax", "argmin", "cumprod", "cummax", "cummin",
           "cumlogsumexp", "select_n", "batch_matmul", "bitcast_convert_type"]
