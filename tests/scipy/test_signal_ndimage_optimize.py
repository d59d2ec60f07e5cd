"""irax.scipy.signal, .ndimage, .optimize and stats.gaussian_kde against JAX 0.10 (the
oracle: values, dtypes, shapes, error types) and SciPy; gradients of convolve and
map_coordinates against float64 central differences of SciPy's functions; and one
compiled module holding every jit case."""
import warnings

import numpy as np
import pytest
import scipy.ndimage
import scipy.signal
import scipy.stats

import jax
import jax.numpy as jjnp
import jax.scipy.ndimage as jndimage
import jax.scipy.optimize as joptimize
import jax.scipy.signal as jsignal

import irax
import irax.numpy as inp
import irax.scipy
import irax.scipy.ndimage as indimage
import irax.scipy.optimize as ioptimize
import irax.scipy.signal as isignal
import irax.scipy.stats as istats
from tests.finite_differences import central_fd
from tests.jax_oracle import assert_like_jax

RNG = np.random.default_rng(0)
X1 = RNG.normal(size=7).astype(np.float32)
K1 = RNG.normal(size=3).astype(np.float32)
X2 = RNG.normal(size=(5, 6)).astype(np.float32)
K2 = RNG.normal(size=(2, 3)).astype(np.float32)
SIG = RNG.normal(size=(2, 64)).astype(np.float32)
SIG2 = RNG.normal(size=(2, 64)).astype(np.float32)
IMG = RNG.normal(size=(4, 5)).astype(np.float32)
COORDS = [RNG.uniform(-2, 7, size=(3, 6)).astype(np.float32) for _ in range(2)]


ZX = (X2 + 1j * X2[::-1]).astype(np.complex64)
ZK = (K2 - 2j * K2[:, ::-1]).astype(np.complex64)
CONV_PAIRS = [(X1, K1), (K1, X1), (X2, K2), (K2, X2)]
MODES = ("full", "same", "valid")
SPECTRA = [
    ("welch", (SIG,), dict(nperseg=16)),
    ("welch", (SIG,), dict(nperseg=16, average="median", detrend="linear",
                           scaling="spectrum")),
    ("welch", (SIG,), dict(nperseg=15, return_onesided=False, nfft=20)),
    ("welch", (SIG.T,), dict(nperseg=16, axis=0, window="hamming", detrend=False)),
    ("csd", (SIG, SIG2), dict(nperseg=16)),
    ("csd", (SIG.T, SIG2.T), dict(nperseg=16, axis=0, window="hamming")),
    ("csd", (SIG, SIG2[:, :50]), dict(nperseg=16, noverlap=4)),
    ("stft", (SIG,), dict(nperseg=16)),
    ("stft", (SIG,), dict(nperseg=16, boundary="even", padded=False)),
    ("stft", (SIG,), dict(nperseg=12, boundary="odd", noverlap=8)),
    ("stft", (SIG,), dict(nperseg=16, boundary="constant", return_onesided=False)),
    ("stft", (SIG[0],), dict(nperseg=16, boundary=None, detrend="constant", fs=4.0)),
]
DETREND = [dict(), dict(bp=[10, 30]), dict(axis=0, type="constant"), dict(axis=0)]
ND_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")
ISTFT = [(dict(nperseg=16), dict(nperseg=16)),
         (dict(nperseg=15, noverlap=10), dict(nperseg=15, noverlap=10, nfft=15)),
         (dict(nperseg=16, axis=0), dict(nperseg=16, time_axis=-1, freq_axis=0)),
         (dict(nperseg=16, return_onesided=False), dict(nperseg=16, input_onesided=False))]
ROSEN_X0 = np.array([0.8, 0.6, 0.4], np.float32)


def _scipy_agrees(mode, a, b):
    """SciPy's convolutions are JAX's except where in1 is the smaller operand ('same' keeps
    in2's centre in JAX; correlate2d 'full' conjugates differently)."""
    return a.size >= b.size


def _jax_only_cases(sig_mod):
    """The convolution cases where only JAX is the reference, as one dict: one jax.jit of it
    (JAX's op-by-op eager dispatch costs a compile per operation)."""
    out = {}
    for mode in MODES:
        for i, (a, b) in enumerate(CONV_PAIRS):
            if _scipy_agrees(mode, a, b):
                continue
            for name in ("convolve", "correlate", "fftconvolve"):
                out[f"{name} {mode} {i}"] = getattr(sig_mod, name)(a, b, mode=mode)
            if a.ndim == 2:
                for name in ("convolve2d", "correlate2d"):
                    out[f"{name} {mode} {i}"] = getattr(sig_mod, name)(a, b, mode=mode)
        # complex operands: which one is conjugated depends on which slides
        out[f"complex correlate2d {mode}"] = sig_mod.correlate2d(ZK, ZX, mode=mode)
        out[f"complex correlate {mode}"] = sig_mod.correlate(ZX[0], ZK[0], mode=mode)
    return out


_JAX = {}


def jax_ref(key):
    if not _JAX:
        _JAX.update(jax.jit(lambda: _jax_only_cases(jsignal))())
    return _JAX[key]


def _like_scipy(out, ref, name, dtype, tol=1e-4):
    """out has `dtype` (JAX's: float32 / complex64 without x64) and SciPy's float64 values."""
    out = out if isinstance(out, tuple) else (out,)
    ref = ref if isinstance(ref, tuple) else (ref,)
    dtype = dtype if isinstance(dtype, tuple) else (dtype,) * len(out)
    assert len(out) == len(ref), name
    for i, (o, r, dt) in enumerate(zip(out, ref, dtype)):
        o = np.asarray(o)
        assert o.dtype == dt and o.shape == np.shape(r), (name, i, o.dtype, o.shape)
        np.testing.assert_allclose(o, r, rtol=tol, atol=tol, err_msg=f"{name}[{i}]")


def _like_jax(out, ref, name, tol=2e-5):
    out = out if isinstance(out, tuple) else (out,)
    ref = ref if isinstance(ref, tuple) else (ref,)
    assert len(out) == len(ref), name
    for i, (o, r) in enumerate(zip(out, ref)):
        assert_like_jax(o, r, f"{name}[{i}]", rtol=tol, atol=tol)


def test_submodules_are_registered():
    assert irax.scipy.signal is isignal and irax.scipy.ndimage is indimage
    assert irax.scipy.optimize is ioptimize and istats.gaussian_kde is not None
    assert {"signal", "ndimage", "optimize"} <= set(dir(irax.scipy))
    for mod, jmod in [(isignal, jsignal), (indimage, jndimage), (ioptimize, joptimize)]:
        assert {n for n in dir(jmod) if not n.startswith("_")} <= set(dir(mod)), mod


# ---------------------------------------------------------------------------
# signal: convolutions


_SCIPY_CONV = {"convolve": scipy.signal.convolve, "correlate": scipy.signal.correlate,
               "fftconvolve": scipy.signal.fftconvolve, "convolve2d": scipy.signal.convolve2d,
               "correlate2d": scipy.signal.correlate2d}


@pytest.mark.parametrize("mode", MODES)
def test_convolutions_like_jax_and_scipy(mode):
    for i, (a, b) in enumerate(CONV_PAIRS):
        names = ["convolve", "correlate", "fftconvolve"]
        names += ["convolve2d", "correlate2d"] if a.ndim == 2 else []
        for name in names:
            out = getattr(isignal, name)(a, b, mode=mode)
            tag = f"{name} {mode} {a.shape} {b.shape}"
            if _scipy_agrees(mode, a, b):
                _like_scipy(out, _SCIPY_CONV[name](a.astype(float), b.astype(float), mode),
                            tag, np.float32, tol=1e-5)
            else:
                _like_jax(out, jax_ref(f"{name} {mode} {i}"), tag)
    for name, args in (("correlate2d", (ZK, ZX)), ("correlate", (ZX[0], ZK[0]))):
        out = getattr(isignal, name)(*args, mode=mode)
        _like_jax(out, jax_ref(f"complex {name} {mode}"), f"complex {name} {mode}", tol=1e-5)
    _like_scipy(isignal.convolve(X1, K1, mode=mode, method="fft"),
                scipy.signal.convolve(X1.astype(float), K1.astype(float), mode), "fft",
                np.float32, tol=1e-5)


def test_convolution_dtypes_axes_and_errors():
    ints = (np.arange(5), np.array([1, 1, 1]))
    # JAX: integer inputs give the default float
    for name in ("convolve", "fftconvolve"):
        out = getattr(isignal, name)(*ints)
        assert out.dtype == np.float32
        np.testing.assert_allclose(out, np.convolve(*ints), atol=1e-5)
    x2 = X2.astype(float)
    _like_scipy(isignal.fftconvolve(X2, X2[:, :3], axes=1),
                scipy.signal.fftconvolve(x2, x2[:, :3], axes=1), "axes=1", np.float32)
    _like_scipy(isignal.fftconvolve(X2, X2[:2], mode="same", axes=(0,)),
                scipy.signal.fftconvolve(x2, x2[:2], mode="same", axes=(0,)), "axes=0",
                np.float32)
    bad = [
        (lambda m: m.convolve(X1, K1, mode="bogus"), ValueError),
        (lambda m: m.convolve(X1, K2), ValueError),
        (lambda m: m.convolve(X1, K1, method="bogus"), ValueError),
        (lambda m: m.convolve(np.ones((2, 5)), np.ones((3, 2))), ValueError),
        (lambda m: m.convolve2d(X2, K2, boundary="wrap"), NotImplementedError),
        (lambda m: m.correlate2d(X2, K2, fillvalue=1.0), NotImplementedError),
        (lambda m: m.convolve2d(X1, K1), ValueError),
        (lambda m: m.fftconvolve(np.ones((2, 5)), np.ones((3, 2)), mode="valid"), ValueError),
        (lambda m: m.fftconvolve(X2, K2, axes=1), ValueError),
        (lambda m: m.fftconvolve(X1, K2), ValueError),
        (lambda m: m.detrend(SIG, type="quadratic"), ValueError),
        (lambda m: m.detrend(SIG, bp=[100]), ValueError),
        (lambda m: m.welch(SIG, nperseg=16, noverlap=16), ValueError),
        (lambda m: m.welch(SIG, nperseg=16, average="mode"), ValueError),
        (lambda m: m.welch(SIG, nperseg=16, scaling="power"), ValueError),
        (lambda m: m.stft(SIG, nperseg=16, boundary="periodic"), ValueError),
        (lambda m: m.istft(np.ones(5, np.complex64)), ValueError),
        (lambda m: m.istft(np.ones((9, 5), np.complex64), time_axis=0, freq_axis=0),
         ValueError),
    ]
    # the error types are JAX 0.10's (checked there once; JAX's eager calls are slow)
    for call, err in bad:
        with pytest.raises(err):
            call(isignal)


# ---------------------------------------------------------------------------
# signal: detrend and spectra


def test_detrend_like_jax_and_scipy():
    for kw in DETREND:
        _like_scipy(isignal.detrend(SIG, **kw), scipy.signal.detrend(SIG.astype(float), **kw),
                    f"detrend {kw}", np.float32, tol=2e-5)
    out = isignal.detrend(np.arange(6) ** 2)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, scipy.signal.detrend(np.arange(6.0) ** 2), atol=1e-5)


@pytest.mark.parametrize("case", range(len(SPECTRA)),
                         ids=[f"{c[0]}{i}" for i, c in enumerate(SPECTRA)])
def test_spectra_like_jax_and_scipy(case):
    name, args, kw = SPECTRA[case]
    out = getattr(isignal, name)(*args, **kw)
    # SciPy zero-pads the shorter signal as JAX does
    ref = getattr(scipy.signal, name)(*[a.astype(np.float64) for a in args], **kw)
    f32, c64 = np.dtype(np.float32), np.dtype(np.complex64)
    dtypes = {"welch": (f32, f32), "csd": (f32, c64), "stft": (f32, f32, c64)}[name]
    _like_scipy(out, ref, name, dtypes)


def test_istft_inverts_stft_like_jax():
    for kw, ikw in ISTFT:
        sig = SIG.T if kw.get("axis") == 0 else SIG
        z = isignal.stft(sig, **kw)[2]
        out = isignal.istft(z, **ikw)
        ref = scipy.signal.istft(np.asarray(z).astype(np.complex128), **ikw)
        x_dtype = np.float32 if ikw.get("input_onesided", True) else np.complex64
        _like_scipy(out, ref, f"istft {ikw}", (np.dtype(np.float32), np.dtype(x_dtype)))
    # an odd segment length without nfft fails in JAX (mul of incompatible shapes): the
    # same error type here
    z = np.asarray(isignal.stft(SIG, nperseg=15, noverlap=10)[2])
    with pytest.raises(TypeError):
        jsignal.istft(z, nperseg=15, noverlap=10)
    with pytest.raises(TypeError):
        isignal.istft(z, nperseg=15, noverlap=10)


def test_complex_input_switches_to_two_sided():
    z = (SIG + 1j * SIG2).astype(np.complex64)
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        out = isignal.welch(z, nperseg=16)
    assert any("two" in str(w.message) or "onesided" in str(w.message) for w in got)
    ref = scipy.signal.welch(z.astype(np.complex128), nperseg=16)
    assert out[0].dtype == np.float32 and out[1].dtype == np.float32
    for o, r in zip(out, ref):
        np.testing.assert_allclose(o, r, rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------------------
# ndimage


@pytest.mark.parametrize("order", [0, 1])
def test_map_coordinates_like_jax(order):
    # JAX's 'constant' and 'wrap' are SciPy's 'grid-constant' and 'grid-wrap'
    scipy_mode = {"constant": "grid-constant", "wrap": "grid-wrap"}
    img64 = IMG.astype(float)
    for mode in ND_MODES:
        sm = scipy_mode.get(mode, mode)
        ref = scipy.ndimage.map_coordinates(img64, COORDS, order=order, mode=sm, cval=1.5)
        _like_scipy(indimage.map_coordinates(IMG, COORDS, order, mode=mode, cval=1.5), ref,
                    mode, np.float32, tol=1e-5)
        # integer images: the float result rounded half away from zero, as JAX
        ints = (IMG * 10).astype(np.int32)
        ref = scipy.ndimage.map_coordinates(ints.astype(float), COORDS, order=order, mode=sm)
        _like_scipy(indimage.map_coordinates(ints, COORDS, order, mode=mode),
                    np.trunc(ref + np.copysign(0.5, ref)), "int " + mode, np.int32)
    icoords = [np.array([0, 3, -1, 4]), np.array([1, 4, 2, 7])]
    _like_scipy(indimage.map_coordinates(IMG, icoords, order, mode="wrap"),
                scipy.ndimage.map_coordinates(img64, icoords, order=order, mode="grid-wrap"),
                "int coords", np.float32, tol=1e-6)


def test_map_coordinates_errors():
    for mod in (jndimage, indimage):
        with pytest.raises(NotImplementedError):
            mod.map_coordinates(IMG, COORDS, 3)
        with pytest.raises(NotImplementedError):
            mod.map_coordinates(IMG, COORDS, 1, mode="grid-wrap")
        with pytest.raises(ValueError):
            mod.map_coordinates(IMG, COORDS[:1], 1)


# ---------------------------------------------------------------------------
# gradients against float64 central differences of SciPy


def test_convolve_grads_match_finite_differences():
    w = RNG.normal(size=9)                     # cotangent of the 'full' output

    def loss_ref(a, b):
        return float(np.sum(w * scipy.signal.convolve(a, b, "full")))

    ga, gb = irax.grad(lambda a, b: inp.sum(w.astype(np.float32) * isignal.convolve(a, b)),
                       argnums=(0, 1))(X1, K1)
    np.testing.assert_allclose(ga, central_fd(lambda a: loss_ref(a, K1.astype(float)), X1),
                               rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(gb, central_fd(lambda b: loss_ref(X1.astype(float), b), K1),
                               rtol=1e-4, atol=1e-4)
    w2 = RNG.normal(size=(4, 4))
    g = irax.grad(lambda a: inp.sum(w2.astype(np.float32)
                                    * isignal.correlate2d(a, K2, mode="valid")))(X2)
    ref = central_fd(lambda a: np.sum(w2 * scipy.signal.correlate2d(a, K2, "valid")), X2)
    np.testing.assert_allclose(g, ref, rtol=1e-4, atol=1e-4)


def test_map_coordinates_grads_match_finite_differences():
    # linear interpolation is smooth between the knots: keep the points off them
    pts = [np.array([0.3, 1.6, 2.45], np.float32), np.array([0.7, 3.2, 1.15], np.float32)]
    w = np.array([1.0, -2.0, 0.5])

    def ref_img(img):
        return float(np.sum(w * scipy.ndimage.map_coordinates(img, pts, order=1,
                                                              mode="nearest")))

    def ref_pts(flat):
        c = [flat[:3], flat[3:]]
        return float(np.sum(w * scipy.ndimage.map_coordinates(IMG.astype(float), c, order=1,
                                                              mode="nearest")))

    def loss(img, c0, c1):
        return inp.sum(w.astype(np.float32)
                       * indimage.map_coordinates(img, [c0, c1], 1, mode="nearest"))

    g_img, g0, g1 = irax.grad(loss, argnums=(0, 1, 2))(IMG, *pts)
    np.testing.assert_allclose(g_img, central_fd(ref_img, IMG), atol=1e-4)
    np.testing.assert_allclose(np.concatenate([g0, g1]),
                               central_fd(ref_pts, np.concatenate(pts), eps=1e-5),
                               rtol=1e-3, atol=1e-3)


# ---------------------------------------------------------------------------
# optimize


def _rosen(np_):
    return lambda x: np_.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)


_QA = np.array([[3.0, 1.0, 0.0], [1.0, 2.0, 0.5], [0.0, 0.5, 1.0]], np.float32)
_QB = np.array([1.0, -2.0, 0.5], np.float32)


def _quad(x, a, b):
    return 0.5 * x @ (a @ x) - b @ x


# JAX 0.10's results (float32), written as values
_JAX_BFGS = {
    "rosen": dict(x=[1.0000001192, 1.0000002384, 1.0000004768], success=True, status=0,
                  fun=7.105427357601002e-14, jac=[2.384e-07, 4.769e-07, 0.0],
                  hess_inv=[[0.09762833, 0.19325548, 0.38571754],
                            [0.19325529, 0.387512, 0.77349555],
                            [0.38571852, 0.77349788, 1.54932594]], nfev=25, njev=25, nit=16),
    "quad": dict(x=[0.9411764741, -1.8235294819, 1.4117646217], success=True, status=0,
                 fun=-2.6470589638, jac=[0.0, -2.384e-07, -1.192e-07],
                 hess_inv=[[0.41149655, -0.23488028, 0.1183542],
                           [-0.2348803, 0.7052443, -0.35401461],
                           [0.11835417, -0.35401461, 1.17460537]], nfev=7, njev=7, nit=5),
    "maxiter": dict(x=[1.1844002008, -1.7388002872, 1.4322001934], success=False, status=1,
                    fun=-2.5294601917, jac=[0.81440043, 0.42289966, 0.06280005],
                    hess_inv=[[0.61913216, 0.07677764, -0.10064341],
                              [0.07677757, 1.17286611, -0.68268996],
                              [-0.10064338, -0.68268996, 1.40568197]], nfev=3, njev=3, nit=2),
}


def _assert_result_like_jax(out, name, tol, counts=True):
    ref = _JAX_BFGS[name]
    assert type(out).__name__ == "OptimizeResults"
    assert out._fields == joptimize.OptimizeResults._fields
    assert np.asarray(out.success).dtype == np.bool_ and bool(out.success) == ref["success"]
    for field in ("status", "nfev", "njev", "nit"):
        assert np.asarray(getattr(out, field)).dtype == np.int32, field
    if counts:
        for field in ("status", "nfev", "njev", "nit"):
            assert int(getattr(out, field)) == ref[field], (name, field)
    else:
        assert int(out.status) == ref["status"] and abs(int(out.nit) - ref["nit"]) <= 2
    # a different step count changes the inverse-Hessian estimate, not the minimum
    for field in ("x", "fun", "jac", "hess_inv")[:4 if counts else 2]:
        o = np.asarray(getattr(out, field))
        assert o.dtype == np.float32 and o.shape == np.shape(ref[field]), (name, field)
        np.testing.assert_allclose(o, ref[field], rtol=tol, atol=tol, err_msg=f"{name}.{field}")


def test_minimize_bfgs_like_jax_float32():
    out = ioptimize.minimize(_rosen(inp), ROSEN_X0, method="BFGS")
    _assert_result_like_jax(out, "rosen", 2e-3)
    np.testing.assert_allclose(out.x, np.ones(3), atol=1e-5)
    q0 = np.zeros(3, np.float32)
    out = ioptimize.minimize(_quad, q0, (_QA, _QB), method="bfgs")
    _assert_result_like_jax(out, "quad", 1e-4)
    np.testing.assert_allclose(out.x, np.linalg.solve(_QA, _QB), atol=1e-5)
    out = ioptimize.minimize(_quad, q0, (_QA, _QB), method="BFGS", options=dict(maxiter=2))
    _assert_result_like_jax(out, "maxiter", 1e-4)


def test_minimize_bfgs_like_jax_float64(x64):
    # JAX 0.10's outputs under x64, written as values: from this start its line search
    # gives up (status 3) after 29 iterations; the same iterates here
    out = ioptimize.minimize(_rosen(inp), np.array([-1.2, 1.0, 0.3]), method="BFGS")
    np.testing.assert_allclose(out.x, [0.91986396, 0.84380778, 0.70224655], rtol=1e-7)
    np.testing.assert_allclose(out.fun, 0.04090182, rtol=1e-6)
    np.testing.assert_allclose(out.jac, [0.70142988, 2.51515012, -1.95300409], rtol=1e-6)
    assert out.x.dtype == out.fun.dtype == out.hess_inv.dtype == np.float64
    assert out.nit.dtype == out.status.dtype == out.nfev.dtype == np.int64
    assert (int(out.nit), int(out.nfev), int(out.njev), int(out.status), bool(out.success)) \
        == (29, 37, 37, 3, False)


def test_minimize_errors():
    for mod, np_ in ((joptimize, jjnp), (ioptimize, inp)):
        with pytest.raises(ValueError):
            mod.minimize(_rosen(np_), np.zeros(2, np.float32), method="Nelder-Mead")
        with pytest.raises(TypeError):
            mod.minimize(_quad, np.zeros(3, np.float32), [_QA, _QB], method="BFGS")


# ---------------------------------------------------------------------------
# stats.gaussian_kde

D1 = RNG.normal(size=30).astype(np.float32)
D2 = RNG.normal(size=(2, 40)).astype(np.float32)
W2 = RNG.uniform(size=40).astype(np.float32)
KDE_CASES = [((D1,), {}, np.linspace(-2, 2, 5).astype(np.float32)),
             ((D2,), dict(weights=W2, bw_method="silverman"),
              RNG.normal(size=(2, 6)).astype(np.float32)),
             ((D1,), dict(bw_method=0.3), np.linspace(-2, 2, 5).astype(np.float32))]


# JAX 0.10's kde.resample(jax.random.PRNGKey(3), (4,)) for each case, written as values
_JAX_RESAMPLE = [
    [[-1.887800931930542, -0.4379822611808777, 0.696586012840271, -1.3354017734527588]],
    [[-2.210094451904297, -0.3751526474952698, 0.6013889312744141, -1.9236499071121216],
     [-0.7440856695175171, 0.4918237030506134, 0.6086784601211548, -1.6115477085113525]],
    [[-1.5156567096710205, -0.4580554962158203, 0.7056998610496521, -1.3940021991729736]],
]


@pytest.mark.parametrize("case", range(len(KDE_CASES)))
def test_gaussian_kde_like_jax_and_scipy(case):
    args, kw, pts = KDE_CASES[case]
    kde = istats.gaussian_kde(*args, **kw)
    sp = scipy.stats.gaussian_kde(*[a.astype(np.float64) for a in args], **kw)
    p64 = pts.astype(np.float64)
    f32 = np.float32
    for name in ("evaluate", "pdf", "__call__"):
        _like_scipy(getattr(kde, name)(pts), sp(p64), name, f32, tol=1e-5)
    _like_scipy(kde.logpdf(pts), sp.logpdf(p64), "logpdf", f32, tol=1e-5)
    _like_scipy(kde.covariance, sp.covariance, "covariance", f32, tol=1e-5)
    _like_scipy(kde.inv_cov, np.linalg.inv(sp.covariance), "inv_cov", f32, tol=1e-4)
    _like_scipy(kde.neff, sp.neff, "neff", f32)
    _like_scipy(kde.weights, sp.weights, "weights", f32, tol=1e-6)
    assert (kde.d, kde.n) == (sp.d, sp.n)
    mean, cov = np.zeros(kde.d, np.float32), 0.5 * np.eye(kde.d, dtype=np.float32)
    _like_scipy(kde.integrate_gaussian(mean, cov), sp.integrate_gaussian(mean, cov), "intg",
                f32, tol=1e-5)
    _like_scipy(kde.integrate_kde(kde), sp.integrate_kde(sp), "integrate_kde", f32, tol=1e-5)
    _like_scipy(kde.resample(irax.random.PRNGKey(3), (4,)), np.array(_JAX_RESAMPLE[case]),
                "resample", f32, tol=1e-5)
    if kde.d == 1:
        _like_scipy(kde.integrate_box_1d(-0.5, 1.0), sp.integrate_box_1d(-0.5, 1.0), "box",
                    f32, tol=1e-5)


def test_gaussian_kde_errors():
    # the error types are JAX 0.10's (checked there once; JAX's eager calls are slow)
    mod = istats
    with pytest.raises(NotImplementedError):
        mod.gaussian_kde(D1.astype(np.complex64))
    with pytest.raises(ValueError):
        mod.gaussian_kde(np.ones(1, np.float32))
    with pytest.raises(ValueError):
        mod.gaussian_kde(D1, bw_method="wide")
    with pytest.raises(ValueError):
        mod.gaussian_kde(D1, weights=np.ones(3, np.float32))
    kde = mod.gaussian_kde(D2)
    with pytest.raises(ValueError):
        kde.integrate_box_1d(0.0, 1.0)
    with pytest.raises(ValueError):
        kde.evaluate(np.ones((3, 2), np.float32))
    with pytest.raises(NotImplementedError):
        kde.integrate_box(0.0, 1.0)
    with pytest.raises(NotImplementedError):
        kde.set_bandwidth("scott")


# ---------------------------------------------------------------------------
# every jit case in one compiled module


def test_jit_module_like_jax():
    """Every jit case in one compiled module, against SciPy and JAX's values."""
    pts = np.linspace(-2, 2, 5).astype(np.float32)

    def run(x1, k1, img, c0, c1, sig, start, data, pts):
        res = ioptimize.minimize(_rosen(inp), start, method="BFGS")
        kde = istats.gaussian_kde(data)          # built under jit: default weights constant
        return dict(
            conv=isignal.convolve(x1, k1, mode="same"),
            corr2=isignal.correlate2d(img, img[:2, :3]),
            fft=isignal.fftconvolve(x1, k1),
            mc=indimage.map_coordinates(img, [c0, c1], 1, mode="reflect"),
            welch=isignal.welch(sig, nperseg=16)[1],
            stft=isignal.stft(sig, nperseg=16)[2],
            istft=isignal.istft(isignal.stft(sig, nperseg=16)[2], nperseg=16)[1],
            csd=isignal.csd(sig, sig[::-1], nperseg=16)[1],
            detrend=isignal.detrend(sig, bp=[20]),
            res=res, logpdf=kde.logpdf(pts))

    out = irax.jit(run)(X1, K1, IMG, COORDS[0], COORDS[1], SIG, ROSEN_X0, D1, pts)
    x1, k1, img, sig = X1.astype(float), K1.astype(float), IMG.astype(float), SIG.astype(float)
    _like_scipy(out["conv"], scipy.signal.convolve(x1, k1, "same"), "conv", np.float32, 1e-5)
    _like_scipy(out["corr2"], scipy.signal.correlate2d(img, img[:2, :3]), "corr2", np.float32,
                1e-5)
    _like_scipy(out["fft"], scipy.signal.fftconvolve(x1, k1), "fft", np.float32, 1e-5)
    _like_scipy(out["mc"], scipy.ndimage.map_coordinates(img, COORDS, order=1, mode="reflect"),
                "mc", np.float32, 1e-5)
    _like_scipy(out["welch"], scipy.signal.welch(sig, nperseg=16)[1], "welch", np.float32)
    _like_scipy(out["stft"], scipy.signal.stft(sig, nperseg=16)[2], "stft", np.complex64)
    _like_scipy(out["istft"], sig, "istft", np.float32)
    _like_scipy(out["csd"], scipy.signal.csd(sig, sig[::-1], nperseg=16)[1], "csd",
                np.complex64)
    _like_scipy(out["detrend"], scipy.signal.detrend(sig, bp=[20]), "detrend", np.float32)
    # compiled float32 arithmetic may take a step more or less in Rosenbrock's valley
    _assert_result_like_jax(out["res"], "rosen", 2e-3, counts=False)
    _like_scipy(out["logpdf"], scipy.stats.gaussian_kde(D1.astype(float)).logpdf(pts),
                "logpdf", np.float32, 1e-5)
