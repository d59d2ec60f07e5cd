"""Lowering of dot_general (irax/tracer/prims/linalg.py)."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ...tracer import dtypes
from ...tracer.core import ShapedArray
from ...tracer.prims import linalg as la
from .. import hlo
from ..context import RuleContext
from ..emitter import Emitter, aval_type, i64_array, int_list
from ..rules import register_capability, register_lowering


def _operands(ctx: RuleContext, x: str, y: str) -> tuple[str, str, ShapedArray, ShapedArray]:
    """The operands in the result dtype (accumulate in the requested type)."""
    xa, ya = ctx.avals_in
    out = ctx.avals_out[0]
    if out.dtype != xa.dtype:
        x = hlo.convert(ctx.em, x, xa, out.dtype)
        y = hlo.convert(ctx.em, y, ya, out.dtype)
        xa, ya = xa.update(dtype=out.dtype), ya.update(dtype=out.dtype)
    return x, y, xa, ya


DimensionNumbers = tuple[tuple[Sequence[int], Sequence[int]], tuple[Sequence[int], Sequence[int]]]


def _dot_general(ctx: RuleContext, x: str, y: str, *, dimension_numbers: DimensionNumbers,
                 preferred_element_type: Any = None) -> str:
    (lc, rc), (lb, rb) = dimension_numbers
    x, y, xa, ya = _operands(ctx, x, y)
    return _emit(ctx.em, x, y, xa, ya, ctx.avals_out[0], lc, rc, lb, rb)


def _in_float32(rule):
    """A bfloat16 / float8 product accumulates in float32 and is rounded once (as XLA on
    CPU computes it, so the values are JAX's); IREE would otherwise accumulate narrow."""
    def wrapped(ctx: RuleContext, x: str, y: str, **params: Any) -> str:
        out = ctx.avals_out[0]
        if not dtypes.is_custom(out.dtype):
            return rule(ctx, x, y, **params)
        f32 = np.dtype(np.float32)
        xa, ya = ctx.avals_in
        x, y = hlo.convert(ctx.em, x, xa, f32), hlo.convert(ctx.em, y, ya, f32)
        wide = RuleContext(ctx, [xa.update(dtype=f32), ya.update(dtype=f32)],
                           [out.update(dtype=f32)], ctx.eqn)
        z = rule(wide, x, y, **{**params, "preferred_element_type": None})
        return hlo.convert(ctx.em, z, out.update(dtype=f32), out.dtype)
    return wrapped


def _dot_general_vulkan(ctx: RuleContext, x: str, y: str, *,
                        dimension_numbers: DimensionNumbers,
                        preferred_element_type: Any = None) -> str:
    (lc, rc), (lb, rb) = dimension_numbers
    x, y, xa, ya = _operands(ctx, x, y)
    out = ctx.avals_out[0]
    if len(lc) == 1 and xa.shape[lc[0]] > 65535:
        return _vulkan_long_contraction(ctx, x, y, xa, ya, out, lc[0], rc[0], lb, rb)
    return _emit(ctx.em, x, y, xa, ya, out, lc, rc, lb, rb)


def _emit(em: Emitter, x: str, y: str, xa: ShapedArray, ya: ShapedArray, out: ShapedArray,
          lc: Sequence[int], rc: Sequence[int], lb: Sequence[int], rb: Sequence[int]) -> str:
    fields = [("lhs_batching_dimensions", lb), ("rhs_batching_dimensions", rb),
              ("lhs_contracting_dimensions", lc), ("rhs_contracting_dimensions", rc)]
    dn = ", ".join(f"{k} = {int_list(v)}" for k, v in fields if len(v))
    return em.op1("stablehlo.dot_general", [x, y], [aval_type(xa), aval_type(ya)],
                  aval_type(out), {"dot_dimension_numbers": f"#stablehlo.dot<{dn}>"})


def _vulkan_long_contraction(ctx: RuleContext, x: str, y: str, xa: ShapedArray,
                             ya: ShapedArray, out: ShapedArray, c_l: int, c_r: int,
                             lb: Sequence[int], rb: Sequence[int]) -> str:
    """IREE 3.13's Vulkan code generation drops contraction terms beyond 65535 (see
    prims/reduce.py): contract 32768-long slices as separate dot_generals and add them.
    (Measured further: a *batched* contraction is also wrong once batch * K > 65535; that
    case is not worked around here.)"""
    em = ctx.em
    n = xa.shape[c_l]
    k = 32768
    acc = None
    for start in range(0, n, k):
        stop = min(start + k, n)

        def piece(v, a, c):
            lo = [start if i == c else 0 for i in range(a.ndim)]
            hi = [stop if i == c else d for i, d in enumerate(a.shape)]
            pa = a.update(shape=[h - l for l, h in zip(lo, hi)])
            return em.op1("stablehlo.slice", [v], [aval_type(a)], aval_type(pa),
                          {"start_indices": i64_array(lo), "limit_indices": i64_array(hi),
                           "strides": i64_array([1] * a.ndim)}), pa
        xp, xpa = piece(x, xa, c_l)
        yp, ypa = piece(y, ya, c_r)
        z = _emit(em, xp, yp, xpa, ypa, out, [c_l], [c_r], lb, rb)
        acc = z if acc is None else hlo.binary(em, "add", acc, z, out)
    assert acc is not None   # n > 65535: at least one piece
    return acc


# ---------------------------------------------------------------------------
# Registration

register_lowering(la.dot_general_p, _in_float32(_dot_general))
register_lowering(la.dot_general_p, _in_float32(_dot_general_vulkan), target="vulkan")
# IREE 3.13's SPIR-V code generation fails on a contraction reading bfloat16 / float8
# operands ("failed to legalize operation 'vector.bitcast'"), with or without the float32
# widening above: refuse it by name instead of showing that error.
register_capability(la.dot_general_p, dtypes=dtypes.CUSTOM_FLOATS, target="vulkan",
                    refuse="a bfloat16 / float8 matrix product (dot_general) cannot be "
                    "compiled for Vulkan: IREE 3.13's SPIR-V backend fails on contractions of "
                    "these types. Convert the operands with .astype('float32') outside the "
                    "jitted function, or use device='cpu'.")
