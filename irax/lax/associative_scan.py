"""irax.lax.associative_scan (as jax.lax): a parallel prefix scan by odd/even recursion.

Pairs of neighbours are combined, the half-length result is scanned recursively, and the
even positions are filled in from it; depth is O(log n). Pure composition of slices, pads and
`fn`, so it works under jit, grad and vmap.

Layering: user API; imports irax.tree_util, irax.numpy and .ops.
"""
from __future__ import annotations

from .. import numpy as jnp
from .. import tree_util
from . import ops


def _slice_axis(x, start, stop, step, axis):
    n = x.shape[axis]
    start_i, limit, strides = [0] * x.ndim, list(x.shape), [1] * x.ndim
    start_i[axis] = start
    limit[axis] = n + stop if stop is not None and stop < 0 else (n if stop is None else stop)
    limit[axis] = max(limit[axis], start)
    strides[axis] = step
    return ops.slice(x, start_i, limit, strides)


def _interleave(a, b, axis):
    """Elements of a at even and of b at odd positions along axis (len(a) - len(b) is 0 or 1)."""
    assert a.shape[axis] in (b.shape[axis], b.shape[axis] + 1)
    extra = 1 if a.shape[axis] == b.shape[axis] else 0
    cfg_a = [(0, 0, 0)] * a.ndim
    cfg_b = [(0, 0, 0)] * b.ndim
    cfg_a[axis] = (0, extra, 1)
    cfg_b[axis] = (1, 0 if extra else 1, 1)
    zero = jnp.zeros((), a.dtype)
    pa, pb = ops.pad(a, zero, cfg_a), ops.pad(b.astype(a.dtype), zero, cfg_b)
    return jnp.bitwise_or(pa, pb) if a.dtype == bool else ops.add(pa, pb)


def associative_scan(fn, elems, reverse=False, axis=0):
    """Inclusive scan of `elems` (a pytree of arrays) along `axis` with associative `fn`."""
    if not callable(fn):
        raise TypeError("lax.associative_scan: fn argument should be callable.")
    flat, tree = tree_util.tree_flatten(elems)
    if not flat:
        return elems
    flat = [jnp.asarray(e) for e in flat]
    ndim = flat[0].ndim
    if not -ndim <= axis < ndim:
        raise ValueError(f"associative_scan: axis {axis} is out of bounds for rank {ndim}")
    axis = axis % ndim
    n = flat[0].shape[axis]
    if not all(e.ndim > axis and e.shape[axis] == n for e in flat[1:]):
        raise ValueError("Array inputs to associative_scan must have the same first dimension. "
                         f"(saw: {[e.shape for e in flat]})")
    if reverse:
        flat = [ops.rev(e, (axis,)) for e in flat]

    def combine(a, b):
        out = fn(tree_util.tree_unflatten(tree, a), tree_util.tree_unflatten(tree, b))
        out_flat, out_tree = tree_util.tree_flatten(out)
        if out_tree != tree:
            raise TypeError("associative_scan: fn must return the structure of its inputs, "
                            f"got {out_tree} for {tree}")
        return [jnp.asarray(o) for o in out_flat]

    def scan(xs):
        m = xs[0].shape[axis]
        if m < 2:
            return xs
        pairs = combine([_slice_axis(x, 0, -1, 2, axis) for x in xs],
                        [_slice_axis(x, 1, None, 2, axis) for x in xs])
        odd = scan(pairs)  # prefix results at positions 1, 3, 5, ...
        rest = [_slice_axis(x, 2, None, 2, axis) for x in xs]
        if m % 2 == 0:
            even = combine([_slice_axis(o, 0, -1, 1, axis) for o in odd], rest)
        else:
            even = combine(odd, rest)
        even = [ops.concatenate([_slice_axis(x, 0, 1, 1, axis), e], axis)
                for x, e in zip(xs, even)]
        return [_interleave(e, o, axis) for e, o in zip(even, odd)]

    out = scan(flat)
    if reverse:
        out = [ops.rev(o, (axis,)) for o in out]
    return tree_util.tree_unflatten(tree, out)
