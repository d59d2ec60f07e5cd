"""irax.custom_batching: JAX's `jax.custom_batching` module.

    custom_vmap(f); f.def_vmap(rule)   # rule(axis_size, in_batched, *args) -> (out, out_batched)
    sequential_vmap(f)                 # under vmap, f runs once per example (lax.map)

custom_vmap lives in irax.tracer.custom_vmap (with its primitive, custom_vmap_call).
Beyond JAX: reverse mode (grad/vjp) of a custom_vmap function differentiates the function
itself, where JAX raises.
"""
from __future__ import annotations

from typing import Any, Callable

from . import tree_util
from .lax import map as lax_map
from .tracer.custom_vmap import custom_vmap

__all__ = ["custom_vmap", "sequential_vmap"]


def sequential_vmap(f: Callable[..., Any]) -> custom_vmap:
    """f as a custom_vmap function whose vmap is a loop over the batch (lax.map): for
    functions that have no batched form. Unbatched arguments are passed to every call."""
    f = custom_vmap(f)

    @f.def_vmap
    def rule(axis_size, in_batched, *args):
        del axis_size
        args = list(args)
        # the batched arguments are mapped over; the others (None here) are closed over
        mapped = tree_util.tree_map(lambda b, x: x if b else None, in_batched, args)

        def one(mapped_args):
            call_args = tree_util.tree_map(lambda b, m, x: m if b else x, in_batched,
                                           mapped_args, args)
            return f(*call_args)
        out = lax_map(one, mapped)
        return out, tree_util.tree_map(lambda _: True, out)
    return f
