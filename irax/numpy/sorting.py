"""irax.numpy sorting, searching and order statistics: sort, argsort, lexsort, partition,
searchsorted, digitize, quantile/percentile/median and their nan- forms, unique.

Everything here is built on the one sort primitive (irax/tracer/prims/sort.py), whose
order is NumPy's: NaN after every number, -0.0 equal to 0.0, stable on request. Order
statistics gather from the sorted array, so they differentiate (through the sort's
permutation), batch under vmap and compile under jit like any other primitive program."""
from __future__ import annotations

import operator
from typing import NamedTuple

import numpy as np

from ..tracer import core, dtypes
from ..tracer.core import Array, Tracer, get_aval
from ..tracer.prims import elementwise as ew
from ..tracer.prims import indexing as ix
from ..tracer.prims import reduce as rd
from ..tracer.prims import shape as sh
from ..tracer.prims import sort as so
from ._core import _axes, _axis, _dt, _to_float, asarray
from .elementwise import isnan, where
from .shapes import ravel


def _check_no_kind_order(name: str, kind, order) -> None:
    if kind is not None:
        raise TypeError(f"'kind' argument to {name} is not supported. Use stable=True or "
                        "stable=False to specify sort stability.")
    if order is not None:
        raise TypeError(f"'order' argument to {name} is not supported.")


def _sort_input(a, axis):
    """(array, axis): axis=None sorts the flattened array."""
    a = asarray(a)
    if axis is None:
        return ravel(a), 0
    return a, _axis(axis, get_aval(a).ndim)


def _index_dtype(dtype=None, name: str = "argsort") -> np.dtype:
    dt = _dt(dtype) if dtype is not None else dtypes.default_int()
    if dtypes.kind(dt) not in "iu":
        raise TypeError(f"{name}: dtype must be an integer dtype, got {dt.name}")
    return dt


# ---------------------------------------------------------------------------
# Sorting


def sort(a, axis=-1, *, kind=None, order=None, stable: bool = True, descending: bool = False):
    _check_no_kind_order("sort", kind, order)
    a, axis = _sort_input(a, axis)
    out = so.sort(a, dimension=axis, is_stable=stable)[0]
    return sh.rev(out, (axis,)) if descending else out


def argsort(a, axis=-1, *, kind=None, order=None, stable: bool = True,
            descending: bool = False, dtype=None):
    _check_no_kind_order("argsort", kind, order)
    a, axis = _sort_input(a, axis)
    positions = sh.iota(_index_dtype(dtype), get_aval(a).shape, axis)
    if descending and stable:
        # reversed input, sorted stably, reversed back: equal keys keep their input order
        a, positions = sh.rev(a, (axis,)), sh.rev(positions, (axis,))
    perm = so.sort(a, positions, dimension=axis, is_stable=stable)[1]
    return sh.rev(perm, (axis,)) if descending else perm


def lexsort(keys, axis=-1):
    """Indices sorting by several keys; the LAST key is the primary one (as NumPy)."""
    if isinstance(keys, (Array, Tracer, np.ndarray)):
        arr = asarray(keys)
        if get_aval(arr).ndim == 0:
            raise TypeError("lexsort: keys must be a sequence of arrays or an array of "
                            "ndim >= 1")
        keys = [arr[i] for i in range(get_aval(arr).shape[0])]
    keys = [asarray(k) for k in keys]
    if not keys:
        raise TypeError("need sequence of keys with len > 0 in lexsort")
    shapes = {get_aval(k).shape for k in keys}
    if len(shapes) != 1:
        raise ValueError(f"all keys need to be the same shape, got {sorted(shapes)}")
    shape = shapes.pop()
    axis = _axis(axis, len(shape))
    positions = sh.iota(dtypes.default_int(), shape, axis)
    return so.sort(*keys[::-1], positions, dimension=axis, num_keys=len(keys))[-1]


def _check_kth(name: str, kth, n: int) -> int:
    kth = operator.index(kth)   # a static integer, as JAX requires
    if not -n <= kth < n:
        raise ValueError(f"{name}: kth={kth} is out of bounds for an axis of size {n}")
    return kth


def partition(a, kth, axis=-1):
    """A copy with the kth element in its sorted place, smaller ones before it and larger
    ones after (here: fully sorted along the axis, which satisfies that)."""
    a = asarray(a)
    axis = _axis(axis, get_aval(a).ndim)
    _check_kth("partition", kth, get_aval(a).shape[axis])
    return sort(a, axis)


def argpartition(a, kth, axis=-1):
    a = asarray(a)
    axis = _axis(axis, get_aval(a).ndim)
    _check_kth("argpartition", kth, get_aval(a).shape[axis])
    return argsort(a, axis)


# ---------------------------------------------------------------------------
# Searching


def _before(x, y):
    """x strictly before y in the sort order (NaN after every number)."""
    kind = dtypes.kind(get_aval(x).dtype)
    if kind == "c":
        raise NotImplementedError("searchsorted/digitize of complex values is not supported")
    less = ew.lt_p.bind(x, y)
    if kind != "f":
        return less
    return ew.or_p.bind(less, ew.and_p.bind(ew.not_p.bind(ew.ne_p.bind(x, x)),
                                            ew.ne_p.bind(y, y)))


def searchsorted(a, v, side: str = "left", sorter=None, *, method: str = "scan"):
    """Insertion indices of v into the sorted 1-D array a (side 'left': before equal
    entries, 'right': after them). Computed by comparing every v with every entry of a
    and counting: O(len(a) * v.size) work, no data-dependent control flow."""
    if side not in ("left", "right"):
        raise ValueError(f"{side!r} is an invalid value for keyword 'side'. Expected one of "
                         "['left', 'right'].")
    if method not in ("scan", "scan_unrolled", "sort", "compare_all"):
        raise ValueError(f"{method!r} is an invalid value for keyword 'method'. Expected one "
                         "of ['sort', 'scan', 'scan_unrolled', 'compare_all'].")
    a, v = asarray(a), asarray(v)
    if get_aval(a).ndim != 1:
        raise ValueError(f"a should be 1-dimensional, got shape {get_aval(a).shape}")
    if sorter is not None:
        a = ix.gather(a, asarray(sorter), 0)
    a, v = _promote_dtypes(a, v)
    n, vshape = get_aval(a).shape[0], get_aval(v).shape
    out_dtype = dtypes.default_int()
    grid = (*vshape, n)
    ab = sh.broadcast_in_dim(a, grid, (len(vshape),))
    vb = sh.broadcast_in_dim(v, grid, tuple(range(len(vshape))))
    if side == "left":
        hit = _before(ab, vb)                    # entries strictly before v
    else:
        hit = ew.not_p.bind(_before(vb, ab))     # entries not after v
    return rd.reduce_sum(ew.convert_element_type(hit, out_dtype, False), (len(vshape),))


def _promote_dtypes(x, y):
    dt, _ = dtypes.result_type((get_aval(x).dtype, get_aval(x).weak_type),
                               (get_aval(y).dtype, get_aval(y).weak_type))
    return [ew.convert_element_type(z, dt, False) if get_aval(z).dtype != dt else z
            for z in (x, y)]


def digitize(x, bins, right: bool = False, *, method=None):
    """Index of the bin of each x (NumPy's convention; bins increasing or decreasing)."""
    x, bins = asarray(x), asarray(bins)
    if get_aval(bins).ndim != 1:
        raise ValueError(f"digitize: bins must be a 1-dimensional array, got shape "
                         f"{get_aval(bins).shape}")
    n = get_aval(bins).shape[0]
    if n == 0:
        return sh.full(get_aval(x).shape, 0, dtypes.default_int())
    kw = {} if method is None else {"method": method}
    side = "left" if right else "right"
    increasing = searchsorted(bins, x, side, **kw)
    decreasing = ew.sub(sh.full(get_aval(x).shape, n, dtypes.default_int()),
                        searchsorted(sh.rev(bins, (0,)), x, side, **kw))
    return where(bins[-1] >= bins[0], increasing, decreasing)


# ---------------------------------------------------------------------------
# Order statistics

_METHODS = ("linear", "lower", "higher", "nearest", "midpoint")


def _lerp(lo, hi, t):
    """lo + (hi - lo) * t, evaluated from the nearer end (NumPy's formula, exact at t=1)."""
    diff = ew.sub(hi, lo)
    one = ew.full_like_scalar(t, 1)
    from_lo = ew.add(lo, ew.mul(diff, t))
    from_hi = ew.sub(hi, ew.mul(diff, ew.sub(one, t)))
    return ew.select(ew.ge_p.bind(t, ew.full_like_scalar(t, 0.5)), from_hi, from_lo)


def _quantile(name, a, q, axis, method, keepdims, ignore_nan, out=None, weights=None):
    if out is not None:
        raise NotImplementedError(f"{name}: the out= argument is not supported (irax arrays "
                                  "are immutable); use the returned array")
    if weights is not None:
        raise NotImplementedError(f"{name}: weights= is not supported")
    if method not in _METHODS:
        raise ValueError(f"{name}: method={method!r} is not supported; method can only be "
                         f"one of {', '.join(map(repr, _METHODS))}")
    a = asarray(a)
    if dtypes.kind(get_aval(a).dtype) == "c":
        raise TypeError(f"{name}: complex arrays are not supported")
    a = _to_float(a)
    dt = get_aval(a).dtype
    q = asarray(q)
    if get_aval(q).dtype != dt:
        q = ew.convert_element_type(q, dt, False)
    av, qshape = get_aval(a), get_aval(q).shape
    axes = _axes(axis, av.ndim)
    kept = [d for d in range(av.ndim) if d not in axes]
    kept_shape = tuple(av.shape[d] for d in kept)
    n = int(np.prod([av.shape[d] for d in axes], dtype=np.int64))
    if n == 0:
        raise ValueError(f"{name}: the reduced axes of the array are empty")
    x = sh.reshape(sh.transpose(a, (*kept, *axes)), (*kept_shape, n))
    last = len(kept_shape)
    s = so.sort(x, dimension=last)[0]
    full_shape = (*kept_shape, *qshape)
    if ignore_nan:
        # NaNs sort last: the first `count` entries of each row are its numbers
        count = rd.reduce_sum(ew.convert_element_type(ew.not_p.bind(isnan(x)), dt, False),
                              (last,))
        top = sh.broadcast_in_dim(ew.max_p.bind(ew.sub(count, ew.full_like_scalar(count, 1)),
                                                ew.full_like_scalar(count, 0)),
                                  full_shape, tuple(range(last)))
        qb = sh.broadcast_in_dim(q, full_shape, tuple(range(last, len(full_shape))))
        m = int(np.prod(qshape, dtype=np.int64))

        def take(idx):
            flat = sh.reshape(idx, (*kept_shape, m))
            return sh.reshape(so.take_along_dimension(s, flat, last), full_shape)
    else:
        top = sh.full(qshape, n - 1, dt)
        qb = q

        def take(idx):
            return ix.gather(s, idx, last)
    pos = ew.min_p.bind(ew.max_p.bind(ew.mul(qb, top), ew.full_like_scalar(qb, 0)), top)
    lo_pos = ew.floor_p.bind(pos)
    hi_pos = ew.ceil_p.bind(pos)
    idt = dtypes.default_int()

    def at(p):
        return take(ew.convert_element_type(p, idt, False))
    if method == "lower":
        result = at(lo_pos)
    elif method == "higher":
        result = at(hi_pos)
    elif method == "nearest":
        result = at(ew.round_p.bind(pos))     # ties to the even index, as NumPy
    else:
        lo, hi = at(lo_pos), at(hi_pos)
        if method == "linear":
            t = ew.sub(pos, lo_pos)
        else:   # midpoint: halfway between the neighbours unless pos is an index
            t = ew.select(ew.gt_p.bind(hi_pos, lo_pos), ew.full_like_scalar(pos, 0.5),
                          ew.full_like_scalar(pos, 0))
        if get_aval(t).shape != full_shape:
            t = sh.broadcast_in_dim(t, full_shape, tuple(range(last, len(full_shape))))
        result = _lerp(lo, hi, t)
    if not ignore_nan:   # one NaN makes the whole row's statistics NaN, as NumPy
        nan_row = isnan(ix.gather(s, sh.full((), n - 1, idt), last))
        result = ew.select(sh.broadcast_in_dim(nan_row, full_shape, tuple(range(last))),
                           sh.full(full_shape, np.nan, dt), result)
    # q's dimensions first, then the kept ones (NumPy's layout)
    nq = len(qshape)
    result = sh.transpose(result, (*range(last, last + nq), *range(last)))
    if keepdims:
        result = sh.reshape(result, (*qshape, *(1 if d in axes else av.shape[d]
                                                for d in range(av.ndim))))
    return result


def quantile(a, q, axis=None, out=None, overwrite_input: bool = False, method: str = "linear",
             keepdims: bool = False, *, weights=None):
    return _quantile("quantile", a, q, axis, method, keepdims, False, out, weights)


def nanquantile(a, q, axis=None, out=None, overwrite_input: bool = False,
                method: str = "linear", keepdims: bool = False, *, weights=None):
    return _quantile("nanquantile", a, q, axis, method, keepdims, True, out, weights)


def _percent(q):
    q = _to_float(asarray(q))
    return ew.div(q, ew.full_like_scalar(q, 100))


def percentile(a, q, axis=None, out=None, overwrite_input: bool = False,
               method: str = "linear", keepdims: bool = False, *, weights=None):
    return _quantile("percentile", a, _percent(q), axis, method, keepdims, False, out, weights)


def nanpercentile(a, q, axis=None, out=None, overwrite_input: bool = False,
                  method: str = "linear", keepdims: bool = False, *, weights=None):
    return _quantile("nanpercentile", a, _percent(q), axis, method, keepdims, True, out,
                     weights)


def median(a, axis=None, out=None, overwrite_input: bool = False, keepdims: bool = False):
    return _quantile("median", a, 0.5, axis, "midpoint", keepdims, False, out)


def nanmedian(a, axis=None, out=None, overwrite_input: bool = False, keepdims: bool = False):
    return _quantile("nanmedian", a, 0.5, axis, "midpoint", keepdims, True, out)


# ---------------------------------------------------------------------------
# unique


def _fit(x, size: int, fill):
    """x (1-D) cut or padded with `fill` to length `size`."""
    n = get_aval(x).shape[0]
    if size <= n:
        return sh.slice_(x, (0,), (size,))
    pad = sh.full((size - n,), fill, get_aval(x).dtype)
    return sh.concatenate([x, pad], 0) if n else pad


def unique(ar, return_index: bool = False, return_inverse: bool = False,
           return_counts: bool = False, axis=None, *, equal_nan: bool = True, size=None,
           fill_value=None, sorted: bool = True):  # noqa: A002 (NumPy's name)
    """The sorted unique values of the flattened array (and, on request, the index of each
    one's first occurrence, the inverse map and the counts). The number of unique values
    depends on the data: under jit pass size= (and optionally fill_value=, the value of
    the padding entries; default the smallest unique value), as with JAX."""
    if axis is not None:
        raise NotImplementedError("irax.numpy.unique: axis= is not supported; it works on "
                                  "the flattened array (axis=None)")
    ar = asarray(ar)
    in_shape = get_aval(ar).shape
    x = ravel(ar)
    n = get_aval(x).shape[0]
    idt = dtypes.default_int()
    positions = sh.iota(idt, (n,), 0)
    sx, perm = so.sort(x, positions, dimension=0)
    if n:
        same = ew.eq_p.bind(sh.slice_(sx, (1,), (n,)), sh.slice_(sx, (0,), (n - 1,)))
        if equal_nan and dtypes.kind(get_aval(x).dtype) in "fc":
            both_nan = ew.and_p.bind(isnan(sh.slice_(sx, (1,), (n,))),
                                     isnan(sh.slice_(sx, (0,), (n - 1,))))
            same = ew.or_p.bind(same, both_nan)
        is_first = sh.concatenate([sh.full((1,), True, np.bool_), ew.not_p.bind(same)], 0)
    else:
        is_first = sh.full((0,), True, np.bool_)
    first_flags = ew.convert_element_type(is_first, idt, False)
    num_unique = rd.reduce_sum(first_flags, (0,))
    if size is None:
        concrete = core.concrete_or_none(num_unique)
        if concrete is None:
            raise core.ConcretizationTypeError(
                "irax.numpy.unique: the number of unique values depends on the data, so under "
                "jit (or vmap) pass a static size=... argument (and optionally fill_value=...), "
                "as with jax.numpy.unique.")
        size = int(concrete)
    size = operator.index(size)
    if size < 0:
        raise ValueError(f"irax.numpy.unique: size={size} must be non-negative")
    # sorted positions of the first element of each run, in order (the others after them)
    starts_all = so.sort(ew.not_p.bind(is_first), positions, dimension=0)[1]
    slot = sh.iota(idt, (size,), 0)
    valid = ew.lt(slot, sh.broadcast_in_dim(num_unique, (size,), ()))
    starts = _fit(starts_all, size, 0)
    if n:
        smallest = ix.gather(sx, sh.full((), 0, idt), 0)
        values = ix.gather(sx, starts, 0)
    else:
        smallest = sh.full((), 0, get_aval(x).dtype)
        values = sh.full((size,), 0, get_aval(x).dtype)
    fill = smallest if fill_value is None else ew.convert_element_type(
        asarray(fill_value), get_aval(x).dtype, False)
    values = ew.select(valid, values, sh.broadcast_in_dim(fill, (size,), ()))
    outs = [values]
    if return_index:
        index = ix.gather(perm, starts, 0) if n else sh.full((size,), 0, idt)
        first_index = ix.gather(perm, sh.full((), 0, idt), 0) if n else sh.full((), 0, idt)
        outs.append(ew.select(valid, index, sh.broadcast_in_dim(first_index, (size,), ())))
    if return_inverse:
        group = ew.sub(rd.cumsum(first_flags, 0), sh.full((n,), 1, idt))
        inverse = so.sort(perm, group, dimension=0)[1]    # back to the input order
        outs.append(sh.reshape(inverse, in_shape))
    if return_counts:
        # a run ends where the next one starts (the last one at n)
        upto = sh.full((n,), n, idt)
        later = sh.concatenate([sh.slice_(starts_all, (1,), (n,)), sh.full((1,), n, idt)],
                               0) if n else upto
        has_next = ew.lt(ew.add(positions, sh.full((n,), 1, idt)),
                         sh.broadcast_in_dim(num_unique, (n,), ()))
        counts = ew.sub(ew.select(has_next, later, upto), starts_all)
        counts = _fit(counts, size, 0)
        outs.append(ew.select(valid, counts, sh.full((size,), 0, idt)))
    return outs[0] if len(outs) == 1 else tuple(outs)


class UniqueAllResult(NamedTuple):
    values: Array
    indices: Array
    inverse_indices: Array
    counts: Array


class UniqueCountsResult(NamedTuple):
    values: Array
    counts: Array


class UniqueInverseResult(NamedTuple):
    values: Array
    inverse_indices: Array


def unique_values(x, /, *, size=None, fill_value=None):
    return unique(x, size=size, fill_value=fill_value)


def unique_counts(x, /, *, size=None, fill_value=None):
    return UniqueCountsResult(*unique(x, return_counts=True, size=size, fill_value=fill_value))


def unique_inverse(x, /, *, size=None, fill_value=None):
    return UniqueInverseResult(*unique(x, return_inverse=True, size=size,
                                       fill_value=fill_value))


def unique_all(x, /, *, size=None, fill_value=None):
    return UniqueAllResult(*unique(x, return_index=True, return_inverse=True,
                                   return_counts=True, size=size, fill_value=fill_value))


__all__ = ["argpartition", "argsort", "digitize", "lexsort", "median", "nanmedian",
           "nanpercentile", "nanquantile", "partition", "percentile", "quantile",
           "searchsorted", "sort", "unique", "unique_all", "unique_counts", "unique_inverse",
           "unique_values"]
