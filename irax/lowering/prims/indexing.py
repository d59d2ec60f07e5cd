"""Lowering of gather / scatter_add / scatter along one axis (irax/tracer/prims/indexing.py).

The indices these primitives receive are in bounds by construction: the tracer's wrappers
clamp, mask or redirect them in the IR before binding (IREE does not bound a raw gather or
scatter: out-of-range indices read past the buffer or write the wrong element)."""
from __future__ import annotations

import numpy as np

from ...tracer import dtypes
from ...tracer.core import ShapedArray
from ...tracer.prims import indexing as ix
from .. import hlo
from ..context import RuleContext
from ..emitter import Emitter, Region, aval_type, i64_array, int_list, tensor_type
from ..rules import register_lowering
from .reduce import reduce_split


def _gather(ctx: RuleContext, x: str, idx: str, *, axis: int) -> str:
    xa, ia = ctx.avals_in
    out = ctx.avals_out[0]
    nb = ia.ndim
    offset_dims = list(range(axis)) + list(range(axis + nb, out.ndim))
    sizes = [1 if i == axis else n for i, n in enumerate(xa.shape)]
    # IREE 3.13 constant-folds reduce(gather(splat constant)) to a wrong value (see
    # tests/fuzz/test_regressions.py); a barrier on the operand keeps the fold away.
    x = ctx.em.op1("stablehlo.optimization_barrier", [x], [aval_type(xa)], aval_type(xa))
    dn = (f"#stablehlo.gather<offset_dims = {int_list(offset_dims)}, "
          f"collapsed_slice_dims = [{axis}], start_index_map = [{axis}], "
          f"index_vector_dim = {nb}>")
    return ctx.em.op1("stablehlo.gather", [x, idx], [aval_type(xa), aval_type(ia)],
                      aval_type(out), {"dimension_numbers": dn,
                                       "slice_sizes": i64_array(sizes),
                                       "indices_are_sorted": "false"})


# IREE 3.13's Vulkan code generation applies at most 65535 scatter updates (index rows,
# whatever the window size; measured on lavapipe: 70000 ones scattered into 10 bins sum to
# 65535, the rest are dropped silently, like the long reductions in prims/reduce.py). On
# Vulkan, longer scatters are applied as a chain of scatters of at most
# _VULKAN_SCATTER_ROWS index rows each.
_VULKAN_MAX_SCATTER = 65535
_VULKAN_SCATTER_ROWS = 32768


def _combiner(combine: str, dtype: np.dtype) -> str | None:
    """The stablehlo op merging an update into an element; None for "set" (the update)."""
    if combine == "set":
        return None
    if dtypes.kind(dtype) == "b":
        return {"add": "or", "mul": "and", "min": "and", "max": "or"}[combine]
    return {"add": "add", "mul": "multiply", "min": "minimum", "max": "maximum"}[combine]


def _identity(combine: str, dtype: np.dtype) -> object:
    if combine == "add":
        return 0
    if combine == "mul":
        return True if dtypes.kind(dtype) == "b" else 1
    return hlo.max_value(dtype) if combine == "min" else hlo.min_value(dtype)


def _scatter_add(ctx: RuleContext, x: str, idx: str, upd: str, *, axis: int) -> str:
    return _scatter_any(ctx, x, idx, upd, axis, "add", vulkan=False)


def _scatter_add_vulkan(ctx: RuleContext, x: str, idx: str, upd: str, *, axis: int) -> str:
    return _scatter_any(ctx, x, idx, upd, axis, "add", vulkan=True)


def _scatter(ctx: RuleContext, x: str, idx: str, upd: str, *, axis: int, combine: str,
             unique_indices: bool) -> str:
    return _scatter_any(ctx, x, idx, upd, axis, combine, vulkan=False)


def _scatter_vulkan(ctx: RuleContext, x: str, idx: str, upd: str, *, axis: int, combine: str,
                    unique_indices: bool) -> str:
    return _scatter_any(ctx, x, idx, upd, axis, combine, vulkan=True)


def _scatter_any(ctx: RuleContext, x: str, idx: str, upd: str, axis: int, combine: str,
                 vulkan: bool) -> str:
    xa, ia, ua = ctx.avals_in
    if ua.size == 0:
        # nothing to scatter; IREE 3.13's compiler dies of SIGFPE on an empty scatter
        return x
    if vulkan:
        n_idx = int(np.prod(ia.shape, dtype=np.int64))
        if n_idx > 8192 and xa.shape[axis] == 1:
            # every index is 0: x combined with all the updates at once. (IREE 3.13 fails
            # to compile such a scatter on Vulkan: "uses 131072 bytes of shared memory".)
            return _scatter_into_one(ctx, x, upd, axis, ia.ndim, combine)
        if n_idx > _VULKAN_MAX_SCATTER:
            return _vulkan_scatter_chunks(ctx, x, idx, upd, axis, n_idx, combine)
    return _scatter_emit(ctx.em, x, idx, upd, xa, ia, ua, axis, combine)


def _scatter_into_one(ctx: RuleContext, x: str, upd: str, axis: int, nb: int,
                      combine: str) -> str:
    em = ctx.em
    xa, _, ua = ctx.avals_in
    flat_u = ua.update(shape=(*xa.shape[:axis], int(np.prod(ua.shape[axis:axis + nb])),
                              *xa.shape[axis + 1:]))
    upd = hlo.reshape(em, upd, ua, flat_u.shape)
    op = _combiner(combine, xa.dtype)
    if op is None:       # "set": the last update is one of the updates
        k = flat_u.shape[axis]
        lo = [k - 1 if d == axis else 0 for d in range(flat_u.ndim)]
        return em.op1("stablehlo.slice", [upd], [aval_type(flat_u)], aval_type(xa),
                      {"start_indices": i64_array(lo), "limit_indices": i64_array(flat_u.shape),
                       "strides": i64_array([1] * flat_u.ndim)})
    s_aval = hlo.scalar_aval(xa.dtype)
    init = hlo.full(em, _identity(combine, xa.dtype), xa.dtype, ())
    total = reduce_split(ctx, [upd], [flat_u], [init], [_identity(combine, xa.dtype)], [axis],
                         lambda em_, accs, xs: [hlo.binary(em_, op, accs[0], xs[0], s_aval)])[0]
    total = hlo.reshape(em, total, flat_u.update(shape=[n for d, n in enumerate(flat_u.shape)
                                                        if d != axis]), xa.shape)
    return hlo.binary(em, op, x, total, xa)


def _vulkan_scatter_chunks(ctx: RuleContext, x: str, idx: str, upd: str, axis: int,
                           n_idx: int, combine: str) -> str:
    em = ctx.em
    xa, ia, ua = ctx.avals_in
    # one flat index dimension: idx (N,), updates xa.shape[:axis] + (N,) + xa.shape[axis+1:]
    flat_i = ia.update(shape=(n_idx,))
    idx = hlo.reshape(em, idx, ia, flat_i.shape)
    flat_u = ua.update(shape=(*xa.shape[:axis], n_idx, *xa.shape[axis + 1:]))
    upd = hlo.reshape(em, upd, ua, flat_u.shape)
    rows = _VULKAN_SCATTER_ROWS
    for start in range(0, n_idx, rows):
        stop = min(start + rows, n_idx)
        ci = em.op1("stablehlo.slice", [idx], [aval_type(flat_i)],
                    aval_type(flat_i.update(shape=(stop - start,))),
                    {"start_indices": i64_array([start]), "limit_indices": i64_array([stop]),
                     "strides": i64_array([1])})
        lo = [start if d == axis else 0 for d in range(flat_u.ndim)]
        hi = [stop if d == axis else n for d, n in enumerate(flat_u.shape)]
        cu_aval = flat_u.update(shape=[h - l for l, h in zip(lo, hi)])
        cu = em.op1("stablehlo.slice", [upd], [aval_type(flat_u)], aval_type(cu_aval),
                    {"start_indices": i64_array(lo), "limit_indices": i64_array(hi),
                     "strides": i64_array([1] * flat_u.ndim)})
        x = _scatter_emit(em, x, ci, cu, xa, flat_i.update(shape=(stop - start,)), cu_aval,
                          axis, combine)
    return x


def _scatter_emit(em: Emitter, x: str, idx: str, upd: str, xa: ShapedArray, ia: ShapedArray,
                  ua: ShapedArray, axis: int, combine: str) -> str:
    nb = ia.ndim
    window = list(range(axis)) + list(range(axis + nb, ua.ndim))
    dn = (f"#stablehlo.scatter<update_window_dims = {int_list(window)}, "
          f"inserted_window_dims = [{axis}], scatter_dims_to_operand_dims = [{axis}], "
          f"index_vector_dim = {nb}>")
    st = tensor_type((), xa.dtype)
    s_aval = hlo.scalar_aval(xa.dtype)
    op = _combiner(combine, xa.dtype)
    if op is None:
        region = Region([st, st], [st], lambda em_, a: [a[1]])
    else:
        region = Region([st, st], [st],
                        lambda em_, a: [hlo.binary(em_, op, a[0], a[1], s_aval)])
    return em.op1("stablehlo.scatter", [x, idx, upd],
                  [aval_type(xa), aval_type(ia), aval_type(ua)], aval_type(xa),
                  {"scatter_dimension_numbers": dn, "indices_are_sorted": "false",
                   "unique_indices": "false"}, regions=[region])


# ---------------------------------------------------------------------------
# Registration

register_lowering(ix.gather_p, _gather)
register_lowering(ix.scatter_add_p, _scatter_add)
register_lowering(ix.scatter_add_p, _scatter_add_vulkan, target="vulkan")
register_lowering(ix.scatter_p, _scatter)
register_lowering(ix.scatter_p, _scatter_vulkan, target="vulkan")
