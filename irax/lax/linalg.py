"""jax.lax.linalg: the matrix decompositions and solves under jax.lax's names and argument
conventions (issue #12), built on irax.numpy.linalg's algorithms (loops of small ops that
every IREE target compiles).

Conventions that differ from jnp.linalg, as in JAX: eigh returns (vectors, values); qr and
svd default to full matrices; lu returns (lu, pivots, permutation); triangular_solve solves
x @ op(a) = b unless left_side=True.
"""
from __future__ import annotations

import numpy as np

from .. import numpy as jnp
from ..numpy import linalg as _la
from ..tracer import dtypes
from ..tracer.core import get_aval
from ..tracer.custom import custom_jvp
from . import linalg_extra as _extra
from .linalg_extra import (EigImplementation, EighImplementation, SvdAlgorithm,  # noqa: F401
                           check_enum, cholesky_update, qdwh, symmetric_product)

__all__ = ["cholesky", "eig", "eigh", "hessenberg", "householder_product", "lu",
           "lu_pivots_to_permutation", "qr", "schur", "svd", "triangular_solve",
           "tridiagonal", "tridiagonal_solve"]
__all__ += _extra.__all__ + ["ormqr"]


def cholesky(x, *, symmetrize_input: bool = True):
    """Lower Cholesky factor (nan where x is not positive definite, as JAX)."""
    return _la.cholesky(x, symmetrize_input=symmetrize_input)


def eigh(x, *, lower: bool = True, symmetrize_input: bool = True, sort_eigenvalues: bool = True,
         subset_by_index=None, implementation=None):
    """(eigenvectors, eigenvalues) of Hermitian matrices, eigenvalues ascending."""
    check_enum(implementation, EighImplementation, "eigh implementation")
    if subset_by_index is not None:
        raise NotImplementedError("lax.linalg.eigh: subset_by_index is not supported by irax")
    if not sort_eigenvalues:
        raise NotImplementedError("lax.linalg.eigh: irax always sorts the eigenvalues")
    w, v = _la.eigh(x, UPLO="L" if lower else "U", symmetrize_input=symmetrize_input)
    return v, w


def qr(x, *, pivoting: bool = False, full_matrices: bool = True, use_magma=None):
    """(q, r); full_matrices=True gives the complete q, as jax.lax.linalg.qr."""
    del use_magma
    if pivoting:
        raise NotImplementedError("lax.linalg.qr: pivoting is not supported by irax")
    return _la.qr(x, mode="complete" if full_matrices else "reduced")


def svd(x, *, full_matrices: bool = True, compute_uv: bool = True, subset_by_index=None,
        algorithm=None):
    """(u, s, vh), or s alone when compute_uv=False."""
    check_enum(algorithm, SvdAlgorithm, "svd algorithm")
    if subset_by_index is not None:
        raise NotImplementedError("lax.linalg.svd: subset_by_index is not supported by irax")
    out = _la.svd(x, full_matrices=full_matrices, compute_uv=compute_uv)
    return tuple(out) if compute_uv else out


def lu(x):
    """(lu, pivots, permutation) with x[..., permutation, :] = L @ U: L unit lower (below
    lu's diagonal), U upper; pivots in LAPACK's convention (int32)."""
    x = jnp.asarray(x)
    if get_aval(x).ndim < 2:
        raise ValueError(f"Argument to LU decomposition must have ndims >= 2, got shape "
                         f"{get_aval(x).shape}")
    return _la._lu(_la._to_float(x))


def lu_pivots_to_permutation(pivots, permutation_size: int):
    """The permutation that LAPACK's row swaps `pivots` apply to range(permutation_size)."""
    pivots = jnp.asarray(pivots)
    if get_aval(pivots).dtype != np.int32:
        raise TypeError(f"lu_pivots_to_permutation: pivots must be int32, got "
                        f"{get_aval(pivots).dtype}")
    if get_aval(pivots).shape[-1] > permutation_size:
        raise ValueError(f"Output permutation size {permutation_size} has to exceed the "
                         f"trailing dimension of the pivots {get_aval(pivots).shape[-1]}")
    from ..scipy.linalg import _pivots_to_permutation   # irax.scipy builds on irax.lax
    return _pivots_to_permutation(pivots, int(permutation_size))


def triangular_solve(a, b, *, left_side: bool = False, lower: bool = False,
                     transpose_a: bool = False, conjugate_a: bool = False,
                     unit_diagonal: bool = False):
    """x with op(a) @ x = b (left_side) or x @ op(a) = b, op transposing and/or conjugating
    a; only a's `lower` (or upper) triangle is read."""
    a = _la._square_matrix(a, "triangular_solve")
    a, b = _la._promote_float(a, b)
    if conjugate_a and dtypes.kind(get_aval(a).dtype) == "c":
        a = jnp.conj(a)
    if get_aval(b).ndim < 2:
        raise TypeError(f"triangular_solve requires b to have at least 2 dimensions, got "
                        f"shape {get_aval(b).shape}")
    if left_side:   # op(a) x = b
        if transpose_a:
            a, lower = _la._mT(a), not lower
        return _la._triangular_solve(a, b, lower=lower, unit_diagonal=unit_diagonal)
    # x op(a) = b  <=>  op(a)^T x^T = b^T
    if not transpose_a:
        a, lower = _la._mT(a), not lower
    x_t = _la._triangular_solve(a, _la._mT(b), lower=lower, unit_diagonal=unit_diagonal)
    return _la._mT(x_t)


def tridiagonal_solve(dl, d, du, b, *, perturb_singular: bool = False):
    """x with A @ x = b for tridiagonal A (dl[i] = A[i, i-1], d[i] = A[i, i], du[i] =
    A[i, i+1]; dl[0] and du[-1] are ignored), b (..., m, n): the Thomas algorithm, without
    pivoting."""
    if perturb_singular:
        raise NotImplementedError("lax.linalg.tridiagonal_solve: perturb_singular is not "
                                  "supported by irax")
    dl, d, du, b = (jnp.asarray(v) for v in (dl, d, du, b))
    m = get_aval(d).shape[-1]
    if get_aval(b).ndim < 2 or get_aval(b).shape[-2] != m or not (
            get_aval(dl).shape == get_aval(d).shape == get_aval(du).shape):
        raise ValueError(f"tridiagonal_solve: dl, d, du must have the same shape (..., m) and "
                         f"b shape (..., m, n); got {get_aval(dl).shape}, {get_aval(d).shape}, "
                         f"{get_aval(du).shape}, {get_aval(b).shape}")
    # forward sweep: c'[i] = du[i] / (d[i] - dl[i] c'[i-1]); b'[i] likewise
    c_prev = b_prev = None
    cs, bs = [], []
    for i in range(m):
        if i == 0:
            denom = d[..., 0]
            bi = b[..., 0, :]
        else:
            denom = d[..., i] - dl[..., i] * c_prev
            bi = b[..., i, :] - dl[..., i][..., None] * b_prev
        c_prev = du[..., i] / denom
        b_prev = bi / denom[..., None]
        cs.append(c_prev)
        bs.append(b_prev)
    xs = [bs[-1]]
    for i in range(m - 2, -1, -1):
        xs.append(bs[i] - cs[i][..., None] * xs[-1])
    return jnp.stack(xs[::-1], axis=-2)


def eig(x, *, compute_left_eigenvectors: bool = True, compute_right_eigenvectors: bool = True,
        enable_eigvec_derivs: bool = False, implementation=None, use_magma=None):
    """[w, vl, vr] (as asked for) of general square matrices: vl[:, j]^H x = w_j vl[:, j]^H,
    x vr[:, j] = w_j vr[:, j]; each vector of unit 2-norm with its largest entry real.
    Eigenvector derivatives are refused, as JAX without enable_eigvec_derivs."""
    del use_magma
    check_enum(implementation, EigImplementation, "eig implementation")
    from ..numpy._eig import check_square
    x = check_square(x, "eig")
    if not (compute_left_eigenvectors or compute_right_eigenvectors):
        return [_la.eigvals(x)]
    w, vl, vr = (_eig_differentiable if enable_eigvec_derivs else _eig_all)(x)
    return [w] + ([vl] if compute_left_eigenvectors else []) + (
        [vr] if compute_right_eigenvectors else [])


@custom_jvp
def _eig_all(x):
    from ..numpy import _eig
    return _eig.batched(_eig.eig_left_right_one, x, 3)


@_eig_all.defjvp
def _eig_all_jvp(primals, tangents):
    raise NotImplementedError(
        "Derivatives of non-symmetric eigenvectors are only valid under assumptions on the "
        "input that JAX cannot check (see the enable_eigvec_derivs argument to "
        "jax.lax.linalg.eig). Pass enable_eigvec_derivs=True to jax.lax.linalg.eig to opt "
        "in. See https://github.com/jax-ml/jax/issues/2748 for discussion.")


def _eigvec_tangent(w, v, da):
    """(dw, dv) for simple eigenvalues: with P = v^-1 da v, dw = diag(P) and dv_j = u_j +
    c_j v_j, u = v (F * P), F_ij = 1 / (w_j - w_i) off the diagonal; c_j keeps v_j's
    normalisation (unit norm: Re c_j = -Re(v_j^H u_j); real largest entry v_kj:
    Im c_j = -Im(u_kj) / v_kj)."""
    n = get_aval(w).shape[-1]
    off = ~np.eye(n, dtype=bool)
    gap = w[..., None, :] - w[..., :, None]
    f = jnp.where(off, 1 / jnp.where(off, gap, 1), 0)
    p = _la.solve(v, jnp.matmul(da, v))
    dw = _la._diagonal(p)
    u = jnp.matmul(v, f * p)
    big = jnp.argmax(jnp.real(v * jnp.conj(v)), axis=-2)
    at_k = np.arange(n)[:, None] == big[..., None, :]
    u_k = jnp.sum(jnp.where(at_k, u, 0), axis=-2)
    v_k = jnp.real(jnp.sum(jnp.where(at_k, v, 0), axis=-2))
    c = -jnp.real(jnp.sum(jnp.conj(v) * u, axis=-2)) - 1j * (jnp.imag(u_k) / v_k)
    return dw, u + v * c.astype(get_aval(v).dtype)[..., None, :]


@custom_jvp
def _eig_differentiable(x):
    from ..numpy import _eig
    return _eig.batched(_eig.eig_left_right_one, x, 3)


@_eig_differentiable.defjvp
def _eig_differentiable_jvp(primals, tangents):
    (x,), (dx,) = primals, tangents
    w, vl, vr = _eig_differentiable(x)
    dx = dx.astype(get_aval(vr).dtype)
    dw, dvr = _eigvec_tangent(w, vr, dx)
    # left eigenvectors are right eigenvectors of x^H, for the eigenvalues conj(w)
    _, dvl = _eigvec_tangent(jnp.conj(w), vl, jnp.conj(_la._mT(dx)))
    return (w, vl, vr), (dw, dvl, dvr)


def schur(x, *, compute_schur_vectors: bool = True, sort_eig_vals: bool = False,
          select_callable=None):
    """(T, Q) with x = Q T Q^H (T quasi-triangular for real x), or T alone."""
    if sort_eig_vals or select_callable is not None:
        raise NotImplementedError("lax.linalg.schur: sorting the eigenvalues is not "
                                  "supported by irax")
    from ..scipy._schur import schur as _schur
    t, q = _schur(x, output="real")
    return (t, q) if compute_schur_vectors else t


def hessenberg(a):
    """(a, taus) in LAPACK's packed form: the Hessenberg matrix on and above the first
    subdiagonal, reflector j's entries below it in column j (its entry j+1 is an implied
    1), H_j = I - taus[j] v_j v_j^H (real taus: irax's complex reflectors are Hermitian)."""
    from ..numpy import _eig
    a = _eig.check_square(a, "hessenberg")
    return _eig.batched(_eig.hessenberg_packed, a, 2)


def householder_product(a, taus):
    """H_0 H_1 ... H_{k-1} (its first n columns), H_i = I - taus[i] v_i v_i^H with v_i
    zero above row i, 1 at row i and a[i+1:, i] below."""
    a, taus = _la._promote_float(a, taus)
    m, n = get_aval(a).shape[-2:]
    k = get_aval(taus).shape[-1]
    if k > min(m, n) or m < n:
        raise ValueError(f"householder_product: need m >= n >= k; got a {get_aval(a).shape} "
                         f"and taus {get_aval(taus).shape}")
    rows = np.arange(m)
    q = jnp.broadcast_to(jnp.eye(m, dtype=get_aval(a).dtype), get_aval(a).shape[:-2] + (m, m))
    for i in reversed(range(k)):
        v = jnp.where(rows > i, a[..., :, i], jnp.where(rows == i, 1, 0).astype(
            get_aval(a).dtype))
        t = taus[..., i][..., None, None]
        q = q - t * v[..., :, None] * jnp.matmul(jnp.conj(v)[..., None, :], q)
    return q[..., :, :n]


def ormqr(a, taus, c, *, left: bool = True, transpose: bool = False):
    """Q @ c, Q^H @ c (transpose), c @ Q or c @ Q^H (left=False), Q = H_0 ... H_(k-1)
    from the reflectors below a's diagonal (LAPACK's geqrf layout) and taus."""
    a, taus, c = _la._promote_float(a, taus, c)
    m, n = get_aval(a).shape[-2:]
    k = get_aval(taus).shape[-1]
    if k > min(m, n):
        raise ValueError(f"ormqr: need k <= min(m, n); got a {get_aval(a).shape} and taus "
                         f"{get_aval(taus).shape}")
    # Q is m x m: only the k reflector columns matter, so pad a with zero columns
    a_k = a[..., :, :k]
    if k < m:
        a_k = jnp.concatenate([a_k, jnp.zeros(get_aval(a).shape[:-2] + (m, m - k),
                                              get_aval(a).dtype)], axis=-1)
    q = householder_product(a_k, taus)
    if transpose:
        q = jnp.conj(_la._mT(q))
    return jnp.matmul(q, c) if left else jnp.matmul(c, q)


def tridiagonal(a, *, lower: bool = True):
    """(a, d, e, taus) as LAPACK's sytrd with uplo='L' for real symmetric a (only its lower
    triangle is read): q^T a q = tridiagonal(d, e), the reflectors below the first
    subdiagonal of the returned a (the upper triangle is a's, as LAPACK leaves it)."""
    from ..numpy import _eig
    a = _la._square_matrix(a, "tridiagonal")
    if not lower:
        raise NotImplementedError("lax.linalg.tridiagonal: lower=False is not supported by "
                                  "irax")
    if dtypes.kind(get_aval(a).dtype) == "c":
        raise NotImplementedError("lax.linalg.tridiagonal: complex (Hermitian) input is not "
                                  "supported by irax")
    n = get_aval(a).shape[-1]
    low = np.tril(np.ones((n, n), bool))
    half = jnp.where(low, a, 0)
    sym = half + _la._mT(jnp.where(np.eye(n, dtype=bool), 0, half))
    packed, taus = _eig.batched(_eig.hessenberg_packed, sym, 2)
    d = _la._diagonal(packed)
    e = jnp.stack([packed[..., i + 1, i] for i in range(n - 1)], axis=-1) if n > 1 else \
        jnp.zeros(get_aval(a).shape[:-2] + (0,), get_aval(a).dtype)
    return jnp.where(low, packed, a), d, e, taus
