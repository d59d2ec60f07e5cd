"""The irax calls that mirror the JAX calls of jax_values.py (same names)."""
from __future__ import annotations

import numpy as np

import irax.numpy as jnp
import irax.random as jr

COV = [[2., .5, 0], [.5, 1, .2], [0, .2, 1.5]]

EXACT_CALLS = {
    "split": lambda k: jr.split(k, 3),
    "split_shape": lambda k: jr.split(k, (2, 2)),
    "fold_in": lambda k: jr.fold_in(k, 123456),
    "bits": lambda k: jr.bits(k, (2, 3)),
    "bits_u8": lambda k: jr.bits(k, (5,), jnp.uint8),
    "bits_u16": lambda k: jr.bits(k, (5,), np.uint16),
    "uniform": lambda k: jr.uniform(k, (6,)),
    "uniform_f16": lambda k: jr.uniform(k, (4,), jnp.float16),
    "uniform_range": lambda k: jr.uniform(k, (4,), minval=0., maxval=8.),
    "randint": lambda k: jr.randint(k, (6,), -100, 77777),
    "randint_u8": lambda k: jr.randint(k, (6,), 0, 256, jnp.uint8),
    "randint_i8": lambda k: jr.randint(k, (6,), -5, 5, "int8"),
    "bernoulli": lambda k: jr.bernoulli(k, 0.3, (8,)),
    "bernoulli_high": lambda k: jr.bernoulli(k, 0.3, (8,), mode="high"),
    "categorical": lambda k: jr.categorical(k, jnp.log(jnp.array([0.1, 0.2, 0.7])), shape=(8,)),
    "categorical_axis0": lambda k: jr.categorical(k, jnp.arange(12.).reshape(3, 4) / 3, axis=0),
    "categorical_norep": lambda k: jr.categorical(k, jnp.arange(5.), shape=(3,), replace=False),
    "permutation": lambda k: jr.permutation(k, 10),
    "permutation_rows": lambda k: jr.permutation(k, jnp.arange(12).reshape(4, 3)),
    "permutation_indep": lambda k: jr.permutation(k, jnp.arange(12).reshape(4, 3), axis=1,
                                                  independent=True),
    "choice": lambda k: jr.choice(k, 10, (5,)),
    "choice_norep": lambda k: jr.choice(k, 10, (5,), replace=False),
    "choice_p": lambda k: jr.choice(k, 5, (8,), p=jnp.array([.1, .2, .3, .2, .2])),
    "choice_p_norep": lambda k: jr.choice(k, 5, (3,), replace=False,
                                          p=jnp.array([.1, .2, .3, .2, .2])),
    "poisson": lambda k: jr.poisson(k, 3., (6,)),
    "poisson_large": lambda k: jr.poisson(k, 30., (6,)),
}

CLOSE_CALLS = {
    "normal": lambda k: jr.normal(k, (6,)),
    "normal_f16": lambda k: jr.normal(k, (4,), jnp.float16),
    "truncated_normal": lambda k: jr.truncated_normal(k, -1., 2., (6,)),
    "gumbel": lambda k: jr.gumbel(k, (6,)),
    "exponential": lambda k: jr.exponential(k, (6,)),
    "laplace": lambda k: jr.laplace(k, (6,)),
    "logistic": lambda k: jr.logistic(k, (6,)),
    "multivariate_normal": lambda k: jr.multivariate_normal(k, jnp.zeros(3), jnp.array(COV), (2,)),
    "gamma": lambda k: jr.gamma(k, jnp.array([0.5, 1., 2.5, 10.])),
    "beta": lambda k: jr.beta(k, 2., 3., (4,)),
    "dirichlet": lambda k: jr.dirichlet(k, jnp.array([1., 2., 3.]), (2,)),
}


def expected(entry):
    shape, dtype, flat = entry
    return np.asarray(flat, dtype=dtype).reshape(shape)

MORE_CALLS = {
    "cauchy": lambda k: jr.cauchy(k, (4,)),
    "pareto": lambda k: jr.pareto(k, 3., (4,)),
    "lognormal": lambda k: jr.lognormal(k, 0.5, (4,)),
    "chisquare": lambda k: jr.chisquare(k, 3., (4,)),
    "t": lambda k: jr.t(k, 4., (4,)),
    "f": lambda k: jr.f(k, 3., 5., (4,)),
    "rademacher": lambda k: jr.rademacher(k, (6,)),
    "maxwell": lambda k: jr.maxwell(k, (4,)),
    "double_sided_maxwell": lambda k: jr.double_sided_maxwell(k, 1., 2., (4,)),
    "weibull_min": lambda k: jr.weibull_min(k, 2., 1.5, (4,)),
    "rayleigh": lambda k: jr.rayleigh(k, 2., (4,)),
    "wald": lambda k: jr.wald(k, 1.5, (4,)),
    "geometric": lambda k: jr.geometric(k, 0.3, (6,)),
    "triangular": lambda k: jr.triangular(k, 0., 1., 3., (4,)),
}
