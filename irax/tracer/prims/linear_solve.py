"""The `custom_linear_solve` primitive: x = solve(b) for a linear map `matvec`, differentiated
implicitly (through matvec(x) = b), never through the solver.

    outs = linear_solve_p.bind(*matvec_consts, *vecmat_consts, *solve_consts,
                               *transpose_solve_consts, *b, matvec=..., vecmat=...,
                               solve=..., transpose_solve=..., const_lengths=(4 ints))

Each of the four params is a const-free ClosedJaxpr taking its consts then a value shaped
like b (vecmat and transpose_solve may be None); the outputs are x (shaped like b)
followed by the solver's auxiliary outputs (has_aux). Rules:

  impl / lowering  the solve jaxpr;
  jvp              x' = solve(b' - (dmatvec) x): the tangent of matvec with respect to its
                   consts, at x, then the same linear solve (linear in its b operands);
  transpose        (with respect to b) the same primitive with the roles swapped: vecmat
                   for matvec, transpose_solve for solve (TypeError without one);
  vmap             every jaxpr batched (b and x batched at axis 0).

Layering: a primitive family after control_flow. The user function is
irax.lax.custom_linear_solve (irax/lax/linear_solve.py).
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from .. import core
from ..ad_util import Zero, add_tangents, instantiate, tangent_aval
from ..batching import batch_rules, bdim_to_front, vmap_flat
from ..core import Array, ClosedJaxpr, Primitive, ShapedArray, Tracer, get_aval
from ..jvp import jvp_flat, jvp_rules
from ..partial_eval import trace_const_free
from ..rules import BDim, Tangent, Value
from ..transpose import is_undefined, transpose_rules
from .elementwise import neg

linear_solve_p = Primitive("custom_linear_solve", multiple_results=True,
                           impl_takes_arrays=True)

ROLES = ("matvec", "vecmat", "solve", "transpose_solve")
TRANSPOSE_SOLVE_ERROR = ("transpose_solve required for backwards mode automatic "
                         "differentiation of custom_linear_solve")


def _split(args: Sequence[Any], const_lengths: Sequence[int]) -> tuple[list[list[Any]], list]:
    groups, i = [], 0
    for n in const_lengths:
        groups.append(list(args[i:i + n]))
        i += n
    return groups, list(args[i:])


def _run(closed: ClosedJaxpr, consts: Sequence[Any], xs: Sequence[Any]) -> list[Any]:
    return core.eval_jaxpr(closed.jaxpr, closed.consts, [*consts, *xs])


def _linear_solve_impl(*args: Value, const_lengths, **jaxprs: Any) -> list[Value]:
    groups, b = _split(args, const_lengths)
    outs = _run(jaxprs["solve"], groups[2], b)
    return [o if isinstance(o, (Array, Tracer)) else
            Array(np.asarray(o, dtype=a.dtype), a.weak_type)
            for o, a in zip(outs, jaxprs["solve"].out_avals)]


def _linear_solve_abstract(*avals: ShapedArray, const_lengths, **jaxprs: Any
                           ) -> list[ShapedArray]:
    groups, b = _split(avals, const_lengths)
    for role, consts in zip(ROLES, groups):
        j = jaxprs[role]
        if j is None:
            if consts:
                raise TypeError(f"custom_linear_solve: no {role} jaxpr but {len(consts)} "
                                "consts for it")
            continue
        want = [*consts, *b]
        if len(j.in_avals) != len(want) or not all(
                core.same_type(a, e) for a, e in zip(want, j.in_avals)):
            raise TypeError(f"custom_linear_solve: the {role} jaxpr takes "
                            f"{[a.str_short() for a in j.in_avals]}, got "
                            f"{[a.str_short() for a in want]}")
    solve_out = jaxprs["solve"].out_avals
    for i, (x, bb) in enumerate(zip(solve_out, b)):
        if not core.same_type(x, bb):
            raise TypeError(f"custom_linear_solve: solution leaf {i} is {x.str_short()}, "
                            f"b is {bb.str_short()}")
    return list(solve_out)


def _linear_solve_jvp(primals: Sequence[Value], tangents: Sequence[Tangent], *,
                      const_lengths, **jaxprs: Any) -> tuple[list[Value], list[Tangent]]:
    outs = linear_solve_p.bind(*primals, const_lengths=const_lengths, **jaxprs)
    groups, b = _split(primals, const_lengths)
    t_groups, b_dot = _split(tangents, const_lengths)
    x = outs[:len(b)]
    rhs = list(b_dot)
    if any(not isinstance(t, Zero) for t in t_groups[0]):
        # the tangent of matvec(x) with respect to its consts: (dA) x
        mv = jaxprs["matvec"]
        _, dax = jvp_flat(lambda *a: _run(mv, a[:len(groups[0])], a[len(groups[0]):]),
                          [*groups[0], *x],
                          [*t_groups[0], *[Zero(tangent_aval(get_aval(v))) for v in x]])
        rhs = [add_tangents(r, t if isinstance(t, Zero) else neg(t)) for r, t in zip(rhs, dax)]
    n_aux = len(outs) - len(b)
    zero_out = [Zero(tangent_aval(get_aval(o))) for o in outs]
    if all(isinstance(r, Zero) for r in rhs):
        return outs, zero_out
    consts = [c for g in groups for c in g]
    x_dot = linear_solve_p.bind(*consts, *map(instantiate, rhs), const_lengths=const_lengths,
                                **jaxprs)
    return outs, list(x_dot[:len(b)]) + zero_out[len(outs) - n_aux:]


def _linear_solve_transpose(cts: Sequence[Tangent], *args: Value, const_lengths,
                            **jaxprs: Any) -> list[Value | None]:
    if jaxprs["transpose_solve"] is None:
        raise TypeError(TRANSPOSE_SOLVE_ERROR)
    groups, b = _split(args, const_lengths)
    if any(is_undefined(c) for g in groups for c in g):
        raise NotImplementedError("custom_linear_solve: transposing with respect to the "
                                  "linear map's consts (only b is linear)")
    ct_x = [instantiate(c) for c in cts[:len(b)]]
    if any(not isinstance(c, Zero) for c in cts[len(b):]):
        raise NotImplementedError("custom_linear_solve: a cotangent for the solver's "
                                  "auxiliary outputs")
    mv, vm, s, ts = groups
    swapped = dict(matvec=jaxprs["vecmat"], vecmat=jaxprs["matvec"],
                   solve=jaxprs["transpose_solve"], transpose_solve=jaxprs["solve"])
    lengths = tuple(len(g) for g in (vm, mv, ts, s))
    ct_b = linear_solve_p.bind(*vm, *mv, *ts, *s, *ct_x, const_lengths=lengths, **swapped)
    return [None] * sum(const_lengths) + list(ct_b[:len(b)])


def _batch_closed(closed: ClosedJaxpr, axis_size: int, in_batched: Sequence[bool]
                  ) -> tuple[ClosedJaxpr, list]:
    """vmap of a jaxpr with every output batched at axis 0; (jaxpr, its new leading consts)."""
    avals = [ShapedArray((axis_size, *a.shape), a.dtype, a.weak_type) if b else a
             for a, b in zip(closed.in_avals, in_batched)]

    def batched(*xs):
        outs, dims = vmap_flat(lambda *a: core.eval_jaxpr(closed.jaxpr, closed.consts, a),
                               xs, [0 if b else None for b in in_batched], axis_size)
        return [bdim_to_front(o, d, axis_size) for o, d in zip(outs, dims)]
    return trace_const_free(batched, avals)


def _linear_solve_batch(axis_size: int, vals: Sequence[Value], dims: Sequence[BDim], *,
                        const_lengths, **jaxprs: Any) -> tuple[list[Value], list[BDim]]:
    groups, b = _split(vals, const_lengths)
    g_dims, b_dims = _split(dims, const_lengths)
    b = [bdim_to_front(v, d, axis_size) for v, d in zip(b, b_dims)]
    new_groups, new_jaxprs = [], {}
    for role, consts, cdims in zip(ROLES, groups, g_dims):
        j = jaxprs[role]
        if j is None:
            new_groups.append([])
            new_jaxprs[role] = None
            continue
        in_b = [d is not None for d in cdims] + [True] * len(b)
        new_jaxprs[role], extra = _batch_closed(j, axis_size, in_b)
        new_groups.append([*extra, *consts])
    outs = linear_solve_p.bind(*[c for g in new_groups for c in g], *b,
                               const_lengths=tuple(len(g) for g in new_groups), **new_jaxprs)
    return outs, [0] * len(outs)


core.abstract_eval_rules[linear_solve_p] = _linear_solve_abstract
core.impl_rules[linear_solve_p] = _linear_solve_impl
jvp_rules[linear_solve_p] = _linear_solve_jvp
transpose_rules[linear_solve_p] = _linear_solve_transpose
batch_rules[linear_solve_p] = _linear_solve_batch


def solve_jaxprs(matvec: Callable, vecmat: Callable | None, solve: Callable,
                 transpose_solve: Callable | None, b_avals: Sequence[ShapedArray]
                 ) -> tuple[dict[str, ClosedJaxpr | None], list[list[Any]]]:
    """Trace the four flat functions (b-shaped leaves in, leaves out) at the current trace:
    (params, consts per role) for linear_solve_p.bind."""
    params, consts = {}, []
    for role, fn in zip(ROLES, (matvec, vecmat, solve, transpose_solve)):
        if fn is None:
            params[role] = None
            consts.append([])
            continue
        params[role], cs = trace_const_free(fn, list(b_avals))
        consts.append(cs)
    return params, consts
