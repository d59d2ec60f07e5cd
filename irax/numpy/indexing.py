"""irax.numpy indexing: x[...] (basic, integer-array and boolean forms), take, take_along_axis.

Out-of-bounds indices follow JAX: x[i] wraps a negative index once (NumPy's reading) and then
clamps it into range (x[10] of a length-3 array is x[2], x[-10] is x[0]); mode "fill" (the
default of take and take_along_axis) reads a fill value instead. The index arithmetic is
explicit primitives (see irax.tracer.prims.indexing), so eager, jit and vmap agree and no
compiled program reads outside the array.
"""
from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from ..errors import NonConcreteBooleanIndexError
from ..tracer import core, dtypes
from ..tracer.core import Array, Tracer, get_aval
from ..tracer.prims import elementwise as ew
from ..tracer.prims import indexing as ix
from ..tracer.prims import shape as sh
from ..tracer.prims import slicing as sl
from ._core import _axes, _static, asarray
from .elementwise import nonzero
from .shapes import _promote_shapes_only, ravel

GatherScatterMode = ix.GatherScatterMode


def gather_mode(mode) -> str:
    """irax's gather mode ("clip" or "fill") for a user's mode (None: x[i]'s "clip")."""
    if mode is None:
        return "clip"
    m = GatherScatterMode.from_any(mode)
    if m == GatherScatterMode.ONE_HOT:
        raise NotImplementedError("mode='one_hot' is supported by take_along_axis only")
    return "fill" if m == GatherScatterMode.FILL_OR_DROP else "clip"


def _check_arraylike(name, *args):
    for pos, a in enumerate(args):
        if isinstance(a, (list, tuple)):
            raise TypeError(f"{name} requires ndarray or scalar arguments, got "
                            f"{type(a)} at position {pos}.")


def _wrapped(idx, n: int, wrap: bool):
    return ix.wrap_negative(idx, n) if wrap else ix.as_index(idx)


def take(a, indices, axis=None, out=None, mode=None, unique_indices=False,
         indices_are_sorted=False, fill_value=None):
    """Elements of a at indices along axis. mode None / "fill": negative indices wrap once,
    out-of-bounds ones read fill_value (NaN for floats); "clip": clamp (no wrapping, as
    NumPy's take); "wrap": indices taken modulo the axis size."""
    _check_arraylike("take", a, indices)
    if out is not None:
        raise NotImplementedError("The 'out' argument to jnp.take is not supported.")
    a, indices = asarray(a), asarray(indices)
    if axis is None:
        a, axis = ravel(a), 0
    av = get_aval(a)
    ax = _axes(axis, av.ndim)[0]
    n = av.shape[ax]
    idx = ix.as_index(indices)
    if n == 0:
        if get_aval(idx).size:
            raise IndexError("Cannot do a non-empty jnp.take() from an empty axis.")
        return ix.gather(a, idx, ax)
    if mode is None or mode == "fill":
        return ix.gather(a, ix.wrap_negative(idx, n), ax, "fill", fill_value)
    if mode == "clip":
        return ix.gather(a, idx, ax, "clip")
    if mode == "wrap":
        ia = get_aval(idx)
        size = sh.full(ia.shape, n, ia.dtype)
        # a floor modulo: rem then shift the negative remainders up by n
        r = ew.rem_p.bind(idx, size)
        r = ew.select(ew.lt(r, sh.full(ia.shape, 0, ia.dtype)), ew.add(r, size), r)
        return ix.gather(a, r, ax, "clip")
    if mode == "raise":
        raise NotImplementedError("The 'raise' mode to jnp.take is not supported.")
    raise ValueError(f"Invalid mode '{mode}' for np.take")


def take_along_axis(arr, indices, axis, mode=None, fill_value=None):
    """out[..., j, ...] = arr[..., indices[..., j, ...], ...] along axis (the other axes
    broadcast). mode None / "fill": out-of-bounds indices read fill_value; "one_hot": they
    read 0; "clip": clamp."""
    _check_arraylike("take_along_axis", arr, indices)
    arr, indices = asarray(arr), asarray(indices)
    av, iv = get_aval(arr), get_aval(indices)
    if axis is None:
        if iv.ndim != 1:
            raise ValueError("take_along_axis with axis=None needs 1-D indices, got "
                             f"shape {iv.shape}")
        arr, av, axis = ravel(arr), get_aval(ravel(arr)), 0
    if iv.ndim != av.ndim:
        raise ValueError(f"indices and arr must have the same number of dimensions; "
                         f"{iv.ndim} vs. {av.ndim}")
    ax = _axes(axis, av.ndim)[0]
    if mode is not None and GatherScatterMode.from_any(mode) == GatherScatterMode.ONE_HOT:
        mode, fill_value = "fill", 0
    # every other axis indexed by its own position (broadcast), this one by `indices`
    index = []
    for d in range(av.ndim):
        if d == ax:
            index.append(indices)
        else:
            shape = [1] * av.ndim
            shape[d] = av.shape[d]
            index.append(sh.reshape(sh.iota(np.int32, (av.shape[d],), 0), shape))
    return _advanced(arr, [("adv", i) for i in index], "fill" if mode is None else
                     gather_mode(mode), fill_value, True)


def _is_int_index(i) -> bool:
    return isinstance(i, (int, np.integer)) and not isinstance(i, (bool, np.bool_))


def _is_array(i) -> bool:
    return isinstance(i, (Tracer, Array))


def getitem(x, idx, mode=None, fill_value=None, wrap_negative_indices=True):
    """x[idx] with JAX's rules; mode None / "clip": out-of-bounds indices clamp, "fill":
    they read fill_value. (x.at[idx].get(...) passes its mode here.)"""
    x = asarray(x)
    user_mode, mode = mode, gather_mode(mode)
    if isinstance(idx, list):
        raise TypeError("Using a non-tuple sequence for multidimensional indexing is not "
                        "allowed; use `arr[array(seq)]` instead of `arr[seq]`.")
    if not isinstance(idx, tuple):
        idx = (idx,)
    entries = _expand(x, idx)
    kinds = [_kind(i) for i in entries]
    if user_mode is None and wrap_negative_indices:
        out = _as_slice(x, entries)
        if out is not None:
            return out
    adv = [j for j, k in enumerate(kinds) if k == "adv"]
    n_arrays = builtins.sum(1 for j in adv if get_aval(entries[j]).ndim > 0)
    adjacent = adv == list(range(adv[0], adv[0] + len(adv))) if adv else True
    tagged = list(zip(kinds, entries))
    if n_arrays == 0 or (n_arrays == 1 and adjacent):
        return _one_by_one(x, tagged, mode, fill_value, wrap_negative_indices)
    return _advanced(x, tagged, mode, fill_value, wrap_negative_indices)


def _scalar_int_index(i) -> bool:
    return _is_array(i) and get_aval(i).shape == () and get_aval(i).dtype == np.int32


def _as_slice(x, entries):
    """x[entries] as JAX 0.10 writes an index of ints, slices, None and scalar int32 arrays
    (in bounds, for the static ints): a slice (a dynamic_slice if an index is traced), rev
    for negative steps, squeeze for the int axes, broadcast_in_dim for the None ones; None
    when the index is of another kind (the general path then handles it)."""
    xa = get_aval(x)
    real = [i for i in entries if i is not None]
    dynamic = any(_is_array(i) for i in real)
    for i, n in zip(real, xa.shape):
        ok = (isinstance(i, slice) and not (dynamic and i.step not in (None, 1, -1))) \
            or (_is_int_index(i) and -n <= i < n) or _scalar_int_index(i)
        if not ok:
            return None
    if any(isinstance(i, slice) and isinstance(v, (Tracer, Array))
           for i in real if isinstance(i, slice) for v in (i.start, i.stop, i.step)):
        return None
    starts, limits, strides, sizes, reversed_axes, int_axes = [], [], [], [], [], []
    for axis, (i, n) in enumerate(zip(real, xa.shape)):
        if isinstance(i, slice):
            start, stop, step = i.indices(n)
            length = len(range(start, stop, step))
            if step < 0:   # the same elements, read upwards, then reversed
                reversed_axes.append(axis)
                start, step = (start + (length - 1) * step if length else 0), -step
            starts.append(start)
            limits.append(start + (length - 1) * step + 1 if length else start)
            strides.append(step)
            sizes.append(length)
        else:
            int_axes.append(axis)
            starts.append(i + n if _is_int_index(i) and i < 0 else i)
            limits.append(starts[-1] + 1 if _is_int_index(i) else None)
            strides.append(1)
            sizes.append(1)
    if dynamic:   # every start wrapped as JAX's dynamic_slice index is, constants included
        idx = []
        for start, n in zip(starts, xa.shape):
            start = start if _is_array(start) else Array(np.asarray(start, np.int32))
            dt = get_aval(start).dtype
            negative = ew.lt(start, Array(np.asarray(0, dt)))
            wrapped = ew.add(start, Array(np.asarray(n, dt)))
            idx.append(ew.select(negative, wrapped, start))
        out = sl.dynamic_slice_p.bind(x, *idx, slice_sizes=tuple(sizes))
    else:
        out = sh.slice_(x, starts, limits, strides)
    out = sh.rev(out, reversed_axes)
    out = sh.squeeze(out, int_axes)
    kept = [j for j, i in enumerate(e for e in entries if not _is_int_index(e)
                                    and not _scalar_int_index(e)) if i is not None]
    shape = [1] * (len(kept) + builtins.sum(1 for i in entries if i is None))
    for j, n in zip(kept, get_aval(out).shape):
        shape[j] = n
    return sh.broadcast_in_dim(out, shape, kept)


def _expand(x, idx) -> list:
    """The index as a list covering every axis: arrays for sequences, integer arrays for
    boolean masks (concrete only), Ellipsis and the missing trailing axes as full slices."""
    out = []
    for i in idx:
        if isinstance(i, (list, np.ndarray)) or (_is_array(i) and get_aval(i).dtype == np.bool_):
            arr = i if _is_array(i) else asarray(i)
            if get_aval(arr).dtype == np.bool_:
                if _is_array(arr) and core.concrete_or_none(arr) is None:
                    raise NonConcreteBooleanIndexError(get_aval(arr))
                out.extend(nonzero(arr))
                continue
            out.append(arr)
        elif isinstance(i, np.integer):
            out.append(int(i))
        elif isinstance(i, str):
            raise TypeError(f"irax does not support string indexing; got idx={i!r}")
        else:
            out.append(i)
    n_real = builtins.sum(1 for i in out if i is not None and i is not Ellipsis)
    ndim = get_aval(x).ndim
    if n_real > ndim:
        raise IndexError(f"Too many indices for array: {n_real} non-None/Ellipsis indices for "
                         f"dim {ndim}.")
    ellipses = [j for j, i in enumerate(out) if i is Ellipsis]
    if len(ellipses) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    fill = [slice(None)] * (ndim - n_real)
    if ellipses:
        k = ellipses[0]
        return out[:k] + fill + out[k + 1:]
    return out + fill


class Slice:
    """`size` elements from `start`, `stride` apart (jax.ds / jax.numpy's dynamic slice):
    `start` may be traced, `size` and `stride` are static. As in JAX, a unit-stride window
    (a negative start wrapped once) is clamped to lie in bounds (lax.dynamic_slice), a
    strided one clamps each index."""

    __slots__ = ("start", "size", "stride")

    def __init__(self, start: Any, size: int, stride: int = 1) -> None:
        if stride < 0:
            raise ValueError("`stride` must be >= 0.")
        self.start, self.size, self.stride = start, size, stride

    def __repr__(self) -> str:
        return f"Slice(start={self.start}, size={self.size}, stride={self.stride})"


def ds(start: Any, size: Any = None, stride: int | None = None) -> slice | Slice:
    """jax.ds: ds(None) is `:`, ds(j) is `:j`, ds(i, n) is `i:i+n` with i possibly traced,
    ds(i, n, k) takes every k-th of n elements from i."""
    if start is None:
        return slice(None)
    if stride is None:
        stride = 1
    if not isinstance(stride, int):
        raise ValueError("Non-static stride in `dslice`")
    if size is None:
        start, size = 0, start
    return Slice(start, size, stride)


def _dynamic_slice_axis(x, axis: int, s: Slice):
    xa = get_aval(x)
    size = _static(s.size, "the size of a dynamic slice (ds)") if _is_array(s.size) else s.size
    if not _is_int_index(size) or size < 0:
        raise TypeError(f"a dynamic slice needs a static non-negative int size, got {size!r}")
    start = _int_array(s.start) if _is_int_index(s.start) else s.start
    if get_aval(start).shape != () or get_aval(start).dtype.kind not in "iu":
        raise TypeError(f"a dynamic slice start must be an integer scalar, got {s.start!r}")
    start = ew.convert_element_type(start, np.dtype(np.int32))
    if s.stride == 1:   # a negative start counts from the end once (as x[i]), as in JAX
        start = _wrapped(start, xa.shape[axis], True)
        zero = _int_array(0)
        starts = [start if d == axis else zero for d in range(xa.ndim)]
        sizes = tuple(size if d == axis else n for d, n in enumerate(xa.shape))
        return sl.dynamic_slice_p.bind(x, *starts, slice_sizes=sizes)
    steps = Array(np.arange(size, dtype=np.int32) * np.int32(s.stride))
    idx = ew.add(sh.broadcast_in_dim(start, (size,), ()), steps)
    return ix.gather(x, idx, axis, "clip")


def _kind(i) -> str:
    if i is None:
        return "none"
    if isinstance(i, (slice, Slice)):
        return "slice"
    if _is_int_index(i):
        return "adv"
    if _is_array(i):
        if dtypes.kind(get_aval(i).dtype) not in "iu":
            raise TypeError(f"Indexer must have integer or boolean type, got indexer with type "
                            f"{get_aval(i).dtype.name}")
        return "adv"
    raise TypeError(f"Invalid index of type {type(i).__name__}: {i!r}")


def _int_array(k: int):
    """A static int as an int32 index (beyond int32 it is out of bounds either way)."""
    info = np.iinfo(np.int32)
    return Array(np.asarray(builtins.min(builtins.max(k, info.min), info.max), np.int32))


def _empty_axis(axis, n):
    return IndexError(f"index is out of bounds for axis {axis} with size {n}")


def _one_by_one(x, tagged, mode, fill_value, wrap):
    """Each index on its own axis in turn: slices and ints statically, arrays by a gather
    (right when at most one index is a non-scalar array, or the arrays are adjacent)."""
    out, axis = x, 0
    for kind, i in tagged:
        oa = get_aval(out)
        if kind == "none":
            out = sh.expand_dims(out, (axis,))
            axis += 1
        elif kind == "slice":
            out = _slice_axis(out, axis, i)
            axis += 1
        elif _is_int_index(i):
            n = oa.shape[axis]
            if n == 0:
                raise _empty_axis(axis, n)
            k = i + n if (wrap and i < 0) else i
            if mode == "fill" and not 0 <= k < n:     # the whole result reads fill_value
                out = ix.gather(out, _int_array(k), axis, "fill", fill_value)
                continue
            k = builtins.min(builtins.max(k, 0), n - 1)
            start, limit = [0] * oa.ndim, list(oa.shape)
            start[axis], limit[axis] = k, k + 1
            out = sh.squeeze(sh.slice_(out, start, limit), (axis,))
        else:
            n = oa.shape[axis]
            out = ix.gather(out, _wrapped(i, n, wrap), axis, mode, fill_value)
            axis += get_aval(i).ndim
    return out


def _slice_axis(x, axis, s: slice | Slice):
    if isinstance(s, Slice):
        return _dynamic_slice_axis(x, axis, s)
    xa = get_aval(x)
    n = xa.shape[axis]
    start, stop, step = (_static(v, "slicing") if isinstance(v, (Tracer, Array)) else v
                         for v in (s.start, s.stop, s.step))
    start, stop, step = slice(start, stop, step).indices(n)
    length = len(range(start, stop, step))
    if step < 0:
        x = sh.rev(x, (axis,))
        start = n - 1 - start
        step = -step
    lo = [0] * xa.ndim
    hi = list(xa.shape)
    st = [1] * xa.ndim
    lo[axis] = start
    hi[axis] = start + (length - 1) * step + 1 if length > 0 else start
    st[axis] = step
    return sh.slice_(x, lo, hi, st)


def _advanced(x, tagged, mode, fill_value, wrap):
    """NumPy's advanced indexing: the integer arrays (and ints) broadcast together and index
    their axes jointly. Their result axes replace them in place when they are adjacent, and
    come first otherwise. Each index is bounded on its own axis (wrapped, clamped; in "fill"
    mode an index out of bounds on any axis fills that result element) before the flattened
    gather, so an out-of-range index can never land on another row."""
    # slices and None first, leaving one axis per advanced index
    out, axis, adv_axes, adv = x, 0, [], []
    for kind, i in tagged:
        if kind == "none":
            out = sh.expand_dims(out, (axis,))
        elif kind == "slice":
            out = _slice_axis(out, axis, i)
        else:
            adv_axes.append(axis)
            adv.append(i)
        axis += 1
    oa = get_aval(out)
    dims = [oa.shape[a] for a in adv_axes]
    arrays = []
    for i, n in zip(adv, dims):
        i = _int_array(i) if _is_int_index(i) else i
        arrays.append(_wrapped(i, n, wrap))
    wide = np.dtype(np.int64) if builtins.any(get_aval(a).dtype.itemsize == 8 for a in arrays) \
        else np.dtype(np.int32)
    arrays = [ew.convert_element_type(a, wide) if get_aval(a).dtype != wide else a
              for a in arrays]
    arrays = _promote_shapes_only(*arrays)
    bshape = get_aval(arrays[0]).shape
    valid = None
    if mode == "fill":
        for a, n in zip(arrays, dims):
            v = ix.in_bounds(a, n)
            valid = v if valid is None else ew.and_p.bind(valid, v)
    # flat position over the advanced axes (row-major), each index clamped on its own axis
    flat = None
    for a, n in zip(arrays, dims):
        a = ix.clamp_index(a, 0, builtins.max(n - 1, 0))
        flat = a if flat is None else ew.add(ew.mul(flat, sh.full(bshape, n, wide)), a)
    rest = [d for d in range(oa.ndim) if d not in adv_axes]
    moved = sh.transpose(out, tuple(adv_axes + rest))
    total = int(np.prod(dims, dtype=np.int64))
    gathered = ix.gather(sh.reshape(moved, (total, *[oa.shape[d] for d in rest])), flat, 0)
    ga = get_aval(gathered)
    if valid is not None:
        if fill_value is None:
            fill_value = ix.default_fill_value(oa.dtype)
        mask = sh.broadcast_in_dim(valid, ga.shape, tuple(range(len(bshape))))
        gathered = ew.select(mask, gathered, sh.full(ga.shape, fill_value, oa.dtype,
                                                      oa.weak_type))
    adjacent = adv_axes == list(range(adv_axes[0], adv_axes[0] + len(adv_axes)))
    if not adjacent or adv_axes[0] == 0:
        return gathered
    # move the broadcast axes to where the (adjacent) advanced indices stood
    nb, k = len(bshape), adv_axes[0]
    perm = list(range(nb, nb + k)) + list(range(nb)) + list(range(nb + k, ga.ndim))
    return sh.transpose(gathered, tuple(perm))
