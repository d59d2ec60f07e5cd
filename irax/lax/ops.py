"""irax.lax's primitive-level operations (as jax.lax): thin wrappers over the primitives.

Layering: user API; imports the tracer's primitive families and irax.numpy (for argument
conversion: jnp.asarray).
"""
from __future__ import annotations

import numpy as np

from .. import numpy as jnp
from .. import tree_util
from ..tracer.core import get_aval
from ..tracer.prims import elementwise as ew
from ..tracer.prims import indexing as ix
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
iota = sh.iota
dot_general = la.dot_general
reduce_sum = rd.reduce_sum
cumsum = rd.cumsum


def convert_element_type(x, new_dtype):
    return ew.convert_element_type(x, np.dtype(getattr(new_dtype, "dtype", new_dtype)), False)


def slice(operand, start_indices, limit_indices, strides=None):  # noqa: A001
    return sh.slice_(operand, start_indices, limit_indices, strides)


def dynamic_slice(operand, start_indices, slice_sizes):
    idx = [jnp.asarray(i) for i in start_indices]
    return sl.dynamic_slice_p.bind(operand, *idx, slice_sizes=tuple(int(s) for s in slice_sizes))


def dynamic_update_slice(operand, update, start_indices):
    idx = [jnp.asarray(i) for i in start_indices]
    return sl.dynamic_update_slice_p.bind(operand, update, *idx)


def dynamic_index_in_dim(operand, index, axis=0, keepdims=True):
    out = ix.gather(operand, jnp.asarray(index), axis)
    return sh.expand_dims(out, (axis,)) if keepdims else out


def stop_gradient(x):

    def one(v):
        v = jnp.asarray(v)
        if get_aval(v).dtype.kind not in "fc":
            return v
        return ew.stop_gradient_p.bind(v)
    return tree_util.tree_map(one, x)


def max(x, y):  # noqa: A001
    return jnp.maximum(x, y)


def min(x, y):  # noqa: A001
    return jnp.minimum(x, y)


def clamp(lo, x, hi):
    return jnp.clip(x, lo, hi)


def logistic(x):
    return ew.logistic_p.bind(x)


def erf(x):
    return ew.erf_p.bind(x)


def rsqrt(x):
    return ew.rsqrt_p.bind(x)
