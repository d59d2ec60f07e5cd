"""Numerical helpers the samplers need, composed from irax primitives: nextafter, cholesky
(from irax.numpy.linalg), and (from irax.scipy, where the special functions live) erf_inv with XLA's
polynomial (so normal draws round as JAX's do) and lgamma."""
from __future__ import annotations

import numpy as np

from ..tracer.core import get_aval
from ..tracer.prims import bits
from ..tracer.prims import elementwise as ew
from ..tracer.prims import shape as sh
from ..scipy._erf_fns import erf_inv  # noqa: F401  (the samplers import it from here)
from ..scipy._gamma_fns import lgamma  # noqa: F401
from ..numpy.linalg import cholesky  # noqa: F401  (multivariate_normal imports it from here)


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
