"""irax.numpy reductions: sum, prod, max/min, mean/var/std, arg reductions, cumulative sums."""
from __future__ import annotations

import builtins
import numpy as np

from ..tracer import dtypes
from ..tracer.core import get_aval
from ..tracer.prims import elementwise as ew
from ..tracer.prims import reduce as rd
from ..tracer.prims import shape as sh
from ._core import _axes, _dt, _keep, _to_float, asarray, bool_, broadcast_to
from .creation import full_like
from .elementwise import maximum, minimum, not_equal, sqrt, square, subtract, true_divide, where


def _accumulation_dtype(dt: np.dtype) -> np.dtype:
    """sum and prod of bools and narrow integers accumulate in the default integer (unsigned
    stay unsigned), as in JAX: jnp.sum of int8 is int32, of uint8 uint32 (64-bit under x64)."""
    if dt == np.bool_ or dtypes.kind(dt) == "i":
        wide = np.dtype(dtypes.default_int())
    elif dtypes.kind(dt) == "u":
        wide = np.dtype(np.uint64 if dtypes.config.enable_x64 else np.uint32)
    else:
        return dt
    return wide if dt == np.bool_ or dt.itemsize < wide.itemsize else dt


_HALVES = tuple(np.dtype(d) for d in ("float16", dtypes.bfloat16) if d is not None)


def _upcast_halves(fun):
    """sum, prod, mean, var of float16 / bfloat16 (no dtype= given) compute in float32 and
    round the result back once, as jax.numpy does."""
    def wrapper(a, axis=None, dtype=None, *args, **kwargs):
        a = asarray(a)
        av = get_aval(a)
        if dtype is not None or av.dtype not in _HALVES:
            return fun(a, axis, dtype, *args, **kwargs)
        out = fun(ew.convert_element_type(a, np.dtype(np.float32), av.weak_type), axis, None,
                  *args, **kwargs)
        return ew.convert_element_type(out, av.dtype, av.weak_type)
    wrapper.__name__, wrapper.__doc__ = fun.__name__, fun.__doc__
    return wrapper


@_upcast_halves
def sum(a, axis=None, dtype=None, keepdims: bool = False, where=None):
    a = asarray(a)
    av = get_aval(a)
    dt = _dt(dtype) or _accumulation_dtype(av.dtype)
    if dt != av.dtype:
        a = ew.convert_element_type(a, dt, av.weak_type if dtype is None else False)
    if where is not None:
        a = _where_mask(a, where, 0)
    axes = _axes(axis, av.ndim)
    return _keep(rd.reduce_sum(a, axes), av.shape, axes, keepdims)


def _where_mask(a, mask, fill):
    return where(mask, a, full_like(a, fill))


@_upcast_halves
def prod(a, axis=None, dtype=None, keepdims: bool = False):
    a = asarray(a)
    av = get_aval(a)
    dt = _dt(dtype) or _accumulation_dtype(av.dtype)
    if dt != av.dtype:
        a = ew.convert_element_type(a, dt, av.weak_type if dtype is None else False)
    axes = _axes(axis, av.ndim)
    out = rd.reduce_prod_p.bind(a, axes=axes) if axes else a
    return _keep(out, av.shape, axes, keepdims)


def _masked_extremum(a, where, initial, name):
    if where is None:
        return a
    if initial is None:
        raise ValueError(f"reduction operation {name} does not have an identity, so to use a "
                         "where mask one has to specify 'initial'")
    return _where_mask(a, where, initial)


def _extremum(prim, combine, name, a, axis, keepdims, initial, where):
    a = _masked_extremum(asarray(a), where, initial, name)
    av = get_aval(a)
    axes = _axes(axis, av.ndim)
    # `initial` takes the array's dtype (as in JAX: jnp.max(int_array, initial=2.5) is int)
    init = None if initial is None else ew.convert_element_type(asarray(initial), av.dtype,
                                                                av.weak_type)
    out_shape = tuple(n for i, n in enumerate(av.shape) if i not in axes)
    if builtins.any(av.shape[i] == 0 for i in axes):
        if init is None:
            raise ValueError(f"zero-size array to reduction operation {name} which has no "
                             "identity")
        out = sh.broadcast_to_rank_shape(init, out_shape)   # nothing to compare: initial
    else:
        if not axes:
            out = a
        elif dtypes.kind(av.dtype) == "c":
            out = _complex_extremum(prim, a, axes)
        else:
            out = prim.bind(a, axes=axes)
        if init is not None:
            if dtypes.kind(av.dtype) == "c":
                combine = maximum if prim is rd.reduce_max_p else minimum
            out = combine(out, sh.broadcast_to_rank_shape(init, out_shape))
    return _keep(out, av.shape, axes, keepdims)


def _complex_extremum(prim, a, axes):
    """max / min of complex values in JAX's (lexicographic) order: by real part, then among
    the ties by imaginary part (a NaN real part wins, as NaN does for reals)."""
    av = get_aval(a)
    re, im = ew.real_p.bind(a), ew.imag_p.bind(a)
    best_re = prim.bind(re, axes=axes)
    spread = sh.broadcast_to_rank_shape(sh.reshape(best_re, rd.keep_axes_shape(av.shape, axes)),
                                        av.shape)
    tied = ew.or_p.bind(ew.eq(re, spread), ew.and_p.bind(ew.ne_p.bind(spread, spread),
                                                         ew.ne_p.bind(re, re)))
    loser = -np.inf if prim is rd.reduce_max_p else np.inf
    best_im = prim.bind(ew.select(tied, im, ew.full_like_scalar(im, loser)), axes=axes)
    return ew.complex_p.bind(best_re, best_im)


def max(a, axis=None, keepdims: bool = False, initial=None, where=None):
    return _extremum(rd.reduce_max_p, ew.max_p.bind, "max", a, axis, keepdims, initial, where)


def min(a, axis=None, keepdims: bool = False, initial=None, where=None):
    return _extremum(rd.reduce_min_p, ew.min_p.bind, "min", a, axis, keepdims, initial, where)


amax = max
amin = min


def all(a, axis=None, keepdims: bool = False):
    a = asarray(a, bool_)
    av = get_aval(a)
    axes = _axes(axis, av.ndim)
    out = rd.reduce_and_p.bind(a, axes=axes) if axes else a
    return _keep(out, av.shape, axes, keepdims)


def any(a, axis=None, keepdims: bool = False):
    a = asarray(a, bool_)
    av = get_aval(a)
    axes = _axes(axis, av.ndim)
    out = rd.reduce_or_p.bind(a, axes=axes) if axes else a
    return _keep(out, av.shape, axes, keepdims)


@_upcast_halves
def mean(a, axis=None, dtype=None, keepdims: bool = False, where=None):
    a = asarray(a)
    av = get_aval(a)
    axes = _axes(axis, av.ndim)
    n = int(np.prod([av.shape[i] for i in axes], dtype=np.int64))
    if dtypes.kind(av.dtype) in "fc":
        a_f = a
    else:
        a_f = ew.convert_element_type(a, _dt(dtype) or dtypes.default_float(), False)
    if where is not None:
        s = sum(a_f, axis, keepdims=keepdims, where=where)
        cnt = sum(broadcast_to(asarray(where), av.shape), axis, keepdims=keepdims)
        return true_divide(s, cnt)
    s = sum(a_f, axis, keepdims=keepdims)
    return ew.div(s, ew.const_like(s, n))


@_upcast_halves
def var(a, axis=None, dtype=None, ddof: int = 0, keepdims: bool = False):
    a = _to_float(asarray(a))
    av = get_aval(a)
    axes = _axes(axis, av.ndim)
    n = int(np.prod([av.shape[i] for i in axes], dtype=np.int64))
    centered = subtract(a, mean(a, axis, keepdims=True))
    s = sum(square(centered), axis, keepdims=keepdims)
    return ew.div(s, ew.const_like(s, builtins.max(n - ddof, 0)))


def std(a, axis=None, dtype=None, ddof: int = 0, keepdims: bool = False):
    return sqrt(var(a, axis, dtype, ddof, keepdims))


def _arg(prim, a, axis, keepdims):
    a = asarray(a)
    av = get_aval(a)
    # as jax.numpy: complex values have no order to take an arg of
    if dtypes.kind(av.dtype) == "c":
        raise TypeError(f"{prim.name} does not accept dtype {av.dtype.name}: argmax / argmin "
                        "need real values (take the real part or the modulus first)")
    if axis is None:
        a = sh.reshape(a, (av.size,))
        axis_n = 0
    else:
        axis_n = _axes(axis, av.ndim)[0]
    out = prim.bind(a, axis=axis_n, index_dtype=dtypes.default_int())
    if keepdims:
        shape = [1] * av.ndim if axis is None else list(rd.keep_axes_shape(av.shape, (axis_n,)))
        out = sh.reshape(out, shape)
    return out


def argmax(a, axis=None, keepdims: bool = False):
    return _arg(rd.argmax_p, a, axis, keepdims)


def argmin(a, axis=None, keepdims: bool = False):
    return _arg(rd.argmin_p, a, axis, keepdims)


def cumsum(a, axis=None, dtype=None):
    a = asarray(a)
    av = get_aval(a)
    if dtype is not None:
        a = ew.convert_element_type(a, _dt(dtype), False)
    elif av.dtype == np.bool_:
        a = ew.convert_element_type(a, dtypes.default_int(), False)
    if axis is None:
        a = sh.reshape(a, (av.size,))
        axis = 0
    return rd.cumsum(a, _axes(axis, get_aval(a).ndim)[0])


def count_nonzero(a, axis=None, keepdims=False):
    return sum(not_equal(a, 0), axis, keepdims=keepdims)
