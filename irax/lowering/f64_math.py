"""float64 elementary functions as compositions of ops IREE compiles exactly.

IREE 3.13 has no float64 implementation of most transcendentals: on llvm-cpu `sin`, `cos`,
`tan`, `tanh`, `atan2` (hence `atan`, `asin`, `acos`) and `cbrt` fail to link or to
legalize ("iree-lld: undefined symbol: sin"), and on Vulkan they do not compile. Others
compile but are not float64-accurate: `expm1` and `log1p` are computed as `exp(x) - 1` and
`log(1 + x)` (expm1(1e-20) == 0; 8e-8 relative error at 1e-10), which also spoils the
`chlo` expansions of sinh/asinh/atanh; `cosh`, `exp2` lose |x|*eps relative accuracy.
What *is* exact to <= 1 ulp in float64 on every target: + - * /, sqrt, floor, round,
compare/select, and on llvm-cpu exp and log (measured against NumPy).

So for float64 operands these primitives are lowered through the functions below instead
of the StableHLO op (a "decompose" entry of the capability table, registered in
prims/elementwise.py): each is plain Python over the tracer's primitives (the `f64` ops),
traced to a jaxpr once per (function, shape) and written as a private helper function,
once per module, that every use calls. The algorithms and minimax
coefficients are FreeBSD msun / fdlibm's (Sun Microsystems, permissive licence), written
branch-free with selects. Accuracy measured against NumPy (tests/lowering/test_f64_math.py):
a few ulp; sin/cos/tan reduce arguments exactly for |x| < 2**19 * pi/2 (~8.2e5) and lose
about |x| * 2**-86 absolute accuracy beyond.
"""
from __future__ import annotations

import functools
import math
from typing import Any, Callable

import numpy as np

from ..tracer import dtypes
from ..tracer.core import ClosedJaxpr, ShapedArray
from ..tracer.partial_eval import trace_to_jaxpr
from ..tracer.prims import elementwise as ew
from .context import RuleContext
from .lower import call_helper

# ---------------------------------------------------------------------------
# Float64 values while tracing a formula: the primitives bound directly (the lowering
# builds on the tracer, not on irax.numpy). Every operand has the formula input's shape;
# Python numbers become float64 constants of that shape.

_F64 = np.dtype(np.float64)


class _V:
    """A traced float64 (or bool) array with the arithmetic the formulas are written in."""

    __slots__ = ("t",)

    def __init__(self, t: Any) -> None:
        self.t = t

    def _lift(self, other: Any) -> Any:
        if isinstance(other, _V):
            return other.t
        return ew.full_like_scalar(self.t, float(other))

    def _bin(self, prim: Any, other: Any, swap: bool = False) -> "_V":
        a, b = self.t, self._lift(other)
        return _V(prim.bind(b, a) if swap else prim.bind(a, b))

    def __add__(self, o): return self._bin(ew.add_p, o)
    def __radd__(self, o): return self._bin(ew.add_p, o, swap=True)
    def __sub__(self, o): return self._bin(ew.sub_p, o)
    def __rsub__(self, o): return self._bin(ew.sub_p, o, swap=True)
    def __mul__(self, o): return self._bin(ew.mul_p, o)
    def __rmul__(self, o): return self._bin(ew.mul_p, o, swap=True)
    def __truediv__(self, o): return self._bin(ew.div_p, o)
    def __rtruediv__(self, o): return self._bin(ew.div_p, o, swap=True)
    def __neg__(self): return _V(ew.neg_p.bind(self.t))
    def __lt__(self, o): return self._bin(ew.lt_p, o)
    def __le__(self, o): return self._bin(ew.le_p, o)
    def __gt__(self, o): return self._bin(ew.gt_p, o)
    def __ge__(self, o): return self._bin(ew.ge_p, o)
    def __eq__(self, o): return self._bin(ew.eq_p, o)  # type: ignore[override]
    def __ne__(self, o): return self._bin(ew.ne_p, o)  # type: ignore[override]
    def __and__(self, o): return _V(ew.and_p.bind(self.t, o.t))
    def __or__(self, o): return _V(ew.or_p.bind(self.t, o.t))
    __hash__ = None  # type: ignore[assignment]


class _Float64Ops:
    """The few array functions the formulas use, on _V values."""

    @staticmethod
    def _value(like: _V, x: Any) -> Any:
        return x.t if isinstance(x, _V) else ew.full_like_scalar(like.t, float(x))

    def where(self, cond: _V, a: Any, b: Any) -> _V:
        like = a if isinstance(a, _V) else b if isinstance(b, _V) else None
        if like is None:   # both constants: shaped like the condition
            like = _V(ew.full_like_scalar(ew.convert_element_type(cond.t, _F64), 0.0))
        return _V(ew.select_p.bind(cond.t, self._value(like, a), self._value(like, b)))

    def minimum(self, a: _V, b: Any) -> _V:
        return _V(ew.min_p.bind(a.t, self._value(a, b)))

    def maximum(self, a: _V, b: Any) -> _V:
        return _V(ew.max_p.bind(a.t, self._value(a, b)))

    def clip(self, a: _V, lo: float, hi: float) -> _V:
        return self.minimum(self.maximum(a, lo), hi)

    def ones_like(self, a: _V) -> _V:
        return _V(ew.full_like_scalar(a.t, 1.0))

    def abs(self, a: _V) -> _V: return _V(ew.abs_p.bind(a.t))
    def exp(self, a: _V) -> _V: return _V(ew.exp_p.bind(a.t))
    def log(self, a: _V) -> _V: return _V(ew.log_p.bind(a.t))
    def sqrt(self, a: _V) -> _V: return _V(ew.sqrt_p.bind(a.t))
    def floor(self, a: _V) -> _V: return _V(ew.floor_p.bind(a.t))
    def round(self, a: _V) -> _V: return _V(ew.round_p.bind(a.t))   # half to even


f64 = _Float64Ops()


def _poly(z, coeffs):
    """coeffs[0] + z*(coeffs[1] + z*(...)) (Horner)."""
    acc = coeffs[-1]
    for c in reversed(coeffs[:-1]):
        acc = c + z * acc
    return acc


def _copysign(mag, x):
    """|mag| with the sign of x (for x = -0.0 the result is negative too)."""
    return f64.where(_signbit(x), -f64.abs(mag), f64.abs(mag))


def _signbit(x):
    return (x < 0) | ((x == 0) & (1.0 / x < 0))


def _nan_through(x, result):
    return f64.where(x != x, x, result)


# ---------------------------------------------------------------------------
# exp / log family


def expm1(x):
    """Kahan: expm1(x) = (u - 1) * x / log(u), u = exp(x), accurate when exp and log are."""
    u = f64.exp(x)
    um1 = u - 1.0
    small = f64.where((u == 1.0) | (um1 == 0.0), 1.0, um1)
    logu = f64.where((u == 1.0) | (um1 == 0.0), 1.0, f64.log(u))
    kahan = small * (x / logu)
    out = f64.where(f64.abs(x) < 0.5, kahan, um1)
    out = f64.where(u == 1.0, x, out)   # |x| < eps: expm1(x) == x (and keeps -0.0)
    return _nan_through(x, out)


def log1p(x):
    """Goldberg/Kahan: log1p(x) = log(u) * x / (u - 1), u = 1 + x."""
    u = 1.0 + x
    um1 = u - 1.0
    safe = f64.where(um1 == 0.0, 1.0, um1)
    out = f64.log(u) * (x / safe)
    out = f64.where(um1 == 0.0, x, out)
    out = f64.where(f64.abs(x) < 0.5, out, f64.log(u))
    return _nan_through(x, out)


def exp2(x):
    """2**x = exp(f * ln2) * 2**n, n = round(x), f = x - n (exact); 2**n is built exactly
    as a product of power-of-two constants and applied with one rounding."""
    n = f64.clip(f64.round(f64.where(f64.abs(x) < np.inf, x, 0.0)), -1074.0, 1024.0)
    f = x - f64.round(x)
    m = f64.exp(f * math.log(2.0))
    m = f64.where(n > 1023.0, 2.0 * m, m)   # 2**1024 itself is not a double
    n = f64.minimum(n, 1023.0)
    a = f64.abs(n)
    neg = n < 0
    scale = f64.ones_like(x)
    for b in reversed(range(11)):
        p = float(1 << b)
        take = a >= p
        a = f64.where(take, a - p, a)
        scale = f64.where(take, scale * f64.where(neg, 2.0 ** -(1 << b), 2.0 ** min(1 << b, 512)),
                          scale)
    out = m * scale
    out = f64.where(x > 1100.0, np.inf, f64.where(x < -1100.0, 0.0, out))
    return _nan_through(x, out)


def cbrt(x):
    """exp(log|x| / 3) with the sign, then one Newton step."""
    ax = f64.abs(x)
    special = (ax == 0.0) | (ax == np.inf)
    safe = f64.where(special, 1.0, ax)
    y = f64.exp(f64.log(safe) * (1.0 / 3.0))
    y = y - (y - safe / (y * y)) * (1.0 / 3.0)
    return _nan_through(x, f64.where(special, x, _copysign(y, x)))


# ---------------------------------------------------------------------------
# hyperbolic (fdlibm s_tanh.c, e_sinh.c, e_cosh.c, s_asinh.c, e_acosh.c, e_atanh.c)

_LN2 = 6.93147180559945286227e-01
_OVERFLOW = 709.78271289338397   # exp(x) overflows beyond


def tanh(x):
    ax = f64.abs(x)
    t_big = expm1(2.0 * f64.minimum(ax, 22.0))
    z_big = 1.0 - 2.0 / (t_big + 2.0)
    t_small = expm1(-2.0 * f64.minimum(ax, 1.0))
    z_small = -t_small / (t_small + 2.0)
    z = f64.where(ax >= 22.0, 1.0, f64.where(ax >= 1.0, z_big, z_small))
    z = f64.where(ax < 2.0 ** -55, ax, z)
    return _nan_through(x, _copysign(z, x))


def sinh(x):
    ax = f64.abs(x)
    t = expm1(f64.minimum(ax, 22.0))
    small = 0.5 * (2.0 * t - t * t / (t + 1.0))
    mid = 0.5 * (t + t / (t + 1.0))
    e = f64.exp(f64.minimum(ax, _OVERFLOW))
    large = 0.5 * e
    w = f64.exp(0.5 * ax)
    huge = (0.5 * w) * w
    z = f64.where(ax < 1.0, small, f64.where(ax < 22.0, mid,
                  f64.where(ax < _OVERFLOW, large, huge)))
    return _nan_through(x, _copysign(z, x))


def cosh(x):
    ax = f64.abs(x)
    t = expm1(f64.minimum(ax, 1.0))
    w = 1.0 + t
    small = 1.0 + (t * t) / (w + w)
    e = f64.exp(f64.minimum(ax, _OVERFLOW))
    mid = 0.5 * e + 0.5 / e
    large = 0.5 * e
    h = f64.exp(0.5 * ax)
    huge = (0.5 * h) * h
    z = f64.where(ax < 0.5 * _LN2, small, f64.where(ax < 22.0, mid,
                  f64.where(ax < _OVERFLOW, large, huge)))
    return _nan_through(x, z)


def asinh(x):
    ax = f64.abs(x)
    big = f64.log(f64.maximum(ax, 1.0)) + _LN2
    r = f64.sqrt(ax * ax + 1.0)
    mid = f64.log(2.0 * ax + 1.0 / (r + ax))
    t = ax * ax
    small = log1p(ax + t / (1.0 + f64.sqrt(1.0 + t)))
    z = f64.where(ax > 2.0 ** 28, big, f64.where(ax > 2.0, mid, small))
    z = f64.where(ax < 2.0 ** -28, ax, z)
    return _nan_through(x, _copysign(z, x))


def acosh(x):
    big = f64.log(f64.maximum(x, 1.0)) + _LN2
    mid = f64.log(2.0 * x - 1.0 / (x + f64.sqrt(f64.maximum(x * x - 1.0, 0.0))))
    t = x - 1.0
    small = log1p(t + f64.sqrt(f64.maximum(2.0 * t + t * t, 0.0)))
    z = f64.where(x > 2.0 ** 28, big, f64.where(x > 2.0, mid, small))
    z = f64.where(x < 1.0, np.nan, z)
    return _nan_through(x, z)


def atanh(x):
    ax = f64.abs(x)
    t = ax + ax
    small = 0.5 * log1p(t + t * ax / (1.0 - ax))
    large = 0.5 * log1p(t / (1.0 - ax))
    z = f64.where(ax < 0.5, small, large)
    z = f64.where(ax > 1.0, np.nan, z)
    return _nan_through(x, _copysign(z, x))


# ---------------------------------------------------------------------------
# sin / cos / tan (fdlibm k_sin.c, k_cos.c, e_rem_pio2.c medium case)

_INVPIO2 = 6.36619772367581382433e-01
_PIO2_1 = 1.57079632673412561417e+00     # first 33 bits of pi/2
_PIO2_1T = 6.07710050650619224932e-11    # pi/2 - _PIO2_1
_PIO2_2 = 6.07710050630396597660e-11     # second 33 bits
_PIO2_2T = 2.02226624879595063154e-21
_PIO2_3 = 2.02226624871116645580e-21     # third 33 bits
_PIO2_3T = 8.47842766036889956997e-32

_S = [-1.66666666666666324348e-01, 8.33333333332248946124e-03, -1.98412698298579493134e-04,
      2.75573137070700676789e-06, -2.50507602534068634195e-08, 1.58969099521155010221e-10]
_C = [4.16666666666666019037e-02, -1.38888888888741095749e-03, 2.48015872894767294178e-05,
      -2.75573143513906633035e-07, 2.08757232129817482790e-09, -1.13596475577881948265e-11]


def _rem_pio2(x):
    """x = n * pi/2 + (y0 + y1), |y0 + y1| <= ~pi/4; returns (n mod 4 as float, y0, y1).
    The products n * _PIO2_k are exact for |n| < 2**20; every pass is Fast2Sum-corrected."""
    fn = f64.round(f64.where(f64.abs(x) < np.inf, x, 0.0) * _INVPIO2)
    r = x - fn * _PIO2_1
    w = fn * _PIO2_1T
    for p, pt in ((_PIO2_2, _PIO2_2T), (_PIO2_3, _PIO2_3T)):
        t = r
        w2 = fn * p
        r = t - w2
        w = fn * pt - ((t - r) - w2)
    y0 = r - w
    y1 = (r - y0) - w
    q = fn - 4.0 * f64.floor(fn * 0.25)   # fn mod 4, in {0, 1, 2, 3}
    return q, y0, y1


def _ksin(x, y):
    z = x * x
    v = z * x
    r = _poly(z, _S[1:])
    return x - ((z * (0.5 * y - v * r) - y) - v * _S[0])


def _kcos(x, y):
    z = x * x
    r = z * _poly(z, _C)
    hz = 0.5 * z
    w = 1.0 - hz
    return w + (((1.0 - w) - hz) + (z * r - x * y))


def _finite_only(x, out):
    return f64.where(f64.abs(x) < np.inf, out, np.nan)   # inf and nan -> nan


def sin(x):
    q, y0, y1 = _rem_pio2(x)
    s, c = _ksin(y0, y1), _kcos(y0, y1)
    out = f64.where(q == 0.0, s, f64.where(q == 1.0, c, f64.where(q == 2.0, -s, -c)))
    out = f64.where(x == 0.0, x, out)   # sin(-0.0) == -0.0
    return _finite_only(x, out)


def cos(x):
    q, y0, y1 = _rem_pio2(x)
    s, c = _ksin(y0, y1), _kcos(y0, y1)
    out = f64.where(q == 0.0, c, f64.where(q == 1.0, -s, f64.where(q == 2.0, -c, s)))
    return _finite_only(x, out)


def tan(x):
    q, y0, y1 = _rem_pio2(x)
    s, c = _ksin(y0, y1), _kcos(y0, y1)
    odd = (q == 1.0) | (q == 3.0)
    out = f64.where(odd, -c / s, s / c)
    out = f64.where(x == 0.0, x, out)
    return _finite_only(x, out)


# ---------------------------------------------------------------------------
# atan / atan2 / asin / acos (fdlibm s_atan.c, e_atan2.c)

_ATANHI = [4.63647609000806093515e-01, 7.85398163397448278999e-01,
           9.82793723247329054082e-01, 1.57079632679489655800e+00]
_ATANLO = [2.26987774529616870924e-17, 3.06161699786838301793e-17,
           1.39033110312309984516e-17, 6.12323399573676603587e-17]
_AT = [3.33333333333329318027e-01, -1.99999999998764832476e-01, 1.42857142725034663711e-01,
       -1.11111104054623557880e-01, 9.09088713343650656196e-02, -7.69187620504482999495e-02,
       6.66107313738753120669e-02, -5.83357013379057348645e-02, 4.97687799461593236017e-02,
       -3.65315727442169155270e-02, 1.62858201153657823623e-02]
_PI = 3.1415926535897931160e+00
_PI_LO = 1.2246467991473531772e-16


def atan(x):
    ax = f64.abs(x)
    i0, i1, i2 = ax < 7 / 16, ax < 11 / 16, ax < 19 / 16
    i3 = ax < 39 / 16
    safe = f64.where(ax == 0.0, 1.0, ax)
    t = f64.where(i0, ax, f64.where(i1, (2.0 * ax - 1.0) / (2.0 + ax),
                  f64.where(i2, (ax - 1.0) / (ax + 1.0),
                  f64.where(i3, (ax - 1.5) / (1.0 + 1.5 * ax), -1.0 / safe))))
    hi = f64.where(i1, _ATANHI[0], f64.where(i2, _ATANHI[1], f64.where(i3, _ATANHI[2],
                                                                        _ATANHI[3])))
    lo = f64.where(i1, _ATANLO[0], f64.where(i2, _ATANLO[1], f64.where(i3, _ATANLO[2],
                                                                        _ATANLO[3])))
    z = t * t
    w = z * z
    s1 = z * _poly(w, _AT[0::2])
    s2 = w * _poly(w, _AT[1::2])
    reduced = hi - ((t * (s1 + s2) - lo) - t)
    z = f64.where(i0, t - t * (s1 + s2), reduced)
    z = f64.where(ax < 2.0 ** -27, ax, z)
    return _nan_through(x, _copysign(z, x))


def atan2(y, x):
    sx, sy = _signbit(x), _signbit(y)
    ax, ay = f64.abs(x), f64.abs(y)
    both_zero = (ax == 0.0) & (ay == 0.0)
    both_inf = (ax == np.inf) & (ay == np.inf)
    q = ay / f64.where(both_zero, 1.0, ax)
    z = atan(f64.where(both_inf, 1.0, q))         # both infinite: |angle| = pi/4 or 3pi/4
    z = f64.where(sx, _PI - (z - _PI_LO), z)      # left half-plane
    z = f64.where(both_zero, f64.where(sx, _PI, 0.0), z)
    out = f64.where(sy, -z, z)
    return f64.where((x != x) | (y != y), x + y, out)


def asin(x):
    return atan2(x, f64.sqrt((1.0 - x) * (1.0 + x)))


def acos(x):
    return atan2(f64.sqrt((1.0 - x) * (1.0 + x)), x)


# ---------------------------------------------------------------------------
# tracing + lowering as a helper function

IMPLS: dict[str, Callable] = {
    "sin": sin, "cos": cos, "tan": tan, "tanh": tanh, "sinh": sinh, "cosh": cosh,
    "asinh": asinh, "acosh": acosh, "atanh": atanh, "atan": atan, "atan2": atan2,
    "asin": asin, "acos": acos, "expm1": expm1, "log1p": log1p, "exp2": exp2, "cbrt": cbrt,
}


def trace_formula(fn: Callable, avals: list[ShapedArray], label: str) -> ClosedJaxpr:
    """The jaxpr of a formula over the tracer's primitives, traced with 64-bit types on
    (its float64 constants stay float64)."""
    saved = dtypes.config.enable_x64
    dtypes.config.enable_x64 = True
    try:
        return trace_to_jaxpr(fn, avals, label)
    finally:
        dtypes.config.enable_x64 = saved


def call_formula(ctx: RuleContext, prefix: str, name: str, closed: ClosedJaxpr,
                 operands: tuple[str, ...]) -> str:
    """A call of the module's helper function `<prefix>_<name>_<shape>` computing
    `closed`, written the first time it is asked for."""
    shape = tuple(ctx.avals_in[0].shape)
    dims = "x".join(map(str, shape)) or "scalar"
    return call_helper(ctx, (prefix, name, shape), closed, operands,
                       f"{prefix}_{name}_{dims}")[0]


@functools.lru_cache(maxsize=512)
def _trace(name: str, shape: tuple[int, ...], nargs: int) -> ClosedJaxpr:
    fn = IMPLS[name]
    return trace_formula(lambda *a: [fn(*map(_V, a)).t], [ShapedArray(shape, _F64)] * nargs,
                         f"float64 {name}")


def lower_f64(ctx: RuleContext, name: str, *operands: str) -> str:
    """Emit the float64 `name` of `operands` (SSA names of equal-shape f64 tensors)."""
    closed = _trace(name, tuple(ctx.avals_in[0].shape), len(operands))
    return call_formula(ctx, "f64", name, closed, operands)


def rule(name: str) -> Callable[..., str]:
    """A lowering rule computing the float64 function `name` by its formula here."""
    def lower(ctx: RuleContext, *operands: str, **params: Any) -> str:
        return lower_f64(ctx, name, *operands)
    lower.__name__ = f"f64_{name}"
    return lower
