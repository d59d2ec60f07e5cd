"""Collectives over the named axes of vmap, as jax.lax: psum, pmean, pmax, pmin,
all_gather, axis_index, axis_size.

    irax.vmap(lambda x: x / irax.lax.psum(x, "i"), axis_name="i")(x)   # == x / x.sum(0)

Each takes a name (or, for psum/pmean/pmax/pmin, a tuple of names) bound by an enclosing
vmap(axis_name=...); an unbound name is a NameError, as JAX. The values may be pytrees.

Layering: user API over irax/tracer/prims/collectives.py (and irax.numpy for the
conversion of inputs and pmean's division).
"""
from __future__ import annotations

from typing import Any

from .. import numpy as jnp
from .. import tree_util
from ..tracer.batching import axis_env_size
from ..tracer.prims.collectives import (all_gather_p, axis_index_p, pmax_p, pmin_p, psum_p,
                                        unbound_axis_error)


def _names(axis_name: Any) -> tuple:
    return tuple(axis_name) if isinstance(axis_name, (tuple, list)) else (axis_name,)


def _one_name(axis_name: Any, what: str) -> tuple:
    names = _names(axis_name)
    if len(names) != 1:
        raise NotImplementedError(f"{what} over several axis names {names} is not "
                                  "implemented in irax; give one name")
    return names


def axis_size(axis_name: Any) -> int:
    """The size of the named vmap axis (the product over a tuple of names)."""
    size = 1
    for name in _names(axis_name):
        n = axis_env_size(name)
        if n is None:
            raise unbound_axis_error(name)
        size *= n
    return size


def _collective(prim, x: Any, axis_name: Any) -> Any:
    names = _names(axis_name)
    axis_size(names)   # NameError before anything is traced
    return tree_util.tree_map(lambda v: prim.bind(jnp.asarray(v), axis_name=names), x)


def psum(x: Any, axis_name: Any) -> Any:
    return _collective(psum_p, x, axis_name)


def pmax(x: Any, axis_name: Any) -> Any:
    return _collective(pmax_p, x, axis_name)


def pmin(x: Any, axis_name: Any) -> Any:
    return _collective(pmin_p, x, axis_name)


def pmean(x: Any, axis_name: Any) -> Any:
    n = axis_size(axis_name)
    return tree_util.tree_map(lambda v: jnp.true_divide(v, n), psum(x, axis_name))


def all_gather(x: Any, axis_name: Any, *, axis: int = 0, tiled: bool = False) -> Any:
    """Every example's x stacked along a new axis `axis` (concatenated along `axis` when
    tiled); the result is the same for every example."""
    names = _one_name(axis_name, "all_gather")
    axis_size(names)

    def gather(v):
        v = jnp.asarray(v)
        nd = v.ndim if not tiled else v.ndim - 1
        if not -(nd + 1) <= axis <= nd or (tiled and v.ndim == 0):
            raise ValueError(f"all_gather axis {axis} is out of bounds for an operand of "
                             f"rank {v.ndim}" + (" (tiled)" if tiled else ""))
        return all_gather_p.bind(v, axis_name=names, axis=axis % (nd + 1) if not tiled
                                 else axis % v.ndim, tiled=bool(tiled))
    return tree_util.tree_map(gather, x)


def axis_index(axis_name: Any) -> Any:
    """The int32 position of the current example along the named axis."""
    names = _one_name(axis_name, "axis_index")
    axis_size(names)
    return axis_index_p.bind(axis_name=names)
