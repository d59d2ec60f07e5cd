"""The error-function family, composed from irax primitives: erf_inv (Giles' polynomials,
the ones XLA uses, so irax.random's normal draws round as JAX's do), erfc / erfcx, the
normal distribution function ndtr, its logarithm log_ndtr and its inverse ndtri.

erfc is computed as t exp(-z^2 + g(t)), t = 2 / (2 + |z|) (the form of Numerical Recipes'
erfccheb), with g a Chebyshev series of our own: the coefficients below interpolate
g(u) = log(erfcx(z) / t), u = 2t - 1, at 41 Chebyshev nodes evaluated with mpmath (40
digits), truncated below 2e-17 (float32 drops those below 1e-9). The series is accurate to
a few ulp on all of [0, inf); exp(-z^2) is formed from an exactly squared head of z, so the
tails keep their relative accuracy, and in log space (log_ndtr) nothing underflows.
"""
from __future__ import annotations

import math

import numpy as np

from .. import numpy as jnp
from ..tracer import dtypes
from ..tracer.core import get_aval
from ..tracer.custom import custom_jvp
from ..tracer.prims import elementwise as ew
from ..tracer.prims import shape as sh
from ._helpers import chebyshev, for_dtype, is_f64

# Giles' single-precision erfinv ("Approximating the erfinv function", GPU Gems 2012),
# the coefficients XLA's ErfInv32 uses (highest degree first), for w < 5 and w >= 5.
_ERFINV32_CENTRAL = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06,
                     0.00021858087, -0.00125372503, -0.00417768164, 0.246640727, 1.50140941)
_ERFINV32_TAIL = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844,
                  0.00573950773, -0.0076224613, 0.00943887047, 1.00167406, 2.83297682)
# Giles' double-precision version (w < 6.25, w < 16, w >= 16)
_ERFINV64_A = (-3.6444120640178196996e-21, -1.685059138182016589e-19,
               1.2858480715256400167e-18, 1.115787767802518096e-17,
               -1.333171662854620906e-16, 2.0972767875968561637e-17,
               6.6376381343583238325e-15, -4.0545662729752068639e-14,
               -8.1519341976054721522e-14, 2.6335093153082322977e-12,
               -1.2975133253453532498e-11, -5.4154120542946279317e-11,
               1.051212273321532285e-09, -4.1126339803469836976e-09,
               -2.9070369957882005086e-08, 4.2347877827932403518e-07,
               -1.3654692000834678645e-06, -1.3882523362786468719e-05,
               0.0001867342080340571352, -0.00074070253416626697512,
               -0.0060336708714301490533, 0.24015818242558961693, 1.6536545626831027356)
_ERFINV64_B = (2.2137376921775787049e-09, 9.0756561938885390979e-08,
               -2.7517406297064545428e-07, 1.8239629214389227755e-08,
               1.5027403968909827627e-06, -4.013867526981545969e-06,
               2.9234449089955446044e-06, 1.2475304481671778723e-05,
               -4.7318229009055733981e-05, 6.8284851459573175448e-05,
               2.4031110387097893999e-05, -0.0003550375203628474796,
               0.00095328937973738049703, -0.0016882755560235047313,
               0.0024914420961078508066, -0.0037512085075692412107,
               0.005370914553590063617, 1.0052589676941592334, 3.0838856104922207635)
_ERFINV64_C = (-2.7109920616438573243e-11, -2.5556418169965252055e-10,
               1.5076572693500548083e-09, -3.7894654401267369937e-09,
               7.6157012080783393804e-09, -1.4960026627149240478e-08,
               2.9147953450901080826e-08, -6.7711997758452339498e-08,
               2.2900482228026654717e-07, -9.9298272942317002539e-07,
               4.5260625972231537039e-06, -1.9681778105531670567e-05,
               7.5995277030017761139e-05, -0.00021503011930044477347,
               -0.00013871931833623122026, 1.0103004648645343977, 4.8499064014085844221)


def _c(value, a):
    return sh.full(a.shape, value, a.dtype)


def erf_inv(x):
    """Inverse error function of a float array (float16 is computed in float32)."""
    x = jnp.asarray(x)
    a = get_aval(x)
    if dtypes.kind(a.dtype) != "f":
        raise TypeError(f"erf_inv does not accept dtype {a.dtype.name} (accepted: floating)")
    if a.dtype.itemsize < 4:
        return ew.convert_element_type(erf_inv(ew.convert_element_type(x, np.float32)), a.dtype)
    w = ew.neg(ew.log1p_p.bind(ew.neg(ew.mul(x, x))))
    result = ew.mul(_erf_inv_poly(w, a), x)
    at_one = ew.eq(ew.abs_p.bind(x), _c(1, a))   # erf_inv(+-1) = +-inf
    return ew.select(at_one, ew.mul(x, _c(np.finfo(a.dtype).max, a)), result)


def _erf_inv_poly(w, a):
    """P(w) with erf_inv(x) = x P(w), w = -log(1 - x^2) (Giles' split of the range)."""
    if a.dtype == np.float64:
        return _erf_inv64_poly(w, a)
    central = ew.lt(w, _c(5.0, a))
    w = ew.select(central, ew.sub(w, _c(2.5, a)), ew.sub(ew.sqrt(w), _c(3.0, a)))
    coef = [ew.select(central, _c(c0, a), _c(c1, a))
            for c0, c1 in zip(_ERFINV32_CENTRAL, _ERFINV32_TAIL)]
    p = coef[0]
    for c in coef[1:]:
        p = ew.add(c, ew.mul(p, w))
    return p


def _erf_inv64_poly(w, a):
    lt_6_25 = ew.lt(w, _c(6.25, a))
    lt_16 = ew.lt(w, _c(16.0, a))

    def coef(i):
        c = _c(_ERFINV64_A[i], a)
        if i < 19:
            c = ew.select(lt_6_25, c, _c(_ERFINV64_B[i], a))
        if i < 17:
            c = ew.select(lt_16, c, _c(_ERFINV64_C[i], a))
        return c
    shift = ew.select(lt_16, _c(3.25, a), _c(5.0, a))
    w = ew.select(lt_6_25, ew.sub(w, _c(3.125, a)), ew.sub(ew.sqrt(w), shift))
    p = coef(0)
    for i in range(1, 17):
        p = ew.add(coef(i), ew.mul(p, w))
    for i in range(17, 19):
        p = ew.select(lt_16, ew.add(coef(i), ew.mul(p, w)), p)
    for i in range(19, 23):
        p = ew.select(lt_6_25, ew.add(coef(i), ew.mul(p, w)), p)
    return p


# ---------------------------------------------------------------------------
# erfc and the normal distribution function

_ERFC_G = (
    -0.6513268598908547, 0.6419697923564902, 0.019476473204185836,
    -0.009561514786808632, -0.0009465953444820369, 0.00036683949785276145,
    4.252332480690777e-05, -2.0278578112534242e-05, -1.6242900046470256e-06,
    1.3036558355805232e-06, 1.5626441722066142e-08, -8.523809591492654e-08,
    6.5290544390988515e-09, 5.059343495551469e-09, -9.91364156493033e-10,
    -2.273651222931836e-10, 9.646791102015527e-11, 2.3940380830391146e-12,
    -6.886027526497553e-12, 8.944879273090725e-13, 3.130921399342958e-13,
    -1.1270822361367252e-13, 3.810905255189232e-16, 7.106097613609237e-15,
    -1.5230282014571043e-15, -9.457494571291238e-17, 1.2102371892242805e-16,
    -2.8166630877471974e-17,
)
_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
_SQRT_HALF = math.sqrt(0.5)


def _log_erfcx_nonneg(z):
    """log(exp(z^2) erfc(z)) for z >= 0 (z = +inf gives -inf)."""
    t = 2 / (2 + z)
    return jnp.log(t) + chebyshev(for_dtype(z, _ERFC_G), 2 * t - 1)


def _erfcx_nonneg(z):
    t = 2 / (2 + z)
    return t * jnp.exp(chebyshev(for_dtype(z, _ERFC_G), 2 * t - 1))


def _exp_neg_sq(x, scale: float):
    """exp(-scale x^2) for x >= 0 (scale a power of two): x = head + rest with head^2
    exact, so the rounding of x^2 does not become a relative error of the result."""
    bits = 16 if is_f64(x) else 8
    finite = jnp.isfinite(x)
    xs = jnp.where(finite, x, 0.0)
    head = jnp.floor(xs * 2.0 ** bits) * 2.0 ** -bits
    value = jnp.exp(-scale * head * head) * jnp.exp(-scale * (xs - head) * (xs + head))
    return jnp.where(finite, value, jnp.where(x > 0, 0.0, x))   # inf -> 0, nan stays


def _erfc_nonneg(z):
    return _erfcx_nonneg(z) * _exp_neg_sq(z, 1.0)


def _erfc_value(x):
    e = _erfc_nonneg(jnp.abs(x))
    return jnp.where(x < 0, 2 - e, e)


erfc = custom_jvp(_erfc_value)
erfc.defjvps(lambda g, ans, x: g * (-2 / math.sqrt(math.pi)) * jnp.exp(-x * x))


def _erfcx_value(x):
    pos = _erfcx_nonneg(jnp.abs(x))
    # erfcx(-z) = 2 exp(z^2) - erfcx(z); exp(z^2) overflows to inf as it should
    return jnp.where(x < 0, 2 * jnp.exp(x * x) - pos, pos)


erfcx = custom_jvp(_erfcx_value)
erfcx.defjvps(lambda g, ans, x: g * (2 * x * ans - 2 / math.sqrt(math.pi)))


def _norm_logpdf(x):
    return -0.5 * x * x - _LOG_SQRT_2PI


def _half_erfc_of_abs(x):
    """erfc(|x| / sqrt 2) / 2, i.e. ndtr(-|x|), with the exponent taken from x itself."""
    return 0.5 * _erfcx_nonneg(jnp.abs(x) * _SQRT_HALF) * _exp_neg_sq(jnp.abs(x), 0.5)


def _ndtr_value(x):
    lower = _half_erfc_of_abs(x)
    return jnp.where(x < 0, lower, 1 - lower)


ndtr = custom_jvp(_ndtr_value)
ndtr.defjvps(lambda g, ans, x: g * jnp.exp(_norm_logpdf(x)))


def _log_lower_tail(z):
    """log ndtr(-z) for z >= 0: log(erfc(z / sqrt 2) / 2) in log space, so it neither
    underflows nor loses digits."""
    return math.log(0.5) + _log_erfcx_nonneg(z * _SQRT_HALF) - 0.5 * z * z


def _log_ndtr_value(x):
    lower = _log_lower_tail(jnp.abs(x))
    upper = jnp.log1p(-_half_erfc_of_abs(x))
    return jnp.where(x < 0, lower, upper)


def _log_ndtr_slope(x):
    """d/dx log ndtr(x) = pdf(x) / ndtr(x); for x < 0 the Gaussian factors cancel exactly:
    sqrt(2/pi) / erfcx(-x / sqrt 2) (JAX's exp(logpdf - log_ndtr) loses digits there)."""
    lower = math.sqrt(2 / math.pi) / _erfcx_nonneg(jnp.abs(x) * _SQRT_HALF)
    upper = jnp.exp(_norm_logpdf(x)) / _ndtr_value(x)
    return jnp.where(x < 0, lower, upper)


log_ndtr = custom_jvp(_log_ndtr_value)
log_ndtr.defjvps(lambda g, ans, x: g * _log_ndtr_slope(x))


# ---------------------------------------------------------------------------
# ndtri: ndtri(q) = -sqrt(2) erfinv(1 - 2q) for q <= 1/2, with Giles' w computed from q
# itself (w = -log(1 - y^2) = -log(4q(1 - q)), no cancellation near q = 0). Below the
# range Giles' polynomial was fitted for (q < 1e-15 in float64, 1e-7 in float32), start
# from the asymptotic z^2 ~ 2L - log(2 pi) - log(2L - log 2pi), L = -log q, and take
# Newton steps on log_ndtr(-z) = log q, where the equation is nearly quadratic.

_TAIL_Q = {np.dtype(np.float64): 1e-15, np.dtype(np.float32): 1e-7}


def _ndtri_value(p):
    a = get_aval(p)
    q = jnp.minimum(p, 1 - p)
    y = 1 - 2 * q
    q_pos = jnp.where(q > 0, q, 0.25)
    w = -(jnp.log(4 * q_pos) + jnp.log1p(-q_pos))
    z = math.sqrt(2) * y * _erf_inv_poly(w, a)
    tail = q < _TAIL_Q[a.dtype]
    q_tail = jnp.where(tail & (q > 0), q, _TAIL_Q[a.dtype] / 10)
    log_q = jnp.log(q_tail)
    two_l = -2 * log_q - math.log(2 * math.pi)
    zt = jnp.sqrt(two_l - jnp.log(two_l))
    for _ in range(4 if a.dtype == np.float64 else 3):
        log_cdf = _log_lower_tail(zt)
        zt = zt + (log_cdf - log_q) * jnp.exp(log_cdf - _norm_logpdf(zt))
    z = jnp.where(tail, zt, z)
    x = jnp.where(p < 0.5, -z, z)
    x = jnp.where(p == 0, -np.inf, jnp.where(p == 1, np.inf, x))
    return jnp.where((p < 0) | (p > 1), np.nan, x)


ndtri = custom_jvp(_ndtri_value)
ndtri.defjvps(lambda g, ans, p: g * jnp.exp(-_norm_logpdf(ans)))


def _erfinv_value(x):
    """x P(w) as erf_inv, but with w = -log((1 - |x|)(1 + |x|)) for |x| >= 1/2, where
    1 - |x| is exact: log1p(-x*x) (XLA's form, which the samplers keep) loses digits as
    |x| -> 1 (2e-13 relative at 1 - 2e-6)."""
    a = get_aval(x)
    ax = jnp.abs(x)
    w = jnp.where(ax < 0.5, -jnp.log1p(-x * x), -jnp.log((1 - ax) * (1 + ax)))
    return jnp.where(ax == 1, x * np.inf, x * _erf_inv_poly(w, a))


erfinv = custom_jvp(_erfinv_value)
erfinv.defjvps(lambda g, ans, x: g * (math.sqrt(math.pi) / 2) * jnp.exp(ans * ans))
