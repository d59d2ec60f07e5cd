"""Comparing an irax result with JAX's (the test-only oracle): dtype, shape, then values."""
import numpy as np


def assert_like_jax(out, ref, name, rtol=2e-6, atol=1e-6):
    out, ref = np.asarray(out), np.asarray(ref)
    assert out.dtype == ref.dtype and out.shape == ref.shape, (name, out.dtype, out.shape)
    np.testing.assert_allclose(out, ref, rtol=rtol, atol=atol, err_msg=name)
