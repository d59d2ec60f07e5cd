"""Lowering of the reductions (irax/tracer/prims/reduce.py)."""
from __future__ import annotations

import numpy as np

from ...tracer.core import ShapedArray
from ...tracer.prims import reduce as rd
from .. import hlo
from ..emitter import aval_type, i64_array
from ..lower import lowering_rules


def _monoid(op: str, bool_op: str, init):
    """A reduction whose body is one binary op; `init(dtype)` is its identity."""
    def rule(ctx, x, *, axes):
        em, a = ctx.em, ctx.avals_in[0]
        name = bool_op if a.dtype == np.bool_ else op
        s = hlo.scalar_aval(a.dtype)
        init_v = hlo.full(em, init(a.dtype), a.dtype, ())
        return hlo.reduce(em, [x], [a], [init_v], axes,
                          lambda em_, accs, xs: [hlo.binary(em_, name, accs[0], xs[0], s)])[0]
    return rule


def _argminmax(direction: str):
    """Variadic reduce over (value, index); ties and NaNs resolve as NumPy: the first index
    attaining the extremum, and NaN counts as the extremum."""
    def rule(ctx, x, *, axis, index_dtype):
        em, a = ctx.em, ctx.avals_in[0]
        if a.dtype == np.bool_:
            x = hlo.convert(em, x, a, np.int32)
            a = a.update(dtype=np.int32)
        idt = np.dtype(index_dtype)
        idx_aval = ShapedArray(a.shape, idt)
        idx = em.op1("stablehlo.iota", [], [], aval_type(idx_aval),
                     {"iota_dimension": f"{int(axis)} : i64"})
        start = hlo.min_value(a.dtype) if direction == "GT" else hlo.max_value(a.dtype)
        init_v = hlo.full(em, start, a.dtype, ())
        init_i = hlo.full(em, 0, idt, ())
        vs, is_ = hlo.scalar_aval(a.dtype), hlo.scalar_aval(idt)
        bs = hlo.scalar_aval(np.bool_)
        is_float = a.dtype.kind == "f"

        def body(em_, accs, xs):
            (av, ai), (bv, bi) = accs, xs
            better = hlo.compare(em_, direction, av, bv, vs)
            tie = hlo.compare(em_, "EQ", av, bv, vs)
            if is_float:
                a_nan = hlo.compare(em_, "NE", av, av, vs)
                b_nan = hlo.compare(em_, "NE", bv, bv, vs)
                not_b_nan = hlo.unary(em_, "not", b_nan, bs)
                better = hlo.binary(em_, "or", hlo.binary(em_, "and", better, not_b_nan, bs),
                                    hlo.binary(em_, "and", a_nan, not_b_nan, bs), bs)
                tie = hlo.binary(em_, "or", tie, hlo.binary(em_, "and", a_nan, b_nan, bs), bs)
            lower = hlo.compare(em_, "LT", ai, bi, is_)
            pick_a = hlo.binary(em_, "or", better, hlo.binary(em_, "and", tie, lower, bs), bs)
            return [hlo.select(em_, pick_a, av, bv, vs), hlo.select(em_, pick_a, ai, bi, is_)]
        return hlo.reduce(em, [x, idx], [a, idx_aval], [init_v, init_i], [axis], body)[1]
    return rule


def _cumsum(ctx, x, *, axis, reverse=False):
    """Inclusive prefix sum by log2(n) shifted adds (Hillis-Steele): O(n log n) work, no
    quadratic reduce_window."""
    em, a = ctx.em, ctx.avals_in[0]
    n = a.shape[axis]
    zero = hlo.full(em, 0, a.dtype, ())
    k = 1
    while k < n:
        lo = [0] * a.ndim
        hi = list(a.shape)
        pad_lo = [0] * a.ndim
        pad_hi = [0] * a.ndim
        if reverse:
            lo[axis] = k
            pad_hi[axis] = k
        else:
            hi[axis] = n - k
            pad_lo[axis] = k
        part_aval = a.update(shape=[h - l for l, h in zip(lo, hi)])
        part = em.op1("stablehlo.slice", [x], [aval_type(a)], aval_type(part_aval),
                      {"start_indices": i64_array(lo), "limit_indices": i64_array(hi),
                       "strides": i64_array([1] * a.ndim)})
        shifted = em.op1("stablehlo.pad", [part, zero],
                         [aval_type(part_aval), aval_type(hlo.scalar_aval(a.dtype))],
                         aval_type(a), {"edge_padding_low": i64_array(pad_lo),
                                        "edge_padding_high": i64_array(pad_hi),
                                        "interior_padding": i64_array([0] * a.ndim)})
        x = hlo.binary(em, "add", x, shifted, a)
        k *= 2
    return x


# ---------------------------------------------------------------------------
# Registration

lowering_rules[rd.reduce_sum_p] = _monoid("add", "or", lambda dt: 0)
lowering_rules[rd.reduce_max_p] = _monoid("maximum", "or", hlo.min_value)
lowering_rules[rd.reduce_min_p] = _monoid("minimum", "and", hlo.max_value)
lowering_rules[rd.reduce_prod_p] = _monoid("multiply", "and", lambda dt: 1)
lowering_rules[rd.reduce_and_p] = _monoid("and", "and", lambda dt: True)
lowering_rules[rd.reduce_or_p] = _monoid("or", "or", lambda dt: False)
lowering_rules[rd.argmax_p] = _argminmax("GT")
lowering_rules[rd.argmin_p] = _argminmax("LT")
lowering_rules[rd.cumsum_p] = _cumsum
