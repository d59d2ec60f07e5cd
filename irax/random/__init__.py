"""irax.random: JAX's counter-based PRNG (threefry2x32), bit-identical to JAX 0.10.

    key = irax.random.PRNGKey(0)              # raw uint32[2] key, as jax.random.PRNGKey
    k1, k2 = irax.random.split(key)
    x = irax.random.normal(k1, (3,))

Keys are pure values: pass them into jit/vmap/scan like arrays; typed keys from
`irax.random.key` are pytrees over their uint32 data."""
from __future__ import annotations

from ._distributions import (bernoulli, categorical, choice, exponential, gumbel, laplace,
                             logistic, multivariate_normal, normal, permutation, randint,
                             shuffle, truncated_normal, uniform)
from ._distributions import bits_ as bits
from ._gamma import beta, dirichlet, gamma, loggamma, poisson
from ._more import (cauchy, chisquare, clone, double_sided_maxwell, f, geometric, lognormal,
                    maxwell, pareto, rademacher, rayleigh, t, triangular, wald, weibull_min)
from ._keys import (PRNGKey, PRNGKeyArray, fold_in, key, key_data, key_dtype, key_impl, split,
                    wrap_key_data)

__all__ = ["PRNGKey", "PRNGKeyArray", "key", "split", "fold_in", "key_data", "wrap_key_data",
           "key_impl", "key_dtype", "bits", "uniform", "normal", "truncated_normal",
           "bernoulli", "randint", "categorical", "choice", "permutation", "shuffle", "gumbel",
           "exponential", "laplace", "logistic", "multivariate_normal", "gamma", "loggamma",
           "beta", "dirichlet", "poisson", "cauchy", "chisquare", "clone",
           "double_sided_maxwell", "f", "geometric", "lognormal", "maxwell", "pareto",
           "rademacher", "rayleigh", "t", "triangular", "wald", "weibull_min"]
