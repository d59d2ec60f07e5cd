"""The tracer: IR, traces, transformations. Knows nothing of StableHLO or IREE."""
from . import core, dtypes, prims  # noqa: F401
