"""Small builders for StableHLO ops shared by the lowering rules (typed by avals)."""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from ..tracer import dtypes
from ..tracer.core import ShapedArray
from .emitter import Emitter, Region, aval_type, i64_array, tensor_type


def unary(em: Emitter, op: str, x: str, aval: ShapedArray, out: ShapedArray | None = None) -> str:
    return em.op1(f"stablehlo.{op}" if "." not in op else op, [x], [aval_type(aval)],
                  aval_type(out or aval))


def binary(em: Emitter, op: str, x: str, y: str, aval: ShapedArray,
           out: ShapedArray | None = None) -> str:
    t = aval_type(aval)
    return em.op1(f"stablehlo.{op}" if "." not in op else op, [x, y], [t, t],
                  aval_type(out or aval))


def compare(em: Emitter, direction: str, x: str, y: str, aval: ShapedArray) -> str:
    t = aval_type(aval)
    kind = dtypes.kind(aval.dtype)
    ctype = {"f": "FLOAT", "c": "FLOAT", "i": "SIGNED", "u": "UNSIGNED", "b": "UNSIGNED"}[kind]
    out = tensor_type(aval.shape, np.bool_)
    return em.op1("stablehlo.compare", [x, y], [t, t], out,
                  {"comparison_direction": f"#stablehlo<comparison_direction {direction}>",
                   "compare_type": f"#stablehlo<comparison_type {ctype}>"})


def select(em: Emitter, pred: str, a: str, b: str, aval: ShapedArray) -> str:
    t = aval_type(aval)
    return em.op1("stablehlo.select", [pred, a, b],
                  [tensor_type(aval.shape, np.bool_), t, t], t)


def convert(em: Emitter, x: str, aval: ShapedArray, dtype: Any) -> str:
    dtype = np.dtype(dtype)
    if aval.dtype == dtype:
        return x
    return em.op1("stablehlo.convert", [x], [aval_type(aval)], tensor_type(aval.shape, dtype))


def full(em: Emitter, value: Any, dtype: Any, shape: Sequence[int]) -> str:
    """A constant splat (written as a splat dense attribute: no broadcast needed)."""
    return em.constant(np.asarray(value, dtype=np.dtype(dtype)), dtype, shape)


def broadcast_in_dim(em: Emitter, x: str, aval: ShapedArray, shape: Sequence[int],
                     dims: Sequence[int]) -> str:
    if tuple(aval.shape) == tuple(shape) and tuple(dims) == tuple(range(len(shape))):
        return x
    if aval.dtype == np.complex128:   # IREE 3.13 cannot splat complex128 (c128_math.py)
        part = aval.update(dtype=np.float64)
        re, im = (broadcast_in_dim(em, unary(em, op, x, aval, part), part, shape, dims)
                  for op in ("real", "imag"))
        out = part.update(shape=tuple(shape))
        return binary(em, "complex", re, im, out, out.update(dtype=np.complex128))
    return em.op1("stablehlo.broadcast_in_dim", [x], [aval_type(aval)],
                  tensor_type(shape, aval.dtype),
                  {"broadcast_dimensions": i64_array(dims)})


def reshape(em: Emitter, x: str, aval: ShapedArray, shape: Sequence[int]) -> str:
    if tuple(aval.shape) == tuple(shape):
        return x
    return em.op1("stablehlo.reshape", [x], [aval_type(aval)], tensor_type(shape, aval.dtype))


def scalar_aval(dtype: Any) -> ShapedArray:
    return ShapedArray((), np.dtype(dtype))


def reduce(em: Emitter, operands: Sequence[str], operand_avals: Sequence[ShapedArray],
           inits: Sequence[str], dims: Sequence[int],
           body: Callable[[Emitter, list[str], list[str]], Sequence[str]]) -> list[str]:
    """stablehlo.reduce over `dims`; body(em, accs, xs) -> new accs (all 0-d)."""
    n = len(operands)
    scalar_types = [tensor_type((), a.dtype) for a in operand_avals]
    out_types = [tensor_type([s for i, s in enumerate(a.shape) if i not in dims], a.dtype)
                 for a in operand_avals]

    def build(em_: Emitter, args: list[str]) -> Sequence[str]:
        return body(em_, args[:n], args[n:])
    region = Region(scalar_types * 2, scalar_types, build)
    return em.op("stablehlo.reduce", [*operands, *inits],
                 [aval_type(a) for a in operand_avals] + scalar_types, out_types,
                 {"dimensions": i64_array(dims)}, regions=[region])


def min_value(dtype: Any) -> Any:
    dt = np.dtype(dtype)
    if dt == np.bool_:
        return False
    if dtypes.kind(dt) == "f":
        return -np.inf
    return np.iinfo(dt).min


def max_value(dtype: Any) -> Any:
    dt = np.dtype(dtype)
    if dt == np.bool_:
        return True
    if dtypes.kind(dt) == "f":
        return np.inf
    return np.iinfo(dt).max
