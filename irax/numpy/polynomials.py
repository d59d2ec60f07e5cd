"""irax.numpy polynomials and 1-D signal products: polyval, polyfit, vander, convolve,
correlate.

polyfit solves its least-squares problem with a modified Gram-Schmidt QR written in array
operations (the degree is static, so the loops unroll); it assumes the scaled Vandermonde
matrix has full rank, and it does not return the SVD extras of full=True. Built from the
primitives of the sections before it; nothing here adds a primitive."""
from __future__ import annotations

import operator
import numpy as np

from ..tracer.core import Array, get_aval
from ..tracer.prims import elementwise as ew
from ..tracer.prims import indexing as ix
from ..tracer.prims import shape as sh
from ._core import _broadcast_shapes, _dt, _promote, _static, asarray
from .elementwise import multiply, sqrt, true_divide
from .reductions import sum
from .shapes import flip, reshape, stack
from .indexing import getitem
from .contractions import dot, matmul
from .arrayops import _promote_dtype_only
from .statistics import _promote_dtypes_inexact


def polyval(p, x, *, unroll: int = 16):
    p, x = _promote_dtype_only(p, x)
    pa, xa = get_aval(p), get_aval(x)
    if pa.ndim == 0:
        raise ValueError("polyval: p must have at least one dimension (the coefficients)")
    shape = _broadcast_shapes(pa.shape[1:], xa.shape)
    y = sh.full(shape, 0, xa.dtype, xa.weak_type)
    # Horner's rule, highest power first; the coefficient count is static
    for i in range(pa.shape[0]):
        y = ew.add(*_promote(multiply(y, x), getitem(p, i)))
    return y


def vander(x, N=None, increasing: bool = False):
    x = asarray(x)
    xa = get_aval(x)
    if xa.ndim != 1:
        raise ValueError("x must be a one-dimensional array")
    n = xa.shape[0] if N is None else operator.index(_static(N, "'N' argument of vander"))
    if n < 0:
        raise ValueError("N must be nonnegative")
    if n == 0:
        return sh.full((xa.shape[0], 0), 0, xa.dtype)
    # successive products (not pow) keep negative x exact and integers integral
    cols = [sh.full(xa.shape, 1, xa.dtype, xa.weak_type)]
    for _ in range(n - 1):
        cols.append(ew.mul(cols[-1], x))
    out = stack(cols, axis=1)
    return out if increasing else flip(out, 1)


# ---------------------------------------------------------------------------
# least squares for polyfit


def _back_substitute(R, Y):
    """Solve R X = Y for upper-triangular R (k, k), Y (k, r)."""
    k = get_aval(R).shape[0]
    rows = [None] * k
    for j in range(k - 1, -1, -1):
        acc = getitem(Y, j)
        for i in range(j + 1, k):
            acc = ew.sub(acc, ew.mul(*_promote(getitem(R, (j, i)), rows[i])))
        rows[j] = ew.div(*_promote(acc, getitem(R, (j, j))))
    return stack(rows)


def _qr_least_squares(A, B):
    """Least-squares solution of A X = B (A (n, k) full rank, B (n, r)) by modified
    Gram-Schmidt with one re-orthogonalisation pass, applied to B as it goes.
    Returns (X, R, residual sum of squares per column)."""
    n, k = get_aval(A).shape
    qs, z = [], []
    R = [[None] * k for _ in range(k)]
    b = B
    for j in range(k):
        v = getitem(A, (slice(None), j))
        coeff = [sh.full((), 0, get_aval(A).dtype)] * j
        for _ in range(2):          # "twice is enough" against lost orthogonality
            for i in range(j):
                r = dot(qs[i], v)
                coeff[i] = ew.add(coeff[i], r)
                v = ew.sub(v, ew.mul(*_promote(r, qs[i])))
        norm = sqrt(dot(v, v))
        q = ew.div(*_promote(v, norm))
        qs.append(q)
        for i in range(k):
            R[i][j] = coeff[i] if i < j else (norm if i == j else
                                             sh.full((), 0, get_aval(A).dtype))
        zj = dot(q, b)                               # (r,)
        b = ew.sub(b, multiply(reshape(q, (n, 1)), reshape(zj, (1, -1))))
        z.append(zj)
    Rm = stack([stack(row) for row in R])
    X = _back_substitute(Rm, stack(z))
    return X, Rm, sum(ew.mul(b, b), 0)


def polyfit(x, y, deg: int, rcond=None, full: bool = False, w=None, cov=False):
    deg = operator.index(_static(deg, "polyfit deg"))
    x, y = _promote_dtypes_inexact(x, y)
    xa, ya = get_aval(x), get_aval(y)
    if deg < 0:
        raise ValueError("expected deg >= 0")
    if xa.ndim != 1:
        raise TypeError("expected 1D vector for x")
    if xa.shape[0] == 0:
        raise TypeError("expected non-empty vector for x")
    if ya.ndim < 1 or ya.ndim > 2:
        raise TypeError("expected 1D or 2D array for y")
    if xa.shape[0] != ya.shape[0]:
        raise TypeError("expected x and y to have same length")
    if full:
        raise NotImplementedError("irax.numpy.polyfit(full=True) needs the singular values "
                                  "of the Vandermonde matrix (an SVD), which irax lacks")
    order = deg + 1
    n = xa.shape[0]
    lhs = vander(x, order)
    rhs = y if ya.ndim == 2 else reshape(y, (n, 1))
    if w is not None:
        (w,) = _promote_dtypes_inexact(w)
        if get_aval(w).ndim != 1:
            raise TypeError("expected a 1-d array for weights")
        if get_aval(w).shape[0] != n:
            raise TypeError("expected w and y to have the same length")
        lhs = multiply(lhs, reshape(w, (n, 1)))
        rhs = multiply(rhs, reshape(w, (n, 1)))
    # unit-norm columns improve the conditioning (as NumPy does)
    scale = sqrt(sum(ew.mul(lhs, lhs), 0))
    lhs = true_divide(lhs, reshape(scale, (1, order)))
    coef, R, resids = _qr_least_squares(lhs, rhs)
    coef = true_divide(coef, reshape(scale, (order, 1)))
    if ya.ndim == 1:
        coef = reshape(coef, (order,))
    if not cov:
        return coef
    # inv(lhs^T lhs) = R^-1 R^-T, then undo the column scaling
    Rinv = _back_substitute(R, Array(np.eye(order, dtype=get_aval(R).dtype)))
    base = true_divide(matmul(Rinv, sh.transpose(Rinv, (1, 0))),
                       multiply(reshape(scale, (order, 1)), reshape(scale, (1, order))))
    if cov == "unscaled":
        fac = sh.full((1,), 1, get_aval(base).dtype)
    else:
        if n <= order:
            raise ValueError("the number of data points must exceed order to scale the "
                             "covariance matrix")
        fac = true_divide(resids, n - order)
    if ya.ndim == 1:
        return coef, multiply(base, reshape(fac, (1, 1)))
    return coef, multiply(reshape(base, (order, order, 1)), reshape(fac, (1, 1, -1)))


# ---------------------------------------------------------------------------
# convolution and correlation of 1-D arrays


def _conv(x, y, mode: str, op: str, preferred_element_type):
    x, y = asarray(x), asarray(y)
    if get_aval(x).ndim != 1 or get_aval(y).ndim != 1:
        raise ValueError(f"{op}() only support 1-dimensional inputs.")
    if preferred_element_type is None:
        x, y = _promote_dtypes_inexact(x, y)
    else:
        x, y = _promote_dtype_only(x, y)
    n, m = get_aval(x).shape[0], get_aval(y).shape[0]
    if n == 0 or m == 0:
        raise ValueError(f"{op}: inputs cannot be empty, got shapes {get_aval(x).shape} and "
                         f"{get_aval(y).shape}.")
    reverse_out = False
    if n < m:
        x, y, n, m = y, x, m, n
        reverse_out = op == "correlate"
    if op == "convolve":
        y = flip(y)
    if mode == "valid":
        lo, hi = 0, 0
    elif mode == "same":
        lo, hi = m // 2, m - m // 2 - 1
    elif mode == "full":
        lo, hi = m - 1, m - 1
    else:
        raise ValueError("mode must be one of ['full', 'same', 'valid']")
    xa = get_aval(x)
    xp = sh.pad(x, sh.full((), 0, xa.dtype), ((lo, hi, 0),))
    length = n + lo + hi - m + 1
    # out[k] = sum_j xp[k + j] * y[j]: gather the (length, m) windows, contract with y
    windows = Array((np.arange(length)[:, None] + np.arange(m)[None, :]).astype(np.int32))
    out = dot(ix.gather(xp, windows, 0), y)
    if reverse_out:
        out = flip(out)
    if preferred_element_type is not None:
        out = ew.convert_element_type(out, _dt(preferred_element_type), False)
    return out


def convolve(a, v, mode: str = "full", *, precision=None, preferred_element_type=None):
    return _conv(a, v, mode, "convolve", preferred_element_type)


def correlate(a, v, mode: str = "valid", *, precision=None, preferred_element_type=None):
    return _conv(a, v, mode, "correlate", preferred_element_type)
