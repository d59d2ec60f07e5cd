"""Lowering of the elementwise primitives (irax/tracer/prims/elementwise.py)."""
from __future__ import annotations

import math

import numpy as np

from ...tracer.prims import elementwise as ew
from .. import f64_math, hlo
from ..lower import lowering_rules


def _unary(op: str):
    def rule(ctx, x, **params):
        return hlo.unary(ctx.em, op, x, ctx.avals_in[0], ctx.avals_out[0])
    return rule


def _binary(op: str):
    def rule(ctx, x, y, **params):
        return hlo.binary(ctx.em, op, x, y, ctx.avals_in[0], ctx.avals_out[0])
    return rule


def _compare(direction: str):
    def rule(ctx, x, y):
        return hlo.compare(ctx.em, direction, x, y, ctx.avals_in[0])
    return rule


def _exp2(ctx, x):
    a = ctx.avals_in[0]
    ln2 = hlo.full(ctx.em, math.log(2.0), a.dtype, a.shape)
    return hlo.unary(ctx.em, "exponential", hlo.binary(ctx.em, "multiply", x, ln2, a), a)


def _atan(ctx, x):
    a = ctx.avals_in[0]
    one = hlo.full(ctx.em, 1, a.dtype, a.shape)
    return hlo.binary(ctx.em, "atan2", x, one, a)


def _abs(ctx, x):
    a = ctx.avals_in[0]
    if a.dtype.kind == "u" or a.dtype == np.bool_:
        return x
    return hlo.unary(ctx.em, "abs", x, a)


def _sign(ctx, x):
    a = ctx.avals_in[0]
    if a.dtype.kind == "u":   # 0 or 1
        zero = hlo.full(ctx.em, 0, a.dtype, a.shape)
        return hlo.convert(ctx.em, hlo.compare(ctx.em, "NE", x, zero, a),
                           a.update(dtype=np.bool_), a.dtype)
    return hlo.unary(ctx.em, "sign", x, a)


def _integer_pow(ctx, x, *, y: int):
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


def _convert(ctx, x, *, new_dtype, weak_type=False):
    a = ctx.avals_in[0]
    new_dtype = np.dtype(new_dtype)
    if new_dtype == a.dtype:
        return x
    if new_dtype == np.bool_:   # nonzero -> True (as NumPy's astype(bool))
        zero = hlo.full(ctx.em, 0, a.dtype, a.shape)
        return hlo.compare(ctx.em, "NE", x, zero, a)
    if a.dtype.kind == "f" and new_dtype.kind in "iu":
        return _saturating_float_to_int(ctx.em, x, a, new_dtype)
    return hlo.convert(ctx.em, x, a, new_dtype)


def _saturating_float_to_int(em, x, a, new_dtype):
    """JAX's float -> int conversion (NaN -> 0, saturating at the range ends) as explicit
    compares and selects: the convert only ever sees in-range values, whose result LLVM and
    SPIR-V define (out-of-range fptosi/fptoui is poison)."""
    lo, lo_inclusive, hi = ew.float_to_int_bounds(a.dtype, new_dtype)
    out_aval = a.update(dtype=new_dtype)
    b_aval = a.update(dtype=np.bool_)
    below = hlo.compare(em, "LE" if lo_inclusive else "LT", x, hlo.full(em, lo, a.dtype, a.shape), a)
    above = hlo.compare(em, "GE", x, hlo.full(em, hi, a.dtype, a.shape), a)
    is_nan = hlo.compare(em, "NE", x, x, a)
    outside = hlo.binary(em, "or", hlo.binary(em, "or", below, above, b_aval), is_nan, b_aval)
    safe = hlo.select(em, outside, hlo.full(em, 0, a.dtype, a.shape), x, a)
    out = hlo.convert(em, safe, a, new_dtype)
    info = np.iinfo(new_dtype)
    out = hlo.select(em, below, hlo.full(em, info.min, new_dtype, a.shape), out, out_aval)
    return hlo.select(em, above, hlo.full(em, info.max, new_dtype, a.shape), out, out_aval)


def _int_div_rem(op: str):
    """Integer divide / remainder made total as JAX defines them (see _int_div in
    irax/tracer/prims/elementwise.py): the divisor is replaced by 1 where it is 0 or where
    INT_MIN / -1 would overflow, and the y == 0 results are selected afterwards."""
    generic = _binary(op)

    def rule(ctx, x, y):
        a = ctx.avals_in[0]
        if a.dtype.kind not in "iu":
            return generic(ctx, x, y)
        em, b_aval = ctx.em, a.update(dtype=np.bool_)

        def const(v):
            return hlo.full(em, v, a.dtype, a.shape)
        zero_div = hlo.compare(em, "EQ", y, const(0), a)
        replace = zero_div
        if a.dtype.kind == "i":
            overflow = hlo.binary(em, "and",
                                  hlo.compare(em, "EQ", x, const(np.iinfo(a.dtype).min), a),
                                  hlo.compare(em, "EQ", y, const(-1), a), b_aval)
            replace = hlo.binary(em, "or", zero_div, overflow, b_aval)
        safe_y = hlo.select(em, replace, const(1), y, a)
        out = hlo.binary(em, op, x, safe_y, a)
        if op == "divide":
            at_zero = const(-1 if a.dtype.kind == "i" else np.iinfo(a.dtype).max)
        else:
            at_zero = x
        return hlo.select(em, zero_div, at_zero, out, a)
    return rule


def _select(ctx, pred, a, b):
    return hlo.select(ctx.em, pred, a, b, ctx.avals_out[0])


def _identity(ctx, x):
    return x


def _not(ctx, x):
    return hlo.unary(ctx.em, "not", x, ctx.avals_in[0])


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
    lowering_rules[_p] = _unary(_op)
lowering_rules[ew.atan_p] = _atan
lowering_rules[ew.exp2_p] = _exp2
lowering_rules[ew.abs_p] = _abs
lowering_rules[ew.sign_p] = _sign
lowering_rules[ew.not_p] = _not
lowering_rules[ew.integer_pow_p] = _integer_pow
for _p, _op in {
    ew.add_p: "add", ew.sub_p: "subtract", ew.mul_p: "multiply", ew.div_p: "divide",
    ew.rem_p: "remainder", ew.pow_p: "power", ew.max_p: "maximum", ew.min_p: "minimum",
    ew.atan2_p: "atan2", ew.and_p: "and", ew.or_p: "or", ew.xor_p: "xor",
}.items():
    lowering_rules[_p] = _binary(_op)
lowering_rules[ew.div_p] = _int_div_rem("divide")
lowering_rules[ew.rem_p] = _int_div_rem("remainder")
for _p, _d in {ew.eq_p: "EQ", ew.ne_p: "NE", ew.lt_p: "LT", ew.le_p: "LE", ew.gt_p: "GT",
               ew.ge_p: "GE"}.items():
    lowering_rules[_p] = _compare(_d)
lowering_rules[ew.select_p] = _select

# float64: IREE has no (accurate) float64 version of these; inline irax/lowering/f64_math.py
# (on every target, so float64 results do not depend on the device)
_F64 = np.dtype(np.float64)


def _f64_override(prim, name: str):
    generic = lowering_rules[prim]

    def rule(ctx, *operands, **params):
        if ctx.avals_in[0].dtype == _F64:
            return f64_math.lower_f64(ctx, name, *operands)
        return generic(ctx, *operands, **params)
    lowering_rules[prim] = rule


for _p in (ew.sin_p, ew.cos_p, ew.tan_p, ew.tanh_p, ew.sinh_p, ew.cosh_p, ew.asinh_p,
           ew.acosh_p, ew.atanh_p, ew.atan_p, ew.atan2_p, ew.asin_p, ew.acos_p, ew.expm1_p,
           ew.log1p_p, ew.exp2_p, ew.cbrt_p):
    _f64_override(_p, _p.name)
lowering_rules[ew.convert_element_type_p] = _convert
lowering_rules[ew.stop_gradient_p] = _identity


# Vulkan: IREE 3.13 maps exp/log/pow to SPIR-V GLSL.std.450 Exp/Log/Pow, which take 16/32-bit
# floats only ("'spirv.GL.Exp' op operand #0 must be 16/32-bit float"). Say so when lowering
# rather than pass IREE's SPIR-V diagnostic through (and never demote to float32 silently).
# float64 on Vulkan that works: + - * /, sqrt, floor/round, compares, and the arithmetic-only
# f64_math functions (sin, cos, tan, atan, atan2, asin, acos).
_VULKAN_NO_F64 = {ew.exp_p: "exp", ew.log_p: "log", ew.pow_p: "power",
                  ew.logistic_p: "logistic", ew.erf_p: "erf", ew.rem_p: "remainder"}


def _vulkan_f64_guard(prim, what: str):
    generic = lowering_rules[prim]

    def rule(ctx, *operands, **params):
        if ctx.module.target == "vulkan" and ctx.avals_in[0].dtype == _F64:
            from ...runtime.compiler import CompileError   # what IREE's refusal would raise
            msg = (
                f"float64 {what} cannot be compiled for Vulkan: IREE 3.13's SPIR-V backend has "
                f"no 64-bit {what} (float64 exp and log also underlie tanh, sinh, cosh, expm1, "
                "log1p, exp2, cbrt, asinh, acosh, atanh, pow, logistic and erf). Use float32 "
                "on Vulkan, or device='cpu' for float64. (float64 +, -, *, /, sqrt, sin, cos, "
                "tan, arctan, arctan2, arcsin and arccos do work on Vulkan.)")
            raise CompileError(msg, msg, None)
        return generic(ctx, *operands, **params)
    lowering_rules[prim] = rule


for _p, _what in _VULKAN_NO_F64.items():
    _vulkan_f64_guard(_p, _what)
