"""The optax-shaped core: a transformation is a pair of pure functions.

    init(params) -> state
    update(updates, state, params=None) -> (new_updates, new_state)

States are NamedTuples of arrays (pytrees), so jit, vmap and the AOT exporter
carry them like any other argument; step counters are int32 scalars.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from .. import numpy as jnp
from .. import tree_util

Schedule = Callable[[Any], Any]


class GradientTransformation(NamedTuple):
    init: Callable[[Any], Any]
    update: Callable[..., tuple[Any, Any]]


class EmptyState(NamedTuple):
    """The state of a transformation that keeps none."""


def init_empty_state(params) -> EmptyState:
    del params
    return EmptyState()


def identity() -> GradientTransformation:
    """Passes updates through unchanged."""
    return GradientTransformation(init_empty_state, lambda updates, state, params=None:
                                  (updates, state))


def chain(*transforms: GradientTransformation) -> GradientTransformation:
    """Applies `transforms` in order; the state is the tuple of their states."""
    init_fns = [t.init for t in transforms]
    update_fns = [t.update for t in transforms]

    def init(params):
        return tuple(fn(params) for fn in init_fns)

    def update(updates, state, params=None):
        if len(state) != len(update_fns):
            raise ValueError("The number of updates and states has to be the same in chain! "
                             "Make sure you have called init first!")
        new_state = []
        for fn, s in zip(update_fns, state):
            updates, s = fn(updates, s, params)
            new_state.append(s)
        return updates, tuple(new_state)

    return GradientTransformation(init, update)


def apply_updates(params, updates):
    """params + updates, leaf by leaf, each result in its parameter's dtype."""
    return tree_util.tree_map(lambda p, u: jnp.asarray(p + u).astype(jnp.asarray(p).dtype),
                              params, updates)


def global_norm(updates) -> Any:
    """sqrt of the sum of squares of every leaf: the L2 norm of the flattened pytree."""
    leaves = tree_util.tree_leaves(updates)
    if not leaves:
        return jnp.asarray(0.0)
    total = jnp.sum(jnp.square(jnp.abs(leaves[0])))
    for leaf in leaves[1:]:
        total = total + jnp.sum(jnp.square(jnp.abs(leaf)))
    return jnp.sqrt(total)


def safe_int32_increment(count):
    """count + 1, saturating at the int32 maximum instead of wrapping around."""
    count = jnp.asarray(count)
    top = np.iinfo(np.int32).max
    return jnp.where(count < top, count + 1, top).astype(count.dtype)


def zero_count():
    return jnp.zeros([], jnp.int32)


def tree_zeros_like(tree, dtype=None):
    return tree_util.tree_map(lambda x: jnp.zeros_like(x, dtype=dtype), tree)


def tree_full_like(tree, value):
    return tree_util.tree_map(lambda x: jnp.full_like(x, value), tree)


def tree_cast(tree, dtype):
    return tree if dtype is None else tree_util.tree_map(lambda x: x.astype(dtype), tree)
