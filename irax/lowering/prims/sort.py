"""Lowering of the sort family (irax/tracer/prims/sort.py) to stablehlo.sort.

The comparator region is a lexicographic "less than" over the key operands, in NumPy's
order: floats by value with -0.0 == 0.0 and every NaN after every number (NaNs equal to
each other), complex by real part then imaginary part.

What IREE 3.13 needs (measured on llvm-cpu and Vulkan/lavapipe):
- Its sort is not stable (equal keys come out swapped), so a stable sort carries one more
  operand, positions (an iota) along the sorted dimension, as the last key: then no two
  elements compare equal and the result is the stable order.
- It sorts in place, one buffer per operand, and fails to compile a sort two of whose
  operands are one value ("write affecting operations on global resources are restricted
  to workgroup distributed contexts", with any flags): the same input twice, or two iotas
  that its CSE merges (an argsort's positions, the jvp's, the tie-break). So only the
  distinct keys and the positions are sorted; the other operands are gathered by the
  sorted positions (the permutation), and the positions are made unmergeable by adding
  a zero hidden behind an optimization barrier.
- Not a fix: an optimization barrier over the sort operands. It compiles, but IREE then
  sorts in place a buffer that other ops still read (wrong results elsewhere)."""
from __future__ import annotations

import numpy as np

from ...tracer.core import ShapedArray
from ...tracer.prims import sort as so
from .. import hlo
from ..emitter import Region, aval_type, i64_array, tensor_type
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


def _positions(em, aval: ShapedArray, dimension: int) -> tuple[str, ShapedArray]:
    """An iota along `dimension` that IREE cannot merge with any other iota."""
    idt = np.dtype(np.int32 if aval.shape[dimension] < 2 ** 31 else np.int64)
    pos_aval = ShapedArray(aval.shape, idt)
    pos = em.op1("stablehlo.iota", [], [], aval_type(pos_aval),
                 {"iota_dimension": f"{int(dimension)} : i64"})
    scalar = aval_type(hlo.scalar_aval(idt))
    zero = em.op1("stablehlo.optimization_barrier", [hlo.full(em, 0, idt, ())], [scalar],
                  scalar)
    zero = hlo.broadcast_in_dim(em, zero, hlo.scalar_aval(idt), aval.shape, ())
    return hlo.binary(em, "add", pos, zero, pos_aval), pos_aval


def _take_along(em, x, xa: ShapedArray, perm, pa: ShapedArray, dimension: int) -> str:
    """out[..., i, ...] = x[..., perm[..., i, ...], ...]: one flat gather."""
    nd, n = xa.ndim, xa.shape[dimension]
    order = [d for d in range(nd) if d != dimension] + [dimension]
    moved = [xa.shape[d] for d in order]
    rows = int(np.prod(moved[:-1], dtype=np.int64))

    def to_rows(v, a):
        if order != list(range(nd)):
            t = a.update(shape=moved)
            v = em.op1("stablehlo.transpose", [v], [aval_type(a)], aval_type(t),
                       {"permutation": i64_array(order)})
            a = t
        return v, a
    # IREE 3.13 folds reduce(gather(splat constant)) to a wrong value (as in
    # prims/indexing.py); a barrier on the gathered operand keeps the fold away. (Safe
    # here: nothing sorts the barrier's result in place.)
    x = em.op1("stablehlo.optimization_barrier", [x], [aval_type(xa)], aval_type(xa))
    xt, xta = to_rows(x, xa)
    pt, pta = to_rows(perm, pa)
    flat_x = hlo.reshape(em, xt, xta, (rows * n,))
    idx_aval = pa.update(shape=(rows, n))
    idx = hlo.reshape(em, pt, pta, idx_aval.shape)
    row = em.op1("stablehlo.iota", [], [], aval_type(idx_aval), {"iota_dimension": "0 : i64"})
    idx = hlo.binary(em, "add", idx, hlo.binary(em, "multiply", row, hlo.full(
        em, n, pa.dtype, idx_aval.shape), idx_aval), idx_aval)
    out_aval = xa.update(shape=(rows, n))
    dn = ("#stablehlo.gather<offset_dims = [], collapsed_slice_dims = [0], "
          "start_index_map = [0], index_vector_dim = 2>")
    out = em.op1("stablehlo.gather", [flat_x, idx],
                 [aval_type(xa.update(shape=(rows * n,))), aval_type(idx_aval)],
                 aval_type(out_aval), {"dimension_numbers": dn, "slice_sizes": i64_array([1]),
                                       "indices_are_sorted": "false"})
    out = hlo.reshape(em, out, out_aval, moved)
    if order != list(range(nd)):
        out = em.op1("stablehlo.transpose", [out], [aval_type(xa.update(shape=moved))],
                     aval_type(xa), {"permutation": i64_array(np.argsort(order))})
    return out


def _sort(ctx, *operands, dimension, is_stable, num_keys):
    em = ctx.em
    avals = list(ctx.avals_in)
    # distinct keys only: a key given twice adds nothing to the order
    key_slot: dict[str, int] = {}
    for i in range(num_keys):
        key_slot.setdefault(operands[i], len(key_slot))
    keys = list(key_slot)
    key_avals = [avals[operands.index(k)] for k in keys]
    values = range(num_keys, len(operands))
    sorted_ops, sorted_avals = list(keys), list(key_avals)
    with_positions = is_stable or len(values) > 0
    if with_positions:
        pos, pos_aval = _positions(em, avals[0], dimension)
        sorted_ops.append(pos)
        sorted_avals.append(pos_aval)
    types = [aval_type(a) for a in sorted_avals]
    outs = em.op("stablehlo.sort", sorted_ops, types, types,
                 {"dimension": f"{int(dimension)} : i64", "is_stable": "true"},
                 regions=[_comparator(sorted_avals, len(sorted_ops))])
    results = [outs[key_slot[operands[i]]] for i in range(num_keys)]
    for i in values:
        results.append(_take_along(em, operands[i], avals[i], outs[-1], sorted_avals[-1],
                                   dimension))
    return results


# ---------------------------------------------------------------------------
# Registration

lowering_rules[so.sort_p] = _sort
