"""The binomial distribution (jax.scipy.stats.binom)."""
from __future__ import annotations

import numpy as np

from ... import numpy as jnp
from .. import special
from .._helpers import promote_inexact


def logpmf(k, n, p, loc=0):
    k, n, p, loc = promote_inexact("binom.logpmf", k, n, p, loc)
    y = k - loc
    log_comb = special.gammaln(n + 1) - special.gammaln(y + 1) - special.gammaln(n - y + 1)
    log_linear = special.xlogy(y, p) + special.xlog1py(n - y, -p)
    # certain outcomes (y = n = 0, or p in {0, 1} at the matching end) have log pmf 0
    log_probs = jnp.where(((y == 0) & (n == 0)) | (log_linear == 0), 0.0,
                          log_comb + log_linear)
    return jnp.where((k >= loc) & (k < loc + n + 1), log_probs, -np.inf)


def pmf(k, n, p, loc=0):
    return jnp.exp(logpmf(k, n, p, loc))
