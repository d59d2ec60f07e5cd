"""vmap: BatchTrace and the batching rule table.

Invariant that keeps rules short: a batched value always carries its batch axis at
position 0 (vmap moves in_axes there on entry and out to out_axes on exit); an unbatched
value has batch dim None."""
from __future__ import annotations

import itertools
from typing import Any, Callable, Sequence

from . import core
from .core import Primitive, ShapedArray, Trace, Tracer, get_aval, set_current_trace

not_mapped = None

batch_rules: dict[Primitive, Callable] = {}


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


_tags = itertools.count()


class BatchTrace(Trace):
    def __init__(self, parent: Trace, axis_size: int):
        self.parent = parent
        self.axis_size = axis_size
        self.tag = next(_tags)

    def to_pair(self, x: Any) -> tuple[Any, int | None]:
        if isinstance(x, BatchTracer) and x._trace is self:
            return x.val, x.bdim
        if isinstance(x, Tracer):
            core.check_not_leaked(x, self)
        return x, None

    def wrap(self, val: Any, bdim: int | None) -> Any:
        return val if bdim is None else BatchTracer(self, val, bdim)

    def process_primitive(self, prim, args, params):
        vals, dims = core.unzip2(self.to_pair(x) for x in args)
        if all(d is None for d in dims):
            with set_current_trace(self.parent):
                return prim.bind(*vals, **params)
        rule = batch_rules.get(prim)
        if rule is None:
            raise NotImplementedError(f"Batching rule for '{prim.name}' not implemented")
        with set_current_trace(self.parent):
            out, out_dims = rule(self.axis_size, vals, dims, **params)
        if prim.multiple_results:
            return [self.wrap(o, d) for o, d in zip(out, out_dims)]
        return self.wrap(out, out_dims)

    def process_custom_jvp_call(self, prim, fun, jvp, args, symbolic_zeros=False):
        from .custom import batch_custom_jvp
        vals, dims = core.unzip2(self.to_pair(x) for x in args)
        if all(d is None for d in dims):
            with set_current_trace(self.parent):
                return self.parent.process_custom_jvp_call(prim, fun, jvp, vals)
        with set_current_trace(self.parent):
            outs = batch_custom_jvp(prim, fun, jvp, vals, dims, self.axis_size)
        return [self.wrap(o, 0) for o in outs]

    def process_custom_vjp_call(self, prim, fun, fwd, bwd, args, out_trees):
        from .custom import batch_custom_vjp
        vals, dims = core.unzip2(self.to_pair(x) for x in args)
        if all(d is None for d in dims):
            with set_current_trace(self.parent):
                return self.parent.process_custom_vjp_call(prim, fun, fwd, bwd, vals, out_trees)
        with set_current_trace(self.parent):
            outs = batch_custom_vjp(prim, fun, fwd, bwd, vals, dims, self.axis_size, out_trees)
        return [self.wrap(o, 0) for o in outs]


# ---------------------------------------------------------------------------
# Helpers for rules (run in the parent trace)


def bdim_to_front(x: Any, bdim: int | None, axis_size: int) -> Any:
    """x with a leading batch axis (broadcast if it had none)."""
    if bdim is None:
        from .prims.shape import broadcast_in_dim
        a = get_aval(x)
        return broadcast_in_dim(x, (axis_size, *a.shape), tuple(range(1, a.ndim + 1)))
    return x


def move_axis(x: Any, src: int, dst: int) -> Any:
    if src == dst:
        return x
    from .prims.shape import transpose
    nd = get_aval(x).ndim
    perm = [i for i in range(nd) if i != src]
    perm.insert(dst, src)
    return transpose(x, tuple(perm))


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
              axis_size: int) -> tuple[list[Any], list[int | None]]:
    """Run `fun` batched; args have their batch axis at in_dims (None = unbatched).
    Returns outputs with their batch dim (0 or None)."""
    parent = core.current_trace()
    trace = BatchTrace(parent, axis_size)
    with set_current_trace(parent):
        ins = [trace.wrap(move_axis(a, d, 0) if d is not None else a, None if d is None else 0)
               for a, d in zip(args, in_dims)]
    with set_current_trace(trace):
        outs = fun(*ins)
    return core.unzip2(trace.to_pair(o) for o in outs)
