"""Runtime dispatch benchmarks: prints a table (not a test).

    .venv/bin/python bench/bench_runtime.py [--quick]

Rows: per-call overhead of a trivial f32[] -> f32[] call (numpy in,
DeviceArray out) on local-sync / local-task / vulkan, DeviceArray chaining,
the local-sync vs local-task crossover for elementwise and matmul work, and
the Vulkan readback (staging copy) cost.
"""
from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from irax.runtime import Executable, compile_flags  # noqa: E402
from irax.runtime.compiler import compile_stablehlo  # noqa: E402

from _summary import emit, row as summary_row  # noqa: E402

QUICK = "--quick" in sys.argv


def per_call_us(fn: Callable[[], object], min_time: float = 0.3) -> float:
    """Median over 5 batches of the mean per-call time, in microseconds."""
    fn()
    n = 1
    while True:  # size a batch to ~min_time/5
        t = time.perf_counter()
        for _ in range(n):
            fn()
        dt = time.perf_counter() - t
        if dt > min_time / 5 or n > 1 << 20:
            break
        n *= 4
    samples = []
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(n):
            fn()
        samples.append((time.perf_counter() - t) / n * 1e6)
    return float(np.median(samples))


TRIVIAL = """func.func @main(%a: tensor<f32>) -> tensor<f32> {
  %0 = stablehlo.add %a, %a : tensor<f32>
  return %0 : tensor<f32>
}"""


def elementwise(n: int) -> str:
    t = f"tensor<{n}xf32>"
    return f"""func.func @main(%a: {t}, %b: {t}) -> {t} {{
  %0 = stablehlo.multiply %a, %b : {t}
  %1 = stablehlo.tanh %0 : {t}
  %2 = stablehlo.add %1, %a : {t}
  return %2 : {t}
}}"""


def matmul(n: int) -> str:
    t = f"tensor<{n}x{n}xf32>"
    return f"""func.func @main(%a: {t}, %b: {t}) -> {t} {{
  %0 = stablehlo.dot_general %a, %b, contracting_dims = [1] x [0] : ({t}, {t}) -> {t}
  return %0 : {t}
}}"""


def row(*cols: object) -> None:
    print("  ".join(f"{c:>14}" if not isinstance(c, str) else f"{c:<34}" for c in cols))


def main() -> None:
    summary = []
    cpu = compile_flags("llvm-cpu")
    x = np.asarray(1.5, np.float32)
    print("== per-call overhead: trivial f32[] -> f32[] (numpy in, DeviceArray out)")
    row("path", "us/call")
    vm = compile_stablehlo(TRIVIAL, cpu)
    for dev in ("local-sync", "local-task", "cpu"):
        exe = Executable(vm, dev, signatures={"main": ([((), "float32")], [((), "float32")])})
        us = per_call_us(lambda: exe.call('main', [x]))
        row(f"Executable.call {dev}", f"{us:.1f}")
        summary.append(summary_row("bench_runtime", f"trivial call, numpy in, {dev}", us, "µs"))
    exe = Executable(vm, "local-sync")
    row("Executable.call local-sync, no sig", f"{per_call_us(lambda: exe.call('main', [x])):.1f}")
    d = exe.call("main", [x])[0]
    row("chained DeviceArray local-sync", f"{per_call_us(lambda: exe.call('main', [d])):.1f}")
    row("call + to_numpy local-sync", f"{per_call_us(lambda: exe.call('main', [x])[0].to_numpy()):.1f}")
    try:
        vk = Executable(compile_stablehlo(TRIVIAL, compile_flags("vulkan")), "vulkan")
        row("Executable.call vulkan", f"{per_call_us(lambda: vk.call('main', [x])):.1f}")
        row("call + to_numpy vulkan", f"{per_call_us(lambda: vk.call('main', [x])[0].to_numpy()):.1f}")
    except Exception as e:  # no Vulkan driver on this machine
        row("vulkan", f"unavailable: {e}")

    print("\n== local-sync vs local-task (us/call, lower wins)")
    row("workload", "local-sync", "local-task", "task/sync")
    sizes = [1 << 12, 1 << 16, 1 << 18, 1 << 20] if QUICK else [1 << 12, 1 << 14, 1 << 16, 1 << 18, 1 << 19, 1 << 20, 1 << 21, 1 << 22]
    for n in sizes:
        vm = compile_stablehlo(elementwise(n), cpu)
        a = np.random.default_rng(0).standard_normal(n).astype(np.float32)
        t = {dev: per_call_us(lambda e=Executable(vm, dev): e.call("main", [a, a]), 0.5) for dev in ("local-sync", "local-task")}
        row(f"elementwise f32[{n}] ({n * 12 >> 10} KiB moved)", f"{t['local-sync']:.0f}", f"{t['local-task']:.0f}", f"{t['local-task'] / t['local-sync']:.2f}")
    for n in ([64, 256, 512] if QUICK else [32, 64, 128, 256, 384, 512]):
        vm = compile_stablehlo(matmul(n), cpu)
        a = np.random.default_rng(0).standard_normal((n, n)).astype(np.float32)
        t = {dev: per_call_us(lambda e=Executable(vm, dev): e.call("main", [a, a]), 0.5) for dev in ("local-sync", "local-task")}
        row(f"matmul f32[{n},{n}] ({n * n * 12 >> 10} KiB moved)", f"{t['local-sync']:.0f}", f"{t['local-task']:.0f}", f"{t['local-task'] / t['local-sync']:.2f}")
        if n == 512:
            summary.append(summary_row("bench_runtime", "matmul 512x512: local-task / local-sync",
                                       t["local-task"] / t["local-sync"], "x", note="< 1: threads pay"))

    print("\n== Vulkan readback (DeviceArray.to_numpy via staging buffer)")
    row("size", "us/readback")
    try:
        for n in (1, 1 << 10, 1 << 16, 1 << 20):
            vk = Executable(compile_stablehlo(elementwise(n), compile_flags("vulkan")), "vulkan")
            a = np.ones(n, np.float32)
            r = vk.call("main", [a, a])[0]
            row(f"f32[{n}]", f"{per_call_us(lambda: r._staged_copy(r._bv.get_buffer())):.0f}")
    except Exception as e:
        row("vulkan", f"unavailable: {e}")
    emit(summary)


if __name__ == "__main__":
    main()
