"""Complex numbers: values and dtypes against NumPy, derivatives against hand-derived
formulas (JAX's conventions, its autodiff cookbook "Complex numbers and differentiation"),
and JAX itself as the oracle. One jit compile at the end checks the lowering.

Conventions, for z = x + iy:
  * grad of a real-valued f is df/dx - i df/dy (the conjugate of the usual gradient: grad
    is vjp with cotangent 1.0, and transposes do not conjugate);
  * grad/jacfwd/jacrev(holomorphic=True) of a holomorphic f give f'(z);
  * jvp is the real-linear map t -> df(z)[t].
"""
from __future__ import annotations

import numpy as np
import pytest

import irax
import irax.numpy as jnp
from irax import lax

jax = pytest.importorskip("jax")
jjnp = jax.numpy

Z = np.array([3 + 4j, -1 + 0.5j, 0.25 - 2j], np.complex64)


def close(got, want, tol=1e-5):
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


# ---------------------------------------------------------------------------
# Values and dtypes


def test_parts_conj_abs_angle_values_and_dtypes():
    z = jnp.asarray(Z)
    close(jnp.real(z), Z.real)
    close(jnp.imag(z), Z.imag)
    close(jnp.conj(z), np.conj(Z))
    close(jnp.abs(z), np.abs(Z))                # complex -> its real dtype
    close(jnp.angle(z), np.angle(Z))
    close(jnp.angle(z, deg=True), np.angle(Z, deg=True), 1e-4)
    close(z.real, Z.real)
    close(z.imag, Z.imag)
    close(z.conj(), np.conj(Z))
    close(lax.complex(jnp.asarray(Z.real), jnp.asarray(Z.imag)), Z)
    # Python scalars, as in the issue: jnp.real(3+4j) is 3, jnp.abs is 5.0 (float32)
    close(jnp.real(3 + 4j), np.float32(3))
    close(jnp.conj(3 + 4j), np.complex64(3 - 4j))
    close(jnp.abs(3 + 4j), np.float32(5))


def test_real_inputs_of_the_complex_functions():
    x = np.array([1.5, -2.0], np.float32)
    close(jnp.real(x), x)
    close(jnp.imag(x), np.zeros(2, np.float32))
    close(jnp.conj(x), x)
    close(jnp.angle(x), np.angle(x).astype(np.float32))
    close(jnp.imag(np.array([1, 2], np.int32)), np.zeros(2, np.int32))


def test_elementwise_ops_complex64_and_complex128(x64):
    for dt in (np.complex64, np.complex128):
        z = Z.astype(dt)
        w = (Z[::-1] * (0.5 + 1j)).astype(dt)
        a, b = jnp.asarray(z), jnp.asarray(w)
        tol = 1e-5 if dt == np.complex64 else 1e-12
        for got, want in [(a + b, z + w), (a - b, z - w), (a * b, z * w), (a / b, z / w),
                          (jnp.exp(a), np.exp(z)), (jnp.log(a), np.log(z)),
                          (jnp.sqrt(a), np.sqrt(z)), (jnp.sin(a), np.sin(z)),
                          (jnp.tanh(a), np.tanh(z)), (a ** 3, z ** 3), (jnp.sign(a), np.sign(z)),
                          (jnp.sum(a), np.sum(z)), (jnp.vdot(a, b), np.vdot(z, w)),
                          (jnp.dot(a, b), np.dot(z, w)), (jnp.abs(a), np.abs(z)),
                          (jnp.isfinite(a), np.isfinite(z)), (jnp.isinf(a), np.isinf(z))]:
            close(got, want, tol)


def test_complex_promotion_and_conversion():
    f = jnp.ones(2, jnp.float32)
    assert (f * 1j).dtype == np.complex64 and not (f * 1j).weak_type      # as JAX
    i = jnp.ones(2, jnp.int32)
    assert (i * 1j).dtype == np.complex64 and (i * 1j).weak_type
    close(lax.convert_element_type(jnp.asarray(Z), np.float32), Z.real)   # the real part
    close(lax.convert_element_type(jnp.asarray(Z.real), np.complex64), Z.real.astype(np.complex64))


def test_lexicographic_comparisons_and_clip_refusal():
    a = jnp.asarray(np.array([1 + 2j, 1 + 3j, 2 + 0j], np.complex64))
    b = jnp.asarray(np.array([1 + 3j, 1 + 3j, 1 + 9j], np.complex64))
    np.testing.assert_array_equal(jnp.less(a, b), [True, False, False])
    np.testing.assert_array_equal(jnp.less_equal(a, b), [True, True, False])
    np.testing.assert_array_equal(a > b, [False, False, True])
    close(jnp.maximum(a, b), np.array([1 + 3j, 1 + 3j, 2 + 0j], np.complex64))
    with pytest.raises(ValueError, match="complex"):
        jnp.clip(a, 0, 1)


def test_vmap_of_complex_functions():
    f = lambda z: jnp.abs(z) + jnp.real(z * jnp.conj(z)) + jnp.angle(z)  # noqa: E731
    got = irax.vmap(f)(jnp.asarray(Z))
    close(got, np.abs(Z) + np.abs(Z) ** 2 + np.angle(Z), 1e-5)


# ---------------------------------------------------------------------------
# Derivatives: hand-derived


def test_grad_of_real_valued_function_is_conjugate_gradient():
    # f = |z|^2 = x^2 + y^2: df/dx - i df/dy = 2x - 2iy = 2 conj(z)   (issue: 6-8j)
    g = irax.grad(lambda z: jnp.real(z * jnp.conj(z)))(3 + 4j)
    close(np.asarray(g), np.complex64(6 - 8j))
    # f = |z|: (x - iy)/|z|
    close(irax.grad(jnp.abs)(3 + 4j), np.complex64(0.6 - 0.8j))
    # f = Re(sin z) = sin x cosh y: d/dx = cos x cosh y, d/dy = sin x sinh y
    x, y = 1.0, 2.0
    want = np.cos(x) * np.cosh(y) - 1j * np.sin(x) * np.sinh(y)
    close(irax.grad(lambda z: jnp.real(jnp.sin(z)))(1 + 2j), np.complex64(want))
    # f = Im(z^2) = 2xy: 2y - 2ix
    close(irax.grad(lambda z: jnp.imag(z ** 2))(1 + 2j), np.complex64(4 - 2j))
    # a real input through complex intermediates: Re(exp(ix)) = cos x -> -sin x
    close(irax.grad(lambda t: jnp.real(jnp.exp(1j * t)))(0.5), np.float32(-np.sin(0.5)))


def test_holomorphic_grad_jacfwd_jacrev_hessian():
    z = jnp.asarray(Z)
    close(irax.grad(lambda z: z ** 2, holomorphic=True)(3 + 4j), np.complex64(6 + 8j))
    close(irax.grad(lambda z: jnp.sin(z) * z, holomorphic=True)(1 + 2j),
          np.complex64(np.cos(1 + 2j) * (1 + 2j) + np.sin(1 + 2j)), 1e-4)
    want = np.diag(3 * Z ** 2)
    close(irax.jacfwd(lambda z: z ** 3, holomorphic=True)(z), want, 1e-5)
    close(irax.jacrev(lambda z: z ** 3, holomorphic=True)(z), want, 1e-5)
    close(irax.hessian(lambda z: z ** 3, holomorphic=True)(2 + 1j), np.complex64(6 * (2 + 1j)))
    close(irax.hessian(lambda z: jnp.sum(z ** 3), holomorphic=True)(z), np.diag(6 * Z), 1e-5)


def test_jvp_and_vjp_of_the_parts_and_abs():
    z = jnp.asarray(Z)
    t = jnp.asarray(np.array([1 + 0j, 0.5j, -1 + 1j], np.complex64))
    # d|z|[t] = Re(conj(z) t) / |z|
    _, jt = irax.jvp(jnp.abs, (z,), (t,))
    close(jt, (np.real(np.conj(Z) * np.asarray(t)) / np.abs(Z)).astype(np.float32))
    # at 0 the derivative is taken as 0 (as JAX)
    close(irax.jvp(jnp.abs, (jnp.complex64(0),), (jnp.complex64(1),))[1], np.float32(0))
    ones = np.ones(3, np.float32)
    close(irax.vjp(jnp.real, z)[1](ones)[0], ones.astype(np.complex64))
    close(irax.vjp(jnp.imag, z)[1](ones)[0], np.full(3, -1j, np.complex64))
    close(irax.vjp(jnp.conj, z)[1](t)[0], np.conj(np.asarray(t)))
    cx, cy = irax.vjp(lax.complex, jnp.asarray(Z.real), jnp.asarray(Z.imag))[1](z)
    close(cx, Z.real)
    close(cy, -Z.imag)


def test_jvp_matches_finite_differences_for_a_nonholomorphic_function(x64):
    f = lambda z: jnp.abs(z) ** 2 * jnp.conj(z) + jnp.exp(jnp.imag(z))  # noqa: E731
    z0 = np.array([0.3 + 0.7j, -1.2 + 0.1j])
    t = np.array([0.2 - 0.5j, 1.0 + 0.3j])
    eps = 1e-6
    fd = (np.asarray(f(jnp.asarray(z0 + eps * t))) - np.asarray(f(jnp.asarray(z0 - eps * t)))) / (2 * eps)
    _, jt = irax.jvp(f, (jnp.asarray(z0),), (jnp.asarray(t),))
    np.testing.assert_allclose(np.asarray(jt), fd, rtol=1e-7, atol=1e-7)


# ---------------------------------------------------------------------------
# JAX as the oracle (values and errors)


def _both(make):
    return make(irax, jnp, lax), make(jax, jjnp, jax.lax)


@pytest.mark.parametrize("case", [
    "abs", "angle", "real_sin", "holo_grad", "jacfwd_holo", "jacrev_holo", "jacrev_real_out",
    "jacfwd_real_in", "hessian_holo", "vjp_abs", "grad_angle"])
def test_derivatives_agree_with_jax(case):
    def make(ax, np_, lx):
        z = np_.asarray(Z)
        return {
            "abs": lambda: ax.grad(lambda z: np_.abs(z))(3 + 4j),
            "angle": lambda: ax.grad(lambda z: np_.angle(z))(3 + 4j),
            "real_sin": lambda: ax.grad(lambda z: np_.real(np_.sin(z) * np_.conj(z)))(1 - 2j),
            "holo_grad": lambda: ax.grad(lambda z: np_.exp(z) / z, holomorphic=True)(1 + 1j),
            "jacfwd_holo": lambda: ax.jacfwd(lambda z: np_.sin(z) * z, holomorphic=True)(z),
            "jacrev_holo": lambda: ax.jacrev(lambda z: np_.sin(z) * z, holomorphic=True)(z),
            "jacrev_real_out": lambda: ax.jacrev(lambda z: np_.abs(z) ** 2)(z),
            "jacfwd_real_in": lambda: ax.jacfwd(lambda x: np_.exp(1j * x))(np_.asarray(Z.real)),
            "hessian_holo": lambda: ax.hessian(lambda z: np_.sum(z ** 4), holomorphic=True)(z),
            "vjp_abs": lambda: ax.vjp(np_.abs, z)[1](np_.ones(3, np.float32))[0],
            "grad_angle": lambda: ax.grad(lambda z: np_.angle(z) * np_.abs(z))(-1 + 0.5j),
        }[case]()
    got, want = _both(make)
    close(np.asarray(got), np.asarray(want), 1e-5)


@pytest.mark.parametrize("case", [
    "grad_complex_out", "holo_real_in", "holo_real_out", "jacfwd_complex_in",
    "jacrev_complex_out", "jacfwd_holo_real_out"])
def test_complex_dtype_errors_agree_with_jax(case):
    def make(ax, np_, lx):
        return {
            "grad_complex_out": lambda: ax.grad(lambda z: z ** 2)(3 + 4j),
            "holo_real_in": lambda: ax.grad(lambda z: z ** 2, holomorphic=True)(3.0),
            "holo_real_out": lambda: ax.grad(np_.abs, holomorphic=True)(3 + 1j),
            "jacfwd_complex_in": lambda: ax.jacfwd(lambda z: z ** 2)(np_.asarray(Z)),
            "jacrev_complex_out": lambda: ax.jacrev(lambda z: z ** 2)(np_.asarray(Z)),
            "jacfwd_holo_real_out": lambda: ax.jacfwd(np_.abs, holomorphic=True)(np_.asarray(Z)),
        }[case]
    ours, theirs = _both(make)
    with pytest.raises(TypeError) as jax_error:
        theirs()
    with pytest.raises(TypeError) as irax_error:
        ours()
    # the same explanation: which dtype is wrong, and the holomorphic hint where JAX gives it
    mine, jaxs = str(irax_error.value), str(jax_error.value)
    for phrase in ("holomorphic=True", "complex dtype", "real-valued", "float32", "complex64"):
        assert (phrase in mine) == (phrase in jaxs), (phrase, mine, jaxs)


# ---------------------------------------------------------------------------
# Under jit: the lowering has stablehlo.real / imag / complex, values match eager


def test_complex_under_jit_lowers_to_stablehlo_complex_ops():
    pytest.importorskip("iree.compiler")

    def f(z, x):
        w = lax.complex(x, 2.0 * x)
        parts = jnp.real(z) * jnp.imag(w) + jnp.abs(z) + jnp.angle(z)
        return jnp.conj(z * w) + parts, jnp.abs(w), lax.convert_element_type(z, np.float32)

    z, x = jnp.asarray(Z), jnp.asarray(np.array([0.5, -1.0, 2.0], np.float32))
    text = irax.jit(f).lower(z, x).as_text()
    for op in ("stablehlo.real", "stablehlo.imag", "stablehlo.complex", "stablehlo.abs"):
        assert op in text, op
    got = irax.jit(f)(z, x)
    want = f(z, x)
    for g, w in zip(got, want):
        close(np.asarray(g), np.asarray(w), 1e-5)


def test_complex128_stays_complex128_under_jit(x64):
    pytest.importorskip("iree.compiler")
    z = np.array([1 / 3 + 1e-9j, 2 - 1j])      # digits float32 would lose
    out = irax.jit(lambda z: (z * z + 1 / 3, jnp.abs(z), jnp.imag(z)))(jnp.asarray(z))
    close(np.asarray(out[0]), z * z + 1 / 3, 1e-15)
    close(np.asarray(out[1]), np.abs(z), 1e-15)
    close(np.asarray(out[2]), z.imag, 1e-15)


def test_complex_max_min_bool_and_argmax_as_jax():
    # JAX 0.10: lexicographic order (real part, then imaginary part); a NaN real part wins
    x = np.array([1 + 2j, 1 + 3j, 0 + 9j], np.complex64)
    with_nan = np.array([1 + 2j, np.nan + 0j, 0 + 9j], np.complex64)
    for run in (lambda f, v: f(v), lambda f, v: irax.jit(f)(v)):
        assert complex(run(jnp.max, x)) == 1 + 3j
        assert complex(run(jnp.min, x)) == 9j
    got = complex(jnp.max(with_nan))
    assert np.isnan(got.real) and got.imag == 0.0
    # a complex number is True when either part is nonzero
    z = np.array([0j, -0.0 - 0.5j, 2 + 0j, 0j + 0j], np.complex64)
    np.testing.assert_array_equal(np.asarray(z.astype(bool)), [False, True, True, False])
    np.testing.assert_array_equal(np.asarray(jnp.asarray(z).astype(bool)),
                                  [False, True, True, False])
    np.testing.assert_array_equal(np.asarray(jnp.logical_or(z, z)), [False, True, True, False])
    with pytest.raises(TypeError):
        jnp.argmax(x)
