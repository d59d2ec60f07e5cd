"""The special-matrix constructors of jax.scipy.linalg (toeplitz, hankel, circulant, leslie,
companion, fiedler, block_diag, convolution_matrix, hilbert, pascal, helmert, hadamard,
dft, ...).

Matrices built from array arguments are gathers with static (NumPy) index tables, so they
trace, differentiate and batch like any gather; leading axes are batch axes, broadcast
against each other as JAX's `jnp.vectorize` does. Matrices that depend only on a static
size are computed exactly on the host (integer arithmetic) and returned as a constant of
JAX's dtype: JAX evaluates pascal / invpascal / invhilbert through lgamma in floating point
and is off in the last digits, irax returns SciPy's exact values.
"""
from __future__ import annotations

import math
import operator

import numpy as np

from .. import numpy as jnp
from ..tracer.core import get_aval
from ._helpers import promote_inexact
from ..tracer import dtypes

__all__ = ["block_diag", "circulant", "companion", "convolution_matrix", "dft", "fiedler",
           "fiedler_companion", "hadamard", "hankel", "helmert", "hilbert", "invhilbert",
           "invpascal", "leslie", "pascal", "toeplitz"]


def _check_arraylike(name: str, *args):
    for i, a in enumerate(args):
        if isinstance(a, (list, tuple, str)) or a is None:
            raise TypeError(f"{name} requires ndarray or scalar arguments, got "
                            f"{type(a).__name__} at position {i}.")


def _shape(x):
    return get_aval(x).shape


def _default_float():
    return jnp.zeros((), dtype=float).dtype


def _default_int():
    return jnp.zeros((), dtype=int).dtype


def _batch_together(*vectors):
    """Broadcast the leading (batch) axes of several stacks of vectors, keeping each one's
    own last axis, and promote them to one dtype."""
    dtype = jnp.result_type(*vectors)
    vectors = [v.astype(dtype) for v in vectors]
    batch = np.broadcast_shapes(*(_shape(v)[:-1] for v in vectors))
    return [jnp.broadcast_to(v, batch + _shape(v)[-1:]) for v in vectors]


def _gather_last(v, index):
    """v[..., index] for a static integer table `index` (the output has index's shape as
    its trailing axes)."""
    return jnp.take(v, np.asarray(index, dtype=np.int32), axis=-1)


def toeplitz(c, r=None):
    """The Toeplitz matrix with first column c and first row r (r[0] is ignored); r
    defaults to conj(c), giving a Hermitian matrix."""
    if r is None:
        _check_arraylike("toeplitz", c)
        r = jnp.conjugate(jnp.asarray(c))
    else:
        _check_arraylike("toeplitz", c, r)
    c, r = jnp.atleast_1d(jnp.asarray(c)), jnp.atleast_1d(jnp.asarray(r))
    c, r = _batch_together(c, r)
    m, n = _shape(c)[-1], _shape(r)[-1]
    if m == 0 or n == 0:
        return jnp.zeros(_shape(c)[:-1] + (m, n), dtype=get_aval(c).dtype)
    # elems = c reversed, then r[1:]; entry (i, j) is c[i - j] below the diagonal, r[j - i]
    # on and above it, i.e. elems[m - 1 - i + j]
    elems = jnp.concatenate([jnp.flip(c, axis=-1), r[..., 1:]], axis=-1)
    return _gather_last(elems, m - 1 - np.arange(m)[:, None] + np.arange(n)[None, :])


def hankel(c, r=None):
    """The Hankel matrix with first column c and last row r (r[0] is ignored); r defaults
    to zeros."""
    if r is None:
        _check_arraylike("hankel", c)
        c = jnp.asarray(c)
        r = jnp.zeros_like(c)
    else:
        _check_arraylike("hankel", c, r)
        c, r = jnp.asarray(c), jnp.asarray(r)
    if get_aval(c).ndim == 0:
        raise ValueError("hankel: c must be at least 1-dimensional, got a scalar.")
    if get_aval(r).ndim == 0:
        raise ValueError("hankel: r must be at least 1-dimensional, got a scalar.")
    c, r = _batch_together(c, r)
    m, n = _shape(c)[-1], _shape(r)[-1]
    if m == 0 or n == 0:
        return jnp.zeros(_shape(c)[:-1] + (m, n), dtype=get_aval(c).dtype)
    v = jnp.concatenate([c, r[..., 1:]], axis=-1)
    return _gather_last(v, np.arange(m)[:, None] + np.arange(n)[None, :])


def circulant(c):
    """The circulant matrix whose first column is c: entry (i, j) is c[(i - j) mod n]."""
    _check_arraylike("circulant", c)
    c = jnp.atleast_1d(jnp.asarray(c))
    n = _shape(c)[-1]
    return _gather_last(c, (np.arange(n)[:, None] - np.arange(n)[None, :]) % max(n, 1))


def leslie(f, s):
    """The Leslie matrix: fecundities f in the first row, survival rates s on the
    subdiagonal."""
    _check_arraylike("leslie", f, s)
    f, s = jnp.atleast_1d(jnp.asarray(f)), jnp.atleast_1d(jnp.asarray(s))
    if _shape(f)[-1] < 2:
        raise ValueError("The length of f along the last axis must be at least 2; "
                         f"got shape {_shape(f)}.")
    if _shape(s)[-1] != _shape(f)[-1] - 1:
        raise ValueError("Incorrect lengths for f and s. The length of s along the last axis "
                         f"must be one less than the length of f; got f shape {_shape(f)} "
                         f"and s shape {_shape(s)}.")
    f, s = _batch_together(f, s)
    n = _shape(f)[-1]
    rows, cols = np.arange(n)[:, None], np.arange(n)[None, :]
    # column j of the subdiagonal holds s[j] (the last column has none)
    s_by_col = _gather_last(s, np.minimum(np.arange(n), n - 2))
    sub = jnp.where(rows == cols + 1, s_by_col[..., None, :], 0)
    return jnp.where(rows == 0, f[..., None, :], sub).astype(get_aval(f).dtype)


def companion(a):
    """The companion matrix of the polynomial with coefficients a (highest power first):
    first row -a[1:] / a[0], ones on the subdiagonal."""
    a = jnp.atleast_1d(promote_inexact("companion", a))
    if _shape(a)[-1] < 2:
        raise ValueError("The length of `a` along the last axis must be at least 2; "
                         f"got shape {_shape(a)}.")
    m = _shape(a)[-1] - 1
    first_row = -a[..., 1:] / a[..., :1]
    eye_sub = np.eye(m, m, k=-1, dtype=get_aval(a).dtype)
    return jnp.where(np.arange(m)[:, None] == 0, first_row[..., None, :], eye_sub)


def fiedler(a):
    """The symmetric Fiedler matrix |a[i] - a[j]|."""
    _check_arraylike("fiedler", a)
    a = jnp.atleast_1d(jnp.asarray(a))
    return jnp.abs(a[..., :, None] - a[..., None, :])


def fiedler_companion(a):
    """Fiedler's pentadiagonal companion matrix of the polynomial a (highest power first),
    which has the same eigenvalues as companion(a)."""
    a = jnp.atleast_1d(promote_inexact("fiedler_companion", a))
    if _shape(a)[-1] == 0:
        raise ValueError("fiedler_companion requires the last axis of 'a' to have nonzero "
                         f"length, but got an array of shape {_shape(a)}.")
    n = _shape(a)[-1] - 1
    dt = get_aval(a).dtype
    if n == 0:
        return jnp.zeros(_shape(a)[:-1] + (0, 0), dtype=dt)
    a = a / a[..., :1]
    if n == 1:
        return -a[..., 1:, None]
    # the layout, as SciPy builds it: c[0, 0] = -a1, c[1, 0] = 1; on even rows i,
    # c[i, i+1] = -a[i+2], c[i, i+2] = 1 and (i >= 2) c[i, i-1] = -a[i+1]; on odd rows
    # i >= 3, c[i, i-2] = 1. Entries come from a table of indices into [-a, 0, 1].
    table = np.full((n, n), n + 1)                     # index n+1: the constant 0
    one = n + 2
    table[0, 0], table[1, 0] = 1, one
    for i in range(0, n, 2):
        if i + 1 < n:
            table[i, i + 1] = i + 2
        if i + 2 < n:
            table[i, i + 2] = one
        if i >= 2:
            table[i, i - 1] = i + 1
    for i in range(3, n, 2):
        table[i, i - 2] = one
    batch = _shape(a)[:-1]
    values = jnp.concatenate([-a, jnp.zeros(batch + (1,), dt), jnp.ones(batch + (1,), dt)],
                             axis=-1)
    return _gather_last(values, table)


def block_diag(*arrs):
    """The block-diagonal matrix of arrays of at most two dimensions (scalars are 1x1
    blocks, vectors 1xn rows)."""
    if len(arrs) == 0:
        arrs = (jnp.zeros((1, 0)),)
    arrs = [jnp.asarray(a) for a in arrs]
    dtype = jnp.result_type(*arrs)
    arrs = [a.astype(dtype) for a in arrs]
    for i, a in enumerate(arrs):
        if get_aval(a).ndim > 2:
            raise ValueError("Arguments to irax.scipy.linalg.block_diag must have at most 2 "
                             f"dimensions, got {a} at argument {i}.")
    blocks = [jnp.atleast_2d(a) for a in arrs]
    total = sum(_shape(b)[1] for b in blocks)
    rows, col = [], 0
    for b in blocks:
        cols = _shape(b)[1]
        rows.append(jnp.pad(b, ((0, 0), (col, total - col - cols))))
        col += cols
    return jnp.concatenate(rows, axis=0)


def convolution_matrix(a, n: int, mode: str = "full"):
    """The Toeplitz matrix A with A @ v == numpy.convolve(a, v, mode) for len(v) == n."""
    n = operator.index(n)
    if n <= 0:
        raise ValueError(f"n must be a positive integer; got {n}.")
    _check_arraylike("convolution_matrix", a)
    a = jnp.asarray(a)
    if get_aval(a).ndim == 0:
        raise ValueError("convolution_matrix: a must be at least 1-dimensional, got a "
                         "scalar.")
    m = _shape(a)[-1]
    if m < 1:
        raise ValueError(f"len(a) must be at least 1; got shape {_shape(a)}.")
    if mode not in ("full", "valid", "same"):
        raise ValueError(f"mode must be one of 'full', 'valid', 'same'; got {mode!r}.")
    length = m + n - 1
    if mode == "same":
        trim = min(n, m) - 1
        tb, te = trim // 2, trim - trim // 2
    elif mode == "valid":
        tb = te = min(n, m) - 1
    else:
        tb = te = 0
    pad = [(0, 0)] * (get_aval(a).ndim - 1) + [(0, n - 1)]
    az = jnp.pad(a, pad)
    raz = jnp.pad(jnp.flip(a, axis=-1), pad)
    return toeplitz(az[..., tb:length - te], raz[..., length - n - tb:length - tb])


# ---------------------------------------------------------------------------
# Matrices of a static size: exact integer arithmetic on the host


def _static_size(n, name: str) -> int:
    try:
        return operator.index(n)
    except TypeError:
        raise TypeError(f"{name}: n must be a static Python integer, got {n!r}") from None


def hilbert(n: int):
    """The Hilbert matrix 1 / (i + j + 1)."""
    n = _static_size(n, "hilbert")
    i = np.arange(n)
    return jnp.asarray(1.0 / (i[:, None] + i[None, :] + 1.0), dtype=_default_float())


def invhilbert(n: int):
    """The inverse of hilbert(n) (integers, exact up to rounding to the float dtype)."""
    n = _static_size(n, "invhilbert")
    out = np.zeros((n, n), dtype=np.float64)
    for i in range(n):
        for j in range(n):
            s = i + j
            out[i, j] = float((-1) ** s * (s + 1) * math.comb(n + i, n - j - 1)
                              * math.comb(n + j, n - i - 1) * math.comb(s, i) ** 2)
    return jnp.asarray(out, dtype=_default_float())


def _kind(kind):
    kind = "symmetric" if kind is None else kind
    if kind not in ("symmetric", "lower", "upper"):
        raise ValueError(f"Expected kind to be one of: ['symmetric', 'lower', 'upper']; got "
                         f"{kind}")
    return kind


def _pascal_lower(n: int, signed: bool):
    return [[(-1) ** (i - j if signed else 0) * math.comb(i, j) for j in range(n)]
            for i in range(n)]


def _pascal_exact(n: int, kind: str, inverse: bool):
    low = _pascal_lower(n, inverse)
    if kind == "lower":
        m = low
    elif kind == "upper":
        m = [list(r) for r in zip(*low)]
    elif inverse:                      # (L L^T)^-1 = L^-T L^-1
        m = [[sum(low[k][i] * low[k][j] for k in range(n)) for j in range(n)]
             for i in range(n)]
    else:
        m = [[math.comb(i + j, i) for j in range(n)] for i in range(n)]
    return np.array([[float(v) for v in row] for row in m], dtype=np.float64).reshape(n, n)


def pascal(n: int, kind: str | None = None):
    """The Pascal matrix (symmetric binomial(i + j, i), or its lower/upper Cholesky
    factor); float32 in every mode, as JAX."""
    n = _static_size(n, "pascal")
    return jnp.asarray(_pascal_exact(n, _kind(kind), inverse=False), dtype=np.float32)


def invpascal(n: int, kind: str | None = None):
    """The inverse of pascal(n, kind)."""
    n = _static_size(n, "invpascal")
    return jnp.asarray(_pascal_exact(n, _kind(kind), inverse=True), dtype=_default_float())


def helmert(n: int, full: bool = False):
    """The Helmert matrix: orthonormal rows orthogonal to the all-ones vector (and, with
    full=True, the normalized all-ones row first)."""
    n = _static_size(n, "helmert")
    if n < 1:
        raise ValueError(f"n must be a positive integer; got {n}.")
    k = np.arange(1, n, dtype=np.float64)[:, None]             # row k-1 of the n-1 rows
    j = np.arange(n)[None, :]
    denom = np.sqrt(k * (k + 1))
    h = np.where(j < k, 1.0 / denom, np.where(j == k, -k / denom, 0.0))
    if full:
        h = np.concatenate([np.full((1, n), 1.0 / np.sqrt(n)), h], axis=0)
    return jnp.asarray(h, dtype=_default_float())


def hadamard(n: int, dtype=int):
    """The Sylvester-Hadamard matrix of order n (a power of 2)."""
    n = _static_size(n, "hadamard")
    if n < 1 or not math.log2(n).is_integer():
        raise ValueError(f"n must be a positive power of 2; got {n}.")
    h = np.ones((1, 1), dtype=np.int64)
    while h.shape[0] < n:
        h = np.block([[h, h], [h, -h]])
    return jnp.asarray(h, dtype=jnp.zeros((), dtype=dtype).dtype)


def dft(n: int, scale: str | None = None, *, dtype=None):
    """The discrete Fourier transform matrix exp(-2 pi i j k / n) (divided by sqrt(n) or n
    with scale='sqrtn' / 'n')."""
    n = _static_size(n, "dft")
    if scale is not None and scale not in ("sqrtn", "n"):
        raise ValueError(f"scale must be None, 'sqrtn', or 'n'; got {scale!r}.")
    if dtype is None:
        dtype = jnp.zeros((), dtype=complex).dtype
    else:
        dtype = jnp.zeros((), dtype=dtype).dtype
        if dtypes.kind(dtype) != "c":
            raise ValueError(f"dtype must be a complex floating-point type; got {dtype}.")
    k = np.arange(n)
    # reduce j*k mod n first so large exponents keep full precision
    w = np.exp(-2j * np.pi * ((k[:, None] * k[None, :]) % max(n, 1)) / max(n, 1))
    if scale == "sqrtn":
        w = w / np.sqrt(n)
    elif scale == "n":
        w = w / n
    return jnp.asarray(w, dtype=dtype)
