"""Dynamic slicing: dynamic_slice and dynamic_update_slice (start indices are traced
scalars, clamped so the window stays inside the operand, as in XLA).

Layering: above shape and indexing (per-example start indices batch into gathers).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .. import core, dtypes
from ..ad_util import Zero, instantiate
from ..batching import batch_rules, bdim_to_front
from ..core import Primitive, ShapedArray, get_aval
from ..jvp import jvp_rules
from ..rules import BDim, Tangent, Value
from ..transpose import is_undefined, transpose_rules
from .indexing import dynamic_slice_batched_indices, dynamic_update_slice_batched_indices
from .shape import full

dynamic_slice_p = Primitive("dynamic_slice")
dynamic_update_slice_p = Primitive("dynamic_update_slice")

# ---------------------------------------------------------------------------
# Abstract evaluation and impl


def _dynamic_slice_abstract(x: ShapedArray, *idx: ShapedArray, slice_sizes: tuple[int, ...]
                            ) -> ShapedArray:
    if len(idx) != x.ndim:
        raise TypeError(f"dynamic_slice needs {x.ndim} start indices, got {len(idx)}")
    for i in idx:
        if i.shape != () or dtypes.kind(i.dtype) not in "iu":
            raise TypeError("dynamic_slice start indices must be integer scalars")
    if any(s > n for s, n in zip(slice_sizes, x.shape)):
        raise TypeError(f"dynamic_slice sizes {slice_sizes} larger than shape {x.shape}")
    return ShapedArray(tuple(slice_sizes), x.dtype, x.weak_type)


def _dynamic_update_slice_abstract(x: ShapedArray, upd: ShapedArray, *idx: ShapedArray
                                   ) -> ShapedArray:
    if upd.ndim != x.ndim or any(u > n for u, n in zip(upd.shape, x.shape)):
        raise TypeError(f"dynamic_update_slice: update shape {upd.shape} does not fit "
                        f"operand shape {x.shape}")
    if upd.dtype != x.dtype:
        raise TypeError("dynamic_update_slice: update dtype must match the operand's")
    return ShapedArray(x.shape, x.dtype, x.weak_type)


def _clamp_starts(x_shape: Sequence[int], sizes: Sequence[int], idx: Sequence[np.ndarray]
                  ) -> list[int]:
    return [int(min(max(int(i), 0), n - s)) for i, n, s in zip(idx, x_shape, sizes)]


def _dynamic_slice_impl(x: np.ndarray, *idx: np.ndarray, slice_sizes: tuple[int, ...]
                        ) -> np.ndarray:
    starts = _clamp_starts(x.shape, slice_sizes, idx)
    return x[tuple(slice(s, s + n) for s, n in zip(starts, slice_sizes))].copy()


def _dynamic_update_slice_impl(x: np.ndarray, upd: np.ndarray, *idx: np.ndarray) -> np.ndarray:
    starts = _clamp_starts(x.shape, upd.shape, idx)
    out = x.copy()
    out[tuple(slice(s, s + n) for s, n in zip(starts, upd.shape))] = upd
    return out


# ---------------------------------------------------------------------------
# Transformation rules


def _dynamic_slice_jvp(primals: Sequence[Value], tangents: Sequence[Tangent], *,
                       slice_sizes: tuple[int, ...]) -> tuple[Value, Tangent]:
    x, *idx = primals
    out = dynamic_slice_p.bind(x, *idx, slice_sizes=slice_sizes)
    if isinstance(tangents[0], Zero):
        return out, Zero(get_aval(out))
    return out, dynamic_slice_p.bind(tangents[0], *idx, slice_sizes=slice_sizes)


def _dynamic_slice_transpose(ct: Tangent, x: Value, *idx: Value, slice_sizes: tuple[int, ...]
                             ) -> list[Tangent | None]:
    zeros = full(x.aval.shape, 0, x.aval.dtype)
    return [dynamic_update_slice_p.bind(zeros, ct, *idx)] + [None] * len(idx)


def _dynamic_update_slice_jvp(primals: Sequence[Value], tangents: Sequence[Tangent]
                              ) -> tuple[Value, Tangent]:
    x, upd, *idx = primals
    tx, tu, *_ = tangents
    out = dynamic_update_slice_p.bind(x, upd, *idx)
    if isinstance(tx, Zero) and isinstance(tu, Zero):
        return out, Zero(get_aval(out))
    return out, dynamic_update_slice_p.bind(instantiate(tx), instantiate(tu), *idx)


def _dynamic_update_slice_transpose(ct: Tangent, x: Value, upd: Value, *idx: Value
                                    ) -> list[Tangent | None]:
    upd_aval = upd.aval if is_undefined(upd) else get_aval(upd)
    ct_x = None
    if is_undefined(x):
        ct_x = dynamic_update_slice_p.bind(ct, full(upd_aval.shape, 0, upd_aval.dtype), *idx)
    ct_u = dynamic_slice_p.bind(ct, *idx, slice_sizes=upd_aval.shape) if is_undefined(upd) else None
    return [ct_x, ct_u] + [None] * len(idx)


def _dynamic_slice_batch(axis_size: int, vals: Sequence[Value], dims: Sequence[BDim], *,
                         slice_sizes: tuple[int, ...]) -> tuple[Value, BDim]:
    x, *idx = vals
    dx, *didx = dims
    if any(d is not None for d in didx):
        return dynamic_slice_batched_indices(axis_size, x, dx, idx, didx, slice_sizes), 0
    zero = full((), 0, get_aval(idx[0]).dtype) if idx else None
    return dynamic_slice_p.bind(x, zero, *idx, slice_sizes=(axis_size, *slice_sizes)), 0


def _dynamic_update_slice_batch(axis_size: int, vals: Sequence[Value], dims: Sequence[BDim]
                                ) -> tuple[Value, BDim]:
    x, upd, *idx = vals
    dx, du, *didx = dims
    if any(d is not None for d in didx):
        return dynamic_update_slice_batched_indices(axis_size, x, dx, upd, du, idx, didx), 0
    x = bdim_to_front(x, dx, axis_size)
    upd = bdim_to_front(upd, du, axis_size)
    zero = full((), 0, get_aval(idx[0]).dtype) if idx else None
    return dynamic_update_slice_p.bind(x, upd, zero, *idx), 0


# ---------------------------------------------------------------------------
# Registration

core.abstract_eval_rules[dynamic_slice_p] = _dynamic_slice_abstract
core.impl_rules[dynamic_slice_p] = _dynamic_slice_impl
jvp_rules[dynamic_slice_p] = _dynamic_slice_jvp
transpose_rules[dynamic_slice_p] = _dynamic_slice_transpose
batch_rules[dynamic_slice_p] = _dynamic_slice_batch

core.abstract_eval_rules[dynamic_update_slice_p] = _dynamic_update_slice_abstract
core.impl_rules[dynamic_update_slice_p] = _dynamic_update_slice_impl
jvp_rules[dynamic_update_slice_p] = _dynamic_update_slice_jvp
transpose_rules[dynamic_update_slice_p] = _dynamic_update_slice_transpose
batch_rules[dynamic_update_slice_p] = _dynamic_update_slice_batch
