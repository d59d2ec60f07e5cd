"""jax.lax's `*_p` names for the irax primitives that mean the same operation, so a custom
interpreter written for JAX (`eqn.primitive is lax.sin_p`, `lax.add_p.bind(x, y)`) reads
irax's IR (issue #12).

clamp_p and square_p are primitives of their own (prims/elementwise.py), so lax.clamp and
lax.square / jnp.square stage JAX's `clamp` / `square` equations.

Left out on purpose: gather_p / scatter_p / scatter_add_p (irax's index one axis; JAX's take
XLA dimension numbers: lax.gather and the lax.scatter family build on irax's) and select_p
(JAX's select_n_p has another operand order). JAX's other *_p names (erfc_p, lgamma_p,
digamma_p, igamma_p, zeta_p, polygamma_p, top_k_p, split_p, tile_p, cummax_p, reduce_window*_p,
select_and_scatter*_p, the scatter_* family, rng_*_p, optimization_barrier_p, ...) have no
primitive in irax, whose functions of those names are compositions of the primitives here:
binding those names to anything else would mislead an interpreter, so they stay undefined.
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
