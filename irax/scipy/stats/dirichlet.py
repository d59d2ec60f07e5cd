"""The Dirichlet distribution (jax.scipy.stats.dirichlet); x's first axis runs over the
categories, as in SciPy, and may leave out the last one (it is 1 - sum of the others)."""
from __future__ import annotations

import numpy as np

from ... import numpy as jnp
from .. import special
from ...tracer.core import get_aval


def logpdf(x, alpha):
    x, alpha = jnp.asarray(x), jnp.asarray(alpha)
    dtype = jnp.result_type(x, alpha, float)
    x, alpha = x.astype(dtype), alpha.astype(dtype)
    xs, al = get_aval(x).shape, get_aval(alpha).shape
    if len(al) != 1:
        raise ValueError(f"`alpha` must be one-dimensional; got alpha.shape={al}")
    if len(xs) == 0 or xs[0] not in (al[0], al[0] - 1):
        raise ValueError("`x` must have either the same number of entries as `alpha` or one "
                         f"entry fewer; got x.shape={xs}, alpha.shape={al}")
    if xs[0] != al[0]:
        x = jnp.concatenate([x, 1 - jnp.sum(x, axis=0, keepdims=True)], axis=0)
    log_norm = jnp.sum(special.gammaln(alpha)) - special.gammaln(jnp.sum(alpha))
    alpha_b = alpha.reshape(al + (1,) * (len(xs) - 1))
    out = jnp.sum(special.xlogy(alpha_b - 1, x), axis=0) - log_norm
    on_simplex = jnp.all(x > 0, axis=0) & (jnp.abs(jnp.sum(x, axis=0) - 1) < 1e-6)
    return jnp.where(on_simplex, out, -np.inf)


def pdf(x, alpha):
    return jnp.exp(logpdf(x, alpha))
