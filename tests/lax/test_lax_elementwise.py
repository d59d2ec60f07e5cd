"""irax.lax elementwise functions vs NumPy values and JAX's strict-dtype errors."""
import numpy as np
import pytest

import irax
import irax.lax as lax

X = np.array([-0.7, -0.2, 0.1, 0.5, 0.9], np.float32)
Y = np.array([0.3, -0.8, 0.6, -0.1, 0.4], np.float32)

UNARY = {"acos": np.arccos, "asin": np.arcsin, "atan": np.arctan, "cosh": np.cosh,
         "expm1": np.expm1, "log1p": np.log1p, "floor": np.floor, "ceil": np.ceil,
         "tan": np.tan, "asinh": np.arcsinh, "atanh": np.arctanh, "cbrt": np.cbrt,
         "exp2": np.exp2, "is_finite": np.isfinite}
BINARY = {"atan2": np.arctan2, "lt": np.less, "le": np.less_equal, "gt": np.greater,
          "ge": np.greater_equal, "eq": np.equal, "ne": np.not_equal, "rem": np.fmod}
I = np.array([-7, -2, 0, 5, 12], np.int32)
J = np.array([3, 5, 6, -4, 10], np.int32)
INT_BINARY = {"bitwise_and": np.bitwise_and, "bitwise_or": np.bitwise_or,
              "bitwise_xor": np.bitwise_xor, "rem": np.fmod}


@pytest.mark.parametrize("name", sorted(INT_BINARY))
def test_int_binary_eager(name):
    out = np.asarray(getattr(lax, name)(I, J))
    ref = INT_BINARY[name](I, J)
    np.testing.assert_array_equal(out, ref)
    assert out.dtype == np.int32


def test_bitwise_not():
    out = np.asarray(lax.bitwise_not(I))
    np.testing.assert_array_equal(out, np.invert(I))
    assert out.dtype == np.int32


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_eager(name):
    out = np.asarray(getattr(lax, name)(X))
    np.testing.assert_allclose(out, UNARY[name](X), rtol=2e-6, atol=1e-6)
    assert out.dtype == UNARY[name](X).dtype


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_eager(name):
    out = np.asarray(getattr(lax, name)(X, Y))
    ref = BINARY[name](X, Y)
    np.testing.assert_allclose(out, ref, rtol=2e-6, atol=1e-6)
    assert out.dtype == ref.dtype


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_mixed_dtypes_raise_type_error(name):
    with pytest.raises(TypeError):
        getattr(lax, name)(X, np.arange(5, dtype=np.int32))


def test_binary_accepts_weak_python_scalar():
    out = np.asarray(lax.lt(X, 0.2))
    np.testing.assert_array_equal(out, X < 0.2)


def test_all_in_one_jit():
    def f(x, y):
        return ({n: getattr(lax, n)(x) for n in UNARY},
                {n: getattr(lax, n)(x, y) for n in BINARY})
    u, b = irax.jit(f)(X, Y)
    for n, ref in UNARY.items():
        np.testing.assert_allclose(np.asarray(u[n]), ref(X), rtol=2e-6, atol=1e-6)
    for n, ref in BINARY.items():
        np.testing.assert_allclose(np.asarray(b[n]), ref(X, Y), rtol=2e-6, atol=1e-6)


def test_acosh_reciprocal_pow():
    z = np.array([1.0, 1.5, 3.0], np.float32)
    np.testing.assert_allclose(np.asarray(lax.acosh(z)), np.arccosh(z), rtol=2e-6)
    np.testing.assert_allclose(np.asarray(lax.reciprocal(z)), 1 / z, rtol=2e-6)
    np.testing.assert_allclose(np.asarray(lax.pow(z, z)), z ** z, rtol=2e-6)


def test_round_methods_match_jax_values():
    x = np.array([0.5, 1.5, -2.5, 0.49999997, -0.7], np.float32)
    # jax.lax.round outputs for these inputs
    np.testing.assert_array_equal(np.asarray(lax.round(x)), [1.0, 2.0, -3.0, 0.0, -1.0])
    np.testing.assert_array_equal(
        np.asarray(lax.round(x, lax.RoundingMethod.TO_NEAREST_EVEN)), [0.0, 2.0, -2.0, 0.0, -1.0])


def test_vmap_matches_python_loop():
    xs = np.stack([X, Y])
    out = np.asarray(irax.vmap(lambda a: lax.atan2(lax.expm1(a), lax.cosh(a)))(xs))
    ref = np.stack([np.arctan2(np.expm1(r), np.cosh(r)) for r in xs])
    np.testing.assert_allclose(out, ref, rtol=2e-6, atol=1e-6)


@pytest.mark.parametrize("name", ["acos", "asin", "atan", "cosh", "expm1", "log1p", "tan",
                                  "asinh", "atanh", "exp2"])
def test_unary_grad_vs_finite_differences(name):
    from tests.finite_differences import central_fd
    g = np.asarray(irax.grad(lambda a: getattr(lax, name)(a).sum())(X))
    ref = central_fd(lambda a: UNARY[name](a).sum(), X)
    np.testing.assert_allclose(g, ref, rtol=1e-4, atol=1e-5)


def test_special_functions_vs_scipy():
    import scipy.special as ss
    p = np.array([0.5, 1.5, 2.5, 4.0], np.float32)
    q = np.array([1.2, 0.7, 3.0, 2.0], np.float32)
    u = np.array([-0.6, -0.1, 0.3, 0.8], np.float32)
    h = np.array([0.1, 0.4, 0.6, 0.9], np.float32)
    cases = [(lax.erfc(u), ss.erfc(u)), (lax.erf_inv(u), ss.erfinv(u)),
             (lax.lgamma(p), ss.gammaln(p)), (lax.digamma(p), ss.digamma(p)),
             (lax.bessel_i0e(u), ss.i0e(u)), (lax.bessel_i1e(u), ss.i1e(u)),
             (lax.igamma(p, q), ss.gammainc(p, q)), (lax.igammac(p, q), ss.gammaincc(p, q)),
             (lax.zeta(p + 1, q), ss.zeta(p + 1, q)), (lax.betainc(p, q, h), ss.betainc(p, q, h))]
    for got, ref in cases:
        np.testing.assert_allclose(np.asarray(got), ref, rtol=5e-5, atol=1e-6)
        assert np.asarray(got).dtype == np.float32
    with pytest.raises(TypeError):
        lax.igamma(p, q.astype(np.float16))


# --- bit operations: outputs of JAX 0.10.2 written as values ------------------------------
BIT_X = np.array([1, -8, 7, 2**30], np.int32)
BIT_Y = np.array([0, 1, 31, 33], np.int32)
JAX_SHIFTS = {
    "shift_left": ([1, -16, -2147483648, 0], [8, -64, 56, 0]),
    "shift_right_logical": ([1, 2147483644, 0, 0], [0, 536870911, 0, 134217728]),
    "shift_right_arithmetic": ([1, -4, 0, 0], [0, -1, 0, 134217728]),
}


@pytest.mark.parametrize("name", sorted(JAX_SHIFTS))
def test_shifts_match_jax_outputs(name):
    fn = getattr(lax, name)
    by_array, by_scalar = JAX_SHIFTS[name]
    out = fn(BIT_X, BIT_Y)
    assert np.asarray(out).dtype == np.int32
    np.testing.assert_array_equal(out, np.array(by_array, np.int32))
    np.testing.assert_array_equal(fn(BIT_X, 3), np.array(by_scalar, np.int32))
    with pytest.raises(TypeError, match="same dtypes"):
        fn(BIT_X, BIT_Y.astype(np.int8))
    with pytest.raises(TypeError, match="integer"):
        fn(np.float32(1), np.float32(2))


def test_population_count_and_clz_against_python_ints():
    x = np.array([0, 1, -1, -8, 7, 2**30, 12345, -(2**31)], np.int32)
    as_unsigned = [int(v) & 0xFFFFFFFF for v in x]
    np.testing.assert_array_equal(lax.population_count(x), [bin(v).count("1") for v in as_unsigned])
    np.testing.assert_array_equal(lax.clz(x), [32 - v.bit_length() for v in as_unsigned])
    u = np.array([0, 3, 255], np.uint8)
    np.testing.assert_array_equal(lax.clz(u), [8, 6, 0])
    assert np.asarray(lax.clz(u)).dtype == np.uint8
    with pytest.raises(TypeError, match="integer"):
        lax.clz(np.float32(1))


def test_bit_operations_compiled_match_eager_values():
    f = irax.jit(lambda x, y: (lax.shift_left(x, y), lax.shift_right_logical(x, y),
                               lax.shift_right_arithmetic(x, y), lax.population_count(x),
                               lax.clz(x)))
    out = f(BIT_X, BIT_Y)
    expected = [JAX_SHIFTS[n][0] for n in ("shift_left", "shift_right_logical",
                                           "shift_right_arithmetic")]
    expected += [[1, 29, 3, 1], [31, 0, 29, 1]]
    for o, e in zip(out, expected):
        np.testing.assert_array_equal(o, np.array(e, np.int32))

