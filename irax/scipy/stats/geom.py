"""The geometric distribution on k = 1, 2, ... (jax.scipy.stats.geom)."""
from __future__ import annotations

import numpy as np

from ... import numpy as jnp
from .. import special
from .._helpers import promote_inexact


def logpmf(k, p, loc=0):
    k, p, loc = promote_inexact("geom.logpmf", k, p, loc)
    x = k - loc
    return jnp.where(x <= 0, -np.inf, special.xlog1py(x - 1, -p) + jnp.log(p))


def pmf(k, p, loc=0):
    return jnp.exp(logpmf(k, p, loc))
