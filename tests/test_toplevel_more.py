"""More of JAX's top-level names: irax.stages (jit's stages as jax.stages), the config
flags no_tracing / no_execution / transfer guards / PRNG and numerics flags,
live_arrays, effects_barrier, copy_to_host_async, make_array_from_*, irax.dlpack.

JAX 0.10 is the oracle for the structures (trees, out_info, args_info), the flags'
defaults, the error types and DLPack interchange; values are NumPy's or analytic."""
from __future__ import annotations

import jax
import jax.numpy as jnp_ref
import numpy as np
import pytest

import irax
import irax.numpy as jnp
from irax import stages

X = np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3)
Y = np.linspace(0, 2, 12, dtype=np.float32).reshape(3, 4)


def _fn(np_):
    return lambda x, y: {"o": np_.tanh(x @ y) + 1.0}


def test_stages_like_jax():
    f, fj = irax.jit(_fn(jnp)), jax.jit(_fn(jnp_ref))
    assert isinstance(f, stages.Wrapped)
    traced, traced_j = f.trace(X, Y), fj.trace(X, Y)
    lowered = f.lower(X, Y)
    compiled = lowered.compile()
    assert isinstance(traced, stages.Traced)
    assert isinstance(lowered, stages.Lowered) and isinstance(compiled, stages.Compiled)
    lowered_j = traced_j.lower()
    for mine, theirs in ((traced, traced_j), (lowered, lowered_j),
                         (compiled, lowered_j.compile())):
        assert str(mine.in_tree) == str(theirs.in_tree)
        info, info_j = mine.out_info["o"], theirs.out_info["o"]
        assert (info.shape, info.dtype) == (info_j.shape, info_j.dtype)
        args, args_j = irax.tree_util.tree_leaves(mine.args_info), \
            jax.tree_util.tree_leaves(theirs.args_info)
        assert [(a.shape, a.dtype, a.donated) for a in args] == \
            [(a.shape, a.dtype, a.donated) for a in args_j]
    assert traced.fun_name == traced_j.fun_name == "<lambda>"
    assert [e.primitive.name for e in traced.jaxpr.eqns][0] == "dot_general"
    want = np.tanh(X @ Y) + 1
    np.testing.assert_allclose(traced(X, Y)["o"], want, rtol=1e-5)
    np.testing.assert_allclose(compiled(X, Y)["o"], want, rtol=1e-5)
    assert "stablehlo.dot_general" in lowered.as_text()
    assert lowered.compiler_ir("stablehlo") == lowered.as_text()
    # costs: 2*M*N*K flops for the product, M*N for the add; tanh is a transcendental
    cost = lowered.cost_analysis()
    assert cost["flops"] == 2 * 2 * 4 * 3 + 2 * 4
    assert cost["transcendentals"] == 8 == lowered_j.cost_analysis()["transcendentals"]
    assert compiled.cost_analysis() == cost
    assert cost["bytes accessed"] == (6 + 12 + 8) * 4
    shard = compiled.input_shardings[0][0]
    assert isinstance(shard, irax.sharding.SingleDeviceSharding)
    with pytest.raises(ValueError, match="StableHLO only"):
        lowered.compiler_ir("hlo")


def test_no_tracing_and_no_execution_like_jax():
    for lib in (irax, jax):
        f = lib.jit(lambda x: x * 2)
        f(1.0)
        with lib.no_tracing(True):
            assert float(f(2.0)) == 4.0          # traced before: runs
            with pytest.raises(RuntimeError, match="no_tracing"):
                f(np.ones(3, np.float32))        # a new signature would trace
        with lib.no_execution(True):
            with pytest.raises(RuntimeError, match="no_execution"):
                f(3.0)
            with pytest.raises(RuntimeError, match="no_execution"):
                lib.numpy.ones(3) + 1
            assert "add" in str(lib.make_jaxpr(lambda x: x + 1)(1.0))   # tracing is fine
        assert float(f(5.0)) == 10.0


FLAGS = ["check_tracer_leaks", "debug_key_reuse", "enable_custom_prng", "softmax_custom_jvp",
         "allow_f16_reductions", "transfer_guard_host_to_device",
         "transfer_guard_device_to_host", "transfer_guard_device_to_device", "no_tracing",
         "no_execution", "thread_guard", "array_garbage_collection_guard",
         "remove_size_one_mesh_axis_from_type", "jax2tf_associative_scan_reductions",
         "auto_pcast"]


@pytest.mark.parametrize("name", FLAGS)
def test_flag_defaults_like_jax(name):
    assert getattr(irax, name).value == getattr(jax, name).value


@pytest.mark.parametrize("name, value", [
    ("legacy_prng_key", "bogus"), ("transfer_guard_host_to_device", "bogus"),
    ("transfer_guard_device_to_device", "never")])
def test_flag_values_refused_like_jax(name, value):
    with pytest.raises(Exception) as ref:
        with getattr(jax, name)(value):
            pass
    with pytest.raises(type(ref.value)):
        with getattr(irax, name)(value):
            pass


def test_flags_as_context_managers():
    with irax.checking_leaks():
        assert irax.check_tracer_leaks.value is True
    assert irax.check_tracer_leaks.value is False
    with irax.transfer_guard("log"):
        assert irax.transfer_guard_device_to_host.value == "log"
    assert irax.transfer_guard_device_to_host.value is None
    for v in ("allow", "warn", "error"):
        with irax.legacy_prng_key(v):
            assert irax.legacy_prng_key.value == v
    with pytest.raises(NotImplementedError, match="disallow"):
        with irax.transfer_guard("disallow"):
            pass
    with pytest.raises(NotImplementedError, match="debug_key_reuse"):
        irax.config.update("jax_debug_key_reuse", True)
    irax.config.update("jax_softmax_custom_jvp", True)
    assert irax.softmax_custom_jvp.value is True
    irax.config.update("jax_softmax_custom_jvp", False)


def test_arrays_and_transfers():
    x = jnp.arange(4.0)
    assert any(a is x for a in irax.live_arrays())
    assert irax.copy_to_host_async(x) is x
    assert x.copy_to_host_async() is None and jnp_ref.ones(2).copy_to_host_async() is None
    s = irax.sharding.SingleDeviceSharding(irax.devices()[0])
    a = irax.make_array_from_single_device_arrays((4,), s, [x])
    b = irax.make_array_from_process_local_data(s, np.arange(4.0, dtype=np.float32))
    np.testing.assert_array_equal(a, [0, 1, 2, 3])
    np.testing.assert_array_equal(b, [0, 1, 2, 3])
    assert a.sharding == s and b.shape == (4,)
    with pytest.raises(ValueError, match="one array"):
        irax.make_array_from_single_device_arrays((4,), s, [x, x])
    with pytest.raises(ValueError, match="whole"):
        irax.make_array_from_single_device_arrays((8,), s, [x])
    with pytest.raises(ValueError, match="global_shape"):
        irax.make_array_from_process_local_data(s, np.arange(4.0), (8,))


def test_effects_barrier_waits_for_background_compiles():
    # a constant no other test uses: IREE really compiles (no disk-cache hit)
    c = float(np.random.default_rng().integers(1 << 20))
    f = irax.jit(lambda v: jnp.sin(v) * c, tiered=True)
    v = np.ones(3, np.float32)
    np.testing.assert_allclose(f(v), np.sin(v) * c, rtol=1e-6)
    irax.effects_barrier()
    assert f.tier_of(v) == "compiled"


def test_dlpack_interchange():
    src = np.arange(6, dtype=np.int32).reshape(2, 3)
    got = irax.dlpack.from_dlpack(src)
    assert isinstance(got, irax.Array) and got.dtype == np.int32
    np.testing.assert_array_equal(got, src)
    x = jnp.linspace(0, 1, 5)
    np.testing.assert_array_equal(np.from_dlpack(x), np.asarray(x))
    np.testing.assert_array_equal(jax.dlpack.from_dlpack(x), np.asarray(x))   # JAX reads it
    for dt in (np.float16, np.bool_, np.complex64, np.int64):
        assert irax.dlpack.is_supported_dtype(dt) == jax.dlpack.is_supported_dtype(dt)
    with pytest.raises(TypeError, match="__dlpack__"):
        irax.dlpack.from_dlpack([1, 2, 3])


def test_fwd_and_bwd_like_jax():
    W = Y
    ct = np.ones((2, 4), np.float32)
    fwd, bwd = irax.fwd_and_bwd(lambda x, w: jnp.tanh(x @ w), argnums=(0, 1))
    fwd_j, bwd_j = jax.fwd_and_bwd(lambda x, w: jnp_ref.tanh(x @ w), argnums=(0, 1))
    for step in range(2):   # one compiled bwd serves both steps
        y, res = fwd(X, W * step)
        gx, gw = bwd(res, ct)
        yj, resj = fwd_j(X, W * step)
        gxj, gwj = bwd_j(resj, ct)
        np.testing.assert_allclose(y, yj, rtol=1e-5)
        np.testing.assert_allclose(gx, gxj, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(gw, gwj, rtol=1e-5, atol=1e-6)
    assert fwd._cache_size() == bwd._cache_size() == 1
    # analytic: d/dW sum(tanh(x W) * ct) = x^T (ct * (1 - tanh^2))
    t = np.tanh(X @ W)
    np.testing.assert_allclose(gw, X.T @ (ct * (1 - t * t)), rtol=1e-5)
    fwd1, bwd1 = irax.fwd_and_bwd(lambda x, w: jnp.sum(x @ w), argnums=1, jitted=False)
    _, res = fwd1(X, W)
    np.testing.assert_allclose(bwd1(res, np.float32(1)), np.broadcast_to(X.sum(0)[:, None],
                                                                        W.shape), rtol=1e-6)


def test_shards_like_jax():
    x, xj = jnp.arange(3.0), jnp_ref.arange(3.0)
    (s,), (sj,) = x.addressable_shards, xj.addressable_shards
    assert isinstance(s, irax.Shard)
    assert s.index == sj.index and s.replica_id == sj.replica_id == 0
    np.testing.assert_array_equal(s.data, sj.data)
    assert s.device == x.device and len(x.global_shards) == 1


def test_core_names_like_jax():
    assert sorted(n for n in dir(jax.core) if not n.startswith("_")) == \
        sorted(irax.core.__all__)
    closed = irax.make_jaxpr(lambda a, b: jnp.sin(a) * b)(1.0, 2.0)
    got = irax.core.eval_jaxpr(closed.jaxpr, closed.consts, 0.5, 3.0)
    np.testing.assert_allclose(got[0], np.sin(0.5) * 3.0, rtol=1e-6)
    seen = []
    irax.grad(lambda v: seen.append(isinstance(v, irax.core.Tracer)) or v * 2)(1.0)
    assert seen == [True]
    assert isinstance(irax.typeof(X), irax.core.AbstractValue)
    assert irax.core.max_dim(2, 5) == jax.core.max_dim(2, 5) == 5


def _ds_cases(m, x, y, i):
    return [x[m.ds(i, 3)], x[m.ds(i, 3, 2)], x[m.ds(i - 9, 3)], x[m.ds(i - 12, 3, 2)],
            y[m.ds(i - 7, 2), m.ds(i - 6, 2)], y[np.array([0, 2]), m.ds(i - 7, 2)],
            y[:, m.ds(i, 2)][None], x[m.ds(2, 4)], x[m.ds(3)], x[m.ds(None)]]


def test_ds_like_jax():
    x = np.arange(10, dtype=np.int32)
    y = np.arange(12, dtype=np.float32).reshape(3, 4)
    want = jax.jit(lambda x, y, i: _ds_cases(jax, x, y, i))(x, y, 8)
    got = irax.jit(lambda x, y, i: _ds_cases(irax, x, y, i))(x, y, 8)
    eager = _ds_cases(irax, jnp.asarray(x), jnp.asarray(y), 8)
    for g, e, w in zip(got, eager, want):
        np.testing.assert_array_equal(g, w)
        np.testing.assert_array_equal(e, w)
    assert repr(irax.ds(1, 2)) == repr(jax.ds(1, 2)) == "Slice(start=1, size=2, stride=1)"
    assert irax.ds(None) == slice(None)
    g = irax.grad(lambda v, i: jnp.sum(v[irax.ds(i, 2)] ** 2))(np.arange(4.0), 1)
    np.testing.assert_allclose(g, [0, 2, 4, 0])
    with pytest.raises(ValueError, match="Non-static stride"):
        irax.ds(1, 2, np.int32(1))
