"""The rest of jax.lax.linalg (issue 12): cholesky_update, symmetric_product, ormqr, qdwh and
the EigImplementation / EighImplementation / SvdAlgorithm enums, against JAX 0.10 (test-only
oracle) and NumPy: values eager (float64) and in one compiled module (float32), vmap against
a loop, the enums accepted where JAX takes them, errors as JAX raises them."""
import jax
import jax.lax.linalg as jl
import numpy as np
import pytest

import irax
import irax.numpy as jnp
from irax.lax import linalg as L

RNG = np.random.default_rng(5)
M = RNG.normal(size=(4, 4))
SPD = M @ M.T + 4 * np.eye(4)
R_UP = np.linalg.cholesky(SPD).T
W = RNG.normal(size=4)
X = RNG.normal(size=(5, 3))
C_SQ = RNG.normal(size=(5, 5))
C_SYM = C_SQ + C_SQ.T
H_RAW, TAUS = np.linalg.qr(X, mode="raw")   # LAPACK's geqrf: reflectors of X
C_L, C_R = RNG.normal(size=(5, 2)), RNG.normal(size=(2, 5))


def test_values_float64_match_jax_and_numpy(x64):
    r = np.asarray(L.cholesky_update(R_UP, W))
    np.testing.assert_allclose(r.T @ r, SPD + np.outer(W, W), rtol=1e-12)
    np.testing.assert_array_equal(np.tril(r, -1), 0)
    assert np.all(np.diag(r) > 0)
    with jax.enable_x64(True):
        np.testing.assert_allclose(r, jl.cholesky_update(R_UP, W), rtol=1e-12, atol=1e-15)
        for kw in (dict(alpha=2.0, beta=3.0), dict(alpha=0.5, beta=-1.0, symmetrize_output=True)):
            for c in (C_SYM, C_SQ):
                np.testing.assert_allclose(L.symmetric_product(X, c, **kw),
                                           jl.symmetric_product(X, c, **kw), rtol=1e-13)
        for left, c in ((True, C_L), (False, C_R)):
            for transpose in (False, True):
                np.testing.assert_allclose(
                    L.ormqr(H_RAW.T, TAUS, c, left=left, transpose=transpose),
                    jl.ormqr(H_RAW.T, TAUS, c, left=left, transpose=transpose), rtol=1e-12)
        u, h, n_iter, ok = L.qdwh(X)
        ju, jh, jn, jok = jl.qdwh(X)
    np.testing.assert_allclose(u, ju, atol=1e-12)
    np.testing.assert_allclose(h, jh, atol=1e-12)
    assert (int(n_iter), bool(ok)) == (int(jn), bool(jok))
    assert repr(n_iter) == repr(jn)   # a weak int32, as JAX
    u, h = np.asarray(u), np.asarray(h)
    np.testing.assert_allclose(u @ h, X, atol=1e-13)
    np.testing.assert_allclose(u.T @ u, np.eye(3), atol=1e-14)
    assert np.all(np.linalg.eigvalsh(h) > 0)
    # the polar factor is U V^T of the SVD
    su, _, svt = np.linalg.svd(X, full_matrices=False)
    np.testing.assert_allclose(u, su @ svt, atol=1e-12)


def test_one_compiled_module_float32():
    f = np.float32

    # (qdwh is checked eagerly: its QR steps take IREE ~10 s to compile on 2 cores)
    @irax.jit
    def everything(r, w, x, c, h, taus, cl):
        return (L.cholesky_update(r, w), L.symmetric_product(x, c, alpha=2.0, beta=0.5),
                L.ormqr(h, taus, cl, transpose=True))

    args = [v.astype(f) for v in (R_UP, W, X, C_SQ, H_RAW.T, TAUS, C_L)]
    got = everything(*args)
    want = (jl.cholesky_update(*args[:2]), jl.symmetric_product(args[2], args[3], alpha=2.0,
                                                                beta=0.5),
            jl.ormqr(args[4], args[5], args[6], transpose=True))
    for g, w in zip(got, want):
        assert np.asarray(g).dtype == np.float32
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=2e-5, atol=2e-5)
    # qdwh in float32, eagerly: the same iteration count as JAX
    u, p, n_iter, ok = L.qdwh(args[2])
    ju, jp, jn, jok = jl.qdwh(args[2])
    np.testing.assert_allclose(np.asarray(u), np.asarray(ju), atol=2e-5)
    np.testing.assert_allclose(np.asarray(p), np.asarray(jp), atol=2e-5)
    assert (int(n_iter), bool(ok)) == (int(jn), bool(jok))
    assert repr(n_iter) == repr(jn)   # a weak int32, as JAX


def test_vmap_matches_a_loop():
    rs = np.stack([R_UP, 2 * R_UP]).astype(np.float32)
    ws = np.stack([W, -W]).astype(np.float32)
    got = irax.vmap(L.cholesky_update)(rs, ws)
    for i in range(2):
        np.testing.assert_allclose(got[i], L.cholesky_update(rs[i], ws[i]), rtol=1e-6)
    xs = np.stack([X, X[::-1]]).astype(np.float32)
    cs = np.stack([C_SQ, C_SYM]).astype(np.float32)
    got = irax.vmap(lambda x, c: L.symmetric_product(x, c, beta=2.0))(xs, cs)
    for i in range(2):
        np.testing.assert_allclose(got[i], xs[i] @ xs[i].T + 2 * cs[i], rtol=1e-5, atol=1e-5)


def test_enums_are_jax_and_accepted():
    for ours, theirs in ((L.EigImplementation, jl.EigImplementation),
                         (L.EighImplementation, jl.EighImplementation),
                         (L.SvdAlgorithm, jl.SvdAlgorithm)):
        assert [(m.name, m.value) for m in ours] == [(m.name, m.value) for m in theirs]
    a = SPD.astype(np.float32)
    v, w = L.eigh(a, implementation=L.EighImplementation.JACOBI)
    np.testing.assert_allclose(w, np.linalg.eigvalsh(SPD), rtol=1e-5)
    s = L.svd(a, compute_uv=False, algorithm=L.SvdAlgorithm.QR)
    np.testing.assert_allclose(s, np.linalg.svd(SPD, compute_uv=False), rtol=1e-5)
    w_eig = L.eig(a, compute_left_eigenvectors=False, compute_right_eigenvectors=False,
                  implementation=L.EigImplementation.LAPACK)[0]
    np.testing.assert_allclose(np.sort(np.real(np.asarray(w_eig))), np.linalg.eigvalsh(SPD),
                               rtol=1e-4)
    with pytest.raises(ValueError, match="SvdAlgorithm"):
        L.svd(a, algorithm="qr")


def test_errors():
    with pytest.raises(ValueError, match="M >= N"):
        L.qdwh(np.ones((2, 3), np.float32))
    with pytest.raises(ValueError):
        L.cholesky_update(np.eye(3, dtype=np.float32), np.ones(4, np.float32))
    with pytest.raises(ValueError):
        L.ormqr(np.ones((3, 2), np.float32), np.ones(3, np.float32), np.ones((3, 3), np.float32))
