"""irax.sharding (as jax.sharding on one device): meshes, partition specs and shardings.

    mesh = irax.make_mesh((1,), ("x",))
    s = irax.sharding.NamedSharding(mesh, irax.P("x"))
    x = irax.device_put(x, s);  x.sharding          # NamedSharding(mesh=Mesh('x': 1, ...
    with irax.set_mesh(mesh): ...

irax computes on one device: these describe placements for JAX programs that name them,
and every placement puts the whole array on that device (see irax/tracer/sharding.py).
`reshard`, `auto_axes` and `explicit_axes` change no values.
"""
from __future__ import annotations

import functools
from typing import Any, Callable

from . import tree_util
from .tracer.core import Array, Tracer
from .tracer.sharding import (AbstractDevice, AbstractMesh, AxisType, Mesh,  # noqa: F401
                              NamedSharding, P, PartitionSpec, Sharding,
                              SingleDeviceSharding, as_sharding, get_abstract_mesh,
                              get_mesh, make_mesh, make_single_device_sharding, set_mesh,
                              use_abstract_mesh, with_sharding)

__all__ = ["Sharding", "NamedSharding", "SingleDeviceSharding", "PartitionSpec", "Mesh",
           "AbstractMesh", "AbstractDevice", "AxisType", "set_mesh", "get_mesh",
           "get_abstract_mesh", "use_abstract_mesh", "make_single_device_sharding",
           "reshard", "auto_axes", "explicit_axes"]


def reshard(xs: Any, out_shardings: Any) -> Any:
    """xs with the given shardings (a Sharding, a PartitionSpec under set_mesh, or a
    pytree prefix of them); the values are unchanged on one device."""
    leaves, tree = tree_util.tree_flatten(xs)
    if isinstance(out_shardings, (Sharding, PartitionSpec)) or out_shardings is None:
        shardings = [out_shardings] * len(leaves)
    else:
        shardings = tree_util.tree_leaves(
            tree_util.tree_broadcast(out_shardings, xs,
                                     is_leaf=lambda s: isinstance(s, (Sharding,
                                                                      PartitionSpec))))
    out = []
    for x, s in zip(leaves, shardings):
        s = as_sharding(s, "reshard")
        out.append(x if isinstance(x, Tracer) or not isinstance(x, Array)
                   else with_sharding(x, s))
    return tree_util.tree_unflatten(tree, out)


def _mode_switch(fun: Callable | None, **_: Any) -> Callable:
    # auto_axes / explicit_axes choose how the compiler may partition fun: one device
    if fun is None:
        return lambda f: _mode_switch(f)

    @functools.wraps(fun)
    def wrapped(*args: Any, out_sharding: Any = None, **kwargs: Any) -> Any:
        return fun(*args, **kwargs)
    return wrapped


def auto_axes(fun: Callable | None = None, *, axes: Any = None,
              out_sharding: Any = None) -> Callable:
    return _mode_switch(fun)


def explicit_axes(fun: Callable | None = None, *, axes: Any = None,
                  in_sharding: Any = None) -> Callable:
    return _mode_switch(fun)
