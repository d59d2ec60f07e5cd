"""irax.scipy.optimize (as jax.scipy.optimize): minimize(fun, x0, method="BFGS").

BFGS (Nocedal & Wright, Numerical Optimization, algorithm 6.1) with a line search that
enforces the strong Wolfe conditions (algorithms 3.5 and 3.6: bracketing by doubling, then
zooming by cubic, quadratic or bisection steps). Every loop is an irax.lax.while_loop and
every branch a `where`, so minimize traces once and runs under jit; the iteration counts
and status codes are JAX's.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping, NamedTuple

import numpy as np

from .. import numpy as jnp
from ..lax.control_flow import while_loop
from ..tracer import dtypes
from ..tracer.api import value_and_grad
from ..tracer.core import get_aval

__all__ = ["OptimizeResults", "minimize"]


class OptimizeResults(NamedTuple):
    """Result of minimize.

    x: the solution; success: converged and no line-search failure; status: 0 converged,
    1 iteration limit, 3 zoom failed, 5 line-search iteration limit, -1 undefined;
    fun, jac: value and gradient at x; hess_inv: the final inverse-Hessian estimate;
    nfev, njev: evaluations of fun and of its gradient; nit: BFGS iterations."""
    x: Any
    success: Any
    status: Any
    fun: Any
    jac: Any
    hess_inv: Any
    nfev: Any
    njev: Any
    nit: Any


def _count(v: int):
    """A counter or status code: the default integer (int64 under x64), as JAX's."""
    return jnp.asarray(v, dtypes.default_int())


def _select(pred, new: dict, old: dict) -> dict:
    """old with the entries that `new` names replaced where pred holds."""
    out = dict(old)
    for key, value in new.items():
        out[key] = jnp.where(pred, value, old[key])
    return out


def _while(cond, body, state: dict, anchor: str) -> dict:
    """lax.while_loop over a dict state whose 0-d bool and int entries (flags, counters)
    travel packed, as floats, in one vector with the float entry `anchor`.

    Why: IREE 3.13 fails to compile (segfault, or 'failed to legalize unresolved source
    materialization') a stablehlo.while that has a carry computed only from comparisons of
    device values and used after the loop; the same values sharing a vector with data compile.
    Counters stay exact: they are far below 2**24."""
    dt = get_aval(state[anchor]).dtype
    packed = sorted(k for k, v in state.items()
                    if get_aval(v).shape == () and dtypes.kind(get_aval(v).dtype) in "biu")
    kinds = {k: get_aval(state[k]).dtype for k in packed}

    def pack(s):
        meta = jnp.stack([s[anchor].astype(dt)] + [s[k].astype(dt) for k in packed])
        rest = {k: v for k, v in s.items() if k not in kinds}
        return rest, meta

    def unpack(carry):
        rest, meta = carry
        s = dict(rest)
        for i, k in enumerate(packed):
            v = meta[i + 1]
            s[k] = (v != 0) if kinds[k] == np.bool_ else v.astype(kinds[k])
        return s

    out = while_loop(lambda c: cond(unpack(c)), lambda c: pack(body(unpack(c))), pack(state))
    return unpack(out)


def _cubic_min(a, fa, fpa, b, fb, c, fc):
    """Minimiser of the cubic through (a, fa) with slope fpa there, (b, fb) and (c, fc)."""
    db, dc = b - a, c - a
    denom = (db * dc) ** 2 * (db - dc)
    rb = fb - fa - fpa * db
    rc = fc - fa - fpa * dc
    A = (dc ** 2 * rb - db ** 2 * rc) / denom
    B = (-dc ** 3 * rb + db ** 3 * rc) / denom
    return a + (-B + jnp.sqrt(B * B - 3.0 * A * fpa)) / (3.0 * A)


def _quad_min(a, fa, fpa, b, fb):
    """Minimiser of the parabola through (a, fa) with slope fpa there and (b, fb)."""
    db = b - a
    curv = (fb - fa - fpa * db) / (db ** 2)
    return a - fpa / (2.0 * curv)


def _zoom(phi_dphi, too_high, flat_enough, lo: dict, hi: dict, g0, skip, small: float):
    """Shrink the bracket [lo, hi] (each {'a', 'phi', 'dphi'}) until a step satisfies both
    Wolfe conditions; `skip` makes it run no iterations."""
    dt = get_aval(lo["a"]).dtype
    s = dict(done=jnp.asarray(False), failed=jnp.asarray(False), j=_count(0),
             a_lo=lo["a"], phi_lo=lo["phi"], dphi_lo=lo["dphi"],
             a_hi=hi["a"], phi_hi=hi["phi"], dphi_hi=hi["dphi"],
             # the previous a_hi, third point of the cubic
             a_rec=(lo["a"] + hi["a"]) / 2.0, phi_rec=(lo["phi"] + hi["phi"]) / 2.0,
             a_star=jnp.asarray(1.0, dt), phi_star=lo["phi"], dphi_star=lo["dphi"],
             g_star=g0, nfev=_count(0))

    def cond(s):
        return ~s["done"] & ~skip & ~s["failed"]

    def body(s):
        width = s["a_hi"] - s["a_lo"]
        left = jnp.minimum(s["a_hi"], s["a_lo"])
        right = jnp.maximum(s["a_hi"], s["a_lo"])
        s = dict(s, failed=s["failed"] | (width <= small))
        cubic = _cubic_min(s["a_lo"], s["phi_lo"], s["dphi_lo"], s["a_hi"], s["phi_hi"],
                           s["a_rec"], s["phi_rec"])
        # a trial step must stay clear of the bracket ends (else bisect)
        use_cubic = (s["j"] > 0) & (cubic > left + 0.2 * width) & (cubic < right - 0.2 * width)
        quad = _quad_min(s["a_lo"], s["phi_lo"], s["dphi_lo"], s["a_hi"], s["phi_hi"])
        use_quad = ~use_cubic & (quad > left + 0.1 * width) & (quad < right - 0.1 * width)
        a_j = jnp.where(use_cubic, cubic,
                        jnp.where(use_quad, quad, (s["a_lo"] + s["a_hi"]) / 2.0))
        phi_j, dphi_j, g_j = phi_dphi(a_j)
        s = dict(s, nfev=s["nfev"] + 1)

        to_hi = too_high(a_j, phi_j) | (phi_j >= s["phi_lo"])
        found = flat_enough(dphi_j) & ~to_hi
        flip = (dphi_j * (s["a_hi"] - s["a_lo"]) >= 0.0) & ~to_hi & ~found
        to_lo = ~to_hi & ~found
        s = _select(to_hi, dict(a_hi=a_j, phi_hi=phi_j, dphi_hi=dphi_j,
                                a_rec=s["a_hi"], phi_rec=s["phi_hi"]), s)
        s = _select(found, dict(a_star=a_j, phi_star=phi_j, dphi_star=dphi_j, g_star=g_j), s)
        s["done"] = s["done"] | found
        s = _select(flip, dict(a_hi=s["a_lo"], phi_hi=s["phi_lo"], dphi_hi=s["dphi_lo"],
                               a_rec=s["a_hi"], phi_rec=s["phi_hi"]), s)
        s = _select(to_lo & ~flip, dict(a_rec=s["a_lo"], phi_rec=s["phi_lo"]), s)
        s = _select(to_lo, dict(a_lo=a_j, phi_lo=phi_j, dphi_lo=dphi_j), s)
        j = s["j"] + 1
        return dict(s, j=j, failed=s["failed"] | (j >= 30))

    return _while(cond, body, s, "phi_lo")


def _line_search(fun, xk, pk, f0, g0, old_old_fval, maxiter: int, c1=1e-4, c2=0.9):
    """A step a along pk from xk with sufficient decrease (phi(a) <= phi(0) + c1 a phi'(0))
    and curvature (|phi'(a)| <= c2 |phi'(0)|). Returns a dict with failed, status, a,
    phi (f there), g (the gradient there) and nfev."""
    dt = get_aval(pk).dtype
    vg = value_and_grad(fun)

    def phi_dphi(t):
        phi, g = vg(xk + t.astype(dt) * pk)
        return phi, jnp.real(jnp.dot(g, pk)), g

    dphi0 = jnp.real(jnp.dot(g0, pk))
    guess = 1.01 * 2 * (f0 - old_old_fval) / dphi0
    start = jnp.where(guess > 1, 1.0, guess).astype(dt)
    small = 1e-10 if dt == np.float64 else 1e-5

    def too_high(a, phi):
        return phi > f0 + c1 * a * dphi0

    def flat_enough(dphi):
        return jnp.abs(dphi) <= -c2 * dphi0

    s = dict(done=jnp.asarray(False), failed=jnp.asarray(False), i=_count(1),
             a_prev=jnp.asarray(0.0, dt), phi_prev=f0, dphi_prev=dphi0,
             nfev=_count(0), a_star=jnp.asarray(0.0, dt), phi_star=f0,
             dphi_star=dphi0, g_star=g0)

    def cond(s):
        return ~s["done"] & (s["i"] <= maxiter) & ~s["failed"]

    def body(s):
        # first the guessed step, then doubling (SciPy's bracketing without amax)
        a_i = jnp.where(s["i"] == 1, start, s["a_prev"] * 2.0)
        phi_i, dphi_i, g_i = phi_dphi(a_i)
        zoom_up = too_high(a_i, phi_i) | ((phi_i >= s["phi_prev"]) & (s["i"] > 1))
        accept = flat_enough(dphi_i) & ~zoom_up
        zoom_down = (dphi_i >= 0.0) & ~zoom_up & ~accept
        # at most one of the two zooms is taken: bracket [a_prev, a_i] or [a_i, a_prev]
        prev = dict(a=s["a_prev"], phi=s["phi_prev"], dphi=s["dphi_prev"])
        cur = dict(a=a_i, phi=phi_i, dphi=dphi_i)
        lo = {k: jnp.where(zoom_up, prev[k], cur[k]) for k in prev}
        hi = {k: jnp.where(zoom_up, cur[k], prev[k]) for k in prev}
        z = _zoom(phi_dphi, too_high, flat_enough, lo, hi, g0, ~(zoom_up | zoom_down), small)
        zoomed = zoom_up | zoom_down
        s = dict(s, nfev=s["nfev"] + 1 + z["nfev"],
                 failed=s["failed"] | (zoomed & z["failed"]))
        s = _select(zoomed, dict(a_star=z["a_star"], phi_star=z["phi_star"],
                                 dphi_star=z["dphi_star"], g_star=z["g_star"]), s)
        s = _select(accept, dict(a_star=a_i, phi_star=phi_i, dphi_star=dphi_i, g_star=g_i), s)
        return dict(s, done=s["done"] | zoomed | accept, i=s["i"] + 1, a_prev=a_i,
                    phi_prev=phi_i, dphi_prev=dphi_i)

    s = _while(cond, body, s, "phi_prev")
    status = jnp.where(s["failed"], 1, jnp.where(s["i"] > maxiter, 3, 0))
    a = s["a_star"]
    if dt != np.float64:
        # a vanishing step would stall BFGS below 64 bits: keep |a| >= 1e-8
        a = jnp.where(jnp.abs(a) < 1e-8, jnp.sign(a) * 1e-8, a)
    return dict(failed=s["failed"] | ~s["done"], status=status, a=a, phi=s["phi_star"],
                g=s["g_star"], nfev=s["nfev"])


def _norm(g, ord):
    return jnp.linalg.norm(g, ord=ord)


def _minimize_bfgs(fun: Callable, x0, maxiter: int | None = None, norm=np.inf,
                   gtol: float = 1e-5, line_search_maxiter: int = 10) -> dict:
    if maxiter is None:
        maxiter = int(np.size(x0)) * 200
    d = x0.shape[0]
    dt = get_aval(x0).dtype
    f0, g0 = value_and_grad(fun)(x0)
    s = dict(converged=_norm(g0, norm) < gtol, failed=jnp.asarray(False),
             # every evaluation gives value and gradient: one counter serves nfev and njev
             k=_count(0), nfev=_count(1), x=x0, f=f0, g=g0, H=jnp.eye(d, dtype=dt),
             # makes the first line search start at step 1 (SciPy's convention)
             f_prev=f0 + _norm(g0, 2) / 2, ls_status=_count(0))

    def cond(s):
        return ~s["converged"] & ~s["failed"] & (s["k"] < maxiter)

    def body(s):
        p = -jnp.dot(s["H"], s["g"])
        ls = _line_search(fun, s["x"], p, s["f"], s["g"], s["f_prev"], line_search_maxiter)
        step = ls["a"] * p
        y = ls["g"] - s["g"]
        rho = 1.0 / jnp.dot(y, step)
        # H <- (I - rho s y^T) H (I - rho y s^T) + rho s s^T, kept when y.s is zero
        w = jnp.eye(d, dtype=dt) - rho * jnp.outer(step, y)
        H = w @ s["H"] @ w.T + rho * jnp.outer(step, step)
        H = jnp.where(jnp.isfinite(rho), H, s["H"])
        return dict(converged=_norm(ls["g"], norm) < gtol, failed=ls["failed"],
                    k=s["k"] + 1, nfev=s["nfev"] + ls["nfev"],
                    x=s["x"] + step, f=ls["phi"], g=ls["g"], H=H, f_prev=s["f"],
                    ls_status=ls["status"].astype(dtypes.default_int()))

    s = _while(cond, body, s, "f")
    status = jnp.where(s["converged"], 0,
                       jnp.where(s["k"] == maxiter, 1,
                                 jnp.where(s["failed"], 2 + s["ls_status"], -1)))
    s["status"] = status
    return s


def minimize(fun: Callable, x0, args: tuple = (), *, method: str, tol: float | None = None,
             options: Mapping[str, Any] | None = None) -> OptimizeResults:
    """Minimise fun(x, *args) over a 1-d x from x0 (as jax.scipy.optimize.minimize).

    method: "BFGS" (case-insensitive). options: maxiter, norm, gtol, line_search_maxiter.
    As in JAX, `tol` is accepted but unused; gradients come from autodiff."""
    if options is None:
        options = {}
    if not isinstance(args, tuple):
        raise TypeError("args argument to irax.scipy.optimize.minimize must be a tuple, "
                        f"got {args}")

    def objective(x):
        return fun(x, *args)

    if method.lower() == "bfgs":
        x0 = jnp.asarray(x0)
        if dtypes.kind(get_aval(x0).dtype) not in "fc":
            x0 = x0.astype(dtypes.default_float())
        r = _minimize_bfgs(objective, x0, **options)
        return OptimizeResults(x=r["x"], success=r["converged"] & ~r["failed"],
                               status=r["status"], fun=r["f"], jac=r["g"], hess_inv=r["H"],
                               nfev=r["nfev"], njev=r["nfev"], nit=r["k"])
    raise ValueError(f"Method {method} not recognized")
