"""irax.scipy.special: special functions with JAX 0.10's signatures and semantics.

Arguments are promoted as jax.scipy does (integers and bools to the default float, complex
refused); each function is a composition of irax primitives, so it runs eagerly and under
jit, grad and vmap. Derivatives are JAX's: custom rules where the composition's own
derivative would be nan or wrong (xlogy/xlog1py/entr at 0, gammaln and digamma at the
integers, log_ndtr in the tails, the incomplete gamma and beta functions).

Differences from JAX: betainc is also differentiable in a and b (JAX raises), and zeta
returns nan for q <= -16 (float64) / -8 (float32) (the Euler-Maclaurin shift would need
a data-dependent number of terms there).
"""
from __future__ import annotations

import math
import operator

import numpy as np

from .. import numpy as jnp
from ..nn import functions as _nn
from ..tracer import core
from ..tracer.custom import custom_jvp
from ..tracer.prims import elementwise as ew
from . import _bessel, _erf_fns, _gamma_fns
from ._helpers import promote_inexact

__all__ = [
    "bernoulli", "beta", "betainc", "betaln", "boxcox", "boxcox1p", "comb", "digamma", "entr",
    "erf", "erfc", "erfcx", "erfinv", "expit", "factorial", "gamma", "gammainc", "gammaincc",
    "gammaln", "gammasgn", "i0", "i0e", "i1", "i1e", "kl_div", "log_ndtr", "log_softmax",
    "loggamma", "logit", "logsumexp", "multigammaln", "ndtr", "ndtri", "poch", "polygamma",
    "rel_entr", "softmax", "xlog1py", "xlogy", "zeta",
    "dawsn", "exp1", "expi", "expn", "spence",
]

# ---------------------------------------------------------------------------
# Error function family


def erf(x):
    return ew.erf_p.bind(promote_inexact("erf", x))


def erfc(x):
    return _erf_fns.erfc(promote_inexact("erfc", x))


def erfcx(x):
    return _erf_fns.erfcx(promote_inexact("erfcx", x))


def erfinv(x):
    return _erf_fns.erfinv(promote_inexact("erfinv", x))


def _float32_or_64(name: str, x):
    x = jnp.asarray(x)
    dtype = core.get_aval(x).dtype
    if dtype not in (np.float32, np.float64):
        raise TypeError(f"{name}: x.dtype={dtype} is not supported, expected float32 or "
                        "float64.")
    return x


def ndtr(x):
    return _erf_fns.ndtr(_float32_or_64("ndtr", x))


def ndtri(p):
    return _erf_fns.ndtri(_float32_or_64("ndtri", p))


def log_ndtr(x, series_order: int = 3):
    # series_order is JAX's knob for its asymptotic series; irax computes the lower tail in
    # log space instead, accurate for every x, so the order is only checked.
    if not isinstance(series_order, int):
        raise TypeError("series_order must be a Python integer.")
    if series_order < 0:
        raise ValueError("series_order must be non-negative.")
    if series_order > 30:
        raise ValueError("series_order must be <= 30.")
    return _erf_fns.log_ndtr(_float32_or_64("log_ndtr", x))


# ---------------------------------------------------------------------------
# Logistic and log-sum-exp


def expit(x):
    return ew.logistic_p.bind(promote_inexact("expit", x))


def _logit_value(x):
    return jnp.log(x / (1 - x))


_logit = custom_jvp(_logit_value)
_logit.defjvps(lambda g, ans, x: g / (x * (1 - x)))


def logit(x):
    return _logit(promote_inexact("logit", x))


logsumexp = _nn.logsumexp


def softmax(x, /, *, axis=None):
    return _nn.softmax(x, axis=axis)


def log_softmax(x, /, *, axis=None):
    return _nn.log_softmax(x, axis=axis)


# ---------------------------------------------------------------------------
# x log y and the entropies


def _xlogy_value(x, y):
    # 0 where x == 0, except that a nan y propagates (as SciPy)
    return jnp.where((x != 0) | jnp.isnan(y), x * jnp.log(y), 0.0)


_xlogy = custom_jvp(_xlogy_value)


@_xlogy.defjvp
def _xlogy_jvp(primals, tangents):
    (x, y), (tx, ty) = primals, tangents
    return _xlogy(x, y), tx * jnp.log(y) + ty * x / y


def xlogy(x, y):
    return _xlogy(*promote_inexact("xlogy", x, y))


def _xlog1py_value(x, y):
    return jnp.where((x != 0) | jnp.isnan(y), x * jnp.log1p(y), 0.0)


_xlog1py = custom_jvp(_xlog1py_value)


@_xlog1py.defjvp
def _xlog1py_jvp(primals, tangents):
    (x, y), (tx, ty) = primals, tangents
    return _xlog1py(x, y), tx * jnp.log1p(y) + ty * x / (1 + y)


def xlog1py(x, y):
    return _xlog1py(*promote_inexact("xlog1py", x, y))


def _xlogx_value(x):
    return _xlogy_value(x, x)


_xlogx = custom_jvp(_xlogx_value)
_xlogx.defjvps(lambda g, ans, x: g * (jnp.log(x) + 1))


def entr(x):
    x = promote_inexact("entr", x)
    return jnp.where(x < 0, -np.inf, -_xlogx(x))


def rel_entr(p, q):
    p, q = promote_inexact("rel_entr", p, q)
    both_positive = (p > 0) & (q > 0)
    p_ok = jnp.where(both_positive, p, 1.0)
    q_ok = jnp.where(both_positive, q, 1.0)
    value = _xlogx(p_ok) - _xlogy(p_ok, q_ok)
    return jnp.where(both_positive, value, jnp.where((p == 0) & (q >= 0), 0.0, np.inf))


def kl_div(p, q):
    p, q = promote_inexact("kl_div", p, q)
    return rel_entr(p, q) - p + q


# ---------------------------------------------------------------------------
# Gamma, beta and relatives


def gammaln(x):
    return _gamma_fns.gammaln(promote_inexact("gammaln", x))


def gammasgn(x):
    x = promote_inexact("gammasgn", x)
    floor_x = jnp.floor(x)
    negative = (x < 0) & (jnp.abs(floor_x - 2 * jnp.floor(floor_x / 2)) == 1)
    minus_zero = (x == 0) & (1 / jnp.where(x == 0, x, 1.0) < 0)   # -0.0
    sign = jnp.where(negative | minus_zero, -1.0, 1.0)
    return jnp.where(((x < 0) & (x == floor_x)) | jnp.isnan(x), np.nan, sign)


def gamma(x):
    x = promote_inexact("gamma", x)
    return gammasgn(x) * jnp.exp(_gamma_fns.gammaln(x))


def loggamma(x):
    x = promote_inexact("loggamma", x)
    return jnp.where(x > 0, _gamma_fns.gammaln(x), np.nan)


def digamma(x):
    return _gamma_fns.digamma(promote_inexact("digamma", x))


def polygamma(n, x):
    n_dtype = core.get_aval(jnp.asarray(n)).dtype
    if n_dtype.kind not in "iu":
        raise ValueError(f"Argument `n` to polygamma must be of integer type. Got dtype "
                         f"{n_dtype}.")
    n, x = promote_inexact("polygamma", n, x)
    n_ok = jnp.where(n >= 1, n, 1.0)
    sign = jnp.where(n_ok - 2 * jnp.floor(n_ok / 2) == 1, 1.0, -1.0)      # (-1)^(n+1)
    higher = sign * jnp.exp(_gamma_fns.gammaln(n_ok + 1)) * _gamma_fns.zeta(n_ok + 1, x)
    out = jnp.where(n == 0, _gamma_fns.digamma(x), higher)
    return jnp.where(n < 0, np.nan, out)


def zeta(x, q=None):
    if q is None:
        raise NotImplementedError("Riemann zeta function not implemented; pass q != None to "
                                  "compute the Hurwitz Zeta function.")
    return _gamma_fns.zeta(*promote_inexact("zeta", x, q))


def _static_int(value, what: str) -> int:
    concrete = core.concrete_or_none(value)
    if concrete is None:
        raise core.ConcretizationTypeError(
            f"{what} must be a concrete integer (it sets the computation's size), got a "
            f"traced value {value!r}. Under jit, mark it static with static_argnums.")
    return operator.index(concrete.item() if np.ndim(concrete) == 0 else concrete)


def multigammaln(a, d):
    d = _static_int(d, "d argument of multigammaln")
    a = promote_inexact("multigammaln", a)
    constant = 0.25 * d * (d - 1) * math.log(math.pi)
    total = _gamma_fns.gammaln(a)
    for i in range(1, d):
        total = total + _gamma_fns.gammaln(a - i / 2)
    return total + constant


def betaln(a, b):
    return _gamma_fns.betaln(*promote_inexact("betaln", a, b))


def beta(a, b):
    a, b = promote_inexact("beta", a, b)
    sign = gammasgn(a) * gammasgn(b) * gammasgn(a + b)
    return sign * jnp.exp(_gamma_fns.betaln(a, b))


def factorial(n, exact: bool = False):
    if exact:
        raise NotImplementedError("factorial with exact=True")
    n = promote_inexact("factorial", n)
    return jnp.where(n < 0, 0.0, jnp.exp(_gamma_fns.gammaln(n + 1)))


def comb(N, k, *, repetition: bool = False):
    N, k = promote_inexact("comb", N, k)
    if repetition:
        return comb(N + k - 1, k)
    ok = (k <= N) & (N >= 0) & (k >= 0)
    n_ok, k_ok = jnp.where(ok, N, 0.0), jnp.where(ok, k, 0.0)
    g = _gamma_fns.gammaln
    value = jnp.exp(g(n_ok + 1) - g(k_ok + 1) - g(n_ok + 1 - k_ok))
    return jnp.where(ok, value, 0.0)


def _poch_value(z, m):
    # Gamma(z + m) / Gamma(z): 0 where z + m is a pole and z is not
    zm = z + m
    value = (gammasgn(zm) * gammasgn(z)
             * jnp.exp(_gamma_fns.gammaln(zm) - _gamma_fns.gammaln(z)))
    return jnp.where(_gamma_fns._at_pole(zm) & ~_gamma_fns._at_pole(z), 0.0,
                     jnp.where(m == 0, 1.0, value))


_poch = custom_jvp(_poch_value)


@_poch.defjvp
def _poch_jvp(primals, tangents):
    (z, m), (tz, tm) = primals, tangents
    ans = _poch(z, m)
    psi_zm = _gamma_fns.digamma(z + m)
    return ans, ans * (tz * (psi_zm - _gamma_fns.digamma(z)) + tm * psi_zm)


def poch(z, m):
    return _poch(*promote_inexact("poch", z, m))


def bernoulli(n: int):
    """The Bernoulli numbers B_0 .. B_n (B_1 = -1/2, SciPy's convention)."""
    n = _static_int(n, "Argument n of bernoulli")
    if n < 0:
        raise ValueError("n must be a non-negative integer.")
    values = [float(b) for b in _gamma_fns.bernoulli_numbers(n)]
    from ..tracer import dtypes
    return jnp.asarray(np.array(values), dtype=dtypes.default_float())


# incomplete gamma: d/dx P = x^(a-1) e^-x / Gamma(a); d/da from the series / fraction


def _igamma_dx(a, x):
    return jnp.exp(_xlogy(a - 1, x) - x - _gamma_fns.gammaln(a))


def _gammainc_value(a, x):
    return _gamma_fns.igamma_parts(a, x)[0]


def _gammaincc_value(a, x):
    return _gamma_fns.igamma_parts(a, x)[1]


_gammainc = custom_jvp(_gammainc_value)
_gammaincc = custom_jvp(_gammaincc_value)


@_gammainc.defjvp
def _gammainc_jvp(primals, tangents):
    (a, x), (ta, tx) = primals, tangents
    p, _, dp_da = _gamma_fns.igamma_parts(a, x, with_grad=True)
    return p, ta * dp_da + tx * _igamma_dx(a, x)


@_gammaincc.defjvp
def _gammaincc_jvp(primals, tangents):
    (a, x), (ta, tx) = primals, tangents
    _, q, dp_da = _gamma_fns.igamma_parts(a, x, with_grad=True)
    return q, -(ta * dp_da + tx * _igamma_dx(a, x))


def gammainc(a, x):
    return _gammainc(*promote_inexact("gammainc", a, x))


def gammaincc(a, x):
    return _gammaincc(*promote_inexact("gammaincc", a, x))


def _betainc_value(a, b, x):
    return _gamma_fns.betainc_parts(a, b, x)[0]


_betainc = custom_jvp(_betainc_value)


@_betainc.defjvp
def _betainc_jvp(primals, tangents):
    (a, b, x), (ta, tb, tx) = primals, tangents
    value, (d_a, d_b) = _gamma_fns.betainc_parts(a, b, x, with_grad=True)
    d_x = jnp.exp(_xlogy(a - 1, x) + _xlog1py(b - 1, -x) - _gamma_fns.betaln(a, b))
    return value, ta * d_a + tb * d_b + tx * d_x


def betainc(a, b, x):
    return _betainc(*promote_inexact("betainc", a, b, x))


# ---------------------------------------------------------------------------
# Box-Cox


def boxcox(x, lmbda):
    x, lmbda = promote_inexact("boxcox", x, lmbda)
    zero = lmbda == 0
    safe_lmbda = jnp.where(zero, 1.0, lmbda)
    log_x = jnp.log(x)
    return jnp.where(zero, log_x, jnp.expm1(safe_lmbda * log_x) / safe_lmbda)


def boxcox1p(x, lmbda):
    x, lmbda = promote_inexact("boxcox1p", x, lmbda)
    zero = lmbda == 0
    safe_lmbda = jnp.where(zero, 1.0, lmbda)
    log1p_x = jnp.log1p(x)
    return jnp.where(zero, log1p_x, jnp.expm1(safe_lmbda * log1p_x) / safe_lmbda)


# ---------------------------------------------------------------------------
# Modified Bessel functions of order 0 and 1


_i0e = custom_jvp(_bessel.i0e)
_i0e.defjvps(lambda g, ans, x: g * (_bessel.i1e(x) - jnp.sign(x) * ans))


def _i1e_derivative(x, ans):
    # i1e' = i0e - i1e (sign(x) + 1/x); its limit at 0 is 1/2
    x_ok = jnp.where(x == 0, 1.0, x)
    slope = _bessel.i0e(x) - ans * (jnp.sign(x) + 1 / x_ok)
    return jnp.where(x == 0, 0.5, slope)


_i1e = custom_jvp(_bessel.i1e)
_i1e.defjvps(lambda g, ans, x: g * _i1e_derivative(x, ans))


def i0e(x):
    return _i0e(promote_inexact("i0e", x))


def i1e(x):
    return _i1e(promote_inexact("i1e", x))


def i0(x):
    x = promote_inexact("i0", x)
    return jnp.exp(jnp.abs(x)) * _i0e(x)


def i1(x):
    x = promote_inexact("i1", x)
    return jnp.exp(jnp.abs(x)) * _i1e(x)


# ---------------------------------------------------------------------------
# More special functions (issue 12), kept in their own module
from ._special_more import dawsn, exp1, expi, expn, spence  # noqa: E402,F401
# sici, fresnel, hyp1f1, hyp2f1, bessel_jn, owens_t, sph_harm_y, wofz (issue 12)
from ._hypergeometric import hyp1f1, hyp2f1  # noqa: E402,F401
from ._sici_fresnel import fresnel, sici  # noqa: E402,F401
from ._special_extra import bessel_jn, owens_t, sph_harm_y, wofz  # noqa: E402,F401

__all__ += ["bessel_jn", "fresnel", "hyp1f1", "hyp2f1", "owens_t", "sici", "sph_harm_y", "wofz"]
