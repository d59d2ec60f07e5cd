"""complex128 under jit on llvm-cpu: the transcendental functions go through their float64
parts (irax/lowering/c128_math.py) and complex128 constants and broadcasts are split
(IREE 3.13 compiles neither directly). Values against mpmath at 50 digits (NumPy's complex
log1p/expm1 are exp(z) - 1 and log(1 + z), inaccurate near 0), and NumPy for the rest."""
from __future__ import annotations

import mpmath
import numpy as np

import irax
import irax.numpy as jnp

MPMATH = {"exp": mpmath.exp, "log": mpmath.log, "sqrt": mpmath.sqrt, "sin": mpmath.sin,
          "cos": mpmath.cos, "tan": mpmath.tan, "tanh": mpmath.tanh, "sinh": mpmath.sinh,
          "cosh": mpmath.cosh, "log1p": mpmath.log1p, "expm1": mpmath.expm1,
          "arcsin": mpmath.asin, "arctan": mpmath.atan, "arcsinh": mpmath.asinh,
          "arctanh": mpmath.atanh}
FUNCS = sorted(MPMATH)

# the real and imaginary axes, both signs, tiny and large parts, the unit circle
_RE = np.array([0.0, 1e-12, -1e-12, 0.3, -0.7, 1.0, -2.5, 4.0, 20.0, -20.0])
Z = (_RE[:, None] + 1j * _RE[None, :]).ravel()


def _reference(name, z):
    """mpmath's value, where it is defined and finite; off the branch cuts only (on a cut
    the side is decided by the sign of a zero, which mpmath does not carry)."""
    with mpmath.workdps(50):
        try:
            v = complex(MPMATH[name](mpmath.mpc(z.real, z.imag)))
        except (ValueError, ZeroDivisionError, OverflowError):
            return np.nan
    on_cut = z.imag == 0 and (
        (name in ("log", "sqrt") and z.real < 0) or (name == "log1p" and z.real < -1) or
        (name in ("arcsin", "arctanh") and abs(z.real) > 1)) or \
        (z.real == 0 and name in ("arctan", "arcsinh") and abs(z.imag) > 1)
    return np.nan if on_cut else v


def _module(z, w):
    outs = {name: getattr(jnp, name)(z) for name in FUNCS}
    outs["power"] = z ** w
    outs["power_real_exponent"] = z ** 0.5
    # a complex128 constant broadcast into a loop carry, and a constant array
    outs["loop"] = irax.lax.fori_loop(0, 3, lambda i, c: c * z[:2],
                                      jnp.full((2,), 1.0 + 1.0j, jnp.complex128))
    outs["const"] = z[:2] * jnp.asarray(np.array([1 + 1j, 2 - 1j]))
    return outs


def test_complex128_functions_compile_and_match_numpy(x64):
    w = (0.5 - 0.25j) * np.ones_like(Z)
    nonzero = Z != 0
    got = irax.jit(_module)(jnp.asarray(Z), jnp.asarray(w))
    with np.errstate(all="ignore"):
        for name in FUNCS:
            want = np.array([_reference(name, z) for z in Z])
            out = np.asarray(got[name])
            assert out.dtype == np.complex128, name
            finite = np.isfinite(want) & (np.abs(want) < 1e300)
            if name in ("log", "arctanh"):   # branch points (0; +-1) are outside the grid
                finite &= nonzero
            np.testing.assert_allclose(out[finite], want[finite], rtol=1e-11, atol=1e-300,
                                       err_msg=name)
        want = Z[nonzero] ** w[nonzero]
        np.testing.assert_allclose(np.asarray(got["power"])[nonzero], want, rtol=1e-11)
        np.testing.assert_allclose(np.asarray(got["power_real_exponent"]), np.sqrt(Z),
                                   rtol=1e-11, atol=1e-300)
    np.testing.assert_allclose(np.asarray(got["loop"]), (1 + 1j) * Z[:2] ** 3, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(got["const"]), Z[:2] * np.array([1 + 1j, 2 - 1j]))
