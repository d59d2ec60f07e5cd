"""dtype rules as in JAX: float32 default, weakly typed Python scalars, opt-in x64.

Layering: the bottom of irax/tracer; imports nothing of irax.
"""
from __future__ import annotations

import functools

import numpy as np

bool_ = np.dtype(np.bool_)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
float16 = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
uint8 = np.dtype(np.uint8)
uint32 = np.dtype(np.uint32)
# JAX's tangent type of an integer or boolean value: a zero-size dtype (irax.dtypes.float0)
FLOAT0 = np.dtype([("float0", np.void, 0)])


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
    return kind(dtype) == "f"


def is_int(dtype) -> bool:
    return kind(dtype) in "iu"


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


# ml_dtypes' types (bfloat16, the 8/6/4-bit floats, the 1/2/4-bit integers), as in JAX;
# ml_dtypes is a dependency of iree.runtime. NumPy gives them all kind "V", so code asking
# what a dtype is should use kind() below rather than dtype.kind.
try:
    import ml_dtypes as _mld
except ImportError:  # pragma: no cover - ml_dtypes ships with iree.runtime
    _mld = None


def _ml(*names: str) -> list:
    return [np.dtype(getattr(_mld, n)) for n in names if _mld is not None and hasattr(_mld, n)]


bfloat16 = _ml("bfloat16")[0] if _ml("bfloat16") else None
# The floats narrower than float16, each its own island of JAX's lattice (no implicit
# promotion to or from another strong type).
SMALL_FLOATS = _ml("float4_e2m1fn", "float6_e2m3fn", "float6_e3m2fn", "float8_e3m4",
                   "float8_e4m3", "float8_e8m0fnu", "float8_e4m3b11fnuz", "float8_e4m3fn",
                   "float8_e4m3fnuz", "float8_e5m2", "float8_e5m2fnuz")
CUSTOM_FLOATS = SMALL_FLOATS + ([bfloat16] if bfloat16 is not None else [])
SMALL_SIGNED = _ml("int1", "int2", "int4")
SMALL_UNSIGNED = _ml("uint1", "uint2", "uint4")
_KIND = {**{d: "f" for d in CUSTOM_FLOATS}, **{d: "i" for d in SMALL_SIGNED},
         **{d: "u" for d in SMALL_UNSIGNED}}


def kind(dtype) -> str:
    """dtype.kind with ml_dtypes' types in their families: "f" for bfloat16 and the float8s,
    "i"/"u" for int4/uint4 and the other sub-byte integers."""
    dt = np.dtype(dtype)
    return _KIND.get(dt, dt.kind) if dt.kind == "V" else dt.kind


def is_custom(dtype) -> bool:
    """One of ml_dtypes' types (not a NumPy one)."""
    return np.dtype(dtype) in _KIND


def finfo(dtype):
    """Machine limits of a float type, ml_dtypes' types included."""
    return _mld.finfo(dtype) if _mld is not None else np.finfo(dtype)


def iinfo(dtype):
    """Machine limits of an integer type, int4 and the other sub-byte ones included."""
    return _mld.iinfo(dtype) if _mld is not None else np.iinfo(dtype)


class TypePromotionError(ValueError):
    """Raised where JAX's promotion refuses a combination (JAX's class of that name)."""


def _lattice(x64: bool) -> dict:
    """JAX's type promotion lattice: each type -> the types directly above it. The Python
    types int, float, complex stand for weakly typed values of their kind."""
    d = np.dtype
    u8, u16, u32, u64 = d("uint8"), d("uint16"), d("uint32"), d("uint64")
    i8, i16, i32, i64 = d("int8"), d("int16"), d("int32"), d("int64")
    f16, f32, f64, c64, c128 = d("float16"), d("float32"), d("float64"), d("complex64"), \
        d("complex128")
    halves = [f16] + ([bfloat16] if bfloat16 is not None else [])
    small_ints = SMALL_SIGNED + SMALL_UNSIGNED
    out: dict = {
        bool_: [int], int: [u8, i8, *small_ints], u8: [i16, u16], u16: [i32, u32],
        u32: [i64, u64], u64: [float], i8: [i16], i16: [i32], i32: [i64], i64: [float],
        float: [*SMALL_FLOATS, *halves, complex], **{t: [f32] for t in halves},
        f32: [f64, c64], f64: [c128], complex: [c64], c64: [c128], c128: [],
        **{t: [] for t in SMALL_FLOATS + small_ints},
    }
    if not x64:
        out[u32] = [i32, u64]   # no 64-bit type out of 32-bit operands: uint32 + int32 -> int32
    return out


def _upper_bounds(x64: bool) -> dict:
    """type -> the set of types at or above it in the lattice."""
    lattice = _lattice(x64)
    ubs: dict = {}

    def up(t):
        if t not in ubs:
            ubs[t] = {t}.union(*(up(s) for s in lattice[t]))
        return ubs[t]
    for t in lattice:
        up(t)
    return ubs


_UBS = {x64: _upper_bounds(x64) for x64 in (False, True)}
_WEAK = (int, float, complex)


def _small_kind_name(nodes) -> str | None:
    for n in nodes:
        if n in SMALL_FLOATS:   # float8_e4m3fn -> "8-bit floats"
            return f"{np.dtype(n).name[5]}-bit floats"
        if n in SMALL_SIGNED or n in SMALL_UNSIGNED:
            return "1-bit, 2-bit and 4-bit integers"
    return None


def least_upper_bound(*nodes):
    """The lowest type above all `nodes` (dtypes or the weak Python types)."""
    return _least_upper_bound(config.enable_x64, nodes)


@functools.lru_cache(maxsize=1024)   # every binary operation asks: keep it cheap
def _least_upper_bound(x64: bool, nodes: tuple):
    ubs = _UBS[x64]
    order = list(dict.fromkeys(nodes))   # distinct, in the callers' order (for the message)
    nodes = set(order)
    for n in order:
        if n not in ubs:
            raise ValueError(f"dtype={n!r} is not a valid dtype for JAX type promotion.")
    common = set.intersection(*(ubs[n] for n in nodes))
    least = (common & nodes) or {c for c in common if common <= ubs[c]}
    if len(least) == 1:
        return least.pop()
    names = tuple(str(getattr(n, "__name__", n)) for n in order)
    small = _small_kind_name(order)
    hint = (f" To avoid unintended promotion, {small} do not support implicit promotion. "
            "If you'd like your inputs to be promoted to another type, you can do so "
            "explicitly using e.g. x.astype('float32')") if small else \
        " Try explicitly casting inputs to the desired output type."
    raise TypePromotionError(f"Input dtypes {names} have no available implicit dtype "
                             f"promotion path.{hint}")


def _node(dtype, weak: bool):
    """The lattice node of a (dtype, weak_type) pair: weak values stand at their kind's
    Python type (a weak bfloat16 is a weak float)."""
    dt = np.dtype(dtype)
    if not weak or dt == bool_:
        return dt
    return {"i": int, "u": int, "f": float, "c": complex}[kind(dt)]


def _of_node(node) -> np.dtype:
    if node is int:
        return default_int()
    if node is float:
        return default_float()
    if node is complex:
        return np.dtype(np.complex128 if config.enable_x64 else np.complex64)
    return canonicalize(node)


def promote_types(a, b) -> np.dtype:
    """JAX's promotion of two strong dtypes (the least upper bound in its lattice):
    int32 + float16 -> float16, bfloat16 + float16 -> float32, uint64 + int64 -> float."""
    return _of_node(least_upper_bound(np.dtype(a), np.dtype(b)))


def result_type(*typed: tuple[np.dtype, bool]) -> tuple[np.dtype, bool]:
    """Promote (dtype, weak_type) pairs the way JAX does: the least upper bound of their
    lattice nodes; the result is weak when that bound is a weak (Python) type. A weak
    operand never widens a strong one of its kind (float16 array * 2.0 is float16)."""
    dts = [canonicalize(d) for d, _ in typed]   # as JAX: 64-bit inputs narrowed first
    weaks = [bool(w) for _, w in typed]
    if len(dts) == 1:
        return canonicalize(dts[0]), weaks[0] and dts[0] != bool_
    if len(set(dts)) == 1 and not all(weaks):
        return canonicalize(dts[0]), False
    if all(weaks):
        # all weak: promote the strong counterparts, the result stays weak
        out = _of_node(least_upper_bound(*dts))
        return out, out != bool_
    node = least_upper_bound(*(_node(d, w) for d, w in zip(dts, weaks)))
    out = _of_node(node)
    return out, out != bool_ and any(node is t for t in _WEAK)


def short_name(dtype) -> str:
    dt = np.dtype(dtype)
    if dt == bool_:
        return "bool"
    if dt == FLOAT0:
        return "float0"
    if is_custom(dt):   # JAX's short names: bf16, f8_e4m3fn, i4, u4
        return dt.name.replace("float", "f").replace("uint", "u").replace("int", "i")
    return {"f": "f", "i": "i", "u": "u", "c": "c"}[dt.kind] + str(dt.itemsize * 8)
