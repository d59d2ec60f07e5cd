"""irax.scipy.stats: distributions as jax.scipy.stats lays them out, one module each
(`stats.norm.logpdf(x, loc, scale)`), built on irax.scipy.special."""
from . import (bernoulli, beta, gamma, laplace, logistic, multivariate_normal, norm,  # noqa: F401
               poisson, t, uniform)

__all__ = ["bernoulli", "beta", "gamma", "laplace", "logistic", "multivariate_normal", "norm",
           "poisson", "t", "uniform"]
