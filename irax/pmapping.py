"""irax.pmap (irax/pmapping.py): jax.pmap's interface on one device, as jit(vmap(f, axis_name=...)).

JAX's pmap needs one device per mapped element (on a 1-CPU machine it refuses an axis of
size 2); irax maps any size onto its one device, with the collectives (lax.psum, pmean,
all_gather, axis_index, ...) over `axis_name` as vmap runs them. Outputs are ordinary
arrays with the mapped axis at out_axes.
"""
from __future__ import annotations

import operator
from typing import Any, Callable

from .jit import jit
from .tracer.api import vmap


def pmap(fun: Callable, axis_name: Any = None, *, in_axes: Any = 0, out_axes: Any = 0,
         static_broadcasted_argnums: int | tuple[int, ...] = (), devices: Any = None,
         backend: str | None = None, axis_size: int | None = None,
         donate_argnums: int | tuple[int, ...] = (), global_arg_shapes: Any = None) -> Callable:
    del devices, backend, donate_argnums, global_arg_shapes   # one device; nothing to donate
    static = ((static_broadcasted_argnums,) if isinstance(static_broadcasted_argnums, int)
              else tuple(operator.index(i) for i in static_broadcasted_argnums))

    def mapped(*args):
        static_set = {i % len(args) for i in static}
        dynamic = [i for i in range(len(args)) if i not in static_set]
        axes = in_axes
        if isinstance(in_axes, (list, tuple)):
            if len(in_axes) != len(args):
                raise ValueError(f"pmap in_axes has {len(in_axes)} entries for {len(args)} "
                                 f"arguments")
            axes = tuple(in_axes[i] for i in dynamic)

        def over_dynamic(*dyn):
            full = list(args)
            for i, v in zip(dynamic, dyn):
                full[i] = v
            return fun(*full)
        return vmap(over_dynamic, in_axes=axes, out_axes=out_axes, axis_size=axis_size,
                    axis_name=axis_name)(*[args[i] for i in dynamic])
    mapped.__name__ = getattr(fun, "__name__", "pmapped")
    return jit(mapped, static_argnums=static)
