"""Stable sorting by keys and top-k, for shuffles, permutations and choice without
replacement: one sort primitive each (irax/tracer/prims/sort.py, stablehlo.sort)."""
from __future__ import annotations

from ..lax.sorting import top_k
from ..tracer.prims.sort import sort


def sort_by_keys(keys, values, axis: int):
    """values reordered along axis as a stable sort of keys (same shape) would."""
    return sort(keys, values, dimension=axis, is_stable=True, num_keys=1)[1]


def top_k_indices(x, k: int):
    """Indices of the k largest entries along the last axis, largest first (ties: lower
    index first), as lax.top_k's second output."""
    return top_k(x, k)[1]
