"""Lowering of dot_general (irax/tracer/prims/linalg.py)."""
from __future__ import annotations

import numpy as np

from ...tracer.prims import linalg as la
from .. import hlo
from ..emitter import aval_type, int_list
from ..lower import lowering_rules


def _dot_general(ctx, x, y, *, dimension_numbers, preferred_element_type=None):
    em = ctx.em
    (lc, rc), (lb, rb) = dimension_numbers
    xa, ya = ctx.avals_in
    out = ctx.avals_out[0]
    if out.dtype != xa.dtype:   # accumulate in the requested type: convert the operands
        x = hlo.convert(em, x, xa, out.dtype)
        y = hlo.convert(em, y, ya, out.dtype)
        xa, ya = xa.update(dtype=out.dtype), ya.update(dtype=out.dtype)
    fields = [("lhs_batching_dimensions", lb), ("rhs_batching_dimensions", rb),
              ("lhs_contracting_dimensions", lc), ("rhs_contracting_dimensions", rc)]
    dn = ", ".join(f"{k} = {int_list(v)}" for k, v in fields if len(v))
    return em.op1("stablehlo.dot_general", [x, y], [aval_type(xa), aval_type(ya)],
                  aval_type(out), {"dot_dimension_numbers": f"#stablehlo.dot<{dn}>"})


# ---------------------------------------------------------------------------
# Registration

lowering_rules[la.dot_general_p] = _dot_general
