"""Bad input raises the exception type JAX 0.10 raises (issue 16), so that `except` clauses
written for JAX catch irax's errors too. The expected type of each case is JAX 0.10.2's
(checked by hand against jax on CPU); messages must name the problem."""
from __future__ import annotations

import numpy as np
import pytest

import irax
import irax.nn
import irax.numpy as jnp

AxisError = np.exceptions.AxisError


def test_axis_error_is_a_value_and_index_error():
    assert issubclass(AxisError, ValueError) and issubclass(AxisError, IndexError)


# -- broadcasting: TypeError for elementwise operands, ValueError for the broadcast functions


def test_elementwise_broadcast_mismatch_is_type_error():
    with pytest.raises(TypeError, match=r"\(3,\).*\(4,\)"):
        jnp.ones(3) + jnp.ones(4)
    with pytest.raises(TypeError, match=r"\(3,\).*\(4,\)"):
        irax.jit(lambda a, b: a * b)(jnp.ones(3), jnp.ones(4))
    with pytest.raises(TypeError, match="broadcasting"):
        jnp.maximum(jnp.ones((2, 3)), jnp.ones((3, 2)))


@pytest.mark.parametrize("call", [
    lambda: jnp.broadcast_shapes((3,), (4,)),
    lambda: jnp.broadcast_to(jnp.ones(3), (4,)),
    lambda: jnp.where(jnp.ones(3) > 0, jnp.ones(4), 0.0),
    lambda: jnp.where(True, jnp.ones(3), jnp.ones(4)),
    lambda: jnp.broadcast_arrays(jnp.ones(3), jnp.ones(4)),
], ids=["broadcast_shapes", "broadcast_to", "where_cond", "where_branches", "broadcast_arrays"])
def test_broadcast_function_mismatch_is_value_error(call):
    with pytest.raises(ValueError, match="broadcast"):
        call()


# -- shapes


@pytest.mark.parametrize("call", [
    lambda: jnp.zeros(-1), lambda: jnp.ones((2, -1)), lambda: jnp.full(-1, 0.0),
    lambda: jnp.empty(-1), lambda: jnp.zeros_like(jnp.ones(2), shape=(-3,))],
    ids=["zeros", "ones", "full", "empty", "zeros_like"])
def test_negative_creation_shape_is_type_error(call):
    with pytest.raises(TypeError, match="non-negative"):
        call()


@pytest.mark.parametrize("shape, match", [
    ((-1, -1), "one unknown"), ((-2, -3), "non-negative"), ((-2, 3), "non-negative"),
    ((4, 2), "cannot reshape"), ((4, -1), "cannot reshape")])
def test_bad_reshape_is_type_error(shape, match):
    with pytest.raises(TypeError, match=match):
        jnp.reshape(jnp.ones(6), shape)


def test_transpose_with_a_non_permutation_is_type_error():
    with pytest.raises(TypeError, match="permutation"):
        jnp.transpose(jnp.ones((2, 3)), (0, 0))
    with pytest.raises(TypeError, match="permutation"):
        jnp.transpose(jnp.ones((2, 3)), (0,))
    with pytest.raises(AxisError):   # an axis out of range: JAX's ValueError
        jnp.transpose(jnp.ones((2, 3)), (0, 2))


def test_squeeze_of_a_non_unit_axis_is_value_error():
    with pytest.raises(ValueError, match="squeeze"):
        jnp.squeeze(jnp.ones((2, 3)), 0)
    with pytest.raises(AxisError):
        jnp.squeeze(jnp.ones((1, 3)), 5)


def test_einsum_mismatches_are_value_errors():
    with pytest.raises(ValueError, match="label 'j'"):
        jnp.einsum("ij,jk->ik", jnp.ones((2, 3)), jnp.ones((4, 5)))
    with pytest.raises(ValueError, match="'l'"):
        jnp.einsum("ij,jk->il", jnp.ones((2, 3)), jnp.ones((3, 5)))
    with pytest.raises(ValueError):
        jnp.einsum("ij,jk->ik", jnp.ones((2, 3)))


# -- axes: NumPy's AxisError wherever an axis is normalized

_X = jnp.ones((2, 3))


@pytest.mark.parametrize("call", [
    lambda: jnp.sum(_X, axis=5), lambda: jnp.mean(_X, axis=-3), lambda: jnp.max(_X, axis=2),
    lambda: jnp.min(_X, axis=2), lambda: jnp.prod(_X, axis=2), lambda: jnp.any(_X, axis=2),
    lambda: jnp.var(_X, axis=2), lambda: jnp.argmax(_X, axis=2), lambda: jnp.argmin(_X, axis=-3),
    lambda: jnp.cumsum(_X, axis=2), lambda: jnp.concatenate([_X, _X], axis=2),
    lambda: jnp.stack([_X, _X], axis=4), lambda: jnp.expand_dims(_X, 4),
    lambda: jnp.flip(_X, 4), lambda: jnp.moveaxis(_X, 4, 0), lambda: jnp.swapaxes(_X, 4, 0),
    lambda: jnp.split(jnp.ones((2, 4)), 2, axis=4), lambda: jnp.sum(jnp.ones(()), axis=0),
    lambda: jnp.repeat(_X, 2, axis=3), lambda: jnp.tensordot(_X, _X, axes=([5], [0])),
    lambda: jnp.linalg.norm(_X, axis=4), lambda: irax.nn.softmax(_X, axis=4),
    lambda: irax.nn.logsumexp(_X, axis=4)],
    ids=["sum", "mean", "max", "min", "prod", "any", "var", "argmax", "argmin", "cumsum",
         "concatenate", "stack", "expand_dims", "flip", "moveaxis", "swapaxes", "split",
         "sum_0d", "repeat", "tensordot", "norm", "softmax", "logsumexp"])
def test_out_of_range_axis_is_axis_error(call):
    with pytest.raises(AxisError, match="out of bounds"):
        call()


def test_duplicate_axis_is_value_error():
    with pytest.raises(ValueError, match="duplicate"):
        jnp.sum(_X, axis=(0, 0))


# -- transformations


def test_vmap_axis_specs_are_checked_when_vmap_is_built():
    f = lambda x: x   # noqa: E731
    for spec in (0.5, "a", {"a": 0}, np.int64(0), True, (0.5,), ({"a": 0.5},)):
        with pytest.raises(TypeError, match="in_axes"):
            irax.vmap(f, in_axes=spec)
    with pytest.raises(TypeError, match="out_axes"):
        irax.vmap(f, out_axes=0.5)
    with pytest.raises(ValueError, match="axis 2"):   # a valid spec, out of range: ValueError
        irax.vmap(f, in_axes=2)(jnp.ones(3))
    with pytest.raises(ValueError, match="in_axes"):
        irax.vmap(f, in_axes=(0, 0))(jnp.ones(3))
    # a list is a tuple, as in JAX
    np.testing.assert_array_equal(np.asarray(irax.vmap(lambda x, y: x + y, in_axes=[0, 0])(
        jnp.ones(3), jnp.ones(3))), [2.0, 2.0, 2.0])


def test_argnums_errors():
    f = lambda x, y: x * y   # noqa: E731
    with pytest.raises(TypeError, match="argnums"):
        irax.grad(f, argnums=2)(1.0, 2.0)
    with pytest.raises(TypeError, match="argnums"):
        irax.value_and_grad(f, argnums=(0, 2))(1.0, 2.0)
    with pytest.raises(ValueError, match="argnums"):
        irax.grad(f, argnums=-3)(1.0, 2.0)
    with pytest.raises(ValueError, match="argnums"):
        irax.jacrev(f, argnums=2)(1.0, 2.0)
    with pytest.raises(ValueError, match="argnums"):
        irax.jacfwd(f, argnums=2)(1.0, 2.0)
    assert float(irax.grad(f, argnums=-1)(1.0, 2.0)) == 1.0


def test_vjp_cotangent_of_the_wrong_type_is_value_error():
    _, f = irax.vjp(lambda x: x * 2.0, 1.0)
    for bad, match in [(jnp.int32(1), "dtype"), (1, "dtype"), (True, "dtype"),
                       (jnp.asarray(np.float16(1)), "dtype"), (jnp.ones(3), "shape"),
                       ((1.0, 2.0), "structure"), (None, "structure")]:
        with pytest.raises(ValueError, match=match):
            f(bad)
    assert float(f(1.0)[0]) == 2.0                 # a Python float is fine
    assert float(f(np.float64(1.0))[0]) == 2.0     # canonicalized to float32
    _, g = irax.vjp(lambda x: (x * 2.0, jnp.int32(3)), 1.0)
    assert float(g((1.0, jnp.int32(5)))[0]) == 2.0   # any cotangent for an integer output


def test_unexpected_tracer_error_is_a_type_error():
    assert issubclass(irax.UnexpectedTracerError, TypeError)
    leaked = []
    irax.jit(lambda x: leaked.append(x) or x)(1.0)
    try:
        jnp.sin(leaked[0]) + 1.0
    except TypeError as e:   # what an `except TypeError` written for JAX catches
        assert isinstance(e, irax.UnexpectedTracerError), type(e)
    else:
        raise AssertionError("a leaked tracer was used without an error")


# -- jit static arguments


def test_static_argnums_past_the_parameters_is_value_error():
    with pytest.raises(ValueError, match="static_argnums"):
        irax.jit(lambda x: x, static_argnums=2)
    with pytest.raises(ValueError, match="static_argnums"):
        irax.jit(lambda x: x, static_argnums=-2)
    with pytest.raises(ValueError, match="static_argnums"):
        irax.jit(lambda x, *, y: x, static_argnums=1)   # keyword-only is not positional
    with pytest.raises(ValueError, match="static_argnames"):
        irax.jit(lambda x: x, static_argnames="y")
    with pytest.raises(ValueError, match=r"'z'"):
        irax.jit(lambda x, y: x, static_argnames=("y", "z"))
    # accepted, as in JAX: *args / **kwargs take them, negative in range, no signature
    assert float(irax.jit(lambda *x: x[0], static_argnums=2)(1.0, 2.0, 3)) == 1.0
    assert float(irax.jit(lambda x, **kw: x, static_argnames="y")(1.0, y=2)) == 1.0
    assert float(irax.jit(lambda x, y: x * y, static_argnums=-1)(1.0, 2.0)) == 2.0
    irax.jit(max, static_argnums=3)


def test_unhashable_static_argument_is_value_error():
    with pytest.raises(ValueError, match="hashable"):
        irax.jit(lambda x, s: x, static_argnums=1)(1.0, [1])
    with pytest.raises(ValueError, match="hashable"):
        irax.jit(lambda x, s: x, static_argnames="s")(1.0, s=[1])


# -- custom_jvp.defjvps: one rule per argument


def test_defjvps_with_a_wrong_number_of_rules_is_value_error():
    f = irax.custom_jvp(lambda x: x * 1.0)
    f.defjvps(lambda g, ans, x: g, lambda g, ans, x: g)
    assert float(f(1.0)) == 1.0               # calling is fine; the rule count is checked
    with pytest.raises(ValueError, match="2 rule"):   # when the rules run, as in JAX
        irax.jvp(f, (1.0,), (1.0,))
    h = irax.custom_jvp(lambda x, y: x * y)
    h.defjvps(lambda g, ans, x, y: g * y)
    with pytest.raises(ValueError, match="1 rule"):
        irax.jvp(h, (1.0, 2.0), (1.0, 1.0))
