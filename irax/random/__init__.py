"""irax.random: JAX's counter-based PRNG (threefry2x32), bit-identical to JAX 0.10.

    key = irax.random.PRNGKey(0)              # raw uint32[2] key, as jax.random.PRNGKey
    k1, k2 = irax.random.split(key)
    x = irax.random.normal(k1, (3,))

Keys are pure values: pass them into jit/vmap/scan like arrays; typed keys from
`irax.random.key` are pytrees over their uint32 data (at an AOT module boundary pass
`key_data(k)` and `wrap_key_data` inside: a saved module rebuilds only plain containers).

Same key, same numbers as JAX 0.10 (default threefry2x32, jax_threefry_partitionable=True):
bit for bit for keys, split, fold_in, bits, uniform, randint, bernoulli, categorical,
permutation, choice, rademacher, geometric, poisson, and for every sampler in float64;
within a few float32 ulps where log/log1p/erf_inv/tan/pow enter (normal, gumbel,
exponential, gamma, ...), because XLA:CPU fuses a*b+c into FMAs and has its own log.
Differences from JAX: gradients of gamma/beta/dirichlet/chisquare/t/f with respect to
their shape parameters are not implemented (reverse mode of their rejection loops is
refused with a clear error); multivariate_normal supports method='cholesky' only;
`shuffle` (removed from JAX 0.10) keeps its old semantics."""
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

# ---------------------------------------------------------------------------
# branch toplevel: more of JAX's composed samplers (irax/random/_extra.py)
from ._extra import ball, binomial, generalized_normal, multinomial, orthogonal  # noqa: E402

__all__ += ["ball", "binomial", "generalized_normal", "multinomial", "orthogonal"]
