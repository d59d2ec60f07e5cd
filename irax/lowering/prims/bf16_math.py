"""bfloat16 elementwise arithmetic rounded after every operation, as JAX computes it.

XLA on CPU evaluates a bfloat16 op in float32 and rounds its result to bfloat16, op by op.
IREE 3.13 computes bfloat16 chains in float32 too but drops the roundings between fused
ops (measured: (x + 1.5) * 0.1 differs from JAX in ~20% of elements; an explicit
convert to bfloat16 and back is elided as well). So each bfloat16 arithmetic op lowers
to its float32 op followed by `stablehlo.reduce_precision` (8 exponent, 7 mantissa bits:
bfloat16's round-to-nearest-even), which IREE keeps, then the exact convert to bfloat16.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ...tracer import dtypes
from ...tracer.core import Primitive
from ...tracer.prims import elementwise as ew
from .. import hlo
from ..context import RuleContext
from ..emitter import aval_type
from ..rules import LoweringRule, register_capability, rule_for

_F32 = np.dtype(np.float32)


def _to_bf16_precision(em: Any, z: str, aval: Any) -> str:
    """z (float32 / float64) rounded to the nearest bfloat16 value, in its own type."""
    t = aval_type(aval)
    return em.op1("stablehlo.reduce_precision", [z], [t], t,
                  {"exponent_bits": "8 : i32", "mantissa_bits": "7 : i32"})


def _via_f32(prim: Primitive) -> LoweringRule:
    def rule(ctx: RuleContext, *args: str, **params: Any) -> str:
        em = ctx.em
        ins = [a.update(dtype=_F32) if a.dtype == dtypes.bfloat16 else a for a in ctx.avals_in]
        outs = [a.update(dtype=_F32) for a in ctx.avals_out]
        wide = [hlo.convert(em, x, a, w.dtype) for x, a, w in zip(args, ctx.avals_in, ins)]
        z = rule_for(prim, ctx.target)(RuleContext(ctx, ins, outs, ctx.eqn), *wide, **params)
        z = _to_bf16_precision(em, z, outs[0])
        return hlo.convert(em, z, outs[0], ctx.avals_out[0].dtype)
    return rule


def _convert(ctx: RuleContext, x: str, *, new_dtype: Any, weak_type: bool = False) -> str:
    """x.astype(bfloat16) of a float32 / float64 value: rounded first (IREE would drop a
    float32 -> bfloat16 -> float32 round trip inside a fused chain)."""
    if np.dtype(new_dtype) == dtypes.bfloat16:
        x = _to_bf16_precision(ctx.em, x, ctx.avals_in[0])
    return rule_for(ew.convert_element_type_p, ctx.target)(ctx, x, new_dtype=new_dtype,
                                                           weak_type=weak_type)


# The ops whose float32 result may need rounding (exact ones: neg, abs, floor, max, ...,
# and those with bool results are left to the native bfloat16 lowering).
ROUNDED = (ew.add_p, ew.sub_p, ew.mul_p, ew.div_p, ew.rem_p, ew.pow_p, ew.integer_pow_p,
           ew.sin_p, ew.cos_p, ew.tan_p, ew.asin_p, ew.acos_p, ew.atan_p, ew.atan2_p,
           ew.sinh_p, ew.cosh_p, ew.tanh_p, ew.asinh_p, ew.acosh_p, ew.atanh_p, ew.exp_p,
           ew.exp2_p, ew.expm1_p, ew.log_p, ew.log1p_p, ew.sqrt_p, ew.rsqrt_p, ew.cbrt_p,
           ew.logistic_p, ew.erf_p)

if dtypes.bfloat16 is not None:
    for _p in ROUNDED:
        register_capability(_p, dtypes=[dtypes.bfloat16], decompose=_via_f32(_p))
    register_capability(ew.convert_element_type_p, dtypes=[np.float32, np.float64],
                        decompose=_convert)
