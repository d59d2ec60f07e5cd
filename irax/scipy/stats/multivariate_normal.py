"""The multivariate normal distribution (jax.scipy.stats.multivariate_normal)."""
from __future__ import annotations

import math

from ... import numpy as jnp
from ...random._special import cholesky
from ...tracer import dtypes
from ...tracer.core import get_aval


def _forward_substitution(chol, b):
    """L^-1 b for lower-triangular L (..., n, n) and b (..., n), one row at a time (n is
    static, so this unrolls into small ops every target compiles)."""
    n = get_aval(chol).shape[-1]
    rows = []
    for i in range(n):
        acc = b[..., i]
        if rows:
            done = jnp.stack(rows, axis=-1)
            acc = acc - jnp.sum(chol[..., i, :i] * done, axis=-1)
        rows.append(acc / chol[..., i, i])
    return jnp.stack(rows, axis=-1)


def logpdf(x, mean, cov, allow_singular=None):
    if allow_singular:
        raise NotImplementedError("allow_singular argument of multivariate_normal.logpdf")
    x, mean, cov = (jnp._to_float(jnp.asarray(v)) for v in (x, mean, cov))
    x, mean, cov = _same_dtype(x, mean, cov)
    if get_aval(mean).ndim == 0:
        return -0.5 * jnp.square(x - mean) / cov - 0.5 * (math.log(2 * math.pi) + jnp.log(cov))
    n = get_aval(mean).shape[-1]
    y = x - mean
    if get_aval(cov).ndim == 0:
        return (-0.5 * jnp.sum(y * y, axis=-1) / cov
                - n / 2 * (math.log(2 * math.pi) + jnp.log(cov)))
    if get_aval(cov).ndim < 2 or get_aval(cov).shape[-2:] != (n, n):
        raise ValueError("multivariate_normal.logpdf got incompatible shapes: mean "
                         f"{get_aval(mean).shape}, cov {get_aval(cov).shape}")
    # symmetrized as JAX's cholesky does, so the gradient in cov is symmetric as JAX's is
    chol = cholesky((cov + jnp.swapaxes(cov, -1, -2)) / 2)
    batch = jnp.broadcast_shapes(get_aval(y).shape[:-1], get_aval(chol).shape[:-2])
    y = jnp.broadcast_to(y, batch + (n,))
    chol = jnp.broadcast_to(chol, batch + (n, n))
    z = _forward_substitution(chol, y)
    log_det_half = sum(jnp.log(chol[..., i, i]) for i in range(n))   # log sqrt det cov
    return -0.5 * jnp.sum(z * z, axis=-1) - n / 2 * math.log(2 * math.pi) - log_det_half


def pdf(x, mean, cov):
    return jnp.exp(logpdf(x, mean, cov))


def _same_dtype(*arrays):
    """Promote dtypes only (the shapes differ: x (..., n), mean (n,), cov (n, n))."""
    dt, _ = dtypes.result_type(*[(get_aval(a).dtype, get_aval(a).weak_type) for a in arrays])
    return [jnp.asarray(a, dtype=dt) for a in arrays]
