"""irax.lax's primitive-level operations (as jax.lax): thin wrappers over the primitives.

Layering: user API; imports the tracer's primitive families and irax.numpy (for argument
conversion: jnp.asarray).
"""
from __future__ import annotations

import numpy as np

from .. import numpy as jnp
from .. import tree_util
from ..tracer import dtypes
from ..tracer.core import get_aval
from ..tracer.prims import elementwise as ew
from ..tracer.prims import indexing as ix
from ..tracer.prims.indexing import GatherScatterMode  # noqa: F401
from ..tracer.prims import linalg as la
from ..tracer.prims import reduce as rd
from ..tracer.prims import shape as sh
from ..tracer.prims import slicing as sl

add, sub, mul, div = ew.add, ew.sub, ew.mul, ew.div
neg, sin, cos, exp, log, sqrt, tanh, sign = ew.neg, ew.sin, ew.cos, ew.exp, ew.log, ew.sqrt, ew.tanh, ew.sign
select = ew.select
integer_pow = ew.integer_pow
broadcast_in_dim = sh.broadcast_in_dim
reshape = sh.reshape
transpose = sh.transpose
squeeze = sh.squeeze
expand_dims = sh.expand_dims
concatenate = sh.concatenate
pad = sh.pad
rev = sh.rev


def iota(dtype, size):
    """[0, 1, ..., size - 1] of `dtype` (jax.lax.iota; broadcasted_iota for more axes)."""
    size = int(size)
    if size < 0:
        raise ValueError(f"iota: size must be nonnegative, got {size}")
    return sh.iota(dtype, (size,), 0)


dot_general = la.dot_general
reduce_sum = rd.reduce_sum
cumsum = rd.cumsum


def convert_element_type(x, new_dtype):
    """x as new_dtype: a NumPy dtype, a scalar type (np.int32, jnp.int32, float), or a name."""
    if not isinstance(new_dtype, (type, str, np.dtype)):
        new_dtype = getattr(new_dtype, "dtype", new_dtype)   # jnp.int32 and the like
    return ew.convert_element_type(jnp.asarray(x), dtypes.canonicalize(np.dtype(new_dtype)), False)


def real(x):
    return ew.real(x)


def imag(x):
    return ew.imag(x)


def conj(x):
    return ew.conj(x) if dtypes.kind(get_aval(x).dtype) == "c" else x


def complex(x, y):  # noqa: A001
    return ew.complex_(x, y)


def abs(x):  # noqa: A001
    return ew.abs_p.bind(x)


def slice(operand, start_indices, limit_indices, strides=None):  # noqa: A001
    return sh.slice_(operand, start_indices, limit_indices, strides)


def _slice_starts(operand, start_indices, sizes, name):
    """Start indices as JAX reads them: a negative start wraps once (start + n); the
    primitives clamp the start so that the whole window fits ([0, n - size]), as XLA's do
    (their impl, batching and lowering), so no clamp is written into the jaxpr (as JAX)."""
    shape = get_aval(operand).shape
    if len(start_indices) != len(shape):
        raise TypeError(f"{name}: {len(shape)} start indices needed for an operand of "
                        f"shape {shape}, got {len(start_indices)}")
    starts = [jnp.asarray(i) for i in start_indices]
    kinds = [get_aval(i).dtype for i in starts]
    # typed starts must agree (JAX's rule); weakly typed ones (Python ints) adapt to them
    typed = {get_aval(i).dtype for i in starts if not get_aval(i).weak_type}
    if any(k.kind not in "iu" for k in kinds) or len(typed) > 1:
        raise TypeError(f"index arguments to {name} must be integers of the same type, got: "
                        + ", ".join(k.name for k in kinds))
    del sizes
    return [ix.wrap_negative(i, n) for i, n in zip(starts, shape)]


def dynamic_slice(operand, start_indices, slice_sizes):
    operand = jnp.asarray(operand)
    sizes = tuple(int(s) for s in slice_sizes)
    if len(sizes) != get_aval(operand).ndim or any(
            not 0 <= s <= n for s, n in zip(sizes, get_aval(operand).shape)):
        raise TypeError(f"dynamic_slice: slice sizes {sizes} must be non-negative and fit "
                        f"operand shape {get_aval(operand).shape}")
    starts = _slice_starts(operand, list(start_indices), sizes, "dynamic_slice")
    return sl.dynamic_slice_p.bind(operand, *starts, slice_sizes=sizes)


def dynamic_update_slice(operand, update, start_indices):
    operand, update = jnp.asarray(operand), jnp.asarray(update)
    ua = get_aval(update)
    shape = get_aval(operand).shape
    if ua.ndim != len(shape) or any(u > n for u, n in zip(ua.shape, shape)):
        raise TypeError(f"dynamic_update_slice: update shape {ua.shape} does not fit "
                        f"operand shape {shape}")
    starts = _slice_starts(operand, list(start_indices), ua.shape, "dynamic_update_slice")
    return sl.dynamic_update_slice_p.bind(operand, update, *starts)


def dynamic_index_in_dim(operand, index, axis=0, keepdims=True):
    operand = jnp.asarray(operand)
    shape = get_aval(operand).shape
    axis = axis % len(shape)
    index = jnp.asarray(index)
    zero = np.zeros((), get_aval(index).dtype)
    starts = [index if d == axis else zero for d in range(len(shape))]
    out = dynamic_slice(operand, starts, [1 if d == axis else n for d, n in enumerate(shape)])
    return out if keepdims else sh.squeeze(out, (axis,))


def stop_gradient(x):

    def one(v):
        v = jnp.asarray(v)
        if dtypes.kind(get_aval(v).dtype) not in "fc":
            return v
        return ew.stop_gradient_p.bind(v)
    return tree_util.tree_map(one, x)


def max(x, y):  # noqa: A001
    return jnp.maximum(x, y)


def min(x, y):  # noqa: A001
    return jnp.minimum(x, y)


def clamp(min, x, max):  # noqa: A002  (jax.lax's parameter names)
    """min(max(x, min), max) as one `clamp` primitive (min and max scalars or x-shaped)."""
    x = jnp.asarray(x)
    dt = get_aval(x).dtype
    # Python scalars are weak: they take x's dtype; arrays must match it (as jax.lax)
    lo, hi = [jnp.asarray(b, dt) if isinstance(b, (bool, int, float)) else jnp.asarray(b)
              for b in (min, max)]
    return ew.clamp_p.bind(lo, x, hi)


def logistic(x):
    return ew.logistic_p.bind(x)


def erf(x):
    return ew.erf_p.bind(x)


def rsqrt(x):
    return ew.rsqrt_p.bind(x)
