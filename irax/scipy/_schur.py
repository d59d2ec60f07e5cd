"""irax.scipy.linalg's Schur-based functions (issue 12): schur, rsf2csf, hessenberg, sqrtm,
funm, solve_sylvester, plus polar (SVD), eigh_tridiagonal
(dense eigh) and qr_multiply. The QR iteration itself is irax.numpy._eig's."""
from __future__ import annotations

import numpy as np

from .. import numpy as jnp
from ..lax import control_flow as _cf
from ..numpy import _eig
from ..numpy import linalg as _la
from ..tracer.core import get_aval
from ..tracer import dtypes


def _cdt(dt):
    return _eig.complex_dtype(dt)


def _eye_mask(n, d=0):
    r = np.arange(n)
    return r[None, :] - r[:, None] == d


def _diag(x):
    n = get_aval(x).shape[-1]
    return jnp.sum(jnp.where(_eye_mask(n), x, 0), axis=-1)


def schur(a, output: str = "real"):
    """(T, Z) with a = Z T Z^H: T quasi upper triangular (output='real', real input: 2x2
    blocks for complex-conjugate pairs) or upper triangular (output='complex')."""
    if output not in ("real", "complex"):
        raise ValueError(f"Expected 'output' to be either 'real' or 'complex', got "
                         f"output={output!r}.")
    a = _eig.check_square(a, "schur")
    if output == "complex":
        a = a.astype(_cdt(get_aval(a).dtype))
    return _eig.batched(lambda m: _eig.schur(m)[:2], a, 2)


def _rsf2csf_one(t, z):
    n = get_aval(t).shape[-1]
    dt = get_aval(t).dtype
    rows = np.arange(n)
    eps = np.finfo(dt).eps

    def entry(x, i, j):
        return jnp.sum(jnp.where((rows[:, None] == i) & (rows[None, :] == j), x, 0))

    def step(r, tz):
        t, z = tz
        m = n - 1 - r
        a, b = entry(t, m - 1, m - 1), entry(t, m - 1, m)
        c, d = entry(t, m, m - 1), entry(t, m, m)
        act = _eig.cabs(c) > eps * (_eig.cabs(a) + _eig.cabs(d))
        # an eigenvalue of the 2x2 block, relative to d
        p = (a - d) / 2
        mu = p + _eig.csqrt(p * p + b * c)
        rr = jnp.sqrt(jnp.real(mu * jnp.conj(mu)) + jnp.real(c * jnp.conj(c)))
        rr = jnp.where(act, rr, 1)
        cs = jnp.where(act, mu / rr.astype(dt), 1).astype(dt)
        sn = jnp.where(act, c / rr.astype(dt), 0).astype(dt)
        # G = [[conj(cs), sn], [-sn, cs]] on rows/columns m-1, m: t <- G t G^H, z <- z G^H
        g = (jnp.conj(cs), sn, -sn, cs)
        gh = (cs, -jnp.conj(sn), jnp.conj(sn), jnp.conj(cs))
        t = _eig.rotate_cols(_eig.rotate_rows(t, m - 1, m, g), m - 1, m, gh)
        t = jnp.where((rows[:, None] == m) & (rows[None, :] == m - 1), 0, t)
        return t, _eig.rotate_cols(z, m - 1, m, gh)
    t, z = _cf.fori_loop(0, n - 1, step, (t, z))
    return jnp.where(rows[:, None] > rows[None, :], 0, t), z


def rsf2csf(T, Z, check_finite: bool = True):
    """The complex Schur form (T, Z) from a real one, rotating away each 2x2 block."""
    T, Z = _la._promote_float(T, Z)
    cdt = _cdt(get_aval(T).dtype)
    T, Z = T.astype(cdt), Z.astype(cdt)
    if get_aval(T).ndim != 2 or get_aval(T).shape[0] != get_aval(T).shape[1]:
        raise ValueError(f"Input 'T' must be square, got shape {get_aval(T).shape}")
    if get_aval(Z).shape != get_aval(T).shape:
        raise ValueError(f"Input array shapes must match: Z: {get_aval(Z).shape} vs. T: "
                         f"{get_aval(T).shape}")
    if get_aval(T).shape[0] <= 1:
        return T, Z
    return _rsf2csf_one(T, Z)


def hessenberg(a, *, calc_q: bool = False, overwrite_a: bool = False,
               check_finite: bool = True):
    """Upper Hessenberg h = q^H a q (Householder, LAPACK's signs); (h, q) with calc_q."""
    a = _eig.check_square(a, "hessenberg")
    h, q = _eig.batched(_eig.hessenberg, a, 2)
    return (h, q) if calc_q else h


def _by_superdiagonals(n, init, entry_fn):
    """Fill the strictly upper triangle of init one superdiagonal at a time: entry_fn(x)
    gives every candidate entry from the diagonals already known."""
    def step(d, x):
        keep = jnp.equal(np.arange(n)[None, :] - np.arange(n)[:, None], d)
        return jnp.where(keep, entry_fn(x), x)
    return _cf.fori_loop(1, n, step, init)


def _sqrtm_one(a):
    t, z, _ = _eig.schur(a.astype(_cdt(get_aval(a).dtype)))
    n = get_aval(t).shape[-1]
    r0 = jnp.where(_eye_mask(n), _eig.csqrt(t), 0)
    rd = _eig.csqrt(_diag(t))
    denom = rd[:, None] + rd[None, :]
    # R_ij (R_ii + R_jj) = T_ij - sum_{i<k<j} R_ik R_kj, the sum being (R R)_ij while R_ij = 0
    r = _by_superdiagonals(n, r0, lambda r: (t - r @ r) / denom)
    return z @ r @ jnp.conj(z).T


def sqrtm(A, blocksize: int = 1):
    """Principal square root through the complex Schur form (complex result, as JAX)."""
    if blocksize > 1:
        raise NotImplementedError("Blocked version is not implemented yet.")
    a = _eig.check_square(A, "schur")
    return _eig.batched(_sqrtm_one, a, 1)


def funm(A, func, disp: bool = True):
    """func of a square matrix by the Schur-Parlett recurrence (distinct eigenvalues);
    complex result, as JAX. With disp=False, (F, error estimate)."""
    a = jnp.asarray(A)
    if get_aval(a).ndim != 2 or get_aval(a).shape[0] != get_aval(a).shape[1]:
        raise ValueError("expected square array_like input")
    a = _la._to_float(a)
    t, z, _ = _eig.schur(a.astype(_cdt(get_aval(a).dtype)))
    n = get_aval(t).shape[-1]
    dt = get_aval(t).dtype
    lam = _diag(t)
    fd = jnp.asarray(func(lam)).astype(dt)
    f0 = jnp.where(_eye_mask(n), fd[None, :], 0).astype(dt)
    gap = lam[None, :] - lam[:, None]                                     # T_jj - T_ii
    # Parlett (from T F = F T): F_ij (T_jj - T_ii) = T_ij (F_jj - F_ii)
    #   + sum_{i<k<j} (T_ik F_kj - F_ik T_kj), which is all of (T F - F T)_ij while F_ij = 0
    f = _by_superdiagonals(n, f0, lambda f: (t @ f - f @ t) / gap)
    out = z @ f @ jnp.conj(z).T
    if disp:
        return out
    tol = np.finfo(dt).eps
    upper = _eig.cabs(gap)
    minden = jnp.min(jnp.where(_eye_mask(n) | (np.arange(n)[:, None] > np.arange(n)[None, :]),
                               np.inf, upper)) if n > 1 else jnp.asarray(np.inf)
    minden = jnp.where(minden == 0, tol, minden)
    tnorm = jnp.max(jnp.sum(_eig.cabs(jnp.triu(t, 1)), axis=0))
    err = jnp.where(jnp.any(jnp.isinf(out)), np.inf,
                    jnp.minimum(1, jnp.maximum(tol, (tol / minden) * tnorm)))
    return out, err


def polar(a, side: str = "right", *, method: str = "qdwh", eps=None, max_iterations=None):
    """(u, p): a = u p (side='right') or a = p u (side='left'), u with orthonormal columns
    and p Hermitian positive semidefinite, through the SVD (whatever method is named: the
    factors are unique for full-rank a)."""
    if side not in ("right", "left"):
        raise ValueError(f"side={side!r} is not 'right' or 'left'")
    if method not in ("qdwh", "svd"):
        raise ValueError(f"Unknown polar decomposition method {method}.")
    a = _la._to_float(jnp.asarray(a))
    if get_aval(a).ndim != 2:
        raise ValueError("The input `a` must be a 2-D array.")
    w, s, vh = _la.svd(a, full_matrices=False)
    u = w @ vh
    if side == "right":
        p = (_la._mT(vh) * s[None, :]) @ vh          # V S V^T
    else:
        p = (w * s[None, :]) @ _la._mT(w)            # W S W^T
    return u, p


def _sylvester_one(a, b, c, tol):
    r, u = _eig.schur(a.astype(_cdt(get_aval(a).dtype)))[:2]
    s, v = _eig.schur(b.astype(_cdt(get_aval(b).dtype)))[:2]
    cdt = get_aval(r).dtype
    f = jnp.conj(u).T @ c.astype(cdt) @ v
    m, n = get_aval(f).shape
    ri, ci = np.arange(m), np.arange(n)
    r_diag, s_diag = _diag(r), _diag(s)

    def step(k, y):
        # entry (i, j), columns left to right and each from the bottom up:
        # (R_ii + S_jj) Y_ij = F_ij - sum_{k>i} R_ik Y_kj - sum_{l<j} Y_il S_lj
        j, i = k // m, m - 1 - k % m
        r_row = jnp.sum(jnp.where(ri[:, None] == i, r, 0), axis=0)      # R[i, :]
        s_col = jnp.sum(jnp.where(ci[None, :] == j, s, 0), axis=1)      # S[:, j]
        y_col = jnp.sum(jnp.where(ci[None, :] == j, y, 0), axis=1)      # Y[:, j]
        y_row = jnp.sum(jnp.where(ri[:, None] == i, y, 0), axis=0)      # Y[i, :]
        known = (jnp.sum(jnp.where(ri > i, r_row * y_col, 0))
                 + jnp.sum(jnp.where(ci < j, y_row * s_col, 0)))
        at = (ri[:, None] == i) & (ci[None, :] == j)
        fij = jnp.sum(jnp.where(at, f, 0))
        den = jnp.sum(jnp.where(ri == i, r_diag, 0)) + jnp.sum(jnp.where(ci == j, s_diag, 0))
        return jnp.where(at, (fij - known) / den, y)
    # the carry starts from f * 0, not a constant: IREE cannot splat a complex128 constant
    # (an i128) into a loop's initial buffer
    y = _cf.fori_loop(0, m * n, step, f * 0)
    x = u @ y @ jnp.conj(v).T
    if dtypes.kind(get_aval(c).dtype) != "c":
        x = jnp.real(x)
    near = jnp.any(_eig.cabs(_diag(r)[:, None] + _diag(s)[None, :]) < tol)
    return jnp.where(near, np.nan, x).astype(get_aval(x).dtype)


def solve_sylvester(A, B, C, *, method: str = "schur", tol: float = 1e-8):
    """X with A X + X B = C (Bartels-Stewart on the complex Schur forms of A and B); all
    nan when some eigenvalue sum of A and B is within tol of zero, as JAX."""
    if method not in ("schur", "eigen"):
        raise ValueError(f"Unrecognized method {method}. The two valid methods are either "
                         f"\"schur\" or \"eigen\".")
    a, b, c = _la._promote_float(A, B, C)
    m, n = get_aval(c).shape[-2:]
    if get_aval(a).shape[-2:] != (m, m) or get_aval(b).shape[-2:] != (n, n):
        raise ValueError(f"Incompatible shapes for Sylvester equation:\nA: "
                         f"{get_aval(a).shape}\nB: {get_aval(b).shape}\nC: {get_aval(c).shape}")
    if get_aval(a).ndim == get_aval(b).ndim == get_aval(c).ndim == 2:
        return _sylvester_one(a, b, c, tol)
    from ..tracer.api import vmap
    lead = _la._broadcast_shapes(get_aval(a).shape[:-2], get_aval(b).shape[:-2],
                                 get_aval(c).shape[:-2])
    a, b, c = (jnp.reshape(jnp.broadcast_to(x, lead + get_aval(x).shape[-2:]),
                           (-1,) + get_aval(x).shape[-2:]) for x in (a, b, c))
    out = vmap(lambda a, b, c: _sylvester_one(a, b, c, tol))(a, b, c)
    return jnp.reshape(out, lead + (m, n))


def eigh_tridiagonal(d, e, *, eigvals_only: bool = False, select: str = "a",
                     select_range=None, tol=None, key=None):
    """Eigenvalues (ascending; and eigenvectors unless eigvals_only) of the symmetric
    tridiagonal matrix with diagonal d and off-diagonal e, through the dense eigh."""
    d, e = _la._promote_float(d, e)
    if get_aval(d).ndim != 1 or get_aval(e).ndim != 1:
        raise ValueError(f"d and e must be 1-d; got shapes {get_aval(d).shape} and "
                         f"{get_aval(e).shape}")
    n = get_aval(d).shape[0]
    if get_aval(e).shape[0] != n - 1:
        raise ValueError(f"e must have length {n - 1}; got {get_aval(e).shape[0]}")
    if select == "v":
        raise NotImplementedError("eigh_tridiagonal(..., select='v') is not implemented")
    if select not in ("a", "i"):
        raise ValueError("'select must have a value in {'a', 'i', 'v'}.")
    if select == "i" and select_range is None:
        raise ValueError("for select='i', select_range must be specified.")
    rows = np.arange(n)
    full = jnp.where(_eye_mask(n), d[None, :], 0)
    if n > 1:
        ep = jnp.concatenate([e, e[:1] * 0])
        full = full + jnp.where(_eye_mask(n, 1), ep[:, None], 0) \
            + jnp.where(_eye_mask(n, -1), ep[None, :], 0)
    del rows
    w, v = _la.eigh(full)
    if select == "i":
        lo, hi = int(select_range[0]), int(select_range[1])
        w, v = w[lo:hi + 1], v[:, lo:hi + 1]
    return w if eigvals_only else (w, v)


def qr_multiply(a, c, mode: str = "right", pivoting: bool = False, conjugate: bool = False,
                overwrite_a: bool = False, overwrite_c: bool = False):
    """(q @ c, r) for mode='left' or (c @ q, r) for mode='right', with the economic q, r of
    a (SciPy's; a 1-d c is a row (right) or column (left))."""
    if pivoting:
        raise NotImplementedError("irax.scipy.linalg.qr_multiply: pivoting=True is not "
                                  "supported")
    if mode not in ("left", "right"):
        raise ValueError(f"Unrecognized mode '{mode}'")
    a, c = _la._promote_float(a, c)
    if get_aval(a).ndim != 2:
        raise ValueError(f"qr_multiply: a must be two dimensional; got {get_aval(a).shape}")
    q, r = _la._householder_qr(a, complete=False)
    if conjugate:
        q = jnp.conj(q)
    vec = get_aval(c).ndim == 1
    if mode == "left":
        c2 = c[:, None] if vec else c
        out = q @ c2
        return (out[:, 0] if vec else out), r
    c2 = c[None, :] if vec else c
    out = c2 @ q
    return (out[0] if vec else out), r
