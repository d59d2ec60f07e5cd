"""The Poisson distribution (jax.scipy.stats.poisson)."""
from __future__ import annotations

import math

import numpy as np

from ... import numpy as jnp
from .. import special
from .._helpers import promote_inexact


def logpmf(k, mu, loc=0):
    k, mu, loc = promote_inexact("poisson.logpmf", k, mu, loc)
    x = k - loc
    log_probs = special.xlogy(x, mu) - special.gammaln(x + 1) - mu
    return jnp.where((x < 0) | (jnp.round(k) != k), -np.inf, log_probs)


def pmf(k, mu, loc=0):
    return jnp.exp(logpmf(k, mu, loc))


def cdf(k, mu, loc=0):
    k, mu, loc = promote_inexact("poisson.cdf", k, mu, loc)
    x = k - loc
    # P(K <= x) = Q(floor(x) + 1, mu)
    p = special.gammaincc(jnp.floor(1 + jnp.where(x < 0, 0.0, x)), mu)
    return jnp.where(x < 0, 0.0, p)


def entropy(mu, loc=0):
    """-sum_k pmf(k) log pmf(k): summed over k < 35 / 250 terms below mu = 10 / 100 (a fixed
    size under jit), and by the asymptotic 1/2 log(2 pi e mu) - 1/(12 mu) above."""
    mu, loc = promote_inexact("poisson.entropy", mu, loc)
    shape = jnp.shape(mu)
    flat = jnp.reshape(mu, (-1,))

    def summed(n_terms, upper):
        k = jnp.reshape(jnp.arange(n_terms, dtype=flat.dtype), (-1, 1))
        m = jnp.where(flat < upper, flat, 1.0)
        probs = pmf(k, m[None, :])
        return jnp.sum(special.entr(probs), axis=0)
    large = jnp.where(flat >= 100, flat, 100.0)
    asymptotic = 0.5 * jnp.log(2 * math.pi * math.e * large) - 1 / (12 * large)
    out = jnp.where(flat < 10, summed(35, 10), jnp.where(flat < 100, summed(250, 100),
                                                           asymptotic))
    out = jnp.where(flat == 0, 0.0, out)
    return jnp.reshape(out, shape)
