"""irax.scipy.stats: distributions as jax.scipy.stats lays them out, one module each
(`stats.norm.logpdf(x, loc, scale)`), built on irax.scipy.special."""
from . import (bernoulli, beta, binom, cauchy, chi2, expon, gamma, geom,  # noqa: F401
               gumbel_l, gumbel_r, laplace, logistic, multivariate_normal, nbinom, norm,
               pareto, poisson, t, uniform)

__all__ = ["bernoulli", "beta", "binom", "cauchy", "chi2", "expon", "gamma", "geom",
           "gumbel_l", "gumbel_r", "laplace", "logistic", "multivariate_normal", "nbinom",
           "norm", "pareto", "poisson", "t", "uniform"]
