"""Gradients of gamma draws in alpha (the implicit reparameterization JAX uses), and of the
samplers built on them, against JAX 0.10's values for the same keys."""
from __future__ import annotations

import numpy as np

import irax
import irax.numpy as jnp
from irax import random


def test_gamma_and_loggamma_draws_differentiate_in_alpha_as_jax() -> None:
    g = lambda a: random.gamma(random.key(0), a)
    lg = lambda a: random.loggamma(random.key(1), a)
    np.testing.assert_allclose([float(irax.grad(g)(a)) for a in (0.3, 1.0, 2.0, 7.5)],
                               [2.2258236408, 0.9094877839, 0.9656761885, 0.9880383611],
                               rtol=3e-6)
    np.testing.assert_allclose([float(irax.grad(lg)(a)) for a in (0.3, 1.0, 4.0)],
                               [20.761175156, 1.8281894922, 0.3050089478], rtol=3e-6)
    batched = irax.jit(irax.vmap(irax.grad(g)))(jnp.array([0.5, 3.0]))
    np.testing.assert_allclose(batched, [1.7750096, 0.9770026], rtol=3e-6)
    total = irax.grad(lambda a: random.gamma(random.key(2), a, (3,)).sum())(2.0)
    np.testing.assert_allclose(total, 2.4603596, rtol=3e-6)
    np.testing.assert_allclose(irax.grad(lambda a: random.beta(random.key(3), a, 2.0))(1.5),
                               0.15685746, rtol=3e-6)
    # the draws themselves are unchanged by the rule
    np.testing.assert_allclose(random.gamma(random.key(0), jnp.array([1.0, 2.0])).shape, (2,))
    assert float(random.gamma(random.key(0), 2.0)) == np.float32(1.5897877)
