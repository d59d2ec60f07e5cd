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


class ManualAxisType:
    """How a value varies over the manual (shard_map) mesh axes: the axes it varies over,
    and those it is unreduced / reduced over (disjoint from `varying`). Equal field sets
    give the same object, as JAX interns them."""
    __slots__ = ("varying", "unreduced", "reduced", "__weakref__")
    _interned: dict = {}

    def __new__(cls, *, varying=frozenset(), unreduced=frozenset(), reduced=frozenset()):
        varying, unreduced, reduced = (frozenset(varying), frozenset(unreduced),
                                       frozenset(reduced))
        for name, other in (("unreduced", unreduced), ("reduced", reduced)):
            if varying & other:
                raise ValueError(f"varying and {name} cannot have common mesh axes. Got "
                                 f"varying={varying} and {name}={other}")
        key = (varying, unreduced, reduced)
        obj = cls._interned.get(key)
        if obj is None:
            obj = object.__new__(cls)
            for slot, value in zip(("varying", "unreduced", "reduced"), key):
                object.__setattr__(obj, slot, value)
            cls._interned[key] = obj
        return obj

    def __setattr__(self, name, value):
        raise AttributeError(f"ManualAxisType is immutable (cannot set {name})")

    def update(self, **kwargs):
        fields = {"varying": self.varying, "unreduced": self.unreduced,
                  "reduced": self.reduced}
        fields.update(kwargs)
        return ManualAxisType(**fields)

    def __repr__(self) -> str:
        return (f"ManualAxisType(varying={self.varying}, unreduced={self.unreduced}, "
                f"reduced={self.reduced})")


__all__ += ["ManualAxisType"]
