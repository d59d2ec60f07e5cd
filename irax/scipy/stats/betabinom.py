"""The beta-binomial distribution (jax.scipy.stats.betabinom)."""
from __future__ import annotations

import numpy as np

from ... import numpy as jnp
from .. import special
from .._helpers import promote_inexact


def logpmf(k, n, a, b, loc=0):
    k, n, a, b, loc = promote_inexact("betabinom.logpmf", k, n, a, b, loc)
    y = jnp.floor(k) - loc
    # log C(n, y) = -log(n + 1) - betaln(n - y + 1, y + 1)
    log_comb = -(jnp.log1p(n) + special.betaln(n - y + 1, y + 1))
    out = log_comb + special.betaln(y + a, n - y + b) - special.betaln(a, b)
    out = jnp.where((y == 0) & (n == 0), 0.0, out)
    out = jnp.where((y < -loc) | (y > n) | (y + a <= 0), -np.inf, out)
    return jnp.where((n < 0) | (a <= 0) | (b <= 0), np.nan, out)


def pmf(k, n, a, b, loc=0):
    return jnp.exp(logpmf(k, n, a, b, loc))
