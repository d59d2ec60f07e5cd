"""irax.numpy array manipulation extras: roll, rot90, fliplr/flipud, grids (meshgrid,
mgrid, ogrid, indices), differences, kron, cross, block and the stack/split variants, index
arithmetic (tril/triu/diag indices, unravel/ravel_multi_index), put_along_axis,
apply_along_axis, vectorize. (pad is in padding.py, which builds on the helpers here.)

Built from the primitives of the sections before it; nothing here adds a primitive."""
from __future__ import annotations

import builtins
import functools
import math
import operator
import re
import numpy as np

from ..tracer import api, core, dtypes
from ..tracer.core import Array, Tracer, get_aval
from ..tracer.prims import elementwise as ew
from ..tracer.prims import shape as sh
from ..tracer.prims import slicing
from ._core import _axis, _broadcast_shapes, _dt, _promote, _static, asarray, broadcast_to
from .creation import arange, linspace, zeros_like
from .elementwise import clip, multiply, not_equal, remainder, subtract, where
from .shapes import (concatenate, expand_dims, flip, moveaxis, ravel, reshape, split, stack,
                     swapaxes, vstack)
from .indexing import getitem


def _slice_along(x, axis: int, start: int, stop: int):
    a = get_aval(x)
    lo, hi = [0] * a.ndim, list(a.shape)
    lo[axis], hi[axis] = start, stop
    return sh.slice_(x, lo, hi)


def _with_axis_size(shape, axis: int, n: int):
    shape = list(shape)
    shape[axis] = n
    return tuple(shape)


# ---------------------------------------------------------------------------
# rolls, rotations, flips


def _roll_static(x, shift: int, axis: int):
    n = get_aval(x).shape[axis]
    if n == 0:
        return x
    s = shift % n
    if s == 0:
        return x
    return sh.concatenate([_slice_along(x, axis, n - s, n), _slice_along(x, axis, 0, n - s)],
                          axis)


def _roll_traced(x, shift, axis: int):
    a = get_aval(x)
    n = a.shape[axis]
    if n == 0:
        return x
    shift = ew.convert_element_type(shift, dtypes.default_int(), False)
    start = remainder(ew.sub(ew.full_like_scalar(shift, n), remainder(shift, n)), n)
    doubled = sh.concatenate([x, x], axis)
    zero = sh.full((), 0, get_aval(start).dtype)
    starts = [start if i == axis else zero for i in range(a.ndim)]
    return slicing.dynamic_slice_p.bind(doubled, *starts, slice_sizes=a.shape)


def roll(a, shift, axis=None):
    x = asarray(a)
    if axis is None:
        shape = get_aval(x).shape
        return reshape(roll(ravel(x), shift, 0), shape)
    nd = get_aval(x).ndim
    axes = np.atleast_1d(np.asarray(axis))
    concrete = core.concrete_or_none(shift)
    static = concrete is not None and not isinstance(shift, Tracer)
    n_shift = np.size(concrete) if static else get_aval(asarray(shift)).size
    shift_ndim = np.ndim(concrete) if static else get_aval(asarray(shift)).ndim
    # shifts and axes pair up NumPy-style: one may be a single value for all of the other
    if shift_ndim > 1 or axes.ndim > 1 or (n_shift != len(axes) and 1 not in (n_shift, len(axes))):
        raise ValueError(f"roll: shift {shift!r} and axis {axis!r} do not pair up (give one "
                         "shift per axis, or a single shift or axis)")
    count = builtins.max(n_shift, len(axes))
    axes = [_axis(int(ax), nd) for ax in np.broadcast_to(axes, (count,))]
    if static:
        for s, ax in zip(np.broadcast_to(np.asarray(concrete).astype(np.int64), (count,)), axes):
            x = _roll_static(x, int(s), ax)
        return x
    shift = asarray(shift)
    if dtypes.kind(get_aval(shift).dtype) not in "iu":
        raise TypeError(f"roll: shift must be integers, got {get_aval(shift).dtype.name}")
    for i, ax in enumerate(axes):
        s = shift if shift_ndim == 0 else getitem(shift, i if n_shift > 1 else 0)
        x = _roll_traced(x, s, ax)
    return x


def rot90(m, k: int = 1, axes=(0, 1)):
    m = asarray(m)
    nd = get_aval(m).ndim
    axes = tuple(axes)
    if len(axes) != 2:
        raise ValueError("len(axes) must be 2.")
    if nd < 2:
        raise ValueError(f"rot90 requires an array of at least 2 dimensions, got {nd}")
    a0, a1 = _axis(axes[0], nd), _axis(axes[1], nd)
    if a0 == a1:
        raise ValueError("Axes must be different.")
    k = operator.index(_static(k, "irax.numpy.rot90 k")) % 4
    if k == 0:
        return m
    if k == 2:
        return flip(flip(m, a0), a1)
    if k == 1:
        return swapaxes(flip(m, a1), a0, a1)
    return flip(swapaxes(m, a0, a1), a1)


def fliplr(m):
    m = asarray(m)
    if get_aval(m).ndim < 2:
        raise ValueError("fliplr requires an array of at least 2 dimensions, got "
                         f"{get_aval(m).ndim}")
    return flip(m, 1)


def flipud(m):
    m = asarray(m)
    if get_aval(m).ndim < 1:
        raise ValueError("flipud requires an array of at least 1 dimension, got 0")
    return flip(m, 0)


# ---------------------------------------------------------------------------
# grids


def meshgrid(*xi, copy: bool = True, sparse: bool = False, indexing: str = "xy"):
    if indexing not in ("xy", "ij"):
        raise ValueError(f"Valid values for indexing are 'xy' and 'ij', got {indexing!r}")
    args = [asarray(x) for x in xi]
    if builtins.any(get_aval(x).ndim != 1 for x in args):
        raise ValueError("Arguments to irax.numpy.meshgrid must be 1D, got shapes "
                         f"{[get_aval(x).shape for x in args]}")
    sizes = [get_aval(x).shape[0] for x in args]
    # 'xy' indexing swaps the first two output axes (Cartesian, as in plotting)
    order = list(range(len(args)))
    if indexing == "xy" and len(args) >= 2:
        order[0], order[1] = 1, 0
    out = []
    for i, x in enumerate(args):
        pos = order.index(i)
        shape = [1 if sparse else sizes[j] for j in order]
        shape[pos] = sizes[i]
        out.append(sh.broadcast_in_dim(x, tuple(shape), (pos,)))
    return out


def _grid_axis(s: slice):
    start = 0 if s.start is None else s.start
    step = 1 if s.step is None else s.step
    stop = s.stop
    for v in (start, stop, step):
        if isinstance(v, (Tracer, Array)):
            _static(v, "irax.numpy.mgrid / ogrid")
    if isinstance(step, complex):
        return linspace(start, stop, int(builtins.abs(step)), endpoint=True)
    return arange(start, stop, step)


class _Grid:
    def __init__(self, sparse: bool, name: str):
        self.sparse = sparse
        self.name = name

    def __getitem__(self, key):
        if isinstance(key, slice):
            return _grid_axis(key)
        if not isinstance(key, tuple) or not builtins.all(isinstance(k, slice) for k in key):
            raise IndexError(f"irax.numpy.{self.name} takes slices, got {key!r}")
        axes = [_grid_axis(k) for k in key]
        dt, _ = dtypes.result_type(*[(get_aval(a).dtype, False) for a in axes])
        axes = [ew.convert_element_type(a, dt, False) for a in axes]
        grids = meshgrid(*axes, sparse=self.sparse, indexing="ij")
        return grids if self.sparse else stack(grids)


mgrid = _Grid(False, "mgrid")
ogrid = _Grid(True, "ogrid")


def indices(dimensions, dtype=None, sparse: bool = False):
    dims = tuple(operator.index(d) for d in dimensions)
    dt = _dt(dtype) or dtypes.default_int()
    nd = len(dims)
    out = []
    for i, n in enumerate(dims):
        if sparse:
            out.append(sh.iota(dt, tuple(n if j == i else 1 for j in range(nd)), i))
        else:
            out.append(sh.iota(dt, dims, i))
    if sparse:
        return tuple(out)
    return stack(out) if out else sh.full((0,), 0, dt)


# ---------------------------------------------------------------------------
# differences and products of arrays


def diff(a, n: int = 1, axis: int = -1, prepend=None, append=None):
    x = asarray(a)
    n = operator.index(n)
    if n == 0:
        return x
    if n < 0:
        raise ValueError(f"order must be non-negative but got {n}")
    nd = get_aval(x).ndim
    if nd == 0:
        raise ValueError(f"diff requires input that is at least one dimensional; got {a!r}")
    axis = _axis(axis, nd)

    def edge_block(extra):
        e = asarray(extra)
        if get_aval(e).ndim == 0:
            e = broadcast_to(e, _with_axis_size(get_aval(x).shape, axis, 1))
        return e
    parts = ([edge_block(prepend)] if prepend is not None else []) + [x] + \
        ([edge_block(append)] if append is not None else [])
    if len(parts) > 1:
        x = concatenate(parts, axis)
    boolean = get_aval(x).dtype == np.bool_
    for _ in range(n):
        m = get_aval(x).shape[axis]
        hi, lo = _slice_along(x, axis, 1, m), _slice_along(x, axis, 0, builtins.max(m - 1, 0))
        x = not_equal(hi, lo) if boolean else subtract(hi, lo)
    return x


def ediff1d(ary, to_end=None, to_begin=None):
    x = ravel(asarray(ary))
    dt = get_aval(x).dtype
    m = get_aval(x).shape[0]
    out = subtract(_slice_along(x, 0, 1, m), _slice_along(x, 0, 0, builtins.max(m - 1, 0)))
    if to_begin is not None:
        out = concatenate([ravel(asarray(to_begin, dt)), out])
    if to_end is not None:
        out = concatenate([out, ravel(asarray(to_end, dt))])
    return out


def kron(a, b):
    a, b = _promote_dtype_only(a, b)
    na, nb = get_aval(a).ndim, get_aval(b).ndim
    nd = builtins.max(na, nb)
    a = reshape(a, (1,) * (nd - na) + get_aval(a).shape)
    b = reshape(b, (1,) * (nd - nb) + get_aval(b).shape)
    sa, sb = get_aval(a).shape, get_aval(b).shape
    # a[i, None, j, None] * b[None, k, None, l] -> (i, k, j, l) -> (i*k, j*l)
    a2 = reshape(a, tuple(v for s in sa for v in (s, 1)))
    b2 = reshape(b, tuple(v for s in sb for v in (1, s)))
    return reshape(multiply(a2, b2), tuple(x * y for x, y in zip(sa, sb)))


def _promote_dtype_only(*xs):
    xs = [asarray(x) for x in xs]
    dt, weak = dtypes.result_type(*[(get_aval(x).dtype, get_aval(x).weak_type) for x in xs])
    return [ew.convert_element_type(x, dt, weak) for x in xs]


def cross(a, b, axisa: int = -1, axisb: int = -1, axisc: int = -1, axis=None):
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = _promote_dtype_only(a, b)
    a, b = moveaxis(a, axisa, -1), moveaxis(b, axisb, -1)
    na, nb = get_aval(a).shape[-1], get_aval(b).shape[-1]
    if na not in (2, 3) or nb not in (2, 3):
        raise ValueError("Dimension must be either 2 or 3 for cross product")

    def comp(v, i, n):
        return getitem(v, (Ellipsis, i)) if i < n else zeros_like(getitem(v, (Ellipsis, 0)))
    a0, a1, a2 = (comp(a, i, na) for i in range(3))
    b0, b1, b2 = (comp(b, i, nb) for i in range(3))
    if na == 2 and nb == 2:
        return subtract(multiply(a0, b1), multiply(a1, b0))
    c = stack([subtract(multiply(a1, b2), multiply(a2, b1)),
               subtract(multiply(a2, b0), multiply(a0, b2)),
               subtract(multiply(a0, b1), multiply(a1, b0))], axis=-1)
    return moveaxis(c, -1, axisc)


# ---------------------------------------------------------------------------
# index sets


def _static_int(v, what):
    return operator.index(_static(v, what) if isinstance(v, (Tracer, Array)) else v)


def _index_pair(rows, cols):
    it = dtypes.default_int()
    return Array(np.asarray(rows, it)), Array(np.asarray(cols, it))


def tril_indices(n, k=0, m=None):
    n, k = _static_int(n, "tril_indices n"), _static_int(k, "tril_indices k")
    m = n if m is None else _static_int(m, "tril_indices m")
    return _index_pair(*np.tril_indices(n, k, m))


def triu_indices(n, k=0, m=None):
    n, k = _static_int(n, "triu_indices n"), _static_int(k, "triu_indices k")
    m = n if m is None else _static_int(m, "triu_indices m")
    return _index_pair(*np.triu_indices(n, k, m))


def _matrix_shape(arr, name):
    shape = get_aval(asarray(arr)).shape if not hasattr(arr, "shape") else tuple(arr.shape)
    if len(shape) != 2:
        raise ValueError(f"{name}: input array must be 2-d, got shape {shape}")
    return shape


def tril_indices_from(arr, k: int = 0):
    n, m = _matrix_shape(arr, "tril_indices_from")
    return tril_indices(n, k, m)


def triu_indices_from(arr, k: int = 0):
    n, m = _matrix_shape(arr, "triu_indices_from")
    return triu_indices(n, k, m)


def diag_indices(n: int, ndim: int = 2):
    n, ndim = operator.index(n), operator.index(ndim)
    if n < 0:
        raise ValueError(f"n argument to diag_indices must be nonnegative, got {n}")
    if ndim < 0:
        raise ValueError(f"ndim argument to diag_indices must be nonnegative, got {ndim}")
    return (arange(n),) * ndim


def diag_indices_from(arr):
    shape = get_aval(asarray(arr)).shape
    if len(shape) < 2:
        raise ValueError("input array must be at least 2-d")
    if len(set(shape)) != 1:
        raise ValueError("All dimensions of input must be of equal length")
    return diag_indices(shape[0], len(shape))


def unravel_index(indices, shape):
    idx = asarray(indices)
    ia = get_aval(idx)
    if dtypes.kind(ia.dtype) not in "iu":
        raise TypeError(f"unravel_index: indices must be integers, got {ia.dtype.name}")
    shape = tuple(operator.index(s) for s in shape)
    if builtins.any(s < 0 for s in shape):
        raise ValueError(f"unravel_index: negative dimension in shape {shape}")
    size = math.prod(shape)
    # out-of-range indices are clipped into range (as JAX does); negatives count from the end
    idx = where(ew.lt(idx, ew.full_like_scalar(idx, 0)), idx + size, idx)
    idx = clip(idx, 0, builtins.max(size - 1, 0))
    out = []
    for s in reversed(shape):
        out.append(remainder(idx, s) if s else idx)
        idx = ew.div(idx, ew.full_like_scalar(idx, builtins.max(s, 1)))
    return tuple(reversed(out))


def ravel_multi_index(multi_index, dims, mode: str = "raise", order: str = "C", *, dtype=None):
    dims = tuple(_static_int(d, "ravel_multi_index dims") for d in dims)
    if len(multi_index) != len(dims):
        raise ValueError(f"ravel_multi_index: {len(multi_index)} index arrays for {len(dims)} "
                         "dimensions")
    idx = _promote(*multi_index) if multi_index else []
    for i in idx:
        if dtypes.kind(get_aval(i).dtype) not in "iu":
            raise TypeError("only int indices permitted")
    if mode == "raise":
        for i, d in zip(idx, dims):
            v = core.concrete_or_none(i)
            if v is None or isinstance(i, Tracer):
                raise core.ConcretizationTypeError(
                    "ravel_multi_index with mode='raise' needs concrete indices (it checks "
                    "them); under jit use mode='wrap' or mode='clip'.")
            if ((v < 0) | (v >= d)).any():
                raise ValueError("invalid entry in coordinates array")
    elif mode == "clip":
        idx = [clip(i, 0, d - 1) for i, d in zip(idx, dims)]
    elif mode == "wrap":
        idx = [remainder(i, d) for i, d in zip(idx, dims)]
    else:
        raise ValueError(f"invalid mode={mode!r}. Expected 'raise', 'wrap', or 'clip'")
    if order == "C":
        strides = np.cumprod((1,) + dims[1:][::-1])[::-1]
    elif order == "F":
        strides = np.cumprod((1,) + dims[:-1])
    else:
        raise ValueError(f"invalid order={order!r}. Expected 'C' or 'F'")
    dt = _dt(dtype) or (get_aval(idx[0]).dtype if idx else dtypes.default_int())
    out = sh.full(get_aval(idx[0]).shape if idx else (), 0, dt)
    for i, s in zip(idx, strides):
        out = ew.add(out, ew.mul(ew.convert_element_type(i, dt), ew.full_like_scalar(out, int(s))))
    return out


# ---------------------------------------------------------------------------
# stacking and splitting


def atleast_3d(*arys):
    out = []
    for a in arys:
        a = asarray(a)
        s = get_aval(a).shape
        shape = {0: (1, 1, 1), 1: (1,) + s + (1,), 2: s + (1,)}.get(len(s), s)
        out.append(reshape(a, shape))
    return out[0] if len(out) == 1 else out


def column_stack(tup):
    cols = []
    for a in tup:
        a = asarray(a)
        nd = get_aval(a).ndim
        cols.append(reshape(a, (-1, 1)) if nd < 2 else a)
    return concatenate(cols, 1)


def dstack(tup, dtype=None):
    return concatenate([atleast_3d(a) for a in tup], 2, dtype)


row_stack = vstack


def hsplit(ary, indices_or_sections):
    ary = asarray(ary)
    nd = get_aval(ary).ndim
    if nd == 0:
        raise ValueError("hsplit only works on arrays of 1 or more dimensions")
    return split(ary, indices_or_sections, 1 if nd > 1 else 0)


def vsplit(ary, indices_or_sections):
    ary = asarray(ary)
    if get_aval(ary).ndim < 2:
        raise ValueError("vsplit only works on arrays of 2 or more dimensions")
    return split(ary, indices_or_sections, 0)


def dsplit(ary, indices_or_sections):
    ary = asarray(ary)
    if get_aval(ary).ndim < 3:
        raise ValueError("dsplit only works on arrays of 3 or more dimensions")
    return split(ary, indices_or_sections, 2)


def block(arrays):
    def depth(x, where):
        if isinstance(x, tuple):
            raise TypeError(f"{where} is a tuple. Only lists can be used to arrange blocks, "
                            "and block does not allow implicit conversion from tuple to array.")
        if not isinstance(x, list):
            return 0, builtins.max(get_aval(asarray(x)).ndim, 0)
        if not x:
            raise ValueError(f"List at {where} cannot be empty")
        inner = [depth(v, f"{where}[{i}]") for i, v in enumerate(x)]
        if len({d for d, _ in inner}) != 1:
            raise ValueError(f"List depths are mismatched at {where}: found depths "
                             f"{sorted({d for d, _ in inner})}")
        return inner[0][0] + 1, builtins.max(n for _, n in inner)
    list_depth, max_ndim = depth(arrays, "arrays")
    nd = builtins.max(list_depth, max_ndim)

    def build(x, level):
        if not isinstance(x, list):
            x = asarray(x)
            s = get_aval(x).shape
            return reshape(x, (1,) * (nd - len(s)) + s)
        # the innermost lists join along the last axis, the outermost along -list_depth
        return concatenate([build(v, level + 1) for v in x], nd - (list_depth - level))
    return build(arrays, 0)


# ---------------------------------------------------------------------------
# per-axis application and scattering along an axis


def put_along_axis(arr, indices, values, axis, inplace: bool = True, *, mode=None):
    if inplace:
        raise ValueError("irax.numpy.put_along_axis cannot modify arrays in-place, because "
                         "irax arrays are immutable. Pass inplace=False to instead return an "
                         "updated array.")
    arr, idx = asarray(arr), asarray(indices)
    shape = get_aval(arr).shape
    if axis is None:
        arr, idx, axis = ravel(arr), ravel(idx), 0
    a, ia = get_aval(arr), get_aval(idx)
    if dtypes.kind(ia.dtype) not in "iu":
        raise TypeError(f"put_along_axis: indices must be integers, got {ia.dtype.name}")
    if ia.ndim != a.ndim:
        raise ValueError(f"put_along_axis: indices and arr must have the same number of "
                         f"dimensions; {ia.ndim} vs {a.ndim}")
    axis = _axis(axis, a.ndim)
    other = _broadcast_shapes(_with_axis_size(ia.shape, axis, 1),
                              _with_axis_size(a.shape, axis, 1))
    target = _with_axis_size(other, axis, ia.shape[axis])
    idx = sh.broadcast_to_rank_shape(idx, target)
    n = a.shape[axis]
    idx = where(ew.lt(idx, ew.full_like_scalar(idx, 0)), idx + n, idx)
    # flat positions in arr of every (index, other coordinates) pair
    it = get_aval(idx).dtype
    strides = np.cumprod((1,) + a.shape[1:][::-1])[::-1]
    flat = sh.full(target, 0, it)
    for d in range(a.ndim):
        coord = idx if d == axis else sh.iota(it, target, d)
        flat = ew.add(flat, ew.mul(coord, sh.full(target, int(strides[d]), it)))
    vals = broadcast_to(asarray(values, a.dtype), target)
    out = ravel(arr).at[ravel(flat)].set(ravel(vals))
    return reshape(out, shape)


def apply_along_axis(func1d, axis: int, arr, *args, **kwargs):
    arr = asarray(arr)
    nd = get_aval(arr).ndim
    axis = _axis(axis, nd)

    def func(v):
        return func1d(v, *args, **kwargs)
    # map every axis but `axis`: those after it (result axes stay at the end), then before it
    for i in range(1, nd - axis):
        func = api.vmap(func, in_axes=i, out_axes=-1)
    for _ in range(axis):
        func = api.vmap(func, in_axes=0, out_axes=0)
    return func(arr)


_DIM = r"\w+"
_CORE = rf"\((?:{_DIM}(?:,{_DIM})*)?\)"
_SIGNATURE = rf"^{_CORE}(?:,{_CORE})*->{_CORE}(?:,{_CORE})*$"


def _parse_signature(signature: str):
    sig = signature.replace(" ", "")
    if not re.match(_SIGNATURE, sig):
        raise ValueError(f"not a valid gufunc signature: {signature}")
    ins, outs = sig.split("->")
    parse = lambda part: [tuple(re.findall(_DIM, g)) for g in re.findall(_CORE, part)]  # noqa: E731
    return parse(ins), parse(outs)


def vectorize(pyfunc, *, excluded=frozenset(), signature=None):
    """A function that maps pyfunc over the leading (broadcast) axes of its arguments with
    vmap; `signature` (e.g. "(n),(n)->()") names the core axes pyfunc itself consumes."""
    if builtins.any(not isinstance(e, (str, int)) for e in excluded):
        raise TypeError(f"irax.numpy.vectorize can only exclude integer or string arguments, "
                        f"but excluded={excluded!r}")
    if builtins.any(isinstance(e, int) and e < 0 for e in excluded):
        raise ValueError(f"excluded={excluded!r} contains negative numbers")

    @functools.wraps(pyfunc)
    def wrapped(*args, **kwargs):
        static_kw = {k: v for k, v in kwargs.items() if k in excluded}
        dyn_kw = {k: v for k, v in kwargs.items() if k not in excluded}
        dyn_pos = [i for i in range(len(args)) if i not in excluded and args[i] is not None]
        names = list(dyn_kw)
        dyn = [asarray(args[i]) for i in dyn_pos] + [asarray(dyn_kw[k]) for k in names]

        def call(*vals):
            full = list(args)
            for i, v in zip(dyn_pos, vals):
                full[i] = v
            kw = dict(static_kw, **dict(zip(names, vals[len(dyn_pos):])))
            return pyfunc(*full, **kw)
        if signature is None:
            core_dims = [()] * len(dyn)
        else:
            core_dims, _ = _parse_signature(signature)
            if len(core_dims) != len(dyn):
                raise TypeError(f"wrong number of positional arguments: expected "
                                f"{len(core_dims)}, got {len(dyn)} (signature {signature!r})")
        sizes = {}
        loop_shapes = []
        for x, dims in zip(dyn, core_dims):
            s = get_aval(x).shape
            if len(dims) > len(s):
                raise ValueError(f"input with shape {s} does not have enough dimensions for "
                                 f"its core dimensions {dims} (signature {signature!r})")
            for name, n in zip(dims, s[len(s) - len(dims):]):
                if sizes.setdefault(name, n) != n:
                    raise ValueError(f"inconsistent size for core dimension {name!r}: "
                                     f"{sizes[name]} vs {n} (signature {signature!r})")
            loop_shapes.append(s[:len(s) - len(dims)])
        loop = _broadcast_shapes(*loop_shapes) if loop_shapes else ()
        # drop each argument's size-1 loop axes; vmap only the axes an argument really has
        squeezed, filled = [], []
        for x, ls in zip(dyn, loop_shapes):
            full = (1,) * (len(loop) - len(ls)) + ls
            filled.append(full)
            squeezed.append(sh.squeeze(x, tuple(i for i, n in enumerate(ls) if n == 1)))
        fn = call
        expand = []
        for d in reversed(range(len(loop))):
            in_axes = tuple(None if f[d] == 1 else 0 for f in filled)
            if builtins.all(a is None for a in in_axes):
                expand.append(d)
            else:
                fn = api.vmap(fn, in_axes=in_axes)
        out = fn(*squeezed)
        if expand:
            exp = sorted(expand)
            out = tuple(expand_dims(o, exp) for o in out) if isinstance(out, tuple) else \
                expand_dims(out, exp)
        return out
    return wrapped
