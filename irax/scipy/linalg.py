"""irax.scipy.linalg (as jax.scipy.linalg): SciPy's argument conventions (lower=, trans=,
unit_diagonal=, LAPACK pivots) over the unrolled factorizations of irax.numpy.linalg."""
from __future__ import annotations

import numpy as np

from .. import numpy as jnp
from ..numpy import linalg as _la
from ..tracer.core import get_aval

det = _la.det
inv = _la.inv


def cholesky(a, lower: bool = False, overwrite_a: bool = False, check_finite: bool = True):
    """Cholesky factor; upper (a = U^T U) unless lower=True, as SciPy."""
    return _la.cholesky(a, upper=not lower)


def cho_factor(a, lower: bool = False, overwrite_a: bool = False, check_finite: bool = True):
    """(factor, lower) for cho_solve; the unused triangle of the factor is zero."""
    return cholesky(a, lower=lower), lower


def _trans_flag(trans):
    if trans in (0, "N"):
        return False
    if trans in (1, "T", 2, "C"):             # real matrices: conjugate transpose = transpose
        return True
    raise ValueError(f"Invalid 'trans' value {trans}")


def solve_triangular(a, b, trans=0, lower: bool = False, unit_diagonal: bool = False,
                     overwrite_b: bool = False, debug=None, check_finite: bool = True):
    """x with op(a) @ x = b, op(a) = a, a^T (trans=1/'T') or a^H (2/'C'); only the `lower`
    (or upper) triangle of a is read."""
    transpose = _trans_flag(trans)
    a = _la._square_matrix(a, "solve_triangular")
    a, b = _la._promote_float(a, b)
    b2, restore = _la._as_matrix_rhs(b, "solve_triangular", get_aval(a).shape[-1])
    if transpose:
        a, lower = _la._mT(a), not lower
    return restore(_la._triangular_solve(a, b2, lower=lower, unit_diagonal=unit_diagonal))


def cho_solve(c_and_lower, b, overwrite_b: bool = False, check_finite: bool = True):
    """x with a @ x = b from cho_factor(a)'s (c, lower)."""
    c, lower = c_and_lower
    c = _la._square_matrix(c, "cho_solve")
    c, b = _la._promote_float(c, b)
    b2, restore = _la._as_matrix_rhs(b, "cho_solve", get_aval(c).shape[-1])
    low = c if lower else _la._mT(c)                       # a = low @ low^T
    y = _la._triangular_solve(low, b2, lower=True, unit_diagonal=False)
    return restore(_la._triangular_solve(_la._mT(low), y, lower=False, unit_diagonal=False))


def solve(a, b, lower: bool = False, overwrite_a: bool = False, overwrite_b: bool = False,
          debug: bool = False, check_finite: bool = True, assume_a: str = "gen"):
    if assume_a not in ("gen", "sym", "her", "pos"):
        raise ValueError(f"Expected assume_a to be one of 'gen', 'sym', 'her', 'pos'; got "
                         f"{assume_a!r}")
    if assume_a == "pos":
        a = _la._square_matrix(a, "solve")
        # read only the named triangle, as LAPACK's posv does
        n = get_aval(a).shape[-1]
        keep = np.tril(np.ones((n, n), bool)) if lower else np.triu(np.ones((n, n), bool))
        half = jnp.where(keep, a, 0)
        sym = half + _la._mT(jnp.where(np.eye(n, dtype=bool), 0, half))
        return cho_solve(cho_factor(sym, lower=True), b)
    return _la.solve(a, b)


def lu_factor(a, overwrite_a: bool = False, check_finite: bool = True):
    """(lu, piv): L below lu's diagonal (unit diagonal implied), U on and above it, and
    LAPACK's pivots: row k was swapped with row piv[k] at step k."""
    a = jnp.asarray(a)
    if get_aval(a).ndim < 2:
        raise ValueError(f"lu_factor: input must be at least two dimensional; got shape "
                         f"{get_aval(a).shape}")
    lu_, piv, _ = _la._lu(_la._to_float(a))
    return lu_, piv


def _pivots_to_permutation(piv, m: int):
    """The row order that LAPACK's sequence of swaps produces (a[perm] = L U)."""
    batch = get_aval(piv).shape[:-1]
    rows = np.arange(m)
    perm = jnp.broadcast_to(np.arange(m, dtype=np.int32), batch + (m,))
    for k in range(get_aval(piv).shape[-1]):
        p = piv[..., k]
        is_p = jnp.equal(rows, p[..., None])
        perm_p = jnp.sum(jnp.where(is_p, perm, 0), axis=-1)
        perm = jnp.where(rows == k, perm_p[..., None], jnp.where(is_p, perm[..., k:k + 1], perm))
    return perm


def lu_solve(lu_and_piv, b, trans=0, overwrite_b: bool = False, check_finite: bool = True):
    lu_, piv = lu_and_piv
    lu_ = _la._square_matrix(lu_, "lu_solve")
    lu_, b = _la._promote_float(lu_, b)
    n = get_aval(lu_).shape[-1]
    b2, restore = _la._as_matrix_rhs(b, "lu_solve", n)
    perm = _pivots_to_permutation(jnp.asarray(piv), n)
    if not _trans_flag(trans):
        return restore(_la._lu_solve(lu_, perm, b2))
    # a^T = U^T L^T P^T with P^T b = b[perm]: solve U^T, then L^T, then undo the permutation
    y = _la._triangular_solve(_la._mT(lu_), b2, lower=True, unit_diagonal=False)
    z = _la._triangular_solve(_la._mT(lu_), y, lower=False, unit_diagonal=True)
    onehot = jnp.equal(perm[..., :, None], np.arange(n)).astype(get_aval(z).dtype)
    return restore(jnp.matmul(_la._mT(onehot), z))


def lu(a, permute_l: bool = False, overwrite_a: bool = False, check_finite: bool = True):
    """p, l, u with a = p @ l @ u (or pl, u with pl = p @ l when permute_l)."""
    a = _la._to_float(jnp.asarray(a))
    shape = get_aval(a).shape
    if len(shape) < 2:
        raise ValueError(f"lu: input must be at least two dimensional; got shape {shape}")
    m, n = shape[-2:]
    k = min(m, n)
    lu_, _, perm = _la._lu(a)
    below = np.arange(m)[:, None] > np.arange(k)[None, :]
    l_ = jnp.where(below, lu_[..., :, :k], 0) + np.eye(m, k, dtype=get_aval(a).dtype)
    u = jnp.where(np.arange(k)[:, None] <= np.arange(n)[None, :], lu_[..., :k, :], 0)
    p = _la._mT(jnp.equal(perm[..., :, None], np.arange(m)).astype(get_aval(a).dtype))
    if permute_l:
        return jnp.matmul(p, l_), u
    return p, l_, u


def qr(a, overwrite_a: bool = False, lwork=None, mode: str = "full", pivoting: bool = False,
       check_finite: bool = True):
    if pivoting:
        raise NotImplementedError("irax.scipy.linalg.qr: pivoting=True is not supported")
    if mode not in ("full", "economic", "r"):
        raise ValueError(f"Unsupported QR decomposition mode '{mode}'")
    a = _la._to_float(jnp.asarray(a))
    if get_aval(a).ndim < 2:
        raise ValueError(f"qr: input must be at least two dimensional; got shape "
                         f"{get_aval(a).shape}")
    q, r = _la._householder_qr(a, complete=mode != "economic")
    return (r,) if mode == "r" else (q, r)


def eigh(a, b=None, lower: bool = True, eigvals_only: bool = False, overwrite_a: bool = False,
         overwrite_b: bool = False, turbo: bool = True, eigvals=None, type: int = 1,
         check_finite: bool = True):
    """Symmetric eigendecomposition reading the `lower` (or upper) triangle, as SciPy."""
    if b is not None:
        raise NotImplementedError("irax.scipy.linalg.eigh: the generalized problem (b=) is not "
                                  "supported")
    w, v = _la.eigh(a, UPLO="L" if lower else "U", symmetrize_input=False)
    return w if eigvals_only else (w, v)


def svd(a, full_matrices: bool = True, compute_uv: bool = True, overwrite_a: bool = False,
        check_finite: bool = True, lapack_driver: str = "gesdd"):
    out = _la.svd(a, full_matrices=full_matrices, compute_uv=compute_uv)
    return tuple(out) if compute_uv else out


# Pade(13) numerator coefficients and the 1-norm bound up to which it is accurate in double
# precision (Higham, "The scaling and squaring method for the matrix exponential revisited",
# SIAM J. Matrix Anal. Appl. 26(4), 2005)
_PADE13 = (64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0,
           129060195264000.0, 10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0,
           40840800.0, 960960.0, 16380.0, 182.0, 1.0)
_THETA13 = 5.371920351148152
_MAX_SQUARINGS = 24


def expm(A, *, upper_triangular: bool = False, max_squarings: int = _MAX_SQUARINGS):
    """Matrix exponential by scaling and squaring with a Pade(13) approximant. The number of
    squarings depends on the data, so all max_squarings are computed and each one is kept
    only where it is needed (a static program that every target compiles)."""
    a = _la._square_matrix(A, "expm")
    n = get_aval(a).shape[-1]
    dt = get_aval(a).dtype
    norm1 = jnp.max(jnp.sum(jnp.abs(a), axis=-2), axis=-1)                 # (...,)
    ratio = jnp.maximum(norm1 / _THETA13, 1.0)
    s = jnp.minimum(jnp.ceil(jnp.log2(ratio)), max_squarings)
    a = a / (2.0 ** s)[..., None, None]
    eye_ = jnp.eye(n, dtype=dt)
    a2 = a @ a
    a4 = a2 @ a2
    a6 = a4 @ a2
    b = _PADE13
    u = a @ (a6 @ (b[13] * a6 + b[11] * a4 + b[9] * a2) + b[7] * a6 + b[5] * a4 + b[3] * a2
             + b[1] * eye_)
    v = a6 @ (b[12] * a6 + b[10] * a4 + b[8] * a2) + b[6] * a6 + b[4] * a4 + b[2] * a2 \
        + b[0] * eye_
    r = _la.solve(v - u, v + u)
    for i in range(max_squarings):
        r = jnp.where((i < s)[..., None, None], r @ r, r)
    return r


def expm_frechet(A, E, *, method=None, compute_expm: bool = True):
    """(expm(A), L(A, E)) with L the Frechet derivative of expm at A in direction E, read off
    expm([[A, E], [0, A]]) = [[expm(A), L], [0, expm(A)]]."""
    if method not in (None, "SPS", "blockEnlarge"):
        raise ValueError(f"Unknown implementation {method}")
    a, e = _la._promote_float(A, E)
    if get_aval(a).ndim != 2 or get_aval(a).shape[0] != get_aval(a).shape[1]:
        raise ValueError("expected A to be a square matrix")
    if get_aval(e).shape != get_aval(a).shape:
        raise ValueError("expected A and E to be the same shape")
    n = get_aval(a).shape[0]
    zero = jnp.zeros((n, n), get_aval(a).dtype)
    big = jnp.concatenate([jnp.concatenate([a, e], axis=1),
                           jnp.concatenate([zero, a], axis=1)], axis=0)
    m = expm(big)
    ea, l_ = m[:n, :n], m[:n, n:]
    return (ea, l_) if compute_expm else l_


# ---------------------------------------------------------------------------
# Special-matrix constructors (issue 12), kept in their own module
from .linalg_special_matrices import (  # noqa: E402,F401
    block_diag, circulant, companion, convolution_matrix, dft, fiedler, fiedler_companion,
    hadamard, hankel, helmert, hilbert, invhilbert, invpascal, leslie, pascal, toeplitz)

# Schur-based functions and the other issue-12 additions, in their own module
from ._schur import (  # noqa: E402,F401
    eigh_tridiagonal, funm, hessenberg, polar, qr_multiply, rsf2csf, schur,
    solve_sylvester, sqrtm)
