"""More of jax.scipy.special (issue 12): spence (the dilogarithm), the exponential
integrals exp1, expi and expn, and Dawson's integral dawsn.

spence maps its argument onto |u| <= log 2 with the dilogarithm's reflection and
inversion identities and sums the Bernoulli series Li2 = sum_n B_n u^(n+1) / (n+1)!
(u = -log(1 - z)), whose terms fall by (u / 2 pi)^2 each: a fixed polynomial. E1 is its
power series up to 1 and a continued fraction (evaluated backwards, a fixed number of
terms) above; Ei(x > 0) is its power series (a fixed-length loop) up to a cut-over and the
asymptotic series e^x / x sum k! / x^k beyond; E_n (n >= 2) a finite power series with
its psi(n) term below a cut-over and a continued fraction above. They carry the analytic
derivatives -exp(-x) / x, exp(x) / x and -E_(n-1)(x) as custom_jvp rules, as JAX's do.
dawsn is a Taylor series near 0, Rybicki's exponentially convergent sum up to 100 and the
asymptotic series beyond (its derivative: 1 - 2 x D(x)).

Differences from JAX 0.10, where irax gives SciPy's values: expi(0) = -inf, expi(+-inf) =
+inf / 0, exp1(inf) = expn(n, inf) = 0 (JAX: nan), expn(n >= 2, 0) = 1 / (n - 1) (JAX:
0.5 for every n), and grad(spence) is log(x) / (1 - x) for x > 1 too (JAX: nan).
"""
from __future__ import annotations

import math

import numpy as np

from .. import numpy as jnp
from ..lax.control_flow import fori_loop
from ..tracer.custom import custom_jvp
from ._gamma_fns import bernoulli_numbers
from ._helpers import horner, is_f64, promote_inexact

__all__ = ["dawsn", "exp1", "expi", "expn", "spence"]

_EULER = 0.57721566490153286061
_PI2_6 = math.pi ** 2 / 6

# ---------------------------------------------------------------------------
# spence(x) = Li2(1 - x)

_B = bernoulli_numbers(40)
# Li2 = u - u^2/4 + sum_k B_2k u^(2k+1) / (2k+1)!  ->  u (1 - u/4 + u^2 P(u^2)),
# P's coefficients (highest power first) for the even Bernoulli numbers B_2 .. B_2K
_LI2_EVEN = [float(_B[2 * k] / math.factorial(2 * k + 1)) for k in range(1, 12)]


def _li2_series(u, f64: bool):
    """Li2(z) for u = -log(1 - z), |u| <= log 2 (error ~ (log 2 / 2 pi)^(2K))."""
    coeffs = _LI2_EVEN if f64 else _LI2_EVEN[:5]
    u2 = u * u
    even = horner(coeffs[::-1], u2) if len(coeffs) > 1 else coeffs[0]
    return u - 0.25 * u2 + u * u2 * even


def _spence_value(x):
    f64 = is_f64(x)
    # x in [0, 1/2): Li2(1 - x) = pi^2/6 - log(1 - x) log(x) - Li2(x)
    xs = jnp.where(x < 0.5, x, 0.25)
    small = (_PI2_6 - jnp.log1p(-xs) * jnp.log(jnp.where(xs > 0, xs, 1.0))
             - _li2_series(-jnp.log1p(-xs), f64))
    # x in [1/2, 2]: directly, u = -log(x)
    xm = jnp.where((x >= 0.5) & (x <= 2), x, 1.0)
    middle = _li2_series(-jnp.log(xm), f64)
    # x > 2: Li2(z) = -pi^2/6 - log(-z)^2 / 2 - Li2(1/z) with z = 1 - x < -1, and
    # u = -log(1 - 1/z) = -log(x / (x - 1))
    xl = jnp.where(x > 2, x, 3.0)
    lg = jnp.log(xl - 1)
    large = -_PI2_6 - 0.5 * lg * lg - _li2_series(-jnp.log1p(1 / (xl - 1)), f64)
    out = jnp.where(x < 0.5, small, jnp.where(x <= 2, middle, large))
    # SciPy and JAX give nan at +inf (not the limit -inf)
    out = jnp.where(x == np.inf, np.nan, out)
    return jnp.where((x < 0) | jnp.isnan(x), np.nan, out)


def spence(x):
    """Spence's function, the integral from 1 to x of log(t) / (1 - t); nan for x < 0."""
    return _spence_value(promote_inexact("spence", x))


# ---------------------------------------------------------------------------
# E1(x) = integral from x to inf of exp(-t) / t, and Ei(x) = -E1(-x) (principal value)


def _e1_series(x, f64: bool):
    """-gamma - log x - sum_k (-x)^k / (k k!), for 0 < x <= 1."""
    n = 20 if f64 else 11
    # sum_{k=1}^n (-1)^(k+1) x^k / (k k!) by Horner in x
    coeffs = [(-1) ** (k + 1) / (k * math.factorial(k)) for k in range(n, 0, -1)] + [0.0]
    return -_EULER - jnp.log(x) + horner(coeffs, x)


def _e1_fraction(x, f64: bool):
    """exp(-x) / (x + 1 - 1/(x + 3 - 4/(x + 5 - ...))), for x > 1, evaluated backwards."""
    n = 100 if f64 else 40
    t = x + (2 * n + 1)
    for k in range(n, 0, -1):
        t = x + (2 * k - 1) - (k * k) / t
    return jnp.exp(-x) / t


def _exp1_value(x):
    f64 = is_f64(x)
    xs = jnp.where((x > 0) & (x <= 1), x, 0.5)
    xl = jnp.where(x > 1, x, 2.0)
    out = jnp.where(x <= 1, _e1_series(xs, f64), _e1_fraction(xl, f64))
    out = jnp.where(x == 0, np.inf, out)
    return jnp.where((x < 0) | jnp.isnan(x), np.nan, out)


def _ei_positive(x, f64: bool):
    """Ei(x) for x > 0: gamma + log x + sum_k x^k / (k k!) up to the cut-over, then
    e^x / x sum_k k! / x^k (smallest term ~ e^-cut, below the dtype's epsilon)."""
    cut, terms = (40.0, 150) if f64 else (18.0, 70)
    xs = jnp.where(x < cut, x, 1.0)

    def add_term(k, carry):
        total, power = carry                         # power = x^k / k!
        power = power * xs / k
        return total + power / k, power

    total, _ = fori_loop(1, terms + 1, add_term, (jnp.zeros_like(xs), jnp.ones_like(xs)))
    series = _EULER + jnp.log(xs) + total
    xl = jnp.where(x >= cut, x, cut)
    n_asym = int(cut)
    acc, term = jnp.ones_like(xl), jnp.ones_like(xl)
    for k in range(1, n_asym):
        term = term * (k / xl)
        acc = acc + term
    # exp(x) / x overflows before the product would: split the exponential
    half = jnp.exp(0.5 * xl)
    asym = half * (half / xl) * acc
    return jnp.where(x < cut, series, jnp.where(x == np.inf, np.inf, asym))


def _expi_value(x):
    f64 = is_f64(x)
    pos = _ei_positive(jnp.where(x > 0, x, 1.0), f64)
    neg = -_exp1_value(jnp.where(x < 0, -x, 1.0))
    out = jnp.where(x > 0, pos, neg)
    out = jnp.where(x == 0, -np.inf, out)
    return jnp.where(jnp.isnan(x), np.nan, out)


_exp1 = custom_jvp(_exp1_value)
_exp1.defjvps(lambda g, ans, x: -g * jnp.exp(-x) / x)
_expi = custom_jvp(_expi_value)
_expi.defjvps(lambda g, ans, x: g * jnp.exp(x) / x)


def exp1(x):
    """The exponential integral E1(x) = integral from x to inf of exp(-t)/t; nan for
    x < 0."""
    return _exp1(promote_inexact("exp1", x))


def expi(x):
    """The exponential integral Ei(x) (principal value of the integral of exp(t)/t from
    -inf to x)."""
    return _expi(promote_inexact("expi", x))


# ---------------------------------------------------------------------------
# E_n(x) = integral from 1 to inf of exp(-x t) / t^n, for integer n >= 0


def _expn_series(n, x, f64: bool):
    """For 0 < x <= 1, n >= 2: (-x)^(n-1) / (n-1)! (psi(n) - log x)
    - sum_{k != n-1} (-x)^k / ((k - n + 1) k!), with psi(n) = -gamma + H_(n-1)."""
    terms = 21 if f64 else 12
    total = jnp.zeros_like(x)
    power = jnp.ones_like(x)                          # (-x)^k / k!
    lead = jnp.zeros_like(x)                          # (-x)^(n-1) / (n-1)!
    harmonic = jnp.zeros_like(x)                      # 1 + 1/2 + ... + 1/(n-1)
    # for n - 1 >= terms the (-x)^(n-1) / (n-1)! term is below the dtype's epsilon and is
    # left out with the rest of the series' tail
    for k in range(terms):
        if k:
            power = power * (-x / k)
            harmonic = harmonic + jnp.where(k <= n - 1, 1.0 / k, 0.0)
        denom = k - n + 1
        at_pole = denom == 0
        lead = jnp.where(at_pole, power, lead)
        total = total + jnp.where(at_pole, 0.0, power / jnp.where(at_pole, 1.0, denom))
    return lead * (harmonic - _EULER - jnp.log(x)) - total


def _expn_fraction(n, x, f64: bool):
    """For x above the cut-over:
    exp(-x) / (x + n - 1 n / (x + n + 2 - 2 (n + 1) / (x + n + 4 - ...)))."""
    terms = 100 if f64 else 50
    t = x + n + 2 * terms
    for k in range(terms, 0, -1):
        t = x + n + 2 * (k - 1) - k * (n + k - 1) / t
    return jnp.exp(-x) / t


def _expn_value(n, x):
    f64 = is_f64(x)
    # float32 switches to the fraction at 1/2: the series loses digits to cancellation
    # near 1 (E_2(0.9) ~ 0.14 from terms ~ 1)
    cut = 1.0 if f64 else 0.5
    xs = jnp.where((x > 0) & (x <= cut), x, 0.25)
    xl = jnp.where(x > cut, x, 2.0)
    ns = jnp.where(n >= 2, n, 2.0)
    general = jnp.where(x <= cut, _expn_series(ns, xs, f64), _expn_fraction(ns, xl, f64))
    xp = jnp.where(x > 0, x, 1.0)
    out = jnp.where(n == 0, jnp.exp(-xp) / xp,
                    jnp.where(n == 1, _exp1_value(xp), general))
    at_zero = jnp.where(n <= 1, np.inf, 1 / jnp.where(n <= 1, 1.0, n - 1))
    out = jnp.where(x == 0, at_zero, out)
    out = jnp.where(x == np.inf, 0.0, out)
    # JAX: nan for a non-integer or negative order (SciPy truncates with a warning)
    bad = (n < 0) | (jnp.floor(n) != n) | (x < 0) | jnp.isnan(x) | jnp.isnan(n)
    return jnp.where(bad, np.nan, out)


def _expn_dx(g, ans, n, x):
    # d/dx E_n = -E_(n-1); for n = 0, d/dx exp(-x)/x = -exp(-x) (1 + x) / x^2
    lower = _expn(jnp.maximum(n - 1, 0.0), x)
    e0 = -jnp.exp(-x) * (1 + x) / (x * x)
    return g * jnp.where(n == 0, e0, -lower)


_expn = custom_jvp(_expn_value)
_expn.defjvps(None, _expn_dx)


def expn(n, x):
    """The generalized exponential integral E_n(x) for integer orders n >= 0 (nan for
    other n and for x < 0); differentiable in x."""
    n, x = promote_inexact("expn", n, x)
    return _expn(n, x)


# ---------------------------------------------------------------------------
# Dawson's integral D(x) = exp(-x^2) integral from 0 to x of exp(t^2)


_DAWSON_H = 0.25     # a power of two: x - n0 h below is exact


def _dawsn_value(x):
    f64 = is_f64(x)
    ax = jnp.abs(x)
    # |x| < 0.2: the Taylor series sum_k (-2)^k x^(2k+1) / (2k+1)!!
    xs = jnp.where(ax < 0.2, ax, 0.1)
    coeffs, c = [], 1.0
    for k in range(10 if f64 else 5):
        coeffs.append(c)
        c = c * -2.0 / (2 * k + 3)
    small = xs * horner(coeffs[::-1], xs * xs)
    # Rybicki's sum (1/sqrt(pi)) sum over odd n of exp(-(x - n h)^2) / n, centred on the
    # even n0 nearest x/h: its error is ~exp(-(pi / 2h)^2) ~ 1e-17 and the Gaussian
    # drops the terms beyond |x - n h| > 6.2 (4.6 for float32)
    xm = jnp.where((ax >= 0.2) & (ax < 100), ax, 1.0)
    n0 = 2 * jnp.round(xm / (2 * _DAWSON_H))
    shifted = xm - n0 * _DAWSON_H
    total = jnp.zeros_like(xm)
    half_terms = 14 if f64 else 10
    for j in range(-half_terms, half_terms):
        n = 2 * j + 1
        d = shifted - n * _DAWSON_H
        total = total + jnp.exp(-d * d) / (n0 + n)
    middle = total / math.sqrt(math.pi)
    # |x| >= 100: the asymptotic series 1/(2x) sum_k (2k-1)!! / (2x^2)^k
    xl = jnp.where(ax >= 100, ax, 100.0)
    inv = 1 / (2 * xl * xl)
    acc, term = jnp.ones_like(xl), jnp.ones_like(xl)
    for k in range(1, 6):
        term = term * (2 * k - 1) * inv
        acc = acc + term
    large = acc / (2 * xl)
    out = jnp.where(ax < 0.2, small, jnp.where(ax < 100, middle, large))
    out = jnp.where(ax == np.inf, 0.0, out)
    out = jnp.where(jnp.isnan(x), np.nan, out)
    return jnp.where(x < 0, -out, out)


_dawsn = custom_jvp(_dawsn_value)
_dawsn.defjvps(lambda g, ans, x: g * (1 - 2 * x * ans))


def dawsn(x):
    """Dawson's integral exp(-x^2) * integral from 0 to x of exp(t^2) dt."""
    return _dawsn(promote_inexact("dawsn", x))
