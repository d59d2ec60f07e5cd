"""odeint (as jax.experimental.ode.odeint): adaptive-step Dormand-Prince (RK45)
integration, differentiated by the adjoint method.

    ys = odeint(func, y0, t, *args, rtol=1.4e-8, atol=1.4e-8, mxstep=inf, hmax=inf)

func(y, t, *args) gives dy/dt with y's pytree structure; ys stacks the solution at each
time in t (strictly increasing floats) on a new leading axis. The step loop is a
lax.while_loop inside a lax.scan over the output times, so eager, jit and vmap all work;
the step control, dense-output interpolation and initial step follow JAX's so the
numbers agree with jax.experimental.ode.odeint.

Reverse mode does not differentiate through the solver: a custom_vjp integrates the
adjoint system backwards in time (Chen et al. 2018, appendix C) with odeint itself, giving
gradients w.r.t. y0, t and args. Values func closes over that are traced (an enclosing
grad of a closure) become explicit arguments via closure_convert, so they get gradients
too. Unlike JAX, the solver is not wrapped in an internal jit: eagerly it runs
step by step; under irax.jit it compiles into the caller's module.

Layering: user API; composed from irax.numpy, irax.lax and the tracer's custom_vjp.
"""
from __future__ import annotations

import operator
from typing import Any, Callable

import numpy as np

from .. import lax
from .. import numpy as jnp
from .. import tree_util
from ..tracer.api import vjp_keeping_int_tangents as vjp
from ..tracer.api_extra import closure_convert
from ..tracer.core import get_aval, is_array_like
from ..tracer.custom import custom_vjp

__all__ = ["odeint"]


# ---------------------------------------------------------------------------
# Pytrees <-> one flat vector (the solver works on a single 1-D state)


def _ravel(tree: Any) -> tuple[Any, Callable[[Any], Any]]:
    """(flat, unravel): all leaves raveled and concatenated in their common dtype;
    unravel(flat) restores shapes and dtypes. unravel also accepts a leading batch axis
    (flat of shape (T, n)) and then gives leaves of shape (T, *leaf_shape)."""
    leaves, tree_def = tree_util.tree_flatten(tree)
    leaves = [jnp.asarray(x) for x in leaves]
    avals = [get_aval(x) for x in leaves]
    sizes = [int(np.prod(a.shape, dtype=np.int64)) for a in avals]
    dtype = jnp.result_type(*leaves) if leaves else np.float32
    flat = (jnp.concatenate([jnp.ravel(x).astype(dtype) for x in leaves]) if leaves
            else jnp.zeros((0,), dtype))
    offsets = np.cumsum([0] + sizes)

    def unravel(v):
        v = jnp.asarray(v)
        lead = tuple(get_aval(v).shape[:-1])
        parts = [jnp.reshape(v[..., int(lo):int(hi)], lead + tuple(a.shape)).astype(a.dtype)
                 for lo, hi, a in zip(offsets[:-1], offsets[1:], avals)]
        return tree_util.tree_unflatten(tree_def, parts)
    return flat, unravel


def _ravel_first_arg(func: Callable, unravel: Callable) -> Callable:
    def flat_func(y_flat, *args):
        return _ravel(func(unravel(y_flat), *args))[0]
    return flat_func


# ---------------------------------------------------------------------------
# One Dormand-Prince step, its error estimate and dense output

_ALPHA = [1 / 5, 3 / 10, 4 / 5, 8 / 9, 1., 1., 0.]
_BETA = [[1 / 5, 0, 0, 0, 0, 0, 0],
         [3 / 40, 9 / 40, 0, 0, 0, 0, 0],
         [44 / 45, -56 / 15, 32 / 9, 0, 0, 0, 0],
         [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729, 0, 0, 0],
         [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656, 0, 0],
         [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0]]
_C_SOL = [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0]
# 5th-order minus embedded 4th-order weights
_C_ERR = [35 / 384 - 1951 / 21600, 0, 500 / 1113 - 22642 / 50085, 125 / 192 - 451 / 720,
          -2187 / 6784 - -12231 / 42400, 11 / 84 - 649 / 6300, -1. / 60.]
# weights of the midpoint value used by the 4th-order dense-output polynomial
_C_MID = [6025192743 / 30085553152 / 2, 0, 51252292925 / 65400821598 / 2,
          -2691868925 / 45128329728 / 2, 187940372067 / 1594534317056 / 2,
          -1776094331 / 19743644256 / 2, 11237099 / 235043384 / 2]


def _runge_kutta_step(func, y0, f0, t0, dt):
    dtype = get_aval(f0).dtype
    alpha = jnp.array(_ALPHA, dtype=get_aval(dt).dtype)
    beta = jnp.array(_BETA, dtype=dtype)
    h = dt.astype(dtype)

    def stage(i, k):
        ti = t0 + dt * alpha[i - 1]
        yi = y0 + h * jnp.dot(beta[i - 1, :], k)
        return k.at[i, :].set(func(yi, ti))

    k = jnp.zeros((7, get_aval(f0).shape[0]), dtype).at[0, :].set(f0)
    k = lax.fori_loop(1, 7, stage, k)
    y1 = h * jnp.dot(jnp.array(_C_SOL, dtype=dtype), k) + y0
    y1_error = h * jnp.dot(jnp.array(_C_ERR, dtype=dtype), k)
    return y1, k[-1], y1_error, k


def _interp_fit(y0, y1, k, dt):
    """Coefficients (highest power first) of the quartic through the step, in the
    relative time (t - t_start) / dt."""
    dtype = get_aval(y0).dtype
    y_mid = y0 + dt.astype(dtype) * jnp.dot(jnp.array(_C_MID, dtype=dtype), k)
    dy0, dy1 = k[0], k[-1]
    h = dt.astype(dtype)
    a = -2. * h * dy0 + 2. * h * dy1 - 8. * y0 - 8. * y1 + 16. * y_mid
    b = 5. * h * dy0 - 3. * h * dy1 + 18. * y0 + 14. * y1 - 32. * y_mid
    c = -4. * h * dy0 + h * dy1 - 11. * y0 - 5. * y1 + 16. * y_mid
    return jnp.stack([a, b, c, h * dy0, y0])


def _abs2(x):
    return x.real ** 2 + x.imag ** 2 if jnp.iscomplexobj(x) else x ** 2


def _error_ratio(err, rtol, atol, y0, y1):
    tol = atol + rtol * jnp.maximum(jnp.abs(y0), jnp.abs(y1))
    return jnp.sqrt(jnp.mean(_abs2(err / tol.astype(get_aval(err).dtype))))


def _next_step_size(last, ratio, safety=0.9, ifactor=10.0, dfactor=0.2, order=5.0):
    # a rejected step (ratio >= 1) may shrink by dfactor; an accepted one never shrinks
    dfactor = jnp.where(ratio < 1, 1.0, dfactor)
    factor = jnp.minimum(ifactor, jnp.maximum(ratio ** (-1.0 / order) * safety, dfactor))
    return jnp.where(ratio == 0, last * ifactor, last * factor)


def _initial_step_size(fun, t0, y0, order, rtol, atol, f0):
    # Hairer, Norsett & Wanner, Solving ODEs I, sec. II.4
    dtype = get_aval(y0).dtype
    scale = (atol + jnp.abs(y0) * rtol).astype(dtype)
    d0 = jnp.linalg.norm(y0 / scale)
    d1 = jnp.linalg.norm(f0 / scale)
    h0 = jnp.where((d0 < 1e-5) | (d1 < 1e-5), 1e-6, 0.01 * d0 / d1)
    f1 = fun(y0 + h0.astype(dtype) * f0, t0 + h0)
    d2 = jnp.linalg.norm((f1 - f0) / scale) / h0
    h1 = jnp.where((d1 <= 1e-15) & (d2 <= 1e-15), jnp.maximum(1e-6, h0 * 1e-3),
                   (0.01 / jnp.maximum(d1, d2)) ** (1. / (order + 1.)))
    return jnp.minimum(100. * h0, h1)


# ---------------------------------------------------------------------------
# The solver on a flat state, with its adjoint


def _integrate(func, rtol, atol, mxstep, hmax, y0, ts, *args):
    def f(y, t):
        return func(y, t, *args)

    def to_target(carry, target_t):
        def cond(state):
            i, _, _, t, dt, _, _ = state
            return (t < target_t) & (i < mxstep) & (dt > 0)

        def step(state):
            i, y, fy, t, dt, last_t, coeff = state
            y1, f1, err, k = _runge_kutta_step(f, y, fy, t, dt)
            ratio = _error_ratio(err, rtol, atol, y, y1)
            new_coeff = _interp_fit(y, y1, k, dt)
            t1 = t + dt
            dt = jnp.clip(_next_step_size(dt, ratio), min=0., max=hmax)
            # a rejected step keeps the state and retries with the smaller dt
            accept = ratio <= 1.
            new = [i + 1, y1, f1, t1, dt, t, new_coeff]
            old = [i + 1, y, fy, t, dt, last_t, coeff]
            return [jnp.where(accept, a, b) for a, b in zip(new, old)]

        _, *carry = lax.while_loop(cond, step, [0] + carry)
        _, _, t, _, last_t, coeff = carry
        # dense output: evaluate the last step's quartic at the target time
        s = (target_t - last_t) / (t - last_t)
        return carry, jnp.polyval(coeff, s.astype(get_aval(coeff).dtype))

    f0 = f(y0, ts[0])
    dt = jnp.clip(_initial_step_size(f, ts[0], y0, 4, rtol, atol, f0), min=0., max=hmax)
    init = [y0, f0, ts[0], dt, ts[0], jnp.stack([y0] * 5)]
    _, ys = lax.scan(to_target, init, ts[1:])
    return jnp.concatenate((y0[None], ys))


def _integrate_fwd(func, rtol, atol, mxstep, hmax, y0, ts, *args):
    ys = _odeint(func, rtol, atol, mxstep, hmax, y0, ts, *args)
    return ys, (ys, ts, args)


def _integrate_bwd(func, rtol, atol, mxstep, hmax, res, g):
    ys, ts, args = res

    def aug_dynamics(state, minus_t, *args):
        # the adjoint runs in negated time so that odeint's times increase
        y, y_bar, *_ = state
        y_dot, pullback = vjp(func, y, -minus_t, *args)
        return (-y_dot, *pullback(y_bar))

    def between_outputs(carry, i):
        y_bar, t0_bar, args_bar = carry
        # moving the output time ts[i] moves ys[i] along func
        t_bar = jnp.dot(func(ys[i], ts[i], *args), g[i]).real
        t0_bar = t0_bar - t_bar
        _, y_bar, t0_bar, args_bar = odeint(
            aug_dynamics, (ys[i], y_bar, t0_bar, args_bar), jnp.stack([-ts[i], -ts[i - 1]]),
            *args, rtol=rtol, atol=atol, mxstep=mxstep, hmax=hmax)
        y_bar, t0_bar, args_bar = tree_util.tree_map(operator.itemgetter(1),
                                                     (y_bar, t0_bar, args_bar))
        return (y_bar + g[i - 1], t0_bar, args_bar), t_bar

    # strong-typed zeros: the cotangents of weakly typed args come out strong, as in JAX
    init = (g[-1], jnp.zeros((), get_aval(ts).dtype),
            tree_util.tree_map(lambda a: jnp.zeros(jnp.shape(a), jnp.result_type(a)), args))
    (y_bar, t0_bar, args_bar), rev_ts_bar = lax.scan(
        between_outputs, init, jnp.arange(get_aval(ts).shape[0] - 1, 0, -1))
    ts_bar = jnp.concatenate([t0_bar[None], rev_ts_bar[::-1]])
    return (y_bar, ts_bar, *args_bar)


_odeint = custom_vjp(_integrate, nondiff_argnums=(0, 1, 2, 3, 4))
_odeint.defvjp(_integrate_fwd, _integrate_bwd)


def odeint(func: Callable, y0: Any, t: Any, *args: Any, rtol: float = 1.4e-8,
           atol: float = 1.4e-8, mxstep: float = float("inf"),
           hmax: float = float("inf")) -> Any:
    """Integrate dy/dt = func(y, t, *args) from y(t[0]) = y0; the solution at each time
    in t (strictly increasing floats), stacked on a new leading axis of y0's leaves.

    rtol, atol: local error tolerances. mxstep: the most steps between two output
    times (past it the solution stops advancing, as JAX's does). hmax: the largest
    step size. Differentiable w.r.t. y0, t and args (and traced values func closes
    over) by the adjoint method."""
    for arg in tree_util.tree_leaves(args):
        if not (is_array_like(arg) or hasattr(arg, "__jax_array__")):
            raise TypeError(f"The contents of odeint *args must be arrays or scalars, but "
                            f"got {arg}.")
    t = jnp.asarray(t)
    if not jnp.issubdtype(get_aval(t).dtype, jnp.floating):
        raise TypeError(f"t must be an array of floats, but got {t}.")
    converted, consts = closure_convert(func, y0, t[0], *args)
    y0_flat, unravel = _ravel(y0)
    flat_func = _ravel_first_arg(converted, unravel)
    ys = _odeint(flat_func, rtol, atol, mxstep, hmax, y0_flat, t, *args, *consts)
    return unravel(ys)
