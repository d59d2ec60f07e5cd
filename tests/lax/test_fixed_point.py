import numpy as np
import pytest

import irax
import irax.numpy as jnp
from irax import lax

from tests.lax import seed_fixed_point as seed
from tests.lax.cf_helpers import central_fd, check_close


def test_seed_numbers_eager():
    assert str(seed.newton_sqrt_plain(2.)) == "1.4142135"
    assert str(seed.newton_sqrt(2.)) == "1.4142135"
    assert str(irax.grad(seed.newton_sqrt)(2.)) == "0.35355338"
    assert str(irax.grad(irax.grad(seed.newton_sqrt))(2.)) == "-0.088388346"


def test_seed_vmap():
    out = irax.vmap(seed.newton_sqrt_plain)(jnp.array([1., 2., 3., 4.]))
    assert str(out) == "[1.        1.4142135 1.7320509 2.       ]"
    check_close(irax.vmap(seed.newton_sqrt)(jnp.array([1., 2., 3., 4.])),
                np.sqrt([1., 2., 3., 4.]), 1e-6)


def newton_sqrt(a):
    return lax.fixed_point(lambda a, x: 0.5 * (x + a / x), a, a)


def test_fixed_point_values_and_derivatives_any_order(x64):
    a = 2.0
    check_close(newton_sqrt(a), np.sqrt(a), 1e-12)
    d = [0.5 * a ** -0.5, -0.25 * a ** -1.5, 0.375 * a ** -2.5]
    check_close(irax.grad(newton_sqrt)(a), d[0], 1e-10)
    check_close(irax.jvp(newton_sqrt, (a,), (1.0,))[1], d[0], 1e-10)
    check_close(irax.grad(irax.grad(newton_sqrt))(a), d[1], 1e-10)
    check_close(irax.jacfwd(irax.jacfwd(newton_sqrt))(a), d[1], 1e-10)
    check_close(irax.jacfwd(irax.grad(newton_sqrt))(a), d[1], 1e-10)
    check_close(irax.grad(irax.grad(irax.grad(newton_sqrt)))(a), d[2], 1e-9)


def test_fixed_point_pytree_params_closure_and_jacobians(x64):
    w = 0.5   # closed over (a concrete value here; a traced one below)

    def solve(p, scale):
        f = lambda p, x: {"u": jnp.cos(p["a"] * x["u"]) * w * scale,  # noqa: E731
                          "v": 0.5 * x["v"] + p["b"]}
        return lax.fixed_point(f, p, {"u": jnp.zeros(3), "v": jnp.zeros(())})
    p = {"a": jnp.array([0.3, 0.5, 0.9]), "b": jnp.array(2.0)}
    out = solve(p, 1.0)
    check_close(out["v"], 4.0, 1e-10)
    check_close(out["u"], np.cos(np.asarray(p["a"]) * np.asarray(out["u"])) * w, 1e-10)
    J = irax.jacrev(lambda a: solve({"a": a, "b": p["b"]}, 1.0)["u"])(p["a"])
    Jf = irax.jacfwd(lambda a: solve({"a": a, "b": p["b"]}, 1.0)["u"])(p["a"])
    check_close(J, Jf, 1e-9)
    fd = np.stack([central_fd(lambda a: solve({"a": a, "b": p["b"]}, 1.0)["u"][i], p["a"])
                   for i in range(3)])
    check_close(J, fd, 1e-6)
    # the gradient reaches a traced value f closes over (`scale`)
    g = irax.grad(lambda s: jnp.sum(solve(p, s)["u"]))(1.0)
    check_close(g, central_fd(lambda s: float(jnp.sum(solve(p, float(s))["u"])), 1.0), 1e-6)


def test_fixed_point_vmap_and_grad_of_vmap():
    a = jnp.array([1., 2., 3., 4.])
    check_close(irax.vmap(newton_sqrt)(a), np.sqrt(a), 1e-6)
    check_close(irax.vmap(irax.grad(newton_sqrt))(a), 0.5 / np.sqrt(a), 1e-6)
    check_close(irax.grad(lambda a: jnp.sum(irax.vmap(newton_sqrt)(a)))(a), 0.5 / np.sqrt(a), 1e-6)


def root_sqrt(a):
    def solve(f, x0):
        return lax.fori_loop(0, 30, lambda i, x: x - f(x) / (2 * x), x0)
    return lax.custom_root(lambda x: x * x - a, 1.0, solve, lambda g, y: y / g(1.0))


def test_custom_root_forward_reverse_closure(x64):
    check_close(root_sqrt(2.0), np.sqrt(2.0), 1e-12)
    check_close(irax.grad(root_sqrt)(2.0), 0.5 / np.sqrt(2.0), 1e-10)
    check_close(irax.jvp(root_sqrt, (2.0,), (1.0,))[1], 0.5 / np.sqrt(2.0), 1e-10)
    check_close(irax.grad(irax.grad(root_sqrt))(2.0), -0.25 * 2.0 ** -1.5, 1e-10)
    check_close(irax.vmap(irax.grad(root_sqrt))(jnp.array([1.0, 4.0])), [0.5, 0.25], 1e-10)


def test_custom_root_vector(x64):
    A = np.array([[3.0, 1.0], [1.0, 2.0]])

    def solve2(J, y):   # 2x2 solve, differentiable
        det = J[0, 0] * J[1, 1] - J[0, 1] * J[1, 0]
        return jnp.stack([J[1, 1] * y[0] - J[0, 1] * y[1], J[0, 0] * y[1] - J[1, 0] * y[0]]) / det

    def f(b):
        def solve(g, x0):   # Newton with the exact Jacobian (a linear problem here)
            return lax.fori_loop(0, 3, lambda i, x: x - solve2(A, g(x)), x0)

        def tangent_solve(g, y):
            J = irax.jacfwd(g)(jnp.zeros(2))
            return solve2(J, y)
        return lax.custom_root(lambda x: A @ x - b, jnp.zeros(2), solve, tangent_solve)
    b = np.array([1.0, -1.0])
    check_close(f(b), np.linalg.solve(A, b), 1e-12)
    check_close(irax.jacrev(f)(b), np.linalg.inv(A), 1e-10)
    check_close(irax.jacfwd(f)(b), np.linalg.inv(A), 1e-10)


def test_fixed_point_inside_scan_and_cond_reverse_mode(x64):
    # the jvp of a loop body being linearized must use fixed_point's fwd/bwd (transposable),
    # not its forward-mode rule (whose tangent solve is a while_loop)
    def f(a):
        c, _ = lax.scan(lambda c, x: (newton_sqrt(c * x), None), a, jnp.array([2., 3.]))
        return c
    ref = lambda a: np.sqrt(3.0) * (2 * a) ** 0.25  # noqa: E731
    check_close(f(2.0), ref(2.0), 1e-12)
    check_close(irax.grad(f)(2.0), central_fd(lambda a: ref(float(a)), 2.0), 1e-7)
    check_close(irax.jvp(f, (2.0,), (1.0,))[1], irax.grad(f)(2.0), 1e-10)
    g = lambda a: lax.cond(a > 0, newton_sqrt, lambda a: a, a)  # noqa: E731
    check_close(irax.grad(g)(2.0), 0.5 / np.sqrt(2.0), 1e-10)
    check_close(irax.grad(irax.grad(g))(2.0), -0.25 * 2.0 ** -1.5, 1e-10)
