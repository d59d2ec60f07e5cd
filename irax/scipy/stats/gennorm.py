"""The generalized normal distribution, density beta / (2 Gamma(1/beta)) exp(-|x|^beta)
(jax.scipy.stats.gennorm)."""
from __future__ import annotations

from ... import numpy as jnp
from .. import special
from .._helpers import promote_inexact


def logpdf(x, beta):
    x, beta = promote_inexact("gennorm.logpdf", x, beta)
    return jnp.log(0.5 * beta) - special.gammaln(1 / beta) - jnp.abs(x) ** beta


def pdf(x, beta):
    return jnp.exp(logpdf(x, beta))


def cdf(x, beta):
    x, beta = promote_inexact("gennorm.cdf", x, beta)
    return 0.5 * (1 + jnp.sign(x) * special.gammainc(1 / beta, jnp.abs(x) ** beta))
