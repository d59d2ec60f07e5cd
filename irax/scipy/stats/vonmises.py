"""The von Mises distribution on the circle (jax.scipy.stats.vonmises)."""
from __future__ import annotations

import math

import numpy as np

from ... import numpy as jnp
from .. import special
from .._helpers import promote_inexact


def logpdf(x, kappa):
    x, kappa = promote_inexact("vonmises.logpdf", x, kappa)
    # i0e(kappa) = exp(-kappa) I0(kappa): the exp(kappa) cancels against kappa cos(x)
    out = kappa * (jnp.cos(x) - 1) - jnp.log(2 * math.pi * special.i0e(kappa))
    return jnp.where(kappa > 0, out, np.nan)


def pdf(x, kappa):
    return jnp.exp(logpdf(x, kappa))
