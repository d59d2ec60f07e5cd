"""Lowering of the bit-level primitives (irax/tracer/prims/bits.py).

StableHLO's shifts already have the semantics irax promises (out-of-range amounts give 0
or the sign fill), and ui32 flows through IREE's llvm-cpu and Vulkan backends."""
from __future__ import annotations

from typing import Any

from ...tracer.prims import bits
from .. import hlo
from ..emitter import aval_type
from ..context import RuleContext
from ..rules import LoweringRule, register_lowering


def _binary(op: str) -> LoweringRule:
    def rule(ctx: RuleContext, x: str, y: str) -> str:
        return hlo.binary(ctx.em, op, x, y, ctx.avals_in[0], ctx.avals_out[0])
    return rule


def _unary(op: str) -> LoweringRule:
    def rule(ctx: RuleContext, x: str) -> str:
        return hlo.unary(ctx.em, op, x, ctx.avals_in[0], ctx.avals_out[0])
    return rule


def _bitcast(ctx: RuleContext, x: str, *, new_dtype: Any) -> str:
    return ctx.em.op1("stablehlo.bitcast_convert", [x], [aval_type(ctx.avals_in[0])],
                      aval_type(ctx.avals_out[0]))


# ---------------------------------------------------------------------------
# Registration

register_lowering(bits.shift_left_p, _binary("shift_left"))
register_lowering(bits.shift_right_logical_p, _binary("shift_right_logical"))
register_lowering(bits.shift_right_arithmetic_p, _binary("shift_right_arithmetic"))
register_lowering(bits.population_count_p, _unary("popcnt"))
register_lowering(bits.clz_p, _unary("count_leading_zeros"))
register_lowering(bits.bitcast_convert_type_p, _bitcast)
