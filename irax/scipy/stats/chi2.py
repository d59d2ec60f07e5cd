"""The chi-squared distribution (jax.scipy.stats.chi2): gamma(df / 2, scale = 2 scale)."""
from __future__ import annotations

import math

import numpy as np

from ... import numpy as jnp
from .. import special
from .._helpers import promote_inexact


def logpdf(x, df, loc=0, scale=1):
    x, df, loc, scale = promote_inexact("chi2.logpdf", x, df, loc, scale)
    y = (x - loc) / scale
    half_df = df / 2
    log_probs = ((half_df - 1) * jnp.log(y) - y / 2 - special.gammaln(half_df)
                 - half_df * math.log(2) - jnp.log(scale))
    return jnp.where(x < loc, -np.inf, log_probs)


def pdf(x, df, loc=0, scale=1):
    return jnp.exp(logpdf(x, df, loc, scale))


def cdf(x, df, loc=0, scale=1):
    x, df, loc, scale = promote_inexact("chi2.cdf", x, df, loc, scale)
    return special.gammainc(df / 2, jnp.clip((x - loc) / (2 * scale), 0, np.inf))


def logcdf(x, df, loc=0, scale=1):
    return jnp.log(cdf(x, df, loc, scale))


def sf(x, df, loc=0, scale=1):
    x, df, loc, scale = promote_inexact("chi2.sf", x, df, loc, scale)
    return special.gammaincc(df / 2, jnp.clip((x - loc) / (2 * scale), 0, np.inf))


def logsf(x, df, loc=0, scale=1):
    return jnp.log(sf(x, df, loc, scale))
