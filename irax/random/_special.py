"""Numerical helpers the samplers need, composed from irax primitives: erf_inv with
XLA's polynomial (so normal draws round as JAX's do), nextafter, a small cholesky."""
from __future__ import annotations

import numpy as np

from .. import numpy as jnp
from ..tracer.core import get_aval
from ..tracer.prims import bits
from ..tracer.prims import elementwise as ew
from ..tracer.prims import shape as sh

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
    if a.dtype.kind != "f":
        raise TypeError(f"erf_inv does not accept dtype {a.dtype.name} (accepted: floating)")
    if a.dtype.itemsize < 4:
        return ew.convert_element_type(erf_inv(ew.convert_element_type(x, np.float32)), a.dtype)
    w = ew.neg(ew.log1p_p.bind(ew.neg(ew.mul(x, x))))
    if a.dtype == np.float64:
        p = _erf_inv64_poly(w, a)
    else:
        central = ew.lt(w, _c(5.0, a))
        w = ew.select(central, ew.sub(w, _c(2.5, a)), ew.sub(ew.sqrt(w), _c(3.0, a)))
        coef = [ew.select(central, _c(c0, a), _c(c1, a))
                for c0, c1 in zip(_ERFINV32_CENTRAL, _ERFINV32_TAIL)]
        p = coef[0]
        for c in coef[1:]:
            p = ew.add(c, ew.mul(p, w))
    result = ew.mul(p, x)
    at_one = ew.eq(ew.abs_p.bind(x), _c(1, a))   # erf_inv(+-1) = +-inf
    return ew.select(at_one, ew.mul(x, _c(np.finfo(a.dtype).max, a)), result)


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


def nextafter(x, toward: float):
    """The next float after x toward +inf or -inf (toward is +-np.inf)."""
    a = get_aval(x)
    idt = np.dtype(f"int{a.dtype.itemsize * 8}")
    b = bits.bitcast_convert_type(x, idt)
    one = sh.full(a.shape, 1, idt)
    zero = _c(0, a)
    if toward > 0:
        moved = ew.select(ew.lt(x, zero), ew.sub(b, one), ew.add(b, one))
        at_zero = sh.full(a.shape, 1, idt)
    else:
        moved = ew.select(ew.gt(x, zero), ew.sub(b, one), ew.add(b, one))
        at_zero = sh.full(a.shape, np.iinfo(idt).min + 1, idt)
    moved = ew.select(ew.eq(x, zero), at_zero, moved)
    out = bits.bitcast_convert_type(moved, a.dtype)
    keep = ew.or_p.bind(ew.ne_p.bind(x, x), ew.eq(x, _c(toward, a)))   # nan, or already there
    return ew.select(keep, x, out)


def cholesky(a):
    """Lower Cholesky factor of symmetric positive definite matrices (..., n, n), column by
    column (n is static, so this unrolls into small ops that every target compiles)."""
    a = jnp.asarray(a)
    n = get_aval(a).shape[-1]
    rows = jnp.arange(n)
    cols = []
    for j in range(n):
        col = a[..., :, j]
        if cols:
            done = jnp.stack(cols, axis=-1)                     # (..., n, j)
            col = col - jnp.sum(done * jnp.expand_dims(done[..., j, :], -2), axis=-1)
        d = jnp.sqrt(col[..., j])
        below = jnp.where(rows > j, col / d[..., None], 0)
        cols.append(jnp.where(rows == j, d[..., None], below))
    return jnp.stack(cols, axis=-1)


# Lanczos approximation (g = 7, n = 9), the coefficients XLA's Lgamma uses
_LANCZOS_G = 7.0
_LANCZOS_BASE = 0.99999999999980993227684700473478
_LANCZOS = (676.520368121885098567009190444019, -1259.13921672240287047156078755283,
            771.3234287776530788486528258894, -176.61502916214059906584551354,
            12.507343278686904814458936853, -0.13857109526572011689554707,
            9.984369578019570859563e-6, 1.50563273514931155834e-7)


def lgamma(x):
    """log|Gamma(x)| of a float array."""
    a = get_aval(x)
    half, one = _c(0.5, a), _c(1, a)
    reflect = ew.lt(x, half)
    z = ew.select(reflect, ew.neg(x), ew.sub(x, one))
    acc = _c(_LANCZOS_BASE, a)
    for i, coef in enumerate(_LANCZOS):
        acc = ew.add(acc, ew.div(_c(coef, a), ew.add(ew.add(z, _c(i, a)), one)))
    t = ew.add(_c(_LANCZOS_G + 0.5, a), z)
    log_t = ew.add(_c(np.log(_LANCZOS_G + 0.5), a),
                   ew.log1p_p.bind(ew.div(z, _c(_LANCZOS_G + 0.5, a))))
    log_y = ew.add(ew.add(_c((np.log(2) + np.log(np.pi)) / 2, a),
                          ew.mul(ew.sub(ew.add(z, half), ew.div(t, log_t)), log_t)),
                   ew.log(acc))
    abs_x = ew.abs_p.bind(x)
    frac = ew.sub(abs_x, ew.floor_p.bind(abs_x))
    frac = ew.select(ew.gt(frac, half), ew.sub(one, frac), frac)
    denom = ew.log(ew.sin(ew.mul(_c(np.pi, a), frac)))
    reflection = ew.select(ew.is_finite_p.bind(denom),
                           ew.sub(ew.sub(_c(np.log(np.pi), a), denom), log_y), ew.neg(denom))
    result = ew.select(reflect, reflection, log_y)
    is_inf = ew.eq(abs_x, _c(np.inf, a))
    return ew.select(is_inf, _c(np.inf, a), result)
