"""Lowering of the control-flow primitives (irax/tracer/prims/control_flow.py).

  while -> one `stablehlo.while` (multi-value carry; the loop constants are captured
           implicitly from the enclosing block)
  scan  -> one `stablehlo.while` over (i, *carry, *ys buffers): each step reads its slice of
           xs with dynamic_slice and writes its ys with dynamic_update_slice
  cond  -> one `stablehlo.case` on the (already clamped) i32 index; branches capture the
           operands implicitly
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ...tracer.core import ClosedJaxpr, Literal, ShapedArray
from ...tracer.prims import control_flow as cf
from .. import hlo
from ..context import RuleContext
from ..emitter import Region, aval_type, i64_array, tensor_type
from ..lower import lower_subjaxpr
from ..rules import register_lowering

_I32 = ShapedArray((), np.dtype(np.int32))
_BOOL_T = tensor_type((), np.bool_)


_BOOL_AVAL = ShapedArray((), np.dtype(np.bool_))


def _carries_not_fed_by_themselves(body: ClosedJaxpr, nconsts: int) -> list[int]:
    """Indices i of the carries whose new value (output i) does not depend on carry i."""
    deps = cf.output_dependencies(body.jaxpr)
    return [i for i, d in enumerate(deps) if nconsts + i not in d]


# A while over a small body takes several guarded steps per iteration, each step taken
# only if the condition still holds: the same loop, with the carry copies IREE makes at
# the start of every iteration and the predicate read-backs (on Vulkan a round trip to the
# host, ~60-100 us on an idle 2-core machine with lavapipe) divided by that factor. See
# tracer/prims/control_flow.steps_per_iteration for the choice. A step is guarded by a
# select when the condition reads scalars only (a counter): IREE fuses the steps' bodies
# into one dispatch (a 1M-element `while i < 100` step: 40 -> 7 ms CPU), at the price of
# computing the steps after the loop ends. A condition over arrays (a tolerance) is a
# reduction per step, which no fusion crosses: there a `case` per step skips the body
# (to tolerance over 1M: 100 -> 62 ms, where selects took 90) and on CPU a loop of one
# iteration stays near its old cost. Vulkan keeps selects: a case reads its predicate
# back, a round trip per step.
def _guarded_steps(cond_jaxpr: ClosedJaxpr, body_jaxpr: ClosedJaxpr) -> int:
    if cf.is_running_lanes_loop(cond_jaxpr.jaxpr):
        return 1   # a vmapped while's masked body takes its steps already
    return cf.steps_per_iteration(body_jaxpr.jaxpr, cond_jaxpr.jaxpr)


def _reads_arrays(jaxpr: ClosedJaxpr) -> bool:
    return any(not isinstance(v, Literal) and v.aval.ndim > 0
               for e in jaxpr.jaxpr.eqns for v in e.inputs)


def _while(ctx: RuleContext, *args: str, cond_jaxpr: ClosedJaxpr, body_jaxpr: ClosedJaxpr,
           cond_nconsts: int, body_nconsts: int) -> list[str]:
    cc = list(args[:cond_nconsts])
    bc = list(args[cond_nconsts:cond_nconsts + body_nconsts])
    carry = list(args[cond_nconsts + body_nconsts:])
    carry_avals = ctx.avals_in[cond_nconsts + body_nconsts:]
    types = [aval_type(a) for a in carry_avals]
    cond_r = Region(types, [_BOOL_T], lambda em, xs: lower_subjaxpr(ctx, cond_jaxpr, cc + xs))

    fresh = _carries_not_fed_by_themselves(body_jaxpr, body_nconsts)
    steps = _guarded_steps(cond_jaxpr, body_jaxpr)

    def select(em, pred, new, old, which):
        out = list(new)
        for i in which:
            aval, t = carry_avals[i], types[i]
            p = hlo.broadcast_in_dim(em, pred, _BOOL_AVAL, aval.shape, ())
            out[i] = em.op1("stablehlo.select", [p, new[i], old[i]],
                            [tensor_type(aval.shape, np.bool_), t, t], t)
        return out

    by_case = steps > 1 and ctx.target != "vulkan" and _reads_arrays(cond_jaxpr)

    def guarded_step(em, go, outs):
        if not by_case:
            return select(em, go, lower_subjaxpr(ctx, body_jaxpr, bc + outs), outs,
                          range(len(outs)))
        index = hlo.convert(em, go, _BOOL_AVAL, np.int32)
        regions = [Region([], types, lambda em_, _: outs),
                   Region([], types, lambda em_, _: lower_subjaxpr(ctx, body_jaxpr, bc + outs))]
        return em.op("stablehlo.case", [index], [aval_type(_I32)], types, regions=regions)

    def body(em, xs):
        outs = lower_subjaxpr(ctx, body_jaxpr, bc + xs)   # the condition held on entry
        for _ in range(steps - 1):
            go = lower_subjaxpr(ctx, cond_jaxpr, cc + outs)[0]
            outs = guarded_step(em, go, outs)
        if fresh:
            # IREE 3.13 aborts the process ("LLVM ERROR: out of memory", a segfault or a
            # legalization failure) on a while whose carry is recomputed from the other
            # carries alone (a `done` flag) and read after the loop. Such a carry goes out
            # through select(opaque true, new, old): the same value, but fed by its old self.
            outs = select(em, _opaque_true(em), outs, xs, fresh)
        return outs
    body_r = Region(types, types, body)
    outs = ctx.em.op("stablehlo.while", carry, types, types, regions=[cond_r, body_r])
    if "llvm-cpu" in ctx.target.split(","):
        # IREE 3.13 on local-sync leaks a buffer per call (the loop's packed carries, 8 MiB
        # per call for bench_table's vmap(grad(newton_sqrt))) when a while's result is
        # captured by a later loop. Taking the results through select(opaque true, result,
        # zeros) gives them their own buffers (one pass over them per loop exit) and no leak
        # (selecting against the init instead broke IREE's partitioning on sparse cg/gmres).
        zeros = [hlo.full(ctx.em, 0, a.dtype, a.shape) for a in carry_avals]
        outs = select(ctx.em, _opaque_true(ctx.em), outs, zeros, range(len(outs)))
    return outs


def _opaque_true(em) -> str:
    """A `true` IREE cannot see through (so a select on it is not folded away)."""
    return em.op1("stablehlo.optimization_barrier", [hlo.full(em, True, np.bool_, ())],
                  [_BOOL_T], _BOOL_T)


# IREE 3.13 copies every loop carry at the start of each iteration, the scan's stacked
# outputs (ys) too: n steps move n * |ys| bytes, quadratic in n (the residuals a grad of a
# 1000-step fori_loop stores made it 5x slower than JAX). A scan with outputs over many
# iterations therefore runs in blocks: an outer loop over blocks of S steps, each an inner
# loop filling an (S, ...) block that the outer loop puts into ys. With S = k * sqrt(n/k)
# that moves about 2 * sqrt(n/k) * |ys| bytes instead of n/k * |ys|.
_BLOCKED_SCAN_MIN_ITERATIONS = 16


def _scan(ctx: RuleContext, *args: str, jaxpr: ClosedJaxpr, num_consts: int, num_carry: int,
          length: int, reverse: bool) -> list[str]:
    """k = steps_per_iteration steps per iteration of a `stablehlo.while` over
    (i, *carry, *ys buffers), i counting steps, the length % k steps left after it; with
    outputs and many iterations that loop runs per block of steps (see above)."""
    em = ctx.em
    consts = list(args[:num_consts])
    carry = list(args[num_consts:num_consts + num_carry])
    xs = list(args[num_consts + num_carry:])
    x_avals = ctx.avals_in[num_consts + num_carry:]
    car_avals = ctx.avals_in[num_consts:num_consts + num_carry]
    y_avals = list(ctx.avals_out[num_carry:])
    i32 = aval_type(_I32)
    k = min(cf.steps_per_iteration(jaxpr.jaxpr, exact=True), max(length, 1))

    def const(em_, v):
        return hlo.full(em_, v, np.int32, ())

    def add(em_, a, b):
        return hlo.binary(em_, "add", a, b, _I32)

    def sub(em_, a, b):
        return hlo.binary(em_, "subtract", a, b, _I32)

    def row_of(em_, i):
        """The row of xs and ys that step i (an i32 scalar) reads and writes."""
        return sub(em_, const(em_, length - 1), i) if reverse else i

    def put_rows(em_, buf, buf_aval, rows, rows_aval, at):
        zero = const(em_, 0)
        return em_.op1("stablehlo.dynamic_update_slice",
                       [buf, rows, at] + [zero] * (buf_aval.ndim - 1),
                       [aval_type(buf_aval), aval_type(rows_aval)] + [i32] * buf_aval.ndim,
                       aval_type(buf_aval))

    def step(em_, i, car, bufs, buf_avals, buf_row):
        """Scan step i: its new carries, and bufs with its ys put at row buf_row(em_, i)."""
        idx = row_of(em_, i)
        zero = const(em_, 0)
        slices = []
        for x, a in zip(xs, x_avals):
            one = a.update(shape=(1, *a.shape[1:]))
            sl = em_.op1("stablehlo.dynamic_slice", [x, idx] + [zero] * (a.ndim - 1),
                         [aval_type(a)] + [i32] * a.ndim, aval_type(one),
                         {"slice_sizes": i64_array(one.shape)})
            slices.append(hlo.reshape(em_, sl, one, a.shape[1:]))
        outs = lower_subjaxpr(ctx, jaxpr, consts + list(car) + slices)
        at = buf_row(em_, i)
        new_bufs = []
        for buf, ba, y, ya in zip(bufs, buf_avals, outs[num_carry:], y_avals):
            one = ya.update(shape=(1, *ya.shape[1:]))
            y1 = hlo.reshape(em_, y, ya.update(shape=ya.shape[1:]), one.shape)
            new_bufs.append(put_rows(em_, buf, ba, y1, one, at))
        return list(outs[:num_carry]), new_bufs

    def stepped(em_, first, count, car, bufs, buf_avals, buf_row):
        """Steps first .. first + count - 1 (first an i32 scalar, count a Python int): a
        while of k steps per iteration, then the rest straight-line."""
        looped = count // k * k if count // k > 1 else 0
        if looped:
            types = [i32] + [aval_type(a) for a in car_avals] + [aval_type(a) for a in buf_avals]
            end = add(em_, first, const(em_, looped))

            def body(em2, v):
                i, c, b = v[0], v[1:1 + num_carry], v[1 + num_carry:]
                for j in range(k):
                    c, b = step(em2, add(em2, i, const(em2, j)) if j else i, c, b, buf_avals,
                                buf_row)
                return [add(em2, i, const(em2, k)), *c, *b]
            outs = em_.op("stablehlo.while", [first, *car, *bufs], types, types, regions=[
                Region(types, [_BOOL_T], lambda em2, v: [hlo.compare(em2, "LT", v[0], end, _I32)]),
                Region(types, types, body)])
            car, bufs = outs[1:1 + num_carry], outs[1 + num_carry:]
        for j in range(looped, count):   # none or few iterations: straight-line steps
            car, bufs = step(em_, add(em_, first, const(em_, j)), car, bufs, buf_avals, buf_row)
        return list(car), list(bufs)

    ys = [hlo.full(em, 0, a.dtype, a.shape) for a in y_avals]
    block = k * max(1, int(round(np.sqrt(length / k))))
    blocks = length // block
    if not y_avals or length // k < _BLOCKED_SCAN_MIN_ITERATIONS or blocks < 2:
        car, ys = stepped(em, const(em, 0), length, carry, ys, y_avals, row_of)
        return car + ys
    # block b covers steps b*block .. (b+1)*block - 1: contiguous rows of ys (in reverse
    # order when reverse), the lowest of them `low`
    blk_avals = [a.update(shape=(block, *a.shape[1:])) for a in y_avals]
    types = [i32] + [aval_type(a) for a in car_avals] + [aval_type(a) for a in y_avals]
    n_blocked = blocks * block

    def outer_body(em_, v):
        s0, c, big = v[0], v[1:1 + num_carry], v[1 + num_carry:]
        low = sub(em_, const(em_, length - block), s0) if reverse else s0
        blk = [hlo.full(em_, 0, a.dtype, a.shape) for a in blk_avals]
        c, blk = stepped(em_, s0, block, c, blk, blk_avals,
                         lambda em2, i: sub(em2, row_of(em2, i), low))
        big = [put_rows(em_, b, a, rows, ba, low)
               for b, a, rows, ba in zip(big, y_avals, blk, blk_avals)]
        return [add(em_, s0, const(em_, block)), *c, *big]
    outs = em.op("stablehlo.while", [const(em, 0), *carry, *ys], types, types, regions=[
        Region(types, [_BOOL_T],
               lambda em_, v: [hlo.compare(em_, "LT", v[0], const(em_, n_blocked), _I32)]),
        Region(types, types, outer_body)])
    car, ys = stepped(em, const(em, n_blocked), length - n_blocked,
                      outs[1:1 + num_carry], outs[1 + num_carry:], y_avals, row_of)
    return car + ys


def _cond(ctx: RuleContext, index: str, *ops: str,
          branches: Sequence[ClosedJaxpr]) -> list[str]:
    em = ctx.em
    index = hlo.convert(em, index, ctx.avals_in[0], np.int32)
    out_types = [aval_type(a) for a in ctx.avals_out]
    if len(branches) == 1:
        return lower_subjaxpr(ctx, branches[0], list(ops))
    regions = [Region([], out_types, lambda em_, _, br=br: lower_subjaxpr(ctx, br, list(ops)))
               for br in branches]
    return em.op("stablehlo.case", [index], [aval_type(_I32)], out_types, regions=regions)


# ---------------------------------------------------------------------------
# Registration

register_lowering(cf.while_p, _while)
register_lowering(cf.scan_p, _scan)
register_lowering(cf.cond_p, _cond)
