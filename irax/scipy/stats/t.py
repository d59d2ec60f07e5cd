"""Student's t distribution (jax.scipy.stats.t)."""
from __future__ import annotations

import math

from ... import numpy as jnp
from .. import special
from .._helpers import promote_inexact


def logpdf(x, df, loc=0, scale=1):
    x, df, loc, scale = promote_inexact("t.logpdf", x, df, loc, scale)
    z = (x - loc) / scale
    half_df_plus = (df + 1) / 2
    normalizer = (special.gammaln(df / 2) - special.gammaln(half_df_plus)
                  + 0.5 * jnp.log(df * math.pi) + jnp.log(scale))
    return -normalizer - half_df_plus * jnp.log1p(z * z / df)


def pdf(x, df, loc=0, scale=1):
    return jnp.exp(logpdf(x, df, loc, scale))
