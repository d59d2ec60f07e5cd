"""Small shared pieces of irax.scipy: argument promotion as jax.scipy does it, dtype
constants, and polynomial / Chebyshev evaluation."""
from __future__ import annotations

import numpy as np

from .. import numpy as jnp
from ..tracer import dtypes
from ..tracer.core import get_aval


def promote_inexact(name: str, *args):
    """Arrays of one floating dtype and one shape (integers and bools become the default
    float; weak Python scalars do not widen), as JAX's promote_args_inexact."""
    arrays = [jnp.asarray(a) for a in args]
    for a in arrays:
        kind = get_aval(a).dtype.kind
        if kind == "c":
            raise ValueError(f"{name} does not support complex-valued inputs.")
        if kind not in "biuf":
            raise TypeError(f"{name} requires numeric arguments, got dtype "
                            f"{get_aval(a).dtype}")
    if len(arrays) > 1:
        arrays = jnp._promote(*arrays)
    out = [jnp._to_float(a) for a in arrays]
    return out[0] if len(out) == 1 else out


def dtype_of(x) -> np.dtype:
    return get_aval(x).dtype


def finfo(x):
    return np.finfo(dtype_of(x))


def is_f64(x) -> bool:
    return dtype_of(x) == np.float64


def horner(coeffs, z):
    """coeffs[0] z^n + coeffs[1] z^(n-1) + ... + coeffs[n] (Python floats stay weak)."""
    acc = coeffs[0] * z + coeffs[1]
    for c in coeffs[2:]:
        acc = acc * z + c
    return acc


def chebyshev(coeffs, y):
    """sum_k coeffs[k] T_k(y) by Clenshaw's recurrence (numpy.polynomial's convention)."""
    b1 = b2 = None
    for c in coeffs[:0:-1]:
        if b1 is None:
            b1, b2 = jnp.zeros_like(y) + c, jnp.zeros_like(y)
        else:
            b1, b2 = c + 2 * y * b1 - b2, b1
    return coeffs[0] + y * b1 - b2


def for_dtype(x, coeffs64, tol32: float = 1e-9):
    """The Chebyshev coefficients a float32 evaluation needs (trailing ones below tol32
    only cost operations)."""
    if is_f64(x):
        return coeffs64
    keep = max(i for i, c in enumerate(coeffs64) if abs(c) > tol32) + 1
    return coeffs64[:keep]


def safe(pred, x, fallback):
    """x where pred holds, else a harmless fallback: the inner half of the double-`where`
    that keeps nan out of the gradient of the branch not taken."""
    return jnp.where(pred, x, fallback)


def promote_dtypes_inexact(*args):
    """The arguments as arrays of one inexact dtype (integers and bools become the default
    float), their shapes untouched: JAX's promote_dtypes_inexact."""
    arrays = [jnp.asarray(a) for a in args]
    dt, _ = dtypes.result_type(*[(get_aval(a).dtype, get_aval(a).weak_type) for a in arrays])
    if dt.kind not in "fc":
        dt = dtypes.default_float()
    return [a if get_aval(a).dtype == dt else a.astype(dt) for a in arrays]
