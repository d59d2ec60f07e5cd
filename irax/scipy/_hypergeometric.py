"""The confluent and Gauss hypergeometric functions hyp1f1 and hyp2f1 of jax.scipy.special
(issue 12), for real arguments.

hyp1f1: Kummer's transformation 1F1(a; b; x) = e^x 1F1(b - a; b; -x) makes the argument
non-negative (so the Taylor series has no cancellation); the series (a fixed number of
terms, a scan) serves up to |x| = 50 and the leading asymptotic series
Gamma(b) / Gamma(a) e^x x^(a - b) sum_k (b - a)_k (1 - a)_k / (k! x^k) beyond (where a
non-positive integer a makes it vanish, the terminating series is used instead).

hyp2f1 (x < 1): Pfaff's transformation (1 - x)^-a 2F1(a, c - b; c; x / (x - 1)) maps
x < 0 into (0, 1); the Taylor series serves up to z = 0.75 and the 1 - z connection formula
(two series in 1 - z <= 0.25, Gamma-function weights) beyond. Edge values follow JAX 0.10:
1 at x = 0 or a = 0 or b = 0, inf for c a non-positive integer and for x > 1, Gauss's
sum at x = 1 (inf where c - a - b <= 0), (1 - x)^-a where b = c.

Both are compositions, so grad gives the derivatives in every argument (JAX: the same
partial derivatives, through its own series).

Where c - a - b is an integer the connection formula is singular; irax combines it at
c +- eps and c +- 2 eps (Richardson; 2F1 is analytic in c), ~1e-11 relative in float64,
~1e-5 in float32 (JAX uses a digamma expansion there).
"""
from __future__ import annotations

import numpy as np

from .. import numpy as jnp
from ..lax.control_flow import fori_loop
from ._gamma_fns import gammaln as lgamma   # its derivative is digamma, also at 1, 2
from ._helpers import is_f64, promote_inexact

__all__ = ["hyp1f1", "hyp2f1"]


def _is_nonpos_int(v):
    return (v <= 0) & (v == jnp.round(v))


def _gamma_sign(v):
    """The sign of Gamma(v) (+1 for v > 0; (-1)^ceil(-v) below)."""
    odd = jnp.fmod(jnp.floor(v), 2.0) != 0
    return jnp.where((v > 0) | ~odd, 1.0, -1.0)


def _gamma_parts(*vals):
    """(Gamma(v), 1 / Gamma(v)) for each v, from one stacked log-gamma evaluation (one
    copy of its formula in the jaxpr, not one per call); 1 / Gamma is 0 at the poles."""
    stacked = jnp.stack(jnp.broadcast_arrays(*vals))
    pole = _is_nonpos_int(stacked)
    safe = jnp.where(pole, 0.5, stacked)
    sign, lg = _gamma_sign(safe), lgamma(safe)
    gam = jnp.where(pole, np.inf, sign * jnp.exp(lg))
    rgam = jnp.where(pole, 0.0, sign * jnp.exp(-lg))
    return list(gam), list(rgam)


def _series(ratio, x, n: int):
    """sum_{k < n} t_k with t_0 = 1, t_(k+1) = t_k ratio(k) (a scan of n steps)."""
    def body(k, state):
        total, term = state
        term = term * ratio(k.astype(x.dtype))
        return total + term, term
    one = jnp.ones_like(x)
    return fori_loop(0, n, body, (one, one))[0]


# ---------------------------------------------------------------------------
# 1F1

def _hyp1f1_value(a, b, x):
    f64 = is_f64(x)
    neg = x < 0
    y = jnp.abs(x)
    a2 = jnp.where(neg, b - a, a)     # Kummer: 1F1(a; b; x) = e^x 1F1(b - a; b; -x)
    terminating = _is_nonpos_int(a2)
    near = (y < 50) | terminating
    ys = jnp.where(near, y, 1.0)
    series = _series(lambda k: (a2 + k) / ((b + k) * (k + 1)) * ys, ys, 300 if f64 else 150)
    # asymptotic series for large y (its terms shrink until k ~ y)
    yl = jnp.where(near, 60.0, y)
    asym = _series(lambda k: (b - a2 + k) * (1 - a2 + k) / ((k + 1) * yl), yl, 40 if f64 else 20)
    a_safe = jnp.where(terminating, 0.5, a2)
    log_scale = lgamma(b) - lgamma(a_safe) + yl + (a_safe - b) * jnp.log(yl)
    # Kummer's e^x joins the exponent here (e^y alone would overflow for large y)
    kummer = jnp.where(neg & ~near, x, 0.0)
    far = _gamma_sign(b) * _gamma_sign(a_safe) * jnp.exp(log_scale + kummer) * asym
    out = jnp.where(near, jnp.where(neg, jnp.exp(x) * series, series), far)
    # JAX's conventions: 1F1(0; b; x) = 1, 1F1(a; a; x) = e^x, 1F1(a; 0; x) = inf
    out = jnp.where((b == 0) & (a != 0), np.inf, out)
    out = jnp.where((a == b) & (a != 0), jnp.exp(x), out)
    return jnp.where(a == 0, 1.0, out)


def hyp1f1(a, b, x):
    """The confluent hypergeometric function 1F1(a; b; x) = sum_k (a)_k / ((b)_k k!) x^k."""
    a, b, x = promote_inexact("hyp1f1", a, b, x)
    return _hyp1f1_value(a, b, x)


# ---------------------------------------------------------------------------
# 2F1

def _hyp2f1_series(a, b, c, z, n: int):
    return _series(lambda k: (a + k) * (b + k) / ((c + k) * (k + 1)) * z, z, n)


def _connection(a, b, c, w, n: int):
    """2F1(a, b; c; 1 - w) from two series in w (Abramowitz & Stegun 15.3.6; c - a - b not
    an integer). The two series run as one scan over stacked parameters (one loop to
    compile, not two)."""
    d = c - a - b
    (g_c, g_d, g_md, _, _, _, _), (_, _, _, r_ca, r_cb, r_a, r_b) = _gamma_parts(
        c, d, -d, c - a, c - b, a, b)
    series = _hyp2f1_series(jnp.stack([a, c - a]), jnp.stack([b, c - b]),
                            jnp.stack([1 - d, 1 + d]), jnp.stack([w, w]), n)
    first = g_c * g_d * r_ca * r_cb * series[0]
    second = g_c * g_md * r_a * r_b * w ** d * series[1]
    return first + second


def _hyp2f1_unit(a, b, c, z, f64: bool):
    """2F1(a, b; c; z) for 0 <= z < 1."""
    n_direct, n_near = (200, 60) if f64 else (90, 30)
    terminating = _is_nonpos_int(a) | _is_nonpos_int(b)
    direct = (z <= 0.75) | terminating
    plain = _hyp2f1_series(a, b, c, jnp.where(direct, z, 0.5), n_direct)
    w = jnp.where(direct, 0.1, 1 - z)
    # where c - a - b is (within eps / 2 of) an integer the connection formula is singular;
    # 2F1 is analytic in c, so Richardson's symmetric combination of c +- eps, c +- 2 eps
    # (error ~ eps^4; the cancellation inside each costs ~ dtype eps / eps)
    eps = 1e-3 if f64 else 3e-2
    d = c - a - b
    near_int = jnp.abs(d - jnp.round(d)) < eps / 2
    c_far = jnp.where(near_int, c + 0.25, c)
    c_near = jnp.where(near_int, c, a + b + jnp.round(d))   # the unused branch: still safe
    # the five evaluations as one stacked call
    cs = jnp.stack([c_far, c_near + eps, c_near - eps, c_near + 2 * eps, c_near - 2 * eps])
    stack5 = [jnp.broadcast_to(v, cs.shape) for v in (a, b, w)]
    vals = _connection(stack5[0], stack5[1], cs, stack5[2], n_near)
    near = (4 * (vals[1] + vals[2]) - (vals[3] + vals[4])) / 6
    return jnp.where(direct, plain, jnp.where(near_int, near, vals[0]))


def _hyp2f1_value(a, b, c, x):
    f64 = is_f64(x)
    # put a non-positive integer parameter first (the series in a then terminates)
    swap = _is_nonpos_int(b) & ~_is_nonpos_int(a)
    a, b = jnp.where(swap, b, a), jnp.where(swap, a, b)
    below = x < 1
    xs = jnp.where(below, x, 0.0)
    neg = xs < 0
    # Pfaff: 2F1(a, b; c; x) = (1 - x)^-a 2F1(a, c - b; c; x / (x - 1)) for x < 0
    z = jnp.where(neg, xs / (xs - 1), xs)
    b2 = jnp.where(neg, c - b, b)
    inner = _hyp2f1_unit(a, b2, c, z, f64)
    out = jnp.where(neg, (1 - xs) ** (-a) * inner, inner)
    # JAX's edge values, the later ones taking precedence as its select order does
    d = c - a - b
    ds = jnp.where(d > 0, d, 1.0)
    (g_c, g_d, _, _), (_, _, r_ca, r_cb) = _gamma_parts(c, ds, c - a, c - b)
    gauss = g_c * g_d * r_ca * r_cb
    at_one = jnp.where(d > 0, gauss, np.inf)
    out = jnp.where(x == 1, at_one, jnp.where(x > 1, np.inf, out))
    out = jnp.where(below & (a == c), (1 - xs) ** (-b), out)
    out = jnp.where(below & (b == c), (1 - xs) ** (-a), out)
    out = jnp.where(_is_nonpos_int(c), np.inf, out)
    return jnp.where((x == 0) | (((a == 0) | (b == 0)) & (c != 0)), 1.0, out)


def hyp2f1(a, b, c, x):
    """The Gauss hypergeometric function 2F1(a, b; c; x) = sum_k (a)_k (b)_k / (c)_k x^k / k!
    (real arguments, x <= 1)."""
    a, b, c, x = promote_inexact("hyp2f1", a, b, c, x)
    return _hyp2f1_value(a, b, c, x)
