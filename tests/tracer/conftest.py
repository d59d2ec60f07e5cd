"""Tracer test fixtures (no IREE here: every tracer test runs on NumPy impl rules)."""
from __future__ import annotations

import pytest

import irax


@pytest.fixture
def x64():
    """64-bit mode for the duration of one test (restored afterwards, even on failure)."""
    prev = irax.config.enable_x64
    irax.config.update("enable_x64", True)
    try:
        yield
    finally:
        irax.config.update("enable_x64", prev)


@pytest.fixture(autouse=True)
def _x64_is_restored():
    prev = irax.config.enable_x64
    yield
    assert irax.config.enable_x64 == prev, "a test left enable_x64 changed"
    irax.config.update("enable_x64", prev)
