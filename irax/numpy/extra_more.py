"""The last jax.numpy names (issue #12): insert/delete/append, argwhere and the other
data-dependent selections (size=/fill_value= as in JAX), choose/compress/place/put,
fill_diagonal, fromfunction, gradient, unwrap, index tricks (ix_, r_, c_), nextafter and
spacing, poly/polydiv, resize, trim_zeros, bit packing, isdtype, einsum_path, printing and
host-side I/O (via NumPy), and the uint16/uint64 dtype names.

Everything is composed from the jnp functions of the modules before it; nothing new reaches
the tracer. Set operations and histogram2d/histogramdd are in setops.py.
"""
from __future__ import annotations

import builtins
import math
import operator

import numpy as np

from ..tracer import core, dtypes
from ..tracer.core import Array, get_aval
from ..tracer.prims import bits
from ..tracer.prims import elementwise as ew
from . import _core, creation, elementwise as el, reductions as rd, shapes, indexing
from . import arrayops, mathfuncs, polynomials, sorting, statistics
from ._core import asarray

uint16 = _core._ScalarType(np.uint16)
uint64 = _core._ScalarType(np.uint64)
uint = uint64     # as jnp.uint: NumPy's default unsigned type, narrowed to 32 bits without x64
object_ = np.object_
ComplexWarning = np.exceptions.ComplexWarning


def _shape(x):
    return get_aval(x).shape


def _size(x):
    return math.prod(_shape(x))


def _concrete(x, msg):
    """x's value as NumPy, or JAX's ConcretizationTypeError (with msg) for a traced x."""
    if isinstance(x, (list, tuple)):
        return np.asarray([_concrete(v, msg) for v in x])
    v = core.concrete_or_none(x)
    if v is None:
        raise core.ConcretizationTypeError(
            f"Abstract tracer value encountered where concrete value is expected. {msg}")
    return v


def _same_dtype(*xs, inexact=False):
    """xs promoted to one dtype (not broadcast); with inexact, integers go to the default float."""
    xs = arrayops._promote_dtype_only(*xs)
    return [_core._to_float(x) for x in xs] if inexact else xs


def _no_lists(*positions):
    """As jax.numpy: a list or tuple where an array belongs is a TypeError (positions of the
    array arguments; a slice `obj` is fine)."""
    import functools

    def wrap(f):
        @functools.wraps(f)
        def checked(*args, **kwargs):
            _core.check_arraylike(f.__name__, *[args[i] for i in positions if i < len(args)])
            return f(*args, **kwargs)
        return checked
    return wrap


def _int_index(v):
    return Array(np.asarray(v, dtype=dtypes.default_int()))


# ---------------------------------------------------------------------------
# data-dependent selections: nonzero with size=, argwhere, flatnonzero, compress, extract


def nonzero_sized(a, size=None, fill_value=None, fname="nonzero"):
    """jnp.nonzero with JAX's size=/fill_value=: the first `size` nonzero positions, the rest
    filled (0 unless fill_value, a scalar or one per dimension). Without size the result's shape
    depends on the data, so a traced `a` is a ConcretizationTypeError naming size=."""
    a = asarray(a)
    shape = _shape(a)
    if size is None:
        v = _concrete(a, f"The size argument of irax.numpy.{fname} must be statically specified "
                         f"to use irax.numpy.{fname} within transformations (jit, vmap): "
                         f"pass {fname}(..., size=N).")
        if fill_value is not None:
            raise ValueError(f"irax.numpy.{fname}: fill_value requires size to be specified")
        return tuple(_int_index(i) for i in np.nonzero(v))
    size = operator.index(_concrete(size, f"The size argument of {fname} must be static."))
    if size < 0:
        raise ValueError(f"irax.numpy.{fname}: size={size} must be non-negative")
    ndim = len(shape)
    fills = fill_value if isinstance(fill_value, (tuple, list)) else [fill_value] * ndim
    if len(fills) != ndim:
        raise ValueError(f"fill_value must be a scalar or a tuple of length {ndim}; "
                         f"got {fill_value}")
    fills = [0 if f is None else f for f in fills]
    idt = dtypes.default_int()
    n = math.prod(shape)
    if n == 0:
        return tuple(creation.full((size,), f, idt) for f in fills)
    # a bool a is its own mask: bool -> int -> (!= 0) -> int chains were seen to miscompile
    # on IREE's llvm-cpu (an i1 tensor taken for i32: a compile error or a wrong result)
    nz = a if get_aval(a).dtype == np.bool_ else el.not_equal(a, 0)
    mask = shapes.ravel(nz).astype(idt)
    # As JAX: count the positions by their running count of nonzeros; the running sum of those
    # counts is the position of the (j+1)-th nonzero (n past the last). A scatter-add, not a
    # scatter-set: on llvm-cpu a set-scatter whose dropped updates repeat one spare slot was
    # seen to put an update in the wrong element inside a larger module.
    per_count = statistics.bincount(rd.cumsum(mask), length=size)
    flat = rd.cumsum(per_count).astype(idt)
    found = el.less(flat, n)
    coords = arrayops.unravel_index(el.minimum(flat, n - 1), shape)
    return tuple(el.where(found, c, asarray(f).astype(idt)) for c, f in zip(coords, fills))


@_no_lists(0)
def nonzero(a, *, size=None, fill_value=None):
    return nonzero_sized(a, size, fill_value, "nonzero")


@_no_lists(0)
def argwhere(a, *, size=None, fill_value=None):
    a = asarray(a)
    nz = nonzero_sized(shapes.atleast_1d(a), size, fill_value, "argwhere")
    out = shapes.stack(nz, axis=1)
    return out[:, :0] if len(_shape(a)) == 0 else out


@_no_lists(0)
def flatnonzero(a, *, size=None, fill_value=None):
    return nonzero_sized(shapes.ravel(a), size, fill_value, "flatnonzero")[0]


@_no_lists(0, 1)
def compress(condition, a, axis=None, *, size=None, fill_value=0, out=None):
    if out is not None:
        raise NotImplementedError("The 'out' argument to jnp.compress is not supported.")
    cond = asarray(condition).astype(np.bool_)
    if len(_shape(cond)) != 1:
        raise ValueError("condition must be a 1D array")
    a = asarray(a)
    if axis is None:
        a, axis = shapes.ravel(a), 0
    axis = _core._axis(axis, len(_shape(a)))
    a = shapes.moveaxis(a, axis, 0)
    n, c = _shape(a)[0], _shape(cond)[0]
    if c > n:
        extra = _concrete(cond[n:], "The error arose in compress(): out-of-bounds condition.")
        if extra.any():
            raise ValueError("condition contains entries that are out of bounds")
        cond = cond[:n]
    elif c < n:
        cond = shapes.concatenate([cond, creation.zeros((n - c,), np.bool_)])
    if size is None:
        result = indexing.take(a, nonzero_sized(cond, fname="compress")[0], axis=0)
    else:
        size = operator.index(size)
        if not 0 <= size <= n:
            raise ValueError("size must be positive and not greater than the size of the array "
                             f"axis; got size={size} for a.shape[axis]={n}")
        (idx,) = nonzero_sized(cond, size, 0, "compress")
        kept = el.less(creation.arange(size), rd.sum(cond.astype(dtypes.default_int())))
        kept = shapes.reshape(kept, (size,) + (1,) * (len(_shape(a)) - 1))
        result = el.where(kept, indexing.take(a, idx, axis=0),
                          asarray(fill_value).astype(get_aval(a).dtype))
    return shapes.moveaxis(result, 0, axis)


@_no_lists(0, 1)
def extract(condition, arr, *, size=None, fill_value=0):
    return compress(shapes.ravel(condition), shapes.ravel(arr), size=size, fill_value=fill_value)


def mask_indices(n, mask_func, k=0, *, size=None):
    return nonzero_sized(mask_func(creation.ones((n, n)), k), size, None, "mask_indices")


# ---------------------------------------------------------------------------
# insert, delete, append (static positions: the output shape depends on them)


def _positions(obj, what):
    if isinstance(obj, slice):
        return obj
    return _concrete(obj, f"'obj' argument of irax.numpy.{what}() must be static (concrete).")


def _index_plan(arr, axis, what):
    """arr moved to a flat 1-D layout plus the array of its flat positions in arr's shape."""
    arr = asarray(arr)
    if axis is None:
        arr, axis = shapes.ravel(arr), 0
    axis = _core._axis(axis, len(_shape(arr)))
    return arr, axis, np.arange(_size(arr)).reshape(_shape(arr))


@_no_lists(0, 1)
def delete(arr, obj, axis=None, *, assume_unique_indices=False):
    arr, axis, ids = _index_plan(arr, axis, "delete")
    obj = _positions(obj, "delete")
    if not isinstance(obj, slice) and dtypes.kind(obj.dtype) not in "biu":
        raise IndexError("arrays used as indices must be of integer (or boolean) type")
    try:
        kept = np.delete(ids, obj, axis)    # NumPy decides which elements stay, on their positions
    except IndexError as e:
        raise ValueError(str(e)) from None  # JAX's type for an out-of-range position
    return shapes.reshape(indexing.take(shapes.ravel(arr), _int_index(kept.ravel())), kept.shape)


@_no_lists(0, 1, 2)
def _insert_at_traced(arr, k, values, axis):
    """insert at a traced scalar position k (as JAX allows): lay out [values, arr] along the
    axis statically, then gather each output position from it."""
    if dtypes.kind(get_aval(k).dtype) not in "iu":
        raise IndexError("arrays used as indices must be of integer (or boolean) type")
    n = _shape(arr)[axis]
    front = insert(arr, 0, values, axis)
    m = _shape(front)[axis] - n
    k = el.clip(k, -n, n)
    k = el.where(el.less(k, 0), k + n, k)
    p = creation.arange(n + m, dtype=get_aval(k).dtype)
    src = el.where(el.less(p, k), p + m, el.where(el.less(p, k + m), p - k, p))
    return indexing.take(front, src, axis=axis)


def insert(arr, obj, values, axis=None):
    arr, axis, ids = _index_plan(arr, axis, "insert")
    if (not isinstance(obj, slice) and core.concrete_or_none(obj) is None
            and len(_shape(obj)) == 0):
        return _insert_at_traced(arr, obj, values, axis)
    obj = _positions(obj, "insert")
    values = asarray(values).astype(get_aval(arr).dtype)
    if not isinstance(obj, slice):
        if dtypes.kind(obj.dtype) not in "iu":
            raise ValueError(f"irax.numpy.insert(): index array must be integer typed; got {obj}")
        n = _shape(arr)[axis]
        obj = np.clip(obj, -n, n)    # JAX clips, NumPy raises
    # NumPy lays out the result on positions: >= 0 from arr, -1-k from values' flat element k
    vids = -1 - np.arange(_size(values)).reshape(_shape(values))
    plan = np.insert(ids, obj, vids, axis)
    from_arr = indexing.take(shapes.ravel(arr), _int_index(np.maximum(plan, 0).ravel()))
    if _size(values) == 0:
        return shapes.reshape(from_arr, plan.shape)
    value_ids = (-1 - np.minimum(plan, -1)).ravel()
    from_values = indexing.take(shapes.ravel(values), _int_index(value_ids))
    out = el.where(Array((plan >= 0).ravel()), from_arr, from_values)
    return shapes.reshape(out, plan.shape)


@_no_lists(0, 1)
def append(arr, values, axis=None):
    if axis is None:
        return shapes.concatenate([shapes.ravel(arr), shapes.ravel(values)])
    return shapes.concatenate([asarray(arr), asarray(values)], axis=axis)


@_no_lists(0)
def resize(a, new_shape):
    a = asarray(a)
    new_shape = (new_shape,) if isinstance(new_shape, int) else tuple(new_shape)
    if builtins.any(operator.index(s) < 0 for s in new_shape):
        raise ValueError("all elements of `new_shape` must be non-negative")
    total, flat = math.prod(new_shape), shapes.ravel(a)
    if total == 0 or _size(a) == 0:
        return creation.zeros(new_shape, get_aval(a).dtype)
    reps = -(-total // _size(a))
    return shapes.reshape(shapes.tile(flat, reps)[:total], new_shape)


@_no_lists(0)
def trim_zeros(filt, trim="fb"):
    v = _concrete(filt, "Error arose in the `filt` argument of trim_zeros()")
    if v.ndim != 1:
        # JAX's answer for a non-1-D input: an empty array of that rank
        return creation.zeros((0,) * v.ndim, get_aval(asarray(filt)).dtype)
    nz = np.flatnonzero(v)
    start = (nz[0] if nz.size else v.size) if "f" in trim.lower() else 0
    stop = (nz[-1] + 1 if nz.size else 0) if "b" in trim.lower() else v.size
    return asarray(filt)[start:builtins.max(start, stop)]


# ---------------------------------------------------------------------------
# choose, place, put, fill_diagonal (functional: inplace=True is refused, as in JAX)


def _refuse_inplace(name):
    raise ValueError(f"irax.numpy.{name} cannot modify arrays in-place, because irax arrays are "
                     "immutable. Pass inplace=False to instead return an updated array.")


def _tile_to(v, n):
    return shapes.tile(v, -(-n // _size(v)))[:n] if _size(v) != n else v


@_no_lists(0)
def choose(a, choices, out=None, mode="raise"):
    if out is not None:
        raise NotImplementedError("The 'out' argument to jnp.choose is not supported.")
    a = asarray(a)
    if dtypes.kind(get_aval(a).dtype) not in "iub":
        raise TypeError(f"choose: index array must be integers, got {get_aval(a).dtype}")
    choices = [asarray(c) for c in choices]
    n = len(choices)
    if mode == "raise":
        v = _concrete(a, "The error occurred because jnp.choose was jit-compiled with "
                         "mode='raise'. Use mode='wrap' or mode='clip' instead.")
        if np.any((v < 0) | (v >= n)):
            raise ValueError("invalid entry in choice array")
    elif mode == "wrap":
        a = el.remainder(a, n)
    elif mode == "clip":
        a = el.clip(a, 0, n - 1)
    else:
        raise ValueError(f"mode={mode!r} not understood. Must be 'raise', 'wrap', or 'clip'")
    a, *choices = shapes.broadcast_arrays(a, *choices)
    picked = indexing.take_along_axis(shapes.stack(choices), shapes.expand_dims(a, 0), axis=0)
    return picked[0]


@_no_lists(0, 1, 2)
def place(arr, mask, vals, *, inplace=True):
    data, m, v = asarray(arr), asarray(mask), shapes.ravel(vals)
    if inplace:
        _refuse_inplace("place")
    if _size(data) != _size(m):
        raise ValueError("place: arr and mask must be the same size")
    if _size(v) == 0:
        raise ValueError("Cannot place values from an empty array")
    if _size(data) == 0:
        return data
    # the k-th masked element takes vals[k % len(vals)]: a gather by the running count
    m = shapes.ravel(m if get_aval(m).dtype == np.bool_ else el.not_equal(m, 0))
    k = rd.cumsum(m.astype(dtypes.default_int())) - 1
    v = indexing.take(v.astype(get_aval(data).dtype), el.remainder(el.maximum(k, 0), _size(v)))
    return shapes.reshape(el.where(m, v, shapes.ravel(data)), _shape(data))


@_no_lists(0, 1, 2)
def put(a, ind, v, mode=None, *, inplace=True):
    if inplace:
        _refuse_inplace("put")
    a, ind, v = asarray(a), shapes.ravel(ind), shapes.ravel(v)
    if _size(a) == 0 or _size(ind) == 0 or _size(v) == 0:
        return a
    v = _tile_to(v, _size(ind)).astype(get_aval(a).dtype)
    if mode == "clip":
        ind = el.clip(ind, 0, _size(a) - 1)
    elif mode == "wrap":
        ind = el.remainder(ind, _size(a))
    elif mode == "raise":
        raise NotImplementedError("The 'raise' mode to jnp.put is not supported.")
    elif mode is not None:
        raise ValueError(f"mode should be one of 'wrap' or 'clip'; got mode={mode!r}")
    # mode=None: unravel_index clips out-of-range positions (JAX's behaviour)
    return a.at[arrayops.unravel_index(ind, _shape(a))].set(v)


@_no_lists(0, 1)
def fill_diagonal(a, val, wrap=False, *, inplace=True):
    if inplace:
        raise NotImplementedError("irax arrays are immutable, must use inplace=False")
    if wrap:
        raise NotImplementedError("wrap=True is not implemented, must use wrap=False")
    a = asarray(a)
    shape = _shape(a)
    if len(shape) < 2:
        raise ValueError("array must be at least 2-d")
    if len(shape) > 2 and len(set(shape)) != 1:
        raise ValueError("All dimensions of input must be of equal length")
    n = builtins.min(shape)
    rows = creation.arange(n)
    val = _tile_to(shapes.ravel(val), n).astype(get_aval(a).dtype)
    return a.at[(rows,) * len(shape)].set(val)


# ---------------------------------------------------------------------------
# functions of index grids and of spacing


@_no_lists(1)
def apply_over_axes(func, a, axes):
    a = asarray(a)
    for axis in ([axes] if isinstance(axes, int) else axes):
        b = asarray(func(a, axis))
        if len(_shape(b)) == len(_shape(a)):
            a = b
        elif len(_shape(b)) == len(_shape(a)) - 1:
            a = shapes.expand_dims(b, _core._axis(axis, len(_shape(a))))
        else:
            raise ValueError("function is not returning an array of the correct shape")
    return a


def fromfunction(function, shape, *, dtype=float, **kwargs):
    from ..tracer import api   # vmap: fromfunction calls `function` on scalar indices
    shape = tuple(operator.index(s) for s in shape)
    fn = function
    for i in range(len(shape) - 1, -1, -1):
        fn = api.vmap(fn, in_axes=tuple(0 if j == i else None for j in range(len(shape))))
    return fn(*(creation.arange(s, dtype=dtype) for s in shape), **kwargs)


def _edge_diff(a, h, axis, n, edge_order, lower):
    """One-sided differences at an edge, of first order (JAX's) or NumPy's second order."""
    s = (lambda i, j: arrayops._slice_along(a, axis, i, j))
    if edge_order == 1:
        if lower:
            return (s(1, 2) - s(0, 1)) / (h[1] - h[0])
        return (s(n - 1, n) - s(n - 2, n - 1)) / (h[-1] - h[-2])
    if lower:
        d1, d2 = h[1] - h[0], h[2] - h[1]
        c = (-(2 * d1 + d2) / (d1 * (d1 + d2)), (d1 + d2) / (d1 * d2), -d1 / (d2 * (d1 + d2)))
        return c[0] * s(0, 1) + c[1] * s(1, 2) + c[2] * s(2, 3)
    d1, d2 = h[-2] - h[-3], h[-1] - h[-2]
    c = (d2 / (d1 * (d1 + d2)), -(d2 + d1) / (d1 * d2), (2 * d2 + d1) / (d2 * (d1 + d2)))
    return c[0] * s(n - 3, n - 2) + c[1] * s(n - 2, n - 1) + c[2] * s(n - 1, n)


@_no_lists(0, 1, 2, 3)
def gradient(f, *varargs, axis=None, edge_order=None):
    """Central differences inside, one-sided ones at the edges. edge_order=None or 1 is JAX's
    (first-order edges); edge_order=2 (second-order edges) is NumPy's, which JAX lacks."""
    if edge_order not in (None, 1, 2):
        raise ValueError("'edge_order' greater than 2 not supported")
    order = edge_order or 1
    a, *spacing = _same_dtype(f, *varargs, inexact=True)
    nd = len(_shape(a))
    axes = tuple(range(nd)) if axis is None else tuple(
        _core._axis(i, nd) for i in ((axis,) if isinstance(axis, int) else axis))
    if not axes:
        return []
    if builtins.min(_shape(a)[i] for i in axes) < order + 1:
        raise ValueError("Shape of array too small to calculate a numerical gradient, "
                         f"at least {order + 1} elements are required.")
    if len(spacing) == 0:
        spacing = [asarray(1.0)] * len(axes)
    elif len(spacing) == 1:
        spacing = spacing * len(axes)
    elif len(spacing) != len(axes):
        raise TypeError("Invalid number of spacing arguments")
    outs = []
    for ax, h in zip(axes, spacing):
        n = _shape(a)[ax]
        if len(_shape(h)) == 0:
            h = h * creation.arange(n, dtype=get_aval(h).dtype)   # uniform spacing as coordinates
        elif len(_shape(h)) != 1:
            raise ValueError("Spacing arrays must be 1D arrays or scalars.")
        elif _shape(h)[0] != n:
            raise ValueError("Spacing arrays must have the same length as the dimension along "
                             "which the gradient is calculated.")
        bshape = [1] * nd
        bshape[ax] = n - 2
        d1 = shapes.reshape(h[1:-1] - h[:-2], bshape)
        d2 = shapes.reshape(h[2:] - h[1:-1], bshape)
        s = (lambda i, j: arrayops._slice_along(a, ax, i, j))
        inner = (-d2 / (d1 * (d1 + d2)) * s(0, n - 2) + (d2 - d1) / (d1 * d2) * s(1, n - 1)
                 + d1 / (d2 * (d1 + d2)) * s(2, n))
        outs.append(shapes.concatenate([_edge_diff(a, h, ax, n, order, True), inner,
                                        _edge_diff(a, h, ax, n, order, False)], axis=ax))
    return outs[0] if len(outs) == 1 else outs


@_no_lists(0)
def unwrap(p, discont=None, axis=-1, period=2 * np.pi):
    p = asarray(p)
    if dtypes.kind(get_aval(p).dtype) == "c":
        raise ValueError("jnp.unwrap does not support complex inputs.")
    if _shape(p)[_core._axis(axis, len(_shape(p)))] == 0:
        return _core._promote_inexact(p)[0]
    if discont is None:
        discont = period / 2
    integral = dtypes.kind(get_aval(p).dtype) in "iub" and isinstance(period, int)
    interval = period // 2 if integral else period / 2
    dd = arrayops.diff(p, axis=axis)
    if not integral:
        (dd,) = _core._promote_inexact(dd)
    ddmod = el.remainder(dd + interval, period) - interval
    if integral:
        boundary = interval if period % 2 == 0 else None
    else:
        boundary = interval
    if boundary is not None:
        ddmod = el.where(el.logical_and(el.equal(ddmod, -interval), el.greater(dd, 0)),
                         interval, ddmod)
    correct = el.where(el.less(el.abs(dd), discont), 0, ddmod - dd)
    ax = _core._axis(axis, len(_shape(p)))
    first = arrayops._slice_along(p, ax, 0, 1)
    start = first.astype(get_aval(correct).dtype) if not integral else first
    rest = arrayops._slice_along(p, ax, 1, _shape(p)[ax]) + rd.cumsum(correct, axis=ax)
    return shapes.concatenate([start, rest.astype(get_aval(start).dtype)], axis=ax)


# ---------------------------------------------------------------------------
# floating-point neighbours, polynomials, sorting, bits


@_no_lists(0, 1)
def nextafter(x1, x2, /):
    """The float after x1 toward x2, by stepping x1's bit pattern (as XLA's NextAfter)."""
    x, y = _core._promote_inexact(x1, x2)
    x, y = shapes.broadcast_arrays(x, y)
    dt = get_aval(x).dtype
    if dtypes.kind(dt) == "c":
        raise TypeError("nextafter does not accept complex inputs")
    idt = np.dtype(f"int{dt.itemsize * 8}")
    xb = bits.bitcast_convert_type(x, idt)
    away = el.equal(el.less(x, y), el.greater(x, 0))      # stepping away from zero: bits + 1
    step = el.where(away, xb + 1, xb - 1)
    # from +-0 the step is the smallest subnormal with y's sign
    tiny = el.where(el.less(y, 0), np.iinfo(idt).min + 1, 1).astype(idt)
    step = el.where(el.equal(x, 0), tiny, step)
    out = bits.bitcast_convert_type(step, dt)
    out = el.where(el.equal(x, y), y, out)
    out = el.where(el.logical_or(el.isnan(x), el.isnan(y)), np.nan, out)
    weak = get_aval(x).weak_type and get_aval(y).weak_type     # nextafter(1, 2) stays weak
    return ew.convert_element_type(out, dt, weak)


@_no_lists(0)
def spacing(x, /):
    (x,) = _core._promote_inexact(x)
    if dtypes.kind(get_aval(x).dtype) == "c":
        raise ValueError("spacing is not defined for complex inputs.")
    toward = el.where(el.less(x, 0), -np.inf, np.inf).astype(get_aval(x).dtype)
    return nextafter(x, toward) - x


@_no_lists(0)
def poly(seq_of_zeros):
    seq = shapes.atleast_1d(seq_of_zeros)
    shp = _shape(seq)
    if len(shp) == 2 and shp[0] == shp[1] and shp[0] != 0:
        raise NotImplementedError("poly of a square matrix needs its eigenvalues (eigvals), "
                                  "which irax does not have; pass the roots instead")
    if len(shp) != 1:
        raise ValueError("input must be 1d or non-empty square 2d array.")
    (seq,) = _core._promote_inexact(seq)
    dt = get_aval(seq).dtype
    a = creation.ones((1,), dt)
    for k in range(shp[0]):
        a = polynomials.convolve(a, shapes.stack([asarray(1).astype(dt), -seq[k]]), mode="full")
    return a


@_no_lists(0, 1)
def polydiv(u, v, *, trim_leading_zeros=False):
    u, v = _same_dtype(u, v, inexact=True)
    m, n = _shape(u)[0] - 1, _shape(v)[0] - 1
    scale = 1.0 / v[0]
    q = creation.zeros((builtins.max(m - n + 1, 1),), get_aval(u).dtype)
    r = u
    for k in range(0, m - n + 1):      # long division, one leading coefficient at a time
        d = scale * r[k]
        q = q.at[k].set(d)
        r = r.at[k:k + n + 1].add(-d * v)
    if trim_leading_zeros:
        rv = _concrete(r, "Error arose in the remainder of polydiv(trim_leading_zeros=True)")
        small = np.abs(rv) < np.sqrt(np.finfo(rv.dtype).eps)
        r = r[int(np.argmin(small)):] if not small.all() else r[:0]
    return q, r


@_no_lists(0)
def sort_complex(a):
    a = sorting.sort(a)
    dt = get_aval(a).dtype
    cdt = dt if dtypes.kind(dt) == "c" else \
        np.dtype(np.complex128 if dt == np.float64 else np.complex64)
    return a.astype(dtypes.canonicalize(cdt))


@_no_lists(0)
def bitwise_count(x, /):
    x = asarray(x)
    if dtypes.kind(get_aval(x).dtype) == "b":
        x = x.astype(np.uint8)
    if dtypes.kind(get_aval(x).dtype) not in "iu":
        raise TypeError(f"population_count does not accept dtype {get_aval(x).dtype}. "
                        "Accepted dtypes are subtypes of integer.")
    return bits.population_count(el.abs(x)).astype(np.uint8)   # JAX counts the magnitude's bits


def _bit_weights(bitorder):
    if bitorder not in ("little", "big"):
        raise ValueError("'order' must be either 'little' or 'big'")
    w = np.arange(8, dtype=np.uint8)
    return Array(w[::-1].copy() if bitorder == "big" else w)


@_no_lists(0)
def packbits(a, axis=None, bitorder="big"):
    arr = asarray(a)
    if dtypes.kind(get_aval(arr).dtype) not in "iub":
        raise TypeError("Expected an input array of integer or boolean data type")
    w = _bit_weights(bitorder)
    arr = el.greater(arr, 0).astype(np.uint8)
    if axis is None:
        arr, axis = shapes.ravel(arr), 0
    arr = shapes.swapaxes(arr, axis, -1)
    shp = _shape(arr)
    extra = -shp[-1] % 8
    if extra:
        arr = shapes.concatenate([arr, creation.zeros(shp[:-1] + (extra,), np.uint8)], axis=-1)
    arr = shapes.reshape(arr, shp[:-1] + ((shp[-1] + extra) // 8, 8))
    packed = rd.sum(mathfuncs.left_shift(arr, w), axis=-1).astype(np.uint8)
    return shapes.swapaxes(packed, axis, -1)


@_no_lists(0)
def unpackbits(a, axis=None, count=None, bitorder="big"):
    arr = asarray(a)
    if get_aval(arr).dtype != np.uint8:
        raise TypeError("Expected an input array of unsigned byte data type")
    w = mathfuncs.left_shift(asarray(np.uint8(1)), _bit_weights(bitorder))
    if axis is None:
        arr, axis = shapes.ravel(arr), 0
    arr = shapes.swapaxes(arr, axis, -1)
    out = el.greater(el.bitwise_and(shapes.expand_dims(arr, -1), w), 0).astype(np.uint8)
    out = shapes.reshape(out, _shape(out)[:-2] + (_shape(out)[-2] * 8,))
    if count is not None:
        count = operator.index(count)
        if count > _shape(out)[-1]:
            pad = creation.zeros(_shape(out)[:-1] + (count - _shape(out)[-1],), np.uint8)
            out = shapes.concatenate([out, pad], axis=-1)
        else:
            out = out[..., :count]
    return shapes.swapaxes(out, axis, -1)


_DTYPE_KINDS = {
    "bool": {np.dtype(np.bool_)},
    "signed integer": {np.dtype(t) for t in (np.int8, np.int16, np.int32, np.int64)}
    | set(dtypes.SMALL_SIGNED),
    "unsigned integer": {np.dtype(t) for t in (np.uint8, np.uint16, np.uint32, np.uint64)}
    | set(dtypes.SMALL_UNSIGNED),
    "integral": set(),
    "real floating": {np.dtype(t) for t in (np.float16, np.float32, np.float64)}
    | set(dtypes.CUSTOM_FLOATS),
    "complex floating": {np.dtype(np.complex64), np.dtype(np.complex128)},
}
_DTYPE_KINDS["integral"] |= _DTYPE_KINDS["signed integer"] | _DTYPE_KINDS["unsigned integer"]
_DTYPE_KINDS["numeric"] = (_DTYPE_KINDS["integral"] | _DTYPE_KINDS["real floating"]
                           | _DTYPE_KINDS["complex floating"])


def isdtype(dtype, kind):
    the_dtype = np.dtype(_core._dt(dtype) if isinstance(dtype, _core._ScalarType) else dtype)
    options = set()
    for k in (kind if isinstance(kind, tuple) else (kind,)):
        if isinstance(k, str) and k in _DTYPE_KINDS:
            options |= _DTYPE_KINDS[k]
            continue
        try:
            options.add(np.dtype(k.dtype if isinstance(k, _core._ScalarType) else k))
        except TypeError as e:
            if isinstance(k, str):
                raise ValueError(f"Unrecognized kind={k!r} expected one of "
                                 f"{list(_DTYPE_KINDS)}, or a compatible input for jnp.dtype()")
            raise TypeError(f"Expected kind to be a dtype, string, or tuple; got kind={k!r}") from e
    return the_dtype in options


# ---------------------------------------------------------------------------
# index tricks: ix_, r_, c_


def ix_(*args):
    out = []
    for i, a in enumerate(args):
        a = asarray(a)
        if len(_shape(a)) != 1:
            raise ValueError(f"Arguments to irax.numpy.ix_ must be 1-dimensional, got shape "
                             f"{_shape(a)}")
        if dtypes.kind(get_aval(a).dtype) == "b":
            raise NotImplementedError("Boolean arguments to irax.numpy.ix_ are not implemented")
        shp = [1] * len(args)
        shp[i] = _shape(a)[0]
        out.append(shapes.reshape(a, tuple(shp)))
    return tuple(out)


def _with_ndmin(x, ndmin, trans1d):
    """NumPy's array(x, ndmin=...) then the trans1d placement of x's own axes."""
    nd = len(_shape(x))
    if nd >= ndmin:
        return x
    x = shapes.reshape(x, (1,) * (ndmin - nd) + _shape(x))
    if trans1d != -1:
        k2, k1 = ndmin - nd, trans1d
        if k1 < 0:
            k1 += k2 + 1
        axes = list(range(ndmin))
        x = shapes.transpose(x, axes[:k1] + axes[k2:] + axes[k1:k2])
    return x


class _Concatenator:
    """np.r_ / np.c_: slices become ranges (a complex step is a point count), scalars and
    arrays are joined along an axis; a leading string sets "axis,ndmin,trans1d" or "r"/"c"."""

    def __init__(self, axis, ndmin, trans1d):
        self.axis, self.ndmin, self.trans1d = axis, ndmin, trans1d

    def __getitem__(self, key):
        key = key if isinstance(key, tuple) else (key,)
        axis, ndmin, trans1d, matrix = self.axis, self.ndmin, self.trans1d, None
        if key and isinstance(key[0], str):
            directive, key = key[0], key[1:]
            if directive in ("r", "c"):
                matrix = directive
            else:
                try:
                    vec = [int(v) for v in directive.split(",")]
                except ValueError:
                    raise ValueError(f"could not understand directive {directive!r}") from None
                if not 1 <= len(vec) <= 3:
                    raise ValueError(f"could not understand directive {directive!r}")
                axis, ndmin, trans1d = (vec + [ndmin, trans1d][len(vec) - 1:])[:3]
        items = []
        for item in key:
            if isinstance(item, str):
                raise ValueError("string directive must be placed at the beginning")
            if isinstance(item, slice):
                start = 0 if item.start is None else item.start
                step = 1 if item.step is None else item.step
                if isinstance(step, complex):
                    x = creation.linspace(start, item.stop, int(abs(step)))
                else:
                    x = creation.arange(start, item.stop, step)
            else:
                x = asarray(item)
            items.append(_with_ndmin(x, ndmin, trans1d))
        if not items:
            return creation.zeros((0,), dtypes.default_float())
        out = shapes.concatenate(_same_dtype(*items), axis=axis)
        if matrix is not None:
            out = shapes.atleast_2d(out)
            if matrix == "c":
                out = shapes.transpose(out)
        return out

    def __len__(self):
        return 0


r_ = _Concatenator(0, 1, -1)
c_ = _Concatenator(-1, 2, 0)


# ---------------------------------------------------------------------------
# host-side helpers: einsum_path, printing, I/O through NumPy


def einsum_path(subscripts, /, *operands, optimize="auto"):
    """NumPy's contraction path for these shapes (JAX asks opt_einsum; for the usual cases the
    greedy path is the same), as JAX returns it: (list of pairs, printable description)."""
    if optimize in ("auto", True, "optimize"):
        optimize = "greedy"
    shaped = [np.broadcast_to(np.zeros((), get_aval(asarray(o)).dtype), _shape(asarray(o)))
              for o in operands]
    path, info = np.einsum_path(subscripts, *shaped, optimize=optimize)
    return [tuple(p) for p in path[1:]], info


array_repr, array_str = np.array_repr, np.array_str
get_printoptions, set_printoptions, printoptions = (
    np.get_printoptions, np.set_printoptions, np.printoptions)
save, savez = np.save, np.savez


def load(file, *args, **kwargs):
    out = np.load(file, *args, **kwargs)
    return asarray(out) if isinstance(out, np.ndarray) else out


def frombuffer(buffer, dtype=float, count=-1, offset=0):
    return asarray(np.frombuffer(buffer, dtype=dtype, count=count, offset=offset))


def fromstring(string, dtype=float, count=-1, *, sep):
    return asarray(np.fromstring(string, dtype=dtype, count=count, sep=sep))


def _impure(name):
    def refuse(*args, **kwargs):
        raise NotImplementedError(
            f"irax.numpy.{name}() is not implemented because it may be non-pure and thus unsafe "
            f"for use with jit and other transformations. Consider using "
            f"irax.numpy.asarray(np.{name}(...)) instead.")
    refuse.__name__ = name
    return refuse


fromfile, fromiter = _impure("fromfile"), _impure("fromiter")   # as in JAX


def from_dlpack(x, /, *, device=None, copy=None):
    return asarray(np.from_dlpack(x))


__all__ = [n for n in dir() if not n.startswith("_") and n not in {
    "annotations", "builtins", "math", "operator", "np", "core", "dtypes", "Array", "get_aval",
    "bits", "ew", "creation", "el", "rd", "shapes", "indexing", "arrayops",
    "mathfuncs", "polynomials", "sorting", "statistics", "asarray", "nonzero_sized"}]
