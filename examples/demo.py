"""irax end to end: train with jit(value_and_grad), export, keep training with the runtime alone.

    python examples/demo.py          # (`make demo`)

1. Fits a small MLP to y = sin(3 x0) * x1 with `irax.jit` of a `value_and_grad`
   training step (traced once, compiled by IREE, then dispatched).
2. Exports `predict` and `train_step` into ONE `.vmfb` with `irax.aot.export`
   (kept in build/demo/mlp.vmfb with the trained weights, build/demo/params.npz).
3. Starts a fresh Python in which `iree.compiler` and the irax tracer cannot be
   imported, loads the module with `irax.runtime` alone and continues training
   from the saved weights (parameters stay on the device between steps), then
   predicts.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
HIDDEN = 32
BATCH = 256
LR = 0.2
STEPS_JIT = 500
STEPS_RUNTIME = 1000
X_TEST = np.stack([np.linspace(-0.8, 0.8, 5), np.full(5, 0.7)], axis=1).astype(np.float32)


def make_data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, (BATCH, 2)).astype(np.float32)
    y = (np.sin(3.0 * x[:, :1]) * x[:, 1:]).astype(np.float32)
    return x, y


def init_params(seed: int = 1) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "w1": (rng.normal(size=(2, HIDDEN)) / np.sqrt(2)).astype(np.float32),
        "b1": np.zeros(HIDDEN, np.float32),
        "w2": (rng.normal(size=(HIDDEN, 1)) / np.sqrt(HIDDEN)).astype(np.float32),
        "b2": np.zeros(1, np.float32),
    }


def main() -> None:
    sys.path.insert(0, str(ROOT))
    import irax
    import irax.numpy as jnp
    from irax import ShapeDtypeStruct

    def predict(params, x):
        h = jnp.tanh(x @ params["w1"] + params["b1"])
        return h @ params["w2"] + params["b2"]

    def loss(params, x, y):
        return jnp.mean((predict(params, x) - y) ** 2)

    def train_step(params, x, y, lr):
        value, grads = irax.value_and_grad(loss)(params, x, y)
        return {k: params[k] - lr * grads[k] for k in params}, value

    x, y = make_data()
    params = init_params()
    lr = np.float32(LR)

    print(f"== 1. training a 2-{HIDDEN}-1 MLP with irax.jit(value_and_grad) on {BATCH} points")
    step = irax.jit(train_step)
    t0 = time.perf_counter()
    params, value = step(params, x, y, lr)
    first = time.perf_counter() - t0
    print(f"   step    0  loss {float(value):.5f}   (trace + IREE compile: {first:.2f} s)")
    t0 = time.perf_counter()
    for i in range(1, STEPS_JIT):
        params, value = step(params, x, y, lr)
        if i % 250 == 0:
            print(f"   step {i:4d}  loss {float(value):.5f}")
    per_step = (time.perf_counter() - t0) / (STEPS_JIT - 1)
    print(f"   step {STEPS_JIT - 1:4d}  loss {float(value):.5f}   ({per_step * 1e6:.0f} us/step compiled)")
    params_np = {k: np.asarray(v) for k, v in params.items()}

    print("== 2. exporting predict + train_step into one module (irax.aot.export)")
    spec = {k: ShapeDtypeStruct(v.shape, v.dtype) for k, v in params_np.items()}
    xs, ys = ShapeDtypeStruct(x.shape, x.dtype), ShapeDtypeStruct(y.shape, y.dtype)
    out_dir = ROOT / "build" / "demo"
    module_path = out_dir / "mlp.vmfb"
    t0 = time.perf_counter()
    exported = irax.aot.export(
        {"predict": (predict, (spec, X_TEST)), "train_step": (train_step, (spec, xs, ys, ShapeDtypeStruct((), np.float32)))},
        target="llvm-cpu",
        path=module_path,
        progress=lambda msg: print("   " + msg),
    )
    print(f"   wrote {module_path} ({len(exported.vmfb) / 1024:.0f} KiB) in {time.perf_counter() - t0:.2f} s")
    np.savez(out_dir / "params.npz", **params_np)
    _, next_value = step(params, x, y, lr)  # what jit says the next step's loss is

    print("== 3. a fresh process with only the IREE runtime (iree.compiler and irax.tracer blocked)")
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    out = subprocess.run([sys.executable, __file__, "--runtime-only", str(out_dir)], env=env, text=True,
                         capture_output=True)
    sys.stdout.write(out.stdout)
    if out.returncode != 0:
        sys.stderr.write(out.stderr)
        raise SystemExit(f"runtime-only process failed (exit {out.returncode})")
    print(f"   (irax.jit in the first process gives step {STEPS_JIT} loss {float(next_value):.5f})")
    print(f"   the module and weights stay in {out_dir.relative_to(ROOT)}/ (try `irax run {module_path.relative_to(ROOT)}`)")
    print("done.")


def runtime_only(folder: str) -> None:
    """Continue training from the saved module and weights: irax.runtime + numpy only."""
    sys.modules["iree.compiler"] = None  # type: ignore[assignment]  # importing it now fails
    sys.modules["irax.tracer"] = None  # type: ignore[assignment]
    import irax.runtime as rt

    saved = Path(folder)
    x, y = make_data()
    params = dict(np.load(saved / "params.npz"))
    t0 = time.perf_counter()
    mod = rt.load(saved / "mlp.vmfb", "local-sync")
    print(f"   loaded {mod.function_names} in {(time.perf_counter() - t0) * 1e3:.1f} ms")
    lr = np.float32(LR)
    t0 = time.perf_counter()
    for i in range(STEPS_RUNTIME):
        params, value = mod.train_step(params, x, y, lr)  # params stay DeviceArrays between steps
        if i == 0 or (i + 1) % 250 == 0:
            print(f"   step {STEPS_JIT + i:4d}  loss {float(value):.5f}")
    per_step = (time.perf_counter() - t0) / STEPS_RUNTIME
    print(f"   {STEPS_RUNTIME} steps at {per_step * 1e6:.0f} us/step from the saved module")
    x_test = X_TEST
    pred = mod.predict(params, x_test).to_numpy()[:, 0]
    true = np.sin(3 * x_test[:, 0]) * x_test[:, 1]
    for (x0, x1), p, t in zip(x_test, pred, true):
        print(f"   predict(x0={x0:+.2f}, x1={x1:+.2f}) = {p:+.4f}   (true {t:+.4f})")
    blocked = [m for m in sys.modules if m.startswith(("irax.tracer.", "iree.compiler.", "irax.jit", "irax.lowering"))]
    assert not blocked, blocked
    print("   modules loaded: irax.runtime + iree.runtime + numpy only (no compiler, no tracer)")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--runtime-only":
        runtime_only(sys.argv[2])
    else:
        main()
