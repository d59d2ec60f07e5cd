"""Train the demo's MLP data-parallel over 2 local Ray workers, next to the single-process run.

    python examples/train_data_parallel.py

The gradient step `value_and_grad(loss)` runs on two Ray worker processes,
each on half of the batch, from a module that `irax.distributed` exports once
and ships through Ray's object store; the workers import `irax.runtime`
only. The driver averages the halves (weighted by their sizes) and applies
an irax.optim SGD step (what optax.sgd does). The same training in one process with
`irax.jit` gives the same loss curve, printed side by side.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import ray  # noqa: E402

import irax  # noqa: E402
import irax.distributed  # noqa: E402
import irax.numpy as jnp  # noqa: E402
import irax.optim  # noqa: E402
from demo import BATCH, HIDDEN, LR, init_params, make_data  # noqa: E402

STEPS = 300
PRINT_EVERY = 50
NUM_WORKERS = 2


def predict(params, x):
    h = jnp.tanh(x @ params["w1"] + params["b1"])
    return h @ params["w2"] + params["b2"]


def loss(params, batch):
    x, y = batch
    return jnp.mean((predict(params, x) - y) ** 2)


def train(loss_and_grads, params, batch, steps):
    """SGD; `loss_and_grads(params, batch)` is the only thing that differs between the runs."""
    opt = irax.optim.sgd(LR)
    state = opt.init(params)

    @irax.jit
    def update(params, state, grads):
        updates, state = opt.update(grads, state, params)
        return irax.optim.apply_updates(params, updates), state

    losses = []
    for i in range(steps):
        if i == 1:  # time the steps after the first (which traces and compiles)
            t0 = time.perf_counter()
        value, grads = loss_and_grads(params, batch)
        params, state = update(params, state, grads)
        losses.append(float(value))
    return losses, (time.perf_counter() - t0) / (steps - 1)


def main() -> None:
    x, y = make_data()
    params = init_params()
    grad_fn = irax.value_and_grad(loss)

    print(f"== a 2-{HIDDEN}-1 MLP, batch {BATCH}, SGD lr {LR}, {STEPS} steps")
    single_losses, single_step = train(irax.jit(grad_fn), params, (x, y), STEPS)

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    with irax.distributed.data_parallel(grad_fn, num_workers=NUM_WORKERS, batch_argnums=(1,)) as step:
        t0 = time.perf_counter()
        step(params, (x, y))  # export + ship the module + start the workers
        first = time.perf_counter() - t0
        dp_losses, dp_step = train(step, params, (x, y), STEPS)
        stats = step.last_stats
        names = set(ray.get(step.workers[0].loaded_modules.remote()))
    ray.shutdown()

    print(f"   step   single process   {NUM_WORKERS} Ray workers   difference")
    for i in list(range(0, STEPS, PRINT_EVERY)) + [STEPS - 1]:
        a, b = single_losses[i], dp_losses[i]
        print(f"   {i:4d}   {a:14.6f}   {b:13.6f}   {abs(a - b):10.2e}")
    worst = max(abs(a - b) / max(abs(a), 1e-12) for a, b in zip(single_losses, dp_losses))
    print(f"   largest relative difference over {STEPS} steps: {worst:.1e}")
    print(f"   per step: {single_step * 1e3:.2f} ms in one process, {dp_step * 1e3:.2f} ms over "
          f"{NUM_WORKERS} workers (first call with export and worker start: {first:.2f} s)")
    print(f"   last step: {stats.wait_s * 1e3:.2f} ms waiting for the workers, of which "
          f"{max(stats.worker_run_s) * 1e3:.2f} ms inside IREE; {sum(stats.sent_bytes)} bytes out, "
          f"{sum(stats.received_bytes)} bytes back")
    heavy = sorted(m for m in ("iree.compiler", "irax.tracer", "irax.lowering", "irax.numpy", "irax.jit")
                   if m in names)
    print(f"   worker 0 imported irax.runtime: {'irax.runtime' in names}; compiler or tracer: {heavy or 'none'}")
    assert worst < 1e-4, worst


if __name__ == "__main__":
    main()
