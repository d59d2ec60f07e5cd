"""The negative binomial distribution (jax.scipy.stats.nbinom)."""
from __future__ import annotations

import numpy as np

from ... import numpy as jnp
from .. import special
from .._helpers import promote_inexact


def logpmf(k, n, p, loc=0):
    k, n, p, loc = promote_inexact("nbinom.logpmf", k, n, p, loc)
    y = k - loc
    log_comb = special.gammaln(y + n) - special.gammaln(n) - special.gammaln(y + 1)
    log_probs = log_comb + special.xlogy(n, p) + special.xlog1py(y, -p)
    return jnp.where(k < loc, -np.inf, log_probs)


def pmf(k, n, p, loc=0):
    return jnp.exp(logpmf(k, n, p, loc))
