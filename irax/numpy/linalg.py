"""irax.numpy.linalg (jnp.linalg): factorizations and solvers written as unrolled small ops.

StableHLO has no LU, QR, eigh or SVD op (its cholesky and triangular_solve ops are not used:
their IREE support on every target is not established here), so each algorithm here runs
its n steps (n is static) as ordinary elementwise ops, reductions, small matrix products and
selects on the whole (..., n, n) batch: the compiled module has no loops, no host callbacks
and no data-dependent shapes, and grad / vmap come from the ops themselves. The code grows
as n^2 (or n^3 for the matrix products of QR), which suits the small matrices (covariances,
Jacobians) JAX programs factor inside jit.

Row pivoting (LU) selects the pivot row with argmax and swaps rows with where(), so the
derivative is the derivative of the factorization with that pivot order, as in JAX.
eigh (two-sided) and svd (one-sided) run cyclic Jacobi rotations for a fixed number of
sweeps; eigh's derivative is the closed form (distinct eigenvalues), as JAX's.
"""
from __future__ import annotations

import builtins
from typing import NamedTuple

import numpy as np

from ..tracer.core import get_aval
from ..tracer.custom import custom_jvp
from ._core import _broadcast_shapes, _to_float, asarray, broadcast_to
from .arrayops import cross  # noqa: F401  (jnp.linalg.cross, as NumPy 2)
from .contractions import matmul, outer, tensordot  # noqa: F401  (also in jnp.linalg)
from .creation import eye, zeros
from .elementwise import abs, conj, equal, log, power, real, sign, sqrt, square, where
from .reductions import argmax, sum
from .reductions import max as _amax
from .reductions import min as _amin
from .shapes import stack, swapaxes
from ..tracer import dtypes


class SlogdetResult(NamedTuple):
    sign: object
    logabsdet: object


class QRResult(NamedTuple):
    Q: object
    R: object


def _square_matrix(a, name: str):
    a = _to_float(asarray(a))
    shape = get_aval(a).shape
    if len(shape) < 2:
        raise ValueError(f"{name}: input must be at least two dimensional; got shape {shape}")
    if shape[-1] != shape[-2]:
        raise ValueError(f"{name}: input must be a (batch of) square matrices; got shape {shape}")
    return a


def _promote_float(*xs):
    xs = [_to_float(asarray(x)) for x in xs]
    dt = np.result_type(*[get_aval(x).dtype for x in xs])
    return [x.astype(dt) if get_aval(x).dtype != dt else x for x in xs]


def _mT(x):
    return swapaxes(x, -1, -2)


# ---------------------------------------------------------------- cholesky, triangular solve

def cholesky(a, *, upper: bool = False, symmetrize_input: bool = True):
    """Lower (or upper) Cholesky factor of Hermitian (real: symmetric) positive definite
    matrices (..., n, n), column by column: a = L @ L^H. Like JAX, a matrix that is not
    positive definite gives nan."""
    a = _square_matrix(a, "cholesky")
    cplx = dtypes.kind(get_aval(a).dtype) == "c"
    if symmetrize_input:
        a = (a + conj(_mT(a))) / 2
    n = get_aval(a).shape[-1]
    rows = np.arange(n)
    cols = []
    for j in range(n):
        col = a[..., :, j]
        if cols:
            done = stack(cols, axis=-1)                              # (..., n, j)
            col = col - sum(done * conj(done[..., j:j + 1, :]), axis=-1)
        # the diagonal is real: a negative pivot gives nan (not an imaginary root)
        d = sqrt(real(col[..., j])).astype(col.dtype) if cplx else sqrt(col[..., j])
        below = where(rows > j, col / d[..., None], 0)
        cols.append(where(rows == j, d[..., None], below))
    low = stack(cols, axis=-1)
    return _mT(low) if upper else low


def _triangular_solve(a, b, lower: bool, unit_diagonal: bool):
    """x with a @ x = b for triangular a (..., n, n) and b (..., n, k), row by row (forward
    substitution when lower, backward otherwise); the other triangle of a is ignored."""
    n = get_aval(a).shape[-1]
    batch = _broadcast_shapes(get_aval(a).shape[:-2], get_aval(b).shape[:-2])
    a = broadcast_to(a, batch + (n, n))
    b = broadcast_to(b, batch + get_aval(b).shape[-2:])
    rows = np.arange(n)
    x = zeros(get_aval(b).shape, get_aval(b).dtype)
    for i in (range(n) if lower else reversed(range(n))):
        known = rows < i if lower else rows > i
        row = where(known, a[..., i, :], 0)                             # (..., n)
        xi = b[..., i, :] - sum(row[..., :, None] * x, axis=-2)          # (..., k)
        if not unit_diagonal:
            xi = xi / a[..., i, i][..., None]
        x = where((rows == i)[:, None], xi[..., None, :], x)
    return x


def _as_matrix_rhs(b, name: str, n: int):
    """b as (..., n, k) and a function restoring b's own layout (vector rhs when b is 1-d)."""
    shape = get_aval(b).shape
    if len(shape) == 0:
        raise ValueError(f"{name}: b must be at least one dimensional; got a scalar")
    if len(shape) == 1:
        if shape[0] != n:
            raise ValueError(f"{name}: incompatible shapes: a is ({n}, {n}) and b is {shape}")
        return b[:, None], lambda x: x[..., 0]
    if shape[-2] != n:
        raise ValueError(f"{name}: incompatible shapes: a has {n} rows and b has shape {shape}")
    return b, lambda x: x


# ---------------------------------------------------------------- LU with partial pivoting

def _lu(a):
    """Packed LU of (..., m, n) with partial pivoting: (lu, pivots, permutation) where
    a[..., permutation, :] = L @ U, L unit lower (below lu's diagonal), U upper (on and
    above it), pivots[k] the row swapped with row k at step k (LAPACK's convention)."""
    shape = get_aval(a).shape
    m, n = shape[-2:]
    rows, cols = np.arange(m), np.arange(n)
    perm = broadcast_to(np.arange(m, dtype=np.int32), shape[:-2] + (m,))
    pivots = []
    for k in range(min(m, n)):
        candidates = where(rows >= k, abs(a[..., :, k]), -1)
        p = argmax(candidates, axis=-1).astype(np.int32)              # (...,)
        pivots.append(p)
        is_p = equal(rows, p[..., None])                                 # (..., m)
        row_p = sum(where(is_p[..., None], a, 0), axis=-2)
        a = where((rows == k)[:, None], row_p[..., None, :],
                  where(is_p[..., None], a[..., k:k + 1, :], a))
        perm_p = sum(where(is_p, perm, 0), axis=-1)
        perm = where(rows == k, perm_p[..., None], where(is_p, perm[..., k:k + 1], perm))
        pivot = a[..., k, k]
        safe = where(equal(pivot, 0), 1, pivot)       # a zero column: leave it, U is singular
        mult = where(rows > k, a[..., :, k] / safe[..., None], 0)       # (..., m)
        urow = where(cols > k, a[..., k, :], 0)                          # (..., n)
        a = a - mult[..., :, None] * urow[..., None, :]
        a = where((rows[:, None] > k) & (cols[None, :] == k), mult[..., :, None], a)
    piv = stack(pivots, axis=-1) if pivots else zeros(shape[:-2] + (0,), np.int32)
    return a, piv, perm


def _permute_rows(perm, b):
    """b[..., perm, :] for a batch of permutations, as a product with one-hot rows."""
    m = get_aval(perm).shape[-1]
    onehot = equal(perm[..., :, None], np.arange(m)).astype(get_aval(b).dtype)
    return matmul(onehot, b)


def _lu_solve(lu, perm, b):
    y = _triangular_solve(lu, _permute_rows(perm, b), lower=True, unit_diagonal=True)
    return _triangular_solve(lu, y, lower=False, unit_diagonal=False)


def solve(a, b):
    """x with a @ x = b; a (..., n, n), b (n,) or (..., n, k) (JAX's rule: only a 1-d b is a
    vector)."""
    a = _square_matrix(a, "solve")
    a, b = _promote_float(a, b)
    n = get_aval(a).shape[-1]
    b2, restore = _as_matrix_rhs(b, "solve", n)
    lu, _, perm = _lu(a)
    return restore(_lu_solve(lu, perm, b2))


def inv(a):
    a = _square_matrix(a, "inv")
    n = get_aval(a).shape[-1]
    lu, _, perm = _lu(a)
    return _lu_solve(lu, perm, eye(n, dtype=get_aval(a).dtype))


def _diagonal(x):
    n = min(get_aval(x).shape[-2:])
    return stack([x[..., i, i] for i in range(n)], axis=-1)


def _swap_sign(pivots):
    n = get_aval(pivots).shape[-1]
    swaps = sum((pivots != np.arange(n, dtype=np.int32)).astype(np.int32), axis=-1)
    return 1 - 2 * (swaps % 2)


def _product(xs):
    out = xs[0]
    for x in xs[1:]:
        out = out * x
    return out


def det(a):
    a = _square_matrix(a, "det")
    n = get_aval(a).shape[-1]
    if n == 0:
        return broadcast_to(asarray(1, get_aval(a).dtype), get_aval(a).shape[:-2])
    lu, piv, _ = _lu(a)
    diag = [lu[..., i, i] for i in range(n)]
    return _swap_sign(piv).astype(get_aval(a).dtype) * _product(diag)


def slogdet(a, *, method=None):
    a = _square_matrix(a, "slogdet")
    n = get_aval(a).shape[-1]
    dt = get_aval(a).dtype
    if n == 0:
        ones = broadcast_to(asarray(1, dt), get_aval(a).shape[:-2])
        return SlogdetResult(ones, ones * 0)
    lu, piv, _ = _lu(a)
    diag = _diagonal(lu)
    s = _swap_sign(piv).astype(dt) * _product([sign(lu[..., i, i]) for i in range(n)])
    return SlogdetResult(s, sum(log(abs(diag)), axis=-1))


# ---------------------------------------------------------------- QR (Householder)

def _householder_qr(a, complete: bool):
    """Q, R of (..., m, n) by Householder reflections with LAPACK's sign choice (R[j, j] =
    -sign(a_jj) * norm, and no reflection where the column is already zero below the
    diagonal), so the result matches NumPy/LAPACK."""
    shape = get_aval(a).shape
    m, n = shape[-2:]
    rows = np.arange(m)
    q = broadcast_to(eye(m, dtype=get_aval(a).dtype), shape[:-2] + (m, m))
    r = a
    for j in range(min(m - 1, n)):
        x0 = r[..., j, j]
        below = where(rows > j, r[..., :, j], 0)
        below2 = sum(square(below), axis=-1)
        reflect = below2 > 0
        norm = sqrt(where(reflect, below2, 1) + square(x0))
        beta = where(x0 >= 0, -norm, norm)
        v = where(rows == j, (x0 - beta)[..., None], below)              # (..., m)
        vv = sum(square(v), axis=-1)
        tau = where(reflect, 2 / where(reflect, vv, 1), 0)[..., None]
        r = r - (tau * v)[..., :, None] * matmul(v[..., None, :], r)
        q = q - matmul(q, v[..., :, None]) * (tau * v)[..., None, :]
    # entries below the diagonal are rounding noise of the reflections: make them exact zeros
    r = where(np.arange(m)[:, None] > np.arange(n)[None, :], 0, r)
    if not complete and m > n:
        q, r = q[..., :, :n], r[..., :n, :]
    return q, r


def qr(a, mode: str = "reduced"):
    if mode not in ("reduced", "complete", "r"):
        raise ValueError(f"Unsupported QR decomposition mode '{mode}'")
    a = _to_float(asarray(a))
    if get_aval(a).ndim < 2:
        raise ValueError(f"qr: input must be at least two dimensional; got shape "
                         f"{get_aval(a).shape}")
    q, r = _householder_qr(a, complete=mode == "complete")
    return r if mode == "r" else QRResult(q, r)


# ---------------------------------------------------------------- eigh, svd (Jacobi)

class EighResult(NamedTuple):
    eigenvalues: object
    eigenvectors: object


class SVDResult(NamedTuple):
    U: object
    S: object
    Vh: object


def _sweeps(x) -> int:
    # cyclic Jacobi converges quadratically once off-diagonal entries are small: this many
    # sweeps reach working precision for the small matrices this is meant for
    n = get_aval(x).shape[-1]
    return (6 if get_aval(x).dtype.itemsize <= 4 else 9) + builtins.max(0, n.bit_length() - 3)


def _rotation(d, g):
    """cos and sin of the Jacobi rotation zeroing g for half-difference d (no overflow: the
    textbook tau = d / g form would square 1/g)."""
    h2 = d * d + g * g
    zero = h2 == 0
    h = sqrt(where(zero, 1, h2))
    t = where(zero, 0, where(d >= 0, g, -g) / where(zero, 1, abs(d) + h))
    c = 1 / sqrt(1 + t * t)
    return c, t * c


def _givens(c, s, p: int, q: int, n: int):
    """The (..., n, n) rotation equal to the identity but for [[c, s], [-s, c]] in rows and
    columns p, q: applying it is one matrix product (fewer ops than updating two columns)."""
    both = np.zeros((n, n))
    both[p, p] = both[q, q] = 1
    anti = np.zeros((n, n))
    anti[p, q], anti[q, p] = 1, -1
    dt = get_aval(c).dtype
    return (eye(n, dtype=dt) + (c - 1)[..., None, None] * both.astype(dt)
            + s[..., None, None] * anti.astype(dt))


def _sort_columns(values, vectors, descending: bool):
    """Sort values (a list of (...,) arrays) with the matching columns of vectors, by a
    static compare-exchange network (n(n-1)/2 selects, no data-dependent indexing)."""
    n = len(values)
    cols = [vectors[..., :, i] for i in range(n)]
    for i in range(n):
        for j in range(n - 1 - i):
            swap = values[j] < values[j + 1] if descending else values[j] > values[j + 1]
            values[j], values[j + 1] = (where(swap, values[j + 1], values[j]),
                                        where(swap, values[j], values[j + 1]))
            sw = swap[..., None]
            cols[j], cols[j + 1] = where(sw, cols[j + 1], cols[j]), where(sw, cols[j], cols[j + 1])
    return stack(values, axis=-1), stack(cols, axis=-1)


def _jacobi_eigh(a):
    n = get_aval(a).shape[-1]
    v = broadcast_to(eye(n, dtype=get_aval(a).dtype), get_aval(a).shape)
    for _ in range(_sweeps(a)):
        for p in range(n):
            for q in range(p + 1, n):
                c, s = _rotation((a[..., q, q] - a[..., p, p]) / 2, a[..., p, q])
                g = _givens(c, s, p, q, n)
                a = matmul(_mT(g), matmul(a, g))
                v = matmul(v, g)
    return _sort_columns([a[..., i, i] for i in range(n)], v, descending=False)


@custom_jvp
def _eigh_symmetric(a):
    return _jacobi_eigh(a)


@_eigh_symmetric.defjvp
def _eigh_jvp(primals, tangents):
    (a,), (da,) = primals, tangents
    w, v = _eigh_symmetric(a)
    vdv = matmul(_mT(v), matmul(da, v))
    gap = w[..., None, :] - w[..., :, None]                    # gap[i, j] = w_j - w_i
    same = gap == 0
    f = where(same, 0, 1 / where(same, 1, gap))
    return (w, v), (_diagonal(vdv), matmul(v, f * vdv))


def eigh(a, UPLO=None, symmetrize_input: bool = True):
    """Eigenvalues (ascending) and eigenvectors (columns) of symmetric matrices, by cyclic
    Jacobi with a fixed sweep count; the derivative is the closed form (distinct
    eigenvalues), as JAX's."""
    a = _square_matrix(a, "eigh")
    if UPLO not in (None, "L", "U"):
        raise ValueError(f"UPLO must be 'L' or 'U', got {UPLO!r}")
    if symmetrize_input:
        a = (a + _mT(a)) / 2
    else:
        n = get_aval(a).shape[-1]
        keep = np.tril(np.ones((n, n), bool)) if UPLO in (None, "L") else \
            np.triu(np.ones((n, n), bool))
        half = where(keep, a, 0)
        a = half + _mT(where(np.eye(n, dtype=bool), 0, half))
    w, v = _eigh_symmetric(a)
    return EighResult(w, v)


def eigvalsh(a, UPLO="L"):
    return eigh(a, UPLO=UPLO).eigenvalues


def _jacobi_svd(a):
    """One-sided (Hestenes) Jacobi on the columns of a (..., m, n), m >= n: rotate column
    pairs until orthogonal; then s = column norms, u = columns / s, a = u diag(s) v^T.
    Small singular values come out accurately (unlike eigh of a^T a)."""
    n = get_aval(a).shape[-1]
    v = broadcast_to(eye(n, dtype=get_aval(a).dtype), get_aval(a).shape[:-2] + (n, n))
    for _ in range(_sweeps(v)):
        for p in range(n):
            for q in range(p + 1, n):
                up, uq = a[..., :, p], a[..., :, q]
                d = (sum(uq * uq, axis=-1) - sum(up * up, axis=-1)) / 2
                c, s = _rotation(d, sum(up * uq, axis=-1))
                g = _givens(c, s, p, q, n)
                a, v = matmul(a, g), matmul(v, g)
    norms2 = sum(square(a), axis=-2)                                   # (..., n)
    zero = norms2 == 0
    s = where(zero, 0, sqrt(where(zero, 1, norms2)))
    u = a / where(zero, 1, s)[..., None, :]
    s, uv = _sort_columns([s[..., i] for i in range(n)],
                          _concat_rows(u, v), descending=True)
    m = get_aval(a).shape[-2]
    return uv[..., :m, :], s, uv[..., m:, :]


def _concat_rows(x, y):
    from .shapes import concatenate
    return concatenate([x, y], axis=-2)


def svd(a, full_matrices: bool = True, compute_uv: bool = True, hermitian: bool = False,
        subset_by_index=None):
    a = _to_float(asarray(a))
    shape = get_aval(a).shape
    if len(shape) < 2:
        raise ValueError(f"svd: input must be at least two dimensional; got shape {shape}")
    m, n = shape[-2:]
    if m < n:
        out = svd(_mT(a), full_matrices, compute_uv)
        return SVDResult(_mT(out.Vh), out.S, _mT(out.U)) if compute_uv else out
    u, s, v = _jacobi_svd(a)
    if not compute_uv:
        return s
    if full_matrices and m > n:
        # complete u with an orthonormal basis of the complement of its span
        q, _ = _householder_qr(u, complete=True)
        from .shapes import concatenate
        u = concatenate([u, q[..., :, n:]], axis=-1)
    return SVDResult(u, s, _mT(v))


def matrix_rank(M, rtol=None, *, tol=None):
    M = _to_float(asarray(M))
    if get_aval(M).ndim < 2:
        return (sum((M != 0).astype(np.int32)) > 0).astype(np.int32)
    s = svd(M, compute_uv=False)
    if tol is None:
        if rtol is None:
            rtol = builtins.max(*get_aval(M).shape[-2:]) * np.finfo(get_aval(M).dtype).eps
        tol = s[..., :1] * rtol
    else:
        tol = asarray(tol)[..., None]
    return sum((s > tol).astype(np.int32), axis=-1)


def lstsq(a, b, rcond=None, *, numpy_resid: bool = False):
    """Least squares through the SVD: (x, residuals, rank, s) as NumPy, except that the
    residuals (squared norms per column of b) are always returned, where NumPy gives an
    empty array unless a is tall and of full rank (as JAX with numpy_resid=False)."""
    a, b = _promote_float(a, b)
    m, n = get_aval(a).shape[-2:]
    if get_aval(a).ndim != 2:
        raise ValueError(f"lstsq: a must be two dimensional; got shape {get_aval(a).shape}")
    if get_aval(b).shape[0] != m:
        raise ValueError("Leading dimensions of input arrays must match")
    vector = get_aval(b).ndim == 1
    b2 = b[:, None] if vector else b
    u, s, vh = svd(a, full_matrices=False)
    if rcond is None:
        rcond = np.finfo(get_aval(a).dtype).eps * builtins.max(m, n)
    keep = s > rcond * s[..., :1]
    s_inv = where(keep, 1 / where(keep, s, 1), 0)
    x = matmul(_mT(vh), s_inv[:, None] * matmul(_mT(u), b2))
    rank = sum(keep.astype(np.int32))
    resid = sum(square(matmul(a, x) - b2), axis=0)
    if vector:
        x = x[:, 0]
    return x, resid, rank, s


# ---------------------------------------------------------------- products and norms

def matrix_power(a, n: int):
    a = _square_matrix(a, "matrix_power")
    if not isinstance(n, (int, np.integer)):
        raise TypeError(f"matrix_power: exponent must be an integer, got {n!r}")
    if n == 0:
        m = get_aval(a).shape[-1]
        return broadcast_to(eye(m, dtype=get_aval(a).dtype), get_aval(a).shape)
    if n < 0:
        a, n = inv(a), -n
    result, base = None, a
    while n:                                    # binary powering: log2(n) products
        if n & 1:
            result = base if result is None else matmul(result, base)
        n >>= 1
        if n:
            base = matmul(base, base)
    return result


def multi_dot(arrays, *, precision=None):
    arrays = list(arrays)
    if len(arrays) < 2:
        raise ValueError("multi_dot: expecting at least two arrays")
    out = arrays[0]
    for x in arrays[1:]:
        out = matmul(out, x)
    return out


def pinv(a, rtol=None, hermitian: bool = False):
    """Pseudo-inverse through the SVD: singular values below rtol * largest are dropped."""
    a = _to_float(asarray(a))
    m, n = get_aval(a).shape[-2:]
    u, s, vh = svd(a, full_matrices=False)
    if rtol is None:
        rtol = builtins.max(m, n) * np.finfo(get_aval(a).dtype).eps
    keep = s > rtol * s[..., :1]
    s_inv = where(keep, 1 / where(keep, s, 1), 0)
    return matmul(_mT(vh) * s_inv[..., None, :], _mT(u))


def norm(x, ord=None, axis=None, keepdims: bool = False):
    x = _to_float(asarray(x))
    xa = get_aval(x)
    if ord is None or ord == 2 and (axis is not None and isinstance(axis, int)
                                    or xa.ndim == 1) or ord == "fro":
        return sqrt(sum(square(x), axis, keepdims=keepdims))
    if ord == 1 and (xa.ndim == 1 or isinstance(axis, int)):
        return sum(abs(x), axis, keepdims=keepdims)
    if ord in (np.inf, "inf") and (xa.ndim == 1 or isinstance(axis, int)):
        return _amax(abs(x), axis, keepdims=keepdims)
    if ord == -np.inf and (xa.ndim == 1 or isinstance(axis, int)):
        return _amin(abs(x), axis, keepdims=keepdims)
    if ord == 0 and (xa.ndim == 1 or isinstance(axis, int)):
        return sum((x != 0).astype(xa.dtype), axis, keepdims=keepdims)
    if isinstance(ord, (int, float)) and (xa.ndim == 1 or isinstance(axis, int)):
        return power(sum(power(abs(x), float(ord)), axis, keepdims=keepdims), 1.0 / ord)
    # matrix norms over the last two axes (or the two named)
    if ord in (2, -2, "nuc") and (axis is None and xa.ndim == 2 or axis in ((-2, -1), (0, 1))
                                  and xa.ndim == 2 or axis == (-2, -1)):
        sv = svd(x, compute_uv=False)
        out = sum(sv, -1) if ord == "nuc" else sv[..., 0] if ord == 2 else sv[..., -1]
        return out[..., None, None] if keepdims else out
    if ord in (1, -1, np.inf, -np.inf) and (axis is None and xa.ndim == 2 or
                                             isinstance(axis, tuple) and len(axis) == 2):
        r, c = axis if axis is not None else (0, 1)
        r, c = r % xa.ndim, c % xa.ndim
        if ord in (1, -1):
            sums = sum(abs(x), r, keepdims=True)
            out = (_amax if ord == 1 else _amin)(sums, c, keepdims=True)
        else:
            sums = sum(abs(x), c, keepdims=True)
            out = (_amax if ord == np.inf else _amin)(sums, r, keepdims=True)
        from .shapes import squeeze
        return out if keepdims else squeeze(out, (r, c))
    raise NotImplementedError(f"irax.numpy.linalg.norm with ord={ord!r} on a "
                              f"{xa.ndim}-d array")


# ---------------------------------------------------------------- array-API names (NumPy 2)

def matrix_transpose(x):
    x = asarray(x)
    if get_aval(x).ndim < 2:
        raise ValueError(f"matrix_transpose: input must be at least two dimensional; got shape "
                         f"{get_aval(x).shape}")
    return _mT(x)


def svdvals(x):
    return svd(x, compute_uv=False)


def cond(x, p=None):
    """Condition number; the default (2-norm) is the ratio of extreme singular values."""
    if p is None or p == 2:
        s = svdvals(x)
        return s[..., 0] / s[..., -1]
    return norm(x, ord=p, axis=(-2, -1)) * norm(inv(x), ord=p, axis=(-2, -1))


def vector_norm(x, /, *, axis=None, keepdims: bool = False, ord=2):
    x = _to_float(asarray(x))
    if axis is None:
        from .shapes import ravel
        out = norm(ravel(x), ord=ord)
        return broadcast_to(out, (1,) * get_aval(x).ndim) if keepdims else out
    return norm(x, ord=ord, axis=axis, keepdims=keepdims)


def matrix_norm(x, /, *, keepdims: bool = False, ord="fro"):
    return norm(x, ord=ord, axis=(-2, -1), keepdims=keepdims)


def diagonal(x, /, *, offset: int = 0):
    """The offset diagonal of the last two axes, for any batch."""
    x = asarray(x)
    m, n = get_aval(x).shape[-2:]
    first, last = builtins.max(0, -offset), builtins.min(m, n - offset)
    if last <= first:
        return zeros(get_aval(x).shape[:-2] + (0,), get_aval(x).dtype)
    return stack([x[..., i, i + offset] for i in range(first, last)], axis=-1)


def trace(x, /, *, offset: int = 0, dtype=None):
    return sum(diagonal(x, offset=offset), axis=-1)


def vecdot(x1, x2, /, *, axis: int = -1):
    x1, x2 = _promote_float(x1, x2)
    return sum(x1 * x2, axis=axis)


def tensorinv(a, ind: int = 2):
    """The inverse of a seen as a matrix of its first `ind` axes by the rest."""
    a = _to_float(asarray(a))
    shape = get_aval(a).shape
    rows, cols = int(np.prod(shape[:ind])), int(np.prod(shape[ind:]))
    if ind <= 0 or rows != cols:
        raise ValueError(f"tensorinv: the first {ind} axes of shape {shape} must have as many "
                         f"entries as the others")
    return inv(a.reshape(rows, cols)).reshape(shape[ind:] + shape[:ind])


def tensorsolve(a, b, axes=None):
    """x with tensordot(a, x, x.ndim) = b."""
    a, b = _promote_float(a, b)
    if axes is not None:
        from .shapes import moveaxis
        a = moveaxis(a, axes, [get_aval(a).ndim - len(axes) + i for i in range(len(axes))])
    b_shape, a_shape = get_aval(b).shape, get_aval(a).shape
    x_shape = a_shape[len(b_shape):]
    rows, cols = int(np.prod(b_shape)), int(np.prod(x_shape))
    if a_shape[:len(b_shape)] != b_shape or rows != cols:
        raise ValueError(f"tensorsolve: shapes {a_shape} and {b_shape} do not form a square "
                         f"system")
    return solve(a.reshape(rows, cols), b.reshape(rows)).reshape(x_shape)


# ---------------------------------------------------------------- eig (non-symmetric)

class EigResult(NamedTuple):
    eigenvalues: object
    eigenvectors: object


def _eig_vectors(a):
    from . import _eig
    return _eig.batched(_eig.eig_one, a, 2)


@custom_jvp
def _eig(a):
    return _eig_vectors(a)


@_eig.defjvp
def _eig_jvp(primals, tangents):
    raise NotImplementedError(
        "Derivatives of non-symmetric eigenvectors are only valid under assumptions on the "
        "input that JAX cannot check (see the enable_eigvec_derivs argument to "
        "jax.lax.linalg.eig). Pass enable_eigvec_derivs=True to jax.lax.linalg.eig to opt "
        "in. See https://github.com/jax-ml/jax/issues/2748 for discussion.")


@custom_jvp
def _eigvals(a):
    from . import _eig
    return _eig.batched(_eig.eigvals_one, a, 1)


@_eigvals.defjvp
def _eigvals_jvp(primals, tangents):
    # first-order perturbation of simple eigenvalues: dw_j = (V^-1 dA V)_jj
    (a,), (da,) = primals, tangents
    w, v = _eig_vectors(a)
    da = da.astype(get_aval(v).dtype)
    return w, sum(solve(v, da) * _mT(v), axis=-1)


def eig(a):
    """Eigenvalues and right eigenvectors (columns) of general square matrices (..., n, n),
    complex64 for 32-bit input and complex128 for 64-bit input, as JAX; each vector has unit
    2-norm and its largest-modulus entry real (LAPACK's geev). Derivatives of the
    eigenvectors are not supported (as JAX)."""
    from ._eig import check_square
    w, v = _eig(check_square(a, "eig"))
    return EigResult(w, v)


def eigvals(a):
    """Eigenvalues of general square matrices (complex, as JAX); differentiable for simple
    eigenvalues."""
    from ._eig import check_square
    return _eigvals(check_square(a, "eig"))
