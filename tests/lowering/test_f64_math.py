"""float64 elementary functions stay float64 and accurate on every target
(irax/lowering/f64_math.py: IREE 3.13 cannot link float64 sin/cos/tan/tanh/atan2/cbrt on
llvm-cpu, and its float64 expm1/log1p are exp(x) - 1 / log(1 + x))."""
from __future__ import annotations

import math

import numpy as np

import irax
import irax.numpy as jnp
from irax import grad, jit, vmap

from .test_lowering import _cli_compile

# name -> (irax function, NumPy float64 reference, input kind)
FUNCS = {
    "sin": (jnp.sin, np.sin, "x"), "cos": (jnp.cos, np.cos, "x"), "tan": (jnp.tan, np.tan, "x"),
    "tanh": (jnp.tanh, np.tanh, "big"), "sinh": (jnp.sinh, np.sinh, "big"),
    "cosh": (jnp.cosh, np.cosh, "big"), "arctan": (jnp.arctan, np.arctan, "x"),
    "arcsin": (jnp.arcsin, np.arcsin, "unit"), "arccos": (jnp.arccos, np.arccos, "unit"),
    "arcsinh": (jnp.arcsinh, np.arcsinh, "x"), "arccosh": (jnp.arccosh, np.arccosh, "ge1"),
    "arctanh": (jnp.arctanh, np.arctanh, "unit"), "expm1": (jnp.expm1, np.expm1, "big"),
    "log1p": (jnp.log1p, np.log1p, "gtm1"), "exp2": (jnp.exp2, np.exp2, "big"),
    "cbrt": (jnp.cbrt, np.cbrt, "x"),
}


def _inputs():
    rng = np.random.default_rng(0)
    small = np.array([0.0, -0.0, 1e-300, -1e-300, 1e-20, -1e-20, 1e-10, -1e-10, 1e-5, 0.5,
                      -0.5, 1.0, -1.0, 2.0, np.pi / 2, -np.pi, 1e3, -1e3, 12345.678])
    x = np.concatenate([small, rng.uniform(-5, 5, 300), rng.uniform(-1e3, 1e3, 100),
                        rng.uniform(-1e5, 1e5, 50),
                        10.0 ** rng.uniform(-20, 2, 50) * rng.choice([-1, 1], 50)])
    unit = np.concatenate([rng.uniform(-1, 1, 400), [1.0, -1.0, 0.0, -0.0, 1e-20,
                                                      0.9999999999, -0.9999999999, 1.5]])
    big = np.concatenate([x, rng.uniform(-720, 720, 60),
                          [709.7, -709.7, 710.4, -710.4, 800.0, -745.0, 1023.7, 1e10]])
    special = np.array([np.inf, -np.inf, np.nan])
    kinds = {"x": x, "unit": unit, "big": big, "ge1": 1 + np.abs(x),
             "gtm1": np.concatenate([np.abs(x), unit, [-1.0, 1e300]])}
    return {k: np.concatenate([v, special]) for k, v in kinds.items()}


def _check(name, got, want, x, rtol=1e-13):
    got = np.asarray(got)
    assert got.dtype == np.float64, name
    fin = np.isfinite(want)
    # results that are finite and not subnormal: relative error (IREE flushes subnormals)
    normal = fin & (np.abs(want) >= np.finfo(np.float64).tiny)
    np.testing.assert_allclose(got[normal], want[normal], rtol=rtol, atol=0,
                               err_msg=f"float64 {name}")
    np.testing.assert_allclose(got[fin & ~normal], want[fin & ~normal], atol=1e-300)
    # inf / nan exactly where NumPy has them, signed zeros as NumPy
    np.testing.assert_array_equal(got[~fin], want[~fin], err_msg=f"float64 {name} at {x[~fin]}")
    zero = want == 0
    np.testing.assert_array_equal(np.signbit(got[zero]), np.signbit(want[zero]),
                                  err_msg=f"float64 {name}: sign of zero")


def test_f64_transcendentals_match_numpy_float64(x64):
    ins = _inputs()
    names = list(FUNCS)
    args = [ins[FUNCS[n][2]] for n in names]
    outs = jit(lambda *a: [FUNCS[n][0](v) for n, v in zip(names, a)])(*args)
    for n, v, got in zip(names, args, outs):
        with np.errstate(all="ignore"):
            want = FUNCS[n][1](v)
        _check(n, got, want, v)


def test_f64_arctan2_quadrants_zeros_and_infinities(x64):
    rng = np.random.default_rng(1)
    sp = [0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 1e-300, 1e300]
    ys, xs = np.meshgrid(sp, sp)
    y = np.concatenate([rng.uniform(-5, 5, 200), ys.ravel()])
    x = np.concatenate([rng.uniform(-5, 5, 200), xs.ravel()])
    got = jit(jnp.arctan2)(y, x)
    _check("arctan2", got, np.arctan2(y, x), x)


def test_f64_grad_matches_analytic(x64):
    x = np.linspace(-0.9, 0.9, 7) + 0.013
    fs = {"sin": (jnp.sin, np.cos), "cos": (jnp.cos, lambda v: -np.sin(v)),
          "tan": (jnp.tan, lambda v: 1 / np.cos(v) ** 2),
          "tanh": (jnp.tanh, lambda v: 1 - np.tanh(v) ** 2),
          "arctan": (jnp.arctan, lambda v: 1 / (1 + v * v)),
          "arcsin": (jnp.arcsin, lambda v: 1 / np.sqrt(1 - v * v)),
          "sinh": (jnp.sinh, np.cosh), "expm1": (jnp.expm1, np.exp),
          "log1p": (jnp.log1p, lambda v: 1 / (1 + v)),
          "arctan2": (lambda v: jnp.arctan2(v, 2.0), lambda v: 2 / (4 + v * v))}
    grads = jit(lambda v: [vmap(grad(f))(v) for f, _ in fs.values()])(x)
    for (name, (_, d)), g in zip(fs.items(), grads):
        assert np.asarray(g).dtype == np.float64
        np.testing.assert_allclose(np.asarray(g), d(x), rtol=1e-13, err_msg=f"d/dx {name}")


def test_f64_text_is_f64_and_accepted_by_iree_compile(x64, tmp_path):
    x = np.linspace(0.1, 0.9, 4)

    def f(v):
        return [fn(v) for fn, _, _ in FUNCS.values()] + [jnp.arctan2(v, v + 1)]
    text = jit(f).lower(x).as_text()
    assert "f64" in text and "f32" not in text
    for op in ("stablehlo.sine", "stablehlo.cosine", "stablehlo.tan", "stablehlo.tanh",
               "stablehlo.atan2", "chlo.", "stablehlo.cbrt", "exponential_minus_one",
               "log_plus_one"):
        assert op not in text, op
    _cli_compile(text, tmp_path, ["--iree-input-demote-f64-to-f32=false"])


def test_f32_lowering_is_unchanged():
    text = jit(lambda v: jnp.sin(v) + jnp.tanh(v)).lower(np.ones(3, np.float32)).as_text()
    assert "stablehlo.sine" in text and "stablehlo.tanh" in text
