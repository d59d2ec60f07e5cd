"""irax.scipy.fft (dct / idct / dctn / idctn), .integrate.trapezoid,
.interpolate.RegularGridInterpolator and .cluster.vq.vq against SciPy (values in float64),
with JAX 0.10's dtypes and error types; gradients against analytic ones (the transforms are
linear: their gradients are SciPy's matrices transposed) and float64 central differences of
SciPy's functions; vmap against a Python loop; one compiled module for the jit cases."""
import numpy as np
import pytest
import scipy.cluster.vq
import scipy.fft
import scipy.integrate
import scipy.interpolate

import irax
import irax.numpy as inp
import irax.scipy
from irax.scipy import fft as ifft
from irax.scipy import integrate as iintegrate
from irax.scipy.cluster import vq as ivq
from irax.scipy.interpolate import RegularGridInterpolator
from tests.finite_differences import central_fd

RNG = np.random.default_rng(1)
X = RNG.normal(size=(5, 6)).astype(np.float32)
X3 = RNG.normal(size=(3, 4, 5)).astype(np.float32)


def _close(got, want, name, dtype=np.float32, tol=2e-5):
    got = np.asarray(got)
    assert got.dtype == dtype, (name, got.dtype)
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol, err_msg=name)


# ---------------------------------------------------------------------------
# irax.scipy.fft

DCT_KW = {"plain": {}, "n_short": dict(n=4), "n_long": dict(n=9), "axis0": dict(axis=0),
          "axis0_n": dict(axis=0, n=3), "odd_n": dict(n=7), "n1": dict(n=1)}


@pytest.mark.parametrize("fname", ["dct", "idct"])
@pytest.mark.parametrize("norm", [None, "backward", "ortho"])
def test_dct_like_scipy(fname, norm):
    for name, kw in DCT_KW.items():
        got = getattr(ifft, fname)(X, norm=norm, **kw)
        want = getattr(scipy.fft, fname)(X.astype(np.float64), norm=norm, **kw)
        _close(got, want, f"{fname}-{norm}-{name}", tol=1e-4)


DCTN_KW = {"all": {}, "s1": dict(s=[4]), "s2": dict(s=[3, 8]), "axes0": dict(axes=[0]),
           "s_axes": dict(s=[2], axes=[0]), "neg_axes": dict(axes=(-1, 0))}


@pytest.mark.parametrize("fname", ["dctn", "idctn"])
@pytest.mark.parametrize("norm", [None, "ortho"])
def test_dctn_like_scipy(fname, norm):
    for name, kw in DCTN_KW.items():
        got = getattr(ifft, fname)(X, norm=norm, **kw)
        want = getattr(scipy.fft, fname)(X.astype(np.float64), norm=norm, **kw)
        _close(got, want, f"{fname}-{norm}-{name}", tol=1e-4)
    got = getattr(ifft, fname)(X3, norm=norm)
    _close(got, getattr(scipy.fft, fname)(X3.astype(np.float64), norm=norm), "3d", tol=1e-4)


def test_dct_float64_complex_int(dtype):
    x = X.astype(dtype)
    _close(ifft.dct(x, norm="ortho"), scipy.fft.dct(x.astype(np.float64), norm="ortho"),
           "dtype", dtype, 1e-12 if dtype == np.float64 else 1e-4)
    _close(ifft.idct(ifft.dct(x)), x, "roundtrip", dtype, 1e-12 if dtype == np.float64 else 1e-5)
    z = (X + 1j * X[::-1]).astype(np.complex64)
    _close(ifft.dct(z), scipy.fft.dct(z.astype(np.complex128)), "complex", np.complex64, 1e-4)
    _close(ifft.idctn(z, norm="ortho"), scipy.fft.idctn(z.astype(np.complex128), norm="ortho"),
           "complex_n", np.complex64, 1e-4)
    ints = np.arange(6)
    default = np.float64 if dtype == np.float64 else np.float32
    _close(ifft.dct(ints), scipy.fft.dct(ints.astype(np.float64)), "int", default, 1e-4)


def test_dct_errors_like_jax():
    with pytest.raises(NotImplementedError, match="type 2"):
        ifft.dct(X, type=3)
    with pytest.raises(NotImplementedError, match="type 2"):
        ifft.idctn(X, type=1)
    with pytest.raises(ValueError, match="not implemented"):
        ifft.dct(X, norm="forward")
    with pytest.raises(ValueError, match="at most x.ndim"):
        ifft.dctn(X, s=[2, 2, 2])


def test_dct_grads_are_the_transposed_matrices():
    n = 6
    c = RNG.normal(size=(5, n))
    for fname, norm in (("dct", None), ("dct", "ortho"), ("idct", None), ("idct", "ortho")):
        # row k of M is the transform of the k-th unit vector: y = x @ M along the last axis
        m = getattr(scipy.fft, fname)(np.eye(n), norm=norm, axis=-1)
        g = irax.grad(lambda x: inp.sum(getattr(ifft, fname)(x, norm=norm) * c))(X)
        np.testing.assert_allclose(np.asarray(g), c @ m.T, rtol=1e-4, atol=1e-4,
                                   err_msg=f"{fname}-{norm}")


def test_dct_vmap_like_a_loop():
    got = irax.vmap(lambda x: ifft.dctn(x, norm="ortho"))(X3)
    want = np.stack([np.asarray(ifft.dctn(x, norm="ortho")) for x in X3])
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-6, atol=1e-6)


# ---------------------------------------------------------------------------
# irax.scipy.integrate


def test_trapezoid_like_scipy():
    y = RNG.normal(size=(3, 6)).astype(np.float32)
    x = np.sort(RNG.normal(size=6)).astype(np.float32)
    y64, x64 = y.astype(np.float64), x.astype(np.float64)
    _close(iintegrate.trapezoid(y), scipy.integrate.trapezoid(y64), "plain")
    _close(iintegrate.trapezoid(y, x), scipy.integrate.trapezoid(y64, x64), "x")
    _close(iintegrate.trapezoid(y, dx=0.5, axis=0),
           scipy.integrate.trapezoid(y64, dx=0.5, axis=0), "dx_axis0")
    _close(iintegrate.trapezoid(np.arange(5)), 8.0, "int")
    # the gradient of a linear functional: its value on each unit vector
    g = irax.grad(lambda v: iintegrate.trapezoid(v, x))(y[0])
    want = [scipy.integrate.trapezoid(e, x64) for e in np.eye(6)]
    np.testing.assert_allclose(np.asarray(g), want, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------
# irax.scipy.interpolate

G0 = np.array([0.0, 1.0, 2.5, 4.0], np.float32)
G1 = np.linspace(-1, 1, 5).astype(np.float32)
VALS = RNG.normal(size=(4, 5)).astype(np.float32)
VALS3 = RNG.normal(size=(4, 5, 2)).astype(np.float32)
XI = np.stack([RNG.uniform(-1, 5, 9), RNG.uniform(-1.4, 1.4, 9)], -1).astype(np.float32)
XI[0] = [1.0, 0.5]                                   # on grid knots
XI[1] = [4.0, 1.0]                                   # the far corner (inside)


@pytest.mark.parametrize("method", ["linear", "nearest"])
@pytest.mark.parametrize("fill", [np.nan, None, -7.0], ids=["nan", "extrapolate", "number"])
def test_regular_grid_like_scipy(method, fill):
    for v in (VALS, VALS3):
        got = RegularGridInterpolator((G0, G1), v, method=method, fill_value=fill)(XI)
        want = scipy.interpolate.RegularGridInterpolator(
            (G0.astype(float), G1.astype(float)), v.astype(float), method=method,
            bounds_error=False, fill_value=fill)(XI.astype(float))
        _close(got, want, f"{method}-{fill}-{v.ndim}", tol=1e-5)


def test_regular_grid_inputs():
    interp = RegularGridInterpolator((G0, G1), VALS)
    ref = scipy.interpolate.RegularGridInterpolator((G0, G1), VALS.astype(float),
                                                    bounds_error=False)
    _close(interp((XI[:, 0], XI[:, 1])), ref((XI[:, 0], XI[:, 1])), "tuple", tol=1e-5)
    _close(interp(XI.reshape(3, 3, 2)), ref(XI.reshape(3, 3, 2)), "batch_shape", tol=1e-5)
    _close(interp(XI[0]), ref(XI[0]), "one_point", tol=1e-5)
    _close(interp(XI, method="nearest"), ref(XI, method="nearest"), "call_method", tol=1e-5)
    one = RegularGridInterpolator((G0,), VALS[:, 0])
    ref1 = scipy.interpolate.RegularGridInterpolator((G0,), VALS[:, 0].astype(float),
                                                     bounds_error=False)
    pts = np.array([0.3, 2.0, 3.9, 5.0], np.float32)
    _close(one(pts), ref1(pts[:, None]), "1d", tol=1e-5)
    ints = RegularGridInterpolator((G0, G1), np.arange(20).reshape(4, 5))
    assert np.asarray(ints(XI)).dtype == np.float32


def test_regular_grid_errors_like_jax():
    with pytest.raises(ValueError, match="method 'cubic' is not defined"):
        RegularGridInterpolator((G0, G1), VALS, method="cubic")
    with pytest.raises(NotImplementedError):
        RegularGridInterpolator((G0, G1), VALS, bounds_error=True)
    with pytest.raises(ValueError, match="point arrays"):
        RegularGridInterpolator((G0, G1, G1), VALS)
    with pytest.raises(ValueError, match="fill_value must be"):
        RegularGridInterpolator((G0, G1), VALS, fill_value=1j)
    with pytest.raises(ValueError, match="dimension"):
        RegularGridInterpolator((G0, G1), VALS)(np.zeros((2, 3), np.float32))


def test_regular_grid_grad_and_vmap():
    pts = XI[2:5].astype(np.float64)
    inside = np.clip(pts, [0.01, -0.99], [3.99, 0.99])
    ref = scipy.interpolate.RegularGridInterpolator((G0.astype(float), G1.astype(float)),
                                                    VALS.astype(float))
    interp = RegularGridInterpolator((G0, G1), VALS)
    g = irax.grad(lambda p: inp.sum(interp(p) ** 2))(inside.astype(np.float32))
    want = central_fd(lambda p: np.sum(ref(p) ** 2), inside)
    np.testing.assert_allclose(np.asarray(g), want, rtol=1e-3, atol=1e-3)
    got = irax.vmap(interp)(XI.reshape(3, 3, 2))
    want = np.stack([np.asarray(interp(p)) for p in XI.reshape(3, 3, 2)])
    np.testing.assert_array_equal(np.asarray(got), want)
    # the interpolator is a pytree: vmap over stacked value tables
    tables = np.stack([VALS, 2 * VALS])
    got = irax.vmap(lambda t: RegularGridInterpolator((G0, G1), t)(XI))(tables)
    np.testing.assert_allclose(np.asarray(got)[1], 2 * np.asarray(interp(XI)), rtol=1e-6)


# ---------------------------------------------------------------------------
# irax.scipy.cluster.vq

OBS = RNG.normal(size=(8, 3)).astype(np.float32)
BOOK = RNG.normal(size=(4, 3)).astype(np.float32)


def test_vq_like_scipy():
    code, dist = ivq.vq(OBS, BOOK)
    want_code, want_dist = scipy.cluster.vq.vq(OBS.astype(float), BOOK.astype(float))
    assert np.asarray(code).dtype == np.int32
    np.testing.assert_array_equal(np.asarray(code), want_code)
    _close(dist, want_dist, "dist")
    code, dist = irax.scipy.cluster.vq.vq(OBS[:, 0], BOOK[:, 0])
    want_code, want_dist = scipy.cluster.vq.vq(OBS[:, 0].astype(float), BOOK[:, 0].astype(float))
    np.testing.assert_array_equal(np.asarray(code), want_code)
    _close(dist, want_dist, "dist_1d")
    code, _ = ivq.vq(np.array([[0], [3]]), np.array([[1], [2]]))   # integers: a tie -> 0
    np.testing.assert_array_equal(np.asarray(code), [0, 1])
    with pytest.raises(ValueError, match="same rank"):
        ivq.vq(OBS, BOOK[0])
    with pytest.raises(ValueError, match="ndim different"):
        ivq.vq(OBS[None], BOOK[None])


def test_vq_grad():
    code = scipy.cluster.vq.vq(OBS.astype(float), BOOK.astype(float))[0]
    diff = OBS.astype(float) - BOOK[code].astype(float)
    want = diff / np.linalg.norm(diff, axis=1, keepdims=True)   # d|o - c| / do
    g = irax.grad(lambda o: inp.sum(ivq.vq(o, BOOK)[1]))(OBS)
    np.testing.assert_allclose(np.asarray(g), want, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------
# one compiled module for the jit cases


def test_jit_module_like_scipy():
    interp = RegularGridInterpolator((G0, G1), VALS3, fill_value=None)

    def run(x, x3, interp, xi, obs, book):
        return dict(dct=ifft.dct(x, n=8, norm="ortho"), idct=ifft.idct(x, axis=0),
                    dctn=ifft.dctn(x3, s=[3, 6]), idctn=ifft.idctn(x3, norm="ortho"),
                    trap=iintegrate.trapezoid(x, axis=0), interp=interp(xi),
                    nearest=interp(xi, method="nearest"), vq=ivq.vq(obs, book))

    out = irax.jit(run)(X, X3, interp, XI, OBS, BOOK)
    x, x3 = X.astype(float), X3.astype(float)
    _close(out["dct"], scipy.fft.dct(x, n=8, norm="ortho"), "dct", tol=1e-4)
    _close(out["idct"], scipy.fft.idct(x, axis=0), "idct", tol=1e-4)
    _close(out["dctn"], scipy.fft.dctn(x3, s=[3, 6]), "dctn", tol=1e-4)
    _close(out["idctn"], scipy.fft.idctn(x3, norm="ortho"), "idctn", tol=1e-4)
    _close(out["trap"], scipy.integrate.trapezoid(x, axis=0), "trap")
    ref = scipy.interpolate.RegularGridInterpolator((G0, G1), VALS3.astype(float),
                                                    bounds_error=False, fill_value=None)
    _close(out["interp"], ref(XI), "interp", tol=1e-5)
    _close(out["nearest"], ref(XI, method="nearest"), "nearest", tol=1e-5)
    code, dist = scipy.cluster.vq.vq(OBS.astype(float), BOOK.astype(float))
    np.testing.assert_array_equal(np.asarray(out["vq"][0]), code)
    _close(out["vq"][1], dist, "vq")


def test_public_names_like_jax():
    import importlib
    for module in ("fft", "integrate", "interpolate", "cluster", "cluster.vq"):
        theirs = importlib.import_module(f"jax.scipy.{module}")
        ours = importlib.import_module(f"irax.scipy.{module}")
        names = [n for n in dir(theirs) if not n.startswith("_")]
        assert names and all(hasattr(ours, n) for n in names), module
    for module in ("fft", "integrate", "interpolate", "cluster"):
        assert module in dir(irax.scipy)
    assert irax.scipy.cluster.vq.vq is ivq.vq
