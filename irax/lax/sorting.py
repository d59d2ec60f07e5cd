"""irax.lax sorting (as jax.lax): sort (several operands, num_keys), sort_key_val, top_k.

All three bind the sort primitive (irax/tracer/prims/sort.py): lexicographic, ascending,
NaN after every number and -0.0 equal to 0.0; stable unless is_stable=False."""
from __future__ import annotations

import operator

import numpy as np

from .. import numpy as jnp
from ..tracer import dtypes
from ..tracer.core import get_aval
from ..tracer.prims import bits
from ..tracer.prims import elementwise as ew
from ..tracer.prims import shape as sh
from ..tracer.prims import sort as so


def _dimension(dimension, ndim: int, name: str) -> int:
    d = operator.index(dimension)
    if not -ndim <= d < ndim:
        raise ValueError(f"{name}: dimension {d} is out of bounds for operands of rank {ndim}")
    return d % ndim


def sort(operand, dimension: int = -1, is_stable: bool = True, num_keys: int = 1):
    """Sort one array, or a sequence of equally shaped arrays together (by the first
    num_keys of them, lexicographically) along `dimension`. A sequence in gives a tuple
    out."""
    single = not isinstance(operand, (list, tuple))
    operands = [jnp.asarray(operand)] if single else [jnp.asarray(x) for x in operand]
    if not operands:
        raise TypeError("sort requires at least one operand")
    num_keys = operator.index(num_keys)
    if not 1 <= num_keys <= len(operands):
        raise ValueError(f"num_keys={num_keys} must be at least 1 and at most the number of "
                         f"operands ({len(operands)})")
    d = _dimension(dimension, get_aval(operands[0]).ndim, "sort")
    outs = so.sort(*operands, dimension=d, is_stable=is_stable, num_keys=num_keys)
    return outs[0] if single else tuple(outs)


def sort_key_val(keys, values, dimension: int = -1, is_stable: bool = True):
    """(keys sorted, values reordered by the same permutation) along `dimension`."""
    k, v = sort((keys, values), dimension, is_stable, num_keys=1)
    return k, v


def _total_order_key(x):
    """An integer key whose signed order is the IEEE total order of the floats x:
    -NaN < -inf < ... < -0.0 < 0.0 < ... < inf < NaN (what lax.top_k compares by)."""
    dt = get_aval(x).dtype
    if dtypes.kind(dt) != "f":
        return x
    idt = np.dtype(f"i{dt.itemsize}")
    i = bits.bitcast_convert_type(x, idt)
    shape = get_aval(x).shape
    sign_fill = bits.shift_right_arithmetic(i, sh.full(shape, dt.itemsize * 8 - 1, idt))
    magnitude = sh.full(shape, np.iinfo(idt).max, idt)
    # negative floats: flip the magnitude bits, so a larger magnitude orders lower
    return ew.xor_p.bind(i, ew.and_p.bind(sign_fill, magnitude))


def top_k(operand, k: int, *, axis: int = -1):
    """(values, indices) of the k largest entries along `axis`, largest first; equal
    entries in index order. Floats compare in the IEEE total order, as lax.top_k does
    (NaN above inf, 0.0 above -0.0, -NaN lowest)."""
    x = jnp.asarray(operand)
    xa = get_aval(x)
    if dtypes.kind(xa.dtype) == "c":
        raise TypeError("top_k does not accept complex operands")
    if xa.ndim == 0:
        raise TypeError("top_k operand must have rank >= 1")
    d = _dimension(axis, xa.ndim, "top_k")
    k = operator.index(k)
    n = xa.shape[d]
    if k < 0:
        raise ValueError(f"k argument to top_k must be nonnegative, got {k}")
    if k > n:
        raise ValueError(f"k argument to top_k must be no larger than the operand's size "
                         f"along axis {d} ({n}), got {k}")
    positions = sh.iota(np.dtype(np.int32), xa.shape, d)
    operands = [x, positions]
    if dtypes.kind(xa.dtype) == "f":
        operands.insert(0, _total_order_key(x))
    # descending and stable: sort the reversed operands ascending, keep the last k, and
    # reverse them back (equal keys then come out in their input order)
    values, indices = so.sort(*[sh.rev(v, (d,)) for v in operands], dimension=d,
                              num_keys=1)[-2:]
    start = [0] * xa.ndim
    start[d] = n - k
    values = sh.rev(sh.slice_(values, start, xa.shape), (d,))
    indices = sh.rev(sh.slice_(indices, start, xa.shape), (d,))
    return values, indices


__all__ = ["sort", "sort_key_val", "top_k"]
