"""Fixtures shared by the irax.scipy tests."""
import numpy as np
import pytest

import irax


@pytest.fixture(params=[np.float32, np.float64], ids=["float32", "float64"])
def dtype(request):
    """Run the test in float32 and in float64 (x64 switched on for the latter)."""
    prev = irax.config.enable_x64
    irax.config.update("enable_x64", request.param == np.float64)
    yield request.param
    irax.config.update("enable_x64", prev)
