"""irax.dtypes: JAX's `jax.dtypes` module (dtype queries and the promotion lattice).

    irax.dtypes.canonicalize_dtype("float64")     # float32 unless x64 is on
    irax.dtypes.result_type(1.0, return_weak_type_flag=True)   # (float32, True)
    irax.dtypes.issubdtype(irax.random.key(0).dtype, irax.dtypes.prng_key)   # True

The promotion rules are irax.tracer.dtypes' (the ones every irax operation uses); this
module only gives them JAX's public spelling. `extended` and `prng_key` are the abstract
dtype classes of JAX's extended dtypes: irax's only extended dtype is the typed key's.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .tracer import dtypes as _dtypes

try:  # bfloat16 is the ml_dtypes type (a dependency of iree.runtime), as in JAX
    import ml_dtypes as _mld
    bfloat16 = _mld.bfloat16
except ImportError:  # pragma: no cover - ml_dtypes ships with iree.runtime
    _mld = None
    bfloat16 = None

__all__ = ["TypePromotionError", "bfloat16", "canonicalize_dtype", "extended", "finfo",
           "float0", "iinfo", "issubdtype", "itemsize_bits", "prng_key", "result_type",
           "scalar_type_of"]

# The dtype of tangents of integer and boolean values, as JAX spells it.
float0 = np.dtype([("float0", np.void, 0)])


class TypePromotionError(ValueError):
    """Raised where JAX's promotion refuses a combination (JAX's class of that name)."""


class extended(np.generic):
    """Abstract class of extended (non-NumPy) dtypes: issubdtype(key.dtype, extended)."""


class prng_key(extended):
    """Abstract class of PRNG key dtypes."""


def _as_dtype(d: Any) -> np.dtype:
    """np.dtype of a specifier: a NumPy scalar type, a string, a dtype, an array."""
    if isinstance(d, (type, str, np.dtype)):
        return np.dtype(d)
    return np.dtype(getattr(d, "dtype", d))


def _is_key_dtype(d: Any) -> bool:
    from .random._keys import KeyDType   # a user-API sibling, imported on first use
    return isinstance(d, KeyDType)


def issubdtype(a: Any, b: Any) -> bool:
    """np.issubdtype extended with bfloat16 (a floating type) and the key dtype classes."""
    if _is_key_dtype(a):
        return _is_key_dtype(b) or b in (extended, prng_key)
    if b in (extended, prng_key) or _is_key_dtype(b):
        return False
    a = _as_dtype(a)
    if bfloat16 is not None and a == np.dtype(bfloat16):
        if isinstance(b, type) and issubclass(b, np.generic) and not issubclass(b, extended):
            return b in (np.floating, np.inexact, np.number, np.generic) or \
                b is bfloat16
        return np.dtype(b) == a
    return bool(np.issubdtype(a, b))


def finfo(dtype: Any):
    """Machine limits of a floating type (ml_dtypes' finfo, which knows bfloat16, as JAX)."""
    dt = _as_dtype(dtype)
    return _mld.finfo(dt) if _mld is not None else np.finfo(dt)


def iinfo(dtype: Any):
    """Machine limits of an integer type."""
    dt = _as_dtype(dtype)
    return _mld.iinfo(dt) if _mld is not None else np.iinfo(dt)


def canonicalize_dtype(dtype: Any, allow_extended_dtype: bool = False) -> Any:
    """The dtype irax gives values of `dtype` (64-bit types narrowed unless x64 is on)."""
    if _is_key_dtype(dtype):
        if not allow_extended_dtype:
            raise ValueError(f"Internal: canonicalize_dtype called on extended dtype "
                             f"{dtype} with allow_extended_dtype=False")
        return dtype
    return _dtypes.canonicalize(_as_dtype(dtype))


def _typed(x: Any) -> tuple[np.dtype, bool]:
    """(dtype, weak) of a value or dtype specifier, refusing what JAX cannot promote."""
    from .tracer.core import Array, Tracer, get_aval, is_python_scalar
    if isinstance(x, (Tracer, Array)) or is_python_scalar(x):
        a = get_aval(x)
        return a.dtype, a.weak_type
    if _is_key_dtype(getattr(x, "dtype", x)):
        raise TypePromotionError(f"extended dtype {getattr(x, 'dtype', x)} cannot be "
                                 "promoted with other types")
    dt = _as_dtype(x)
    if dt == float0:
        raise ValueError(f"dtype={dt!r} is not a valid dtype for JAX type promotion.")
    if dt.kind not in "biufc":
        # bfloat16 and the other ml_dtypes types: irax's promotion lattice lacks them
        raise TypePromotionError(f"irax does not promote dtype {dt} (only bool, integer, "
                                 "floating and complex NumPy types)")
    return _dtypes.canonicalize(dt), False


def result_type(*args: Any, return_weak_type_flag: bool = False):
    """The dtype of an operation on `args` (Python scalars weak, dtypes strong), as JAX's."""
    if not args:
        raise ValueError("at least one array or dtype is required")
    dt, weak = _dtypes.result_type(*[_typed(a) for a in args])
    return (dt, weak) if return_weak_type_flag else dt


def scalar_type_of(x: Any) -> type:
    """The Python scalar type (bool, int, float, complex) matching x's dtype kind."""
    dt = _as_dtype(x) if hasattr(x, "dtype") else _typed(x)[0]
    if dt.kind == "b":
        return bool
    if dt.kind in "iu":
        return int
    if dt.kind == "f" or (bfloat16 is not None and dt == np.dtype(bfloat16)):
        return float
    if dt.kind == "c":
        return complex
    raise TypeError(f"Invalid scalar value {x}")


def itemsize_bits(dtype: Any) -> int:
    """Bits per element (4 for int4, 8 for bool, as JAX)."""
    if dtype is None:
        raise ValueError("dtype cannot be None.")
    dt = np.dtype(dtype)
    if _mld is not None and dt.kind == "V" and dt.itemsize == 1 and dt.names is None:
        # ml_dtypes' sub-byte and 8-bit float types report their own width
        for info in (_mld.iinfo, _mld.finfo):
            try:
                return int(info(dt).bits)
            except (TypeError, ValueError):
                pass
    return dt.itemsize * 8
