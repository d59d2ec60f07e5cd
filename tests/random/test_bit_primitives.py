"""The bit-level primitives (irax/tracer/prims/bits.py) and their lax spellings: NumPy
reference semantics (StableHLO's for out-of-range shift amounts), jit on llvm-cpu and
Vulkan, vmap, zero tangents."""
from __future__ import annotations

import numpy as np
import pytest

import irax
import irax.numpy as jnp
import irax.random as jr
from irax import jit, vmap
from irax.random import _bits as lax_bits

from tests.random.random_cases import expected
from tests.random.random_jax_values import EXACT

RNG = np.random.default_rng(0)
U32 = RNG.integers(0, 2**32, (6,), dtype=np.uint64).astype(np.uint32)
I32 = RNG.integers(-2**31, 2**31, (6,), dtype=np.int64).astype(np.int32)
AMOUNTS = np.array([0, 1, 7, 31, 32, 40], np.uint32)


def _ref_shift_left(x, s, bits=32):
    return np.array([0 if a >= bits else (int(v) << int(a)) & (2**bits - 1)
                     for v, a in zip(x.view(f"u{bits // 8}"), s)], f"u{bits // 8}").view(x.dtype)


def _ref_shift_right_logical(x, s, bits=32):
    return np.array([0 if a >= bits else int(v) >> int(a)
                     for v, a in zip(x.view(f"u{bits // 8}"), s)], f"u{bits // 8}").view(x.dtype)


def _ref_shift_right_arithmetic(x, s, bits=32):
    signed = x.view(f"i{bits // 8}")
    return np.array([int(v) >> min(int(a), bits - 1) for v, a in zip(signed, s)],
                    f"i{bits // 8}").view(x.dtype)


def _cases():
    s_i32 = AMOUNTS.astype(np.int32)
    return {
        "shl_u32": (lambda x, s, y, t: lax_bits.shift_left(x, s), _ref_shift_left(U32, AMOUNTS)),
        "shrl_u32": (lambda x, s, y, t: lax_bits.shift_right_logical(x, s),
                     _ref_shift_right_logical(U32, AMOUNTS)),
        "shra_u32": (lambda x, s, y, t: lax_bits.shift_right_arithmetic(x, s),
                     _ref_shift_right_arithmetic(U32, AMOUNTS)),
        "shl_i32": (lambda x, s, y, t: lax_bits.shift_left(y, t), _ref_shift_left(I32, s_i32)),
        "shrl_i32": (lambda x, s, y, t: lax_bits.shift_right_logical(y, t),
                     _ref_shift_right_logical(I32, s_i32)),
        "shra_i32": (lambda x, s, y, t: lax_bits.shift_right_arithmetic(y, t),
                     _ref_shift_right_arithmetic(I32, s_i32)),
        "shl_scalar": (lambda x, s, y, t: lax_bits.shift_left(x, 3),
                       _ref_shift_left(U32, np.full(6, 3, np.uint32))),
        "and": (lambda x, s, y, t: lax_bits.bitwise_and(x, s), U32 & AMOUNTS),
        "or": (lambda x, s, y, t: lax_bits.bitwise_or(x, s), U32 | AMOUNTS),
        "xor": (lambda x, s, y, t: lax_bits.bitwise_xor(x, s), U32 ^ AMOUNTS),
        "not": (lambda x, s, y, t: lax_bits.bitwise_not(x), ~U32),
        "popcount": (lambda x, s, y, t: lax_bits.population_count(x),
                     np.array([bin(int(v)).count("1") for v in U32], np.uint32)),
        "clz": (lambda x, s, y, t: lax_bits.clz(y),
                np.array([32 - int(v).bit_length() if v >= 0 else 0 for v in I32], np.int32)),
        "bitcast_f32": (lambda x, s, y, t: lax_bits.bitcast_convert_type(x, jnp.float32),
                        U32.view(np.float32)),
        "bitcast_back": (lambda x, s, y, t: lax_bits.bitcast_convert_type(
            lax_bits.bitcast_convert_type(y, np.float32), jnp.uint32), I32.view(np.uint32)),
    }


ARGS = (U32, AMOUNTS, I32, AMOUNTS.astype(np.int32))


def _check(got, want, what):
    got = np.asarray(got)
    assert got.dtype == want.dtype, (what, got.dtype, want.dtype)
    np.testing.assert_array_equal(got.view(np.uint32) if got.dtype == np.float32 else got,
                                  want.view(np.uint32) if want.dtype == np.float32 else want,
                                  err_msg=what)


def test_eager_matches_reference():
    for name, (fn, want) in _cases().items():
        _check(fn(*ARGS), want, name)


def _all(*args):
    return {n: fn(*args) for n, (fn, _) in _cases().items()}


def test_jit_llvm_cpu_one_module():
    got = jit(_all)(*ARGS)
    for name, (_, want) in _cases().items():
        _check(got[name], want, f"jit {name}")


@pytest.mark.vulkan
def test_jit_vulkan_bits_and_random():
    got = jit(_all, device="vulkan")(*ARGS)
    for name, (_, want) in _cases().items():
        _check(got[name], want, f"vulkan {name}")

    def draws(key):
        return (jr.split(key, 3), jr.bits(key, (2, 3)), jr.uniform(key, (6,)),
                jr.randint(key, (6,), -100, 77777), jr.normal(key, (6,)))
    split, bits, uni, ints, normal = jit(draws, device="vulkan")(jr.PRNGKey(42))
    for got_v, name in ((split, "split"), (bits, "bits"), (uni, "uniform"), (ints, "randint")):
        _check(got_v, expected(EXACT[name]["42"]), f"vulkan {name}")
    np.testing.assert_allclose(normal, jr.normal(jr.PRNGKey(42), (6,)), rtol=3e-6, atol=3e-7)


def test_vmap_matches_loop():
    x = jnp.asarray(np.stack([U32, U32[::-1]]))
    s = jnp.asarray(np.stack([AMOUNTS, AMOUNTS[::-1]]))
    got = vmap(lax_bits.shift_right_logical)(x, s)
    for i in range(2):
        np.testing.assert_array_equal(got[i], lax_bits.shift_right_logical(x[i], s[i]))
    got = vmap(lambda v: lax_bits.shift_left(v, AMOUNTS))(x)   # unbatched amount
    np.testing.assert_array_equal(got[1], _ref_shift_left(U32[::-1], AMOUNTS))
    pc = vmap(lax_bits.population_count)(x)
    np.testing.assert_array_equal(pc[0], _cases()["popcount"][1])


def test_tangents_are_zero():
    def f(x):   # float -> bits -> float: piecewise constant in x as far as AD goes
        b = lax_bits.bitcast_convert_type(x, jnp.uint32)
        return lax_bits.bitcast_convert_type(lax_bits.shift_right_logical(b, 1), jnp.float32)
    x = jnp.asarray(np.float32([1.5, -2.0]))
    out, t = irax.jvp(f, (x,), (jnp.ones(2),))
    np.testing.assert_array_equal(t, np.zeros(2, np.float32))
    np.testing.assert_array_equal(out, (U := np.float32([1.5, -2.0]).view(np.uint32) >> 1)
                                  .view(np.float32))
    del U


def test_errors():
    with pytest.raises(TypeError, match="shift_left does not accept dtype float32"):
        lax_bits.shift_left(jnp.ones(2), jnp.ones(2))
    with pytest.raises(TypeError, match="requires arguments to have the same dtypes"):
        lax_bits.shift_left(jnp.asarray(U32), jnp.asarray(I32))
    with pytest.raises(TypeError, match="needs equal bit widths"):
        lax_bits.bitcast_convert_type(jnp.asarray(U32), jnp.float16)
