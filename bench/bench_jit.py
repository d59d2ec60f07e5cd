"""irax.jit benchmarks: prints a table (not a test).

    .venv/bin/python bench/bench_jit.py [--quick] [--jax /path/to/python-with-jax]

Rows:
  dispatch   per-call time of a tiny jitted function (f32[4] x2 -> f32[4]) with
             device-resident inputs, next to IREE's raw VmContext.invoke of the same
             module and Executable.call (the layers under jit);
  mlp        one value_and_grad step of a 784-512-512-10 tanh MLP, batch 128;
  ew-grad    grad of sum(sin(x) * x) over 4M f32 elements, next to the memory floor:
             a NumPy copy of the same 16 MiB (read x + write the gradient = the same
             bytes a copy moves).
Times are the minimum over repeats (the machine is shared); JAX (CPU) side by side when
a Python with jax is given or importable (default: /tmp/jaxvenv/bin/python if present).
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


N_EW = 1 << 22


def irax_rows() -> dict[str, float]:
    from irax.runtime import compiler  # noqa: F401
    import iree.runtime as rt
    rows: dict[str, float] = {}
    rep = 5 if QUICK else 20

    # -- dispatch
    f = jit(lambda x, y: x * y + 1.0)
    x = f(jnp.ones(4), jnp.ones(4))          # device-resident
    compiled = next(iter(f._cache.values()))
    exe = compiled.executable
    loaded = exe._loaded["local-sync"]
    fn = loaded.functions["main"]
    bv = x.device_buffer().buffer_view

    def raw():
        a = rt.VmVariantList(2)
        a.push_ref(bv)
        a.push_ref(bv)
        o = rt.VmVariantList(1)
        loaded.context.invoke(fn, a, o)
        return o.get_as_object(0, rt.HalBufferView)
    dev = [x.device_buffer(), x.device_buffer()]
    xn = np.ones(4, np.float32)
    rows["dispatch: IREE raw invoke"] = best_us(raw, 2000, rep)
    rows["dispatch: Executable.call"] = best_us(lambda: exe.call("main", dev), 2000, rep)
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

    # -- elementwise grad over 4M elements
    xe = jnp.asarray(rng.uniform(-1, 1, N_EW).astype(np.float32))
    g = jit(grad(ew_loss(jnp)))
    rows["ew-grad: jit(grad) 4M f32"] = best_us(lambda: g(xe).numpy(), 3, rep)
    xe_np = np.asarray(xe)
    out = np.empty_like(xe_np)
    rows["ew-grad: floor = numpy copy 16 MiB"] = best_us(lambda: np.copyto(out, xe_np), 3, rep)
    return rows


JAX_SCRIPT = r"""
import json, sys, time, timeit
import numpy as np
sys.path.insert(0, sys.argv[1])
import jax, jax.numpy as jnp
from bench_jit import mlp_params, mlp_loss, ew_loss, N_EW, best_us
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
rows["ew-grad: jit(grad) 4M f32"] = best_us(lambda: g(xe).block_until_ready(), 3, rep)
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
    jrows = jax_rows()
    print(f"{'benchmark':58} {'irax µs':>12} {'JAX µs':>12}")
    for k, v in rows.items():
        j = jrows.get(k) if jrows else None
        jt = f"{j:12.1f}" if j is not None else " " * 12
        print(f"{k:58} {v:12.1f} {jt}")
    floor = rows["ew-grad: floor = numpy copy 16 MiB"]
    print(f"ew-grad / memory floor: {rows['ew-grad: jit(grad) 4M f32'] / floor:.2f}x "
          "(goal <= 1.3x)")
    over = rows["dispatch: jit(f)(x, x), device-resident x"] - rows["dispatch: IREE raw invoke"]
    print(f"jit dispatch overhead over raw IREE invoke: {over:.1f} µs")


if __name__ == "__main__":
    main()
