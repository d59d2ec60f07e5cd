"""jnp.roots: polynomial roots as the eigenvalues of the companion matrix (issue 12)."""
from __future__ import annotations

import numpy as np

from .. import numpy as jnp
from ..tracer import core
from ..tracer.core import get_aval
from ._core import _to_float
from ._eig import complex_dtype
from .linalg import eigvals


def roots(p, *, strip_zeros: bool = True):
    """Roots of the polynomial with coefficients p (highest power first), as the
    eigenvalues of its companion matrix. strip_zeros=True drops leading zeros (needs
    concrete p, as JAX); strip_zeros=False keeps the shape static and gives nan for the
    roots that leading zeros remove, as JAX."""
    p = _to_float(jnp.asarray(p))
    if get_aval(p).ndim == 0:
        p = jnp.reshape(p, (1,))
    if get_aval(p).ndim != 1:
        raise ValueError("Input must be a rank-1 array.")
    cdt = complex_dtype(get_aval(p).dtype)
    m = get_aval(p).shape[0]
    if m < 2:
        return jnp.zeros((0,), cdt)
    nz = p == 0
    lead = jnp.where(jnp.all(nz), m, jnp.argmin(nz)).astype(np.int32)
    if strip_zeros:
        k = core.concrete_or_none(lead)
        if k is None:
            raise core.ConcretizationTypeError(
                f"Abstract tracer value encountered where concrete value is expected: "
                f"{lead!r}\nThe error occurred in the jnp.roots() function. To use this "
                f"within a JIT-compiled context, pass strip_zeros=False, but be aware that "
                f"leading zeros will result in some returned roots being set to NaN.")
        p = p[int(k):]
        if get_aval(p).shape[0] < 2:
            return jnp.zeros((0,), cdt)
        return eigvals(_companion(p))
    p = jnp.where(lead == m, 1, p).astype(get_aval(p).dtype)
    p = jnp.take(p, (np.arange(m) + lead) % m)
    r = eigvals(_companion(p))
    # the zero roots that rolled leading zeros produce go last, then become nan
    from ..lax.sorting import sort_key_val
    r = sort_key_val(r == 0, r)[1]
    return jnp.where(np.arange(m - 1) < m - 1 - lead, r, complex(np.nan, np.nan)).astype(cdt)


def _companion(p):
    m = get_aval(p).shape[0]
    n = m - 1
    rows = np.arange(n)
    sub = (rows[:, None] == rows[None, :] + 1).astype(get_aval(p).dtype)
    first = -p[1:] / p[0]
    return jnp.where((rows == 0)[:, None], first[None, :], sub)
