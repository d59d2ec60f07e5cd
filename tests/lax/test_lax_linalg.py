"""irax.lax.linalg under jax.lax.linalg's conventions, against JAX 0.10 (test-only oracle):
values up to the sign freedom of eigen/singular vectors and QR, reconstructions, one
compiled module, and gradients of the solves against JAX's."""
import jax
import numpy as np
import pytest

import irax
import irax.lax as lax
import irax.numpy as jnp
from tests.jax_oracle import assert_like_jax

RNG = np.random.default_rng(0)
A = RNG.normal(size=(4, 4)).astype(np.float32)
SPD = A @ A.T + 4 * np.eye(4, dtype=np.float32)
TALL = A[:, :3].copy()
B = RNG.normal(size=(4, 3)).astype(np.float32)
BT = RNG.normal(size=(3, 4)).astype(np.float32)
TRI = np.tril(A) + 3 * np.eye(4, dtype=np.float32)
DL = np.r_[0, RNG.normal(size=3)].astype(np.float32)
D = (4 + RNG.random(4)).astype(np.float32)
DU = np.r_[RNG.normal(size=3), 0].astype(np.float32)
SOLVES = [dict(left_side=True, lower=True), dict(left_side=True, lower=False, transpose_a=True),
          dict(left_side=False, lower=True), dict(left_side=False, lower=True, transpose_a=True,
                                                  unit_diagonal=True)]


def solves_and_lu(L, a, tri, b, bt, dl, d, du):
    """What lax.linalg adds over jnp.linalg: the solve conventions, LU's outputs, pivots."""
    lu_, piv, perm = L.linalg.lu(a)
    out = {"lu": lu_, "lu_pivots": piv, "lu_permutation": perm,
           "pivots_to_permutation": L.linalg.lu_pivots_to_permutation(piv, 6),
           "tridiagonal_solve": L.linalg.tridiagonal_solve(dl, d, du, b)}
    for i, kw in enumerate(SOLVES):
        out[f"triangular_solve_{i}"] = L.linalg.triangular_solve(
            tri, b if kw["left_side"] else bt, **kw)
    return out


def decompositions(L, a, spd, tall, tri, b, bt, dl, d, du):
    """Sign-free results of every function (abs of vectors, products that fix the sign)."""
    v, w = L.linalg.eigh(spd)
    q, r = L.linalg.qr(tall)
    u, s, vh = L.linalg.svd(tall)
    return {"cholesky": L.linalg.cholesky(spd), "eigh_w": w, "eigh_abs_v": abs(v),
            "qr_abs_q": abs(q), "qr_abs_r": abs(r), "svd_s": s, "svd_abs_u": abs(u[:, :3]),
            "svd_abs_vh": abs(vh), "svd_values_only": L.linalg.svd(a, compute_uv=False),
            "qr_reduced_abs_q": abs(L.linalg.qr(tall, full_matrices=False)[0]),
            **solves_and_lu(L, a, tri, b, bt, dl, d, du)}


ARGS = (A, SPD, TALL, TRI, B, BT, DL, D, DU)


@pytest.fixture(scope="module")
def reference():
    return decompositions(jax.lax, *ARGS)


def test_eager_matches_jax(reference):
    got = decompositions(lax, *ARGS)
    assert set(got) == set(reference)
    for k in reference:
        assert_like_jax(got[k], reference[k], k, rtol=2e-4, atol=2e-5)


def test_one_compiled_module_matches_jax(reference):
    # eigh/svd/qr/cholesky compile as jnp.linalg's (tests/numpy/test_linalg.py compiles
    # those); the module holds what lax.linalg adds
    got = irax.jit(lambda *xs: solves_and_lu(lax, *xs))(A, TRI, B, BT, DL, D, DU)
    assert len(got) == 5 + len(SOLVES)
    for k in got:
        assert_like_jax(got[k], reference[k], "jit " + k, rtol=2e-4, atol=2e-5)


def test_solve_gradients_match_jax():
    def loss(L, np_):
        def f(tri, b, d):
            x = L.linalg.triangular_solve(tri, b, left_side=True, lower=True)
            y = L.linalg.tridiagonal_solve(DL, d, DU, b)
            return np_.sum(np_.sin(x)) + np_.sum(y * y)
        return f
    import jax.numpy as jjnp
    want = jax.grad(loss(jax.lax, jjnp), argnums=(0, 1, 2))(TRI, B, D)
    got = irax.grad(loss(lax, jnp), argnums=(0, 1, 2))(TRI, B, D)
    for i, (g, r) in enumerate(zip(got, want)):
        # JAX's triangular_solve gradient is confined to the lower triangle it reads
        assert_like_jax(np.tril(g) if i == 0 else g, np.tril(r) if i == 0 else r, f"d{i}",
                        rtol=2e-4, atol=2e-5)


def test_lax_nextafter_is_strict_about_dtypes():
    x = np.array([0.0, 1.0, -1.0], np.float32)
    assert_like_jax(lax.nextafter(x, np.float32(2)), jax.lax.nextafter(x, np.float32(2)), "nextafter")
    for L in (lax, jax.lax):
        with pytest.raises(TypeError):
            L.nextafter(x, x.astype(np.float16))


def test_unsupported_options_say_so():
    with pytest.raises(NotImplementedError, match="pivoting"):
        lax.linalg.qr(A, pivoting=True)
    with pytest.raises(NotImplementedError, match="subset_by_index"):
        lax.linalg.eigh(SPD, subset_by_index=(0, 2))
    with pytest.raises(TypeError):
        lax.linalg.lu_pivots_to_permutation(np.array([1.0, 0.0], np.float32), 3)
