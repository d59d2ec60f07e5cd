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

try:  # the ml_dtypes types (a dependency of iree.runtime), as in JAX
    import ml_dtypes as _mld
except ImportError:  # pragma: no cover - ml_dtypes ships with iree.runtime
    _mld = None

bfloat16 = getattr(_mld, "bfloat16", None)
TypePromotionError = _dtypes.TypePromotionError

__all__ = ["TypePromotionError", "bfloat16", "canonicalize_dtype", "extended", "finfo",
           "float0", "iinfo", "issubdtype", "itemsize_bits", "prng_key", "result_type",
           "scalar_type_of"]

# The dtype of tangents of integer and boolean values, as JAX spells it.
float0 = _dtypes.FLOAT0


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


_ABSTRACT_KIND = {np.floating: "f", np.inexact: "fc", np.number: "iufc", np.generic: "biufc",
                  np.integer: "iu", np.signedinteger: "i", np.unsignedinteger: "u"}


def issubdtype(a: Any, b: Any) -> bool:
    """np.issubdtype extended with ml_dtypes' types (bfloat16 and the float8s are floating,
    int4 a signed integer, as in JAX) and the key dtype classes."""
    if _is_key_dtype(a):
        return _is_key_dtype(b) or b in (extended, prng_key)
    if b in (extended, prng_key) or _is_key_dtype(b):
        return False
    a = _as_dtype(a)
    if _dtypes.is_custom(a):
        if isinstance(b, type) and b in _ABSTRACT_KIND:
            return _dtypes.kind(a) in _ABSTRACT_KIND[b]
        try:
            return _as_dtype(b) == a
        except TypeError:
            return False
    return bool(np.issubdtype(a, b))


def finfo(dtype: Any):
    """Machine limits of a floating type (ml_dtypes' finfo, which knows bfloat16, as JAX)."""
    return _dtypes.finfo(_as_dtype(dtype))


def iinfo(dtype: Any):
    """Machine limits of an integer type."""
    return _dtypes.iinfo(_as_dtype(dtype))


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
    if any(x is t for t in (int, float, complex)):   # the Python types stand for weak values
        return _dtypes.python_scalar_dtype(x(0)), True
    if _is_key_dtype(getattr(x, "dtype", x)):
        raise TypePromotionError(f"extended dtype {getattr(x, 'dtype', x)} cannot be "
                                 "promoted with other types")
    dt = _as_dtype(x)
    if dt == float0:
        raise ValueError(f"dtype={dt!r} is not a valid dtype for JAX type promotion.")
    if _dtypes.kind(dt) not in "biufc":
        raise TypeError(f"Value '{x}' with dtype {dt} is not a valid JAX array type. Only "
                        "arrays of numeric types are supported by JAX.")
    return _dtypes.canonicalize(dt), False


def result_type(*args: Any, return_weak_type_flag: bool = False):
    """The dtype of an operation on `args` (Python scalars weak, dtypes strong), as JAX's."""
    if not args:
        raise ValueError("at least one array or dtype is required")
    dt, weak = _dtypes.result_type(*[_typed(_dtypes.default_float() if a is None else a)
                                     for a in args])
    k = _dtypes.kind(dt)
    if weak and k == "u":
        dt = _dtypes.canonicalize(np.uint64)
    elif weak:   # a weak result is the default type of its kind (a weak bfloat16: float32)
        dt = _dtypes.python_scalar_dtype({"i": 0, "f": 0.0, "c": 0j}[k])
    return (dt, weak) if return_weak_type_flag else dt


def scalar_type_of(x: Any) -> type:
    """The Python scalar type (bool, int, float, complex) matching x's dtype kind."""
    dt = _as_dtype(x) if hasattr(x, "dtype") else _typed(x)[0]
    k = _dtypes.kind(dt)
    if k == "b":
        return bool
    if k in "iu":
        return int
    if k == "f":
        return float
    if k == "c":
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
