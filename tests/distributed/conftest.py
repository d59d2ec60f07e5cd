"""One local Ray cluster for the whole tests/distributed directory (a Ray start costs ~8 s here).

Sized for CI's 2 cores; shut down after the directory's last test.
"""
from __future__ import annotations

import pytest
import ray

from irax.distributed.driver import start_local_cluster


@pytest.fixture(scope="package")
def ray_cluster():
    started = not ray.is_initialized()
    if started:
        start_local_cluster(num_cpus=2, log_to_driver=False)
    yield ray
    if started:
        ray.shutdown()
