"""irax.lax constructors, in-dimension slicing, axis reductions and cumulative ops.

Reference: JAX 0.10 itself (test-only oracle) for values, dtypes and shapes; NumPy-built
loops for vmap; float64 central finite differences for gradients.
"""
import jax
import numpy as np
import pytest

import irax
import irax.lax as lax
import irax.numpy as jnp
from tests.jax_oracle import assert_like_jax
from tests.finite_differences import central_fd

X = (np.arange(24, dtype=np.float32).reshape(2, 3, 4) - 7) / 3

# Each case is a function of (lax module, x): run on irax and on jax.lax with the same x.
CASES = {
    "full": lambda L, x: L.full((2, 3), 1.5),
    "full_scalar_shape_int": lambda L, x: L.full(3, 2),
    "full_like_dtype": lambda L, x: L.full_like(x, 2, dtype=np.int32),
    "broadcasted_iota": lambda L, x: L.broadcasted_iota(np.int32, (2, 3), 1),
    "broadcast": lambda L, x: L.broadcast(x[0, 0], (2,)),
    "collapse": lambda L, x: L.collapse(x, 1),
    "collapse_range": lambda L, x: L.collapse(x, 0, 2),
    "slice_in_dim": lambda L, x: L.slice_in_dim(x, 1, None, axis=2),
    "slice_in_dim_negative": lambda L, x: L.slice_in_dim(x, -3, -1, axis=1),
    "slice_in_dim_stride": lambda L, x: L.slice_in_dim(x, 0, 4, stride=2, axis=2),
    "index_in_dim": lambda L, x: L.index_in_dim(x, -1, axis=1, keepdims=False),
    "index_in_dim_keep": lambda L, x: L.index_in_dim(x, 0, axis=0),
    "dynamic_slice_in_dim": lambda L, x: L.dynamic_slice_in_dim(x, 1, 2, axis=2),
    "dynamic_slice_in_dim_clamped": lambda L, x: L.dynamic_slice_in_dim(x, 3, 2, axis=2),
    "dynamic_update_slice_in_dim": lambda L, x: L.dynamic_update_slice_in_dim(
        x, np.ones((2, 1, 4), np.float32), 2, axis=1),
    "dynamic_update_index_in_dim": lambda L, x: L.dynamic_update_index_in_dim(
        x, np.ones((2, 4), np.float32), 1, 1),
    "reduce_max": lambda L, x: L.reduce_max(x, (0, 2)),
    "reduce_min": lambda L, x: L.reduce_min(x, (1,)),
    "reduce_prod": lambda L, x: L.reduce_prod(x[:, :2, :2], (2,)),
    "reduce_and": lambda L, x: L.reduce_and(x > -1.5, (1,)),
    "reduce_or": lambda L, x: L.reduce_or(x > 4.5, (2,)),
    "argmax": lambda L, x: L.argmax(x, 2, np.int32),
    "argmin": lambda L, x: L.argmin(-(x * x), 1, np.int32),
    "cumprod": lambda L, x: L.cumprod(x / 2, axis=2),
    "cummax_reverse": lambda L, x: L.cummax(L.sin(x * 3), axis=1, reverse=True),
    "cummin": lambda L, x: L.cummin(L.cos(x * 3), axis=2),
    "cumlogsumexp_reverse": lambda L, x: L.cumlogsumexp(x, axis=2, reverse=True),
    "select_n_int": lambda L, x: L.select_n(np.array([0, 2, 1, 0]), x[0, 0], x[0, 1], x[0, 2]),
    "select_n_bool": lambda L, x: L.select_n(x[0] > 0, x[0], -x[0]),
    "sinh": lambda L, x: L.sinh(x),
    "square": lambda L, x: L.square(x),
    "batch_matmul": lambda L, x: L.batch_matmul(x, L.transpose(x, (0, 2, 1))),
    "bitcast_convert_type": lambda L, x: L.bitcast_convert_type(x, np.int32),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_eager_matches_jax(name):
    assert_like_jax(CASES[name](lax, X), CASES[name](jax.lax, X), name)


def test_one_compiled_module_matches_jax():
    compiled = irax.jit(lambda x: {k: f(lax, x) for k, f in CASES.items()})(X)
    for name, f in CASES.items():
        assert_like_jax(compiled[name], f(jax.lax, X), name)


def test_vmap_matches_a_python_loop():
    def per_example(x):
        return (lax.cumlogsumexp(x, axis=1), lax.index_in_dim(x, 1, axis=0, keepdims=False),
                lax.dynamic_slice_in_dim(x, 2, 2, axis=1), lax.reduce_max(x, (1,)))
    batched = irax.vmap(per_example)(X)
    for i in range(X.shape[0]):
        for got, want in zip(batched, per_example(X[i])):
            np.testing.assert_allclose(got[i], want, rtol=1e-6)


@pytest.mark.parametrize("name", ["cumprod", "cumlogsumexp", "cummax"])
def test_grad_matches_finite_differences(name):
    x = np.array([0.7, -1.3, 2.1, 0.4, -0.9], np.float64)
    weights = np.linspace(0.5, 1.5, 5)
    op = getattr(lax, name)
    np_op = {"cumprod": np.cumprod, "cummax": np.maximum.accumulate,
             "cumlogsumexp": np.logaddexp.accumulate}[name]
    grad = irax.grad(lambda v: jnp.sum(op(v) * weights))(x.astype(np.float32))
    np.testing.assert_allclose(grad, central_fd(lambda v: np.sum(np_op(v) * weights), x),
                               rtol=2e-4, atol=2e-5)


def test_bad_arguments_raise_like_jax():
    with pytest.raises(IndexError):
        lax.index_in_dim(X, 5, axis=1)
    with pytest.raises(IndexError, match="out of bounds"):
        lax.slice_in_dim(X, 0, 1, axis=3)
    with pytest.raises(TypeError):
        lax.select_n(np.array([True, False]), X[0, 0, :2], X[0, 1, :2], X[0, 2, :2])
    with pytest.raises(ValueError):
        lax.select_n(np.array([True]))
    with pytest.raises(TypeError, match="boolean"):
        lax.reduce_and(X, (0,))
