"""Implicit differentiation: custom_root (as jax.lax.custom_root) and fixed_point.

Both solve with an ordinary loop and differentiate through the implicit function
theorem instead of through the loop: their derivatives are custom_vjp / custom_jvp rules
that solve a linear problem (with the user's tangent_solve, or with another fixed point).

Layering: user API; imports the tracer, irax.numpy and irax.lax's control flow.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .. import numpy as jnp
from .. import tree_util
from ..tracer.ad_util import tangent_aval, zeros_like_aval
from ..tracer.api import (jvp_keeping_int_tangents as api_jvp,
                          vjp_keeping_int_tangents as api_vjp)
from ..tracer.core import get_aval
from ..tracer.custom import custom_vjp
from ..tracer.partial_eval import trace_const_free
from ..tracer.prims.control_flow import eval_closed
from .control_flow import while_loop
from .util import DiffSubset, closure_convert, coerce, flatten_arrays, fname

# ---------------------------------------------------------------------------
# custom_root: implicit differentiation of f(x) = 0 (gradients reach f's closure)


def custom_root(f: Callable, initial_guess: Any, solve: Callable, tangent_solve: Callable,
                has_aux: bool = False) -> Any:
    """As jax.lax.custom_root: solve(f, initial_guess) finds x with f(x) = 0; derivatives
    come from the implicit function theorem using tangent_solve(g, y) (solves g(x) = y for
    linear g), so no derivative flows through `solve`."""
    if has_aux:
        raise NotImplementedError("custom_root(has_aux=True) is not supported")
    g_leaves, g_tree = flatten_arrays(initial_guess, "custom_root initial_guess")

    def f_flat(*xs):
        out_leaves, out_tree = flatten_arrays(f(tree_util.tree_unflatten(g_tree, xs)),
                                              "output of f")
        if out_tree != g_tree:
            raise TypeError(f"custom_root: f must return a value with the structure of "
                            f"initial_guess, {g_tree}, got {out_tree}")
        return out_leaves
    g, consts = closure_convert(f_flat, [get_aval(x) for x in g_leaves])

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
        diff = DiffSubset(cs)
        _, vjp_c = api_vjp(lambda dcs: f_of(diff.substitute(dcs))(x), diff.pick())
        (ct_d,) = vjp_c(w)
        return diff.scatter(ct_d), None

    def jvp_rule(primals, tangents):
        cs, guess = primals
        dcs, _ = tangents
        x = solver(cs, guess)
        diff = DiffSubset(cs)
        _, rhs = api_jvp(lambda *dcs_: f_of(diff.substitute(dcs_))(x), diff.pick(),
                         diff.pick(dcs))
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


def _fp_bwd(spec, res, ct):
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
    diff = DiffSubset(theta)
    _, vjp_th = api_vjp(lambda dth: tuple(spec.fn(diff.substitute(dth), x)), diff.pick())
    (g,) = vjp_th(tuple(w))
    return diff.scatter(g), None


def _fp_jvp(spec, primals, tangents):
    theta, x0 = primals
    dtheta, _ = tangents
    x = _fixed_point_solve(spec, theta, x0)
    diff = DiffSubset(theta)
    nth, nx = len(theta), len(x)
    if not diff:
        return x, tuple(zeros_like_aval(tangent_aval(get_aval(v))) for v in x)
    _, b = api_jvp(lambda *dth: tuple(spec.fn(diff.substitute(dth), x)), diff.pick(),
                   diff.pick(dtheta))

    # t = b + (d_x f) t, solved by another (differentiable) fixed point
    def tan(packed, t):
        th, xs, bb = packed[:nth], packed[nth:nth + nx], packed[nth + nx:]
        _, jt = api_jvp(lambda *xx: tuple(spec.fn(th, tuple(xx))), list(xs), list(t))
        return tuple(bi + ji for bi, ji in zip(bb, jt))
    tspec = _FixedPointSpec(tan, spec.tol, spec.max_iter, f"{spec.name} (tangent)")
    t = _fixed_point_solve(tspec, (*theta, *x, *b), tuple(b))
    return x, t


def _make_fixed_point_solve():
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
    p_leaves, p_tree = flatten_arrays(params, "fixed_point params")
    x_leaves, x_tree = flatten_arrays(x0, "fixed_point x0")
    x_leaves = [jnp.asarray(x) for x in x_leaves]
    npar = len(p_leaves)

    def f_flat(*args):
        p = tree_util.tree_unflatten(p_tree, args[:npar])
        x = tree_util.tree_unflatten(x_tree, args[npar:])
        out_leaves, out_tree = flatten_arrays(f(p, x), f"output of fixed_point f {fname(f)}")
        if out_tree != x_tree:
            raise TypeError(f"fixed_point: f must return a value with the structure of x0, "
                            f"{x_tree}, but returned {out_tree}")
        return out_leaves
    avals = [get_aval(p) for p in p_leaves] + [get_aval(x) for x in x_leaves]
    closed, consts = trace_const_free(f_flat, avals)
    out_avals = closed.out_avals
    for i, (a, b) in enumerate(zip(avals[npar:], out_avals)):
        if a.shape != b.shape or a.dtype != b.dtype:
            raise TypeError(f"fixed_point: f maps x0 leaf {i} of type {a.str_short()} to "
                            f"{b.str_short()}; the types must agree")
    x_leaves = [coerce(x, a.update(weak_type=a.weak_type and b.weak_type))
                for x, a, b in zip(x_leaves, avals[npar:], out_avals)]
    nc = len(consts)

    def fn(theta, x):
        return [coerce(o, get_aval(xi))
                for o, xi in zip(eval_closed(closed, [*theta[:nc], *theta[nc:], *x]), x)]
    spec = _FixedPointSpec(fn, tol, int(max_iter), fname(f))
    out = _fixed_point_solve(spec, (*consts, *p_leaves), tuple(x_leaves))
    return tree_util.tree_unflatten(x_tree, list(out))
