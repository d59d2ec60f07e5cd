"""irax.scipy.linalg against scipy.linalg: values in float64 (eager, every lower/trans/
unit_diagonal combination), one compiled float32 module, gradients against float64 central
differences, vmap against a Python loop, and errors."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg as sl

import irax
import irax.numpy as jnp
from irax.scipy import linalg as la
from tests.finite_differences import central_fd

RNG = np.random.default_rng(11)
A = RNG.normal(size=(4, 4))
B = RNG.normal(size=(4, 3))
SPD = A @ A.T + 3 * np.eye(4)
LOWER = np.tril(A) + 4 * np.eye(4)
UPPER = np.triu(A) + 4 * np.eye(4)
BATCH = RNG.normal(size=(3, 4, 4))


def _close(got, want, rtol=1e-10, atol=1e-10, msg=""):
    np.testing.assert_allclose(np.asarray(got), want, rtol=rtol, atol=atol, err_msg=msg)


def test_values_against_scipy(x64):
    for lower in (False, True):
        _close(la.cholesky(SPD, lower=lower), sl.cholesky(SPD, lower=lower))
        c = la.cho_factor(SPD, lower=lower)
        _close(la.cho_solve(c, B), sl.cho_solve(sl.cho_factor(SPD, lower=lower), B))
        _close(la.cho_solve(c, B[:, 0]), sl.cho_solve(sl.cho_factor(SPD, lower=lower), B[:, 0]))
        _close(la.solve(SPD, B, assume_a="pos", lower=lower), sl.solve(SPD, B, assume_a="pos"))
        for trans in (0, 1, 2, "N", "T", "C"):
            for unit in (False, True):
                for b in (B, B[:, 1]):
                    # the unused triangle holds garbage, which must be ignored
                    _close(la.solve_triangular(A, b, trans=trans, lower=lower,
                                               unit_diagonal=unit),
                           sl.solve_triangular(A + 5 * np.eye(4), b, trans=trans, lower=lower,
                                               unit_diagonal=unit) if unit else
                           sl.solve_triangular(A, b, trans=trans, lower=lower),
                           rtol=1e-8, msg=f"{lower} {trans} {unit}")
    _close(la.solve(A, B), sl.solve(A, B))
    _close(la.inv(A), sl.inv(A))
    _close(la.det(A), sl.det(A))
    for a in (A, RNG.normal(size=(5, 3)), RNG.normal(size=(3, 5))):
        p, l_, u = la.lu(a)
        want_p, want_l, want_u = sl.lu(a)
        _close(p, want_p, msg="p")
        _close(l_, want_l, msg="l")
        _close(u, want_u, msg="u")
        pl, u2 = la.lu(a, permute_l=True)
        _close(pl, sl.lu(a, permute_l=True)[0])
        for mode in ("full", "economic"):
            q, r = la.qr(a, mode=mode)
            want_q, want_r = sl.qr(a, mode=mode)
            _close(q, want_q, msg=f"q {mode}")
            _close(r, want_r, msg=f"r {mode}")
        (r,) = la.qr(a, mode="r")
        _close(r, sl.qr(a, mode="r")[0])
    lu_, piv = la.lu_factor(A)
    want_lu, want_piv = sl.lu_factor(A)
    _close(lu_, want_lu)
    np.testing.assert_array_equal(np.asarray(piv), want_piv)
    for trans in (0, 1):
        _close(la.lu_solve((lu_, piv), B, trans=trans), sl.lu_solve((want_lu, want_piv), B,
                                                                    trans=trans))
    # batched, as JAX: a stack of matrices
    p, l_, u = la.lu(BATCH)
    _close(p @ l_ @ u, BATCH)
    _close(la.lu_solve(la.lu_factor(BATCH), B), np.linalg.solve(BATCH, B))


def test_eigh_svd_against_scipy(x64):
    for lower in (True, False):
        w, v = la.eigh(A, lower=lower)
        want_w, want_v = sl.eigh(A, lower=lower)
        _close(w, want_w)
        signs = np.sign(np.sum(np.asarray(v) * want_v, axis=0))
        _close(np.asarray(v) * signs, want_v, rtol=1e-8, atol=1e-9)
        _close(la.eigh(A, lower=lower, eigvals_only=True), want_w)
    for a in (A, RNG.normal(size=(5, 3))):
        u, s, vh = la.svd(a)
        _close(s, sl.svd(a, compute_uv=False))
        _close(la.svd(a, compute_uv=False), sl.svd(a, compute_uv=False))
        k = np.shape(s)[0]
        _close(np.asarray(u)[:, :k] * np.asarray(s) @ np.asarray(vh)[:k], a)


def test_expm_against_scipy(x64):
    for a in (A, 10 * A, np.zeros((2, 2)), 1e-3 * A, BATCH, np.triu(A)):
        want = np.stack([sl.expm(x) for x in a]) if a.ndim == 3 else sl.expm(a)
        _close(la.expm(a), want, rtol=1e-11, atol=1e-12 * np.abs(want).max())


def _everything(a, b, spd, low):
    p, l_, u = la.lu(a)
    lu_, piv = la.lu_factor(a)
    c = la.cho_factor(spd, lower=True)
    g = irax.grad(lambda m: jnp.sum(la.solve_triangular(m, b, lower=True, trans=1)))(low)
    return dict(chol=la.cholesky(spd), cho_solve=la.cho_solve(c, b),
                tri=la.solve_triangular(low, b, lower=True), p=p, l=l_, u=u, lu=lu_, piv=piv,
                lu_solve=la.lu_solve((lu_, piv), b), det=la.det(a), g=g, expm=la.expm(a))


def test_jit_float32_matches_scipy():
    a, b, spd, low = (x.astype(np.float32) for x in (A, B, SPD, LOWER))
    got = irax.jit(_everything)(a, b, spd, low)
    eager = _everything(a, b, spd, low)
    p, l_, u = sl.lu(a)
    lu_, piv = sl.lu_factor(a)
    want = dict(chol=sl.cholesky(spd), cho_solve=np.linalg.solve(spd, b),
                tri=sl.solve_triangular(low, b, lower=True), p=p, l=l_, u=u, lu=lu_, piv=piv,
                lu_solve=np.linalg.solve(a, b), det=np.linalg.det(a), expm=sl.expm(a))
    for key, value in want.items():
        _close(got[key], value, rtol=2e-4, atol=2e-4, msg=key)
    for key in got:
        _close(got[key], np.asarray(eager[key]), rtol=2e-4, atol=2e-4, msg=f"eager {key}")


GRAD_CASES = {
    "solve_triangular_a": lambda x: la.solve_triangular(x, B, lower=True),
    "solve_triangular_trans": lambda x: la.solve_triangular(x, B, lower=False, trans="T"),
    "solve_triangular_b": lambda x: la.solve_triangular(LOWER, x[:, :3], lower=True),
    "cholesky_upper": lambda x: la.cholesky(x @ x.T + 3 * jnp.eye(4)),
    "cho_solve": lambda x: la.cho_solve(la.cho_factor(x @ x.T + 3 * jnp.eye(4)), B),
    "lu_u": lambda x: la.lu(x)[2],
    "lu_l": lambda x: la.lu(x)[1],
    "lu_solve": lambda x: la.lu_solve(la.lu_factor(x), B),
    "expm": lambda x: la.expm(x),
    "solve_pos": lambda x: la.solve(x @ x.T + 3 * jnp.eye(4), B, assume_a="pos"),
}


@pytest.mark.parametrize("name", sorted(GRAD_CASES))
def test_grad_against_central_differences(name, x64):
    fn = GRAD_CASES[name]
    x = LOWER + 0.1 * A
    weights = RNG.normal(size=(4, 4))

    def scalar(v):
        out = fn(v)
        return jnp.sum(out * weights[:out.shape[0], :out.shape[1]])

    got = irax.grad(scalar)(x)
    want = central_fd(lambda v: float(scalar(v)), x)
    _close(got, want, rtol=1e-6, atol=1e-7, msg=name)


def test_vmap_matches_python_loop():
    batch, b = BATCH.astype(np.float32), B.astype(np.float32)
    spd = (BATCH @ np.swapaxes(BATCH, -1, -2) + 3 * np.eye(4)).astype(np.float32)
    cases = {
        "solve_triangular": (lambda m: la.solve_triangular(m, b, lower=True),
                             (batch + 4 * np.eye(4, dtype=np.float32),)),
        "cho_solve": (lambda m: la.cho_solve(la.cho_factor(m), b), (spd,)),
        "lu_u": (lambda m: la.lu(m)[2], (batch,)),
        "expm": (la.expm, (batch,)),
        "lu_solve": (lambda m, v: la.lu_solve(la.lu_factor(m), v), (batch, batch[:, :, :2])),
    }
    for name, (f, args) in cases.items():
        got = irax.vmap(f)(*[jnp.asarray(x) for x in args])
        want = np.stack([np.asarray(f(*[jnp.asarray(x[i]) for x in args]))
                         for i in range(args[0].shape[0])])
        _close(got, want, rtol=1e-5, atol=1e-6, msg=name)


def test_errors():
    with pytest.raises(ValueError, match="trans"):
        la.solve_triangular(np.eye(2), np.ones(2), trans=3)
    with pytest.raises(ValueError, match="assume_a"):
        la.solve(np.eye(2), np.ones(2), assume_a="banded")
    with pytest.raises(ValueError, match="mode"):
        la.qr(np.eye(2), mode="reduced")
    with pytest.raises(ValueError, match="incompatible"):
        la.cho_solve((np.eye(3), True), np.ones(2))
