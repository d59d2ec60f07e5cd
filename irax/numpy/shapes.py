"""irax.numpy shape manipulation: reshape, transpose, concatenate/stack/split, flips, tiles, diagonals."""
from __future__ import annotations

import builtins
import numpy as np

from ..tracer import core, dtypes
from ..tracer.core import Array, Tracer, get_aval
from ..tracer.prims import elementwise as ew
from ..tracer.prims import indexing as ix
from ..tracer.prims import shape as sh
from ._core import _axes, _axis, _broadcast_shapes, _dt, asarray
from .creation import zeros, zeros_like
from .elementwise import where
from .reductions import sum


def tril(m, k=0):
    m = asarray(m)
    a = get_aval(m)
    mask = Array(np.tri(a.shape[-2], a.shape[-1], k, dtype=bool))
    return where(mask, m, zeros_like(m))


def triu(m, k=0):
    m = asarray(m)
    a = get_aval(m)
    mask = Array(np.tri(a.shape[-2], a.shape[-1], k - 1, dtype=bool))
    return where(mask, zeros_like(m), m)


def _check_order(order: str, what: str) -> None:
    if order == "A":
        raise NotImplementedError(f"irax.numpy.{what} order='A' is not implemented "
                                  "(irax arrays have no memory layout to follow)")
    if order not in ("C", "F"):
        raise ValueError(f"Unexpected value for 'order' argument: {order!r} (expected 'C' "
                         "or 'F')")


def reshape(a, newshape=None, order: str = "C", *, shape=None):
    newshape = shape if shape is not None else newshape
    _check_order(order, "reshape")
    a = asarray(a)
    av = get_aval(a)
    if isinstance(newshape, (int, np.integer)):
        newshape = (int(newshape),)
    newshape = [int(core.concrete_or_none(s) if isinstance(s, (Tracer, Array)) else s)
                for s in newshape]
    # TypeError for bad sizes, as jax.numpy.reshape (its lax.reshape check) raises
    if newshape.count(-1) > 1:
        raise TypeError(f"can only specify one unknown axis size with a -1 value, got "
                        f"{tuple(newshape)}")
    if builtins.any(s < -1 for s in newshape):
        raise TypeError(f"reshape sizes must be non-negative (or one -1), got {tuple(newshape)}")
    if -1 in newshape:
        known = int(np.prod([s for s in newshape if s != -1], dtype=np.int64))
        if known == 0 or av.size % known:
            raise TypeError(f"cannot reshape array of shape {av.shape} (size {av.size}) into "
                            f"shape {tuple(newshape)}")
        newshape[newshape.index(-1)] = av.size // known
    if order == "F":
        # column-major: the reversed-axes array reshaped to the reversed shape, reversed back
        flipped = sh.transpose(a, tuple(reversed(range(av.ndim))))
        out = sh.reshape(flipped, tuple(reversed(newshape)))
        return sh.transpose(out, tuple(reversed(range(len(newshape)))))
    return sh.reshape(a, tuple(newshape))


def ravel(a, order: str = "C"):
    if order == "K":
        raise NotImplementedError("irax.numpy.ravel order='K' is not implemented")
    return reshape(a, (get_aval(asarray(a)).size,), order)


def squeeze(a, axis=None):
    a = asarray(a)
    av = get_aval(a)
    if axis is None:
        dims = tuple(i for i, n in enumerate(av.shape) if n == 1)
    else:
        dims = _axes(axis, av.ndim)
        wrong = [d for d in dims if av.shape[d] != 1]
        if wrong:
            raise ValueError(f"cannot squeeze out axis {wrong[0]} of an array of shape "
                             f"{av.shape}: its size is not 1")
    return sh.squeeze(a, dims)


def expand_dims(a, axis):
    a = asarray(a)
    av = get_aval(a)
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    nd = av.ndim + len(axes)
    norm = sorted(_axis(ax, nd) for ax in axes)
    return sh.expand_dims(a, norm)


def broadcast_arrays(*args):
    return _promote_shapes_only(*args)


def _promote_shapes_only(*args):
    args = [asarray(a) for a in args]
    shape = _broadcast_shapes(*[get_aval(a).shape for a in args])
    return [sh.broadcast_to_rank_shape(a, shape) for a in args]


def transpose(a, axes=None):
    a = asarray(a)
    nd = get_aval(a).ndim
    perm = tuple(reversed(range(nd))) if axes is None else tuple(_axis(ax, nd) for ax in axes)
    if sorted(perm) != list(range(nd)):
        raise TypeError(f"transpose permutation {tuple(axes)} is not a permutation of the axes "
                         f"of an array of dimension {nd}")
    return sh.transpose(a, perm)


def permute_dims(a, axes):
    return transpose(a, axes)


def swapaxes(a, axis1, axis2):
    a = asarray(a)
    nd = get_aval(a).ndim
    perm = list(range(nd))
    i, j = _axis(axis1, nd), _axis(axis2, nd)
    perm[i], perm[j] = perm[j], perm[i]
    return sh.transpose(a, perm)


def moveaxis(a, source, destination):
    a = asarray(a)
    nd = get_aval(a).ndim
    src = [_axis(source, nd)] if isinstance(source, int) else [_axis(s, nd) for s in source]
    dst = [_axis(destination, nd)] if isinstance(destination, int) else \
        [_axis(d, nd) for d in destination]
    if len(src) != len(dst):
        raise ValueError("moveaxis: `source` and `destination` arguments must have the same "
                         "number of elements")
    perm = [i for i in range(nd) if i not in src]
    for d, s in sorted(zip(dst, src)):
        perm.insert(d, s)
    return sh.transpose(a, perm)


def concatenate(arrays, axis: int = 0, dtype=None):
    arrays = [asarray(a) for a in arrays]
    if not arrays:
        raise ValueError("Need at least one array to concatenate.")
    if axis is None:
        arrays = [ravel(a) for a in arrays]
        axis = 0
    dt, weak = dtypes.result_type(*[(get_aval(a).dtype, get_aval(a).weak_type) for a in arrays])
    if dtype is not None:
        dt, weak = _dt(dtype), False
    arrays = [ew.convert_element_type(a, dt, weak) for a in arrays]
    nd = get_aval(arrays[0]).ndim
    if nd == 0:
        raise ValueError("Zero-dimensional arrays cannot be concatenated.")
    return sh.concatenate(arrays, _axes(axis, nd)[0])


def stack(arrays, axis: int = 0, dtype=None):
    arrays = [asarray(a) for a in arrays]
    if not arrays:
        raise ValueError("Need at least one array to stack.")
    shapes = {get_aval(a).shape for a in arrays}
    if len(shapes) != 1:
        raise ValueError(f"All input arrays must have the same shape, got {sorted(shapes)}")
    nd = get_aval(arrays[0]).ndim + 1
    ax = _axis(axis, nd)
    return concatenate([sh.expand_dims(a, (ax,)) for a in arrays], ax, dtype)


def hstack(arrays):
    arrays = [atleast_1d(a) for a in arrays]
    return concatenate(arrays, 0 if get_aval(arrays[0]).ndim == 1 else 1)


def vstack(arrays):
    return concatenate([atleast_2d(a) for a in arrays], 0)


def atleast_1d(a):
    a = asarray(a)
    return sh.reshape(a, (1,)) if get_aval(a).ndim == 0 else a


def atleast_2d(a):
    a = asarray(a)
    nd = get_aval(a).ndim
    return sh.reshape(a, (1,) * (2 - nd) + get_aval(a).shape) if nd < 2 else a


def split(ary, indices_or_sections, axis: int = 0):
    ary = asarray(ary)
    av = get_aval(ary)
    ax = _axes(axis, av.ndim)[0]
    n = av.shape[ax]
    if isinstance(indices_or_sections, (int, np.integer)):
        k = int(indices_or_sections)
        if n % k:
            raise ValueError(f"array split does not result in an equal division: axis of size "
                             f"{n} into {k} sections")
        bounds = [i * (n // k) for i in range(k + 1)]
    else:
        bounds = [0, *[int(i) for i in indices_or_sections], n]
    out = []
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        start = [0] * av.ndim
        limit = list(av.shape)
        start[ax], limit[ax] = builtins.min(lo, n), builtins.min(builtins.max(hi, lo), n)
        out.append(sh.slice_(ary, start, limit))
    return out


def array_split(ary, sections, axis=0):
    return split(ary, sections, axis)


def flip(m, axis=None):
    m = asarray(m)
    return sh.rev(m, _axes(axis, get_aval(m).ndim))


def tile(a, reps):
    a = asarray(a)
    reps = (reps,) if isinstance(reps, int) else tuple(reps)
    av = get_aval(a)
    nd = builtins.max(av.ndim, len(reps))
    a = sh.reshape(a, (1,) * (nd - av.ndim) + av.shape)
    reps = (1,) * (nd - len(reps)) + reps
    shp = get_aval(a).shape
    b = sh.broadcast_in_dim(a, tuple(x for r, s in zip(reps, shp) for x in (r, s)),
                            tuple(2 * i + 1 for i in range(nd)))
    return sh.reshape(b, tuple(r * s for r, s in zip(reps, shp)))


def repeat(a, repeats: int, axis=None):
    a = asarray(a)
    if axis is None:
        a, axis = ravel(a), 0
    av = get_aval(a)
    ax = _axis(axis, av.ndim)
    shp = av.shape
    b = sh.broadcast_in_dim(a, shp[:ax + 1] + (int(repeats),) + shp[ax + 1:],
                            tuple(range(ax + 1)) + tuple(range(ax + 2, av.ndim + 1)))
    return sh.reshape(b, shp[:ax] + (shp[ax] * int(repeats),) + shp[ax + 1:])


def diagonal(a, offset=0, axis1=0, axis2=1):
    a = asarray(a)
    av = get_aval(a)
    if av.ndim != 2 or (axis1, axis2) != (0, 1):
        raise NotImplementedError("irax.numpy.diagonal supports 2-D arrays (axis1=0, axis2=1)")
    n, m = av.shape
    k = builtins.max(0, builtins.min(n, m - offset) if offset >= 0 else builtins.min(n + offset, m))
    rows = Array(np.arange(k, dtype=np.int32) + builtins.max(0, -offset))
    cols = Array(np.arange(k, dtype=np.int32) + builtins.max(0, offset))
    flat = ravel(a)
    return ix.gather(flat, ew.add(ew.mul(rows, sh.full((k,), m, np.int32)), cols), 0)


def diag(v, k=0):
    v = asarray(v)
    av = get_aval(v)
    if av.ndim == 1:
        n = av.shape[0] + builtins.abs(k)
        mask = Array(np.eye(n, n, k, dtype=bool))
        src = pad_1d_for_diag(v, n, k)
        return where(mask, src, zeros((n, n), av.dtype))
    return diagonal(v, k)


def pad_1d_for_diag(v, n, k):
    av = get_aval(v)
    col = sh.broadcast_in_dim(v, (av.shape[0], n), (0,)) if k >= 0 else \
        sh.broadcast_in_dim(v, (n, av.shape[0]), (1,))
    if k >= 0:
        zero = sh.full((), 0, av.dtype)
        return sh.pad(col, zero, ((0, n - av.shape[0], 0), (0, 0, 0)))
    zero = sh.full((), 0, av.dtype)
    return sh.pad(col, zero, ((0, 0, 0), (0, -k, 0)))


def trace(a, offset=0):
    return sum(diagonal(a, offset))
