"""Issue #14's table from one run: irax next to JAX (CPU) on the same workloads.

    .venv/bin/python bench/bench_table.py [--rounds 3] [--quick] [--jax /path/to/python-with-jax]
        [--no-vulkan] [--rows newton,dispatch]

Every measurement runs in a fresh process, irax and JAX alternating, for `--rounds`
paired rounds; the table shows medians and the irax/JAX ratio of the medians (lower is
better; below 1 irax is faster). First calls are timed in new processes: "cold" with an
empty irax disk cache (JAX has no persistent cache on by default), "warm" with the cache
the cold run left. Steady-state rows are the best of several repeats inside one process.
The workloads are written once against the shared API: `jx` is `irax` or `jax`.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


# ---------------------------------------------------------------------------
# Workloads (run inside the measuring process; `jx` is the framework module)

def mlp_setup(jx, **jit_options):
    import numpy as np
    jnp = jx.numpy
    rng = np.random.default_rng(0)
    sizes = [784, 512, 512, 10]
    params = [(jnp.asarray(rng.normal(0, 1 / np.sqrt(m), (m, n)).astype(np.float32)),
               jnp.asarray(np.zeros(n, np.float32))) for m, n in zip(sizes[:-1], sizes[1:])]
    x = jnp.asarray(rng.normal(size=(128, 784)).astype(np.float32))
    y = jnp.asarray(np.eye(10, dtype=np.float32)[rng.integers(0, 10, 128)])

    def loss(params, x, y):
        h = x
        for w, b in params[:-1]:
            h = jnp.tanh(h @ w + b)
        w, b = params[-1]
        logits = h @ w + b
        return -jnp.mean(jnp.sum(jx.nn.log_softmax(logits) * y, axis=1))
    return jx.jit(jx.value_and_grad(loss), **jit_options), (params, x, y)


def fixed_point_fns(jx):
    jnp, lax = jx.numpy, jx.lax

    @partial(jx.custom_vjp, nondiff_argnums=(0,))
    def fixed_point(f, a, x_guess):
        def cond_fun(carry):
            x_prev, x = carry
            return jnp.abs(x_prev - x) > 1e-6

        def body_fun(carry):
            _, x = carry
            return x, f(a, x)
        _, x_star = lax.while_loop(cond_fun, body_fun, (x_guess, f(a, x_guess)))
        return x_star

    def fixed_point_fwd(f, a, x_init):
        x_star = fixed_point(f, a, x_init)
        return x_star, (a, x_star)

    def rev_iter(f, packed, u):
        a, x_star, x_star_bar = packed
        _, vjp_x = jx.vjp(lambda x: f(a, x), x_star)
        return x_star_bar + vjp_x(u)[0]

    def fixed_point_rev(f, res, x_star_bar):
        a, x_star = res
        _, vjp_a = jx.vjp(lambda a: f(a, x_star), a)
        a_bar, = vjp_a(fixed_point(partial(rev_iter, f), (a, x_star, x_star_bar), x_star_bar))
        return a_bar, jnp.zeros_like(x_star)

    fixed_point.defvjp(fixed_point_fwd, fixed_point_rev)

    def newton_sqrt(a):
        return fixed_point(lambda a, x: 0.5 * (x + a / x), a, a)
    return newton_sqrt


def log1pexp_fn(jx):
    jnp = jx.numpy

    @jx.custom_jvp
    def log1pexp(x):
        return jnp.log(1. + jnp.exp(x))

    @log1pexp.defjvp
    def log1pexp_jvp(primals, tangents):
        x, = primals
        x_dot, = tangents
        return log1pexp(x), (1 - 1 / (1 + jnp.exp(x))) * x_dot
    return log1pexp


def _sync(jx, out):
    leaf = jx.tree_util.tree_leaves(out)[0]
    if hasattr(leaf, "block_until_ready"):
        leaf.block_until_ready()
    else:
        leaf.numpy()


def _compiled(f):
    """Wait for irax's background compile (tiered jit) so steady rows time the module."""
    if hasattr(f, "wait_compiled"):
        f.wait_compiled()
    return f


def _best(fn, number, repeat):
    fn()
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - t) / number)
    return best


def _want(name: str) -> bool:
    """--rows filter (passed to the measuring processes as $BENCH_TABLE_ROWS)."""
    wanted = os.environ.get("BENCH_TABLE_ROWS")
    return not wanted or any(w.strip() and w.strip() in name for w in wanted.split(","))


def steady_rows(jx) -> dict[str, float]:
    """Seconds per call of each steady-state workload (compile excluded)."""
    import numpy as np
    jnp = jx.numpy
    rows = {}
    if _want("mlp value_and_grad step"):
        step, args = mlp_setup(jx)
        _sync(jx, step(*args))
        _compiled(step)
        rows["mlp value_and_grad step"] = _best(lambda: _sync(jx, step(*args)), 5, 7)

    newton_sqrt = fixed_point_fns(jx)
    a = jnp.asarray(np.linspace(0.5, 100.0, 1 << 20).astype(np.float32))
    if _want("jit(vmap(newton_sqrt)) 1M"):
        f = jx.jit(jx.vmap(newton_sqrt))
        _sync(jx, f(a))
        _compiled(f)
        rows["jit(vmap(newton_sqrt)) 1M"] = _best(lambda: _sync(jx, f(a)), 3, 5)
    if _want("jit(vmap(grad(newton_sqrt))) 1M"):
        g = jx.jit(jx.vmap(jx.grad(newton_sqrt)))
        _sync(jx, g(a))
        _compiled(g)
        rows["jit(vmap(grad(newton_sqrt))) 1M"] = _best(lambda: _sync(jx, g(a)), 3, 5)

    # Ordinary loops over a 1M carry: a fori_loop (a scan: static bounds), a while counting
    # to 100, and a while stopping at a tolerance (~60 iterations of a reduction and a step)
    lax = jx.lax
    loops = {
        "jit fori_loop 100 steps 1M": lambda x: lax.fori_loop(
            0, 100, lambda i, x: x * 0.99 + 0.01, x),
        "jit while_loop i < 100 1M": lambda x: lax.while_loop(
            lambda c: c[1] < 100, lambda c: (c[0] * 0.99 + 0.01, c[1] + 1), (x, 0))[0],
        "jit while_loop to tolerance 1M": lambda x: lax.while_loop(
            lambda c: jnp.max(jnp.abs(c[0] - c[1])) > 1e-3,
            lambda c: (c[1], c[1] * 0.9 + 0.1), (x, x * 0.5))[1],
    }
    for name, fn in loops.items():
        if _want(name):
            lf = jx.jit(fn)
            _sync(jx, lf(a))
            _compiled(lf)
            rows[name] = _best(lambda: _sync(jx, lf(a)), 3, 5)

    if _want("jit(vmap(grad(log1pexp))) 4M"):
        lg = jx.jit(jx.vmap(jx.grad(log1pexp_fn(jx))))
        x4 = jnp.asarray(np.linspace(-5, 5, 1 << 22).astype(np.float32))
        _sync(jx, lg(x4))
        _compiled(lg)
        rows["jit(vmap(grad(log1pexp))) 4M"] = _best(lambda: _sync(jx, lg(x4)), 5, 7)

    if _want("dispatch of a trivial jitted function"):
        tiny = jx.jit(lambda x, y: x * y + 1.0)
        t4 = tiny(jnp.ones(4), jnp.ones(4))
        _sync(jx, tiny(t4, t4))
        _compiled(tiny)
        rows["dispatch of a trivial jitted function"] = _best(lambda: tiny(t4, t4), 2000, 5)

    def trace_chain():
        def chain(x):   # a new function each time: no trace cache on either side
            for i in range(5000):   # 3 equations each: 15k
                x = jnp.sin(x) * 1.0001 + 0.5
            return x
        return jx.make_jaxpr(chain)(jnp.ones(3))
    if _want("make_jaxpr of 15k equations"):
        rows["make_jaxpr of 15k equations"] = _best(trace_chain, 1, 3)

    def loss(w):
        return jnp.sum(jnp.tanh(w) ** 2)
    if _want("hvp 1M"):
        hvp = jx.jit(lambda w, v: jx.jvp(jx.grad(loss), (w,), (v,))[1])
        w1 = jnp.asarray(np.linspace(-1, 1, 1 << 20).astype(np.float32))
        _sync(jx, hvp(w1, w1))
        _compiled(hvp)
        rows["hvp 1M"] = _best(lambda: _sync(jx, hvp(w1, w1)), 5, 7)
    return rows


def vulkan_rows(jx) -> dict[str, float]:
    """The steady workloads on irax's Vulkan target (Mesa lavapipe here; JAX has no Vulkan),
    and a 100k-iteration while loop, whose per-iteration host round trip dominates there."""
    import numpy as np
    jnp = jx.numpy
    rows = {}
    step, args = mlp_setup(jx, device="vulkan")
    _sync(jx, step(*args))
    _compiled(step)
    rows["vulkan: mlp value_and_grad step"] = _best(lambda: _sync(jx, step(*args)), 3, 5)
    newton_sqrt = fixed_point_fns(jx)
    a = jnp.asarray(np.linspace(0.5, 100.0, 1 << 20).astype(np.float32))
    f = jx.jit(jx.vmap(newton_sqrt), device="vulkan")
    _sync(jx, f(a))
    _compiled(f)
    rows["vulkan: jit(vmap(newton_sqrt)) 1M"] = _best(lambda: _sync(jx, f(a)), 1, 3)
    lg = jx.jit(jx.vmap(jx.grad(log1pexp_fn(jx))), device="vulkan")
    x4 = jnp.asarray(np.linspace(-5, 5, 1 << 22).astype(np.float32))
    _sync(jx, lg(x4))
    _compiled(lg)
    rows["vulkan: jit(vmap(grad(log1pexp))) 4M"] = _best(lambda: _sync(jx, lg(x4)), 3, 5)
    tiny = jx.jit(lambda x, y: x * y + 1.0, device="vulkan")
    t4 = tiny(jnp.ones(4), jnp.ones(4))
    _sync(jx, tiny(t4, t4))
    _compiled(tiny)
    rows["vulkan: dispatch of a trivial jitted function"] = _best(lambda: tiny(t4, t4), 200, 5)
    loop = jx.jit(lambda x, n: jx.lax.fori_loop(0, n, lambda i, c: c * 0.999 + 1.0, x),
                  device="vulkan")
    v4 = jnp.ones(4)
    _sync(jx, loop(v4, 10))
    _compiled(loop)
    rows["vulkan: fori_loop of 100k iterations"] = _best(lambda: _sync(jx, loop(v4, 100_000)),
                                                         1, 1)
    return rows


def first_call_row(jx, process_start: float) -> dict[str, float]:
    """Seconds of the MLP step's first call (trace + compile or tier + run) in this process,
    and of everything before it (import + building the arguments)."""
    step, args = mlp_setup(jx)
    _sync(jx, args[1])
    t = time.perf_counter()
    out = step(*args)
    _sync(jx, out)
    took = time.perf_counter() - t
    _compiled(step)   # untimed: the module lands in the disk cache for the warm run
    return {"first call": took, "import + setup": t - process_start}


# ---------------------------------------------------------------------------
# The driver: fresh processes, paired rounds, medians

CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
sys.path.insert(0, {here!r}); sys.path.insert(0, {root!r})
import bench_table
if {fw!r} == "jax":
    import jax as jx
else:
    import irax as jx
rows = getattr(bench_table, {what!r})(*((jx, t0) if {what!r} == "first_call_row" else (jx,)))
print("ROWS " + json.dumps(rows))
"""


def run_child(python: str, fw: str, what: str, cache_dir: str | None) -> dict[str, float]:
    env = {**os.environ, "JAX_PLATFORMS": "cpu"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)   # as a user's install: bytecode cached
    if cache_dir:
        env["IRAX_CACHE_DIR"] = cache_dir
    code = CHILD.format(here=str(HERE), root=str(ROOT), fw=fw, what=what)
    proc = subprocess.run([python, "-c", code], capture_output=True, text=True, env=env)
    for line in proc.stdout.splitlines():
        if line.startswith("ROWS "):
            return json.loads(line[5:])
    raise RuntimeError(f"{fw} {what} failed:\n{proc.stderr[-3000:]}")


def find_jax_python(explicit: str | None) -> str | None:
    if explicit:
        return explicit
    try:
        import jax  # noqa: F401
        return sys.executable
    except ImportError:
        return "/tmp/jaxvenv/bin/python" if os.path.exists("/tmp/jaxvenv/bin/python") else None


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--jax", default=None)
    ap.add_argument("--quick", action="store_true", help="one round")
    ap.add_argument("--no-vulkan", dest="vulkan", action="store_false",
                    help="skip the lavapipe rows (they need Mesa's Vulkan driver)")
    ap.add_argument("--rows", default=None,
                    help="comma list of substrings: only the steady rows whose name contains "
                         "one (e.g. --rows newton,dispatch); first-call and Vulkan rows skipped")
    opts = ap.parse_args()
    if opts.rows:
        os.environ["BENCH_TABLE_ROWS"] = opts.rows
        opts.vulkan = False
    if opts.quick:
        opts.rounds = 1
    jax_py = find_jax_python(opts.jax)
    results: dict[str, dict[str, list[float]]] = {"irax": {}, "jax": {}}

    def add(fw, rows, rename=None):
        for k, v in rows.items():
            results[fw].setdefault(rename.get(k, k) if rename else k, []).append(v)

    for r in range(opts.rounds):
        print(f"round {r + 1}/{opts.rounds}", flush=True)
        with tempfile.TemporaryDirectory(prefix="irax-bench-cache-") as cache:
            if not opts.rows:
                add("irax", run_child(sys.executable, "irax", "first_call_row", cache),
                    {"first call": "mlp first call, empty cache"})
                add("irax", run_child(sys.executable, "irax", "first_call_row", cache),
                    {"first call": "mlp first call, new process, warm cache",
                     "import + setup": "-"})
            add("irax", run_child(sys.executable, "irax", "steady_rows", cache))
            if opts.vulkan:
                add("irax", run_child(sys.executable, "irax", "vulkan_rows", cache))
        if jax_py:
            if not opts.rows:
                add("jax", run_child(jax_py, "jax", "first_call_row", None),
                    {"first call": "mlp first call, empty cache"})
            add("jax", run_child(jax_py, "jax", "steady_rows", None))
    # JAX has no warm disk cache by default: the warm row compares with JAX's cold call
    if results["jax"].get("mlp first call, empty cache"):
        results["jax"]["mlp first call, new process, warm cache"] = \
            results["jax"]["mlp first call, empty cache"]

    order = ["mlp value_and_grad step", "mlp first call, empty cache",
             "mlp first call, new process, warm cache", "jit(vmap(newton_sqrt)) 1M",
             "jit(vmap(grad(newton_sqrt))) 1M", "jit fori_loop 100 steps 1M",
             "jit while_loop i < 100 1M", "jit while_loop to tolerance 1M",
             "jit(vmap(grad(log1pexp))) 4M",
             "dispatch of a trivial jitted function", "make_jaxpr of 15k equations",
             "hvp 1M", "import + setup", "vulkan: mlp value_and_grad step",
             "vulkan: jit(vmap(newton_sqrt)) 1M", "vulkan: jit(vmap(grad(log1pexp))) 4M",
             "vulkan: dispatch of a trivial jitted function",
             "vulkan: fori_loop of 100k iterations"]
    print(f"\n{'workload (median of %d rounds)' % opts.rounds:48} {'irax':>11} {'JAX':>11} "
          f"{'irax/JAX':>9}")
    summary = []
    for name in order:
        iv = results["irax"].get(name)
        if not iv:
            continue
        i = statistics.median(iv)
        jv = results["jax"].get(name)
        j = statistics.median(jv) if jv else None
        unit, scale = ("µs", 1e6) if i < 1e-3 else (("ms", 1e3) if i < 1 else ("s", 1.0))
        js = f"{j * scale:9.3g} {unit}" if j is not None else " " * 11
        ratio = f"{i / j:9.2f}" if j else ""
        note = " (JAX: its cold call)" if "warm" in name else ""
        print(f"{name:48} {i * scale:8.3g} {unit:2} {js} {ratio}{note}")
        summary.append({"bench": "bench_table", "name": name, "irax": i * scale, "unit": unit,
                        "jax": None if j is None else j * scale, "note": note.strip()})
    sys.path.insert(0, str(HERE))
    from _summary import emit
    emit(summary)


if __name__ == "__main__":
    main()
