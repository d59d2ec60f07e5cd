"""`irax.tree`: the short names of irax.tree_util's functions, as `jax.tree` has them
(`irax.tree.map(f, params)` is `irax.tree_util.tree_map(f, params)`)."""
from __future__ import annotations

import dataclasses

from .tree_util import (
    tree_all as all,
    tree_broadcast as broadcast,
    tree_flatten as flatten,
    tree_flatten_with_path as flatten_with_path,
    tree_leaves as leaves,
    tree_leaves_with_path as leaves_with_path,
    tree_map as map,
    tree_map_with_path as map_with_path,
    tree_reduce as reduce,
    tree_reduce_associative as reduce_associative,
    tree_structure as structure,
    tree_transpose as transpose,
    tree_unflatten as unflatten,
)



def static(**kwargs):
    """dataclasses.field(**kwargs) marked static (metadata {"static": True}): a field that
    tree_util.register_dataclass makes aux data, not a child."""
    kwargs["metadata"] = {**(kwargs.get("metadata") or {}), "static": True}
    return dataclasses.field(**kwargs)


__all__ = ["static", "all", "broadcast", "flatten", "flatten_with_path", "leaves", "leaves_with_path", "map",
           "map_with_path", "reduce", "reduce_associative", "structure", "transpose", "unflatten"]
