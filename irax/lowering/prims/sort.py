"""Lowering of the sort family (irax/tracer/prims/sort.py) to stablehlo.sort.

The comparator region is a lexicographic "less than" over the key operands, in NumPy's
order: floats by value with -0.0 == 0.0 and every NaN after every number (NaNs equal to
each other), complex by real part then imaginary part.

Stability: IREE 3.13 does not honour `is_stable` (its sort may swap equal keys), so a
stable sort carries one more operand, an iota along the sorted dimension, as the last
key: then no two elements compare equal, and any correct sort yields the stable order."""
from __future__ import annotations

import numpy as np

from ...tracer.core import ShapedArray
from ...tracer.prims import sort as so
from .. import hlo
from ..emitter import Region, aval_type, tensor_type
from ..lower import lowering_rules

_BOOL = hlo.scalar_aval(np.bool_)


def _float_less_equal(em, x, y, aval: ShapedArray):
    """(x < y, x == y) for 0-d floats in NumPy's sort order (NaN last, NaNs all equal)."""
    x_nan = hlo.compare(em, "NE", x, x, aval)
    y_nan = hlo.compare(em, "NE", y, y, aval)
    less = hlo.binary(em, "or", hlo.compare(em, "LT", x, y, aval),
                      hlo.binary(em, "and", hlo.unary(em, "not", x_nan, _BOOL), y_nan, _BOOL),
                      _BOOL)
    equal = hlo.binary(em, "or", hlo.compare(em, "EQ", x, y, aval),
                       hlo.binary(em, "and", x_nan, y_nan, _BOOL), _BOOL)
    return less, equal


def _key_less_equal(em, x, y, dtype: np.dtype) -> list[tuple[str, str]]:
    """Per key column (complex keys give two): (less, equal) predicates of x against y."""
    aval = hlo.scalar_aval(dtype)
    if dtype.kind == "c":
        part = hlo.scalar_aval(np.float32 if dtype == np.complex64 else np.float64)
        cols = []
        for op in ("real", "imag"):
            xp = hlo.unary(em, op, x, aval, part)
            yp = hlo.unary(em, op, y, aval, part)
            cols.append(_float_less_equal(em, xp, yp, part))
        return cols
    if dtype.kind == "f":
        return [_float_less_equal(em, x, y, aval)]
    return [(hlo.compare(em, "LT", x, y, aval), hlo.compare(em, "EQ", x, y, aval))]


def _comparator(avals: list[ShapedArray], nkeys: int) -> Region:
    scalar_types = [tensor_type((), a.dtype) for a in avals]
    arg_types = [t for t in scalar_types for _ in (0, 1)]   # (lhs0, rhs0, lhs1, rhs1, ...)

    def build(em, args):
        cols = []
        for k in range(nkeys):
            cols += _key_less_equal(em, args[2 * k], args[2 * k + 1], avals[k].dtype)
        less = cols[-1][0]
        for lt, eq in reversed(cols[:-1]):   # lexicographic: the first key decides
            less = hlo.binary(em, "or", lt, hlo.binary(em, "and", eq, less, _BOOL), _BOOL)
        return [less]
    return Region(arg_types, [tensor_type((), np.bool_)], build)


def _sort(ctx, *operands, dimension, is_stable, num_keys):
    em = ctx.em
    avals = list(ctx.avals_in)
    operands = list(operands)
    keys = list(range(num_keys))
    if is_stable:
        n = avals[0].shape[dimension]
        idt = np.int32 if n < 2 ** 31 else np.int64
        pos_aval = ShapedArray(avals[0].shape, np.dtype(idt))
        pos = em.op1("stablehlo.iota", [], [], aval_type(pos_aval),
                     {"iota_dimension": f"{int(dimension)} : i64"})
        # the tie-break must be compared right after the real keys: move it there
        operands.insert(num_keys, pos)
        avals.insert(num_keys, pos_aval)
        keys.append(num_keys)
    types = [aval_type(a) for a in avals]
    if len(operands) > 1:
        # IREE 3.13 sorts in place, one buffer per operand. Two operands that are one value
        # (the same input twice, or two iotas that IREE's CSE merges: the tie-break and an
        # argsort's or jvp's positions) then need a copy, which IREE places outside the
        # workgroup loop and rejects ("write affecting operations on global resources are
        # restricted to workgroup distributed contexts", on llvm-cpu and Vulkan alike, with
        # any flags). A barrier gives each operand a value of its own.
        operands = em.op("stablehlo.optimization_barrier", operands, types, types)
    outs = em.op("stablehlo.sort", operands, types, types,
                 {"dimension": f"{int(dimension)} : i64", "is_stable": "true"},
                 regions=[_comparator(avals, len(keys))])
    if is_stable:
        del outs[num_keys]
    return outs


# ---------------------------------------------------------------------------
# Registration

lowering_rules[so.sort_p] = _sort
