"""Compile hand-written StableHLO, run it on real IREE devices, compare with numpy."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from irax.runtime import DeviceArray, Executable, InputError, compile_flags, detect_vulkan_target, resolve_device
from irax.runtime.compiler import CompileError, compile_stablehlo
from irax.runtime.targets import SAFE_VULKAN_TARGET, vulkan_target_for_device_name

from tests.runtime.rt_snippets import ADD_MUL, COMPARE, DOT, F64_DOT_SQRT, F64_EXP, SCALAR, reduce_sum, requires_vulkan

CPU = compile_flags("llvm-cpu")
RNG = np.random.default_rng(0)


@pytest.mark.parametrize("device", ["local-sync", "local-task", "cpu"])
def test_cpu_add_mul_dot_scalar_bool(device: str) -> None:
    a, b = RNG.standard_normal(4).astype(np.float32), RNG.standard_normal(4).astype(np.float32)
    s, p = Executable(compile_stablehlo(ADD_MUL, CPU), device).call("main", [a, b])
    np.testing.assert_allclose(s.to_numpy(), a + b, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(p), a * b, rtol=1e-6)
    assert s.shape == (4,) and s.dtype == np.float32

    (sq,) = Executable(compile_stablehlo(SCALAR, CPU), device).call("main", [np.asarray(3.0, np.float32)])
    assert sq.shape == () and sq.dtype == np.float32 and float(sq) == 9.0

    x, y = RNG.standard_normal(5).astype(np.float32), RNG.standard_normal(5).astype(np.float32)
    (gt,) = Executable(compile_stablehlo(COMPARE, CPU), device).call("main", [x, y])
    assert gt.dtype == np.bool_
    np.testing.assert_array_equal(gt.to_numpy(), x > y)

    m, v = RNG.standard_normal((3, 5)).astype(np.float32), RNG.standard_normal((5, 2)).astype(np.float32)
    (d,) = Executable(compile_stablehlo(DOT, CPU), device).call("main", [m, v])
    np.testing.assert_allclose(d.to_numpy(), m @ v, rtol=1e-5, atol=1e-6)


def test_reduce_cpu_large() -> None:
    x = RNG.standard_normal(5000).astype(np.float32)
    s, m = Executable(compile_stablehlo(reduce_sum(5000), CPU), "local-sync").call("main", [x])
    np.testing.assert_allclose(float(s), x.sum(dtype=np.float64), rtol=1e-4, atol=1e-3)
    assert float(m) == x.max()


def test_device_arrays_chain_without_host() -> None:
    exe = Executable(compile_stablehlo(ADD_MUL, CPU), "local-sync")
    a = np.arange(4, dtype=np.float32)
    s, p = exe.call("main", [a, a])
    s2, p2 = exe.call("main", [s, p])  # DeviceArrays straight back in
    np.testing.assert_allclose(s2.to_numpy(), (a + a) + (a * a))
    np.testing.assert_allclose(p2.to_numpy(), (a + a) * (a * a))
    out = s2.to_numpy()
    assert not out.flags.writeable  # aliases the device buffer


def test_device_array_across_cpu_drivers() -> None:
    vm = compile_stablehlo(ADD_MUL, CPU)
    a = np.arange(4, dtype=np.float32)
    (s, _) = Executable(vm, "local-task").call("main", [a, a])
    (s2, _) = Executable(vm, "local-sync").call("main", [s, a])
    np.testing.assert_allclose(s2.to_numpy(), 3 * a)


def test_f64_kept_with_demotion_off() -> None:
    vm = compile_stablehlo(F64_DOT_SQRT, compile_flags("llvm-cpu", f64=True))
    a, b = RNG.standard_normal((3, 3)), RNG.standard_normal(3)
    (r,) = Executable(vm, "local-sync").call("main", [a, b])
    assert r.dtype == np.float64
    np.testing.assert_allclose(r.to_numpy(), np.abs(a @ b) + b, rtol=1e-12)


def test_input_checks_name_argument() -> None:
    exe = Executable(
        compile_stablehlo(ADD_MUL, CPU),
        "local-sync",
        signatures={"main": ([((4,), "f32"), ((4,), "f32")], [((4,), "f32"), ((4,), "f32")])},
    )
    good = np.zeros(4, np.float32)
    with pytest.raises(InputError, match=r"argument 1: expected dtype float32\[4\], got float64\[4\]"):
        exe.call("main", [good, np.zeros(4)])
    with pytest.raises(InputError, match=r"argument 0: expected shape float32\[4\], got float32\[5\]"):
        exe.call("main", [np.zeros(5, np.float32), good])
    with pytest.raises(InputError, match="expected 2 arguments, got 1"):
        exe.call("main", [good])
    with pytest.raises(InputError, match="argument 0: expected a numpy array"):
        exe.call("main", [[1.0, 2.0, 3.0, 4.0], good])
    with pytest.raises(TypeError):  # InputError is a TypeError and a ValueError
        exe.call("main", [good.astype(np.int32), good])
    with pytest.raises(AttributeError, match="no function 'nope'"):
        exe.call("nope", [])


def test_wrong_shape_without_signature_is_a_python_error() -> None:
    exe = Executable(compile_stablehlo(ADD_MUL, CPU), "local-sync")
    with pytest.raises(InputError, match="main: IREE rejected the arguments: .*shape dimension 0 mismatch"):
        exe.call("main", [np.zeros(5, np.float32), np.zeros(5, np.float32)])


def test_compile_error_carries_diagnostics_and_source(isolated_cache: Path) -> None:
    bad = SCALAR.replace("%a, %a", "%a, %undefined")
    with pytest.raises(CompileError) as info:
        compile_stablehlo(bad, CPU)
    err = info.value
    assert "use of undeclared SSA value name" in str(err)
    assert "use of undeclared SSA value name" in err.diagnostics
    assert err.source_path and err.source_path in str(err)
    assert Path(err.source_path).read_text() == bad
    assert Path(err.source_path).parent == isolated_cache / "failed"


def test_bad_flag_is_compile_error() -> None:
    with pytest.raises(CompileError, match="iree-not-a-flag"):
        compile_stablehlo(SCALAR, CPU + ["--iree-not-a-flag"])


def test_device_and_flag_tables() -> None:
    assert resolve_device("cpu") == "cpu" and resolve_device("local-task") == "local-task"
    with pytest.raises(ValueError, match="valid devices: .*cuda.*local-sync"):
        resolve_device("tpu")
    multi = compile_flags("llvm-cpu,vulkan,cuda", vulkan_target="llvmpipe")
    assert "--iree-hal-target-device=local,vulkan,cuda" in multi
    assert "--iree-hal-link-executables=false" in multi
    assert "--iree-input-type=stablehlo" in multi
    assert "--iree-input-demote-f64-to-f32=false" in compile_flags("cuda", f64=True)
    with pytest.raises(ValueError, match="unknown compile target"):
        compile_flags("metal")
    assert vulkan_target_for_device_name("llvmpipe (LLVM 15.0.6, 256 bits)") == "llvmpipe"
    assert vulkan_target_for_device_name("Some Future GPU 9000") == SAFE_VULKAN_TARGET


def test_cuda_compile_only(tmp_path: Path) -> None:
    vm = compile_stablehlo(ADD_MUL, compile_flags("cuda"))
    path = tmp_path / "m.vmfb"
    path.write_bytes(vm)
    dump = subprocess.run(
        [str(Path(sys.executable).parent / "iree-dump-module"), str(path)], capture_output=True, text=True, check=True
    ).stdout
    assert "cuda-nvptx-fb" in dump


# ---------------------------------------------------------------- Vulkan (lavapipe)


@requires_vulkan
def test_vulkan_target_detected_from_real_device() -> None:
    import iree.runtime as rt

    name = rt.get_driver("vulkan").query_available_devices()[0]["name"]
    assert detect_vulkan_target() == vulkan_target_for_device_name(name)


@requires_vulkan
def test_vulkan_elementwise_bool_scalar_and_chain() -> None:
    flags = compile_flags("vulkan")
    a, b = RNG.standard_normal(4).astype(np.float32), RNG.standard_normal(4).astype(np.float32)
    exe = Executable(compile_stablehlo(ADD_MUL, flags), "vulkan")
    s, p = exe.call("main", [a, b])
    np.testing.assert_allclose(s.to_numpy(), a + b, rtol=1e-6)
    s2, _ = exe.call("main", [s, p])  # stays on the GPU
    np.testing.assert_allclose(s2.to_numpy(), a + b + a * b, rtol=1e-5)
    x, y = RNG.standard_normal(5).astype(np.float32), RNG.standard_normal(5).astype(np.float32)
    (gt,) = Executable(compile_stablehlo(COMPARE, flags), "vulkan").call("main", [x, y])
    np.testing.assert_array_equal(gt.to_numpy(), x > y)
    (sq,) = Executable(compile_stablehlo(SCALAR, flags), "vulkan").call("main", [np.asarray(-3.0, np.float32)])
    assert float(sq) == 9.0


@requires_vulkan
@pytest.mark.parametrize("target", [None, SAFE_VULKAN_TARGET])
def test_vulkan_reduction_correct(target: str | None) -> None:
    """The wrong-target trap: vendor targets give wrong sums on lavapipe; ours must not."""
    n = 4099
    x = RNG.standard_normal(n).astype(np.float32)
    vm = compile_stablehlo(reduce_sum(n), compile_flags("vulkan", vulkan_target=target))
    s, m = Executable(vm, "vulkan").call("main", [x])
    np.testing.assert_allclose(float(s), x.sum(dtype=np.float64), rtol=1e-4, atol=1e-3)
    assert float(m) == x.max()


@requires_vulkan
def test_vulkan_f64_dot_sqrt_and_exp_error() -> None:
    flags = compile_flags("vulkan", f64=True)
    a, b = RNG.standard_normal((3, 3)), RNG.standard_normal(3)
    (r,) = Executable(compile_stablehlo(F64_DOT_SQRT, flags), "vulkan").call("main", [a, b])
    assert r.dtype == np.float64
    np.testing.assert_allclose(r.to_numpy(), np.abs(a @ b) + b, rtol=1e-12)
    with pytest.raises(CompileError) as info:
        compile_stablehlo(F64_EXP, flags)
    assert info.value.diagnostics  # IREE's own words, not a silent demotion


@requires_vulkan
def test_multi_target_module_runs_on_cpu_and_vulkan() -> None:
    vm = compile_stablehlo(ADD_MUL, compile_flags("llvm-cpu,vulkan"))
    a = np.arange(4, dtype=np.float32)
    for dev in ("local-sync", "vulkan"):
        s, _ = Executable(vm, dev).call("main", [a, a])
        np.testing.assert_allclose(s.to_numpy(), 2 * a)


def test_invoker_is_the_checked_fast_path() -> None:
    vm = compile_stablehlo(ADD_MUL, CPU)
    exe = Executable(vm, "cpu", signatures={"main": ([((4,), "f32")] * 2, [((4,), "f32")] * 2)})
    inv = exe.invoker("main")
    assert inv.driver == exe.driver_for("main") == "local-sync"  # small: the low-latency driver
    a = np.arange(4, dtype=np.float32)
    s, p = inv([a, a])
    np.testing.assert_allclose(s.to_numpy(), a + a)
    s2, _ = inv([s, p])  # DeviceArrays of its own driver go straight in
    np.testing.assert_allclose(s2.to_numpy(), 2 * a + a * a)
    assert s2.shape == (4,) and s2.dtype == np.float32
    # wrong dtype / shape / count / type: the checked path's InputError, never an IREE crash
    with pytest.raises(InputError, match=r"argument 1: expected dtype float32\[4\], got float64\[4\]"):
        inv([a, np.zeros(4)])
    with pytest.raises(InputError, match=r"argument 0: expected dtype float32\[4\], got int32\[4\]"):
        inv([a.astype(np.int32), a])
    with pytest.raises(InputError, match=r"argument 0: expected shape float32\[4\], got float32\[5\]"):
        inv([np.zeros(5, np.float32), a])
    with pytest.raises(InputError, match="expected 2 arguments, got 1"):
        inv([a])
    with pytest.raises(InputError, match="argument 0: expected a numpy array"):
        inv([[1.0, 2.0, 3.0, 4.0], a])
    # non-contiguous and other-driver inputs still work (converted on the checked path)
    np.testing.assert_allclose(inv([np.arange(8, dtype=np.float32)[::2], a])[0].to_numpy(),
                               np.arange(8, dtype=np.float32)[::2] + a)
    (t, _) = exe.invoker("main", driver="local-task")([a, a])
    assert t.driver == "local-task"
    np.testing.assert_allclose(inv([t, a])[0].to_numpy(), 3 * a)
    with pytest.raises(ValueError, match="expected 'local-sync' or 'local-task'"):
        exe.invoker("main", driver="vulkan")
    with pytest.raises(AttributeError, match="no function 'nope'"):
        exe.invoker("nope")


def test_invoker_without_signature() -> None:
    inv = Executable(compile_stablehlo(ADD_MUL, CPU), "local-sync").invoker()
    a = np.arange(4, dtype=np.float32)
    s, p = inv([a, a])
    np.testing.assert_allclose(p.to_numpy(), a * a)
    with pytest.raises(InputError, match="IREE rejected the arguments: .*shape dimension 0 mismatch"):
        inv([np.zeros(5, np.float32), np.zeros(5, np.float32)])


def test_cpu_flags_use_data_tiling_only_for_cpu_alone() -> None:
    assert "--iree-opt-data-tiling" in compile_flags("llvm-cpu")
    assert "--iree-opt-data-tiling" not in compile_flags("llvm-cpu", data_tiling=False)
    assert "--iree-opt-data-tiling" not in compile_flags("llvm-cpu,vulkan", vulkan_target="llvmpipe")
    assert "--iree-opt-data-tiling" not in compile_flags("cuda")
