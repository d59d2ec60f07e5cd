"""Set operations on 1-D arrays (intersect1d, setdiff1d, setxor1d, union1d) and the
multi-dimensional histograms (histogram2d, histogramdd), as in JAX (issue #12).

The output length of a set operation depends on the data: without size= the inputs must be
concrete (a ConcretizationTypeError names size= under jit); with size= the first `size`
sorted results come back, padded with fill_value (JAX's defaults: setdiff1d 0; intersect1d
and setxor1d the smallest result, 0 if there is none; union1d the smallest value).
"""
from __future__ import annotations

import builtins
import math

import numpy as np

from ..tracer import dtypes
from ..tracer.core import get_aval
from . import _core, creation, elementwise as el, reductions as rd, shapes, indexing
from . import arrayops, mathfuncs, sorting, statistics
from ._core import asarray
from .extra_more import _no_lists, _concrete, _same_dtype, _int_index, ix_, nonzero_sized


def _flat_pair(ar1, ar2):
    a, b = _same_dtype(ar1, ar2)
    return shapes.ravel(a), shapes.ravel(b)


def _need_size(fname, *arrays):
    """The concrete values of arrays, or a ConcretizationTypeError asking for size=."""
    return [_concrete(a, f"The error arose in {fname}(): its output size depends on the data; "
                         f"under jit pass a static size= (and optionally fill_value=).")
            for a in arrays]


def _static_size(size):
    size = int(_concrete(size, "size must be static"))
    if size < 0:
        raise ValueError(f"size={size} must be non-negative")
    return size


def _first_size(values, mask, size, fill_value):
    """values[mask] (in order), cut or padded to `size`; the default fill is the smallest kept
    value (0 when nothing is kept), as JAX's."""
    n = get_aval(values).shape[0]
    if n == 0:
        return creation.full((size,), 0 if fill_value is None else fill_value,
                             get_aval(values).dtype), creation.zeros((size,), np.bool_), None
    (idx,) = nonzero_sized(mask, size, n, "set operation")
    found = el.less(idx, n)
    picked = indexing.take(values, el.minimum(idx, n - 1))
    if fill_value is None:
        big = rd.max(el.where(found, picked, rd.max(values)))
        fill = rd.min(el.where(found, picked, big))
        fill = el.where(rd.any(found), fill, 0)
    else:
        fill = fill_value
    out = el.where(found, picked, asarray(fill).astype(get_aval(values).dtype))
    return out, found, idx


def _sorted_unique(a):
    """The sorted unique values of 1-D a (padded to len(a)) and which of them are real."""
    n = get_aval(a).shape[0]
    u, counts = sorting.unique(a, return_counts=True, size=n)
    return u, el.greater(counts, 0)


@_no_lists(0, 1)
def union1d(ar1, ar2, *, size=None, fill_value=None):
    a, b = _flat_pair(ar1, ar2)
    if size is None:
        _need_size("union1d", a, b)
    else:
        size = _static_size(size)
    return sorting.unique(shapes.concatenate([a, b]), size=size, fill_value=fill_value)


@_no_lists(0, 1)
def setdiff1d(ar1, ar2, assume_unique=False, *, size=None, fill_value=None):
    a, b = shapes.ravel(asarray(ar1)), shapes.ravel(asarray(ar2))
    if size is None:
        va, vb = _need_size("setdiff1d", a, b)
        return asarray(np.setdiff1d(va, vb, assume_unique)).astype(get_aval(a).dtype)
    size = _static_size(size)
    if get_aval(a).shape[0] == 0:
        return creation.full((size,), 0 if fill_value is None else fill_value, get_aval(a).dtype)
    u, real = _sorted_unique(a)
    keep = el.logical_and(real, mathfuncs.isin(u, b, invert=True))
    return _first_size(u, keep, size, 0 if fill_value is None else fill_value)[0]


@_no_lists(0, 1)
def setxor1d(ar1, ar2, assume_unique=False, *, size=None, fill_value=None):
    a, b = _flat_pair(ar1, ar2)
    if size is None:
        va, vb = _need_size("setxor1d", a, b)
        return asarray(np.setxor1d(va, vb, assume_unique)).astype(get_aval(a).dtype)
    size = _static_size(size)
    ua, ra = _sorted_unique(a)
    ub, rb = _sorted_unique(b)
    in_a = el.logical_and(ra, mathfuncs.isin(ua, b, invert=True))
    in_b = el.logical_and(rb, mathfuncs.isin(ub, a, invert=True))
    both = shapes.concatenate([ua, ub])
    # those of a and those of b are disjoint: sort the kept ones (the others after them)
    key = el.where(shapes.concatenate([in_a, in_b]), 0, 1)
    order = sorting.lexsort((both, key))
    vals, keep = indexing.take(both, order), indexing.take(shapes.concatenate([in_a, in_b]), order)
    return _first_size(vals, keep, size, fill_value)[0]


def _first_index(arr, vals):
    """For each of vals, the position of its first occurrence in 1-D arr."""
    eq = el.equal(shapes.expand_dims(vals, 1), shapes.expand_dims(arr, 0))
    return rd.argmax(eq, axis=1)


@_no_lists(0, 1)
def intersect1d(ar1, ar2, assume_unique=False, return_indices=False, *, size=None,
                fill_value=None):
    a, b = _flat_pair(ar1, ar2)
    if size is None:
        va, vb = _need_size("intersect1d", a, b)
        out = np.intersect1d(va, vb, assume_unique, return_indices)
        if not return_indices:
            return asarray(out).astype(get_aval(a).dtype)
        return (asarray(out[0]).astype(get_aval(a).dtype), _int_index(out[1]), _int_index(out[2]))
    size = _static_size(size)
    n1, n2 = get_aval(a).shape[0], get_aval(b).shape[0]
    if n1 == 0 or n2 == 0:
        vals = creation.full((size,), 0 if fill_value is None else fill_value, get_aval(a).dtype)
        if not return_indices:
            return vals
        return vals, creation.full((size,), n1, np.int32), creation.full((size,), n2, np.int32)
    u, real = _sorted_unique(a)
    keep = el.logical_and(real, mathfuncs.isin(u, b))
    vals, found, _ = _first_size(u, keep, size, fill_value)
    if not return_indices:
        return vals
    idt = dtypes.default_int()
    i1 = el.where(found, _first_index(a, vals).astype(idt), n1)
    i2 = el.where(found, _first_index(b, vals).astype(idt), n2)
    return vals, i1, i2


# ---------------------------------------------------------------------------
# histograms of several variables


@_no_lists(0)
def histogramdd(sample, bins=10, range=None, weights=None, density=None):  # noqa: A002
    sample = asarray(sample)
    if len(get_aval(sample).shape) == 1:
        sample = shapes.reshape(sample, (-1, 1))
    (sample,) = _core._promote_inexact(sample)
    N, D = get_aval(sample).shape
    if weights is not None:
        weights = asarray(weights)
        if get_aval(weights).shape != (N,):
            raise ValueError("should have one weight for each sample.")
    if range is not None and (len(range) != D or builtins.any(
            r is not None and np.shape(r)[0] != 2 for r in range)):
        raise ValueError(f"For sample.shape={(N, D)}, range must be a sequence of {D} pairs or "
                         f"Nones; got range={range}")
    try:
        per_dim = list(bins)
    except TypeError:
        per_dim = [bins] * D
    else:
        if len(per_dim) != D:
            raise ValueError("should be a bin for each dimension.")
    idx_by_dim, edges_by_dim = [], []
    for i in builtins.range(D):
        col = sample[:, i]
        edges = statistics.histogram_bin_edges(col, per_dim[i], None if range is None else range[i],
                                               weights)
        idx = sorting.searchsorted(edges, col, side="right")
        # the last bin also holds values equal to its right edge
        idx = el.where(el.equal(col, edges[-1]), idx - 1, idx)
        idx_by_dim.append(idx)
        edges_by_dim.append(edges)
    nbins = tuple(get_aval(e).shape[0] + 1 for e in edges_by_dim)
    flat = arrayops.ravel_multi_index(tuple(idx_by_dim), nbins, mode="clip")
    hist = statistics.bincount(flat, weights, length=math.prod(nbins))
    hist = shapes.reshape(hist, nbins)[(slice(1, -1),) * D]
    if density:
        hist = hist.astype(get_aval(sample).dtype)
        hist = hist / rd.sum(hist)
        for width in ix_(*[arrayops.diff(e) for e in edges_by_dim]):
            hist = hist / width
    return hist, edges_by_dim


@_no_lists(0, 1)
def histogram2d(x, y, bins=10, range=None, weights=None, density=None):  # noqa: A002
    try:
        n = len(bins)
    except TypeError:
        n = 1
    if n != 1 and n != 2:
        edges = asarray(bins)
        bins = [edges, edges]
    x, y = _same_dtype(x, y)
    hist, edges = histogramdd(shapes.stack([x, y], axis=1), bins, range, weights, density)
    return hist, edges[0], edges[1]


__all__ = ["histogram2d", "histogramdd", "intersect1d", "setdiff1d", "setxor1d", "union1d"]
