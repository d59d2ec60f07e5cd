"""checkpoint / remat: recompute a function's linearization points in the backward pass
instead of storing them, with policies saying which values may be stored.

    y = remat_p.bind(*consts, *args, jaxpr=..., prevent_cse=..., differentiated=...,
                     policy=...)

`jaxpr` is const-free (closure-converted: the function's constants are leading inputs).
Eagerly, and under jvp/vmap, remat is an ordinary call of its body. What makes it
different is its partial evaluation rule, which is what reverse mode (linearize, vjp,
grad) runs on the jvp of the body:

  * the known half of the body (the primal computation) runs now, as usual;
  * of the known values the tangent computation needs (the residuals), only those the
    policy says are saveable are stored, plus the inputs of the remat;
  * everything else is recomputed: the staged (unknown) half is a new remat whose body
    first recomputes the unsaved residuals from the stored values, then computes the
    tangents. Transposing it (backward_pass evaluates its known equations first) is when
    the recomputation runs.

A policy is called as `policy(primitive, *input_avals, **params)` on each equation of the
known half that produces a needed value, and answers whether its outputs may be saved
(irax.checkpoint_policies, as jax.checkpoint_policies). `policy=None` saves nothing but
the inputs. A nested higher-order equation (scan, cond, a jit call) is saved or recomputed
as a whole: the policy does not look inside it.

`checkpoint_name(x, name)` tags a value with the identity primitive `name`, which the
name-based policies look for. Lowering inlines the body; the staged recomputation
(`differentiated=True`) passes its inputs through an optimization barrier when
`prevent_cse`, so the compiler cannot merge it with the forward computation.

Layering: above the transformations and the primitive families, beside custom and
jit_call; imports nothing above the tracer except irax.tree_util.
"""
from __future__ import annotations

import functools
import types
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from .. import tree_util
from . import core, source_info
from .ad_util import Zero, instantiate, tangent_aval
from .batching import batch_rules, vmap_flat
from .core import (Array, ClosedJaxpr, Eqn, Jaxpr, Literal, Primitive, ShapedArray, Tracer,
                   Var, get_aval, set_current_trace)
from .jvp import jvp_flat, jvp_rules
from .partial_eval import (PartialEvalTrace, StagingTrace, is_linearizing, partial_eval_rules,
                           split_jaxpr, trace_const_free, trace_to_jaxpr)
from .prims.linalg import dot_general_p
from .rules import BDim, Tangent, Value
from .transpose import backward_pass, is_undefined, transpose_rules

# the eager impl takes the arguments as they are and returns the body's Arrays
remat_p = Primitive("remat2", multiple_results=True, impl_takes_arrays=True)   # JAX's name
name_p = Primitive("name")


# ---------------------------------------------------------------------------
# Policies (irax.checkpoint_policies)


def everything_saveable(*_, **__) -> bool:
    """Save every residual: differentiation behaves as without checkpoint."""
    return True


def nothing_saveable(*_, **__) -> bool:
    """Save only the inputs of the checkpointed function; recompute everything else."""
    return False


@dataclass(frozen=True)
class DotsSaveable:
    """Save the results of matrix products (those without batch dimensions only, when
    `only_if_no_batch_dims`)."""
    only_if_no_batch_dims: bool

    def __call__(self, prim, *avals, **params) -> bool:
        if prim is not dot_general_p:
            return False
        if not self.only_if_no_batch_dims:
            return True
        _, (lhs_batch, rhs_batch) = params["dimension_numbers"]
        return not lhs_batch and not rhs_batch


dots_saveable = checkpoint_dots = DotsSaveable(False)
dots_with_no_batch_dims_saveable = DotsSaveable(True)


@dataclass(frozen=True)
class SaveOnlyTheseNames:
    names: frozenset

    def __call__(self, prim, *avals, **params) -> bool:
        return prim is name_p and params["name"] in self.names


@dataclass(frozen=True)
class SaveAnyNamesButThese:
    names: frozenset

    def __call__(self, prim, *avals, **params) -> bool:
        return prim is name_p and params["name"] not in self.names


@dataclass(frozen=True)
class SaveAnythingExceptTheseNames:
    names: frozenset

    def __call__(self, prim, *avals, **params) -> bool:
        return not (prim is name_p and params["name"] in self.names)


def save_only_these_names(*names: str) -> SaveOnlyTheseNames:
    """Save only values tagged by checkpoint_name with one of `names`."""
    return SaveOnlyTheseNames(frozenset(names))


def save_any_names_but_these(*names: str) -> SaveAnyNamesButThese:
    """Save only named values (checkpoint_name), except those with one of `names`."""
    return SaveAnyNamesButThese(frozenset(names))


def save_anything_except_these_names(*names: str) -> SaveAnythingExceptTheseNames:
    """Save every value except those tagged with one of `names`."""
    return SaveAnythingExceptTheseNames(frozenset(names))


def save_from_both_policies(policy_1: Callable[..., bool], policy_2: Callable[..., bool]
                            ) -> Callable[..., bool]:
    """A value is saveable when either policy says so."""
    def policy(prim, *avals, **params) -> bool:
        a, b = policy_1(prim, *avals, **params), policy_2(prim, *avals, **params)
        if not (isinstance(a, (bool, np.bool_)) and isinstance(b, (bool, np.bool_))):
            raise ValueError(f"save_from_both_policies: the policies must return booleans, "
                             f"got {a!r} and {b!r}")
        return bool(a or b)
    return policy


checkpoint_policies = types.SimpleNamespace(
    everything_saveable=everything_saveable,
    nothing_saveable=nothing_saveable,
    dots_saveable=dots_saveable,
    checkpoint_dots=checkpoint_dots,
    dots_with_no_batch_dims_saveable=dots_with_no_batch_dims_saveable,
    checkpoint_dots_with_no_batch_dims=dots_with_no_batch_dims_saveable,
    save_only_these_names=save_only_these_names,
    save_any_names_but_these=save_any_names_but_these,
    save_anything_except_these_names=save_anything_except_these_names,
    save_from_both_policies=save_from_both_policies,
)


# ---------------------------------------------------------------------------
# User API


def checkpoint_name(x: Any, name: str) -> Any:
    """x unchanged, tagged with `name` for the name-based checkpoint policies."""
    if not isinstance(name, str):
        raise TypeError(f"checkpoint_name: name must be a string, got {type(name).__name__}")
    return tree_util.tree_map(lambda v: name_p.bind(v, name=name), x)


def _fname(f) -> str:
    return getattr(f, "__name__", type(f).__name__)


def _static_positions(static_argnums, nargs: int, fname: str) -> frozenset[int]:
    for d in static_argnums:
        if not -nargs <= d < nargs:
            raise ValueError(f"the `static_argnums` argument to irax.checkpoint / irax.remat "
                             f"can only take integer values greater than or equal to "
                             f"`-len(args)` and less than `len(args)`, but got "
                             f"{tuple(static_argnums)}, while `len(args)` = {nargs} (in "
                             f"{fname})")
    return frozenset(d % nargs for d in static_argnums)


def checkpoint(fun: Callable, *, prevent_cse: bool | Sequence[bool] = True,
               policy: Callable[..., bool] | None = None,
               static_argnums: int | Sequence[int] = (),
               static_argnames: str | Iterable[str] = ()) -> Callable:
    """`fun`, recomputing its internal linearization points when differentiated in reverse
    mode instead of storing them (as jax.checkpoint / jax.remat).

    policy: which intermediate values may be stored (irax.checkpoint_policies); None
    stores only the inputs. prevent_cse: keep the compiler from merging the recomputation
    with the forward pass (a sequence of bools counts as True if any is). static_argnums /
    static_argnames: arguments passed to `fun` as Python values, not traced."""
    if not callable(fun):
        raise TypeError(f"irax.checkpoint expects a callable, got {type(fun).__name__}")
    if isinstance(static_argnums, int):
        static_argnums = (static_argnums,)
    if not all(isinstance(d, int) and not isinstance(d, bool) for d in static_argnums):
        raise TypeError("the `static_argnums` argument to irax.checkpoint / irax.remat must "
                        f"be an int or a tuple of ints, but got {static_argnums!r}")
    static_names = {static_argnames} if isinstance(static_argnames, str) else \
        set(static_argnames)
    if not isinstance(prevent_cse, bool):
        prevent_cse = any(bool(p) for p in prevent_cse)
    name = _fname(fun)

    @functools.wraps(fun)
    def fun_remat(*args: Any, **kwargs: Any) -> Any:
        statics = _static_positions(static_argnums, len(args), name)
        dyn_args = tuple(a for i, a in enumerate(args) if i not in statics)
        dyn_kwargs = {k: v for k, v in kwargs.items() if k not in static_names}
        leaves, in_tree = tree_util.tree_flatten((dyn_args, dyn_kwargs))
        for x in leaves:
            if not core.is_array_like(x):
                raise TypeError(f"irax.checkpoint of {name}: argument {x!r} of type "
                                f"{type(x).__name__} is not a valid irax type; pass it as a "
                                "static argument (static_argnums=...) instead")
        store: dict = {}

        def flat(*xs):
            d_args, d_kwargs = tree_util.tree_unflatten(in_tree, xs)
            it = iter(d_args)
            full = [args[i] if i in statics else next(it) for i in range(len(args))]
            kw = {k: (v if k in static_names else d_kwargs[k]) for k, v in kwargs.items()}
            out_leaves, store["tree"] = tree_util.tree_flatten(fun(*full, **kw))
            for o in out_leaves:
                if not core.is_array_like(o):
                    raise TypeError(f"irax.checkpoint of {name}: output {o!r} of type "
                                    f"{type(o).__name__} is not an array")
            return out_leaves
        try:
            jaxpr, consts = trace_const_free(flat, [get_aval(x) for x in leaves],
                                             description=f"irax.checkpoint of {name}")
        except core.ConcretizationTypeError as e:
            raise core.ConcretizationTypeError(
                f"{e}\n\nThis happened while tracing {name} for irax.checkpoint: its array "
                "arguments are abstract there. Consider the `static_argnums` parameter of "
                "irax.checkpoint / irax.remat for arguments used in Python control flow."
            ).with_traceback(e.__traceback__) from None
        outs = remat_p.bind(*consts, *leaves, jaxpr=jaxpr, prevent_cse=prevent_cse,
                            differentiated=False, policy=policy)
        return tree_util.tree_unflatten(store["tree"], outs)
    return fun_remat


remat = checkpoint


# ---------------------------------------------------------------------------
# Jaxpr helpers


def _body(jaxpr: ClosedJaxpr) -> Callable[..., list[Any]]:
    def run(*args):
        return core.eval_jaxpr(jaxpr.jaxpr, jaxpr.consts, args)
    return run


def _dce(jaxpr: Jaxpr, outvars: Sequence[Any]) -> Jaxpr:
    """`jaxpr` computing only `outvars`. An equation without outputs exists for its effect
    (a debug callback) and is kept, as is an io_callback."""
    live = {v for v in outvars if isinstance(v, Var)}
    kept = []
    for e in reversed(jaxpr.eqns):
        if not e.outputs or e.primitive.name == "io_callback" or \
                any(v in live for v in e.outputs):
            kept.append(e)
            live.update(a for a in e.inputs if isinstance(a, Var))
    return Jaxpr(list(jaxpr.constvars), list(jaxpr.invars), kept[::-1], list(outvars))


def _rename(eqn: Eqn, env: dict) -> Eqn:
    """A copy of eqn reading env[input] and writing fresh variables (recorded in env)."""
    ins = [a if isinstance(a, Literal) else env[a] for a in eqn.inputs]
    outs = []
    for v in eqn.outputs:
        env[v] = Var(v.aval)
        outs.append(env[v])
    return Eqn(eqn.primitive, ins, outs, eqn.params, eqn.context, eqn.source_info)


def _policy_saveable(policy: Callable[..., bool], eqn: Eqn) -> bool:
    return bool(policy(eqn.primitive, *[a.aval for a in eqn.inputs], **eqn.params))


def _choose_saved(known: Jaxpr, needed: Sequence[Var], policy: Callable[..., bool]
                  ) -> tuple[list[Var], list[Eqn]]:
    """Which values of the known jaxpr to store so that `needed` can be recomputed, and
    the equations that recompute them: walking back from each needed value, stop at the
    known jaxpr's inputs and at values whose producer the policy saves."""
    producer = {v: e for e in known.eqns for v in e.outputs}
    inputs = set(known.invars)
    verdict: dict[int, bool] = {}
    saved: dict[Var, None] = {}
    recompute: set[int] = set()
    seen: set[Var] = set()
    stack = [v for v in needed if isinstance(v, Var)]
    while stack:
        v = stack.pop()
        if v in seen:
            continue
        seen.add(v)
        if v in inputs:
            saved[v] = None
            continue
        e = producer[v]
        if id(e) not in verdict:
            verdict[id(e)] = _policy_saveable(policy, e)
        if verdict[id(e)]:
            saved[v] = None
            continue
        recompute.add(id(e))
        stack.extend(a for a in e.inputs if isinstance(a, Var))
    return list(saved), [e for e in known.eqns if id(e) in recompute]


def _rerun_callbacks(known: Jaxpr, policy: Callable[..., bool]) -> list[Eqn]:
    """The debug callbacks of the forward pass that run again in the recomputation, as in
    JAX: those the policy does not save, and those all of whose values it does not save
    (a print of rematerialized values is rematerialized too)."""
    producer = {v: e for e in known.eqns for v in e.outputs}
    rerun = []
    for e in known.eqns:
        if e.primitive.name != "debug_callback":
            continue
        ins = [a for a in e.inputs if isinstance(a, Var)]
        unsaved = [a for a in ins if a in producer and not _policy_saveable(policy, producer[a])]
        if not _policy_saveable(policy, e) or (ins and len(unsaved) == len(ins)):
            rerun.append(e)
    return rerun


def _as_arrays(outs: Sequence[Any], avals: Sequence[ShapedArray]) -> list[Any]:
    return [o if isinstance(o, (Array, Tracer)) else
            Array(np.asarray(o, dtype=a.dtype), a.weak_type) for o, a in zip(outs, avals)]


# ---------------------------------------------------------------------------
# Rules


def _remat_impl(*args: Value, jaxpr: ClosedJaxpr, prevent_cse, differentiated, policy
                ) -> list[Value]:
    return _as_arrays(core.eval_jaxpr(jaxpr.jaxpr, jaxpr.consts, args), jaxpr.out_avals)


def _remat_abstract(*avals: ShapedArray, jaxpr: ClosedJaxpr, prevent_cse, differentiated,
                    policy) -> list[ShapedArray]:
    expected = jaxpr.in_avals
    if len(avals) != len(expected):
        raise TypeError(f"remat: the body takes {len(expected)} arguments, got {len(avals)}")
    for i, (a, e) in enumerate(zip(avals, expected)):
        if not core.same_type(a, e):
            raise TypeError(f"remat: argument {i} is {a.str_short()}, the body expects "
                            f"{e.str_short()}")
    return list(jaxpr.out_avals)


def _remat_jvp(primals: Sequence[Value], tangents: Sequence[Tangent], *, jaxpr: ClosedJaxpr,
               **params: Any) -> tuple[list[Value], list[Tangent]]:
    in_avals = list(jaxpr.in_avals)
    nonzero = [not isinstance(t, Zero) for t in tangents]
    out_nz: list[bool] = []
    n = len(in_avals)

    def jvp_body(*xs):
        ts = iter(xs[n:])
        tans = [next(ts) if nz else Zero(tangent_aval(a)) for a, nz in zip(in_avals, nonzero)]
        p_out, t_out = jvp_flat(_body(jaxpr), xs[:n], tans)
        out_nz[:] = [not isinstance(t, Zero) for t in t_out]
        return [*p_out, *[t for t in t_out if not isinstance(t, Zero)]]
    t_avals = [tangent_aval(a) for a, nz in zip(in_avals, nonzero) if nz]
    new, consts = trace_const_free(jvp_body, [*in_avals, *t_avals],
                                   linearizing=is_linearizing(tangents))
    nz_tangents = [t for t in tangents if not isinstance(t, Zero)]
    outs = remat_p.bind(*consts, *primals, *nz_tangents, jaxpr=new, **params)
    nout = len(jaxpr.out_avals)
    t_iter = iter(outs[nout:])
    t_out = [next(t_iter) if nz else Zero(tangent_aval(a))
             for nz, a in zip(out_nz, jaxpr.out_avals)]
    return outs[:nout], t_out


def _remat_partial_eval(trace: PartialEvalTrace, args: Sequence[Value], params: dict
                        ) -> list[Value]:
    jaxpr = params["jaxpr"]
    policy = params["policy"] or nothing_saveable
    unknowns = [trace.is_mine(a) for a in args]
    nout = len(jaxpr.out_avals)
    with set_current_trace(trace.parent):   # forward_only: the linearizing trace's
        split = split_jaxpr(jaxpr, unknowns, [False] * nout, forward_only=trace.forward_only)
    known = split.known.jaxpr    # [known consts, known args] -> [known outs, residuals]
    n_known_out = nout - sum(split.out_uk)
    known_outs = known.outvars[:n_known_out]
    # each residual (a constvar of the unknown jaxpr) is a value of the known jaxpr or a
    # plain constant ('val'); only the policy's saveable ones (and inputs) are stored
    res_vars = [known.outvars[n_known_out + x] if kind == "out" else None
                for kind, x in split.residuals]
    rerun = _rerun_callbacks(known, policy)
    needed = [v for v in res_vars if v is not None]
    saved, recompute = _choose_saved(
        known, needed + [a for e in rerun for a in e.inputs if isinstance(a, Var)], policy)
    chosen = {id(e) for e in recompute + rerun}
    recompute = [e for e in known.eqns if id(e) in chosen]
    with set_current_trace(trace.parent):
        k_args = [*split.known_consts, *[a for a, u in zip(args, unknowns) if not u]]
        k_outs = core.eval_jaxpr(_dce(known, [*known_outs, *saved]), [], k_args)
    known_vals, saved_vals = k_outs[:n_known_out], k_outs[n_known_out:]
    # the staged body: recompute the unsaved residuals, then the unknown half
    env: dict = {v: Var(v.aval) for v in saved}
    body_invars = [env[v] for v in saved]
    body_eqns = [_rename(e, env) for e in recompute]
    val_args = []
    unknown = split.unknown
    for c, (kind, x), rv in zip(unknown.constvars, split.residuals, res_vars):
        if rv is None:
            env[c] = Var(c.aval)
            body_invars.append(env[c])
            val_args.append(x)
        else:
            env[c] = rv if isinstance(rv, Literal) else env[rv]
    env.update((v, v) for v in unknown.invars)
    for e in unknown.eqns:
        ins = [a if isinstance(a, Literal) else env.get(a, a) for a in e.inputs]
        body_eqns.append(Eqn(e.primitive, ins, e.outputs, e.params, e.context,
                             e.source_info))
        env.update((v, v) for v in e.outputs)
    body_out = [a if isinstance(a, Literal) else env[a] for a in unknown.outvars]
    body = ClosedJaxpr(Jaxpr([], body_invars + list(unknown.invars), body_eqns, body_out), [])
    unknown_args = [a for a, u in zip(args, unknowns) if u]
    staged = StagingTrace.process_primitive(
        trace, remat_p, [*saved_vals, *val_args, *unknown_args],
        dict(params, jaxpr=body, differentiated=True))
    k_iter, u_iter = iter(known_vals), iter(staged)
    return [next(u_iter) if u else next(k_iter) for u in split.out_uk]


def _remat_transpose(cts: Sequence[Tangent], *invals: Value, jaxpr: ClosedJaxpr,
                     **params: Any) -> list[Value | None]:
    linear = [is_undefined(x) for x in invals]
    ct_nz = [not isinstance(c, Zero) and c is not None for c in cts]
    if not any(ct_nz):
        return [None] * len(invals)
    j = jaxpr.jaxpr
    lin_j = Jaxpr([v for v, lin in zip(j.invars, linear) if not lin],
                  [v for v, lin in zip(j.invars, linear) if lin], j.eqns, j.outvars)
    knowns = [x for x in invals if not is_undefined(x)]
    res_nz: list[bool] = []

    def transposed(*xs):
        kv, ct_in = xs[:len(knowns)], iter(xs[len(knowns):])
        cts_full = [next(ct_in) if nz else Zero(a) for a, nz in zip(jaxpr.out_avals, ct_nz)]
        res = backward_pass(lin_j, kv, cts_full)    # recomputes the known equations first
        res_nz[:] = [not isinstance(r, Zero) for r in res]
        return [r for r in res if not isinstance(r, Zero)]
    ct_vals = [instantiate(c) for c, nz in zip(cts, ct_nz) if nz]
    new, consts = trace_const_free(transposed, [*[get_aval(k) for k in knowns],
                                                *[get_aval(c) for c in ct_vals]])
    outs = iter(remat_p.bind(*consts, *knowns, *ct_vals, jaxpr=new, **params))
    res = iter([next(outs) if nz else None for nz in res_nz])
    return [next(res) if lin else None for lin in linear]


def _remat_batch(axis_size: int, vals: Sequence[Value], dims: Sequence[BDim], *,
                 jaxpr: ClosedJaxpr, **params: Any) -> tuple[list[Value], list[BDim]]:
    dims = list(dims)
    in_avals = [a if d is None else ShapedArray((axis_size, *a.shape), a.dtype, a.weak_type)
                for a, d in zip(jaxpr.in_avals, dims)]
    out_dims: list[BDim] = []

    def batched(*xs):
        outs, odims = vmap_flat(_body(jaxpr), xs, dims, axis_size)
        out_dims[:] = odims
        return outs
    new, consts = trace_const_free(batched, in_avals)
    outs = remat_p.bind(*consts, *vals, jaxpr=new, **params)
    return outs, list(out_dims)


core.abstract_eval_rules[remat_p] = _remat_abstract
core.impl_rules[remat_p] = _remat_impl
jvp_rules[remat_p] = _remat_jvp
partial_eval_rules[remat_p] = _remat_partial_eval
transpose_rules[remat_p] = _remat_transpose
batch_rules[remat_p] = _remat_batch


# name: the identity, tagging its operand for the policies (the tangent is not tagged)

def _name_jvp(primals: Sequence[Value], tangents: Sequence[Tangent], *, name: str):
    (x,), (t,) = primals, tangents
    return name_p.bind(x, name=name), t


def _name_batch(axis_size: int, vals: Sequence[Value], dims: Sequence[BDim], *, name: str):
    return name_p.bind(vals[0], name=name), dims[0]


core.abstract_eval_rules[name_p] = lambda aval, *, name: aval
core.impl_rules[name_p] = lambda x, *, name: x
jvp_rules[name_p] = _name_jvp
batch_rules[name_p] = _name_batch


# ---------------------------------------------------------------------------
# What reverse mode stores (jax.ad_checkpoint.saved_residuals)


def _arg_names(f: Callable, args: tuple, kwargs: dict) -> list[str] | None:
    """The name of each array leaf of (args, kwargs), as JAX's debug info writes it: the
    parameter the value binds to in f's signature followed by its key path (`W1`,
    `params[0]`, `kwargs['a']`); None when the names do not line up with the leaves."""
    import inspect
    try:
        sig: inspect.Signature | None = inspect.signature(f)
        bound = sig.bind(*args, **kwargs)
    except (TypeError, ValueError):
        sig = bound = None
    if sig is not None and bound is not None:
        var_kw = next((p.name for p in sig.parameters.values()
                       if p.kind is inspect.Parameter.VAR_KEYWORD), None)
        # leaves are ordered as tree_flatten((args, kwargs)) orders them: the positional
        # arguments, then the keyword ones sorted by keyword
        groups = [(n, v) for n, v in bound.arguments.items() if n not in kwargs and n != var_kw]
        groups += [(k if k in bound.arguments else f"{var_kw}['{k}']", kwargs[k])
                   for k in sorted(kwargs)]
    else:
        groups = [("args", args)] + [(f"kwargs['{k}']", kwargs[k]) for k in sorted(kwargs)]
    return [name + tree_util.keystr(path) for name, value in groups
            for path, _ in tree_util.tree_flatten_with_path(value)[0]]


def saved_residuals(f: Callable, *args: Any, **kwargs: Any) -> list[tuple[ShapedArray, str]]:
    """The values vjp(f, *args) stores for its backward pass: (aval, where it comes from),
    listed as JAX lists them: literals, constants, arguments, then the equations that
    produce the others, in program order, each value once."""
    from .api import vjp   # api is above this module (imported when first needed)
    leaves, in_tree = tree_util.tree_flatten((args, kwargs))
    names = _arg_names(f, args, kwargs)
    if names is not None and len(names) != len(leaves):
        names = None

    def f_flat(*xs):
        a, k = tree_util.tree_unflatten(in_tree, xs)
        return f(*a, **k)
    store: dict = {}

    def with_residuals(*xs):
        out, pullback = vjp(f_flat, *xs)
        out_leaves = tree_util.tree_leaves(out)
        res = tree_util.tree_leaves(pullback)
        store["n"] = len(res)
        return [*out_leaves, *res]
    with source_info.recording():
        closed = trace_to_jaxpr(with_residuals, [get_aval(x) for x in leaves],
                                parent=core.EvalTrace())
    j = closed.jaxpr
    res_atoms = j.outvars[len(j.outvars) - store["n"]:]
    res_vars = {a for a in res_atoms if isinstance(a, Var)}
    result = [(a.aval, "from a literal") for a in res_atoms if isinstance(a, Literal)]
    result += [(v.aval, "from a constant") for v in j.constvars if v in res_vars]
    for i, v in enumerate(j.invars):
        if v in res_vars:
            where = names[i] if names is not None else f"at flattened index {i}"
            result.append((v.aval, f"from the argument {where}"))
    for e in j.eqns:
        for v in e.outputs:
            if v not in res_vars:
                continue
            src = source_info.summarize(e.source_info)
            if e.primitive is name_p:
                result.append((v.aval, f"named '{e.params['name']}' from {src}"))
            elif e.primitive.name == "jit_call":
                result.append((v.aval, f"output of jitted function '{e.params['name']}' "
                                       f"from {src}"))
            else:
                result.append((v.aval, f"output of {e.primitive.name} from {src}"))
    return result


def print_saved_residuals(f: Callable, *args: Any, **kwargs: Any) -> None:
    for aval, src in saved_residuals(f, *args, **kwargs):
        print(f"{aval.str_short()} {src}")
