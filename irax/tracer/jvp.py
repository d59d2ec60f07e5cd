"""Forward mode: JVPTrace, symbolic zero tangents, and the jvp rule table."""
from __future__ import annotations

import itertools
from typing import Any, Callable, Sequence

import numpy as np

from . import core
from .core import Primitive, ShapedArray, Trace, Tracer, get_aval, set_current_trace

# ---------------------------------------------------------------------------
# Symbolic zeros: a tangent known to be zero costs nothing until it must exist.


class Zero:
    def __init__(self, aval: ShapedArray):
        self.aval = aval

    def __repr__(self) -> str:
        return f"Zero({self.aval.str_short()})"


def tangent_aval(aval: ShapedArray) -> ShapedArray:
    return ShapedArray(aval.shape, aval.dtype, aval.weak_type)


def is_differentiable(aval: ShapedArray) -> bool:
    return np.issubdtype(aval.dtype, np.inexact)


def zeros_like_aval(aval: ShapedArray) -> Any:
    from .prims.shape import full
    return full(aval.shape, 0, aval.dtype, aval.weak_type)


def instantiate(t: Any) -> Any:
    return zeros_like_aval(t.aval) if isinstance(t, Zero) else t


def add_tangents(a: Any, b: Any) -> Any:
    if isinstance(a, Zero):
        return b
    if isinstance(b, Zero):
        return a
    from .prims.elementwise import add
    return add(a, b)


# ---------------------------------------------------------------------------
# Rule table and constructors

jvp_rules: dict[Primitive, Callable] = {}


def defjvp(prim: Primitive, *per_arg: Callable | None) -> None:
    """Tangent = sum over arguments of per_arg[i](t_i, *primals, **params); the primal
    output is the primitive itself. `None` marks a non-differentiable argument."""

    def rule(primals, tangents, **params):
        out = prim.bind(*primals, **params)
        tangent = Zero(tangent_aval(get_aval(out)))
        for fn, t in zip(per_arg, tangents):
            if fn is not None and not isinstance(t, Zero):
                tangent = add_tangents(tangent, fn(t, *primals, **params))
        return out, tangent
    jvp_rules[prim] = rule


def defjvp_with_output(prim: Primitive, *per_arg: Callable | None) -> None:
    """Like defjvp, but each rule also sees the primal output: fn(t, out, *primals)."""

    def rule(primals, tangents, **params):
        out = prim.bind(*primals, **params)
        tangent = Zero(tangent_aval(get_aval(out)))
        for fn, t in zip(per_arg, tangents):
            if fn is not None and not isinstance(t, Zero):
                tangent = add_tangents(tangent, fn(t, out, *primals, **params))
        return out, tangent
    jvp_rules[prim] = rule


def deflinear(prim: Primitive) -> None:
    """prim is linear in all its arguments jointly: its tangent is prim of the tangents."""

    def rule(primals, tangents, **params):
        out = prim.bind(*primals, **params)
        if all(isinstance(t, Zero) for t in tangents):
            if prim.multiple_results:
                return out, [Zero(tangent_aval(get_aval(o))) for o in out]
            return out, Zero(tangent_aval(get_aval(out)))
        return out, prim.bind(*map(instantiate, tangents), **params)
    jvp_rules[prim] = rule


def defzero(prim: Primitive) -> None:
    """Outputs are piecewise constant (comparisons, floor, argmax, ...)."""

    def rule(primals, tangents, **params):
        out = prim.bind(*primals, **params)
        if prim.multiple_results:
            return out, [Zero(tangent_aval(get_aval(o))) for o in out]
        return out, Zero(tangent_aval(get_aval(out)))
    jvp_rules[prim] = rule


# ---------------------------------------------------------------------------
# The trace


class JVPTracer(Tracer):
    __slots__ = ("_trace", "primal", "tangent")

    def __init__(self, trace: "JVPTrace", primal: Any, tangent: Any):
        self._trace = trace
        self.primal = primal
        self.tangent = tangent

    @property
    def aval(self) -> ShapedArray:
        return get_aval(self.primal)

    def concrete_value(self):
        return core.concrete_or_none(self.primal)

    def _trace_description(self) -> str:
        return "jvp/grad (through a non-concrete primal)"


_tags = itertools.count()


class JVPTrace(Trace):
    def __init__(self, parent: Trace):
        self.parent = parent
        self.tag = next(_tags)

    def to_pair(self, x: Any) -> tuple[Any, Any]:
        if isinstance(x, JVPTracer) and x._trace is self:
            return x.primal, x.tangent
        if isinstance(x, Tracer):
            core.check_not_leaked(x, self)
        return x, Zero(tangent_aval(get_aval(x)))

    def wrap(self, primal: Any, tangent: Any) -> Any:
        if isinstance(tangent, Zero):
            return primal
        return JVPTracer(self, primal, tangent)

    def process_primitive(self, prim, args, params):
        primals, tangents = core.unzip2(self.to_pair(x) for x in args)
        if all(isinstance(t, Zero) for t in tangents):
            with set_current_trace(self.parent):
                return prim.bind(*primals, **params)
        rule = jvp_rules.get(prim)
        if rule is None:
            raise NotImplementedError(f"Differentiation rule for '{prim.name}' not implemented")
        with set_current_trace(self.parent):
            primal_out, tangent_out = rule(primals, tangents, **params)
        if prim.multiple_results:
            return [self.wrap(p, t) for p, t in zip(primal_out, tangent_out)]
        return self.wrap(primal_out, tangent_out)

    def process_custom_jvp_call(self, prim, fun, jvp, args, symbolic_zeros=False):
        from .custom import run_custom_jvp_rule
        primals, tangents = core.unzip2(self.to_pair(x) for x in args)
        if all(isinstance(t, Zero) for t in tangents):
            with set_current_trace(self.parent):
                return self.parent.process_custom_jvp_call(prim, fun, jvp, primals)
        with set_current_trace(self.parent):
            primal_out, tangent_out = run_custom_jvp_rule(jvp, primals, tangents)
        return [self.wrap(p, t) for p, t in zip(primal_out, tangent_out)]

    def process_custom_vjp_call(self, prim, fun, fwd, bwd, args, out_trees):
        from .custom import custom_vjp_jvp
        primals, tangents = core.unzip2(self.to_pair(x) for x in args)
        if all(isinstance(t, Zero) for t in tangents):
            with set_current_trace(self.parent):
                return self.parent.process_custom_vjp_call(prim, fun, fwd, bwd, primals, out_trees)
        from .partial_eval import is_linearizing
        parent = self.parent
        with set_current_trace(parent):
            reverse = is_linearizing(tangents)
            primal_out, tangent_out = custom_vjp_jvp(fun, fwd, bwd, primals, tangents, out_trees,
                                                     reverse)
        return [self.wrap(p, t) for p, t in zip(primal_out, tangent_out)]


def jvp_flat(fun: Callable[..., Sequence[Any]], primals: Sequence[Any],
             tangents: Sequence[Any]) -> tuple[list[Any], list[Any]]:
    """Run `fun` on (primal, tangent) pairs; return primal and tangent outputs (Zero allowed)."""
    parent = core.current_trace()
    trace = JVPTrace(parent)
    ins = [trace.wrap(p, t) for p, t in zip(primals, tangents)]
    with set_current_trace(trace):
        outs = fun(*ins)
    pairs = [trace.to_pair(o) for o in outs]
    return core.unzip2(pairs)
