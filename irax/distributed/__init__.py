"""Scale a step function out over Ray workers that run compiled modules with `irax.runtime` only.

    step = irax.distributed.data_parallel(fun, num_workers=2, batch_argnums=(1,))

driver.py is the driver side, worker.py the Ray actor. Importing this
package loads Ray, NumPy and `irax.runtime`; the tracer and `iree.compiler`
load on the driver only, when the first call exports `fun` (worker processes
import this package too, to find their actor class, and must stay
runtime-only).
"""
from .driver import DataParallel, StepStats, WorkerError, data_parallel
from .worker import ShardWorker

__all__ = ["data_parallel", "DataParallel", "StepStats", "WorkerError", "ShardWorker"]
