"""jit on other devices: Vulkan (Mesa lavapipe on CPU-only machines; `make vulkan-driver`)
runs and matches CPU; CUDA compiles (the vmfb is produced; no GPU needed)."""
from __future__ import annotations

import numpy as np
import pytest

import irax
import irax.numpy as jnp
from irax import grad, jit, vmap
from irax.runtime import DeviceArray

from tests.lowering.test_ops_jit import TOL, _case, _combined, _compare
from tests.tracer.op_specs import NESTED, OPS_BY_NAME


vulkan = pytest.mark.vulkan

# one module with a cross-section of the op table (elementwise, reductions, matmul,
# indexing, scatter, pad, dynamic slices, cumsum, softmax)
VULKAN_SPECS = sorted(set(NESTED) | {"exp", "argmax", "argmin_flat", "sum_int", "concatenate",
                                     "transpose_axes", "lax_rev", "lax_erf", "one_hot",
                                     "equal", "logical_and", "einsum_batch", "isfinite"})


@vulkan
def test_vulkan_op_cross_section_matches_eager():
    specs = [OPS_BY_NAME[n] for n in VULKAN_SPECS]
    for mode in ("jit", "grad"):
        use = [s for s in specs if mode == "jit" or s.diff_argnums]
        cases = [_case(s, mode) for s in use]
        run, flat = _combined(cases)
        got = jit(run, device="vulkan")(*flat)
        for s, (fn, args), g in zip(use, cases, got):
            _compare(g, fn(*args), max(s.tol, TOL[mode]), f"vulkan {mode} {s.name}")


@vulkan
def test_vulkan_large_reduction_matches_cpu():
    """Reductions are where a wrong subgroup-size assumption shows (IREE_NOTES)."""
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (1 << 22,)).astype(np.float32)     # 4M elements
    m = rng.uniform(-1, 1, (1024, 4096)).astype(np.float32)

    # IREE 3.13's SPIR-V code drops terms beyond 65535 along a reduced extent; irax's
    # Vulkan lowering stages longer reductions and contractions (prims/reduce.py)
    def f(x, m):
        return (jnp.sum(x), jnp.max(x), jnp.sum(m, axis=1), jnp.argmax(m, axis=1),
                jnp.sum(m, axis=0), jnp.argmin(x), jnp.dot(x, x),
                x.reshape(4, -1) @ x.reshape(-1, 4))
    vk = jit(f, device="vulkan")(x, m)
    cpu = jit(f)(x, m)
    np.testing.assert_allclose(float(vk[0]), float(x.astype(np.float64).sum()), atol=0.25)  # f32 accumulation over 4M terms
    np.testing.assert_allclose(float(vk[0]), float(cpu[0]), atol=0.25)  # f32 accumulation over 4M terms
    assert float(vk[1]) == float(x.max())
    np.testing.assert_allclose(np.asarray(vk[2]), m.astype(np.float64).sum(1), atol=1e-3)
    np.testing.assert_array_equal(np.asarray(vk[3]), m.argmax(1))
    np.testing.assert_allclose(np.asarray(vk[4]), m.astype(np.float64).sum(0), atol=1e-3)
    assert int(vk[5]) == int(x.argmin())
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(float(vk[6]), float(x64 @ x64), rtol=1e-5)
    np.testing.assert_allclose(np.asarray(vk[7]), x64.reshape(4, -1) @ x64.reshape(-1, 4),
                               atol=0.05)   # a 1M-term f32 contraction


@vulkan
def test_vulkan_results_stay_on_device_and_chain():
    f = jit(lambda w, x: jnp.tanh(x @ w), device="vulkan")
    w = jnp.asarray(np.eye(8, dtype=np.float32) * 0.5)
    h = jnp.ones((4, 8))
    for _ in range(3):
        h = f(w, h)
    assert isinstance(h.device_buffer(), DeviceArray)
    assert h.device_buffer().driver == "vulkan"
    want = np.ones((4, 8), np.float32)
    for _ in range(3):
        want = np.tanh(want @ (np.eye(8, dtype=np.float32) * 0.5))
    np.testing.assert_allclose(np.asarray(h), want, rtol=1e-6)
    # grad and vmap of a Vulkan-jitted function stay on Vulkan
    g = grad(lambda w: jnp.sum(f(w, jnp.ones((4, 8)))))(w)
    assert g.device_buffer().driver == "vulkan"
    v = vmap(lambda x: f(w, x))(jnp.ones((2, 4, 8)))
    np.testing.assert_allclose(np.asarray(v)[0], np.tanh(np.full((4, 8), 0.5)), rtol=1e-6)


@vulkan
def test_vulkan_f64_transcendental_is_a_clear_error():
    irax.config.update("enable_x64", True)
    try:
        x = np.ones(3, np.float64)
        # f64 arithmetic works on llvmpipe
        np.testing.assert_array_equal(np.asarray(jit(lambda x: x * 2 + 1, device="vulkan")(x)),
                                      [3, 3, 3])
        with pytest.raises(irax.CompileError):
            jit(lambda x: jnp.exp(x) + 0.123, device="vulkan")(x)
    finally:
        irax.config.update("enable_x64", False)


def test_cuda_compiles_to_a_vmfb():
    def mlp(w1, w2, x):
        return jnp.sum(jax_softmax(jnp.tanh(x @ w1) @ w2))

    def jax_softmax(z):
        e = jnp.exp(z - jnp.max(z, axis=-1, keepdims=True))
        return e / jnp.sum(e, axis=-1, keepdims=True)
    args = (irax.ShapeDtypeStruct((16, 32), np.float32),
            irax.ShapeDtypeStruct((32, 10), np.float32),
            irax.ShapeDtypeStruct((8, 16), np.float32))
    compiled = jit(grad(mlp, argnums=(0, 1)), device="cuda").lower(*args).compile()
    assert len(compiled.vmfb) > 1000
    assert compiled.device == "cuda"


@vulkan
def test_vulkan_long_scatter_add_and_batched_contractions():
    """IREE 3.13's Vulkan code applies at most 65535 scatter updates (the rest were dropped
    silently: 70000 ones into 10 bins summed to 65535); irax chains scatters of 32768 rows.
    Batched contractions with batch * K > 65535 were measured correct (kept as a guard)."""
    rng = np.random.default_rng(0)
    n = 70000
    idx = rng.integers(0, 10, n).astype(np.int32)
    u = rng.uniform(0, 1, n).astype(np.float32)
    u2 = rng.uniform(0, 1, (n, 3)).astype(np.float32)
    a = rng.uniform(0.5, 1, (4, 2, 20000)).astype(np.float32)
    b = rng.uniform(0.5, 1, (4, 20000, 2)).astype(np.float32)

    def f(idx, u, u2, a, b):
        return (jnp.zeros(10, jnp.float32).at[idx].add(u),
                jnp.zeros((10, 3), jnp.float32).at[idx].add(u2),
                # a size-1 target; "clip" sends every index to 0 (the default drops them)
                jnp.zeros(1, jnp.float32).at[idx].add(u, mode="clip"),
                jnp.einsum("bik,bkj->bij", a, b), a @ b[0])
    got = jit(f, device="vulkan")(idx, u, u2, a, b)
    want1, want2 = np.zeros(10), np.zeros((10, 3))
    np.add.at(want1, idx, u.astype(np.float64))
    np.add.at(want2, idx, u2.astype(np.float64))
    np.testing.assert_allclose(np.asarray(got[0]), want1, rtol=1e-4)
    np.testing.assert_allclose(np.asarray(got[1]), want2, rtol=1e-4)
    np.testing.assert_allclose(np.asarray(got[2]), [u.astype(np.float64).sum()], rtol=1e-4)
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    np.testing.assert_allclose(np.asarray(got[3]), np.einsum("bik,bkj->bij", a64, b64),
                               rtol=1e-4)
    np.testing.assert_allclose(np.asarray(got[4]), a64 @ b64[0], rtol=1e-4)


@vulkan
def test_vulkan_float64_arithmetic_and_trig_work_exp_raises_clearly():
    irax.config.update("enable_x64", True)
    try:
        x = np.linspace(-10.0, 10.0, 9)
        f = jit(lambda v: (jnp.sin(v), jnp.arctan2(v, 2.0), jnp.sqrt(jnp.abs(v)) * v + 1.0),
                device="vulkan")
        got = f(x)
        with pytest.raises(irax.CompileError, match="float64 exp cannot be compiled for Vulkan"):
            jit(jnp.exp, device="vulkan")(x)
        with pytest.raises(irax.CompileError, match="float64 exp"):
            jit(jnp.tanh, device="vulkan")(x)
    finally:
        irax.config.update("enable_x64", False)
    assert all(np.asarray(g).dtype == np.float64 for g in got)
    np.testing.assert_allclose(np.asarray(got[0]), np.sin(x), rtol=1e-14, atol=1e-300)
    np.testing.assert_allclose(np.asarray(got[1]), np.arctan2(x, 2.0), rtol=1e-14)
    np.testing.assert_allclose(np.asarray(got[2]), np.sqrt(np.abs(x)) * x + 1.0, rtol=1e-15)


@vulkan
def test_vulkan_while_loops_take_guarded_steps_and_stop_exactly():
    """Small loop bodies run several guarded steps per host round trip (per carry copy on
    CPU): trip counts that are not multiples of that, a stop decided by the carries, mixed
    carry dtypes and a body holding a nested loop (not unrolled) all end where a Python
    loop ends."""
    _check_loops_stop_exactly("vulkan")


def test_cpu_while_loops_take_guarded_steps_and_stop_exactly():
    _check_loops_stop_exactly("cpu")


def _check_loops_stop_exactly(device):
    def loops(x, n, limit):
        counted = irax.lax.fori_loop(0, n, lambda i, c: c * 0.999 + i.astype(jnp.float32), x)

        def body(s):
            v, k, parity = s
            return v * 1.5 + 0.25, k + 1, parity ^ 1
        stopped = irax.lax.while_loop(lambda s: (s[0][0] < limit) & (s[1] < 100), body,
                                      (x, jnp.int32(0), jnp.int32(0)))

        def nested_body(i, c):
            return irax.lax.fori_loop(0, 3, lambda j, d: d + 1.0, c) * 0.5
        nested = irax.lax.fori_loop(0, n, nested_body, x[:2])
        return counted, stopped, nested

    f = jit(loops, device=device)
    x0 = np.array([1.0, 2.0, 3.0], np.float32)
    for n, limit in [(0, 0.5), (1, 1.0), (7, 2.0), (8, 50.0), (9, 1e3), (13, 1e6), (100, 1e30)]:
        counted, stopped, nested = f(jnp.asarray(x0), jnp.int32(n), jnp.float32(limit))
        want_c = x0.copy()
        for i in range(n):
            want_c = want_c * np.float32(0.999) + np.float32(i)
        v, k = x0.copy(), 0
        while v[0] < limit and k < 100:
            v, k = v * np.float32(1.5) + np.float32(0.25), k + 1
        want_n = x0[:2].copy()
        for _ in range(n):
            want_n = (want_n + 3.0) * 0.5
        np.testing.assert_allclose(np.asarray(counted), want_c, rtol=1e-5, err_msg=f"n={n}")
        np.testing.assert_allclose(np.asarray(stopped[0]), v, rtol=1e-5, err_msg=f"limit={limit}")
        assert int(stopped[1]) == k and int(stopped[2]) == k % 2, (limit, k)
        np.testing.assert_allclose(np.asarray(nested), want_n, rtol=1e-5)
