"""irax.lax's dot/dot_general with precision, general reduce, split/stack/tile, mulhi,
reduce_precision, polygamma and the igamma derivatives, against JAX 0.10.

Reference: JAX itself (test-only oracle) for values, dtypes and shapes, eager and in one
compiled module; JAX's grad for reduce with a user computation; a Python loop for vmap.
"""
import jax
import numpy as np
import pytest

import irax
import irax.lax as lax
import irax.numpy as jnp
from tests.jax_oracle import assert_like_jax

X = (np.arange(24, dtype=np.float32).reshape(2, 3, 4) - 7) / 5
IOTA = np.broadcast_to(np.arange(4, dtype=np.int32), X.shape)
I32 = np.array([-7, 123456789, -2 ** 31, 2 ** 31 - 1, 5], np.int32)
J32 = np.array([3, 987654321, -2 ** 31, 2 ** 31 - 1, -1], np.int32)
ROUNDING = np.array([1.0, 1.00390625, 1.01171875, 3.14159, 1e-40, 3e38, np.nan, -np.inf,
                     65504.0, 70000.0, 6e-5, -2.5e-5, 1e-8], np.float32)


def argmax_pair(L):
    return lambda a, b: (L.max(a[0], b[0]), L.select(a[0] >= b[0], a[1], b[1]))


# Each case is a function of (lax module, arrays): run on irax and on jax.lax with the same arrays.
CASES = {
    "dot_matrix_matrix": lambda L, A: L.dot(A['X'][0], A['X'][1].T, precision=L.Precision.HIGHEST),
    "dot_matrix_vector_str_precision": lambda L, A: L.dot(A['X'][0], A['X'][1, 0], precision="highest"),
    "dot_vector_vector_pair": lambda L, A: L.dot(A['X'][0, 0], A['X'][1, 1], precision=("high", "highest")),
    "dot_preset_name": lambda L, A: L.dot(A['X'][0], A['X'][1].T, precision="F32_F32_F32"),
    "dot_general_batched": lambda L, A: L.dot_general(A['X'], A['X'], (((2,), (2,)), ((0,), (0,))),
                                                      precision=L.Precision.DEFAULT),
    "dot_general_preferred": lambda L, A: L.dot_general(
        (A['X'] * 10).astype(np.int32), (A['X'] * 3).astype(np.int32), (((2,), (2,)), ((), ())),
        preferred_element_type=np.float32),
    "dot_dimension_numbers": lambda L, A: L.dot(A['X'], A['X'], dimension_numbers=(((1,), (1,)), ((0,), (0,)))),
    "reduce_add": lambda L, A: L.reduce(A['X'], np.float32(0), L.add, (0, 2)),
    "reduce_max_identity": lambda L, A: L.reduce(A['X'], np.float32(-np.inf), L.max, (1,)),
    "reduce_add_init_once": lambda L, A: L.reduce(A['X'], np.float32(1.5), L.add, (2,)),
    "reduce_lambda_mul": lambda L, A: L.reduce(A['X'] + 1.5, np.float32(1), lambda a, b: a * b, (1,)),
    "reduce_variadic_argmax": lambda L, A: L.reduce((A['X'], A['IOTA']), (np.float32(-np.inf), np.int32(0)),
                                                    argmax_pair(L), (2,))[1],
    "reduce_no_dims": lambda L, A: L.reduce(A['X'], np.float32(0), lambda a, b: a + b, ()),
    "reduce_xor": lambda L, A: L.reduce_xor((A['X'] * 40).astype(np.int32), (1,)),
    "reduce_xor_bool": lambda L, A: L.reduce_xor(A['X'] > 0.3, (2,)),
    "split": lambda L, A: L.split(A['X'], (1, 3), axis=2)[1],
    "split_negative_axis": lambda L, A: L.split(A['X'], (2, 0, 1), axis=-2)[0],
    "tile": lambda L, A: L.tile(A['X'][0], (2, 1)),
    "stack": lambda L, A: L.stack([A['X'][0], A['X'][1]], axis=1),
    "unstack": lambda L, A: L.unstack(A['X'], axis=1)[2],
    "broadcast_to_rank": lambda L, A: L.broadcast_to_rank(A['X'][0], 4),
    "broadcast_like": lambda L, A: L.broadcast_like(A['X'][0, 0], A['X']),
    "mulhi_int32": lambda L, A: L.mulhi(A['I32'], A['J32']),
    "mulhi_uint32": lambda L, A: L.mulhi(A['U1'], A['U2']),
    "mulhi_int8": lambda L, A: L.mulhi(A['B1'], A['B2']),
    "reduce_precision_bfloat16": lambda L, A: L.reduce_precision(A['ROUNDING'], 8, 7),
    "reduce_precision_float16": lambda L, A: L.reduce_precision(A['ROUNDING'], 5, 10),
    "reduce_precision_e4m3": lambda L, A: L.reduce_precision(A['ROUNDING'] * 0.25, 4, 3),
    "polygamma": lambda L, A: L.polygamma(np.array([0., 1., 2., 1.5, 3.], np.float32),
                                          abs(A['X'][0, 0, :]).sum() + np.array([0.5, 2., 3., 1., 4.], np.float32)),
    "igamma_grad_a": lambda L, A: L.igamma_grad_a(abs(A['X'][0, 0]) + 0.5, abs(A['X'][1, 0]) + 0.2),
    "random_gamma_grad": lambda L, A: L.random_gamma_grad(abs(A['X'][0, 0]) + 0.5, abs(A['X'][1, 0]) + 0.2),
    "empty_shape": lambda L, A: L.empty((2, 3), np.float32) * 0,
    "shape_as_value": lambda L, A: L.shape_as_value((2, 3)),
    "optimization_barrier": lambda L, A: L.optimization_barrier((A['X'], A['X'] * 2))[1],
}
ARRAYS = {"X": X, "IOTA": IOTA, "I32": I32, "J32": J32, "ROUNDING": ROUNDING,
          "U1": np.array([7, 4000000000, 2 ** 32 - 1], np.uint32),
          "U2": np.array([3, 4000000000, 2 ** 32 - 1], np.uint32),
          "B1": np.array([-7, 100, -128], np.int8), "B2": np.array([30, 100, -128], np.int8)}
TOL = {"polygamma": 2e-5, "igamma_grad_a": 2e-5, "random_gamma_grad": 5e-5}


@pytest.mark.parametrize("name", sorted(CASES))
def test_eager_matches_jax(name):
    assert_like_jax(CASES[name](lax, ARRAYS), CASES[name](jax.lax, ARRAYS), name,
                    rtol=TOL.get(name, 2e-6))


# the special functions compile to long polynomial programs: the module keeps to the rest
JIT_CASES = sorted(set(CASES) - {"polygamma", "igamma_grad_a", "random_gamma_grad"})


def test_one_compiled_module_matches_jax():
    # every operand is an argument: the module computes at run time, nothing folds
    outs = irax.jit(lambda arrays: [CASES[n](lax, arrays) for n in JIT_CASES])(ARRAYS)
    for n, out in zip(JIT_CASES, outs):
        assert_like_jax(out, CASES[n](jax.lax, ARRAYS), "jit " + n)


def test_reduce_with_a_computation_differentiates_like_jax():
    def loss(L, np_):
        return lambda x: np_.sum(np_.sin(L.reduce(x + 1.5, np.float32(1), lambda a, b: a * b, (1,))))
    import jax.numpy as jjnp
    want = jax.grad(loss(jax.lax, jjnp))(X)
    assert_like_jax(irax.grad(loss(lax, jnp))(X), want, "grad", rtol=1e-5)
    assert_like_jax(irax.jit(irax.grad(loss(lax, jnp)))(X), want, "jit grad", rtol=1e-5)


def test_variadic_reduce_gradient_is_the_argmax_one_hot():
    # JAX cannot differentiate a variadic reduce; the derivative of sum(sin(max)) is
    # cos(max) at each row's maximum and zero elsewhere
    def f(x):
        best = lax.reduce((x, IOTA.astype(np.float32)), (np.float32(-np.inf), np.float32(0)),
                          argmax_pair(lax), (2,))
        return jnp.sum(jnp.sin(best[0])) + 0 * jnp.sum(best[1])
    want = (X == X.max(2, keepdims=True)) * np.cos(X.max(2, keepdims=True))
    np.testing.assert_allclose(np.asarray(irax.grad(f)(X)), want, rtol=1e-6)


def test_reduce_under_vmap_matches_a_python_loop():
    f = lambda x: lax.reduce(x, np.float32(0), lambda a, b: jnp.maximum(a, b) + 0 * b, (1,))  # noqa: E731
    got = irax.vmap(f)(X)
    np.testing.assert_allclose(np.asarray(got), np.stack([np.max(np.maximum(x, 0), 1) for x in X]))


def test_errors_match_jax_types():
    for L in (lax, jax.lax):
        with pytest.raises(TypeError):          # precision is keyword-only
            L.dot(X[0], X[0].T, L.Precision.HIGHEST)
        with pytest.raises(ValueError):         # batched operands need dimension numbers
            L.dot(X, X)
        with pytest.raises(ValueError):
            L.split(X, (1, 1), axis=2)
        with pytest.raises(TypeError):          # lax does not promote
            L.mulhi(I32, I32.astype(np.int16))
    for L in (lax, jax.lax):
        for bad in ("bogus", (L.Precision.HIGH, None), (L.Precision.HIGH, "highest")):
            with pytest.raises(ValueError, match="(?i)precision"):
                L.dot(X[0], X[0].T, precision=bad)
    with pytest.raises(NotImplementedError, match="BF16_BF16_F32"):
        lax.dot(X[0], X[0].T, precision=lax.DotAlgorithmPreset.BF16_BF16_F32)
    assert lax.Precision("highest") is lax.Precision.HIGHEST and str(lax.Precision.HIGH) == "HIGH"
