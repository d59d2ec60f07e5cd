"""Low-precision dtypes (bfloat16, the float8s, int4, ...) and jnp.ufunc / jnp.frompyfunc.

Oracles: JAX 0.10 (installed, test-only) for the promotion table, the dtype queries, the
printed forms and bit-exact bfloat16 values (XLA on CPU rounds every bfloat16 op); NumPy
references computed in float32 and rounded with ml_dtypes for the values; NumPy's ufunc
methods for jnp.ufunc. Each compiled check is one jitted function over many cases.
"""
from __future__ import annotations

import itertools
import warnings

import jax
import jax.numpy as jjnp
import ml_dtypes
import numpy as np
import pytest

import irax
import irax.numpy as jnp
from irax import dtypes as idt
from irax.runtime.compiler import CompileError

BF16 = np.dtype(ml_dtypes.bfloat16)
F8 = (np.dtype(ml_dtypes.float8_e4m3fn), np.dtype(ml_dtypes.float8_e5m2))
LOW_NAMES = ["bfloat16", "float8_e3m4", "float8_e4m3", "float8_e4m3b11fnuz", "float8_e4m3fn",
             "float8_e4m3fnuz", "float8_e5m2", "float8_e5m2fnuz", "float8_e8m0fnu",
             "float4_e2m1fn", "float6_e2m3fn", "float6_e3m2fn", "int1", "int2", "int4",
             "uint1", "uint2", "uint4"]

PROMO_NAMES = ["bool", "uint8", "uint16", "uint32", "int8", "int16", "int32", "float16",
               "float32", "complex64", "bfloat16", "float8_e4m3fn", "float8_e5m2", "int4",
               "uint4", "float4_e2m1fn"]


def _dt(name):
    return np.dtype(getattr(ml_dtypes, name)) if hasattr(ml_dtypes, name) else np.dtype(name)


def _round(x, dt):
    """float32 -> dt (round to nearest even) -> float32: the reference's per-op rounding."""
    return np.asarray(x, np.float32).astype(dt).astype(np.float32)


def _f32(x):
    return np.asarray(x).astype(np.float32)


# ---------------------------------------------------------------------------
# names, queries, promotion


def test_names_exist_and_are_jax_types():
    for name in LOW_NAMES:
        if not hasattr(jjnp, name) or getattr(jjnp, name) is None:
            continue
        ours = getattr(jnp, name)
        assert np.dtype(ours) == np.dtype(getattr(jjnp, name)), name
        assert ours.dtype.name == name
        # jnp.bfloat16(1.5) is a 0-d array of that dtype, as in JAX
        assert jnp.asarray(ours(1)).dtype == np.dtype(getattr(jjnp, name)), name


QUERIES = {
    "issubdtype_bf16_floating": lambda m, d: m.issubdtype(m.bfloat16, np.floating),
    "issubdtype_bf16_inexact": lambda m, d: m.issubdtype(m.bfloat16, np.inexact),
    "issubdtype_f8_floating": lambda m, d: m.issubdtype(m.float8_e4m3fn, np.floating),
    "issubdtype_i4_signed": lambda m, d: m.issubdtype(m.int4, np.signedinteger),
    "issubdtype_u4_integer": lambda m, d: m.issubdtype(m.uint4, np.integer),
    "issubdtype_u4_signed": lambda m, d: m.issubdtype(m.uint4, np.signedinteger),
    "issubdtype_bf16_bf16": lambda m, d: m.issubdtype(m.bfloat16, m.bfloat16),
    "issubdtype_bf16_f16": lambda m, d: m.issubdtype(m.bfloat16, np.float16),
    "isdtype_bf16_real": lambda m, d: m.isdtype(m.bfloat16, "real floating"),
    "isdtype_i4_integral": lambda m, d: m.isdtype(m.int4, "integral"),
    "finfo_bf16": lambda m, d: tuple(float(getattr(m.finfo(m.bfloat16), k))
                                     for k in ("eps", "max", "min", "tiny", "resolution")),
    "finfo_f8": lambda m, d: (float(m.finfo(m.float8_e4m3fn).max),
                              int(m.finfo(m.float8_e5m2).bits)),
    "iinfo_i4": lambda m, d: (int(m.iinfo(m.int4).min), int(m.iinfo(m.int4).max)),
    "canonicalize_bf16": lambda m, d: d.canonicalize_dtype(m.bfloat16),
    "result_type_bf16_weak": lambda m, d: d.result_type(m.bfloat16, 1.0,
                                                        return_weak_type_flag=True),
    "result_type_bf16_f16": lambda m, d: d.result_type(m.bfloat16, np.float16),
    "result_type_i32_bf16": lambda m, d: d.result_type(np.int32, m.bfloat16),
    "result_type_float_type": lambda m, d: d.result_type(float, return_weak_type_flag=True),
    "promote_bf16_f16": lambda m, d: m.promote_types(m.bfloat16, np.float16),
    "promote_f16_float": lambda m, d: m.promote_types(np.float16, float),
    "scalar_type_bf16": lambda m, d: d.scalar_type_of(m.asarray(1, m.bfloat16)),
    "itemsize_bits_i4": lambda m, d: d.itemsize_bits(m.int4),
}


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_dtype_queries_like_jax(name):
    assert QUERIES[name](jnp, idt) == QUERIES[name](jjnp, jax.dtypes), name


def _outcome(f):
    try:
        return f()
    except Exception as e:   # the error class is part of what must agree
        return type(e).__name__


def test_promotion_table_like_jax():
    """jnp.promote_types, dtypes.result_type and the dtype / weak type of `a + b` for every
    pair of a representative set, Python scalars (weak) included, against JAX."""
    dts = [_dt(n) for n in PROMO_NAMES]
    weak = [1, 1.0, 1j, True]
    bad = []
    for a, b in itertools.product(dts, dts):
        got = _outcome(lambda: jnp.promote_types(a, b))
        want = _outcome(lambda: jjnp.promote_types(a, b))
        if got != want:
            bad.append(("promote_types", a, b, got, want))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # JAX warns on its float8 / int4 arithmetic
        for a, b in itertools.product(dts + weak, dts + weak):
            if not isinstance(a, np.dtype) and not isinstance(b, np.dtype):
                continue   # two Python scalars: Python's arithmetic, not JAX's

            def ours(v):
                return v if not isinstance(v, np.dtype) else jnp.zeros((2,), v)

            def theirs(v):
                return v if not isinstance(v, np.dtype) else jjnp.zeros((2,), v)

            def op(x, y):
                return x + y if (getattr(x, "dtype", None) != np.bool_ or
                                 getattr(y, "dtype", None) != np.bool_) else x | y

            def jax_op():   # abstract evaluation: JAX's promotion without compiling each op
                sds = [jax.ShapeDtypeStruct((2,), v) for v in (a, b) if isinstance(v, np.dtype)]
                fn = (lambda x, y: op(x, y)) if len(sds) == 2 else \
                    (lambda x: op(x, b)) if isinstance(a, np.dtype) else (lambda y: op(a, y))
                z = jax.eval_shape(fn, *sds)
                return z.dtype, z.weak_type
            got = _outcome(lambda: (lambda z: (z.dtype, z.aval.weak_type))(op(ours(a), ours(b))))
            want = _outcome(jax_op)
            if got != want:
                bad.append(("a + b", a, b, got, want))
            got = _outcome(lambda: idt.result_type(ours(a), ours(b), return_weak_type_flag=True))
            want = _outcome(lambda: jax.dtypes.result_type(theirs(a), theirs(b),
                                                           return_weak_type_flag=True))
            if got != want:
                bad.append(("result_type", a, b, got, want))
    assert not bad, bad[:10]


def test_promotion_refusal_names_the_dtypes():
    x8 = jnp.zeros(2, jnp.float8_e4m3fn)
    with pytest.raises(idt.TypePromotionError, match="8-bit floats do not support implicit"):
        x8 + jnp.zeros(2, jnp.float32)
    with pytest.raises(idt.TypePromotionError, match="4-bit integers"):
        jnp.zeros(2, jnp.int4) + jnp.zeros(2, jnp.int8)
    with pytest.raises(idt.TypePromotionError):
        jnp.promote_types(jnp.float8_e4m3fn, jnp.float8_e5m2)


def test_printing_like_jax():
    vals = np.array([1.0, 2.5, -3.0], np.float32)
    for name in ("bfloat16", "float8_e4m3fn", "int4"):
        ours = jnp.asarray(vals).astype(getattr(jnp, name))
        ref = jjnp.asarray(vals).astype(getattr(jjnp, name))
        assert repr(ours) == repr(ref), name
        assert str(ours) == str(ref), name
    assert repr(jnp.array([1.0, 2.0], dtype=jnp.bfloat16)) == "Array([1, 2], dtype=bfloat16)"
    assert repr(jnp.bfloat16(1.5)) == repr(jjnp.bfloat16(1.5))


# ---------------------------------------------------------------------------
# values: bfloat16 as JAX computes it, eager and compiled

RNG = np.random.RandomState(0)
A32 = RNG.randn(16, 16).astype(np.float32)
B32 = RNG.randn(16, 16).astype(np.float32)


def _bf16_ops(m):
    def f(a, b):
        return {
            "add": a + b, "mul_add": a * b + a, "affine": (a + 1.5) * 0.1, "div": a / b,
            "exp": m.exp(a), "tanh": m.tanh(a), "sqrt": m.sqrt(m.abs(a)), "sin": m.sin(a),
            "log1p": m.log1p(m.abs(a)), "pow2": a ** 2, "max": m.maximum(a, b),
            "matmul": a @ b, "sum": m.sum(a), "sum0": m.sum(a, axis=0), "mean": m.mean(a),
            "mean1": m.mean(a, axis=1), "var": m.var(a), "prod": m.prod(a[:3, :3]),
            "amax": m.max(a), "int_scalar": a + 1, "where": m.where(a > 0, a, b),
            "to_f32": a.astype(m.float32) * 3.0,
            "astype_chain": ((a.astype(m.float32) + 1.5).astype(m.bfloat16).astype(m.float32)
                             * 0.1).astype(m.bfloat16),
        }
    return f


def _bf16_reference(a, b):
    """float32 computation rounded to bfloat16 after every op; reductions accumulate in
    float32 and round once (as jax.numpy)."""
    r = lambda x: _round(x, BF16)   # noqa: E731
    a, b = _f32(a), _f32(b)
    c15, c01 = np.float32(1.5), _round(0.1, BF16)
    n = a.size
    return {
        "add": r(a + b), "mul_add": r(r(a * b) + a), "affine": r(r(a + c15) * c01),
        "div": r(a / b), "exp": r(np.exp(a)), "tanh": r(np.tanh(a)),
        "sqrt": r(np.sqrt(np.abs(a))), "sin": r(np.sin(a)), "log1p": r(np.log1p(np.abs(a))),
        "pow2": r(a * a), "max": np.maximum(a, b), "matmul": r(a.astype(np.float64) @ b),
        "sum": r(a.astype(np.float64).sum()), "sum0": r(a.astype(np.float64).sum(0)),
        "mean": r(a.astype(np.float64).sum() / n), "mean1": r(a.astype(np.float64).mean(1)),
        "var": r(a.astype(np.float64).var()), "prod": r(np.prod(a[:3, :3].astype(np.float64))),
        "amax": a.max(), "int_scalar": r(a + 1), "where": np.where(a > 0, a, b),
        "to_f32": a * np.float32(3.0), "astype_chain": r(r(a + c15) * np.float32(0.1)),
    }


@pytest.fixture(scope="module")
def bf16_inputs():
    return _round(A32, BF16).astype(BF16), _round(B32, BF16).astype(BF16)


@pytest.fixture(scope="module")
def bf16_jax(bf16_inputs):
    a, b = bf16_inputs
    return jax.jit(_bf16_ops(jjnp))(jjnp.asarray(a), jjnp.asarray(b))


@pytest.mark.parametrize("mode", ["eager", "jit"])
def test_bfloat16_values_match_jax_bit_for_bit(mode, bf16_inputs, bf16_jax):
    a, b = bf16_inputs
    f = _bf16_ops(jnp)
    out = (irax.jit(f) if mode == "jit" else f)(jnp.asarray(a), jnp.asarray(b))
    ref = _bf16_reference(a, b)
    for k in ref:
        want_dtype = np.float32 if k == "to_f32" else BF16
        assert out[k].dtype == want_dtype and bf16_jax[k].dtype == want_dtype, k
        np.testing.assert_array_equal(_f32(out[k]), _f32(bf16_jax[k]), err_msg=f"{k} vs JAX")
        # the independent reference; matmul / reductions: float64 sums rounded once, within
        # one bfloat16 ulp of JAX's float32 accumulation
        tol = dict(rtol=2 ** -7, atol=1e-6) if k in ("matmul", "sum", "sum0", "mean",
                                                     "mean1", "var", "prod") else {}
        np.testing.assert_allclose(_f32(out[k]), ref[k], err_msg=f"{k} vs reference",
                                   **(tol or dict(rtol=0, atol=0)))


def test_bfloat16_cumsum_and_float16_sum(bf16_inputs):
    a, _ = bf16_inputs
    # cumsum: XLA's reduce_window order is its own; within bfloat16 rounding of the sums
    out = jnp.cumsum(jnp.asarray(a[0]))
    assert out.dtype == BF16
    np.testing.assert_allclose(_f32(out), np.cumsum(_f32(a[0])), rtol=0.02, atol=0.05)
    # float16 sums accumulate in float32 too (as jax.numpy): 1 + 4096 * 2**-12 ... exactly
    h = np.full(4097, 2.0 ** -11, np.float16)
    h[0] = 1.0
    assert float(jnp.sum(jnp.asarray(h))) == float(jjnp.sum(jjnp.asarray(h))) == 3.0
    assert jnp.sum(jnp.asarray(h)).dtype == np.float16


# ---------------------------------------------------------------------------
# float8: values, both tiers

def _f8_ops(a, b):
    return [a + b, a * b, (a * 2).astype(jnp.float32), (a.astype(jnp.float32) / 3).astype(a.dtype),
            jnp.maximum(a, b), a - 0.5]


@pytest.mark.parametrize("mode", ["eager", "jit"])
def test_float8_values(mode):
    vals_a = np.array([0.5, 1.0, 1.75, -3.0, 10.0, 0.0625], np.float32)
    vals_b = np.array([2.0, -0.375, 1.25, 3.5, 0.5, 4.0], np.float32)
    ins = [(jnp.asarray(vals_a).astype(d), jnp.asarray(vals_b).astype(d)) for d in F8]
    f = lambda pairs: [_f8_ops(a, b) for a, b in pairs]   # noqa: E731
    outs = (irax.jit(f) if mode == "jit" else f)(ins)
    for dt, out in zip(F8, outs):
        a, b = _round(vals_a, dt), _round(vals_b, dt)
        ref = [_round(a + b, dt), _round(a * b, dt), _round(a * 2, dt), _round(a / 3, dt),
               np.maximum(a, b), _round(a - 0.5, dt)]
        for k, (o, r) in enumerate(zip(out, ref)):
            assert o.dtype == (np.float32 if k == 2 else dt), (dt, k)
            np.testing.assert_array_equal(_f32(o), r, err_msg=f"{dt} op {k}")


def test_types_iree_cannot_run_are_refused_clearly():
    x = jnp.asarray(np.array([1.0, 2.0], np.float32))
    for name in ("float8_e4m3", "float4_e2m1fn", "float8_e8m0fnu", "int4", "uint2"):
        v = x.astype(getattr(jnp, name))   # eager: fine (NumPy / ml_dtypes)
        assert v.dtype == _dt(name)
        with pytest.raises(CompileError, match=f"dtype {name} is not supported by irax.jit "
                           "on target 'llvm-cpu'"):
            irax.jit(lambda a: a.astype(jnp.float32) * 2)(v)
    # eager arithmetic on them works and rounds as ml_dtypes does
    i4 = x.astype(jnp.int4)
    np.testing.assert_array_equal(np.asarray(i4 + i4).astype(np.int32), [2, 4])


# ---------------------------------------------------------------------------
# transformations

def test_grad_and_vmap_of_bfloat16(bf16_inputs):
    a, _ = bf16_inputs
    x = jnp.asarray(a[0])

    def f(v):
        return jnp.sum(jnp.sin(v) * v)
    g = irax.grad(f)(x)
    assert g.dtype == BF16
    np.testing.assert_array_equal(_f32(g), _f32(jax.grad(
        lambda v: jjnp.sum(jjnp.sin(v) * v))(jjnp.asarray(a[0]))))
    # analytic: sin(v) + v cos(v), within a few bfloat16 roundings
    v = _f32(a[0])
    np.testing.assert_allclose(_f32(g), np.sin(v) + v * np.cos(v), rtol=0.03, atol=0.02)
    gj = irax.jit(irax.grad(f))(x)
    np.testing.assert_array_equal(_f32(gj), _f32(g))
    # vmap against a Python loop
    h = lambda row: jnp.tanh(row) * 2.0 + jnp.sum(row)   # noqa: E731
    xs = jnp.asarray(a[:4])
    batched = irax.vmap(h)(xs)
    assert batched.dtype == BF16
    np.testing.assert_array_equal(_f32(batched), np.stack([_f32(h(xs[i])) for i in range(4)]))


# ---------------------------------------------------------------------------
# jnp.ufunc / jnp.frompyfunc against NumPy's ufunc methods


def test_frompyfunc_methods_match_numpy():
    add = jnp.frompyfunc(lambda x, y: x + y, nin=2, nout=1, identity=0)
    mul = jnp.ufunc(lambda x, y: x * y, 2, 1, name="mul", identity=1)
    assert repr(add) == "<jnp.ufunc '<lambda>'>" and mul.__name__ == "mul"
    assert (add.nin, add.nout, add.nargs, add.identity) == (2, 1, 2, 0)
    x = np.arange(1.0, 7.0, dtype=np.float32).reshape(2, 3)
    idx = np.array([0, 1, 1, 4])
    seg = np.array([0, 4, 1, 5])
    v8 = np.arange(8.0, dtype=np.float32)

    def f(x, v8):
        return [add(x, 2.0), add.reduce(x), add.reduce(x, axis=1, keepdims=True),
                mul.reduce(x, axis=None), add.reduce(x, axis=1, where=x > 2),
                add.accumulate(x, axis=1), mul.accumulate(x),
                add.outer(x[0], x[1, :2]), add.at(jnp.zeros(5), idx, 1.0, inplace=False),
                add.reduceat(v8, seg)]
    at_ref = np.zeros(5, np.float32)
    np.add.at(at_ref, idx, 1.0)
    ref = [x + 2, np.add.reduce(x), np.add.reduce(x, axis=1, keepdims=True),
           np.multiply.reduce(x, axis=None), np.add.reduce(x, axis=1, where=x > 2),
           np.add.accumulate(x, axis=1), np.multiply.accumulate(x),
           np.add.outer(x[0], x[1, :2]), at_ref, np.add.reduceat(v8, seg)]
    for mode in ("eager", "jit"):
        outs = (irax.jit(f) if mode == "jit" else f)(jnp.asarray(x), jnp.asarray(v8))
        for k, (o, r) in enumerate(zip(outs, ref)):
            assert o.shape == r.shape, (mode, k)
            np.testing.assert_allclose(np.asarray(o), r, rtol=1e-6, err_msg=f"{mode} {k}")
    with pytest.raises(NotImplementedError, match="inplace"):
        add.at(jnp.zeros(3), np.array([0]), 1.0)
    with pytest.raises(ValueError, match="reduce only supported for binary ufuncs"):
        jnp.frompyfunc(lambda v: v, 1, 1).reduce(jnp.zeros(3))
    with pytest.raises(ValueError, match="does not have an identity"):
        jnp.frompyfunc(lambda a, b: a - b, 2, 1).reduce(jnp.zeros(3), where=jnp.ones(3, bool))
    # grad through reduce (a fori_loop): d/dx prod(x) = prod(x) / x
    g = irax.grad(lambda v: mul.reduce(v, axis=None))(jnp.asarray(x))
    np.testing.assert_allclose(np.asarray(g), np.prod(x) / x, rtol=1e-6)


# ---------------------------------------------------------------------------
# Vulkan (lavapipe)

@pytest.mark.vulkan
def test_bfloat16_and_float8_on_vulkan(bf16_inputs):
    a, b = bf16_inputs
    e4 = F8[0]

    def f(a, b, c):
        return a * b + a, jnp.exp(a), jnp.mean(a, axis=1), jnp.sum(a), c * c + c
    c = _round(np.array([0.5, 1.0, 1.75, -3.0], np.float32), e4)
    out = irax.jit(f, device="vulkan")(jnp.asarray(a), jnp.asarray(b),
                                       jnp.asarray(c.astype(e4)))
    ref = _bf16_reference(a, b)
    np.testing.assert_array_equal(_f32(out[0]), ref["mul_add"])
    # lavapipe's exp is accurate to ~1e-6 relative: at most one bfloat16 ulp off
    np.testing.assert_allclose(_f32(out[1]), ref["exp"], rtol=2 ** -7)
    np.testing.assert_allclose(_f32(out[2]), ref["mean1"], rtol=2 ** -7, atol=1e-6)
    np.testing.assert_allclose(_f32(out[3]), ref["sum"], rtol=2 ** -7)
    assert out[4].dtype == e4
    np.testing.assert_array_equal(_f32(out[4]), _round(_round(c * c, e4) + c, e4))
    # a bfloat16 matrix product: IREE's SPIR-V backend cannot; refused by name
    with pytest.raises(CompileError, match="bfloat16 / float8 matrix product"):
        irax.jit(lambda a, b: a @ b, device="vulkan")(jnp.asarray(a), jnp.asarray(b))


def test_random_bfloat16_draws_match_jax():
    for name in ("uniform", "normal"):
        ours = getattr(irax.random, name)(irax.random.PRNGKey(1), (64,), dtype=jnp.bfloat16)
        ref = getattr(jax.random, name)(jax.random.PRNGKey(1), (64,), dtype=jjnp.bfloat16)
        assert ours.dtype == BF16
        np.testing.assert_array_equal(_f32(ours), _f32(ref), err_msg=name)


def test_promotion_under_x64_like_jax(x64):
    names = PROMO_NAMES + ["uint64", "int64", "float64", "complex128"]
    dts = [_dt(n) for n in names] + [int, float, complex]
    prev = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    try:
        bad = []
        for a, b in itertools.product(dts, dts):
            got = _outcome(lambda: jnp.promote_types(a, b))
            want = _outcome(lambda: jjnp.promote_types(a, b))
            got_r = _outcome(lambda: idt.result_type(a, b, return_weak_type_flag=True))
            want_r = _outcome(lambda: jax.dtypes.result_type(a, b, return_weak_type_flag=True))
            if (got, got_r) != (want, want_r):
                bad.append((a, b, got, want, got_r, want_r))
    finally:
        jax.config.update("jax_enable_x64", prev)
    assert not bad, bad[:10]


def test_numpy_ufuncs_are_jnp_ufuncs_like_jax():
    names = [n for n in dir(jjnp) if isinstance(getattr(jjnp, n), jjnp.ufunc)]
    assert names, "JAX has jnp.ufunc instances"
    for n in names:
        ours, ref = getattr(jnp, n), getattr(jjnp, n)
        assert isinstance(ours, jnp.ufunc), n
        assert (repr(ours), ours.nin, ours.nout, ours.identity) == \
            (repr(ref), ref.nin, ref.nout, ref.identity), n
    x = np.arange(1.0, 7.0, dtype=np.float32).reshape(2, 3)
    i = np.arange(1, 7, dtype=np.int32).reshape(2, 3)
    X, I = jnp.asarray(x), jnp.asarray(i)
    at_ref = np.ones(4, np.float32)
    np.multiply.at(at_ref, [0, 1, 1], 3.0)
    checks = [
        (jnp.add.reduce(X, axis=1), np.add.reduce(x, axis=1)),
        (jnp.add.reduce(X, axis=1, where=x > 2, initial=10.0),
         np.add.reduce(x, axis=1, where=x > 2, initial=10.0)),
        (jnp.add.accumulate(X, axis=1), np.add.accumulate(x, axis=1)),
        (jnp.multiply.reduce(X, axis=None), np.multiply.reduce(x, axis=None)),
        (jnp.multiply.outer(X[0], X[1]), np.multiply.outer(x[0], x[1])),
        (jnp.multiply.at(jnp.ones(4), jnp.array([0, 1, 1]), 3.0, inplace=False), at_ref),
        (jnp.maximum.reduce(X, axis=0), np.maximum.reduce(x, axis=0)),
        (jnp.minimum.accumulate(X[::-1], axis=0), np.minimum.accumulate(x[::-1], axis=0)),
        (jnp.subtract.reduce(X, axis=1), np.subtract.reduce(x, axis=1)),
        (jnp.bitwise_xor.accumulate(I, axis=1), np.bitwise_xor.accumulate(i, axis=1)),
        (jnp.logical_or.reduce(X > 3, axis=1), np.logical_or.reduce(x > 3, axis=1)),
        (jnp.add(X, 2.0), x + 2),
    ]
    for k, (o, r) in enumerate(checks):
        assert o.shape == r.shape, k
        np.testing.assert_allclose(np.asarray(o), r, rtol=1e-6, err_msg=str(k))
    with pytest.raises(TypeError, match="requires ndarray or scalar arguments"):
        jnp.add([1, 2], 1)
