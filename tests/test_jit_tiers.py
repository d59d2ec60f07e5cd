"""Tiered execution (irax/jit_tiers.py): a first call runs eagerly while IREE compiles.

The rest of the suite turns tiering off (tests/conftest.py) so that jit tests test the
compiled module; these tests turn it on per function with `jit(f, tiered=True)`. Each uses
its own empty disk cache and a function text no other test compiles (a cache hit skips
the eager tier). References are NumPy or analytic values.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import irax
import irax.numpy as jnp
from irax import lax
from irax.runtime import compiler


@pytest.fixture(autouse=True)
def _empty_disk_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("IRAX_CACHE_DIR", str(tmp_path))


def _mlp_reference(w1, w2, x):
    h = np.tanh(x.astype(np.float64) @ w1)
    return (h @ w2).sum(), h


def test_first_call_runs_eagerly_then_the_compiled_module_takes_over():
    rng = np.random.default_rng(1)
    w1 = rng.normal(size=(16, 32)).astype(np.float32)
    w2 = rng.normal(size=(32, 3)).astype(np.float32)
    x = rng.normal(size=(8, 16)).astype(np.float32)

    def f(w1, w2, x):
        h = jnp.tanh(x @ w1)
        return jnp.sum(h @ w2) * 1.0, h   # "* 1.0": a text no other test compiles

    jf = irax.jit(f, tiered=True)
    s0, h0 = jf(w1, w2, x)
    assert jf.tier_of(w1, w2, x) == "eager"   # IREE takes far longer than one eager call
    want_s, want_h = _mlp_reference(w1, w2, x)
    np.testing.assert_allclose(float(s0), want_s, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(h0), want_h, rtol=1e-5, atol=1e-6)
    assert s0.dtype == np.float32 and h0.shape == (8, 32)

    assert jf.wait_compiled(timeout=300)
    assert jf.tier_of(w1, w2, x) == "compiled"
    s1, h1 = jf(w1, w2, x)
    np.testing.assert_allclose(float(s1), want_s, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(h1), np.asarray(h0), rtol=1e-5, atol=1e-6)

    # a second function of the same text finds the module in the cache: no eager tier
    jf2 = irax.jit(f, tiered=True)
    jf2.clear_cache()
    jf2(w1, w2, x)
    assert jf2.tier_of(w1, w2, x) == "compiled"


def test_weak_types_and_python_scalars_match_the_compiled_tier():
    jf = irax.jit(lambda x, s: x * s + 2.5, tiered=True)
    eager = jf(jnp.arange(3, dtype=jnp.int32), 2)
    assert jf.tier_of(jnp.arange(3, dtype=jnp.int32), 2) == "eager"
    jf.wait_compiled(timeout=300)
    compiled = jf(jnp.arange(3, dtype=jnp.int32), 2)
    for r in (eager, compiled):
        assert r.dtype == np.float32 and r.weak_type   # as JAX: int32 + weak float
        np.testing.assert_array_equal(np.asarray(r), [2.5, 4.5, 6.5])


def test_a_long_eager_loop_hands_over_to_the_compiled_module():
    # 400k eager iterations take many seconds; the call finishes on the compiled module
    def f(x):
        return lax.fori_loop(0, 400_000, lambda i, c: c + x, jnp.zeros_like(x) + 7)

    jf = irax.jit(f, tiered=True)
    x = np.array([1, 3], np.int32)
    out = jf(x)
    assert jf._compiled_for((x,), {}).last_tier == "compiled"
    np.testing.assert_array_equal(np.asarray(out), 7 + 400_000 * x)


def test_vmapped_while_loop_of_the_seed_fixed_point_on_the_eager_tier():
    def newton_sqrt(a):
        def cond(c):
            prev, x = c
            return jnp.abs(prev - x) > 1e-6

        def body(c):
            _, x = c
            return x, 0.5 * (x + a / x)
        return lax.while_loop(cond, body, (a, 0.5 * (a + 1.0)))[1]

    jf = irax.jit(irax.vmap(newton_sqrt), tiered=True)
    a = np.linspace(0.5, 40.0, 64).astype(np.float32)
    eager = jf(a)
    jf.wait_compiled(timeout=300)
    compiled = jf(a)
    np.testing.assert_allclose(np.asarray(eager), np.sqrt(a), rtol=2e-6)
    np.testing.assert_allclose(np.asarray(compiled), np.asarray(eager), rtol=2e-6)


def test_nested_jit_runs_inline_on_the_eager_tier():
    inner = irax.jit(lambda y: jnp.sin(y) * 3.0)
    outer = irax.jit(lambda x: inner(x * 0.75) + 1.0, tiered=True)
    x = np.linspace(-1, 1, 5).astype(np.float32)
    before = compiler.stats["iree_compiles"]
    out = outer(x)
    # at most the outer module's own background compile has started: the inner function
    # was evaluated inside the eager tier, not compiled on the way
    assert compiler.stats["iree_compiles"] - before <= 1
    np.testing.assert_allclose(np.asarray(out), np.sin(x * 0.75) * 3.0 + 1.0, rtol=1e-6)
    outer.wait_compiled(timeout=300)


def test_debug_print_keeps_the_first_call_on_the_compiled_module(capfd):
    def f(x):
        irax.debug.print("tier test {}", x[0])
        return x * 1.5

    jf = irax.jit(f, tiered=True)
    out = jf(np.array([2.0, 3.0], np.float32))
    assert jf.tier_of(np.array([2.0, 3.0], np.float32)) == "compiled"
    np.testing.assert_array_equal(np.asarray(out), [3.0, 4.5])
    assert capfd.readouterr().out.count("tier test 2.0") == 1


def test_tiering_is_controllable():
    x = np.array([1.0, 4.0], np.float32)
    off = irax.jit(lambda x: jnp.sqrt(x) * 1.125, tiered=False)
    off(x)
    assert off.tier_of(x) == "compiled"
    prev = irax.config.jit_tiered
    irax.config.update("jit_tiered", False)
    try:
        by_config = irax.jit(lambda x: jnp.sqrt(x) * 1.375)
        by_config(x)
        assert by_config.tier_of(x) == "compiled"
    finally:
        irax.config.update("jit_tiered", prev)
    with pytest.raises(ValueError, match="jit_tiered"):
        irax.config.update("jit_tiered", "sometimes")
    assert irax.jit(lambda x: x).tier_of(x) is None   # never called


def test_a_failing_background_compile_leaves_the_calls_eager_with_one_warning():
    # The program of test_regressions' strict xfail: IREE 3.13 rejects this valid module
    # ("circular dependency" in stream partitioning). Tiered, the values stay right.
    def f(x0):
        v0 = jnp.cos(x0)
        v1 = lax.fori_loop(0, 40, lambda i, y: jnp.sin(y) + 0.5 * y, v0)
        return jnp.cumsum(v0, axis=-1), jnp.sum(v1)

    x = np.array([0.3, 0.7], np.float32)
    y = np.cos(x.astype(np.float64))
    want = y.copy()
    for _ in range(40):
        want = np.sin(want) + 0.5 * want
    jf = irax.jit(f, tiered=True)
    jf(x)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert not jf.wait_compiled(timeout=300)
        got = jf(x)
        jf(x)
    messages = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert len(messages) == 1 and "could not compile" in messages[0]
    assert "circular dependency" in messages[0]
    assert jf.tier_of(x) == "eager"
    np.testing.assert_allclose(np.asarray(got[0]), np.cumsum(y), rtol=1e-6)
    np.testing.assert_allclose(float(got[1]), want.sum(), rtol=1e-6)


def test_a_script_ending_during_a_background_compile_exits_cleanly_and_leaves_it_cached(
        tmp_path):
    """The process waits for the compile at exit: no daemon thread is alive at
    finalization (IREE's bindings would print "leaked instance" lines), and the module is
    in the disk cache for the next run, whose first call then needs no eager tier."""
    import os
    import subprocess
    import sys
    script = ("import irax, irax.numpy as jnp\n"
              "f = irax.jit(lambda x: jnp.tanh(x) @ x.T + 1.0)\n"
              "out = f(jnp.ones((3, 3)))\n"
              "print(f.tier_of(jnp.ones((3, 3))), float(out[0, 0]))\n")
    env = {**os.environ, "IRAX_JIT_TIERED": "1", "IRAX_CACHE_DIR": str(tmp_path)}
    runs = [subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                           env=env, timeout=300) for _ in range(2)]
    want = f"{3 * np.tanh(1.0) + 1.0:.5f}"
    for r in runs:
        assert r.returncode == 0 and "leaked" not in r.stderr, r.stderr[-2000:]
        assert f"{float(r.stdout.split()[1]):.5f}" == want
    assert runs[0].stdout.split()[0] == "eager" and runs[1].stdout.split()[0] == "compiled"
