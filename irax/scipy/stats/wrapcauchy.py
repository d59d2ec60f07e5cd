"""The wrapped Cauchy distribution on [0, 2 pi] (jax.scipy.stats.wrapcauchy)."""
from __future__ import annotations

import math

import numpy as np

from ... import numpy as jnp
from .._helpers import promote_inexact


def logpdf(x, c):
    x, c = promote_inexact("wrapcauchy.logpdf", x, c)
    dens = jnp.log(1 - c * c) - math.log(2 * math.pi) - jnp.log(1 + c * c - 2 * c * jnp.cos(x))
    out = jnp.where((x >= 0) & (x <= 2 * math.pi), dens, -np.inf)
    return jnp.where((c > 0) & (c < 1), out, np.nan)


def pdf(x, c):
    return jnp.exp(logpdf(x, c))
