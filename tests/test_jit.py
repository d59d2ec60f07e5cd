"""irax.jit: caching, signatures, weak types, static arguments, pytrees, errors, device
residency, threads, and composition with grad/vmap (real IREE, CPU)."""
from __future__ import annotations

import random
import threading

import numpy as np
import pytest

import irax
import irax.numpy as jnp
from irax import ShapeDtypeStruct, grad, jit, value_and_grad, vmap
from irax.runtime import DeviceArray, compiler
from irax.tracer import core


def _fresh_const() -> float:
    """A constant no earlier run has compiled (so the disk cache cannot answer)."""
    return 1.0 + random.random()


def test_traces_once_per_signature_and_dispatches_without_tracing():
    traces = []

    def f(x, y):
        traces.append(1)
        return x * y + 1.0
    jf = jit(f)
    x = jnp.ones(3)
    r1 = jf(x, x)
    compiles = compiler.stats["iree_compiles"]
    r2 = jf(x, x)
    r3 = jf(np.ones(3, np.float32), x)       # numpy and irax arrays share a signature
    assert len(traces) == 1
    assert compiler.stats["iree_compiles"] == compiles
    np.testing.assert_array_equal(np.asarray(r2), [2, 2, 2])
    np.testing.assert_array_equal(np.asarray(r3), np.asarray(r1))
    jf(jnp.ones(4), jnp.ones(4))              # new shape: a new trace
    jf(jnp.ones(3, dtype=jnp.int32), jnp.ones(3, dtype=jnp.int32))   # new dtype
    assert len(traces) == 3


def test_results_stay_on_device_and_chain_without_host_copy():
    jf = jit(lambda x: x * 2.0)
    r = jf(jnp.arange(4.0))
    buf = r.device_buffer()
    assert isinstance(buf, DeviceArray)
    r2 = jf(jf(r))
    assert buf._host is None          # r was never copied to the host
    np.testing.assert_array_equal(np.asarray(r2), [0, 8, 16, 24])


def test_weak_types_and_python_scalars():
    jf = jit(lambda x: x * 2)
    out = jf(3.0)
    assert out.weak_type and out.dtype == np.float32 and float(out) == 6.0
    out = jf(np.float32(3.0))
    assert not out.weak_type
    out = jf(3)
    assert out.dtype == np.int32 and out.weak_type and int(out) == 6
    # weak f32 scalar + strong f16-free: stays the array's dtype
    out = jit(lambda x, s: x * s)(jnp.ones(2, dtype=jnp.float32), 2.5)
    assert out.dtype == np.float32 and not out.weak_type
    # repr matches eager
    assert repr(jit(lambda x: x + 1.0)(1.0)) == repr(jnp.asarray(1.0) + 1.0)


def test_float64_numpy_input_is_canonicalized_to_float32():
    out = jit(lambda x: x + 1)(np.arange(3.0))     # float64 numpy, x64 off
    assert out.dtype == np.float32
    np.testing.assert_array_equal(np.asarray(out), [1, 2, 3])


def test_static_argnums_and_argnames():
    traces = []

    def f(x, n, *, mode="add"):
        traces.append((n, mode))
        for _ in range(n):                 # Python control flow on a static value
            x = x + 1.0 if mode == "add" else x * 2.0
        return x
    jf = jit(f, static_argnums=1, static_argnames="mode")
    assert float(jf(1.0, 3)) == 4.0
    assert float(jf(1.0, 3)) == 4.0
    assert float(jf(1.0, 2, mode="mul")) == 4.0
    assert float(jf(1.0, n=3)) == 4.0      # argname of a static argnum
    assert len(traces) == 3
    with pytest.raises(ValueError, match="hashable"):   # JAX: ValueError
        jit(lambda x, s: x, static_argnums=1)(1.0, [1, 2])


def test_pytrees_in_and_out_and_kwargs():
    def f(params, x, scale=1.0):
        return {"y": params["w"] @ x + params["b"], "aux": (x.sum(), None)}, scale * 2
    params = {"w": jnp.ones((2, 3)), "b": jnp.arange(2.0)}
    out, s = jit(f)(params, jnp.ones(3), scale=3.0)
    np.testing.assert_array_equal(np.asarray(out["y"]), [3, 4])
    assert float(out["aux"][0]) == 3.0 and out["aux"][1] is None and float(s) == 6.0


def test_wrong_arguments_are_clear_type_errors():
    jf = jit(lambda x, y: x + y)
    with pytest.raises(TypeError):
        jf(1.0)
    with pytest.raises(TypeError, match="not a valid irax type"):
        jf(1.0, "a")
    compiled = jf.lower(ShapeDtypeStruct((3,), np.float32), ShapeDtypeStruct((3,), np.float32)
                        ).compile()
    np.testing.assert_array_equal(np.asarray(compiled(np.ones(3, np.float32),
                                                      np.ones(3, np.float32))), [2, 2, 2])
    with pytest.raises(TypeError, match="structure"):
        compiled(np.ones(3, np.float32))
    with pytest.raises(TypeError, match="compiled for"):
        compiled(np.ones(4, np.float32), np.ones(4, np.float32))


def test_concretization_error_names_the_function_and_suggests_static_argnums():
    def branchy(x):
        if x > 0:
            return x
        return -x
    with pytest.raises(core.ConcretizationTypeError) as info:
        jit(branchy)(1.0)
    msg = str(info.value)
    assert "branchy" in msg and "static_argnums" in msg
    assert float(jit(branchy, static_argnums=0)(-2.0)) == 2.0


def test_compile_error_carries_iree_diagnostics_and_the_text(monkeypatch):
    from irax.lowering import lowering_rules
    from irax.tracer.prims import elementwise as ew

    def broken(ctx, x):   # an op IREE does not know: a real IREE compile failure
        return ctx.em.op1("stablehlo.not_an_op", [x], ["tensor<f32>"], "tensor<f32>")
    monkeypatch.setitem(lowering_rules, ew.sin_p, broken)
    with pytest.raises(irax.CompileError) as info:
        jit(lambda x: jnp.sin(x) * _fresh_const())(np.float32(1))
    err = info.value
    assert "not_an_op" in err.diagnostics
    assert err.source_path and "not_an_op" in open(err.source_path).read()


def test_lower_as_text_and_compile():
    lowered = jit(lambda x, y: (x @ y, jnp.tanh(x))).lower(
        ShapeDtypeStruct((2, 3), np.float32), ShapeDtypeStruct((3, 4), np.float32))
    text = lowered.as_text()
    assert "stablehlo.dot_general" in text and "stablehlo.tanh" in text
    compiled = lowered.compile()
    assert isinstance(compiled.vmfb, bytes) and len(compiled.vmfb) > 0
    a, b = np.ones((2, 3), np.float32), np.ones((3, 4), np.float32)
    mm, th = compiled(a, b)
    np.testing.assert_array_equal(np.asarray(mm), np.full((2, 4), 3.0))
    assert compiled.as_text() == text


def test_threads_compile_once_and_get_right_answers():
    c = _fresh_const()
    jf = jit(lambda x: jnp.sin(x) * c)
    before = compiler.stats["iree_compiles"]
    results, errors = {}, []
    barrier = threading.Barrier(8)

    def worker(i):
        try:
            barrier.wait()
            for _ in range(20):
                results[i] = np.asarray(jf(jnp.full((4,), float(i))))
        except Exception as e:   # pragma: no cover - reported below
            errors.append(e)
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert compiler.stats["iree_compiles"] - before == 1
    for i in range(8):
        np.testing.assert_allclose(results[i], np.sin(np.full(4, i, np.float32)) * c,
                                   rtol=1e-6)


def test_compositions_grad_vmap_jit():
    def f(x):
        return jnp.sum(jnp.tanh(x) ** 2 * jnp.arange(3.0))
    x = jnp.asarray(np.array([0.1, -0.4, 0.7], np.float32))
    want = grad(f)(x)
    for name, g in [("jit(grad)", jit(grad(f))), ("grad(jit)", grad(jit(f))),
                    ("jit(grad(jit))", jit(grad(jit(f))))]:
        np.testing.assert_allclose(np.asarray(g(x)), np.asarray(want), rtol=1e-5,
                                   err_msg=name)
    xs = jnp.asarray(np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32))
    want_v = vmap(f)(xs)
    for name, g in [("jit(vmap)", jit(vmap(f))), ("vmap(jit)", vmap(jit(f))),
                    ("vmap(jit(grad))", vmap(jit(grad(f)))),
                    ("jit(vmap(grad(jit)))", jit(vmap(grad(jit(f)))))]:
        out = g(xs)
        ref = want_v if "grad" not in name else vmap(grad(f))(xs)
        np.testing.assert_allclose(np.asarray(out), np.asarray(ref), rtol=1e-5, err_msg=name)


def test_grad_of_jit_stays_compiled_and_reuses_executables():
    c = _fresh_const()
    jf = jit(lambda w, x: jnp.sum(jnp.tanh(x @ w) * c))
    w, x = jnp.ones((3, 2)), jnp.ones((4, 3))
    vg = value_and_grad(jf)
    v1, g1 = vg(w, x)
    compiles = compiler.stats["iree_compiles"]
    hits = compiler.stats["memory_hits"]
    v2, g2 = vg(w, x)
    assert compiler.stats["iree_compiles"] == compiles
    assert compiler.stats["memory_hits"] == hits       # not even re-lowered
    np.testing.assert_allclose(np.asarray(g2), np.asarray(g1))
    want_v, want_g = value_and_grad(lambda w, x: jnp.sum(jnp.tanh(x @ w) * c))(w, x)
    np.testing.assert_allclose(float(v2), float(want_v), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(g2), np.asarray(want_g), rtol=1e-4)


def test_jvp_and_jacobians_of_jit():
    from irax import hessian, jacfwd, jacrev, jvp
    f = jit(lambda x: jnp.sin(x) * x)
    x = jnp.asarray(np.array([0.3, 1.2], np.float32))
    y, t = jvp(f, (x,), (jnp.ones(2),))
    np.testing.assert_allclose(np.asarray(t), np.cos(np.asarray(x)) * np.asarray(x)
                               + np.sin(np.asarray(x)), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(jacfwd(f)(x)), np.asarray(jacrev(f)(x)), rtol=1e-6)
    s = jit(lambda x: jnp.sum(jnp.sin(x) * x))
    np.testing.assert_allclose(np.asarray(hessian(s)(x)), np.asarray(hessian(
        lambda x: jnp.sum(jnp.sin(x) * x))(x)), rtol=1e-5)


def test_closure_constants_large_and_device_resident():
    w = jit(lambda: jnp.ones((64, 64)) * 0.5)()          # a device-resident array
    assert isinstance(w.device_buffer(), DeviceArray)
    big = np.arange(1000, dtype=np.float32)
    f = jit(lambda x: (w @ x[:64]).sum() + big.sum() + x.sum())
    x = jnp.ones(1000)
    assert float(f(x)) == pytest.approx(64 * 64 * 0.5 + big.sum() + 1000, rel=1e-6)
    assert "dense<\"0x" not in f.lower(x).as_text()       # neither was embedded


def test_method_and_decorator_forms():
    class M:
        def __init__(self, k):
            self.k = k

        @jit(static_argnums=0)    # self is a (hashable) static argument
        def scale(self, x):
            return x * self.k

    assert float(M(2.0).scale(3.0)) == 6.0

    @jit(static_argnames=("n",))
    def rep(x, n):
        return x * n
    assert float(rep(2.0, n=4)) == 8.0


def test_dispatch_fast_path_converts_and_checks_what_it_must():
    jf = jit(lambda x, y: x * y)
    a = np.arange(6.0)                                  # float64: converted every call
    for _ in range(2):                                  # 2nd call: the cached fast path
        np.testing.assert_array_equal(np.asarray(jf(a, a)), a * a)
    s = np.arange(12, dtype=np.float32)[::2]            # strided numpy view
    for _ in range(2):
        np.testing.assert_array_equal(np.asarray(jf(s, s)), s * s)
    r = jf(jnp.ones(6), 2.0)                            # python scalar leaf
    assert np.asarray(jf(r, 3.0)).tolist() == [6.0] * 6


def test_cpu_driver_follows_matmul_flops():
    sys_jit = __import__("sys").modules["irax.jit"]
    small = jit(lambda a, b: a @ b).lower(jnp.ones((8, 8)), jnp.ones((8, 8))).compile()
    assert small.driver == "local-sync"
    big_in = (ShapeDtypeStruct((256, 256), np.float32),) * 2
    lowered = jit(lambda a, b: jnp.tanh(a @ b) @ b).lower(*big_in)
    assert sys_jit._matmul_flops(lowered.jaxpr.jaxpr) == 2 * 2 * 256 ** 3
    big = lowered.compile()
    assert big.driver == "local-task"
    a = np.random.default_rng(0).standard_normal((256, 256)).astype(np.float32) / 16
    np.testing.assert_allclose(np.asarray(big(a, a)), np.tanh(a @ a) @ a, rtol=1e-4, atol=1e-5)
    # its results feed a local-sync function (through the host) and come back
    np.testing.assert_allclose(np.asarray(jit(lambda x: x + 1.0)(big(a, a))),
                               np.tanh(a @ a) @ a + 1, rtol=1e-4, atol=1e-5)


def test_operators_under_jit_with_only_irax_imported():
    """A spec file that imports only irax (not irax.numpy) can still use + - * on tracers:
    the operators are the tracer's own."""
    import os
    import subprocess
    import sys
    from pathlib import Path
    code = ("import sys, irax\n"
            "print(irax.jit(lambda x: x - 1.)(1.))\n"
            "print(irax.grad(lambda x: x * x)(3.))\n"
            "print('irax.numpy' in sys.modules)\n")
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(root)}, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:3] == ["0.0", "6.0", "False"]
