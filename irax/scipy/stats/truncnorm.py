"""The normal distribution truncated to [a, b] standard deviations around loc
(jax.scipy.stats.truncnorm)."""
from __future__ import annotations

import numpy as np

from ... import numpy as jnp
from .. import special
from .._helpers import promote_inexact
from . import norm


def _log_sub_exp(x, y):
    """log(exp(x) - exp(y)) for x >= y, staying finite where both are far below 0;
    -inf when the two are equal (including both -inf)."""
    same = x == y
    gap = jnp.where(same, -1.0, y - x)      # keep the untaken branch free of nan
    return jnp.where(same, -np.inf, x + jnp.log(-jnp.expm1(gap)))


def _log_mass(a, b):
    """log(Phi(b) - Phi(a)): in the tails from log_ndtr (mirroring the right tail onto the
    left, where log_ndtr is accurate), across 0 as log1p of the two excluded tails."""
    a, b = jnp.broadcast_arrays(a, b)
    right = a > 0
    central = ~((b <= 0) | right)
    lo = jnp.where(right, -b, a)
    hi = jnp.where(right, -a, b)
    tail = _log_sub_exp(special.log_ndtr(hi), special.log_ndtr(lo))
    middle = jnp.log1p(-special.ndtr(a) - special.ndtr(-b))
    return jnp.where(central, middle, tail)


def logpdf(x, a, b, loc=0, scale=1):
    x, a, b, loc, scale = promote_inexact("truncnorm.logpdf", x, a, b, loc, scale)
    out = norm.logpdf(x, loc, scale) - _log_mass(a, b)
    z = (x - loc) / scale
    out = jnp.where((z < a) | (z > b), -np.inf, out)
    return jnp.where(a >= b, np.nan, out)


def pdf(x, a, b, loc=0, scale=1):
    return jnp.exp(logpdf(x, a, b, loc, scale))


def logcdf(x, a, b, loc=0, scale=1):
    x, a, b, loc, scale = promote_inexact("truncnorm.logcdf", x, a, b, loc, scale)
    x, a, b = jnp.broadcast_arrays(x, a, b)
    z = (x - loc) / scale
    total = _log_mass(a, b)
    below = _log_mass(a, z) - total
    above = _log_mass(z, b) - total
    # near 1 the cdf is better as 1 - sf
    out = jnp.select([z >= b, z <= a, below > -0.1, z > a],
                     [0.0, -np.inf, jnp.log1p(-jnp.exp(above)), below])
    return jnp.where(a >= b, np.nan, out)


def cdf(x, a, b, loc=0, scale=1):
    return jnp.exp(logcdf(x, a, b, loc, scale))


def logsf(x, a, b, loc=0, scale=1):
    x, a, b, loc, scale = promote_inexact("truncnorm.logsf", x, a, b, loc, scale)
    return logcdf(-x, -b, -a, -loc, scale)


def sf(x, a, b, loc=0, scale=1):
    return jnp.exp(logsf(x, a, b, loc, scale))
