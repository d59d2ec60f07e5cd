"""Control flow primitives: `while`, `scan` and `cond`, with all their rules.

Primitives (each takes closure-converted jaxprs: constants are leading *inputs*, so the
jaxprs in params never hold values, and traced constants flow through transformations):

  while[cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts]  *cond_consts *body_consts *carry
  scan[jaxpr, num_consts, num_carry, length, reverse]         *consts *carry *xs -> *carry *ys
  cond[branches]                                              index *operands

Rules per primitive: impl (a Python loop over the body, evaluated eagerly), abstract eval,
jvp (one loop over primal and tangent carries), partial eval (scan: residuals stacked per
iteration; cond: residuals joined over branches; while: a clear error), transpose (scan:
a reverse scan; cond: a cond of transposed branches), and batching (while with a batched
predicate runs until every lane is done and freezes finished lanes with select).

Layering: the top primitive family (above elementwise, shape, reduce). The user functions
built on these primitives (while_loop, fori_loop, scan, cond, switch, custom_root,
fixed_point, checkpointed_while_loop) live in irax/lax, above the tracer.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from .. import core, dtypes
from ..ad_util import Zero, add_tangents, instantiate, tangent_aval, zeros_like_aval
from ..batching import batch_rules, bdim_to_front, body_axis_name, move_axis, vmap_flat
from ..core import (ClosedJaxpr, Jaxpr, Literal, Primitive, ShapedArray, Var, get_aval,
                    set_current_trace)
from ..jvp import jvp_flat, jvp_rules
from ..partial_eval import (PartialEvalTrace, StagingTrace, is_linearizing, partial_eval_rules,
                            split_jaxpr, trace_const_free)
from ..rules import BDim, Tangent, Value
from ..transpose import backward_pass, is_undefined, transpose_rules
from .elementwise import convert_element_type, eq, max_p, min_p, ne_p, select, stop_gradient_p
from .reduce import reduce_or_p
from .shape import broadcast_in_dim, full

while_p = Primitive("while", multiple_results=True)
scan_p = Primitive("scan", multiple_results=True)
cond_p = Primitive("cond", multiple_results=True)

WHILE_REVERSE_ERROR = (   # JAX's first two sentences, then what irax offers besides
    "Reverse-mode differentiation does not work for lax.while_loop or lax.fori_loop with "
    "dynamic start/stop values. Try using lax.scan, or using fori_loop with static start/stop. "
    "(The number of iterations is only known at run time, so the residuals of every iteration "
    "cannot be stored ahead of time.) Other alternatives in irax: a custom_vjp rule, "
    "irax.lax.fixed_point (implicit differentiation of x = f(params, x)), "
    "irax.lax.custom_root, or irax.lax.checkpointed_while_loop(cond_fun, body_fun, init, "
    "max_steps=N, checkpoints=K) (equivalently while_loop(..., max_steps=N)), which stores "
    "O(K log N) checkpoints and recomputes. Forward mode (jvp, jacfwd, linearize) of "
    "while_loop works.")

Multi = tuple[list[Value], list[Tangent]]
Batched = tuple[list[Value], list[BDim]]


# ---------------------------------------------------------------------------
# Jaxpr helpers: trace, jvp, batch and partially evaluate closed (const-free) jaxprs


def _trace(fun: Callable, in_avals: Sequence[ShapedArray], linearizing: bool = False
           ) -> tuple[ClosedJaxpr, list]:
    """Stage `fun` at the current trace. Constants become leading inputs: returns a
    const-free ClosedJaxpr whose first len(consts) inputs take `consts`."""
    return trace_const_free(fun, list(in_avals), linearizing=linearizing)


def eval_closed(closed: ClosedJaxpr, args: Sequence[Any]) -> list:
    return core.eval_jaxpr(closed.jaxpr, closed.consts, list(args))


_eval = eval_closed


def _np(x: Any) -> np.ndarray:
    return core.to_numpy_value(x)


def _batched_aval(a: ShapedArray, n: int) -> ShapedArray:
    return ShapedArray((n, *a.shape), a.dtype, a.weak_type)


def _split(xs: Sequence[Any], *sizes: int) -> list[list[Any]]:
    return core.split_list(list(xs), list(sizes))


def _carry_fixpoint(flags: list[bool], step: Callable[[list[bool]], Sequence[bool]]
                    ) -> list[bool]:
    """The least flag set over the carry (nonzero tangent, batched, unknown) that one loop
    iteration maps into itself: a carry the body makes nonzero/batched/unknown from these
    flags is so in every later iteration. `step(flags)` gives the carry outputs' flags."""
    while True:
        new = [a or b for a, b in zip(flags, step(flags))]
        if new == flags:
            return flags
        flags = new


def _jvp_jaxpr(closed: ClosedJaxpr, in_groups: Sequence[int], out_groups: Sequence[int],
               nonzeros: Sequence[bool], force_nonzero: Sequence[bool], linearizing: bool = False
               ) -> tuple[ClosedJaxpr, list, list[bool]]:
    """JVP of a jaxpr. Inputs are ordered group by group as [primals, nonzero tangents];
    outputs likewise (an output tangent marked in force_nonzero is instantiated even when
    zero). Returns (jaxpr, consts, out_nonzero); consts lead the inputs."""
    in_avals = closed.in_avals
    n = len(in_avals)
    avals, pos = [], 0
    for g in in_groups:
        avals += in_avals[pos:pos + g]
        avals += [tangent_aval(a) for a, nz in zip(in_avals[pos:pos + g], nonzeros[pos:pos + g])
                  if nz]
        pos += g
    store: dict = {}

    def fun(*args):
        it = iter(args)
        primals, tangents, pos = [None] * n, [None] * n, 0
        for g in in_groups:
            for k in range(pos, pos + g):
                primals[k] = next(it)
            for k in range(pos, pos + g):
                tangents[k] = next(it) if nonzeros[k] else Zero(tangent_aval(in_avals[k]))
            pos += g
        p_out, t_out = jvp_flat(lambda *xs: _eval(closed, xs), primals, tangents)
        out_nz = [not isinstance(t, Zero) or force for t, force in zip(t_out, force_nonzero)]
        store["nz"] = out_nz
        outs, pos = [], 0
        for g in out_groups:
            outs += list(p_out[pos:pos + g])
            outs += [instantiate(t) for t, nz in zip(t_out[pos:pos + g], out_nz[pos:pos + g])
                     if nz]
            pos += g
        return outs
    jaxpr, consts = _trace(fun, avals, linearizing)
    return jaxpr, consts, store["nz"]


def _batch_jaxpr(closed: ClosedJaxpr, axis_size: int, in_batched: Sequence[bool],
                 force_out: bool | Sequence[bool]) -> tuple[ClosedJaxpr, list, list[bool]]:
    """vmap of a jaxpr; batched inputs/outputs carry the batch axis at 0.
    Returns (jaxpr, consts, out_batched); consts lead the inputs."""
    nout = len(closed.out_avals)
    force = [force_out] * nout if isinstance(force_out, bool) else list(force_out)
    avals = [_batched_aval(a, axis_size) if b else a
             for a, b in zip(closed.in_avals, in_batched)]
    store: dict = {}

    def fun(*args):
        outs, dims = vmap_flat(lambda *xs: _eval(closed, xs), args,
                               [0 if b else None for b in in_batched], axis_size,
                               body_axis_name())
        ob = [d is not None or f for d, f in zip(dims, force)]
        store["ob"] = ob
        return [bdim_to_front(o, d, axis_size) if b else o for o, d, b in zip(outs, dims, ob)]
    jaxpr, consts = _trace(fun, avals)
    return jaxpr, consts, store["ob"]


def unify_consts(traced: Sequence[tuple[ClosedJaxpr, list]]) -> tuple[list[ClosedJaxpr], list]:
    """Jaxprs with different leading consts -> jaxprs that all take every const."""
    all_consts = [c for _, cs in traced for c in cs]
    out, off = [], 0
    for closed, cs in traced:
        j, n = closed.jaxpr, len(cs)
        pre = [Var(get_aval(c)) for c in all_consts[:off]]
        post = [Var(get_aval(c)) for c in all_consts[off + n:]]
        out.append(ClosedJaxpr(Jaxpr([], pre + j.invars[:n] + post + j.invars[n:], j.eqns,
                                     j.outvars), []))
        off += n
    return out, all_consts


def _stage_in(trace: PartialEvalTrace, prim: Primitive, args: Sequence[Value], params: dict
              ) -> list:
    """Record prim into a partial-eval trace's unknown jaxpr without re-entering its rule."""
    return StagingTrace.process_primitive(trace, prim, list(args), params)


def _check_types(what: str, expected: Sequence[ShapedArray], got: Sequence[ShapedArray]
                 ) -> None:
    if len(expected) != len(got):
        raise TypeError(f"{what}: expected {len(expected)} values, got {len(got)}")
    for i, (e, g) in enumerate(zip(expected, got)):
        if not core.same_type(e, g):
            raise TypeError(f"{what}: value {i} has type {g.str_short()}, expected "
                            f"{e.str_short()}")


# ---------------------------------------------------------------------------
# while


def _while_abstract(*avals: ShapedArray, cond_jaxpr: ClosedJaxpr, body_jaxpr: ClosedJaxpr,
                    cond_nconsts: int, body_nconsts: int) -> list[ShapedArray]:
    cc, bc, carry = _split(avals, cond_nconsts, body_nconsts)
    _check_types("while cond_jaxpr inputs", cond_jaxpr.in_avals, [*cc, *carry])
    _check_types("while body_jaxpr inputs", body_jaxpr.in_avals, [*bc, *carry])
    _check_types("while body_jaxpr outputs", carry, body_jaxpr.out_avals)
    (p,) = cond_jaxpr.out_avals
    if p.shape != () or p.dtype != np.bool_:
        raise TypeError(f"while cond_jaxpr must return a scalar bool, got {p.str_short()}")
    return [ShapedArray(a.shape, a.dtype, a.weak_type and b.weak_type)
            for a, b in zip(carry, body_jaxpr.out_avals)]


def _while_impl(*args: np.ndarray, cond_jaxpr: ClosedJaxpr, body_jaxpr: ClosedJaxpr,
                cond_nconsts: int, body_nconsts: int) -> list[np.ndarray]:
    cc, bc, carry = _split(args, cond_nconsts, body_nconsts)
    poll = core._state.loop_poll   # a jit call on the eager tier may hand over here
    while bool(_np(_eval(cond_jaxpr, [*cc, *carry])[0])):
        carry = _eval(body_jaxpr, [*bc, *carry])
        if poll is not None:
            poll()
    return [_np(c) for c in carry]


def _while_jvp(primals: Sequence[Value], tangents: Sequence[Tangent], *, cond_jaxpr: ClosedJaxpr,
               body_jaxpr: ClosedJaxpr, cond_nconsts: int, body_nconsts: int) -> Multi:
    cc, bc, carry = _split(primals, cond_nconsts, body_nconsts)
    _, bct, cart = _split(tangents, cond_nconsts, body_nconsts)
    nb, ncar = len(bc), len(carry)
    bc_nz = [not isinstance(t, Zero) for t in bct]
    car_nz = [not isinstance(t, Zero) for t in cart]
    lin = is_linearizing(tangents)
    car_nz = _carry_fixpoint(car_nz, lambda nz: _jvp_jaxpr(
        body_jaxpr, [nb, ncar], [ncar], bc_nz + nz, nz, lin)[2])
    body, consts, _ = _jvp_jaxpr(body_jaxpr, [nb, ncar], [ncar], bc_nz + car_nz, car_nz, lin)
    cj = cond_jaxpr.jaxpr
    extra = [Var(tangent_aval(get_aval(c))) for c, nz in zip(carry, car_nz) if nz]
    cond = ClosedJaxpr(Jaxpr([], cj.invars + extra, cj.eqns, cj.outvars), [])
    bct_nz = [t for t, nz in zip(bct, bc_nz) if nz]
    cart_nz = [instantiate(t) for t, nz in zip(cart, car_nz) if nz]
    outs = while_p.bind(*cc, *consts, *bc, *bct_nz, *carry, *cart_nz, cond_jaxpr=cond,
                        body_jaxpr=body, cond_nconsts=len(cc),
                        body_nconsts=len(consts) + nb + len(bct_nz))
    p_out, t_rest = outs[:ncar], iter(outs[ncar:])
    t_out = [next(t_rest) if nz else Zero(tangent_aval(get_aval(p)))
             for p, nz in zip(p_out, car_nz)]
    return p_out, t_out


def _while_partial_eval(trace: PartialEvalTrace, args: Sequence[Value], params: dict
                        ) -> list[Value]:
    """The carries that depend on no unknown are computed now, by the loop run on zeros in
    place of the unknowns (they cannot change those carries), and the loop is staged whole
    for the others, recomputing the known part (as JAX). irax.linearize runs the staged
    loop forward; reverse mode (vjp, grad, jacrev) can transpose it only when no cotangent
    reaches it (a tangent that is unused or stopped): otherwise _while_transpose refuses,
    with JAX's ValueError."""
    nc, nb = params["cond_nconsts"], params["body_nconsts"]
    unknown = [trace.is_mine(x) for x in args]
    cond_uk, body_uk, car_uk = unknown[:nc], unknown[nc:nc + nb], unknown[nc + nb:]
    body_deps = output_dependencies(params["body_jaxpr"].jaxpr)
    while True:
        new = [u or any((body_uk + car_uk)[j] for j in deps)
               for u, deps in zip(car_uk, body_deps)]
        if new == car_uk:
            break
        car_uk = new
    (pred_deps,) = output_dependencies(params["cond_jaxpr"].jaxpr)
    if any((cond_uk + car_uk)[j] for j in pred_deps):
        car_uk = [True] * len(car_uk)
    staged = StagingTrace.process_primitive(trace, while_p, args, params)
    if all(car_uk):
        return staged
    stand_ins = [full(get_aval(x).shape, 0, get_aval(x).dtype) if uk else x
                 for x, uk in zip(args, unknown)]
    with set_current_trace(trace.parent):
        known = while_p.bind(*stand_ins, **params)
    return [s if uk else k for s, k, uk in zip(staged, known, car_uk)]


def output_dependencies(jaxpr: Jaxpr) -> list[set[int]]:
    """For each output of `jaxpr`, the positions of the inputs it depends on. A call (jit,
    checkpoint) is looked into: the jvp of a jitted loop body is one call computing primal
    and tangent carries, and the primal ones must not count as depending on the tangents."""
    deps: dict = {v: {i} for i, v in enumerate(jaxpr.invars)}
    for eqn in jaxpr.eqns:
        in_deps = [set() if isinstance(a, Literal) else deps.get(a, set()) for a in eqn.inputs]
        inner = eqn.params.get("jaxpr")
        if (isinstance(inner, ClosedJaxpr) and len(inner.jaxpr.invars) == len(eqn.inputs)
                and len(inner.jaxpr.outvars) == len(eqn.outputs)):
            for v, positions in zip(eqn.outputs, output_dependencies(inner.jaxpr)):
                deps[v] = set().union(*(in_deps[i] for i in positions))
            continue
        used = set().union(*in_deps)
        for v in eqn.outputs:
            deps[v] = used
    return [set() if isinstance(v, Literal) else deps.get(v, set()) for v in jaxpr.outvars]


def _while_batch(axis_size: int, vals: Sequence[Value], dims: Sequence[BDim], *,
                 cond_jaxpr: ClosedJaxpr, body_jaxpr: ClosedJaxpr, cond_nconsts: int,
                 body_nconsts: int) -> Batched:
    cc, bc, carry = _split(vals, cond_nconsts, body_nconsts)
    ccd, bcd, card = _split(dims, cond_nconsts, body_nconsts)
    cc_b = [d is not None for d in ccd]
    bc_b = [d is not None for d in bcd]
    car_b = _carry_fixpoint([d is not None for d in card], lambda b: _batch_jaxpr(
        body_jaxpr, axis_size, bc_b + b, False)[2])
    _, _, (pred_b,) = _batch_jaxpr(cond_jaxpr, axis_size, cc_b + car_b, False)
    if pred_b:
        car_b = [True] * len(carry)
    body_b, bconsts, _ = _batch_jaxpr(body_jaxpr, axis_size, bc_b + car_b, car_b)
    cond_b, cconsts, _ = _batch_jaxpr(cond_jaxpr, axis_size, cc_b + car_b, False)
    carry = [bdim_to_front(c, d, axis_size) if b else c for c, d, b in zip(carry, card, car_b)]
    out_dims = [0 if b else None for b in car_b]
    if not pred_b:
        outs = while_p.bind(*cconsts, *cc, *bconsts, *bc, *carry, cond_jaxpr=cond_b,
                            body_jaxpr=body_b, cond_nconsts=len(cconsts) + len(cc),
                            body_nconsts=len(bconsts) + len(bc))
        return outs, out_dims
    # Batched predicate: loop while any lane is active; finished lanes keep their value.
    ccs = [*cconsts, *cc]
    bcs = [*bconsts, *bc]
    nccs, nbcs = len(ccs), len(bcs)
    car_avals = [get_aval(c) for c in carry]
    if _has_callbacks(cond_b.jaxpr):
        return _while_batch_recomputed(ccs, bcs, carry, car_avals, cond_b, body_b), out_dims
    # The lanes still running are an extra carry, computed at the end of each masked step
    # from the new values (the condition only reduces it): recomputing them at
    # the start of the body from the carries would read every carry once more per
    # iteration (IREE on CPU: one more pass over memory and a temporary; the vmapped
    # 1M-lane Newton loop of bench_table ~25% slower).
    # The mask is carried as uint8: IREE 3.13 segfaults (stream resource analysis)
    # compiling a bool tensor carry of a batched loop inside another one (vmapped gamma
    # draws under grad: a rejection loop nested in a loop).
    (p0,) = _eval(cond_b, [*ccs, *carry])
    p0 = convert_element_type(p0, np.uint8, False)

    def running(m):
        return ne_p.bind(m, full(get_aval(m).shape, 0, np.uint8))

    def any_cond(*a):
        return [reduce_or_p.bind(running(a[-1]), axes=(0,))]

    steps = steps_per_iteration(body_b.jaxpr)

    def masked_body(*a):
        cs, bs, car = _split(a, nccs, nbcs)
        car, m = car[:-1], car[-1]
        for _ in range(steps):
            p = running(m)
            new = _eval(body_b, [*bs, *car])
            car = [select(broadcast_in_dim(p, get_aval(c).shape, (0,)), n, c)
                   for n, c in zip(new, car)]
            (p_new,) = _eval(cond_b, [*cs, *car])
            m = convert_element_type(p_new, np.uint8, False)
        return [*car, m]
    p_aval = get_aval(p0)
    cj, cj_consts = _trace(any_cond, car_avals + [p_aval])
    bj, bj_consts = _trace(masked_body, [get_aval(c) for c in ccs + bcs] + car_avals + [p_aval])
    outs = while_p.bind(*cj_consts, *bj_consts, *ccs, *bcs, *carry, p0, cond_jaxpr=cj,
                        body_jaxpr=bj, cond_nconsts=len(cj_consts),
                        body_nconsts=len(bj_consts) + nccs + nbcs)
    return outs[:-1], out_dims


_CALLBACKS = frozenset({"debug_callback", "io_callback", "pure_callback"})


# IREE 3.13 copies every loop carry at the start of each iteration (bench/NOTES_loops.md
# item 5) and, for a while, reads the predicate back to the host: for a small body over a
# large carry that costs more than the body. A loop over a small body therefore takes
# several steps per iteration: a vmapped while with a batched predicate several masked
# steps (a step on lanes already done selects their values back: the same loop), and the
# lowering of a while several guarded steps, of a scan several steps (the same loops). For
# bench_table's vmapped 1M-lane Newton loop (8 iterations) 4 steps per iteration took the
# call from 21.7 to 11.2 ms on one core, 8 steps to 6.8 ms: a copy costs about two
# elementwise steps there. A while pays with the wasted steps after it ends, so only small
# bodies take more steps; bodies with heavy primitives, nested loops or callbacks (which
# must run once per iteration) keep one.
_SMALL_BODY_STEPS = ((16, 8), (64, 4))   # (most body equations, steps per iteration)
_HEAVY_BODY_PRIMITIVES = frozenset({"dot_general", "fft", "sort"})


def steps_per_iteration(*jaxprs: Jaxpr, exact: bool = False) -> int:
    """How many steps of a loop whose body (and condition) are `jaxprs` one iteration of
    the compiled loop should take. `exact`: the loop's step count is a multiple of what
    this returns or the rest runs apart (a scan), so no step is wasted and heavy
    primitives do not count."""
    for e in (e for j in jaxprs for e in j.eqns):
        if _must_run_as_written(e) or (e.primitive.name in _HEAVY_BODY_PRIMITIVES and not exact):
            return 1
    n = len(jaxprs[0].eqns)
    return next((steps for most, steps in _SMALL_BODY_STEPS if n <= most), 1)


def _must_run_as_written(eqn) -> bool:
    """A callback (its effects happen once per step of the user's loop) or a nested loop
    (copies of it would multiply): neither is repeated nor moved out of a loop body."""
    return eqn.primitive.name in _CALLBACKS or next(core.sub_jaxprs(eqn.params), None) is not None


def is_running_lanes_loop(cond_jaxpr: Jaxpr) -> bool:
    """Is this the condition of the batched-predicate while `_while_batch` builds (any lane
    of the mask carry running)? Its body already takes its steps per iteration."""
    eqns = cond_jaxpr.eqns
    return (len(eqns) >= 2 and eqns[-1].primitive is reduce_or_p
            and eqns[-2].primitive is ne_p and eqns[-2].inputs[0] is cond_jaxpr.invars[-1])


def _has_callbacks(jaxpr: Jaxpr) -> bool:
    return any(e.primitive.name in _CALLBACKS or any(map(_has_callbacks, core.sub_jaxprs(e.params)))
               for e in jaxpr.eqns)


def _while_batch_recomputed(ccs, bcs, carry, car_avals, cond_b, body_b) -> list[Value]:
    """The batched-predicate while whose body evaluates the condition again on entry (a
    condition with callbacks runs as often as the unbatched loop's would per iteration)."""
    nccs, nbcs = len(ccs), len(bcs)

    def any_cond(*a):
        (p,) = _eval(cond_b, a)
        return [reduce_or_p.bind(p, axes=(0,))]

    def masked_body(*a):
        cs, bs, car = _split(a, nccs, nbcs)
        (p,) = _eval(cond_b, [*cs, *car])
        new = _eval(body_b, [*bs, *car])
        return [select(broadcast_in_dim(p, get_aval(c).shape, (0,)), n, c)
                for n, c in zip(new, car)]
    cj, cj_consts = _trace(any_cond, [get_aval(c) for c in ccs] + car_avals)
    bj, bj_consts = _trace(masked_body, [get_aval(c) for c in ccs + bcs] + car_avals)
    return while_p.bind(*cj_consts, *ccs, *bj_consts, *ccs, *bcs, *carry, cond_jaxpr=cj,
                        body_jaxpr=bj, cond_nconsts=len(cj_consts) + nccs,
                        body_nconsts=len(bj_consts) + nccs + nbcs)


def _while_transpose(cts, *args, **params):
    """Reached only with a nonzero cotangent (the backward pass skips the loop otherwise):
    the iterations' residuals were never stored, so reverse mode cannot run the loop back."""
    raise ValueError(WHILE_REVERSE_ERROR)


core.abstract_eval_rules[while_p] = _while_abstract
core.impl_rules[while_p] = _while_impl
jvp_rules[while_p] = _while_jvp
transpose_rules[while_p] = _while_transpose
partial_eval_rules[while_p] = _while_partial_eval
batch_rules[while_p] = _while_batch


# ---------------------------------------------------------------------------
# scan


def _scan_abstract(*avals: ShapedArray, jaxpr: ClosedJaxpr, num_consts: int, num_carry: int,
                   length: int, reverse: bool) -> list[ShapedArray]:
    consts, carry, xs = _split(avals, num_consts, num_carry)
    for x in xs:
        if x.ndim == 0 or x.shape[0] != length:
            raise TypeError(f"scan: scanned-over input {x.str_short()} does not have leading "
                            f"axis of length {length}")
    x_slices = [ShapedArray(x.shape[1:], x.dtype, x.weak_type) for x in xs]
    _check_types("scan jaxpr inputs", jaxpr.in_avals, [*consts, *carry, *x_slices])
    outs = jaxpr.out_avals
    _check_types("scan carry outputs", carry, outs[:num_carry])
    return [ShapedArray(a.shape, a.dtype, a.weak_type and b.weak_type)
            for a, b in zip(carry, outs)] + \
        [_batched_aval(y, length) for y in outs[num_carry:]]


def _scan_impl(*args: np.ndarray, jaxpr: ClosedJaxpr, num_consts: int, num_carry: int,
               length: int, reverse: bool) -> list[np.ndarray]:
    consts, carry, xs = _split(args, num_consts, num_carry)
    ys_avals = jaxpr.out_avals[num_carry:]
    ys = [np.empty((length, *a.shape), a.dtype) for a in ys_avals]
    poll = core._state.loop_poll   # a jit call on the eager tier may hand over here
    for step in range(length):
        i = length - 1 - step if reverse else step
        outs = _eval(jaxpr, [*consts, *carry, *[x[i] for x in xs]])
        carry = outs[:num_carry]
        for buf, y in zip(ys, outs[num_carry:]):
            buf[i] = _np(y)
        if poll is not None:
            poll()
    return [_np(c) for c in carry] + ys


def _scan_jvp(primals: Sequence[Value], tangents: Sequence[Tangent], *, jaxpr: ClosedJaxpr,
              num_consts: int, num_carry: int, length: int, reverse: bool) -> Multi:
    consts, carry, xs = _split(primals, num_consts, num_carry)
    ct, cart, xt = _split(tangents, num_consts, num_carry)
    nc, ncar, nx = len(consts), len(carry), len(xs)
    ny = len(jaxpr.out_avals) - ncar
    c_nz = [not isinstance(t, Zero) for t in ct]
    car_nz = [not isinstance(t, Zero) for t in cart]
    x_nz = [not isinstance(t, Zero) for t in xt]
    lin = is_linearizing(tangents)
    car_nz = _carry_fixpoint(car_nz, lambda nz: _jvp_jaxpr(
        jaxpr, [nc, ncar, nx], [ncar, ny], c_nz + nz + x_nz, nz + [False] * ny, lin)[2][:ncar])
    body, extra, out_nz = _jvp_jaxpr(jaxpr, [nc, ncar, nx], [ncar, ny], c_nz + car_nz + x_nz,
                                     car_nz + [False] * ny, lin)
    y_nz = out_nz[ncar:]
    ct_nz = [t for t, nz in zip(ct, c_nz) if nz]
    cart_nz = [instantiate(t) for t, nz in zip(cart, car_nz) if nz]
    xt_nz = [t for t, nz in zip(xt, x_nz) if nz]
    outs = scan_p.bind(*extra, *consts, *ct_nz, *carry, *cart_nz, *xs, *xt_nz, jaxpr=body,
                       num_consts=len(extra) + nc + len(ct_nz),
                       num_carry=ncar + len(cart_nz), length=length, reverse=reverse)
    car_out, cart_out, ys, yt = _split(outs, ncar, len(cart_nz), ny)
    cart_it, yt_it = iter(cart_out), iter(yt)
    t_car = [next(cart_it) if nz else Zero(tangent_aval(get_aval(p)))
             for p, nz in zip(car_out, car_nz)]
    t_ys = [next(yt_it) if nz else Zero(tangent_aval(get_aval(y))) for y, nz in zip(ys, y_nz)]
    return [*car_out, *ys], [*t_car, *t_ys]


def _scan_partial_eval(trace: PartialEvalTrace, args: Sequence[Value], params: dict
                       ) -> list[Value]:
    jaxpr, nc, ncar = params["jaxpr"], params["num_consts"], params["num_carry"]
    length, reverse = params["length"], params["reverse"]
    ny = len(jaxpr.out_avals) - ncar
    c_uk, car_uk, x_uk = _split([trace.is_mine(a) for a in args], nc, ncar)
    with set_current_trace(trace.parent):
        # forward_only is the linearizing trace's (the current trace here is its parent)
        fwd = trace.forward_only
        car_uk = _carry_fixpoint(car_uk, lambda uk: split_jaxpr(
            jaxpr, c_uk + uk + x_uk, uk + [False] * ny, forward_only=fwd).out_uk[:ncar])
        # residuals that are known consts or known xs are passed straight through
        pe = split_jaxpr(jaxpr, c_uk + car_uk + x_uk, car_uk + [False] * ny,
                         forwardable=lambda i: i < nc or i >= nc + ncar, forward_only=fwd)
        uk = c_uk + car_uk + x_uk
        known_args = [a for a, u in zip(args, uk) if not u]
        n_kcar = ncar - sum(car_uk)
        y_uk = pe.out_uk[ncar:]
        n_kys = ny - sum(y_uk)
        n_invariant_in = len(pe.known_consts) + nc - sum(c_uk)
        known_jaxpr, hoisted = _hoist_invariant_residuals(
            pe.known, n_invariant_in, n_kcar + n_kys, [*pe.known_consts, *known_args])
        kouts = scan_p.bind(*pe.known_consts, *known_args, jaxpr=known_jaxpr,
                            num_consts=n_invariant_in,
                            num_carry=n_kcar, length=length, reverse=reverse)
    k_car, k_ys, stacked = _split(kouts, n_kcar, n_kys)
    # residual output x -> its position among the stacked ones
    stacked_at = {x: i for i, x in enumerate(
        x for x in range(len(stacked) + len(hoisted)) if x not in hoisted)}
    inv_vars, inv_vals, st_vars, st_vals = [], [], [], []
    for v, (kind, x) in zip(pe.unknown.constvars, pe.residuals):
        if kind == "in" and x < nc:
            inv_vars.append(v), inv_vals.append(args[x])
        elif kind == "in":
            st_vars.append(v), st_vals.append(args[x])
        elif kind == "val":
            inv_vars.append(v), inv_vals.append(x)
        elif x in hoisted:
            inv_vars.append(v), inv_vals.append(hoisted[x])
        else:
            st_vars.append(v), st_vals.append(stacked[stacked_at[x]])
    u_c, u_car, u_x = _split(pe.unknown.invars, sum(c_uk), sum(car_uk))
    uj = Jaxpr([], inv_vars + u_c + u_car + st_vars + u_x, pe.unknown.eqns, pe.unknown.outvars)
    a_c, a_car, a_x = _split(args, nc, ncar)
    sel = lambda xs, m: [x for x, u in zip(xs, m) if u]  # noqa: E731
    u_args = [*inv_vals, *sel(a_c, c_uk), *sel(a_car, car_uk), *st_vals, *sel(a_x, x_uk)]
    uouts = _stage_in(trace, scan_p, u_args, dict(
        jaxpr=ClosedJaxpr(uj, []), num_consts=len(inv_vals) + sum(c_uk),
        num_carry=sum(car_uk), length=length, reverse=reverse))
    u_car_out, u_ys = _split(uouts, sum(car_uk))
    kc, uc, ky, uy = iter(k_car), iter(u_car_out), iter(k_ys), iter(u_ys)
    return [next(uc) if u else next(kc) for u in car_uk] + \
        [next(uy) if u else next(ky) for u in y_uk]


def _hoist_invariant_residuals(known: ClosedJaxpr, n_invariant_in: int, n_outs: int,
                               known_args: Sequence[Value]) -> tuple[ClosedJaxpr, dict]:
    """The residuals of a scan's known body (its outputs from n_outs on) that depend on its
    loop-invariant inputs alone (the first n_invariant_in: constants, or nothing, e.g. a
    broadcast literal) are computed once, here, instead of stacked per step (as JAX does):
    a grad of a 1000-step loop stored a broadcast 0.99 per step. Returns the known body
    without those outputs and {residual index: value}."""
    jaxpr = known.jaxpr
    deps = output_dependencies(jaxpr)
    hoist = [x for x in range(len(jaxpr.outvars) - n_outs)
             if all(d < n_invariant_in for d in deps[n_outs + x])
             and not isinstance(jaxpr.outvars[n_outs + x], Literal)]
    if not hoist:
        return known, {}
    wanted = [jaxpr.outvars[n_outs + x] for x in hoist]
    needed, eqns = set(wanted), []
    for e in reversed(jaxpr.eqns):
        if any(o in needed for o in e.outputs):
            if _must_run_as_written(e):
                return known, {}
            eqns.append(e)
            needed.update(a for a in e.inputs if not isinstance(a, Literal))
    once = Jaxpr(jaxpr.constvars, jaxpr.invars[:n_invariant_in], eqns[::-1], wanted)
    values = core.eval_jaxpr(once, known.consts, known_args[:n_invariant_in])
    keep = [v for i, v in enumerate(jaxpr.outvars) if i < n_outs or i - n_outs not in hoist]
    body = ClosedJaxpr(Jaxpr(jaxpr.constvars, jaxpr.invars, jaxpr.eqns, keep), known.consts)
    return body, dict(zip(hoist, values))


def _scan_transpose(cts: Sequence[Tangent], *args: Value, jaxpr: ClosedJaxpr, num_consts: int,
                    num_carry: int, length: int, reverse: bool) -> list[Tangent | None]:
    consts, carry, xs = _split(args, num_consts, num_carry)
    ncar = num_carry
    ct_car, ct_ys = _split(cts, ncar)
    c_lin = [is_undefined(c) for c in consts]
    x_lin = [is_undefined(x) for x in xs]
    j = jaxpr.jaxpr
    cv, carv, xv = _split(j.invars, num_consts, ncar)
    sel = lambda xs, m, keep=True: [x for x, l in zip(xs, m) if l == keep]  # noqa: E731
    bt = Jaxpr(sel(cv, c_lin, False) + sel(xv, x_lin, False),
               sel(cv, c_lin) + carv + sel(xv, x_lin), j.eqns, j.outvars)
    kc, kx = sel(consts, c_lin, False), sel(xs, x_lin, False)
    car_avals = [c.aval if is_undefined(c) else get_aval(c) for c in carry]
    acc_avals = [c.aval for c in sel(consts, c_lin)]
    y_avals = jaxpr.out_avals[ncar:]
    ys_nz = [not isinstance(c, Zero) for c in ct_ys]
    ct_car = [zeros_like_aval(a) if isinstance(c, Zero) else c for c, a in zip(ct_car, car_avals)]
    acc0 = [zeros_like_aval(a) for a in acc_avals]
    cty = sel(ct_ys, ys_nz)
    nkc, nacc = len(kc), len(acc0)

    def body(*a):
        kcs, acc, ctc, kxs, ctys = _split(a, nkc, nacc, ncar, len(kx))
        it = iter(ctys)
        cts_out = list(ctc) + [next(it) if nz else Zero(av) for nz, av in zip(ys_nz, y_avals)]
        cts_in = backward_pass(bt, [*kcs, *kxs], cts_out)
        c_c, c_car, c_x = _split(cts_in, nacc, ncar)
        return ([instantiate(add_tangents(s, c)) for s, c in zip(acc, c_c)] +
                [instantiate(c) for c in c_car] + [instantiate(c) for c in c_x])
    avals = [get_aval(v) for v in kc] + acc_avals + car_avals + \
        [ShapedArray(get_aval(x).shape[1:], get_aval(x).dtype, get_aval(x).weak_type)
         for x in kx] + [get_aval(c).update(shape=get_aval(c).shape[1:]) for c in cty]
    tj, extra = _trace(body, avals)
    outs = scan_p.bind(*extra, *kc, *acc0, *ct_car, *kx, *cty, jaxpr=tj,
                       num_consts=len(extra) + nkc, num_carry=nacc + ncar, length=length,
                       reverse=not reverse)
    acc, ct_car0, ct_xs = _split(outs, nacc, ncar)
    acc_it, x_it = iter(acc), iter(ct_xs)
    return ([next(acc_it) if l else None for l in c_lin] +
            [c if is_undefined(a) else None for c, a in zip(ct_car0, carry)] +
            [next(x_it) if l else None for l in x_lin])


def _scan_batch(axis_size: int, vals: Sequence[Value], dims: Sequence[BDim], *,
                jaxpr: ClosedJaxpr, num_consts: int, num_carry: int, length: int,
                reverse: bool) -> Batched:
    consts, carry, xs = _split(vals, num_consts, num_carry)
    cd, card, xd = _split(dims, num_consts, num_carry)
    ny = len(jaxpr.out_avals) - num_carry
    c_b = [d is not None for d in cd]
    x_b = [d is not None for d in xd]
    car_b = _carry_fixpoint([d is not None for d in card], lambda b: _batch_jaxpr(
        jaxpr, axis_size, c_b + b + x_b, b + [False] * ny)[2][:num_carry])
    bj, extra, ob = _batch_jaxpr(jaxpr, axis_size, c_b + car_b + x_b, car_b + [False] * ny)
    carry = [bdim_to_front(c, d, axis_size) if b else c for c, d, b in zip(carry, card, car_b)]
    xs = [move_axis(x, 0, 1) if b else x for x, b in zip(xs, x_b)]
    outs = scan_p.bind(*extra, *consts, *carry, *xs, jaxpr=bj,
                       num_consts=len(extra) + num_consts, num_carry=num_carry, length=length,
                       reverse=reverse)
    car_out, ys = _split(outs, num_carry)
    y_b = ob[num_carry:]
    ys = [move_axis(y, 1, 0) if b else y for y, b in zip(ys, y_b)]
    return [*car_out, *ys], [0 if b else None for b in car_b + y_b]


core.abstract_eval_rules[scan_p] = _scan_abstract
core.impl_rules[scan_p] = _scan_impl
jvp_rules[scan_p] = _scan_jvp
partial_eval_rules[scan_p] = _scan_partial_eval
transpose_rules[scan_p] = _scan_transpose
batch_rules[scan_p] = _scan_batch


# ---------------------------------------------------------------------------
# cond (index-based; cond(pred, ...) uses index = int(pred), branches = (false, true))


def _cond_abstract(index: ShapedArray, *ops: ShapedArray, branches: tuple[ClosedJaxpr, ...]
                   ) -> list[ShapedArray]:
    if index.shape != () or dtypes.kind(index.dtype) not in "iu":
        raise TypeError(f"cond index must be an integer scalar, got {index.str_short()}")
    for k, br in enumerate(branches):
        _check_types(f"cond branch {k} inputs", br.in_avals, ops)
        _check_types(f"cond branch {k} outputs", branches[0].out_avals, br.out_avals)
    return [ShapedArray(a.shape, a.dtype, all(b.out_avals[i].weak_type for b in branches))
            for i, a in enumerate(branches[0].out_avals)]


def _cond_impl(index: np.ndarray, *ops: np.ndarray, branches: tuple[ClosedJaxpr, ...]
               ) -> list[np.ndarray]:
    k = int(np.clip(int(index), 0, len(branches) - 1))
    return [_np(o) for o in _eval(branches[k], ops)]


def _cond_jvp(primals: Sequence[Value], tangents: Sequence[Tangent], *,
              branches: tuple[ClosedJaxpr, ...]) -> Multi:
    index, *ops = primals
    _, *ts = tangents
    nz = [not isinstance(t, Zero) for t in ts]
    nout = len(branches[0].out_avals)
    out_nz = [False] * nout
    lin = is_linearizing(tangents)
    for br in branches:
        _, _, o = _jvp_jaxpr(br, [len(ops)], [nout], nz, [False] * nout, lin)
        out_nz = [a or b for a, b in zip(out_nz, o)]
    traced = []
    for br in branches:
        j, consts, _ = _jvp_jaxpr(br, [len(ops)], [nout], nz, out_nz, lin)
        traced.append((j, consts))
    new, consts = unify_consts(traced)
    ts_nz = [t for t, n in zip(ts, nz) if n]
    outs = cond_p.bind(index, *consts, *ops, *ts_nz, branches=tuple(new))
    p_out, t_rest = outs[:nout], iter(outs[nout:])
    return p_out, [next(t_rest) if n else Zero(tangent_aval(get_aval(p)))
                   for p, n in zip(p_out, out_nz)]


def _cond_partial_eval(trace: PartialEvalTrace, args: Sequence[Value], params: dict
                       ) -> list[Value]:
    branches = params["branches"]
    index, *ops = args
    if trace.is_mine(index):
        return _stage_in(trace, cond_p, args, params)
    op_uk = [trace.is_mine(o) for o in ops]
    nout = len(branches[0].out_avals)
    with set_current_trace(trace.parent):
        fwd = trace.forward_only   # the linearizing trace's, not its parent's
        out_uk = [False] * nout
        for br in branches:
            out_uk = [a or b for a, b in
                      zip(out_uk, split_jaxpr(br, op_uk, out_uk, forward_only=fwd).out_uk)]
        pes = [split_jaxpr(br, op_uk, out_uk, forwardable=lambda i: True, forward_only=fwd)
               for br in branches]
        n_ko = nout - sum(out_uk)
        res_avals = [[a for a in pe.known.out_avals[n_ko:]] for pe in pes]
        traced = []
        known_ops = [o for o, u in zip(ops, op_uk) if not u]
        for b, pe in enumerate(pes):
            def known_branch(*a, pe=pe, b=b):
                outs = _eval(pe.known, a)
                mine = outs[n_ko:]
                pads = [[zeros_like_aval(av) for av in res_avals[c]] for c in range(len(pes))]
                pads[b] = mine
                return outs[:n_ko] + [x for p in pads for x in p]
            kj, kconsts = _trace(known_branch, [get_aval(c) for c in pe.known_consts] +
                                 [get_aval(o) for o in known_ops])
            traced.append((kj, kconsts + pe.known_consts))
        kbranches, kconsts = unify_consts(traced)
        kouts = cond_p.bind(index, *kconsts, *known_ops, branches=tuple(kbranches))
    k_outs, res_flat = kouts[:n_ko], kouts[n_ko:]
    # the unknown cond takes every branch's residuals; each branch ignores the others'
    res_slots, off = [], 0
    for pe, avs in zip(pes, res_avals):
        vals = []
        for kind, x in pe.residuals:
            vals.append(ops[x] if kind == "in" else x if kind == "val" else res_flat[off + x])
        res_slots.append(vals)
        off += len(avs)
    all_res = [v for vs in res_slots for v in vs]
    ubranches, off = [], 0
    for pe, vs in zip(pes, res_slots):
        uj = pe.unknown
        pre = [Var(get_aval(v)) for v in all_res[:off]]
        post = [Var(get_aval(v)) for v in all_res[off + len(vs):]]
        ubranches.append(ClosedJaxpr(Jaxpr([], pre + uj.constvars + post + uj.invars, uj.eqns,
                                           uj.outvars), []))
        off += len(vs)
    u_ops = [o for o, u in zip(ops, op_uk) if u]
    uouts = _stage_in(trace, cond_p, [index, *all_res, *u_ops], dict(branches=tuple(ubranches)))
    ki, ui = iter(k_outs), iter(uouts)
    return [next(ui) if u else next(ki) for u in out_uk]


def _cond_transpose(cts: Sequence[Tangent], index: Value, *ops: Value,
                    branches: tuple[ClosedJaxpr, ...]) -> list[Tangent | None]:
    if is_undefined(index):
        raise TypeError("cond: cannot transpose with respect to the branch index")
    lin = [is_undefined(o) for o in ops]
    known = [o for o, l in zip(ops, lin) if not l]
    out_avals = branches[0].out_avals
    cts_nz_mask = [not isinstance(c, Zero) for c in cts]
    cts_nz = [c for c in cts if not isinstance(c, Zero)]
    traced = []
    for br in branches:
        j = br.jaxpr
        bt = Jaxpr([v for v, l in zip(j.invars, lin) if not l],
                   [v for v, l in zip(j.invars, lin) if l], j.eqns, j.outvars)

        def tbranch(*a, bt=bt):
            kv, cs = _split(a, len(known))
            it = iter(cs)
            cts_out = [next(it) if nz else Zero(av) for nz, av in zip(cts_nz_mask, out_avals)]
            return [instantiate(r) for r in backward_pass(bt, kv, cts_out)]
        traced.append(_trace(tbranch, [get_aval(k) for k in known] +
                             [get_aval(c) for c in cts_nz]))
    new, consts = unify_consts(traced)
    outs = iter(cond_p.bind(index, *consts, *known, *cts_nz, branches=tuple(new)))
    return [None] + [next(outs) if l else None for l in lin]


def _select_n(index: Value, cases: Sequence[Value]) -> Value:
    """cases[index] elementwise; index has shape (B,), cases (B, ...)."""
    ia = get_aval(index)
    out = cases[0]
    for k in range(1, len(cases)):
        hit = eq(index, full(ia.shape, k, ia.dtype))
        out = select(broadcast_in_dim(hit, get_aval(out).shape, (0,)), cases[k], out)
    return out


def _only_if_taken(taken: Value, x: Value) -> Value:
    """x, whose derivative flows only on the lanes where `taken` (shape (B,)) is True."""
    xa = get_aval(x)
    if dtypes.kind(xa.dtype) not in "fc":
        return x
    return select(broadcast_in_dim(taken, xa.shape, (0,)), x, stop_gradient_p.bind(x))


def _cond_batch(axis_size: int, vals: Sequence[Value], dims: Sequence[BDim], *,
                branches: tuple[ClosedJaxpr, ...]) -> Batched:
    index, *ops = vals
    idim, *odims = dims
    ob = [d is not None for d in odims]
    nout = len(branches[0].out_avals)
    if idim is not None:
        ia = get_aval(index)
        index = min_p.bind(max_p.bind(index, full(ia.shape, 0, ia.dtype)),
                           full(ia.shape, len(branches) - 1, ia.dtype))
        # every branch runs on every lane; the outputs are selected per lane. Each branch
        # sees its operands through select(taken, x, stop_gradient(x)) so that in reverse
        # mode a lane's cotangent reaches x only from the branch that lane took: the untaken
        # branch's derivative (a nan from sqrt or log of a value it never gets) is selected
        # away instead of multiplied by zero. (The same guard as JAX's.)
        ops = [bdim_to_front(o, d, axis_size) for o, d in zip(ops, odims)]
        per_branch = []
        for k, br in enumerate(branches):
            bj, consts, _ = _batch_jaxpr(br, axis_size, [True] * len(ops), True)
            taken = eq(index, full(ia.shape, k, ia.dtype))
            per_branch.append(_eval(bj, [*consts, *[_only_if_taken(taken, o) for o in ops]]))
        return [_select_n(index, [p[i] for p in per_branch]) for i in range(nout)], [0] * nout
    out_b = [False] * nout
    for br in branches:
        out_b = [a or b for a, b in zip(out_b, _batch_jaxpr(br, axis_size, ob, False)[2])]
    traced = []
    for br in branches:
        bj, consts, _ = _batch_jaxpr(br, axis_size, ob, out_b)
        traced.append((bj, consts))
    new, consts = unify_consts(traced)
    outs = cond_p.bind(index, *consts, *ops, branches=tuple(new))
    return outs, [0 if b else None for b in out_b]


core.abstract_eval_rules[cond_p] = _cond_abstract
core.impl_rules[cond_p] = _cond_impl
jvp_rules[cond_p] = _cond_jvp
partial_eval_rules[cond_p] = _cond_partial_eval
transpose_rules[cond_p] = _cond_transpose
batch_rules[cond_p] = _cond_batch
