"""The Laplace distribution (jax.scipy.stats.laplace)."""
from __future__ import annotations

import math

from ... import numpy as jnp
from .._helpers import promote_inexact


def logpdf(x, loc=0, scale=1):
    x, loc, scale = promote_inexact("laplace.logpdf", x, loc, scale)
    return -jnp.abs(x - loc) / scale - jnp.log(scale) - math.log(2)


def pdf(x, loc=0, scale=1):
    return jnp.exp(logpdf(x, loc, scale))


def cdf(x, loc=0, scale=1):
    x, loc, scale = promote_inexact("laplace.cdf", x, loc, scale)
    z = (x - loc) / scale
    below = z <= 0
    # each branch sees only the half line where its exp cannot overflow
    half_exp = 0.5 * jnp.exp(jnp.where(below, z, -z))
    return jnp.where(below, half_exp, 1 - half_exp)
