"""irax.scipy.special against SciPy: values on grids in float32 and float64 (eager), one
jitted float32 module and one float64 module computing every function (the compiled
path agrees with eager), derivatives against float64 central differences and analytic
formulas, vmap against a Python loop, JAX's safe gradients at the edges (literal JAX
0.10.2 values), and JAX's errors."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import special as sp

import irax
import irax.numpy as jnp
from irax.scipy import special as S

inf, nan = math.inf, math.nan

X = np.concatenate([np.linspace(-9.7, 9.7, 97), [0.0, -1.0, -2.0, 1.0, 2.0, 3.0, 0.5, 1e-6,
                                                 30.0, 170.5, 1e5, inf, -inf, nan]])
POS = np.concatenate([np.geomspace(1e-5, 1e4, 60), [0.0, inf, nan]])
UNIT = np.concatenate([np.linspace(0.0, 1.0, 41), [1e-6, 0.999999, -0.5, 1.5, nan]])
SHAPE_A = np.array([0.1, 0.5, 1.0, 2.5, 10.0, 40.0])[:, None]
GAMMA_X = np.array([0.0, 1e-3, 0.1, 0.9, 1.0, 1.5, 3.0, 10.0, 39.0, 45.0, 120.0, inf])[None]


def _pair(a, b):
    return list(np.broadcast_arrays(a, b))


def _without(values, *drop):
    """values minus the points where JAX (and so irax) deliberately differs from SciPy;
    those are checked against JAX in test_edge_values_match_jax."""
    keep = np.ones(len(values), bool)
    for d in drop:
        keep &= ~((values == d) | (np.isnan(values) & np.isnan(d)))
    return values[keep]


# name: (irax function, SciPy reference, arguments, rtol float32, rtol float64, atol);
# absolute tolerances cover the zeros of gammaln (at 1, 2) and digamma (at 1.4616...)
CASES = {
    "erf": (S.erf, sp.erf, [X], 2e-6, 1e-15, 1e-7),
    "erfc": (S.erfc, sp.erfc, [X], 4e-6, 5e-14, 0),
    "erfcx": (S.erfcx, sp.erfcx, [X[X < 25]], 4e-6, 5e-14, 0),
    "erfinv": (S.erfinv, sp.erfinv, [UNIT * 2 - 1], 2e-6, 1e-15, 0),
    # float64: SciPy's own ndtr errs by up to 3e-13 for x < -20 (mpmath agrees with irax)
    "ndtr": (S.ndtr, sp.ndtr, [X * 3], 4e-6, 3e-13, 0),
    "log_ndtr": (S.log_ndtr, sp.log_ndtr, [np.concatenate([X * 4, [-1e4, -1e10]])],
                 4e-6, 3e-13, 1e-300),
    "ndtri": (S.ndtri, sp.ndtri, [np.concatenate([UNIT, np.geomspace(1e-37, 0.4, 30)])],
              4e-6, 1e-14, 0),
    "expit": (S.expit, sp.expit, [X], 2e-6, 1e-15, 0),
    "logit": (S.logit, sp.logit, [UNIT], 2e-6, 1e-14, 1e-7),
    "gammaln": (S.gammaln, sp.gammaln, [_without(X, -inf)], 4e-6, 1e-14, 3e-6),
    "gamma": (S.gamma, sp.gamma, [X[np.abs(X) < 30]], 1e-5, 1e-13, 0),
    "gammasgn": (S.gammasgn, sp.gammasgn, [X], 0, 0, 0),
    "loggamma": (S.loggamma, lambda x: np.where(x > 0, sp.gammaln(x), nan), [X], 4e-6, 1e-14,
                 1e-6),
    "digamma": (S.digamma, sp.digamma, [_without(X, 0.0)], 1e-5, 1e-13, 1e-6),
    "polygamma": (S.polygamma, sp.polygamma,
                  _pair(np.array([0, 1, 2, 4])[:, None],
                        _without(X[(X > -6) & (X < 1e4)], 0.0)[None]),
                  2e-5, 1e-12, 1e-6),
    "zeta": (S.zeta, sp.zeta,
             _pair(np.array([1.0, 1.5, 2.0, 3.3, 7.0, 20.0])[:, None],
                   np.array([0.1, 0.5, 1.0, 3.0, 10.0, 100.0, -0.5, 0.0, inf])[None]),
             2e-5, 1e-12, 0),
    "betaln": (S.betaln, sp.betaln,
               _pair(np.array([0.3, 1.0, 2.5, 9.0, 11.0, 30.0, 1e3])[:, None],
                     np.array([0.3, 1.0, 2.5, 9.0, 11.0, 30.0, 1e3, 1e5])[None]),
               5e-6, 1e-13, 5e-6),
    "beta": (S.beta, sp.beta, _pair(np.array([0.3, 1.0, 2.5, -0.5])[:, None],
                                    np.array([0.5, 2.0, 7.0])[None]), 1e-5, 1e-13, 0),
    "gammainc": (S.gammainc, sp.gammainc, _pair(SHAPE_A, GAMMA_X), 3e-5, 1e-12, 0),
    "gammaincc": (S.gammaincc, sp.gammaincc, _pair(SHAPE_A, GAMMA_X), 3e-5, 1e-12, 0),
    "betainc": (S.betainc, sp.betainc, list(np.broadcast_arrays(
        np.array([0.3, 1.0, 2.5, 30.0])[:, None, None],
        np.array([0.5, 1.0, 7.0, 40.0])[None, :, None],
        np.array([0.0, 0.01, 0.2, 0.5, 0.8, 0.99, 1.0])[None, None])), 2e-5, 1e-12, 1e-38),
    "i0e": (S.i0e, sp.i0e, [X], 2e-6, 5e-15, 0),
    "i1e": (S.i1e, sp.i1e, [X], 2e-6, 5e-15, 0),
    "i0": (S.i0, sp.i0, [X[np.abs(X) < 80]], 4e-6, 5e-15, 0),
    "i1": (S.i1, sp.i1, [X[np.abs(X) < 80]], 4e-6, 5e-15, 0),
    "xlogy": (S.xlogy, sp.xlogy, _pair(np.array([0.0, 1.0, -2.0])[:, None], POS[None]),
              2e-6, 1e-15, 0),
    "xlog1py": (S.xlog1py, sp.xlog1py, _pair(np.array([0.0, 1.0, -2.0])[:, None], POS[None] - 1),
                2e-6, 1e-15, 0),
    "entr": (S.entr, sp.entr, [X], 2e-6, 1e-15, 0),
    "rel_entr": (S.rel_entr, sp.rel_entr,
                 _pair(_without(X, inf, nan)[::4, None], POS[None, ::6]), 2e-5, 1e-13, 1e-6),
    "kl_div": (S.kl_div, sp.kl_div, _pair(_without(X, inf, nan)[::4, None], POS[None, :-2:6]),
               2e-5, 1e-13, 1e-5),
    "multigammaln": (lambda a: S.multigammaln(a, 3), lambda a: sp.multigammaln(a, 3),
                     [np.linspace(1.01, 30, 20)], 4e-6, 1e-14, 0),
    "factorial": (S.factorial, sp.factorial, [np.arange(-2.0, 30.0)], 2e-5, 1e-13, 0),
    "comb": (S.comb, sp.comb, _pair(np.array([5.0, 10.0, 30.0])[:, None],
                                    np.array([0.0, 1.0, 3.0, 5.0, 11.0, -1.0])[None]),
             1e-5, 1e-13, 0),
    "poch": (S.poch, sp.poch, _pair(np.array([0.5, 1.0, 3.3])[:, None],
                                    np.array([0.0, 1.0, 2.5, 7.0])[None]), 1e-5, 1e-13, 0),
    "boxcox": (S.boxcox, sp.boxcox, _pair(POS[None, :-1], np.array([0.0, 0.5, -1.0])[:, None]),
               2e-6, 1e-14, 0),
    "boxcox1p": (S.boxcox1p, sp.boxcox1p,
                 _pair(POS[None, :-1] - 0.5, np.array([0.0, 0.5, -1.0])[:, None]), 2e-6, 1e-14,
                 0),
}
# polygamma's n is an integer array (JAX requires it)
INT_ARGS = {"polygamma": (0,)}


def _inputs(name, dtype):
    args = CASES[name][2]
    return [np.asarray(a).astype(np.int32 if i in INT_ARGS.get(name, ()) else dtype)
            for i, a in enumerate(args)]


def _reference(name, inputs, dtype):
    """SciPy in float64 at the (rounded) inputs, rounded to the tested dtype."""
    with np.errstate(all="ignore"):
        ref = CASES[name][1](*[a.astype(np.float64) for a in inputs])
        return np.asarray(ref, np.float64).astype(dtype)


def _check(name, got, inputs, dtype):
    _, _, _, rtol32, rtol64, atol = CASES[name]
    got = np.asarray(got)
    assert got.dtype == dtype, (name, got.dtype)
    ref = _reference(name, inputs, dtype)
    rtol = rtol64 if dtype == np.float64 else rtol32
    # compiled CPU code flushes subnormal results to zero
    atol = max(atol, float(np.finfo(dtype).tiny))
    np.testing.assert_allclose(got, ref, rtol=rtol, atol=atol, equal_nan=True, err_msg=name)


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_against_scipy(name, dtype):
    inputs = _inputs(name, dtype)
    _check(name, CASES[name][0](*[jnp.asarray(a) for a in inputs]), inputs, dtype)


# float64 compiles cost more (f64_math inlines sin/tan/log1p): one module of the functions
# whose lowering differs (f64 transcendentals, while loops, Chebyshev series), the rest
# share those primitives
JIT64 = ["betainc", "digamma", "erfc", "gammainc", "gammaln", "i1e", "ndtri", "xlogy"]


# compositions of other functions of CASES (gamma = gammasgn * exp(gammaln), i0 =
# exp(|x|) i0e, ...): compiled, they would only repeat pieces the module already has
DERIVED = {"beta", "comb", "factorial", "gamma", "i0", "i1", "kl_div", "loggamma", "poch"}


def _jit_names(dtype):
    return sorted(set(CASES) - DERIVED) if dtype == np.float32 else JIT64


def test_jit_matches_scipy(dtype):
    """Every function but the DERIVED ones (float64: JIT64) in one compiled module."""
    names = _jit_names(dtype)
    inputs = {name: _inputs(name, dtype) for name in names}
    counts = [len(inputs[name]) for name in names]

    def everything(*flat):
        out, i = {}, 0
        for name, n in zip(names, counts):
            out[name] = CASES[name][0](*flat[i:i + n])
            i += n
        return out
    flat = [jnp.asarray(a) for name in names for a in inputs[name]]
    got = irax.jit(everything)(*flat)
    for name in names:
        _check(name, got[name], inputs[name], dtype)


def test_integer_and_python_inputs_promote_as_jax():
    assert np.asarray(S.gammaln(jnp.arange(1, 4))).dtype == np.float32
    assert np.asarray(S.xlogy(2, 3.0)).dtype == np.float32
    np.testing.assert_allclose(S.gammainc(2, jnp.array([1, 2])), sp.gammainc(2, [1, 2]),
                               rtol=1e-6)
    assert np.asarray(S.erf(np.float64(0.5))).dtype == np.float32   # x64 off: narrowed


def test_x64_integer_input_gives_float64(x64):
    assert np.asarray(S.digamma(jnp.arange(1, 4))).dtype == np.float64


# ---------------------------------------------------------------------------
# Derivatives (float64, eager): vmap(grad) against central differences


def _central(f, x, h):
    return (f(x + h) - f(x - h)) / (2 * h)


GRAD_CASES = {
    "gammaln": (S.gammaln, [0.3, 1.0, 2.0, 3.5, -0.5, -2.3, 50.0]),
    "digamma": (S.digamma, [0.3, 1.0, 2.0, 3.5, -0.5, -2.3, 50.0]),
    "polygamma1": (lambda x: S.polygamma(jnp.asarray(1), x), [0.3, 1.0, 3.5, -0.5, 50.0]),
    "zeta_q": (lambda q: S.zeta(3.0, q), [0.3, 1.0, 3.5, 50.0]),
    "zeta_s": (lambda s: S.zeta(s, 1.5), [1.5, 2.0, 3.5, 7.0]),
    "gammainc_x": (lambda x: S.gammainc(2.5, x), [0.1, 1.0, 3.5, 10.0]),
    "gammainc_a": (lambda a: S.gammainc(a, 3.0), [0.1, 1.0, 3.5, 10.0]),
    "gammaincc_a": (lambda a: S.gammaincc(a, 3.0), [0.1, 1.0, 3.5, 10.0]),
    "gammaincc_x": (lambda x: S.gammaincc(0.7, x), [0.1, 1.0, 3.5]),
    "betainc_x": (lambda x: S.betainc(2.5, 1.5, x), [0.1, 0.6, 0.9]),
    "betainc_a": (lambda a: S.betainc(a, 1.5, 0.4), [0.3, 2.5, 9.0]),
    "betainc_b": (lambda b: S.betainc(2.5, b, 0.7), [0.3, 2.5, 9.0]),
    "betaln": (lambda a: S.betaln(a, 12.0), [0.3, 2.5, 9.0, 15.0]),
    "erfc": (S.erfc, [-3.0, -0.2, 0.3, 5.0]),
    "erfcx": (S.erfcx, [-3.0, -0.2, 0.3, 5.0]),
    "ndtr": (S.ndtr, [-3.0, 0.3, 5.0]),
    "log_ndtr": (S.log_ndtr, [-30.0, -3.0, 0.3, 5.0]),
    "ndtri": (S.ndtri, [1e-10, 0.01, 0.5, 0.9]),
    "erfinv": (S.erfinv, [-0.9, 0.3, 0.99]),
    "i0e": (S.i0e, [-9.0, -0.2, 0.3, 10.0]),
    "i1e": (S.i1e, [-9.0, -0.2, 0.3, 10.0]),
    "i0": (S.i0, [-3.0, 0.3]),
    "i1": (S.i1, [-3.0, 0.3]),
    "logit": (S.logit, [0.1, 0.8]),
    "poch_z": (lambda z: S.poch(z, 2.5), [0.5, 2.0]),
    "poch_m": (lambda m: S.poch(1.5, m), [0.5, 2.0]),
    "gamma": (S.gamma, [-1.5, 0.5, 4.0]),
    "multigammaln": (lambda a: S.multigammaln(a, 4), [2.0, 5.5]),
    "kl_div": (lambda q: S.kl_div(0.3, q), [0.2, 2.0]),
}


@pytest.mark.parametrize("name", sorted(GRAD_CASES))
def test_grad_against_central_differences(name, x64):
    f, xs = GRAD_CASES[name]
    xs = np.array(xs, np.float64)
    got = np.asarray(irax.vmap(irax.grad(f))(jnp.asarray(xs)))
    steps = [min(1e-6 * max(1, abs(x)), 1e-4 * abs(x)) if x else 1e-6 for x in xs]
    want = np.array([_central(lambda v: float(f(jnp.asarray(v))), x, h)
                     for x, h in zip(xs, steps)])
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8, err_msg=name)


# one per custom rule family (betainc_a / gammainc_a run the same rules as their _x)
JIT_GRADS = ["betainc_a", "digamma", "erfcx", "gammainc_a", "gammaln", "i1e", "log_ndtr",
             "ndtri"]


def test_jit_grads_match_eager():
    """float32 vmap(grad) of the functions with custom rules or loops, compiled in one
    module, against the same derivatives eagerly."""
    xs = {name: jnp.asarray(np.array(GRAD_CASES[name][1], np.float32)) for name in JIT_GRADS}

    def grads(xs):
        return {name: irax.vmap(irax.grad(GRAD_CASES[name][0]))(xs[name]) for name in JIT_GRADS}
    got = irax.jit(grads)(xs)
    for name in JIT_GRADS:
        want = irax.vmap(irax.grad(GRAD_CASES[name][0]))(xs[name])
        np.testing.assert_allclose(got[name], want, rtol=2e-5, err_msg=name)


def test_analytic_derivatives(x64):
    x = jnp.array([0.7, 2.0, 5.0])
    # second derivatives through the custom rules: gammaln'' = trigamma, digamma'' = psi_2
    d2 = irax.vmap(irax.grad(irax.grad(S.gammaln)))(x)
    np.testing.assert_allclose(d2, sp.polygamma(1, [0.7, 2.0, 5.0]), rtol=1e-13)
    d2 = irax.vmap(irax.grad(irax.grad(S.digamma)))(x)
    np.testing.assert_allclose(d2, sp.polygamma(2, [0.7, 2.0, 5.0]), rtol=1e-12)
    # d/dx P(a, x) = x^(a-1) e^-x / Gamma(a), finite at x = 0 for a = 1 (JAX gives nan)
    g = irax.vmap(irax.grad(S.gammainc, argnums=1))(jnp.array([1.0, 2.0, 0.5]),
                                                    jnp.array([0.0, 0.0, 2.0]))
    np.testing.assert_allclose(g, [1.0, 0.0, 2.0 ** -0.5 * np.exp(-2) / sp.gamma(0.5)],
                               rtol=1e-14)


# ---------------------------------------------------------------------------
# JAX's safe gradients at the edges. Literal values from JAX 0.10.2 (CPU, float32):
#   jax.vmap(jax.grad(f))(x)

JAX_EDGE_GRADS = {
    "xlogy_dx": (lambda x: S.xlogy(x, 2.0), [0.0, 1.0], [0.6931471824645996, 0.6931471824645996]),
    "xlogy_dy_x0": (lambda y: S.xlogy(0.0, y), [1.0, 2.0], [0.0, 0.0]),
    "xlog1py_dy_x0": (lambda y: S.xlog1py(0.0, y), [0.0, -0.5], [0.0, 0.0]),
    "entr": (S.entr, [0.5, 1.0, 2.0], [-0.3068528175354004, -1.0, -1.6931471824645996]),
    "gammaln": (S.gammaln, [1.0, 2.0, 3.0, 0.5, -0.5],
                [-0.5772153735160828, 0.42278462648391724, 0.9227842688560486,
                 -1.9635100364685059, 0.03648994490504265]),
    "digamma": (S.digamma, [1.0, 2.0, -0.5], [1.644934058189392, 0.6449340581893921,
                                              8.934802055358887]),
    "i1e_at_0": (S.i1e, [0.0], [0.5]),
    "i0e_at_0": (S.i0e, [0.0], [0.0]),
    "ndtri": (S.ndtri, [0.5, 1e-10], [2.5066282749176025, 1535723776.0]),
    "logit": (S.logit, [0.5], [4.0]),
    "rel_entr_p": (lambda p: S.rel_entr(p, 0.5), [0.0, 0.5], [0.0, 1.0]),
    "kl_div_p": (lambda p: S.kl_div(p, 0.5), [0.0, 0.5], [-1.0, 0.0]),
    "gammainc_a": (lambda a: S.gammainc(a, 2.0), [0.5, 3.0],
                   [-0.1356193721294403, -0.23184867203235626]),
}
JAX_LOG_NDTR_VALUES = [-5005.52392578125, -804.6084594726562, -53.231285095214844,
                       -0.6931471824645996, -7.619852819271277e-24, -0.0]


@pytest.mark.parametrize("name", sorted(JAX_EDGE_GRADS))
def test_edge_gradients_match_jax(name):
    f, xs, want = JAX_EDGE_GRADS[name]
    got = irax.vmap(irax.grad(f))(jnp.asarray(np.array(xs, np.float32)))
    np.testing.assert_allclose(got, want, rtol=2e-5, atol=1e-30, err_msg=name)


# JAX 0.10.2 where it deliberately differs from SciPy (irax follows JAX)
JAX_EDGE_VALUES = {
    "digamma_at_0": (S.digamma, [0.0, -0.0, -1.0], [nan, nan, nan]),
    "gammaln_at_-inf": (S.gammaln, [-inf], [inf]),
    "rel_entr_inf": (lambda p: S.rel_entr(p, 3.0), [inf], [nan]),
    "kl_div_inf": (lambda p: S.kl_div(p, 0.0), [inf], [nan]),
    "erfinv_at_1": (S.erfinv, [1.0, -1.0], [inf, -inf]),
}


@pytest.mark.parametrize("name", sorted(JAX_EDGE_VALUES))
def test_edge_values_match_jax(name):
    f, xs, want = JAX_EDGE_VALUES[name]
    np.testing.assert_array_equal(f(jnp.asarray(np.array(xs, np.float32))), want)


def test_log_ndtr_gradient_in_the_tails():
    # float32, against pdf/cdf from SciPy in float64: finite and accurate where JAX's
    # exp(logpdf - log_ndtr) loses digits (JAX 0.10.2 gives 99.981 at -100)
    x = np.array([-1e4, -100.0, -40.0, -10.0, 0.0, 10.0, 40.0], np.float32)
    got = irax.vmap(irax.grad(S.log_ndtr))(jnp.asarray(x))
    x64 = x.astype(np.float64)
    want = np.exp(-0.5 * x64 ** 2 - 0.5 * np.log(2 * np.pi) - sp.log_ndtr(x64))
    np.testing.assert_allclose(got, want, rtol=3e-6, atol=1e-30)


def test_log_ndtr_tails_match_jax():
    x = jnp.asarray(np.array([-100.0, -40.0, -10.0, 0.0, 10.0, 40.0], np.float32))
    np.testing.assert_allclose(S.log_ndtr(x), JAX_LOG_NDTR_VALUES, rtol=2e-6)


def test_logsumexp_matches_scipy_and_jax_gradients():
    a = np.array([[0.0, 1.0, 2.0, -inf], [-inf, -inf, -inf, -inf], [1e4, -1e4, 0.0, 3.0]],
                 np.float32)
    b = np.array([1.0, -2.0, 0.5, 1.0], np.float32)
    with np.errstate(all="ignore"):
        np.testing.assert_allclose(S.logsumexp(a, axis=1), sp.logsumexp(a, axis=1), rtol=1e-6)
        val, sign = S.logsumexp(a[0, :3], b=b[:3], return_sign=True)
        want_val, want_sign = sp.logsumexp(a[0, :3], b=b[:3], return_sign=True)
    np.testing.assert_allclose([val, sign], [want_val, want_sign], rtol=1e-6)
    np.testing.assert_allclose(S.logsumexp(a, axis=0, keepdims=True),
                               sp.logsumexp(a, axis=0, keepdims=True), rtol=1e-6)
    mask = np.array([True, False, True, True])
    np.testing.assert_allclose(S.logsumexp(a[2], where=mask), sp.logsumexp(a[2][mask]),
                               rtol=1e-6)
    # JAX 0.10.2: grad of logsumexp with a -inf entry, and with b
    g = irax.grad(lambda v: S.logsumexp(v))(jnp.array([0.0, -inf, 1.0]))
    np.testing.assert_allclose(g, [0.2689414322376251, 0.0, 0.7310585975646973], rtol=1e-6)
    scale = jnp.array([1.0, 0.0, 2.0])
    g = irax.grad(lambda v: S.logsumexp(v, b=scale))(jnp.array([0.0, 5.0, 1.0]))
    np.testing.assert_allclose(g, [0.15536241233348846, 0.0, 0.8446376323699951], rtol=1e-6)


def test_softmax_defaults_to_all_axes_as_scipy():
    x = np.array([[1.0, 2.0], [3.0, 0.5]], np.float32)
    np.testing.assert_allclose(S.softmax(x), sp.softmax(x), rtol=1e-6)
    np.testing.assert_allclose(S.log_softmax(x, axis=1), sp.log_softmax(x, axis=1), rtol=1e-6)


def test_bernoulli_numbers():
    np.testing.assert_allclose(S.bernoulli(12), sp.bernoulli(12), rtol=1e-7, atol=1e-12)


# ---------------------------------------------------------------------------
# vmap against a Python loop (the loops of the incomplete gamma / beta functions stop per
# element: the batched while loop must keep each lane's own result)


def test_vmap_matches_python_loop():
    a = np.array([0.5, 3.0, 30.0, 2.0], np.float32)
    x = np.array([0.2, 5.0, 28.0, 40.0], np.float32)
    fns = {
        "gammainc": lambda a, x: S.gammainc(a, x),
        "gammaincc_grad": irax.grad(lambda a, x: S.gammaincc(a, x), argnums=(0, 1)),
        "betainc": lambda a, x: S.betainc(a, 2.0, x / 50),
        "zeta_rows": lambda a, x: S.zeta(a + 1, jnp.stack([x, x + 1])),
        "digamma": lambda a, x: S.digamma(a - x),
    }
    for name, f in fns.items():
        got = irax.vmap(f)(jnp.asarray(a), jnp.asarray(x))
        loop = [f(jnp.asarray(ai), jnp.asarray(xi)) for ai, xi in zip(a, x)]
        want = irax.tree_util.tree_map(lambda *v: np.stack([np.asarray(t) for t in v]), *loop)
        for g, w in zip(irax.tree_util.tree_leaves(got), irax.tree_util.tree_leaves(want)):
            np.testing.assert_allclose(g, w, rtol=1e-6, err_msg=name)


# ---------------------------------------------------------------------------
# Errors as JAX raises them


def test_errors():
    with pytest.raises(ValueError, match="integer type"):
        S.polygamma(1.0, 2.0)
    with pytest.raises(NotImplementedError, match="Riemann zeta"):
        S.zeta(2.0)
    with pytest.raises(ValueError, match="complex"):
        S.gammaln(np.array([1 + 1j], np.complex64))
    with pytest.raises(TypeError, match="not supported"):
        S.ndtr(jnp.arange(3))
    with pytest.raises(ValueError, match="series_order"):
        S.log_ndtr(1.0, series_order=-1)
    with pytest.raises(TypeError, match="series_order"):
        S.log_ndtr(1.0, series_order=2.5)
    with pytest.raises(irax.ConcretizationTypeError, match="multigammaln"):
        irax.jit(lambda a, d: S.multigammaln(a, d))(2.0, 3)
    with pytest.raises(NotImplementedError, match="exact"):
        S.factorial(3, exact=True)
