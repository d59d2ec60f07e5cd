"""More collectives over the named axes of vmap (and irax.pmap), as jax.lax: psum_scatter,
all_to_all, ppermute, pshuffle, pswapaxes, pbroadcast.

    irax.vmap(lambda x: irax.lax.ppermute(x, "i", [(0, 1), (1, 2), (2, 0)]), axis_name="i")

Each is composed from the collective primitives irax already has (psum, all_gather,
axis_index) and ordinary indexing, so jvp, grad, jit and nesting under other vmaps come from
those primitives' rules: an example gathers what every example holds, then selects its own
part by its axis_index. One axis name per call (a tuple of several names is
NotImplementedError); axis_index_groups is not supported (as under JAX's vmap).

ppermute fills the destinations no pair names with zeros, as JAX documents (JAX's own vmap
rule asserts a full permutation). pbroadcast copies the value of example `source`.

Layering: user API over .parallel (and irax.numpy / .array_ops for the indexing).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import numpy as jnp
from .. import tree_util
from .array_ops import dynamic_slice_in_dim
from .ops import dynamic_index_in_dim
from .parallel import _one_name, all_gather, axis_index, axis_size, psum

__all__ = ["psum_scatter", "all_to_all", "ppermute", "pshuffle", "pswapaxes", "pbroadcast"]


def _size(axis_name: Any, what: str, axis_index_groups: Any = None) -> int:
    if axis_index_groups is not None:
        raise NotImplementedError(f"{what}: axis_index_groups is not supported in irax")
    _one_name(axis_name, what)
    return axis_size(axis_name)


def _axis(axis: int, ndim: int, what: str, name: str) -> int:
    axis = int(axis)
    if not -ndim <= axis < ndim:
        raise ValueError(f"{what} {name}={axis} is out of bounds for an operand of rank {ndim}")
    return axis % ndim


def psum_scatter(x, axis_name, *, scatter_dimension=0, axis_index_groups=None, tiled=False):
    """The psum of x, of which example k keeps slot k of `scatter_dimension` (that dimension
    removed), or when tiled the k-th of n equal chunks along it."""
    n = _size(axis_name, "psum_scatter", axis_index_groups)

    def one(v):
        v = jnp.asarray(v)
        d = _axis(scatter_dimension, v.ndim, "psum_scatter", "scatter_dimension")
        size = v.shape[d]
        if tiled and size % n:
            raise ValueError(f"tiled reduce_scatter operand scatter dimension size {size} "
                             f"must be divisible by shard_count {n}")
        if not tiled and size != n:
            raise ValueError(f"reduce_scatter operand scatter dimension size {size} must "
                             f"match shard count {n}")
        total, k = psum(v, axis_name), axis_index(axis_name)
        if tiled:
            return dynamic_slice_in_dim(total, k * (size // n), size // n, axis=d)
        return dynamic_index_in_dim(total, k, axis=d, keepdims=False)
    return tree_util.tree_map(one, x)


def all_to_all(x, axis_name, split_axis, concat_axis, *, axis_index_groups=None, tiled=False):
    """Example k sends part j of its `split_axis` to example j and stacks what it receives
    (ordered by sender) along `concat_axis`. Not tiled: split_axis has the axis size and is
    replaced by a new sender axis at `concat_axis` (a position in the result); tiled:
    split_axis shrinks n-fold and concat_axis grows n-fold."""
    n = _size(axis_name, "all_to_all", axis_index_groups)

    def one(v):
        v = jnp.asarray(v)
        s = _axis(split_axis, v.ndim, "all_to_all", "split_axis")
        size = v.shape[s]
        if tiled and size % n:
            raise ValueError(f"The size of all_to_all split_axis ({size}) has to be "
                             f"divisible by the size of the named axis {axis_name} ({n})")
        if not tiled and size != n:
            raise ValueError("all_to_all requires the size of the mapped axis axis_name to "
                             "equal x.shape[split_axis], but they are "
                             f"{n} and {size} respectively.")
        c = _axis(concat_axis, v.ndim, "all_to_all", "concat_axis")   # a result position
        every = all_gather(v, axis_name)          # (sender, *v.shape)
        k = axis_index(axis_name)
        if tiled:
            mine = dynamic_slice_in_dim(every, k * (size // n), size // n, axis=s + 1)
            mine = jnp.moveaxis(mine, 0, c)       # sender axis just before concat data
            shape = list(mine.shape)
            return mine.reshape(shape[:c] + [shape[c] * shape[c + 1]] + shape[c + 2:])
        mine = dynamic_index_in_dim(every, k, axis=s + 1, keepdims=False)
        return jnp.moveaxis(mine, 0, c)
    return tree_util.tree_map(one, x)


def pswapaxes(x, axis_name, axis, *, axis_index_groups=None):
    """Swaps the named axis with positional `axis` (whose size must be the axis size):
    all_to_all(x, axis_name, axis, axis)."""
    return all_to_all(x, axis_name, axis, axis, axis_index_groups=axis_index_groups)


def _sources(perm, n: int) -> np.ndarray:
    """source_of[dst] for each destination, -1 where no pair sends there."""
    pairs = [(int(a), int(b)) for a, b in perm]
    for a, b in pairs:
        if not (-n <= a < n and -n <= b < n):
            raise ValueError(f"ppermute perm indices must be in [0, {n}) for an axis of size "
                             f"{n}, got {perm}")
    srcs, dsts = [a % n for a, _ in pairs], [b % n for _, b in pairs]
    if len(set(srcs)) != len(srcs) or len(set(dsts)) != len(dsts):
        raise ValueError(f"ppermute sources and destinations must be unique, got {perm}.")
    source_of = np.full(n, -1, np.int32)
    source_of[dsts] = srcs
    return source_of


def ppermute(x, axis_name, perm):
    """Example dst receives example src's x for each (src, dst) pair of `perm`; examples no
    pair sends to receive zeros."""
    n = _size(axis_name, "ppermute")
    source_of = _sources(perm, n)

    def one(v):
        v = jnp.asarray(v)
        src = jnp.asarray(source_of)[axis_index(axis_name)]
        got = dynamic_index_in_dim(all_gather(v, axis_name), jnp.maximum(src, 0), axis=0,
                                   keepdims=False)
        if (source_of >= 0).all():
            return got
        return jnp.where(src >= 0, got, jnp.zeros_like(got))
    return tree_util.tree_map(one, x)


def pshuffle(x, axis_name, perm):
    """Example i receives example perm[i]'s x; perm must be a permutation of range(n)."""
    perm = [int(p) for p in perm]
    if set(perm) != set(range(len(perm))):
        raise ValueError(f"`perm` does not represent a permutation: {perm}")
    return ppermute(x, axis_name, list(zip(perm, range(len(perm)))))


def pbroadcast(x, axis_name, source):
    """Every example receives example `source`'s x."""
    n = _size(axis_name, "pbroadcast")
    source = int(source)
    if not 0 <= source < n:
        raise ValueError(f"pbroadcast source {source} is out of range for an axis of size {n}")
    return tree_util.tree_map(
        lambda v: all_gather(jnp.asarray(v), axis_name)[source], x)


_PCAST_TO = ("varying", "unreduced", "reduced")


def pcast(x, axis_name, *, to: str):
    """x unchanged: JAX's pcast changes only the type-level record of how a value varies
    over shard_map's manual axes, which irax (one device, no shard_map types) does not
    keep. The arguments are checked as JAX checks them."""
    if isinstance(axis_name, (set, frozenset)):
        raise TypeError(f"axis_name={axis_name!r} must be a tuple or a str. Got {axis_name}")
    if not axis_name:
        return x
    if to not in _PCAST_TO:
        raise ValueError("Got unexpected `to` value. Allowed `to` values are: "
                         f"{set(_PCAST_TO)}")
    return x


__all__ += ["pcast"]
