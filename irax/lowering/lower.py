"""Jaxpr -> StableHLO text: an interpreter over the equations with an env of SSA names.

    lower_jaxpr(closed_jaxpr, name="main") -> str

Each primitive has a rule in `lowering_rules` (registered by irax/lowering/prims/*):

    rule(ctx: RuleContext, *operands: str, **params) -> str | list[str]

`operands` are SSA names; `ctx.avals_in` / `ctx.avals_out` are the equation's avals;
`ctx.em` is the Emitter; `ctx.module` the module-wide LoweringContext. A rule returns
one name (single-result primitive) or a list (multiple_results).
"""
from __future__ import annotations

import json
from typing import Any, Callable, Sequence

import numpy as np

from ..tracer import core
from ..tracer.core import ClosedJaxpr, Jaxpr, Literal, Primitive, ShapedArray, Var
from .emitter import Emitter, Region, aval_type

lowering_rules: dict[Primitive, Callable[..., Any]] = {}


class LoweringError(NotImplementedError):
    pass


class LoweringContext:
    """Module-wide state: the emitter and the target (rules may specialise on it)."""

    def __init__(self, target: str = "llvm-cpu") -> None:
        self.em = Emitter()
        self.target = target


class RuleContext:
    __slots__ = ("module", "em", "avals_in", "avals_out", "eqn")

    def __init__(self, module: LoweringContext, avals_in: Sequence[ShapedArray],
                 avals_out: Sequence[ShapedArray], eqn: core.Eqn | None = None):
        self.module = module
        self.em = module.em
        self.avals_in = list(avals_in)
        self.avals_out = list(avals_out)
        self.eqn = eqn


def _const_value(x: Any) -> np.ndarray:
    if isinstance(x, core.Array):
        return x.numpy()
    if isinstance(x, core.Tracer):
        raise core.UnexpectedTracerError(
            f"a traced value ({x!r}) is a constant of the jaxpr being lowered; it escaped "
            "its transformation")
    return np.asarray(x)


def lower_subjaxpr(ctx: "LoweringContext | RuleContext", closed: ClosedJaxpr | Jaxpr,
                   arg_names: Sequence[str]) -> list[str]:
    """Emit the equations of `closed` into the current block; return its output names.

    `arg_names` are the SSA names bound to the jaxpr's invars. The jaxpr's constants (a
    ClosedJaxpr's consts) are emitted as constants. Usable from any rule, also inside a
    Region's build function (then the equations land in that region's block)."""
    module = ctx.module if isinstance(ctx, RuleContext) else ctx
    if isinstance(closed, ClosedJaxpr):
        jaxpr, consts = closed.jaxpr, closed.consts
    else:
        jaxpr, consts = closed, []
    if len(arg_names) != len(jaxpr.invars):
        raise TypeError(f"lower_subjaxpr: jaxpr has {len(jaxpr.invars)} inputs, "
                        f"got {len(arg_names)} names")
    em = module.em
    env: dict[Var, str] = {}
    for v, c in zip(jaxpr.constvars, consts):
        env[v] = em.constant(_const_value(c), v.aval.dtype, v.aval.shape)
    env.update(zip(jaxpr.invars, arg_names))

    def read(a) -> str:
        if isinstance(a, Literal):
            return em.constant(np.asarray(a.value), a.aval.dtype, a.aval.shape)
        return env[a]

    for eqn in jaxpr.eqns:
        rule = lowering_rules.get(eqn.primitive)
        if rule is None:
            raise LoweringError(f"no lowering rule (to StableHLO) for primitive "
                                f"'{eqn.primitive.name}'")
        rctx = RuleContext(module, [a.aval for a in eqn.inputs], [v.aval for v in eqn.outputs],
                           eqn)
        outs = rule(rctx, *[read(a) for a in eqn.inputs], **eqn.params)
        if not eqn.primitive.multiple_results:
            outs = [outs]
        if len(outs) != len(eqn.outputs):
            raise LoweringError(f"lowering rule for {eqn.primitive.name} returned "
                                f"{len(outs)} results, expected {len(eqn.outputs)}")
        env.update(zip(eqn.outputs, outs))
    return [read(a) for a in jaxpr.outvars]


def region(ctx: "LoweringContext | RuleContext", closed: ClosedJaxpr | Jaxpr,
           arg_avals: Sequence[ShapedArray] | None = None) -> Region:
    """A single-block region whose block arguments are `closed`'s inputs and which returns
    its outputs: the body of a while/case/reduce built from a sub-jaxpr."""
    jaxpr = closed.jaxpr if isinstance(closed, ClosedJaxpr) else closed
    arg_avals = list(arg_avals) if arg_avals is not None else jaxpr.in_avals
    return Region([aval_type(a) for a in arg_avals], [aval_type(a) for a in jaxpr.out_avals],
                  lambda em, names: lower_subjaxpr(ctx, closed, names))


def lower_jaxpr(closed: ClosedJaxpr | Jaxpr, name: str = "main", *, target: str = "llvm-cpu",
                reflection: dict[str, str] | None = None,
                arg_names: Sequence[str] | None = None) -> str:
    """StableHLO module text with one `func.func public @<name>` computing `closed`.

    Constants of a ClosedJaxpr are embedded. `reflection` becomes the function's
    `iree.reflection` dictionary (signature metadata visible at run time)."""
    module = LoweringContext(target)
    jaxpr = closed.jaxpr if isinstance(closed, ClosedJaxpr) else closed
    in_types = [aval_type(a) for a in jaxpr.in_avals]
    out_types = [aval_type(a) for a in jaxpr.out_avals]
    args = [f"%arg{i}" for i in range(len(in_types))]
    outs = lower_subjaxpr(module, closed, args)
    em = module.em
    if arg_names:
        params = ", ".join(f'{a}: {t} {{iree.abi.name = {json.dumps(n)}}}'
                           for a, t, n in zip(args, in_types, arg_names))
    else:
        params = ", ".join(f"{a}: {t}" for a, t in zip(args, in_types))
    attrs = ""
    if reflection:
        items = ", ".join(f"{k} = {json.dumps(v)}" for k, v in reflection.items())
        attrs = f" attributes {{iree.reflection = {{{items}}}}}"
    ret = f"    return {', '.join(outs)} : {', '.join(out_types)}" if outs else "    return"
    lines = [f"module @{_sym(name)} {{",
             f"  func.func public @{name}({params}) -> ({', '.join(out_types)}){attrs} {{",
             *em.lines, ret, "  }", "}", ""]
    return "\n".join(lines)


def _sym(name: str) -> str:
    s = "".join(c if c.isalnum() or c == "_" else "_" for c in name)
    return f"jit_{s}"
