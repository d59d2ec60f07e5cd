"""dtype rules as in JAX: float32 default, weakly typed Python scalars, opt-in x64.

Layering: the bottom of irax/tracer; imports nothing of irax.
"""
from __future__ import annotations

import numpy as np

bool_ = np.dtype(np.bool_)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
float16 = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
uint8 = np.dtype(np.uint8)
uint32 = np.dtype(np.uint32)


class Config:
    """Global switches (`irax.config.update("enable_x64", True)`)."""

    def __init__(self) -> None:
        self.enable_x64 = False
        self.device = "cpu"

    def update(self, name: str, value) -> None:
        if name in ("enable_x64", "jax_enable_x64"):
            self.enable_x64 = bool(value)
        elif name in ("device", "jax_platform_name", "jax_platforms"):
            self.device = str(value)
        elif name in self.options:
            self.options[name].set(value)
        else:
            raise ValueError(f"unknown irax config option {name!r}; known: enable_x64, device"
                             + "".join(f", {n}" for n in sorted(self.options)
                                       if not n.startswith("jax_")))

    def parse_flags_with_absl(self, argv: list | None = None) -> None:
        """Apply `--jax_<option>=<value>` (and `--jax_<flag>` / `--nojax_<flag>`) command-line
        arguments, as JAX's does for its absl flags (test files call it at import time).
        Other arguments are left alone; `argv` defaults to sys.argv."""
        import sys
        for arg in (sys.argv if argv is None else argv)[1:]:
            if not arg.startswith(("--jax_", "--nojax_")):
                continue
            name, has_value, text = arg[2:].partition("=")
            negated = name.startswith("no")
            name = name[2:] if negated else name
            if name not in self.options and name not in ("jax_enable_x64", "jax_platform_name",
                                                         "jax_platforms"):
                continue  # a flag irax does not have: absl would reject it, JAX's parser skips it
            if not has_value:
                value = not negated
            elif text.lower() in ("true", "false"):
                value = text.lower() == "true"
            else:
                value = text
            self.update(name, value)

    # Options registered from above the tracer (irax/config_flags.py: debug_nans, ...):
    # name -> an object with set(value) and a `value` attribute.
    options: dict = {}

    def __getattr__(self, name: str):
        option = type(self).options.get(name)
        if option is None:
            raise AttributeError(f"irax config has no option {name!r}")
        return option.value

    # JAX spelling: jax.config.jax_enable_x64
    @property
    def jax_enable_x64(self) -> bool:
        return self.enable_x64


config = Config()

_NARROW = {np.dtype(np.float64): float32, np.dtype(np.int64): int32, np.dtype(np.uint64): uint32,
           np.dtype(np.complex128): np.dtype(np.complex64)}


def canonicalize(dtype) -> np.dtype:
    """The dtype a value of `dtype` gets inside irax (64-bit types narrowed unless x64 is on)."""
    dt = np.dtype(dtype)
    if not config.enable_x64:
        return _NARROW.get(dt, dt)
    return dt


def default_float() -> np.dtype:
    return float64 if config.enable_x64 else float32


def default_int() -> np.dtype:
    return int64 if config.enable_x64 else int32


def is_float(dtype) -> bool:
    return np.issubdtype(dtype, np.floating)


def is_int(dtype) -> bool:
    return np.issubdtype(dtype, np.integer)


def python_scalar_dtype(x) -> np.dtype:
    if isinstance(x, bool):
        return bool_
    if isinstance(x, int):
        return default_int()
    if isinstance(x, float):
        return default_float()
    if isinstance(x, complex):
        return np.dtype(np.complex128 if config.enable_x64 else np.complex64)
    raise TypeError(f"not a Python scalar: {x!r}")


_KIND_ORDER = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def promote_types(a, b) -> np.dtype:
    """JAX's promotion of two (strong) dtypes, where it differs from NumPy's: a bool or an
    integer with a floating or complex type gives that type (int32 + float16 -> float16,
    NumPy float64), and uint64 with int64 gives float64; otherwise NumPy's."""
    a, b = np.dtype(a), np.dtype(b)
    inexact_a, inexact_b = a.kind in "fc", b.kind in "fc"
    if inexact_a != inexact_b:
        return a if inexact_a else b
    if {a, b} == {np.dtype(np.uint64), np.dtype(np.int64)}:
        return float64
    return np.promote_types(a, b)


def result_type(*typed: tuple[np.dtype, bool]) -> tuple[np.dtype, bool]:
    """Promote (dtype, weak_type) pairs the way JAX does, in its simplest form:
    weak (Python-scalar) operands never widen a strong operand of the same or higher kind."""
    strong = [d for d, w in typed if not w]
    weak = [d for d, w in typed if w]
    if strong:
        dt = strong[0]
        for d in strong[1:]:
            dt = promote_types(dt, d)
        for d in weak:
            if _KIND_ORDER[d.kind] > _KIND_ORDER[dt.kind]:
                if d.kind == "c" and dt.kind == "f":
                    # float array * complex scalar -> the complex of that float width, strong
                    return canonicalize(np.complex128 if dt == float64 else np.complex64), False
                # int array + float scalar -> default float; weak result as in JAX
                dt = default_float() if d.kind == "f" else d
                return canonicalize(dt), True
        return canonicalize(dt), False
    dt = weak[0]
    for d in weak[1:]:
        if _KIND_ORDER[d.kind] > _KIND_ORDER[dt.kind]:
            dt = d
        elif _KIND_ORDER[d.kind] == _KIND_ORDER[dt.kind]:
            dt = promote_types(dt, d)
    return canonicalize(dt), True


def short_name(dtype) -> str:
    dt = np.dtype(dtype)
    if dt == bool_:
        return "bool"
    return {"f": "f", "i": "i", "u": "u", "c": "c"}[dt.kind] + str(dt.itemsize * 8)
