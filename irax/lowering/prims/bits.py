"""Lowering of the bit-level primitives (irax/tracer/prims/bits.py).

StableHLO's shifts already have the semantics irax promises (out-of-range amounts give 0
or the sign fill), and ui32 flows through IREE's llvm-cpu and Vulkan backends."""
from __future__ import annotations

from ...tracer.prims import bits
from .. import hlo
from ..emitter import aval_type
from ..lower import lowering_rules


def _binary(op: str):
    def rule(ctx, x, y):
        return hlo.binary(ctx.em, op, x, y, ctx.avals_in[0], ctx.avals_out[0])
    return rule


def _unary(op: str):
    def rule(ctx, x):
        return hlo.unary(ctx.em, op, x, ctx.avals_in[0], ctx.avals_out[0])
    return rule


def _bitcast(ctx, x, *, new_dtype):
    return ctx.em.op1("stablehlo.bitcast_convert", [x], [aval_type(ctx.avals_in[0])],
                      aval_type(ctx.avals_out[0]))


# ---------------------------------------------------------------------------
# Registration

lowering_rules[bits.shift_left_p] = _binary("shift_left")
lowering_rules[bits.shift_right_logical_p] = _binary("shift_right_logical")
lowering_rules[bits.shift_right_arithmetic_p] = _binary("shift_right_arithmetic")
lowering_rules[bits.population_count_p] = _unary("popcnt")
lowering_rules[bits.clz_p] = _unary("count_leading_zeros")
lowering_rules[bits.bitcast_convert_type_p] = _bitcast
