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


def _scaled_sum(x, y, scale=2.0):
    return scale * (x + y)


def test_jit_accepts_donation_keep_unused_inline():
    x, y = np.arange(3.0, dtype=np.float32), np.float32(1.5)
    for kw in (dict(donate_argnums=0), dict(donate_argnums=(0, 1)), dict(donate_argnames="y"),
               dict(donate_argnums=-2, keep_unused=True, inline=True),
               dict(donate_argnums=0, static_argnames="scale")):
        out = irax.jit(_scaled_sum, **kw)(jnp.asarray(x), y, scale=3.0)
        np.testing.assert_allclose(np.asarray(out), 3.0 * (x + y), err_msg=str(kw))
    x_in = jnp.asarray(x)
    irax.jit(_scaled_sum, donate_argnums=0)(x_in, y)
    np.testing.assert_array_equal(np.asarray(x_in), x)   # irax reuses no donated buffer


@pytest.mark.parametrize("kw", [dict(donate_argnums=5), dict(donate_argnames="z"),
                                dict(donate_argnums=0, static_argnums=0),
                                dict(donate_argnames="x", static_argnums=0)])
def test_jit_donation_errors_are_jaxs(kw):
    jax = pytest.importorskip("jax")
    with pytest.raises(ValueError) as want:
        jax.jit(_scaled_sum, **kw)
    with pytest.raises(ValueError) as got:
        irax.jit(_scaled_sum, **kw)
    assert str(got.value) == str(want.value)
