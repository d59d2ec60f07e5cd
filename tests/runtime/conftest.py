"""Runtime test fixtures: an isolated compile cache per test."""
from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test gets its own cache dir (the in-memory cache is keyed by content, so it is shared)."""
    d = tmp_path / "cache"
    monkeypatch.setenv("IRAX_CACHE_DIR", str(d))
    return d
