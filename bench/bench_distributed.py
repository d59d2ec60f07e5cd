"""Per-step time of irax.distributed.data_parallel, 1 vs 2 Ray workers, driver overhead broken out.

    .venv/bin/python bench/bench_distributed.py [--quick]

Not a test, not part of run_all.py (a Ray start costs ~8 s). For two
value_and_grad workloads (the demo's MLP on 256 points; a wider MLP on 8192
points), prints the median per-step time of:
  - one process: the same exported module called in-process with irax.runtime
    on the full batch (no Ray),
  - data_parallel with 1 and with 2 local workers, split into the driver's
    own work (flatten, split, hash, ray.put: "prepare"; weighted mean:
    "reduce"), the time inside IREE on the slowest worker, and the rest of the
    wait (Ray task submission, transfer, scheduling: "ray");
and the bytes each worker receives and returns per step. The parameters
change every step (as in training), so each step puts them in the object
store once.
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import ray  # noqa: E402

import irax  # noqa: E402
import irax.distributed  # noqa: E402
import irax.numpy as jnp  # noqa: E402
from irax.runtime import Executable  # noqa: E402

QUICK = "--quick" in sys.argv
STEPS = 30 if QUICK else 150


def predict(params, x):
    h = jnp.tanh(x @ params["w1"] + params["b1"])
    return h @ params["w2"] + params["b2"]


def loss(params, batch):
    x, y = batch
    return jnp.mean((predict(params, x) - y) ** 2)


def workload(n, d_in, hidden, seed=0):
    rng = np.random.default_rng(seed)
    params = {"w1": (rng.normal(size=(d_in, hidden)) / np.sqrt(d_in)).astype(np.float32),
              "b1": np.zeros(hidden, np.float32),
              "w2": (rng.normal(size=(hidden, 1)) / np.sqrt(hidden)).astype(np.float32),
              "b2": np.zeros(1, np.float32)}
    x = rng.uniform(-1, 1, (n, d_in)).astype(np.float32)
    y = np.sin(x[:, :1]).astype(np.float32)
    return params, (x, y)


def perturbed(params, i):
    return {k: v * np.float32(1 + 1e-7 * i) for k, v in params.items()}


def one_process_ms(grad_fn, params, batch):
    spec = irax.tree_util.tree_map(lambda a: irax.ShapeDtypeStruct(a.shape, a.dtype), (params, batch))
    exe = Executable(irax.aot.export({"step": (grad_fn, spec)}).vmfb, "cpu")
    call = exe.invoker("step")
    times = []
    for i in range(STEPS):
        flat = irax.tree_util.tree_leaves((perturbed(params, i), batch))
        t0 = time.perf_counter()
        [r.to_numpy() for r in call(flat)]
        times.append(time.perf_counter() - t0)
    return 1e3 * statistics.median(times)


def data_parallel_rows(grad_fn, params, batch, num_workers):
    with irax.distributed.data_parallel(grad_fn, num_workers=num_workers, batch_argnums=(1,)) as step:
        step(params, batch)  # export, worker start, module load
        rows = []
        for i in range(STEPS):
            step(perturbed(params, i), batch)
            s = step.last_stats
            iree = max(s.worker_run_s)
            rows.append((s.total_s, s.prepare_s, s.reduce_s, iree, s.wait_s - iree))
        last = step.last_stats
    med = [1e3 * statistics.median(col) for col in zip(*rows)]
    return med, last.sent_bytes, last.received_bytes


def main() -> None:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    grad_fn = irax.value_and_grad(loss)
    print(f"median over {STEPS} steps, ms per step (2-core shared machine)")
    print(f"{'workload':32s} {'run':14s} {'total':>7s} {'prepare':>8s} {'ray':>7s} {'iree':>7s} "
          f"{'reduce':>7s}   bytes in/out per worker")
    for name, (n, d_in, hidden) in {"demo MLP 2-32-1, batch 256": (256, 2, 32),
                                    "MLP 64-512-1, batch 8192": (8192, 64, 512)}.items():
        params, batch = workload(n, d_in, hidden)
        print(f"{name:32s} {'one process':14s} {one_process_ms(grad_fn, params, batch):7.2f}")
        for w in (1, 2):
            (total, prep, red, iree, rayt), sent, recv = data_parallel_rows(grad_fn, params, batch, w)
            print(f"{'':32s} {f'{w} worker(s)':14s} {total:7.2f} {prep:8.2f} {rayt:7.2f} {iree:7.2f} "
                  f"{red:7.2f}   {sent[0]} / {recv[0]}")
    ray.shutdown()


if __name__ == "__main__":
    main()
