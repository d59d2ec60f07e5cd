"""custom_linear_solve (as jax.lax.custom_linear_solve): a matrix-free linear solve whose
derivatives come from the linear equation matvec(x) = b, not from the solver.

Layering: user API; imports the tracer (whose prims/linear_solve.py holds the primitive)
and irax.lax's helpers.
"""
from __future__ import annotations

from typing import Any, Callable

from .. import tree_util
from ..tracer.api_extra import linear_transpose
from ..tracer.core import get_aval
from ..tracer.prims.linear_solve import linear_solve_p, solve_jaxprs
from .util import flatten_arrays


def custom_linear_solve(matvec: Callable, b: Any, solve: Callable[[Callable, Any], Any],
                        transpose_solve: Callable[[Callable, Any], Any] | None = None,
                        symmetric: bool = False, has_aux: bool = False) -> Any:
    """x = solve(matvec, b), differentiated implicitly assuming matvec(x) == b.

    matvec: the linear map (a function of a value shaped like b); its closed-over values
    are differentiated. solve(matvec, r): returns x with matvec(x) == r (it need not be
    differentiable, e.g. an iterative solver in a while_loop). transpose_solve(vecmat, r):
    the same for the transposed map (vecmat is computed automatically); needed for reverse
    mode, and taken to be `solve` when symmetric=True. has_aux: solve and transpose_solve
    return (x, aux); the result is then (x, aux)."""
    if transpose_solve is None and symmetric:
        transpose_solve = solve
    b_leaves, tree = flatten_arrays(b, "custom_linear_solve b")
    b_avals = [get_aval(x) for x in b_leaves]
    b_shapes = [a.shape for a in b_avals]
    aux_tree: dict = {}

    def as_b(xs):
        return tree_util.tree_unflatten(tree, list(xs))

    def checked(out, who: str) -> list:
        leaves, t = flatten_arrays(out, f"output of {who}")
        if t != tree:
            raise TypeError(f"custom_linear_solve: {who}() output pytree structure must match "
                            f"b, got {t} and {tree}")
        shapes = [get_aval(x).shape for x in leaves]
        if shapes != b_shapes:
            raise ValueError(f"{who}() output shapes must match b, got {shapes} and {b_shapes}")
        return leaves

    def matvec_flat(*xs):
        return checked(matvec(as_b(xs)), "matvec")

    def solver_flat(fn: Callable, linear_map: Callable, who: str) -> Callable:
        def run(*xs):
            out = fn(linear_map, as_b(xs))
            if not has_aux:
                return checked(out, who)
            if not (isinstance(out, (tuple, list)) and len(out) == 2):
                raise TypeError(f"custom_linear_solve: {who} with has_aux=True must return a "
                                f"pair (solution, aux), got {type(out).__name__}")
            aux_leaves, aux_tree[who] = flatten_arrays(out[1], f"aux output of {who}")
            return checked(out[0], who) + aux_leaves
        return run

    if transpose_solve is None:
        vecmat_flat = tsolve_flat = None
    else:
        if symmetric:
            vecmat = matvec
        else:
            def vecmat(y):
                return linear_transpose(matvec, b)(y)[0]
        vecmat_flat = lambda *xs: checked(vecmat(as_b(xs)), "vecmat")  # noqa: E731
        tsolve_flat = solver_flat(transpose_solve, vecmat, "transpose_solve")
    params, consts = solve_jaxprs(matvec_flat, vecmat_flat, solver_flat(solve, matvec, "solve"),
                                  tsolve_flat, b_avals)
    for who in ("solve", "transpose_solve"):
        j = params[who]
        if j is None:
            continue
        for i, (x, bb) in enumerate(zip(j.out_avals, b_avals)):
            if x.dtype != bb.dtype:
                raise TypeError(f"custom_linear_solve: {who}() returned leaf {i} of dtype "
                                f"{x.dtype.name}, but b has dtype {bb.dtype.name}")
    if has_aux and transpose_solve is not None and \
            aux_tree.get("solve") != aux_tree.get("transpose_solve"):
        raise TypeError("custom_linear_solve: solve and transpose_solve must return aux "
                        f"outputs of the same structure, got {aux_tree['solve']} and "
                        f"{aux_tree['transpose_solve']}")
    outs = linear_solve_p.bind(*[c for cs in consts for c in cs], *b_leaves,
                               const_lengths=tuple(len(cs) for cs in consts), **params)
    x = as_b(outs[:len(b_leaves)])
    if has_aux:
        return x, tree_util.tree_unflatten(aux_tree["solve"], outs[len(b_leaves):])
    return x

