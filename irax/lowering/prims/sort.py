"""Lowering of the sort family (irax/tracer/prims/sort.py).

The order is a lexicographic "less than" over the key operands, in NumPy's order: floats
by value with -0.0 == 0.0 and every NaN after every number (NaNs equal to each other),
complex by real part then imaginary part. Only the distinct keys and positions (an iota
along the sorted dimension, the last key: it makes the order strict, so the result is
the stable order) are sorted; every other operand is gathered by the sorted positions.

llvm-cpu: one stablehlo.sort. What IREE 3.13 needs there (same text in process and with
the iree-compile tool, whatever the flags):
- Its sort is not stable (equal keys come out swapped): hence the positions key.
- It sorts in place, one buffer per operand. When an operand's buffer must first be
  copied (it is not computed by an elementwise op IREE can fuse into the sort), the copy
  lands outside the workgroup loop and IREE rejects its own code: "write affecting
  operations on global resources are restricted to workgroup distributed contexts". It
  happens for an operand that is a slice of a function argument (jnp.sort(x[1])), and for
  two operands that are one value: the same input twice, or two iotas its CSE merges (an
  argsort's positions, the jvp's, the tie-break). So each sorted operand is made a fresh
  fused value: x + 0 on its bits, with a zero IREE cannot see through (the zeros pass one
  optimization barrier: distinct results, no folding).
- Not a fix: an optimization barrier on the sort operands themselves. It compiles, but
  IREE then sorts in place a buffer that other ops still read (wrong results elsewhere).

Other targets (Vulkan; CUDA by the same reasoning): IREE 3.13's GPU sort is unusable
(measured on lavapipe: compiler crashes for rank-1 lengths 5, 7, 9, 31, 63, 65, 255, fails
to compile (1, n) rows for n = 64, 128, 256, and sorts 1000 elements wrongly). There a
bitonic sorting network runs instead: one stablehlo.while over its log2(n)(log2(n)+1)/2
compare-exchange stages, each stage a gather of every element's partner and selects."""
from __future__ import annotations

import numpy as np

from ...tracer import dtypes
from ...tracer.core import ShapedArray
from ...tracer.prims import sort as so
from .. import hlo
from ..emitter import Region, aval_type, i64_array, tensor_type
from ..context import RuleContext
from ..rules import register_lowering

_I32 = hlo.scalar_aval(np.int32)


# ---------------------------------------------------------------------------
# The order, on tensors of any one shape (0-d in a comparator region)


def _float_less_equal(em, x, y, aval: ShapedArray):
    """(x < y, x == y) for floats in NumPy's sort order (NaN last, NaNs all equal)."""
    b = aval.update(dtype=np.bool_)
    x_nan = hlo.compare(em, "NE", x, x, aval)
    y_nan = hlo.compare(em, "NE", y, y, aval)
    less = hlo.binary(em, "or", hlo.compare(em, "LT", x, y, aval),
                      hlo.binary(em, "and", hlo.unary(em, "not", x_nan, b), y_nan, b), b)
    equal = hlo.binary(em, "or", hlo.compare(em, "EQ", x, y, aval),
                       hlo.binary(em, "and", x_nan, y_nan, b), b)
    return less, equal


def _key_less_equal(em, x, y, aval: ShapedArray) -> list[tuple[str, str]]:
    """Per key column (complex keys give two): (less, equal) predicates of x against y."""
    if dtypes.kind(aval.dtype) == "c":
        part = aval.update(dtype=np.float32 if aval.dtype == np.complex64 else np.float64)
        return [_float_less_equal(em, hlo.unary(em, op, x, aval, part),
                                  hlo.unary(em, op, y, aval, part), part)
                for op in ("real", "imag")]
    if dtypes.kind(aval.dtype) == "f":
        return [_float_less_equal(em, x, y, aval)]
    return [(hlo.compare(em, "LT", x, y, aval), hlo.compare(em, "EQ", x, y, aval))]


def _less(em, xs, ys, avals: list[ShapedArray]) -> str:
    """xs before ys, lexicographically over the key operands."""
    b = avals[0].update(dtype=np.bool_)
    cols = []
    for x, y, a in zip(xs, ys, avals):
        cols += _key_less_equal(em, x, y, a)
    less = cols[-1][0]
    for lt, eq in reversed(cols[:-1]):   # the first key decides, then the next, ...
        less = hlo.binary(em, "or", lt, hlo.binary(em, "and", eq, less, b), b)
    return less


# ---------------------------------------------------------------------------
# Shared pieces


def _to_rows(em, x, a: ShapedArray, dimension: int):
    """x with the sorted dimension last, as (rows, n); and the moved shape."""
    order = [d for d in range(a.ndim) if d != dimension] + [dimension]
    moved = [a.shape[d] for d in order]
    if order != list(range(a.ndim)):
        x = em.op1("stablehlo.transpose", [x], [aval_type(a)], aval_type(a.update(shape=moved)),
                   {"permutation": i64_array(order)})
    rows = int(np.prod(moved[:-1], dtype=np.int64))
    return hlo.reshape(em, x, a.update(shape=moved), (rows, a.shape[dimension])), moved


def _from_rows(em, x, a: ShapedArray, moved, dimension: int):
    order = [d for d in range(a.ndim) if d != dimension] + [dimension]
    rows = int(np.prod(moved[:-1], dtype=np.int64))
    x = hlo.reshape(em, x, a.update(shape=(rows, a.shape[dimension])), moved)
    if order != list(range(a.ndim)):
        x = em.op1("stablehlo.transpose", [x], [aval_type(a.update(shape=moved))], aval_type(a),
                   {"permutation": i64_array(np.argsort(order))})
    return x


def _gather_rows(em, flat, fa: ShapedArray, cols, ca: ShapedArray) -> str:
    """out[r, i] = flat[r * n + cols[r, i]] for flat of shape (rows * n,)."""
    rows, width = ca.shape
    n = fa.shape[0] // max(rows, 1)
    row = em.op1("stablehlo.iota", [], [], aval_type(ca), {"iota_dimension": "0 : i64"})
    idx = hlo.binary(em, "add", cols, hlo.binary(em, "multiply", row,
                                                 hlo.full(em, n, ca.dtype, ca.shape), ca), ca)
    dn = ("#stablehlo.gather<offset_dims = [], collapsed_slice_dims = [0], "
          "start_index_map = [0], index_vector_dim = 2>")
    return em.op1("stablehlo.gather", [flat, idx], [aval_type(fa), aval_type(ca)],
                  aval_type(fa.update(shape=ca.shape)),
                  {"dimension_numbers": dn, "slice_sizes": i64_array([1]),
                   "indices_are_sorted": "false"})


def _take_along(em, x, xa: ShapedArray, perm, pa: ShapedArray, dimension: int) -> str:
    """out[..., i, ...] = x[..., perm[..., i, ...], ...]: one flat gather."""
    # IREE 3.13 folds reduce(gather(splat constant)) to a wrong value (as in
    # prims/indexing.py); a barrier on the gathered operand keeps the fold away. (Safe
    # here: nothing sorts the barrier's result in place.)
    x = em.op1("stablehlo.optimization_barrier", [x], [aval_type(xa)], aval_type(xa))
    xr, moved = _to_rows(em, x, xa, dimension)
    pr, _ = _to_rows(em, perm, pa, dimension)
    rows, n = int(np.prod(moved[:-1], dtype=np.int64)), xa.shape[dimension]
    flat = hlo.reshape(em, xr, xa.update(shape=(rows, n)), (rows * n,))
    out = _gather_rows(em, flat, xa.update(shape=(rows * n,)), pr, pa.update(shape=(rows, n)))
    return _from_rows(em, out, xa, moved, dimension)


# ---------------------------------------------------------------------------
# llvm-cpu: stablehlo.sort


def _fresh_copies(em, xs: list[str], avals: list[ShapedArray]) -> list[str]:
    """Bit-exact copies of xs that IREE computes with a fused elementwise op: x + 0 on the
    bits, with zeros it cannot fold (see the module docstring)."""
    zero_dtypes = []
    for a in avals:
        if a.dtype == np.bool_ or dtypes.kind(a.dtype) in "iu":
            zero_dtypes.append(a.dtype)
        elif dtypes.kind(a.dtype) == "f":
            zero_dtypes.append(np.dtype(f"i{a.dtype.itemsize}"))
        else:   # complex: no integer of its width to add to; used as it is
            zero_dtypes.append(None)
    todo = [i for i, z in enumerate(zero_dtypes) if z is not None]
    if not todo:
        return list(xs)
    types = [aval_type(hlo.scalar_aval(zero_dtypes[i])) for i in todo]
    zeros = em.op("stablehlo.optimization_barrier",
                  [hlo.full(em, 0, zero_dtypes[i], ()) for i in todo], types, types)
    out = list(xs)
    for i, zero in zip(todo, zeros):
        a, zdt = avals[i], zero_dtypes[i]
        bits_aval = a.update(dtype=zdt)
        zero = hlo.broadcast_in_dim(em, zero, hlo.scalar_aval(zdt), a.shape, ())
        x = out[i]
        if dtypes.kind(a.dtype) == "f":
            x = em.op1("stablehlo.bitcast_convert", [x], [aval_type(a)], aval_type(bits_aval))
        x = hlo.binary(em, "xor" if a.dtype == np.bool_ else "add", x, zero, bits_aval)
        if dtypes.kind(a.dtype) == "f":
            x = em.op1("stablehlo.bitcast_convert", [x], [aval_type(bits_aval)], aval_type(a))
        out[i] = x
    return out


def _stablehlo_sort(em, ops, avals, dimension) -> list[str]:
    ops = _fresh_copies(em, ops, avals)
    types = [aval_type(a) for a in avals]
    scalars = [a.update(shape=()) for a in avals]

    def compare(em_, args):   # block arguments: (lhs0, rhs0, lhs1, rhs1, ...)
        return [_less(em_, args[0::2], args[1::2], scalars)]
    region = Region([aval_type(s) for s in scalars for _ in (0, 1)],
                    [tensor_type((), np.bool_)], compare)
    return em.op("stablehlo.sort", ops, types, types,
                 {"dimension": f"{int(dimension)} : i64", "is_stable": "true"},
                 regions=[region])


# ---------------------------------------------------------------------------
# Other targets: a bitonic sorting network


def _bitonic_sort(em, ops, avals, dimension) -> list[str]:
    """Sort by a bitonic network; the last operand is positions (distinct, so the order is
    strict and every compare-exchange is decided the same way from both ends)."""
    n = avals[0].shape[dimension]
    m = 1 << max(n - 1, 0).bit_length()          # rows padded to a power of two
    rows_, moved = [], None
    for x, a in zip(ops[:-1], avals[:-1]):
        xr, moved = _to_rows(em, x, a, dimension)
        rows_.append(xr)
    rows = int(np.prod(moved[:-1], dtype=np.int64))
    row_avals = [a.update(shape=(rows, m)) for a in avals]
    if m > n:   # pad with zeros; the padding sorts last by its position (>= n)
        rows_ = [em.op1("stablehlo.pad", [x, hlo.full(em, 0, a.dtype, ())],
                        [aval_type(a.update(shape=(rows, n))), aval_type(a.update(shape=()))],
                        aval_type(a), {"edge_padding_low": i64_array([0, 0]),
                                       "edge_padding_high": i64_array([0, m - n]),
                                       "interior_padding": i64_array([0, 0])})
                 for x, a in zip(rows_, row_avals)]
    pa = row_avals[-1]
    col = em.op1("stablehlo.iota", [], [], aval_type(pa), {"iota_dimension": "1 : i64"})
    rows_.append(col)                             # positions
    ia = pa.update(dtype=np.int32)
    col32 = hlo.convert(em, col, pa, np.int32)
    b = pa.update(dtype=np.bool_)
    limit = hlo.full(em, n, pa.dtype, pa.shape)
    i32 = aval_type(_I32)
    types = [i32, i32] + [aval_type(a) for a in row_avals]

    def before(em_, xs, ys):   # xs strictly before ys; the padding after everything
        x_pad = hlo.compare(em_, "GE", xs[-1], limit, pa)
        y_pad = hlo.compare(em_, "GE", ys[-1], limit, pa)
        lex = _less(em_, xs, ys, row_avals)
        return hlo.binary(em_, "and", hlo.unary(em_, "not", x_pad, b),
                          hlo.binary(em_, "or", y_pad, lex, b), b)

    def cond(em_, v):   # stages while the block size k has not passed m
        return [hlo.compare(em_, "LE", v[0], hlo.full(em_, m, np.int32, ()), _I32)]

    def body(em_, v):
        k, j, xs = v[0], v[1], v[2:]
        kb = hlo.broadcast_in_dim(em_, k, _I32, ia.shape, ())
        jb = hlo.broadcast_in_dim(em_, j, _I32, ia.shape, ())
        partner = hlo.binary(em_, "xor", col32, jb, ia)
        ps = [_gather_rows(em_, hlo.reshape(em_, x, a, (rows * m,)), a.update(shape=(rows * m,)),
                           partner, ia) for x, a in zip(xs, row_avals)]
        zero = hlo.full(em_, 0, np.int32, ia.shape)
        is_lower = hlo.compare(em_, "EQ", hlo.binary(em_, "and", col32, jb, ia), zero, ia)
        ascending = hlo.compare(em_, "EQ", hlo.binary(em_, "and", col32, kb, ia), zero, ia)
        # the lower element of an ascending pair keeps the smaller one, etc.
        keep_smaller = hlo.compare(em_, "EQ", is_lower, ascending, b)
        take = hlo.select(em_, keep_smaller, before(em_, ps, xs), before(em_, xs, ps), b)
        new = [hlo.select(em_, take, p, x, a) for p, x, a in zip(ps, xs, row_avals)]
        one = hlo.full(em_, 1, np.int32, ())
        last = hlo.compare(em_, "EQ", j, one, _I32)
        next_k = hlo.select(em_, last, hlo.binary(em_, "multiply", k, hlo.full(
            em_, 2, np.int32, ()), _I32), k, _I32)
        next_j = hlo.select(em_, last, k, hlo.binary(em_, "shift_right_logical", j, one, _I32),
                            _I32)
        return [next_k, next_j, *new]
    init = [hlo.full(em, 2, np.int32, ()), hlo.full(em, 1, np.int32, ()), *rows_]
    outs = em.op("stablehlo.while", init, types, types,
                 regions=[Region(types, [tensor_type((), np.bool_)], cond),
                          Region(types, types, body)])[2:]
    results = []
    for x, a, ra in zip(outs, avals, row_avals):
        if m > n:
            x = em.op1("stablehlo.slice", [x], [aval_type(ra)],
                       aval_type(ra.update(shape=(rows, n))),
                       {"start_indices": i64_array([0, 0]), "limit_indices": i64_array([rows, n]),
                        "strides": i64_array([1, 1])})
        results.append(_from_rows(em, x, a, moved, dimension))
    return results


# ---------------------------------------------------------------------------
# The rule


def _sort(ctx: RuleContext, *operands: str, dimension: int, is_stable: bool, num_keys: int,
          network: bool = False) -> list[str]:
    em = ctx.em
    avals = list(ctx.avals_in)
    if avals[0].size == 0:
        return list(operands)
    # distinct keys only: a key given twice adds nothing to the order
    key_slot: dict[str, int] = {}
    for i in range(num_keys):
        key_slot.setdefault(operands[i], len(key_slot))
    ops = list(key_slot)
    op_avals = [avals[operands.index(k)] for k in ops]
    values = range(num_keys, len(operands))
    if is_stable or len(values) > 0 or network:
        n = avals[0].shape[dimension]
        pos_aval = ShapedArray(avals[0].shape, np.dtype(np.int32 if n < 2 ** 31 else np.int64))
        ops.append(em.op1("stablehlo.iota", [], [], aval_type(pos_aval),
                          {"iota_dimension": f"{int(dimension)} : i64"}))
        op_avals.append(pos_aval)
    if avals[0].shape[dimension] <= 1:   # nothing to reorder (and IREE's Vulkan runtime
        outs = ops                       # fails a loop of no iterations here)
    else:
        outs = (_bitonic_sort if network else _stablehlo_sort)(em, ops, op_avals, dimension)
    results = [outs[key_slot[operands[i]]] for i in range(num_keys)]
    for i in values:
        results.append(_take_along(em, operands[i], avals[i], outs[-1], op_avals[-1],
                                   dimension))
    return results


def _sort_network(ctx: RuleContext, *operands: str, **params) -> list[str]:
    return _sort(ctx, *operands, network=True, **params)


# ---------------------------------------------------------------------------
# Registration

register_lowering(so.sort_p, _sort)
register_lowering(so.sort_p, _sort_network, target="vulkan")
register_lowering(so.sort_p, _sort_network, target="cuda")
