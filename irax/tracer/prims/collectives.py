"""Collectives over named vmap axes: psum, pmax, pmin, all_gather, axis_index.

    psum_p.bind(x, axis_name=("i",))          # the sum over the examples of axis "i"
    all_gather_p.bind(x, axis_name=("i",), axis=0, tiled=False)
    axis_index_p.bind(axis_name=("i",))       # int32 position of the example along "i"

`axis_name` is always a tuple of names. A vmap given `axis_name` creates a BatchTrace that
carries the name; that trace applies the rule in batching.named_batch_rules when a
collective names its axis -- even if no operand is batched there (psum of an unbatched
value is the value times the axis size, as JAX). It reduces or gathers over its batch
axis and binds the collective again, in its parent, for any names that remain (a tuple of
names; an outer vmap's name used inside an inner vmap). A trace that does not own the name
lets the collective ride along its own batch axis (batch_rules).

A collective that reaches evaluation or staging with no enclosing vmap of that name is an
error: NameError "unbound axis name: i", as JAX.

Derivatives: psum and all_gather are linear (jvp: the collective of the tangent); psum's
transpose is psum and all_gather's a psum then a selection of
the example's own slot (so under vmap, grad of psum(x) is the axis size, as JAX). pmax and pmin
have no derivative here (as JAX); axis_index is an integer.

Layering: a primitive family after debug (uses elementwise, shape, reduce).
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .. import core
from ..batching import axis_env_size, batch_rules, move_axis, named_batch_rules
from ..core import Primitive, ShapedArray
from ..jvp import deflinear, defzero, jvp_rules
from ..rules import BDim, Value
from ..transpose import transpose_rules
from .elementwise import convert_element_type, eq, mul
from .reduce import reduce_max, reduce_min_p, reduce_sum
from .shape import broadcast_in_dim, full, iota, reshape

psum_p = Primitive("psum")
pmax_p = Primitive("pmax")
pmin_p = Primitive("pmin")
all_gather_p = Primitive("all_gather")
axis_index_p = Primitive("axis_index")


def unbound_axis_error(name: Any) -> NameError:
    return NameError(f"unbound axis name: {name}")


def _check_bound(axis_name: tuple) -> None:
    for name in axis_name:
        if axis_env_size(name) is None:
            raise unbound_axis_error(name)


# ---------------------------------------------------------------------------
# Abstract evaluation and impl (impl runs only when no vmap bound the name)


def _same_abstract(x: ShapedArray, *, axis_name: tuple) -> ShapedArray:
    _check_bound(axis_name)
    return ShapedArray(x.shape, x.dtype, x.weak_type)


def _gathered_shape(shape: Sequence[int], n: int, axis: int, tiled: bool) -> tuple[int, ...]:
    if tiled:
        return (*shape[:axis], n * shape[axis], *shape[axis + 1:])
    return (*shape[:axis], n, *shape[axis:])


def _all_gather_abstract(x: ShapedArray, *, axis_name: tuple, axis: int, tiled: bool
                         ) -> ShapedArray:
    _check_bound(axis_name)
    n = axis_env_size(axis_name[0])
    return ShapedArray(_gathered_shape(x.shape, n, axis, tiled), x.dtype, x.weak_type)


def _axis_index_abstract(*, axis_name: tuple) -> ShapedArray:
    _check_bound(axis_name)
    return ShapedArray((), np.dtype(np.int32))


def _unbound_impl(*args: Any, axis_name: tuple, **params: Any) -> Any:
    # a bound name is always consumed by its BatchTrace before evaluation
    raise unbound_axis_error(axis_name[0])


# ---------------------------------------------------------------------------
# Batching by the trace that owns the name


def _rest(axis_name: tuple, own: Any) -> tuple:
    return tuple(n for n in axis_name if n != own)


def _reduction_rule(prim: Primitive, reduce_batch, scale_unbatched: bool):
    def rule(axis_size, own, vals, dims, *, axis_name):
        (x,), (d,) = vals, dims
        if d is None:
            a = core.get_aval(x)
            y = mul(x, full(a.shape, axis_size, a.dtype, a.weak_type)) if scale_unbatched else x
        else:
            y = reduce_batch(x)
        rest = _rest(axis_name, own)
        if rest:
            y = prim.bind(y, axis_name=rest)
        return y, None
    return rule


def _all_gather_named(axis_size, own, vals, dims, *, axis_name, axis, tiled):
    (x,), (d,) = vals, dims
    shape = core.get_aval(x).shape if d is None else core.get_aval(x).shape[1:]
    if d is None:
        full_shape = (*shape[:axis], axis_size, *shape[axis:])
        dims_kept = tuple(i for i in range(len(full_shape)) if i != axis)
        y = broadcast_in_dim(x, full_shape, dims_kept)
    else:
        y = move_axis(x, 0, axis)
    if tiled:
        y = reshape(y, _gathered_shape(shape, axis_size, axis, True))
    return y, None


def _axis_index_named(axis_size, own, vals, dims, *, axis_name):
    return iota(np.int32, (axis_size,), 0), 0


# Batching by a trace of another name: the batch axis (at 0) rides along.

def _ride_along(prim: Primitive):
    def rule(axis_size, vals, dims, **params):
        return prim.bind(vals[0], **params), dims[0]
    return rule


def _all_gather_ride(axis_size, vals, dims, *, axis_name, axis, tiled):
    return all_gather_p.bind(vals[0], axis_name=axis_name, axis=axis + 1, tiled=tiled), 0


def _axis_index_ride(axis_size, vals, dims, *, axis_name):
    return axis_index_p.bind(axis_name=axis_name), None


def _all_gather_transpose(ct: Value, x: Value, *, axis_name, axis, tiled):
    """Example k's cotangent: the sum over all examples of their cotangent's slot k (a
    reduce-scatter), composed as psum, then a one-hot selection of slot axis_index."""
    n = axis_env_size(axis_name[0])
    shape = x.aval.shape
    # slot k of the gathered axis is example k's operand (tiled: split the merged axis)
    per_slot = (*shape[:axis], n, *shape[axis:])
    total = reshape(psum_p.bind(ct, axis_name=axis_name), per_slot)
    me = broadcast_in_dim(axis_index_p.bind(axis_name=axis_name), per_slot, ())
    onehot = convert_element_type(eq(iota(np.int32, per_slot, axis), me), total.aval.dtype)
    return [reduce_sum(mul(total, onehot), (axis,))]


def _no_jvp(name: str):
    def rule(primals, tangents, **params):
        raise NotImplementedError(f"Differentiation rule for '{name}' not implemented "
                                  "(as JAX: pmax/pmin are not differentiable)")
    return rule


# ---------------------------------------------------------------------------
# Registration

core.abstract_eval_rules[psum_p] = _same_abstract
core.impl_rules[psum_p] = _unbound_impl
deflinear(psum_p)
transpose_rules[psum_p] = lambda ct, x, *, axis_name: [psum_p.bind(ct, axis_name=axis_name)]
batch_rules[psum_p] = _ride_along(psum_p)
named_batch_rules[psum_p] = _reduction_rule(psum_p, lambda x: reduce_sum(x, (0,)), True)

core.abstract_eval_rules[pmax_p] = _same_abstract
core.impl_rules[pmax_p] = _unbound_impl
jvp_rules[pmax_p] = _no_jvp("pmax")
batch_rules[pmax_p] = _ride_along(pmax_p)
named_batch_rules[pmax_p] = _reduction_rule(pmax_p, lambda x: reduce_max(x, (0,)), False)

core.abstract_eval_rules[pmin_p] = _same_abstract
core.impl_rules[pmin_p] = _unbound_impl
jvp_rules[pmin_p] = _no_jvp("pmin")
batch_rules[pmin_p] = _ride_along(pmin_p)
named_batch_rules[pmin_p] = _reduction_rule(
    pmin_p, lambda x: reduce_min_p.bind(x, axes=(0,)), False)

core.abstract_eval_rules[all_gather_p] = _all_gather_abstract
core.impl_rules[all_gather_p] = _unbound_impl
deflinear(all_gather_p)
transpose_rules[all_gather_p] = _all_gather_transpose
batch_rules[all_gather_p] = _all_gather_ride
named_batch_rules[all_gather_p] = _all_gather_named

core.abstract_eval_rules[axis_index_p] = _axis_index_abstract
core.impl_rules[axis_index_p] = _unbound_impl
defzero(axis_index_p)
batch_rules[axis_index_p] = _axis_index_ride
named_batch_rules[axis_index_p] = _axis_index_named
