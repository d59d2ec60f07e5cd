"""Reductions: reduce_sum/max/min/prod/and/or, argmax/argmin, cumsum.

Layering: above elementwise and shape; provides `reduce_sum` to ad_util (for the transposes
in shape.py that sum).
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from .. import ad_util, core, dtypes
from ..batching import batch_rules
from ..core import Primitive, ShapedArray, get_aval
from ..jvp import defzero, deflinear, jvp_rules
from ..rules import AbstractEvalRule, BatchRule, BDim, JvpRule, Tangent, Value
from ..transpose import transpose_rules
from .elementwise import div, eq, mul, convert_element_type, select
from .shape import broadcast_in_dim, full

reduce_sum_p = Primitive("reduce_sum")
reduce_max_p = Primitive("reduce_max")
reduce_min_p = Primitive("reduce_min")
reduce_prod_p = Primitive("reduce_prod")
reduce_and_p = Primitive("reduce_and")
reduce_or_p = Primitive("reduce_or")
argmax_p = Primitive("argmax")
argmin_p = Primitive("argmin")
cumsum_p = Primitive("cumsum")


def _check_axes(name: str, x: ShapedArray, axes: Sequence[int]) -> None:
    for a in axes:
        if not 0 <= a < x.ndim:
            raise ValueError(f"{name}: axis {a} is out of bounds for array of dimension {x.ndim}")
    if len(set(axes)) != len(axes):
        raise ValueError(f"{name}: repeated axis in {axes}")


def _reduce_abstract(name: str, kinds: str) -> AbstractEvalRule:
    def rule(x: ShapedArray, *, axes: tuple[int, ...]) -> ShapedArray:
        _check_axes(name, x, axes)
        if dtypes.kind(x.dtype) not in kinds:
            raise TypeError(f"{name} does not accept dtype {x.dtype.name}")
        return ShapedArray(tuple(n for i, n in enumerate(x.shape) if i not in axes),
                           x.dtype, x.weak_type)
    return rule


def _arg_abstract(name: str) -> AbstractEvalRule:
    def rule(x: ShapedArray, *, axis: int, index_dtype: np.dtype) -> ShapedArray:
        _check_axes(name, x, (axis,))
        if x.shape[axis] == 0:
            raise ValueError(f"{name} of an empty axis")
        return ShapedArray(tuple(n for i, n in enumerate(x.shape) if i != axis),
                           np.dtype(index_dtype), False)
    return rule


def _cumsum_abstract(x: ShapedArray, *, axis: int, reverse: bool = False) -> ShapedArray:
    _check_axes("cumsum", x, (axis,))
    return x


# ---------------------------------------------------------------------------
# Helpers


def reduce_sum(x: Value, axes: Sequence[int]) -> Value:
    axes = tuple(sorted(int(a) for a in axes))
    return reduce_sum_p.bind(x, axes=axes) if axes else x


def reduce_max(x: Value, axes: Sequence[int]) -> Value:
    axes = tuple(sorted(int(a) for a in axes))
    return reduce_max_p.bind(x, axes=axes) if axes else x


def keep_axes_shape(in_shape: Sequence[int], axes: Sequence[int]) -> tuple[int, ...]:
    return tuple(1 if i in axes else n for i, n in enumerate(in_shape))


def broadcast_back(y: Value, in_shape: Sequence[int], axes: Sequence[int]) -> Value:
    """Broadcast a reduced value back over the reduced axes."""
    kept = tuple(i for i in range(len(in_shape)) if i not in axes)
    return broadcast_in_dim(y, in_shape, kept)


def cumsum(x: Value, axis: int, reverse: bool = False) -> Value:
    return cumsum_p.bind(x, axis=int(axis), reverse=bool(reverse))


# ---------------------------------------------------------------------------
# Rules


def _reduce_sum_transpose(ct: Tangent, x: Value, *, axes: tuple[int, ...]) -> list[Tangent]:
    return [broadcast_back(ct, x.aval.shape, axes)]


def _reduce_batch(prim: Primitive) -> BatchRule:
    def rule(axis_size: int, vals: Sequence[Value], dims: Sequence[BDim], *,
             axes: tuple[int, ...]) -> tuple[Value, BDim]:
        return prim.bind(vals[0], axes=tuple(a + 1 for a in axes)), 0
    return rule


def _arg_batch(prim: Primitive) -> BatchRule:
    def rule(axis_size: int, vals: Sequence[Value], dims: Sequence[BDim], *, axis: int,
             index_dtype: np.dtype) -> tuple[Value, BDim]:
        return prim.bind(vals[0], axis=axis + 1, index_dtype=index_dtype), 0
    return rule


def _minmax_jvp(prim: Primitive) -> JvpRule:
    # the tangent is the mean of the tangents at the locations attaining the extremum
    def rule(primals: Sequence[Value], tangents: Sequence[Tangent], *, axes: tuple[int, ...]
             ) -> tuple[Value, Tangent]:
        (x,), (t,) = primals, tangents
        out = prim.bind(x, axes=axes)
        shape = get_aval(x).shape
        mask = convert_element_type(eq(x, broadcast_back(out, shape, axes)), get_aval(x).dtype)
        count = reduce_sum(mask, axes)
        return out, div(reduce_sum(mul(t, mask), axes), count)
    return rule


def _prod_jvp(primals: Sequence[Value], tangents: Sequence[Tangent], *, axes: tuple[int, ...]
              ) -> tuple[Value, Tangent]:
    (x,), (t,) = primals, tangents
    out = reduce_prod_p.bind(x, axes=axes)
    # d prod = sum_i t_i * prod_{j != i} x_j. Where x_i != 0 that is out / x_i; where
    # x_i == 0 it is the product of the other entries: nonzero only if x_i is the sole
    # zero of its slice, and then equal to the product of the nonzero entries.
    xa = get_aval(x)
    zero, one = full(xa.shape, 0, xa.dtype), full(xa.shape, 1, xa.dtype)
    is_zero = eq(x, zero)
    safe_x = select(is_zero, one, x)
    n_zeros = reduce_sum(convert_element_type(is_zero, xa.dtype), axes)
    prod_nonzero = reduce_prod_p.bind(safe_x, axes=axes)
    only_zero = eq(broadcast_back(n_zeros, xa.shape, axes), one)
    at_zero = select(only_zero, broadcast_back(prod_nonzero, xa.shape, axes), zero)
    coef = select(is_zero, at_zero, div(broadcast_back(out, xa.shape, axes), safe_x))
    return out, reduce_sum(mul(t, coef), axes)


def _cumsum_transpose(ct: Tangent, x: Value, *, axis: int, reverse: bool = False
                      ) -> list[Tangent]:
    return [cumsum(ct, axis, not reverse)]


def _cumsum_impl(x: np.ndarray, *, axis: int, reverse: bool = False) -> np.ndarray:
    if reverse:
        return np.flip(np.cumsum(np.flip(x, axis), axis=axis, dtype=x.dtype), axis)
    return np.cumsum(x, axis=axis, dtype=x.dtype)


def _np_reduce(fn: Callable[..., Any]) -> Callable[..., np.ndarray]:
    def impl(x: np.ndarray, *, axes: tuple[int, ...]) -> np.ndarray:
        return np.asarray(fn(x, axis=tuple(axes)), dtype=x.dtype)
    return impl


# ---------------------------------------------------------------------------
# Registration

core.abstract_eval_rules[reduce_sum_p] = _reduce_abstract("reduce_sum", "fciu")
core.impl_rules[reduce_sum_p] = _np_reduce(np.sum)
deflinear(reduce_sum_p)
transpose_rules[reduce_sum_p] = _reduce_sum_transpose
batch_rules[reduce_sum_p] = _reduce_batch(reduce_sum_p)

core.abstract_eval_rules[reduce_max_p] = _reduce_abstract("reduce_max", "fiub")
core.impl_rules[reduce_max_p] = _np_reduce(np.max)
jvp_rules[reduce_max_p] = _minmax_jvp(reduce_max_p)
batch_rules[reduce_max_p] = _reduce_batch(reduce_max_p)

core.abstract_eval_rules[reduce_min_p] = _reduce_abstract("reduce_min", "fiub")
core.impl_rules[reduce_min_p] = _np_reduce(np.min)
jvp_rules[reduce_min_p] = _minmax_jvp(reduce_min_p)
batch_rules[reduce_min_p] = _reduce_batch(reduce_min_p)

core.abstract_eval_rules[reduce_prod_p] = _reduce_abstract("reduce_prod", "fciu")
core.impl_rules[reduce_prod_p] = _np_reduce(np.prod)
jvp_rules[reduce_prod_p] = _prod_jvp
batch_rules[reduce_prod_p] = _reduce_batch(reduce_prod_p)

core.abstract_eval_rules[reduce_and_p] = _reduce_abstract("reduce_and", "b")
core.impl_rules[reduce_and_p] = _np_reduce(np.all)
defzero(reduce_and_p)
batch_rules[reduce_and_p] = _reduce_batch(reduce_and_p)

core.abstract_eval_rules[reduce_or_p] = _reduce_abstract("reduce_or", "b")
core.impl_rules[reduce_or_p] = _np_reduce(np.any)
defzero(reduce_or_p)
batch_rules[reduce_or_p] = _reduce_batch(reduce_or_p)

core.abstract_eval_rules[argmax_p] = _arg_abstract("argmax")
core.impl_rules[argmax_p] = lambda x, *, axis, index_dtype: np.asarray(
    np.argmax(x, axis=axis), dtype=index_dtype)
defzero(argmax_p)
batch_rules[argmax_p] = _arg_batch(argmax_p)

core.abstract_eval_rules[argmin_p] = _arg_abstract("argmin")
core.impl_rules[argmin_p] = lambda x, *, axis, index_dtype: np.asarray(
    np.argmin(x, axis=axis), dtype=index_dtype)
defzero(argmin_p)
batch_rules[argmin_p] = _arg_batch(argmin_p)

core.abstract_eval_rules[cumsum_p] = _cumsum_abstract
core.impl_rules[cumsum_p] = _cumsum_impl
deflinear(cumsum_p)
transpose_rules[cumsum_p] = _cumsum_transpose
batch_rules[cumsum_p] = lambda axis_size, vals, dims, *, axis, reverse=False: (
    cumsum(vals[0], axis + 1, reverse), 0)

ad_util.provide(reduce_sum=reduce_sum)
