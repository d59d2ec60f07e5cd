"""Samples follow their distributions (Kolmogorov-Smirnov and moments against SciPy), and
reparameterized draws differentiate as in JAX."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import irax.numpy as jnp
import irax.random as jr
from irax import grad, jit

N = 20000


def _ks(sample, dist, *args):
    p = stats.kstest(np.asarray(sample, np.float64).ravel(), dist, args=args).pvalue
    assert p > 1e-3, (dist, args, p)   # deterministic keys: a fixed draw, not a flaky one


@pytest.fixture(scope="module")
def continuous():
    """One compiled module of draws (compiles are the slow part)."""
    def draws(key):
        ks = jr.split(key, 10)
        return {
            "uniform": jr.uniform(ks[0], (N,), minval=-2., maxval=3.),
            "normal": jr.normal(ks[1], (N,)),
            "truncated_normal": jr.truncated_normal(ks[2], -0.5, 1.5, (N,)),
            "exponential": jr.exponential(ks[3], (N,)),
            "laplace": jr.laplace(ks[4], (N,)),
            "logistic": jr.logistic(ks[5], (N,)),
            "gumbel": jr.gumbel(ks[6], (N,)),
            "gumbel_high": jr.gumbel(ks[7], (N,), mode="high"),
            "mvn": jr.multivariate_normal(ks[8], jnp.array([1., -1.]),
                                          jnp.array([[2., 0.6], [0.6, 1.]]), (N,)),
        }
    return jit(draws)(jr.PRNGKey(2024))


@pytest.mark.parametrize("name,dist,args", [
    ("uniform", "uniform", (-2., 5.)), ("normal", "norm", ()),
    ("truncated_normal", "truncnorm", (-0.5, 1.5)), ("exponential", "expon", ()),
    ("laplace", "laplace", ()), ("logistic", "logistic", ()), ("gumbel", "gumbel_r", ()),
    ("gumbel_high", "gumbel_r", ())])
def test_continuous_ks(continuous, name, dist, args):
    _ks(continuous[name], dist, *args)


def test_multivariate_normal_moments(continuous):
    x = np.asarray(continuous["mvn"], np.float64)
    assert x.shape == (N, 2)
    np.testing.assert_allclose(x.mean(0), [1., -1.], atol=0.04)
    np.testing.assert_allclose(np.cov(x.T), [[2., 0.6], [0.6, 1.]], atol=0.06)


def test_cholesky_matches_numpy():
    from irax.random._special import cholesky
    a = np.array([[4., 2., 0.4], [2., 3., 0.5], [0.4, 0.5, 2.]], np.float32)
    np.testing.assert_allclose(cholesky(a), np.linalg.cholesky(a), rtol=1e-6)
    batch = np.stack([a, 2 * a])
    np.testing.assert_allclose(cholesky(batch), np.linalg.cholesky(batch), rtol=1e-6)


def test_discrete_frequencies():
    k = jr.PRNGKey(7)
    ints = np.asarray(jr.randint(k, (N,), 3, 9))
    assert ints.min() == 3 and ints.max() == 8
    np.testing.assert_allclose(np.bincount(ints - 3) / N, np.full(6, 1 / 6), atol=0.015)
    b = np.asarray(jr.bernoulli(k, 0.3, (N,)))
    assert abs(b.mean() - 0.3) < 0.015
    p = np.array([0.1, 0.2, 0.7], np.float32)
    c = np.asarray(jr.categorical(k, jnp.log(p), shape=(N,)))
    np.testing.assert_allclose(np.bincount(c, minlength=3) / N, p, atol=0.015)
    ch = np.asarray(jr.choice(k, 3, (N,), p=p))
    np.testing.assert_allclose(np.bincount(ch, minlength=3) / N, p, atol=0.015)
    perm = np.asarray(jr.permutation(k, 100))
    assert sorted(perm.tolist()) == list(range(100))
    no_rep = np.asarray(jr.choice(k, 50, (20,), replace=False))
    assert len(set(no_rep.tolist())) == 20
    shuffled = np.asarray(jr.shuffle(k, jnp.arange(30.)))
    assert sorted(shuffled.tolist()) == list(range(30))


def test_gamma_family_and_poisson():
    """Fewer draws: each gamma draw runs its own rejection loop. One compiled module holds
    one gamma loop (both shapes at once) and the Poisson loops (each loop costs seconds of
    IREE compile); beta and Dirichlet, built on the same gamma sampler, run eagerly."""
    n = 2000

    def draws(key):
        ks = jr.split(key, 2)
        return {"gamma": jr.gamma(ks[0], jnp.array([2.5, 0.4]), (n, 2)),
                "poisson": jr.poisson(ks[1], jnp.array([2., 25.]), (n, 2))}
    out = jit(draws)(jr.PRNGKey(11))
    _ks(out["gamma"][:, 0], "gamma", 2.5)
    _ks(out["gamma"][:, 1], "gamma", 0.4)
    pois = np.asarray(out["poisson"])
    assert pois.dtype == np.int32
    np.testing.assert_allclose(pois.mean(0), [2., 25.], rtol=0.05)
    np.testing.assert_allclose(pois.var(0), [2., 25.], rtol=0.12)
    kb, kd = jr.split(jr.PRNGKey(12))
    _ks(jr.beta(kb, 2., 5., (n,)), "beta", 2., 5.)
    d = np.asarray(jr.dirichlet(kd, jnp.array([1., 2., 3.]), (n,)), np.float64)
    np.testing.assert_allclose(d.sum(-1), 1., rtol=1e-5)
    np.testing.assert_allclose(d.mean(0), [1 / 6, 2 / 6, 3 / 6], atol=0.015)


def test_reparameterized_gradients():
    key = jr.PRNGKey(3)
    z = np.asarray(jr.normal(key, (1000,)), np.float64)

    def loss(mu, sigma):
        return jnp.mean((mu + sigma * jr.normal(key, (1000,))) ** 2)
    mu, sigma = 0.3, 1.7
    d_mu, d_sigma = grad(loss, argnums=(0, 1))(mu, sigma)
    x = mu + sigma * z
    np.testing.assert_allclose(d_mu, np.mean(2 * x), rtol=1e-4)
    np.testing.assert_allclose(d_sigma, np.mean(2 * x * z), rtol=1e-4)
    jd = jit(grad(loss, argnums=(0, 1)))(mu, sigma)
    np.testing.assert_allclose(jd, (d_mu, d_sigma), rtol=1e-5)

    f = np.asarray(jr.uniform(key, (500,)), np.float64)

    def uloss(lo, hi):
        return jnp.mean(jr.uniform(key, (500,), minval=lo, maxval=hi))
    d_lo, d_hi = grad(uloss, argnums=(0, 1))(-1., 2.)
    np.testing.assert_allclose(d_lo, np.mean(1 - f), rtol=1e-5)
    np.testing.assert_allclose(d_hi, np.mean(f), rtol=1e-5)
