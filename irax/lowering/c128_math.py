"""complex128 elementary functions through their float64 real and imaginary parts.

IREE 3.13 cannot compile complex128 exp, log, sqrt, the trigonometric and hyperbolic
functions or power on llvm-cpu: its complex expansion calls libm's float64 functions,
which the embedded executable does not link ("iree-lld: undefined symbol: sin"). Their
float64 parts compile (through f64_math where IREE itself has no float64 version), so
these primitives are lowered for complex128 operands as the formulas below on
z = x + iy, each traced once per shape into a private helper function of the module, as
f64_math does. complex64 keeps IREE's own expansion.

A complex128 constant or broadcast is also split into its parts (emitter.constant,
hlo.broadcast_in_dim): IREE 3.13 stores a complex128 splat as a 128-bit integer, which
no target can fill ("'stream.async.splat' op operand #0 must be 8-bit ... integer").
"""
from __future__ import annotations

import functools
from typing import Any, Callable

import numpy as np

from ..tracer.core import ClosedJaxpr, ShapedArray
from ..tracer.prims import elementwise as ew
from . import hlo
from .context import RuleContext
from .f64_math import call_formula, trace_formula

_C128 = np.dtype(np.complex128)


def _parts(z):
    return ew.real_p.bind(z), ew.imag_p.bind(z)


def _c(x, y):
    return ew.complex_p.bind(x, y)


def _k(like, v):
    return ew.full_like_scalar(like, float(v))


def _mul(a, b):
    return ew.mul_p.bind(a, b)


def _add(a, b):
    return ew.add_p.bind(a, b)


def _sub(a, b):
    return ew.sub_p.bind(a, b)


def _div(a, b):
    return ew.div_p.bind(a, b)


def exp(z):
    x, y = _parts(z)
    r = ew.exp_p.bind(x)
    # y == 0: the imaginary part is exactly 0, also where exp(x) overflows (inf * 0)
    im = ew.select_p.bind(ew.eq_p.bind(y, _k(y, 0)), y, _mul(r, ew.sin_p.bind(y)))
    return _c(_mul(r, ew.cos_p.bind(y)), im)


def _abs(x, y):
    return ew.abs_p.bind(_c(x, y))   # complex abs (a hypot) compiles for complex128


def log(z):
    x, y = _parts(z)
    return _c(ew.log_p.bind(_abs(x, y)), ew.atan2_p.bind(y, x))


def sqrt(z):
    """The principal root: t = sqrt((|z| + |x|) / 2); x >= 0 gives t + i y/(2t), x < 0
    gives |y|/(2t) + i copysign(t, y); z = 0 gives 0."""
    x, y = _parts(z)
    t = ew.sqrt_p.bind(_mul(_add(_abs(x, y), ew.abs_p.bind(x)), _k(x, 0.5)))
    zero = ew.eq_p.bind(t, _k(t, 0))
    safe_t = ew.select_p.bind(zero, _k(t, 1), t)
    half = _div(y, _mul(safe_t, _k(t, 2)))
    neg = ew.lt_p.bind(x, _k(x, 0))
    signed_t = ew.select_p.bind(ew.lt_p.bind(y, _k(y, 0)), ew.neg_p.bind(t), t)
    re = ew.select_p.bind(neg, ew.abs_p.bind(half), t)
    im = ew.select_p.bind(neg, signed_t, half)
    return _c(ew.select_p.bind(zero, _k(x, 0), re), ew.select_p.bind(zero, y, im))


def sin(z):
    x, y = _parts(z)
    return _c(_mul(ew.sin_p.bind(x), ew.cosh_p.bind(y)), _mul(ew.cos_p.bind(x), ew.sinh_p.bind(y)))


def cos(z):
    x, y = _parts(z)
    return _c(_mul(ew.cos_p.bind(x), ew.cosh_p.bind(y)),
              ew.neg_p.bind(_mul(ew.sin_p.bind(x), ew.sinh_p.bind(y))))


def sinh(z):
    x, y = _parts(z)
    return _c(_mul(ew.sinh_p.bind(x), ew.cos_p.bind(y)), _mul(ew.cosh_p.bind(x), ew.sin_p.bind(y)))


def cosh(z):
    x, y = _parts(z)
    return _c(_mul(ew.cosh_p.bind(x), ew.cos_p.bind(y)), _mul(ew.sinh_p.bind(x), ew.sin_p.bind(y)))


def tanh(z):
    """(sinh 2x + i sin 2y) / (cosh 2x + cos 2y), written as tanh(x)-based terms so that a
    large |x| gives +-1 instead of inf/inf."""
    x, y = _parts(z)
    t, s = ew.tanh_p.bind(x), ew.tan_p.bind(y)
    one = _k(x, 1)
    # tanh(x + iy) = (t + i s) / (1 + i t s)   with t = tanh x, s = tan y
    denom = _add(one, _mul(_mul(t, t), _mul(s, s)))
    re = _div(_mul(t, _add(one, _mul(s, s))), denom)
    im = _div(_mul(s, _sub(one, _mul(t, t))), denom)
    return _c(re, im)


def tan(z):
    x, y = _parts(z)   # tan z = -i tanh(i z), i z = -y + i x
    w = tanh(_c(ew.neg_p.bind(y), x))
    u, v = _parts(w)
    return _c(v, ew.neg_p.bind(u))


def expm1(z):
    """expm1(x) cos y - 2 sin^2(y/2) + i e^x sin y: accurate near 0 where exp(z) - 1 is not."""
    x, y = _parts(z)
    s = ew.sin_p.bind(_mul(y, _k(y, 0.5)))
    re = _sub(_mul(ew.expm1_p.bind(x), ew.cos_p.bind(y)), _mul(_k(s, 2), _mul(s, s)))
    im = ew.select_p.bind(ew.eq_p.bind(y, _k(y, 0)), y,
                          _mul(ew.exp_p.bind(x), ew.sin_p.bind(y)))
    return _c(re, im)


def log1p(z):
    """log|1 + z| = log1p(2x + x^2 + y^2) / 2 (accurate near 0), arg = atan2(y, 1 + x)."""
    x, y = _parts(z)
    q = _add(_mul(x, _add(x, _k(x, 2))), _mul(y, y))
    small = ew.lt_p.bind(ew.abs_p.bind(q), _k(q, 0.5))
    near = _mul(ew.log1p_p.bind(q), _k(q, 0.5))
    far = ew.log_p.bind(_abs(_add(x, _k(x, 1)), y))
    return _c(ew.select_p.bind(small, near, far), ew.atan2_p.bind(y, _add(x, _k(x, 1))))


def pow(z, w):
    """exp(w log z); 0 ** w is 1 for w = 0, else 0 for Re w > 0 and nan otherwise."""
    zx, zy = _parts(z)
    wx, wy = _parts(w)
    lx, ly = _parts(log(z))
    out = exp(_c(_sub(_mul(wx, lx), _mul(wy, ly)), _add(_mul(wx, ly), _mul(wy, lx))))
    ox, oy = _parts(out)
    z0 = ew.and_p.bind(ew.eq_p.bind(zx, _k(zx, 0)), ew.eq_p.bind(zy, _k(zy, 0)))
    w0 = ew.and_p.bind(ew.eq_p.bind(wx, _k(wx, 0)), ew.eq_p.bind(wy, _k(wy, 0)))
    at_zero = ew.select_p.bind(w0, _k(wx, 1), ew.select_p.bind(
        ew.and_p.bind(ew.gt_p.bind(wx, _k(wx, 0)), ew.eq_p.bind(wy, _k(wy, 0))),
        _k(wx, 0), _k(wx, np.nan)))
    at_zero_im = _mul(at_zero, _k(wx, 0))   # 0, or nan with a nan real part
    return _c(ew.select_p.bind(z0, at_zero, ox), ew.select_p.bind(z0, at_zero_im, oy))


def _as_complex128(ctx: RuleContext, x: str, aval: ShapedArray) -> str:
    """A real operand (the exponent of a complex power) as complex128: x + 0i."""
    if aval.dtype == _C128:
        return x
    part = aval.update(dtype=np.float64)
    if aval.dtype != part.dtype:
        x = hlo.convert(ctx.em, x, aval, np.float64)
    zero = hlo.full(ctx.em, 0.0, np.float64, aval.shape)
    return hlo.binary(ctx.em, "complex", x, zero, part, part.update(dtype=_C128))


def _times_i(z, sign: float = 1.0):
    """i z (or -i z for sign -1)."""
    x, y = _parts(z)
    return _c(ew.neg_p.bind(y), x) if sign > 0 else _c(y, ew.neg_p.bind(x))


def asinh(z):
    """log1p(w + w^2 / (1 + sqrt(w^2 + 1))) for w = +-z with Re w >= 0 (no cancellation),
    with the sign given back."""
    x, _ = _parts(z)
    flip = ew.lt_p.bind(x, _k(x, 0))
    w = ew.select_p.bind(flip, ew.neg_p.bind(z), z)
    one = _c(_k(x, 1), _k(x, 0))
    w2 = ew.mul_p.bind(w, w)
    r = log1p(ew.add_p.bind(w, ew.div_p.bind(w2, ew.add_p.bind(one, sqrt(
        ew.add_p.bind(w2, one))))))
    return ew.select_p.bind(flip, ew.neg_p.bind(r), r)


def asin(z):
    return _times_i(asinh(_times_i(z)), -1.0)      # asin z = -i asinh(i z)


def atanh(z):
    half = _c(_k(_parts(z)[0], 0.5), _k(_parts(z)[0], 0))
    return ew.mul_p.bind(half, ew.sub_p.bind(log1p(z), log1p(ew.neg_p.bind(z))))


def atan(z):
    return _times_i(atanh(_times_i(z)), -1.0)      # atan z = -i atanh(i z)


IMPLS: dict[str, Callable] = {
    "exp": exp, "log": log, "sqrt": sqrt, "sin": sin, "cos": cos, "tan": tan, "tanh": tanh,
    "sinh": sinh, "cosh": cosh, "expm1": expm1, "log1p": log1p, "pow": pow, "asinh": asinh,
    "asin": asin, "atanh": atanh, "atan": atan,
}


@functools.lru_cache(maxsize=256)
def _trace(name: str, shape: tuple[int, ...], nargs: int) -> ClosedJaxpr:
    return trace_formula(lambda *a: [IMPLS[name](*a)], [ShapedArray(shape, _C128)] * nargs,
                         f"complex128 {name}")


def rule(name: str) -> Callable[..., str]:
    """A lowering rule computing the complex128 function `name` by its formula here."""
    def lower(ctx: RuleContext, *operands: str, **params: Any) -> str:
        operands = tuple(_as_complex128(ctx, x, a) for x, a in zip(operands, ctx.avals_in))
        closed = _trace(name, tuple(ctx.avals_in[0].shape), len(operands))
        return call_formula(ctx, "c128", name, closed, operands)
    lower.__name__ = f"c128_{name}"
    return lower
