"""Numerical helpers the samplers need, composed from irax primitives: nextafter, a small
cholesky, and (from irax.scipy, where the special functions live) erf_inv with XLA's
polynomial (so normal draws round as JAX's do) and lgamma."""
from __future__ import annotations

import numpy as np

from .. import numpy as jnp
from ..tracer.core import get_aval
from ..tracer.prims import bits
from ..tracer.prims import elementwise as ew
from ..tracer.prims import shape as sh
from ..scipy._erf_fns import erf_inv  # noqa: F401  (the samplers import it from here)
from ..scipy._gamma_fns import lgamma  # noqa: F401


def _c(value, a):
    return sh.full(a.shape, value, a.dtype)


def nextafter(x, toward: float):
    """The next float after x toward +inf or -inf (toward is +-np.inf)."""
    a = get_aval(x)
    idt = np.dtype(f"int{a.dtype.itemsize * 8}")
    b = bits.bitcast_convert_type(x, idt)
    one = sh.full(a.shape, 1, idt)
    zero = _c(0, a)
    if toward > 0:
        moved = ew.select(ew.lt(x, zero), ew.sub(b, one), ew.add(b, one))
        at_zero = sh.full(a.shape, 1, idt)
    else:
        moved = ew.select(ew.gt(x, zero), ew.sub(b, one), ew.add(b, one))
        at_zero = sh.full(a.shape, np.iinfo(idt).min + 1, idt)
    moved = ew.select(ew.eq(x, zero), at_zero, moved)
    out = bits.bitcast_convert_type(moved, a.dtype)
    keep = ew.or_p.bind(ew.ne_p.bind(x, x), ew.eq(x, _c(toward, a)))   # nan, or already there
    return ew.select(keep, x, out)


def cholesky(a):
    """Lower Cholesky factor of symmetric positive definite matrices (..., n, n), column by
    column (n is static, so this unrolls into small ops that every target compiles)."""
    a = jnp.asarray(a)
    n = get_aval(a).shape[-1]
    rows = jnp.arange(n)
    cols = []
    for j in range(n):
        col = a[..., :, j]
        if cols:
            done = jnp.stack(cols, axis=-1)                     # (..., n, j)
            col = col - jnp.sum(done * jnp.expand_dims(done[..., j, :], -2), axis=-1)
        d = jnp.sqrt(col[..., j])
        below = jnp.where(rows > j, col / d[..., None], 0)
        cols.append(jnp.where(rows == j, d[..., None], below))
    return jnp.stack(cols, axis=-1)
