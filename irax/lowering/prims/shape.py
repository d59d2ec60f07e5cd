"""Lowering of the shape primitives (irax/tracer/prims/shape.py and slicing.py)."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ...tracer import dtypes
from ...tracer.core import ShapedArray
from ...tracer.prims import shape as sh
from ...tracer.prims import slicing
from ...tracer.prims.elementwise import real_dtype
from .. import hlo
from ..emitter import aval_type, i64_array
from ..context import RuleContext
from ..rules import register_lowering


def _broadcast_in_dim(ctx: RuleContext, x: str, *, shape: Sequence[int],
                      broadcast_dimensions: Sequence[int]) -> str:
    return hlo.broadcast_in_dim(ctx.em, x, ctx.avals_in[0], shape, broadcast_dimensions)


def _reshape(ctx: RuleContext, x: str, **params: Any) -> str:
    return hlo.reshape(ctx.em, x, ctx.avals_in[0], ctx.avals_out[0].shape)


def _transpose(ctx: RuleContext, x: str, *, permutation: Sequence[int]) -> str:
    y = ctx.em.op1("stablehlo.transpose", [x], [aval_type(ctx.avals_in[0])],
                   aval_type(ctx.avals_out[0]), {"permutation": i64_array(permutation)})
    if x in ctx.em.strided_views:
        ctx.em.strided_views.add(y)
    return y


def _concatenate(ctx: RuleContext, *xs: str, dimension: int) -> str:
    return ctx.em.op1("stablehlo.concatenate", list(xs), [aval_type(a) for a in ctx.avals_in],
                      aval_type(ctx.avals_out[0]), {"dimension": f"{int(dimension)} : i64"})


def _pad(ctx: RuleContext, x: str, padval: str, *,
         padding_config: Sequence[tuple[int, int, int]]) -> str:
    lo, hi, interior = zip(*padding_config) if padding_config else ((), (), ())
    attrs = {"edge_padding_low": i64_array(lo), "edge_padding_high": i64_array(hi),
             "interior_padding": i64_array(interior)}
    if dtypes.kind(ctx.avals_in[0].dtype) == "c":
        return _pad_complex(ctx, x, padval, attrs)
    return ctx.em.op1("stablehlo.pad", [x, padval], [aval_type(a) for a in ctx.avals_in],
                      aval_type(ctx.avals_out[0]), attrs)


def _pad_complex(ctx: RuleContext, x: str, padval: str, attrs: dict[str, str]) -> str:
    """IREE 3.13 crashes (segfault in TensorPadToTensorInsertSlice) on a stablehlo.pad of a
    complex tensor: pad the real and imaginary parts and put them back together."""
    em = ctx.em
    xa, pa = ctx.avals_in
    out = ctx.avals_out[0]
    part = real_dtype(xa.dtype)
    parts = []
    for op in ("stablehlo.real", "stablehlo.imag"):
        v = em.op1(op, [x], [aval_type(xa)], aval_type(xa.update(dtype=part)))
        p = em.op1(op, [padval], [aval_type(pa)], aval_type(pa.update(dtype=part)))
        parts.append(em.op1("stablehlo.pad", [v, p], [aval_type(xa.update(dtype=part)),
                                                       aval_type(pa.update(dtype=part))],
                            aval_type(out.update(dtype=part)), attrs))
    return em.op1("stablehlo.complex", parts, [aval_type(out.update(dtype=part))] * 2,
                  aval_type(out))


def _slice(ctx: RuleContext, x: str, *, start_indices: Sequence[int],
           limit_indices: Sequence[int], strides: Sequence[int] | None = None) -> str:
    strides = strides or (1,) * len(start_indices)
    y = ctx.em.op1("stablehlo.slice", [x], [aval_type(ctx.avals_in[0])],
                   aval_type(ctx.avals_out[0]),
                   {"start_indices": i64_array(start_indices),
                    "limit_indices": i64_array(limit_indices),
                    "strides": i64_array(strides)})
    if any(s > 1 for s in strides):
        ctx.em.strided_views.add(y)
    return y


def _rev(ctx: RuleContext, x: str, *, dimensions: Sequence[int]) -> str:
    if not dimensions:
        return x
    a = ctx.avals_in[0]
    if dtypes.kind(a.dtype) == "u":
        # IREE 3.13 fails to compile stablehlo.reverse of unsigned integers ("failed to
        # legalize operation 'linalg.generic'"): reverse the same bits as a signed type
        signed = a.update(dtype=np.dtype(f"int{a.dtype.itemsize * 8}"))
        y = ctx.em.op1("stablehlo.bitcast_convert", [x], [aval_type(a)], aval_type(signed))
        y = ctx.em.op1("stablehlo.reverse", [y], [aval_type(signed)], aval_type(signed),
                       {"dimensions": i64_array(dimensions)})
        return ctx.em.op1("stablehlo.bitcast_convert", [y], [aval_type(signed)], aval_type(a))
    if x in ctx.em.strided_views:
        # IREE 3.13 folds a reverse of a strided slice (also through transposes or another
        # reverse) into one view it cannot lower on llvm-cpu ("LLVM Translation failed for
        # operation: builtin.unrealized_conversion_cast"): materialise the slice first
        x = ctx.em.op1("stablehlo.optimization_barrier", [x], [aval_type(a)], aval_type(a))
    return ctx.em.op1("stablehlo.reverse", [x], [aval_type(a)],
                      aval_type(ctx.avals_out[0]), {"dimensions": i64_array(dimensions)})


def _iota(ctx: RuleContext, *, dtype: Any, shape: Sequence[int], dimension: int) -> str:
    out = ctx.avals_out[0]
    if out.dtype == np.bool_:   # iota of bools: 0 -> False, else True
        as_int = out.update(dtype=np.int32)
        i = ctx.em.op1("stablehlo.iota", [], [], aval_type(as_int),
                       {"iota_dimension": f"{int(dimension)} : i64"})
        return hlo.compare(ctx.em, "NE", i, hlo.full(ctx.em, 0, np.int32, out.shape), as_int)
    return ctx.em.op1("stablehlo.iota", [], [], aval_type(out),
                      {"iota_dimension": f"{int(dimension)} : i64"})


def index_scalars(ctx: RuleContext, names: Sequence[str],
                  avals: Sequence[ShapedArray]) -> tuple[list[str], list[ShapedArray]]:
    """Start indices as 0-d tensors of one integer type (StableHLO requires one type)."""
    if not avals:
        return [], []
    dt = np.dtype(np.int64) if any(a.dtype.itemsize == 8 for a in avals) else np.dtype(np.int32)
    out = [hlo.convert(ctx.em, n, a, dt) for n, a in zip(names, avals)]
    return out, [hlo.scalar_aval(dt)] * len(out)


def _dynamic_slice(ctx: RuleContext, x: str, *idx: str, slice_sizes: Sequence[int]) -> str:
    idx, idx_avals = index_scalars(ctx, idx, ctx.avals_in[1:])
    return ctx.em.op1("stablehlo.dynamic_slice", [x, *idx],
                      [aval_type(ctx.avals_in[0])] + [aval_type(a) for a in idx_avals],
                      aval_type(ctx.avals_out[0]), {"slice_sizes": i64_array(slice_sizes)})


def _dynamic_update_slice(ctx: RuleContext, x: str, upd: str, *idx: str) -> str:
    idx, idx_avals = index_scalars(ctx, idx, ctx.avals_in[2:])
    return ctx.em.op1("stablehlo.dynamic_update_slice", [x, upd, *idx],
                      [aval_type(ctx.avals_in[0]), aval_type(ctx.avals_in[1])]
                      + [aval_type(a) for a in idx_avals], aval_type(ctx.avals_out[0]))


# ---------------------------------------------------------------------------
# Registration

register_lowering(sh.broadcast_in_dim_p, _broadcast_in_dim)
register_lowering(sh.reshape_p, _reshape)
register_lowering(sh.squeeze_p, _reshape)
register_lowering(sh.transpose_p, _transpose)
register_lowering(sh.concatenate_p, _concatenate)
register_lowering(sh.pad_p, _pad)
register_lowering(sh.slice_p, _slice)
register_lowering(sh.rev_p, _rev)
register_lowering(sh.iota_p, _iota)
register_lowering(slicing.dynamic_slice_p, _dynamic_slice)
register_lowering(slicing.dynamic_update_slice_p, _dynamic_update_slice)
