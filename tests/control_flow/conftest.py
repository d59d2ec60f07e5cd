import pytest

import irax


@pytest.fixture
def x64():
    """float64 everywhere for the duration of one test (reset afterwards)."""
    prev = irax.config.enable_x64
    irax.config.update("enable_x64", True)
    try:
        yield
    finally:
        irax.config.update("enable_x64", prev)
