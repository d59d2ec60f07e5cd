"""Stable sorting by keys, for shuffles and top-k.

With the sort primitive family (irax/tracer/prims/sort.py, stablehlo.sort) this is one
stable sort. Without it, stable ranking by pairwise comparison gives the same
permutation (a stable sort's permutation is fixed by the keys alone) at O(n^2) memory
along the sorted axis."""
from __future__ import annotations

from .. import numpy as jnp
from ..tracer.core import get_aval

try:
    from ..tracer.prims.sort import sort as _sort_primitive
except ImportError:   # the sort family is merged separately; the fallback below is exact
    _sort_primitive = None


def _gather_by_rank(values, rank, k: int):
    """out[..., r] = values[..., i] where rank[..., i] == r, for r < k."""
    n = get_aval(rank).shape[-1]
    source = jnp.arange(n)
    hit = rank[..., None, :] == jnp.arange(k)[:, None]          # (..., r, i)
    if values is None:
        return jnp.sum(jnp.where(hit, source, 0), axis=-1)
    # exactly one hit per output slot, so this sum is exact for any dtype
    return jnp.sum(jnp.where(hit, jnp.expand_dims(values, -2), jnp.zeros((), values.dtype)),
                   axis=-1).astype(values.dtype)


def _stable_rank(keys, descending: bool = False):
    n = get_aval(keys).shape[-1]
    ki, kj = keys[..., :, None], keys[..., None, :]
    idx = jnp.arange(n)
    earlier = idx[None, :] < idx[:, None]                        # j < i
    ahead = (kj > ki) if descending else (kj < ki)
    before = ahead | ((kj == ki) & earlier)
    return jnp.sum(before.astype("int32"), axis=-1)


def sort_by_keys(keys, values, axis: int):
    """values reordered along axis as a stable sort of keys (same shape) would."""
    if _sort_primitive is not None:
        return _sort_primitive(keys, values, dimension=axis, is_stable=True, num_keys=1)[1]
    k = jnp.moveaxis(keys, axis, -1)
    v = jnp.moveaxis(values, axis, -1)
    n = get_aval(k).shape[-1]
    out = _gather_by_rank(v, _stable_rank(k), n)
    return jnp.moveaxis(out, -1, axis)


def top_k_indices(x, k: int):
    """Indices of the k largest entries along the last axis, largest first (ties: lower
    index first), as lax.top_k's second output."""
    return _gather_by_rank(None, _stable_rank(x, descending=True), k)
