"""The right-skewed Gumbel distribution (jax.scipy.stats.gumbel_r)."""
from __future__ import annotations

import numpy as np

from ... import numpy as jnp
from ...nn.functions import log1mexp
from .._helpers import promote_inexact


def _z(name, x, loc, scale):
    x, loc, scale = promote_inexact(name, x, loc, scale)
    return (x - loc) / scale, scale, scale > 0


def logpdf(x, loc=0, scale=1):
    z, scale, ok = _z("gumbel_r.logpdf", x, loc, scale)
    return jnp.where(ok, -jnp.log(scale) - (z + jnp.exp(-z)), np.nan)


def pdf(x, loc=0, scale=1):
    return jnp.exp(logpdf(x, loc, scale))


def logcdf(x, loc=0, scale=1):
    z, _, ok = _z("gumbel_r.logcdf", x, loc, scale)
    return jnp.where(ok, -jnp.exp(-z), np.nan)


def cdf(x, loc=0, scale=1):
    return jnp.exp(logcdf(x, loc, scale))


def sf(x, loc=0, scale=1):
    z, _, ok = _z("gumbel_r.sf", x, loc, scale)
    return jnp.where(ok, -jnp.expm1(-jnp.exp(-z)), np.nan)


def logsf(x, loc=0, scale=1):
    z, _, ok = _z("gumbel_r.logsf", x, loc, scale)
    return jnp.where(ok, log1mexp(jnp.exp(-z)), np.nan)


def ppf(p, loc=0, scale=1):
    p, loc, scale = promote_inexact("gumbel_r.ppf", p, loc, scale)
    ok = (p > 0) & (p < 1)
    p_ok = jnp.where(ok, p, 0.5)
    return jnp.where(ok, loc - scale * jnp.log(-jnp.log(p_ok)), np.nan)
