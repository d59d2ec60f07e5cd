"""irax.scipy.integrate (as jax.scipy.integrate): trapezoid, the composite trapezoidal rule
(irax.numpy.trapezoid under SciPy's name)."""
from __future__ import annotations

from .. import numpy as jnp

__all__ = ["trapezoid"]


def trapezoid(y, x=None, dx=1.0, axis: int = -1):
    """The integral of y along axis by the trapezoidal rule, at sample points x (or evenly
    spaced dx apart when x is None), as scipy.integrate.trapezoid."""
    return jnp.trapezoid(y, x, dx, axis)
