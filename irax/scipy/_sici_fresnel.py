"""The sine / cosine integrals (sici) and the Fresnel integrals (fresnel) of jax.scipy.special
(issue 12), from the rational approximations of the Cephes library (S. L. Moshier; the ones
SciPy evaluates), so values agree with SciPy to a few ulps in float64.

sici: Si and Ci by rational functions of x^2 up to |x| = 4, by the auxiliary functions
f, g (Si = pi/2 - f cos x - g sin x, Ci = f sin x - g cos x) up to 1e9 and their leading
terms beyond. fresnel: power-series rationals for x^2 < 2.5625, the auxiliary functions
beyond, with sin / cos of pi x^2 / 2 reduced exactly first (x^2 itself loses the phase).
Both carry their analytic derivatives as custom_jvp rules (sin x / x, cos x / x;
sin(pi x^2 / 2), cos(pi x^2 / 2)), as JAX's do.
"""
from __future__ import annotations

import math

import numpy as np

from .. import numpy as jnp
from ..tracer.core import get_aval
from ..tracer.custom import custom_jvp
from ..tracer.prims import elementwise as ew
from ._helpers import horner, promote_inexact
from ..tracer import dtypes

__all__ = ["fresnel", "sici"]

_EULER = 0.57721566490153286061

# ---------------------------------------------------------------------------
# sici (Cephes sici.c; coefficients highest power first)

_SN = [-8.39167827910303881427e-11, 4.62591714427012837309e-8, -9.75759303843632795789e-6,
       9.76945438170435310816e-4, -4.13470316229406538752e-2, 1.00000000000000000302e0]
_SD = [2.03269266195951942049e-12, 1.27997891179943299903e-9, 4.41827842801218905784e-7,
       9.96412122043875552487e-5, 1.42085239326149893930e-2, 9.99999999999999996984e-1]
_CN = [2.02524002389102268789e-11, -1.35249504915790756375e-8, 3.59325051419993077021e-6,
       -4.74007206873407909465e-4, 2.89159652607555242092e-2, -1.00000000000000000080e0]
_CD = [4.07746040061880559506e-12, 3.06780997581887812692e-9, 1.23210355685883423679e-6,
       3.17442024775032769882e-4, 5.10028056236446052392e-2, 4.00000000000000000080e0]
# 4 < x < 8
_FN4 = [4.23612862892216586994e0, 5.45937717161812843388e0, 1.62083287701538329132e0,
        1.67006611831323023771e-1, 6.81020132472518137426e-3, 1.08936580650328664411e-4,
        5.48900223421373614008e-7]
_FD4 = [1.0, 8.16496634205391016773e0, 7.30828822505564552187e0, 1.86792257950184183883e0,
        1.78792052963149907262e-1, 7.01710668322789753610e-3, 1.10034357153915731354e-4,
        5.48900252756255700982e-7]
_GN4 = [8.71001698973114191777e-2, 6.11379109952219284151e-1, 3.97180296392337498885e-1,
        7.48527737628469092119e-2, 5.38868681462177273157e-3, 1.61999794598934024525e-4,
        1.97963874140963632189e-6, 7.82579040744090311069e-9]
_GD4 = [1.0, 1.64402202413355338886e0, 6.66296701268987968381e-1, 9.88771761277688796203e-2,
        6.22396345441768420760e-3, 1.73221081474177119497e-4, 2.02659182086343991969e-6,
        7.82579218933534490868e-9]
# x >= 8
_FN8 = [4.55880873470465315206e-1, 7.13715274100146711374e-1, 1.60300158222319456320e-1,
        1.16064229408124407915e-2, 3.49556442447859055605e-4, 4.86215430826454749482e-6,
        3.20092790091004902806e-8, 9.41779576128512936592e-11, 9.70507110881952024631e-14]
_FD8 = [1.0, 9.17463611873684053703e-1, 1.78685545332074536321e-1, 1.22253594771971293032e-2,
        3.58696481881851580297e-4, 4.92435064317881464393e-6, 3.21956939101046018377e-8,
        9.43720590350276732376e-11, 9.70507110881952025725e-14]
_GN8 = [6.97359953443276214934e-1, 3.30410979305632063225e-1, 3.84878767649974295920e-2,
        1.71718239052347903558e-3, 3.48941165502279436777e-5, 3.47131167084116673800e-7,
        1.70404452782044526189e-9, 3.85945925430276600453e-12, 3.14040098946363334640e-15]
_GD8 = [1.0, 1.68548898811011640017e0, 4.87852258695304967486e-1, 4.67913194259625806320e-2,
        1.90284426674399523638e-3, 3.68475504442561108162e-5, 3.57043223443740838771e-7,
        1.72693748966316146736e-9, 3.87830166023954706752e-12, 3.14040098946363335242e-15]


def _sici_nonneg(x):
    """(Si, Ci) for x >= 0 (nan passes through)."""
    # |x| <= 4: rational functions of x^2 (x == 0 kept out of the log)
    xs = jnp.where((x > 0) & (x <= 4), x, 1.0)
    t = xs * xs
    si_small = xs * horner(_SN, t) / horner(_SD, t)
    ci_small = _EULER + jnp.log(xs) + t * horner(_CN, t) / horner(_CD, t)
    # 4 < x <= 1e9: the auxiliary functions
    xm = jnp.where((x > 4) & (x <= 1e9), x, 5.0)
    z = 1 / (xm * xm)
    near = xm < 8
    f = jnp.where(near, horner(_FN4, z) / (xm * horner(_FD4, z)),
                  horner(_FN8, z) / (xm * horner(_FD8, z)))
    g = jnp.where(near, z * horner(_GN4, z) / horner(_GD4, z),
                  z * horner(_GN8, z) / horner(_GD8, z))
    s, c = jnp.sin(xm), jnp.cos(xm)
    si_mid, ci_mid = math.pi / 2 - f * c - g * s, f * s - g * c
    # x > 1e9: f ~ 1 / x, g ~ 1 / x^2 (dropped); the limits at inf
    xl = jnp.where((x > 1e9) & (x < np.inf), x, 2e9)
    si_big = jnp.where(x == np.inf, math.pi / 2, math.pi / 2 - jnp.cos(xl) / xl)
    ci_big = jnp.where(x == np.inf, 0.0, jnp.sin(xl) / xl)
    small, mid = x <= 4, x <= 1e9
    si = jnp.where(small, si_small, jnp.where(mid, si_mid, si_big))
    ci = jnp.where(small, ci_small, jnp.where(mid, ci_mid, ci_big))
    si = jnp.where(x == 0, 0.0, si)
    ci = jnp.where(x == 0, -np.inf, ci)
    return si, ci


@custom_jvp
def _sici(x):
    si, ci = _sici_nonneg(jnp.abs(x))
    # Si is odd; Ci(-x) is taken as Ci(|x|) (the real part of SciPy's complex value), nan at
    # -inf as SciPy and JAX
    return jnp.sign(x) * si, jnp.where((x == -np.inf) | jnp.isnan(x), np.nan, ci)


@_sici.defjvp
def _sici_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    out = _sici(x)
    safe = jnp.where(x == 0, 1.0, x)
    return out, (jnp.where(x == 0, 1.0, jnp.sin(safe) / safe) * t, jnp.cos(x) / x * t)


def _strong(x):
    # JAX's results are not weakly typed even for a Python scalar argument
    return ew.convert_element_type(x, get_aval(x).dtype, weak_type=False)


def sici(x):
    """(Si(x), Ci(x)): the integrals of sin(t) / t from 0 and of (cos(t) - 1) / t (plus
    gamma + log x)."""
    x = jnp.asarray(x)
    if dtypes.kind(x.dtype) == "c":
        raise ValueError(f"Argument `x` to sici must be real-valued. Got dtype {x.dtype}.")
    return _sici(_strong(promote_inexact("sici", x)))


# ---------------------------------------------------------------------------
# fresnel (Cephes fresnl.c)

_FR_SN = [-2.99181919401019853726e3, 7.08840045257738576863e5, -6.29741486205862506537e7,
          2.54890880573376359104e9, -4.42979518059697779103e10, 3.18016297876567817986e11]
_FR_SD = [1.0, 2.81376268889994315696e2, 4.55847810806532581675e4, 5.17343888770096400730e6,
          4.19320245898111231129e8, 2.24411795645340920940e10, 6.07366389490084639049e11]
_FR_CN = [-4.98843114573573548651e-8, 9.50428062829859605134e-6, -6.45191435683965050962e-4,
          1.88843319396703850064e-2, -2.05525900955013891793e-1, 9.99999999999999998822e-1]
_FR_CD = [3.99982968972495980367e-12, 9.15439215774657478799e-10, 1.25001862479598821474e-7,
          1.22262789024179030997e-5, 8.68029542941784300606e-4, 4.12142090722199792936e-2,
          1.00000000000000000118e0]
_FR_FN = [4.21543555043677546506e-1, 1.43407919780758885261e-1, 1.15220955073585758835e-2,
          3.45017939782574027900e-4, 4.63613749287867322088e-6, 3.05568983790257605827e-8,
          1.02304514164907233465e-10, 1.72010743268161828879e-13, 1.34283276233062758925e-16,
          3.76329711269987889006e-20]
_FR_FD = [1.0, 7.51586398353378947175e-1, 1.16888925859191382142e-1, 6.44051526508858611005e-3,
          1.55934409164153020873e-4, 1.84627567348930545870e-6, 1.12699224763999035261e-8,
          3.60140029589371370404e-11, 5.88754533621578410010e-14, 4.52001434074129701496e-17,
          1.25443237090011264384e-20]
_FR_GN = [5.04442073643383265887e-1, 1.97102833525523411709e-1, 1.87648584092575249293e-2,
          6.84079380915393090172e-4, 1.15138826111884280931e-5, 9.82852443688422223854e-8,
          4.45344415861750144738e-10, 1.08268041139020870318e-12, 1.37555460633261799868e-15,
          8.36354435630677421531e-19, 1.86958710162783235106e-22]
_FR_GD = [1.0, 1.47495759925128324529e0, 3.37748989120019970451e-1, 2.53603741420338795122e-2,
          8.14679107184306179049e-4, 1.27545075667729118702e-5, 1.04314589657571990585e-7,
          4.60680728146520428211e-10, 1.10273215066240270757e-12, 1.38796531259578871258e-15,
          8.39158816283118707363e-19, 1.86958710162783236342e-22]


def _sin_cos_half_pi_square(x):
    """(sin, cos) of pi x^2 / 2 for x >= 0, the phase reduced mod 2 exactly: with
    s = x mod 2, x^2 / 2 = (x - s)^2 / 2 + s (x - s) + s^2 / 2, and (x - s)^2 / 2 and
    s (x - s) are even integers, so x^2 / 2 = s (x - s / 2) (mod 2)."""
    s = jnp.fmod(x, 2.0)
    r = jnp.fmod(s * (x - s / 2), 2.0)
    return jnp.sin(math.pi * r), jnp.cos(math.pi * r)


def _fresnel_nonneg(x):
    x2 = x * x
    small = x2 < 2.5625
    xs = jnp.where(small, x, 1.0)
    t = xs ** 4
    s_small = xs * xs * xs * horner(_FR_SN, t) / horner(_FR_SD, t)
    c_small = xs * horner(_FR_CN, t) / horner(_FR_CD, t)
    big = x > 36974.0
    xo = jnp.where(small | big | (x == np.inf), 2.0, x)
    sn, cs = _sin_cos_half_pi_square(xo)
    pt = math.pi * xo * xo
    u = 1 / (pt * pt)
    f = 1 - u * horner(_FR_FN, u) / horner(_FR_FD, u)
    g = horner(_FR_GN, u) / (pt * horner(_FR_GD, u))
    c_mid = 0.5 + (f * sn - g * cs) / (math.pi * xo)
    s_mid = 0.5 - (f * cs + g * sn) / (math.pi * xo)
    # beyond 36974 only the leading terms of the auxiliary functions matter
    xb = jnp.where(big & (x < np.inf), x, 4e4)
    snb, csb = _sin_cos_half_pi_square(xb)
    c_big = 0.5 + snb / (math.pi * xb)
    s_big = 0.5 - csb / (math.pi * xb)
    s = jnp.where(small, s_small, jnp.where(big, s_big, s_mid))
    c = jnp.where(small, c_small, jnp.where(big, c_big, c_mid))
    return jnp.where(x == np.inf, 0.5, s), jnp.where(x == np.inf, 0.5, c)


@custom_jvp
def _fresnel(x):
    s, c = _fresnel_nonneg(jnp.abs(x))
    neg = x < 0   # both integrals are odd
    return jnp.where(neg, -s, s), jnp.where(neg, -c, c)


@_fresnel.defjvp
def _fresnel_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    sn, cs = _sin_cos_half_pi_square(jnp.abs(x))
    return _fresnel(x), (sn * t, cs * t)


def fresnel(x):
    """(S(x), C(x)): the integrals from 0 to x of sin(pi t^2 / 2) and cos(pi t^2 / 2)."""
    x = jnp.asarray(x)
    if dtypes.kind(x.dtype) == "c":
        raise NotImplementedError("Support for complex-valued inputs is not implemented yet.")
    return _fresnel(_strong(promote_inexact("fresnel", x)))
