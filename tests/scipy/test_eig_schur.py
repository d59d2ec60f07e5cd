"""Non-symmetric eigenproblems and the Schur-based linear algebra (issue 12) against
NumPy/SciPy: eigenvalues as matched sets and by the residual ||A v - w v||, Schur forms by
unitarity, reconstruction and (quasi-)triangularity; one compiled float32 module; the
eigvals derivative against float64 central differences."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg as sl

import irax
import irax.numpy as jnp
from irax import lax
from irax.scipy import linalg as la

RNG = np.random.default_rng(12)
_Q6 = np.linalg.qr(RNG.normal(size=(6, 6)))[0]
MATS = {
    "random6": RNG.normal(size=(6, 6)),
    "complex5": RNG.normal(size=(5, 5)) + 1j * RNG.normal(size=(5, 5)),
    "repeated": _Q6 @ np.diag([1.0, 1.0, 1.0, 2.0, 2.0, -1.0]) @ _Q6.T,
    "rotation": np.array([[0.0, -1.0], [1.0, 0.0]]),          # +-i
    "jordan": np.array([[2.0, 1, 0, 0], [0, 2, 1, 0], [0, 0, 2, 0], [0, 0, 0, 3]]),
    "cyclic": np.roll(np.eye(5), 1, axis=0),                    # roots of unity
    "zero": np.zeros((3, 3)),
    # a 10-fold eigenvalue: back-substitution divides by smin ~ eps at every row
    "triu_ones": np.triu(RNG.normal(size=(10, 10)), 1) + np.eye(10),
    "one": np.array([[4.0]]),
}


def _match(got, want, tol):
    """Greedy nearest matching of two eigenvalue multisets (sorting complex numbers is not
    stable under rounding)."""
    got, want = list(np.asarray(got)), list(np.asarray(want))
    assert len(got) == len(want)
    for w in want:
        i = int(np.argmin([abs(g - w) for g in got]))
        assert abs(got[i] - w) <= tol * max(1.0, abs(w)), (got, want)
        got.pop(i)


def _check_schur(a, t, z, real, tol):
    n = a.shape[0]
    np.testing.assert_allclose(z.conj().T @ z, np.eye(n), atol=tol)
    np.testing.assert_allclose(z @ t @ z.conj().T, a, atol=tol * max(1, np.abs(a).max()))
    assert np.all(np.tril(t, -2 if real else -1) == 0)
    if real:    # a 2x2 block only where its eigenvalues are complex, and no adjacent blocks
        sub = np.diag(t, -1)
        assert not np.any((sub[:-1] != 0) & (sub[1:] != 0))
        for i in np.nonzero(sub)[0]:
            blk = t[i:i + 2, i:i + 2]
            assert ((blk[0, 0] - blk[1, 1]) / 2) ** 2 + blk[0, 1] * blk[1, 0] < 0


@pytest.mark.parametrize("name", list(MATS))
def test_eig_and_schur_float64(name, x64):
    a = MATS[name]
    w, v = jnp.linalg.eig(a)
    w, v = np.asarray(w), np.asarray(v)
    assert w.dtype == np.complex128 and v.dtype == np.complex128
    want = np.linalg.eigvals(a)
    defective = name == "jordan"      # a triple eigenvalue: only ~eps^(1/3) accurate
    _match(w, want, 1e-5 if defective else 1e-10)
    _match(np.asarray(jnp.linalg.eigvals(a)), want, 1e-5 if defective else 1e-10)
    np.testing.assert_allclose(a @ v, v * w, atol=1e-12 * max(1, np.abs(a).max()))
    np.testing.assert_allclose(np.linalg.norm(v, axis=0), 1, rtol=1e-12)
    big = np.argmax(np.abs(v), axis=0)
    lead = v[big, np.arange(len(w))]
    assert np.all(lead.imag == 0) and np.all(lead.real > 0)     # zgeev's normalisation
    if a.dtype.kind != "c":
        # as LAPACK's geev: each complex pair exactly conjugate (+imag first), with exactly
        # conjugate vectors, and real eigenvalues exactly real
        for j in np.nonzero(w.imag > 0)[0]:
            assert w[j + 1] == np.conj(w[j])
            np.testing.assert_array_equal(v[:, j + 1], np.conj(v[:, j]))
        assert np.sum(w.imag > 0) == np.sum(w.imag < 0)
    w2, vl, vr = (np.asarray(o) for o in lax.linalg.eig(a))
    np.testing.assert_array_equal(w2, w)
    np.testing.assert_array_equal(vr, v)
    np.testing.assert_allclose(vl.conj().T @ a, w[:, None] * vl.conj().T,
                               atol=1e-12 * max(1, np.abs(a).max()))
    np.testing.assert_allclose(np.linalg.norm(vl, axis=0), 1, rtol=1e-12)
    for output in ("real", "complex"):
        t, z = la.schur(a, output=output)
        t, z = np.asarray(t), np.asarray(z)
        real = output == "real" and a.dtype.kind != "c"
        assert t.dtype == (np.float64 if real else np.complex128)
        _check_schur(a, t, z, real, 1e-12)
        _match(np.diag(sl.rsf2csf(t, z)[0]) if real else np.diag(t), want,
               1e-5 if defective else 1e-10)
    if a.dtype.kind != "c":
        t, z = la.schur(a)
        tc, zc = la.rsf2csf(t, z)
        _check_schur(a, np.asarray(tc), np.asarray(zc), False, 1e-12)


def test_batched_eig_hessenberg_and_lax_names(x64):
    a = RNG.normal(size=(2, 3, 4, 4))
    w, v = jnp.linalg.eig(a)
    assert w.shape == (2, 3, 4) and v.shape == (2, 3, 4, 4)
    for idx in np.ndindex(2, 3):
        _match(np.asarray(w[idx]), np.linalg.eigvals(a[idx]), 1e-10)
    np.testing.assert_allclose(np.einsum("...ij,...jk->...ik", a, np.asarray(v)),
                               np.asarray(v) * np.asarray(w)[..., None, :], atol=1e-12)
    m = MATS["random6"]
    h, q = la.hessenberg(m, calc_q=True)
    want_h, want_q = sl.hessenberg(m, calc_q=True)        # the same reflectors as LAPACK's
    np.testing.assert_allclose(np.asarray(h), want_h, atol=1e-12)
    np.testing.assert_allclose(np.asarray(q), want_q, atol=1e-12)
    np.testing.assert_allclose(np.asarray(la.hessenberg(m)), want_h, atol=1e-12)
    packed, taus = lax.linalg.hessenberg(m)
    (lp, ltau), _ = sl.lapack.dgehrd(m)[:2], None
    np.testing.assert_allclose(np.asarray(packed), lp, atol=1e-12)
    np.testing.assert_allclose(np.asarray(taus), ltau[:5], atol=1e-12)
    qp = lax.linalg.householder_product(packed[1:, :-1], taus[:-1])
    np.testing.assert_allclose(np.asarray(qp), want_q[1:, 1:], atol=1e-12)
    # LAPACK's sytrd (lower): the same reflectors, d, e and taus
    got = lax.linalg.tridiagonal(m)
    for g, want in zip(got, sl.lapack.dsytrd(m, lower=1)[:4]):
        np.testing.assert_allclose(np.asarray(g), want, atol=1e-12)
    w, vl, vr = lax.linalg.eig(m)
    wn, vln, vrn = sl.eig(m, left=True, right=True)
    _match(np.asarray(w), wn, 1e-10)
    vl, vr, w = np.asarray(vl), np.asarray(vr), np.asarray(w)
    np.testing.assert_allclose(vl.conj().T @ m, w[:, None] * vl.conj().T, atol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(vl, axis=0), 1, rtol=1e-12)
    t, q = lax.linalg.schur(m)
    _check_schur(m, np.asarray(t), np.asarray(q), True, 1e-12)
    [wo] = lax.linalg.eig(m, compute_left_eigenvectors=False, compute_right_eigenvectors=False)
    _match(np.asarray(wo), wn, 1e-10)


def test_roots(x64):
    p = np.array([0.0, 1.0, -6.0, 11.0, -6.0])            # (x-1)(x-2)(x-3), a leading zero
    _match(np.asarray(jnp.roots(p)), np.roots(p), 1e-10)
    assert jnp.roots(p).shape == (3,)
    q = np.array([1.0, 0.0, 1.0])                          # +-i
    _match(np.asarray(jnp.roots(q)), np.roots(q), 1e-12)
    r = np.asarray(jnp.roots(p, strip_zeros=False))
    assert r.shape == (4,) and np.isnan(r[-1])
    _match(r[:3], np.roots(p), 1e-10)
    assert jnp.roots(np.array([3.0])).shape == (0,)
    with pytest.raises(irax.errors.ConcretizationTypeError):
        irax.jit(jnp.roots)(p)


def test_matrix_functions(x64):
    a = MATS["random6"] + 4 * np.eye(6)
    s = np.asarray(la.sqrtm(a))
    np.testing.assert_allclose(s, sl.sqrtm(a), atol=1e-10)
    np.testing.assert_allclose(s @ s, a, atol=1e-10)
    c = MATS["complex5"]
    np.testing.assert_allclose(np.asarray(la.sqrtm(c)), sl.sqrtm(c), atol=1e-10)
    f = np.asarray(la.funm(a, jnp.exp))
    np.testing.assert_allclose(f, sl.expm(a), rtol=1e-8, atol=1e-8)
    g, err = la.funm(MATS["random6"], lambda x: jnp.sin(x) + 2 * jnp.cos(x), disp=False)
    np.testing.assert_allclose(np.asarray(g), sl.funm(MATS["random6"],
                                                       lambda x: np.sin(x) + 2 * np.cos(x)),
                               atol=1e-9)
    assert 0 < float(err) <= 1
    b = RNG.normal(size=(3, 3)) - 5 * np.eye(3)
    cc = RNG.normal(size=(6, 3))
    x = np.asarray(la.solve_sylvester(a, b, cc))
    np.testing.assert_allclose(x, sl.solve_sylvester(a, b, cc), atol=1e-10)
    assert x.dtype == np.float64
    e = RNG.normal(size=(6, 6))
    ea, lfr = la.expm_frechet(MATS["random6"] / 3, e)
    want_ea, want_l = sl.expm_frechet(MATS["random6"] / 3, e)
    np.testing.assert_allclose(np.asarray(ea), want_ea, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(np.asarray(lfr), want_l, rtol=1e-9, atol=1e-9)
    m = RNG.normal(size=(5, 3))
    for side in ("right", "left"):
        u, p = la.polar(m, side=side)
        want_u, want_p = sl.polar(m, side=side)
        np.testing.assert_allclose(np.asarray(u), want_u, atol=1e-10)
        np.testing.assert_allclose(np.asarray(p), want_p, atol=1e-10)
    d, off = RNG.normal(size=6), RNG.normal(size=5)
    w = la.eigh_tridiagonal(d, off, eigvals_only=True)
    np.testing.assert_allclose(np.asarray(w), sl.eigh_tridiagonal(d, off, eigvals_only=True),
                               atol=1e-10)
    wv, vv = (np.asarray(o) for o in la.eigh_tridiagonal(d, off))
    tri = np.diag(d) + np.diag(off, 1) + np.diag(off, -1)
    np.testing.assert_allclose(tri @ vv, vv * wv, atol=1e-10)
    np.testing.assert_allclose(wv, np.asarray(w), atol=1e-12)
    w2 = la.eigh_tridiagonal(d, off, eigvals_only=True, select="i", select_range=(1, 3))
    np.testing.assert_allclose(np.asarray(w2), np.asarray(w)[1:4], atol=1e-12)
    for mode, cm in (("right", RNG.normal(size=(2, 5))), ("left", RNG.normal(size=(3, 4)))):
        got, r = la.qr_multiply(m, cm, mode=mode)
        want, want_r = sl.qr_multiply(m, cm, mode=mode)
        np.testing.assert_allclose(np.asarray(got), want, atol=1e-12)
        np.testing.assert_allclose(np.asarray(r), want_r, atol=1e-12)


def test_eigvals_grad_against_central_differences(x64):
    a = MATS["random6"][:4, :4]

    def f(x):
        w = jnp.linalg.eigvals(x)
        return jnp.sum(jnp.real(w) ** 2) + jnp.sum(jnp.imag(w * w))

    def f_np(x):
        w = np.linalg.eigvals(x)
        return np.sum(w.real ** 2) + np.sum((w * w).imag)
    g = np.asarray(irax.grad(f)(a))
    fd = np.zeros_like(a)
    h = 1e-6
    for i, j in np.ndindex(*a.shape):
        e = np.zeros_like(a)
        e[i, j] = h
        fd[i, j] = (f_np(a + e) - f_np(a - e)) / (2 * h)
    np.testing.assert_allclose(g, fd, atol=1e-6)
    with pytest.raises(NotImplementedError, match="enable_eigvec_derivs"):
        irax.grad(lambda x: jnp.sum(jnp.real(jnp.linalg.eig(x)[1])))(a)


def test_one_compiled_module_float32():
    """eig, eigvals, schur (real and complex) and sqrtm in ONE compiled float32 module
    (tiered=False: the compiled module itself runs, not the eager tier)."""
    a = (MATS["random6"][:5, :5] + 3 * np.eye(5)).astype(np.float32)
    c = MATS["complex5"][:4, :4].astype(np.complex64)

    def f(a, c):
        w, v = jnp.linalg.eig(a)
        t, z = la.schur(a)
        tc, zc = la.schur(c, output="complex")
        return w, v, jnp.linalg.eigvals(c), t, z, tc, zc, la.sqrtm(a)
    w, v, wc, t, z, tc, zc, s = (np.asarray(o) for o in irax.jit(f, tiered=False)(a, c))
    assert w.dtype == np.complex64 and t.dtype == np.float32 and tc.dtype == np.complex64
    _match(w, np.linalg.eigvals(a), 1e-4)
    _match(wc, np.linalg.eigvals(c), 1e-4)
    np.testing.assert_allclose(a @ v, v * w, atol=1e-4)
    _check_schur(a, t, z, True, 1e-4)
    _check_schur(c, tc, zc, False, 1e-4)
    np.testing.assert_allclose(s, sl.sqrtm(a.astype(np.float64)), atol=1e-4)


def test_compiled_float64(x64):
    """complex128 loops compiled (IREE crashed on complex128 constants as loop carries)."""
    a = MATS["random6"][:5, :5]
    w, v = (np.asarray(o) for o in irax.jit(jnp.linalg.eig, tiered=False)(a))
    assert w.dtype == np.complex128
    _match(w, np.linalg.eigvals(a), 1e-10)
    np.testing.assert_allclose(a @ v, v * w, atol=1e-12)


def test_empty_shapes_like_jax():
    for shape, wshape in (((0, 0), (0,)), ((1, 1), (1,)), ((3, 0, 0), (3, 0))):
        w, v = jnp.linalg.eig(np.ones(shape, np.float32))
        assert w.shape == wshape and v.shape == shape and w.dtype == np.complex64
    np.testing.assert_allclose(np.asarray(jnp.linalg.eig(np.array([[4.0]]))[0]), [4.0])


def test_errors():
    # JAX's types and messages
    with pytest.raises(ValueError, match=r"The input to eig must be a square matrix. Got "
                                         r"shape \(2, 3\)"):
        jnp.linalg.eig(np.ones((2, 3)))
    with pytest.raises(TypeError, match=r"Input 0 to eig must have rank at least 2"):
        jnp.linalg.eigvals(np.ones(3))
    with pytest.raises(ValueError, match="The input to schur must be a square matrix"):
        la.sqrtm(np.ones((2, 3)))
    with pytest.raises(ValueError, match="Expected 'output' to be either 'real' or "
                                         "'complex', got output='bogus'"):
        la.schur(np.eye(2), output="bogus")
    with pytest.raises(ValueError, match="Incompatible shapes"):
        la.solve_sylvester(np.eye(2), np.eye(3), np.ones((3, 3)))
    with pytest.raises(NotImplementedError):
        la.eigh_tridiagonal(np.ones(3), np.ones(2), select="v", select_range=(0, 1))
    with pytest.raises(ValueError, match="rank-1"):
        jnp.roots(np.ones((2, 2)))


def test_eigvec_derivatives_like_jax(x64):
    """With enable_eigvec_derivs=True, the derivative of a function of w, vl and vr (phase
    sensitive: Re^3, Im^3) equals JAX's (the same LAPACK normalisation is differentiated)."""
    jax = pytest.importorskip("jax")
    a = np.random.default_rng(4).normal(size=(4, 4))

    def make(np_, eig):
        def f(x):
            w, vl, vr = eig(x, enable_eigvec_derivs=True)
            return (np_.sum(np_.real(vr) ** 3) + np_.sum(np_.imag(vr) ** 3)
                    + np_.sum(np_.abs(vl[1:]) ** 3) + np_.sum(np_.real(w) * np_.imag(w)))
        return f
    with jax.enable_x64(True):
        want = np.asarray(jax.grad(make(jax.numpy, jax.lax.linalg.eig))(a))
        want_val = float(make(jax.numpy, jax.lax.linalg.eig)(a))
    f = make(jnp, lax.linalg.eig)
    np.testing.assert_allclose(float(f(a)), want_val, rtol=1e-10)
    np.testing.assert_allclose(np.asarray(irax.grad(f)(a)), want, atol=1e-9)
