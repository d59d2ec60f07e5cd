"""irax.scipy additions of issue 12 against SciPy: the special-matrix constructors of
scipy.linalg, the distributions truncnorm / vonmises / gennorm / betabinom / dirichlet /
multinomial / wrapcauchy, the sample statistics mode / rankdata / sem and the special
functions spence / exp1 / expi / expn / dawsn. Values against
SciPy (eager, float32 and float64), dtypes and error types as JAX 0.10 gives them
(written as values), and one compiled module holding a batch of everything."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.linalg as sl
import scipy.special as ssp
from scipy import stats as ss

import irax
import irax.numpy as jnp
from irax.scipy import linalg as il
from irax.scipy import special as sp
from irax.scipy import stats as st

RNG = np.random.default_rng(12)
C4 = RNG.normal(size=4)
R3 = RNG.normal(size=3)


def _close(got, want, dtype, rtol32=2e-5, rtol64=1e-12, atol=None):
    got = np.asarray(got)
    assert got.dtype == dtype, (got.dtype, dtype)
    rtol = rtol64 if dtype in (np.float64, np.complex128) else rtol32
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol if atol is None else atol)


# ---------------------------------------------------------------------------
# scipy.linalg special matrices

def _sl_fiedler_companion(a):
    return sl.fiedler_companion(a)


LINALG = {
    "toeplitz_c": (lambda f: il.toeplitz(f(C4)), lambda: sl.toeplitz(C4)),
    "toeplitz_cr": (lambda f: il.toeplitz(f(C4), f(R3)), lambda: sl.toeplitz(C4, R3)),
    "hankel_c": (lambda f: il.hankel(f(C4)), lambda: sl.hankel(C4)),
    "hankel_cr": (lambda f: il.hankel(f(C4), f(R3)), lambda: sl.hankel(C4, R3)),
    "circulant": (lambda f: il.circulant(f(C4)), lambda: sl.circulant(C4)),
    "leslie": (lambda f: il.leslie(f(C4), f(R3)), lambda: sl.leslie(C4, R3)),
    "companion": (lambda f: il.companion(f(C4)), lambda: sl.companion(C4)),
    "fiedler": (lambda f: il.fiedler(f(C4)), lambda: sl.fiedler(C4)),
    "fiedler_companion_4": (lambda f: il.fiedler_companion(f(C4)),
                            lambda: sl.fiedler_companion(C4)),
    "fiedler_companion_7": (lambda f: il.fiedler_companion(f(np.r_[C4, R3])),
                            lambda: sl.fiedler_companion(np.r_[C4, R3])),
    "block_diag": (lambda f: il.block_diag(f(C4), f(np.ones((2, 3))), f(2.0)),
                   lambda: sl.block_diag(C4, np.ones((2, 3)), 2.0)),
    "conv_full": (lambda f: il.convolution_matrix(f(C4), 3),
                  lambda: sl.convolution_matrix(C4, 3)),
    "conv_same_6": (lambda f: il.convolution_matrix(f(C4), 6, "same"),
                    lambda: sl.convolution_matrix(C4, 6, "same")),
    "conv_same_3": (lambda f: il.convolution_matrix(f(C4), 3, "same"),
                    lambda: sl.convolution_matrix(C4, 3, "same")),
    "conv_valid_3": (lambda f: il.convolution_matrix(f(C4), 3, "valid"),
                     lambda: sl.convolution_matrix(C4, 3, "valid")),
    "conv_valid_6": (lambda f: il.convolution_matrix(f(C4), 6, "valid"),
                     lambda: sl.convolution_matrix(C4, 6, "valid")),
    "hilbert": (lambda f: il.hilbert(5), lambda: sl.hilbert(5)),
    "invhilbert": (lambda f: il.invhilbert(6), lambda: sl.invhilbert(6)),
    "invpascal": (lambda f: il.invpascal(5), lambda: sl.invpascal(5)),
    "invpascal_lower": (lambda f: il.invpascal(5, "lower"), lambda: sl.invpascal(5, "lower")),
    "invpascal_upper": (lambda f: il.invpascal(5, "upper"), lambda: sl.invpascal(5, "upper")),
    "helmert": (lambda f: il.helmert(5), lambda: sl.helmert(5)),
    "helmert_full": (lambda f: il.helmert(5, True), lambda: sl.helmert(5, True)),
}


@pytest.mark.parametrize("name", sorted(LINALG))
def test_special_matrix(name, dtype):
    ours, ref = LINALG[name]
    _close(ours(lambda a: jnp.asarray(np.asarray(a, dtype))), ref(), dtype)


def test_special_matrix_dtypes_as_jax():
    # JAX: pascal is float32 even under x64, hadamard the default int, dft complex64
    np.testing.assert_array_equal(np.asarray(il.pascal(5)), sl.pascal(5))
    assert np.asarray(il.pascal(4, "lower")).dtype == np.float32
    np.testing.assert_array_equal(np.asarray(il.pascal(4, "upper")), sl.pascal(4, "upper"))
    h = np.asarray(il.hadamard(8))
    assert h.dtype == np.int32
    np.testing.assert_array_equal(h, sl.hadamard(8))
    assert np.asarray(il.hadamard(4, np.float32)).dtype == np.float32
    d = np.asarray(il.dft(5, "sqrtn"))
    assert d.dtype == np.complex64
    np.testing.assert_allclose(d, sl.dft(5, "sqrtn"), atol=1e-6)
    np.testing.assert_allclose(np.asarray(il.dft(4, "n")), sl.dft(4, "n"), atol=1e-6)
    ints = np.asarray(il.toeplitz(jnp.arange(1, 4)))
    assert ints.dtype == np.int32
    np.testing.assert_array_equal(ints, sl.toeplitz(np.arange(1, 4)))
    assert np.asarray(il.companion(jnp.arange(1, 4))).dtype == np.float32
    z = (C4[:3] + 1j * R3).astype(np.complex64)
    np.testing.assert_allclose(np.asarray(il.toeplitz(jnp.asarray(z))), sl.toeplitz(z),
                               rtol=1e-6)


def test_special_matrix_batches():
    # leading axes broadcast as JAX's vectorized constructors do
    c = RNG.normal(size=(2, 4)).astype(np.float32)
    r = RNG.normal(size=(3, 1, 5)).astype(np.float32)
    got = np.asarray(il.toeplitz(jnp.asarray(c), jnp.asarray(r)))
    assert got.shape == (3, 2, 4, 5)
    for i in range(3):
        for j in range(2):
            np.testing.assert_allclose(got[i, j], sl.toeplitz(c[j], r[i, 0]), rtol=1e-6)
    got = np.asarray(il.circulant(jnp.asarray(c)))
    for j in range(2):
        np.testing.assert_allclose(got[j], sl.circulant(c[j]), rtol=1e-6)


@pytest.mark.parametrize("call, error", [
    (lambda: il.leslie(jnp.ones(4), jnp.ones(4)), ValueError),
    (lambda: il.companion(jnp.ones(1)), ValueError),
    (lambda: il.block_diag(jnp.ones((2, 2, 2))), ValueError),
    (lambda: il.convolution_matrix(jnp.ones(3), 0), ValueError),
    (lambda: il.convolution_matrix(jnp.ones(3), 2, "bad"), ValueError),
    (lambda: il.pascal(3, "bad"), ValueError),
    (lambda: il.hadamard(3), ValueError),
    (lambda: il.toeplitz([1.0, 2.0]), TypeError),
], ids=["leslie", "companion", "block_diag", "conv_n", "conv_mode", "pascal", "hadamard",
        "list"])
def test_special_matrix_errors(call, error):
    with pytest.raises(error):
        call()


# ---------------------------------------------------------------------------
# scipy.stats distributions

X = np.linspace(-5.0, 5.0, 23)[None]
TN_AB = np.array([[-1.0, 2.0], [3.0, 9.0], [-9.0, -3.0], [-0.5, 0.5]])
KAPPA = np.array([0.1, 1.0, 5.0, 50.0, -1.0])[:, None]
WC = np.array([0.1, 0.5, 0.9, 0.0, 1.2])[:, None]
BETA = np.array([0.5, 1.0, 2.0, 8.0])[:, None]
K = np.arange(-1.0, 8.0)[None]
BB_A = np.array([0.5, 2.0, 3.0, -1.0])[:, None]


def _sp_wrapcauchy(x, c):
    inside = (c > 0) & (c < 1)
    with np.errstate(all="ignore"):
        v = ss.wrapcauchy.logpdf(x, np.where(inside, c, 0.5))
    return np.where(inside, v, np.nan)


def _sp_vonmises(x, kappa):
    with np.errstate(all="ignore"):
        v = ss.vonmises.logpdf(x, np.where(kappa > 0, kappa, 1.0))
    return np.where(kappa > 0, v, np.nan)


def _sp_betabinom(k, n, a, b):
    ok = a > 0
    with np.errstate(all="ignore"):
        v = ss.betabinom.logpmf(k, n, np.where(ok, a, 1.0), b)
    return np.where(ok, v, np.nan)


_TN = (TN_AB[:, :1], TN_AB[:, 1:])
DISTS = {
    **{f"truncnorm.{m}": (getattr(st.truncnorm, m), getattr(ss.truncnorm, m),
                          (X, *_TN, 0.5, 1.5), 1e-4, 1e-9)
       for m in ("logpdf", "pdf", "logcdf", "cdf", "logsf", "sf")},
    "truncnorm.logcdf_far_tail": (st.truncnorm.logcdf, ss.truncnorm.logcdf,
                                  (np.linspace(-31.0, -24.0, 15), -30.0, -25.0), 1e-4, 1e-9),
    "vonmises.logpdf": (st.vonmises.logpdf, _sp_vonmises, (X, KAPPA), 2e-5, 1e-12),
    "vonmises.pdf": (st.vonmises.pdf, lambda x, k: np.exp(_sp_vonmises(x, k)), (X, KAPPA),
                     2e-5, 1e-12),
    "wrapcauchy.logpdf": (st.wrapcauchy.logpdf, _sp_wrapcauchy, (X + 5, WC), 2e-5, 1e-12),
    "wrapcauchy.pdf": (st.wrapcauchy.pdf, lambda x, c: np.exp(_sp_wrapcauchy(x, c)),
                       (X + 5, WC), 2e-5, 1e-12),
    "gennorm.logpdf": (st.gennorm.logpdf, ss.gennorm.logpdf, (X, BETA), 1e-4, 1e-10),
    "gennorm.pdf": (st.gennorm.pdf, ss.gennorm.pdf, (X, BETA), 1e-4, 1e-10),
    "gennorm.cdf": (st.gennorm.cdf, ss.gennorm.cdf, (X, BETA), 1e-4, 1e-10),
    "betabinom.logpmf": (st.betabinom.logpmf, lambda k, n, a, b: _sp_betabinom(k, n, a, b),
                         (K, 6.0, BB_A, 1.5), 1e-4, 1e-10),
    "betabinom.pmf": (st.betabinom.pmf,
                      lambda k, n, a, b: np.exp(_sp_betabinom(k, n, a, b)),
                      (K, 6.0, BB_A, 1.5), 1e-4, 1e-10),
}


@pytest.mark.parametrize("name", sorted(DISTS))
def test_distribution(name, dtype):
    ours, ref, args, rtol32, rtol64 = DISTS[name]
    with np.errstate(all="ignore"):
        want = ref(*np.broadcast_arrays(*[np.asarray(a, np.float64) for a in args]))
    got = ours(*[jnp.asarray(np.asarray(a, dtype)) for a in args])
    _close(got, want, dtype, rtol32, rtol64)


SIMPLEX = RNG.dirichlet([1.0, 1.0, 1.0], size=4).T
ALPHA = np.array([1.5, 2.0, 3.0])


def test_dirichlet(dtype):
    x, a = jnp.asarray(SIMPLEX.astype(dtype)), jnp.asarray(ALPHA.astype(dtype))
    want = np.array([ss.dirichlet.logpdf(SIMPLEX[:, i], ALPHA) for i in range(4)])
    _close(st.dirichlet.logpdf(x, a), want, dtype, 1e-4, 1e-10)
    _close(st.dirichlet.pdf(x[:2], a), np.exp(want), dtype, 1e-4, 1e-10)   # last implied
    _close(st.dirichlet.logpdf(x[:, 0], a), want[0], dtype, 1e-4, 1e-10)
    off = st.dirichlet.logpdf(jnp.asarray(np.array([0.5, 0.6, 0.1], dtype)), a)
    assert np.asarray(off) == -np.inf
    with pytest.raises(ValueError):
        st.dirichlet.logpdf(x[:1], a)
    with pytest.raises(ValueError):
        st.dirichlet.logpdf(x[:, 0], a[None])


def test_multinomial(dtype):
    p = np.array([0.2, 0.3, 0.5])
    x = np.array([[1, 2, 3], [0, 0, 6]])
    got = st.multinomial.logpmf(jnp.asarray(x[0]), 6, jnp.asarray(p.astype(dtype)))
    _close(got, ss.multinomial.logpmf(x[0], 6, p), dtype, 1e-5, 1e-12)
    assert np.asarray(got).shape == ()
    _close(st.multinomial.pmf(jnp.asarray(x[1]), 6, jnp.asarray(p.astype(dtype))),
           ss.multinomial.pmf(x[1], 6, p), dtype, 1e-5, 1e-12)
    # JAX compares the total of all of x with n: a stack of rows is never "on support"
    assert np.all(np.asarray(st.multinomial.logpmf(jnp.asarray(x), 6, jnp.asarray(p)))
                  == -np.inf)
    assert np.asarray(st.multinomial.logpmf(jnp.asarray(x[0]), 5, jnp.asarray(p))) == -np.inf
    with pytest.raises(ValueError):
        st.multinomial.logpmf(jnp.asarray(x[0].astype(np.float32)), 6, jnp.asarray(p))


# ---------------------------------------------------------------------------
# mode, rankdata, sem

DATA = np.array([[3, 1, 2, 3, 1], [2, 2, 5, 5, 1]], dtype=np.float64)
DATA_NAN = DATA.copy()
DATA_NAN[1, 2] = np.nan


@pytest.mark.parametrize("method", ["average", "min", "max", "dense", "ordinal"])
def test_rankdata(method, dtype):
    d = jnp.asarray(DATA.astype(dtype))
    _close(st.rankdata(d, method), ss.rankdata(DATA, method), dtype)
    _close(st.rankdata(d, method, axis=0), ss.rankdata(DATA, method, axis=0), dtype)
    ints = np.array([4, 1, 1, 4, 2, 4, 1])
    _close(st.rankdata(jnp.asarray(ints), method), ss.rankdata(ints, method), dtype)
    # a nan makes its whole slice nan (JAX; SciPy's 'propagate' does the same)
    got = st.rankdata(jnp.asarray(DATA_NAN.astype(dtype)), method, axis=1)
    _close(got, ss.rankdata(DATA_NAN, method, axis=1, nan_policy="propagate"), dtype)


@pytest.mark.parametrize("axis", [0, 1, -1, None])
@pytest.mark.parametrize("keepdims", [False, True])
def test_mode(axis, keepdims):
    m = np.array([[1, 2, 2, 3], [4, 4, 1, 1], [0, 0, 0, 7]])
    got = st.mode(jnp.asarray(m), axis, keepdims=keepdims)
    want = ss.mode(m, axis, keepdims=keepdims)
    assert np.asarray(got.mode).dtype == np.int32 and np.asarray(got.count).dtype == np.int32
    np.testing.assert_array_equal(np.asarray(got.mode), want.mode)
    np.testing.assert_array_equal(np.asarray(got.count), want.count)


def test_mode_nan_and_errors():
    # JAX counts nans as equal to each other (jnp.unique) and ranks them last
    f = np.array([[1.0, np.nan, np.nan, 3, 3], [2, 2, np.nan, 1, 1]], np.float32)
    got = st.mode(jnp.asarray(f), 1)
    np.testing.assert_array_equal(np.asarray(got.mode), [3.0, 1.0])
    np.testing.assert_array_equal(np.asarray(got.count), [2, 2])
    got = st.mode(jnp.asarray(np.array([np.nan, np.nan, 1.0], np.float32)))
    assert np.isnan(np.asarray(got.mode)) and np.asarray(got.count) == 2
    empty = st.mode(jnp.zeros((0, 3)))
    assert np.all(np.isnan(np.asarray(empty.mode))) and np.asarray(empty.count).shape == (3,)
    with pytest.raises(ValueError):
        st.mode(jnp.ones((2, 2)), 2)
    with pytest.raises(NotImplementedError):
        st.mode(jnp.ones(3), nan_policy="omit")
    with pytest.raises(ValueError):
        st.rankdata(jnp.ones(3), "bad")
    with pytest.raises(TypeError):
        st.rankdata([1.0, 2.0])


@pytest.mark.parametrize("axis", [0, 1, None])
def test_sem(axis, dtype):
    d = jnp.asarray(DATA.astype(dtype))
    for ddof in (0, 1):
        _close(st.sem(d, axis, ddof), ss.sem(DATA, axis, ddof), dtype)
        # NumPy's formula: SciPy returns nan for a slice of one value, JAX (and irax) 0
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            want = np.nanstd(DATA_NAN, axis, ddof=ddof) / np.sqrt(
                np.sum(~np.isnan(DATA_NAN), axis))
        _close(st.sem(jnp.asarray(DATA_NAN.astype(dtype)), axis, ddof, "omit"), want, dtype)
    with pytest.raises(ValueError):
        st.sem(d, nan_policy="raise")


# ---------------------------------------------------------------------------
# scipy.special: spence, exp1, expi, expn, dawsn over a wide range (SciPy's values, also at the edges)

SPECIAL_X = np.concatenate([-np.logspace(-3, 2.5, 30), [0.0, 1e-30, 1e-10, 0.5, 1.0, 2.0],
                            np.logspace(-8, 2.85, 200), [np.inf, -np.inf, np.nan]])


@pytest.mark.parametrize("name", ["spence", "exp1", "expi", "dawsn"])
def test_special_values(name, dtype):
    x = SPECIAL_X.astype(dtype)
    with np.errstate(all="ignore"):
        want = getattr(ssp, name)(x.astype(np.float64))
    got = np.asarray(getattr(sp, name)(jnp.asarray(x)))
    assert got.dtype == dtype
    tiny = np.finfo(dtype).tiny
    big = np.finfo(dtype).max
    # where the float64 value overflows the dtype, inf; below its smallest normal number
    # a denormal or 0 (hence atol = tiny)
    with np.errstate(all="ignore"):
        want = np.where(np.abs(want) > big, np.sign(want) * np.inf, want)
    rtol = 2e-14 if dtype == np.float64 else 2e-6
    np.testing.assert_allclose(got, want, rtol=rtol, atol=tiny)


EXPN_N = np.array([0, 1, 2, 3, 4, 7, 15, 30, 60])[:, None]
EXPN_X = np.concatenate([[0.0, 1e-30, 1e-10], np.logspace(-8, 2.85, 120), [np.inf]])[None]


def test_expn(dtype):
    x = EXPN_X.astype(dtype)
    got = np.asarray(sp.expn(jnp.asarray(EXPN_N), jnp.asarray(x)))
    assert got.dtype == dtype
    want = ssp.expn(EXPN_N, x.astype(np.float64))
    with np.errstate(all="ignore"):
        want = np.where(np.abs(want) > np.finfo(dtype).max, np.inf, want)
    rtol = 1e-13 if dtype == np.float64 else 5e-7
    np.testing.assert_allclose(got, want, rtol=rtol, atol=np.finfo(dtype).tiny)
    # JAX: nan for negative or non-integer orders and for x < 0 or nan
    odd = sp.expn(jnp.asarray([-1.0, 2.5, 2.0, 2.0]), jnp.asarray([1.0, 1.0, -1.0, np.nan]))
    assert np.all(np.isnan(np.asarray(odd)))
    # d/dx E_n = -E_(n-1)
    for n in (1, 2, 5):
        g = [float(irax.grad(lambda v: sp.expn(n, v))(v)) for v in (0.3, 2.0)]
        np.testing.assert_allclose(g, -ssp.expn(n - 1, [0.3, 2.0]), rtol=1e-5)


def test_special_dtypes_and_grads():
    assert np.asarray(sp.spence(jnp.asarray(2))).dtype == np.float32      # int -> float32
    np.testing.assert_allclose(float(sp.exp1(1)), ssp.exp1(1.0), rtol=1e-6)
    x = np.array([0.3, 0.7, 1.5, 2.5, 6.0])
    # derivatives: spence' = log(x) / (1 - x), E1' = -exp(-x) / x, Ei' = exp(x) / x,
    # D' = 1 - 2 x D
    for f, df in [(sp.spence, np.log(x) / (1 - x)), (sp.exp1, -np.exp(-x) / x),
                  (sp.expi, np.exp(x) / x), (sp.dawsn, 1 - 2 * x * ssp.dawsn(x))]:
        g = np.array([float(irax.grad(f)(float(v))) for v in x])
        np.testing.assert_allclose(g, df, rtol=1e-5, atol=1e-6)
    g = [float(irax.grad(sp.expi)(v)) for v in (-0.5, -3.0)]
    np.testing.assert_allclose(g, np.exp([-0.5, -3.0]) / np.array([-0.5, -3.0]), rtol=1e-5)


# ---------------------------------------------------------------------------
# one compiled module holding a batch of the above (float32), plus a gradient; the
# distributions built on log_ndtr / i0e / betaln stay eager (each costs IREE 4-8 s)

def test_jit_module():
    c, r = C4.astype(np.float32), R3.astype(np.float32)
    x = np.linspace(-2.0, 3.0, 7).astype(np.float32)

    # the order n is an argument: with a literal n IREE folds the constant parts of the
    # expn graph at compile time and takes ~10 s over it
    def f(c, r, x, n):
        return {
            "toeplitz": il.toeplitz(c, r), "hankel": il.hankel(c, r),
            "circulant": il.circulant(c), "companion": il.companion(c),
            "fiedler_companion": il.fiedler_companion(c), "leslie": il.leslie(c, r),
            "conv": il.convolution_matrix(c, 3, "same"), "block_diag": il.block_diag(c, r),
            "gennorm": st.gennorm.cdf(x, 1.5),
            "wrapcauchy": st.wrapcauchy.pdf(x + 2.0, 0.3),
            "rankdata": st.rankdata(jnp.round(x * c[0]), "average"),
            "mode": st.mode(jnp.round(x)).mode, "sem": st.sem(x),
            "grad": irax.grad(lambda y: jnp.sum(st.truncnorm.logpdf(y, -1.0, 2.0)))(x / 3),
            "spence": sp.spence(x + 2.5), "exp1": sp.exp1(x + 2.5), "expi": sp.expi(x * 9),
            "expn": sp.expn(n, x + 2.5), "dawsn": sp.dawsn(x * 2),
        }

    got = irax.jit(f)(jnp.asarray(c), jnp.asarray(r), jnp.asarray(x), jnp.asarray(3))
    x64 = x.astype(np.float64)
    want = {
        "toeplitz": sl.toeplitz(c, r), "hankel": sl.hankel(c, r),
        "circulant": sl.circulant(c), "companion": sl.companion(c),
        "fiedler_companion": sl.fiedler_companion(c), "leslie": sl.leslie(c, r),
        "conv": sl.convolution_matrix(c, 3, "same"), "block_diag": sl.block_diag(c, r),
        "gennorm": ss.gennorm.cdf(x64, 1.5),
        "wrapcauchy": ss.wrapcauchy.pdf(x64 + 2.0, 0.3),
        "rankdata": ss.rankdata(np.round(x * c[0])),
        "mode": ss.mode(np.round(x)).mode, "sem": ss.sem(x64),
        # d/dy log pdf of the truncated standard normal is -y inside [a, b]
        "grad": -(x64 / 3),
        "spence": ssp.spence(x64 + 2.5), "exp1": ssp.exp1(x64 + 2.5), "expi": ssp.expi(x64 * 9),
        "expn": ssp.expn(3, x64 + 2.5), "dawsn": ssp.dawsn(x64 * 2),
    }
    for k, v in want.items():
        np.testing.assert_allclose(np.asarray(got[k]), v, rtol=1e-4, atol=1e-5, err_msg=k)
