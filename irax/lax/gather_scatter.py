"""jax.lax.gather and the scatter family with XLA's dimension numbers (issue #12).

A general gather or scatter is written here as the one-axis primitives of
tracer/prims/indexing.py applied to the operand flattened to one dimension: every element
a window touches gets its flat (row-major) index, computed with ordinary integer
primitives from the start indices and the window offsets. Differentiation, vmap and every
compile target come from those primitives' rules, and no index can leave the buffer.

Out-of-bounds starts follow jax.lax's modes, per window as XLA does:
- CLIP and PROMISE_IN_BOUNDS (a gather's default) clamp each start so the whole window
  fits (irax does not take the promise: clamping costs little and touches no stray memory);
- FILL_OR_DROP: a gather returns fill_value for every element of a window that does not
  fit; a scatter (whose default this is) drops the whole window. A PROMISE_IN_BOUNDS
  scatter drops too, as XLA does in practice.
"""
from __future__ import annotations

import operator
from typing import NamedTuple, Sequence

import numpy as np

from .. import numpy as jnp
from ..tracer import dtypes
from ..tracer import core
from ..tracer.core import get_aval
from ..tracer.prims import elementwise as ew
from ..tracer.prims import indexing as ix
from ..tracer.prims import shape as sh
from ..tracer.prims.indexing import GatherScatterMode

__all__ = ["GatherDimensionNumbers", "ScatterDimensionNumbers", "gather", "scatter",
           "scatter_add", "scatter_sub", "scatter_mul", "scatter_min", "scatter_max",
           "index_take"]


class GatherDimensionNumbers(NamedTuple):
    """XLA's gather dimension numbers; the index vector is always the last dimension of
    start_indices (as in jax.lax)."""
    offset_dims: tuple[int, ...]
    collapsed_slice_dims: tuple[int, ...]
    start_index_map: tuple[int, ...]
    operand_batching_dims: tuple[int, ...] = ()
    start_indices_batching_dims: tuple[int, ...] = ()


class ScatterDimensionNumbers(NamedTuple):
    """XLA's scatter dimension numbers; the index vector is the last dimension of
    scatter_indices."""
    update_window_dims: Sequence[int]
    inserted_window_dims: Sequence[int]
    scatter_dims_to_operand_dims: Sequence[int]
    operand_batching_dims: Sequence[int] = ()
    scatter_indices_batching_dims: Sequence[int] = ()


def _dims(name: str, what: str, dims, bound: int, *, ordered: bool = True) -> tuple[int, ...]:
    dims = tuple(operator.index(d) for d in dims)
    if ordered and list(dims) != sorted(set(dims)):
        raise TypeError(f"{name}: {what} must be sorted and unique, got {dims}")
    if len(set(dims)) != len(dims):
        raise TypeError(f"{name}: {what} must not repeat a dimension, got {dims}")
    if any(not 0 <= d < bound for d in dims):
        raise TypeError(f"{name}: {what} {dims} out of range for rank {bound}")
    return dims


class _Windows(NamedTuple):
    """Where each window of a gather/scatter sits in the flattened operand."""
    flat: object              # int array, shape batch_shape + window_shape
    fits: object | None       # bool array of batch_shape: the whole window is in bounds
    batch_shape: tuple[int, ...]
    window_shape: tuple[int, ...]


def _windows(name: str, operand_shape: tuple[int, ...], indices, index_map: tuple[int, ...],
             window_dims: tuple[int, ...], sizes: tuple[int, ...],
             operand_batching_dims: tuple[int, ...], indices_batching_dims: tuple[int, ...],
             clamp: bool) -> _Windows:
    """Flat indices of every window element. `sizes`: the window's extent in each operand
    dimension (1 in collapsed/inserted and batching dimensions)."""
    ia = get_aval(indices)
    if ia.ndim == 0 or ia.shape[-1] != len(index_map):
        raise TypeError(f"{name}: the last dimension of the indices (shape {ia.shape}) must "
                        f"have one entry per mapped operand dimension {index_map}")
    batch_shape = ia.shape[:-1]
    nb = len(batch_shape)
    if len(indices_batching_dims) != len(operand_batching_dims):
        raise TypeError(f"{name}: operand and indices batching dims must have the same "
                        f"length, got {operand_batching_dims} and {indices_batching_dims}")
    for od, bd in zip(operand_batching_dims, indices_batching_dims):
        if not 0 <= bd < nb:
            raise TypeError(f"{name}: indices batching dim {bd} must be a batch dimension of "
                            f"indices of shape {ia.shape} (not the index vector)")
        if operand_shape[od] != batch_shape[bd]:
            raise TypeError(f"{name}: operand batching dim {od} (size {operand_shape[od]}) "
                            f"and indices batching dim {bd} (size {batch_shape[bd]}) differ")
    total = int(np.prod(operand_shape, dtype=np.int64))
    kind = np.dtype(np.int64) if total >= 2 ** 31 else np.dtype(np.int32)
    if kind.itemsize == 8 and not dtypes.config.enable_x64:
        raise ValueError(f"{name}: an operand of {total} elements needs 64-bit indices "
                         f"(enable x64)")
    window_shape = tuple(sizes[d] for d in window_dims)
    full_shape = batch_shape + window_shape
    strides = np.cumprod((1,) + operand_shape[:0:-1], dtype=np.int64)[::-1]
    known = ix._known(indices)
    if known is not None:
        # indices known now (constants, even under jit): NumPy, so IREE gets one constant
        # instead of constant expressions it would evaluate at compile time (slowly)
        flat, fits = _numpy_windows(operand_shape, known.astype(np.int64), index_map, window_dims,
                                    sizes, operand_batching_dims, indices_batching_dims, clamp)
        return _Windows(core.Array(flat.astype(kind)), None if fits is None else core.Array(fits),
                        batch_shape, window_shape)
    indices = ix.as_index(indices)
    if get_aval(indices).dtype.itemsize > kind.itemsize:
        # a 64-bit start beyond int32 is out of bounds all the same: cap it before narrowing
        # so that it cannot wrap into range
        info = np.iinfo(kind)
        indices = ix.clamp_index(indices, int(info.min), int(info.max))
    indices = ew.convert_element_type(indices, kind)
    flat = None
    fits = None
    for d, n in enumerate(operand_shape):
        start = None
        if d in index_map:
            k = index_map.index(d)
            start = sh.reshape(sh.slice_(indices, (0,) * nb + (k,), batch_shape + (k + 1,)),
                               batch_shape)
            hi = n - sizes[d]
            if clamp:
                start = ix.clamp_index(start, 0, max(hi, 0))
            else:
                ok = ew.and_p.bind(ew.ge_p.bind(start, sh.full(batch_shape, 0, kind)),
                                   ew.le_p.bind(start, sh.full(batch_shape, hi, kind)))
                fits = ok if fits is None else ew.and_p.bind(fits, ok)
        elif d in operand_batching_dims:
            start = sh.iota(kind, batch_shape, indices_batching_dims[operand_batching_dims.index(d)])
        term = None
        if start is not None:
            term = sh.broadcast_in_dim(start, full_shape, tuple(range(nb)))
        if d in window_dims:
            w = window_dims.index(d)
            offsets = sh.iota(kind, full_shape, nb + w)
            term = offsets if term is None else ew.add(term, offsets)
        if term is None:
            continue
        if strides[d] != 1:
            term = ew.mul(term, sh.full(full_shape, int(strides[d]), kind))
        flat = term if flat is None else ew.add(flat, term)
    if flat is None:
        flat = sh.full(full_shape, 0, kind)
    return _Windows(flat, fits, batch_shape, window_shape)


def _numpy_windows(operand_shape, indices, index_map, window_dims, sizes, operand_batching_dims,
                   indices_batching_dims, clamp):
    """_windows for indices known now, in NumPy (int64): (flat, fits or None)."""
    batch_shape = indices.shape[:-1]
    nb = len(batch_shape)
    full_shape = batch_shape + tuple(sizes[d] for d in window_dims)
    strides = np.cumprod((1,) + tuple(operand_shape[:0:-1]), dtype=np.int64)[::-1]
    flat = np.zeros(full_shape, np.int64)
    fits = None
    for d, n in enumerate(operand_shape):
        start = np.zeros(batch_shape, np.int64)
        if d in index_map:
            start = indices[..., index_map.index(d)]
            hi = n - sizes[d]
            if clamp:
                start = np.clip(start, 0, max(hi, 0))
            else:
                ok = (start >= 0) & (start <= hi)
                fits = ok if fits is None else fits & ok
        elif d in operand_batching_dims:
            axis = indices_batching_dims[operand_batching_dims.index(d)]
            start = np.broadcast_to(np.arange(batch_shape[axis]).reshape(
                [-1 if a == axis else 1 for a in range(nb)]), batch_shape)
        term = start.reshape(batch_shape + (1,) * (len(full_shape) - nb))
        if d in window_dims:
            w = window_dims.index(d)
            term = term + np.arange(sizes[d]).reshape(
                [-1 if a == nb + w else 1 for a in range(len(full_shape))])
        flat = flat + term * strides[d]
    return flat, fits


def gather(operand, start_indices, dimension_numbers, slice_sizes, *, unique_indices=False,
           indices_are_sorted=False, mode=None, fill_value=None):
    """XLA's gather: for each index vector in start_indices, the slice of `slice_sizes`
    starting there, laid out by `dimension_numbers` (see the module docstring for modes)."""
    del unique_indices, indices_are_sorted   # hints only
    operand, start_indices = jnp.asarray(operand), jnp.asarray(start_indices)
    oa = get_aval(operand)
    dn = dimension_numbers
    if not isinstance(dn, GatherDimensionNumbers):
        raise TypeError(f"gather: dimension_numbers must be a GatherDimensionNumbers, got {dn!r}")
    mode = GatherScatterMode.from_any(GatherScatterMode.PROMISE_IN_BOUNDS if mode is None else mode)
    if mode is GatherScatterMode.ONE_HOT:
        raise NotImplementedError("gather: mode ONE_HOT is not supported by lax.gather")
    sizes = tuple(operator.index(s) for s in slice_sizes)
    if len(sizes) != oa.ndim:
        raise TypeError(f"gather: slice_sizes must have rank equal to the gather operand; "
                        f"operand.shape={oa.shape}, slice_sizes={sizes}")
    for d, (s, n) in enumerate(zip(sizes, oa.shape)):
        if not 0 <= s <= n:
            raise TypeError(f"gather: slice size at index {d} in gather op is out of range, "
                            f"must be within [0, {n}], got {s}")
    collapsed = _dims("gather", "collapsed_slice_dims", dn.collapsed_slice_dims, oa.ndim)
    batching = _dims("gather", "operand_batching_dims", dn.operand_batching_dims, oa.ndim)
    index_map = _dims("gather", "start_index_map", dn.start_index_map, oa.ndim, ordered=False)
    for d in collapsed + batching:
        if sizes[d] != 1:
            raise TypeError(f"gather: slice dimension {d} is collapsed or batched, so its "
                            f"slice size must be 1, got {sizes[d]}")
    if set(collapsed) & set(batching):
        raise TypeError("gather: collapsed_slice_dims and operand_batching_dims overlap")
    if set(index_map) & set(batching):
        raise TypeError("gather: start_index_map and operand_batching_dims overlap")
    window_dims = tuple(d for d in range(oa.ndim) if d not in collapsed and d not in batching)
    ia = get_aval(start_indices)
    out_rank = max(ia.ndim - 1, 0) + len(window_dims)
    offset_dims = _dims("gather", "offset_dims", dn.offset_dims, out_rank)
    if len(offset_dims) != len(window_dims):
        raise TypeError(f"gather: offset_dims {offset_dims} must have one entry per operand "
                        f"dimension that is neither collapsed nor batched {window_dims}")
    fill_mode = mode is GatherScatterMode.FILL_OR_DROP
    w = _windows("gather", oa.shape, start_indices, index_map, window_dims, sizes, batching,
                 tuple(dn.start_indices_batching_dims), clamp=not fill_mode)
    out = ix.gather(sh.reshape(operand, (oa.size,)), w.flat, 0, mode="clip")
    nb = len(w.batch_shape)
    if fill_mode and w.fits is not None:
        out = _fill_outside(out, w, oa, ix.default_fill_value(oa.dtype) if fill_value is None
                            else fill_value)
    batch_positions = [o for o in range(out_rank) if o not in offset_dims]
    perm = [nb + offset_dims.index(o) if o in offset_dims else batch_positions.index(o)
            for o in range(out_rank)]
    return sh.transpose(out, perm) if perm != sorted(perm) else out


def _window_mask(w: _Windows):
    """Bool mask of shape batch + window: True in every element of a window that fits (a
    constant when the indices are known, so IREE has nothing to fold)."""
    shape = w.batch_shape + w.window_shape
    fits_now = ix._known(w.fits)
    if fits_now is not None:
        return core.Array(np.broadcast_to(
            fits_now.reshape(w.batch_shape + (1,) * len(w.window_shape)), shape))
    return sh.broadcast_in_dim(w.fits, shape, tuple(range(len(w.batch_shape))))


def _fill_outside(out, w: _Windows, oa, fill_value):
    """out with fill_value in every element of a window that does not fit."""
    mask = _window_mask(w)
    known = ix._known(mask)
    if known is not None and known.all():
        return out
    return ew.select(mask, out, sh.full(get_aval(mask).shape, fill_value, oa.dtype, oa.weak_type))


def _scatter(name, combine, operand, scatter_indices, updates, dimension_numbers, mode,
             unique_indices):
    operand, updates = jnp.asarray(operand), jnp.asarray(updates)
    scatter_indices = jnp.asarray(scatter_indices)
    oa, ua = get_aval(operand), get_aval(updates)
    if oa.dtype != ua.dtype:
        raise TypeError(f"{name}: operand and updates must have the same dtype, got "
                        f"{oa.dtype.name} and {ua.dtype.name}")
    dn = dimension_numbers
    if not isinstance(dn, ScatterDimensionNumbers):
        raise TypeError(f"{name}: dimension_numbers must be a ScatterDimensionNumbers, "
                        f"got {dn!r}")
    mode = GatherScatterMode.from_any(mode)
    if mode is GatherScatterMode.ONE_HOT:
        raise NotImplementedError(f"{name}: mode ONE_HOT is not supported by lax scatters")
    window_in_updates = _dims(name, "update_window_dims", dn.update_window_dims, ua.ndim)
    inserted = _dims(name, "inserted_window_dims", dn.inserted_window_dims, oa.ndim)
    batching = _dims(name, "operand_batching_dims", dn.operand_batching_dims, oa.ndim)
    index_map = _dims(name, "scatter_dims_to_operand_dims", dn.scatter_dims_to_operand_dims,
                      oa.ndim, ordered=False)
    if set(inserted) & set(batching):
        raise TypeError(f"{name}: inserted_window_dims and operand_batching_dims overlap")
    window_dims = tuple(d for d in range(oa.ndim) if d not in inserted and d not in batching)
    if len(window_dims) != len(window_in_updates):
        raise TypeError(f"{name}: update_window_dims {window_in_updates} must have one entry "
                        f"per operand dimension that is neither inserted nor batched "
                        f"{window_dims}")
    sizes = [1] * oa.ndim
    for d, u in zip(window_dims, window_in_updates):
        if ua.shape[u] > oa.shape[d]:
            raise TypeError(f"{name}: updates window dimension {u} (size {ua.shape[u]}) is "
                            f"larger than operand dimension {d} (size {oa.shape[d]})")
        sizes[d] = ua.shape[u]
    update_batch = [u for u in range(ua.ndim) if u not in window_in_updates]
    ia = get_aval(scatter_indices)
    if tuple(ua.shape[u] for u in update_batch) != ia.shape[:-1]:
        raise TypeError(f"{name}: the scatter dimensions of updates (shape {ua.shape}, "
                        f"update_window_dims {window_in_updates}) must match the batch "
                        f"dimensions of scatter_indices (shape {ia.shape})")
    clip = mode is GatherScatterMode.CLIP
    w = _windows(name, oa.shape, scatter_indices, index_map, window_dims, tuple(sizes),
                 batching, tuple(dn.scatter_indices_batching_dims), clamp=clip)
    flat_idx = w.flat
    if w.fits is not None:
        # a window that does not fit is sent out of bounds whole, where the wrapper drops it
        mask, kind = _window_mask(w), get_aval(flat_idx).dtype
        known_mask, known_idx = ix._known(mask), ix._known(flat_idx)
        if known_mask is not None and known_idx is not None:
            flat_idx = core.Array(np.where(known_mask, known_idx, -1).astype(kind))
        else:
            flat_idx = ew.select(mask, flat_idx, sh.full(get_aval(mask).shape, -1, kind))
    perm = update_batch + list(window_in_updates)
    upd = sh.transpose(updates, perm) if perm != sorted(perm) else updates
    out = ix.scatter(sh.reshape(operand, (oa.size,)), flat_idx, upd, 0, combine,
                     mode="clip" if clip else "drop", unique_indices=unique_indices)
    return sh.reshape(out, oa.shape)


def _scatter_function(name: str, combine: str, negate: bool = False, doc: str = ""):
    """jax.lax.<name>: XLA's scatter combining the updates by `combine` ("set", "add",
    "mul", "min", "max"); scatter_sub adds the negated updates."""
    def fn(operand, scatter_indices, updates, dimension_numbers, *, indices_are_sorted=False,
           unique_indices=False, mode=None):
        del indices_are_sorted   # a hint only
        if negate:
            updates = jnp.negative(updates)
        return _scatter(name, combine, operand, scatter_indices, updates, dimension_numbers,
                        mode, unique_indices)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc or f"XLA's scatter combining the updates by {combine}, as jax.lax.{name}."
    return fn


scatter = _scatter_function("scatter", "set", doc="XLA's scatter with replacement; with "
                            "repeated indices one of the updates wins.")
scatter_add = _scatter_function("scatter_add", "add")
scatter_sub = _scatter_function("scatter_sub", "add", negate=True)
scatter_mul = _scatter_function("scatter_mul", "mul")
scatter_min = _scatter_function("scatter_min", "min")
scatter_max = _scatter_function("scatter_max", "max")


def index_take(src, idxs, axes):
    """src at one index per axis in `axes` (1-D index arrays, wrapped modulo the axis
    size as jax.lax does): shape (len(idxs[0]),) + the remaining dimensions of src."""
    src = jnp.asarray(src)
    axes = tuple(operator.index(a) for a in axes)
    shape = get_aval(src).shape
    if len(idxs) != len(axes):
        raise ValueError(f"index_take: {len(idxs)} index arrays for {len(axes)} axes")
    cols = [jnp.remainder(jnp.asarray(i), shape[a]) for i, a in zip(idxs, axes)]
    indices = jnp.stack(cols, axis=1)
    dn = GatherDimensionNumbers(offset_dims=tuple(range(1, len(shape) - len(axes) + 1)),
                                collapsed_slice_dims=axes, start_index_map=axes)
    sizes = tuple(1 if d in axes else n for d, n in enumerate(shape))
    return gather(src, indices, dn, sizes)
