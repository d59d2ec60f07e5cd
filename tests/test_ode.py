"""irax.experimental.ode.odeint against analytic solutions, SciPy's solve_ivp and JAX's
odeint (JAX 0.10, test-only oracle); gradients (the adjoint method) against analytic
derivatives and float64 central differences. One compiled module serves the jit checks."""
from __future__ import annotations

import jax
import jax.numpy as jjnp
import numpy as np
import pytest
from jax.experimental.ode import odeint as jax_odeint
from scipy.integrate import solve_ivp

import irax
import irax.numpy as jnp
from irax.experimental.ode import odeint

from .finite_differences import central_fd


def decay(y, t, k):
    return -k * y


def oscillator(y, t, w):
    x, v = y
    return (v, -w ** 2 * x)


def forced(y, t, a):
    # time-dependent and nonlinear: dy/dt = a * sin(t) - y**3
    return a * jnp.sin(t) - y ** 3


T = np.linspace(0., 2., 5).astype(np.float32)


def test_decay_matches_analytic_and_jax():
    y0 = np.array([1., 2.], np.float32)
    ys = odeint(decay, jnp.asarray(y0), jnp.asarray(T), 0.7)
    assert ys.shape == (5, 2) and ys.dtype == np.float32
    np.testing.assert_allclose(np.asarray(ys), y0 * np.exp(-0.7 * T)[:, None], rtol=2e-6)
    ref = jax_odeint(decay, jjnp.asarray(y0), jjnp.asarray(T), 0.7)
    np.testing.assert_allclose(np.asarray(ys), np.asarray(ref), rtol=2e-6)


def test_pytree_state_matches_solve_ivp_in_float64(x64):
    t = np.linspace(0., 5., 11)
    xs, vs = odeint(oscillator, (1.0, 0.5), jnp.asarray(t), 1.3, rtol=1e-10, atol=1e-10)
    assert xs.dtype == np.float64 and xs.shape == (11,)
    # analytic: x = cos(wt) + (v0/w) sin(wt)
    np.testing.assert_allclose(np.asarray(xs), np.cos(1.3 * t) + 0.5 / 1.3 * np.sin(1.3 * t),
                               rtol=1e-8, atol=1e-8)
    sol = solve_ivp(lambda t, y: [np.sin(t) * 0.8 - y[0] ** 3], (0., 5.), [0.3], t_eval=t,
                    rtol=1e-11, atol=1e-11, method="DOP853")
    ys = odeint(forced, jnp.asarray(0.3), jnp.asarray(t), 0.8, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(np.asarray(ys), sol.y[0], rtol=1e-7, atol=1e-8)


def test_gradients_match_analytic():
    # y(T) = y0 exp(-k (T - t0)) with T the last time
    y0, k = np.float32(1.5), np.float32(0.7)
    t = np.array([0.2, 1.0, 2.0], np.float32)

    def last(y0, t, k):
        return odeint(decay, y0, t, k)[-1]

    g_y0, g_t, g_k = irax.grad(last, argnums=(0, 1, 2))(jnp.asarray(y0), jnp.asarray(t),
                                                        jnp.asarray(k))
    e = np.exp(-k * (t[-1] - t[0]))
    np.testing.assert_allclose(float(g_y0), e, rtol=1e-5)
    np.testing.assert_allclose(float(g_k), -(t[-1] - t[0]) * y0 * e, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(g_t), [k * y0 * e, 0., -k * y0 * e], rtol=1e-5,
                               atol=1e-6)


def test_gradients_of_every_output_match_finite_differences(x64):
    t = np.array([0., 1., 2.])

    def loss(p):
        y0, w = (p[0], p[1]), p[2]
        xs, vs = odeint(oscillator, y0, jnp.asarray(t), w, rtol=1e-8, atol=1e-8)
        return (xs ** 2).sum() + jnp.sin(vs).sum()

    p = np.array([1.0, 0.5, 1.3])
    g = irax.grad(loss)(jnp.asarray(p))
    np.testing.assert_allclose(np.asarray(g), central_fd(loss, p, 1e-4), rtol=1e-6)


def test_closed_over_values_get_gradients():
    # the rate is closed over, not passed in *args: closure_convert hoists it
    t = jnp.asarray(T)

    def f(k):
        return odeint(lambda y, t: -k * y, jnp.asarray(2.0), t)[-1]

    np.testing.assert_allclose(float(irax.grad(f)(0.5)), -2.0 * 2.0 * np.exp(-1.0), rtol=1e-5)


def test_jit_forward_and_grad_match_jax():
    t = np.linspace(0., 3., 7).astype(np.float32)
    y0 = (np.float32(1.), np.float32(0.5))

    def loss(odeint_fn):
        def f(y0, t, w):
            xs, vs = odeint_fn(oscillator, y0, t, w)
            return (xs ** 2).sum() + vs[-1]
        return f

    @irax.jit
    def run(y0, t, w):
        return odeint(oscillator, y0, t, w), irax.grad(loss(odeint), argnums=(0, 1, 2))(y0, t, w)

    for w in (np.float32(1.3), np.float32(0.6)):    # the second call reuses the module
        (xs, vs), grads = run(y0, t, w)
        np.testing.assert_allclose(np.asarray(xs), np.cos(w * t) + 0.5 / w * np.sin(w * t),
                                   rtol=1e-5, atol=1e-5)
        ref = jax.grad(loss(jax_odeint), argnums=(0, 1, 2))(y0, jjnp.asarray(t), w)
        for a, b in zip(jax.tree_util.tree_leaves(grads), jax.tree_util.tree_leaves(ref)):
            np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=2e-5, atol=2e-5)
    assert run._cache_size() == 1


def test_vmap_matches_a_loop():
    y0s = np.array([0.1, 0.5, 1.0], np.float32)
    t = jnp.asarray(T)
    out = irax.vmap(lambda y0: odeint(forced, y0, t, 0.8))(jnp.asarray(y0s))
    loop = np.stack([np.asarray(odeint(forced, jnp.asarray(y), t, 0.8)) for y in y0s])
    np.testing.assert_allclose(np.asarray(out), loop, rtol=1e-6, atol=1e-7)


def test_mxstep_and_hmax_like_jax(x64):
    # float64: the step sequence hangs on the error estimate, a difference of nearly equal
    # stage sums, so float32 rounding differences between the two libraries can change it
    y0, t = 1.0, np.array([0., 5.])
    for kw in ({"mxstep": 3}, {"hmax": 0.5, "rtol": 1e-3, "atol": 1e-3}):
        ours = odeint(decay, jnp.asarray(y0), jnp.asarray(t), 0.7, **kw)
        with jax.enable_x64(True):
            ref = jax_odeint(decay, jjnp.asarray(y0), jjnp.asarray(t), 0.7, **kw)
        np.testing.assert_allclose(np.asarray(ours), np.asarray(ref), rtol=1e-9, err_msg=kw)
    # two steps are not enough to reach t=5: the result is far from the solution
    short = odeint(decay, jnp.asarray(y0), jnp.asarray(t), 0.7, mxstep=2)
    assert short.dtype == np.float64
    assert abs(float(short[-1]) - np.exp(-3.5)) > 1e-2


def test_bad_input_raises_like_jax():
    with pytest.raises(TypeError, match="t must be an array of floats"):
        odeint(decay, jnp.asarray(1.0), jnp.arange(3), 0.7)
    with pytest.raises(TypeError, match="must be arrays or scalars"):
        odeint(decay, jnp.asarray(1.0), jnp.asarray(T), "k")
    assert irax.experimental.ode.odeint is odeint
