"""Bool arithmetic, dtype arguments of lax.convert_element_type, and lists as arguments:
each as jax.numpy does it (NumPy and JAX itself as the references)."""
from __future__ import annotations

import numpy as np
import pytest

import irax
import irax.numpy as jnp
from irax import lax

jax = pytest.importorskip("jax")
jjnp = jax.numpy

A = np.array([True, False, True, False])
B = np.array([True, True, False, False])


def same(got, want):
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    np.testing.assert_array_equal(got, want)


# ---------------------------------------------------------------------------
# bool arithmetic


def test_bool_plus_and_times_are_or_and():
    a, b = jnp.asarray(A), jnp.asarray(B)
    same(a + b, A | B)
    same(a * b, A & B)
    same(jnp.add(a, b), np.add(A, B))            # NumPy agrees: bool add is or
    same(jnp.multiply(a, b), np.multiply(A, B))
    same(a + True, A | True)
    same(jnp.bool_(True) + jnp.bool_(True), np.bool_(True))


def test_bool_minus_and_negation_raise_type_error():
    a, b = jnp.asarray(A), jnp.asarray(B)
    for f in (lambda: a - b, lambda: jnp.subtract(a, b), lambda: a - True, lambda: -a,
              lambda: lax.add(a, b)):
        with pytest.raises(TypeError, match="bool"):
            f()
    with pytest.raises(TypeError):   # JAX refuses the same
        jjnp.asarray(A) - jjnp.asarray(B)


def test_bool_reductions_and_promotions_match_jax():
    a, b = jnp.asarray(A), jnp.asarray(B)
    ja, jb = jjnp.asarray(A), jjnp.asarray(B)
    pairs = [
        (jnp.sum(a), jjnp.sum(ja)), (jnp.cumsum(a), jjnp.cumsum(ja)),
        (jnp.prod(a), jjnp.prod(ja)), (jnp.mean(a), jjnp.mean(ja)),
        (jnp.sum(a.reshape(2, 2), axis=1), jjnp.sum(ja.reshape(2, 2), axis=1)),
        (jnp.cumsum(a, dtype=jnp.float32), jjnp.cumsum(ja, dtype=jjnp.float32)),
        (jnp.max(a), jjnp.max(ja)), (jnp.min(a), jjnp.min(ja)),
        (a + 1, ja + 1), (a * 2.0, ja * 2.0), (a ** 2, ja ** 2), (jnp.square(a), jjnp.square(ja)),
        (a / jnp.asarray([True, True, True, True]), ja / jjnp.asarray([True] * 4)),
        (jnp.abs(a), jjnp.abs(ja)), (jnp.maximum(a, b), jjnp.maximum(ja, jb)),
        (a // jnp.asarray([True] * 4), ja // jjnp.asarray([True] * 4)),
        (a % jnp.asarray([True] * 4), ja % jjnp.asarray([True] * 4)),
        (a < b, ja < jb), (a == b, ja == jb), (a >= b, ja >= jb), (a & b, ja & jb), (~a, ~ja),
        (jnp.dot(a, b), jjnp.dot(ja, jb)), (jnp.count_nonzero(a), jjnp.count_nonzero(ja)),
    ]
    for got, want in pairs:
        same(got, want)
    # and the independent reference for the sums
    same(jnp.sum(a), np.int32(2))
    same(jnp.cumsum(a), np.array([1, 1, 2, 2], np.int32))


def test_bool_arithmetic_under_vmap_and_grad_of_masked_sum():
    a, b = jnp.asarray(A), jnp.asarray(B)
    same(irax.vmap(lambda x, y: x + y)(a, b), A | B)
    same(irax.vmap(lambda x, y: x * y)(a, b), A & B)
    x = jnp.asarray(np.arange(4.0, dtype=np.float32))
    g = irax.grad(lambda x: jnp.sum(x * (a + b)))(x)
    same(g, (A | B).astype(np.float32))


# ---------------------------------------------------------------------------
# convert_element_type with every way of naming a dtype


@pytest.mark.parametrize("dtype", [np.int32, jnp.int32, "int32", np.dtype("int32"), int, float,
                                   bool, np.float64, jnp.bool_, np.complex64, "float16"],
                         ids=str)
def test_convert_element_type_accepts_type_classes_names_and_dtypes(dtype):
    x = np.array([0.0, 1.5, -2.0, 3.0], np.float32)
    jd = dtype.dtype if isinstance(dtype, type(jnp.int32)) else dtype
    want = jax.lax.convert_element_type(jjnp.asarray(x), jd)
    got = lax.convert_element_type(jnp.asarray(x), dtype)
    same(got, want)


def test_convert_element_type_of_python_scalar_and_switch_index():
    same(lax.convert_element_type(3, jnp.float32), np.float32(3))
    # the lax.switch pattern of JAX's own tests: an index built with a scalar type class
    idx = lax.convert_element_type(jnp.asarray(1.7), np.int32)
    out = lax.switch(idx, [lambda x: x + 1.0, lambda x: x * 10.0], jnp.asarray(2.0))
    same(out, np.float32(20.0))


# ---------------------------------------------------------------------------
# lists are not arrays


@pytest.mark.parametrize("name,args", [
    ("sum", ([1, 2, 3],)), ("dot", ([1, 2], [3, 4])), ("exp", ([1.0],)), ("add", ([1], [2])),
    ("mean", ((1.0, 2.0),)), ("matmul", ([[1.0]], [[2.0]])), ("where", ([True], [1.0], [2.0])),
    ("reshape", ([1, 2], (2, 1))), ("stack", ([[1.0], [2.0]],)), ("cumsum", ([1, 2],)),
    ("maximum", (1.0, [2.0])), ("clip", ([1.0], 0.0, 1.0)), ("einsum", ("i,i", [1.0], [1.0])),
])
def test_lists_are_refused_like_jax(name, args):
    with pytest.raises(TypeError) as jax_error:
        getattr(jjnp, name)(*args)
    with pytest.raises(TypeError, match="requires ndarray or scalar arguments") as e:
        getattr(jnp, name)(*args)
    assert "list" in str(e.value) or "tuple" in str(e.value)
    assert "requires ndarray or scalar arguments" in str(jax_error.value)


def test_lists_still_convert_where_jax_converts():
    same(jnp.asarray([1, 2, 3]), np.array([1, 2, 3], np.int32))
    same(jnp.array([[1.0], [2.0]]), np.array([[1.0], [2.0]], np.float32))
    same(jnp.sum(jnp.asarray([1, 2, 3])), np.int32(6))
    same(jnp.stack([jnp.ones(2), jnp.zeros(2)]), np.stack([np.ones(2), np.zeros(2)]).astype(np.float32))
    assert jnp.shape([[1, 2, 3]]) == (1, 3) and jnp.ndim([1, 2]) == 1 and jnp.size([1, 2]) == 2
    same(jnp.reshape(jnp.arange(4), (2, 2)), np.arange(4, dtype=np.int32).reshape(2, 2))
