"""Values at numeric edges, as JAX 0.10 gives them (issue 16). Each reference is a literal:
JAX 0.10.2's output (CPU), which is also what IEEE / XLA's definitions give.

Every case runs eagerly and under jit; the jit cases share one compiled module
(`_jit_results`, one function returning all of them)."""
from __future__ import annotations

import functools

import numpy as np
import pytest

import irax
import irax.numpy as jnp
from irax.tracer.prims import elementwise as ew

INT32_MIN, INT32_MAX = -2**31, 2**31 - 1
UINT32_MAX = 2**32 - 1

# -- 1. float -> int conversion saturates (NaN -> 0), written before the convert in the IR
FLOATS = np.array([np.nan, np.inf, -np.inf, 1e10, -3.7, 3.7, -1e10, 300.0, -300.0, 255.9,
                   -0.9, 4e9, -1.0], np.float32)
CONVERTED = {   # JAX 0.10: x.astype(dtype) for FLOATS
    "int32": [0, INT32_MAX, INT32_MIN, INT32_MAX, -3, 3, INT32_MIN, 300, -300, 255, 0,
              INT32_MAX, -1],
    "int8": [0, 127, -128, 127, -3, 3, -128, 127, -128, 127, 0, 127, -1],
    "uint8": [0, 255, 0, 255, 0, 3, 0, 255, 0, 255, 0, 255, 0],
    "uint32": [0, UINT32_MAX, 0, UINT32_MAX, 0, 3, 0, 300, 0, 255, 0, 4000000000, 0],
    "int16": [0, 32767, -32768, 32767, -3, 3, -32768, 300, -300, 255, 0, 32767, -1],
    "bool": [True] * 13,   # nonzero (NaN included) is True
}
# float16 source: 4e9 is inf in float16, 1e10 too
CONVERTED_F16_UINT32 = [0, UINT32_MAX, 0, UINT32_MAX, 0, 3, 0, 300, 0, 255, 0, UINT32_MAX, 0]
# integer -> narrower integer wraps (modular), as in JAX
INTS = np.array([300, -300, 128, -129, 255, -1, INT32_MAX, INT32_MIN], np.int32)
INTS_TO_INT8 = [44, -44, -128, 127, -1, -1, -1, 0]
INTS_TO_UINT8 = [44, 212, 128, 127, 255, 255, 255, 0]

# -- 2. hypot without overflow; inf beats NaN
HYPOT_X = np.array([1e30, np.inf, np.nan, 0.0, -3.0, 1e-30, np.nan, -np.inf], np.float32)
HYPOT_Y = np.array([1e30, np.nan, np.inf, 0.0, 4.0, 1e-30, 1.0, 2.0], np.float32)
HYPOT = [1.4142135e30, np.inf, np.inf, 0.0, 5.0, 1.4142136e-30, np.nan, np.inf]

# -- 6. integer // 0 and % 0 (and INT_MIN // -1), as JAX defines them
DIV_A = np.array([7, -7, 0, 7, -7, INT32_MIN, INT32_MIN, 5, -5, INT32_MAX], np.int32)
DIV_B = np.array([0, 0, 0, 2, 2, -1, 0, -3, -3, -1], np.int32)
FLOORDIV = [-2, -2, -1, 3, -4, INT32_MIN, -2, -2, 1, -INT32_MAX]
MOD = [0, 0, 0, 1, 1, 0, 0, -1, -2, 0]
FMOD = [0, 0, 0, 1, -1, 0, 0, 2, -2, 0]
LAX_DIV = [-1, -1, -1, 3, -3, INT32_MIN, -1, -1, 1, -INT32_MAX]    # lax.div: x / 0 == -1
LAX_REM = [7, -7, 0, 1, -1, 0, INT32_MIN, 2, -2, 0]                # lax.rem: x rem 0 == x
U8_A = np.array([7, 0, 100, 1], np.uint8)
U8_B = np.array([0, 0, 3, 0], np.uint8)
U8_FLOORDIV = [255, 255, 33, 255]   # unsigned x / 0 is all ones
U8_MOD = [0, 0, 1, 0]
U8_LAX_REM = [7, 0, 1, 1]
I8_A = np.array([-128, -128, 127], np.int8)
I8_B = np.array([-1, 0, 0], np.int8)
I8_FLOORDIV = [-128, -2, -2]
I8_LAX_DIV = [-128, -1, -1]
I8_LAX_REM = [0, -128, 127]


def _program(floats, ints, hx, hy, a, b, ua, ub, ia, ib, x_abs, m6):
    """Everything under test, as one function (eager, and one jit module)."""
    out = {}
    for name in CONVERTED:
        out[f"astype_{name}"] = floats.astype(getattr(jnp, "bool_" if name == "bool" else name))
    out["astype_f16_uint32"] = floats.astype(jnp.float16).astype(jnp.uint32)
    out["astype_f16_int32"] = floats.astype(jnp.float16).astype(jnp.int32)
    out["int_to_int8"] = ints.astype(jnp.int8)
    out["int_to_uint8"] = ints.astype(jnp.uint8)
    out["hypot"] = jnp.hypot(hx, hy)
    out["floordiv"], out["mod"], out["fmod"] = a // b, a % b, jnp.fmod(a, b)
    out["lax_div"], out["lax_rem"] = ew.div(a, b), ew.rem_p.bind(a, b)
    out["u8_floordiv"], out["u8_mod"] = ua // ub, ua % ub
    out["u8_lax_rem"] = ew.rem_p.bind(ua, ub)
    out["i8_floordiv"], out["i8_lax_div"] = ia // ib, ew.div(ia, ib)
    out["i8_lax_rem"] = ew.rem_p.bind(ia, ib)
    out["grad_abs"] = irax.vmap(irax.grad(jnp.abs))(x_abs)
    out["reshape_f"] = jnp.reshape(m6, (2, 3), order="F")
    out["ravel_f"] = jnp.ravel(jnp.reshape(m6, (2, 3)), order="F")
    out["method_reshape_f"] = m6.reshape(3, 2, order="F")
    out["max_empty_initial"] = jnp.max(jnp.zeros(0), initial=-jnp.inf)
    out["max_empty_axis_initial"] = jnp.max(jnp.zeros((0, 3)), axis=0, initial=-1.0)
    out["min_initial"] = jnp.min(hy[4:6], initial=-5.0)
    out["max_int_initial"] = jnp.max(a[:2], initial=2.5)   # initial takes the array's dtype
    return out


def _args():
    return (jnp.asarray(FLOATS), jnp.asarray(INTS), jnp.asarray(HYPOT_X), jnp.asarray(HYPOT_Y),
            jnp.asarray(DIV_A), jnp.asarray(DIV_B), jnp.asarray(U8_A), jnp.asarray(U8_B),
            jnp.asarray(I8_A), jnp.asarray(I8_B), jnp.asarray(np.array([0.0, -0.0, 2.0, -2.0],
                                                                       np.float32)),
            jnp.arange(6.0))


EXPECTED = {
    **{f"astype_{k}": v for k, v in CONVERTED.items()},
    "astype_f16_uint32": CONVERTED_F16_UINT32,
    "astype_f16_int32": CONVERTED["int32"],
    "int_to_int8": INTS_TO_INT8, "int_to_uint8": INTS_TO_UINT8,
    "hypot": HYPOT,
    "floordiv": FLOORDIV, "mod": MOD, "fmod": FMOD, "lax_div": LAX_DIV, "lax_rem": LAX_REM,
    "u8_floordiv": U8_FLOORDIV, "u8_mod": U8_MOD, "u8_lax_rem": U8_LAX_REM,
    "i8_floordiv": I8_FLOORDIV, "i8_lax_div": I8_LAX_DIV, "i8_lax_rem": I8_LAX_REM,
    "grad_abs": [1.0, 1.0, 1.0, -1.0],   # JAX: the derivative of |x| at 0 (and -0.) is 1
    "reshape_f": [[0.0, 2.0, 4.0], [1.0, 3.0, 5.0]],
    "ravel_f": [0.0, 3.0, 1.0, 4.0, 2.0, 5.0],
    "method_reshape_f": [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]],
    "max_empty_initial": -np.inf,
    "max_empty_axis_initial": [-1.0, -1.0, -1.0],
    "min_initial": -5.0,
    "max_int_initial": 7,
}
EXPECTED_DTYPES = {"astype_int32": "int32", "astype_int8": "int8", "astype_uint8": "uint8",
                   "astype_uint32": "uint32", "astype_bool": "bool", "max_int_initial": "int32",
                   "u8_floordiv": "uint8", "i8_floordiv": "int8"}


@functools.cache
def _jit_results():
    return irax.jit(_program)(*_args())


@pytest.fixture(params=["eager", "jit"])
def results(request):
    if request.param == "eager":
        return _program(*_args())
    return _jit_results()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_edge_value(results, name):
    got = np.asarray(results[name])
    want = np.asarray(EXPECTED[name])
    assert got.shape == want.shape, (name, got.shape, want.shape)
    if name in EXPECTED_DTYPES:
        assert got.dtype == np.dtype(EXPECTED_DTYPES[name]), (name, got.dtype)
    if want.dtype.kind == "f":
        np.testing.assert_allclose(got, want, rtol=1e-6, equal_nan=True, err_msg=name)
    else:
        np.testing.assert_array_equal(got, want, err_msg=name)


def test_convert_is_saturating_in_the_ir():
    """The lowering guards the convert with compares/selects (the target never sees an
    out-of-range float), and integer division with a select of the divisor."""
    from irax.lowering import lower_jaxpr
    jaxpr = irax.make_jaxpr(lambda x, a, b: (x.astype(jnp.int32), ew.div(a, b)))(
        jnp.ones(3), jnp.ones(3, jnp.int32), jnp.ones(3, jnp.int32))
    text = lower_jaxpr(jaxpr)
    assert text.count("stablehlo.select") >= 4 and "stablehlo.convert" in text
    assert "stablehlo.divide" in text


# -- 3. sum / prod accumulate narrow integers in the default integer


@pytest.mark.parametrize("dtype, want", [
    (np.int8, "int32"), (np.int16, "int32"), (np.uint8, "uint32"), (np.bool_, "int32"),
    (np.int32, "int32"), (np.uint32, "uint32"), (np.float16, "float16"), (np.float32, "float32")])
def test_sum_prod_accumulation_dtype(dtype, want):
    x = jnp.asarray(np.ones(3, dtype))
    assert jnp.sum(x).dtype == want and jnp.prod(x).dtype == want
    assert jnp.sum(x, dtype=jnp.int8).dtype == np.int8   # dtype= is honoured
    assert jnp.prod(x, dtype=jnp.float32).dtype == np.float32


def test_sum_prod_of_int8_do_not_overflow_int8():
    assert int(jnp.sum(jnp.full(200, 100, jnp.int8))) == 20000             # JAX: 20000
    assert int(jnp.prod(jnp.full(5, 100, jnp.int8))) == 1410065408          # int32 wrap, JAX
    assert int(jnp.sum(jnp.full(3, 200, jnp.uint8))) == 600
    assert int(jnp.sum(jnp.ones(300, bool))) == 300


def test_sum_prod_accumulation_dtype_x64(x64):
    assert jnp.sum(jnp.ones(3, jnp.int8)).dtype == np.int64
    assert jnp.prod(jnp.asarray(np.ones(3, np.uint8))).dtype == np.uint64
    assert jnp.sum(jnp.ones(3, jnp.int32)).dtype == np.int64


# -- 7. max / min of an empty array


def test_max_of_empty_without_initial_raises():
    with pytest.raises(ValueError, match="zero-size array"):
        jnp.max(jnp.zeros(0))
    with pytest.raises(ValueError, match="zero-size array"):
        jnp.min(jnp.zeros((0, 3)), axis=0)
    assert jnp.max(jnp.zeros((0, 3)), axis=1).shape == (0,)   # nothing reduced is empty


# -- 5. order="A" and bad orders


def test_reshape_order_errors():
    x = jnp.arange(6)
    with pytest.raises(NotImplementedError, match="order='A'"):
        jnp.reshape(x, (2, 3), order="A")
    with pytest.raises(ValueError, match="order"):
        jnp.reshape(x, (2, 3), order="X")
    with pytest.raises(NotImplementedError, match="order='K'"):
        jnp.ravel(x, order="K")


def test_reshape_order_f_matches_numpy_3d():
    x = np.arange(24.0).reshape(2, 3, 4)
    got = jnp.reshape(jnp.asarray(x), (4, 6), order="F")
    np.testing.assert_array_equal(np.asarray(got), np.reshape(x, (4, 6), order="F"))


# -- JAX's type promotion where it differs from NumPy's (found by the fuzzer)


@pytest.mark.parametrize("a, b, want", [
    (np.int32, np.float16, "float16"), (np.uint8, np.float16, "float16"),
    (np.bool_, np.float16, "float16"), (np.int8, np.float32, "float32"),
    (np.int32, np.complex64, "complex64"), (np.uint32, np.int32, "int32"),
    (np.int8, np.uint8, "int16")])
def test_promotion_as_jax(a, b, want):   # jnp.promote_types in JAX 0.10
    x, y = jnp.asarray(np.ones(2, a)), jnp.asarray(np.ones(2, b))
    assert (x + y).dtype == want and jnp.promote_types(a, b) == want


def test_weak_int_keeps_its_value_in_true_division():
    u = jnp.asarray(np.array([0, 2, 255], np.uint8))
    np.testing.assert_array_equal(np.asarray(u / -1), [-0.0, -2.0, -255.0])   # JAX
    np.testing.assert_allclose(np.asarray(jnp.hypot(u, -1)), [1.0, 2.236068, 255.00196],
                               rtol=1e-6)


def test_float_floor_divide_is_cpython_divmod():
    a = jnp.asarray(np.array([7.0, -7.0, 0.0, np.inf, 5.5, -5.5, 1.0], np.float32))
    b = jnp.asarray(np.array([0.0, 0.0, 0.0, 1.0, -2.0, 2.0, 0.1], np.float32))
    want_q = [np.inf, -np.inf, np.nan, np.nan, -3.0, -3.0, 9.0]           # JAX 0.10
    want_r = [np.nan, np.nan, np.nan, np.nan, -0.5, 0.5, 0.09999999]
    for q, r in [(a // b, a % b), irax.jit(lambda a, b: (a // b, a % b))(a, b)]:
        np.testing.assert_allclose(np.asarray(q), want_q, rtol=1e-6, equal_nan=True)
        np.testing.assert_allclose(np.asarray(r), want_r, rtol=1e-6, equal_nan=True)


def test_integer_kept_by_floor_ceil_and_abs_of_bool():
    i = jnp.asarray(np.array([-3, 4], np.int8))
    assert jnp.floor(i).dtype == np.int8 and jnp.ceil(i).dtype == np.int8
    assert jnp.abs(jnp.asarray(np.array([True, False]))).dtype == np.bool_
    with pytest.raises(ValueError, match="bool"):
        jnp.round(jnp.asarray(np.array([True])))


def test_iree_workarounds_found_by_the_fuzzer():
    """IREE 3.13 refuses stablehlo.reverse of unsigned integers, and miscompiled argmax over
    one element whose index feeds other results (it returned the bits of 1 / argmax)."""
    def f(u, s):
        i = jnp.argmax(s)
        r = jnp.reciprocal(i)
        return jnp.flip(u, 1), i, r, jnp.ceil(r)
    u = jnp.asarray(np.arange(6, dtype=np.uint8).reshape(2, 3))
    flipped, i, r, c = irax.jit(f)(u, jnp.asarray(np.int8(-7)))
    np.testing.assert_array_equal(np.asarray(flipped), [[2, 1, 0], [5, 4, 3]])
    assert int(i) == 0 and float(r) == np.inf and float(c) == np.inf


def test_arctan2_of_signed_zeros_under_jit():
    """IEEE (and JAX): atan2(+-0, +0) = +-0, atan2(+-0, -0) = +-pi, atan2(+-inf, +-inf) =
    +-pi/4 or +-3pi/4; IREE's CPU atan2 gave NaN."""
    inf = np.inf
    y = np.array([0.0, -0.0, 0.0, -0.0, 1.0, -2.0, inf, -inf, inf, -inf], np.float32)
    x = np.array([0.0, 0.0, -0.0, -0.0, 0.0, -3.0, inf, inf, -inf, -inf], np.float32)
    want = np.array([0.0, -0.0, np.pi, -np.pi, np.pi / 2, -2.5535900500422257,
                     np.pi / 4, -np.pi / 4, 3 * np.pi / 4, -3 * np.pi / 4], np.float32)
    for got in (jnp.arctan2(y, x), irax.jit(jnp.arctan2)(y, x)):
        got = np.asarray(got)
        np.testing.assert_allclose(got, want, rtol=1e-6)
        np.testing.assert_array_equal(np.signbit(got), np.signbit(want))


def test_signbit_reads_the_sign_bit():
    """jnp.signbit(-0.0) and signbit(-nan) are True (the bit, not x < 0), eager and jit."""
    x = np.array([-0.0, 0.0, -1.0, 2.0, -np.nan, np.nan, -np.inf], np.float32)
    want = [True, False, True, False, True, False, True]
    np.testing.assert_array_equal(np.asarray(jnp.signbit(x)), want)
    np.testing.assert_array_equal(np.asarray(irax.jit(jnp.signbit)(x)), want)
    np.testing.assert_array_equal(np.asarray(jnp.signbit(np.array([-3, 0, 4]))), [True, False, False])
