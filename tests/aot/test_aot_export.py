"""irax.aot.export: several functions in one .vmfb, run by the runtime alone and by iree-run-module."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import namedtuple
from pathlib import Path

import numpy as np
import pytest

import irax
import irax.numpy as jnp
from irax import ShapeDtypeStruct as S
from irax.aot import ExportError, export

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
Stats = namedtuple("Stats", ["mean", "norm"])

RNG = np.random.default_rng(0)
PARAMS = {"w": RNG.normal(size=(3, 4)).astype(np.float32), "b": RNG.normal(size=4).astype(np.float32)}
X = RNG.normal(size=(5, 3)).astype(np.float32)
Y = RNG.normal(size=(5, 4)).astype(np.float32)


def predict(params, x):
    return jnp.tanh(x @ params["w"] + params["b"])


def loss(params, x, y):
    return jnp.mean((predict(params, x) - y) ** 2)


def train_step(params, x, y, lr):
    value, grads = irax.value_and_grad(loss)(params, x, y)
    return {k: params[k] - lr * grads[k] for k in params}, value


def stats(x):
    return Stats(jnp.mean(x), jnp.sqrt(jnp.sum(x * x)))


def specs_of(tree):
    return irax.tree_util.tree_map(lambda a: S(a.shape, a.dtype), tree)


EXPORTS = {
    "predict": (predict, (specs_of(PARAMS), S(X.shape, "float32"))),
    "loss_grad": (irax.value_and_grad(loss), (PARAMS, X, Y)),  # example arrays work as specs
    "train_step": (train_step, (specs_of(PARAMS), X, Y, S((), np.float32))),
    "stats": (stats, (S((7,), "float32"),)),
}


@pytest.fixture(scope="module")
def cpu_module(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    path = tmp_path_factory.mktemp("aot") / "model.vmfb"
    exported = export(EXPORTS, "llvm-cpu", path, cpu="generic")
    return path, exported


def run_isolated(script: str, *args: str) -> subprocess.CompletedProcess:
    """Run `script` in a fresh Python where iree.compiler and the irax tracer cannot be imported."""
    prelude = (
        "import sys\n"
        "sys.modules['iree.compiler'] = None\n"
        "sys.modules['irax.tracer'] = None\n"
    )
    return subprocess.run(
        [sys.executable, "-c", prelude + script, *args], capture_output=True, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def test_exported_object(cpu_module) -> None:
    path, exported = cpu_module
    assert path.read_bytes() == exported.vmfb
    assert list(exported.functions) == ["predict", "loss_grad", "train_step", "stats"]
    text = exported.stablehlo
    assert text.count("func.func public") == 4
    for name in EXPORTS:
        assert f"func.func public @{name}(" in text
    assert 'iree.abi.name = "params[\'w\']"' in text and 'iree.abi.name = "result.norm"' in text
    f = exported.functions["train_step"]
    assert f.arg_names == ["params['b']", "params['w']", "x", "y", "lr"]
    assert f.result_names == ["result[0]['b']", "result[0]['w']", "result[1]"]


def test_runtime_alone_matches_jit_and_rebuilds_pytrees(cpu_module, tmp_path: Path) -> None:
    path, _ = cpu_module
    lr = np.float32(0.1)
    new_params, value = irax.jit(train_step)(PARAMS, X, Y, lr)
    lg_value, lg_grads = irax.jit(irax.value_and_grad(loss))(PARAMS, X, Y)
    inputs = tmp_path / "inputs.npz"
    np.savez(inputs, x=X, y=Y, w=PARAMS["w"], b=PARAMS["b"], v=np.arange(7, dtype=np.float32))
    script = """
import json, numpy as np, irax.runtime as rt
d = np.load(sys.argv[2])
params = {"w": d["w"], "b": d["b"]}
m = rt.load(sys.argv[1], "local-task", numpy_results=True)
out = {}
out["predict"] = m.predict(params, d["x"])
(new, value) = m.train_step(params, d["x"], d["y"], np.float32(0.1))
assert isinstance(new, dict) and sorted(new) == ["b", "w"], new
out["new_w"], out["new_b"], out["value"] = new["w"], new["b"], value
lv, lg = m.loss_grad(params, d["x"], d["y"])
out["lg_value"], out["lg_w"] = lv, lg["w"]
s = m.stats(d["v"])
assert type(s).__name__ == "Stats" and s._fields == ("mean", "norm"), s
out["mean"], out["norm"] = s.mean, s.norm
mods = [k for k in sys.modules if k.startswith(("irax.tracer.", "iree.compiler.", "irax.lowering", "irax.jit"))]
assert not mods, mods
np.savez(sys.argv[3], **out)
"""
    res = run_isolated(script, str(path), str(inputs), str(tmp_path / "out.npz"))
    assert res.returncode == 0, res.stderr
    out = np.load(tmp_path / "out.npz")
    np.testing.assert_allclose(out["predict"], np.asarray(predict(PARAMS, X)), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(out["new_w"], np.asarray(new_params["w"]), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(out["new_b"], np.asarray(new_params["b"]), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(out["value"], np.asarray(value), rtol=1e-6)
    np.testing.assert_allclose(out["lg_value"], np.asarray(lg_value), rtol=1e-6)
    np.testing.assert_allclose(out["lg_w"], np.asarray(lg_grads["w"]), rtol=1e-5, atol=1e-7)
    v = np.arange(7, dtype=np.float32)
    np.testing.assert_allclose(out["mean"], v.mean(), rtol=1e-6)
    np.testing.assert_allclose(out["norm"], np.linalg.norm(v), rtol=1e-6)


def test_same_file_under_iree_run_module(cpu_module, tmp_path: Path) -> None:
    path, _ = cpu_module
    # predict's flat arguments: params['b'], params['w'], x (dict keys sorted).
    files = []
    for name, arr in [("b", PARAMS["b"]), ("w", PARAMS["w"]), ("x", X)]:
        np.save(tmp_path / f"{name}.npy", arr)
        files.append(f"--input=@{tmp_path / f'{name}.npy'}")
    res = subprocess.run(
        [str(BIN / "iree-run-module"), f"--module={path}", "--device=local-task", "--function=predict",
         *files, f"--output=@{tmp_path / 'out.npy'}"],
        capture_output=True, text=True,
    )
    assert res.returncode == 0, res.stderr
    np.testing.assert_allclose(np.load(tmp_path / "out.npy"), np.asarray(predict(PARAMS, X)), rtol=1e-6, atol=1e-6)
    dump = subprocess.run([str(BIN / "iree-dump-module"), str(path)], capture_output=True, text=True, check=True).stdout
    assert "sync func @predict(%params['b']: tensor<4xf32>" in dump  # iree.abi.name kept


@pytest.mark.vulkan
def test_multi_target_file_runs_on_local_task_and_vulkan(tmp_path: Path) -> None:
    # One file for CPU + Vulkan, with the default (portable) Vulkan target.
    path = tmp_path / "multi.vmfb"
    exported = export({"predict": EXPORTS["predict"], "stats": EXPORTS["stats"]}, "llvm-cpu,vulkan", path,
                      cpu="generic")
    assert "--iree-hal-link-executables=false" in exported.flags
    ref = np.asarray(predict(PARAMS, X))
    v = np.linspace(-2, 3, 7, dtype=np.float32)
    for device in ("local-task", "vulkan"):
        m = irax.runtime.load(path, device, numpy_results=True)
        np.testing.assert_allclose(m.predict(PARAMS, X), ref, rtol=1e-5, atol=1e-6)
        s = m.stats(v)
        np.testing.assert_allclose([s.mean, s.norm], [v.mean(), np.linalg.norm(v)], rtol=1e-5)


@pytest.mark.vulkan
def test_vulkan_train_step_matches_jit(tmp_path: Path) -> None:
    path = tmp_path / "vk.vmfb"
    export({"train_step": EXPORTS["train_step"]}, "vulkan", path)
    m = irax.runtime.load(path, "vulkan")
    lr = np.float32(0.1)
    new, value = m.train_step(PARAMS, X, Y, lr)
    assert new["w"].driver == "vulkan"
    new2, value2 = m.train_step(new, X, Y, lr)  # device-resident params chain into the next call
    ref_new, ref_value = irax.jit(train_step)(PARAMS, X, Y, lr)
    ref_new2, ref_value2 = irax.jit(train_step)(ref_new, X, Y, lr)
    np.testing.assert_allclose(float(value), float(ref_value), rtol=1e-5)
    np.testing.assert_allclose(float(value2), float(ref_value2), rtol=1e-5)
    for k in PARAMS:
        np.testing.assert_allclose(np.asarray(new2[k]), np.asarray(ref_new2[k]), rtol=1e-5, atol=1e-6)


def test_cuda_artifact_compiles_without_a_gpu(tmp_path: Path) -> None:
    path = tmp_path / "cuda.vmfb"
    export({"stats": EXPORTS["stats"]}, "cuda", path)  # default sm_80
    dump = subprocess.run([str(BIN / "iree-dump-module"), str(path)], capture_output=True, text=True, check=True).stdout
    assert "cuda-nvptx-fb" in dump and "embedded-elf" not in dump
    assert "stats" in dump


def test_f64_stays_f64(tmp_path: Path) -> None:
    irax.config.update("enable_x64", True)
    try:
        exported = export({"sq": (lambda x: x * x + 1.0, (S((3,), "float64"),))}, "llvm-cpu",
                          tmp_path / "f64.vmfb", cpu="generic")
    finally:
        irax.config.update("enable_x64", False)
    assert "--iree-input-demote-f64-to-f32=false" in exported.flags
    m = irax.runtime.load(tmp_path / "f64.vmfb", numpy_results=True)
    x = np.array([1.0, 1e-9, 3.0])
    r = m.sq(x)
    assert r.dtype == np.float64
    np.testing.assert_array_equal(r, x * x + 1.0)


def test_shared_helper_written_once_names_escaped_f64_from_lowering(tmp_path: Path) -> None:
    """Two exports calling one nested jit share its private function; names with quotes
    and non-ASCII characters survive (iree.abi.name and the reflection metadata); an
    argument *named* f64 does not make the module an f64 one."""
    inner = irax.jit(lambda v: jnp.tanh(v) * 2.0)

    def twice(f64):
        return inner(f64) + 1.0

    def square(p):
        return inner(p['w"1']) * p["é"]

    specs = {"w\"1": S((3,), "float32"), "é": S((3,), "float32")}
    exported = export({"twice": (twice, (S((3,), "float32"),)), "square": (square, (specs,))},
                      "llvm-cpu", tmp_path / "m.vmfb", cpu="generic")
    text = exported.stablehlo
    assert text.count("func.func private") == 1 and text.count("func.func public") == 2
    assert text.count('"func.call"') == 2
    assert "--iree-input-demote-f64-to-f32=false" not in exported.flags
    assert exported.functions["square"].arg_names == ["p['w\"1']", "p['é']"]
    m = irax.runtime.load(tmp_path / "m.vmfb", numpy_results=True)
    x = np.array([0.5, -1.0, 2.0], np.float32)
    y = np.array([3.0, 0.25, -2.0], np.float32)
    np.testing.assert_allclose(m.twice(x), np.tanh(x) * 2 + 1, rtol=1e-6)
    np.testing.assert_allclose(m.square({"w\"1": x, "é": y}), np.tanh(x) * 2 * y, rtol=1e-6)
    meta = json.loads(m.executable.reflection("square")["irax"])
    assert meta["arg_names"] == ["p['w\"1']", "p['é']"] and meta["in_tree"]["c"][0]["k"] == ['w"1', "é"]
    # each function's own module (what --emit-stablehlo writes) holds the helper it calls
    assert exported.functions["twice"].stablehlo.count("func.func private") == 1
    assert "@square" not in exported.functions["twice"].stablehlo


@pytest.mark.parametrize("exports, match", [
    ({}, "non-empty dict"),
    ({"bad name": (predict, (PARAMS, X))}, "not valid"),
    ({"__init": (predict, (PARAMS, X))}, "not valid"),
    ({"p": predict}, r"pair \(function, arg_specs\)"),
    ({"p": (predict, X)}, "arg_specs must be a tuple"),
    ({"p": (42, (X,))}, "not callable"),
    ({"p": (predict, ({"w": "float32[3,4]", "b": X}, X))}, r"argument params\['w'\] is str 'float32\[3,4\]', not a shape"),
    ({"p": (predict, ({"w": S((3, 4), "float32"), "b": S((4,), "float32")}, S((5, 2), "float32")))},
     r"export 'p': tracing predict failed: TypeError"),
    ({"p": (lambda x: {1.5: x}, (X,))}, "dict key 1.5"),
])
def test_bad_specs_raise_export_error(exports, match) -> None:
    with pytest.raises(ExportError, match=match):
        export(exports, "llvm-cpu", cpu="generic")


def test_a_module_with_vulkan_among_its_targets_is_lowered_for_vulkan() -> None:
    # Vulkan's refusal of float64 exp (a lowering-time capability) shows which lowering ran;
    # it fails before anything is compiled.
    irax.config.update("enable_x64", True)
    try:
        spec = {"e": (jnp.exp, (S((3,), "float64"),))}
        with pytest.raises(ExportError, match="float64 exp cannot be compiled for Vulkan"):
            export(spec, "llvm-cpu,vulkan")
    finally:
        irax.config.update("enable_x64", False)


def test_unknown_target() -> None:
    with pytest.raises(ExportError, match="unknown compile target 'metal'"):
        export(EXPORTS, "llvm-cpu,metal")


def test_lazy_package_import() -> None:
    script = """
import sys
import irax.runtime
bad = [m for m in sys.modules if m.startswith(("irax.tracer", "iree.compiler", "irax.jit", "irax.lowering"))]
assert not bad, bad
import irax
from irax import jit, grad, ShapeDtypeStruct
import irax.numpy as jnp
import irax.jit  # binds the submodule; irax.jit must stay the function
assert callable(irax.jit) and irax.jit is jit and not isinstance(irax.jit, type(sys))
assert float(grad(lambda x: x * x)(3.0)) == 6.0
assert "value_and_grad" in dir(irax)
print("ok")
"""
    res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "ok"
