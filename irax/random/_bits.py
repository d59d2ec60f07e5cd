"""Public bitwise operations in jax.lax's spelling (irax.lax re-exports them): operands
of one integer dtype; a Python int operand takes the other operand's dtype."""
from __future__ import annotations

import numpy as np

from .. import numpy as jnp
from ..tracer.core import Array, Tracer, get_aval
from ..tracer.prims import bits
from ..tracer.prims import elementwise as ew


def _operands(x, y):
    if isinstance(x, (int, bool)) and isinstance(y, (Array, Tracer, np.ndarray, np.generic)):
        y = jnp.asarray(y)
        x = jnp.asarray(x, dtype=get_aval(y).dtype)
    elif isinstance(y, (int, bool)):
        x = jnp.asarray(x)
        y = jnp.asarray(y, dtype=get_aval(x).dtype)
    x, y = jnp.asarray(x), jnp.asarray(y)
    ax, ay = get_aval(x), get_aval(y)
    if ax.shape != ay.shape:   # lax broadcasts only scalars (rank-0) implicitly
        if not ax.shape:
            x = jnp.broadcast_to(x, ay.shape)
        elif not ay.shape:
            y = jnp.broadcast_to(y, ax.shape)
    return x, y


def shift_left(x, y): return bits.shift_left(*_operands(x, y))
def shift_right_logical(x, y): return bits.shift_right_logical(*_operands(x, y))
def shift_right_arithmetic(x, y): return bits.shift_right_arithmetic(*_operands(x, y))
def bitwise_and(x, y): return ew.and_p.bind(*_operands(x, y))
def bitwise_or(x, y): return ew.or_p.bind(*_operands(x, y))
def bitwise_xor(x, y): return ew.xor_p.bind(*_operands(x, y))
def bitwise_not(x): return ew.not_p.bind(jnp.asarray(x))
def population_count(x): return bits.population_count(jnp.asarray(x))
def clz(x): return bits.clz(jnp.asarray(x))


def as_dtype(dtype) -> np.dtype:
    """np.float32, "float32", jnp.float32 or a dtype, as a dtype."""
    if isinstance(dtype, type) and issubclass(dtype, np.generic):
        return np.dtype(dtype)
    return np.dtype(getattr(dtype, "dtype", dtype))


def bitcast_convert_type(operand, new_dtype):
    new_dtype = as_dtype(new_dtype)
    return bits.bitcast_convert_type(jnp.asarray(operand), new_dtype)


LAX_NAMES = ["shift_left", "shift_right_logical", "shift_right_arithmetic", "bitwise_and",
             "bitwise_or", "bitwise_xor", "bitwise_not", "population_count", "clz",
             "bitcast_convert_type"]
