"""The multinomial distribution (jax.scipy.stats.multinomial); the categories run along
the last axis."""
from __future__ import annotations

import numpy as np

from ... import numpy as jnp
from .. import special
from .._helpers import promote_inexact
from ...tracer.core import get_aval
from ...tracer import dtypes


def logpmf(x, n, p):
    p = promote_inexact("multinomial.logpmf", p)
    x, n = jnp.asarray(x), jnp.asarray(n)
    for v in (x, n):
        if dtypes.kind(get_aval(v).dtype) not in "biuf":
            raise TypeError(f"multinomial.logpmf requires numeric arguments, got dtype "
                            f"{get_aval(v).dtype}")
    # one dtype, but no broadcasting: a scalar n stays a scalar (as JAX)
    x, n = (v.astype(jnp.result_type(x, n)) for v in (x, n))
    if dtypes.kind(get_aval(x).dtype) not in "iu":
        raise ValueError("x and n must be of integer type; got "
                         f"x.dtype={get_aval(x).dtype}, n.dtype={get_aval(n).dtype}")
    dt = get_aval(p).dtype
    x, n = x.astype(dt), n.astype(dt)
    out = special.gammaln(n + 1) + jnp.sum(special.xlogy(x, p) - special.gammaln(x + 1),
                                           axis=-1)
    # JAX compares the total over every axis of x with n
    return jnp.where(jnp.sum(x) == n, out, -np.inf)


def pmf(x, n, p):
    return jnp.exp(logpmf(x, n, p))
