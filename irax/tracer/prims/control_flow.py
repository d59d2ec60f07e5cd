"""Control flow: the `while`, `scan` and `cond` primitives, and the loops built on them.

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

User functions (also exported by irax.lax): while_loop, fori_loop, scan, cond, switch,
custom_root, fixed_point (implicit differentiation in forward and reverse mode, any order)
and checkpointed_while_loop (reverse mode through a bounded-but-dynamic loop with O(K log N)
memory by recursive checkpointing).
"""
from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import numpy as np

from ... import tree_util
from .. import core
from ..batching import batch_rules, bdim_to_front, move_axis, vmap_flat
from ..core import (ClosedJaxpr, Jaxpr, Primitive, ShapedArray, Var, get_aval,
                    set_current_trace)
from ..jvp import Zero, add_tangents, jvp_flat, jvp_rules, tangent_aval, zeros_like_aval
from ..jvp import instantiate as _inst
from ..partial_eval import (PartialEvalTrace, StagingTrace, convert_constvars,
                            is_linearizing, partial_eval_rules, split_jaxpr, trace_to_jaxpr)
from ..transpose import backward_pass, is_undefined, transpose_rules

while_p = Primitive("while", multiple_results=True)
scan_p = Primitive("scan", multiple_results=True)
cond_p = Primitive("cond", multiple_results=True)

WHILE_REVERSE_ERROR = (
    "Reverse-mode differentiation (grad, vjp, linearize) of irax.lax.while_loop is not "
    "supported: the number of iterations is only known at run time, so the residuals of every "
    "iteration cannot be stored ahead of time. Alternatives: irax.lax.fori_loop with static "
    "Python int bounds (it becomes a scan), irax.lax.scan, a custom_vjp rule, "
    "irax.lax.fixed_point (implicit differentiation of x = f(params, x)), "
    "irax.lax.custom_root, or irax.lax.checkpointed_while_loop(cond_fun, body_fun, init, "
    "max_steps=N, checkpoints=K) (equivalently while_loop(..., max_steps=N)), which stores "
    "O(K log N) checkpoints and recomputes. Forward mode (jvp, jacfwd) of while_loop works.")


# ---------------------------------------------------------------------------
# Jaxpr helpers: trace, jvp, batch and partially evaluate closed (const-free) jaxprs


def _trace(fun: Callable, in_avals: Sequence[ShapedArray]) -> tuple[ClosedJaxpr, list]:
    """Stage `fun` at the current trace. Constants become leading inputs: returns a
    const-free ClosedJaxpr whose first len(consts) inputs take `consts`."""
    return convert_constvars(trace_to_jaxpr(fun, list(in_avals)))


def _eval(closed: ClosedJaxpr, args: Sequence[Any]) -> list:
    return core.eval_jaxpr(closed.jaxpr, closed.consts, list(args))


def _np(x: Any) -> np.ndarray:
    return core.to_numpy_value(x)


def _batched_aval(a: ShapedArray, n: int) -> ShapedArray:
    return ShapedArray((n, *a.shape), a.dtype, a.weak_type)


def _split(xs, *sizes):
    return core.split_list(list(xs), list(sizes))


def _trace_marked(fun: Callable, in_avals: Sequence[ShapedArray], linearizing: bool):
    return convert_constvars(trace_to_jaxpr(fun, list(in_avals), linearizing=linearizing))


def _jvp_jaxpr(closed: ClosedJaxpr, in_groups: Sequence[int], out_groups: Sequence[int],
               nonzeros: Sequence[bool], instantiate: Sequence[bool], linearizing: bool = False):
    """JVP of a jaxpr. Inputs are ordered group by group as [primals, nonzero tangents];
    outputs likewise. Returns (jaxpr, consts, out_nonzero); consts lead the inputs."""
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
        out_nz = [not isinstance(t, Zero) or inst for t, inst in zip(t_out, instantiate)]
        store["nz"] = out_nz
        outs, pos = [], 0
        for g in out_groups:
            outs += list(p_out[pos:pos + g])
            outs += [_inst(t) for t, nz in zip(t_out[pos:pos + g], out_nz[pos:pos + g]) if nz]
            pos += g
        return outs
    jaxpr, consts = _trace_marked(fun, avals, linearizing)
    return jaxpr, consts, store["nz"]


def _batch_jaxpr(closed: ClosedJaxpr, axis_size: int, in_batched: Sequence[bool],
                 force_out: bool | Sequence[bool]):
    """vmap of a jaxpr; batched inputs/outputs carry the batch axis at 0.
    Returns (jaxpr, consts, out_batched); consts lead the inputs."""
    nout = len(closed.out_avals)
    force = [force_out] * nout if isinstance(force_out, bool) else list(force_out)
    avals = [_batched_aval(a, axis_size) if b else a
             for a, b in zip(closed.in_avals, in_batched)]
    store: dict = {}

    def fun(*args):
        outs, dims = vmap_flat(lambda *xs: _eval(closed, xs), args,
                               [0 if b else None for b in in_batched], axis_size)
        ob = [d is not None or f for d, f in zip(dims, force)]
        store["ob"] = ob
        return [bdim_to_front(o, d, axis_size) if b else o for o, d, b in zip(outs, dims, ob)]
    jaxpr, consts = _trace(fun, avals)
    return jaxpr, consts, store["ob"]


def _unify_consts(traced: Sequence[tuple[ClosedJaxpr, list]]) -> tuple[list[ClosedJaxpr], list]:
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


def _stage_in(trace: PartialEvalTrace, prim: Primitive, args, params) -> list:
    """Record prim into a partial-eval trace's unknown jaxpr without re-entering its rule."""
    return StagingTrace.process_primitive(trace, prim, list(args), params)


def _check_types(what: str, expected: Sequence[ShapedArray], got: Sequence[ShapedArray]):
    if len(expected) != len(got):
        raise TypeError(f"{what}: expected {len(expected)} values, got {len(got)}")
    for i, (e, g) in enumerate(zip(expected, got)):
        if not core.same_type(e, g):
            raise TypeError(f"{what}: value {i} has type {g.str_short()}, expected "
                            f"{e.str_short()}")


# ---------------------------------------------------------------------------
# while


def _while_abstract(*avals, cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts):
    cc, bc, carry = _split(avals, cond_nconsts, body_nconsts)
    _check_types("while cond_jaxpr inputs", cond_jaxpr.in_avals, [*cc, *carry])
    _check_types("while body_jaxpr inputs", body_jaxpr.in_avals, [*bc, *carry])
    _check_types("while body_jaxpr outputs", carry, body_jaxpr.out_avals)
    (p,) = cond_jaxpr.out_avals
    if p.shape != () or p.dtype != np.bool_:
        raise TypeError(f"while cond_jaxpr must return a scalar bool, got {p.str_short()}")
    return [ShapedArray(a.shape, a.dtype, a.weak_type and b.weak_type)
            for a, b in zip(carry, body_jaxpr.out_avals)]


def _while_impl(*args, cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts):
    cc, bc, carry = _split(args, cond_nconsts, body_nconsts)
    while bool(_np(_eval(cond_jaxpr, [*cc, *carry])[0])):
        carry = _eval(body_jaxpr, [*bc, *carry])
    return [_np(c) for c in carry]


def _while_jvp(primals, tangents, *, cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts):
    cc, bc, carry = _split(primals, cond_nconsts, body_nconsts)
    _, bct, cart = _split(tangents, cond_nconsts, body_nconsts)
    nb, ncar = len(bc), len(carry)
    bc_nz = [not isinstance(t, Zero) for t in bct]
    car_nz = [not isinstance(t, Zero) for t in cart]
    lin = is_linearizing(tangents)
    while True:
        _, _, out_nz = _jvp_jaxpr(body_jaxpr, [nb, ncar], [ncar], bc_nz + car_nz, car_nz, lin)
        new = [a or b for a, b in zip(car_nz, out_nz)]
        if new == car_nz:
            break
        car_nz = new
    body, consts, _ = _jvp_jaxpr(body_jaxpr, [nb, ncar], [ncar], bc_nz + car_nz, car_nz, lin)
    cj = cond_jaxpr.jaxpr
    extra = [Var(tangent_aval(get_aval(c))) for c, nz in zip(carry, car_nz) if nz]
    cond = ClosedJaxpr(Jaxpr([], cj.invars + extra, cj.eqns, cj.outvars), [])
    bct_nz = [t for t, nz in zip(bct, bc_nz) if nz]
    cart_nz = [_inst(t) for t, nz in zip(cart, car_nz) if nz]
    outs = while_p.bind(*cc, *consts, *bc, *bct_nz, *carry, *cart_nz, cond_jaxpr=cond,
                        body_jaxpr=body, cond_nconsts=len(cc),
                        body_nconsts=len(consts) + nb + len(bct_nz))
    p_out, t_rest = outs[:ncar], iter(outs[ncar:])
    t_out = [next(t_rest) if nz else Zero(tangent_aval(get_aval(p)))
             for p, nz in zip(p_out, car_nz)]
    return p_out, t_out


def _while_partial_eval(trace, args, params):
    raise ValueError(WHILE_REVERSE_ERROR)   # JAX raises ValueError here too


def _while_batch(axis_size, vals, dims, *, cond_jaxpr, body_jaxpr, cond_nconsts,
                 body_nconsts):
    cc, bc, carry = _split(vals, cond_nconsts, body_nconsts)
    ccd, bcd, card = _split(dims, cond_nconsts, body_nconsts)
    cc_b = [d is not None for d in ccd]
    bc_b = [d is not None for d in bcd]
    car_b = [d is not None for d in card]
    while True:
        _, _, out_b = _batch_jaxpr(body_jaxpr, axis_size, bc_b + car_b, False)
        new = [a or b for a, b in zip(car_b, out_b)]
        if new == car_b:
            break
        car_b = new
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
    from .elementwise import select
    from .reduce import reduce_or_p
    from .shape import broadcast_in_dim
    ccs = [*cconsts, *cc]
    bcs = [*bconsts, *bc]
    nccs, nbcs = len(ccs), len(bcs)
    car_avals = [get_aval(c) for c in carry]

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
    outs = while_p.bind(*cj_consts, *ccs, *bj_consts, *ccs, *bcs, *carry, cond_jaxpr=cj,
                        body_jaxpr=bj, cond_nconsts=len(cj_consts) + nccs,
                        body_nconsts=len(bj_consts) + nccs + nbcs)
    return outs, out_dims


core.abstract_eval_rules[while_p] = _while_abstract
core.impl_rules[while_p] = _while_impl
jvp_rules[while_p] = _while_jvp
partial_eval_rules[while_p] = _while_partial_eval
batch_rules[while_p] = _while_batch


# ---------------------------------------------------------------------------
# scan


def _scan_abstract(*avals, jaxpr, num_consts, num_carry, length, reverse):
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


def _scan_impl(*args, jaxpr, num_consts, num_carry, length, reverse):
    consts, carry, xs = _split(args, num_consts, num_carry)
    ys_avals = jaxpr.out_avals[num_carry:]
    ys = [np.empty((length, *a.shape), a.dtype) for a in ys_avals]
    for step in range(length):
        i = length - 1 - step if reverse else step
        outs = _eval(jaxpr, [*consts, *carry, *[x[i] for x in xs]])
        carry = outs[:num_carry]
        for buf, y in zip(ys, outs[num_carry:]):
            buf[i] = _np(y)
    return [_np(c) for c in carry] + ys


def _scan_jvp(primals, tangents, *, jaxpr, num_consts, num_carry, length, reverse):
    consts, carry, xs = _split(primals, num_consts, num_carry)
    ct, cart, xt = _split(tangents, num_consts, num_carry)
    nc, ncar, nx = len(consts), len(carry), len(xs)
    ny = len(jaxpr.out_avals) - ncar
    c_nz = [not isinstance(t, Zero) for t in ct]
    car_nz = [not isinstance(t, Zero) for t in cart]
    x_nz = [not isinstance(t, Zero) for t in xt]
    lin = is_linearizing(tangents)
    while True:
        _, _, out_nz = _jvp_jaxpr(jaxpr, [nc, ncar, nx], [ncar, ny], c_nz + car_nz + x_nz,
                                  car_nz + [False] * ny, lin)
        new = [a or b for a, b in zip(car_nz, out_nz[:ncar])]
        if new == car_nz:
            break
        car_nz = new
    body, extra, out_nz = _jvp_jaxpr(jaxpr, [nc, ncar, nx], [ncar, ny], c_nz + car_nz + x_nz,
                                     car_nz + [False] * ny, lin)
    y_nz = out_nz[ncar:]
    ct_nz = [t for t, nz in zip(ct, c_nz) if nz]
    cart_nz = [_inst(t) for t, nz in zip(cart, car_nz) if nz]
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


def _scan_partial_eval(trace, args, params):
    jaxpr, nc, ncar = params["jaxpr"], params["num_consts"], params["num_carry"]
    length, reverse = params["length"], params["reverse"]
    ny = len(jaxpr.out_avals) - ncar
    c_uk, car_uk, x_uk = _split([trace.is_mine(a) for a in args], nc, ncar)
    with set_current_trace(trace.parent):
        while True:
            pe = split_jaxpr(jaxpr, c_uk + car_uk + x_uk, car_uk + [False] * ny)
            new = [a or b for a, b in zip(car_uk, pe.out_uk[:ncar])]
            if new == car_uk:
                break
            car_uk = new
        # residuals that are known consts or known xs are passed straight through
        pe = split_jaxpr(jaxpr, c_uk + car_uk + x_uk, car_uk + [False] * ny,
                       forwardable=lambda i: i < nc or i >= nc + ncar)
        uk = c_uk + car_uk + x_uk
        known_args = [a for a, u in zip(args, uk) if not u]
        n_kcar = ncar - sum(car_uk)
        y_uk = pe.out_uk[ncar:]
        n_kys = ny - sum(y_uk)
        kouts = scan_p.bind(*pe.known_consts, *known_args, jaxpr=pe.known,
                            num_consts=len(pe.known_consts) + nc - sum(c_uk),
                            num_carry=n_kcar, length=length, reverse=reverse)
    k_car, k_ys, stacked = _split(kouts, n_kcar, n_kys)
    inv_vars, inv_vals, st_vars, st_vals = [], [], [], []
    for v, (kind, x) in zip(pe.unknown.constvars, pe.residuals):
        if kind == "in" and x < nc:
            inv_vars.append(v), inv_vals.append(args[x])
        elif kind == "in":
            st_vars.append(v), st_vals.append(args[x])
        elif kind == "val":
            inv_vars.append(v), inv_vals.append(x)
        else:
            st_vars.append(v), st_vals.append(stacked[x])
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


def _scan_transpose(cts, *args, jaxpr, num_consts, num_carry, length, reverse):
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
        return ([_inst(add_tangents(s, c)) for s, c in zip(acc, c_c)] +
                [_inst(c) for c in c_car] + [_inst(c) for c in c_x])
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


def _scan_batch(axis_size, vals, dims, *, jaxpr, num_consts, num_carry, length, reverse):
    consts, carry, xs = _split(vals, num_consts, num_carry)
    cd, card, xd = _split(dims, num_consts, num_carry)
    ny = len(jaxpr.out_avals) - num_carry
    c_b = [d is not None for d in cd]
    car_b = [d is not None for d in card]
    x_b = [d is not None for d in xd]
    while True:
        _, _, ob = _batch_jaxpr(jaxpr, axis_size, c_b + car_b + x_b, car_b + [False] * ny)
        new = [a or b for a, b in zip(car_b, ob[:num_carry])]
        if new == car_b:
            break
        car_b = new
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


def _cond_abstract(index, *ops, branches):
    if index.shape != () or index.dtype.kind not in "iu":
        raise TypeError(f"cond index must be an integer scalar, got {index.str_short()}")
    for k, br in enumerate(branches):
        _check_types(f"cond branch {k} inputs", br.in_avals, ops)
        _check_types(f"cond branch {k} outputs", branches[0].out_avals, br.out_avals)
    return [ShapedArray(a.shape, a.dtype, all(b.out_avals[i].weak_type for b in branches))
            for i, a in enumerate(branches[0].out_avals)]


def _cond_impl(index, *ops, branches):
    k = int(np.clip(int(index), 0, len(branches) - 1))
    return [_np(o) for o in _eval(branches[k], ops)]


def _cond_jvp(primals, tangents, *, branches):
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
    new, consts = _unify_consts(traced)
    ts_nz = [t for t, n in zip(ts, nz) if n]
    outs = cond_p.bind(index, *consts, *ops, *ts_nz, branches=tuple(new))
    p_out, t_rest = outs[:nout], iter(outs[nout:])
    return p_out, [next(t_rest) if n else Zero(tangent_aval(get_aval(p)))
                   for p, n in zip(p_out, out_nz)]


def _cond_partial_eval(trace, args, params):
    branches = params["branches"]
    index, *ops = args
    if trace.is_mine(index):
        return _stage_in(trace, cond_p, args, params)
    op_uk = [trace.is_mine(o) for o in ops]
    nout = len(branches[0].out_avals)
    with set_current_trace(trace.parent):
        out_uk = [False] * nout
        for br in branches:
            out_uk = [a or b for a, b in zip(out_uk, split_jaxpr(br, op_uk, out_uk).out_uk)]
        pes = [split_jaxpr(br, op_uk, out_uk, forwardable=lambda i: True) for br in branches]
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
        kbranches, kconsts = _unify_consts(traced)
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


def _cond_transpose(cts, index, *ops, branches):
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
            return [_inst(r) for r in backward_pass(bt, kv, cts_out)]
        traced.append(_trace(tbranch, [get_aval(k) for k in known] +
                             [get_aval(c) for c in cts_nz]))
    new, consts = _unify_consts(traced)
    outs = iter(cond_p.bind(index, *consts, *known, *cts_nz, branches=tuple(new)))
    return [None] + [next(outs) if l else None for l in lin]


def _select_n(index, cases):
    """cases[index] elementwise; index has shape (B,), cases (B, ...)."""
    from .elementwise import eq, select
    from .shape import broadcast_in_dim, full
    ia = get_aval(index)
    out = cases[0]
    for k in range(1, len(cases)):
        hit = eq(index, full(ia.shape, k, ia.dtype))
        out = select(broadcast_in_dim(hit, get_aval(out).shape, (0,)), cases[k], out)
    return out


def _only_if_taken(taken, x):
    """x, whose derivative flows only on the lanes where `taken` (shape (B,)) is True."""
    from .elementwise import select, stop_gradient_p
    from .shape import broadcast_in_dim
    xa = get_aval(x)
    if xa.dtype.kind not in "fc":
        return x
    return select(broadcast_in_dim(taken, xa.shape, (0,)), x, stop_gradient_p.bind(x))


def _cond_batch(axis_size, vals, dims, *, branches):
    index, *ops = vals
    idim, *odims = dims
    ob = [d is not None for d in odims]
    nout = len(branches[0].out_avals)
    if idim is not None:
        from .elementwise import eq, max_p, min_p
        from .shape import full
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
    new, consts = _unify_consts(traced)
    outs = cond_p.bind(index, *consts, *ops, branches=tuple(new))
    return outs, [0 if b else None for b in out_b]


core.abstract_eval_rules[cond_p] = _cond_abstract
core.impl_rules[cond_p] = _cond_impl
jvp_rules[cond_p] = _cond_jvp
partial_eval_rules[cond_p] = _cond_partial_eval
transpose_rules[cond_p] = _cond_transpose
batch_rules[cond_p] = _cond_batch


# ---------------------------------------------------------------------------
# User-facing functions: pytrees in and out


def _leaves(tree, what: str):
    leaves, treedef = tree_util.tree_flatten(tree)
    for x in leaves:
        if not core.is_array_like(x):
            raise TypeError(f"{what} contains a non-array leaf {x!r} of type {type(x).__name__}")
    return leaves, treedef


def _fname(f) -> str:
    return getattr(f, "__name__", repr(f))


def _strong(a: ShapedArray) -> ShapedArray:
    return a.strip_weak()


def _coerce(x, aval: ShapedArray):
    """x as a value of type `aval` (weak type fixed; same dtype required)."""
    xa = get_aval(x)
    if xa.weak_type != aval.weak_type or xa.dtype != aval.dtype:
        from .elementwise import convert_element_type
        return convert_element_type(x, aval.dtype, aval.weak_type)
    return x


def _stage_carry_fun(flat: Callable, extra_in_avals: Sequence[ShapedArray],
                     carry_avals: Sequence[ShapedArray], what: str):
    """Trace flat(*carry, *extra_in) -> (*carry_out, ...) whose carry outputs must match the
    carry types. Weakly typed carries that come back strongly typed are made strong (as JAX
    does). Returns (closed, consts, carry_avals)."""
    carry_avals = list(carry_avals)
    for _ in range(2):
        closed, consts = _trace(flat, carry_avals + list(extra_in_avals))
        outs = closed.out_avals[:len(carry_avals)]
        for i, (c, o) in enumerate(zip(carry_avals, outs)):
            if c.shape != o.shape or c.dtype != o.dtype:
                raise TypeError(
                    f"{what} must return a carry of the same type as its input carry, but "
                    f"carry leaf {i} went in as {c.str_short()} and came out as "
                    f"{o.str_short()}. Cast the initial value (e.g. jnp.asarray(x, dtype)) or "
                    "the body's output.")
        new = [_strong(c) if c.weak_type and not o.weak_type else c
               for c, o in zip(carry_avals, outs)]
        if new == carry_avals:
            break
        carry_avals = new
    return closed, consts, carry_avals


def while_loop(cond_fun: Callable, body_fun: Callable, init_val: Any, *,
               max_steps: int | None = None, checkpoints: int | None = None) -> Any:
    """Call body_fun on the carry while cond_fun(carry) is True (as jax.lax.while_loop).

    With max_steps=N (and optionally checkpoints=K) this is checkpointed_while_loop: at most
    N iterations, reverse-mode differentiable with O(K log N) memory."""
    if max_steps is not None:
        return checkpointed_while_loop(cond_fun, body_fun, init_val, max_steps=max_steps,
                                       checkpoints=checkpoints)
    leaves, tree = _leaves(init_val, "while_loop init_val")
    carry_avals = [get_aval(x) for x in leaves]

    def body_flat(*xs):
        out = body_fun(tree_util.tree_unflatten(tree, xs))
        out_leaves, out_tree = _leaves(out, f"output of while_loop body_fun {_fname(body_fun)}")
        if out_tree != tree:
            raise TypeError(f"while_loop body_fun {_fname(body_fun)} must return a carry with "
                            f"the structure of init_val, {tree}, but returned {out_tree}")
        return out_leaves
    body, bconsts, carry_avals = _stage_carry_fun(
        body_flat, [], carry_avals, f"while_loop body_fun {_fname(body_fun)}")
    leaves = [_coerce(x, a) for x, a in zip(leaves, carry_avals)]

    def cond_flat(*xs):
        p = cond_fun(tree_util.tree_unflatten(tree, xs))
        pl = tree_util.tree_leaves(p)
        if len(pl) != 1:
            raise TypeError(f"while_loop cond_fun {_fname(cond_fun)} must return a boolean "
                            f"scalar, but got a pytree {tree_util.tree_structure(p)}")
        pa = get_aval(pl[0])
        if pa.shape != () or pa.dtype != np.bool_:
            raise TypeError(f"while_loop cond_fun {_fname(cond_fun)} must return a boolean "
                            f"scalar, but got output type {pa.str_short()}")
        return [pl[0]]
    cond, cconsts = _trace(cond_flat, carry_avals)
    outs = while_p.bind(*cconsts, *bconsts, *leaves, cond_jaxpr=cond, body_jaxpr=body,
                        cond_nconsts=len(cconsts), body_nconsts=len(bconsts))
    return tree_util.tree_unflatten(tree, outs)


def _is_static_int(x) -> bool:
    if isinstance(x, core.Tracer):
        return False
    if isinstance(x, (int, np.integer)) and not isinstance(x, bool):
        return True
    if isinstance(x, (core.Array, np.ndarray)):
        return np.asarray(x).shape == () and np.asarray(x).dtype.kind in "iu"
    return False


def _check_fori_bounds(lower, upper) -> None:
    """As JAX: equal dtypes, except that a weakly typed (Python) int bound takes the other
    bound's signed integer type."""
    la, ua = get_aval(lower), get_aval(upper)
    if la.dtype == ua.dtype:
        return
    if la.dtype.kind == ua.dtype.kind == "i" and la.weak_type != ua.weak_type:
        return
    raise TypeError("lower and upper arguments to fori_loop must have equal types, got "
                    f"{la.dtype.name} and {ua.dtype.name}")


def fori_loop(lower, upper, body_fun: Callable, init_val: Any) -> Any:
    """body_fun(i, val) for i in [lower, upper). Static int bounds give a scan (reverse
    differentiable); traced bounds a while_loop (forward mode only)."""
    _check_fori_bounds(lower, upper)
    if _is_static_int(lower) and _is_static_int(upper):
        lo, hi = int(np.asarray(lower)), int(np.asarray(upper))
        i0 = lower

        def step(carry, _):
            i, x = carry
            return (i + 1, body_fun(i, x)), None
        (_, out), _ = scan(step, (i0, init_val), None, length=max(hi - lo, 0))
        return out
    from ... import numpy as jnp
    lower, upper = jnp.asarray(lower), jnp.asarray(upper)
    dt = np.result_type(get_aval(lower).dtype, get_aval(upper).dtype)
    lower = _coerce(lower, get_aval(lower).update(dtype=dt))
    upper = _coerce(upper, get_aval(upper).update(dtype=dt))

    def cond_fun(c):
        return c[0] < c[1]

    def body(c):
        i, u, x = c
        return i + 1, u, body_fun(i, x)
    return while_loop(cond_fun, body, (lower, upper, init_val))[2]


def scan(f: Callable, init: Any, xs: Any = None, length: int | None = None,
         reverse: bool = False, unroll: int = 1) -> tuple[Any, Any]:
    """As jax.lax.scan: carry, ys = f(carry, x) over the leading axis of xs."""
    init_leaves, init_tree = _leaves(init, "scan init")
    x_leaves, x_tree = _leaves(xs, "scan xs")
    lengths = {get_aval(x).shape[0] if get_aval(x).ndim else None for x in x_leaves}
    if None in lengths:
        raise ValueError("scan got a scalar (0-d) value in xs; every xs leaf needs a leading "
                         "axis to scan over")
    if length is not None:
        lengths.add(int(length))
    if len(lengths) > 1:
        raise ValueError(f"scan got inconsistent lengths: length={length} and leading axis "
                         f"sizes {sorted(get_aval(x).shape[0] for x in x_leaves)} of xs")
    if not lengths:
        raise ValueError("scan needs xs with a leading axis or an explicit length")
    n = lengths.pop()
    k = _unroll_factor(unroll, n)
    if k > 1:
        return _scan_unrolled(f, init, xs, n, k, reverse)
    x_avals = [get_aval(x) for x in x_leaves]
    slice_avals = [ShapedArray(a.shape[1:], a.dtype, a.weak_type) for a in x_avals]
    ncar = len(init_leaves)
    store: dict = {}

    def body_flat(*args):
        carry = tree_util.tree_unflatten(init_tree, args[:ncar])
        x = tree_util.tree_unflatten(x_tree, args[ncar:])
        out = f(carry, x)
        if not (isinstance(out, (tuple, list)) and len(out) == 2):
            raise TypeError(f"scan body {_fname(f)} must return a pair (carry, y), got "
                            f"{type(out).__name__}")
        c_leaves, c_tree = _leaves(out[0], f"carry output of scan body {_fname(f)}")
        if c_tree != init_tree:
            raise TypeError(f"scan body {_fname(f)} must return a carry with the structure of "
                            f"init, {init_tree}, but returned {c_tree}")
        y_leaves, store["ys"] = _leaves(out[1], f"y output of scan body {_fname(f)}")
        return c_leaves + y_leaves
    jaxpr, consts, carry_avals = _stage_carry_fun(body_flat, slice_avals,
                                                  [get_aval(x) for x in init_leaves],
                                                  f"scan body {_fname(f)}")
    init_leaves = [_coerce(x, a) for x, a in zip(init_leaves, carry_avals)]
    outs = scan_p.bind(*consts, *init_leaves, *x_leaves, jaxpr=jaxpr, num_consts=len(consts),
                       num_carry=ncar, length=n, reverse=bool(reverse))
    return (tree_util.tree_unflatten(init_tree, outs[:ncar]),
            tree_util.tree_unflatten(store["ys"], outs[ncar:]))


def _unroll_factor(unroll, n: int) -> int:
    """How many iterations run per rolled loop step (JAX's unroll: a bool, or an int >= 0
    where 0 means all)."""
    if isinstance(unroll, core.Tracer) and core.concrete_or_none(unroll) is None:
        raise core.ConcretizationTypeError(
            "The `unroll` argument to `scan` expects a concrete `int` or `bool` value, but got "
            f"a traced value {unroll!r}. Pass a Python int or bool.")
    if isinstance(unroll, (bool, np.bool_)):
        return max(n, 1) if unroll else 1
    if not isinstance(unroll, (int, np.integer)) and not (
            isinstance(unroll, (core.Array, np.ndarray)) and np.ndim(unroll) == 0
            and np.asarray(unroll).dtype.kind in "iu"):
        raise TypeError(f"`unroll` must be a `bool` or a non-negative `int`, got {unroll!r}")
    k = int(np.asarray(unroll))
    if k < 0:
        raise ValueError("`unroll` must be a `bool` or a non-negative `int`.")
    return max(n, 1) if k == 0 else min(k, max(n, 1))


def _scan_unrolled(f: Callable, init: Any, xs: Any, n: int, k: int, reverse: bool):
    """scan with k iterations of f per step: the same values, another schedule. A reverse
    scan is the forward scan of the reversed xs, with its ys reversed back."""
    from .shape import concatenate, reshape, rev, slice_
    x_leaves, x_tree = tree_util.tree_flatten(xs)
    if reverse:
        x_leaves = [rev(x, (0,)) for x in x_leaves]

    def rows(x, lo, hi):
        a = get_aval(x)
        return slice_(x, (lo, *[0] * (a.ndim - 1)), (hi, *a.shape[1:]))

    main = (n // k) * k
    blocks = [reshape(rows(x, 0, main), (n // k, k, *get_aval(x).shape[1:])) for x in x_leaves]

    def step(carry, blk):
        ys = []
        for j in range(k):
            x = tree_util.tree_unflatten(x_tree, [reshape(rows(b, j, j + 1), get_aval(b).shape[1:])
                                                   for b in blk])
            carry, y = f(carry, x)
            ys.append(y)
        return carry, tree_util.tree_map(lambda *v: _stack(v), *ys)

    carry, ys = scan(step, init, blocks, length=n // k)
    ys = tree_util.tree_map(lambda y: reshape(y, (main, *get_aval(y).shape[2:])), ys)
    if main < n:
        rest = tree_util.tree_unflatten(x_tree, [rows(x, main, n) for x in x_leaves])
        carry, ys_rest = scan(f, carry, rest, length=n - main)
        ys = tree_util.tree_map(lambda a, b: concatenate([a, b], 0), ys, ys_rest)
    if reverse:
        ys = tree_util.tree_map(lambda y: rev(y, (0,)), ys)
    return carry, ys


def _stack(values):
    from .shape import concatenate, expand_dims
    return concatenate([expand_dims(v, (0,)) for v in values], 0)


def _stage_branches(branches: Sequence[Callable], operands: tuple, what: str):
    leaves, tree = _leaves(operands, f"{what} operands")
    avals = [get_aval(x) for x in leaves]
    traced, trees = [], []
    for br in branches:
        st: dict = {}

        def flat(*xs, br=br, st=st):
            out_leaves, st["tree"] = _leaves(br(*tree_util.tree_unflatten(tree, xs)),
                                             f"output of {what} branch {_fname(br)}")
            return out_leaves
        traced.append(_trace(flat, avals))
        trees.append(st["tree"])
    for k, t in enumerate(trees):
        if t != trees[0]:
            raise TypeError(f"{what} branches must return the same pytree structure, but "
                            f"branch 0 ({_fname(branches[0])}) returned {trees[0]} and branch "
                            f"{k} ({_fname(branches[k])}) returned {t}")
    outs0 = traced[0][0].out_avals
    for k, (c, _) in enumerate(traced):
        for i, (a, b) in enumerate(zip(outs0, c.out_avals)):
            if a.shape != b.shape or a.dtype != b.dtype:
                raise TypeError(f"{what} branches must return values of the same types, but "
                                f"output {i} is {a.str_short()} in branch 0 and "
                                f"{b.str_short()} in branch {k}")
    # branches disagreeing on weak types: the result is strongly typed (as in JAX)
    target = [a.update(weak_type=all(c.out_avals[i].weak_type for c, _ in traced))
              for i, a in enumerate(outs0)]
    fixed = []
    for (c, consts), br in zip(traced, branches):
        if any(a.weak_type != t.weak_type for a, t in zip(c.out_avals, target)):
            def coerced(*xs, c=c):
                return [_coerce(o, t) for o, t in zip(_eval(c, xs), target)]
            c2, consts2 = _trace(coerced, [get_aval(x) for x in consts] + avals)
            fixed.append((c2, consts2 + consts))
        else:
            fixed.append((c, consts))
    new, consts = _unify_consts(fixed)
    return new, consts, leaves, trees[0]


def switch(index, branches: Sequence[Callable], *operands) -> Any:
    """branches[clamp(index, 0, len-1)](*operands), staged as one `cond`."""
    from ... import numpy as jnp
    branches = list(branches)
    if not branches:
        raise ValueError("switch needs at least one branch")
    index = jnp.asarray(index)
    ia = get_aval(index)
    if ia.shape != () or ia.dtype.kind not in "iub":
        raise TypeError(f"switch index must be an integer scalar, got {ia.str_short()}")
    from .elementwise import convert_element_type, max_p, min_p
    index = convert_element_type(index, np.int32, False)
    index = min_p.bind(max_p.bind(index, np.int32(0)), np.int32(len(branches) - 1))
    new, consts, leaves, tree = _stage_branches(branches, operands, "switch")
    outs = cond_p.bind(index, *consts, *leaves, branches=tuple(new))
    return tree_util.tree_unflatten(tree, outs)


def cond(pred, true_fun: Callable, false_fun: Callable, *operands) -> Any:
    """true_fun(*operands) if pred else false_fun(*operands), staged as one `cond`."""
    from ... import numpy as jnp
    pred = jnp.asarray(pred)
    pa = get_aval(pred)
    if pa.shape != ():
        raise TypeError(f"cond pred must be a scalar, got {pa.str_short()}")
    from .elementwise import convert_element_type, ne_p
    if pa.dtype != np.bool_:
        pred = ne_p.bind(pred, jnp.asarray(0, dtype=pa.dtype))
    index = convert_element_type(pred, np.int32, False)
    new, consts, leaves, tree = _stage_branches([false_fun, true_fun], operands, "cond")
    outs = cond_p.bind(index, *consts, *leaves, branches=tuple(new))
    return tree_util.tree_unflatten(tree, outs)


# ---------------------------------------------------------------------------
# custom_root: implicit differentiation of f(x) = 0 (gradients reach f's closure)


def _inexact(x) -> bool:
    return get_aval(x).dtype.kind in "fc"


def _closure_convert(fun: Callable, in_avals) -> tuple[Callable, list]:
    """fun's closed-over traced values become explicit inputs: returns (g, consts) with
    g(consts, *args) == fun(*args)."""
    closed, consts = _trace(fun, in_avals)

    def g(cs, *args):
        return _eval(closed, [*cs, *args])
    return g, consts


def custom_root(f: Callable, initial_guess: Any, solve: Callable, tangent_solve: Callable,
                has_aux: bool = False) -> Any:
    """As jax.lax.custom_root: solve(f, initial_guess) finds x with f(x) = 0; derivatives
    come from the implicit function theorem using tangent_solve(g, y) (solves g(x) = y for
    linear g), so no derivative flows through `solve`."""
    if has_aux:
        raise NotImplementedError("custom_root(has_aux=True) is not supported")
    from ...tracer.custom import custom_vjp
    from ...tracer.api import jvp as api_jvp, vjp as api_vjp
    g_leaves, g_tree = _leaves(initial_guess, "custom_root initial_guess")

    def f_flat(*xs):
        out_leaves, out_tree = _leaves(f(tree_util.tree_unflatten(g_tree, xs)), "output of f")
        if out_tree != g_tree:
            raise TypeError(f"custom_root: f must return a value with the structure of "
                            f"initial_guess, {g_tree}, got {out_tree}")
        return out_leaves
    g, consts = _closure_convert(f_flat, [get_aval(x) for x in g_leaves])
    nc = len(consts)

    def f_of(cs):
        return lambda x: tree_util.tree_unflatten(
            g_tree, g(list(cs), *tree_util.tree_leaves(x)))

    def root(cs, guess):
        return solve(f_of(cs), guess)

    solver = custom_vjp(root)

    def fwd(cs, guess):
        x = solver(cs, guess)
        return x, (cs, x)

    def bwd(res, ct):
        cs, x = res
        _, vjp_x = api_vjp(f_of(cs), x)
        w = tangent_solve(lambda u: vjp_x(u)[0], tree_util.tree_map(lambda c: -c, ct))
        diff = [i for i, c in enumerate(cs) if _inexact(c)]

        def f_c(dcs):
            full = list(cs)
            for i, c in zip(diff, dcs):
                full[i] = c
            return f_of(full)(x)
        _, vjp_c = api_vjp(f_c, [cs[i] for i in diff])
        (ct_d,) = vjp_c(w)
        out = [None] * nc
        for i, c in zip(diff, ct_d):
            out[i] = c
        return tuple(out), None

    def jvp_rule(primals, tangents):
        cs, guess = primals
        dcs, _ = tangents
        x = solver(cs, guess)
        diff = [i for i, c in enumerate(cs) if _inexact(c)]

        def f_c(*dcs_):
            full = list(cs)
            for i, c in zip(diff, dcs_):
                full[i] = c
            return f_of(full)(x)
        _, rhs = api_jvp(f_c, [cs[i] for i in diff], [dcs[i] for i in diff])
        fx = f_of(cs)
        dx = tangent_solve(lambda v: api_jvp(fx, (x,), (v,))[1],
                           tree_util.tree_map(lambda r: -r, rhs))
        return x, dx
    solver.defvjp(fwd, bwd)
    solver.defjvp(jvp_rule)
    return solver(tuple(consts), initial_guess)


# ---------------------------------------------------------------------------
# fixed_point: x* = f(params, x*), differentiable in forward and reverse mode, any order


class _FixedPointSpec:
    """The static part of a fixed-point solve: fn(theta, x) -> x on tuples of leaves."""

    def __init__(self, fn: Callable, tol, max_iter: int, name: str):
        self.fn, self.tol, self.max_iter, self.name = fn, tol, max_iter, name


def _iterate(spec: _FixedPointSpec, theta: tuple, x0: tuple) -> tuple:
    from ... import numpy as jnp

    def converged(x_prev, x):
        ok = None
        for a, b in zip(x_prev, x):
            tol = spec.tol if spec.tol is not None else \
                (1e-12 if get_aval(b).dtype == np.float64 else 1e-6)
            scale = jnp.maximum(1.0, jnp.max(jnp.abs(b))) if get_aval(b).size else 1.0
            leaf_ok = jnp.all(jnp.abs(b - a) <= tol * scale)
            ok = leaf_ok if ok is None else jnp.logical_and(ok, leaf_ok)
        return jnp.asarray(True) if ok is None else ok

    def cond_fun(c):
        i, x_prev, x = c
        return jnp.logical_and(i < spec.max_iter, jnp.logical_not(converged(x_prev, x)))

    def body_fun(c):
        i, _, x = c
        return i + 1, x, tuple(spec.fn(theta, x))
    _, _, x = while_loop(cond_fun, body_fun, (jnp.asarray(1, np.int32), tuple(x0),
                                               tuple(spec.fn(theta, tuple(x0)))))
    return tuple(x)


def _fp_fun(spec, theta, x0):
    return _iterate(spec, theta, x0)


def _fp_fwd(spec, theta, x0):
    x = _fixed_point_solve(spec, theta, x0)
    return x, (theta, x)


def _diff_positions(xs) -> list[int]:
    return [i for i, x in enumerate(xs) if _inexact(x)]


def _fp_bwd(spec, res, ct):
    from ...tracer.api import vjp as api_vjp
    theta, x = res
    ct = tuple(ct)
    # w = ct + (d_x f)^T w, solved by another (differentiable) fixed point
    nth, nx = len(theta), len(x)

    def adj(packed, w):
        th, xs, c = packed[:nth], packed[nth:nth + nx], packed[nth + nx:]
        _, vjp_x = api_vjp(lambda xx: tuple(spec.fn(th, xx)), tuple(xs))
        (g,) = vjp_x(tuple(w))
        return tuple(ci + gi for ci, gi in zip(c, g))
    aspec = _FixedPointSpec(adj, spec.tol, spec.max_iter, f"{spec.name} (adjoint)")
    w = _fixed_point_solve(aspec, (*theta, *x, *ct), ct)
    diff = _diff_positions(theta)

    def f_th(dth):
        full = list(theta)
        for i, t in zip(diff, dth):
            full[i] = t
        return tuple(spec.fn(tuple(full), x))
    _, vjp_th = api_vjp(f_th, tuple(theta[i] for i in diff))
    (g,) = vjp_th(tuple(w))
    out = [None] * nth
    for i, gi in zip(diff, g):
        out[i] = gi
    return tuple(out), None


def _fp_jvp(spec, primals, tangents):
    from ...tracer.api import jvp as api_jvp
    theta, x0 = primals
    dtheta, _ = tangents
    x = _fixed_point_solve(spec, theta, x0)
    diff = _diff_positions(theta)
    nth, nx = len(theta), len(x)
    if not diff:
        return x, tuple(zeros_like_aval(tangent_aval(get_aval(v))) for v in x)

    def f_th(*dth):
        full = list(theta)
        for i, t in zip(diff, dth):
            full[i] = t
        return tuple(spec.fn(tuple(full), x))
    _, b = api_jvp(f_th, [theta[i] for i in diff], [dtheta[i] for i in diff])

    # t = b + (d_x f) t, solved by another (differentiable) fixed point
    def tan(packed, t):
        th, xs, bb = packed[:nth], packed[nth:nth + nx], packed[nth + nx:]
        _, jt = api_jvp(lambda *xx: tuple(spec.fn(th, tuple(xx))), list(xs), list(t))
        return tuple(bi + ji for bi, ji in zip(bb, jt))
    tspec = _FixedPointSpec(tan, spec.tol, spec.max_iter, f"{spec.name} (tangent)")
    t = _fixed_point_solve(tspec, (*theta, *x, *b), tuple(b))
    return x, t


def _make_fixed_point_solve():
    from ...tracer.custom import custom_vjp
    solve = custom_vjp(_fp_fun, nondiff_argnums=(0,))
    solve.defvjp(_fp_fwd, _fp_bwd)
    solve.defjvp(_fp_jvp)
    return solve


_FP_SOLVE: list = []


def _fixed_point_solve(spec, theta, x0):
    if not _FP_SOLVE:
        _FP_SOLVE.append(_make_fixed_point_solve())
    return _FP_SOLVE[0](spec, tuple(theta), tuple(x0))


def fixed_point(f: Callable, params: Any, x0: Any, *, tol: float | None = None,
                max_iter: int = 1000) -> Any:
    """Solve x = f(params, x) by iteration from x0 (a while_loop), stopping when every
    leaf changes by at most tol * max(1, max|x|) (default tol: 1e-6 for float32, 1e-12 for
    float64) or after max_iter iterations.

    Differentiable in forward and reverse mode to any order by the implicit function
    theorem: tangents solve t = d_p f dp + d_x f t, cotangents w = ct + (d_x f)^T w, each
    by another fixed_point. Values f closes over are differentiated as well. Requires the
    iteration to be contractive near the solution (spectral radius of d_x f below 1)."""
    from ... import numpy as jnp
    p_leaves, p_tree = _leaves(params, "fixed_point params")
    x_leaves, x_tree = _leaves(x0, "fixed_point x0")
    x_leaves = [jnp.asarray(x) for x in x_leaves]
    npar = len(p_leaves)

    def f_flat(*args):
        p = tree_util.tree_unflatten(p_tree, args[:npar])
        x = tree_util.tree_unflatten(x_tree, args[npar:])
        out_leaves, out_tree = _leaves(f(p, x), f"output of fixed_point f {_fname(f)}")
        if out_tree != x_tree:
            raise TypeError(f"fixed_point: f must return a value with the structure of x0, "
                            f"{x_tree}, but returned {out_tree}")
        return out_leaves
    avals = [get_aval(p) for p in p_leaves] + [get_aval(x) for x in x_leaves]
    closed, consts = _trace(f_flat, avals)
    out_avals = closed.out_avals
    for i, (a, b) in enumerate(zip(avals[npar:], out_avals)):
        if a.shape != b.shape or a.dtype != b.dtype:
            raise TypeError(f"fixed_point: f maps x0 leaf {i} of type {a.str_short()} to "
                            f"{b.str_short()}; the types must agree")
    x_leaves = [_coerce(x, a.update(weak_type=a.weak_type and b.weak_type))
                for x, a, b in zip(x_leaves, avals[npar:], out_avals)]
    nc = len(consts)

    def fn(theta, x):
        return [_coerce(o, get_aval(xi))
                for o, xi in zip(_eval(closed, [*theta[:nc], *theta[nc:], *x]), x)]
    spec = _FixedPointSpec(fn, tol, int(max_iter), _fname(f))
    out = _fixed_point_solve(spec, (*consts, *p_leaves), tuple(x_leaves))
    return tree_util.tree_unflatten(x_tree, list(out))


# ---------------------------------------------------------------------------
# checkpointed_while_loop: reverse mode through a loop of dynamic length <= max_steps


class _CkptSpec:
    def __init__(self, cond, body, ncc: int, max_steps: int, k: int):
        self.cond, self.body, self.ncc = cond, body, ncc
        self.max_steps, self.k = max_steps, k

    def step(self, theta, carry):
        return tuple(_eval(self.body, [*theta[self.ncc:], *carry]))

    def pred(self, theta, carry):
        return _eval(self.cond, [*theta[:self.ncc], *carry])[0]


def _ckpt_fun(spec: _CkptSpec, theta, carry0):
    from ... import numpy as jnp

    def cond_fun(c):
        i, x = c
        return jnp.logical_and(i < spec.max_steps, spec.pred(theta, x))

    def body_fun(c):
        i, x = c
        return i + 1, spec.step(theta, x)
    _, x = while_loop(cond_fun, body_fun, (jnp.asarray(0, np.int32), tuple(carry0)))
    return tuple(x)


def _seg_len(n: int, k: int) -> int:
    return -(-n // k)


def _ckpt_fwd(spec: _CkptSpec, theta, carry0):
    """Run the loop once, storing the carry at the start of every segment of S steps."""
    from ... import numpy as jnp
    from ... import lax
    k = spec.k
    s = _seg_len(spec.max_steps, k)
    bufs = tuple(jnp.zeros((k, *get_aval(c).shape), get_aval(c).dtype) for c in carry0)

    def cond_fun(c):
        i, x, _ = c
        return jnp.logical_and(i < spec.max_steps, spec.pred(theta, x))

    def body_fun(c):
        i, x, b = c

        def store(b):
            return tuple(lax.dynamic_update_slice(bb, jnp.expand_dims(xx, 0),
                                                  (i // s,) + (0,) * get_aval(xx).ndim)
                         for bb, xx in zip(b, x))
        b = cond(i % s == 0, store, lambda b: tuple(b), b)
        return i + 1, spec.step(theta, x), b
    n, x, bufs = while_loop(cond_fun, body_fun, (jnp.asarray(0, np.int32), tuple(carry0), bufs))
    return tuple(x), (theta, n, bufs)


def _masked_steps(spec: _CkptSpec, theta, x, start, length: int, n):
    """`length` loop steps from global step `start`; steps at index >= n do nothing."""
    def one(c, j):
        return cond(start + j < n, lambda c: spec.step(theta, c), lambda c: tuple(c), c), None
    from ... import numpy as jnp
    out, _ = scan(one, tuple(x), jnp.arange(length, dtype=np.int32))
    return out


def _seg_vjp(spec: _CkptSpec, theta, x, start, length: int, n, ct):
    """Cotangents (theta, x) of `length` masked steps from x, by recursive checkpointing:
    at most spec.k stored carries per level, ceil(log_k(length)) levels."""
    from ...tracer.api import vjp as api_vjp
    from ... import numpy as jnp
    k = spec.k
    diff = _diff_positions(theta)

    def with_diff(dth):
        full = list(theta)
        for i, t in zip(diff, dth):
            full[i] = t
        return tuple(full)

    if length <= k:
        _, pull = api_vjp(lambda dth, xx: _masked_steps(spec, with_diff(dth), xx, start,
                                                        length, n),
                          tuple(theta[i] for i in diff), tuple(x))
        return pull(tuple(ct))
    s = _seg_len(length, k)
    m = _seg_len(length, s)
    n = jnp.minimum(n, start + length)   # m * s may overshoot this segment's end

    def fwd_seg(c, j):
        return _masked_steps(spec, theta, c, start + j * s, s, n), tuple(c)
    _, ckpts = scan(fwd_seg, tuple(x), jnp.arange(m, dtype=np.int32))

    def bwd_seg(c, inp):
        ct_th, ct_x = c
        j, xj = inp
        g_th, g_x = _seg_vjp(spec, theta, xj, start + j * s, s, n, ct_x)
        return (tuple(a + b for a, b in zip(ct_th, g_th)), tuple(g_x)), None
    zeros_th = tuple(jnp.zeros_like(theta[i]) for i in diff)
    (ct_th, ct_x), _ = scan(bwd_seg, (zeros_th, tuple(ct)),
                            (jnp.arange(m, dtype=np.int32), ckpts), reverse=True)
    return ct_th, ct_x


def _ckpt_bwd(spec: _CkptSpec, res, ct):
    from ... import numpy as jnp
    theta, n, bufs = res
    k = spec.k
    s = _seg_len(spec.max_steps, k)
    diff = _diff_positions(theta)

    def bwd_seg(c, inp):
        ct_th, ct_x = c
        j, xj = inp

        def active(c):
            ct_th, ct_x = c
            g_th, g_x = _seg_vjp(spec, theta, xj, j * s, s, n, ct_x)
            return tuple(a + b for a, b in zip(ct_th, g_th)), tuple(g_x)
        return cond(j * s < n, active, lambda c: c, (ct_th, ct_x)), None
    zeros_th = tuple(jnp.zeros_like(theta[i]) for i in diff)
    (ct_th, ct_x), _ = scan(bwd_seg, (zeros_th, tuple(ct)),
                            (jnp.arange(k, dtype=np.int32), bufs), reverse=True)
    out = [None] * len(theta)
    for i, g in zip(diff, ct_th):
        out[i] = g
    return tuple(out), tuple(ct_x)


def _ckpt_jvp(spec: _CkptSpec, primals, tangents):
    from ...tracer.api import jvp as api_jvp
    theta, carry = primals
    dtheta, dcarry = tangents
    return api_jvp(lambda th, c: _ckpt_fun(spec, th, c), (tuple(theta), tuple(carry)),
                   (tuple(dtheta), tuple(dcarry)))


_CKPT: list = []


def checkpointed_while_loop(cond_fun: Callable, body_fun: Callable, init_val: Any, *,
                            max_steps: int, checkpoints: int | None = None) -> Any:
    """while_loop with at most `max_steps` iterations that supports reverse mode.

    The forward pass runs the loop once (stopping early when cond_fun is False) and stores
    the carry every ceil(max_steps / K) steps (K = checkpoints, default ceil(sqrt(max_steps)),
    at least 2). The backward pass recomputes each segment from its checkpoint, splitting it
    recursively into at most K sub-segments, so memory is O(K log_K max_steps) carries
    instead of O(steps), at the price of about log_K(max_steps) extra forward passes.
    Gradients equal those of the unrolled loop. Values cond_fun/body_fun close over are
    differentiated too."""
    from ...tracer.custom import custom_vjp
    max_steps = int(max_steps)
    if max_steps < 1:
        raise ValueError(f"checkpointed_while_loop needs max_steps >= 1, got {max_steps}")
    k = int(checkpoints) if checkpoints is not None else max(2, math.isqrt(max_steps - 1) + 1)
    if k < 2:
        raise ValueError(f"checkpointed_while_loop needs checkpoints >= 2, got {k}")
    k = min(k, max_steps)
    leaves, tree = _leaves(init_val, "checkpointed_while_loop init_val")
    from ... import numpy as jnp
    leaves = [jnp.asarray(x) for x in leaves]

    def body_flat(*xs):
        out_leaves, out_tree = _leaves(body_fun(tree_util.tree_unflatten(tree, xs)),
                                       "output of body_fun")
        if out_tree != tree:
            raise TypeError(f"checkpointed_while_loop body_fun must return a carry with the "
                            f"structure of init_val, {tree}, but returned {out_tree}")
        return out_leaves
    body, bconsts, avals = _stage_carry_fun(body_flat, [], [get_aval(x) for x in leaves],
                                            "checkpointed_while_loop body_fun")
    leaves = [_coerce(x, a) for x, a in zip(leaves, avals)]

    def cond_flat(*xs):
        p = tree_util.tree_leaves(cond_fun(tree_util.tree_unflatten(tree, xs)))
        if len(p) != 1 or get_aval(p[0]).shape != () or get_aval(p[0]).dtype != np.bool_:
            raise TypeError("checkpointed_while_loop cond_fun must return a boolean scalar")
        return p
    cj, cconsts = _trace(cond_flat, avals)
    spec = _CkptSpec(cj, body, len(cconsts), max_steps, k)
    if not _CKPT:
        loop = custom_vjp(_ckpt_fun, nondiff_argnums=(0,))
        loop.defvjp(_ckpt_fwd, _ckpt_bwd)
        loop.defjvp(_ckpt_jvp)
        _CKPT.append(loop)
    out = _CKPT[0](spec, (*cconsts, *bconsts), tuple(leaves))
    return tree_util.tree_unflatten(tree, list(out))
