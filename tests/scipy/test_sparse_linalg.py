"""irax.scipy.sparse.linalg (cg, bicgstab, gmres) against numpy.linalg.solve and SciPy's
iterates (float64), gradients (implicit, via custom_linear_solve) against the analytic
derivatives of A^{-1} b. One compiled module serves the jit checks."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse.linalg as ssl

import irax
import irax.numpy as jnp
from irax.scipy.sparse import linalg as isl

N = 6
_rng = np.random.default_rng(0)
_Q = _rng.normal(size=(N, N))
SPD = _Q @ _Q.T + N * np.eye(N)                  # symmetric positive definite
GEN = _rng.normal(size=(N, N)) + 4 * np.eye(N)   # general, well conditioned
B = _rng.normal(size=N)

SOLVERS = {
    "cg": (isl.cg, SPD),
    "bicgstab": (isl.bicgstab, GEN),
    "gmres_batched": (lambda *a, **k: isl.gmres(*a, solve_method="batched", **k), GEN),
    "gmres_incremental": (lambda *a, **k: isl.gmres(*a, solve_method="incremental", **k),
                          GEN),
}


@pytest.mark.parametrize("name", sorted(SOLVERS))
def test_solves_match_numpy(name, x64):
    solve, A = SOLVERS[name]
    want = np.linalg.solve(A, B)
    x, info = solve(jnp.asarray(A), jnp.asarray(B), tol=1e-12)
    assert x.dtype == np.float64
    np.testing.assert_allclose(np.asarray(x), want, rtol=1e-9, atol=1e-10)
    # A as a function, a Jacobi preconditioner as a matrix, a starting guess
    Ad = jnp.asarray(A)
    x, _ = solve(lambda v: Ad @ v, jnp.asarray(B), x0=jnp.ones(N), tol=1e-12,
                 M=jnp.asarray(np.diag(1 / np.diag(A))))
    np.testing.assert_allclose(np.asarray(x), want, rtol=1e-9, atol=1e-10)
    if name.startswith("gmres"):
        assert int(info) == 0
    else:
        assert info is None


@pytest.mark.parametrize("name", sorted(SOLVERS))
def test_pytree_b(name, x64):
    # the operator acts on {"a": (2,), "b": (2, 2)}: the 6-vector in pieces
    solve, A = SOLVERS[name]
    Ad = jnp.asarray(A)

    def matvec(t):
        v = Ad @ jnp.concatenate([t["a"], t["b"].ravel()])
        return {"a": v[:2], "b": v[2:].reshape(2, 2)}

    x, _ = solve(matvec, {"a": jnp.asarray(B[:2]), "b": jnp.asarray(B[2:].reshape(2, 2))},
                 tol=1e-12)
    want = np.linalg.solve(A, B)
    np.testing.assert_allclose(np.asarray(x["a"]), want[:2], rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(np.asarray(x["b"]), want[2:].reshape(2, 2), rtol=1e-9,
                               atol=1e-10)


@pytest.mark.parametrize("name, ref", [("cg", ssl.cg), ("bicgstab", ssl.bicgstab)])
def test_partial_iterates_match_scipy(name, ref, x64):
    # stopped after two iterations, the iterate is SciPy's (the same recurrences)
    solve, A = SOLVERS[name]
    x, _ = solve(jnp.asarray(A), jnp.asarray(B), maxiter=2)
    want, _ = ref(A, B, maxiter=2, rtol=1e-5, atol=0.0)
    np.testing.assert_allclose(np.asarray(x), want, rtol=1e-10, atol=1e-12)


def test_gmres_restart_matches_scipy(x64):
    # one restart of a 3-dimensional Krylov space: SciPy's GMRES(3) after one cycle
    x, _ = isl.gmres(jnp.asarray(GEN), jnp.asarray(B), restart=3, maxiter=1)
    want, _ = ssl.gmres(GEN, B, restart=3, maxiter=1, rtol=1e-14, atol=0.0)
    np.testing.assert_allclose(np.asarray(x), want, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("name", sorted(SOLVERS))
def test_gradients_are_implicit(name, x64):
    # f(A, b) = w . A^{-1} b: df/db = A^{-T} w, df/dA = -(A^{-T} w) x^T
    solve, A = SOLVERS[name]
    w = np.arange(1.0, N + 1)

    def f(A, b):
        x, _ = solve(lambda v: A @ v, b, tol=1e-12)
        return jnp.dot(jnp.asarray(w), x)

    gA, gb = irax.grad(f, argnums=(0, 1))(jnp.asarray(A), jnp.asarray(B))
    lam = np.linalg.solve(A.T, w)
    x = np.linalg.solve(A, B)
    np.testing.assert_allclose(np.asarray(gb), lam, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(np.asarray(gA), -np.outer(lam, x), rtol=1e-8, atol=1e-10)


def test_jit_and_vmap():
    A32, G32 = SPD.astype(np.float32), GEN.astype(np.float32)
    bs = np.stack([B, -2 * B + 1]).astype(np.float32)

    # bicgstab is left to the eager tests: its operations are cg's (compile time)
    @irax.jit
    def run(A, G, b):
        return (isl.cg(A, b)[0], isl.gmres(G, b)[0],
                irax.grad(lambda b: isl.cg(A, b)[0].sum())(b))

    # a separate module: with both gmres variants in one module IREE's runtime fails
    # ("ref is null; while invoking native function hal.buffer.subspan")
    run_incremental = irax.jit(lambda G, b: isl.gmres(G, b, solve_method="incremental")[0])

    for b in bs:      # the second call reuses the modules
        cg, gb, g = run(A32, G32, b)
        gi = run_incremental(G32, b)
        for x, M in ((cg, SPD), (gb, GEN), (gi, GEN)):
            np.testing.assert_allclose(np.asarray(x), np.linalg.solve(M, b), rtol=1e-4,
                                       atol=1e-5)
        np.testing.assert_allclose(np.asarray(g), np.linalg.solve(SPD, np.ones(N)),
                                   rtol=1e-4, atol=1e-5)
    assert run._cache_size() == 1 and run_incremental._cache_size() == 1
    out = irax.vmap(lambda b: isl.gmres(jnp.asarray(G32), b)[0])(jnp.asarray(bs))
    loop = np.stack([np.asarray(isl.gmres(jnp.asarray(G32), jnp.asarray(b))[0]) for b in bs])
    np.testing.assert_allclose(np.asarray(out), loop, rtol=1e-5, atol=1e-6)


def test_bad_input_raises_like_jax():
    b = jnp.ones(3)
    with pytest.raises(ValueError, match="square matrix"):
        isl.cg(jnp.ones((3, 2)), b)
    with pytest.raises(TypeError, match="function or ndarray"):
        isl.bicgstab("A", b)
    with pytest.raises(ValueError, match="matching tree structure"):
        isl.cg(jnp.eye(3), b, x0=(b,))
    with pytest.raises(ValueError, match="matching shapes"):
        isl.cg(jnp.eye(3), b, x0=jnp.ones(2))
    with pytest.raises(ValueError, match="invalid solve_method"):
        isl.gmres(jnp.eye(3), b, solve_method="qr")
    assert irax.scipy.sparse.linalg.cg is isl.cg


@pytest.mark.parametrize("name", sorted(SOLVERS))
def test_complex_hermitian_system(name):
    solve, _ = SOLVERS[name]
    rng = np.random.default_rng(1)
    Q = rng.normal(size=(4, 4)) + 1j * rng.normal(size=(4, 4))
    A = (Q @ Q.conj().T + 4 * np.eye(4)).astype(np.complex64)    # Hermitian positive definite
    b = (rng.normal(size=4) + 1j * rng.normal(size=4)).astype(np.complex64)
    x, _ = solve(jnp.asarray(A), jnp.asarray(b))
    assert x.dtype == np.complex64
    np.testing.assert_allclose(np.asarray(x), np.linalg.solve(A, b), rtol=1e-4, atol=1e-5)
