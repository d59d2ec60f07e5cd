"""Lowering of the reductions (irax/tracer/prims/reduce.py)."""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from ...tracer import dtypes
from ...tracer.core import ShapedArray
from ...tracer.prims import reduce as rd
from .. import hlo
from ..emitter import Emitter, aval_type, i64_array
from ..context import RuleContext
from ..rules import LoweringRule, register_lowering


# IREE 3.13's Vulkan (SPIR-V) code generation reduces at most 65535 elements along a
# reduced extent: larger reductions silently drop the rest (measured on lavapipe: the sum
# of 2**18 ones is 65535). On Vulkan, reductions over more elements are split in stages of
# at most _VULKAN_BLOCK elements each.
_VULKAN_MAX_EXTENT = 65535
_VULKAN_BLOCK = 32768


def reduce_split(ctx: RuleContext, operands: Sequence[str], avals: Sequence[ShapedArray],
                 inits: Sequence[str], pads: Sequence[Any], axes: Sequence[int],
                 body: Callable[[Emitter, list[str], list[str]], Sequence[str]]) -> list[str]:
    """hlo.reduce over `axes`, staged on targets that need it (see above). `pads` are the
    values that fill the padding of a staged reduction (identities for the body)."""
    em = ctx.em
    a0 = avals[0]
    if len(axes) >= 2:
        # IREE 3.13 llvm-cpu fails to compile some multi-axis reductions of an elementwise
        # product with a broadcast (sum(a * b) with a (2,2), b (2,), or sum over axes (1,2)
        # of a (2,3,4) * (4,): "'vector.contract' op invalid accumulator/result vector
        # shape"). Reducing one flattened axis works: move the reduced axes last, flatten.
        kept = [i for i in range(a0.ndim) if i not in axes]
        perm = kept + sorted(axes)
        extent = int(np.prod([a0.shape[i] for i in axes], dtype=np.int64))
        new_ops, new_avals = [], []
        for x, a in zip(operands, avals):
            if perm != list(range(a.ndim)):
                t = a.update(shape=[a.shape[i] for i in perm])
                x = em.op1("stablehlo.transpose", [x], [aval_type(a)], aval_type(t),
                           {"permutation": i64_array(perm)})
                a = t
            shape = [a.shape[i] for i in range(len(kept))] + [extent]
            new_ops.append(hlo.reshape(em, x, a, shape))
            new_avals.append(a.update(shape=shape))
        operands, avals = new_ops, new_avals
        a0, axes = avals[0], [len(kept)]
    extent = int(np.prod([a0.shape[i] for i in axes], dtype=np.int64))
    if ctx.target != "vulkan" or extent <= _VULKAN_MAX_EXTENT:   # staged on Vulkan only
        return hlo.reduce(em, operands, avals, inits, axes, body)
    kept = [i for i in range(a0.ndim) if i not in axes]
    kept_shape = [a0.shape[i] for i in kept]
    k = _VULKAN_BLOCK
    nblocks = -(-extent // k)
    flat = []
    for x, a, pv in zip(operands, avals, pads):
        perm = kept + list(axes)
        if perm != list(range(a.ndim)):
            t = a.update(shape=[a.shape[i] for i in perm])
            x = em.op1("stablehlo.transpose", [x], [aval_type(a)], aval_type(t),
                       {"permutation": i64_array(perm)})
            a = t
        x = hlo.reshape(em, x, a, kept_shape + [extent])
        a = a.update(shape=kept_shape + [extent])
        if nblocks * k != extent:
            padded = a.update(shape=kept_shape + [nblocks * k])
            x = em.op1("stablehlo.pad", [x, hlo.full(em, pv, a.dtype, ())],
                       [aval_type(a), aval_type(hlo.scalar_aval(a.dtype))], aval_type(padded),
                       {"edge_padding_low": i64_array([0] * a.ndim),
                        "edge_padding_high": i64_array([0] * len(kept) + [nblocks * k - extent]),
                        "interior_padding": i64_array([0] * a.ndim)})
            a = padded
        x = hlo.reshape(em, x, a, kept_shape + [nblocks, k])
        flat.append((x, a.update(shape=kept_shape + [nblocks, k])))
    xs, as_ = [f[0] for f in flat], [f[1] for f in flat]
    stage1 = hlo.reduce(em, xs, as_, inits, [len(kept) + 1], body)
    avals1 = [a.update(shape=kept_shape + [nblocks]) for a in as_]
    return reduce_split(ctx, stage1, avals1, inits, pads, [len(kept)], body)


def _monoid(op: str, bool_op: str, init: Callable[[np.dtype], Any]) -> LoweringRule:
    """A reduction whose body is one binary op; `init(dtype)` is its identity."""
    def rule(ctx: RuleContext, x: str, *, axes: Sequence[int]) -> str:
        em, a = ctx.em, ctx.avals_in[0]
        name = bool_op if a.dtype == np.bool_ else op
        s = hlo.scalar_aval(a.dtype)
        init_v = hlo.full(em, init(a.dtype), a.dtype, ())
        return reduce_split(ctx, [x], [a], [init_v], [init(a.dtype)], axes,
                            lambda em_, accs, xs: [hlo.binary(em_, name, accs[0], xs[0], s)])[0]
    return rule


def _argminmax(direction: str) -> LoweringRule:
    """Variadic reduce over (value, index); ties and NaNs resolve as NumPy: the first index
    attaining the extremum, and NaN counts as the extremum."""
    def rule(ctx: RuleContext, x: str, *, axis: int, index_dtype: Any) -> str:
        em, a = ctx.em, ctx.avals_in[0]
        if a.shape[axis] == 1:
            # one candidate: index 0. (IREE 3.13 miscompiles this variadic reduce over one
            # element when its index also feeds other results: argmax(x) then returned the
            # bits of 1 / argmax(x), found by tests/fuzz/test_fuzz_vs_jax.py)
            return hlo.full(em, 0, index_dtype, ctx.avals_out[0].shape)
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
        is_float = dtypes.kind(a.dtype) == "f"

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
        # padding (when staged) loses every tie: the extremum's opposite at the last index
        pads = [start, np.iinfo(idt).max]
        return reduce_split(ctx, [x, idx], [a, idx_aval], [init_v, init_i], pads, [axis],
                            body)[1]
    return rule


def _cumsum(ctx: RuleContext, x: str, *, axis: int, reverse: bool = False) -> str:
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

register_lowering(rd.reduce_sum_p, _monoid("add", "or", lambda dt: 0))
register_lowering(rd.reduce_max_p, _monoid("maximum", "or", hlo.min_value))
register_lowering(rd.reduce_min_p, _monoid("minimum", "and", hlo.max_value))
register_lowering(rd.reduce_prod_p, _monoid("multiply", "and", lambda dt: 1))
register_lowering(rd.reduce_and_p, _monoid("and", "and", lambda dt: True))
register_lowering(rd.reduce_or_p, _monoid("or", "or", lambda dt: False))
register_lowering(rd.argmax_p, _argminmax("GT"))
register_lowering(rd.argmin_p, _argminmax("LT"))
register_lowering(rd.cumsum_p, _cumsum)
