"""`data_parallel`: run a step function over Ray workers that hold only the IREE runtime.

    step = irax.distributed.data_parallel(loss_and_grads, num_workers=2, batch_argnums=(1,))
    value, grads = step(params, batch)     # == loss_and_grads(params, batch)
    step.close()

The driver splits the leaves of the batch arguments along axis 0, exports
`fun` with `irax.aot` once per set of shard shapes (one module holding one
function per distinct shard size), and ships the module bytes and the other
arguments through Ray's object store. Each worker runs its shard with
`irax.runtime`; the driver returns the shard-size-weighted mean of the
workers' results. That is exactly `fun(*args)` when every output of `fun` is
a mean over the batch axis (a mean loss, the gradient of a mean loss, a
metric), up to float rounding.
"""
from __future__ import annotations

import hashlib
import os
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import ray

import irax
from .. import tree_util
from ..runtime import targets
from .worker import ShardWorker

# CPUs a local cluster started here announces: CI machines have 2 cores.
LOCAL_CLUSTER_CPUS = 2
# Ray CPUs each worker reserves by default. An IREE cpu call runs on one
# thread (local-sync) for all but very large shards; half a CPU lets four
# workers share a 2-CPU local cluster (two steps alive at once, or 1 + 2
# workers in the benchmark). On a real cluster pass worker_options={"num_cpus": 1}
# (or {"num_gpus": 1} for device="cuda").
DEFAULT_WORKER_CPUS = 0.5
# Distinct broadcast values kept in the object store (the current parameters,
# constants such as a learning rate, ...); older ones are released.
BROADCAST_CACHE_SIZE = 8

_ShardWorkerActor = ray.remote(ShardWorker)


class WorkerError(RuntimeError):
    """A worker raised while running its shard, or died and could not be restarted.

    The message carries the worker's own error; `worker_index` says which
    worker, and `__cause__` is the worker's exception when Ray could rebuild it.
    """

    def __init__(self, message: str, worker_index: int) -> None:
        super().__init__(message)
        self.worker_index = worker_index


@dataclass
class StepStats:
    """Where the time and the bytes of the last call went (seconds, bytes per worker)."""

    export_s: float = 0.0        # trace + lower + IREE compile (first call per shard shapes)
    prepare_s: float = 0.0       # flatten, split, hash and ray.put of the arguments
    wait_s: float = 0.0          # submit to all results back (includes the workers' run)
    reduce_s: float = 0.0        # weighted mean and unflatten on the driver
    total_s: float = 0.0
    worker_run_s: list[float] = field(default_factory=list)  # inside IREE, per worker
    sent_bytes: list[int] = field(default_factory=list)      # shard + broadcast args, per worker
    received_bytes: list[int] = field(default_factory=list)  # results, per worker
    broadcast_puts: int = 0      # broadcast values newly put in the object store this call


@dataclass
class _Compiled:
    """One exported module: what the driver needs to call it for one set of shard shapes."""

    module_key: str
    module_ref: Any               # ray.ObjectRef of the .vmfb bytes
    fn_names: dict[int, str]      # shard size -> exported function
    in_dtypes: list[np.dtype]     # per flat argument leaf, as the module expects them
    out_treedef: Any
    num_bytes: int


def data_parallel(
    fun: Callable[..., Any],
    num_workers: int = 2,
    batch_argnums: int | Sequence[int] = (1,),
    address: str | None = None,
    device: str = "cpu",
    *,
    max_restarts: int = -1,
    max_task_retries: int = 3,
    timeout_s: float | None = None,
    worker_options: dict[str, Any] | None = None,
) -> "DataParallel":
    """A callable that evaluates `fun` on `num_workers` Ray workers, splitting the batch.

    `batch_argnums`: the positional arguments whose array leaves are split
    along axis 0 (they must all have the same leading size); the other
    arguments are broadcast. `fun` must return means over the batch axis:
    the result is the mean of the workers' results weighted by shard size.

    `address`: None uses the Ray runtime already initialized in this process,
    or starts a local one (`num_cpus=2`, no dashboard); "auto" or
    "ray://host:port" attaches to an existing cluster (whose workers need
    irax and iree-base-runtime installed, not the compiler).
    `device`: where the workers run the module: "cpu", "vulkan" or "cuda".

    Faults: a worker process that dies is restarted by Ray (up to
    `max_restarts`, -1 for no limit) and the call it was running is retried
    (up to `max_task_retries` times); a restarted worker reloads the module
    from the object store. An exception inside a worker raises WorkerError
    on the driver with the worker's message. `timeout_s` bounds each call
    (TimeoutError). `worker_options` are extra Ray actor options
    (`num_cpus`, `num_gpus`, `resources`, `runtime_env`, ...).
    """
    return DataParallel(fun, num_workers, batch_argnums, address, device, max_restarts=max_restarts,
                        max_task_retries=max_task_retries, timeout_s=timeout_s, worker_options=worker_options)


class DataParallel:
    """The step returned by `data_parallel`: call it like `fun`; `close()` when done."""

    def __init__(self, fun: Callable[..., Any], num_workers: int, batch_argnums: int | Sequence[int],
                 address: str | None, device: str, *, max_restarts: int, max_task_retries: int,
                 timeout_s: float | None, worker_options: dict[str, Any] | None) -> None:
        if not callable(fun):
            raise TypeError(f"data_parallel: fun must be callable, got {type(fun).__name__}")
        if isinstance(num_workers, bool) or not isinstance(num_workers, int) or num_workers < 1:
            raise ValueError(f"data_parallel: num_workers must be a positive int, got {num_workers!r}")
        argnums = (batch_argnums,) if isinstance(batch_argnums, int) else tuple(batch_argnums)
        if not argnums or not all(isinstance(a, int) and not isinstance(a, bool) for a in argnums):
            raise TypeError(f"data_parallel: batch_argnums must be an int or a non-empty tuple of ints, "
                            f"got {batch_argnums!r}")
        self.fun = fun
        self.num_workers = num_workers
        self.batch_argnums = argnums
        self.device = targets.resolve_device(device)
        self.timeout_s = timeout_s
        self._target = targets.target_for_device(self.device)
        _connect(address)
        options = {"num_cpus": DEFAULT_WORKER_CPUS, "max_restarts": max_restarts,
                   "max_task_retries": max_task_retries, **(worker_options or {})}
        if address is None:
            _check_local_cpus(num_workers, options["num_cpus"])
        self._workers = [_ShardWorkerActor.options(**options).remote(self.device) for _ in range(num_workers)]
        self._compiled: dict[Any, _Compiled] = {}
        self._broadcast: OrderedDict[str, tuple[Any, int]] = OrderedDict()
        self._closed = False
        self.last_stats = StepStats()

    @property
    def workers(self) -> list[Any]:
        """The Ray actor handles, one per worker."""
        return list(self._workers)

    def __call__(self, *args: Any) -> Any:
        if self._closed:
            raise RuntimeError("this data_parallel step is closed")
        stats = StepStats()
        t_start = time.perf_counter()
        batch_pos = self._batch_positions(len(args))
        flat_args = [tree_util.tree_flatten(a) for a in args]
        leaves = [[_as_leaf(x, i in batch_pos) for x in arg_leaves] for i, (arg_leaves, _) in enumerate(flat_args)]
        size = self._batch_size(leaves, batch_pos)
        sizes = _split_sizes(size, self.num_workers)

        key = (tuple(td for _, td in flat_args), tuple(_leaf_key(x) for arg in leaves for x in arg), size,
               irax.config.enable_x64)
        compiled = self._compiled.get(key)
        if compiled is None:
            t0 = time.perf_counter()
            compiled = self._compiled[key] = self._export(flat_args, leaves, batch_pos, sizes)
            stats.export_s = time.perf_counter() - t0

        t0 = time.perf_counter()
        dtypes = iter(compiled.in_dtypes)
        typed = [[np.asarray(x, next(dtypes)) for x in arg] for arg in leaves]
        broadcast = {i: self._put_broadcast(typed[i], stats) for i in range(len(args)) if i not in batch_pos}
        starts = np.concatenate([[0], np.cumsum(sizes)])
        calls = []
        for lo, hi in zip(starts[:-1], starts[1:]):
            parts, sent = [], 0
            for i, arg in enumerate(typed):
                if i in batch_pos:
                    shard = [np.ascontiguousarray(x[lo:hi]) for x in arg]
                    sent += sum(s.nbytes for s in shard)
                    parts.append(shard)
                else:
                    ref, nbytes = broadcast[i]
                    sent += nbytes
                    parts.append(ref)
            stats.sent_bytes.append(sent)
            calls.append((compiled.fn_names[int(hi - lo)], parts))
        stats.prepare_s = time.perf_counter() - t0

        t0 = time.perf_counter()
        refs = [worker.run.remote(compiled.module_key, [compiled.module_ref], fn_name, *parts)
                for worker, (fn_name, parts) in zip(self._workers, calls)]
        results = self._gather(refs)
        stats.wait_s = time.perf_counter() - t0

        t0 = time.perf_counter()
        stats.worker_run_s = [run_s for _, run_s in results]
        stats.received_bytes = [sum(r.nbytes for r in out) for out, _ in results]
        weights = np.asarray(sizes, np.float64) / size
        out_leaves = [_weighted_mean([out[j] for out, _ in results], weights) for j in range(len(results[0][0]))]
        out = tree_util.tree_unflatten(compiled.out_treedef, out_leaves)
        stats.reduce_s = time.perf_counter() - t0
        stats.total_s = time.perf_counter() - t_start
        self.last_stats = stats
        return out

    # -- pieces of a call ---------------------------------------------------

    def _batch_positions(self, nargs: int) -> frozenset[int]:
        pos = set()
        for a in self.batch_argnums:
            if not -nargs <= a < nargs:
                raise ValueError(f"data_parallel: batch_argnums {self.batch_argnums} refers to argument {a}, "
                                 f"but the step was called with {nargs} positional arguments")
            pos.add(a % nargs)
        return frozenset(pos)

    def _batch_size(self, leaves: list[list[Any]], batch_pos: frozenset[int]) -> int:
        sizes = {}
        for i in sorted(batch_pos):
            for j, x in enumerate(leaves[i]):
                if np.ndim(x) == 0:
                    raise ValueError(f"data_parallel: leaf {j} of batch argument {i} is a scalar; "
                                     "batch leaves need a leading batch axis to split")
                sizes[(i, j)] = np.shape(x)[0]
        if not sizes:
            raise ValueError(f"data_parallel: the batch arguments {sorted(batch_pos)} have no array leaves")
        distinct = set(sizes.values())
        if len(distinct) > 1:
            raise ValueError("data_parallel: batch leaves disagree on the batch size (axis 0): "
                             + ", ".join(f"argument {i} leaf {j}: {n}" for (i, j), n in sizes.items()))
        size = distinct.pop()
        if size < self.num_workers:
            raise ValueError(f"data_parallel: a batch of size {size} cannot be split over {self.num_workers} "
                             f"workers (a shard would be empty); use a batch of at least {self.num_workers}")
        return size

    def _export(self, flat_args: list[tuple[list[Any], Any]], leaves: list[list[Any]],
                batch_pos: frozenset[int], sizes: list[int]) -> _Compiled:
        treedefs = [td for _, td in flat_args]
        counts = [len(arg) for arg in leaves]
        out_store: dict[str, Any] = {}

        def shard_fun(*flat: Any) -> list[Any]:
            it = iter(flat)
            rebuilt = [tree_util.tree_unflatten(td, [next(it) for _ in range(n)]) for td, n in zip(treedefs, counts)]
            out_leaves, out_store["treedef"] = tree_util.tree_flatten(self.fun(*rebuilt))
            return out_leaves

        entries = {}
        for shard in sorted(set(sizes), reverse=True):
            specs = [_spec(x, shard if i in batch_pos else None) for i, arg in enumerate(leaves) for x in arg]
            entries[f"shard_{shard}"] = (shard_fun, specs)
        exported = irax.aot.export(entries, target=self._target)
        first = exported.functions[next(iter(entries))]
        vmfb = exported.vmfb
        return _Compiled(
            module_key=hashlib.blake2b(vmfb, digest_size=8).hexdigest(),
            module_ref=ray.put(vmfb),
            fn_names={s: f"shard_{s}" for s in set(sizes)},
            in_dtypes=[np.dtype(d) for _, d in first.in_avals],
            out_treedef=out_store["treedef"],
            num_bytes=len(vmfb),
        )

    def _put_broadcast(self, arg_leaves: list[np.ndarray], stats: StepStats) -> tuple[Any, int]:
        """The object-store reference for a broadcast argument: put once per distinct value."""
        digest = _digest(arg_leaves)
        hit = self._broadcast.get(digest)
        if hit is not None:
            self._broadcast.move_to_end(digest)
            return hit
        entry = (ray.put(arg_leaves), sum(x.nbytes for x in arg_leaves))
        stats.broadcast_puts += 1
        self._broadcast[digest] = entry
        while len(self._broadcast) > BROADCAST_CACHE_SIZE:
            self._broadcast.popitem(last=False)
        return entry

    def _gather(self, refs: list[Any]) -> list[tuple[list[np.ndarray], float]]:
        deadline = None if self.timeout_s is None else time.monotonic() + self.timeout_s
        results = []
        n = len(refs)
        for i, ref in enumerate(refs):
            timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                results.append(ray.get(ref, timeout=timeout))
            except ray.exceptions.GetTimeoutError:
                raise TimeoutError(f"data_parallel: worker {i} of {n} did not answer within "
                                   f"{self.timeout_s} s") from None
            except ray.exceptions.RayTaskError as e:
                cause = getattr(e, "cause", None)
                what = f"{type(cause).__name__}: {cause}" if cause is not None else str(e)
                raise WorkerError(f"data_parallel worker {i} of {n} raised {what}", i) from cause
            except ray.exceptions.RayActorError as e:
                raise WorkerError(f"data_parallel worker {i} of {n} died and was not restarted: {e}", i) from e
        return results

    # -- lifetime -----------------------------------------------------------

    def close(self) -> None:
        """Stop the workers and release the module and broadcast objects (Ray itself stays up)."""
        if self._closed:
            return
        self._closed = True
        if ray.is_initialized():
            for worker in self._workers:
                ray.kill(worker, no_restart=True)
        self._workers = []
        self._compiled.clear()
        self._broadcast.clear()

    def __enter__(self) -> "DataParallel":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else f"{self.num_workers} workers on {self.device}"
        return f"<data_parallel {getattr(self.fun, '__name__', 'fun')}: {state}>"


def start_local_cluster(num_cpus: int = LOCAL_CLUSTER_CPUS, **init_kwargs: Any) -> None:
    """ray.init of a local cluster whose workers run at normal CPU priority.

    Ray starts workers at niceness 15 so that its own daemons stay responsive; on a
    local cluster the workers are the whole computation, and any other busy process on
    the machine (a compiler, a test runner) starved them: a 6 s step took 55-130 s.
    The raylet reads RAY_worker_niceness from its environment when ray.init spawns it."""
    previous = os.environ.get("RAY_worker_niceness")
    os.environ["RAY_worker_niceness"] = "0"
    try:
        ray.init(num_cpus=num_cpus, include_dashboard=False, **init_kwargs)
    finally:
        if previous is None:
            del os.environ["RAY_worker_niceness"]
        else:
            os.environ["RAY_worker_niceness"] = previous


def _connect(address: str | None) -> None:
    if ray.is_initialized():
        return
    if address is None:
        start_local_cluster()
    else:
        ray.init(address=address)


def _check_local_cpus(num_workers: int, cpus_each: float, patience_s: float = 5.0) -> None:
    """ValueError instead of actors that would wait for CPUs forever on a fixed local cluster.

    CPUs held by actors that are being killed (another step just closed) come
    back within moments, so a shortfall is re-checked for `patience_s`."""
    need = num_workers * cpus_each
    total = ray.cluster_resources().get("CPU", 0.0)
    deadline = time.monotonic() + patience_s
    while need > (free := ray.available_resources().get("CPU", 0.0)) + 1e-9:
        if need > total or time.monotonic() > deadline:
            raise ValueError(
                f"data_parallel: {num_workers} workers at {cpus_each:g} CPU each need {need:g} CPUs, but the "
                f"Ray cluster has {total:g} ({free:g} free); close other steps, pass "
                "worker_options={'num_cpus': ...} or start Ray with more num_cpus")
        time.sleep(0.1)


def _split_sizes(size: int, num_workers: int) -> list[int]:
    """Contiguous shard sizes differing by at most one (the first ones get the extra rows)."""
    base, extra = divmod(size, num_workers)
    return [base + (1 if w < extra else 0) for w in range(num_workers)]


def _is_python_scalar(x: Any) -> bool:
    return isinstance(x, (bool, int, float, complex))


def _as_leaf(x: Any, batched: bool) -> Any:
    """A NumPy array, or a Python scalar of a broadcast argument (traced weakly typed, like jit)."""
    if _is_python_scalar(x) and not batched:
        return x
    return np.asarray(x)


def _leaf_key(x: Any) -> Any:
    if _is_python_scalar(x):
        return type(x)
    return (x.shape, x.dtype.str)


def _spec(x: Any, shard: int | None) -> Any:
    if _is_python_scalar(x):
        return x
    shape = x.shape if shard is None else (shard,) + x.shape[1:]
    return irax.ShapeDtypeStruct(shape, x.dtype)


def _digest(arrays: list[np.ndarray]) -> str:
    h = hashlib.blake2b(digest_size=16)
    for x in arrays:
        h.update(f"{x.dtype.str}{x.shape};".encode())
        h.update(np.ascontiguousarray(x).data)
    return h.hexdigest()


def _weighted_mean(values: list[np.ndarray], weights: np.ndarray) -> np.ndarray:
    dtype = values[0].dtype
    wide = np.promote_types(dtype, np.float64)  # accumulate float32 shards in float64
    acc = sum(w * v.astype(wide) for w, v in zip(weights, values))
    return np.asarray(acc, dtype)
