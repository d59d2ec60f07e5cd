"""irax.scipy.cluster (as jax.scipy.cluster): the vq submodule."""
from __future__ import annotations

from . import vq

__all__ = ["vq"]
