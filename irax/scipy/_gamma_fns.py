"""The gamma-function family, composed from irax primitives: lgamma (Lanczos, as XLA), the
digamma and trigamma functions, Hurwitz zeta (Euler-Maclaurin), and the regularized
incomplete gamma and beta functions (series and continued fractions run to convergence in
while loops, with their derivatives in the shape parameters computed alongside).

These take float arrays of one dtype and shape (irax.scipy.special promotes). The custom
derivative rules of gammaln and digamma live here, since the incomplete gamma and beta
functions use them; those of the other public functions are in irax.scipy.special.
"""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from .. import numpy as jnp
from ..tracer.core import get_aval
from ..tracer.custom import custom_jvp
from ..tracer.prims import elementwise as ew
from ..tracer.prims import shape as sh
from ..lax.control_flow import while_loop
from ._helpers import finfo, horner, is_f64


def _c(value, a):
    return sh.full(a.shape, value, a.dtype)


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


# ---------------------------------------------------------------------------
# Bernoulli numbers (exact, for the asymptotic series below)


def bernoulli_numbers(n: int) -> list[Fraction]:
    """B_0 .. B_n (B_1 = -1/2), by the Akiyama-Tanigawa algorithm."""
    out, row = [], []
    for m in range(n + 1):
        row.append(Fraction(1, m + 1))
        for j in range(m, 0, -1):
            row[j - 1] = j * (row[j - 1] - row[j])
        out.append(row[0])
    if n >= 1:
        out[1] = -out[1]   # the algorithm gives B_1 = +1/2
    return out


_B = bernoulli_numbers(40)

# ---------------------------------------------------------------------------
# digamma and trigamma: shift the argument up by _SHIFT with psi(x) = psi(x + 1) - 1/x,
# then the asymptotic series (error < 1e-16 once x >= 10.5); below 1/2 reflect.

_SHIFT = 10
# psi(z) ~ log z - 1/(2z) - sum_k B_2k / (2k z^2k); coefficients of 1/z^2 powers, high first
_PSI_ASYMPTOTIC = [float(_B[2 * k] / (2 * k)) for k in range(8, 0, -1)]
# psi'(z) ~ 1/z + 1/(2z^2) + sum_k B_2k / z^(2k+1)
_TRIGAMMA_ASYMPTOTIC = [float(_B[2 * k]) for k in range(8, 0, -1)]


def _at_pole(x):
    return (x <= 0) & (x == jnp.floor(x))


def _digamma_value(x):
    reflect = x < 0.5
    y = jnp.where(reflect, 1 - x, x)
    recip_sum = 1 / y
    for k in range(1, _SHIFT):
        recip_sum = recip_sum + 1 / (y + k)
    z = y + _SHIFT
    inv2 = 1 / (z * z)
    psi = jnp.log(z) - 0.5 / z - inv2 * horner(_PSI_ASYMPTOTIC, inv2) - recip_sum
    # psi(x) = psi(1 - x) - pi cot(pi x); cot has period 1, so reduce x first
    r = jnp.where(reflect, x - jnp.round(x), 0.25)
    reflected = psi - math.pi / jnp.tan(math.pi * r)
    out = jnp.where(reflect, reflected, psi)
    return jnp.where(_at_pole(x) | (x == -np.inf), np.nan, out)


def _trigamma_value(x):
    reflect = x < 0.5
    y = jnp.where(reflect, 1 - x, x)
    sq_sum = 1 / (y * y)
    for k in range(1, _SHIFT):
        sq_sum = sq_sum + 1 / ((y + k) * (y + k))
    z = y + _SHIFT
    inv2 = 1 / (z * z)
    tail = 1 / z + 0.5 * inv2 + inv2 / z * horner(_TRIGAMMA_ASYMPTOTIC, inv2)
    psi1 = sq_sum + tail
    # psi'(1 - x) + psi'(x) = pi^2 / sin^2(pi x)
    r = jnp.where(reflect & ~_at_pole(x), x - jnp.round(x), 0.25)
    s = jnp.sin(math.pi * r)
    reflected = math.pi ** 2 / (s * s) - psi1
    out = jnp.where(reflect, reflected, psi1)
    out = jnp.where(_at_pole(x), np.inf, out)
    return jnp.where(x == -np.inf, np.nan, jnp.where(x == np.inf, 0.0, out))


# Derivatives: gammaln' = digamma, digamma' = trigamma (custom rules: differentiating the
# reflection branches would put 0 * inf = nan into gradients at the integers); trigamma's
# own derivative is left to autodiff, its unused branches being fed harmless inputs.
trigamma = _trigamma_value
digamma = custom_jvp(_digamma_value)
digamma.defjvps(lambda g, ans, x: g * trigamma(x))


def _gammaln_value(x):
    return lgamma(x)


gammaln = custom_jvp(_gammaln_value)
gammaln.defjvps(lambda g, ans, x: g * digamma(x))


# ---------------------------------------------------------------------------
# Hurwitz zeta(s, q) = sum_{k>=0} (q + k)^-s by Euler-Maclaurin summation: N terms, the
# integral of the rest, and M Bernoulli corrections at w = q + N. A negative q (allowed for
# integer s) is first moved into [0, 1) by peeling off its ceil(-q) <= N leading terms.

def _zeta_terms(q):
    return (16, 14) if is_f64(q) else (8, 6)


_ZETA_CORR = [float(_B[2 * j] / math.factorial(2 * j)) for j in range(1, 17)]


def _signed_power(base, s, s_odd):
    """base^-s, where a negative base only comes with an integer s: (-b)^-s = (-1)^s b^-s."""
    term = jnp.exp(-s * jnp.log(jnp.abs(base)))
    return jnp.where((base < 0) & s_odd, -term, term)


def zeta(s, q):
    n_terms, n_corr = _zeta_terms(q)
    s_int = s == jnp.floor(s)
    s_odd = s_int & (jnp.abs(s - 2 * jnp.floor(s / 2)) == 1)
    valid = (s > 1) & ~_at_pole(q) & ((q > 0) | s_int) & (q > -n_terms) & jnp.isfinite(q)
    s_ok = jnp.where(valid, s, 2.0)
    q_ok = jnp.where(valid, q, 1.0)
    peel = jnp.where(q_ok < 0, jnp.ceil(-q_ok), 0.0)
    total = jnp.zeros_like(q_ok)
    for k in range(n_terms):      # the terms with q + k < 0
        base = jnp.where(k < peel, q_ok + k, -1.0)
        total = total + jnp.where(k < peel, _signed_power(base, s_ok, s_odd), 0.0)
    q_ok = q_ok + peel
    for k in range(n_terms):
        total = total + jnp.exp(-s_ok * jnp.log(q_ok + k))
    w = q_ok + n_terms
    log_w = jnp.log(w)
    w_pow = jnp.exp(-s_ok * log_w)                  # w^-s
    total = total + w_pow * w / (s_ok - 1)          # the integral from w to infinity
    rising = s_ok / w                               # (s)_(2j-1) / w^(2j-1)
    corr = 0.5 + _ZETA_CORR[0] * rising
    for j in range(2, n_corr + 1):
        rising = rising * (s_ok + 2 * j - 3) * (s_ok + 2 * j - 2) / (w * w)
        corr = corr + _ZETA_CORR[j - 1] * rising
    total = total + w_pow * corr
    out = jnp.where(valid, total, np.nan)
    out = jnp.where((s == 1) & ~jnp.isnan(q), np.inf, out)
    out = jnp.where((s > 1) & _at_pole(q), np.inf, out)
    return jnp.where((s > 1) & (q == np.inf), 0.0, out)


# ---------------------------------------------------------------------------
# log |B(a, b)|: for a large argument lgamma(b) - lgamma(a + b) cancels digits, so there
# Stirling's series is subtracted analytically (as TOMS 708 does).

# lgamma(x) - ((x - 1/2) log x - x + log(2 pi) / 2) = sum_k B_2k / (2k (2k - 1) x^(2k-1))
_STIRLING = [float(_B[2 * k] / (2 * k * (2 * k - 1))) for k in range(8, 0, -1)]


def _stirling_rest(x):
    inv = 1 / x
    return inv * horner(_STIRLING, inv * inv)


def betaln(a, b):
    """lgamma(lo) + (lgamma(hi) - lgamma(lo + hi)), lo <= hi; for hi >= 10 the difference
    comes from Stirling's series in the ratio lo / (lo + hi), which does not cancel."""
    lo = jnp.where(a <= b, a, b)
    hi = jnp.where(a <= b, b, a)
    use_stirling = (lo > 0) & (hi >= 10)
    lo_s, hi_s = jnp.where(use_stirling, lo, 1.0), jnp.where(use_stirling, hi, 10.0)
    c = lo_s + hi_s
    # (hi - 1/2) log(hi / c) - lo log c + lo + the Stirling remainders
    stirling = ((hi_s - 0.5) * jnp.log1p(-lo_s / c) - lo_s * jnp.log(c) + lo_s
                + _stirling_rest(hi_s) - _stirling_rest(c))
    lo_p, hi_p = jnp.where(use_stirling, 1.0, lo), jnp.where(use_stirling, 1.0, hi)
    plain = gammaln(hi_p) - gammaln(lo_p + hi_p)
    return gammaln(lo) + jnp.where(use_stirling, stirling, plain)


# ---------------------------------------------------------------------------
# Regularized incomplete gamma P(a, x) = gamma(a, x) / Gamma(a) and Q = 1 - P.
#
# x < a + 1: the series P = x^a e^-x / Gamma(a + 1) * sum_k x^k / ((a + 1)...(a + k));
# otherwise Legendre's continued fraction Q = x^a e^-x / Gamma(a) / (b0 + a1/(b1 + ...)),
# b_n = x + 2n + 1 - a, a_n = n (a - n). Both run per element until the next term no longer
# changes the sum (and, when asked, its derivative in a) or _MAX_ITER steps.

_MAX_ITER = 2000


def _lower_series(a, x, with_grad: bool):
    """(S, dS/da) of sum_{k>=0} x^k / ((a+1)...(a+k)) (S >= 1; dS/da None unless asked)."""
    eps = float(finfo(x).eps)
    one = jnp.ones_like(x)
    zero = jnp.zeros_like(x)

    def cond(state):
        return (state[0] < _MAX_ITER) & jnp.any(state[1])

    def body(state):
        i, active, r, c, s, dc, ds = state
        r_new = r + 1
        c_new = c * x / r_new
        s_new = s + c_new
        done = jnp.abs(c_new) <= eps * s_new
        if with_grad:
            dc_new = dc * x / r_new - c_new / r_new
            ds_new = ds + dc_new
            done = done & (jnp.abs(dc_new) <= eps * jnp.abs(ds_new))
            dc, ds = jnp.where(active, dc_new, dc), jnp.where(active, ds_new, ds)
        return (i + 1, active & ~done, jnp.where(active, r_new, r), jnp.where(active, c_new, c),
                jnp.where(active, s_new, s), dc, ds)
    init = (jnp.asarray(0), jnp.ones(get_aval(x).shape, bool), a, one, one, zero, zero)
    _, _, _, _, s, _, ds = while_loop(cond, body, init)
    return s, (ds if with_grad else None)


def _continued_fraction(b0, db0, term, n_params: int, with_grad: bool, eps: float,
                        first: int = 1):
    """f = 1 / (b0 + a_1 / (b_1 + a_2 / (b_2 + ...))) and, when asked, its derivatives in
    n_params parameters, from the convergents A_n / B_n of the denominator (normalized so
    A_n = 1 at every step: ratios and their derivatives are unchanged by a common factor).
    term(n) -> (a_n, b_n, [d a_n], [d b_n]) for the float array n (same shape as b0); the
    derivative lists may be empty when with_grad is False."""
    zero, one = jnp.zeros_like(b0), jnp.ones_like(b0)
    k = n_params if with_grad else 0
    # carry: step, active, n, A1, A2, B1, B2, f, dA1[k], dA2[k], dB1[k], dB2[k], df[k]
    inv_b0 = 1 / b0
    init = [jnp.asarray(0), jnp.ones(get_aval(b0).shape, bool), zero + first,
            one, inv_b0, inv_b0, zero, inv_b0]
    init += [d * inv_b0 for d in db0[:k]] + [zero] * k + [zero] * k + [zero] * k
    init += [-d * inv_b0 * inv_b0 for d in db0[:k]]

    def cond(state):
        return (state[0] < _MAX_ITER) & jnp.any(state[1])

    def body(state):
        step, active, n, a1, a2, b1, b2, f = state[:8]
        da1, da2, db1, db2, df = (state[8 + i * k: 8 + (i + 1) * k] for i in range(5))
        an, bn, dan, dbn = term(n)
        big_a = bn * a1 + an * a2
        big_b = bn * b1 + an * b2
        tiny = float(finfo(b0).tiny)
        big_a = jnp.where(big_a == 0, tiny, big_a)
        scale = 1 / big_a
        f_new = big_b * scale
        done = jnp.abs(f_new - f) <= eps * jnp.abs(f_new)
        new_da1, new_db1, new_df = [], [], []
        for i in range(k):
            d_big_a = dbn[i] * a1 + bn * da1[i] + dan[i] * a2 + an * da2[i]
            d_big_b = dbn[i] * b1 + bn * db1[i] + dan[i] * b2 + an * db2[i]
            new_da1.append(d_big_a * scale)
            new_db1.append(d_big_b * scale)
            new_df.append(new_db1[i] - f_new * new_da1[i])
            done = done & (jnp.abs(new_df[i] - df[i]) <= eps * jnp.abs(new_df[i]))

        def keep(new, old):
            return jnp.where(active, new, old)
        out = [step + 1, active & ~done, n + 1, keep(one, a1), keep(a1 * scale, a2),
               keep(f_new, b1), keep(b1 * scale, b2), keep(f_new, f)]
        out += [keep(v, o) for v, o in zip(new_da1, da1)]
        out += [keep(v * scale, o) for v, o in zip(da1, da2)]   # old dA1 becomes dA2
        out += [keep(v, o) for v, o in zip(new_db1, db1)]
        out += [keep(v * scale, o) for v, o in zip(db1, db2)]
        out += [keep(v, o) for v, o in zip(new_df, df)]
        return tuple(out)
    final = while_loop(cond, body, tuple(init))
    return final[7], list(final[8 + 4 * k: 8 + 5 * k])


def _upper_fraction(a, x, with_grad: bool):
    """(F, dF/da): Q(a, x) = x^a e^-x / Gamma(a) * F (the continued fraction above)."""
    def term(n):
        if not with_grad:
            return n * (a - n), x + 2 * n + 1 - a, [], []
        return n * (a - n), x + 2 * n + 1 - a, [n], [-jnp.ones_like(n)]
    f, df = _continued_fraction(x + 1 - a, [-jnp.ones_like(x)], term, 1, with_grad,
                                float(finfo(x).eps))
    return f, (df[0] if with_grad else None)


def igamma_parts(a, x, with_grad: bool = False):
    """(P, Q, dP/da) of the regularized incomplete gamma function (dP/da None unless
    asked). The edge cases follow SciPy: nan outside a >= 0, x >= 0; P(a, 0) = 0,
    P(a, inf) = 1, P(0, x > 0) = 1."""
    nan_in = jnp.isnan(a) | jnp.isnan(x)
    bad = (a < 0) | (x < 0) | ((a == 0) & (x == 0)) | nan_in
    regular = ~bad & (a > 0) & (x > 0) & (x < np.inf) & (a < np.inf)
    a_ok = jnp.where(regular, a, 1.0)
    x_ok = jnp.where(regular, x, 1.0)
    use_series = x_ok < a_ok + 1
    # each method sees only its own elements (others get a benign a = x = 1 / 3)
    a_s, x_s = jnp.where(use_series, a_ok, 1.0), jnp.where(use_series, x_ok, 1.0)
    a_f, x_f = jnp.where(use_series, 3.0, a_ok), jnp.where(use_series, 3.0, x_ok)
    log_x = jnp.log(x_ok)
    lg_a = lgamma(a_ok)
    log_pref = a_ok * log_x - x_ok - lg_a              # log(x^a e^-x / Gamma(a))
    s, ds = _lower_series(a_s, x_s, with_grad)
    f, df = _upper_fraction(a_f, x_f, with_grad)
    p_series = jnp.exp(log_pref - jnp.log(a_ok)) * s   # / Gamma(a + 1) = / (a Gamma(a))
    q_frac = jnp.exp(log_pref) * f
    p = jnp.where(use_series, p_series, 1 - q_frac)
    q = jnp.where(use_series, 1 - p_series, q_frac)
    dp = None
    if with_grad:
        psi_a = digamma(a_ok)
        dlog_pref = log_x - psi_a
        dp_series = p_series * (dlog_pref - 1 / a_ok) + jnp.exp(log_pref - jnp.log(a_ok)) * ds
        dq_frac = q_frac * dlog_pref + jnp.exp(log_pref) * df
        dp = jnp.where(use_series, dp_series, -dq_frac)
        dp = jnp.where(regular, dp, jnp.where(bad, np.nan, 0.0))
    # limits: x = 0 -> P = 0; x = inf or a = 0 (x > 0) -> P = 1; a = inf -> P = 0
    p_edge = jnp.where((x == np.inf) | ((a == 0) & (x > 0)), 1.0, 0.0)
    p = jnp.where(regular, p, jnp.where(bad, np.nan, p_edge))
    q = jnp.where(regular, q, jnp.where(bad, np.nan, 1 - p_edge))
    return p, q, dp


# ---------------------------------------------------------------------------
# Regularized incomplete beta I_x(a, b): for x < (a + 1) / (a + b + 2) the continued
# fraction I = x^a (1 - x)^b / (a B(a, b)) / (1 + d_1 / (1 + d_2 / (1 + ...))),
#   d_(2m+1) = -(a + m)(a + b + m) x / ((a + 2m)(a + 2m + 1)),
#   d_(2m)   =  m (b - m) x / ((a + 2m - 1)(a + 2m)),
# otherwise I_x(a, b) = 1 - I_(1-x)(b, a). Derivatives in a and b come with it.


def _beta_fraction(a, b, x, with_grad: bool):
    def term(n):
        m = jnp.floor(n / 2)
        odd = n - 2 * m == 1
        # odd n = 2m + 1, even n = 2m (m >= 1)
        num_o = (a + m) * (a + b + m)
        den_o = (a + 2 * m) * (a + 2 * m + 1)
        den_e = (a + 2 * m - 1) * (a + 2 * m)
        d_e = m * (b - m) * x / den_e
        an = jnp.where(odd, -num_o * x / den_o, d_e)
        ones = jnp.ones_like(n)
        if not with_grad:
            return an, ones, [], []
        dnum_o_a, dden_o_a = (a + b + m) + (a + m), (a + 2 * m + 1) + (a + 2 * m)
        d_o_a = -x * (dnum_o_a * den_o - num_o * dden_o_a) / (den_o * den_o)
        d_o_b = -x * (a + m) / den_o
        d_e_a = -d_e * ((a + 2 * m) + (a + 2 * m - 1)) / den_e
        d_e_b = m * x / den_e
        zero = jnp.zeros_like(n)
        return (an, ones, [jnp.where(odd, d_o_a, d_e_a), jnp.where(odd, d_o_b, d_e_b)],
                [zero, zero])
    zero = jnp.zeros_like(x)
    return _continued_fraction(jnp.ones_like(x), [zero, zero], term, 2, with_grad,
                               float(finfo(x).eps))


def betainc_parts(a, b, x, with_grad: bool = False):
    """(I, [dI/da, dI/db]) (the derivatives None unless asked). Edge cases as SciPy:
    nan for a < 0, b < 0, both zero, or x outside [0, 1]; I(0, b) = 1, I(a, 0) = 0."""
    bad = (a < 0) | (b < 0) | ((a == 0) & (b == 0)) | (x < 0) | (x > 1) | jnp.isnan(a + b + x)
    regular = ~bad & (a > 0) & (b > 0) & (x > 0) & (x < 1) & jnp.isfinite(a + b)
    swap = x * (a + b + 2) > a + 1
    a_ok, b_ok, x_ok = (jnp.where(regular, v, 0.5) for v in (a, b, x))
    # the fraction is evaluated at (a, b, x) or, swapped, at (b, a, 1 - x)
    fa = jnp.where(swap, b_ok, a_ok)
    fb = jnp.where(swap, a_ok, b_ok)
    fx = jnp.where(swap, 1 - x_ok, x_ok)
    f, dfs = _beta_fraction(fa, fb, fx, with_grad)
    log_front = fa * jnp.log(fx) + fb * jnp.log1p(-fx) - jnp.log(fa) - betaln(fa, fb)
    front = jnp.exp(log_front)
    part = front * f
    value = jnp.where(swap, 1 - part, part)
    grads = None
    if with_grad:
        psi_ab = digamma(fa + fb)
        dfront_a = front * (jnp.log(fx) - 1 / fa - digamma(fa) + psi_ab)
        dfront_b = front * (jnp.log1p(-fx) - digamma(fb) + psi_ab)
        dpart_fa = dfront_a * f + front * dfs[0]
        dpart_fb = dfront_b * f + front * dfs[1]
        # swapped: I = 1 - part(b, a, 1 - x), so dI/da = -dpart/dfb, dI/db = -dpart/dfa
        d_a = jnp.where(swap, -dpart_fb, dpart_fa)
        d_b = jnp.where(swap, -dpart_fa, dpart_fb)
        grads = [jnp.where(regular, d, jnp.where(bad, np.nan, 0.0)) for d in (d_a, d_b)]
    edge = jnp.where((x >= 1) | ((a == 0) & (b > 0)), 1.0, 0.0)
    edge = jnp.where((b == 0) & (a > 0), 0.0, edge)
    edge = jnp.where(jnp.isinf(a) & jnp.isfinite(b) & (x < 1), 0.0, edge)
    edge = jnp.where(jnp.isinf(b) & jnp.isfinite(a) & (x > 0), 1.0, edge)
    value = jnp.where(regular, value, jnp.where(bad, np.nan, edge))
    return value, grads
