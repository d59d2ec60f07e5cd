"""irax.scipy.stats against scipy.stats: every method on grids with broadcast loc/scale in
float32 and float64 (eager), all of them in one compiled float32 module, derivatives
against float64 central differences, vmap against a Python loop, and JAX's errors."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as ss

import irax
import irax.numpy as jnp
from irax.scipy import stats as st

inf, nan = math.inf, math.nan

X = np.concatenate([np.linspace(-6.0, 9.0, 31), [-40.0, 0.0, 1.0, 30.0]])[None]
LOC = np.array([0.0, -1.5, 2.0])[:, None]
SCALE = np.array([1.0, 0.5, 3.0])[:, None]
Q = np.concatenate([np.linspace(0.0, 1.0, 21), [1e-30, 1e-6, 0.999999]])[None]
K = np.arange(-1.0, 12.0)[None]
UNIT = np.linspace(-0.1, 1.1, 25)[None]
A = np.array([0.5, 1.0, 4.5])[:, None]
B = np.array([0.7, 2.0, 9.0])[:, None]


def _b(*arrays):
    return list(np.broadcast_arrays(*arrays))


# name: (irax, scipy, arguments, rtol float32, rtol float64, atol)
CASES = {
    "norm.logpdf": (st.norm.logpdf, ss.norm.logpdf, _b(X, LOC, SCALE), 2e-6, 1e-14, 1e-5),
    "norm.pdf": (st.norm.pdf, ss.norm.pdf, _b(X, LOC, SCALE), 1e-5, 1e-13, 0),
    "norm.cdf": (st.norm.cdf, ss.norm.cdf, _b(X, LOC, SCALE), 1e-5, 1e-13, 0),
    "norm.logcdf": (st.norm.logcdf, ss.norm.logcdf, _b(X, LOC, SCALE), 1e-5, 1e-13, 0),
    "norm.sf": (st.norm.sf, ss.norm.sf, _b(X, LOC, SCALE), 1e-5, 1e-13, 0),
    "norm.logsf": (st.norm.logsf, ss.norm.logsf, _b(X, LOC, SCALE), 1e-5, 1e-13, 0),
    "norm.ppf": (st.norm.ppf, ss.norm.ppf, _b(Q, LOC, SCALE), 1e-5, 1e-13, 1e-6),
    "norm.isf": (st.norm.isf, ss.norm.isf, _b(Q[:, 1:-3], LOC, SCALE), 1e-5, 1e-12, 1e-6),
    "uniform.logpdf": (st.uniform.logpdf, ss.uniform.logpdf, _b(X, LOC, SCALE), 2e-6, 1e-15, 0),
    "uniform.pdf": (st.uniform.pdf, ss.uniform.pdf, _b(X, LOC, SCALE), 2e-6, 1e-15, 0),
    "uniform.cdf": (st.uniform.cdf, ss.uniform.cdf, _b(X, LOC, SCALE), 2e-6, 1e-15, 1e-7),
    "uniform.ppf": (st.uniform.ppf, ss.uniform.ppf, _b(UNIT, LOC, SCALE), 2e-6, 1e-15, 1e-6),
    "laplace.logpdf": (st.laplace.logpdf, ss.laplace.logpdf, _b(X, LOC, SCALE), 2e-6, 1e-15, 0),
    "laplace.pdf": (st.laplace.pdf, ss.laplace.pdf, _b(X, LOC, SCALE), 1e-5, 1e-14, 0),
    "laplace.cdf": (st.laplace.cdf, ss.laplace.cdf, _b(X, LOC, SCALE), 1e-5, 1e-14, 0),
    "logistic.logpdf": (st.logistic.logpdf, ss.logistic.logpdf, _b(X, LOC, SCALE), 2e-6, 1e-14,
                        1e-6),
    "logistic.pdf": (st.logistic.pdf, ss.logistic.pdf, _b(X, LOC, SCALE), 1e-5, 1e-14, 0),
    "logistic.cdf": (st.logistic.cdf, ss.logistic.cdf, _b(X, LOC, SCALE), 1e-5, 1e-14, 0),
    "logistic.sf": (st.logistic.sf, ss.logistic.sf, _b(X, LOC, SCALE), 1e-5, 1e-14, 0),
    "logistic.ppf": (st.logistic.ppf, ss.logistic.ppf, _b(Q, LOC, SCALE), 2e-6, 1e-14, 1e-6),
    "logistic.isf": (st.logistic.isf, ss.logistic.isf, _b(Q, LOC, SCALE), 2e-6, 1e-14, 1e-6),
    "t.logpdf": (st.t.logpdf, ss.t.logpdf, _b(X, np.array([0.7, 3.0, 40.0])[:, None], LOC, SCALE),
                 4e-6, 1e-13, 1e-5),
    "t.pdf": (st.t.pdf, ss.t.pdf, _b(X, np.array([0.7, 3.0, 40.0])[:, None], LOC, SCALE),
              1e-5, 1e-13, 0),
    "gamma.logpdf": (st.gamma.logpdf, ss.gamma.logpdf, _b(X, A, LOC, SCALE), 4e-6, 1e-13, 1e-5),
    "gamma.pdf": (st.gamma.pdf, ss.gamma.pdf, _b(X, A, LOC, SCALE), 1e-5, 1e-13, 0),
    "gamma.cdf": (st.gamma.cdf, ss.gamma.cdf, _b(X, A, LOC, SCALE), 3e-5, 1e-12, 1e-7),
    "gamma.logcdf": (st.gamma.logcdf, ss.gamma.logcdf, _b(X, A, LOC, SCALE), 3e-5, 1e-12, 1e-6),
    "gamma.sf": (st.gamma.sf, ss.gamma.sf, _b(X, A, LOC, SCALE), 3e-5, 1e-12, 1e-7),
    "gamma.logsf": (st.gamma.logsf, ss.gamma.logsf, _b(X, A, LOC, SCALE), 3e-5, 1e-12, 1e-6),
    "beta.logpdf": (st.beta.logpdf, ss.beta.logpdf, _b(UNIT, A, B), 4e-6, 1e-13, 1e-5),
    "beta.pdf": (st.beta.pdf, ss.beta.pdf, _b(UNIT, A, B), 1e-5, 1e-13, 0),
    "beta.cdf": (st.beta.cdf, ss.beta.cdf, _b(UNIT, A, B, 0.0, 1.0), 3e-5, 1e-12, 1e-7),
    "beta.logcdf": (st.beta.logcdf, ss.beta.logcdf, _b(UNIT[:, 3:], A, B), 3e-5, 1e-12, 1e-6),
    "beta.sf": (st.beta.sf, ss.beta.sf, _b(UNIT, A, B, -0.05, 1.2), 3e-5, 1e-12, 1e-7),
    "beta.logsf": (st.beta.logsf, ss.beta.logsf, _b(UNIT[:, :-3], A, B), 3e-5, 1e-12, 1e-6),
    "bernoulli.logpmf": (st.bernoulli.logpmf, ss.bernoulli.logpmf,
                         _b(K[:, :5], np.array([0.0, 0.3, 1.0])[:, None]), 2e-6, 1e-15, 0),
    "bernoulli.pmf": (st.bernoulli.pmf, ss.bernoulli.pmf,
                      _b(K[:, :5], np.array([0.0, 0.3, 1.0])[:, None]), 2e-6, 1e-15, 0),
    "bernoulli.cdf": (st.bernoulli.cdf, ss.bernoulli.cdf,
                      _b(np.linspace(-1, 2, 13)[None], np.array([0.0, 0.3, 1.0])[:, None]),
                      2e-6, 1e-15, 0),
    # JAX's convention (0 where q <= 1 - p, else 1; SciPy gives -1 at q = 0)
    "bernoulli.ppf": (st.bernoulli.ppf, lambda q, p: np.where(q <= 1 - p, 0.0, 1.0),
                      _b(np.array([0.0, 0.1, 0.5, 0.65, 0.75, 0.9, 1.0])[None],
                         np.array([0.0, 0.3, 1.0])[:, None]), 0, 0, 0),
    "poisson.logpmf": (st.poisson.logpmf, ss.poisson.logpmf,
                       _b(K, np.array([0.5, 3.0, 40.0])[:, None],
                          np.array([0.0, 1.0])[:, None, None]),
                       4e-6, 1e-13, 1e-5),
    "poisson.pmf": (st.poisson.pmf, ss.poisson.pmf,
                    _b(np.concatenate([K, [[2.5]]], 1), np.array([0.5, 3.0, 40.0])[:, None]),
                    1e-5, 1e-13, 0),
    "poisson.cdf": (st.poisson.cdf, ss.poisson.cdf,
                    _b(np.concatenate([K, [[2.5, 60.0]]], 1), np.array([0.5, 3.0, 40.0])[:, None]),
                    3e-5, 1e-12, 1e-7),
    "poisson.entropy": (st.poisson.entropy, lambda mu: ss.poisson(mu).entropy(),
                        [np.array([0.0, 0.5, 3.0, 9.5, 40.0, 99.0, 150.0])], 1e-5, 1e-5, 1e-6),
}

# the further distributions of jax.scipy.stats that are a few lines each
DF = np.array([0.7, 3.0, 40.0])[:, None]
PB = np.array([0.5, 2.0, 5.0])[:, None]
QI = Q[(Q > 0) & (Q < 1)][None]   # JAX: gumbel ppf nan, cauchy ppf finite at q = 0, 1
NP = _b(np.arange(-1.0, 9.0)[None], np.array([1.0, 5.0, 8.0])[:, None],
        np.array([0.0, 0.3, 1.0])[:, None])
for _dist, _methods, _args in [
        ("expon", ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"], _b(X, LOC, SCALE)),
        ("expon", ["ppf"], _b(Q, LOC, SCALE)),
        ("cauchy", ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"], _b(X, LOC, SCALE)),
        ("cauchy", ["ppf", "isf"], _b(QI[:, :-3], LOC, SCALE)),
        ("chi2", ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"], _b(X, DF, LOC, SCALE)),
        ("pareto", ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"], _b(X, PB, LOC, SCALE)),
        ("pareto", ["ppf"], _b(Q, PB, LOC, SCALE)),
        ("gumbel_r", ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"], _b(X, LOC, SCALE)),
        ("gumbel_r", ["ppf"], _b(QI, LOC, SCALE)),
        ("gumbel_l", ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"], _b(X, LOC, SCALE)),
        ("gumbel_l", ["ppf"], _b(QI, LOC, SCALE)),
        ("geom", ["logpmf", "pmf"], _b(K, np.array([0.2, 0.5, 1.0])[:, None])),
        ("binom", ["logpmf", "pmf"], NP),
        ("nbinom", ["logpmf", "pmf"], _b(np.arange(-1.0, 9.0)[None],
                                         np.array([1.0, 2.5, 8.0])[:, None],
                                         np.array([0.2, 0.5, 1.0])[:, None])),
]:
    for _m in _methods:
        CASES[f"{_dist}.{_m}"] = (getattr(getattr(st, _dist), _m), getattr(getattr(ss, _dist), _m),
                                  _args, 3e-5, 1e-12, 1e-5)

# multivariate normal: batched points, mean (n,), cov (n, n); also scalar / diagonal forms
MVN_X = np.array([[0.3, -1.0, 2.0], [1.0, 1.0, 1.0], [-2.0, 0.5, 0.0], [0.0, 0.0, 0.0]])
MVN_MEAN = np.array([0.5, -0.5, 1.0])
MVN_COV = np.array([[2.0, 0.3, -0.4], [0.3, 1.0, 0.2], [-0.4, 0.2, 1.5]])
CASES["multivariate_normal.logpdf"] = (
    st.multivariate_normal.logpdf, ss.multivariate_normal.logpdf,
    [MVN_X, MVN_MEAN, MVN_COV], 4e-6, 1e-13, 1e-5)
CASES["multivariate_normal.pdf"] = (
    st.multivariate_normal.pdf, ss.multivariate_normal.pdf,
    [MVN_X, MVN_MEAN, MVN_COV], 1e-5, 1e-13, 0)
CASES["multivariate_normal.logpdf_scalar_cov"] = (
    st.multivariate_normal.logpdf,
    lambda x, m, c: ss.multivariate_normal.logpdf(x, m, c * np.eye(3)),
    [MVN_X, MVN_MEAN, np.array(1.7)], 4e-6, 1e-13, 1e-5)
CASES["multivariate_normal.logpdf_1d"] = (
    st.multivariate_normal.logpdf, ss.multivariate_normal.logpdf,
    [MVN_X[:, 0], np.array(0.4), np.array(2.5)], 4e-6, 1e-13, 1e-5)


def _inputs(name, dtype):
    return [np.asarray(a).astype(dtype) for a in CASES[name][2]]


def _check(name, got, inputs, dtype):
    _, ref_fn, _, rtol32, rtol64, atol = CASES[name]
    got = np.asarray(got)
    assert got.dtype == dtype, (name, got.dtype)
    with np.errstate(all="ignore"):
        ref = np.asarray(ref_fn(*[a.astype(np.float64) for a in inputs]), np.float64)
    ref = ref.astype(dtype)
    rtol = rtol64 if dtype == np.float64 else rtol32
    atol = max(atol, float(np.finfo(dtype).tiny))   # compiled code flushes subnormals
    np.testing.assert_allclose(got, ref, rtol=rtol, atol=atol, equal_nan=True, err_msg=name)


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_against_scipy(name, dtype):
    inputs = _inputs(name, dtype)
    _check(name, CASES[name][0](*[jnp.asarray(a) for a in inputs]), inputs, dtype)


# exp / log of another method (pdf = exp(logpdf), logcdf = log(cdf), ...): compiled, they
# would only repeat the module's largest pieces (CI time), so the module leaves them out
DERIVED = {"beta.pdf", "beta.logcdf", "beta.logsf", "gamma.pdf", "gamma.logcdf", "gamma.logsf",
           "t.pdf", "poisson.pmf", "norm.isf", "norm.pdf", "multivariate_normal.pdf",
           "laplace.pdf", "logistic.pdf", "uniform.pdf", "bernoulli.pmf",
           "chi2.cdf", "chi2.sf", "chi2.logcdf", "chi2.logsf", "chi2.pdf"}   # chi2: gamma's
DERIVED |= {n for n in CASES if n.split(".")[0] in ("expon", "cauchy", "pareto", "gumbel_r",
                                                   "gumbel_l", "geom", "binom", "nbinom")
            and n.split(".")[1] in ("pdf", "pmf", "logcdf", "logsf", "sf", "cdf")}


def test_jit_matches_scipy():
    """Every method but the DERIVED ones, float32, in one compiled module."""
    names = sorted(set(CASES) - DERIVED)
    inputs = {name: _inputs(name, np.float32) for name in names}
    counts = [len(inputs[name]) for name in names]

    def everything(*flat):
        out, i = {}, 0
        for name, n in zip(names, counts):
            out[name] = CASES[name][0](*flat[i:i + n])
            i += n
        return out
    got = irax.jit(everything)(*[jnp.asarray(a) for name in names for a in inputs[name]])
    for name in names:
        _check(name, got[name], inputs[name], np.float32)


def test_python_scalars_and_integers_promote_as_jax():
    out = st.norm.logpdf(1, 0, 2)
    assert np.asarray(out).dtype == np.float32
    np.testing.assert_allclose(out, ss.norm.logpdf(1, 0, 2), rtol=1e-6)
    np.testing.assert_allclose(st.poisson.pmf(jnp.arange(4), 2), ss.poisson.pmf(range(4), 2),
                               rtol=1e-6)


# ---------------------------------------------------------------------------
# Derivatives (float64, eager) against central differences


def _central(f, x, h=1e-6):
    return (f(x + h) - f(x - h)) / (2 * h)


GRAD_CASES = {
    "norm.logpdf_loc": (lambda m: st.norm.logpdf(0.7, m, 1.3), [-1.0, 0.7, 2.0]),
    "norm.logpdf_scale": (lambda s: st.norm.logpdf(0.7, 0.1, s), [0.5, 2.0]),
    "norm.logcdf": (lambda x: st.norm.logcdf(x, 0.5, 2.0), [-60.0, -3.0, 0.0, 9.0]),
    "norm.logsf": (lambda x: st.norm.logsf(x), [-9.0, 0.0, 30.0]),
    "norm.ppf": (lambda q: st.norm.ppf(q, 1.0, 2.0), [1e-8, 0.2, 0.9]),
    "laplace.cdf": (lambda x: st.laplace.cdf(x, 0.5, 2.0), [-3.0, 1.0, 4.0]),
    "logistic.logpdf": (lambda s: st.logistic.logpdf(0.3, 0.0, s), [0.5, 2.0]),
    "logistic.ppf": (lambda q: st.logistic.ppf(q), [0.1, 0.7]),
    "t.logpdf_df": (lambda df: st.t.logpdf(0.7, df, 0.2, 1.5), [0.5, 3.0, 30.0]),
    "t.logpdf_x": (lambda x: st.t.logpdf(x, 2.5), [-3.0, 0.5]),
    "gamma.logpdf_a": (lambda a: st.gamma.logpdf(2.0, a, 0.0, 1.5), [0.5, 3.0]),
    "gamma.cdf_a": (lambda a: st.gamma.cdf(2.0, a), [0.5, 2.0, 8.0]),
    "gamma.cdf_scale": (lambda s: st.gamma.cdf(2.0, 3.0, 0.0, s), [0.5, 2.0]),
    "gamma.logsf_x": (lambda x: st.gamma.logsf(x, 2.0), [0.5, 4.0]),
    "beta.logpdf_a": (lambda a: st.beta.logpdf(0.3, a, 2.0), [0.5, 3.0]),
    "beta.cdf_x": (lambda x: st.beta.cdf(x, 2.0, 3.0), [0.2, 0.7]),
    "beta.cdf_b": (lambda b: st.beta.cdf(0.4, 2.0, b), [0.5, 3.0]),
    "bernoulli.logpmf_p": (lambda p: st.bernoulli.logpmf(1.0, p), [0.2, 0.9]),
    "poisson.logpmf_mu": (lambda mu: st.poisson.logpmf(3.0, mu), [0.5, 4.0]),
    "poisson.cdf_mu": (lambda mu: st.poisson.cdf(3.0, mu), [0.5, 4.0]),
    "uniform.logpdf_scale": (lambda s: st.uniform.logpdf(0.5, 0.0, s), [1.0, 3.0]),
    "cauchy.logpdf_scale": (lambda s: st.cauchy.logpdf(0.5, 0.1, s), [0.3, 3.0]),
    "expon.logcdf": (lambda x: st.expon.logcdf(x, 0.0, 2.0), [0.1, 5.0]),
    "chi2.cdf_df": (lambda df: st.chi2.cdf(2.5, df), [1.0, 4.5]),
    "pareto.logpdf_b": (lambda b: st.pareto.logpdf(3.0, b), [0.5, 2.0]),
    "gumbel_r.logsf": (lambda x: st.gumbel_r.logsf(x, 0.5, 2.0), [-1.0, 3.0]),
    "gumbel_l.logcdf": (lambda x: st.gumbel_l.logcdf(x), [-2.0, 1.0]),
    "binom.logpmf_p": (lambda p: st.binom.logpmf(3.0, 7.0, p), [0.2, 0.8]),
    "nbinom.logpmf_n": (lambda n: st.nbinom.logpmf(3.0, n, 0.4), [1.5, 6.0]),
    "geom.logpmf_p": (lambda p: st.geom.logpmf(4.0, p), [0.2, 0.8]),
    "mvn.logpdf_mean0": (lambda m: st.multivariate_normal.logpdf(
        jnp.asarray(MVN_X[0]), jnp.stack([m, jnp.asarray(-0.5), jnp.asarray(1.0)]),
        jnp.asarray(MVN_COV)), [0.0, 1.0]),
    "mvn.logpdf_cov01": (lambda c: st.multivariate_normal.logpdf(
        jnp.asarray(MVN_X[0]), jnp.asarray(MVN_MEAN),
        jnp.asarray(MVN_COV) + c * jnp.asarray([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0],
                                                 [0.0, 0.0, 0.0]])), [0.0, 0.2]),
}


@pytest.mark.parametrize("name", sorted(GRAD_CASES))
def test_grad_against_central_differences(name, x64):
    f, xs = GRAD_CASES[name]
    xs = np.array(xs, np.float64)
    got = np.asarray(irax.vmap(irax.grad(f))(jnp.asarray(xs)))
    steps = [min(1e-6 * max(1, abs(x)), 1e-4 * abs(x)) if x else 1e-6 for x in xs]
    want = np.array([_central(lambda v: float(f(jnp.asarray(v))), x, h)
                     for x, h in zip(xs, steps)])
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-9, err_msg=name)


def test_mvn_gradient_matches_analytic(x64):
    # d/dmean log N(x; m, S) = S^-1 (x - m); d/dS = (S^-1 (x-m)(x-m)^T S^-1 - S^-1) / 2
    x, m, cov = MVN_X[2], MVN_MEAN, MVN_COV
    g_mean, g_cov = irax.grad(st.multivariate_normal.logpdf, argnums=(1, 2))(
        jnp.asarray(x), jnp.asarray(m), jnp.asarray(cov))
    inv = np.linalg.inv(cov)
    r = inv @ (x - m)
    np.testing.assert_allclose(g_mean, r, rtol=1e-12)
    # cov is symmetrized before its Cholesky factor (as JAX does): a symmetric gradient
    np.testing.assert_allclose(g_cov, 0.5 * (np.outer(r, r) - inv), rtol=1e-11, atol=1e-13)


def test_jit_grads_match_eager():
    names = ["gamma.cdf_a", "beta.cdf_b", "norm.logcdf", "poisson.cdf_mu", "t.logpdf_df",
             "mvn.logpdf_mean0"]
    xs = {n: jnp.asarray(np.array(GRAD_CASES[n][1], np.float32)) for n in names}

    def grads(xs):
        return {n: irax.vmap(irax.grad(GRAD_CASES[n][0]))(xs[n]) for n in names}
    got = irax.jit(grads)(xs)
    for n in names:
        np.testing.assert_allclose(got[n], irax.vmap(irax.grad(GRAD_CASES[n][0]))(xs[n]),
                                   rtol=2e-5, err_msg=n)


# ---------------------------------------------------------------------------
# vmap against a Python loop


def test_vmap_matches_python_loop():
    means = np.array([[0.0, 0.0, 0.0], [1.0, -1.0, 0.5], [2.0, 0.0, -1.0]], np.float32)
    covs = np.stack([MVN_COV, 2 * MVN_COV, MVN_COV + np.eye(3)]).astype(np.float32)
    x = MVN_X.astype(np.float32)
    fns = {
        "mvn_mean_cov": (lambda m, c: st.multivariate_normal.logpdf(x, m, c), (means, covs)),
        "gamma_cdf": (lambda a, s: st.gamma.cdf(jnp.asarray(x[0]) + 1, a[0], 0.0, s[0, 0]),
                      (means + 2, covs)),
        "beta_sf": (lambda a, s: st.beta.sf(0.4, a[:2] + 1, s[0, 0]), (means + 2, covs)),
    }
    for name, (f, (u, v)) in fns.items():
        got = irax.vmap(f)(jnp.asarray(u), jnp.asarray(v))
        want = np.stack([np.asarray(f(jnp.asarray(ui), jnp.asarray(vi))) for ui, vi in zip(u, v)])
        np.testing.assert_allclose(got, want, rtol=1e-6, err_msg=name)


def test_errors():
    with pytest.raises(NotImplementedError, match="allow_singular"):
        st.multivariate_normal.logpdf(MVN_X, MVN_MEAN, MVN_COV, allow_singular=True)
    with pytest.raises(ValueError, match="incompatible shapes"):
        st.multivariate_normal.logpdf(MVN_X, MVN_MEAN, np.eye(2))
    with pytest.raises(ValueError, match="complex"):
        st.norm.logpdf(np.array([1j], np.complex64))
