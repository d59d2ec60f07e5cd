"""Integer-array indexing along one axis: gather, scatter_add, and scatter (set/mul/min/max).

gather(x, idx; axis) has shape x.shape[:axis] + idx.shape + x.shape[axis+1:]; a scatter's
updates have that shape too.

Index semantics are written here, once, in the IR, before any lowering. The primitives
gather_p, scatter_add_p and scatter_p REQUIRE indices in bounds: IREE does not bound a raw
gather or scatter (it reads past the buffer, or writes the wrong element). Code outside this
module binds them only through the wrappers gather / scatter_add / scatter, which first
- clamp the indices into [0, n-1] (mode "clip"),
- or clamp them and then select fill_value where an index was out of bounds (gather mode
  "fill"),
- or send out-of-bounds updates to a spare slot one past the end of a padded operand, cut
  off afterwards (scatter mode "drop"),
with ordinary compare / select / min / max / pad / slice primitives. Eager evaluation, every
compile target and vmap therefore run the same bounded program. The rules below rebind the
primitives only with indices derived from in-bounds ones.

Negative indices are out of bounds here, as in lax.gather; NumPy's wrapping (-1 is the last
element) belongs to the callers (irax.numpy, irax.lax.dynamic_slice): see wrap_negative.

Layering: above elementwise and shape; slicing.py batches per-example dynamic slices with
the gathers here.
"""
from __future__ import annotations

import enum
from typing import Any, Callable, Sequence

import numpy as np

from .. import core, dtypes
from ..ad_util import Zero, instantiate
from ..batching import batch_rules, bdim_to_front, move_axis
from ..core import Primitive, ShapedArray, Tracer, get_aval
from ..jvp import jvp_rules
from ..rules import BDim, Tangent, Value
from ..transpose import NonlinearError, is_undefined, transpose_rules
from . import elementwise as ew
from .elementwise import add, and_p, ge_p, lt, mul, select, sub
from .shape import broadcast_in_dim, full, iota, pad, reshape, slice_, transpose

gather_p = Primitive("gather")
scatter_add_p = Primitive("scatter_add")
scatter_p = Primitive("scatter")     # combine: "set" | "mul" | "min" | "max"

SCATTER_COMBINES = ("set", "mul", "min", "max")


class GatherScatterMode(enum.Enum):
    """What a gather or scatter does with an out-of-bounds index (jax.lax's names).

    CLIP: clamp the index into range. FILL_OR_DROP: a gather reads a fill value, a scatter
    drops the update. PROMISE_IN_BOUNDS: the caller promises in-bounds indices; irax still
    bounds them (a gather clamps, a scatter drops), so a broken promise cannot touch memory
    outside the array. ONE_HOT: take_along_axis by one-hot selection: out of bounds reads 0.
    """
    CLIP = 1
    FILL_OR_DROP = 2
    PROMISE_IN_BOUNDS = 3
    ONE_HOT = 4

    @staticmethod
    def from_any(mode) -> "GatherScatterMode":
        if isinstance(mode, GatherScatterMode):
            return mode
        names = {"clip": GatherScatterMode.CLIP, None: GatherScatterMode.FILL_OR_DROP,
                 "fill": GatherScatterMode.FILL_OR_DROP, "drop": GatherScatterMode.FILL_OR_DROP,
                 "promise_in_bounds": GatherScatterMode.PROMISE_IN_BOUNDS,
                 "one_hot": GatherScatterMode.ONE_HOT}
        if isinstance(mode, str) or mode is None:
            if mode in names:
                return names[mode]
        raise ValueError(f'Unknown gather mode "{mode}"')


# ---------------------------------------------------------------------------
# Index arithmetic (explicit primitives; NumPy directly for indices known now)


def _known(x: Value) -> np.ndarray | None:
    """x's value when it is not traced (a constant even under jit), else None."""
    return None if isinstance(x, Tracer) else core.concrete_or_none(x)


def _const(value: Any, dtype: Any = None) -> core.Array:
    return core.Array(np.asarray(value, dtype))


def as_index(idx: Value) -> Value:
    """idx in a signed integer type wide enough for idx + n: int32, or int64 for 64-bit
    indices. (int8 -1 + 200 would overflow in int8.) Unsigned values too large for the
    signed type are capped first: they are out of bounds of any array all the same."""
    a = get_aval(idx)
    if dtypes.kind(a.dtype) not in "iu":
        raise TypeError(f"Indexer must have integer or boolean type, got indexer with type "
                        f"{a.dtype.name}")
    wide = np.dtype(np.int64) if a.dtype.itemsize == 8 else np.dtype(np.int32)
    if a.dtype == wide:
        return idx
    cap = dtypes.iinfo(wide).max
    needs_cap = dtypes.kind(a.dtype) == "u" and a.dtype.itemsize >= wide.itemsize
    c = _known(idx)
    if c is not None:
        return _const(np.minimum(c, cap) if needs_cap else c, wide)
    if needs_cap:
        idx = ew.min_p.bind(idx, full(a.shape, cap, a.dtype))
    return ew.convert_element_type(idx, wide)


def wrap_negative(idx: Value, n: int) -> Value:
    """NumPy's reading of a negative index along an axis of size n: idx + n where idx < 0.
    Once only: -n-1 stays out of bounds."""
    idx = as_index(idx)
    c = _known(idx)
    if c is not None:
        return _const(np.where(c < 0, c + n, c), c.dtype)
    a = get_aval(idx)
    return select(ew.lt(idx, full(a.shape, 0, a.dtype)), add(idx, full(a.shape, n, a.dtype)),
                  idx)


def in_bounds(idx: Value, n: int) -> Value:
    """0 <= idx < n, elementwise (bool)."""
    c = _known(idx)
    if c is not None:
        return _const((c >= 0) & (c < n))
    a = get_aval(idx)
    return ew.and_p.bind(ew.ge_p.bind(idx, full(a.shape, 0, a.dtype)),
                         ew.lt(idx, full(a.shape, n, a.dtype)))


def clamp_index(idx: Value, lo: int, hi: int) -> Value:
    """idx clamped into [lo, hi] (lo <= hi)."""
    c = _known(idx)
    if c is not None:
        return _const(np.clip(c, lo, hi), c.dtype)
    a = get_aval(idx)
    return ew.min_p.bind(ew.max_p.bind(idx, full(a.shape, lo, a.dtype)),
                         full(a.shape, hi, a.dtype))


def default_fill_value(dtype: Any) -> Any:
    """What a "fill" gather reads out of bounds unless told: NaN for inexact types, the
    minimum of a signed integer type, the maximum of an unsigned one, True for bool."""
    dtype = np.dtype(dtype)
    if dtypes.kind(dtype) in "fc":
        return np.nan
    if dtypes.kind(dtype) in "iu":
        info = dtypes.iinfo(dtype)
        return info.min if dtypes.kind(dtype) == "i" else info.max
    if dtypes.kind(dtype) == "b":
        return True
    raise ValueError(f"Unsupported dtype for gather fill_value {dtype}")


def _gather_shape(xa: ShapedArray, ia: ShapedArray, axis: int) -> tuple[int, ...]:
    return xa.shape[:axis] + ia.shape + xa.shape[axis + 1:]


# ---------------------------------------------------------------------------
# The wrappers: the only way in from outside this module


def gather(x: Value, idx: Value, axis: int, mode: str = "clip", fill_value: Any = None
           ) -> Value:
    """x's entries at idx along axis, with negative indices out of bounds. mode "clip":
    indices clamped into [0, n-1]; "fill": out-of-bounds positions read fill_value (None:
    default_fill_value of x's dtype)."""
    axis = int(axis)
    xa, idx = get_aval(x), as_index(idx)
    ia = get_aval(idx)
    _gather_abstract(xa, ia, axis=axis)
    if mode not in ("clip", "fill"):
        raise ValueError(f"gather mode must be 'clip' or 'fill', got {mode!r}")
    n, out_shape = xa.shape[axis], _gather_shape(xa, ia, axis)
    if n == 0:
        if ia.size:
            raise IndexError(f"index is out of bounds for axis {axis} with size 0")
        return full(out_shape, 0, xa.dtype, xa.weak_type)
    out = gather_p.bind(x, clamp_index(idx, 0, n - 1), axis=axis)
    if mode == "clip":
        return out
    valid = in_bounds(idx, n)
    known = _known(valid)
    if known is not None and known.all():
        return out
    if fill_value is None:
        fill_value = default_fill_value(xa.dtype)
    mask = broadcast_in_dim(valid, out_shape, tuple(range(axis, axis + ia.ndim)))
    return select(mask, out, full(out_shape, fill_value, xa.dtype, xa.weak_type))


def scatter(x: Value, idx: Value, upd: Value, axis: int, combine: str = "set",
            mode: str = "drop", unique_indices: bool = False) -> Value:
    """x with upd combined in at idx along axis (combine: "set", "add", "mul", "min",
    "max"), negative indices out of bounds. mode "drop": out-of-bounds updates are
    discarded; "clip": indices clamped into [0, n-1]. With repeated indices "set" keeps one
    of the updates; the others accumulate."""
    axis = int(axis)
    xa, idx, ua = get_aval(x), as_index(idx), get_aval(upd)
    ia = get_aval(idx)
    if combine == "add":
        _scatter_add_abstract(xa, ia, ua, axis=axis)
    else:
        _scatter_abstract(xa, ia, ua, axis=axis, combine=combine, unique_indices=False)
    if mode not in ("drop", "clip"):
        raise ValueError(f"scatter mode must be 'drop' or 'clip', got {mode!r}")

    def bind(operand: Value, indices: Value) -> Value:
        if combine == "add":
            return scatter_add_p.bind(operand, indices, upd, axis=axis)
        return scatter_p.bind(operand, indices, upd, axis=axis, combine=combine,
                              unique_indices=bool(unique_indices))
    n = xa.shape[axis]
    if mode == "clip":
        if n == 0:
            if ia.size:
                raise IndexError(f"index is out of bounds for axis {axis} with size 0")
            return x
        return bind(x, clamp_index(idx, 0, n - 1))
    valid = in_bounds(idx, n)
    known = _known(valid)
    if known is not None and known.all():
        return bind(x, idx)
    # the spare slot n of a one-longer operand takes every out-of-bounds update
    config = [(0, 1, 0) if d == axis else (0, 0, 0) for d in range(xa.ndim)]
    padded = pad(x, full((), 0, xa.dtype), config)
    if known is not None:
        redirected = _const(np.where(known, _known(idx), n), ia.dtype)
    else:
        redirected = select(valid, idx, full(ia.shape, n, ia.dtype))
    return slice_(bind(padded, redirected), [0] * xa.ndim, xa.shape)


def scatter_add(x: Value, idx: Value, upd: Value, axis: int, mode: str = "drop") -> Value:
    return scatter(x, idx, upd, axis, "add", mode)


# ---------------------------------------------------------------------------
# Abstract evaluation and NumPy impls (indices in bounds: see the module docstring)


def _gather_abstract(x: ShapedArray, idx: ShapedArray, *, axis: int) -> ShapedArray:
    if dtypes.kind(idx.dtype) not in "iu":
        raise TypeError(f"indices must be integers, got {idx.dtype.name}")
    if not 0 <= axis < x.ndim:
        raise IndexError(f"gather axis {axis} out of bounds for shape {x.shape}")
    return ShapedArray(_gather_shape(x, idx, axis), x.dtype, x.weak_type)


def _check_updates(name: str, x: ShapedArray, idx: ShapedArray, upd: ShapedArray,
                   axis: int) -> None:
    if dtypes.kind(idx.dtype) not in "iu":
        raise TypeError(f"{name}: indices must be integers, got {idx.dtype.name}")
    if not 0 <= axis < x.ndim:
        raise IndexError(f"{name} axis {axis} out of bounds for shape {x.shape}")
    expected = _gather_shape(x, idx, axis)
    if upd.shape != expected or upd.dtype != x.dtype:
        raise TypeError(f"{name}: updates {upd.str_short()} do not match "
                        f"expected {expected} of {x.dtype.name}")


def _scatter_add_abstract(x: ShapedArray, idx: ShapedArray, upd: ShapedArray, *, axis: int
                          ) -> ShapedArray:
    _check_updates("scatter_add", x, idx, upd, axis)
    return x


def _scatter_abstract(x: ShapedArray, idx: ShapedArray, upd: ShapedArray, *, axis: int,
                      combine: str, unique_indices: bool) -> ShapedArray:
    if combine not in SCATTER_COMBINES:
        raise ValueError(f"scatter combine must be one of {SCATTER_COMBINES}, got {combine!r}")
    _check_updates(f"scatter ({combine})", x, idx, upd, axis)
    if combine == "mul" and dtypes.kind(x.dtype) == "b":
        raise TypeError("mul does not accept dtype bool (scatter multiply of a bool array)")
    if combine in ("min", "max") and dtypes.kind(x.dtype) == "c":
        raise TypeError(f"scatter {combine} does not accept complex dtype {x.dtype.name}")
    return x


def _gather_impl(x: np.ndarray, idx: np.ndarray, *, axis: int) -> np.ndarray:
    return np.take(x, idx, axis=axis)        # raises on an out-of-bounds index: never silent


def _updates_to_front(upd: np.ndarray, idx_ndim: int, axis: int) -> np.ndarray:
    return np.moveaxis(upd, list(range(axis, axis + idx_ndim)), list(range(idx_ndim)))


def _scatter_add_impl(x: np.ndarray, idx: np.ndarray, upd: np.ndarray, *, axis: int
                      ) -> np.ndarray:
    out = x.copy()
    moved = np.moveaxis(out, axis, 0)          # a view: writes land in out
    (np.logical_or if x.dtype == np.bool_ else np.add).at(
        moved, idx, _updates_to_front(upd, idx.ndim, axis))
    return out


_NP_COMBINE = {"mul": np.multiply, "min": np.minimum, "max": np.maximum}


def _scatter_impl(x: np.ndarray, idx: np.ndarray, upd: np.ndarray, *, axis: int, combine: str,
                  unique_indices: bool) -> np.ndarray:
    out = x.copy()
    moved = np.moveaxis(out, axis, 0)
    upd = _updates_to_front(upd, idx.ndim, axis)
    if combine == "set":
        moved[idx] = upd                       # repeated indices: one of the updates stays
    else:
        _NP_COMBINE[combine].at(moved, idx, upd)
    return out


# ---------------------------------------------------------------------------
# Differentiation


def _gather_jvp(primals: Sequence[Value], tangents: Sequence[Tangent], *, axis: int
                ) -> tuple[Value, Tangent]:
    x, idx = primals
    out = gather_p.bind(x, idx, axis=axis)
    if isinstance(tangents[0], Zero):
        return out, Zero(get_aval(out))
    return out, gather_p.bind(tangents[0], idx, axis=axis)


def _gather_transpose(ct: Tangent, x: Value, idx: Value, *, axis: int) -> list[Tangent | None]:
    if is_undefined(idx):
        raise NonlinearError("gather with tangent indices")
    zeros = full(x.aval.shape, 0, x.aval.dtype)
    return [scatter_add_p.bind(zeros, idx, ct, axis=axis), None]


def _scatter_add_jvp(primals: Sequence[Value], tangents: Sequence[Tangent], *, axis: int
                     ) -> tuple[Value, Tangent]:
    x, idx, upd = primals
    tx, _, tu = tangents
    out = scatter_add_p.bind(x, idx, upd, axis=axis)
    if isinstance(tx, Zero) and isinstance(tu, Zero):
        return out, Zero(get_aval(out))
    return out, scatter_add_p.bind(instantiate(tx), idx, instantiate(tu), axis=axis)


def _scatter_add_transpose(ct: Tangent, x: Value, idx: Value, upd: Value, *, axis: int
                           ) -> list[Tangent | None]:
    return [ct if is_undefined(x) else None, None,
            gather_p.bind(ct, idx, axis=axis) if is_undefined(upd) else None]


def _scatter_jvp(primals: Sequence[Value], tangents: Sequence[Tangent], *, axis: int,
                 combine: str, unique_indices: bool) -> tuple[Value, Tangent]:
    x, idx, upd = primals
    tx, _, tu = tangents
    if isinstance(tx, Zero) and isinstance(tu, Zero):
        out = scatter_p.bind(x, idx, upd, axis=axis, combine=combine,
                             unique_indices=unique_indices)
        return out, Zero(get_aval(out))
    if combine == "set":
        return _scatter_set_jvp(x, idx, upd, instantiate(tx), instantiate(tu), axis)
    if combine == "mul":
        return _scatter_mul_jvp(x, idx, upd, tx, tu, axis, unique_indices)
    return _scatter_extremum_jvp(x, idx, upd, instantiate(tx), instantiate(tu), axis, combine)


def _scatter_set_jvp(x: Value, idx: Value, upd: Value, tx: Tangent, tu: Tangent, axis: int
                     ) -> tuple[Value, Tangent]:
    """Scatter the update's positions (1-based ids) first: the winner map says which update
    each element took, so the primal and the tangent take the same one even where the
    backend chooses among repeated indices arbitrarily. Linear in (tx, tu) via select and
    gather, both transposable."""
    xa, ua = get_aval(x), get_aval(upd)
    if ua.size == 0:
        return x, tx
    i32 = np.dtype(np.int32)
    ids = reshape(add(iota(i32, (ua.size,), 0), full((ua.size,), 1, i32)), ua.shape)
    winner = scatter_p.bind(full(xa.shape, 0, i32), idx, ids, axis=axis, combine="set",
                            unique_indices=False)
    hit = ew.gt(winner, full(xa.shape, 0, i32))
    source = ew.max_p.bind(ew.sub(winner, full(xa.shape, 1, i32)), full(xa.shape, 0, i32))

    def pick(values: Value, otherwise: Value) -> Value:
        return select(hit, gather_p.bind(reshape(values, (ua.size,)), source, axis=0), otherwise)
    return pick(upd, x), pick(tu, tx)


def _scatter_mul_jvp(x: Value, idx: Value, upd: Value, tx: Tangent, tu: Tangent, axis: int,
                     unique_indices: bool) -> tuple[Value, Tangent]:
    xa = get_aval(x)
    out = scatter_p.bind(x, idx, upd, axis=axis, combine="mul", unique_indices=unique_indices)
    tangent = None
    if not isinstance(tx, Zero):
        factor = scatter_p.bind(full(xa.shape, 1, xa.dtype), idx, upd, axis=axis,
                                combine="mul", unique_indices=unique_indices)
        tangent = mul(tx, factor)
    if not isinstance(tu, Zero):
        if not unique_indices:
            raise NotImplementedError(
                "the derivative of x.at[idx].multiply(y) with respect to y is implemented only "
                "for unique indices: pass unique_indices=True if no index repeats (as in JAX)")
        t_u = mul(x, scatter_add_p.bind(full(xa.shape, 0, xa.dtype), idx, tu, axis=axis))
        tangent = t_u if tangent is None else add(tangent, t_u)
    return out, tangent


def _scatter_extremum_jvp(x: Value, idx: Value, upd: Value, tx: Tangent, tu: Tangent,
                          axis: int, combine: str) -> tuple[Value, Tangent]:
    """Where several contenders (the operand element, updates) tie for the min/max, they
    share the derivative equally, as JAX does."""
    xa, ua = get_aval(x), get_aval(upd)
    out = scatter_p.bind(x, idx, upd, axis=axis, combine=combine, unique_indices=False)
    reached = gather_p.bind(out, idx, axis=axis)           # out at each update's position
    upd_won, x_won = ew.eq(upd, reached), ew.eq(x, out)

    def as_float(b: Value, shape: tuple[int, ...]) -> Value:
        return select(b, full(shape, 1, xa.dtype), full(shape, 0, xa.dtype))
    count = scatter_add_p.bind(as_float(x_won, xa.shape), idx, as_float(upd_won, ua.shape),
                               axis=axis)
    count = ew.max_p.bind(count, full(xa.shape, 1, xa.dtype))
    zeros_u, zeros_x = full(ua.shape, 0, xa.dtype), full(xa.shape, 0, xa.dtype)
    total = add(select(x_won, tx, zeros_x),
                scatter_add_p.bind(zeros_x, idx, select(upd_won, tu, zeros_u), axis=axis))
    return out, ew.div(total, count)


# ---------------------------------------------------------------------------
# Batching


def _flatten_batch_into_axis(x: Value, idx: Value, axis: int, axis_size: int
                             ) -> tuple[Value, Value]:
    """Both batched (axis 0): fold the batch into the indexed axis so one gather/scatter
    serves every example: example b's index i becomes b * n + i (in bounds, as i is)."""
    xa = get_aval(x)
    n = xa.shape[axis + 1]
    x = move_axis(x, axis + 1, 1)                       # (B, n, rest...)
    rest = tuple(s for i, s in enumerate(xa.shape) if i not in (0, axis + 1))
    x2 = reshape(x, (axis_size * n, *rest))
    ia = get_aval(idx)
    offs = mul(iota(ia.dtype, ia.shape, 0), full(ia.shape, n, ia.dtype))
    return x2, add(idx, offs)


def _clamp(idx: Value, n: int) -> Value:
    return clamp_index(idx, 0, n - 1)


def _gather_batch(axis_size: int, vals: Sequence[Value], dims: Sequence[BDim], *, axis: int
                  ) -> tuple[Value, BDim]:
    x, idx = vals
    dx, di = dims
    if di is None:
        return gather_p.bind(x, idx, axis=axis + 1), 0
    if dx is None:
        out = gather_p.bind(x, idx, axis=axis)
        return move_axis(out, axis, 0), 0
    x2, idx2 = _flatten_batch_into_axis(x, idx, axis, axis_size)
    out = gather_p.bind(x2, idx2, axis=0)                # (B, idx..., rest...)
    ni = get_aval(idx).ndim - 1
    # rest = pre-axis dims then post-axis dims; put the idx dims after the pre-axis dims
    perm = [0] + list(range(1 + ni, 1 + ni + axis)) + list(range(1, 1 + ni)) + \
        list(range(1 + ni + axis, get_aval(out).ndim))
    return transpose(out, tuple(perm)), 0


def _scatter_batch_with(bind: Callable[..., Value]) -> Callable[..., tuple[Value, BDim]]:
    """The batching rule of a scatter-like primitive; bind(x, idx, upd, axis) rebinds it."""
    def rule(axis_size: int, vals: Sequence[Value], dims: Sequence[BDim], *, axis: int,
             **params: Any) -> tuple[Value, BDim]:
        x, idx, upd = vals
        dx, di, du = dims
        x = bdim_to_front(x, dx, axis_size)
        upd = bdim_to_front(upd, du, axis_size)
        if di is None:
            return bind(x, idx, upd, axis + 1, **params), 0
        xa = get_aval(x)
        x2, idx2 = _flatten_batch_into_axis(x, idx, axis, axis_size)
        ni = get_aval(idx).ndim - 1
        # updates (B, pre..., idx..., post...) -> (B, idx..., pre..., post...)
        ua = get_aval(upd)
        perm = [0] + list(range(1 + axis, 1 + axis + ni)) + list(range(1, 1 + axis)) + \
            list(range(1 + axis + ni, ua.ndim))
        out2 = bind(x2, idx2, transpose(upd, tuple(perm)), 0, **params)
        n = xa.shape[axis + 1]
        rest = tuple(s for i, s in enumerate(xa.shape) if i not in (0, axis + 1))
        out = reshape(out2, (axis_size, n, *rest))
        return move_axis(out, 1, axis + 1), 0
    return rule


def dynamic_slice_batched_indices(axis_size: int, x: Value, dx: BDim, idx: Sequence[Value],
                                  didx: Sequence[BDim], slice_sizes: Sequence[int]) -> Value:
    """dynamic_slice whose start indices differ per example: one gather per axis."""
    x = bdim_to_front(x, dx, axis_size)
    xa = get_aval(x)
    for d, (start, ds, size) in enumerate(zip(idx, didx, slice_sizes)):
        n = xa.shape[d + 1]
        sa = get_aval(start)
        start = bdim_to_front(start, ds, axis_size)                        # (B,)
        start = clamp_index(start, 0, n - size)
        rng = iota(sa.dtype, (axis_size, size), 1)
        positions = add(broadcast_in_dim(start, (axis_size, size), (0,)), rng)   # (B, size)
        x, _ = _gather_batch(axis_size, [x, positions], [0, 0], axis=d)
    return x


def dynamic_update_slice_batched_indices(axis_size: int, x: Value, dx: BDim, upd: Value,
                                         du: BDim, idx: Sequence[Value], didx: Sequence[BDim]
                                         ) -> Value:
    """dynamic_update_slice whose start indices differ per example: spread the update over
    the operand's shape with one gather per axis, then select inside the window."""
    x = bdim_to_front(x, dx, axis_size)
    upd = bdim_to_front(upd, du, axis_size)
    xa, ua = get_aval(x), get_aval(upd)
    mask = None
    for d, (start, ds) in enumerate(zip(idx, didx)):
        n, size = xa.shape[d + 1], ua.shape[d + 1]
        sa = get_aval(start)
        start = bdim_to_front(start, ds, axis_size)                        # (B,)
        start = clamp_index(start, 0, n - size)
        rel = sub(iota(sa.dtype, (axis_size, n), 1),
                  broadcast_in_dim(start, (axis_size, n), (0,)))          # (B, n)
        inside = and_p.bind(ge_p.bind(rel, full((axis_size, n), 0, sa.dtype)),
                            lt(rel, full((axis_size, n), size, sa.dtype)))
        upd, _ = _gather_batch(axis_size, [upd, _clamp(rel, size)], [0, 0], axis=d)
        m = broadcast_in_dim(inside, xa.shape, (0, d + 1))
        mask = m if mask is None else and_p.bind(mask, m)
    return x if mask is None else select(mask, upd, x)


# ---------------------------------------------------------------------------
# Registration

core.abstract_eval_rules[gather_p] = _gather_abstract
core.impl_rules[gather_p] = _gather_impl
jvp_rules[gather_p] = _gather_jvp
transpose_rules[gather_p] = _gather_transpose
batch_rules[gather_p] = _gather_batch

core.abstract_eval_rules[scatter_add_p] = _scatter_add_abstract
core.impl_rules[scatter_add_p] = _scatter_add_impl
jvp_rules[scatter_add_p] = _scatter_add_jvp
transpose_rules[scatter_add_p] = _scatter_add_transpose
batch_rules[scatter_add_p] = _scatter_batch_with(
    lambda x, idx, upd, axis: scatter_add_p.bind(x, idx, upd, axis=axis))

# scatter (set/mul/min/max) is not linear in its operand and updates together: no
# transpose rule. Its jvp builds tangents from gather / select / scatter_add / mul, which
# transpose, so reverse mode works through it.
core.abstract_eval_rules[scatter_p] = _scatter_abstract
core.impl_rules[scatter_p] = _scatter_impl
jvp_rules[scatter_p] = _scatter_jvp
batch_rules[scatter_p] = _scatter_batch_with(
    lambda x, idx, upd, axis, **params: scatter_p.bind(x, idx, upd, axis=axis, **params))
