"""The sort family: one variadic, stable sort along one dimension.

sort(*operands; dimension, is_stable, num_keys) reorders every operand (all of one shape)
by the same permutation: the one that sorts the first `num_keys` operands
lexicographically, ascending. The order on each key is NumPy's: -0.0 equals 0.0, NaN is
greater than everything (all NaNs last, equal to each other), complex numbers compare by
real part, then imaginary part. With is_stable, equal keys keep their input order.
Descending orders, argsort, top_k and friends are built on it (irax.lax, irax.numpy).

Differentiation: the outputs are a permutation of the inputs, the permutation a
piecewise-constant function of the keys. So each tangent output is its tangent input
gathered by the permutation (obtained by sorting an iota along with the operands); that
gather is linear, and reverse mode transposes it (into a scatter-add) with the rules of
the indexing family: sort itself needs no transpose rule."""
from __future__ import annotations

import numpy as np

from .. import core, dtypes
from ..batching import batch_rules, bdim_to_front
from ..core import Primitive, ShapedArray, get_aval
from ..jvp import Zero, jvp_rules
from .elementwise import add, mul
from .indexing import gather
from .shape import full, iota, reshape, transpose

sort_p = Primitive("sort", multiple_results=True)


def _sort_abstract(*operands: ShapedArray, dimension, is_stable, num_keys):
    if not operands:
        raise TypeError("sort requires at least one operand")
    shape = operands[0].shape
    for a in operands[1:]:
        if a.shape != shape:
            raise TypeError("sort requires all operands to have the same shape, got "
                            f"{', '.join(str(b.shape) for b in operands)}")
    if not 1 <= num_keys <= len(operands):
        raise ValueError(f"sort: num_keys={num_keys} must be between 1 and the number of "
                         f"operands ({len(operands)})")
    if len(shape) == 0:
        raise TypeError("sort requires operands of rank 1 or more, got a 0-d array")
    if not 0 <= dimension < len(shape):
        raise ValueError(f"sort: dimension {dimension} is out of bounds for operands of "
                         f"rank {len(shape)}")
    return list(operands)


def _key_columns(keys):
    """The keys as NumPy sorts them, complex ones split into real and imaginary parts."""
    cols = []
    for k in keys:
        if dtypes.kind(k.dtype) == "c":
            cols += [k.real, k.imag]
        else:
            cols.append(k)
    return cols


def _sort_impl(*operands, dimension, is_stable, num_keys):
    cols = _key_columns(operands[:num_keys])
    # np.lexsort: stable, last key primary; NumPy's float order puts NaN last and ties
    # -0.0 with 0.0, which is the order this primitive defines
    perm = np.lexsort(cols[::-1], axis=dimension)
    return [np.take_along_axis(x, perm, axis=dimension) for x in operands]


def sort(*operands, dimension: int, is_stable: bool = True, num_keys: int = 1):
    """Sort the operands together along `dimension` by the first `num_keys` of them."""
    return sort_p.bind(*operands, dimension=int(dimension), is_stable=bool(is_stable),
                       num_keys=int(num_keys))


def take_along_dimension(x, idx, dimension: int):
    """out[..., i, ...] = x[..., idx[..., i, ...], ...] along `dimension`. idx has x's
    shape except (possibly) along `dimension`; indices are in [0, n). One flat gather, so
    its transpose is one scatter-add."""
    xa, ia = get_aval(x), get_aval(idx)
    nd, n, m = xa.ndim, xa.shape[dimension], ia.shape[dimension]
    order = [d for d in range(nd) if d != dimension] + [dimension]
    rows = int(np.prod([xa.shape[d] for d in order[:-1]], dtype=np.int64))
    flat_idx = reshape(transpose(idx, order), (rows, m))
    offsets = mul(iota(ia.dtype, (rows, m), 0), full((rows, m), n, ia.dtype))
    flat_x = reshape(transpose(x, order), (rows * n,))
    out = reshape(gather(flat_x, add(flat_idx, offsets), 0), [ia.shape[d] for d in order])
    return transpose(out, tuple(int(i) for i in np.argsort(order)))


def _sort_jvp(primals, tangents, *, dimension, is_stable, num_keys):
    shape = get_aval(primals[0]).shape
    index_dtype = np.int32 if int(np.prod(shape, dtype=np.int64)) < 2 ** 31 else np.int64
    positions = iota(index_dtype, shape, dimension)
    *outs, perm = sort(*primals, positions, dimension=dimension, is_stable=is_stable,
                       num_keys=num_keys)
    tangents_out = [t if isinstance(t, Zero) else take_along_dimension(t, perm, dimension)
                    for t in tangents]
    return outs, tangents_out


def _sort_batch(axis_size, vals, dims, *, dimension, is_stable, num_keys):
    vals = [bdim_to_front(v, d, axis_size) for v, d in zip(vals, dims)]
    outs = sort(*vals, dimension=dimension + 1, is_stable=is_stable, num_keys=num_keys)
    return outs, [0] * len(outs)


# ---------------------------------------------------------------------------
# Registration

core.abstract_eval_rules[sort_p] = _sort_abstract
core.impl_rules[sort_p] = _sort_impl
jvp_rules[sort_p] = _sort_jvp
batch_rules[sort_p] = _sort_batch
