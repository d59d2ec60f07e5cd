"""Non-symmetric eigenproblems (issue 12): Householder reduction to Hessenberg form, the
Francis double-shift QR iteration to (quasi-)triangular Schur form, and eigenvectors by
back-substitution on the complex triangular Schur factor.

Unlike the unrolled factorizations of irax.numpy.linalg, these run as lax loops: the number
of QR sweeps depends on the data, so the iteration is a while_loop with a fixed cap (40 n
sweeps in all) and deflation at negligible subdiagonal entries. Every step acts on the
whole n x n matrix through masks and one-hot vectors (no dynamic slicing, so no clamped
windows at the matrix edge): a reflector supported on rows k..k+2 is a length-n vector
that is zero elsewhere, applied as two rank-1 updates, O(n^2) per step.

Each loop iteration computes the three possible steps (deflate one eigenvalue, deflate a
2x2 block, run a double-shift sweep) and selects one: lax.cond there made IREE's llvm-cpu
runtime fail on modules combining two such loops. The functions here take one matrix;
`batched` maps them over leading axes with vmap.
This module does not import irax.numpy.linalg (which imports it).
"""
from __future__ import annotations

import numpy as np

from ..tracer import dtypes
from ..tracer.core import get_aval


def _jnp():
    from .. import numpy as jnp
    return jnp


def _lax():
    from ..lax import control_flow
    return control_flow


def batched(f, x, n_out: int):
    """f (one (n, n) matrix -> n_out arrays) mapped over the leading axes of x."""
    from ..tracer.api import vmap
    jnp = _jnp()
    shape = get_aval(x).shape
    if len(shape) == 2:
        return f(x)
    lead = shape[:-2]
    size = int(np.prod(lead))
    flat = jnp.reshape(x, (size,) + shape[-2:])
    outs = vmap(f)(flat) if size else None
    if outs is None:     # an empty batch: run f once on a dummy matrix for the out shapes
        outs = vmap(f)(jnp.zeros((1,) + shape[-2:], get_aval(x).dtype))
        outs = tuple(o[:0] for o in outs) if n_out > 1 else outs[:0]
    if n_out == 1:
        return jnp.reshape(outs, lead + get_aval(outs).shape[1:])
    return tuple(jnp.reshape(o, lead + get_aval(o).shape[1:]) for o in outs)


def eye_like(x):
    """The identity of x's shape and dtype, computed from x (x * 0 plus a mask) rather than
    a constant: a complex128 constant as a loop's initial carry crashed IREE's compiler
    (SIGFPE, taking the process with it)."""
    jnp = _jnp()
    n = get_aval(x).shape[-1]
    return jnp.where(np.eye(n, dtype=bool), 1, x * 0).astype(get_aval(x).dtype)


def _cabs1(x):
    """|re| + |im| (LAPACK's cheap modulus for convergence tests)."""
    jnp = _jnp()
    if dtypes.kind(get_aval(x).dtype) == "c":
        return jnp.abs(jnp.real(x)) + jnp.abs(jnp.imag(x))
    return jnp.abs(x)


def cabs(z):
    """|z| from real operations (no overflow: scaled by max(|re|, |im|))."""
    jnp = _jnp()
    if dtypes.kind(get_aval(z).dtype) != "c":
        return jnp.abs(z)
    x, y = jnp.abs(jnp.real(z)), jnp.abs(jnp.imag(z))
    m = jnp.maximum(x, y)
    safe = jnp.where(m == 0, 1, m)
    return m * jnp.sqrt(jnp.square(x / safe) + jnp.square(y / safe))


def csqrt(z):
    """The principal square root from real operations: IREE's own expansion of a complex
    sqrt calls atan2/sin/cos, which its llvm-cpu target cannot link in float64."""
    jnp = _jnp()
    if dtypes.kind(get_aval(z).dtype) != "c":
        return jnp.sqrt(z)
    x, y = jnp.real(z), jnp.imag(z)
    s = jnp.sqrt((cabs(z) + jnp.abs(x)) / 2)                  # sqrt of the larger part
    safe = jnp.where(s == 0, 1, s)
    other = jnp.where(s == 0, 0, jnp.abs(y) / (2 * safe))
    re = jnp.where(x >= 0, s, other)
    im = jnp.where(x >= 0, jnp.where(s == 0, 0, y / (2 * safe)), jnp.where(y < 0, -s, s))
    dt = get_aval(z).dtype
    return re.astype(dt) + im.astype(dt) * np.asarray(1j, dt)


def _phase(x):
    """x / |x| (1 where x is 0): the sign a Householder reflector takes from its pivot."""
    jnp = _jnp()
    if dtypes.kind(get_aval(x).dtype) != "c":
        return jnp.where(x < 0, -1, 1).astype(get_aval(x).dtype)
    r = cabs(x)
    return jnp.where(r == 0, 1, x / jnp.where(r == 0, 1, r).astype(get_aval(x).dtype))


def _reflector(u, k):
    """(v, tau) with (I - tau v v^H) u = beta e_k, for u supported on rows >= k."""
    jnp = _jnp()
    n = get_aval(u).shape[0]
    at_k = np.arange(n) == k
    alpha = jnp.sum(jnp.where(at_k, u, 0))
    norm = jnp.sqrt(jnp.sum(jnp.real(u * jnp.conj(u))))
    beta = -_phase(alpha) * norm.astype(get_aval(u).dtype)
    v = jnp.where(at_k, u - beta, u)
    vv = jnp.sum(jnp.real(v * jnp.conj(v)))
    ok = (norm > 0) & (vv > 0)
    tau = jnp.where(ok, 2 / jnp.where(ok, vv, 1), 0).astype(get_aval(u).dtype)
    return v, tau


def _reflect_both(h, v, tau):
    """P h P with P = I - tau v v^H (Hermitian and unitary)."""
    jnp = _jnp()
    h = h - (tau * v)[:, None] * (jnp.conj(v) @ h)[None, :]
    return h - (h @ v)[:, None] * (tau * jnp.conj(v))[None, :]


def _reflect_right(q, v, tau):
    jnp = _jnp()
    return q - (q @ v)[:, None] * (tau * jnp.conj(v))[None, :]


def _column(h, j):
    """h[:, j] for a traced j (a one-hot product, exact)."""
    jnp = _jnp()
    n = get_aval(h).shape[1]
    return jnp.sum(jnp.where(np.arange(n)[None, :] == j, h, 0), axis=1)


def rotate_rows(x, p, q, m):
    """Rows p, q of x replaced by M @ [x_p; x_q], M = ((m00, m01), (m10, m11)) given flat
    (elementwise updates: a full embedded-rotation matmul here miscompiled on llvm-cpu)."""
    jnp = _jnp()
    rows = np.arange(get_aval(x).shape[0])[:, None]
    xp = jnp.sum(jnp.where(rows == p, x, 0), axis=0)
    xq = jnp.sum(jnp.where(rows == q, x, 0), axis=0)
    x = jnp.where(rows == p, (m[0] * xp + m[1] * xq)[None, :], x)
    return jnp.where(rows == q, (m[2] * xp + m[3] * xq)[None, :], x)


def rotate_cols(x, p, q, m):
    """Columns p, q of x replaced by [x_p, x_q] @ M."""
    jnp = _jnp()
    cols = np.arange(get_aval(x).shape[1])[None, :]
    xp = jnp.sum(jnp.where(cols == p, x, 0), axis=1)
    xq = jnp.sum(jnp.where(cols == q, x, 0), axis=1)
    x = jnp.where(cols == p, (m[0] * xp + m[2] * xq)[:, None], x)
    return jnp.where(cols == q, (m[1] * xp + m[3] * xq)[:, None], x)


def hessenberg(a):
    """(h, q) with a = q h q^H, h upper Hessenberg, q unitary (Householder, LAPACK's sign
    convention: h[j+1, j] = -phase(a[j+1, j]) * norm)."""
    jnp, lax = _jnp(), _lax()
    n = get_aval(a).shape[-1]
    rows = np.arange(n)
    q0 = eye_like(a)
    if n <= 2:
        return a, q0

    def step(j, hq):
        h, q = hq
        x = jnp.where(rows > j, _column(h, j), 0)
        v, tau = _reflector(x, j + 1)
        # nothing to do where the column is already zero below the subdiagonal
        tail = jnp.sum(jnp.where(rows > j + 1, _cabs1(x), 0))
        tau = jnp.where(tail > 0, tau, 0)
        return _reflect_both(h, v, tau), _reflect_right(q, v, tau)
    h, q = lax.fori_loop(0, n - 2, step, (a, q0))
    h = jnp.where(rows[:, None] > rows[None, :] + 1, 0, h)
    return h, q


def _rotation_2x2(a, b, c, d, dt):
    """(cs, sn, triangularize) for the 2x2 block [[a, b], [c, d]]: the unitary G =
    [[cs, -conj(sn)], [sn, conj(cs)]] makes G^H B G upper triangular when triangularize
    (always for complex blocks; for real ones only when both eigenvalues are real); also
    the eigenvalue lam that G moves to the top and the discriminant."""
    jnp = _jnp()
    complex_ = dtypes.kind(dt) == "c"
    p = (a - d) / 2
    disc = p * p + b * c
    if complex_:
        r = csqrt(disc)
        # the root of larger modulus for p + r avoids cancellation
        r = jnp.where(jnp.real(jnp.conj(p) * r) < 0, -r, r)
        lam = d + p + r
        real_ok = jnp.asarray(True)
    else:
        real_ok = disc >= 0
        r = jnp.sqrt(jnp.where(real_ok, disc, 0))
        r = jnp.where(p < 0, -r, r)
        lam = d + p + r
    # an eigenvector for lam: (lam - d, c) or (b, lam - a), whichever is larger
    x1, x2 = lam - d, c
    y1, y2 = b, lam - a
    nx = _cabs1(x1) + _cabs1(x2)
    ny = _cabs1(y1) + _cabs1(y2)
    use_x = nx >= ny
    e1, e2 = jnp.where(use_x, x1, y1), jnp.where(use_x, x2, y2)
    nrm = jnp.sqrt(jnp.real(e1 * jnp.conj(e1)) + jnp.real(e2 * jnp.conj(e2)))
    tiny = nrm == 0
    cs = jnp.where(tiny, 1, e1 / jnp.where(tiny, 1, nrm).astype(dt))
    sn = jnp.where(tiny, 0, e2 / jnp.where(tiny, 1, nrm).astype(dt))
    return cs.astype(dt), sn.astype(dt), real_ok & ~(c == 0), lam, disc


def schur(a, max_sweeps_per_n: int = 40):
    """(t, z) with a = z t z^H: t upper triangular (complex dtype) or quasi upper triangular
    with 2x2 blocks for complex-conjugate pairs (real dtype), z unitary / orthogonal.
    Also returns whether the iteration converged (a bool scalar)."""
    jnp, lax = _jnp(), _lax()
    dt = get_aval(a).dtype
    n = get_aval(a).shape[-1]
    h, z = hessenberg(a)
    if n <= 1:
        return h, z, jnp.asarray(True)
    rows = np.arange(n)
    sub_mask = rows[:, None] == rows[None, :] + 1              # (i, i-1)
    diag_mask = rows[:, None] == rows[None, :]
    eps = np.finfo(dt).eps
    tiny = np.finfo(dt).tiny / eps

    def cond(state):
        _, _, hi, _, total = state
        return (hi >= 0) & (total < max_sweeps_per_n * n)

    def entry(h, i, j):
        return jnp.sum(jnp.where((rows[:, None] == i) & (rows[None, :] == j), h, 0))

    def deflate_one(args):
        h, z, hi, l = args
        return h, z, hi - 1

    def deflate_two(args):
        h, z, hi, l = args
        p = hi - 1
        a_, b_ = entry(h, p, p), entry(h, p, hi)
        c_, d_ = entry(h, hi, p), entry(h, hi, hi)
        cs, sn, tri, lam, disc = _rotation_2x2(a_, b_, c_, d_, dt)
        cs = jnp.where(tri, cs, 1).astype(dt)
        sn = jnp.where(tri, sn, 0).astype(dt)
        # G = [[cs, -conj(sn)], [sn, conj(cs)]] on rows/columns p, hi: h <- G^H h G
        g = (cs, -jnp.conj(sn), sn, jnp.conj(cs))
        gh = (jnp.conj(cs), jnp.conj(sn), -sn, cs)
        h = rotate_cols(rotate_rows(h, p, hi, gh), p, hi, g)
        h = jnp.where(tri & (rows[:, None] == hi) & (rows[None, :] == p), 0, h)
        if dtypes.kind(dt) == "c":
            # a real block (a real input matrix) with complex eigenvalues: its pair is
            # exactly conjugate, +imag first, as LAPACK returns them
            blk = jnp.stack([a_, b_, c_, d_])
            pair = jnp.all(jnp.imag(blk) == 0) & (jnp.real(disc) < 0)
            at_pp = (rows[:, None] == p) & (rows[None, :] == p)
            at_qq = (rows[:, None] == hi) & (rows[None, :] == hi)
            h = jnp.where(pair & at_pp, lam, jnp.where(pair & at_qq, jnp.conj(lam), h))
        return h, rotate_cols(z, p, hi, g), hi - 2

    def sweep(args):
        h, z, hi, l, its = args
        a_, b_ = entry(h, hi - 1, hi - 1), entry(h, hi - 1, hi)
        c_, d_ = entry(h, hi, hi - 1), entry(h, hi, hi)
        tr, det = a_ + d_, a_ * d_ - b_ * c_
        # exceptional shifts (EISPACK's) every 10 sweeps without deflation
        w = (_cabs1(c_) + _cabs1(entry(h, hi - 1, hi - 2))).astype(dt)
        exc = (its % 10 == 9)
        tr = jnp.where(exc, 1.5 * w, tr)
        det = jnp.where(exc, w * w, det)
        h00, h01, h10 = entry(h, l, l), entry(h, l, l + 1), entry(h, l + 1, l)
        h11, h21 = entry(h, l + 1, l + 1), entry(h, l + 2, l + 1)
        # first column of (H - s1)(H - s2) = H^2 - tr H + det
        x0 = h00 * h00 + h01 * h10 - tr * h00 + det
        x1 = h10 * (h00 + h11 - tr)
        x2 = h10 * h21
        first = (jnp.where(rows == l, x0, 0) + jnp.where(rows == l + 1, x1, 0)
                 + jnp.where(rows == l + 2, x2, 0)).astype(dt)

        def chase(k, hz):
            h, z = hz
            support = (rows >= k) & (rows <= jnp.minimum(k + 2, hi))
            u = jnp.where(k == l, first, jnp.where(support, _column(h, k - 1), 0))
            v, tau = _reflector(u, k)
            h = _reflect_both(h, v, tau)
            # the bulge below the subdiagonal of column k-1 is zero now: make it exact
            h = jnp.where((k > l) & (rows[:, None] > k) & (rows[:, None] <= k + 2)
                          & (rows[None, :] == k - 1), 0, h)
            return h, _reflect_right(z, v, tau)
        h, z = lax.fori_loop(l, hi, chase, (h, z))
        return h, z, hi

    def body(state):
        h, z, hi, its, total = state
        d = jnp.sum(jnp.where(diag_mask, h, 0), axis=1)
        s = jnp.sum(jnp.where(sub_mask, h, 0), axis=1)                 # s[i] = h[i, i-1]
        d_prev = jnp.concatenate([d[:1] * 0, d[:-1]])
        scale = _cabs1(d) + _cabs1(d_prev)
        small = (_cabs1(s) <= eps * scale) | (_cabs1(s) <= tiny)
        split = (small | (rows == 0)) & (rows <= hi)
        l = jnp.max(jnp.where(split, rows, 0)).astype(np.int32)
        h = jnp.where(sub_mask & (rows[:, None] == l), 0, h)
        case = jnp.where(l == hi, 0, jnp.where(l == hi - 1, 1, 2)).astype(np.int32)
        # every branch computed and one selected, rather than lax.cond: IREE's llvm-cpu
        # runtime failed (command-buffer binding OUT_OF_RANGE) on modules combining the
        # results of two such loops when the loop body held conditionals
        h0, z0, hi0 = deflate_one((h, z, hi, l))
        ht, zt, hit = deflate_two((h, z, hi, l))
        one = case == 0
        h1, z1, hi1 = jnp.where(one, h0, ht), jnp.where(one, z0, zt), jnp.where(one, hi0, hit)
        h2, z2, hi2 = sweep((h, z, hi, l, its))
        go = case == 2
        h = jnp.where(go, h2, h1)
        z = jnp.where(go, z2, z1)
        hi = jnp.where(go, hi2, hi1)
        its = jnp.where(go, its + 1, 0).astype(np.int32)
        return h, z, hi.astype(np.int32), its, total + 1

    state = (h, z, jnp.asarray(n - 1, np.int32), jnp.asarray(0, np.int32),
             jnp.asarray(0, np.int32))
    h, z, hi, _, _ = lax.while_loop(cond, body, state)
    keep = rows[:, None] <= rows[None, :] + (0 if dtypes.kind(dt) == "c" else 1)
    h = jnp.where(keep, h, 0)
    return h, z, hi < 0


def complex_dtype(dt):
    return np.result_type(dt, np.complex64)


def triangular_eigenvectors(t):
    """Right eigenvectors x (columns, unnormalised) of upper triangular t, x[i, k] = 0 for
    i > k, by back-substitution; near-equal eigenvalues are separated by LAPACK's smin."""
    jnp, lax = _jnp(), _lax()
    n = get_aval(t).shape[-1]
    dt = get_aval(t).dtype
    rows = np.arange(n)
    lam = jnp.sum(jnp.where(rows[:, None] == rows[None, :], t, 0), axis=1)
    eps = np.finfo(dt).eps
    smlnum = np.finfo(dt).tiny * (n / eps)
    x0 = eye_like(t)

    def step(r, x):
        i = n - 1 - r
        row = jnp.where(rows > i, jnp.sum(jnp.where(rows[:, None] == i, t, 0), axis=0), 0)
        num = row @ x
        tii = jnp.sum(jnp.where(rows == i, lam, 0))
        denom = tii - lam
        smin = jnp.maximum(eps * _cabs1(lam), smlnum).astype(dt)
        denom = jnp.where(_cabs1(denom) < jnp.real(smin), smin, denom)
        xi = -num / denom
        x = jnp.where((rows[:, None] == i) & (rows[None, :] > i), xi[None, :], x)
        # each column is an eigenvector up to scale: keep its largest entry at 1 so that
        # divisions by smin (repeated eigenvalues) cannot overflow
        big = jnp.max(_cabs1(x), axis=0)
        return x / jnp.where(big > 0, big, 1).astype(dt)[None, :]
    return lax.fori_loop(0, n, step, x0), lam


def normalize_columns(v):
    """Unit 2-norm columns whose largest-modulus entry is real and positive (zgeev's)."""
    jnp = _jnp()
    mag2 = jnp.real(v * jnp.conj(v))
    nrm = jnp.sqrt(jnp.sum(mag2, axis=0))
    v = v / nrm.astype(get_aval(v).dtype)[None, :]
    n = get_aval(v).shape[0]
    big = jnp.argmax(mag2, axis=0)
    pick = jnp.sum(jnp.where(np.arange(n)[:, None] == big[None, :], v, 0), axis=0)
    v = v * jnp.conj(_phase(pick))[None, :]
    # that entry exactly real, as zgeev sets it
    at_big = np.arange(n)[:, None] == big[None, :]
    return jnp.where(at_big, jnp.real(v).astype(get_aval(v).dtype), v)


def _conjugate_partners(w, v):
    """For a real matrix: the vector of the second eigenvalue of each conjugate pair (the
    pairs sit next to each other, +imag first) set to the exact conjugate of the first's,
    as LAPACK's geev returns them."""
    jnp = _jnp()
    n = get_aval(w).shape[0]
    if n < 2:
        return v
    w_prev = jnp.concatenate([w[:1], w[:-1]])
    second = (np.arange(n) > 0) & (jnp.imag(w_prev) > 0) & (w == jnp.conj(w_prev))
    v_prev = jnp.concatenate([v[:, :1], v[:, :-1]], axis=1)
    return jnp.where(second[None, :], jnp.conj(v_prev), v)


def eig_one(a):
    """(w, v) of one square matrix through the complex Schur form."""
    jnp = _jnp()
    real_input = dtypes.kind(get_aval(a).dtype) != "c"
    a = a.astype(complex_dtype(get_aval(a).dtype))
    if get_aval(a).shape[-1] == 0:
        return jnp.zeros((0,), get_aval(a).dtype), a
    t, z, ok = schur(a)
    x, w = triangular_eigenvectors(t)
    v = normalize_columns(z @ x)
    if real_input:
        v = _conjugate_partners(w, v)
    # an iteration that did not converge gives nan, as JAX does where LAPACK reports failure
    return jnp.where(ok, w, np.nan).astype(get_aval(w).dtype), \
        jnp.where(ok, v, np.nan).astype(get_aval(v).dtype)


def eig_left_right_one(a):
    """(w, vl, vr) of one square matrix: vl[:, j]^H a = w_j vl[:, j]^H. The left vectors
    come from the same Schur form (t^H y = conj(w) y, solved as the upper triangular
    problem of t^H with rows and columns reversed), so both sets follow w's order."""
    jnp = _jnp()
    real_input = dtypes.kind(get_aval(a).dtype) != "c"
    a = a.astype(complex_dtype(get_aval(a).dtype))
    n = get_aval(a).shape[-1]
    if n == 0:
        return jnp.zeros((0,), get_aval(a).dtype), a, a
    t, z, ok = schur(a)
    x, w = triangular_eigenvectors(t)
    flip = np.arange(n)[::-1]
    y, _ = triangular_eigenvectors(jnp.conj(t).T[flip][:, flip])
    y = y[flip][:, flip]
    vr, vl = normalize_columns(z @ x), normalize_columns(z @ y)
    if real_input:
        vr, vl = _conjugate_partners(w, vr), _conjugate_partners(w, vl)

    def bad(v):
        return jnp.where(ok, v, np.nan).astype(get_aval(v).dtype)
    return bad(w), bad(vl), bad(vr)


def eigvals_one(a):
    a = _jnp().asarray(a).astype(complex_dtype(get_aval(a).dtype))
    t, _, ok = schur(a)
    n = get_aval(t).shape[-1]
    w = _jnp().sum(_jnp().where(np.eye(n, dtype=bool), t, 0), axis=1)
    return _jnp().where(ok, w, np.nan).astype(get_aval(w).dtype)



def hessenberg_packed(a):
    """LAPACK's gehrd layout of hessenberg(a): (packed, taus), reflector j scaled so that
    its entry j+1 is 1."""
    jnp, lax = _jnp(), _lax()
    n = get_aval(a).shape[-1]
    dt = get_aval(a).dtype
    rows = np.arange(n)
    if n <= 1:
        return a, jnp.zeros((max(n - 1, 0),), dt)

    def step(j, st):
        h, packed_v, taus = st
        x = jnp.where(rows > j, _column(h, j), 0)
        v, tau = _reflector(x, j + 1)
        tail = jnp.sum(jnp.where(rows > j + 1, _cabs1(x), 0))
        tau = jnp.where(tail > 0, tau, 0)
        h = _reflect_both(h, v, tau)
        lead = jnp.sum(jnp.where(rows == j + 1, v, 0))
        safe = jnp.where(tau == 0, 1, lead)
        vs = jnp.where(tau == 0, 0, v / safe)
        packed_v = jnp.where(rows[None, :] == j, vs[:, None], packed_v)
        taus = jnp.where(np.arange(n - 1) == j, tau * jnp.real(lead * jnp.conj(lead)), taus)
        return h, packed_v, taus
    # zeros derived from a, not constants: IREE cannot splat a complex128 constant (i128)
    init = (a, a * 0, a[0, 1:] * 0)
    h, pv, taus = lax.fori_loop(0, n - 2, step, init) if n > 2 else init
    packed = jnp.where(rows[:, None] > rows[None, :] + 1, pv, h)
    return packed, taus


def check_square(a, name: str):
    """a as a float/complex array of square matrices, with JAX's errors otherwise."""
    from ._core import _to_float
    a = _to_float(_jnp().asarray(a))
    shape = get_aval(a).shape
    if len(shape) < 2:
        raise TypeError(f"Input 0 to {name} must have rank at least 2, but got "
                        f"shape={shape}")
    if shape[-1] != shape[-2]:
        raise ValueError(f"The input to {name} must be a square matrix. Got shape {shape}.")
    return a
