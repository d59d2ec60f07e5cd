"""lax.custom_linear_solve: the solution, and derivatives from matvec(x) = b (checked
against np.linalg.solve and float64 central differences), through solvers that are not
themselves differentiable (a while_loop conjugate gradient)."""
import numpy as np
import pytest

import irax
import irax.numpy as jnp
from irax import lax

from tests.lax.cf_helpers import central_fd

A0 = np.array([[4.0, 1.0, 0.0], [1.0, 3.0, 0.5], [0.0, 0.5, 2.0]])       # SPD
B0 = np.array([[3.0, 1.0, 0.0], [-1.0, 2.0, 0.5], [0.3, 0.0, 2.0]])      # not symmetric
WEIGHTS = np.array([1.0, 2.0, 3.0])


def cg(matvec, b):
    """Conjugate gradient in a while_loop (reverse mode cannot differentiate it)."""
    def cond(c):
        _, r, _, k = c
        return jnp.logical_and(jnp.sum(r * r) > 1e-26, k < 50)

    def body(c):
        x, r, p, k = c
        ap = matvec(p)
        alpha = jnp.sum(r * r) / jnp.sum(p * ap)
        r_new = r - alpha * ap
        beta = jnp.sum(r_new * r_new) / jnp.sum(r * r)
        return x + alpha * p, r_new, r_new + beta * p, k + 1
    x, _, _, _ = lax.while_loop(cond, body, (jnp.zeros_like(b), b, b, 0))
    return x


def richardson(matvec, b):
    return lax.fori_loop(0, 300, lambda i, x: x + 0.2 * (b - matvec(x)), jnp.zeros_like(b))


def spd_loss(theta, b):
    a = A0 + theta * jnp.eye(3)
    x = lax.custom_linear_solve(lambda v: a @ v, b, cg, symmetric=True)
    return jnp.sum(x * WEIGHTS)


def spd_loss_np(theta, b):
    return np.sum(np.linalg.solve(A0 + theta * np.eye(3), b) * WEIGHTS)


def general_loss(theta, b):
    m = B0 * theta
    x = lax.custom_linear_solve(lambda v: m @ v, b, richardson, transpose_solve=richardson)
    return jnp.sum(x ** 2)


def general_loss_np(theta, b):
    return np.sum(np.linalg.solve(B0 * theta, b) ** 2)


B = np.array([1.0, -2.0, 0.5])


def test_solution_and_gradients(x64):
    for loss, loss_np, theta in [(spd_loss, spd_loss_np, 0.3),
                                 (general_loss, general_loss_np, 1.1)]:
        np.testing.assert_allclose(float(loss(theta, B)), loss_np(theta, B), rtol=1e-10)
        g_theta, g_b = irax.grad(loss, argnums=(0, 1))(theta, B)
        np.testing.assert_allclose(float(g_theta),
                                   central_fd(lambda t: loss_np(float(t), B), theta),
                                   rtol=1e-7)
        np.testing.assert_allclose(np.asarray(g_b), central_fd(lambda v: loss_np(theta, v), B),
                                   rtol=1e-7)
        # forward mode, in theta and in b
        _, t = irax.jvp(loss, (theta, B), (1.0, np.zeros(3)))
        np.testing.assert_allclose(float(t), float(g_theta), rtol=1e-9)
        _, t = irax.jvp(loss, (theta, B), (0.0, np.array([0.0, 1.0, 0.0])))
        np.testing.assert_allclose(float(t), float(g_b[1]), rtol=1e-9)


def test_second_derivative_and_vmap(x64):
    h = float(irax.grad(irax.grad(spd_loss))(0.3, B))
    eps = 1e-4
    want = (spd_loss_np(0.3 + eps, B) - 2 * spd_loss_np(0.3, B) + spd_loss_np(0.3 - eps, B)) \
        / eps ** 2
    np.testing.assert_allclose(h, want, rtol=1e-5)
    thetas = np.array([0.1, 0.3, 0.7])
    vals = irax.vmap(spd_loss, in_axes=(0, None))(thetas, B)
    np.testing.assert_allclose(np.asarray(vals), [spd_loss_np(t, B) for t in thetas], rtol=1e-10)
    bs = np.stack([B, -B, 2 * B])
    grads = irax.vmap(irax.grad(general_loss, argnums=1), in_axes=(None, 0))(1.1, bs)
    for g, b in zip(np.asarray(grads), bs):
        np.testing.assert_allclose(g, central_fd(lambda v: general_loss_np(1.1, v), b),
                                   rtol=1e-7)


def test_pytree_b_and_has_aux(x64):
    d = np.array([2.0, 4.0])

    def matvec(v):
        return {"a": d * v["a"], "b": 3.0 * v["b"]}

    def solve(mv, r):
        x = {"a": r["a"] / d, "b": r["b"] / 3.0}
        return x, {"iterations": jnp.asarray(1)}
    b = {"a": np.array([1.0, 2.0]), "b": np.array(6.0)}
    x, aux = lax.custom_linear_solve(matvec, b, solve, symmetric=True, has_aux=True)
    np.testing.assert_allclose(np.asarray(x["a"]), [0.5, 0.5])
    np.testing.assert_allclose(float(x["b"]), 2.0)
    assert int(aux["iterations"]) == 1

    def loss(b):
        x, _ = lax.custom_linear_solve(matvec, b, solve, symmetric=True, has_aux=True)
        return jnp.sum(x["a"] ** 2) + x["b"] ** 2
    g = irax.grad(loss)(b)
    np.testing.assert_allclose(np.asarray(g["a"]), 2 * b["a"] / d ** 2)
    np.testing.assert_allclose(float(g["b"]), 2 * 6.0 / 9.0)


def test_under_jit(x64):
    grads = irax.jit(irax.grad(spd_loss, argnums=(0, 1)))(0.3, B)
    np.testing.assert_allclose(np.asarray(grads[1]),
                               central_fd(lambda v: spd_loss_np(0.3, v), B), rtol=1e-7)
    np.testing.assert_allclose(float(grads[0]),
                               central_fd(lambda t: spd_loss_np(float(t), B), 0.3), rtol=1e-7)


def test_errors():
    b = np.ones(3, np.float32)
    mv = lambda v: B0.astype(np.float32) @ v   # noqa: E731
    with pytest.raises(TypeError, match="transpose_solve required"):
        irax.grad(lambda b: jnp.sum(lax.custom_linear_solve(mv, b, richardson)))(b)
    # forward mode needs no transpose_solve
    _, t = irax.jvp(lambda b: lax.custom_linear_solve(mv, b, richardson), (b,), (b,))
    np.testing.assert_allclose(np.asarray(t), np.linalg.solve(B0, b), rtol=1e-4)
    with pytest.raises(ValueError, match="matvec\\(\\) output shapes must match b"):
        lax.custom_linear_solve(lambda v: v[:2], b, richardson)
    with pytest.raises(ValueError, match="solve\\(\\) output shapes must match b"):
        lax.custom_linear_solve(mv, b, lambda m, r: r[:2])


def test_matches_jax():
    jax = pytest.importorskip("jax")
    jjnp = jax.numpy
    b = np.array([1.0, -2.0, 0.5], np.float32)

    def jax_richardson(matvec, r):
        return jax.lax.fori_loop(0, 300, lambda i, x: x + 0.2 * (r - matvec(x)),
                                 jjnp.zeros_like(r))

    def jax_loss(theta, b):
        x = jax.lax.custom_linear_solve(lambda v: (B0 * theta).astype(np.float32) @ v, b,
                                        jax_richardson, transpose_solve=jax_richardson)
        return jjnp.sum(x ** 2)

    def loss(theta, b):
        m = (B0 * theta).astype(np.float32)
        x = lax.custom_linear_solve(lambda v: m @ v, b, richardson, transpose_solve=richardson)
        return jnp.sum(x ** 2)
    want = jax.grad(jax_loss, argnums=1)(1.1, b)
    got = irax.grad(loss, argnums=1)(1.1, b)
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-5)
