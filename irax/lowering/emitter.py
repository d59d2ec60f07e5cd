"""A small MLIR text emitter: SSA names, tensor types, constants, ops with regions.

Ops are written in MLIR's *generic* form (`%0 = "stablehlo.add"(%a, %b) : (T, T) -> T`):
one spelling for every op, no per-op pretty syntax to get wrong. The function signature
and `func.return` use the standard func-dialect syntax.

Names are unique per function (one counter), so a value defined in an enclosing block can
be used inside a nested region (implicit capture, which IREE's StableHLO input accepts).
"""
from __future__ import annotations

import contextlib
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from ..tracer import dtypes as _dtypes

_DTYPE_NAMES = {
    np.dtype(np.bool_): "i1",
    np.dtype(np.int8): "i8", np.dtype(np.int16): "i16",
    np.dtype(np.int32): "i32", np.dtype(np.int64): "i64",
    np.dtype(np.uint8): "ui8", np.dtype(np.uint16): "ui16",
    np.dtype(np.uint32): "ui32", np.dtype(np.uint64): "ui64",
    np.dtype(np.float16): "f16", np.dtype(np.float32): "f32", np.dtype(np.float64): "f64",
    np.dtype(np.complex64): "complex<f32>", np.dtype(np.complex128): "complex<f64>",
}
# ml_dtypes' types: their MLIR builtin element types (as JAX writes them)
_MLIR_OF_ML = {"bfloat16": "bf16", "float8_e4m3fn": "f8E4M3FN", "float8_e5m2": "f8E5M2",
               "float8_e4m3fnuz": "f8E4M3FNUZ", "float8_e5m2fnuz": "f8E5M2FNUZ",
               "float8_e4m3b11fnuz": "f8E4M3B11FNUZ", "float8_e3m4": "f8E3M4",
               "float8_e4m3": "f8E4M3", "float8_e8m0fnu": "f8E8M0FNU",
               "float4_e2m1fn": "f4E2M1FN", "float6_e2m3fn": "f6E2M3FN",
               "float6_e3m2fn": "f6E3M2FN", "int2": "i2", "int4": "i4", "uint2": "ui2",
               "uint4": "ui4"}
for _dt in _dtypes.CUSTOM_FLOATS + _dtypes.SMALL_SIGNED + _dtypes.SMALL_UNSIGNED:
    if _dt.name in _MLIR_OF_ML:   # int1 / uint1 have none: i1 is StableHLO's bool
        _DTYPE_NAMES[_dt] = _MLIR_OF_ML[_dt.name]

# float dtype -> unsigned int dtype of the same width (for bit-exact hex constants)
_BITS = {2: np.uint16, 4: np.uint32, 8: np.uint64}


def dtype_str(dtype: Any) -> str:
    dt = np.dtype(dtype)
    try:
        return _DTYPE_NAMES[dt]
    except KeyError:
        raise TypeError(f"dtype {dt.name} has no StableHLO element type here") from None


def tensor_type(shape: Sequence[int], dtype: Any) -> str:
    dims = "".join(f"{int(d)}x" for d in shape)
    return f"tensor<{dims}{dtype_str(dtype)}>"


def aval_type(aval: Any) -> str:
    return tensor_type(aval.shape, aval.dtype)


def mlir_string(text: str) -> str:
    r"""`text` as an MLIR string literal: the one escaper for names and attribute values.

    MLIR strings take the escapes `\"`, `\\` and `\XX` (two hex digits, one byte).
    Every byte of the UTF-8 encoding outside printable ASCII is written as `\XX`, so any
    Python string (quotes, newlines, non-ASCII names) reaches IREE unchanged."""
    out = []
    for b in text.encode("utf-8"):
        if b in (0x22, 0x5C):   # " and \
            out.append("\\" + chr(b))
        elif 0x20 <= b < 0x7F:
            out.append(chr(b))
        else:
            out.append(f"\\{b:02X}")
    return '"' + "".join(out) + '"'


def i64_array(xs: Sequence[int]) -> str:
    """A DenseI64ArrayAttr: `array<i64: 1, 2>`."""
    xs = [int(x) for x in xs]
    return f"array<i64: {', '.join(map(str, xs))}>" if xs else "array<i64>"


def int_list(xs: Sequence[int]) -> str:
    return "[" + ", ".join(str(int(x)) for x in xs) + "]"


def _scalar_literal(v: Any, dtype: np.dtype) -> str:
    if dtype == np.bool_:
        return "true" if bool(v) else "false"
    kind = _dtypes.kind(dtype)
    if kind in "iu":
        return str(int(v))
    if kind == "f":   # the bits, in hex (ml_dtypes' narrow floats take one byte each)
        x = np.asarray(v, dtype=dtype)
        bits = x.view(_BITS.get(dtype.itemsize, np.uint8)).item()
        width = _dtypes.finfo(dtype).bits if _dtypes.is_custom(dtype) else dtype.itemsize * 8
        return f"0x{bits:0{(width + 3) // 4}X}"
    if kind == "c":
        part = np.dtype(np.float32 if dtype.itemsize == 8 else np.float64)
        c = complex(v)
        return f"({_scalar_literal(c.real, part)}, {_scalar_literal(c.imag, part)})"
    raise TypeError(f"cannot write a constant of dtype {dtype}")


def dense_attr(value: Any, dtype: Any, shape: Sequence[int]) -> str:
    """`dense<...> : tensor<...>` for a NumPy value (splats and scalars inline, else hex)."""
    dt = np.dtype(dtype)
    arr = np.asarray(value).astype(dt, copy=False)
    ty = tensor_type(shape, dt)
    if arr.size == 1:   # a scalar or a broadcast scalar: a splat
        return f"dense<{_scalar_literal(arr.reshape(-1)[0], dt)}> : {ty}"
    arr = np.ascontiguousarray(np.broadcast_to(arr, tuple(shape)))
    flat = arr.reshape(-1)
    if flat.size == 0:
        return f"dense<> : {ty}"
    first = flat[:1]
    if bool(np.all(flat.view(np.uint8).reshape(flat.size, -1) == first.view(np.uint8))):
        return f"dense<{_scalar_literal(first[0], dt)}> : {ty}"
    if dt == np.bool_ or (_dtypes.is_custom(dt) and dt.itemsize == 1):
        # (ml_dtypes' sub-byte types are one byte a value on the host, packed in MLIR's
        # hex form: write their values one by one)
        return f"dense<{_nested(arr, dt)}> : {ty}"
    if _dtypes.is_custom(dt):   # bfloat16: its bits, little-endian
        arr = arr.view(np.uint16)
    data = np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()
    return f'dense<"0x{data.hex().upper()}"> : {ty}'


def _nested(arr: np.ndarray, dt: np.dtype) -> str:
    if arr.ndim == 0:
        return _scalar_literal(arr.item(), dt)
    return "[" + ", ".join(_nested(a, dt) for a in arr) + "]"


class Emitter:
    """Collects the lines of one function body; hands out fresh SSA names."""

    def __init__(self) -> None:
        self._count = 0
        self._blocks: list[list[str]] = [[]]
        self._const_cache: list[dict] = [{}]
        # values that are strided slices, possibly transposed or reversed (see shape._rev)
        self.strided_views: set[str] = set()

    # -- names and lines
    def fresh(self, hint: str = "") -> str:
        self._count += 1
        return f"%{hint}{self._count}"

    def line(self, text: str) -> None:
        depth = len(self._blocks) + 1
        self._blocks[-1].append("  " * depth + text)

    @property
    def lines(self) -> list[str]:
        return self._blocks[0]

    # -- ops
    def op(self, name: str, operands: Sequence[str], operand_types: Sequence[str],
           result_types: Sequence[str], attrs: str | dict | None = None,
           regions: Sequence["Region"] = ()) -> list[str]:
        """Emit a generic-form op; returns the result names (one per result type)."""
        attr_text = _attrs(attrs)
        region_text = ""
        if regions:
            region_text = " (" + ", ".join(self._region_text(r) for r in regions) + ")"
        sig = f"({', '.join(operand_types)}) -> "
        sig += result_types[0] if len(result_types) == 1 and not result_types[0].startswith(
            "(") else f"({', '.join(result_types)})"
        ops = ", ".join(operands)
        if not result_types:
            self.line(f'"{name}"({ops}){region_text}{attr_text} : {sig}')
            return []
        base = self.fresh()
        if len(result_types) == 1:
            self.line(f'{base} = "{name}"({ops}){region_text}{attr_text} : {sig}')
            return [base]
        self.line(f'{base}:{len(result_types)} = "{name}"({ops}){region_text}{attr_text} : {sig}')
        return [f"{base}#{i}" for i in range(len(result_types))]

    def op1(self, name: str, operands: Sequence[str], operand_types: Sequence[str],
            result_type: str, attrs: str | dict | None = None,
            regions: Sequence["Region"] = ()) -> str:
        return self.op(name, operands, operand_types, [result_type], attrs, regions)[0]

    def constant(self, value: Any, dtype: Any, shape: Sequence[int] = ()) -> str:
        """A constant tensor (deduplicated within the visible blocks)."""
        dt = np.dtype(dtype)
        shape = tuple(int(s) for s in shape)
        arr = np.asarray(value)
        if dt == np.complex128 and shape:
            # IREE 3.13 cannot splat complex128 (see c128_math.py); a scalar stays whole
            # (split, it breaks IREE's stream lowering as a reduction's initial value)
            parts = [self.constant(np.real(arr), np.float64, shape),
                     self.constant(np.imag(arr), np.float64, shape)]
            part_t = tensor_type(shape, np.float64)
            return self.op1("stablehlo.complex", parts, [part_t, part_t], tensor_type(shape, dt))
        small = arr.size <= 1
        key = (arr.astype(dt).tobytes(), dt, shape) if small else None
        if key is not None:
            for cache in reversed(self._const_cache):
                hit = cache.get(key)
                if hit is not None:
                    return hit
        attr = dense_attr(arr, dt, shape)
        name = self.fresh("c")
        self.line(f'{name} = "stablehlo.constant"() {{value = {attr}}} : () -> '
                  f'{tensor_type(shape, dt)}')
        if key is not None:
            self._const_cache[-1][key] = name
        return name

    # -- regions
    @contextlib.contextmanager
    def _block(self) -> Iterator[list[str]]:
        self._blocks.append([])
        self._const_cache.append({})
        try:
            yield self._blocks[-1]
        finally:
            self._blocks.pop()
            self._const_cache.pop()

    def _region_text(self, region: "Region") -> str:
        with self._block() as lines:
            args = [self.fresh("a") for _ in region.arg_types]
            results = region.build(self, args)
            res_types = region.result_types
            if res_types is None:
                raise ValueError("region result types unknown")
            self.line(f'"stablehlo.return"({", ".join(results)}) : '
                      f'({", ".join(res_types)}) -> ()')
            body = list(lines)
        pad = "  " * (len(self._blocks) + 1)
        head = ", ".join(f"{a}: {t}" for a, t in zip(args, region.arg_types))
        return "{\n" + f"{pad}^bb0({head}):\n" + "\n".join(body) + f"\n{pad}}}"


class Region:
    """A single-block region: `build(emitter, block_arg_names) -> result names`, ended by
    `stablehlo.return` of those results (whose types are `result_types`)."""

    def __init__(self, arg_types: Sequence[str], result_types: Sequence[str],
                 build: Callable[[Emitter, list[str]], Sequence[str]]):
        self.arg_types = list(arg_types)
        self.result_types = list(result_types)
        self.build = build


def _attrs(attrs: str | dict | None) -> str:
    if not attrs:
        return ""
    if isinstance(attrs, str):
        return f" {{{attrs}}}"
    return " {" + ", ".join(f"{k} = {v}" for k, v in attrs.items()) + "}"
