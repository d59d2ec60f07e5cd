"""Shared numeric checks for the control-flow tests."""
import numpy as np

from tests.finite_differences import central_fd  # noqa: F401  (the lax tests import it from here)


def check_close(a, b, tol=1e-7):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol)
