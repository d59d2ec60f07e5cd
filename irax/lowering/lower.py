"""Jaxpr -> StableHLO: functions written into a ModuleContext.

    module = ModuleContext(target="llvm-cpu")
    lower_jaxpr_to_fun(module, "predict", closed, arg_names=[...], result_names=[...],
                       reflection={"irax": json_text})
    lower_jaxpr_to_fun(module, "train_step", closed2, ...)
    lowered = module.finish()          # LoweredModule: .text, .uses_f64, .entries

    lower_jaxpr(closed, "main") -> str     # the one-entry case (what irax.jit uses)

Each equation is lowered by the rule `rules.select_rule` picks for the module's target
(rules registered by irax/lowering/prims/*). A rule may call `call_helper` to put a
sub-computation in a private function emitted once per module and called from every use
(the float64 formulas of f64_math, nested jit calls).
"""
from __future__ import annotations

import re
from typing import Any, Hashable, Sequence

import numpy as np

from ..tracer import core
from ..tracer.core import ClosedJaxpr, Jaxpr, Literal, ShapedArray, Var
from ..tracer.prims.elementwise import BROADCASTING
from . import hlo
from .context import HOST_REFLECTION_KEY, FunctionContext, ModuleContext, RuleContext
from .emitter import Emitter, Region, aval_type, mlir_string
from .rules import LoweringError, check_target_dtypes, select_rule


def _note(module: ModuleContext, avals: Any) -> None:
    """Record what the module's values need (f64 flags); refuse dtypes the target lacks."""
    avals = list(avals)
    check_target_dtypes(module.target, avals)
    module.note_avals(avals)


_MISFOLDED_REDUCTIONS = {"reduce_sum", "reduce_max", "reduce_min", "reduce_prod", "reduce_and",
                         "reduce_or", "argmax", "argmin"}


def _const_value(x: Any) -> np.ndarray:
    if isinstance(x, core.Array):
        return x.numpy()
    if isinstance(x, core.Tracer):
        raise core.UnexpectedTracerError(
            f"a traced value ({x!r}) is a constant of the jaxpr being lowered; it escaped "
            "its transformation")
    return np.asarray(x)


def _broadcast_operands(em: Emitter, operands: list[str], avals_in: list[ShapedArray],
                        shape: tuple[int, ...]) -> tuple[list[str], list[ShapedArray]]:
    """A BROADCASTING primitive's operands broadcast to its output's shape (StableHLO's
    elementwise ops take equal shapes; the jaxpr, as JAX's, need not): so every lowering
    rule sees operands of one shape."""
    names, avals = [], []
    for name, a in zip(operands, avals_in):
        if a.shape != shape:
            name = hlo.broadcast_in_dim(em, name, a, shape, tuple(range(a.ndim)))
            a = a.update(shape=shape)
        names.append(name)
        avals.append(a)
    return names, avals


def _split(closed: ClosedJaxpr | Jaxpr) -> tuple[Jaxpr, Sequence[Any]]:
    if isinstance(closed, ClosedJaxpr):
        return closed.jaxpr, closed.consts
    return closed, []


def lower_subjaxpr(ctx: FunctionContext, closed: ClosedJaxpr | Jaxpr,
                   arg_names: Sequence[str]) -> list[str]:
    """Emit the equations of `closed` into the current block; return its output names.

    `arg_names` are the SSA names bound to the jaxpr's invars. The jaxpr's constants (a
    ClosedJaxpr's consts) are emitted as constants. Usable from any rule, also inside a
    Region's build function (then the equations land in that region's block)."""
    jaxpr, consts = _split(closed)
    if len(arg_names) != len(jaxpr.invars):
        raise TypeError(f"lower_subjaxpr: jaxpr has {len(jaxpr.invars)} inputs, "
                        f"got {len(arg_names)} names")
    module, em = ctx.module, ctx.em
    fn = FunctionContext(module, em, ctx.calls)
    env: dict[Var, str] = {}
    for v, c in zip(jaxpr.constvars, consts):
        env[v] = em.constant(_const_value(c), v.aval.dtype, v.aval.shape)
    _note(module, [v.aval for v in jaxpr.constvars])
    env.update(zip(jaxpr.invars, arg_names))

    def read(a) -> str:
        if isinstance(a, Literal):
            return em.constant(np.asarray(a.value), a.aval.dtype, a.aval.shape)
        return env[a]

    # values computed from constants alone (no argument flows in)
    static: set[Var] = set(jaxpr.constvars)
    for eqn in jaxpr.eqns:
        avals_in = [a.aval for a in eqn.inputs]
        avals_out = [v.aval for v in eqn.outputs]
        _note(module, avals_in)
        _note(module, avals_out)
        operands = [read(a) for a in eqn.inputs]
        if eqn.primitive in BROADCASTING:
            operands, avals_in = _broadcast_operands(em, operands, avals_in,
                                                     avals_out[0].shape)
        rule = select_rule(eqn.primitive, module.target, avals_in)
        if all(isinstance(a, Literal) or a in static for a in eqn.inputs):
            static.update(eqn.outputs)
            if eqn.primitive.name in _MISFOLDED_REDUCTIONS:
                # IREE 3.13 folds a reduction of unary(broadcast(splat)) as if it had one
                # element (sum(-ones(4)) == -1; tests/fuzz/test_regressions.py): a barrier
                # keeps its constant folder off the operand
                operands[0] = em.op1("stablehlo.optimization_barrier", [operands[0]],
                                     [aval_type(avals_in[0])], aval_type(avals_in[0]))
        outs = rule(RuleContext(fn, avals_in, avals_out, eqn), *operands, **eqn.params)
        if not eqn.primitive.multiple_results:
            outs = [outs]
        if len(outs) != len(eqn.outputs):
            raise LoweringError(f"lowering rule for {eqn.primitive.name} returned "
                                f"{len(outs)} results, expected {len(eqn.outputs)}")
        env.update(zip(eqn.outputs, outs))
    return [read(a) for a in jaxpr.outvars]


def region(ctx: FunctionContext, closed: ClosedJaxpr | Jaxpr,
           arg_avals: Sequence[ShapedArray] | None = None) -> Region:
    """A single-block region whose block arguments are `closed`'s inputs and which returns
    its outputs: the body of a while/case/reduce built from a sub-jaxpr."""
    jaxpr = closed.jaxpr if isinstance(closed, ClosedJaxpr) else closed
    arg_avals = list(arg_avals) if arg_avals is not None else jaxpr.in_avals
    return Region([aval_type(a) for a in arg_avals], [aval_type(a) for a in jaxpr.out_avals],
                  lambda em, names: lower_subjaxpr(ctx, closed, names))


_BARE_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_$.]*\Z")   # an MLIR attribute name


def _with_name(typ: str, name: str | None) -> str:
    return f"{typ} {{iree.abi.name = {mlir_string(name)}}}" if name is not None else typ


def lower_jaxpr_to_fun(module: ModuleContext, name: str, closed: ClosedJaxpr | Jaxpr, *,
                       public: bool = True, arg_names: Sequence[str] | None = None,
                       result_names: Sequence[str] | None = None,
                       reflection: dict[str, str] | None = None) -> str:
    """Write `func.func @name` computing `closed` into `module`; returns its symbol.

    A public function keeps `name` exactly (it is the module's ABI); a private one gets a
    unique symbol derived from it. `arg_names` / `result_names` become `iree.abi.name`s
    (shown by IREE's tools), `reflection` the function's `iree.reflection` dictionary
    (metadata visible at run time); a function that calls host functions (debug
    callbacks) also gets the key `irax_host` describing them. Constants of a ClosedJaxpr
    are embedded."""
    jaxpr = closed.jaxpr if isinstance(closed, ClosedJaxpr) else closed
    if public:
        module.claim_entry_symbol(name)
        symbol = name
    else:
        symbol = module.reserve_symbol(name)
    in_avals, out_avals = jaxpr.in_avals, jaxpr.out_avals
    for what, names, avals in (("arg_names", arg_names, in_avals),
                               ("result_names", result_names, out_avals)):
        if names is not None and len(names) != len(avals):
            raise ValueError(f"lower_jaxpr_to_fun({name!r}): {len(names)} {what} for "
                             f"{len(avals)} values")
    _note(module, in_avals)
    _note(module, out_avals)
    in_types = [aval_type(a) for a in in_avals]
    out_types = [aval_type(a) for a in out_avals]
    args = [f"%arg{i}" for i in range(len(in_types))]
    fn = FunctionContext(module, Emitter(), set())
    outs = lower_subjaxpr(fn, closed, args)

    arg_names = list(arg_names) if arg_names is not None else [None] * len(args)
    result_names = list(result_names) if result_names is not None else [None] * len(outs)
    params = ", ".join(f"{a}: {_with_name(t, n)}" for a, t, n in zip(args, in_types, arg_names))
    results = ", ".join(_with_name(t, n) for t, n in zip(out_types, result_names))
    attrs = ""
    host = module.host_reflection(fn.calls) if public else None
    if host is not None:   # what the runtime must provide: see runtime/host.py
        reflection = {**(reflection or {}), HOST_REFLECTION_KEY: host}
    if reflection:
        bad = [k for k in reflection if not _BARE_ID.match(k)]
        if bad:
            raise ValueError(f"iree.reflection keys must be identifiers, got {bad[0]!r}")
        items = ", ".join(f"{k} = {mlir_string(v)}" for k, v in reflection.items())
        attrs = f" attributes {{iree.reflection = {{{items}}}}}"
    ret = f"    return {', '.join(outs)} : {', '.join(out_types)}" if outs else "    return"
    visibility = "public" if public else "private"
    text = "\n".join([f"  func.func {visibility} @{symbol}({params}) -> ({results}){attrs} {{",
                      *fn.em.lines, ret, "  }", ""])
    module.add_function(symbol, text, public, fn.calls)
    return symbol


def call_helper(ctx: FunctionContext, key: Hashable, closed: ClosedJaxpr | Jaxpr,
                operands: Sequence[str], name: str, keep_alive: Any = None) -> list[str]:
    """Call the private function computing `closed` (written into the module the first
    time `key` is asked for, named after `name`) on `operands`; returns the result names.
    `keep_alive` is stored with the key (e.g. the jaxpr whose id() is in it)."""
    module = ctx.module
    symbol = module.helper_symbol(key)
    if symbol is None:
        # recorded once written: a helper's body cannot call itself (jaxprs are acyclic)
        symbol = lower_jaxpr_to_fun(module, name, closed, public=False)
        module.add_helper(key, symbol, keep_alive)
    ctx.calls.add(symbol)
    jaxpr = closed.jaxpr if isinstance(closed, ClosedJaxpr) else closed
    return ctx.em.op("func.call", list(operands), [aval_type(a) for a in jaxpr.in_avals],
                     [aval_type(a) for a in jaxpr.out_avals], {"callee": f"@{symbol}"})


def lower_jaxpr(closed: ClosedJaxpr | Jaxpr, name: str = "main", *, target: str = "llvm-cpu",
                reflection: dict[str, str] | None = None,
                arg_names: Sequence[str] | None = None) -> str:
    """StableHLO module text with one `func.func public @<name>` computing `closed`."""
    module = ModuleContext(target, f"jit_{name}")
    lower_jaxpr_to_fun(module, name, closed, reflection=reflection, arg_names=arg_names)
    return module.finish().text
