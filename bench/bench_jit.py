"""irax.jit benchmarks: prints a table (not a test).

    .venv/bin/python bench/bench_jit.py [--quick] [--jax /path/to/python-with-jax]

Rows:
  dispatch   per-call time of a tiny jitted function (f32[4] x2 -> f32[4]) with
             device-resident inputs and with numpy inputs, next to the layers under jit:
             IREE's raw VmContext.invoke of the same module (a context made here with
             iree.runtime alone), Executable.invoker(...) and Executable.call;
  mlp        one value_and_grad step of a 784-512-512-10 tanh MLP, batch 128 (parameters
             passed as host arrays on both sides), on the driver jit picks and forced
             onto local-sync / local-task;
  ew-grad    jit(grad) over 4M f32 elements of sum(sin(x) * x) (sin/cos-bound) and of
             sum(x*x*0.5 + 3*x) (bandwidth-bound), next to the memory floor: a NumPy copy
             of the same 16 MiB into a preallocated array (read x + write the gradient =
             the bytes a copy moves), and np.copy (which also allocates the result, as
             every jit call must).
Times are the minimum over repeats (the machine may be shared); JAX (CPU) side by side
when a Python with jax is given or importable (default: /tmp/jaxvenv/bin/python if
present). Run under bench/run_all.py the rows also land in its summary table.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import timeit
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import irax  # noqa: E402
import irax.numpy as jnp  # noqa: E402
from irax import grad, jit, value_and_grad  # noqa: E402

from _summary import emit, row as summary_row  # noqa: E402

QUICK = "--quick" in sys.argv


def best_us(fn, number: int, repeat: int) -> float:
    fn()
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number * 1e6


# ---------------------------------------------------------------------------
# The workloads (shared with the JAX side: same shapes, same math)

def mlp_params(rng):
    sizes = [784, 512, 512, 10]
    return [(rng.normal(0, 1 / np.sqrt(m), (m, n)).astype(np.float32),
             np.zeros(n, np.float32)) for m, n in zip(sizes[:-1], sizes[1:])]


def mlp_loss(np_):
    def loss(params, x, y):
        h = x
        for w, b in params[:-1]:
            h = np_.tanh(h @ w + b)
        w, b = params[-1]
        logits = h @ w + b
        m = np_.max(logits, axis=1, keepdims=True)
        lse = np_.log(np_.sum(np_.exp(logits - m), axis=1, keepdims=True)) + m
        return -np_.mean(np_.sum((logits - lse) * y, axis=1))
    return loss


def ew_loss(np_):
    return lambda x: np_.sum(np_.sin(x) * x)


def ew_poly_loss(np_):
    return lambda x: np_.sum(x * x * 0.5 + 3 * x)


N_EW = 1 << 22


def irax_rows() -> dict[str, float]:
    import iree.runtime as rt
    rows: dict[str, float] = {}
    rep = 5 if QUICK else 20

    # -- dispatch
    f = jit(lambda x, y: x * y + 1.0)
    x = f(jnp.ones(4), jnp.ones(4))          # device-resident
    compiled = f.lower(x, x).compile()
    exe = compiled.executable
    inst = rt.VmInstance()                   # IREE alone: no irax code on this path
    dev = rt.get_device("local-sync")
    mod = rt.VmModule.copy_buffer(inst, compiled.vmfb)
    ctx = rt.VmContext(inst, [rt.create_hal_module(inst, dev), mod])
    fn = mod.lookup_function("main")
    xn = np.ones(4, np.float32)
    bv = dev.allocator.allocate_buffer_copy(
        memory_type=rt.MemoryType.DEVICE_LOCAL, allowed_usage=rt.BufferUsage.DEFAULT,
        device=dev, buffer=xn, element_type=rt.HalElementType.FLOAT_32)

    def raw():
        a = rt.VmVariantList(2)
        a.push_ref(bv)
        a.push_ref(bv)
        o = rt.VmVariantList(1)
        ctx.invoke(fn, a, o)
        return o.get_as_object(0, rt.HalBufferView)
    inv = exe.invoker("main")
    da = inv([xn, xn])[0]
    d2 = [da, da]
    rows["dispatch: IREE raw invoke"] = best_us(raw, 2000, rep)
    rows["dispatch: Executable.invoker"] = best_us(lambda: inv(d2), 2000, rep)
    rows["dispatch: Executable.call"] = best_us(lambda: exe.call("main", d2), 2000, rep)
    rows["dispatch: jit(f)(x, x), device-resident x"] = best_us(lambda: f(x, x), 2000, rep)
    rows["dispatch: jit(f)(x, x), numpy x"] = best_us(lambda: f(xn, xn), 2000, rep)

    # -- MLP step
    rng = np.random.default_rng(0)
    params = [(jnp.asarray(w), jnp.asarray(b)) for w, b in mlp_params(rng)]
    xb = jnp.asarray(rng.normal(size=(128, 784)).astype(np.float32))
    yb = jnp.asarray(np.eye(10, dtype=np.float32)[rng.integers(0, 10, 128)])
    step = jit(value_and_grad(mlp_loss(jnp)))
    t = time.perf_counter()
    step(params, xb, yb)
    rows["mlp: first call (trace+compile, disk cache may hit)"] = (time.perf_counter() - t) * 1e6
    rows["mlp: value_and_grad step"] = best_us(lambda: step(params, xb, yb)[1][0][0]
                                               .numpy(), 5, rep)
    mexe = step.lower(params, xb, yb).compile()
    flat = [np.asarray(a) for p in params for a in p] + [np.asarray(xb), np.asarray(yb)]
    for drv in ("local-sync", "local-task"):
        minv = mexe.executable.invoker("main", driver=drv)
        rows[f"mlp: step on {drv}"] = best_us(lambda: minv(flat)[1].to_numpy(), 5, rep)
    rows["mlp: driver jit picked is local-task"] = float(mexe.driver == "local-task")

    # -- elementwise grad over 4M elements
    xe_host = jnp.asarray(rng.uniform(-1, 1, N_EW).astype(np.float32))
    g = jit(grad(ew_loss(jnp)))
    gp = jit(grad(ew_poly_loss(jnp)))
    # device-resident input, as JAX's jnp.asarray gives (made on the driver g runs on)
    xe = jit(lambda x: x * 1.0)(xe_host)
    rows["ew-grad: jit(grad) 4M f32, sum(sin(x)*x)"] = best_us(lambda: g(xe).numpy(), 3, rep)
    rows["ew-grad: jit(grad) 4M f32, sum(x*x*0.5+3*x)"] = best_us(lambda: gp(xe).numpy(),
                                                                  3, rep)
    rows["ew-grad: ... sum(x*x*0.5+3*x), host x (uploaded per call)"] = best_us(
        lambda: gp(xe_host).numpy(), 3, rep)
    xe_np = np.asarray(xe_host)
    out = np.empty_like(xe_np)
    rows["ew-grad: floor = numpy copy 16 MiB"] = best_us(lambda: np.copyto(out, xe_np), 3, rep)
    rows["ew-grad: np.copy 16 MiB (allocates)"] = best_us(lambda: np.copy(xe_np), 3, rep)
    return rows


JAX_SCRIPT = r"""
import json, sys, time, timeit
import numpy as np
sys.path.insert(0, sys.argv[1])
import jax, jax.numpy as jnp
from bench_jit import mlp_params, mlp_loss, ew_loss, ew_poly_loss, N_EW, best_us
rep = int(sys.argv[2])
rows = {}
f = jax.jit(lambda x, y: x * y + 1.0)
x = f(jnp.ones(4), jnp.ones(4))
rows["dispatch: jit(f)(x, x), device-resident x"] = best_us(lambda: f(x, x), 2000, rep)
xn = np.ones(4, np.float32)
rows["dispatch: jit(f)(x, x), numpy x"] = best_us(lambda: f(xn, xn), 2000, rep)
rng = np.random.default_rng(0)
params = [(jnp.asarray(w), jnp.asarray(b)) for w, b in mlp_params(rng)]
xb = jnp.asarray(rng.normal(size=(128, 784)).astype(np.float32))
yb = jnp.asarray(np.eye(10, dtype=np.float32)[rng.integers(0, 10, 128)])
step = jax.jit(jax.value_and_grad(mlp_loss(jnp)))
t = time.perf_counter(); step(params, xb, yb)[0].block_until_ready()
rows["mlp: first call (trace+compile, disk cache may hit)"] = (time.perf_counter() - t) * 1e6
rows["mlp: value_and_grad step"] = best_us(lambda: step(params, xb, yb)[1][0][0].block_until_ready(), 5, rep)
xe = jnp.asarray(rng.uniform(-1, 1, N_EW).astype(np.float32))
g = jax.jit(jax.grad(ew_loss(jnp)))
rows["ew-grad: jit(grad) 4M f32, sum(sin(x)*x)"] = best_us(lambda: g(xe).block_until_ready(), 3, rep)
gp = jax.jit(jax.grad(ew_poly_loss(jnp)))
rows["ew-grad: jit(grad) 4M f32, sum(x*x*0.5+3*x)"] = best_us(lambda: gp(xe).block_until_ready(), 3, rep)
print(json.dumps(rows))
"""


def jax_rows() -> dict[str, float] | None:
    py = None
    if "--jax" in sys.argv:
        py = sys.argv[sys.argv.index("--jax") + 1]
    elif os.path.exists("/tmp/jaxvenv/bin/python"):
        py = "/tmp/jaxvenv/bin/python"
    if py is None:
        return None
    proc = subprocess.run([py, "-c", JAX_SCRIPT, str(Path(__file__).parent),
                           "5" if QUICK else "20"],
                          capture_output=True, text=True,
                          env={**os.environ, "JAX_PLATFORMS": "cpu"})
    if proc.returncode != 0:
        print(f"(JAX side skipped: {proc.stderr.strip().splitlines()[-1:]})")
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    rows = irax_rows()
    jrows = jax_rows() or {}
    print(f"{'benchmark':58} {'irax µs':>12} {'JAX µs':>12} {'irax/JAX':>9}")
    for k, v in rows.items():
        if k.startswith("mlp: driver"):
            continue
        j = jrows.get(k)
        jt = f"{j:12.1f}" if j is not None else " " * 12
        rt_ = f"{v / j:9.2f}" if j else ""
        print(f"{k:58} {v:12.1f} {jt} {rt_}")
    print(f"mlp: jit picked {'local-task' if rows['mlp: driver jit picked is local-task'] else 'local-sync'}")
    floor = rows["ew-grad: floor = numpy copy 16 MiB"]
    sin_k, poly_k = "ew-grad: jit(grad) 4M f32, sum(sin(x)*x)", "ew-grad: jit(grad) 4M f32, sum(x*x*0.5+3*x)"
    print(f"ew-grad / memory floor: sin {rows[sin_k] / floor:.2f}x, poly {rows[poly_k] / floor:.2f}x "
          "(goal <= 1.3x)")
    over = rows["dispatch: jit(f)(x, x), device-resident x"] - rows["dispatch: IREE raw invoke"]
    print(f"jit dispatch overhead over raw IREE invoke: {over:.1f} µs")

    def s(name, unit="µs", scale=1.0, note=""):
        j = jrows.get(name)
        return summary_row("bench_jit", name, rows[name] * scale, unit,
                           None if j is None else j * scale, note)
    emit([s("dispatch: IREE raw invoke"),
          s("dispatch: jit(f)(x, x), device-resident x"),
          s("dispatch: jit(f)(x, x), numpy x"),
          s("mlp: value_and_grad step", "ms", 1e-3),
          s(sin_k, "ms", 1e-3),
          s(poly_k, "ms", 1e-3),
          summary_row("bench_jit", "ew-grad sin / memory floor", rows[sin_k] / floor, "x",
                      note="goal <= 1.3x"),
          summary_row("bench_jit", "ew-grad poly / memory floor", rows[poly_k] / floor, "x",
                      note="goal <= 1.3x")])


if __name__ == "__main__":
    main()
