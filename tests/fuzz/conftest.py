"""Fuzz-suite settings: example counts from $IRAX_FUZZ_EXAMPLES, an isolated compile cache.

CI (no $IRAX_FUZZ_EXAMPLES) runs a small, derandomized set: the same programs every run,
so a red CI is a real regression, not a new random draw. Setting IRAX_FUZZ_EXAMPLES
(`make fuzz`) explores fresh random programs; shrunk failures go to test_regressions.py.
"""
from __future__ import annotations

import pytest

@pytest.fixture(scope="session", autouse=True)
def _fuzz_cache_dir(tmp_path_factory):
    """Compiled modules go to a fresh cache: every fuzz program really compiles."""
    mp = pytest.MonkeyPatch()
    mp.setenv("IRAX_CACHE_DIR", str(tmp_path_factory.mktemp("irax-fuzz-cache")))
    yield
    mp.undo()
