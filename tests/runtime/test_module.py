"""AOT modules: load from disk, pytree signatures from iree.reflection, no compiler needed."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import namedtuple
from pathlib import Path

import numpy as np
import pytest

from irax.runtime import DeviceArray, InputError, ModuleLoadError, compile_flags, load
from irax.runtime.compiler import compile_stablehlo
from irax.runtime.treedef_json import flatten_json, unflatten_json

from tests.runtime.rt_snippets import ADD_MUL

ROOT = Path(__file__).resolve().parents[2]

# f(x, params={"w": f32[2,3], "b": f32[3]}) -> Point(y=x@w+b, n=sum(y)), plus a plain `twice`.
META = {
    "version": 1,
    "in_tree": {"t": "tuple", "c": [{"t": "leaf"}, {"t": "dict", "k": ["b", "w"], "c": [{"t": "leaf"}, {"t": "leaf"}]}]},
    "out_tree": {"t": "namedtuple", "name": "Point", "fields": ["y", "n"], "c": [{"t": "leaf"}, {"t": "leaf"}]},
    "in_avals": [[[4, 2], "f32"], [[3], "float32"], [[2, 3], "f32"]],
    "out_avals": [[[4, 3], "f32"], [[], "f32"]],
}


def mlir_string(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


AOT = f"""
func.func @affine(%x: tensor<4x2xf32>, %b: tensor<3xf32>, %w: tensor<2x3xf32>) -> (tensor<4x3xf32>, tensor<f32>)
    attributes {{iree.reflection = {{irax = {mlir_string(json.dumps(META))}}}}} {{
  %0 = stablehlo.dot_general %x, %w, contracting_dims = [1] x [0] : (tensor<4x2xf32>, tensor<2x3xf32>) -> tensor<4x3xf32>
  %1 = stablehlo.broadcast_in_dim %b, dims = [1] : (tensor<3xf32>) -> tensor<4x3xf32>
  %2 = stablehlo.add %0, %1 : tensor<4x3xf32>
  %z = stablehlo.constant dense<0.0> : tensor<f32>
  %3 = stablehlo.reduce(%2 init: %z) applies stablehlo.add across dimensions = [0, 1] : (tensor<4x3xf32>, tensor<f32>) -> tensor<f32>
  return %2, %3 : tensor<4x3xf32>, tensor<f32>
}}
func.func @twice(%a: tensor<3xi32>) -> tensor<3xi32> {{
  %0 = stablehlo.add %a, %a : tensor<3xi32>
  return %0 : tensor<3xi32>
}}
"""


@pytest.fixture(scope="module")
def aot_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("aot") / "model.vmfb"
    path.write_bytes(compile_stablehlo(AOT, compile_flags("llvm-cpu", cpu="generic")))
    return path


def test_pytree_signature_roundtrip(aot_path: Path) -> None:
    mod = load(aot_path)
    assert sorted(mod.function_names) == ["affine", "twice"]
    x = np.arange(8, dtype=np.float32).reshape(4, 2)
    params = {"w": np.ones((2, 3), np.float32), "b": np.array([1, 2, 3], np.float32)}
    out = mod.affine(x, params)
    assert type(out).__name__ == "Point" and out._fields == ("y", "n")
    assert isinstance(out.y, DeviceArray)
    ref = x @ params["w"] + params["b"]
    np.testing.assert_allclose(out.y.to_numpy(), ref)
    np.testing.assert_allclose(float(out.n), ref.sum())
    assert mod.signature("affine")["out_tree"]["name"] == "Point"
    assert mod.signature("twice") is None


def test_no_metadata_flat_args_tuple_results(aot_path: Path) -> None:
    mod = load(aot_path, "local-sync", numpy_results=True)
    (r,) = mod.twice(np.array([1, 2, 3], np.int32))
    assert isinstance(r, np.ndarray) and r.dtype == np.int32
    np.testing.assert_array_equal(r, [2, 4, 6])


def test_results_chain_into_next_call(aot_path: Path) -> None:
    mod = load(aot_path)
    (r,) = mod.twice(np.array([1, 2, 3], np.int32))
    (r2,) = mod.twice(r)
    np.testing.assert_array_equal(r2.to_numpy(), [4, 8, 12])


def test_argument_errors_name_function_and_path(aot_path: Path) -> None:
    mod = load(aot_path)
    x = np.zeros((4, 2), np.float32)
    with pytest.raises(InputError, match=r"affine: argument \[1\]\['w'\]: expected float32\[2,3\], got float64\[2,3\]"):
        mod.affine(x, {"w": np.ones((2, 3)), "b": np.zeros(3, np.float32)})
    with pytest.raises(InputError, match=r"affine: argument \[0\]: expected float32\[4,2\], got float32\[2,4\]"):
        mod.affine(x.T, {"w": np.ones((2, 3), np.float32), "b": np.zeros(3, np.float32)})
    with pytest.raises(InputError, match=r"expected dict keys \['b', 'w'\]"):
        mod.affine(x, {"w": np.ones((2, 3), np.float32)})
    with pytest.raises(AttributeError, match="no function 'nope'"):
        mod.nope


def test_not_a_vmfb(tmp_path: Path) -> None:
    bad = tmp_path / "junk.vmfb"
    bad.write_bytes(b"this is not a module" * 10)
    with pytest.raises(ModuleLoadError, match="junk.vmfb"):
        load(bad)
    with pytest.raises(ModuleLoadError, match="missing.vmfb"):
        load(tmp_path / "missing.vmfb")


def test_missing_file_and_directory_errors_say_which(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="missing.vmfb' does not exist"):
        load(tmp_path / "missing.vmfb")
    (tmp_path / "dir.vmfb").mkdir()
    with pytest.raises(IsADirectoryError, match="dir.vmfb' is a directory") as info:
        load(tmp_path / "dir.vmfb")
    assert isinstance(info.value, ModuleLoadError)


def test_module_file_truncated_after_load_keeps_working(aot_path: Path, tmp_path: Path) -> None:
    """The loaded module is a private copy: truncating the file in place (what `cp` over
    it does) must not kill the next call (a memory-mapped module died with SIGBUS)."""
    path = tmp_path / "copy.vmfb"
    path.write_bytes(aot_path.read_bytes())
    script = (
        "import sys, numpy as np, irax.runtime as rt\n"
        "m = rt.load(sys.argv[1], 'local-sync', numpy_results=True)\n"
        "(r,) = m.twice(np.array([1, 2, 3], np.int32))\n"
        "with open(sys.argv[1], 'r+b') as f:\n"
        "    f.truncate(16)\n"
        "(r2,) = m.twice(np.array([4, 5, 6], np.int32))\n"
        "print(r.tolist(), r2.tolist())\n"
    )
    out = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True,
                         text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, (out.returncode, out.stderr)   # -7 was SIGBUS
    assert out.stdout.strip() == "[2, 4, 6] [8, 10, 12]"
    assert path.stat().st_size == 16


def test_treedef_json_roundtrip() -> None:
    P = namedtuple("P", ["a", "b"])
    spec = {"t": "list", "c": [
        {"t": "none"},
        {"t": "namedtuple", "name": "P", "fields": ["a", "b"], "c": [{"t": "leaf"}, {"t": "tuple", "c": [{"t": "leaf"}]}]},
        {"t": "dict", "k": ["z", "y"], "c": [{"t": "leaf"}, {"t": "leaf"}]},
    ]}
    value = [None, P(1, (2,)), {"y": 4, "z": 3}]
    assert flatten_json(spec, value) == [1, 2, 3, 4]
    rebuilt = unflatten_json(spec, [1, 2, 3, 4])
    assert rebuilt[0] is None and tuple(rebuilt[1]) == (1, (2,)) and rebuilt[2] == {"z": 3, "y": 4}


def test_runtime_imports_and_runs_without_compiler(aot_path: Path) -> None:
    script = (
        "import sys\n"
        "sys.modules['iree.compiler'] = None  # any import of the compiler now fails\n"
        "import numpy as np, irax.runtime as rt\n"
        "m = rt.load(sys.argv[1], 'local-sync', numpy_results=True)\n"
        "(r,) = m.twice(np.array([5, 6, 7], np.int32))\n"
        "assert 'iree.compiler.api' not in sys.modules\n"
        "print(r.tolist())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(aot_path)], capture_output=True, text=True, check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert out.stdout.strip() == "[10, 12, 14]"
