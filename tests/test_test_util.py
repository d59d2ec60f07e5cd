"""irax.test_util.check_grads: accepts right derivatives, rejects wrong ones (as jax.test_util does)."""
import numpy as np
import pytest

import irax
import irax.numpy as jnp
from irax.test_util import check_grads, numerical_jvp


def _wrong_jvp_sin():
    f = irax.custom_jvp(lambda x: jnp.sin(x))
    f.defjvp(lambda primals, tangents: (jnp.sin(primals[0]), 1.1 * jnp.cos(primals[0]) * tangents[0]))
    return f


def _wrong_vjp_exp():
    f = irax.custom_vjp(lambda x: jnp.exp(x))
    f.defvjp(lambda x: (jnp.exp(x), x), lambda x, ct: (ct * jnp.exp(x) + 0.01,))
    return f


def _right_custom_jvp():
    f = irax.custom_jvp(lambda x, y: x * jnp.sin(y))
    f.defjvps(lambda t, ans, x, y: t * jnp.sin(y), lambda t, ans, x, y: x * jnp.cos(y) * t)
    return f


X64 = np.linspace(-1.0, 1.5, 6)


@pytest.mark.parametrize("f, args, order", [
    (jnp.sin, (X64,), 2),
    (lambda a, b: jnp.tanh(a @ b).sum(), (np.eye(3) + 0.1, np.arange(6.0).reshape(3, 2) / 5), 2),
    (lambda d: d["w"] * jnp.exp(d["b"]), ({"w": 2.0, "b": X64},), 1),
    (_right_custom_jvp(), (X64, X64[::-1]), 2),
    (lambda x: jnp.sin(x), (np.float32(0.7),), 2),
])
def test_accepts_correct_derivatives(f, args, order):
    check_grads(f, args, order)


@pytest.mark.parametrize("f, modes, what", [
    (_wrong_jvp_sin(), ("fwd",), "JVP"),
    (_wrong_jvp_sin(), ("rev",), "cotangent projection"),
    (_wrong_vjp_exp(), ("rev",), "cotangent projection"),
])
def test_rejects_wrong_rules(f, modes, what):
    with pytest.raises(AssertionError, match=what):
        check_grads(f, (X64,), 1, modes=modes)


def test_second_order_error_is_found_only_at_order_two():
    # f' is right, but it is built from a square whose own derivative rule is wrong (3x, not 2x)
    square = irax.custom_jvp(lambda x: x * x)
    square.defjvp(lambda p, t: (p[0] * p[0], 3.0 * p[0] * t[0]))
    cube = irax.custom_jvp(lambda x: x ** 3)
    cube.defjvp(lambda p, t: (p[0] ** 3, 3.0 * square(p[0]) * t[0]))
    check_grads(cube, (X64,), 1)
    with pytest.raises(AssertionError, match="of JVP"):
        check_grads(cube, (X64,), 2, modes=("fwd",))
    with pytest.raises(AssertionError, match="of VJP"):
        check_grads(cube, (X64,), 2, modes=("rev",))


def test_numerical_jvp_of_a_polynomial_is_exact_to_eps_squared():
    x, t = np.array([0.3, -1.2]), np.array([1.0, 2.0])
    got = numerical_jvp(lambda v: v ** 3, (x,), (t,), eps=1e-4)
    np.testing.assert_allclose(got, 3 * x ** 2 * t, rtol=1e-7)


def test_complex_input_and_bad_mode():
    check_grads(lambda z: jnp.sin(z) * z, (np.array([0.3 + 0.2j, -1.0 + 0.5j]),), 1, modes=("fwd",))
    with pytest.raises(ValueError, match="modes"):
        check_grads(jnp.sin, (X64,), 1, modes=("backward",))


def test_agrees_with_jax_check_grads_on_the_same_rules():
    jax = pytest.importorskip("jax")
    from jax.test_util import check_grads as jax_check_grads
    jax.config.update("jax_enable_x64", True)
    try:
        g = jax.custom_jvp(lambda x: jax.numpy.sin(x))
        g.defjvp(lambda p, t: (jax.numpy.sin(p[0]), 1.1 * jax.numpy.cos(p[0]) * t[0]))
        with pytest.raises(AssertionError):
            jax_check_grads(g, (X64,), 1, modes=("fwd",))
        jax_check_grads(jax.numpy.sin, (X64,), 2)
    finally:
        jax.config.update("jax_enable_x64", False)
    with pytest.raises(AssertionError):
        check_grads(_wrong_jvp_sin(), (X64,), 1, modes=("fwd",))
    check_grads(jnp.sin, (X64,), 2)


def test_tolerances_scale_with_the_number_of_elements_as_jax():
    # JAX's check_grads multiplies atol and rtol by a leaf's size: a 9-element float32 leaf
    # 1.5% off passes (9 * 2e-3 = 1.8%), 2.5% off does not, and one element 1.5% off does not.
    from irax.test_util import check_close
    want = np.full(9, 100.0, np.float32)
    check_close(want * np.float32(1.015), want)
    with pytest.raises(AssertionError):
        check_close(want * np.float32(1.025), want)
    with pytest.raises(AssertionError):
        check_close(want[:1] * np.float32(1.015), want[:1])


def test_float32_while_loop_fourth_power_second_order():
    # JAX's testWhileJVP: x -> x*x twice (x[0, 2] = 2 -> 4 -> 16); a central difference of
    # x**4 ~ 4096 in float32 is off by ~1% in single elements, which JAX's tolerances admit.
    x = np.arange(9.0, dtype=np.float32).reshape(3, 3)
    loop = lambda v: irax.lax.while_loop(lambda c: c[0, 2] <= 8, lambda c: c * c, v)
    t = np.random.RandomState(0).randn(3, 3).astype(np.float32)
    _, tangent = irax.jvp(loop, (x,), (t,))
    np.testing.assert_allclose(np.asarray(tangent), 4 * x.astype(np.float64) ** 3 * t, rtol=1e-6)
    check_grads(loop, (x,), order=2, modes=["fwd"])
