"""bessel_jn, owens_t, sph_harm_y and wofz of jax.scipy.special (issue 12).

bessel_jn: Miller's backward recurrence carried as the ratios r_k = J_k / J_(k-1)
= z / (2k - z r_(k+1)) (so nothing overflows for small z, where JAX's unnormalised
recurrence gives nan), normalised by J_0 + 2 sum J_2k = 1; J_n(0) = [n == 0].
owens_t: Gauss-Legendre quadrature of T(h, a) = a / (2 pi) int_0^1 exp(-h^2 (1 + a^2 s^2) / 2)
/ (1 + a^2 s^2) ds for |a| <= 1, and T(h, a) = (p + q) / 2 - p q - T(a h, 1 / a) with
p = erfc(h / sqrt 2) / 2, q = erfc(a h / sqrt 2) / 2 beyond; its analytic partial
derivatives are a custom_jvp rule, as JAX's.
sph_harm_y: the orthonormal associated Legendre functions by the standard three-term
recurrences in the degree (up to the static n_max), Condon-Shortley phase, times e^(i m phi).
wofz: Weideman's rational approximation (1994) with 36 terms in the upper half plane
(coefficients from an FFT at import) and w(z) = 2 exp(-z^2) - w(-z) below.
"""
from __future__ import annotations

import math
import operator

import numpy as np

from .. import numpy as jnp
from ..tracer import core
from ..tracer.custom import custom_jvp
from ._erf_fns import _erfc_value
from ._helpers import is_f64, promote_dtypes_inexact, promote_inexact
from ..tracer import dtypes

__all__ = ["bessel_jn", "owens_t", "sph_harm_y", "wofz"]


def _static_int(value, what: str) -> int:
    if isinstance(value, core.Tracer):
        raise core.ConcretizationTypeError(
            f"{what} must be a concrete (static) integer, got a traced value")
    return operator.index(value)


# ---------------------------------------------------------------------------
# bessel_jn

def bessel_jn(z, *, v: int, n_iter: int = 50):
    """J_0(z), ..., J_v(z) of real z, stacked on a new leading axis (shape (v + 1,
    *z.shape)); n_iter terms of the backward recurrence (enough while |z| << n_iter)."""
    v = _static_int(v, "Argument v of bessel_jn")
    n_iter = int(n_iter)
    z, = promote_dtypes_inexact(z)
    if dtypes.kind(z.dtype) == "c":
        raise ValueError("complex input not supported.")
    if v < 0:
        raise ValueError(f"bessel_jn: the order v must be non-negative, got {v}")
    n = max(n_iter, v + 1)
    ratios = [None] * (n + 2)
    r = jnp.zeros_like(z)
    for k in range(n, 0, -1):
        r = z / (2 * k - z * r)
        ratios[k] = r
    # J_k / J_0 as running products; the normalisation sums the even ones
    prod, norm, scaled = jnp.ones_like(z), jnp.ones_like(z), [jnp.ones_like(z)]
    for k in range(1, n + 1):
        prod = prod * ratios[k]
        if k % 2 == 0:
            norm = norm + 2 * prod
        if k <= v:
            scaled.append(prod)
    return jnp.stack([s / norm for s in scaled])


# ---------------------------------------------------------------------------
# owens_t

def _gauss_legendre(n: int):
    t, w = np.polynomial.legendre.leggauss(n)
    return (t + 1) / 2, w / (4 * math.pi)   # nodes on [0, 1]; weights with the 1 / (2 pi)


_GL64, _GL32 = _gauss_legendre(48), _gauss_legendre(20)


def _owens_t_small_a(h, a):
    """T(h, a) for 0 <= a <= 1 by quadrature."""
    nodes, weights = _GL64 if is_f64(h) else _GL32
    total = jnp.zeros_like(h)
    for s, w in zip(nodes, weights):
        u = 1 + (a * a) * float(s * s)
        total = total + float(w) * jnp.exp(-0.5 * h * h * u) / u
    return a * total


@custom_jvp
def _owens_t(h, a):
    h_abs, a_abs = jnp.abs(h), jnp.abs(a)
    small = a_abs <= 1
    a_in = jnp.where(small, a_abs, 1 / jnp.where(a_abs == 0, 1.0, a_abs))
    h_in = jnp.where(small, h_abs, a_abs * h_abs)
    inner = _owens_t_small_a(h_in, a_in)
    p = 0.5 * _erfc_value(h_abs / math.sqrt(2))
    q = 0.5 * _erfc_value(a_abs * h_abs / math.sqrt(2))
    out = jnp.where(small, inner, 0.5 * (p + q) - p * q - inner)
    out = jnp.where(h == 0, jnp.arctan(a_abs) / (2 * math.pi), out)
    out = jnp.where(a_abs == np.inf, jnp.where(h == 0, 0.25, 0.5 * p), out)
    out = jnp.sign(a) * out
    return jnp.where(jnp.isnan(h) | jnp.isnan(a), np.nan, out)


@_owens_t.defjvp
def _owens_t_jvp(primals, tangents):
    h, a = primals
    dh, da = tangents
    # dT/dh = -exp(-h^2 / 2) erf(a h / sqrt 2) / (2 sqrt(2 pi)),
    # dT/da = exp(-(1 + a^2) h^2 / 2) / (2 pi (1 + a^2))
    d_h = -jnp.exp(-0.5 * h * h) * (1 - _erfc_value(a * h / math.sqrt(2))) / (2 * math.sqrt(2 * math.pi))
    d_a = jnp.exp(-0.5 * (1 + a * a) * h * h) / (2 * math.pi * (1 + a * a))
    return _owens_t(h, a), d_h * dh + d_a * da


def owens_t(h, a):
    """Owen's T function: (1 / 2 pi) int_0^a exp(-h^2 (1 + x^2) / 2) / (1 + x^2) dx."""
    h, a = promote_inexact("owens_t", h, a)
    return _owens_t(h, a)


# ---------------------------------------------------------------------------
# sph_harm_y

def _legendre_table(n_max: int, ct, st):
    """{(l, m): orthonormal P_l^m(cos theta)} for 0 <= m <= l <= n_max (with the
    Condon-Shortley phase and the 1 / sqrt(2 pi) of the azimuthal factor folded in), by
    the recurrences in m along the diagonal and in l up each column."""
    table = {}
    diag = jnp.full_like(ct, 1 / math.sqrt(4 * math.pi))
    for m in range(n_max + 1):
        if m > 0:
            diag = -math.sqrt((2 * m + 1) / (2 * m)) * st * diag
        table[m, m] = diag
        if m + 1 <= n_max:
            table[m + 1, m] = math.sqrt(2 * m + 3) * ct * diag
        for l in range(m + 2, n_max + 1):
            a_l = math.sqrt((4 * l * l - 1) / (l * l - m * m))
            a_prev = math.sqrt((4 * (l - 1) ** 2 - 1) / ((l - 1) ** 2 - m * m))
            table[l, m] = a_l * (ct * table[l - 1, m] - table[l - 2, m] / a_prev)
    return table


def sph_harm_y(n, m, theta, phi, diff_n: int | None = None, n_max: int | None = None):
    """The spherical harmonics Y_n^m(theta, phi) (theta the polar angle, phi the azimuth),
    orthonormal on the sphere, as SciPy's sph_harm_y; n is clipped to n_max (the static
    largest degree, max(n) by default, which needs a concrete n)."""
    if diff_n is not None:
        raise NotImplementedError(
            "The 'diff_n' argument to jax.scipy.special.sph_harm_y is not supported.")
    if np.ndim(theta) == 0 and not isinstance(theta, core.Tracer):
        theta = jnp.asarray([theta])   # as JAX: a scalar theta gives a 1-element result
    if n_max is None:
        concrete = core.concrete_or_none(n)
        if concrete is None:
            raise core.ConcretizationTypeError(
                "The `n_max` argument of `jnp.scipy.special.sph_harm` must be statically "
                "specified to use `sph_harm` within JAX transformations.")
        n_max = int(np.max(concrete))
    n_max = _static_int(n_max, "n_max")
    theta, phi = promote_dtypes_inexact(theta, phi)
    n, m = jnp.asarray(n), jnp.asarray(m)
    shape = jnp.broadcast_shapes(n.shape, m.shape, theta.shape, phi.shape)
    theta, phi = jnp.broadcast_to(theta, shape), jnp.broadcast_to(phi, shape)
    n, m = jnp.broadcast_to(jnp.clip(n, 0, n_max), shape), jnp.broadcast_to(m, shape)
    m_abs = jnp.abs(m)
    table = _legendre_table(n_max, jnp.cos(theta), jnp.sin(theta))
    legendre = jnp.zeros_like(theta)
    for (l, k), value in table.items():
        legendre = jnp.where((n == l) & (m_abs == k), value, legendre)
    angle = m_abs.astype(theta.dtype) * phi
    out = jnp.asarray(legendre * jnp.cos(angle)) + 1j * (legendre * jnp.sin(angle))
    # Y_n^-m = (-1)^m conj(Y_n^m)
    sign = jnp.where(m_abs % 2 == 0, 1.0, -1.0).astype(theta.dtype)
    return jnp.where(m < 0, sign * jnp.conj(out), out)


# ---------------------------------------------------------------------------
# wofz

def _weideman(n: int):
    """Weideman's coefficients (highest power first) and scale L for n terms."""
    big_m = 2 * n
    k = np.arange(-big_m + 1, big_m)
    scale = math.sqrt(n / math.sqrt(2))
    t = scale * np.tan(k * np.pi / (2 * big_m))
    f = np.concatenate([[0.0], np.exp(-t * t) * (scale * scale + t * t)])
    coeffs = np.real(np.fft.fft(np.fft.fftshift(f))) / (2 * big_m)
    return np.flipud(coeffs[1:n + 1]), scale


_W_COEFFS, _W_L = _weideman(36)


def _wofz_upper(z):
    iz = 1j * z
    denom = _W_L - iz
    big_z = (_W_L + iz) / denom
    p = jnp.zeros_like(z)
    for c in _W_COEFFS:
        p = p * big_z + float(c)
    return 2 * p / (denom * denom) + (1 / math.sqrt(math.pi)) / denom


def wofz(z):
    """The Faddeeva function w(z) = exp(-z^2) erfc(-i z) (complex result)."""
    z, = promote_dtypes_inexact(z)
    if dtypes.kind(z.dtype) != "c":
        z = z.astype(np.complex128 if z.dtype == np.float64 else np.complex64)
    upper = jnp.imag(z) >= 0
    zu = jnp.where(upper, z, -z)
    w = _wofz_upper(zu)
    return jnp.where(upper, w, 2 * jnp.exp(-z * z) - w)
