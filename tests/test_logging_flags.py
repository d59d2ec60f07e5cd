"""JAX's logging options (jax_logging_level, jax_debug_log_modules) set irax's loggers,
whose records go to stderr; checked in a fresh process."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import irax

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = """
import logging, irax
jit_log = logging.getLogger("irax.jit")
irax.config.update("jax_logging_level", "INFO")
jit_log.info("shown at INFO")
jit_log.debug("hidden at INFO")
irax.config.update("jax_logging_level", None)
jit_log.info("hidden again")
irax.config.update("jax_debug_log_modules", "jax.jit")
jit_log.debug("debug of irax.jit")
logging.getLogger("irax.other").debug("not asked for")
"""


def test_levels_and_debug_modules_reach_stderr() -> None:
    err = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                         check=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}
                         ).stderr
    lines = [line for line in err.splitlines() if "irax." in line]
    assert len(lines) == 2, err
    assert lines[0].startswith("INFO:") and lines[0].endswith("shown at INFO")
    assert lines[1].startswith("DEBUG:") and lines[1].endswith("debug of irax.jit")


def test_bad_values_are_refused() -> None:
    with pytest.raises(ValueError, match="new enum value must be None or in"):
        irax.config.update("jax_logging_level", "LOUD")
    with pytest.raises(ValueError, match="comma-separated"):
        irax.config.update("jax_debug_log_modules", 3)
