"""Staging (tracing Python into a Jaxpr) and partial evaluation (the heart of linearize).

StagingTrace records every primitive into a Jaxpr. PartialEvalTrace records only the
primitives that touch its own (unknown) tracers and hands everything else to its parent:
under a JVPTrace whose tangents are unknown, that splits a JVP into the primal computation
(run now, by the parent) and a linear tangent program (staged, with residual constants).

`trace_to_jaxpr` is the one way Python is traced into a jaxpr (jit, make_jaxpr, control
flow, custom calls, jit_call's derived jaxprs); `trace_const_free` is the same with the
constants turned into leading inputs (closure conversion), which is what a jaxpr held in
a primitive's params must be.

Layering: a transformation; imports core, ad_util, jvp (for linearize) and rules.
A custom_jvp / custom_vjp call is staged as the call primitive it arrives with.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from . import core, source_info
from .ad_util import Zero, is_differentiable, tangent_aval
from .core import (Atom, ClosedJaxpr, Eqn, Jaxpr, Literal, Primitive, ShapedArray, Trace,
                   Tracer, Var, get_aval, set_current_trace)
from .jvp import JVPTrace
from .rules import PartialEvalRule


class StagedTracer(Tracer):
    __slots__ = ("_trace", "var")

    def __init__(self, trace: "StagingTrace", var: Var):
        self._trace = trace
        self.var = var

    @property
    def aval(self) -> ShapedArray:
        return self.var.aval

    def _trace_description(self) -> str:
        return self._trace.description

    def __repr__(self) -> str:   # as JAX's tracers under jit / make_jaxpr
        return f"JitTracer({core.type_string(self.aval)})"


class StagingTrace(Trace):
    description = "irax.jit / make_jaxpr (staged, abstract values only)"
    # True when this trace stages the jvp of a body that is being linearized (reverse mode):
    # custom_vjp functions inside must then use fwd/bwd, not a forward-mode jvp rule.
    linearizing = False

    def __init__(self, parent: Trace, description: str | None = None):
        self.parent = parent
        self.eqns: list[Eqn] = []
        self.invars: list[Var] = []
        self.constvars: list[Var] = []
        self.const_values: list[Any] = []
        self._const_ids: dict[int, Var] = {}
        if description:
            self.description = description

    def is_mine(self, x: Any) -> bool:
        return isinstance(x, StagedTracer) and x._trace is self

    def is_linearizing(self, tangents: Sequence[Any]) -> bool:
        return self.linearizing

    def new_arg(self, aval: ShapedArray) -> StagedTracer:
        v = Var(aval)
        self.invars.append(v)
        return StagedTracer(self, v)

    def get_atom(self, x: Any) -> Atom:
        if self.is_mine(x):
            return x.var
        if isinstance(x, Tracer):
            core.check_not_leaked(x, self)
        elif not isinstance(x, core.Array):
            aval = get_aval(x)
            if aval.shape == ():
                return Literal(np.asarray(x, dtype=aval.dtype), aval)
        elif x.ndim == 0 and isinstance(x.device_buffer(), np.ndarray):
            return Literal(x.numpy(), x.aval)
        var = self._const_ids.get(id(x))
        if var is None:
            var = Var(get_aval(x))
            self._const_ids[id(x)] = var
            self.constvars.append(var)
            self.const_values.append(x)
        return var

    def add_eqn(self, prim: Primitive, atoms: list[Atom], params: dict,
                out_avals: Sequence[ShapedArray]) -> list[StagedTracer]:
        outs = [Var(a) for a in out_avals]
        self.eqns.append(Eqn(prim, atoms, outs, params, core.current_eqn_context(),
                             source_info.current()))
        return [StagedTracer(self, v) for v in outs]

    def process_primitive(self, prim, args, params):
        atoms = [self.get_atom(x) for x in args]
        out_avals = core.check_avals(prim, [a.aval for a in atoms], params)
        outs = self.add_eqn(prim, atoms, params, out_avals)
        return outs if prim.multiple_results else outs[0]

    # a custom call is recorded as its call primitive (custom_jvp_call / custom_vjp_call),
    # holding the primal body; evaluating that equation re-enters process_custom_*_call
    def process_custom_jvp_call(self, prim, fun, jvp, args, symbolic_zeros=False):
        closed, consts = trace_const_free(fun, [get_aval(a) for a in args], parent=self)
        params = dict(call_jaxpr=closed, jvp_fn=jvp, num_consts=len(consts))
        return self.process_primitive(prim, [*consts, *args], params)

    def process_custom_vjp_call(self, prim, fun, fwd, bwd, args, out_trees):
        closed, consts = trace_const_free(fun, [get_aval(a) for a in args], parent=self)
        params = dict(call_jaxpr=closed, fwd_fn=fwd, bwd_fn=bwd, num_consts=len(consts),
                      out_trees=out_trees)
        return self.process_primitive(prim, [*consts, *args], params)

    def build(self, outs: Sequence[Any]) -> ClosedJaxpr:
        outvars = [self.get_atom(o) for o in outs]
        jaxpr = Jaxpr(list(self.constvars), list(self.invars), list(self.eqns), outvars)
        return ClosedJaxpr(jaxpr, list(self.const_values))


def trace_to_jaxpr(fun: Callable[..., Sequence[Any]], in_avals: Sequence[ShapedArray],
                   description: str | None = None, linearizing: bool = False, *,
                   parent: Trace | None = None) -> ClosedJaxpr:
    """Stage `fun` (flat arrays in, flat list out) into a ClosedJaxpr. Values it uses that
    are not its arguments (arrays, tracers of `parent` or its ancestors) become constants.
    `parent` defaults to the current trace; `linearizing` marks a body that is being
    linearized (see is_linearizing)."""
    trace = StagingTrace(core.current_trace() if parent is None else parent, description)
    trace.linearizing = linearizing
    args = [trace.new_arg(a) for a in in_avals]
    with set_current_trace(trace):
        outs = fun(*args)
    return trace.build(outs)


def trace_const_free(fun: Callable[..., Sequence[Any]], in_avals: Sequence[ShapedArray], *,
                     parent: Trace | None = None, description: str | None = None,
                     linearizing: bool = False) -> tuple[ClosedJaxpr, list[Any]]:
    """trace_to_jaxpr, closure-converted: returns (jaxpr, consts) where the jaxpr holds no
    values and takes `consts` as its leading inputs (they may be tracers of `parent`)."""
    return convert_constvars(trace_to_jaxpr(fun, in_avals, description, linearizing,
                                            parent=parent))


def convert_constvars(closed: ClosedJaxpr) -> tuple[ClosedJaxpr, list[Any]]:
    """Closure conversion: constants become leading inputs (so they can be traced values)."""
    j = closed.jaxpr
    return ClosedJaxpr(Jaxpr([], j.constvars + j.invars, j.eqns, j.outvars), []), closed.consts


def is_linearizing(tangents: Sequence[Any]) -> bool:
    """Is a jvp rule running for reverse mode? True under linearize (its tangents are
    unknowns of the current PartialEvalTrace) and inside the staged jvp of a body that is
    itself being linearized (a trace marked `linearizing`)."""
    return core.current_trace().is_linearizing(tangents)


# ---------------------------------------------------------------------------
# Partial evaluation

partial_eval_rules: dict[Primitive, PartialEvalRule] = {}


class PartialEvalTrace(StagingTrace):
    description = "linearize (a value that depends on a tangent)"
    # True under irax.linearize, whose linear map only runs forward: a while loop may then
    # be staged whole (vjp, grad and jacrev transpose the map and refuse it)
    forward_only = False

    def is_linearizing(self, tangents: Sequence[Any]) -> bool:
        return self.linearizing or any(self.is_mine(x) for x in tangents)

    def process_primitive(self, prim, args, params):
        if not any(self.is_mine(x) for x in args):
            with set_current_trace(self.parent):
                return prim.bind(*args, **params)
        rule = partial_eval_rules.get(prim)
        if rule is not None:
            return rule(self, args, params)
        return super().process_primitive(prim, args, params)

    def process_custom_jvp_call(self, prim, fun, jvp, args, symbolic_zeros=False):
        if not any(self.is_mine(x) for x in args):
            with set_current_trace(self.parent):
                return self.parent.process_custom_jvp_call(prim, fun, jvp, args)
        return fun(*args)

    def process_custom_vjp_call(self, prim, fun, fwd, bwd, args, out_trees):
        if not any(self.is_mine(x) for x in args):
            with set_current_trace(self.parent):
                return self.parent.process_custom_vjp_call(prim, fun, fwd, bwd, args, out_trees)
        return fun(*args)


class SplitJaxpr:
    """A jaxpr split into a known part and an unknown part (see split_jaxpr)."""
    known: ClosedJaxpr       # [known_consts, known ins] -> [known outs, residuals ('out')]
    known_consts: list
    unknown: Jaxpr           # constvars = residuals, invars = unknown ins -> unknown outs
    residuals: list          # per unknown constvar: ('in', i) | ('val', v) | ('out', k)
    out_uk: list


def split_jaxpr(closed: ClosedJaxpr, unknowns: Sequence[bool], instantiate: Sequence[bool],
                forwardable: Callable[[int], bool] = lambda i: False,
                forward_only: bool | None = None) -> SplitJaxpr:
    """Partial evaluation of a jaxpr: known inputs are staged into a known jaxpr (by the
    staging parent of a PartialEvalTrace), unknown ones into the unknown jaxpr. A residual
    that is just known input i is reported as ('in', i) when forwardable(i)."""
    known = StagingTrace(core.current_trace())
    pe = PartialEvalTrace(known)
    pe.forward_only = _enclosing_forward_only() if forward_only is None else forward_only
    args = [pe.new_arg(a) if uk else known.new_arg(a)
            for a, uk in zip(closed.in_avals, unknowns)]
    with set_current_trace(pe):
        outs = core.eval_jaxpr(closed.jaxpr, closed.consts, args)
    out_uk = [pe.is_mine(o) or bool(inst) for o, inst in zip(outs, instantiate)]
    uk_closed = pe.build([o for o, u in zip(outs, out_uk) if u])
    known_pos = [i for i, uk in enumerate(unknowns) if not uk]
    invar_index = {v: known_pos[j] for j, v in enumerate(known.invars)}
    residuals, out_res = [], []
    for v in uk_closed.consts:
        if isinstance(v, StagedTracer) and v._trace is known:
            i = invar_index.get(v.var)
            if i is not None and forwardable(i):
                residuals.append(("in", i))
            else:
                residuals.append(("out", len(out_res)))
                out_res.append(v)
        else:
            residuals.append(("val", v))
    k_closed = known.build([o for o, u in zip(outs, out_uk) if not u] + out_res)
    res = SplitJaxpr()
    res.known, res.known_consts = convert_constvars(k_closed)
    res.unknown = uk_closed.jaxpr
    res.residuals = residuals
    res.out_uk = out_uk
    return res


def _enclosing_forward_only() -> bool:
    trace = core.current_trace()
    while trace is not None and not isinstance(trace, PartialEvalTrace):
        trace = getattr(trace, "parent", None)
    return trace is not None and trace.forward_only


def linearize_flat(fun: Callable[..., Sequence[Any]], primals: Sequence[Any],
                   forward_only: bool = False) -> tuple[list[Any], ClosedJaxpr, list[bool]]:
    """Primal outputs now, plus the linear map from input to output tangents as a Jaxpr.

    Returns (primal_outs, linear_jaxpr, out_nonzero): the jaxpr's inputs are the input
    tangents, its outputs the tangents of the outputs marked nonzero; its constants are
    the residuals."""
    parent = core.current_trace()
    pe = PartialEvalTrace(parent)
    pe.forward_only = forward_only
    avals = [get_aval(p) for p in primals]
    tangent_args = [pe.new_arg(tangent_aval(a)) for a in avals]
    jvp_trace = JVPTrace(pe)
    ins = [jvp_trace.wrap(p, t if is_differentiable(a) else Zero(a))
           for p, t, a in zip(primals, tangent_args, avals)]
    with set_current_trace(jvp_trace):
        outs = fun(*ins)
    primal_outs, tangent_outs = core.unzip2(jvp_trace.to_pair(o) for o in outs)
    nonzero = [not isinstance(t, Zero) for t in tangent_outs]
    linear = pe.build([t for t, nz in zip(tangent_outs, nonzero) if nz])
    return primal_outs, linear, nonzero
