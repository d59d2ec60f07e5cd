"""jax.typing: annotations for array-like arguments and dtype-like values."""
from __future__ import annotations

from typing import Any, Union

import numpy as np

ArrayLike = Union[Any, np.ndarray, np.bool_, np.number, bool, int, float, complex]
DTypeLike = Union[str, type, np.dtype, Any]

__all__ = ["ArrayLike", "DTypeLike"]
