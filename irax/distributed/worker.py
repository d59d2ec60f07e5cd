"""The Ray actor that runs one shard of a data-parallel step: `irax.runtime` only.

A worker never sees the user's function: it gets compiled module bytes (a
`.vmfb`) through Ray's object store and flat lists of NumPy arrays, and runs
the module with `irax.runtime.Executable`. So its process needs
`iree-base-runtime` and NumPy, not `iree.compiler` and not the irax tracer
(`loaded_modules` lets a caller check that).

Every `run` call names its module by key and carries a reference to the
bytes; a worker loads a module the first time it sees the key. A restarted
worker (Ray re-creates the actor after its process died) starts empty and
simply loads again from the same reference when the retried call arrives,
so the driver never has to notice the restart.
"""
from __future__ import annotations

import os
import sys
import time
from typing import Any

import numpy as np
import ray

from ..runtime import Executable


class ShardWorker:
    """Runs exported shard functions on one device ("cpu", "vulkan", "cuda")."""

    def __init__(self, device: str) -> None:
        self.device = device
        self._executables: dict[str, Executable] = {}
        self._invokers: dict[tuple[str, str], Any] = {}
        self._exit_in_next_run = False
        self.loads = 0
        self.runs = 0

    def run(self, module_key: str, module_ref_box: list[Any], fn_name: str,
            *parts: list[np.ndarray]) -> tuple[list[np.ndarray], float]:
        """Run `fn_name` of module `module_key` on the leaves of `parts`, concatenated.

        `module_ref_box` is `[ObjectRef]` (boxed so that Ray passes the
        reference, not the bytes): it is fetched only if the module is not
        loaded here yet. Returns the results as NumPy arrays and the seconds
        spent in IREE (upload, run, download).
        """
        invoker = self._invokers.get((module_key, fn_name))
        if invoker is None:
            exe = self._executables.get(module_key)
            if exe is None:
                exe = Executable(ray.get(module_ref_box[0]), self.device)
                self._executables[module_key] = exe
                self.loads += 1
            invoker = self._invokers[(module_key, fn_name)] = exe.invoker(fn_name)
        if self._exit_in_next_run:
            os._exit(1)  # fault injection: the process dies inside a call
        t0 = time.perf_counter()
        flat = [leaf for part in parts for leaf in part]
        results = [r.to_numpy() for r in invoker(flat)]
        self.runs += 1
        return results, time.perf_counter() - t0

    def exit_in_next_run(self) -> None:
        """Fault injection for tests and drills: the next `run` kills this process
        (os._exit) after loading its module, before answering. The restarted
        actor has no such flag, so Ray's retry of that call succeeds."""
        self._exit_in_next_run = True

    def loaded_modules(self) -> list[str]:
        """The names in this worker process's sys.modules."""
        return sorted(sys.modules)

    def info(self) -> dict[str, Any]:
        """pid, CPU niceness, device, loaded module keys and counters of this worker process."""
        return {"pid": os.getpid(), "niceness": os.nice(0), "device": self.device,
                "modules": sorted(self._executables), "loads": self.loads, "runs": self.runs}
