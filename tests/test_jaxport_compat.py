"""Small JAX API behaviours that JAX's own test files rely on (found by running them
against irax): config.parse_flags_with_absl, ..."""
from __future__ import annotations

import numpy as np
import pytest

import irax
import irax.numpy as jnp


def test_parse_flags_with_absl_applies_jax_flags_only():
    argv = ["prog", "--jax_debug_nans=true", "--jax_log_compiles", "-k", "x",
            "--not_jax=1", "--jax_no_such_flag=3"]
    try:
        irax.config.parse_flags_with_absl(argv)
        assert irax.config.jax_debug_nans is True and irax.config.jax_log_compiles is True
        with pytest.raises(FloatingPointError):
            jnp.log(jnp.float32(-1.0))       # the parsed flag is live
        irax.config.parse_flags_with_absl(["prog", "--nojax_debug_nans"])
        assert irax.config.jax_debug_nans is False
        assert np.isnan(np.asarray(jnp.log(jnp.float32(-1.0))))
    finally:
        irax.config.update("jax_debug_nans", False)
        irax.config.update("jax_log_compiles", False)
    irax.config.parse_flags_with_absl()       # pytest's own argv: nothing to apply
