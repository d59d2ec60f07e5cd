"""The rest of jax.lax.linalg (issue #12): cholesky_update, symmetric_product, qdwh
and the algorithm enums, composed from irax.numpy (so eager, jit and vmap apply).

The enums are accepted where JAX takes them (eig(implementation=), eigh(implementation=),
svd(algorithm=)); irax has one algorithm for each decomposition, so they select nothing.
JAX's *_p names of this module are left out: irax has no linalg primitives (its
decompositions are compositions of elementwise and dot_general primitives), so there is
nothing with the same meaning to export under those names.
"""
from __future__ import annotations

import enum
import math

import numpy as np

from .. import numpy as jnp
from ..numpy import linalg as _la
from ..tracer.core import get_aval
from .control_flow import while_loop
from ..tracer import dtypes

__all__ = ["EigImplementation", "EighImplementation", "SvdAlgorithm", "cholesky_update",
           "qdwh", "symmetric_product"]   # (ormqr lives in linalg.py, by householder_product)


class EigImplementation(enum.Enum):
    """Which eig backend JAX uses (irax: always its own Schur-based one)."""
    CUSOLVER = "cusolver"
    MAGMA = "magma"
    LAPACK = "lapack"


class EighImplementation(enum.Enum):
    """Which eigh algorithm JAX uses (irax: always its Jacobi-style one)."""
    QR = "qr"
    JACOBI = "jacobi"
    QDWH = "qdwh"


class SvdAlgorithm(enum.Enum):
    """Which svd algorithm JAX uses (irax: always its own)."""
    DEFAULT = "default"
    QR = "QR"
    JACOBI = "Jacobi"
    POLAR = "polar"
    DIVIDE_AND_CONQUER = "divide_and_conquer"


def check_enum(value, enum_type, what: str):
    """None or a member of enum_type (JAX raises for anything else too)."""
    if value is not None and not isinstance(value, enum_type):
        raise ValueError(f"{what} must be a {enum_type.__name__} or None, got {value!r}")


def _ct(x):
    return jnp.conj(_la._mT(x))


def cholesky_update(r_matrix, w_vector):
    """The upper Cholesky factor of r^H r + w w^H, given r's (upper triangular r): a
    sequence of Givens rotations, one per column (LINPACK's dchud)."""
    r, w = _la._promote_float(r_matrix, w_vector)
    n = get_aval(r).shape[-1]
    if get_aval(r).ndim != 2 or get_aval(r).shape != (n, n) or get_aval(w).shape != (n,):
        raise ValueError(f"cholesky_update expects an (n, n) matrix and an (n,) vector, got "
                         f"shapes {get_aval(r).shape} and {get_aval(w).shape}")
    rows = [r[i] for i in range(n)]
    for k in range(n):
        # rotate rows k of r and w so that w[k] becomes 0; r[k, k] stays non-negative
        rkk, wk = rows[k][k], w[k]
        radius = jnp.sqrt(rkk * rkk + wk * wk)
        c, s = rkk / radius, wk / radius
        rows[k], w = c * rows[k] + s * w, c * w - s * rows[k]
    return jnp.stack(rows)


def symmetric_product(a_matrix, c_matrix, *, alpha: float = 1.0, beta: float = 0.0,
                      symmetrize_output: bool = False):
    """alpha a a^T + beta c (BLAS syrk); symmetrize_output mirrors its lower triangle onto
    the upper one, as JAX's (which computes only the lower triangle then)."""
    a, c = _la._promote_float(a_matrix, c_matrix)
    out = alpha * jnp.matmul(a, _la._mT(a)) + beta * c
    if symmetrize_output:
        n = get_aval(out).shape[-1]
        low = jnp.where(np.tril(np.ones((n, n), bool)), out, 0)
        out = low + _la._mT(jnp.where(np.eye(n, dtype=bool), 0, low))
    return out


def _qdwh_schedule(eps: float, max_iterations: int):
    """The dynamically weighted Halley coefficients (a, b, c) from the lower bound l = eps
    on the smallest singular value of the scaled matrix, until l reaches 1 (Nakatsukasa,
    Bai and Gygi 2010)."""
    out, l, tol_l = [], eps, 5.0 * eps
    while l + tol_l < 1 and len(out) < max_iterations:
        l2 = l * l
        d = (4 * (1 / l2 - 1) / l2) ** (1 / 3)
        sq = math.sqrt(1 + d)
        a = sq + math.sqrt(2 - d + 2 * (2 - l2) / (l2 * sq))
        b = (a - 1) ** 2 / 4
        c = a + b - 1
        l = l * (a + b * l2) / (1 + c * l2)
        out.append((a, b, c))
    return out


def _halley_step(u, a, b, c):
    """u (b/c) + (a - b/c) u (I + c u^H u)^-1, through a QR factorization of [sqrt(c) u; I]
    (stable for the large c of the first steps)."""
    n = get_aval(u).shape[-1]
    e = b / c
    y = jnp.concatenate([math.sqrt(c) * u, jnp.eye(n, dtype=get_aval(u).dtype)], axis=0)
    q, _ = _la.qr(y)
    m = get_aval(u).shape[0]
    return e * u + (a - e) / math.sqrt(c) * jnp.matmul(q[:m], _ct(q[m:]))


def qdwh(x, *, is_hermitian: bool = False, max_iterations: int | None = None,
         eps: float | None = None, dynamic_shape=None):
    """(u, h, num_iters, is_converged): the polar decomposition x = u h (u with orthonormal
    columns, h Hermitian positive semidefinite) of an (m, n) matrix, m >= n, by QDWH."""
    del is_hermitian   # only a hint for JAX's TPU kernel
    if dynamic_shape is not None:
        raise NotImplementedError("qdwh: dynamic_shape is not supported by irax")
    x = jnp.asarray(x)
    if dtypes.kind(get_aval(x).dtype) not in "fc":
        x, = _la._promote_float(x)
    if get_aval(x).ndim != 2:
        raise ValueError(f"The input matrix of qdwh must have 2 dimensions, got shape "
                         f"{get_aval(x).shape}")
    m, n = get_aval(x).shape
    if m < n:
        raise ValueError(f"The input matrix of shape M x N must have M >= N, got {m} x {n}")
    max_iterations = 10 if max_iterations is None else int(max_iterations)
    eps = float(np.finfo(get_aval(x).dtype).eps) if eps is None else float(eps)
    # scale so that the largest singular value is at most 1 (sigma_max^2 <= |x|_1 |x|_inf)
    one = jnp.max(jnp.sum(jnp.abs(x), axis=0))
    inf = jnp.max(jnp.sum(jnp.abs(x), axis=1))
    scale = jnp.where(one == 0, 1.0, 1 / jnp.sqrt(one * inf))
    u = x * scale.astype(get_aval(x).dtype)
    tol = (5.0 * eps) ** (1 / 3)
    schedule = _qdwh_schedule(eps, max_iterations)
    changed = jnp.asarray(True)
    for a, b, c in schedule:
        prev, u = u, _halley_step(u, a, b, c)
        changed = jnp.linalg.norm(u - prev) > tol
    # more plain Halley steps (a, b, c) = (3, 1, 3) while u still moves
    def cond(state):
        k, _, moving = state
        return moving & (k < max_iterations)

    def body(state):
        k, v, _ = state
        new = _halley_step(v, 3.0, 1.0, 3.0)
        return k + 1, new, jnp.linalg.norm(new - v) > tol

    num_iters, u, changed = while_loop(
        cond, body, (jnp.asarray(len(schedule)), u, changed))   # weak int32, as JAX
    u = 1.5 * u - 0.5 * jnp.matmul(u, jnp.matmul(_ct(u), u))   # one Newton-Schulz polish
    h = jnp.matmul(_ct(u), x)
    return u, (h + _ct(h)) / 2, num_iters, jnp.logical_not(changed)
