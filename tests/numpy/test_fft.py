"""irax.numpy.fft and irax.lax.fft against numpy.fft (values, dtypes, shapes), JAX 0.10's
error types (written as values), gradients against float64 central finite differences,
vmap against a Python loop, and compiled modules (one on CPU, one under x64, one on Vulkan)
that cover the lowering's routes: IREE's stablehlo.fft (complex64, power-of-two 1-D) and
the DFT matrices (other lengths, several axes, RFFT/IRFFT, complex128)."""
from __future__ import annotations

import numpy as np
import pytest

import irax
import irax.numpy as jnp
from irax import lax
from irax.lowering.prims import fft as fft_lowering
from irax.lowering.rules import LoweringError
from irax.tracer.core import Array
from tests.finite_differences import central_fd

RNG = np.random.default_rng(7)
Z = (RNG.standard_normal((3, 6, 8)) + 1j * RNG.standard_normal((3, 6, 8))).astype(np.complex64)
R = RNG.standard_normal((3, 6, 8)).astype(np.float32)
H = np.fft.rfft(RNG.standard_normal((3, 6, 8)), axis=-1).astype(np.complex64) + 0.25j


def close(got, want, tol=2e-5, dtype=None):
    got = np.asarray(got)
    want = np.asarray(want)
    if dtype is not None:
        assert got.dtype == np.dtype(dtype), (got.dtype, dtype)
    assert got.shape == want.shape, (got.shape, want.shape)
    scale = max(1.0, float(np.max(np.abs(want)))) if want.size else 1.0
    np.testing.assert_allclose(got, want, rtol=0, atol=tol * scale)


# (name, irax call, numpy call, expected dtype): every transform with n/s/axes/norm variants
CASES = [
    ("fft", lambda m: m.fft.fft(Z), "complex64"),
    ("fft_n_crop_axis", lambda m: m.fft.fft(Z, n=5, axis=1), "complex64"),
    ("fft_n_pad_ortho", lambda m: m.fft.fft(Z, n=11, norm="ortho"), "complex64"),
    ("fft_forward", lambda m: m.fft.fft(Z, norm="forward"), "complex64"),
    ("fft_real_input", lambda m: m.fft.fft(R, axis=0), "complex64"),
    ("fft_int_input", lambda m: m.fft.fft(np.arange(6)), "complex64"),
    ("fft_float64_input", lambda m: m.fft.fft(R.astype(np.float64)), "complex64"),
    ("ifft", lambda m: m.fft.ifft(Z, axis=-2), "complex64"),
    ("ifft_ortho_n", lambda m: m.fft.ifft(Z, n=7, norm="ortho"), "complex64"),
    ("ifft_forward", lambda m: m.fft.ifft(Z, norm="forward"), "complex64"),
    ("rfft", lambda m: m.fft.rfft(R), "complex64"),
    ("rfft_odd_axis0", lambda m: m.fft.rfft(R, n=5, axis=0), "complex64"),
    ("rfft_int", lambda m: m.fft.rfft(np.arange(7)), "complex64"),
    ("irfft", lambda m: m.fft.irfft(H), "float32"),
    ("irfft_odd_n", lambda m: m.fft.irfft(H, n=9, norm="ortho"), "float32"),
    ("irfft_axis1_forward", lambda m: m.fft.irfft(H, n=4, axis=1, norm="forward"), "float32"),
    ("fft2", lambda m: m.fft.fft2(Z), "complex64"),
    ("fft2_s_axes", lambda m: m.fft.fft2(Z, s=(4, 5), axes=(0, 2)), "complex64"),
    ("ifft2", lambda m: m.fft.ifft2(Z, norm="ortho"), "complex64"),
    ("rfft2", lambda m: m.fft.rfft2(R), "complex64"),
    ("irfft2", lambda m: m.fft.irfft2(H), "float32"),
    ("irfft2_s", lambda m: m.fft.irfft2(H, s=(6, 7)), "float32"),
    ("fftn_all", lambda m: m.fft.fftn(Z), "complex64"),
    ("fftn_s", lambda m: m.fft.fftn(Z, s=(2, 3)), "complex64"),
    ("fftn_axes", lambda m: m.fft.fftn(Z, axes=(2, 0)), "complex64"),
    ("fftn_4d", lambda m: m.fft.fftn(Z.reshape(3, 2, 3, 8)), "complex64"),
    ("ifftn", lambda m: m.fft.ifftn(Z, s=(5, 4, 8), norm="forward"), "complex64"),
    ("rfftn", lambda m: m.fft.rfftn(R, axes=(0, 1)), "complex64"),
    ("irfftn", lambda m: m.fft.irfftn(H, s=(3, 6, 14)), "float32"),
    ("irfftn_4d", lambda m: m.fft.irfftn(H.reshape(3, 2, 3, 5)), "float32"),
    ("hfft", lambda m: m.fft.hfft(H), "float32"),
    ("hfft_n_ortho", lambda m: m.fft.hfft(H, n=7, axis=1, norm="ortho"), "float32"),
    ("ihfft", lambda m: m.fft.ihfft(R), "complex64"),
    ("ihfft_n_forward", lambda m: m.fft.ihfft(R, n=5, axis=0, norm="forward"), "complex64"),
    ("fftshift", lambda m: m.fft.fftshift(R), "float32"),
    ("fftshift_axes", lambda m: m.fft.fftshift(np.arange(15).reshape(3, 5), axes=1), "int32"),
    ("ifftshift", lambda m: m.fft.ifftshift(R, axes=(0, 2)), "float32"),
]


# numpy 2 warns when s= comes without axes= (the default, last len(s) axes, is JAX's too)
@pytest.mark.filterwarnings("ignore:`axes` should not be `None`:DeprecationWarning")
@pytest.mark.parametrize("name,call,dtype", CASES, ids=[c[0] for c in CASES])
def test_eager_matches_numpy(name, call, dtype):
    close(call(jnp), call(np), dtype=dtype)


def test_freqs_match_numpy_and_jax_dtypes():
    close(jnp.fft.fftfreq(5, 0.1), np.fft.fftfreq(5, 0.1), dtype="float32")
    close(jnp.fft.fftfreq(8), np.fft.fftfreq(8), dtype="float32")
    close(jnp.fft.rfftfreq(5, 0.1), np.fft.rfftfreq(5, 0.1), dtype="float32")
    close(jnp.fft.rfftfreq(8, 2.0), np.fft.rfftfreq(8, 2.0), dtype="float32")
    # JAX 0.10: an integer dtype truncates (jnp.fft.fftfreq(5, dtype=int32) == zeros)
    close(jnp.fft.fftfreq(5, dtype=jnp.int32), np.zeros(5, np.int32), dtype="int32")
    # d traced under jit
    got = irax.jit(lambda d: jnp.fft.fftfreq(6, d))(np.float32(0.5))
    close(got, np.fft.fftfreq(6, 0.5), dtype="float32")


def test_x64_dtypes_and_values(x64):
    z = Z.astype(np.complex128)
    close(jnp.fft.fft(z), np.fft.fft(z), 1e-12, dtype="complex128")
    close(jnp.fft.rfft(R.astype(np.float64)), np.fft.rfft(R.astype(np.float64)), 1e-12,
          dtype="complex128")
    close(jnp.fft.fft(np.arange(4)), np.fft.fft(np.arange(4)), dtype="complex128")
    close(jnp.fft.irfft(z), np.fft.irfft(z), 1e-12, dtype="float64")
    close(jnp.fft.fftfreq(4), np.fft.fftfreq(4), 1e-15, dtype="float64")
    # float32 stays complex64 under x64
    close(jnp.fft.fft(R), np.fft.fft(R), dtype="complex64")


def test_irfft_of_one_bin_is_empty():
    out = jnp.fft.irfft(np.ones(1, np.complex64))   # n defaults to 2 * (1 - 1) = 0
    assert out.shape == (0,) and out.dtype == np.float32


# ---------------------------------------------------------------------------
# lax.fft


def test_lax_fft_types_and_conversions():
    x = np.ones(4, np.float32)
    assert lax.FftType.IRFFT == 3 and lax.FftType.FFT.name == "FFT"
    for t in ("fft", "FFT", lax.FftType.FFT):
        close(lax.fft(Z, t, (6, 8)), np.fft.fftn(Z, axes=(1, 2)), dtype="complex64")
    close(lax.fft(Z, "ifft", (8,)), np.fft.ifft(Z), dtype="complex64")
    close(lax.fft(R, "rfft", (6, 8)), np.fft.rfftn(R, axes=(1, 2)), dtype="complex64")
    close(lax.fft(H, "irfft", (6, 9)), np.fft.irfftn(H, (6, 9), axes=(1, 2)),
          dtype="float32")
    close(lax.fft(x, "fft", (4,)), np.fft.fft(x), dtype="complex64")        # real -> complex
    close(lax.fft(np.ones(4, np.int32), "rfft", (4,)), np.fft.rfft(x), dtype="complex64")
    close(lax.fft(np.ones(3, np.float32), "irfft", (4,)), np.fft.irfft(np.ones(3), 4),
          dtype="float32")
    close(lax.fft(x, "fft", ()), x.astype(np.complex64), dtype="complex64")  # only converts


# what JAX 0.10 raises for each (see the module docstring)
ERRORS = [
    (lambda: jnp.fft.fft([1.0, 2.0]), TypeError),
    (lambda: jnp.fft.fftshift([1, 2, 3]), TypeError),
    (lambda: jnp.fft.rfft(Z), ValueError),
    (lambda: jnp.fft.fft(R, norm="bad"), ValueError),
    (lambda: jnp.fft.fft(R, axis=3), ValueError),
    (lambda: jnp.fft.fft(R, axis=(0,)), ValueError),
    (lambda: jnp.fft.fft(np.float32(3)), ValueError),
    (lambda: jnp.fft.fft(R, n=0), ValueError),
    (lambda: jnp.fft.fft(R, n=3.0), TypeError),
    (lambda: jnp.fft.fftn(R, s=(2,), axes=(0, 1)), ValueError),
    (lambda: jnp.fft.fftn(R, axes=(0, 0)), ValueError),
    (lambda: jnp.fft.fft2(R, axes=(0, 1, 2)), ValueError),
    (lambda: jnp.fft.fftfreq([5]), ValueError),
    (lambda: jnp.fft.rfftfreq(5, [0.1]), ValueError),
    (lambda: lax.fft(Z, "Fft", (8,)), ValueError),
    (lambda: lax.fft(Z, 0, (8,)), TypeError),
    (lambda: lax.fft(Z, "fft", (5,)), ValueError),
    (lambda: lax.fft(Z, "rfft", (8,)), ValueError),
    (lambda: lax.fft(np.ones(4, np.complex64), "fft", (1, 4)), ValueError),
    (lambda: lax.fft(np.ones(4, np.complex64), "irfft", (8,)), ValueError),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors_are_jax_types(i):
    call, exc = ERRORS[i]
    with pytest.raises(exc):
        call()


# ---------------------------------------------------------------------------
# The lowering's rewrite, evaluated eagerly (each primitive's NumPy rule), both routes


@pytest.mark.parametrize("route", ["matrices", "native_pow2", "bluestein"])
def test_lowering_rewrite_matches_numpy(route, monkeypatch):
    def nat(n, dt):
        return route != "matrices" and n & (n - 1) == 0 and dt == np.complex64
    if route == "bluestein":   # every length that is not a power of two
        monkeypatch.setattr(fft_lowering, "BLUESTEIN_FROM", 2)
    t = fft_lowering.FftType
    for shape in [(3, 6), (2, 4, 8), (2, 5, 3, 4), (4, 7), (3, 1), (2, 2), (2, 3)]:
        k = len(shape) - 1 if len(shape) > 2 else 1
        lengths, axes = shape[-k:], tuple(range(-k, 0))
        z = (RNG.standard_normal(shape) + 1j * RNG.standard_normal(shape)).astype(np.complex64)
        r = RNG.standard_normal(shape).astype(np.float32)
        h = np.fft.rfftn(r, axes=axes).astype(np.complex64) + 0.5j
        run = lambda x, typ: fft_lowering.decompose(Array(x), typ, lengths, nat).numpy()  # noqa: E731
        close(run(z, t.FFT), np.fft.fftn(z, axes=axes), dtype="complex64")
        close(run(z, t.IFFT), np.fft.ifftn(z, axes=axes), dtype="complex64")
        close(run(r, t.RFFT), np.fft.rfftn(r, axes=axes), dtype="complex64")
        close(run(h, t.IRFFT), np.fft.irfftn(h, lengths, axes=axes), dtype="float32")


def test_routes_chosen_by_length_and_refusal(x64):
    def text(n, dtype=np.complex64):
        return irax.jit(jnp.fft.fft).lower(np.zeros(n, dtype)).as_text()
    t = text(4096)              # a power of two: IREE's own op alone
    assert t.count("stablehlo.fft") == 1 and "dot_general" not in t
    t = text(1500)              # long, not a power of two: Bluestein (FFT, IFFT of 4096)
    assert t.count("stablehlo.fft") == 2 and "dot_general" not in t
    t = text(12)                # short: the DFT matrices
    assert "stablehlo.fft" not in t and "dot_general" in t
    with pytest.raises(LoweringError, match="power-of-two"):   # complex128: matrices only
        text(fft_lowering.MAX_MATRIX_LENGTH + 1, np.complex128)


# ---------------------------------------------------------------------------
# Derivatives (float64 central finite differences of real-valued losses) and vmap


def _complex_grad_fd(loss, z):
    """JAX's convention for a real loss of complex z: dL/dx - i dL/dy."""
    gx = central_fd(lambda x: loss(x + 1j * z.imag), z.real)
    gy = central_fd(lambda y: loss(z.real + 1j * y), z.imag)
    return gx - 1j * gy


GRAD_CASES = [
    ("fft", lambda m, z: m.fft.fft(z, n=7)),
    ("ifft2_ortho", lambda m, z: m.fft.ifft2(z, norm="ortho")),
    ("irfft_odd", lambda m, z: m.fft.irfft(z, n=5)),
    ("irfft_even", lambda m, z: m.fft.irfft(z, axis=0)),
    ("hfft", lambda m, z: m.fft.hfft(z)),
    ("rfft_of_real", lambda m, z: m.fft.rfft(m.real(z), n=6, axis=0)),
    ("rfftn_of_real", lambda m, z: m.fft.rfftn(m.real(z))),
    ("ihfft_of_real", lambda m, z: m.fft.ihfft(m.real(z))),
]


@pytest.mark.parametrize("name,f", GRAD_CASES, ids=[c[0] for c in GRAD_CASES])
def test_grad_vs_finite_differences(name, f, x64):
    z0 = (RNG.standard_normal((3, 4)) + 1j * RNG.standard_normal((3, 4)))
    y_shape = np.asarray(f(np, z0)).shape
    w = RNG.standard_normal(y_shape) + 1j * RNG.standard_normal(y_shape)

    def loss(m, z):   # a real loss mixing real and imaginary parts of the output
        y = f(m, z)
        return m.sum(m.real(y * m.conj(w)) + 0.5 * m.imag(y) ** 2)
    got = irax.grad(lambda z: loss(jnp, z))(z0)
    want = _complex_grad_fd(lambda z: loss(np, z), z0)
    np.testing.assert_allclose(np.asarray(got), want, atol=1e-6, rtol=1e-6)


def test_vmap_matches_loop():
    f = lambda z: (jnp.fft.fft(z, n=5), jnp.fft.irfft2(z), jnp.fft.rfft(jnp.real(z)))  # noqa: E731
    for axis in (0, 2):
        got = irax.vmap(f, in_axes=axis)(Z)
        for i in range(Z.shape[axis]):
            zi = np.take(Z, i, axis)
            for g, w in zip(got, (np.fft.fft(zi, n=5), np.fft.irfft2(zi),
                                  np.fft.rfft(zi.real))):
                close(np.asarray(g)[i], w)


# ---------------------------------------------------------------------------
# Compiled: one module per device covering both lowering routes, values, grad and vmap


def _module(z, r, h):
    return {
        "fft_native": jnp.fft.fft(z),                       # 8: stablehlo.fft
        "fft_pad_6to10": jnp.fft.fft(z, n=10, axis=1),      # complex pad + matrices
        "ifft_7": jnp.fft.ifft(z, n=7, norm="ortho"),
        "rfft_native": jnp.fft.rfft(r),
        "rfft_6": jnp.fft.rfft(r, axis=1),
        "irfft_native": jnp.fft.irfft(h, 8),
        "irfft_odd": jnp.fft.irfft(h, 9),
        "fft2": jnp.fft.fft2(z),
        "rfftn": jnp.fft.rfftn(r, axes=(1, 2)),
        "irfftn": jnp.fft.irfftn(h, s=(6, 8), axes=(1, 2)),
        "hfft": jnp.fft.hfft(h, norm="forward"),
        "grad_rfft": irax.grad(lambda x: jnp.sum(jnp.abs(jnp.fft.rfft(x, axis=1)) ** 2))(r),
        "vmap_fft_32": irax.vmap(lambda v: jnp.fft.fft(v, n=32))(r[0]),
        "shift": jnp.fft.fftshift(z, axes=(1,)),
        "bluestein_fft_150": jnp.fft.fft(z.reshape(3, 48), n=150),
        "bluestein_irfft_129": jnp.fft.irfft(z.reshape(3, 48), n=129, norm="ortho"),
    }


def _expected(z, r, h):
    zs = z.astype(np.complex128)
    # d/dr_j sum_k<m |X_k|^2 = 2 Re sum_k<m X_k e^{2 pi i jk/n} = 2 n Re ifft(X zero-padded)
    n = 6
    spectrum = np.concatenate([np.fft.rfft(r, axis=1), np.zeros((3, n - n // 2 - 1, 8))], 1)
    grad = 2 * n * np.real(np.fft.ifft(spectrum, axis=1))
    return {
        "fft_native": np.fft.fft(zs), "fft_pad_6to10": np.fft.fft(zs, n=10, axis=1),
        "ifft_7": np.fft.ifft(zs, n=7, norm="ortho"), "rfft_native": np.fft.rfft(r),
        "rfft_6": np.fft.rfft(r, axis=1), "irfft_native": np.fft.irfft(h, 8),
        "irfft_odd": np.fft.irfft(h, 9), "fft2": np.fft.fft2(zs),
        "rfftn": np.fft.rfftn(r, axes=(1, 2)), "irfftn": np.fft.irfftn(h, s=(6, 8), axes=(1, 2)),
        "hfft": np.fft.hfft(h, norm="forward"), "grad_rfft": grad,
        "vmap_fft_32": np.fft.fft(r[0], n=32), "shift": np.fft.fftshift(zs, axes=(1,)),
        "bluestein_fft_150": np.fft.fft(zs.reshape(3, 48), n=150),
        "bluestein_irfft_129": np.fft.irfft(zs.reshape(3, 48), n=129, norm="ortho"),
    }


def _check_module(device):
    got = irax.jit(_module, device=device)(Z, R, H)
    want = _expected(Z, R, H.astype(np.complex128))
    for k, w in want.items():
        g = np.asarray(got[k])
        assert g.dtype == (np.complex64 if w.dtype.kind == "c" else np.float32), (k, g.dtype)
        close(g, w, 1e-5 if "grad" not in k else 2e-5)


def test_jit_cpu_module():
    _check_module("cpu")


def test_jit_cpu_x64_complex128(x64):
    z = Z.astype(np.complex128)
    f = lambda z: (jnp.fft.fft(z), jnp.fft.irfft(z, 9), jnp.fft.rfft2(jnp.real(z)))  # noqa: E731
    got = irax.jit(f)(z)
    want = (np.fft.fft(z), np.fft.irfft(z, 9), np.fft.rfft2(z.real))
    for g, w in zip(got, want):
        assert np.asarray(g).dtype == w.dtype
        close(g, w, 1e-12)


@pytest.mark.vulkan
def test_jit_vulkan_module():
    _check_module("vulkan")
