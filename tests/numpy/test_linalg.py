"""irax.numpy.linalg against numpy.linalg: values in float64 (eager, batched), one compiled
float32 module holding every function and several gradients, gradients against float64
central differences, vmap against a Python loop, and JAX's errors."""
from __future__ import annotations

import numpy as np
import pytest

import irax
import irax.numpy as jnp
from tests.finite_differences import central_fd

LA = jnp.linalg
RNG = np.random.default_rng(7)
A = RNG.normal(size=(2, 3, 4, 4))                       # batched general matrices
B = RNG.normal(size=(2, 3, 4, 2))
SPD = A @ np.swapaxes(A, -1, -2) + 4 * np.eye(4)
TALL = RNG.normal(size=(5, 3))
WIDE = RNG.normal(size=(2, 4))


def _close(got, want, rtol=1e-10, atol=1e-10, msg=""):
    np.testing.assert_allclose(np.asarray(got), want, rtol=rtol, atol=atol, err_msg=msg)


def test_values_against_numpy(x64):
    _close(LA.cholesky(SPD), np.linalg.cholesky(SPD))
    _close(LA.cholesky(SPD, upper=True), np.swapaxes(np.linalg.cholesky(SPD), -1, -2))
    _close(LA.solve(A, B), np.linalg.solve(A, B))
    _close(LA.solve(A[0, 0], B[0, 0, :, 0]), np.linalg.solve(A[0, 0], B[0, 0, :, 0]))
    _close(LA.solve(A, B[0, 0]), np.linalg.solve(A, B[0, 0]))            # broadcast b
    _close(LA.inv(A), np.linalg.inv(A))
    _close(LA.det(A), np.linalg.det(A))
    sign, logdet = LA.slogdet(A)
    want_sign, want_logdet = np.linalg.slogdet(A)
    _close(sign, want_sign)
    _close(logdet, want_logdet)
    for a in (TALL, WIDE, A, RNG.normal(size=(3, 6, 4))):
        for mode in ("reduced", "complete"):
            q, r = LA.qr(a, mode=mode)
            want_q, want_r = np.linalg.qr(a, mode=mode)
            _close(q, want_q, msg=f"q {a.shape} {mode}")
            _close(r, want_r, msg=f"r {a.shape} {mode}")
        _close(LA.qr(a, mode="r"), np.linalg.qr(a, mode="r"))
    _close(LA.pinv(TALL), np.linalg.pinv(TALL))
    rank2 = TALL[:, :2] @ WIDE[:, :3]                                    # 5x3 of rank 2
    _close(LA.pinv(rank2), np.linalg.pinv(rank2))
    for a in (TALL, WIDE, rank2, A):
        assert np.array_equal(np.asarray(LA.matrix_rank(a)), np.linalg.matrix_rank(a))
    _close(LA.pinv(WIDE), np.linalg.pinv(WIDE))
    for power in (-3, 0, 1, 2, 5):
        _close(LA.matrix_power(A, power), np.linalg.matrix_power(A, power), rtol=1e-9)
    _close(LA.multi_dot([TALL.T, TALL, TALL.T]), np.linalg.multi_dot([TALL.T, TALL, TALL.T]))
    for ord_ in (None, "fro", 1, -1, np.inf, -np.inf):
        _close(LA.norm(TALL, ord=ord_), np.linalg.norm(TALL, ord=ord_), msg=str(ord_))
        _close(LA.norm(A, ord=ord_, axis=(-2, -1)), np.linalg.norm(A, ord=ord_, axis=(-2, -1)))
    for ord_ in (None, 0, 1, 2, 3, np.inf, -np.inf):
        _close(LA.norm(TALL[0], ord=ord_), np.linalg.norm(TALL[0], ord=ord_), msg=str(ord_))
    _close(LA.outer(TALL[0], WIDE[0]), np.outer(TALL[0], WIDE[0]))
    _close(LA.cross(TALL[0], TALL[1]), np.cross(TALL[0], TALL[1]))


def _same_up_to_column_signs(got, want, msg):
    signs = np.sign(np.sum(np.asarray(got) * want, axis=-2, keepdims=True))
    _close(np.asarray(got) * signs, want, rtol=1e-8, atol=1e-9, msg=msg)


def test_eigh_svd_lstsq_against_numpy(x64):
    w, v = LA.eigh(SPD)
    want_w, want_v = np.linalg.eigh(SPD)
    _close(w, want_w, rtol=1e-12)
    _same_up_to_column_signs(v, want_v, "eigh vectors")
    _close(LA.eigvalsh(SPD[0, 0]), np.linalg.eigvalsh(SPD[0, 0]))
    for uplo in ("L", "U"):       # JAX symmetrizes by default; without it one triangle is read
        _close(LA.eigh(A[0, 0], UPLO=uplo, symmetrize_input=False)[0],
               np.linalg.eigvalsh(A[0, 0], UPLO=uplo), msg=uplo)
    rank2 = TALL[:, :2] @ WIDE[:, :3]
    for a in (A, TALL, WIDE, rank2, TALL.T):
        want_u, want_s, want_vh = np.linalg.svd(a, full_matrices=False)
        u, s, vh = LA.svd(a, full_matrices=False)
        _close(s, want_s, msg=f"svd s {a.shape}")
        _close(LA.svd(a, compute_uv=False), want_s)
        k = np.linalg.matrix_rank(a)
        if np.all(k == min(a.shape[-2:])):
            _same_up_to_column_signs(u, want_u, f"svd u {a.shape}")
            _same_up_to_column_signs(np.swapaxes(vh, -1, -2), np.swapaxes(want_vh, -1, -2),
                                     f"svd v {a.shape}")
        full_u, _, full_vh = LA.svd(a)                       # full_matrices: orthogonal
        for q in (full_u, full_vh):
            q = np.asarray(q)
            _close(np.swapaxes(q, -1, -2) @ q, np.broadcast_to(np.eye(q.shape[-1]), q.shape))
        _close(np.asarray(full_u)[..., :, :np.shape(u)[-1]], np.asarray(u))
    for ord_ in (2, -2, "nuc"):
        _close(LA.norm(TALL, ord=ord_), np.linalg.norm(TALL, ord=ord_), msg=str(ord_))
    for b in (np.arange(5.0), np.stack([np.arange(5.0), np.ones(5)], 1)):
        for got, want in zip(LA.lstsq(TALL, b), np.linalg.lstsq(TALL, b)):
            _close(got, want)
    x, _, rank, _ = LA.lstsq(rank2, np.arange(5.0))
    want_x, _, want_rank, _ = np.linalg.lstsq(rank2, np.arange(5.0))
    _close(x, want_x)
    assert int(rank) == want_rank == 2


def test_array_api_names_against_numpy(x64):
    _close(LA.matrix_transpose(A), np.linalg.matrix_transpose(A))
    _close(LA.svdvals(A), np.linalg.svdvals(A))
    for p in (None, 2, 1, np.inf, "fro"):
        _close(LA.cond(A[0], p=p), np.linalg.cond(A[0], p=p), rtol=1e-8, msg=str(p))
    _close(LA.vector_norm(A), np.linalg.vector_norm(A))
    _close(LA.vector_norm(A, axis=-1, ord=1), np.linalg.vector_norm(A, axis=-1, ord=1))
    _close(LA.vector_norm(A, keepdims=True), np.linalg.vector_norm(A, keepdims=True))
    _close(LA.matrix_norm(A), np.linalg.matrix_norm(A))
    _close(LA.matrix_norm(A, ord=2), np.linalg.matrix_norm(A, ord=2))
    _close(LA.trace(A, offset=1), np.linalg.trace(A, offset=1))
    _close(LA.diagonal(A), np.linalg.diagonal(A))
    _close(LA.vecdot(A, A[..., :1, :]), np.linalg.vecdot(A, A[..., :1, :]))
    _close(LA.vecdot(A, A, axis=-2), np.linalg.vecdot(A, A, axis=-2))
    _close(LA.tensordot(A[0, 0], B[0, 0], 1), np.linalg.tensordot(A[0, 0], B[0, 0], axes=1))


def test_tensorinv_tensorsolve_against_numpy(x64):
    t = RNG.normal(size=(2, 3, 6))
    _close(LA.tensorinv(t, ind=2), np.linalg.tensorinv(t, ind=2))
    t4 = RNG.normal(size=(6, 2, 3))
    rhs = RNG.normal(size=(6,))
    _close(LA.tensorsolve(t4, rhs), np.linalg.tensorsolve(t4, rhs))
    t5 = RNG.normal(size=(2, 6, 3))
    _close(LA.tensorsolve(t5, rhs, axes=(0, 2)), np.linalg.tensorsolve(t5, rhs, axes=(0, 2)))
    with pytest.raises(ValueError, match="square"):
        LA.tensorsolve(np.ones((2, 3)), np.ones(2))


def test_singular_and_pivoting(x64):
    singular = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])
    assert float(LA.det(singular)) == 0.0
    sign, logdet = LA.slogdet(singular)
    assert float(sign) == 0.0 and float(logdet) == -np.inf
    needs_pivot = np.array([[0.0, 1.0], [1.0, 0.0]])            # zero leading entry
    _close(LA.solve(needs_pivot, np.array([2.0, 3.0])), [3.0, 2.0])
    _close(LA.det(needs_pivot), -1.0)
    assert np.isnan(np.asarray(LA.cholesky(-np.eye(2)))).any()   # not positive definite


# one compiled float32 module on small matrices (the unrolled code grows as n^2..n^3; inv,
# slogdet, pinv, svd share their kernels with solve, det and eigh, and are checked eagerly)
def _everything(a, b, spd, tall):
    q, r = LA.qr(tall)
    w, v = LA.eigh(spd[:3, :3])
    grads = irax.grad(lambda a_, s_: LA.det(a_) + jnp.sum(LA.cholesky(s_) * a_),
                      argnums=(0, 1))(a, spd)
    return dict(w=w, vv=v * v, chol=LA.cholesky(spd), solve=LA.solve(a, b), det=LA.det(a),
                q=q, r=r, mpow=LA.matrix_power(a, 3), ga=grads[0], gs=grads[1])


def test_jit_float32_matches_numpy_and_eager():
    a, b, spd = (x[0, 0].astype(np.float32) for x in (A, B, SPD))
    tall = TALL.astype(np.float32)
    got = irax.jit(_everything)(a, b, spd, tall)
    eager = _everything(a, b, spd, tall)
    q, r = np.linalg.qr(tall)
    want_w, want_v = np.linalg.eigh(spd[:3, :3])
    a64, spd64 = a.astype(np.float64), spd.astype(np.float64)
    low = np.linalg.cholesky(spd64)
    want = dict(w=want_w, vv=want_v * want_v, chol=np.linalg.cholesky(spd),
                solve=np.linalg.solve(a, b), det=np.linalg.det(a), q=q, r=r,
                mpow=np.linalg.matrix_power(a, 3),
                ga=np.linalg.det(a64) * np.linalg.inv(a64).T + low,   # d det = det inv^T
                gs=central_fd(lambda s_: np.sum(np.linalg.cholesky((s_ + s_.T) / 2)
                                                         * a64), spd64))
    for key, value in want.items():
        _close(got[key], value, rtol=2e-4, atol=2e-4, msg=key)
    for key in got:
        _close(got[key], np.asarray(eager[key]), rtol=2e-4, atol=2e-4, msg=f"eager {key}")


W = RNG.normal(size=(4, 4))
GRAD_CASES = {
    "cholesky": (lambda x: LA.cholesky(x), lambda x: x @ x.T + 3 * np.eye(3)),
    "solve_a": (lambda x: LA.solve(x, B[0, 0, :3]), lambda x: x),
    "solve_b": (lambda x: LA.solve(A[0, 0, :3, :3], x), lambda x: x),
    "inv": (lambda x: LA.inv(x), lambda x: x),
    "det": (lambda x: LA.det(x), lambda x: x),
    "slogdet": (lambda x: LA.slogdet(x).logabsdet, lambda x: x),
    "qr_r": (lambda x: LA.qr(x)[1], lambda x: x),
    "qr_q": (lambda x: LA.qr(x)[0], lambda x: x),
    "pinv": (lambda x: LA.pinv(x), lambda x: x),
    "eigh_w": (lambda x: LA.eigh(x)[0], lambda x: x + x.T),
    "eigh_v": (lambda x: LA.eigh(x)[1] * LA.eigh(x)[1][..., :1, :], lambda x: x + x.T),
    "svd_s": (lambda x: LA.svd(x, compute_uv=False), lambda x: x),
    "svd_uv": (lambda x: LA.svd(x)[0] * LA.svd(x)[2].T[..., :1, :], lambda x: x),
    "lstsq": (lambda x: LA.lstsq(x, B[0, 0, :3, 0])[0], lambda x: x),
}


@pytest.mark.parametrize("name", sorted(GRAD_CASES))
def test_grad_against_central_differences(name, x64):
    fn, make = GRAD_CASES[name]
    x = make(A[1, 2, :3, :3] + np.eye(3))

    def scalar(v):
        out = fn(v)
        return jnp.sum(out * W.ravel()[:out.size].reshape(out.shape))

    got = irax.grad(scalar)(x)
    want = central_fd(lambda v: float(scalar(v)), x)
    _close(got, want, rtol=1e-6, atol=1e-7, msg=name)


def test_vmap_matches_python_loop():
    a, b, spd = A[0].astype(np.float32), B[0].astype(np.float32), SPD[0].astype(np.float32)
    cases = {
        "solve": (LA.solve, (a, b)),
        "det": (LA.det, (a,)),
        "slogdet": (lambda x: LA.slogdet(x).logabsdet, (a,)),
        "cholesky": (LA.cholesky, (spd,)),
        "inv": (LA.inv, (a,)),
        "qr": (lambda x: LA.qr(x)[1], (a,)),
        "grad_det": (irax.grad(LA.det), (a,)),
        "eigh": (lambda x: LA.eigh(x)[0], (spd,)),
        "svd": (lambda x: LA.svd(x, compute_uv=False), (a,)),
    }
    for name, (f, args) in cases.items():
        got = irax.vmap(f)(*[jnp.asarray(x) for x in args])
        want = np.stack([np.asarray(f(*[jnp.asarray(x[i]) for x in args]))
                         for i in range(args[0].shape[0])])
        _close(got, want, rtol=1e-5, atol=1e-6, msg=name)


def test_errors_as_jax():
    with pytest.raises(ValueError, match="square"):
        LA.inv(np.ones((2, 3)))
    with pytest.raises(ValueError, match="two dimensional"):
        LA.det(np.ones(3))
    with pytest.raises(ValueError, match="incompatible"):
        LA.solve(np.eye(3), np.ones(2))
    with pytest.raises(ValueError, match="mode"):
        LA.qr(np.eye(2), mode="bogus")
    with pytest.raises(TypeError, match="integer"):
        LA.matrix_power(np.eye(2), 1.5)
    with pytest.raises(ValueError, match="at least two"):
        LA.multi_dot([np.eye(2)])


def test_linalg_is_a_module():
    import importlib
    module = importlib.import_module("irax.numpy.linalg")
    assert jnp.linalg is module
