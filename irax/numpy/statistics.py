"""irax.numpy statistics: NaN-ignoring reductions, cumulative products, ptp, average,
cov/corrcoef, histogram/bincount, interp and trapezoid (the sorting-based ones, median and
quantile, live with sort).

Built from the primitives of the sections before it; nothing here adds a primitive."""
from __future__ import annotations

import builtins
import operator
import numpy as np

from ..tracer import core, dtypes
from ..tracer.core import Array, Tracer, get_aval
from ..tracer.prims import elementwise as ew
from ..tracer.prims import indexing as ix
from ..tracer.prims import shape as sh
from ._core import _axes, _axis, _dt, _promote, _static, _to_float, asarray
from .creation import ones_like, zeros
from .elementwise import (abs, clip, equal, isnan, logical_not, maximum, sqrt, square,
                          subtract, true_divide, where)
from .reductions import all, argmax, argmin, cumsum, max, mean, min, prod, sum
from .shapes import atleast_2d, concatenate, diag, moveaxis, ravel, reshape, squeeze
from .indexing import getitem, take
from .contractions import dot
from .arrayops import _slice_along, _with_axis_size, diff
from .mathfuncs import _promote_inexact


_where = where     # reachable inside functions whose `where=` argument shadows it


def _inexact(a):
    return dtypes.kind(get_aval(a).dtype) in "fc"


# ---------------------------------------------------------------------------
# NaN-ignoring reductions


def _nan_to(a, value):
    return where(isnan(a), ew.full_like_scalar(a, value), a)


def _all_nan_to_nan(a, out, axis, keepdims):
    return where(all(isnan(a), axis, keepdims=keepdims), ew.full_like_scalar(out, np.nan), out)


def nansum(a, axis=None, dtype=None, out=None, keepdims: bool = False, initial=None,
           where=None):
    a = asarray(a)
    if _inexact(a):
        a = _nan_to(a, 0)
    res = sum(a, axis, dtype=dtype, keepdims=keepdims, where=where)
    return res if initial is None else ew.add(*_promote(res, initial))


def nanprod(a, axis=None, dtype=None, out=None, keepdims: bool = False, initial=None,
            where=None):
    a = asarray(a)
    if _inexact(a):
        a = _nan_to(a, 1)
    if where is not None:
        a = _where_fill(a, where, 1)
    res = prod(a, axis, dtype=dtype, keepdims=keepdims)
    return res if initial is None else ew.mul(*_promote(res, initial))


def _where_fill(a, mask, fill):
    return where(mask, a, ew.full_like_scalar(a, fill))


def nanmax(a, axis=None, out=None, keepdims: bool = False, initial=None, where=None):
    a = asarray(a)
    if not _inexact(a):
        return max(a, axis, keepdims=keepdims, initial=initial, where=where)
    res = max(_nan_to(a, -np.inf), axis, keepdims=keepdims, initial=initial, where=where)
    return _all_nan_to_nan(a, res, axis, keepdims)


def nanmin(a, axis=None, out=None, keepdims: bool = False, initial=None, where=None):
    a = asarray(a)
    if not _inexact(a):
        return min(a, axis, keepdims=keepdims, initial=initial, where=where)
    res = min(_nan_to(a, np.inf), axis, keepdims=keepdims, initial=initial, where=where)
    return _all_nan_to_nan(a, res, axis, keepdims)


def _count(a, axis, keepdims, where, dtype):
    present = logical_not(isnan(a))
    if where is not None:
        present = ew.and_p.bind(*_promote(present, asarray(where, np.bool_)))
    return sum(present, axis, dtype=dtype, keepdims=keepdims)


def nanmean(a, axis=None, dtype=None, out=None, keepdims: bool = False, where=None):
    a = asarray(a)
    if not _inexact(a):
        return mean(a, axis, dtype, keepdims=keepdims, where=where)
    dt = _dt(dtype) or get_aval(a).dtype
    total = nansum(a, axis, dtype=dt, keepdims=keepdims, where=where)
    return ew.div(total, _count(a, axis, keepdims, where, dt))


def nanvar(a, axis=None, dtype=None, out=None, ddof: int = 0, keepdims: bool = False,
           where=None, mean=None):
    a = _to_float(asarray(a))
    if dtype is not None:
        a = ew.convert_element_type(a, _dt(dtype), False)
    m = nanmean(a, axis, keepdims=True, where=where) if mean is None else \
        asarray(mean, get_aval(a).dtype)
    # zero the NaN entries after centring so that their gradient is zero, not NaN
    centered = _where(isnan(a), ew.full_like_scalar(a, 0), subtract(a, m))
    total = sum(square(centered), axis, keepdims=keepdims, where=where)
    n = ew.sub(*_promote(_count(a, axis, keepdims, where, get_aval(a).dtype), ddof))
    empty = ew.le_p.bind(n, ew.full_like_scalar(n, 0))
    total = _where(empty, ew.full_like_scalar(total, np.nan), total)
    return ew.div(total, _where(empty, ew.full_like_scalar(n, 1), n))


def nanstd(a, axis=None, dtype=None, out=None, ddof: int = 0, keepdims: bool = False,
           where=None, mean=None):
    return sqrt(nanvar(a, axis, dtype, out, ddof, keepdims, where, mean))


def _nanarg(pick, fill, a, axis, keepdims):
    a = asarray(a)
    keepdims = bool(keepdims)
    if not _inexact(a):
        return pick(a, axis, keepdims=keepdims)
    nan = isnan(a)
    res = pick(_nan_to(a, fill), axis, keepdims=keepdims)
    every = all(nan, axis, keepdims=keepdims)
    return where(every, ew.full_like_scalar(res, -1), res)


def nanargmax(a, axis=None, out=None, keepdims=None):
    return _nanarg(argmax, -np.inf, a, axis, keepdims)


def nanargmin(a, axis=None, out=None, keepdims=None):
    return _nanarg(argmin, np.inf, a, axis, keepdims)


def ptp(a, axis=None, out=None, keepdims: bool = False):
    a = asarray(a)
    return subtract(max(a, axis, keepdims=keepdims), min(a, axis, keepdims=keepdims))


# ---------------------------------------------------------------------------
# cumulative products


def _cumulative_prepare(a, axis, dtype):
    a = asarray(a)
    av = get_aval(a)
    if dtype is not None:
        a = ew.convert_element_type(a, _dt(dtype), False)
    elif av.dtype == np.bool_ or dtypes.kind(av.dtype) in "iu" and av.dtype.itemsize < \
            np.dtype(dtypes.default_int()).itemsize:
        a = ew.convert_element_type(a, dtypes.default_int(), False)
    if axis is None:
        return ravel(a), 0
    return a, _axis(axis, get_aval(a).ndim)


def _cumprod_along(x, axis: int):
    """Inclusive prefix products in log2(n) rounds: round k multiplies each entry by the one
    2**k places before it (Hillis-Steele), so gradients flow through plain multiplies."""
    n = get_aval(x).shape[axis]
    step = 1
    while step < n:
        a = get_aval(x)
        ones = sh.full(_with_axis_size(a.shape, axis, step), 1, a.dtype, a.weak_type)
        shifted = sh.concatenate([ones, _slice_along(x, axis, 0, n - step)], axis)
        x = ew.mul(x, shifted)
        step *= 2
    return x


def cumprod(a, axis=None, dtype=None, out=None):
    x, ax = _cumulative_prepare(a, axis, dtype)
    return _cumprod_along(x, ax)



def nancumsum(a, axis=None, dtype=None, out=None):
    a = asarray(a)
    if _inexact(a):
        a = _nan_to(a, 0)
    return cumsum(a, axis, dtype)


def nancumprod(a, axis=None, dtype=None, out=None):
    a = asarray(a)
    if _inexact(a):
        a = _nan_to(a, 1)
    return cumprod(a, axis, dtype)


# ---------------------------------------------------------------------------
# weighted averages, covariance


def average(a, axis=None, weights=None, returned: bool = False, keepdims: bool = False):
    a = asarray(a)
    nd = get_aval(a).ndim
    axes = _axes(axis, nd)
    if weights is None:
        (a,) = _promote_inexact(a)
        avg = mean(a, axis, keepdims=keepdims)
        n = int(np.prod([get_aval(a).shape[i] for i in axes], dtype=np.int64))
        total = sh.full((), n, get_aval(avg).dtype)
    else:
        a, w = _promote_dtypes_inexact(a, weights)
        if get_aval(w).shape != get_aval(a).shape:
            if axis is None:
                raise ValueError("Axis must be specified when shapes of a and weights differ.")
            want = tuple(get_aval(a).shape[i] for i in axes)
            if get_aval(w).shape != want:
                raise ValueError("Shape of weights must be consistent with shape of a along "
                                 "specified axis.")
            # weights given along the reduced axes only: line them up with those axes of a
            order = np.argsort(axes)
            w = sh.transpose(w, tuple(int(i) for i in order)) if len(axes) > 1 else w
            w = reshape(w, tuple(d if i in axes else 1 for i, d in enumerate(get_aval(a).shape)))
        total = sum(sh.broadcast_to_rank_shape(w, get_aval(a).shape), axis, keepdims=keepdims)
        avg = true_divide(sum(ew.mul(*_promote(a, w)), axis, keepdims=keepdims), total)
    if returned:
        if get_aval(total).shape != get_aval(avg).shape:
            total = sh.broadcast_to_rank_shape(total, get_aval(avg).shape)
        return avg, total
    return avg


def _promote_dtypes_inexact(*xs):
    """Common inexact dtype, shapes left alone."""
    xs = [asarray(x) for x in xs]
    dt, weak = dtypes.result_type(*[(get_aval(x).dtype, get_aval(x).weak_type) for x in xs])
    if dtypes.kind(dt) not in "fc":
        dt = dtypes.default_float()
    return [ew.convert_element_type(x, dt, weak) for x in xs]


def cov(m, y=None, rowvar: bool = True, bias: bool = False, ddof=None, fweights=None,
        aweights=None, dtype=None):
    m = asarray(m)
    if get_aval(m).ndim > 2:
        raise ValueError("m has more than 2 dimensions")
    (X,) = _promote_inexact(atleast_2d(m))
    if not rowvar and get_aval(m).ndim != 1:
        X = sh.transpose(X, (1, 0))
    if get_aval(X).shape[0] == 0:
        return zeros((0, 0), get_aval(X).dtype)
    if y is not None:
        y = asarray(y)
        if get_aval(y).ndim > 2:
            raise ValueError("y has more than 2 dimensions")
        Y = atleast_2d(y)
        if not rowvar and get_aval(Y).shape[0] != 1:
            Y = sh.transpose(Y, (1, 0))
        X = concatenate([X, Y], 0)
    (X,) = _promote_inexact(X)
    k, n = get_aval(X).shape
    if n == 0:
        return sh.full(() if k == 1 else (k, k), np.nan, get_aval(X).dtype)
    if ddof is None:
        ddof = 0 if bias else 1
    w = None
    if fweights is not None:
        fw = asarray(fweights)
        if get_aval(fw).ndim > 1:
            raise RuntimeError("cannot handle multidimensional fweights")
        if get_aval(fw).shape[0] != n:
            raise RuntimeError("incompatible numbers of samples and fweights")
        if dtypes.kind(get_aval(fw).dtype) not in "iu":
            raise TypeError("fweights must be integer.")
        w = abs(fw)
    if aweights is not None:
        aw = asarray(aweights)
        if get_aval(aw).ndim > 1:
            raise RuntimeError("cannot handle multidimensional aweights")
        if get_aval(aw).shape[0] != n:
            raise RuntimeError("incompatible numbers of samples and aweights")
        aw = abs(aw)
        w = aw if w is None else ew.mul(*_promote(w, aw))
    if dtype is not None:
        X = ew.convert_element_type(X, _dt(dtype), False)
    if w is not None:
        X, w = _promote_dtypes_inexact(X, w)
    avg, w_sum = average(X, axis=1, weights=w, returned=True)
    w_sum = getitem(w_sum, 0)
    if w is None:
        f = n - ddof
    elif ddof == 0:
        f = w_sum
    elif aweights is None:
        f = subtract(w_sum, ddof)
    else:
        aw = ew.convert_element_type(aw, get_aval(w).dtype, False)
        f = subtract(w_sum, true_divide(ew.mul(sum(ew.mul(w, aw)), float(ddof)), w_sum))
    X = subtract(X, reshape(avg, (k, 1)))
    XT = sh.transpose(X if w is None else ew.mul(X, sh.broadcast_to_rank_shape(
        reshape(w, (1, n)), (k, n))), (1, 0))
    out = true_divide(dot(X, XT), f)
    return squeeze(out)


def corrcoef(x, y=None, rowvar: bool = True, dtype=None):
    if dtype is not None and not np.issubdtype(_dt(dtype), np.inexact):
        raise ValueError(f"corrcoef: dtype must be a subclass of float or complex; got "
                         f"dtype={dtype}")
    c = cov(x, y, rowvar, dtype=dtype)
    if get_aval(c).ndim == 0:
        return true_divide(c, c)     # nan for 0/0 and inf/inf, 1 otherwise
    d = sqrt(diag(c))
    k = get_aval(d).shape[0]
    c = true_divide(true_divide(c, reshape(d, (k, 1))), reshape(d, (1, k)))
    return clip(c, -1, 1)


# ---------------------------------------------------------------------------
# counting into bins


def _count_below(edges, x, inclusive: bool):
    """For each x, how many edges are < x (or <= x): searchsorted on sorted edges, done by
    comparing every x with every edge (the edges are few)."""
    xs = get_aval(x).shape
    ne = get_aval(edges).shape[0]
    xe = reshape(x, xs + (1,))
    ee = reshape(edges, (1,) * len(xs) + (ne,))
    cmp = ew.le_p.bind(*_promote(ee, xe)) if inclusive else ew.lt(*_promote(ee, xe))
    return sum(cmp, -1, dtype=dtypes.default_int())


def bincount(x, weights=None, minlength: int = 0, *, length=None):
    x = asarray(x)
    if get_aval(x).dtype == np.bool_:
        x = ew.convert_element_type(x, np.dtype(np.int32), False)
    if dtypes.kind(get_aval(x).dtype) not in "iu":
        raise TypeError(f"x argument to bincount must have an integer type; got "
                        f"{get_aval(x).dtype.name}")
    if get_aval(x).ndim != 1:
        raise ValueError("only 1-dimensional input supported.")
    minlength = operator.index(_static(minlength, "bincount minlength"))
    if length is None:
        v = core.concrete_or_none(x)
        if v is None or isinstance(x, Tracer):
            raise core.ConcretizationTypeError(
                "irax.numpy.bincount: the output length depends on the values of x "
                "(x.max() + 1), which are not known under jit/vmap. To avoid this error, "
                "pass a static `length` argument.")
        length = builtins.max(minlength, int(builtins.max(0, v.max())) + 1 if v.size else 0)
    else:
        length = operator.index(_static(length, "bincount length"))
    if weights is None:
        w = sh.full(get_aval(x).shape, 1, dtypes.default_int())
    else:
        w = asarray(weights)
        if get_aval(w).shape != get_aval(x).shape:
            raise ValueError(f"weights of shape {get_aval(w).shape} do not match x of shape "
                             f"{get_aval(x).shape}")
    # negative values count in bin 0 (as JAX); values past the end are dropped
    idx = maximum(x, 0)
    inside = ew.lt(idx, ew.full_like_scalar(idx, length))
    w = where(inside, w, ew.full_like_scalar(w, 0))
    if length == 0:
        return sh.full((0,), 0, get_aval(w).dtype)
    idx = where(inside, idx, ew.full_like_scalar(idx, 0))
    return ix.scatter_add(sh.full((length,), 0, get_aval(w).dtype), idx, w, 0)


def histogram_bin_edges(a, bins=10, range=None, weights=None):
    if isinstance(bins, str):
        raise NotImplementedError("string values for `bins` not implemented.")
    arr = _to_float(asarray(a))
    dt = get_aval(arr).dtype
    if np.ndim(bins) == 1 or isinstance(bins, (Tracer, Array)) and get_aval(bins).ndim == 1:
        return asarray(bins, dt)
    nbins = operator.index(_static(bins, "bins argument of histogram_bin_edges"))
    if range is None:
        lo, hi = min(arr), max(arr)
    else:
        r = asarray(range, dt)
        if get_aval(r).shape != (2,):
            raise ValueError(f"`range` must be either None or a sequence of scalars, got "
                             f"{range!r}")
        lo, hi = getitem(r, 0), getitem(r, 1)
    degenerate = equal(lo, hi)
    lo = where(degenerate, lo - 0.5, lo)
    hi = where(degenerate, hi + 0.5, hi)
    # lo * (1 - t) + hi * t, t = i / nbins: the same rounding as JAX's edges (data on an
    # edge then falls in the same bin)
    t = ew.div(sh.iota(dt, (nbins,), 0), sh.full((nbins,), nbins, dt))
    inner = ew.add(ew.mul(sh.broadcast_to_rank_shape(lo, (nbins,)), ew.sub(
        sh.full((nbins,), 1, dt), t)), ew.mul(sh.broadcast_to_rank_shape(hi, (nbins,)), t))
    return concatenate([inner, reshape(ew.convert_element_type(hi, dt, False), (1,))])


def histogram(a, bins=10, range=None, weights=None, density=None):
    a = asarray(a)
    if weights is None:
        (a,) = _promote_inexact(a)
        w = ones_like(a)
    else:
        w = asarray(weights)
        if get_aval(w).shape != get_aval(a).shape:
            raise ValueError("weights should have the same shape as a.")
        a, w = _promote_dtypes_inexact(a, w)
    edges = histogram_bin_edges(a, bins, range)
    ne = get_aval(edges).shape[0]
    flat, wflat = ravel(a), ravel(w)
    # bin i holds edges[i-1] <= x < edges[i]; the last bin also holds x == edges[-1]
    idx = _count_below(edges, flat, inclusive=True)
    idx = where(equal(flat, getitem(edges, -1)), ew.full_like_scalar(idx, ne - 1), idx)
    # below the first edge: index 0, above the last: index ne; both are sliced off
    counts = ix.scatter_add(sh.full((ne + 1,), 0, get_aval(wflat).dtype), idx, wflat, 0)
    counts = _slice_along(counts, 0, 1, ne)
    if density:
        widths = diff(edges)
        counts = true_divide(true_divide(counts, widths), sum(counts))
    return counts, edges


# ---------------------------------------------------------------------------
# interpolation and integration


def _sort_few(keys, *values):
    """Sort a short 1-D array (and values along with it) without a sort primitive: each
    key's rank is the number of keys before it in sorted order, and a scatter puts it there."""
    n = get_aval(keys).shape[0]
    col, row = reshape(keys, (n, 1)), reshape(keys, (1, n))
    earlier = Array(np.tri(n, n, -1, dtype=bool).T)     # earlier[i, j]: j < i
    before = ew.or_p.bind(ew.lt(*_promote(row, col)),
                          ew.and_p.bind(ew.eq(*_promote(row, col)), earlier))
    rank = sum(before, 1, dtype=dtypes.default_int())
    return [ix.scatter_add(_zeros_1d(v), rank, v, 0) for v in (keys,) + values]


def _zeros_1d(v):
    a = get_aval(v)
    return sh.full(a.shape, 0, a.dtype, a.weak_type)


def interp(x, xp, fp, left=None, right=None, period=None):
    x, xp = _promote_dtypes_inexact(x, xp)
    (fp,) = _promote_dtypes_inexact(fp)
    if get_aval(xp).ndim != 1 or get_aval(fp).ndim != 1:
        raise ValueError("xp and fp must be one-dimensional")
    if get_aval(xp).shape != get_aval(fp).shape:
        raise ValueError("xp and fp must have the same length")
    m = get_aval(xp).shape[0]
    if m == 0:
        raise ValueError("xp and fp must be non-empty")
    for name, v in (("left", left), ("right", right)):
        if isinstance(v, str) and v != "extrapolate":
            raise ValueError(f"the only string value allowed for {name} is 'extrapolate', "
                             f"got {v!r}")
    if period is not None:
        if np.ndim(period) != 0:
            raise ValueError(f"period must be a scalar; got {period!r}")
        if left is not None or right is not None:
            raise ValueError("left and right are not used when period is given")
        period = abs(asarray(period, get_aval(x).dtype))
        x, xp = _mod_period(x, period), _mod_period(xp, period)
        xp, fp = _sort_few(xp, fp)
        # one point beyond each end, from the other end shifted by a period
        xp = concatenate([ew.sub(*_promote(_slice_along(xp, 0, m - 1, m), period)), xp,
                          ew.add(*_promote(_slice_along(xp, 0, 0, 1), period))])
        fp = concatenate([_slice_along(fp, 0, m - 1, m), fp, _slice_along(fp, 0, 0, 1)])
        m += 2
    if m == 1:
        f = sh.broadcast_to_rank_shape(getitem(fp, 0), get_aval(x).shape)
    else:
        # the segment [xp[i-1], xp[i]] holding x: how many xp are <= x, kept in [1, m-1]
        i = clip(_count_below(xp, x, inclusive=True), 1, m - 1)
        x0, x1 = take(xp, i - 1), take(xp, i)
        f0, f1 = take(fp, i - 1), take(fp, i)
        dx = ew.sub(x1, x0)
        eps = float(np.spacing(np.finfo(get_aval(xp).dtype).eps))
        flat = ew.le_p.bind(abs(dx), ew.full_like_scalar(dx, eps))
        t = ew.div(ew.sub(x, x0), where(flat, ew.full_like_scalar(dx, 1), dx))
        f = where(flat, f0, ew.add(*_promote(f0, ew.mul(*_promote(t, ew.sub(f1, f0))))))
    if period is None:
        if left != "extrapolate":
            f = where(ew.lt(*_promote(x, getitem(xp, 0))),
                      getitem(fp, 0) if left is None else left, f)
        if right != "extrapolate":
            f = where(ew.gt(*_promote(x, getitem(xp, m - 1))),
                      getitem(fp, m - 1) if right is None else right, f)
    return f


def _mod_period(x, period):
    """x mod period for floats (period > 0), the result in [0, period)."""
    x, period = _promote(x, period)
    return ew.sub(x, ew.mul(period, ew.floor_p.bind(ew.div(x, period))))


def trapezoid(y, x=None, dx=1.0, axis: int = -1):
    if x is None:
        (y,) = _promote_dtypes_inexact(y)
        d = asarray(dx)
    else:
        y, x = _promote_dtypes_inexact(y, x)
        if get_aval(x).ndim == 1:
            d = diff(x)
        else:
            d = moveaxis(diff(x, axis=axis), axis, -1)
    y = moveaxis(y, axis, -1)
    n = get_aval(y).shape[-1]
    nd = get_aval(y).ndim
    pair_sum = ew.add(_slice_along(y, nd - 1, 1, n), _slice_along(y, nd - 1, 0,
                                                                  builtins.max(n - 1, 0)))
    return ew.mul(*_promote(0.5, sum(ew.mul(*_promote(d, pair_sum)), -1)))
