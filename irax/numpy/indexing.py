"""irax.numpy indexing: x[...] (basic, integer-array and boolean forms), take, take_along_axis."""
from __future__ import annotations

import builtins
import numpy as np

from ..tracer import core
from ..tracer.core import Array, Tracer, get_aval
from ..tracer.prims import elementwise as ew
from ..tracer.prims import indexing as ix
from ..tracer.prims import shape as sh
from ._core import _axes, _static, asarray
from .elementwise import nonzero
from .shapes import _promote_shapes_only, ravel


def take(a, indices, axis=None, mode=None):
    a = asarray(a)
    if axis is None:
        a, axis = ravel(a), 0
    av = get_aval(a)
    ax = _axes(axis, av.ndim)[0]
    idx = _normalize_index(asarray(indices), av.shape[ax])
    return ix.gather(a, idx, ax)


def take_along_axis(arr, indices, axis):
    arr, indices = asarray(arr), asarray(indices)
    av, iv = get_aval(arr), get_aval(indices)
    if av.ndim != 1 or iv.ndim != 1:
        raise NotImplementedError("take_along_axis supports 1-D arrays here")
    return take(arr, indices, 0)


def _normalize_index(idx, n: int):
    ia = get_aval(idx)
    if ia.dtype.kind not in "iu":
        raise TypeError(f"Indexer must have integer or boolean type, got indexer with type "
                        f"{ia.dtype.name}")
    if ia.dtype.kind == "u":
        return idx
    c = core.concrete_or_none(idx)
    if c is not None and not isinstance(idx, Tracer):
        return Array(np.where(c < 0, c + n, c).astype(ia.dtype))
    zero = sh.full(ia.shape, 0, ia.dtype)
    return ew.select(ew.lt(idx, zero), ew.add(idx, sh.full(ia.shape, n, ia.dtype)), idx)


def _is_int_index(i) -> bool:
    return isinstance(i, (int, np.integer)) and not isinstance(i, (bool, np.bool_))


def getitem(x, idx):
    x = asarray(x)
    if not isinstance(idx, tuple):
        idx = (idx,)
    # boolean masks (concrete only) become integer indices
    new_idx = []
    for i in idx:
        if isinstance(i, (list, np.ndarray)) or (isinstance(i, (Tracer, Array))
                                                 and get_aval(i).dtype == np.bool_):
            arr = asarray(i) if not isinstance(i, (Tracer, Array)) else i
            if get_aval(arr).dtype == np.bool_:
                new_idx.extend(nonzero(arr))
                continue
            new_idx.append(arr)
        else:
            new_idx.append(i)
    idx = tuple(new_idx)
    n_real = builtins.sum(1 for i in idx if i is not None and i is not Ellipsis)
    av = get_aval(x)
    if n_real > av.ndim:
        raise IndexError(f"Too many indices for array: {n_real} non-None/Ellipsis indices for "
                         f"dim {av.ndim}.")
    if builtins.sum(1 for i in idx if i is Ellipsis) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    if Ellipsis in [i for i in idx if not isinstance(i, (Tracer, Array))]:
        k = [j for j, i in enumerate(idx) if i is Ellipsis and not isinstance(i, (Tracer, Array))][0]
        idx = idx[:k] + (slice(None),) * (av.ndim - n_real) + idx[k + 1:]
    else:
        idx = idx + (slice(None),) * (av.ndim - n_real)
    arrays = [i for i in idx if isinstance(i, (Tracer, Array)) and get_aval(i).ndim > 0]
    if len(arrays) > 1:
        return _multi_array_index(x, idx)
    out = x
    axis = 0
    for i in idx:
        oa = get_aval(out)
        if i is None:
            out = sh.expand_dims(out, (axis,))
            axis += 1
        elif isinstance(i, slice):
            out = _slice_axis(out, axis, i)
            axis += 1
        elif _is_int_index(i):
            n = oa.shape[axis]
            k = int(i)
            if not -n <= k < n:
                raise IndexError(f"index {k} is out of bounds for axis {axis} with size {n}")
            k %= n
            start = [0] * oa.ndim
            limit = list(oa.shape)
            start[axis], limit[axis] = k, k + 1
            out = sh.squeeze(sh.slice_(out, start, limit), (axis,))
        elif isinstance(i, (Tracer, Array)):
            ia = get_aval(i)
            if ia.dtype.kind not in "iu":
                raise TypeError(f"Indexer must have integer or boolean type, got indexer with "
                                f"type {ia.dtype.name}")
            out = ix.gather(out, _normalize_index(i, oa.shape[axis]), axis)
            axis += ia.ndim
        else:
            raise TypeError(f"Invalid index of type {type(i).__name__}: {i!r}")
    return out


def _slice_axis(x, axis, s: slice):
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


def _multi_array_index(x, idx):
    """Several integer-array indices: broadcast them and index the flattened axes."""
    xa = get_aval(x)
    positions = [j for j, i in enumerate(idx) if isinstance(i, (Tracer, Array))
                 or _is_int_index(i)]
    if positions != list(range(positions[0], positions[0] + len(positions))) or \
            builtins.any(i is None for i in idx):
        raise NotImplementedError("irax indexing with several integer arrays supports adjacent "
                                  "array indices without None")
    p0 = positions[0]
    arrs = [asarray(idx[j]) for j in positions]
    arrs = [_normalize_index(a, xa.shape[j]) for a, j in zip(arrs, positions)]
    arrs = _promote_shapes_only(*arrs)
    dims = [xa.shape[j] for j in positions]
    flat = arrs[0]
    for a, n in zip(arrs[1:], dims[1:]):
        fa = get_aval(flat)
        a = ew.convert_element_type(a, fa.dtype)
        flat = ew.add(ew.mul(flat, sh.full(fa.shape, n, fa.dtype)), a)
    shape = xa.shape[:p0] + (int(np.prod(dims)),) + xa.shape[p0 + len(positions):]
    xr = sh.reshape(x, shape)
    out = ix.gather(xr, flat, p0)
    rest = tuple(i for j, i in enumerate(idx) if j not in positions)
    if builtins.any(not (isinstance(i, slice) and i == slice(None)) for i in rest):
        raise NotImplementedError("slices combined with several integer-array indices")
    return out
