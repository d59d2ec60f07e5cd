"""vmap: BatchTrace and the batching rule table.

Invariant that keeps rules short: a batched value always carries its batch axis at
position 0 (vmap moves in_axes there on entry and out to out_axes on exit); an unbatched
value has batch dim None.

Layering: a transformation; imports core, ad_util and rules only (the broadcasts and
transposes it needs are ad_util's provided operations). custom_jvp / custom_vjp functions
are batched here: the function and its rules are vmapped at axis 0 and handed to the
parent trace as a new custom call.
"""
from __future__ import annotations

import functools
import threading
from typing import Any, Callable, Sequence

from . import ad_util, core
from .ad_util import instantiate_all
from .core import (Primitive, ShapedArray, Trace, Tracer, get_aval, set_current_trace,
                   type_string)
from .rules import BatchRule, BDim, Value

batch_rules: dict[Primitive, BatchRule] = {}
# Collectives (psum, all_gather, ...; prims/collectives.py): rule(axis_size, name, vals, dims,
# **params), used by the BatchTrace whose axis_name the primitive's `axis_name` names --
# also when no operand is batched (psum of an unbatched value still sums over the axis).
named_batch_rules: dict[Primitive, BatchRule] = {}

# The named axes of the vmaps whose functions are being traced now, innermost last:
# (name, size). Collectives look their names up here (axis_size, and the NameError for a
# name no enclosing vmap binds).
axis_env: list[tuple[Any, int]] = []


def axis_names_used(params: dict[str, Any]) -> set[Any]:
    """The axis names a primitive's collectives use: its own `axis_name`, or those of the
    collectives inside the jaxprs among its params (a staged call of a function that calls
    psum must be batched by the vmap that binds that name, even with no batched operand)."""
    names: set[Any] = set()

    def walk(ps: dict[str, Any]) -> None:
        own = ps.get("axis_name")
        if isinstance(own, tuple):
            names.update(own)
        for v in ps.values():
            for body in (v if isinstance(v, (tuple, list)) else (v,)):   # cond's branches
                body = body.jaxpr if isinstance(body, core.ClosedJaxpr) else body
                if isinstance(body, core.Jaxpr):
                    for eqn in body.eqns:
                        walk(eqn.params)
    walk(params)
    return names


class _OwnedAxis(threading.local):
    """The axis name of the vmap whose batch rule is running now, when the primitive being
    batched holds collectives naming it (a loop or branch whose body calls psum('i')): the
    rule batches the body with a trace owning that name, so the body's collectives reduce
    over the same examples (see body_axis_name)."""

    name: Any = None


_owned_axis = _OwnedAxis()


def body_axis_name() -> Any:
    """The axis name a batch rule should give the vmap of its body (None: none)."""
    return _owned_axis.name


def axis_env_size(name: Any) -> int | None:
    for n, size in reversed(axis_env):
        if n == name:
            return size
    return None


class BatchTracer(Tracer):
    __slots__ = ("_trace", "val", "bdim")

    def __init__(self, trace: "BatchTrace", val: Any, bdim: int | None):
        self._trace = trace
        self.val = val
        self.bdim = bdim

    @property
    def aval(self) -> ShapedArray:
        a = get_aval(self.val)
        if self.bdim is None:
            return a
        return ShapedArray(a.shape[1:], a.dtype, a.weak_type)

    def _trace_description(self) -> str:
        return "vmap (a batched value has one value per example)"

    def __repr__(self) -> str:   # as JAX's
        return (f"VmapTracer(aval={type_string(self.aval)}, "
                f"batched={type_string(get_aval(self.val))})")


class _VmapTag:
    """Identifies one vmap, and carries its axis name to the traces that batch its custom
    rules (vmap_flat with this tag)."""

    __slots__ = ("axis_name",)

    def __init__(self, axis_name: Any) -> None:
        self.axis_name = axis_name


class BatchTrace(Trace):
    def __init__(self, parent: Trace, axis_size: int, axis_name: Any = None,
                 tag: object | None = None):
        self.parent = parent
        self.axis_size = axis_size
        self.axis_name = axis_name
        # One tag per vmap. A custom rule batched by this vmap runs under a BatchTrace of
        # its own with the same tag, so the rule may close over this vmap's values (and its
        # collectives reduce over this vmap's axis).
        self.tag = _VmapTag(axis_name) if tag is None else tag

    def to_pair(self, x: Any) -> tuple[Any, int | None]:
        if isinstance(x, BatchTracer) and (x._trace is self or x._trace.tag is self.tag):
            return x.val, x.bdim
        if isinstance(x, Tracer):
            core.check_not_leaked(x, self)
        return x, None

    def wrap(self, val: Any, bdim: int | None) -> Any:
        return val if bdim is None else BatchTracer(self, val, bdim)

    def stands_for(self, other: Trace) -> bool:
        return isinstance(other, BatchTrace) and other.tag is self.tag

    def process_primitive(self, prim, args, params):
        vals, dims = core.unzip2(self.to_pair(x) for x in args)
        owned = (self.axis_name if self.axis_name is not None
                 and self.axis_name in axis_names_used(params) else None)
        if owned is not None and prim in named_batch_rules:
            with set_current_trace(self.parent):
                out, out_dims = named_batch_rules[prim](self.axis_size, self.axis_name, vals,
                                                         dims, **params)
            if prim.multiple_results:
                return [self.wrap(o, d) for o, d in zip(out, out_dims)]
            return self.wrap(out, out_dims)
        # a primitive whose body names this vmap's axis is batched even with no batched
        # operand: its collectives still reduce over this vmap's examples
        if owned is None and all(d is None for d in dims):
            with set_current_trace(self.parent):
                return prim.bind(*vals, **params)
        rule = batch_rules.get(prim)
        if rule is None:
            raise NotImplementedError(f"Batching rule for '{prim.name}' not implemented")
        outer, _owned_axis.name = _owned_axis.name, owned
        try:
            with set_current_trace(self.parent):
                out, out_dims = rule(self.axis_size, vals, dims, **params)
        finally:
            _owned_axis.name = outer
        if prim.multiple_results:
            return [self.wrap(o, d) for o, d in zip(out, out_dims)]
        return self.wrap(out, out_dims)

    def _unbatched_call(self, dims: Sequence[BDim], fun: Callable) -> bool:
        """No argument is batched and the user's function and rules close over no value
        of this vmap: the call happens as it is in the parent trace."""
        return (all(d is None for d in dims)
                and (self.axis_name is None or self.axis_name not in getattr(
                    fun, "axis_names", ()))
                and not _closes_over(getattr(fun, "user_functions", ()), self.tag))

    def process_custom_jvp_call(self, prim, fun, jvp, args, symbolic_zeros=False):
        vals, dims = core.unzip2(self.to_pair(x) for x in args)
        if self._unbatched_call(dims, fun):
            with set_current_trace(self.parent):
                return self.parent.process_custom_jvp_call(prim, fun, jvp, vals)
        n, tag = self.axis_size, self.tag
        with set_current_trace(self.parent):
            vals = [bdim_to_front(v, d, n) for v, d in zip(vals, dims)]
            outs = self.parent.process_custom_jvp_call(
                prim, _batched(fun, n, tag), _batched_jvp_rule(jvp, len(vals), n, tag), vals)
        return [self.wrap(o, 0) for o in outs]

    def process_custom_vjp_call(self, prim, fun, fwd, bwd, args, out_trees):
        vals, dims = core.unzip2(self.to_pair(x) for x in args)
        if self._unbatched_call(dims, fun):
            with set_current_trace(self.parent):
                return self.parent.process_custom_vjp_call(prim, fun, fwd, bwd, vals, out_trees)
        n, tag = self.axis_size, self.tag
        with set_current_trace(self.parent):
            vals = [bdim_to_front(v, d, n) for v, d in zip(vals, dims)]
            b_fwd, b_bwd = _batched_fwd(fwd, n, tag), _batched_bwd(bwd, n, tag)
            jvp_rule = getattr(fwd, "jvp_rule", None)
            b_fwd.jvp_rule = (None if jvp_rule is None else
                              _batched_jvp_rule(jvp_rule, len(vals), n, tag))
            outs = self.parent.process_custom_vjp_call(prim, _batched(fun, n, tag), b_fwd,
                                                       b_bwd, vals, out_trees)
        return [self.wrap(o, 0) for o in outs]


def _closes_over(functions: Sequence[Callable], tag: object, depth: int = 3) -> bool:
    """Whether the closures of `functions` (and of the functions and partials they hold,
    `depth` levels down) hold a value batched by the vmap with this tag."""
    from .. import tree_util
    for fn in functions:
        if isinstance(fn, functools.partial):
            held = [*fn.args, *fn.keywords.values(), fn.func]
        else:
            held = [c.cell_contents for c in (getattr(fn, "__closure__", None) or ())
                    if _filled(c)]
        for value in held:
            try:
                leaves = tree_util.tree_leaves(value)
            except Exception:   # not a pytree of any kind: nothing batched inside
                leaves = [value]
            for leaf in leaves:
                if isinstance(leaf, BatchTracer) and leaf._trace.tag is tag:
                    return True
                if depth and callable(leaf) and not isinstance(leaf, type) and \
                        _closes_over([leaf], tag, depth - 1):
                    return True
    return False


def _filled(cell) -> bool:
    try:
        cell.cell_contents
    except ValueError:   # a free variable not assigned yet
        return False
    return True


# ---------------------------------------------------------------------------
# Helpers for rules (run in the parent trace)


def bdim_to_front(x: Value, bdim: BDim, axis_size: int) -> Value:
    """x with a leading batch axis (broadcast if it had none)."""
    if bdim is None:
        a = get_aval(x)
        return ad_util.broadcast_in_dim(x, (axis_size, *a.shape), tuple(range(1, a.ndim + 1)))
    return x


def move_axis(x: Value, src: int, dst: int) -> Value:
    if src == dst:
        return x
    nd = get_aval(x).ndim
    perm = [i for i in range(nd) if i != src]
    perm.insert(dst, src)
    return ad_util.transpose(x, tuple(perm))


def defvectorized(prim: Primitive) -> None:
    """Unary elementwise: the batch axis just rides along."""

    def rule(axis_size, vals, dims, **params):
        return prim.bind(*vals, **params), dims[0]
    batch_rules[prim] = rule


def defbroadcasting(prim: Primitive) -> None:
    """n-ary elementwise on equal shapes: give every operand the batch axis."""

    def rule(axis_size, vals, dims, **params):
        vals = [bdim_to_front(v, d, axis_size) for v, d in zip(vals, dims)]
        out = prim.bind(*vals, **params)
        return out, ([0] * len(out) if prim.multiple_results else 0)
    batch_rules[prim] = rule


def vmap_flat(fun: Callable[..., Sequence[Any]], args: Sequence[Any], in_dims: Sequence[int | None],
              axis_size: int, axis_name: Any = None, tag: object | None = None
              ) -> tuple[list[Any], list[int | None]]:
    """Run `fun` batched; args have their batch axis at in_dims (None = unbatched).
    Returns outputs with their batch dim (0 or None). `axis_name` names the batch axis
    for the collectives inside `fun`; `tag` that of the vmap whose custom rule this batches."""
    parent = core.current_trace()
    if axis_name is None and tag is not None:
        axis_name = tag.axis_name
    trace = BatchTrace(parent, axis_size, axis_name, tag)
    with set_current_trace(parent):
        ins = [trace.wrap(move_axis(a, d, 0) if d is not None else a, None if d is None else 0)
               for a, d in zip(args, in_dims)]
    if axis_name is not None:
        axis_env.append((axis_name, axis_size))
    try:
        with set_current_trace(trace):
            outs = fun(*ins)
    finally:
        if axis_name is not None:
            axis_env.pop()
    return core.unzip2(trace.to_pair(o) for o in outs)


def vmap_out0(fun: Callable[..., Sequence[Any]], args: Sequence[Any], axis_size: int,
              tag: object | None = None) -> list[Any]:
    """vmap_flat with every input and every output batched at axis 0."""
    outs, dims = vmap_flat(fun, args, [0] * len(args), axis_size, tag=tag)
    return [bdim_to_front(o, d, axis_size) for o, d in zip(outs, dims)]


# ---------------------------------------------------------------------------
# vmap of custom rules: batch the function and its rules, all at axis 0


def _batched(fun: Callable, axis_size: int, tag: object) -> Callable:
    def batched_fun(*xs):
        return vmap_out0(fun, xs, axis_size, tag)
    return batched_fun


def _split_outputs(fun: Callable, axis_size: int, tag: object):
    """vmap a rule returning a pair of lists: one vmapped call, the pair split again."""
    def run(args):
        nout = []

        def both(*a):
            first, second = fun(*a)
            nout.append(len(first))
            return [*first, *second]
        outs = vmap_out0(both, args, axis_size, tag)
        return outs[:nout[0]], outs[nout[0]:]
    return run


def _unbatched_zero(z: ad_util.Zero) -> ad_util.Zero:
    a = z.aval
    return ad_util.Zero(ShapedArray(a.shape[1:], a.dtype, a.weak_type))


def _batched_zero(z: ad_util.Zero, axis_size: int) -> ad_util.Zero:
    a = z.aval
    return ad_util.Zero(ShapedArray((axis_size, *a.shape), a.dtype, a.weak_type))


def _batched_jvp_rule(jvp: Callable, n: int, axis_size: int, tag: object) -> Callable:
    """A flat jvp rule (primals, tangents) -> (outs, tangent outs), vmapped at axis 0.
    Symbolic Zero tangents stay symbolic: they pass into the rule (unbatched) and come
    out of it as Zero (the rule may see them as SymbolicZero)."""
    def batched_jvp(primals, tangents):
        in_zero = [isinstance(t, ad_util.Zero) for t in tangents]
        inner_zeros = [_unbatched_zero(t) if z else None for t, z in zip(tangents, in_zero)]
        shape: list[list[bool]] = []   # [primal count], then which tangent outs are Zero

        def both(*a):
            nz = iter(a[n:])
            ts = [zero if z else next(nz) for zero, z in zip(inner_zeros, in_zero)]
            outs, touts = jvp(list(a[:n]), ts)
            out_zero = [isinstance(t, ad_util.Zero) for t in touts]
            shape[:] = [[len(outs)], out_zero]
            return [*outs, *[t for t in touts if not isinstance(t, ad_util.Zero)]]
        res = vmap_out0(both, [*primals, *[t for t, z in zip(tangents, in_zero) if not z]],
                        axis_size, tag)
        (n_out,), out_zero = shape
        outs, nz_touts = res[:n_out], iter(res[n_out:])
        touts_inner = iter(out_zero)
        touts = []
        for o, z in zip(outs, touts_inner):
            touts.append(ad_util.Zero(ad_util.tangent_aval(get_aval(o))) if z else next(nz_touts))
        return outs, touts
    batched_jvp.__name__ = getattr(jvp, "__name__", "jvp")
    return batched_jvp


def _batched_fwd(fwd: Callable, axis_size: int, tag: object) -> Callable:
    def batched_fwd(*xs, **kw):   # kw: the perturbed flags of a symbolic_zeros fwd rule
        return _split_outputs(lambda *a: fwd(*a, **kw), axis_size, tag)(xs)
    return batched_fwd


def vmap_bwd(bwd: Callable, res: Sequence[Any], cts: Sequence[Any], axis_size: int,
             tag: object | None = None) -> list[Any]:
    """A flat bwd rule (res, cts) -> input cotangents, vmapped at axis 0 (all batched). Zero
    cotangents stay symbolic (unbatched inside the rule); the results are arrays."""
    nres = len(res)
    ct_zero = [isinstance(c, ad_util.Zero) for c in cts]
    inner = [_unbatched_zero(c) if z else None for c, z in zip(cts, ct_zero)]

    def run(*a):
        nz = iter(a[nres:])
        cs = [zero if z else next(nz) for zero, z in zip(inner, ct_zero)]
        return instantiate_all(bwd(list(a[:nres]), cs))
    return vmap_out0(run, [*res, *[c for c, z in zip(cts, ct_zero) if not z]], axis_size, tag)


def _batched_bwd(bwd: Callable, axis_size: int, tag: object) -> Callable:
    def batched_bwd(res, cts):
        return vmap_bwd(bwd, res, cts, axis_size, tag)
    return batched_bwd
