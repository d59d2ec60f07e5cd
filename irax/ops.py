"""irax.ops (as jax.ops): segment_sum, segment_prod, segment_max, segment_min.

Each is a scatter of `data` along its leading axis into an array of num_segments rows that
starts at the reduction's identity (0, 1, -inf / the dtype's min, +inf / the dtype's max),
so a segment no id names keeps the identity, as in JAX. Segment ids are not wrapped: a
negative id or one >= num_segments is out of range, its row dropped (mode None / "drop" /
"fill" / "promise_in_bounds") or clamped into range (mode "clip").

Composed from irax's bounded scatter (irax.tracer.prims.indexing.scatter), whose rules give
jit, grad and vmap.
"""
from __future__ import annotations

import operator

import numpy as np

from . import numpy as jnp
from .numpy._core import check_arraylike
from .tracer import core
from .tracer.core import get_aval
from .tracer.prims import indexing as ix

__all__ = ["segment_max", "segment_min", "segment_prod", "segment_sum"]

_REDUCERS = {"add": jnp.sum, "mul": jnp.prod, "max": jnp.max, "min": jnp.min}


def _identity(combine: str, dtype: np.dtype):
    if combine == "add":
        return 0
    if combine == "mul":
        return 1
    if dtype == np.bool_:
        return combine == "min"                 # min is `and` (True), max is `or` (False)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return info.max if combine == "min" else info.min
    return float("inf") if combine == "min" else -float("inf")


def _static_count(value, what: str) -> int:
    concrete = core.concrete_or_none(value)
    if concrete is None:
        raise core.ConcretizationTypeError(
            f"{what} must be concrete: the output shape depends on it. Under jit pass "
            "num_segments as a static argument (a Python int).")
    return operator.index(concrete.item() if isinstance(concrete, np.ndarray) else concrete)


def _segment(name: str, combine: str, data, segment_ids, num_segments, unique_indices,
             bucket_size, mode):
    check_arraylike(name, data, segment_ids)
    data, segment_ids = jnp.asarray(data), jnp.asarray(segment_ids)
    ida = get_aval(segment_ids)
    if ida.dtype.kind not in "iu":
        raise TypeError(f"{name}: segment_ids must be integers, got {ida.dtype.name}")
    da = get_aval(data)
    if da.ndim == 0:
        raise TypeError(f"{name}: data must have at least one dimension, got a scalar")
    if num_segments is None:
        ids = core.concrete_or_none(segment_ids)
        if ids is None:
            raise core.ConcretizationTypeError(
                f"{name}() with traced segment_ids needs a static `num_segments`: the "
                "output shape is max(segment_ids) + 1 otherwise.")
        num_segments = int(np.max(ids)) + 1 if ids.size else 0
    num_segments = _static_count(num_segments, f"{name}() `num_segments` argument")
    if num_segments < 0:
        raise ValueError("num_segments must be non-negative.")
    clip = ix.GatherScatterMode.from_any(mode) == ix.GatherScatterMode.CLIP
    if ix.GatherScatterMode.from_any(mode) == ix.GatherScatterMode.ONE_HOT:
        raise NotImplementedError(f"{name}: mode 'one_hot' is not supported")
    scatter_mode = "clip" if clip else "drop"
    dtype, rest = da.dtype, da.shape[1:]
    ident = _identity(combine, dtype)
    if bucket_size is None:
        out = jnp.full((num_segments,) + rest, ident, dtype=dtype)
        return ix.scatter(out, segment_ids, data, 0, combine, scatter_mode,
                          unique_indices=unique_indices)
    # Buckets of bucket_size consecutive rows reduce separately (for accuracy of long sums
    # and products), then the buckets reduce. Row r goes to flat slot
    # bucket(r) * num_segments + id; an out-of-range id must stay out of range there
    # instead of landing in a neighbouring bucket.
    n = ida.shape[0] if ida.ndim else 1
    num_buckets = -(-n // int(bucket_size))
    segment_ids = segment_ids.astype(np.int32)      # signed: room for the out-of-range id
    bucket = jnp.arange(n, dtype=np.int32) // int(bucket_size)
    if clip:
        ids = jnp.clip(segment_ids, 0, max(num_segments - 1, 0))
    else:
        valid = (segment_ids >= 0) & (segment_ids < num_segments)
        ids = jnp.where(valid, segment_ids, -1 - num_buckets * num_segments)
    flat_ids = bucket * num_segments + ids
    out = jnp.full((num_buckets * num_segments,) + rest, ident, dtype=dtype)
    out = ix.scatter(out, flat_ids, data, 0, combine, "drop")
    out = out.reshape((num_buckets, num_segments) + rest)
    return _REDUCERS[combine](out, axis=0).astype(dtype)


def segment_sum(data, segment_ids, num_segments=None, indices_are_sorted=False,
                unique_indices=False, bucket_size=None, mode=None, out_sharding=None):
    """Sum of the rows of `data` in each segment: out[s] = sum of data[i] with
    segment_ids[i] == s; shape (num_segments,) + data.shape[1:]."""
    return _segment("segment_sum", "add", data, segment_ids, num_segments, unique_indices,
                    bucket_size, mode)


def segment_prod(data, segment_ids, num_segments=None, indices_are_sorted=False,
                 unique_indices=False, bucket_size=None, mode=None, out_sharding=None):
    """Product of the rows of `data` in each segment (1 for an empty segment)."""
    return _segment("segment_prod", "mul", data, segment_ids, num_segments, unique_indices,
                    bucket_size, mode)


def segment_max(data, segment_ids, num_segments=None, indices_are_sorted=False,
                unique_indices=False, bucket_size=None, mode=None, out_sharding=None):
    """Maximum of the rows of `data` in each segment (-inf or the dtype's min if empty)."""
    return _segment("segment_max", "max", data, segment_ids, num_segments, unique_indices,
                    bucket_size, mode)


def segment_min(data, segment_ids, num_segments=None, indices_are_sorted=False,
                unique_indices=False, bucket_size=None, mode=None, out_sharding=None):
    """Minimum of the rows of `data` in each segment (+inf or the dtype's max if empty)."""
    return _segment("segment_min", "min", data, segment_ids, num_segments, unique_indices,
                    bucket_size, mode)
