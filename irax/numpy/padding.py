"""irax.numpy.pad: every NumPy mode but 'median' (constant, edge, reflect, symmetric, wrap,
linear_ramp, maximum, minimum, mean, empty) and every pad-width form, built axis by axis
(as NumPy, so corners take the later axes' values) from slices, reversals and
concatenations; nothing here adds a primitive."""
from __future__ import annotations

import builtins
import numpy as np

from ..tracer import dtypes
from ..tracer.core import Array, Tracer, get_aval
from ..tracer.prims import elementwise as ew
from ..tracer.prims import shape as sh
from ._core import _broadcast_shapes, _static, asarray, broadcast_to
from .elementwise import round
from .reductions import max as _max, mean as _mean, min as _min
from .indexing import getitem
from .arrayops import _slice_along, _with_axis_size


def _pairs(value, nd: int, what: str):
    """NumPy's pad-argument forms (scalar, (v,), (before, after), per-axis pairs) as an
    (nd, 2) array."""
    arr = np.asarray(value)
    try:
        return np.broadcast_to(arr, (nd, 2))
    except ValueError:
        raise ValueError(f"{what} given as {value!r} cannot be broadcast to ({nd}, 2): give a "
                         f"number, a (before, after) pair, or one pair per axis") from None


def _pad_widths(pad_width, nd: int):
    if isinstance(pad_width, (Tracer, Array)):
        pad_width = _static(pad_width, "irax.numpy.pad pad_width")
    arr = np.asarray(pad_width)
    if dtypes.kind(arr.dtype) not in "iu" and arr.size:
        raise TypeError(f"`pad_width` must be of integral type, got {pad_width!r}")
    widths = _pairs(arr.astype(np.int64), nd, "pad_width")
    if (widths < 0).any():
        raise ValueError(f"index can't contain negative values (pad_width={pad_width!r})")
    return [(int(lo), int(hi)) for lo, hi in widths]


def _value_pairs(values, nd: int, dtype, what: str):
    """Per-axis (before, after) values (maybe traced), cast to the array's dtype; one scalar
    for every side comes back as just that scalar."""
    v = ew.convert_element_type(asarray(values), dtype, False)
    shape = get_aval(v).shape
    if not shape:
        return v
    try:
        if len(shape) > 2:
            raise ValueError
        _broadcast_shapes(shape, (nd, 2))
    except ValueError:
        raise ValueError(f"{what} of shape {shape} cannot be broadcast to ({nd}, 2): give a "
                         f"number, a (before, after) pair, or one pair per axis") from None
    v = broadcast_to(v, (nd, 2))
    return [(getitem(v, (i, 0)), getitem(v, (i, 1))) for i in range(nd)]


def _block_of(value, shape):
    """A block of `shape` filled with a scalar value (maybe traced)."""
    return sh.broadcast_to_rank_shape(value, shape)


def _pad_constant(x, axis, lo, hi, before, after):
    a = get_aval(x)
    parts = []
    if lo:
        parts.append(_block_of(before, _with_axis_size(a.shape, axis, lo)))
    parts.append(x)
    if hi:
        parts.append(_block_of(after, _with_axis_size(a.shape, axis, hi)))
    return sh.concatenate(parts, axis)


def _pad_edge(x, axis, lo, hi):
    a = get_aval(x)
    n = a.shape[axis]
    first = _slice_along(x, axis, 0, 1)
    last = _slice_along(x, axis, n - 1, n)
    return sh.concatenate(
        ([_block_of(first, _with_axis_size(a.shape, axis, lo))] if lo else []) + [x]
        + ([_block_of(last, _with_axis_size(a.shape, axis, hi))] if hi else []), axis)


def _pad_reflect(x, axis, lo, hi, include_edge: bool, odd: bool):
    """Mirror the array at its ends (about the edge element for 'reflect', including it for
    'symmetric'). A pad wider than the array is filled in passes, each mirroring what is
    already there, in whole periods of the original length, as NumPy does."""
    n = get_aval(x).shape[axis]
    e = 1 if include_edge else 0
    while lo > 0 or hi > 0:
        filled = get_aval(x).shape[axis]
        usable = filled // n * n if include_edge else (filled - 1) // (n - 1) * (n - 1)
        parts = []
        if lo > 0:
            c = builtins.min(usable, lo)
            chunk = sh.rev(_slice_along(x, axis, 1 - e, c + 1 - e), (axis,))
            if odd:
                chunk = _odd(chunk, _slice_along(x, axis, 0, 1))
            parts.append(chunk)
            lo -= c
        parts.append(x)
        if hi > 0:
            c = builtins.min(usable, hi)
            chunk = sh.rev(_slice_along(x, axis, filled - 1 - c + e, filled - 1 + e), (axis,))
            if odd:
                chunk = _odd(chunk, _slice_along(x, axis, filled - 1, filled))
            parts.append(chunk)
            hi -= c
        x = sh.concatenate(parts, axis)
    return x


def _odd(chunk, edge):
    """reflect_type='odd': values continue through the edge (2 * edge - mirrored)."""
    edge = _block_of(edge, get_aval(chunk).shape)
    return ew.sub(ew.add(edge, edge), chunk)


def _pad_wrap(x, axis, lo, hi):
    n = get_aval(x).shape[axis]
    while lo > 0 or hi > 0:
        filled = get_aval(x).shape[axis]
        period = filled // n * n
        parts = []
        if lo > 0:
            c = builtins.min(period, lo)
            parts.append(_slice_along(x, axis, period - c, period))
            lo -= c
        parts.append(x)
        if hi > 0:
            c = builtins.min(period, hi)
            parts.append(_slice_along(x, axis, filled - period, filled - period + c))
            hi -= c
        x = sh.concatenate(parts, axis)
    return x


def _ramp(edge, end, width, axis, nd, dtype, rising: bool):
    """width values from `end` towards `edge` (edge excluded), along `axis`."""
    fdt = dtype if dtypes.kind(dtype) in "fc" else dtypes.default_float()
    steps = np.arange(width, dtype=fdt) / np.asarray(width, fdt)
    if not rising:
        steps = steps[::-1].copy()
    t = Array(steps.reshape(_with_axis_size((1,) * nd, axis, width)).astype(fdt))
    edge_f = ew.convert_element_type(edge, fdt, False)
    end_f = ew.convert_element_type(end, fdt, False)
    shape = _with_axis_size(get_aval(edge).shape, axis, width)
    t = _block_of(t, shape)
    edge_f, end_f = _block_of(edge_f, shape), _block_of(end_f, shape)
    # end * (1 - t) + edge * t, rounded as JAX's linspace rounds
    out = ew.add(ew.mul(end_f, ew.sub(ew.full_like_scalar(t, 1), t)), ew.mul(edge_f, t))
    if dtypes.kind(dtype) in "iu":
        out = ew.floor_p.bind(out)
    return ew.convert_element_type(out, dtype, False)


def _pad_linear_ramp(x, axis, lo, hi, end_lo, end_hi):
    a = get_aval(x)
    n = a.shape[axis]
    parts = []
    if lo:
        parts.append(_ramp(_slice_along(x, axis, 0, 1), end_lo, lo, axis, a.ndim, a.dtype, True))
    parts.append(x)
    if hi:
        parts.append(_ramp(_slice_along(x, axis, n - 1, n), end_hi, hi, axis, a.ndim, a.dtype,
                           False))
    return sh.concatenate(parts, axis)


_STATS = {"maximum": _max, "minimum": _min, "mean": _mean}


def _pad_stat(x, axis, lo, hi, mode, length_lo, length_hi):
    a = get_aval(x)
    n = a.shape[axis]
    stat = _STATS[mode]

    def value(start, stop):
        v = stat(_slice_along(x, axis, start, stop), axis=axis, keepdims=True)
        if mode == "mean" and dtypes.kind(a.dtype) in "iub":
            v = round(v)
        return ew.convert_element_type(v, a.dtype, False)
    parts = []
    if lo:
        s = n if length_lo is None else builtins.min(builtins.max(length_lo, 1), n)
        parts.append(_block_of(value(0, s), _with_axis_size(a.shape, axis, lo)))
    parts.append(x)
    if hi:
        s = n if length_hi is None else builtins.min(builtins.max(length_hi, 1), n)
        parts.append(_block_of(value(n - s, n), _with_axis_size(a.shape, axis, hi)))
    return sh.concatenate(parts, axis)


_PAD_KWARGS = {"constant": {"constant_values"}, "edge": set(), "empty": set(),
               "wrap": set(), "reflect": {"reflect_type"}, "symmetric": {"reflect_type"},
               "linear_ramp": {"end_values"}, "maximum": {"stat_length"},
               "minimum": {"stat_length"}, "mean": {"stat_length"}, "median": {"stat_length"}}


def pad(array, pad_width, mode="constant", **kwargs):
    x = asarray(array)
    a = get_aval(x)
    nd = a.ndim
    if callable(mode):
        raise NotImplementedError("irax.numpy.pad with a function as mode is not supported")
    if mode not in _PAD_KWARGS:
        raise ValueError(f"Unimplemented padding mode '{mode}' for np.pad.")
    unknown = set(kwargs) - _PAD_KWARGS[mode]
    if unknown:
        raise ValueError(f"unsupported keyword arguments for mode '{mode}': {unknown}")
    if mode == "median":
        raise NotImplementedError("irax.numpy.pad mode='median' is not supported (it needs a "
                                  "sort); use 'mean', 'maximum' or 'minimum'")
    widths = _pad_widths(pad_width, nd)
    if mode in ("constant", "empty"):
        values = kwargs.get("constant_values", 0) if mode == "constant" else 0
        pairs = _value_pairs(values, nd, a.dtype, "constant_values")
        if not isinstance(pairs, list):
            # one scalar for every side: a single lax-style pad
            return sh.pad(x, pairs, tuple((lo, hi, 0) for lo, hi in widths))
        for ax, ((lo, hi), (before, after)) in enumerate(zip(widths, pairs)):
            if lo or hi:
                x = _pad_constant(x, ax, lo, hi, before, after)
        return x
    for ax, (lo, hi) in enumerate(widths):
        if (lo or hi) and a.shape[ax] == 0:
            raise ValueError(f"can't extend empty axis {ax} using modes other than 'constant' "
                             "or 'empty'")
    if mode == "reflect" or mode == "symmetric":
        reflect_type = kwargs.get("reflect_type", "even")
        if reflect_type not in ("even", "odd"):
            raise ValueError(f"reflect_type must be 'even' or 'odd', got {reflect_type!r}")
    if mode == "linear_ramp":
        ends = _value_pairs(kwargs.get("end_values", 0), nd, a.dtype, "end_values")
        ends = ends if isinstance(ends, list) else [(ends, ends)] * nd
    if mode in _STATS:
        lengths = kwargs.get("stat_length")
        if lengths is not None:
            lengths = _pairs(np.asarray(lengths), nd, "stat_length")
            if (lengths < 0).any():
                raise ValueError(f"index can't contain negative values (stat_length="
                                 f"{kwargs['stat_length']!r})")
            if (lengths == 0).any():
                raise ValueError("stat_length of 0 yields no value for padding")
    for ax, (lo, hi) in enumerate(widths):
        if not (lo or hi):
            continue
        if mode == "edge" or (mode in ("reflect", "symmetric") and get_aval(x).shape[ax] == 1):
            x = _pad_edge(x, ax, lo, hi)
        elif mode in ("reflect", "symmetric"):
            x = _pad_reflect(x, ax, lo, hi, mode == "symmetric", reflect_type == "odd")
        elif mode == "wrap":
            x = _pad_wrap(x, ax, lo, hi)
        elif mode == "linear_ramp":
            x = _pad_linear_ramp(x, ax, lo, hi, *ends[ax])
        else:
            llo, lhi = (None, None) if lengths is None else (int(lengths[ax][0]),
                                                             int(lengths[ax][1]))
            x = _pad_stat(x, ax, lo, hi, mode, llo, lhi)
    return x
