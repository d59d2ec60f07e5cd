"""The last jax.numpy names (irax/numpy/extra_more.py, setops.py) against JAX 0.10 (the
test-only oracle) and NumPy: values, dtypes and shapes eager and in one compiled module,
error types, gradients (JAX's grad as oracle), vmap against a Python loop."""
import io

import jax
import jax.numpy as jjnp
import numpy as np
import pytest

import irax
import irax.numpy as jnp
from tests import jax_oracle

X = np.array([[0.5, -1.0, 2.0, 0.0], [3.0, 0.0, -2.5, 1.0], [0.0, 4.0, 1.5, -0.5]], np.float32)
I = np.array([[0, 2, 1, 0], [3, 0, 1, 2], [1, 1, 0, 3]], np.int32)
A1 = np.array([1, 3, 4, 3, 5, 7], np.int32)
A2 = np.array([3, 1, 2, 1, 8], np.int32)
PHASE = np.array([0.0, 3.0, 6.5, 1.0, -4.0, 2.0], np.float32)
U8 = np.array([[5, 255, 0], [128, 3, 17]], np.uint8)

# Cases taking the arrays as arguments: all jit-able (static sizes), so one compiled module
# covers them all.
ARRAY_CASES = {
    "append": lambda M, x, i: M.append(x, x[0]),
    "append_axis": lambda M, x, i: M.append(x, x[:1], axis=0),
    "insert_scalar": lambda M, x, i: M.insert(x, 1, 7.0, axis=1),
    "insert_list": lambda M, x, i: M.insert(x, np.array([0, 2, 2]), x[0, :3]),
    "insert_slice_rows": lambda M, x, i: M.insert(x, slice(0, 2), 9.0, axis=0),
    "insert_clipped": lambda M, x, i: M.insert(x[0], 9, -1.0),
    "insert_int_cast": lambda M, x, i: M.insert(i[0], 1, 2.7),
    "insert_at_index_from_data": lambda M, x, i: M.insert(x, i[1, 0], x[:, 0] * 2, axis=1),
    "insert_at_clipped_index": lambda M, x, i: M.insert(x[0], i[1, 0] * 5, -1.0),
    "delete": lambda M, x, i: M.delete(x, 1, axis=1),
    "delete_list": lambda M, x, i: M.delete(x, np.array([0, 5, 11])),
    "delete_slice": lambda M, x, i: M.delete(x, slice(None, None, 2), axis=1),
    "delete_mask": lambda M, x, i: M.delete(x[0], np.array([True, False, True, False])),
    "argwhere_size": lambda M, x, i: M.argwhere(x, size=12, fill_value=-1),
    "argwhere_size_short": lambda M, x, i: M.argwhere(x > 0, size=3),
    "flatnonzero_size": lambda M, x, i: M.flatnonzero(x, size=10),
    "nonzero_size": lambda M, x, i: M.nonzero(i, size=10, fill_value=(-1, -2))[1],
    "choose_wrap": lambda M, x, i: M.choose(i, [x, -x, 2 * x], mode="wrap"),
    "choose_clip": lambda M, x, i: M.choose(i, [x[0], x[1], x[2]], mode="clip"),
    "compress_size": lambda M, x, i: M.compress(x[0] > 0, x, axis=1, size=3, fill_value=-7.0),
    "extract_size": lambda M, x, i: M.extract(x > 0, x, size=12),
    "place": lambda M, x, i: M.place(x, x < 0, np.array([10.0, 20.0]), inplace=False),
    "put": lambda M, x, i: M.put(x, np.array([0, 7, 30]), np.array([9.0, 8.0]), inplace=False),
    "put_clip": lambda M, x, i: M.put(x, np.array([-3, 20]), 5.0, mode="clip", inplace=False),
    "put_wrap": lambda M, x, i: M.put(x, np.array([-1, 13]), np.array([1.0, 2.0]), mode="wrap",
                                      inplace=False),
    "fill_diagonal": lambda M, x, i: M.fill_diagonal(x, np.array([1.0, 2.0]), inplace=False),
    "fill_diagonal_3d": lambda M, x, i: M.fill_diagonal(M.zeros((2, 2, 2)) + x[0, 0], 5.0,
                                                        inplace=False),
    "apply_over_axes": lambda M, x, i: M.apply_over_axes(M.sum, x[None], (0, 2)),
    "gradient": lambda M, x, i: M.gradient(x[0]),
    "gradient_spacing": lambda M, x, i: M.gradient(x[:, 1], 0.5),
    "gradient_coords": lambda M, x, i: M.gradient(x[0], np.array([0.0, 1.0, 3.0, 3.5])),
    "gradient_axis0": lambda M, x, i: M.gradient(x, axis=0),
    "gradient_2d_1": lambda M, x, i: M.gradient(x ** 2, 2.0, 0.5)[1],
    "unwrap": lambda M, x, i: M.unwrap(PHASE * (1 + x[0, 0])),
    "unwrap_axis0": lambda M, x, i: M.unwrap(3 * x, axis=0),
    "unwrap_period": lambda M, x, i: M.unwrap(x[1] * 3, period=4.0, discont=1.0),
    "unwrap_int": lambda M, x, i: M.unwrap(i[1] * 3, period=4),
    "histogram2d": lambda M, x, i: M.histogram2d(x[0], x[1], bins=3)[0],
    "histogram2d_edges": lambda M, x, i: M.histogram2d(x[0], x[1], bins=[2, 3])[2],
    "histogram2d_weights": lambda M, x, i: M.histogram2d(x[0], x[2], bins=2, weights=x[1])[0],
    "histogramdd_density": lambda M, x, i: M.histogramdd(x.T[:, :3], bins=2, density=True)[0],
    "histogramdd_range": lambda M, x, i: M.histogramdd(x.T[:, :2], bins=(2, 3),
                                                        range=[(-1, 3), (-2, 4)])[0],
    "intersect1d_size": lambda M, x, i: M.intersect1d(A1 + i[0, 0], A2, size=4),
    "intersect1d_fill": lambda M, x, i: M.intersect1d(A1 + i[0, 0], A2, size=4, fill_value=-1),
    "intersect1d_idx1": lambda M, x, i: M.intersect1d(A1 + i[0, 0], A2, return_indices=True,
                                                      size=4)[1],
    "intersect1d_idx2": lambda M, x, i: M.intersect1d(A1 + i[0, 0], A2, return_indices=True,
                                                      size=4)[2],
    "setdiff1d_size": lambda M, x, i: M.setdiff1d(A1 + i[0, 0], A2, size=5),
    "setdiff1d_fill": lambda M, x, i: M.setdiff1d(A1 + i[0, 0], A2, size=2, fill_value=9),
    "setxor1d_size": lambda M, x, i: M.setxor1d(A1 + i[0, 0], A2, size=7),
    "union1d_size": lambda M, x, i: M.union1d(A1 + i[0, 0], A2, size=10),
    "union1d_fill": lambda M, x, i: M.union1d(x[0], x[1], size=8, fill_value=0.25),
    "ix_": lambda M, x, i: x[M.ix_(np.array([0, 2]), np.array([1, 3, 0]))],
    "r_": lambda M, x, i: M.r_[x[0], 0.5, 1:4, 0:1:3j],
    "r_directive": lambda M, x, i: M.r_["0,2,0", x[0], x[1]],
    "r_axis": lambda M, x, i: M.r_["-1", x, x[:, :1]],
    "r_c": lambda M, x, i: M.r_["c", x[0], x[1, :2]],
    "c_": lambda M, x, i: M.c_[x[0], x[1], 1:5],
    "c_2d": lambda M, x, i: M.c_[x, x[:, :2]],
    "nextafter": lambda M, x, i: M.nextafter(x, x[::-1]),
    "nextafter_zero": lambda M, x, i: M.nextafter(x * 0, x),
    "spacing": lambda M, x, i: M.spacing(x),
    "poly": lambda M, x, i: M.poly(x[0]),
    "polydiv_q": lambda M, x, i: M.polydiv(x[0], x[1, 1:3] + 1)[0],
    "polydiv_r": lambda M, x, i: M.polydiv(x[0], x[1, 1:3] + 1)[1],
    "polydiv_int": lambda M, x, i: M.polydiv(i[1], i[2, :2] + 1)[1],
    "resize": lambda M, x, i: M.resize(x[0], (3, 3)),
    "resize_int": lambda M, x, i: M.resize(i, 5),
    "sort_complex": lambda M, x, i: M.sort_complex(x[0]),
    "sort_complex_int": lambda M, x, i: M.sort_complex(i[1]),
    "bitwise_count": lambda M, x, i: M.bitwise_count(i * 37 - 50),
    "packbits": lambda M, x, i: M.packbits(i, axis=1),
    "packbits_flat_little": lambda M, x, i: M.packbits(i > 0, bitorder="little"),
    "unpackbits": lambda M, x, i: M.unpackbits(U8, axis=1),
    "unpackbits_count": lambda M, x, i: M.unpackbits(U8, count=-3, bitorder="little"),
    "unpackbits_pad": lambda M, x, i: M.unpackbits(U8, axis=0, count=20),
    "mask_indices_size": lambda M, x, i: M.mask_indices(3, M.triu, 1, size=4)[1],
}

# Data-dependent (no size=) or host-side cases: eager only.
EAGER_CASES = {
    "argwhere": lambda M: M.argwhere(X),
    "argwhere_scalar": lambda M: M.argwhere(3.0),
    "argwhere_scalar_false": lambda M: M.argwhere(0.0),
    "flatnonzero": lambda M: M.flatnonzero(I),
    "choose_raise": lambda M: M.choose(I % 3, [X, -X, 2 * X]),
    "compress": lambda M: M.compress(np.array([1, 0, 1]), X, axis=0),
    "compress_short_condition": lambda M: M.compress(np.array([0, 1]), I, axis=1),
    "compress_flat": lambda M: M.compress(np.array([True] * 5 + [False] * 7), X),
    "extract": lambda M: M.extract(X > 0, X),
    "mask_indices": lambda M: M.mask_indices(4, M.tril, -1)[0],
    "trim_zeros": lambda M: M.trim_zeros(np.array([0, 0, 1, 0, 2, 0], np.int32)),
    "trim_zeros_back": lambda M: M.trim_zeros(np.array([0, 0, 1, 0, 2, 0], np.int32), "b"),
    "trim_zeros_all": lambda M: M.trim_zeros(np.zeros(4, np.float32)),
    "intersect1d": lambda M: M.intersect1d(A1, A2),
    "intersect1d_indices": lambda M: M.intersect1d(A1, A2, return_indices=True)[2],
    "intersect1d_mixed": lambda M: M.intersect1d(A1.astype(np.float32), A2),
    "setdiff1d": lambda M: M.setdiff1d(A1, A2),
    "setxor1d": lambda M: M.setxor1d(A1, A2),
    "union1d": lambda M: M.union1d(A1, A2.astype(np.int8)),
    "fromfunction": lambda M: M.fromfunction(lambda i, j: i * 3 + j, (2, 3)),
    "fromfunction_int": lambda M: M.fromfunction(lambda i, j: i - j, (3, 2), dtype=int),
    "poly_int_roots": lambda M: M.poly(np.array([1, 2], np.int32)),
    "poly_complex": lambda M: M.poly(np.array([1j, -1j], np.complex64)),
    "poly_scalar": lambda M: M.poly(np.float32(2.0)),
    "spacing_special": lambda M: M.spacing(np.array([0.0, np.inf, np.nan, 1e-40, -3.0],
                                                    np.float32)),
    "spacing_int": lambda M: M.spacing(np.array([1, 2], np.int32)),
    "nextafter_special": lambda M: M.nextafter(np.array([0.0, -0.0, 1.0, np.nan], np.float32),
                                               np.array([-1.0, 1.0, 1.0, 0.0], np.float32)),
    "bitwise_count_bool": lambda M: M.bitwise_count(np.array([True, False])),
    "bitwise_count_uint16": lambda M: M.bitwise_count(np.array([65535, 256], np.uint16)),
    "frombuffer": lambda M: M.frombuffer(b"\x01\x02\x03\x04", dtype=np.uint8),
    "frombuffer_float": lambda M: M.frombuffer(np.arange(3, dtype=np.float32).tobytes(),
                                               dtype=np.float32),
    "fromstring": lambda M: M.fromstring("1 2 3", sep=" ", dtype=int),
    "from_dlpack": lambda M: M.from_dlpack(np.arange(3.0)),
    "uint16": lambda M: M.uint16(np.array([1, 65535])) + M.uint16(1),
    "uint64": lambda M: M.uint64(7) * 3,
    "uint": lambda M: M.uint(5),
}


def assert_like_jax(out, ref, name):
    jax_oracle.assert_like_jax(out, ref, name, rtol=3e-6, atol=2e-6)


def _expected(name):
    """JAX's output for a case (tests/numpy/jnp_rest_expected.py, written from JAX 0.10 by
    make_jnp_rest_expected.py: running JAX's eager ops here would cost tens of seconds)."""
    from tests.numpy.jnp_rest_expected import EXPECTED
    dtype, shape, values = EXPECTED[name]
    return np.array(values, dtype=dtype).reshape(shape)


@pytest.mark.parametrize("name", sorted(ARRAY_CASES))
def test_array_cases_eager_match_jax(name):
    assert_like_jax(ARRAY_CASES[name](jnp, X, I), _expected(name), name)


@pytest.mark.parametrize("name", sorted(EAGER_CASES))
def test_eager_cases_match_jax(name):
    assert_like_jax(EAGER_CASES[name](jnp), _expected(name), name)


# One case of each function family, compiled together (IREE compile time grows with the
# module: all ARRAY_CASES together cost over half a minute cold; eager covers every case).
JIT_CASES = ["append", "insert_list", "insert_at_index_from_data", "insert_at_clipped_index",
             "delete_mask", "argwhere_size", "flatnonzero_size",
             "choose_wrap", "compress_size", "place", "put_wrap", "fill_diagonal",
             "apply_over_axes", "gradient_coords", "unwrap", "histogram2d_weights",
             "intersect1d_idx2", "union1d_fill", "ix_", "r_", "c_",
             "nextafter", "spacing", "poly", "polydiv_r", "resize", "sort_complex",
             "bitwise_count", "packbits", "unpackbits_count"]


def test_one_compiled_module_matches_jax():
    compiled = irax.jit(lambda x, i: {k: ARRAY_CASES[k](jnp, x, i) for k in JIT_CASES})(X, I)
    for name in JIT_CASES:
        assert_like_jax(compiled[name], _expected(name), name)


def test_values_against_numpy():
    np.testing.assert_array_equal(jnp.insert(I, np.array([1, 1, 3]), np.array([7, 8, 9]), axis=1),
                                  np.insert(I, [1, 1, 3], [7, 8, 9], axis=1))
    np.testing.assert_array_equal(jnp.delete(I, np.array([0, 2]), axis=0),
                                  np.delete(I, [0, 2], axis=0))
    np.testing.assert_allclose(jnp.gradient(X, axis=1, edge_order=2),
                               np.gradient(X, axis=1, edge_order=2), rtol=1e-6)
    coords = np.array([0.0, 0.5, 2.0, 2.5], np.float32)
    np.testing.assert_allclose(jnp.gradient(X[1] ** 2, coords, edge_order=2),
                               np.gradient(X[1] ** 2, coords, edge_order=2), rtol=1e-5)
    np.testing.assert_allclose(jnp.unwrap(PHASE), np.unwrap(PHASE), rtol=1e-6)
    hx, hy = np.array([0.1, 0.7, 2.3, 1.4, 0.2, 1.1]), np.array([3.0, 0.2, 1.7, 2.9, 0.4, 2.2])
    h, xe, ye = jnp.histogram2d(hx, hy, bins=3)
    hn, xen, yen = np.histogram2d(hx, hy, bins=3)
    np.testing.assert_array_equal(h, hn)
    np.testing.assert_allclose(xe, xen, rtol=1e-6)
    np.testing.assert_array_equal(jnp.packbits(I, axis=0), np.packbits(I, axis=0))
    np.testing.assert_array_equal(jnp.unpackbits(U8, axis=1, count=11),
                                  np.unpackbits(U8, axis=1, count=11))
    np.testing.assert_array_equal(jnp.r_[1:7:2, -1, I[0]], np.r_[1:7:2, -1, I[0]])
    np.testing.assert_array_equal(jnp.c_[I[0], I[1]], np.c_[I[0], I[1]])
    q, r = jnp.polydiv(np.array([1.0, 2, 3, 4]), np.array([1.0, 1]))
    qn, rn = np.polydiv([1.0, 2, 3, 4], [1.0, 1])
    np.testing.assert_allclose(q, qn)
    np.testing.assert_allclose(r[-1:], rn)
    np.testing.assert_allclose(jnp.poly(np.array([1.0, -2.0, 0.5])), np.poly([1.0, -2.0, 0.5]))
    assert np.asarray(jnp.nextafter(np.float32(1), np.float32(2))) == np.nextafter(
        np.float32(1), np.float32(2))


def test_dtype_names_and_isdtype():
    assert jnp.uint16(3).dtype == np.uint16 and jnp.uint64(3).dtype == np.uint32  # x64 off
    assert jnp.uint == jnp.uint64 and jnp.object_ is np.object_
    assert issubclass(jnp.ComplexWarning, Warning)
    # JAX's nextafter(1, 2): float32 with weak_type=True (it prints so)
    assert repr(jnp.nextafter(1, 2)) == "Array(1.0000001, dtype=float32, weak_type=True)"
    for dt, kind in [(np.float32, "real floating"), (np.int32, ("integral", "bool")),
                     (np.uint16, "unsigned integer"), (np.complex64, "numeric"),
                     (np.bool_, "numeric"), (np.float32, np.float32), (jnp.int8, "integral"),
                     (np.int8, jnp.int8), (np.float16, "complex floating")]:
        plain = lambda d: d.dtype if isinstance(d, type(jnp.int8)) else d  # noqa: E731
        assert jnp.isdtype(dt, kind) == jjnp.isdtype(plain(dt), plain(kind)), (dt, kind)


def test_uint16_and_uint64_eager_and_jit():
    u16 = np.array([1, 2, 65535], np.uint16)
    f = lambda M, a: (a * 3 + 1, M.sum(a), M.right_shift(a, 1), M.max(a))  # noqa: E731
    for out, ref in zip(irax.jit(lambda a: f(jnp, a))(u16), f(jjnp, u16)):
        assert_like_jax(out, ref, "uint16")
    for out, ref in zip(f(jnp, jnp.asarray(u16)), f(jjnp, u16)):
        assert_like_jax(out, ref, "uint16 eager")
    irax.config.update("enable_x64", True)
    try:
        u64 = np.array([1, 2, 2 ** 63 + 5], np.uint64)
        out = irax.jit(lambda a: (a * 3 + 1, jnp.max(a)))(u64)
        assert np.asarray(out[0]).dtype == np.uint64
        np.testing.assert_array_equal(out[0], u64 * np.uint64(3) + np.uint64(1))
        assert int(out[1]) == 2 ** 63 + 5
        assert np.asarray(jnp.uint64(np.uint64(2 ** 63))).dtype == np.uint64
    finally:
        irax.config.update("enable_x64", False)


def test_printing_einsum_path_and_io(tmp_path):
    a = jnp.asarray(np.array([0.123456, 1.0], np.float32))
    assert jnp.array_str(a) == np.array_str(np.asarray(a))
    assert "0.123456" in jnp.array_repr(a) and jnp.array_repr(a).startswith("Array(")
    with jnp.printoptions(precision=2):
        assert jnp.get_printoptions()["precision"] == 2
        assert jnp.array_str(a) == "[0.12 1.  ]"
    assert jnp.get_printoptions()["precision"] == np.get_printoptions()["precision"]
    assert jnp.set_printoptions is np.set_printoptions
    ops = (np.ones((2, 3)), np.ones((3, 100)), np.ones((100, 5)))
    path, info = jnp.einsum_path("ij,jk,kl", *ops)
    assert path == jjnp.einsum_path("ij,jk,kl", *ops)[0] == [(1, 2), (0, 1)]
    assert "Complete contraction:  ij,jk,kl->il" in str(info)
    jnp.save(tmp_path / "x.npy", a)
    loaded = jnp.load(tmp_path / "x.npy")
    assert type(loaded) is type(a)
    np.testing.assert_array_equal(loaded, np.asarray(a))
    buf = io.BytesIO()
    jnp.savez(buf, a=a, b=np.arange(3))
    buf.seek(0)
    np.testing.assert_array_equal(np.load(buf)["a"], np.asarray(a))


def _raises(exc, fn, jfn=None):
    with pytest.raises(exc):
        fn(jnp)
    with pytest.raises(exc):          # JAX raises the same type
        (jfn or fn)(jjnp)


ERROR_CASES = {
    "put_inplace": (ValueError, lambda M: M.put(X, 1, 2.0)),
    "put_raise": (NotImplementedError, lambda M: M.put(X, 1, 2.0, mode="raise", inplace=False)),
    "put_bad_mode": (ValueError, lambda M: M.put(X, 1, 2.0, mode="x", inplace=False)),
    "place_inplace": (ValueError, lambda M: M.place(X, X > 0, 1.0)),
    "place_size": (ValueError, lambda M: M.place(X, X[0] > 0, 1.0, inplace=False)),
    "place_empty": (ValueError, lambda M: M.place(X, X > 0, np.zeros(0), inplace=False)),
    "fill_diagonal_inplace": (NotImplementedError, lambda M: M.fill_diagonal(X, 1.0)),
    "fill_diagonal_wrap": (NotImplementedError,
                           lambda M: M.fill_diagonal(X, 1.0, wrap=True, inplace=False)),
    "fill_diagonal_1d": (ValueError, lambda M: M.fill_diagonal(X[0], 1.0, inplace=False)),
    "fill_diagonal_3d": (ValueError, lambda M: M.fill_diagonal(np.zeros((2, 2, 3)), 1.0,
                                                               inplace=False)),
    "choose_out_of_range": (ValueError, lambda M: M.choose(I, [X, X])),
    "choose_bad_mode": (ValueError, lambda M: M.choose(I, [X, X], mode="x")),
    "compress_2d_condition": (ValueError, lambda M: M.compress(X > 0, X)),
    "compress_out_of_bounds": (ValueError, lambda M: M.compress(np.ones(5), X[0])),
    "compress_size": (ValueError, lambda M: M.compress(X[0] > 0, X[0], size=9)),
    "delete_out_of_range": (ValueError, lambda M: M.delete(X[0], 7)),
    "insert_bool_positions": (ValueError, lambda M: M.insert(X[0], X[0] > 0, 5.0)),
    "gradient_short": (ValueError, lambda M: M.gradient(np.ones(1, np.float32))),
    "gradient_spacing_length": (ValueError, lambda M: M.gradient(X[0], np.ones(3))),
    "gradient_spacing_2d": (ValueError, lambda M: M.gradient(X[0], np.ones((4, 1)))),
    "resize_negative": (ValueError, lambda M: M.resize(X, (-1, 2))),
    "ix_2d": (ValueError, lambda M: M.ix_(X)),
    "ix_bool": (NotImplementedError, lambda M: M.ix_(np.array([True, False]))),
    "packbits_float": (TypeError, lambda M: M.packbits(X)),
    "packbits_order": (ValueError, lambda M: M.packbits(I, bitorder="x")),
    "unpackbits_int": (TypeError, lambda M: M.unpackbits(I)),
    "bitwise_count_float": (TypeError, lambda M: M.bitwise_count(X)),
    "isdtype_kind": (ValueError, lambda M: M.isdtype(np.float32, "foo")),
    "fromiter": (NotImplementedError, lambda M: M.fromiter(iter([1, 2]), dtype=float)),
    "fromfile": (NotImplementedError, lambda M: M.fromfile("nothing.bin")),
    "histogramdd_weights": (ValueError, lambda M: M.histogramdd(X.T, weights=np.ones(3))),
    "histogramdd_bins": (ValueError, lambda M: M.histogramdd(X.T, bins=[2, 2])),
    "unwrap_complex": (ValueError, lambda M: M.unwrap(np.ones(3, np.complex64))),
}


@pytest.mark.parametrize("name", sorted(ERROR_CASES))
def test_bad_arguments_raise_like_jax(name):
    exc, fn = ERROR_CASES[name]
    _raises(exc, fn)


def test_data_dependent_shapes_under_jit_ask_for_size():
    cases = {
        "argwhere": lambda M, x: M.argwhere(x),
        "flatnonzero": lambda M, x: M.flatnonzero(x),
        "nonzero": lambda M, x: M.nonzero(x),
        "compress": lambda M, x: M.compress(x[0] > 0, x, axis=1),
        "extract": lambda M, x: M.extract(x > 0, x),
        "union1d": lambda M, x: M.union1d(x[0], x[1]),
        "intersect1d": lambda M, x: M.intersect1d(x[0], x[1]),
        "setdiff1d": lambda M, x: M.setdiff1d(x[0], x[1]),
        "setxor1d": lambda M, x: M.setxor1d(x[0], x[1]),
        "trim_zeros": lambda M, x: M.trim_zeros(x[0]),
        "choose_raise": lambda M, x: M.choose((x > 0).astype(np.int32), [x, -x]),
        "delete_traced_obj": lambda M, x: M.delete(x, (x[0, 0] > 0).astype(np.int32)),
    }
    for name, f in cases.items():
        with pytest.raises(irax.ConcretizationTypeError) as err:
            irax.jit(lambda x: f(jnp, x))(X)
        with pytest.raises(jax.errors.ConcretizationTypeError):
            jax.jit(lambda x: f(jjnp, x))(X)
        if name in ("argwhere", "flatnonzero", "nonzero") or name.endswith("1d"):
            assert "size" in str(err.value), name


GRAD_CASES = {
    "gradient_coords": lambda M, x: M.gradient(M.sin(x[0]), x[1] + np.arange(4) * 5.0),
    "unwrap": lambda M, x: M.unwrap(3 * x, axis=1),
    "polydiv": lambda M, x: M.polydiv(x[0], x[1, :2] + 3.0)[0],
    "insert_delete": lambda M, x: M.delete(M.insert(x, 1, x[0] * 2, axis=0), 2, axis=1),
    "choose": lambda M, x: M.choose(I % 3, [x, x ** 2, M.sin(x)], mode="wrap"),
    "resize_r_": lambda M, x: M.r_[M.resize(x, (5, 3)).ravel(), x[1] ** 2],
}
W = np.linspace(0.5, 1.5, 12, dtype=np.float32).reshape(3, 4)


def test_gradients_match_jax():
    """irax.grad of each case (one compiled module) against jax.grad's, written as values."""
    gfn = irax.jit(lambda x: {k: irax.grad(lambda y: jnp.sum(f(jnp, y)))(x)
                              for k, f in GRAD_CASES.items()})
    got = gfn(X + W)
    for name in GRAD_CASES:
        assert_like_jax(got[name], _expected("grad_" + name), name)


def test_vmap_matches_a_python_loop():
    cases = {
        "argwhere": lambda x: jnp.argwhere(x > 0, size=5, fill_value=-1),
        "gradient": lambda x: jnp.gradient(x * x),
        "choose": lambda x: jnp.choose(I[0] % 2, [x, -x], mode="clip"),
    }
    out = irax.jit(lambda xs: {k: irax.vmap(f)(xs) for k, f in cases.items()})(X)
    for name, f in cases.items():
        loop = np.stack([np.asarray(f(jnp.asarray(row))) for row in X])
        np.testing.assert_allclose(out[name], loop, rtol=1e-6, err_msg=name)
