"""JAX's top-level modules and names in irax: irax.dtypes, irax.custom_derivatives, the
config flags as context managers, process/device queries, named_call / named_scope,
clear_caches, version, print_environment_info, pure_callback.

JAX 0.10 (installed, test-only) is the oracle for the dtype queries and the zero tangents;
other values are analytic or NumPy's. One compiled module serves every jit check."""
from __future__ import annotations

import importlib

import jax
import jax.numpy as jnp_ref
import numpy as np
import pytest

import irax
import irax.numpy as jnp
from irax import custom_derivatives as cd
from irax import dtypes as idt

S = irax.ShapeDtypeStruct


# ---------------------------------------------------------------------------
# irax.dtypes against jax.dtypes

DTYPE_CASES = {
    "result_type_weak_float": lambda d, np_: d.result_type(1.0, return_weak_type_flag=True),
    "result_type_int8_pyint": lambda d, np_: d.result_type(np_.int8, 2),
    "result_type_int_float": lambda d, np_: d.result_type(np_.int32, np_.float16),
    "result_type_u32_i32": lambda d, np_: d.result_type("uint32", "int32"),
    "result_type_str": lambda d, np_: d.result_type("float64"),
    "result_type_complex": lambda d, np_: d.result_type(np_.float32, 1j,
                                                        return_weak_type_flag=True),
    "canonicalize_f64": lambda d, np_: d.canonicalize_dtype("float64"),
    "canonicalize_i64": lambda d, np_: d.canonicalize_dtype(np_.int64),
    "canonicalize_u8": lambda d, np_: d.canonicalize_dtype(np_.uint8),
    "scalar_type_int": lambda d, np_: d.scalar_type_of(1),
    "scalar_type_bool": lambda d, np_: d.scalar_type_of(np_.bool_(True)),
    "scalar_type_c64": lambda d, np_: d.scalar_type_of(np_.complex64(1)),
    "issubdtype_bf16_floating": lambda d, np_: d.issubdtype(d.bfloat16, np_.floating),
    "issubdtype_bf16_integer": lambda d, np_: d.issubdtype(d.bfloat16, np_.integer),
    "issubdtype_i32_signed": lambda d, np_: d.issubdtype("int32", np_.signedinteger),
    "issubdtype_f32_extended": lambda d, np_: d.issubdtype(np_.float32, d.extended),
    "itemsize_bits_bool": lambda d, np_: d.itemsize_bits(np_.bool_),
    "itemsize_bits_f16": lambda d, np_: d.itemsize_bits(np_.float16),
    "itemsize_bits_bf16": lambda d, np_: d.itemsize_bits(d.bfloat16),
    "finfo_bf16_eps": lambda d, np_: float(d.finfo(d.bfloat16).eps),
    "finfo_f32_tiny": lambda d, np_: float(d.finfo(np_.float32).tiny),
    "iinfo_i8": lambda d, np_: (int(d.iinfo(np_.int8).min), int(d.iinfo("int8").max)),
    "float0": lambda d, np_: d.float0,
}


@pytest.mark.parametrize("name", sorted(DTYPE_CASES))
def test_dtypes_like_jax(name):
    case = DTYPE_CASES[name]
    assert case(idt, np) == case(jax.dtypes, np), name


def test_dtypes_of_values_and_keys():
    assert idt.result_type(jnp.ones(2, jnp.int8), 3.0) == np.float32   # jax: float32
    assert idt.scalar_type_of(jnp.ones(2)) is float
    assert idt.issubdtype(irax.random.key(0).dtype, idt.prng_key)
    assert idt.issubdtype(irax.random.key(0).dtype, idt.extended)
    assert not idt.issubdtype(irax.random.key(0).dtype, np.floating)
    assert idt.canonicalize_dtype(irax.random.key(0).dtype, allow_extended_dtype=True) == \
        irax.random.key(0).dtype
    with irax.enable_x64():
        assert idt.canonicalize_dtype("float64") == np.float64
    assert issubclass(idt.TypePromotionError, ValueError)


@pytest.mark.parametrize("call, exc", [
    (lambda d: d.result_type(d.float0, np.int32), ValueError),
    (lambda d: d.result_type(), ValueError),
    (lambda d: d.itemsize_bits(None), ValueError),
    (lambda d: d.scalar_type_of("x"), TypeError),
])
def test_dtypes_errors_like_jax(call, exc):
    with pytest.raises(exc):
        call(jax.dtypes)
    with pytest.raises(exc):
        call(idt)


# ---------------------------------------------------------------------------
# irax.custom_derivatives


def test_custom_derivatives_names():
    assert cd.custom_jvp is irax.custom_jvp and cd.custom_vjp is irax.custom_vjp
    assert cd.custom_gradient is irax.custom_gradient
    assert cd.closure_convert is irax.closure_convert
    assert {"custom_jvp_call_p", "custom_vjp_call_p", "SymbolicZero", "CustomVJPPrimal",
            "linear_call", "zero_from_primal", "custom_vjp_primal_tree_values"} <= \
        set(dir(cd))


def test_zero_from_primal_like_jax():
    tree = (np.ones(2, np.float32), 3, np.arange(3, dtype=np.int32))
    got = cd.zero_from_primal((jnp.ones(2), 3, jnp.arange(3)))
    want = jax.custom_derivatives.zero_from_primal(
        (jnp_ref.ones(2), 3, jnp_ref.arange(3)))
    for g, w, t in zip(got, want, tree):
        g, w = np.asarray(g), np.asarray(w)
        assert g.dtype == w.dtype and g.shape == w.shape == np.shape(t)
    np.testing.assert_array_equal(np.asarray(got[0]), np.zeros(2, np.float32))
    z = cd.zero_from_primal({"a": jnp.ones((2, 3))}, symbolic_zeros=True)["a"]
    assert isinstance(z, cd.SymbolicZero) and z.shape == (2, 3) and z.dtype == np.float32


def test_custom_vjp_primal_tree_values():
    tree = {"x": cd.CustomVJPPrimal(1.5, True), "y": [cd.CustomVJPPrimal(2, False)]}
    assert cd.custom_vjp_primal_tree_values(tree) == {"x": 1.5, "y": [2]}
    with pytest.raises(TypeError):
        cd.custom_vjp_primal_tree_values({"x": 1.0})


def _scaled(r, x):       # linear in x
    return r * x


def _twice_transpose(r, ct):   # deliberately not the true transpose: grad must use it
    return 2.0 * r * ct


def _linear_call_loss(x):
    return jnp.sum(cd.linear_call(_scaled, _twice_transpose, 3.0, x))


def test_linear_call_eager():
    x = jnp.asarray([1.0, -2.0])
    np.testing.assert_allclose(cd.linear_call(_scaled, _twice_transpose, 3.0, x), [3.0, -6.0])
    np.testing.assert_allclose(irax.grad(_linear_call_loss)(x), [6.0, 6.0])   # 2 * r
    np.testing.assert_allclose(irax.vmap(irax.grad(_linear_call_loss))(jnp.ones((3, 2))),
                               np.full((3, 2), 6.0))


# ---------------------------------------------------------------------------
# Config flags


def test_enable_x64_context_restores():
    assert not irax.enable_x64.value
    with irax.enable_x64():
        assert jnp.ones(1).dtype == np.float64 and irax.config.jax_enable_x64
    assert jnp.ones(1).dtype == np.float32 and not irax.enable_x64.value


@pytest.mark.parametrize("flag, value", [("debug_nans", True), ("debug_infs", True)])
def test_debug_flags_eager(flag, value):
    bad = -1.0 if flag == "debug_nans" else 0.0
    kind = "nan" if flag == "debug_nans" else "inf"
    with getattr(irax, flag)(value):
        with pytest.raises(FloatingPointError, match=rf"invalid value \({kind}\) encountered "
                                                     r"in log"):
            jnp.log(jnp.asarray(bad))
        np.testing.assert_allclose(jnp.log(jnp.asarray(1.0)), 0.0)
    assert np.isnan(jnp.log(jnp.asarray(-1.0)))   # off again: NaN is a value
    irax.config.update("jax_" + flag, True)
    try:
        assert getattr(irax.config, "jax_" + flag) and getattr(irax, flag).value
        with pytest.raises(FloatingPointError):
            jnp.log(jnp.asarray(bad))
    finally:
        irax.config.update("jax_" + flag, False)


@pytest.mark.parametrize("flag, value, exc", [
    ("numpy_rank_promotion", "raise", NotImplementedError),
    ("numpy_rank_promotion", "warn", NotImplementedError),
    ("numpy_rank_promotion", "bogus", ValueError),
    ("numpy_dtype_promotion", "strict", NotImplementedError),
    ("numpy_dtype_promotion", "bogus", ValueError),
    ("default_matmul_precision", "bogus", ValueError),
    ("debug_nans", "yes", ValueError),
    ("threefry_partitionable", False, NotImplementedError),
    ("default_prng_impl", "rbg", NotImplementedError),
    ("default_prng_impl", "bogus", ValueError),
])
def test_flags_refuse_what_irax_cannot_do(flag, value, exc):
    before = getattr(irax, flag).value
    with pytest.raises(exc):
        with getattr(irax, flag)(value):
            pass
    with pytest.raises(exc):
        irax.config.update("jax_" + flag, value)
    assert getattr(irax, flag).value == before


@pytest.mark.parametrize("flag, value", [
    ("numpy_rank_promotion", "allow"), ("numpy_dtype_promotion", "standard"),
    ("default_matmul_precision", "highest"), ("default_matmul_precision", "bfloat16"),
    ("default_matmul_precision", None), ("log_compiles", True), ("default_device", None),
    ("threefry_partitionable", True), ("default_prng_impl", "threefry2x32"),
    ("enable_checks", True), ("explain_cache_misses", True),
])
def test_flags_accept_what_irax_does(flag, value):
    with getattr(irax, flag)(value):
        assert getattr(irax, flag).value == value
        np.testing.assert_allclose(jnp.ones((2, 2)) @ jnp.ones(2), [2.0, 2.0])


# ---------------------------------------------------------------------------
# Process and device queries, names, caches, version


def test_process_and_device_queries_like_jax():
    for name in ("process_index", "process_count", "process_indices", "host_id",
                 "host_count", "host_ids", "local_device_count", "device_count"):
        assert getattr(irax, name)() == getattr(jax, name)(), name


def test_named_call_and_named_scope():
    f = irax.named_call(lambda x: x * 2.0, name="double")
    assert f.__name__ == "double"
    np.testing.assert_allclose(irax.grad(f)(3.0), 2.0)
    with irax.named_scope("block"):
        np.testing.assert_allclose(f(1.5), 3.0)
    with pytest.raises(TypeError, match="named_scope name argument must be a string"):
        with irax.named_scope(3):
            pass


def test_version_float0_and_environment_info():
    assert irax.version.__version__ == irax.__version__
    assert irax.float0 == jax.dtypes.float0
    info = irax.print_environment_info(return_string=True)
    assert "irax:" in info and f"numpy:  {np.__version__}" in info


def test_make_array_from_callback():
    seen = []

    def data(index):
        seen.append(index)
        return np.arange(6.0).reshape(2, 3)[index]
    out = irax.make_array_from_callback((2, 3), None, data)
    assert seen == [(slice(None, None, None),) * 2]     # the whole array, as JAX's one shard
    assert out.dtype == np.float32 and out.shape == (2, 3)   # float64 data canonicalized
    np.testing.assert_array_equal(out, np.arange(6.0).reshape(2, 3))
    assert irax.make_array_from_callback((2,), None, lambda i: np.arange(2),
                                         dtype=np.int8).dtype == np.int8
    with pytest.raises(ValueError, match="doesn't match"):
        irax.make_array_from_callback((2, 3), None, lambda i: np.arange(4.0))


# ---------------------------------------------------------------------------
# pure_callback


def _np_sin_plus(x, y):
    return np.sin(np.asarray(x)) + np.asarray(y)


def test_pure_callback_eager_and_pytrees():
    x, y = np.linspace(0, 1, 3, dtype=np.float32), np.float32(2)
    got = irax.pure_callback(_np_sin_plus, S((3,), np.float32), jnp.asarray(x), y)
    np.testing.assert_allclose(got, np.sin(x) + y, rtol=1e-6)
    out = irax.pure_callback(lambda d, k: {"s": np.asarray(d["a"]).sum() * k,
                                                 "n": np.int32(d["a"].size)},
                             {"s": S((), np.float32), "n": S((), np.int32)},
                             {"a": jnp.ones((2, 2))}, k=3.0)
    assert float(out["s"]) == 12.0 and int(out["n"]) == 4 and out["n"].dtype == np.int32


@pytest.mark.parametrize("method, seen", [
    ("sequential", [((2,), (2,))] * 3),
    ("sequential_unrolled", [((2,), (2,))] * 3),
    ("expand_dims", [((3, 2), (1, 2))]),
    ("broadcast_all", [((3, 2), (3, 2))]),
    ("legacy_vectorized", [((3, 2), (2,))]),
])
def test_pure_callback_vmap_methods(method, seen):
    calls = []

    def cb(x, y):
        calls.append((x.shape, y.shape))
        return np.asarray(x) * 2 + np.asarray(y)
    xs, y = np.arange(6, dtype=np.float32).reshape(3, 2), np.array([1., -1.], np.float32)
    f = irax.vmap(lambda x, y: irax.pure_callback(cb, S((2,), np.float32), x, y,
                                                  vmap_method=method), in_axes=(0, None))
    np.testing.assert_allclose(f(xs, y), np.stack([x * 2 + y for x in xs]))
    assert calls == seen


def test_pure_callback_inside_custom_jvp_is_differentiable():
    @irax.custom_jvp
    def f(x):
        return irax.pure_callback(lambda v: np.sin(v), S((), np.float32), x)

    @f.defjvp
    def f_jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        return f(x), jnp.cos(x) * t
    np.testing.assert_allclose(irax.grad(f)(0.5), np.cos(0.5), rtol=1e-6)


@pytest.mark.parametrize("call, exc, match", [
    (lambda: irax.vmap(lambda x: irax.pure_callback(np.sin, S((), np.float32), x))(
        jnp.ones(2)), NotImplementedError, "vmap_method=None"),
    (lambda: irax.grad(lambda x: irax.pure_callback(np.sin, S((), np.float32), x))(1.0),
     ValueError, "Pure callbacks do not support JVP"),
    (lambda: irax.pure_callback(np.sin, S((), np.float32), 1.0, vmap_method="bad"),
     ValueError, "vmap_method must be"),
    (lambda: irax.pure_callback(np.sin, S((), np.float64), 1.0), ValueError, "64-bit"),
    (lambda: irax.pure_callback(lambda x: np.ones(3, np.float32), S((2,), np.float32),
                                jnp.ones(2)), RuntimeError, "shape"),
    (lambda: irax.pure_callback(lambda x: np.ones(2, np.int32), S((2,), np.float32),
                                jnp.ones(2)), RuntimeError, "dtype"),
    (lambda: irax.jit(lambda x: irax.pure_callback(lambda v: np.ones(3, np.float32),
                                                   S((2,), np.float32), x))(jnp.ones(2)),
     irax.errors.JaxRuntimeError,      # checked on the host, inside compiled code
     r"Incorrect output shape for return value #0: Expected: \(2,\), Actual: \(3,\)"),
])
def test_pure_callback_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


# ---------------------------------------------------------------------------
# The one compiled module: linear_call's custom transpose, pure_callback (pytree results,
# inside a scan, under vmap), and debug_nans under jit

HOST_CALLS = []


def _host_stats(v):
    HOST_CALLS.append(np.asarray(v).shape)
    v = np.asarray(v)
    return {"sum": v.sum(dtype=np.float32), "pos": v > 0}


def _host_double(c):
    HOST_CALLS.append(("double", float(c)))
    return np.asarray(c) * 2


def _compiled_body(x):
    stats = irax.pure_callback(_host_stats, {"sum": S((), np.float32), "pos": S((2,), np.bool_)},
                               x)
    doubled, _ = irax.lax.scan(
        lambda c, _: (irax.pure_callback(_host_double, S((), np.float32), c), None),
        x[0], None, length=3)
    rows = irax.vmap(lambda r: irax.pure_callback(
        lambda v: np.asarray(v)[::-1] * 10, S((2,), np.float32), r, vmap_method="sequential"))(
        jnp.stack([x, x + 1]))
    return {"lin_grad": irax.grad(_linear_call_loss)(x), "log": jnp.log(x),
            "stats": stats, "doubled": doubled, "rows": rows}


def test_jit_module():
    f = irax.jit(_compiled_body)
    out = f(jnp.asarray([1.0, 2.0]))
    np.testing.assert_allclose(out["lin_grad"], [6.0, 6.0])
    np.testing.assert_allclose(out["log"], np.log([1.0, 2.0]), rtol=1e-6)
    assert float(out["stats"]["sum"]) == 3.0 and out["stats"]["pos"].tolist() == [True, True]
    assert float(out["doubled"]) == 8.0   # 1 -> 2 -> 4 -> 8, one host call per iteration
    assert HOST_CALLS == [(2,), ("double", 1.0), ("double", 2.0), ("double", 4.0)]
    np.testing.assert_allclose(out["rows"], [[20.0, 10.0], [30.0, 20.0]])
    bad = jnp.asarray([1.0, -2.0])
    assert np.isnan(np.asarray(f(bad)["log"])[1])   # flag off: NaN is a value
    with irax.debug_nans(True):
        # same compiled module; the NaN output is traced back op by op to the log
        with pytest.raises(FloatingPointError, match=r"invalid value \(nan\) encountered "
                                                     r"in log"):
            f(bad)
        np.testing.assert_allclose(f(jnp.asarray([1.0, 2.0]))["log"], np.log([1.0, 2.0]),
                                   rtol=1e-6)
    irax.clear_caches()
    jit_module = importlib.import_module("irax.jit")   # (irax.jit names the function)
    assert len(jit_module._caches_by_fun) == 0
    np.testing.assert_allclose(irax.jit(_compiled_body)(jnp.asarray([1.0, 2.0]))["log"],
                               np.log([1.0, 2.0]), rtol=1e-6)
