"""Reverse mode's second half: transposing a linear Jaxpr (a small backward interpreter).

Layering: a transformation; imports core, ad_util and rules only. The primitive families
register their transpose rules here.
"""
from __future__ import annotations

from typing import Any, Sequence

from .ad_util import Zero, add_tangents
from .core import Jaxpr, Literal, Primitive, ShapedArray, Var
from .rules import TransposeRule


class UndefinedPrimal:
    """Stands for a linear input during transposition: its value is what we solve for."""

    def __init__(self, aval: ShapedArray):
        self.aval = aval

    def __repr__(self) -> str:
        return f"UndefinedPrimal({self.aval.str_short()})"


def is_undefined(x: Any) -> bool:
    return isinstance(x, UndefinedPrimal)


class NonlinearError(TypeError):
    pass


transpose_rules: dict[Primitive, TransposeRule] = {}


def backward_pass(jaxpr: Jaxpr, consts: Sequence[Any], cts_out: Sequence[Any]) -> list[Any]:
    """Cotangents of jaxpr.invars given cotangents of its outputs (Zero allowed both ways).

    Inputs are linear; constants are known. Equations whose inputs are all known are
    evaluated forward first; the rest are transposed in reverse order."""
    known: dict[Var, Any] = dict(zip(jaxpr.constvars, consts))
    linear: set[Var] = set(jaxpr.invars)

    def read_known(a):
        return a.array if isinstance(a, Literal) else known[a]

    linear_eqns = []
    for eqn in jaxpr.eqns:
        if any(isinstance(a, Var) and a in linear for a in eqn.inputs):
            linear.update(eqn.outputs)
            linear_eqns.append(eqn)
        else:
            outs = eqn.primitive.bind(*map(read_known, eqn.inputs), **eqn.params)
            known.update(zip(eqn.outputs, outs if eqn.primitive.multiple_results else [outs]))

    ct_env: dict[Var, Any] = {}

    def add_ct(v: Any, ct: Any) -> None:
        if isinstance(v, Var) and v in linear and ct is not None and not isinstance(ct, Zero):
            ct_env[v] = add_tangents(ct_env[v], ct) if v in ct_env else ct

    for v, ct in zip(jaxpr.outvars, cts_out):
        add_ct(v, ct)

    for eqn in reversed(linear_eqns):
        cts = [ct_env.pop(v) if v in ct_env else Zero(v.aval) for v in eqn.outputs]
        if all(isinstance(c, Zero) for c in cts):
            continue
        invals = [UndefinedPrimal(a.aval) if isinstance(a, Var) and a in linear
                  else read_known(a) for a in eqn.inputs]
        rule = transpose_rules.get(eqn.primitive)
        where = f" (in {eqn.context})" if eqn.context else ""
        if rule is None:
            raise NonlinearError(
                f"Transpose rule (for reverse-mode differentiation) for '{eqn.primitive.name}' "
                f"not implemented{where}: the tangent computation applies "
                f"'{eqn.primitive.name}' to a tangent, which is not linear. A custom JVP rule's "
                "tangent output must be linear in the input tangents to be reverse-differentiated.")
        try:
            cts_in = rule(cts if eqn.primitive.multiple_results else cts[0], *invals, **eqn.params)
        except NonlinearError as e:
            if where and where not in str(e):
                raise NonlinearError(f"{e}{where}") from None
            raise
        for a, ct in zip(eqn.inputs, cts_in):
            add_ct(a, ct)

    return [ct_env.get(v, Zero(v.aval)) for v in jaxpr.invars]
