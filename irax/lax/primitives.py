"""jax.lax's `*_p` names for the irax primitives that mean the same operation, so a custom
interpreter written for JAX (`eqn.primitive is lax.sin_p`, `lax.add_p.bind(x, y)`) reads
irax's IR (issue #12).

Left out on purpose: gather_p / scatter_p / scatter_add_p (irax's index one axis; JAX's take
XLA dimension numbers: lax.gather and the lax.scatter family build on irax's) and select_p
(JAX's select_n_p has another operand order).
"""
from __future__ import annotations

from ..tracer.core import Primitive
from ..tracer.prims import (bits, collectives, control_flow, elementwise, fft, linalg, reduce,
                            shape, slicing, sort)

_DIFFERENT_SEMANTICS = {"gather", "scatter", "scatter_add", "select"}


def _collect() -> dict[str, Primitive]:
    found: dict[str, Primitive] = {}
    for module in (elementwise, bits, shape, slicing, reduce, linalg, sort, fft, collectives,
                   control_flow):
        for value in vars(module).values():
            if isinstance(value, Primitive) and value.name not in _DIFFERENT_SEMANTICS:
                found.setdefault(value.name + "_p", value)
    return found


PRIMITIVES = _collect()
globals().update(PRIMITIVES)
__all__ = sorted(PRIMITIVES)
