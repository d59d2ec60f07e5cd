"""jax.interpreters.ad's registration names over irax's jvp and transpose tables."""
from __future__ import annotations

from typing import Any

from ..tracer import jvp as _jvp
from ..tracer import transpose as _transpose
from ..tracer.ad_util import Zero, zeros_like_aval
from ..tracer.core import get_aval

__all__ = ["Zero", "UndefinedPrimal", "defjvp", "defjvp2", "deflinear", "deflinear2",
           "instantiate_zeros", "is_undefined_primal", "primitive_jvps",
           "primitive_transposes", "zeros_like_aval"]

# rule(primals, tangents, **params) -> (primal_out, tangent_out); tangents may be Zero
primitive_jvps = _jvp.jvp_rules
# rule(ct, *args, **params) -> a cotangent or None per argument
primitive_transposes = _transpose.transpose_rules
UndefinedPrimal = _transpose.UndefinedPrimal
is_undefined_primal = _transpose.is_undefined
# defjvp(prim, *fns): fn(tangent, *primals, **params) per argument (None: not differentiable)
defjvp = _jvp.defjvp
# defjvp2: fn(tangent, out, *primals, **params)
defjvp2 = _jvp.defjvp_with_output


def instantiate_zeros(tangent: Any) -> Any:
    """A symbolic Zero as an array of zeros; anything else unchanged."""
    return zeros_like_aval(tangent.aval) if isinstance(tangent, Zero) else tangent


def deflinear(prim: Any, transpose_rule: Any) -> None:
    """`prim` is linear in every argument: its jvp applies it to the tangents, and
    `transpose_rule(ct, **params)` gives the cotangent of each argument."""
    _linear_jvp(prim)
    primitive_transposes[prim] = lambda ct, *args, **params: transpose_rule(ct, **params)


def deflinear2(prim: Any, transpose_rule: Any) -> None:
    """deflinear with `transpose_rule(ct, *args, **params)` (args UndefinedPrimal)."""
    _linear_jvp(prim)
    primitive_transposes[prim] = transpose_rule


def _linear_jvp(prim: Any) -> None:
    def jvp(primals, tangents, **params):
        out = prim.bind(*primals, **params)
        if all(isinstance(t, Zero) for t in tangents):
            avals = [get_aval(o) for o in (out if prim.multiple_results else [out])]
            zeros = [Zero(a) for a in avals]
            return out, (zeros if prim.multiple_results else zeros[0])
        return out, prim.bind(*map(instantiate_zeros, tangents), **params)
    primitive_jvps[prim] = jvp
