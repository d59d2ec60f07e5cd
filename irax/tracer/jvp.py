"""Forward mode: JVPTrace and the jvp rule table (with its rule constructors).

Layering: a transformation; imports core, ad_util and rules only. The primitive families
register their jvp rules here. custom_jvp functions are handled here directly (the user's
rule runs on the tangents, Zero included: tracer/custom.py's wrapper instantiates them or
passes them on as SymbolicZero); custom_vjp functions through the rule that
tracer/custom.py registers in `custom_vjp_rules` (its fwd pass and a `custom_lin` map).
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

from . import core
from .ad_util import Zero, add_tangents, instantiate, tangent_aval
from .core import Primitive, ShapedArray, Trace, Tracer, get_aval, set_current_trace
from .rules import CustomCallRule, JvpRule, TangentFn

# ---------------------------------------------------------------------------
# Rule table and constructors

jvp_rules: dict[Primitive, JvpRule] = {}
# custom_vjp_call -> its jvp: rule(fun, fwd, bwd, primals, tangents, out_trees, reverse)
custom_vjp_rules: dict[Primitive, CustomCallRule] = {}


def defjvp(prim: Primitive, *per_arg: TangentFn | None) -> None:
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


def defjvp_with_output(prim: Primitive, *per_arg: TangentFn | None) -> None:
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

    def __repr__(self) -> str:   # as JAX's: reverse mode stages its tangents
        if isinstance(self.tangent, core.Tracer) and not isinstance(self.tangent, JVPTracer):
            return f"GradTracer(primal={self.primal}, typeof(tangent)=" \
                   f"{core.get_aval(self.tangent).str_short()})"
        return f"JVPTracer(primal={self.primal}, tangent={self.tangent})"


class JVPTrace(Trace):
    def __init__(self, parent: Trace):
        self.parent = parent

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
        primals, tangents = core.unzip2(self.to_pair(x) for x in args)
        if all(isinstance(t, Zero) for t in tangents):
            with set_current_trace(self.parent):
                return self.parent.process_custom_jvp_call(prim, fun, jvp, primals)
        # the rule gets the symbolic Zero tangents: it instantiates them, or shows them to a
        # rule defined with symbolic_zeros=True; it may return Zero tangents too
        with set_current_trace(self.parent):
            primal_out, tangent_out = jvp(list(primals), list(tangents))
        return [self.wrap(p, t) for p, t in zip(primal_out, tangent_out)]

    def process_custom_vjp_call(self, prim, fun, fwd, bwd, args, out_trees):
        primals, tangents = core.unzip2(self.to_pair(x) for x in args)
        if all(isinstance(t, Zero) for t in tangents):
            with set_current_trace(self.parent):
                return self.parent.process_custom_vjp_call(prim, fun, fwd, bwd, primals, out_trees)
        rule = custom_vjp_rules.get(prim)
        if rule is None:
            raise NotImplementedError(f"Differentiation rule for '{prim.name}' not implemented")
        with set_current_trace(self.parent):
            reverse = self.parent.is_linearizing(tangents)
            primal_out, tangent_out = rule(fun, fwd, bwd, primals, tangents, out_trees, reverse)
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
