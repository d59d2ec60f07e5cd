"""Lowering of the collectives (irax/tracer/prims/collectives.py): there is none to emit.

A vmap that binds an axis name turns every collective naming it into reductions and
gathers over its batch axis before anything is staged for IREE, so a collective that
reaches the lowering names an axis that no enclosing vmap binds in the compiled program:
the NameError JAX raises for an unbound axis name.
"""
from __future__ import annotations

from ...tracer.prims import collectives
from ..context import RuleContext
from ..rules import register_lowering


def _unbound(ctx: RuleContext, *operands: str, axis_name: tuple, **params) -> list[str]:
    raise collectives.unbound_axis_error(axis_name[0])


# ---------------------------------------------------------------------------
# Registration

for _prim in (collectives.psum_p, collectives.pmax_p, collectives.pmin_p,
              collectives.all_gather_p, collectives.axis_index_p):
    register_lowering(_prim, _unbound)
