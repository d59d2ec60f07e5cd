"""Lowering of the elementwise primitives (irax/tracer/prims/elementwise.py)."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ...tracer import dtypes
from ...tracer.core import ShapedArray
from ...tracer.prims import elementwise as ew
from .. import c128_math, f64_math, hlo
from ..context import RuleContext
from ..emitter import aval_type
from ..rules import LoweringRule, register_capability, register_lowering, select_rule


def _unary(op: str) -> LoweringRule:
    def rule(ctx: RuleContext, x: str, **params: Any) -> str:
        return hlo.unary(ctx.em, op, x, ctx.avals_in[0], ctx.avals_out[0])
    return rule


def _binary(op: str) -> LoweringRule:
    def rule(ctx: RuleContext, x: str, y: str, **params: Any) -> str:
        return hlo.binary(ctx.em, op, x, y, ctx.avals_in[0], ctx.avals_out[0])
    return rule


def _compare(direction: str) -> LoweringRule:
    def rule(ctx: RuleContext, x: str, y: str) -> str:
        return hlo.compare(ctx.em, direction, x, y, ctx.avals_in[0])
    return rule


def _exp2(ctx: RuleContext, x: str) -> str:
    a = ctx.avals_in[0]
    ln2 = hlo.full(ctx.em, math.log(2.0), a.dtype, a.shape)
    return hlo.unary(ctx.em, "exponential", hlo.binary(ctx.em, "multiply", x, ln2, a), a)


def _atan(ctx: RuleContext, x: str) -> str:
    a = ctx.avals_in[0]
    one = hlo.full(ctx.em, 1, a.dtype, a.shape)
    return hlo.binary(ctx.em, "atan2", x, one, a)


def _abs(ctx: RuleContext, x: str) -> str:
    a = ctx.avals_in[0]
    if dtypes.kind(a.dtype) == "u" or a.dtype == np.bool_:
        return x
    return hlo.unary(ctx.em, "abs", x, a, ctx.avals_out[0])   # complex -> its real dtype


def _conj(ctx: RuleContext, x: str) -> str:
    a, part = ctx.avals_in[0], ctx.avals_out[0].update(dtype=ew.real_dtype(ctx.avals_in[0].dtype))
    re = hlo.unary(ctx.em, "real", x, a, part)
    im = hlo.unary(ctx.em, "negate", hlo.unary(ctx.em, "imag", x, a, part), part)
    return hlo.binary(ctx.em, "complex", re, im, part, a)


def _convert_complex(ctx: RuleContext, x: str, a: ShapedArray, new_dtype: np.dtype) -> str:
    """Conversions to or from complex, through the component dtype (StableHLO leaves
    complex <-> real `convert` unspecified)."""
    em = ctx.em
    if dtypes.kind(a.dtype) == "c":   # complex -> real type: the real part (as NumPy's astype)
        part = a.update(dtype=ew.real_dtype(a.dtype))
        x, a = hlo.unary(em, "real", x, a, part), part
        return _convert_real(ctx, x, a, new_dtype)
    part = a.update(dtype=ew.real_dtype(new_dtype))
    re = hlo.convert(em, x, a, part.dtype)
    zero = hlo.full(em, 0, part.dtype, part.shape)
    return hlo.binary(em, "complex", re, zero, part, part.update(dtype=new_dtype))


def _convert_real(ctx: RuleContext, x: str, a: ShapedArray, new_dtype: np.dtype) -> str:
    if new_dtype == a.dtype:
        return x
    if new_dtype == np.bool_:   # nonzero -> True (as NumPy's astype(bool))
        zero = hlo.full(ctx.em, 0, a.dtype, a.shape)
        return hlo.compare(ctx.em, "NE", x, zero, a)
    if dtypes.kind(a.dtype) == "f" and dtypes.kind(new_dtype) in "iu":
        return _saturating_float_to_int(ctx.em, x, a, new_dtype)
    return hlo.convert(ctx.em, x, a, new_dtype)


def _atan2(ctx: RuleContext, y: str, x: str) -> str:
    """stablehlo.atan2, with the values IEEE defines where IREE 3.13's llvm-cpu atan2 returns
    NaN: atan2(+-0, +0) = +-0, atan2(+-0, -0) = +-pi, atan2(+-inf, +inf) = +-pi/4,
    atan2(+-inf, -inf) = +-3pi/4."""
    em, a = ctx.em, ctx.avals_in[0]
    out = hlo.binary(em, "atan2", y, x, a)
    if dtypes.kind(a.dtype) != "f":
        return out
    zero = hlo.full(em, 0, a.dtype, a.shape)
    flags = a.update(dtype=np.dtype(np.bool_))
    both_zero = hlo.binary(em, "and", hlo.compare(em, "EQ", y, zero, a),
                           hlo.compare(em, "EQ", x, zero, a), flags)
    bits = a.update(dtype=np.dtype(f"int{8 * a.dtype.itemsize}"))
    izero = hlo.full(em, 0, bits.dtype, a.shape)

    def negative_sign(v: str) -> str:
        cast = em.op1("stablehlo.bitcast_convert", [v], [aval_type(a)], aval_type(bits))
        return hlo.compare(em, "LT", cast, izero, bits)
    pi, minus_pi = hlo.full(em, np.pi, a.dtype, a.shape), hlo.full(em, -np.pi, a.dtype, a.shape)
    at_zero = hlo.select(em, negative_sign(x),
                         hlo.select(em, negative_sign(y), minus_pi, pi, a), y, a)
    inf = hlo.full(em, np.inf, a.dtype, a.shape)

    def infinite(v: str) -> str:
        return hlo.compare(em, "EQ", hlo.unary(em, "abs", v, a), inf, a)
    both_inf = hlo.binary(em, "and", infinite(y), infinite(x), flags)
    quarter = {sign: hlo.full(em, sign * np.pi / 4, a.dtype, a.shape) for sign in (1, -1)}
    three_quarters = {sign: hlo.full(em, sign * 3 * np.pi / 4, a.dtype, a.shape)
                      for sign in (1, -1)}
    y_neg = negative_sign(y)
    at_inf = hlo.select(em, negative_sign(x),
                        hlo.select(em, y_neg, three_quarters[-1], three_quarters[1], a),
                        hlo.select(em, y_neg, quarter[-1], quarter[1], a), a)
    out = hlo.select(em, both_inf, at_inf, out, a)
    return hlo.select(em, both_zero, at_zero, out, a)


def _sign(ctx: RuleContext, x: str) -> str:
    a = ctx.avals_in[0]
    if dtypes.kind(a.dtype) == "u":   # 0 or 1
        zero = hlo.full(ctx.em, 0, a.dtype, a.shape)
        return hlo.convert(ctx.em, hlo.compare(ctx.em, "NE", x, zero, a),
                           a.update(dtype=np.bool_), a.dtype)
    return hlo.unary(ctx.em, "sign", x, a)


def _integer_pow(ctx: RuleContext, x: str, *, y: int) -> str:
    em, a = ctx.em, ctx.avals_in[0]
    if y == 0:
        return hlo.full(em, 1, a.dtype, a.shape)
    n, acc, base = abs(y), None, x
    while n:   # binary exponentiation
        if n & 1:
            acc = base if acc is None else hlo.binary(em, "multiply", acc, base, a)
        n >>= 1
        if n:
            base = hlo.binary(em, "multiply", base, base, a)
    if y < 0:
        acc = hlo.binary(em, "divide", hlo.full(em, 1, a.dtype, a.shape), acc, a)
    return acc


def _convert(ctx: RuleContext, x: str, *, new_dtype: Any, weak_type: bool = False) -> str:
    a = ctx.avals_in[0]
    new_dtype = np.dtype(new_dtype)
    if new_dtype == a.dtype:
        return x
    if (dtypes.kind(a.dtype) == "c") != (dtypes.kind(new_dtype) == "c"):
        if dtypes.kind(a.dtype) == "c" and new_dtype == np.bool_:   # nonzero -> True
            zero = hlo.full(ctx.em, 0, a.dtype, a.shape)
            return hlo.compare(ctx.em, "NE", x, zero, a)
        return _convert_complex(ctx, x, a, new_dtype)
    return _convert_real(ctx, x, a, new_dtype)


def _saturating_float_to_int(em: Any, x: str, a: Any, new_dtype: np.dtype) -> str:
    """JAX's float -> int conversion (NaN -> 0, saturating at the range ends) as explicit
    compares and selects: the convert only ever sees in-range values, whose result LLVM and
    SPIR-V define (out-of-range fptosi/fptoui is poison)."""
    lo, lo_inclusive, hi = ew.float_to_int_bounds(a.dtype, new_dtype)
    out_aval = a.update(dtype=new_dtype)
    b_aval = a.update(dtype=np.bool_)
    below = hlo.compare(em, "LE" if lo_inclusive else "LT", x,
                        hlo.full(em, lo, a.dtype, a.shape), a)
    above = hlo.compare(em, "GE", x, hlo.full(em, hi, a.dtype, a.shape), a)
    is_nan = hlo.compare(em, "NE", x, x, a)
    outside = hlo.binary(em, "or", hlo.binary(em, "or", below, above, b_aval), is_nan, b_aval)
    safe = hlo.select(em, outside, hlo.full(em, 0, a.dtype, a.shape), x, a)
    out = hlo.convert(em, safe, a, new_dtype)
    info = np.iinfo(new_dtype)
    out = hlo.select(em, below, hlo.full(em, info.min, new_dtype, a.shape), out, out_aval)
    return hlo.select(em, above, hlo.full(em, info.max, new_dtype, a.shape), out, out_aval)


def _int_div_rem(op: str) -> LoweringRule:
    """Integer divide / remainder made total as JAX defines them (see _int_div in
    irax/tracer/prims/elementwise.py): the divisor is replaced by 1 where it is 0 or where
    INT_MIN / -1 would overflow, and the y == 0 results are selected afterwards."""
    generic = _binary(op)

    def rule(ctx: RuleContext, x: str, y: str) -> str:
        a = ctx.avals_in[0]
        if dtypes.kind(a.dtype) not in "iu":
            return generic(ctx, x, y)
        em, b_aval = ctx.em, a.update(dtype=np.bool_)

        def const(v: Any) -> str:
            return hlo.full(em, v, a.dtype, a.shape)
        zero_div = hlo.compare(em, "EQ", y, const(0), a)
        replace = zero_div
        if dtypes.kind(a.dtype) == "i":
            overflow = hlo.binary(em, "and",
                                  hlo.compare(em, "EQ", x, const(np.iinfo(a.dtype).min), a),
                                  hlo.compare(em, "EQ", y, const(-1), a), b_aval)
            replace = hlo.binary(em, "or", zero_div, overflow, b_aval)
        safe_y = hlo.select(em, replace, const(1), y, a)
        out = hlo.binary(em, op, x, safe_y, a)
        if op == "divide":
            at_zero = const(-1 if dtypes.kind(a.dtype) == "i" else np.iinfo(a.dtype).max)
        else:
            at_zero = x
        return hlo.select(em, zero_div, at_zero, out, a)
    return rule


def _clamp(ctx: RuleContext, lo: str, x: str, hi: str) -> str:
    # min(max(x, lo), hi) with scalar bounds broadcast (JAX's clamp, NaN x stays NaN)
    a = ctx.avals_in[1]
    lo, hi = [v if b.shape == a.shape else hlo.broadcast_in_dim(ctx.em, v, b, a.shape, ())
              for v, b in ((lo, ctx.avals_in[0]), (hi, ctx.avals_in[2]))]
    return hlo.binary(ctx.em, "minimum", hlo.binary(ctx.em, "maximum", x, lo, a), hi, a)


def _select(ctx: RuleContext, pred: str, a: str, b: str) -> str:
    return hlo.select(ctx.em, pred, a, b, ctx.avals_out[0])


def _identity(ctx: RuleContext, x: str) -> str:
    return x


def _not(ctx: RuleContext, x: str) -> str:
    return hlo.unary(ctx.em, "not", x, ctx.avals_in[0])


# float64: IREE has no (accurate) float64 version of these; lower them through the
# formulas of irax/lowering/f64_math.py on every target, so float64 results do not depend
# on the device.
_F64 = [np.float64]
_F64_FORMULAS = (ew.sin_p, ew.cos_p, ew.tan_p, ew.tanh_p, ew.sinh_p, ew.cosh_p, ew.asinh_p,
                 ew.acosh_p, ew.atanh_p, ew.atan_p, ew.atan2_p, ew.asin_p, ew.acos_p,
                 ew.expm1_p, ew.log1p_p, ew.exp2_p, ew.cbrt_p)

# Vulkan: IREE 3.13 maps exp/log/pow to SPIR-V GLSL.std.450 Exp/Log/Pow, which take 16/32-bit
# floats only ("'spirv.GL.Exp' op operand #0 must be 16/32-bit float"). Say so when lowering
# rather than pass IREE's SPIR-V diagnostic through (and never demote to float32 silently).
# float64 on Vulkan that works: + - * /, sqrt, floor/round, compares, and the arithmetic-only
# f64_math functions (sin, cos, tan, atan, atan2, asin, acos).
_VULKAN_NO_F64 = {ew.exp_p: "exp", ew.log_p: "log", ew.pow_p: "power",
                  ew.logistic_p: "logistic", ew.erf_p: "erf", ew.rem_p: "remainder"}


def _vulkan_f64_message(what: str) -> str:
    return (f"float64 {what} cannot be compiled for Vulkan: IREE 3.13's SPIR-V backend has "
            f"no 64-bit {what} (float64 exp and log also underlie tanh, sinh, cosh, expm1, "
            "log1p, exp2, cbrt, asinh, acosh, atanh, pow, logistic and erf). Use float32 "
            "on Vulkan, or device='cpu' for float64. (float64 +, -, *, /, sqrt, sin, cos, "
            "tan, arctan, arctan2, arcsin and arccos do work on Vulkan.)")


# ---------------------------------------------------------------------------
# Registration

for _p, _op in {
    ew.neg_p: "negate", ew.sin_p: "sine", ew.cos_p: "cosine", ew.tan_p: "stablehlo.tan",
    ew.asin_p: "chlo.asin", ew.acos_p: "chlo.acos", ew.sinh_p: "chlo.sinh",
    ew.cosh_p: "chlo.cosh", ew.asinh_p: "chlo.asinh", ew.acosh_p: "chlo.acosh",
    ew.atanh_p: "chlo.atanh", ew.tanh_p: "tanh", ew.exp_p: "exponential",
    ew.expm1_p: "exponential_minus_one", ew.log_p: "log", ew.log1p_p: "log_plus_one",
    ew.sqrt_p: "sqrt", ew.rsqrt_p: "rsqrt", ew.cbrt_p: "cbrt", ew.logistic_p: "logistic",
    ew.erf_p: "chlo.erf", ew.floor_p: "floor", ew.ceil_p: "ceil",
    ew.round_p: "round_nearest_even", ew.is_finite_p: "is_finite",
}.items():
    register_lowering(_p, _unary(_op))
register_lowering(ew.atan_p, _atan)
register_lowering(ew.exp2_p, _exp2)
register_lowering(ew.abs_p, _abs)
register_lowering(ew.real_p, _unary("real"))
register_lowering(ew.imag_p, _unary("imag"))
register_lowering(ew.conj_p, _conj)
register_lowering(ew.complex_p, _binary("complex"))
register_lowering(ew.sign_p, _sign)
register_lowering(ew.atan2_p, _atan2)
register_lowering(ew.not_p, _not)
register_lowering(ew.integer_pow_p, _integer_pow)
for _p, _op in {
    ew.add_p: "add", ew.sub_p: "subtract", ew.mul_p: "multiply", ew.div_p: "divide",
    ew.rem_p: "remainder", ew.pow_p: "power", ew.max_p: "maximum", ew.min_p: "minimum",
    ew.and_p: "and", ew.or_p: "or", ew.xor_p: "xor",
}.items():
    register_lowering(_p, _binary(_op))
register_lowering(ew.div_p, _int_div_rem("divide"))
register_lowering(ew.rem_p, _int_div_rem("remainder"))
for _p, _d in {ew.eq_p: "EQ", ew.ne_p: "NE", ew.lt_p: "LT", ew.le_p: "LE", ew.gt_p: "GT",
               ew.ge_p: "GE"}.items():
    register_lowering(_p, _compare(_d))
register_lowering(ew.select_p, _select)
# add_any lowers as add does, through whatever rule add takes for the operands' dtype
register_lowering(ew.add_any_p, lambda ctx, x, y: select_rule(ew.add_p, ctx.target,
                                                              ctx.avals_in)(ctx, x, y))
register_lowering(ew.square_p, lambda ctx, x: hlo.binary(ctx.em, "multiply", x, x,
                                                         ctx.avals_in[0]))
register_lowering(ew.clamp_p, _clamp)
register_lowering(ew.convert_element_type_p, _convert)
register_lowering(ew.stop_gradient_p, _identity)

for _p in _F64_FORMULAS:
    register_capability(_p, dtypes=_F64, decompose=f64_math.rule(_p.name))
for _p in (ew.exp_p, ew.log_p, ew.sqrt_p, ew.sin_p, ew.cos_p, ew.tan_p, ew.tanh_p, ew.sinh_p,
           ew.cosh_p, ew.expm1_p, ew.log1p_p, ew.pow_p, ew.asinh_p, ew.asin_p, ew.atanh_p,
           ew.atan_p):
    register_capability(_p, dtypes=[np.complex128], decompose=c128_math.rule(_p.name))
for _p, _what in _VULKAN_NO_F64.items():
    register_capability(_p, dtypes=_F64, target="vulkan", refuse=_vulkan_f64_message(_what))
