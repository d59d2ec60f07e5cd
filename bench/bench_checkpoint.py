"""Memory of reverse mode through a long loop: checkpointed_while_loop vs storing every step.

    .venv/bin/python bench/bench_checkpoint.py [--eager]

Two measures, for a loop of N steps of `x = tanh(a * x) + 0.1` on a vector of D floats:
  * stored elements: the elements of every stacked residual / checkpoint buffer in the
    staged gradient program (make_jaxpr of grad), i.e. what must be kept between the
    forward and backward passes (a static count, fast);
  * with --eager: tracemalloc's peak while running the gradient eagerly.
The plain version is a fori_loop with static bounds (a scan; residuals stacked per step).
"""
from __future__ import annotations

import argparse
import os
import sys
import math
import time
import tracemalloc

import numpy as np

import irax
import irax.numpy as jnp
from irax import lax
from irax.tracer.core import ClosedJaxpr, Jaxpr
from irax.tracer.prims import control_flow as cf

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # also when imported by tests
from _summary import emit, row as summary_row  # noqa: E402

D = 256


def make_loss(steps: int, checkpointed: bool, k: int | None = None):
    def loss(a, x0):
        body = lambda x: jnp.tanh(a * x) + 0.1  # noqa: E731
        if checkpointed:
            x = lax.checkpointed_while_loop(lambda c: c[0] < steps,
                                            lambda c: (c[0] + 1, body(c[1])), (0, x0),
                                            max_steps=steps, checkpoints=k)[1]
        else:
            x = lax.fori_loop(0, steps, lambda i, x: body(x), x0)
        return jnp.sum(x * x)
    return loss


def _sub_jaxprs(params):
    for v in params.values():
        for x in (v if isinstance(v, (tuple, list)) else [v]):
            if isinstance(x, ClosedJaxpr):
                yield x.jaxpr
            elif isinstance(x, Jaxpr):
                yield x


def stored_elements(jaxpr: Jaxpr) -> int:
    """Elements of the arrays a loop keeps for later: stacked scan outputs and loop-carried
    buffers with a leading steps/checkpoints axis, over the whole (nested) program."""
    total = 0
    for e in jaxpr.eqns:
        if e.primitive is cf.scan_p:
            nc = e.params["num_carry"]
            total += sum(v.aval.size for v in e.outputs[nc:])
        elif e.primitive is cf.while_p:
            total += sum(v.aval.size for v in e.outputs if v.aval.ndim > 1)
        for sub in _sub_jaxprs(e.params):
            total += stored_elements(sub)
    return total


def count(steps: int, checkpointed: bool, k: int | None = None) -> int:
    a, x0 = 0.9, np.linspace(-1, 1, D).astype(np.float32)
    g = irax.make_jaxpr(irax.grad(make_loss(steps, checkpointed, k)))(a, x0)
    return stored_elements(g.jaxpr)


def peak_bytes(steps: int, checkpointed: bool, k: int | None = None) -> tuple[int, float]:
    a, x0 = 0.9, np.linspace(-1, 1, D).astype(np.float32)
    f = irax.grad(make_loss(steps, checkpointed, k))
    tracemalloc.start()
    t = time.perf_counter()
    f(a, x0)
    dt = time.perf_counter() - t
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak, dt


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--eager", action="store_true", help="also measure tracemalloc peaks")
    ap.add_argument("--steps", type=int, nargs="*", default=[16, 64, 256, 1024, 4096])
    args = ap.parse_args()
    print(f"state: {D} float32 per step; checkpoints K = ceil(sqrt(N)) (default)")
    print(f"{'N':>6} {'plain elems':>12} {'ckpt elems':>12} {'ratio':>7}"
          + (f" {'plain peak':>11} {'ckpt peak':>10} {'plain s':>8} {'ckpt s':>7}"
             if args.eager else ""))
    summary = []
    for n in args.steps:
        p, c = count(n, False), count(n, True)
        if n == max(args.steps):
            summary.append(summary_row("bench_checkpoint", f"stored elems, ckpt / plain, N={n}",
                                       c / p, "x", note="reverse-mode memory"))
        line = f"{n:>6} {p:>12} {c:>12} {p / c:>7.1f}"
        if args.eager:
            (pp, pt), (cp, ct) = peak_bytes(n, False), peak_bytes(n, True)
            line += f" {pp / 1e6:>9.2f}MB {cp / 1e6:>8.2f}MB {pt:>8.2f} {ct:>7.2f}"
        print(line, flush=True)
    print("\nfixed K = 4 (depth grows as log_4 N):")
    for n in args.steps:
        c = count(n, True, 4)
        print(f"{n:>6} ckpt elems {c:>8}  (log_4 N = {math.log(n, 4):.1f})")
    emit(summary)


if __name__ == "__main__":
    main()
