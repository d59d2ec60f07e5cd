"""Integer-array indexing along one axis: gather (take) and its transpose, scatter-add.

gather(x, idx; axis) has shape x.shape[:axis] + idx.shape + x.shape[axis+1:]; indices
are clamped into range (as jnp indexing does by default); negative indices are
normalised by irax.numpy before binding.

Layering: above elementwise and shape; slicing.py batches per-example dynamic slices with
the gathers here.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .. import core
from ..ad_util import Zero, instantiate
from ..batching import batch_rules, bdim_to_front, move_axis
from ..core import Primitive, ShapedArray, get_aval
from ..jvp import jvp_rules
from ..rules import BDim, Tangent, Value
from ..transpose import NonlinearError, is_undefined, transpose_rules
from .elementwise import add, and_p, ge_p, lt, max_p, min_p, mul, select, sub
from .shape import broadcast_in_dim, full, iota, reshape, transpose

gather_p = Primitive("gather")
scatter_add_p = Primitive("scatter_add")


def _gather_abstract(x: ShapedArray, idx: ShapedArray, *, axis: int) -> ShapedArray:
    if idx.dtype.kind not in "iu":
        raise TypeError(f"indices must be integers, got {idx.dtype.name}")
    if not 0 <= axis < x.ndim:
        raise IndexError(f"gather axis {axis} out of bounds for shape {x.shape}")
    return ShapedArray(x.shape[:axis] + idx.shape + x.shape[axis + 1:], x.dtype, x.weak_type)


def _scatter_add_abstract(x: ShapedArray, idx: ShapedArray, upd: ShapedArray, *, axis: int
                          ) -> ShapedArray:
    expected = x.shape[:axis] + idx.shape + x.shape[axis + 1:]
    if upd.shape != expected or upd.dtype != x.dtype:
        raise TypeError(f"scatter_add: updates {upd.str_short()} do not match "
                        f"expected {expected} of {x.dtype.name}")
    return x


def _gather_impl(x: np.ndarray, idx: np.ndarray, *, axis: int) -> np.ndarray:
    n = x.shape[axis]
    return np.take(x, np.clip(idx, 0, n - 1), axis=axis)


def _scatter_add_impl(x: np.ndarray, idx: np.ndarray, upd: np.ndarray, *, axis: int
                      ) -> np.ndarray:
    out = x.copy()
    n = x.shape[axis]
    idx = np.clip(idx, 0, n - 1)
    moved = np.moveaxis(out, axis, 0)          # a view: writes land in out
    upd_moved = np.moveaxis(upd, list(range(axis, axis + idx.ndim)), list(range(idx.ndim)))
    np.add.at(moved, idx, upd_moved)
    return out


def gather(x: Value, idx: Value, axis: int) -> Value:
    return gather_p.bind(x, idx, axis=int(axis))


def scatter_add(x: Value, idx: Value, upd: Value, axis: int) -> Value:
    return scatter_add_p.bind(x, idx, upd, axis=int(axis))


def _gather_jvp(primals: Sequence[Value], tangents: Sequence[Tangent], *, axis: int
                ) -> tuple[Value, Tangent]:
    x, idx = primals
    out = gather(x, idx, axis)
    if isinstance(tangents[0], Zero):
        return out, Zero(get_aval(out))
    return out, gather(tangents[0], idx, axis)


def _gather_transpose(ct: Tangent, x: Value, idx: Value, *, axis: int) -> list[Tangent | None]:
    if is_undefined(idx):
        raise NonlinearError("gather with tangent indices")
    zeros = full(x.aval.shape, 0, x.aval.dtype)
    return [scatter_add(zeros, idx, ct, axis), None]


def _scatter_add_jvp(primals: Sequence[Value], tangents: Sequence[Tangent], *, axis: int
                     ) -> tuple[Value, Tangent]:
    x, idx, upd = primals
    tx, _, tu = tangents
    out = scatter_add(x, idx, upd, axis)
    if isinstance(tx, Zero) and isinstance(tu, Zero):
        return out, Zero(get_aval(out))
    return out, scatter_add(instantiate(tx), idx, instantiate(tu), axis)


def _scatter_add_transpose(ct: Tangent, x: Value, idx: Value, upd: Value, *, axis: int
                           ) -> list[Tangent | None]:
    return [ct if is_undefined(x) else None, None,
            gather(ct, idx, axis) if is_undefined(upd) else None]


def _flatten_batch_into_axis(x: Value, idx: Value, axis: int, axis_size: int
                             ) -> tuple[Value, Value]:
    """Both batched (axis 0): fold the batch into the gathered axis so one gather serves
    every example. Returns (x2, idx2) for a gather along axis 0 of x2."""
    xa = get_aval(x)
    n = xa.shape[axis + 1]
    x = move_axis(x, axis + 1, 1)                       # (B, n, rest...)
    rest = tuple(s for i, s in enumerate(xa.shape) if i not in (0, axis + 1))
    x2 = reshape(x, (axis_size * n, *rest))
    ia = get_aval(idx)
    idx = _clamp(idx, n)
    offs = mul(iota(ia.dtype, ia.shape, 0), full(ia.shape, n, ia.dtype))
    return x2, add(idx, offs)


def _clamp(idx: Value, n: int) -> Value:
    a = get_aval(idx)
    return min_p.bind(max_p.bind(idx, full(a.shape, 0, a.dtype)), full(a.shape, n - 1, a.dtype))


def _gather_batch(axis_size: int, vals: Sequence[Value], dims: Sequence[BDim], *, axis: int
                  ) -> tuple[Value, BDim]:
    x, idx = vals
    dx, di = dims
    if di is None:
        return gather(x, idx, axis + 1), 0
    if dx is None:
        out = gather(x, idx, axis)
        return move_axis(out, axis, 0), 0
    x2, idx2 = _flatten_batch_into_axis(x, idx, axis, axis_size)
    out = gather(x2, idx2, 0)                            # (B, idx..., rest...)
    ni = get_aval(idx).ndim - 1
    # rest = pre-axis dims then post-axis dims; put the idx dims after the pre-axis dims
    perm = [0] + list(range(1 + ni, 1 + ni + axis)) + list(range(1, 1 + ni)) + \
        list(range(1 + ni + axis, get_aval(out).ndim))
    return transpose(out, tuple(perm)), 0


def _scatter_add_batch(axis_size: int, vals: Sequence[Value], dims: Sequence[BDim], *,
                       axis: int) -> tuple[Value, BDim]:
    x, idx, upd = vals
    dx, di, du = dims
    if di is None:
        x = bdim_to_front(x, dx, axis_size)
        upd = bdim_to_front(upd, du, axis_size)
        return scatter_add(x, idx, upd, axis + 1), 0
    x = bdim_to_front(x, dx, axis_size)
    upd = bdim_to_front(upd, du, axis_size)
    xa = get_aval(x)
    x2, idx2 = _flatten_batch_into_axis(x, idx, axis, axis_size)
    ni = get_aval(idx).ndim - 1
    # updates (B, pre..., idx..., post...) -> (B, idx..., pre..., post...)
    ua = get_aval(upd)
    perm = [0] + list(range(1 + axis, 1 + axis + ni)) + list(range(1, 1 + axis)) + \
        list(range(1 + axis + ni, ua.ndim))
    upd2 = transpose(upd, tuple(perm))
    out2 = scatter_add(x2, idx2, upd2, 0)
    n = xa.shape[axis + 1]
    rest = tuple(s for i, s in enumerate(xa.shape) if i not in (0, axis + 1))
    out = reshape(out2, (axis_size, n, *rest))
    return move_axis(out, 1, axis + 1), 0


def dynamic_slice_batched_indices(axis_size: int, x: Value, dx: BDim, idx: Sequence[Value],
                                  didx: Sequence[BDim], slice_sizes: Sequence[int]) -> Value:
    """dynamic_slice whose start indices differ per example: one gather per axis."""
    x = bdim_to_front(x, dx, axis_size)
    xa = get_aval(x)
    for d, (start, ds, size) in enumerate(zip(idx, didx, slice_sizes)):
        n = xa.shape[d + 1]
        sa = get_aval(start)
        start = bdim_to_front(start, ds, axis_size)                        # (B,)
        lo, hi = full((axis_size,), 0, sa.dtype), full((axis_size,), n - size, sa.dtype)
        start = min_p.bind(max_p.bind(start, lo), hi)
        rng = iota(sa.dtype, (axis_size, size), 1)
        positions = add(broadcast_in_dim(start, (axis_size, size), (0,)), rng)   # (B, size)
        x, _ = _gather_batch(axis_size, [x, positions], [0, 0], axis=d)
    return x


def dynamic_update_slice_batched_indices(axis_size: int, x: Value, dx: BDim, upd: Value,
                                         du: BDim, idx: Sequence[Value], didx: Sequence[BDim]
                                         ) -> Value:
    """dynamic_update_slice whose start indices differ per example: spread the update over
    the operand's shape with one gather per axis, then select inside the window."""
    x = bdim_to_front(x, dx, axis_size)
    upd = bdim_to_front(upd, du, axis_size)
    xa, ua = get_aval(x), get_aval(upd)
    mask = None
    for d, (start, ds) in enumerate(zip(idx, didx)):
        n, size = xa.shape[d + 1], ua.shape[d + 1]
        sa = get_aval(start)
        start = bdim_to_front(start, ds, axis_size)                        # (B,)
        lo, hi = full((axis_size,), 0, sa.dtype), full((axis_size,), n - size, sa.dtype)
        start = min_p.bind(max_p.bind(start, lo), hi)
        rel = sub(iota(sa.dtype, (axis_size, n), 1),
                  broadcast_in_dim(start, (axis_size, n), (0,)))          # (B, n)
        inside = and_p.bind(ge_p.bind(rel, full((axis_size, n), 0, sa.dtype)),
                            lt(rel, full((axis_size, n), size, sa.dtype)))
        upd, _ = _gather_batch(axis_size, [upd, _clamp(rel, size)], [0, 0], axis=d)
        m = broadcast_in_dim(inside, xa.shape, (0, d + 1))
        mask = m if mask is None else and_p.bind(mask, m)
    return x if mask is None else select(mask, upd, x)


core.abstract_eval_rules[gather_p] = _gather_abstract
core.impl_rules[gather_p] = _gather_impl
jvp_rules[gather_p] = _gather_jvp
transpose_rules[gather_p] = _gather_transpose
batch_rules[gather_p] = _gather_batch

core.abstract_eval_rules[scatter_add_p] = _scatter_add_abstract
core.impl_rules[scatter_add_p] = _scatter_add_impl
jvp_rules[scatter_add_p] = _scatter_add_jvp
transpose_rules[scatter_add_p] = _scatter_add_transpose
batch_rules[scatter_add_p] = _scatter_add_batch
