"""dot_general: the one contraction primitive (matmul, dot, tensordot, einsum build on it).

Layering: above shape.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .. import core, dtypes, pretty
from ..batching import batch_rules, move_axis
from ..core import Primitive, ShapedArray, get_aval
from ..jvp import defjvp
from ..rules import BDim, Tangent, Value
from ..transpose import NonlinearError, is_undefined, transpose_rules
from .shape import transpose

DimensionNumbers = tuple[tuple[tuple[int, ...], tuple[int, ...]],
                         tuple[tuple[int, ...], tuple[int, ...]]]

dot_general_p = Primitive("dot_general")


def _free_dims(ndim: int, contract: Sequence[int], batch: Sequence[int]) -> list[int]:
    return [i for i in range(ndim) if i not in contract and i not in batch]


def _dot_general_abstract(x: ShapedArray, y: ShapedArray, *, dimension_numbers: DimensionNumbers,
                          preferred_element_type: Any = None) -> ShapedArray:
    (lc, rc), (lb, rb) = dimension_numbers
    if len(lc) != len(rc) or len(lb) != len(rb):
        raise TypeError(f"dot_general: mismatched dimension_numbers {dimension_numbers}")
    for a, b in zip(lc, rc):
        if x.shape[a] != y.shape[b]:
            raise TypeError(f"dot_general requires contracting dimensions to have the same "
                            f"shape, got {x.shape} and {y.shape} (contracting lhs axis {a} "
                            f"of size {x.shape[a]} with rhs axis {b} of size {y.shape[b]})")
    for a, b in zip(lb, rb):
        if x.shape[a] != y.shape[b]:
            raise TypeError(f"dot_general requires batch dimensions to have the same shape, "
                            f"got {x.shape} and {y.shape}")
    if x.dtype != y.dtype:
        raise TypeError(f"dot_general requires operands of the same dtype, got "
                        f"{x.dtype.name} and {y.dtype.name}")
    shape = (tuple(x.shape[i] for i in lb) + tuple(x.shape[i] for i in _free_dims(x.ndim, lc, lb))
             + tuple(y.shape[i] for i in _free_dims(y.ndim, rc, rb)))
    dtype = np.dtype(preferred_element_type) if preferred_element_type else x.dtype
    return ShapedArray(shape, dtype, x.weak_type and y.weak_type)


def _dot_general_impl(x: np.ndarray, y: np.ndarray, *, dimension_numbers: DimensionNumbers,
                      preferred_element_type: Any = None) -> np.ndarray:
    (lc, rc), (lb, rb) = dimension_numbers
    letters = iter("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    xs = [None] * x.ndim
    ys = [None] * y.ndim
    for a, b in zip(lb, rb):
        xs[a] = ys[b] = next(letters)
    for a, b in zip(lc, rc):
        xs[a] = ys[b] = next(letters)
    for i in range(x.ndim):
        xs[i] = xs[i] or next(letters)
    for i in range(y.ndim):
        ys[i] = ys[i] or next(letters)
    out = ([xs[a] for a in lb] + [xs[i] for i in _free_dims(x.ndim, lc, lb)]
           + [ys[i] for i in _free_dims(y.ndim, rc, rb)])
    dtype = np.dtype(preferred_element_type) if preferred_element_type else x.dtype
    if dtypes.is_custom(x.dtype):   # bfloat16, float8: accumulate in float32 (as XLA), round once
        x, y = x.astype(np.float32), y.astype(np.float32)
    return np.asarray(np.einsum(f"{''.join(xs)},{''.join(ys)}->{''.join(out)}", x, y)
                      ).astype(dtype)


def dot_general(x: Value, y: Value, dimension_numbers: Any, preferred_element_type: Any = None
                ) -> Value:
    (lc, rc), (lb, rb) = dimension_numbers
    dn = ((tuple(lc), tuple(rc)), (tuple(lb), tuple(rb)))
    return dot_general_p.bind(x, y, dimension_numbers=dn,
                              preferred_element_type=preferred_element_type)


def _transpose_lhs(ct: Tangent, x_aval: ShapedArray, y: Value, dimension_numbers: DimensionNumbers,
                   swap: bool = False, preferred_element_type: Any = None) -> Tangent:
    (lc, rc), (lb, rb) = dimension_numbers
    x_ndim, y_ndim = len(x_aval.shape), get_aval(y).ndim
    x_free = _free_dims(x_ndim, lc, lb)
    y_free = _free_dims(y_ndim, rc, rb)
    nb = len(lb)
    if swap:   # ct layout is batch + y_free + x_free when x is the rhs operand
        ct_y_free = list(range(nb, nb + len(y_free)))
        ct_x_free_start = nb + len(y_free)
    else:
        ct_y_free = list(range(nb + len(x_free), nb + len(x_free) + len(y_free)))
        ct_x_free_start = nb
    # the cotangent's contraction keeps a preferred type that is x's own (jnp.dot's, as JAX)
    keep = preferred_element_type if preferred_element_type == x_aval.dtype else None
    out = dot_general(ct, y, ((tuple(ct_y_free), tuple(y_free)), (tuple(range(nb)), tuple(rb))),
                      keep)
    # out dims (in x's terms): lb + x_free + lc ordered by sorted rc
    order = list(lb) + x_free + [lc[k] for k in np.argsort(rc)]
    del ct_x_free_start
    return transpose(out, tuple(int(i) for i in np.argsort(order)))


def _dot_general_transpose(ct: Tangent, x: Value, y: Value, *, dimension_numbers: DimensionNumbers,
                           preferred_element_type: Any = None) -> list[Tangent | None]:
    if is_undefined(x) and is_undefined(y):
        raise NonlinearError("dot_general of two tangent values is not linear")
    (lc, rc), (lb, rb) = dimension_numbers
    if is_undefined(x):
        return [_transpose_lhs(ct, x.aval, y, dimension_numbers,
                               preferred_element_type=preferred_element_type), None]
    swapped = ((rc, lc), (rb, lb))
    return [None, _transpose_lhs(ct, y.aval, x, swapped, swap=True,
                                 preferred_element_type=preferred_element_type)]


def _dot_general_batch(axis_size: int, vals: Sequence[Value], dims: Sequence[BDim], *,
                       dimension_numbers: DimensionNumbers, preferred_element_type: Any = None
                       ) -> tuple[Value, BDim]:
    x, y = vals
    dx, dy = dims
    (lc, rc), (lb, rb) = dimension_numbers
    sh = lambda t: tuple(i + 1 for i in t)
    if dx is not None and dy is not None:
        dn = ((sh(lc), sh(rc)), ((0, *sh(lb)), (0, *sh(rb))))
        return dot_general(x, y, dn, preferred_element_type), 0
    if dx is not None:
        dn = ((sh(lc), rc), (sh(lb), rb))
        out = dot_general(x, y, dn, preferred_element_type)
        return move_axis(out, len(lb), 0), 0
    dn = ((lc, sh(rc)), (lb, sh(rb)))
    out = dot_general(x, y, dn, preferred_element_type)
    x_free = _free_dims(get_aval(x).ndim, lc, lb)
    return move_axis(out, len(lb) + len(x_free), 0), 0


core.abstract_eval_rules[dot_general_p] = _dot_general_abstract
core.impl_rules[dot_general_p] = _dot_general_impl
defjvp(dot_general_p,
       lambda t, x, y, **p: dot_general_p.bind(t, y, **p),
       lambda t, x, y, **p: dot_general_p.bind(x, t, **p))
transpose_rules[dot_general_p] = _dot_general_transpose
batch_rules[dot_general_p] = _dot_general_batch


def _dot_general_pp(eqn, ctx):
    # as JAX prints it: None-valued params left out, the dimension numbers as lists
    params = []
    for k, v in pretty.visible_params(eqn):
        if k == "dimension_numbers":
            (lc, rc), (lb, rb) = v
            v = ((list(lc), list(rc)), (list(lb), list(rb)))
        if v is not None:
            params.append((k, v))
    return eqn.primitive.name, params


pretty.pp_eqn_rules[dot_general_p] = _dot_general_pp
