"""lax.gather and the scatter family with XLA dimension numbers, against JAX 0.10.

Reference: JAX itself (test-only oracle) for values, dtypes and shapes, eager and in one
compiled module; JAX's grad for the gradients (a differentiable gather/scatter has an
unambiguous derivative); a Python loop for vmap.
"""
import jax
import numpy as np
import pytest

import irax
import irax.lax as lax
from tests.jax_oracle import assert_like_jax

RNG = np.random.default_rng(0)
X3 = RNG.normal(size=(3, 4, 5)).astype(np.float32)
X2 = RNG.normal(size=(6, 5)).astype(np.float32)
XI = np.arange(20, dtype=np.int32).reshape(4, 5)
IDX2 = np.array([[0, 1], [2, 3], [1, 4], [-1, 0], [2, 9], [5, 1]], np.int32)


def G(L, **kw):
    return L.GatherDimensionNumbers(**kw)


def S(L, **kw):
    return L.ScatterDimensionNumbers(**kw)


# (name, function of the lax module): the same program on irax.lax and jax.lax
GATHERS = {
    "points": lambda L, A: L.gather(A['X2'], A['IDX2'][:4], G(L, offset_dims=(), collapsed_slice_dims=(0, 1),
                                                  start_index_map=(0, 1)), (1, 1)),
    "rows": lambda L, A: L.gather(A['X2'], np.array([[4], [0], [2]]), G(L, offset_dims=(1,),
                               collapsed_slice_dims=(0,), start_index_map=(0,)), (1, 5)),
    "windows_clamped": lambda L, A: L.gather(A['X2'], A['IDX2'], G(L, offset_dims=(1, 2),
                                          collapsed_slice_dims=(), start_index_map=(0, 1)),
                                          (2, 3)),
    "windows_clip": lambda L, A: L.gather(A['X2'], A['IDX2'], G(L, offset_dims=(1, 2),
                                       collapsed_slice_dims=(), start_index_map=(0, 1)),
                                       (2, 3), mode="clip"),
    "windows_fill": lambda L, A: L.gather(A['X2'], A['IDX2'], G(L, offset_dims=(1, 2),
                                       collapsed_slice_dims=(), start_index_map=(0, 1)),
                                       (2, 3), mode="fill"),
    "windows_fill_value": lambda L, A: L.gather(A['X2'], A['IDX2'], G(L, offset_dims=(1,),
                                             collapsed_slice_dims=(0,), start_index_map=(0, 1)),
                                             (1, 2), mode=L.GatherScatterMode.FILL_OR_DROP,
                                             fill_value=-3.0),
    "int_fill_default": lambda L, A: L.gather(A['XI'], A['IDX2'], G(L, offset_dims=(), collapsed_slice_dims=(0, 1),
                                           start_index_map=(0, 1)), (1, 1), mode="fill"),
    "offset_in_middle_reversed_map": lambda L, A: L.gather(
        A['X3'], np.array([[[1, 0], [4, 2]], [[0, 1], [2, 0]], [[3, 2], [0, 0]]]),
        G(L, offset_dims=(1,), collapsed_slice_dims=(0, 2), start_index_map=(2, 0)), (1, 3, 1)),
    "operand_batching": lambda L, A: L.gather(
        A['X3'], np.array([[[1], [3]], [[0], [0]], [[2], [1]]]),
        G(L, offset_dims=(2,), collapsed_slice_dims=(1,), start_index_map=(1,),
          operand_batching_dims=(0,), start_indices_batching_dims=(0,)), (1, 1, 5)),
    "scalar_index_batch": lambda L, A: L.gather(A['X2'], np.array([3]), G(L, offset_dims=(0,),
                                             collapsed_slice_dims=(0,), start_index_map=(0,)),
                                             (1, 5)),
    "index_take": lambda L, A: L.index_take(A['X3'], (np.array([0, 2, -1, 4]), np.array([1, 3, 0, 2])),
                                         (0, 2)),
}

UPD_POINTS = RNG.normal(size=(6,)).astype(np.float32)
UPD_WIN = RNG.normal(size=(6, 2, 3)).astype(np.float32)
UNIQUE = np.array([[0, 1], [2, 3], [1, 4], [4, 0], [5, 2], [3, 3]], np.int32)
REPEATED = np.concatenate([IDX2[:5], IDX2[:1]])  # a repeat and an out-of-bounds row
POINT_DN = dict(update_window_dims=(), inserted_window_dims=(0, 1),
                scatter_dims_to_operand_dims=(0, 1))
WIN_DN = dict(update_window_dims=(1, 2), inserted_window_dims=(),
              scatter_dims_to_operand_dims=(0, 1))

SCATTERS = {
    "add_points_repeated_oob_dropped": lambda L, A: L.scatter_add(
        A['X2'], REPEATED, A['UPD_POINTS'], S(L, **POINT_DN)),
    "add_windows_dropped": lambda L, A: L.scatter_add(A['X2'], A['IDX2'], A['UPD_WIN'], S(L, **WIN_DN)),
    "add_windows_clip": lambda L, A: L.scatter_add(A['X2'], A['IDX2'], A['UPD_WIN'], S(L, **WIN_DN), mode="clip"),
    "sub_windows": lambda L, A: L.scatter_sub(A['X2'], A['IDX2'], A['UPD_WIN'], S(L, **WIN_DN)),
    "mul_points": lambda L, A: L.scatter_mul(A['X2'], A['IDX2'], A['UPD_POINTS'], S(L, **POINT_DN)),
    "min_windows": lambda L, A: L.scatter_min(A['X2'], A['IDX2'], A['UPD_WIN'], S(L, **WIN_DN), mode="clip"),
    "max_points": lambda L, A: L.scatter_max(A['X2'], A['IDX2'], A['UPD_POINTS'], S(L, **POINT_DN)),
    "set_unique_points": lambda L, A: L.scatter(A['X2'], A['UNIQUE'], A['UPD_POINTS'], S(L, **POINT_DN),
                                             unique_indices=True),
    "set_rows_window_first": lambda L, A: L.scatter(
        A['X2'], np.array([[1], [4]]), np.arange(10, dtype=np.float32).reshape(5, 2),
        S(L, update_window_dims=(0,), inserted_window_dims=(0,), scatter_dims_to_operand_dims=(0,))),
    "int_add": lambda L, A: L.scatter_add(A['XI'], A['IDX2'][:3], np.array([5, 6, 7], np.int32),
                                       S(L, **POINT_DN)),
    "operand_batching": lambda L, A: L.scatter_add(
        A['X3'], np.array([[[1], [1]], [[0], [3]], [[2], [9]]]), np.ones((3, 2, 5), np.float32),
        S(L, update_window_dims=(2,), inserted_window_dims=(1,), scatter_dims_to_operand_dims=(1,),
          operand_batching_dims=(0,), scatter_indices_batching_dims=(0,))),
}

CASES = {**{"gather_" + k: v for k, v in GATHERS.items()},
         **{"scatter_" + k: v for k, v in SCATTERS.items()}}
ARRAYS = {"X2": X2, "X3": X3, "XI": XI, "IDX2": IDX2, "UPD_POINTS": UPD_POINTS,
          "UPD_WIN": UPD_WIN, "UNIQUE": UNIQUE}


@pytest.mark.parametrize("name", sorted(CASES))
def test_eager_matches_jax(name):
    ref = np.asarray(CASES[name](jax.lax, ARRAYS))
    out = np.asarray(CASES[name](lax, ARRAYS))
    assert out.dtype == ref.dtype and out.shape == ref.shape, (out.dtype, out.shape)
    np.testing.assert_allclose(out, ref, rtol=1e-6, atol=1e-6, equal_nan=True)


# one module of the cases that exercise distinct index arithmetic (compile time is per dispatch)
JIT_CASES = ["gather_windows_fill", "gather_offset_in_middle_reversed_map", "gather_operand_batching",
             "gather_windows_clamped", "scatter_add_windows_dropped", "scatter_min_windows",
             "scatter_set_rows_window_first", "scatter_operand_batching",
             "scatter_add_points_repeated_oob_dropped"]


def test_one_compiled_module_matches_jax():
    names = JIT_CASES

    # operands, indices and updates are arguments: the module gathers and scatters at run time
    outs = irax.jit(lambda arrays: [CASES[n](lax, arrays) for n in names])(ARRAYS)
    for n, out in zip(names, outs):
        ref = np.asarray(CASES[n](jax.lax, ARRAYS))
        assert np.asarray(out).dtype == ref.dtype and np.shape(out) == ref.shape, n
        np.testing.assert_allclose(np.asarray(out), ref, rtol=1e-6, atol=1e-6, equal_nan=True,
                                   err_msg=n)


def _gather_rows(L, x, idx):
    return L.gather(x, idx, G(L, offset_dims=(1, 2), collapsed_slice_dims=(),
                                 start_index_map=(0, 1)), (2, 3), mode="fill", fill_value=0.0)


def _scatter_windows(L, x, upd):
    return L.scatter_add(x, IDX2, upd, S(L, **WIN_DN))


def test_gradients_match_jax():
    w = RNG.normal(size=(6, 2, 3)).astype(np.float32)

    def loss_g(L, np_):
        return lambda x: np_.sum(_gather_rows(L, x, IDX2) * w)

    def loss_s(L, np_):
        return lambda x, u: np_.sum(np_.sin(_scatter_windows(L, x, u)))

    def loss_m(L, np_):   # scatter_mul's derivative in the updates needs unique indices (as JAX)
        return lambda x, u: np_.sum(L.scatter_mul(x, UNIQUE, u, S(L, **POINT_DN),
                                                  unique_indices=True) ** 2)
    import jax.numpy as jjnp
    import irax.numpy as ijnp
    assert_like_jax(irax.grad(loss_g(lax, ijnp))(X2), jax.grad(loss_g(jax.lax, jjnp))(X2), "gather")
    for name, loss, args in (("scatter_add", loss_s, (X2, UPD_WIN)), ("scatter_mul", loss_m, (X2, UPD_POINTS))):
        got = irax.grad(loss(lax, ijnp), argnums=(0, 1))(*args)
        want = jax.grad(loss(jax.lax, jjnp), argnums=(0, 1))(*args)
        for i, (g, r) in enumerate(zip(got, want)):
            assert_like_jax(g, r, f"{name} d{i}", rtol=1e-5, atol=1e-5)
    def repeated_mul(L):
        return lambda u: L.scatter_mul(X2, IDX2[:1].repeat(6, 0), u, S(L, **POINT_DN)).sum()
    for L, grad in ((jax.lax, jax.grad), (lax, irax.grad)):
        with pytest.raises(NotImplementedError):
            grad(repeated_mul(L))(UPD_POINTS)
    # and the same gradients in a compiled module
    got = irax.jit(irax.grad(loss_s(lax, ijnp), argnums=(0, 1)))(X2, UPD_WIN)
    want = jax.grad(loss_s(jax.lax, jjnp), argnums=(0, 1))(X2, UPD_WIN)
    for g, r in zip(got, want):
        assert_like_jax(g, r, "jit scatter_add grad", rtol=1e-5, atol=1e-5)


def test_vmap_matches_a_python_loop():
    xs = RNG.normal(size=(3, 6, 5)).astype(np.float32)
    idxs = np.stack([IDX2, IDX2[::-1], IDX2 + 1])
    got = irax.vmap(lambda x, i: _gather_rows(lax, x, i))(xs, idxs)
    want = np.stack([np.asarray(_gather_rows(jax.lax, x, i)) for x, i in zip(xs, idxs)])
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-6)
    ups = RNG.normal(size=(3, 6, 2, 3)).astype(np.float32)
    got = irax.vmap(lambda x, u: _scatter_windows(lax, x, u))(xs, ups)
    want = np.stack([np.asarray(_scatter_windows(jax.lax, x, u)) for x, u in zip(xs, ups)])
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-5, atol=1e-6)


BAD = {
    "slice_sizes_rank": lambda L: L.gather(X2, IDX2, G(L, offset_dims=(1,), collapsed_slice_dims=(0,),
                                           start_index_map=(0, 1)), (1,)),
    "slice_too_big": lambda L: L.gather(X2, IDX2, G(L, offset_dims=(1,), collapsed_slice_dims=(0,),
                                        start_index_map=(0, 1)), (1, 6)),
    "collapse_wide": lambda L: L.gather(X2, IDX2, G(L, offset_dims=(1,), collapsed_slice_dims=(0,),
                                        start_index_map=(0, 1)), (2, 2)),
    "index_vector": lambda L: L.gather(X2, IDX2[:, :1], G(L, offset_dims=(), collapsed_slice_dims=(0, 1),
                                       start_index_map=(0, 1)), (1, 1)),
    "scatter_dtype": lambda L: L.scatter_add(X2, IDX2, UPD_POINTS.astype(np.int32), S(L, **POINT_DN)),
    "scatter_batch_shape": lambda L: L.scatter_add(X2, IDX2[:5], UPD_POINTS, S(L, **POINT_DN)),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_arguments_raise_like_jax(name):
    with pytest.raises(Exception) as want:
        BAD[name](jax.lax)
    with pytest.raises(type(want.value)):
        BAD[name](lax)


def test_unknown_mode_is_a_value_error():
    with pytest.raises(ValueError, match="Unknown gather mode"):
        lax.gather(X2, IDX2, G(lax, offset_dims=(), collapsed_slice_dims=(0, 1),
                               start_index_map=(0, 1)), (1, 1), mode="wrap")


def test_64_bit_starts_beyond_int32_stay_out_of_bounds(x64):
    # 2**32 + 1 must not wrap to 1 when the flat indices are int32
    idx = np.array([[2 ** 32 + 1, 0], [1, 0]], np.int64)
    dn = dict(offset_dims=(), collapsed_slice_dims=(0, 1), start_index_map=(0, 1))
    for f in (lambda i: lax.gather(X2, i, G(lax, **dn), (1, 1), mode="fill", fill_value=-7.0),
              irax.jit(lambda i: lax.gather(X2, i, G(lax, **dn), (1, 1), mode="fill", fill_value=-7.0))):
        np.testing.assert_array_equal(np.asarray(f(idx)), [-7.0, X2[1, 0]])
