"""lax.map (as jax.lax.map): a function applied over the leading axis, as a scan, or in
vmapped chunks of batch_size.

Layering: user API; imports the tracer, irax.numpy and irax.lax's control flow.
"""
from __future__ import annotations

from typing import Any, Callable

from .. import numpy as jnp
from .. import tree_util
from ..tracer.api import vmap
from ..tracer.core import get_aval
from .control_flow import scan
from .util import flatten_arrays


def map(f: Callable, xs: Any, *, batch_size: int | None = None) -> Any:  # noqa: A001
    """stack([f(x) for x in xs]) over the leading axis of (a pytree of) xs, traced once.
    batch_size: run vmap(f) on chunks of that many elements (the remainder in a final
    vmap); batch_size=0 is one vmap over everything."""
    if batch_size is None:
        _, ys = scan(lambda _, x: ((), f(x)), (), xs)
        return ys
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 0:
        raise TypeError(f"lax.map batch_size must be a non-negative int, got {batch_size!r}")
    leaves, tree = flatten_arrays(xs, "lax.map xs")
    if not leaves:
        raise ValueError("lax.map needs xs with at least one array to map over")
    n = get_aval(leaves[0]).shape[0]
    n_batches, rest = (0, n) if batch_size == 0 else divmod(n, batch_size)
    done = n_batches * batch_size
    parts = []
    if n_batches:
        chunks = [jnp.reshape(x[:done], (n_batches, batch_size, *get_aval(x).shape[1:]))
                  for x in leaves]
        _, ys = scan(lambda _, c: ((), vmap(f)(c)), (),
                     tree_util.tree_unflatten(tree, chunks))
        parts.append(tree_util.tree_map(
            lambda y: jnp.reshape(y, (done, *get_aval(y).shape[2:])), ys))
    if rest:
        tail = tree_util.tree_unflatten(tree, [x[done:] for x in leaves])
        parts.append(vmap(f)(tail))
    if len(parts) == 1:
        return parts[0]
    return tree_util.tree_map(lambda a, b: jnp.concatenate([a, b], axis=0), *parts)
