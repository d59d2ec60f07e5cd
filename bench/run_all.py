"""Run every benchmark script in bench/ and print one summary table (`make bench`).

    .venv/bin/python bench/run_all.py [--quick] [--only NAME ...] [--jax /path/to/python]

Each bench_*.py runs in its own process (its full table is printed as it goes); the
rows it hands over through bench/_summary.py are gathered into one table at the end,
with JAX side by side and the irax/JAX ratio where JAX is installed (in this Python, in
/tmp/jaxvenv, or the interpreter given with --jax; `pip install -e '.[bench]'` adds it).
Lower is better everywhere; a ratio below 1 means irax is faster.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

# script -> extra arguments (each must finish in a few minutes on a 2-core machine)
SCRIPTS: dict[str, list[str]] = {
    "bench_table.py": [],   # issue 14's table: fresh processes, paired rounds vs JAX
    "bench_jit.py": [],
    "bench_runtime.py": [],
    "bench_checkpoint.py": [],
}


def find_jax_python(explicit: str | None) -> str | None:
    if explicit:
        return explicit
    try:
        import jax  # noqa: F401
        return sys.executable
    except ImportError:
        pass
    if os.path.exists("/tmp/jaxvenv/bin/python"):
        return "/tmp/jaxvenv/bin/python"
    return None


def run_one(script: str, extra: list[str], quick: bool, jax_py: str | None) -> tuple[list, str]:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as tf:
        out_path = tf.name
    cmd = [sys.executable, str(HERE / script), *extra]
    if quick and script != "bench_checkpoint.py":
        cmd.append("--quick")
    if jax_py and script in ("bench_jit.py", "bench_table.py"):
        cmd += ["--jax", jax_py]
    env = {**os.environ, "IRAX_BENCH_JSON": out_path}
    print(f"\n===== {script} {' '.join(cmd[2:])}", flush=True)
    t = time.perf_counter()
    proc = subprocess.run(cmd, env=env)
    took = time.perf_counter() - t
    status = "ok" if proc.returncode == 0 else f"FAILED (exit {proc.returncode})"
    rows: list = []
    try:
        with open(out_path) as f:
            text = f.read()
        rows = json.loads(text) if text.strip() else []
    except (OSError, ValueError):
        pass
    finally:
        try:
            os.unlink(out_path)
        except OSError:
            pass
    return rows, f"{status}, {took:.0f} s"


def fmt(v: float | None, unit: str) -> str:
    if v is None:
        return "-"
    if unit == "x":
        return f"{v:.2f}x"
    return f"{v:.1f} {unit}" if v < 100 else f"{v:.0f} {unit}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats / sizes")
    ap.add_argument("--only", nargs="*", help="script names (e.g. bench_jit)")
    ap.add_argument("--jax", help="a Python interpreter with jax installed")
    args = ap.parse_args()
    jax_py = find_jax_python(args.jax)
    scripts = {k: v for k, v in SCRIPTS.items()
               if not args.only or k in args.only or k[:-3] in args.only}
    all_rows: list = []
    status: dict[str, str] = {}
    for script, extra in scripts.items():
        rows, status[script] = run_one(script, extra, args.quick, jax_py)
        all_rows += rows

    print("\n===== summary" + ("" if jax_py else " (JAX not installed: irax only)"))
    w = max([len(r["name"]) for r in all_rows] + [20])
    print(f"{'bench':18} {'what':{w}} {'irax':>12} {'JAX':>12} {'irax/JAX':>9}  note")
    for r in all_rows:
        ratio = f"{r['irax'] / r['jax']:.2f}" if r.get("jax") else "-"
        print(f"{r['bench']:18} {r['name']:{w}} {fmt(r['irax'], r['unit']):>12} "
              f"{fmt(r.get('jax'), r['unit']):>12} {ratio:>9}  {r.get('note', '')}")
    for script, st in status.items():
        print(f"{script}: {st}")
    return 0 if all(st.startswith("ok") for st in status.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
