"""irax.dlpack (as jax.dlpack): arrays from other libraries through DLPack.

    irax.dlpack.from_dlpack(torch_tensor)   # any object with __dlpack__ (or a capsule)

irax's values live on the host (NumPy) between compiled calls, so the exchange goes
through NumPy's DLPack support: a CPU producer's memory is read (and copied into the
irax Array, whose value never changes); `np.from_dlpack(irax_array)` works through
irax.Array.__dlpack__, which exports the host copy.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .tracer.core import Array

__all__ = ["from_dlpack", "is_supported_dtype"]

# the dtypes NumPy's DLPack exchanges (bool included since NumPy 1.25)
_SUPPORTED = frozenset(np.dtype(t) for t in (
    np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32,
    np.uint64, np.float16, np.float32, np.float64, np.complex64, np.complex128))


def is_supported_dtype(dtype: Any) -> bool:
    return np.dtype(dtype) in _SUPPORTED


def from_dlpack(external_array: Any, device: Any = None, copy: bool | None = None) -> Array:
    """An irax.Array with the contents of a DLPack-exporting object (CPU memory)."""
    if copy is False:
        raise ValueError("irax.dlpack.from_dlpack: copy=False is not possible; irax Arrays "
                         "own their (immutable) values")
    if not (hasattr(external_array, "__dlpack__")
            and hasattr(external_array, "__dlpack_device__")):
        raise TypeError("The array passed to from_dlpack must have __dlpack__ and "
                        "__dlpack_device__ methods.")
    try:
        v = np.from_dlpack(external_array)
    except (TypeError, RuntimeError, BufferError, AttributeError) as e:
        raise TypeError(f"irax.dlpack.from_dlpack: cannot import {type(external_array).__name__}"
                        f" through DLPack on the host: {e}") from None
    if not is_supported_dtype(v.dtype):
        raise TypeError(f"irax.dlpack.from_dlpack: unsupported dtype {v.dtype}")
    from .tracer.dtypes import canonicalize
    dt = canonicalize(v.dtype)
    return Array(np.array(v, dtype=dt, copy=True))
