"""Summary rows a bench script hands to bench/run_all.py (not a benchmark itself).

A script calls `emit(rows)` at its end; when run by run_all.py the environment variable
IRAX_BENCH_JSON names the file to write, otherwise `emit` does nothing. A row is a dict:
    {"bench": script, "name": what, "irax": value, "jax": value or None,
     "unit": "µs" | "ms" | "x" | ..., "note": short text (optional)}
Lower is better for every timed row.
"""
from __future__ import annotations

import json
import os
from typing import Any


def row(bench: str, name: str, irax: float, unit: str, jax: float | None = None,
        note: str = "") -> dict[str, Any]:
    return {"bench": bench, "name": name, "irax": float(irax), "unit": unit,
            "jax": None if jax is None else float(jax), "note": note}


def emit(rows: list[dict[str, Any]]) -> None:
    path = os.environ.get("IRAX_BENCH_JSON")
    if not path:
        return
    with open(path, "w") as f:
        json.dump(rows, f)
