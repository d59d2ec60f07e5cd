"""The uniform distribution on [loc, loc + scale] (jax.scipy.stats.uniform)."""
from __future__ import annotations

import numpy as np

from ... import numpy as jnp
from .._helpers import promote_inexact


def logpdf(x, loc=0, scale=1):
    x, loc, scale = promote_inexact("uniform.logpdf", x, loc, scale)
    outside = (x < loc) | (x > loc + scale)
    return jnp.where(outside, -np.inf, -jnp.log(scale))


def pdf(x, loc=0, scale=1):
    return jnp.exp(logpdf(x, loc, scale))


def cdf(x, loc=0, scale=1):
    x, loc, scale = promote_inexact("uniform.cdf", x, loc, scale)
    inside = (x - loc) / scale
    return jnp.where(x < loc, 0.0, jnp.where(x > loc + scale, 1.0, inside))


def ppf(q, loc=0, scale=1):
    q, loc, scale = promote_inexact("uniform.ppf", q, loc, scale)
    return jnp.where(jnp.isnan(q) | (q < 0) | (q > 1), np.nan, loc + scale * q)
