"""`jit_call`: a staged call of a compiled function, and its transformation rules.

    outs = jit_call_p.bind(*args, jaxpr=closed, name="f", device="cpu")

`jaxpr` is a ClosedJaxpr *without* constants (closure-converted: constants are leading
inputs). Eager evaluation runs it through a hook the jit layer installs (`set_impl`): the
tracer does not import IREE. Every transformation rule produces a new const-free jaxpr
and binds jit_call again, so jvp/grad/vmap of a jitted function stay compiled:

  * jvp:       the jvp of the body traced into a new jaxpr (primals, nonzero tangents);
  * partial eval (linearize): `partial_eval_jaxpr` splits the body into a known jaxpr
               (run now, as jit_call) and an unknown one (staged, as jit_call, taking the
               residuals first);
  * transpose: backward_pass of the body traced into a new jaxpr;
  * vmap:      the batched body traced into a new jaxpr.

Derived jaxprs are memoised per (source jaxpr, what is known / nonzero / batched), so a
re-call of grad(jit(f)) traces nothing new and reuses the compiled executables.

Layering: above the transformations (it registers a rule in each table); imports nothing
above the tracer. irax/jit.py (the compiling layer) binds jit_call_p and installs the impl.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

from . import core, pretty
from .ad_util import Zero, instantiate
from .batching import batch_rules, named_batch_rules, vmap_flat
from .core import ClosedJaxpr, Jaxpr, Primitive, ShapedArray, set_current_trace
from .dtypes import config
from .jvp import jvp_flat, jvp_rules
from .memo import IdentityCache
from .partial_eval import (PartialEvalTrace, SplitJaxpr, StagingTrace, is_linearizing,
                           partial_eval_rules, split_jaxpr, trace_const_free)
from .rules import BDim, Tangent, Value
from .transpose import backward_pass, is_undefined, transpose_rules

# the eager impl takes the arguments as they are: compiled results stay on the device
jit_call_p = Primitive("jit_call", multiple_results=True, impl_takes_arrays=True)


# ---------------------------------------------------------------------------
# Eager evaluation: a hook installed by irax.jit (so the tracer never imports IREE)

_impl_hook: Callable[..., list[Any]] | None = None


def set_impl(fn: Callable[..., list[Any]]) -> None:
    """fn(args, jaxpr=..., name=..., device=...) -> list of concrete outputs."""
    global _impl_hook
    _impl_hook = fn


def _jit_call_impl(*args: Value, jaxpr: ClosedJaxpr, name: str, device: str) -> list[Value]:
    # no compiler layer loaded, or an enclosing jit call running on the eager tier
    # (irax/jit_tiers.py): interpret the body eagerly
    if _impl_hook is None or core._state.eager_tier:
        with set_current_trace(core.EvalTrace()):
            return core.eval_jaxpr(jaxpr.jaxpr, jaxpr.consts, args)
    return _impl_hook(args, jaxpr=jaxpr, name=name, device=device)


def _jit_call_abstract(*avals: ShapedArray, jaxpr: ClosedJaxpr, name: str, device: str
                       ) -> list[ShapedArray]:
    expected = jaxpr.in_avals
    if len(avals) != len(expected):
        raise TypeError(f"jit_call of {name}: expected {len(expected)} arguments, "
                        f"got {len(avals)}")
    for i, (a, e) in enumerate(zip(avals, expected)):
        if not core.same_type(a, e):
            raise TypeError(f"jit_call of {name}: argument {i} is {a.str_short()}, the "
                            f"compiled function expects {e.str_short()}")
    return list(jaxpr.out_avals)


# ---------------------------------------------------------------------------
# Helpers


def stage(fun: Callable[..., Sequence[Any]], in_avals: Sequence[ShapedArray],
          description: str | None = None, linearizing: bool = False
          ) -> tuple[ClosedJaxpr, list[Any]]:
    """Trace `fun` into a const-free jaxpr; returns (jaxpr, consts to pass as leading args).

    Traced with an EvalTrace parent: the body sees only its own arguments."""
    return trace_const_free(fun, in_avals, parent=core.EvalTrace(), description=description,
                            linearizing=linearizing)


def _body(jaxpr: ClosedJaxpr) -> Callable[..., list[Any]]:
    def run(*args):
        return core.eval_jaxpr(jaxpr.jaxpr, jaxpr.consts, args)
    return run


_memo = IdentityCache(512)


def bind_staged(jaxpr: ClosedJaxpr, consts: Sequence[Any], args: Sequence[Any], name: str,
                device: str) -> list[Any]:
    return jit_call_p.bind(*consts, *args, jaxpr=jaxpr, name=name, device=device)


# ---------------------------------------------------------------------------
# jvp


def _jit_call_jvp(primals: Sequence[Value], tangents: Sequence[Tangent], *, jaxpr: ClosedJaxpr,
                  name: str, device: str) -> tuple[list[Value], list[Tangent]]:
    nonzero = tuple(not isinstance(t, Zero) for t in tangents)
    linearizing = is_linearizing(tangents)   # reverse mode: custom_vjp bodies use fwd/bwd

    def make():
        out_nz: list[bool] = []
        in_avals = list(jaxpr.in_avals)
        t_avals = [a for a, nz in zip(in_avals, nonzero) if nz]

        def fun(*xs):
            ps, ts = xs[:len(in_avals)], iter(xs[len(in_avals):])
            tans = [next(ts) if nz else Zero(a) for a, nz in zip(in_avals, nonzero)]
            p_out, t_out = jvp_flat(_body(jaxpr), ps, tans)
            out_nz[:] = [not isinstance(t, Zero) for t in t_out]
            return [*p_out, *[t for t in t_out if not isinstance(t, Zero)]]
        new, consts = stage(fun, [*in_avals, *t_avals], linearizing=linearizing)
        return new, consts, out_nz
    new, consts, out_nz = _memo.get(jaxpr, make,
                                  (("jvp", nonzero, linearizing), config.enable_x64))
    nz_tangents = [t for t in tangents if not isinstance(t, Zero)]
    outs = bind_staged(new, consts, [*primals, *nz_tangents], f"jvp_{name}", device)
    n = len(jaxpr.out_avals)
    p_out, t_iter = outs[:n], iter(outs[n:])
    t_out = [next(t_iter) if nz else Zero(a) for nz, a in zip(out_nz, jaxpr.out_avals)]
    return p_out, t_out


# ---------------------------------------------------------------------------
# Partial evaluation


def partial_eval_jaxpr(closed: ClosedJaxpr, unknowns: Sequence[bool], forward_only: bool = False
                       ) -> tuple[SplitJaxpr, ClosedJaxpr]:
    """Split `closed` by which inputs are unknown (partial_eval.split_jaxpr), with the
    unknown part closure-converted: unknown(*residuals, *unknown_inputs) -> unknown outputs.
    Traced under a fresh EvalTrace: the body sees only its own arguments."""
    with set_current_trace(core.EvalTrace()):
        split = split_jaxpr(closed, unknowns, [False] * len(closed.out_avals),
                            forward_only=forward_only)
    uj = split.unknown
    return split, ClosedJaxpr(Jaxpr([], uj.constvars + uj.invars, uj.eqns, uj.outvars), [])


def _jit_call_partial_eval(trace: PartialEvalTrace, args: Sequence[Value], params: dict
                           ) -> list[Value]:
    jaxpr, name, device = params["jaxpr"], params["name"], params["device"]
    unknowns = tuple(trace.is_mine(x) for x in args)
    forward = trace.forward_only
    split, unknown = _memo.get(jaxpr, lambda: partial_eval_jaxpr(jaxpr, unknowns, forward),
                               (("pe", unknowns, forward), config.enable_x64))
    known_args = [x for x, u in zip(args, unknowns) if not u]
    with set_current_trace(trace.parent):
        known_outs = bind_staged(split.known, split.known_consts, known_args, name, device)
    n_known = sum(not u for u in split.out_uk)
    computed = known_outs[n_known:]
    # ('in', i) is never reported (nothing is forwardable here); ('val', v) is a constant
    residuals = [computed[x] if kind == "out" else x for kind, x in split.residuals]
    unknown_args = [x for x, u in zip(args, unknowns) if u]
    staged = StagingTrace.process_primitive(
        trace, jit_call_p, [*residuals, *unknown_args],
        dict(jaxpr=unknown, name=f"{name}_lin", device=device))
    k_iter, u_iter = iter(known_outs[:n_known]), iter(staged)
    return [next(u_iter) if u else next(k_iter) for u in split.out_uk]


# ---------------------------------------------------------------------------
# Transpose


def _jit_call_transpose(cts: Sequence[Tangent], *invals: Value, jaxpr: ClosedJaxpr, name: str,
                        device: str) -> list[Value | None]:
    linear = tuple(is_undefined(x) for x in invals)
    ct_nonzero = tuple(not isinstance(c, Zero) and c is not None for c in cts)
    if not any(ct_nonzero):
        return [None] * len(invals)

    def make():
        j = jaxpr.jaxpr
        lin_vars = [v for v, lin in zip(j.invars, linear) if lin]
        known_vars = [v for v, lin in zip(j.invars, linear) if not lin]
        j2 = Jaxpr(known_vars, lin_vars, j.eqns, j.outvars)
        known_avals = [v.aval for v in known_vars]
        ct_avals = [a for a, nz in zip(jaxpr.out_avals, ct_nonzero) if nz]
        res_nonzero: list[bool] = []

        def fun(*xs):
            knowns, ct_in = xs[:len(known_avals)], iter(xs[len(known_avals):])
            cts_full = [next(ct_in) if nz else Zero(a)
                        for a, nz in zip(jaxpr.out_avals, ct_nonzero)]
            res = backward_pass(j2, knowns, cts_full)
            res_nonzero[:] = [not isinstance(r, Zero) for r in res]
            return [r for r in res if not isinstance(r, Zero)]
        new, consts = stage(fun, [*known_avals, *ct_avals])
        return new, consts, res_nonzero
    new, consts, res_nonzero = _memo.get(jaxpr, make,
                                  (("transpose", linear, ct_nonzero), config.enable_x64))
    knowns = [x for x in invals if not is_undefined(x)]
    cts_in = [instantiate(c) for c, nz in zip(cts, ct_nonzero) if nz]
    outs = iter(bind_staged(new, consts, [*knowns, *cts_in], f"transpose_{name}", device))
    res = iter(next(outs) if nz else None for nz in res_nonzero)
    return [next(res) if lin else None for lin in linear]


# ---------------------------------------------------------------------------
# vmap


def _jit_call_batch(axis_size: int, vals: Sequence[Value], dims: Sequence[BDim], *,
                    jaxpr: ClosedJaxpr, name: str, device: str, axis_name: Any = None
                    ) -> tuple[list[Value], list[BDim]]:
    dims = tuple(dims)

    def make():
        in_avals = [get_aval_batched(a, d, axis_size) for a, d in zip(jaxpr.in_avals, dims)]
        out_dims: list[int | None] = []

        def fun(*xs):
            outs, odims = vmap_flat(_body(jaxpr), xs, dims, axis_size, axis_name)
            out_dims[:] = odims
            return outs
        new, consts = stage(fun, in_avals)
        return new, consts, out_dims
    new, consts, out_dims = _memo.get(jaxpr, make,
                                  (("vmap", dims, axis_size, axis_name), config.enable_x64))
    outs = bind_staged(new, consts, vals, f"vmap_{name}", device)
    return outs, list(out_dims)


def get_aval_batched(aval: ShapedArray, bdim: int | None, axis_size: int) -> ShapedArray:
    if bdim is None:
        return aval
    shape = list(aval.shape)
    shape.insert(bdim, axis_size)
    return ShapedArray(tuple(shape), aval.dtype, aval.weak_type)


# ---------------------------------------------------------------------------
# Registration

def _jit_call_pp(eqn, ctx):
    # printed as JAX prints its jit equations: `jit[name=f jaxpr={ lambda ; a:f32[]. ...`,
    # the body's binders named after the caller's operands and results; the device is
    # irax's own (JAX's jaxprs show none)
    body = eqn.params["jaxpr"].jaxpr
    if not ctx.is_shared(body):
        ctx.suggest_names(body.invars, eqn.inputs)
        ctx.suggest_names(body.outvars, eqn.outputs)
    rest = [(k, v) for k, v in pretty.visible_params(eqn) if k not in ("name", "device")]
    return "jit", [("name", eqn.params["name"])] + rest


core.abstract_eval_rules[jit_call_p] = _jit_call_abstract
core.impl_rules[jit_call_p] = _jit_call_impl
jvp_rules[jit_call_p] = _jit_call_jvp
partial_eval_rules[jit_call_p] = _jit_call_partial_eval
transpose_rules[jit_call_p] = _jit_call_transpose
pretty.pp_eqn_rules[jit_call_p] = _jit_call_pp
batch_rules[jit_call_p] = _jit_call_batch
# a staged function whose collectives name the vmap's axis (vmap(jit(f), axis_name=...))
named_batch_rules[jit_call_p] = (
    lambda axis_size, axis_name, vals, dims, **params:
    _jit_call_batch(axis_size, vals, dims, axis_name=axis_name, **params))
