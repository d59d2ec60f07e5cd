"""irax.scipy.cluster.vq (as jax.scipy.cluster.vq): vq, nearest-code assignment."""
from __future__ import annotations

from ... import numpy as jnp
from ...numpy._core import check_arraylike
from ...tracer.core import get_aval
from .._helpers import promote_dtypes_inexact

__all__ = ["vq"]


def vq(obs, code_book, check_finite: bool = True):
    """(code, dist): for each observation (row of obs, or entry when 1-d) the index of the
    nearest row of code_book in Euclidean distance, and that distance (scipy.cluster.vq.vq;
    check_finite is ignored, as in JAX). Ties go to the lowest index."""
    del check_finite
    check_arraylike("scipy.cluster.vq.vq", obs, code_book)
    obs, code_book = promote_dtypes_inexact(obs, code_book)
    if get_aval(obs).ndim != get_aval(code_book).ndim:
        raise ValueError("Observation and code_book should have the same rank")
    if get_aval(obs).ndim == 1:
        obs, code_book = obs[:, None], code_book[:, None]
    if get_aval(obs).ndim != 2:
        raise ValueError("ndim different than 1 or 2 are not supported")
    # (M, K): the distance from each observation to each code
    dist = jnp.linalg.norm(obs[:, None, :] - code_book[None, :, :], axis=-1)
    code = jnp.argmin(dist, axis=-1)
    return code, jnp.take_along_axis(dist, code[:, None], axis=1)[:, 0]
