"""The lowering itself: rule coverage, the text accepted by the stand-alone IREE tools,
constants, dtypes (i1, ints, f64 under x64), custom rules, nested jit."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import irax
import irax.numpy as jnp
from irax import custom_jvp, custom_vjp, grad, jit, jvp, make_jaxpr, vmap
from irax.lowering import lower_jaxpr, lowering_rules
from irax.tracer import core, custom, jit_call

from tests.tracer.op_specs import OPS, make_args

BIN = Path(sys.executable).parent

# Primitives whose lowering the control-flow module provides (irax/lowering/prims/
# control_flow.py, owned by the control-flow work).
CONTROL_FLOW = {"while", "cond", "scan"}
CONTROL_FLOW_LOWERING = Path(irax.__file__).parent / "lowering" / "prims" / "control_flow.py"


# ---------------------------------------------------------------------------
# Coverage


def test_every_primitive_has_a_lowering_rule():
    missing = sorted(p.name for p in core.abstract_eval_rules
                     if p not in lowering_rules and p.name not in CONTROL_FLOW)
    assert not missing, f"primitives without a lowering rule: {missing}"


def test_control_flow_primitives_are_lowered_by_their_module():
    missing = sorted(p.name for p in core.abstract_eval_rules
                     if p not in lowering_rules and p.name in CONTROL_FLOW)
    if missing and not CONTROL_FLOW_LOWERING.exists():
        pytest.xfail(f"control-flow primitives {missing} await irax/lowering/prims/"
                     "control_flow.py (owned by the control-flow module)")
    assert not missing, f"control-flow primitives without a lowering rule: {missing}"


def _prims_of(closed) -> set[str]:
    names = set()

    def walk(j):
        for e in j.eqns:
            names.add(e.primitive.name)
            for v in e.params.values():
                if isinstance(v, core.ClosedJaxpr):
                    walk(v.jaxpr)
                elif isinstance(v, core.Jaxpr):
                    walk(v)
    walk(closed.jaxpr)
    return names


def test_op_table_exercises_every_lowering_rule():
    """Every lowering rule runs in tests/lowering/test_ops_jit.py (jit, grad, vmap modes)."""
    seen: set[str] = set()
    rng = np.random.default_rng(0)
    for spec in OPS:
        args = make_args(spec, rng)
        seen |= _prims_of(make_jaxpr(spec.fn)(*args))
        if spec.diff_argnums:
            seen |= _prims_of(make_jaxpr(grad(lambda *a: jnp.sum(jnp.asarray(
                spec.fn(*a) if not isinstance(spec.fn(*a), (list, tuple)) else 0.0)),
                argnums=spec.diff_argnums))(*args))
    # tested elsewhere in this file: custom rules, jit_call, the forward-mode error, and
    # the collectives, whose only lowering is the unbound-name error; pure_callback (not
    # differentiable, so outside the op table; tests/test_toplevel_names.py compiles it, and
    # tests/test_io_callback.py its effectful twin io_callback); checkify's check, whose
    # lowering is the functionalization error (tests/test_checkify.py)
    elsewhere = {"custom_jvp_call", "custom_vjp_call", "custom_lin", "jit_call", *COLLECTIVES,
                 "pure_callback", "io_callback", "check"}
    unexercised = sorted(p.name for p in lowering_rules
                         if p.name not in seen | elsewhere | CONTROL_FLOW)
    assert not unexercised, f"lowering rules no op spec exercises: {unexercised}"


COLLECTIVES = {
    "psum": lambda v: irax.lax.psum(v, "i"),
    "pmax": lambda v: irax.lax.pmax(v, "i"),
    "pmin": lambda v: irax.lax.pmin(v, "i"),
    "all_gather": lambda v: irax.lax.all_gather(v, "i"),
    "axis_index": lambda v: irax.lax.axis_index("i") + v,
}


@pytest.mark.parametrize("name", sorted(COLLECTIVES))
def test_collective_staged_under_its_vmap_is_unbound_at_lowering(name):
    """A jaxpr staged inside vmap(axis_name="i") keeps the collective; lowered on its own,
    nothing binds "i" any more, which is JAX's NameError, not a compile failure."""
    staged = {}

    def per_example(v):
        staged["jaxpr"] = make_jaxpr(COLLECTIVES[name])(v)
        return v

    vmap(per_example, axis_name="i")(jnp.ones((3, 2)))
    assert name in _prims_of(staged["jaxpr"])
    with pytest.raises(NameError, match="unbound axis name: i"):
        lower_jaxpr(staged["jaxpr"])


# ---------------------------------------------------------------------------
# Stand-alone IREE tools accept the text


def _cli_compile(text: str, tmp: Path, extra=()) -> Path:
    src, out = tmp / "m.mlir", tmp / "m.vmfb"
    src.write_text(text)
    subprocess.run([str(BIN / "iree-compile"), "--iree-input-type=stablehlo",
                    "--iree-hal-target-device=local",
                    "--iree-hal-local-target-device-backends=llvm-cpu",
                    "--iree-llvmcpu-target-cpu=host", *extra, str(src), "-o", str(out)],
                   check=True, capture_output=True, text=True)
    return out


def _cli_run(vmfb: Path, inputs: list[str]) -> list[str]:
    proc = subprocess.run([str(BIN / "iree-run-module"), f"--module={vmfb}",
                           "--device=local-sync", "--function=main",
                           *[f"--input={i}" for i in inputs]],
                          check=True, capture_output=True, text=True)
    # "result[0]: hal.buffer_view\n3xf32=1 2 3" -> the value lines
    return [ln for ln in proc.stdout.splitlines() if re.match(r"^[0-9x]*[a-z]+\d*=", ln)]


def test_text_runs_under_iree_compile_and_iree_run_module(tmp_path):
    def f(x, s):
        y = jnp.tanh(x) * s + jnp.arange(3.0)
        return y, jnp.sum(y), (x > 0.5), jnp.argmax(x)
    text = jit(f).lower(np.array([0.1, 0.9, 0.4], np.float32), 2.0).as_text()
    assert "func.func public @main" in text
    vmfb = _cli_compile(text, tmp_path)
    out = _cli_run(vmfb, ["3xf32=0.1 0.9 0.4", "f32=2"])
    want = f(np.array([0.1, 0.9, 0.4], np.float32), np.float32(2.0))
    y = np.array(out[0].split("=")[1].split(), np.float32)
    np.testing.assert_allclose(y, np.asarray(want[0]), rtol=1e-5)  # printed to 6 digits
    np.testing.assert_allclose(float(out[1].split("=")[1]), float(want[1]), rtol=1e-5)
    assert [int(v) for v in out[2].split("=")[1].split()] == [0, 1, 0]
    assert out[3] == "i32=1"


def test_f64_text_stays_f64_under_iree_tools(tmp_path):
    irax.config.update("enable_x64", True)
    try:
        x = np.array([1.0, 2.0], np.float64)
        text = jit(lambda x: jnp.exp(x) * 1e-300 + x).lower(x).as_text()
        got = jit(lambda x: jnp.exp(x) * 1e-300 + x)(x)
    finally:
        irax.config.update("enable_x64", False)
    assert "f64" in text and "f32" not in text
    assert got.dtype == np.float64
    np.testing.assert_allclose(np.asarray(got), np.exp(x) * 1e-300 + x, rtol=1e-15)
    vmfb = _cli_compile(text, tmp_path, ["--iree-input-demote-f64-to-f32=false"])
    out = _cli_run(vmfb, ["2xf64=1 2"])
    assert out[0].startswith("2xf64=")


# ---------------------------------------------------------------------------
# Values and types


def test_constants_bools_and_integer_types():
    big = np.arange(100, dtype=np.float32).reshape(10, 10)    # hoisted (large) constant
    small = np.array([1.5, -2.0, np.inf], np.float32)        # embedded constant, inf

    def f(x, i, b):
        return (x @ big)[:3] + small, i * 3 - 1, ~b, jnp.where(b, i, -i), (i % 2 == 0)
    x = np.ones(10, np.float32)
    i = np.array([1, 2, 3], np.int32)
    b = np.array([True, False, True])
    got = jit(f)(x, i, b)
    want = f(jnp.asarray(x), jnp.asarray(i), jnp.asarray(b))
    for g, w in zip(got, want):
        np.testing.assert_array_equal(np.asarray(g), np.asarray(w))
        assert np.asarray(g).dtype == np.asarray(w).dtype
    text = jit(f).lower(x, i, b).as_text()
    assert "0000C03F000000C00000807F" in text   # [1.5, -2, inf] as exact little-endian hex
    assert "tensor<3xi1>" in text


def test_uint_and_int64_under_x64():
    irax.config.update("enable_x64", True)
    try:
        u = np.array([1, 2, 250], np.uint8)
        got = jit(lambda u: (u + u, jnp.max(u)))(u)
        q = np.array([2 ** 40, -3], np.int64)
        got64 = jit(lambda q: q * 2)(q)
    finally:
        irax.config.update("enable_x64", False)
    np.testing.assert_array_equal(np.asarray(got[0]), u + u)
    assert int(got[1]) == 250
    np.testing.assert_array_equal(np.asarray(got64), q * 2)
    assert np.asarray(got64).dtype == np.int64


def test_zero_size_and_scalar_shapes():
    f = jit(lambda x, s: (x * s, jnp.sum(x), s + 1))
    got = f(np.zeros((0, 3), np.float32), np.float32(2))
    assert np.asarray(got[0]).shape == (0, 3)
    assert float(got[1]) == 0.0 and float(got[2]) == 3.0


# ---------------------------------------------------------------------------
# Custom rules and nested jit


def test_custom_jvp_and_custom_vjp_lower_to_their_primal():
    @custom_jvp
    def f(x):
        return jnp.log1p(jnp.exp(x))

    @f.defjvp
    def f_jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        return f(x), t * (1 - 1 / (1 + jnp.exp(x)))

    @custom_vjp
    def g(x):
        return jnp.sin(x)

    g.defvjp(lambda x: (jnp.sin(x), jnp.cos(x)), lambda c, ct: (2.0 * c * ct,))

    x = np.array([0.5, 3.0], np.float32)
    np.testing.assert_allclose(np.asarray(jit(f)(x)), np.log1p(np.exp(x)), rtol=1e-6)
    # grad at 100 uses the rule (the primal's derivative would be nan there)
    np.testing.assert_allclose(np.asarray(jit(vmap(grad(f)))(np.array([0.5, 100.0],
                                                                      np.float32))),
                               [1 / (1 + np.exp(-0.5)), 1.0], rtol=1e-6)
    # the custom bwd (2 cos) is used, not the true derivative
    np.testing.assert_allclose(float(jit(grad(g))(0.3)), 2 * np.cos(0.3), rtol=1e-6)
    np.testing.assert_allclose(float(grad(jit(g))(0.3)), 2 * np.cos(0.3), rtol=1e-6)
    text = jit(f).lower(x).as_text()
    assert "custom" not in text


def test_forward_mode_of_custom_vjp_under_jit_raises():
    @custom_vjp
    def g(x):
        return jnp.sin(x)
    g.defvjp(lambda x: (jnp.sin(x), jnp.cos(x)), lambda c, ct: (c * ct,))
    with pytest.raises(TypeError, match="forward-mode"):
        jit(lambda x: jvp(g, (x,), (1.0,))[1])(0.3)


def test_jit_inside_jit_is_inlined():
    inner = jit(lambda x: jnp.sin(x) * 2)
    outer = jit(lambda x: inner(x) + inner(x + 1))
    x = np.float32(0.4)
    np.testing.assert_allclose(float(outer(x)), 2 * np.sin(0.4) + 2 * np.sin(1.4), rtol=1e-6)
    jaxpr = make_jaxpr(outer)(x)
    assert any(e.primitive is jit_call.jit_call_p for e in jaxpr.jaxpr.eqns)
    assert "jit_call" not in outer.lower(x).as_text()


def test_lower_jaxpr_multiple_results_and_literals():
    closed = make_jaxpr(lambda x: (x + 1.0, x * 2, 3.0))(np.float32(1))
    text = lower_jaxpr(closed, "main")
    assert re.search(r"func\.func public @main\(%arg0: tensor<f32>\) -> "
                     r"\(tensor<f32>, tensor<f32>, tensor<f32>\)", text)


# ---------------------------------------------------------------------------
# One module, several functions (ModuleContext), the rule tables


def test_module_context_several_entries_share_one_helper():
    from irax.lowering import ModuleContext, lower_jaxpr_to_fun
    from irax.runtime import Executable, compile_flags
    from irax.runtime.compiler import compile_stablehlo
    inner = jit(lambda v: jnp.tanh(v) * 3.0)
    x = np.array([0.25, -1.5, 2.0], np.float32)
    module = ModuleContext("llvm-cpu", "two")
    lower_jaxpr_to_fun(module, "f", make_jaxpr(lambda v: inner(v) * 2.0)(x), arg_names=["x"])
    lower_jaxpr_to_fun(module, "g", make_jaxpr(lambda v: inner(v) + 1.0)(x),
                       result_names=["out"])
    lowered = module.finish()
    assert lowered.entries == ("f", "g") and len(lowered.helpers) == 1
    assert lowered.text.count("func.func private") == 1 and not lowered.uses_f64
    assert 'tensor<3xf32> {iree.abi.name = "x"}' in lowered.text
    assert module.text(only=["g"]).count("func.func") == 2   # g and the helper it calls
    exe = Executable(compile_stablehlo(lowered.text, compile_flags("llvm-cpu", cpu="generic")),
                     "local-sync")
    np.testing.assert_allclose(exe.call("f", [x])[0].to_numpy(), np.tanh(x) * 6, rtol=1e-6)
    np.testing.assert_allclose(exe.call("g", [x])[0].to_numpy(), np.tanh(x) * 3 + 1, rtol=1e-6)


def test_uses_f64_is_recorded_while_lowering_not_read_from_the_text():
    from irax.lowering import ModuleContext, lower_jaxpr_to_fun
    module = ModuleContext()
    lower_jaxpr_to_fun(module, "f", make_jaxpr(lambda v: v * 2)(np.float32(1)),
                       arg_names=["f64"], reflection={"note": "f64 complex<f64>"})
    lowered = module.finish()
    assert "f64" in lowered.text and not lowered.uses_f64
    irax.config.update("enable_x64", True)
    try:
        wide = make_jaxpr(lambda v: jnp.sum(v.astype(jnp.float64)) > 0)(np.ones(2, np.float32))
    finally:
        irax.config.update("enable_x64", False)
    module = ModuleContext()
    lower_jaxpr_to_fun(module, "g", wide)   # float64 only inside: still an f64 module
    assert module.finish().uses_f64


def test_mlir_string_is_the_one_escaper():
    from irax.lowering import mlir_string
    assert mlir_string("params['w']") == '"params[\'w\']"'
    assert mlir_string('a"b\\c\nd é') == '"a\\"b\\\\c\\0Ad \\C3\\A9"'


def test_per_target_rules_and_the_capability_table(monkeypatch):
    from irax.lowering import UnsupportedOnTarget, rule_for
    from irax.lowering.rules import Capability, capabilities, lowering_rules, target_rules
    from irax.tracer.prims import elementwise as ew
    closed = make_jaxpr(lambda v: (jnp.sin(v), jnp.cos(v)))(np.ones(2, np.float32))

    def cos_as_shifted_sine(ctx, x):   # a "decompose" entry: cos(x) = sin(x + pi/2)
        a = ctx.avals_in[0]
        half_pi = ctx.em.constant(np.pi / 2, a.dtype, a.shape)
        shifted = ctx.em.op1("stablehlo.add", [x, half_pi], ["tensor<2xf32>"] * 2,
                             "tensor<2xf32>")
        return rule_for(ew.sin_p, ctx.target)(ctx, shifted)
    monkeypatch.setitem(capabilities, ew.cos_p,
                        [Capability(frozenset([np.dtype(np.float32)]), None,
                                    decompose=cos_as_shifted_sine)])
    monkeypatch.setitem(capabilities, ew.sin_p,
                        [Capability(frozenset([np.dtype(np.float32)]), "vulkan",
                                    refuse="no float32 sine here")])
    text = lower_jaxpr(closed)
    assert text.count("stablehlo.sine") == 2 and "stablehlo.cosine" not in text
    with pytest.raises(UnsupportedOnTarget, match="no float32 sine here"):
        lower_jaxpr(closed, target="vulkan")
    # a target's own rule wins over the generic one, only on that target
    monkeypatch.setitem(target_rules["cuda"], ew.sin_p, lowering_rules[ew.cos_p])
    assert "stablehlo.cosine" in lower_jaxpr(closed, target="cuda")
    assert rule_for(ew.sin_p, "llvm-cpu") is lowering_rules[ew.sin_p]
