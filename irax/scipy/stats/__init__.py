"""irax.scipy.stats: distributions as jax.scipy.stats lays them out, one module each
(`stats.norm.logpdf(x, loc, scale)`), built on irax.scipy.special; and the sample
statistics mode, rankdata and sem."""
from . import (bernoulli, beta, betabinom, binom, cauchy, chi2, dirichlet,  # noqa: F401
               expon, gamma, gennorm, geom, gumbel_l, gumbel_r, laplace, logistic,
               multinomial, multivariate_normal, nbinom, norm, pareto, poisson, t, truncnorm,
               uniform, vonmises, wrapcauchy)
from ._core import ModeResult, mode, rankdata, sem  # noqa: F401

__all__ = ["bernoulli", "beta", "betabinom", "binom", "cauchy", "chi2", "dirichlet", "expon",
           "gamma", "gennorm", "geom", "gumbel_l", "gumbel_r", "laplace", "logistic", "mode",
           "multinomial", "multivariate_normal", "nbinom", "norm", "pareto", "poisson",
           "rankdata", "sem", "t", "truncnorm", "uniform", "vonmises", "wrapcauchy"]

# --- gaussian_kde (jax.scipy.stats.gaussian_kde) ---
from ._kde import gaussian_kde  # noqa: E402,F401

__all__ += ["gaussian_kde"]
