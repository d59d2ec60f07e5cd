"""irax: JAX-style autodiff compiled through StableHLO and IREE."""
from __future__ import annotations

from .tracer import core as _core
from .tracer.dtypes import config
from .tracer.core import Array, ConcretizationTypeError, UnexpectedTracerError
from .tracer.api import (jvp, linearize, vjp, grad, value_and_grad, jacfwd, jacrev, hessian,
                         vmap, make_jaxpr)
from .tracer.custom import custom_jvp, custom_vjp
from . import tree_util, numpy, lax, nn  # noqa: F401

__version__ = "0.1.0"


class ShapeDtypeStruct:
    """An abstract argument: a shape and a dtype, no data."""

    def __init__(self, shape, dtype):
        import numpy as _np
        self.shape = tuple(shape)
        self.dtype = _np.dtype(getattr(dtype, "dtype", dtype))

    def __repr__(self) -> str:
        return f"ShapeDtypeStruct(shape={self.shape}, dtype={self.dtype.name})"

    def __eq__(self, other) -> bool:
        return isinstance(other, ShapeDtypeStruct) and (self.shape, self.dtype) == \
            (other.shape, other.dtype)

    def __hash__(self) -> int:
        return hash((self.shape, self.dtype))


def device_get(x):
    import numpy as _np
    return tree_util.tree_map(lambda v: _np.asarray(v), x)


def block_until_ready(x):
    return x
