"""The Pareto distribution (jax.scipy.stats.pareto)."""
from __future__ import annotations

import numpy as np

from ... import numpy as jnp
from .._helpers import promote_inexact


def _scaled(name, x, b, loc, scale):
    x, b, loc, scale = promote_inexact(name, x, b, loc, scale)
    below = x < loc + scale
    # the branch not taken sees z = 1, so its log and power stay finite
    z = jnp.where(below, 1.0, (x - loc) / scale)
    return b, scale, below, z


def logpdf(x, b, loc=0, scale=1):
    b, scale, below, z = _scaled("pareto.logpdf", x, b, loc, scale)
    return jnp.where(below, -np.inf, jnp.log(b / scale) - (b + 1) * jnp.log(z))


def pdf(x, b, loc=0, scale=1):
    return jnp.exp(logpdf(x, b, loc, scale))


def logsf(x, b, loc=0, scale=1):
    b, scale, below, z = _scaled("pareto.logsf", x, b, loc, scale)
    return jnp.where(below, 0.0, -b * jnp.log(z))


def sf(x, b, loc=0, scale=1):
    return jnp.exp(logsf(x, b, loc, scale))


def cdf(x, b, loc=0, scale=1):
    b, scale, below, z = _scaled("pareto.cdf", x, b, loc, scale)
    return jnp.where(below, 0.0, -jnp.expm1(-b * jnp.log(z)))


def logcdf(x, b, loc=0, scale=1):
    b, scale, below, z = _scaled("pareto.logcdf", x, b, loc, scale)
    return jnp.where(below, -np.inf, jnp.log1p(-jnp.exp(-b * jnp.log(z))))


def ppf(q, b, loc=0, scale=1):
    q, b, loc, scale = promote_inexact("pareto.ppf", q, b, loc, scale)
    value = loc + scale * jnp.exp(-jnp.log1p(-q) / b)
    return jnp.where(jnp.isnan(q) | (q < 0) | (q > 1), np.nan, value)
