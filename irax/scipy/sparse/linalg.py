"""irax.scipy.sparse.linalg (as jax.scipy.sparse.linalg): matrix-free Krylov solvers.

    x, info = cg(A, b, x0=None, *, tol=1e-5, atol=0.0, maxiter=None, M=None)
    x, info = bicgstab(A, b, ...)            # general (nonsymmetric) A
    x, info = gmres(A, b, ..., restart=20, solve_method='batched' | 'incremental')

A (and the preconditioner M) is a square matrix, an object with `@`, or a function
computing A(x); b and x may be any pytree of arrays. The iterations are lax.while_loops
(JAX's algorithms, SciPy's non-legacy tolerance `norm(r) <= max(tol * norm(b), atol)`),
so eager, jit and vmap work. Derivatives do not go through the iterations: each solve is
a lax.custom_linear_solve, differentiated implicitly by a second solve with the
transposed operator (accurate when both solves converge). `info` is None for cg and
bicgstab and an int array for gmres (0, or -1 for a nan solution), as JAX's.

Layering: user API; composed from irax.numpy, irax.lax and irax.scipy.linalg.
"""
from __future__ import annotations

import functools
import operator
from typing import Callable

import numpy as np

from ... import dtypes
from ... import lax
from ... import numpy as jnp
from ... import tree_util
from ...tracer.api_extra import device_put
from ...tracer.core import Array, get_aval
from .. import linalg as sp_linalg

__all__ = ["cg", "bicgstab", "gmres"]


# ---------------------------------------------------------------------------
# Vector arithmetic on pytrees


def _vdot_real(x, y):
    """Re <x, y> without the cross terms: the solvers only take it of z^H M z with M
    Hermitian positive definite, whose value is real."""
    out = jnp.vdot(x.real, y.real)
    if jnp.iscomplexobj(x) or jnp.iscomplexobj(y):
        out = out + jnp.vdot(x.imag, y.imag)
    return out


def _vdot_real_tree(x, y):
    return sum(tree_util.tree_leaves(tree_util.tree_map(_vdot_real, x, y)))


def _vdot_tree(x, y):
    return sum(tree_util.tree_leaves(tree_util.tree_map(jnp.vdot, x, y)))


def _norm(x):
    leaves = tree_util.tree_leaves(x)
    return jnp.sqrt(sum(_vdot_real(v, v) for v in leaves))


def _mul(scalar, tree):
    return tree_util.tree_map(lambda v: scalar * v, tree)


def _add(x, y):
    return tree_util.tree_map(operator.add, x, y)


def _sub(x, y):
    return tree_util.tree_map(operator.sub, x, y)


def _identity(x):
    return x


def _dtype_of(tree):
    return dtypes.result_type(*tree_util.tree_leaves(tree))


def _normalize_matvec(f) -> Callable:
    """A as a function x -> A x."""
    if callable(f):
        return f
    if isinstance(f, (np.ndarray, Array)) or hasattr(f, "__jax_array__"):
        shape = np.shape(f)
        if len(shape) != 2 or shape[0] != shape[1]:
            raise ValueError(f"linear operator must be a square matrix, but has shape: "
                             f"{shape}")
        return functools.partial(jnp.dot, f)
    if hasattr(f, "__matmul__"):
        if hasattr(f, "shape") and (len(f.shape) != 2 or f.shape[0] != f.shape[1]):
            raise ValueError(f"linear operator must be a square matrix, but has shape: "
                             f"{f.shape}")
        return functools.partial(operator.matmul, f)
    raise TypeError(f"linear operator must be either a function or ndarray: {f}")


def _shapes(tree):
    return [np.shape(v) for v in tree_util.tree_leaves(tree)]


def _check_x0(x0, b, check_shapes: bool = True) -> None:
    if tree_util.tree_structure(x0) != tree_util.tree_structure(b):
        raise ValueError(f"x0 and b must have matching tree structure: "
                         f"{tree_util.tree_structure(x0)} vs {tree_util.tree_structure(b)}")
    if check_shapes and _shapes(x0) != _shapes(b):
        raise ValueError(f"arrays in x0 and b must have matching shapes: {_shapes(x0)} vs "
                         f"{_shapes(b)}")


# ---------------------------------------------------------------------------
# Conjugate gradients and BiCGSTAB


def _cg_solve(A, b, x0, *, maxiter, tol, atol, M):
    atol2 = jnp.maximum(jnp.square(tol) * _vdot_real_tree(b, b), jnp.square(atol))

    def cond(state):
        _, r, gamma, _, k = state
        # without a preconditioner gamma = <r, r> already
        rs = gamma.real if M is _identity else _vdot_real_tree(r, r)
        return (rs > atol2) & (k < maxiter)

    def body(state):
        x, r, gamma, p, k = state
        Ap = A(p)
        alpha = gamma / _vdot_real_tree(p, Ap).astype(dtype)
        x = _add(x, _mul(alpha, p))
        r = _sub(r, _mul(alpha, Ap))
        z = M(r)
        gamma_new = _vdot_real_tree(r, z).astype(dtype)
        p = _add(z, _mul(gamma_new / gamma, p))
        return x, r, gamma_new, p, k + 1

    r0 = _sub(b, A(x0))
    p0 = M(r0)
    dtype = _dtype_of(p0)
    gamma0 = _vdot_real_tree(r0, p0).astype(dtype)
    return lax.while_loop(cond, body, (x0, r0, gamma0, p0, 0))[0]


def _bicgstab_solve(A, b, x0, *, maxiter, tol, atol, M):
    atol2 = jnp.maximum(jnp.square(tol) * _vdot_real_tree(b, b), jnp.square(atol))

    def cond(state):
        _, r, *_, k = state
        # k < 0 flags a breakdown (rho or omega became zero)
        return (_vdot_real_tree(r, r) > atol2) & (k < maxiter) & (k >= 0)

    def body(state):
        x, r, rhat, alpha, omega, rho, p, q, k = state
        rho_new = _vdot_tree(rhat, r)
        beta = rho_new / rho * alpha / omega
        p = _add(r, _mul(beta, _sub(p, _mul(omega, q))))
        phat = M(p)
        q = A(phat)
        alpha = rho_new / _vdot_tree(rhat, q)
        s = _sub(r, _mul(alpha, q))
        converged_at_half_step = _vdot_real_tree(s, s) < atol2
        shat = M(s)
        t = A(shat)
        omega = _vdot_tree(t, s) / _vdot_tree(t, t)
        x_half = _add(x, _mul(alpha, phat))
        x = tree_util.tree_map(functools.partial(jnp.where, converged_at_half_step),
                               x_half, _add(x_half, _mul(omega, shat)))
        r = tree_util.tree_map(functools.partial(jnp.where, converged_at_half_step),
                               s, _sub(s, _mul(omega, t)))
        k = jnp.where((omega == 0) | (alpha == 0), -11, k + 1)
        k = jnp.where(rho_new == 0, -10, k)
        return x, r, rhat, alpha, omega, rho_new, p, q, k

    r0 = _sub(b, A(x0))
    one = jnp.ones((), _dtype_of(b))
    state = (x0, r0, r0, one, one, one, r0, r0, 0)
    return lax.while_loop(cond, body, state)[0]


def _isolve(solve, A, b, x0, *, tol, atol, maxiter, M, check_symmetric: bool = False):
    if x0 is None:
        x0 = tree_util.tree_map(jnp.zeros_like, b)
    b, x0 = device_put((b, x0))
    if maxiter is None:
        maxiter = 10 * sum(int(np.size(v)) for v in tree_util.tree_leaves(b))  # as SciPy
    A = _normalize_matvec(A)
    M = _identity if M is None else _normalize_matvec(M)
    _check_x0(x0, b)
    run = functools.partial(solve, x0=x0, tol=tol, atol=atol, maxiter=maxiter, M=M)
    # a real positive definite operator is symmetric: its transpose solve is itself
    symmetric = check_symmetric and not any(
        jnp.iscomplexobj(v) for v in tree_util.tree_leaves(b))
    x = lax.custom_linear_solve(A, b, solve=run, transpose_solve=run, symmetric=symmetric)
    return x, None


def cg(A, b, x0=None, *, tol=1e-5, atol=0.0, maxiter=None, M=None):
    """Solve A x = b by (preconditioned) conjugate gradients; A must be Hermitian positive
    definite. Returns (x, None). Derivatives come from a second cg solve."""
    return _isolve(_cg_solve, A, b, x0, tol=tol, atol=atol, maxiter=maxiter, M=M,
                   check_symmetric=True)


def bicgstab(A, b, x0=None, *, tol=1e-5, atol=0.0, maxiter=None, M=None):
    """Solve A x = b (A general) by BiCGSTAB. Returns (x, None)."""
    return _isolve(_bicgstab_solve, A, b, x0, tol=tol, atol=atol, maxiter=maxiter, M=M)


# ---------------------------------------------------------------------------
# GMRES


def _safe_normalize(x, thresh=None):
    """(x / |x|, |x|), or (0, 0) when |x| <= thresh (default: the dtype's eps)."""
    norm = _norm(x)
    dtype = _dtype_of(x)
    if thresh is None:
        thresh = np.asarray(dtypes.finfo(get_aval(norm).dtype).eps)
    thresh = jnp.asarray(thresh).astype(dtype).real
    use = norm > thresh
    scale = norm.astype(dtype)
    unit = tree_util.tree_map(lambda v: jnp.where(use, v / scale, 0.0), x)
    return unit, jnp.where(use, norm, 0.0)


def _project_on_columns(Q, v):
    """Q^H v, Q's leaves holding the basis vectors along their last axis."""
    def project(X, y):
        m = get_aval(X).shape[-1]
        return jnp.dot(jnp.reshape(X, (-1, m)).T.conj(), jnp.ravel(y))
    parts = tree_util.tree_map(project, Q, v)
    return tree_util.tree_reduce(operator.add, parts)


def _gram_schmidt(Q, x, xnorm, max_iterations: int = 2):
    """(q, r): x orthogonalized against Q's columns by classical Gram-Schmidt, repeated
    ("twice is enough") while |r| < |x| / sqrt(2); r holds the overlaps."""
    Q0 = tree_util.tree_leaves(Q)[0]
    r = jnp.zeros(get_aval(Q0).shape[-1], get_aval(Q0).dtype)

    def body(carry):
        k, q, r, qnorm_scaled = carry
        h = _project_on_columns(Q, q)
        q = _sub(q, tree_util.tree_map(lambda X: jnp.dot(X, h), Q))
        r = _add(r, h)

        def again(c):
            k, not_done, _, _ = c
            return jnp.logical_and(not_done, k < (max_iterations - 1))

        def renorm(c):
            k, _, q, _ = c
            return k, False, q, _safe_normalize(q)[1] / jnp.sqrt(2.0)

        _, _, q, qnorm_scaled = lax.while_loop(again, renorm, (k, True, q, qnorm_scaled))
        return k + 1, q, r, qnorm_scaled

    def cond(carry):
        k, _, r, qnorm_scaled = carry
        return jnp.logical_and(k < (max_iterations - 1), _safe_normalize(r)[1] < qnorm_scaled)

    carry = body((0, x, r, xnorm / jnp.sqrt(2.0)))
    _, q, r, _ = lax.while_loop(cond, body, carry)
    return q, r


def _arnoldi_step(k, A, M, V, H):
    """Adds the k-th Krylov vector M(A(V[:, k])), orthonormalized, as V[:, k+1], and its
    overlaps as H[k, :]; breakdown when it lies in the span already."""
    dtype = _dtype_of(V)
    eps = dtypes.finfo(dtype).eps
    v = M(A(tree_util.tree_map(lambda X: X[..., k], V)))
    _, v_norm0 = _safe_normalize(v)
    v, h = _gram_schmidt(V, v, v_norm0, max_iterations=2)
    unit_v, v_norm1 = _safe_normalize(v, thresh=eps * v_norm0)
    V = tree_util.tree_map(lambda X, y: X.at[..., k + 1].set(y), V, unit_v)
    h = h.at[k + 1].set(v_norm1.astype(dtype))
    return V, H.at[k, :].set(h), v_norm1 == 0.


def _rotate(H, i, cs, sn):
    x, y = H[i], H[i + 1]
    H = H.at[i].set(cs.conj() * x - sn.conj() * y)
    return H.at[i + 1].set(sn * x + cs * y)


def _givens(a, b):
    b_zero = abs(b) == 0
    a_lt_b = abs(a) < abs(b)
    t = -jnp.where(a_lt_b, a, b) / jnp.where(a_lt_b, b, a)
    r = lax.rsqrt(1 + abs(t) ** 2).astype(get_aval(t).dtype)
    cs = jnp.where(b_zero, 1, jnp.where(a_lt_b, r * t, r))
    sn = jnp.where(b_zero, 0, jnp.where(a_lt_b, r, r * t))
    return cs, sn


def _apply_givens(H_row, givens, k):
    """H_row rotated by the first k stored rotations, then by a new one zeroing its
    (k+1)-th entry, which is stored as givens[k]."""
    R_row = lax.fori_loop(0, k, lambda i, row: _rotate(row, i, *givens[i, :]), H_row)
    factors = _givens(R_row[k], R_row[k + 1])
    givens = givens.at[k, :].set(jnp.stack(factors))
    return _rotate(R_row, k, *factors), givens


def _krylov_basis(unit_residual, restart):
    return tree_util.tree_map(
        lambda v: jnp.pad(v[..., None], ((0, 0),) * v.ndim + ((0, restart),)), unit_residual)


def _gmres_incremental(A, b, x0, unit_residual, residual_norm, ptol, restart, M):
    """One restart, QR-factorizing the Hessenberg matrix by Givens rotations as the Arnoldi
    process goes, which gives the residual norm for free and allows stopping early."""
    V = _krylov_basis(unit_residual, restart)
    dtype = _dtype_of(b)
    R = jnp.eye(restart, restart + 1, dtype=dtype)   # identity rows: nonsingular if stopped
    givens = jnp.zeros((restart, 2), dtype)
    beta = jnp.zeros(restart + 1, dtype).at[0].set(residual_norm.astype(dtype))

    def cond(carry):
        k, err, *_ = carry
        return jnp.logical_and(k < restart, err > ptol)

    def step(carry):
        k, _, V, R, beta, givens = carry
        V, H, _ = _arnoldi_step(k, A, M, V, R)
        R_row, givens = _apply_givens(H[k, :], givens, k)
        R = R.at[k, :].set(R_row)
        beta = _rotate(beta, k, *givens[k, :])
        return k + 1, abs(beta[k + 1]), V, R, beta, givens

    _, _, V, R, beta, _ = lax.while_loop(cond, step, (0, residual_norm, V, R, beta, givens))
    y = sp_linalg.solve_triangular(R[:, :-1].T, beta[:-1])
    x = _add(x0, tree_util.tree_map(lambda X: jnp.dot(X[..., :-1], y), V))
    unit_residual, residual_norm = _safe_normalize(M(_sub(b, A(x))))
    return x, unit_residual, residual_norm


def _gmres_batched(A, b, x0, unit_residual, residual_norm, ptol, restart, M):
    """One restart: the whole Arnoldi process, then one dense least-squares solve."""
    V = _krylov_basis(unit_residual, restart)
    dtype = _dtype_of(b)
    H = jnp.eye(restart, restart + 1, dtype=dtype)

    def cond(carry):
        _, _, breakdown, k = carry
        return jnp.logical_and(k < restart, jnp.logical_not(breakdown))

    def step(carry):
        V, H, _, k = carry
        V, H, breakdown = _arnoldi_step(k, A, M, V, H)
        return V, H, breakdown, k + 1

    V, H, _, _ = lax.while_loop(cond, step, (V, H, False, 0))
    beta = jnp.zeros(restart + 1, dtype).at[0].set(residual_norm.astype(dtype))
    # least squares by the normal equations (H H^H y = H beta)
    Ht = H.T
    y = sp_linalg.solve(jnp.dot(Ht.T.conj(), Ht), jnp.dot(Ht.T.conj(), beta), assume_a="pos")
    x = _add(x0, tree_util.tree_map(lambda X: jnp.dot(X[..., :-1], y), V))
    unit_residual, residual_norm = _safe_normalize(M(_sub(b, A(x))))
    return x, unit_residual, residual_norm


def _gmres_solve(A, b, x0, atol, ptol, restart, maxiter, M, one_restart):
    """Restarts from the last solution until |M(b - A x)| <= atol or maxiter restarts."""
    unit_residual, residual_norm = _safe_normalize(M(_sub(b, A(x0))))

    def cond(state):
        _, k, _, residual_norm = state
        return jnp.logical_and(k < maxiter, residual_norm > atol)

    def body(state):
        x, k, unit_residual, residual_norm = state
        x, unit_residual, residual_norm = one_restart(A, b, x, unit_residual, residual_norm,
                                                      ptol, restart, M)
        return x, k + 1, unit_residual, residual_norm

    return lax.while_loop(cond, body, (x0, 0, unit_residual, residual_norm))[0]


def gmres(A, b, x0=None, *, tol=1e-5, atol=0.0, restart=20, maxiter=None, M=None,
          solve_method="batched"):
    """Solve A x = b (A general) by restarted GMRES: each restart projects onto a Krylov
    space of dimension `restart`; maxiter bounds the restarts. solve_method 'incremental'
    builds the QR factorization step by step (stops early within a restart), 'batched'
    solves one least-squares problem per restart. Returns (x, info), info 0 or -1 (nan)."""
    if x0 is None:
        x0 = tree_util.tree_map(jnp.zeros_like, b)
    A = _normalize_matvec(A)
    M = _identity if M is None else _normalize_matvec(M)
    b, x0 = device_put((b, x0))
    size = sum(int(np.size(v)) for v in tree_util.tree_leaves(b))
    if maxiter is None:
        maxiter = 10 * size   # as SciPy
    restart = min(restart, size)
    _check_x0(x0, b, check_shapes=False)
    b_norm = _norm(b)
    atol = jnp.maximum(tol * b_norm, atol)
    ptol = _norm(M(b)) * jnp.minimum(1.0, atol / b_norm)
    if solve_method == "incremental":
        one_restart = _gmres_incremental
    elif solve_method == "batched":
        one_restart = _gmres_batched
    else:
        raise ValueError(f"invalid solve_method {solve_method}, must be either "
                         "'incremental' or 'batched'")

    def solve(A, b):
        return _gmres_solve(A, b, x0, atol, ptol, restart, maxiter, M, one_restart)

    x = lax.custom_linear_solve(A, b, solve=solve, transpose_solve=solve)
    info = jnp.where(jnp.isnan(_norm(x)), -1, 0)
    return x, info
