"""irax.numpy: the NumPy API over irax primitives (what JAX users call `jnp`).

Here NumPy semantics (broadcasting, dtype promotion with weak Python scalars, negative
axes, keepdims) are turned into strict primitive applications."""
from __future__ import annotations

import builtins
import math
from typing import Any

import numpy as np

from .tracer import core, dtypes
from .tracer.core import Array, Tracer, get_aval
from .tracer.prims import elementwise as ew
from .tracer.prims import indexing as ix
from .tracer.prims import linalg as la
from .tracer.prims import reduce as rd
from .tracer.prims import shape as sh

ndarray = Array
pi = np.pi
e = np.e
inf = np.inf
nan = np.nan
newaxis = None


# ---------------------------------------------------------------------------
# dtypes: callable like JAX's (jnp.float32(2.) is an array), usable wherever a dtype is


class _ScalarType:
    def __init__(self, np_type):
        self.dtype = np.dtype(np_type)
        self.type = np_type
        self.__name__ = self.dtype.name

    def __call__(self, x) -> Array:
        return asarray(x, dtype=self.dtype)

    def __repr__(self) -> str:
        return f"irax.numpy.{self.dtype.name}"

    def __eq__(self, other) -> bool:
        try:
            return self.dtype == np.dtype(other)
        except TypeError:
            return False

    def __hash__(self) -> int:
        return hash(self.dtype)


float16 = _ScalarType(np.float16)
float32 = _ScalarType(np.float32)
float64 = _ScalarType(np.float64)
int8 = _ScalarType(np.int8)
int16 = _ScalarType(np.int16)
int32 = _ScalarType(np.int32)
int64 = _ScalarType(np.int64)
uint8 = _ScalarType(np.uint8)
uint32 = _ScalarType(np.uint32)
bool_ = _ScalarType(np.bool_)
complex64 = _ScalarType(np.complex64)
float_ = float64
int_ = int64
dtype = np.dtype
finfo = np.finfo
iinfo = np.iinfo
issubdtype = np.issubdtype
floating = np.floating
integer = np.integer
inexact = np.inexact
number = np.number


def _dt(d) -> np.dtype | None:
    return None if d is None else dtypes.canonicalize(np.dtype(d.dtype if isinstance(d, _ScalarType) else d))


# ---------------------------------------------------------------------------
# Conversions


def asarray(x: Any, dtype: Any = None) -> Any:
    dt = _dt(dtype)
    if isinstance(x, (Tracer, Array)):
        return x if dt is None else ew.convert_element_type(x, dt, False)
    if isinstance(x, (list, tuple)):
        if builtins.any(isinstance(v, (Tracer, Array, list, tuple)) for v in x):
            return stack([asarray(v) for v in x]) if dt is None else \
                ew.convert_element_type(stack([asarray(v) for v in x]), dt, False)
        arr = np.asarray(x)
        weak = False
    elif core.is_python_scalar(x):
        aval = get_aval(x)
        arr, weak = np.asarray(x, dtype=aval.dtype), aval.weak_type and dt is None
    elif isinstance(x, (np.ndarray, np.generic)):
        arr, weak = np.asarray(x), False
    elif hasattr(x, "__jax_array__"):
        return asarray(x.__jax_array__(), dtype)
    else:
        raise TypeError(f"irax.numpy cannot convert {type(x).__name__} to an array: {x!r}")
    if arr.dtype == object:
        raise TypeError(f"irax.numpy cannot convert {x!r} to an array (ragged or object data)")
    target = dt if dt is not None else dtypes.canonicalize(arr.dtype)
    return Array(np.asarray(arr, dtype=target), weak)


def array(x: Any, dtype: Any = None, copy: bool = True) -> Any:
    return asarray(x, dtype)


def _aval(x):
    return get_aval(x)


def _promote(*xs):
    """Promote dtypes (weak Python scalars don't widen) and broadcast shapes."""
    avals = [get_aval(x) for x in xs]
    dt, weak = dtypes.result_type(*[(a.dtype, a.weak_type) for a in avals])
    shape = _broadcast_shapes(*[a.shape for a in avals])
    out = []
    for x, a in zip(xs, avals):
        if not isinstance(x, (Tracer, Array)):
            x = asarray(x)
        x = ew.convert_element_type(x, dt, weak) if (a.dtype != dt or a.weak_type != weak) else x
        out.append(sh.broadcast_to_rank_shape(x, shape))
    return out


def _broadcast_shapes(*shapes):
    nd = builtins.max(len(s) for s in shapes)
    out = []
    for i in range(nd):
        dims = {s[i - nd + len(s)] for s in shapes if i - nd + len(s) >= 0}
        dims.discard(1)
        if len(dims) > 1:
            raise ValueError("Incompatible shapes for broadcasting: "
                             + ", ".join(str(tuple(s)) for s in shapes))
        out.append(dims.pop() if dims else 1)
    return tuple(out)


def broadcast_shapes(*shapes):
    return _broadcast_shapes(*[tuple(s) for s in shapes])


def _to_float(x):
    a = get_aval(x)
    if a.dtype.kind in "fc":
        return x
    return ew.convert_element_type(asarray(x), dtypes.default_float(), a.weak_type)


def _unary(prim, float_only: bool = True):
    def f(x):
        x = asarray(x) if not isinstance(x, (Tracer, Array)) else x
        if float_only:
            x = _to_float(x)
        return prim.bind(x)
    f.__name__ = prim.name
    return f


def _binary(prim, float_only: bool = False):
    def f(x, y):
        if float_only:
            x, y = _promote(x, y)
            x, y = _to_float(x), _to_float(y)
            return prim.bind(x, y)
        x, y = _promote(x, y)
        return prim.bind(x, y)
    f.__name__ = prim.name
    return f


# ---------------------------------------------------------------------------
# Elementwise

sin = _unary(ew.sin_p)
cos = _unary(ew.cos_p)
tan = _unary(ew.tan_p)
arcsin = _unary(ew.asin_p)
arccos = _unary(ew.acos_p)
arctan = _unary(ew.atan_p)
sinh = _unary(ew.sinh_p)
cosh = _unary(ew.cosh_p)
tanh = _unary(ew.tanh_p)
arcsinh = _unary(ew.asinh_p)
arccosh = _unary(ew.acosh_p)
arctanh = _unary(ew.atanh_p)
exp = _unary(ew.exp_p)
exp2 = _unary(ew.exp2_p)
expm1 = _unary(ew.expm1_p)
log = _unary(ew.log_p)
log1p = _unary(ew.log1p_p)
sqrt = _unary(ew.sqrt_p)
cbrt = _unary(ew.cbrt_p)
floor = _unary(ew.floor_p)
ceil = _unary(ew.ceil_p)
isfinite = _unary(ew.is_finite_p)
negative = _unary(ew.neg_p, float_only=False)
abs = absolute = _unary(ew.abs_p, float_only=False)
sign = _unary(ew.sign_p, float_only=False)
add = _binary(ew.add_p)
subtract = _binary(ew.sub_p)
multiply = _binary(ew.mul_p)
maximum = _binary(ew.max_p)
minimum = _binary(ew.min_p)
arctan2 = _binary(ew.atan2_p, float_only=True)
equal = _binary(ew.eq_p)
not_equal = _binary(ew.ne_p)
less = _binary(ew.lt_p)
less_equal = _binary(ew.le_p)
greater = _binary(ew.gt_p)
greater_equal = _binary(ew.ge_p)
bitwise_and = _binary(ew.and_p)
bitwise_or = _binary(ew.or_p)
bitwise_xor = _binary(ew.xor_p)


def logical_and(x, y):
    return ew.and_p.bind(*_promote(asarray(x, bool_), asarray(y, bool_)))


def logical_or(x, y):
    return ew.or_p.bind(*_promote(asarray(x, bool_), asarray(y, bool_)))


def logical_xor(x, y):
    return ew.xor_p.bind(*_promote(asarray(x, bool_), asarray(y, bool_)))


def logical_not(x):
    return ew.not_p.bind(asarray(x, bool_))


def invert(x):
    return ew.not_p.bind(asarray(x))


bitwise_not = invert


def log2(x):
    x = _to_float(asarray(x))
    return ew.div(ew.log(x), ew.full_like_scalar(x, math.log(2)))


def log10(x):
    x = _to_float(asarray(x))
    return ew.div(ew.log(x), ew.full_like_scalar(x, math.log(10)))


def square(x):
    return ew.integer_pow(asarray(x), 2)


def reciprocal(x):
    return true_divide(1, x)


def true_divide(x, y):
    x, y = _promote(x, y)
    return ew.div(_to_float(x), _to_float(y))


divide = true_divide


def floor_divide(x, y):
    x, y = _promote(x, y)
    if get_aval(x).dtype.kind in "iu":
        q = ew.div(x, y)
        r = ew.rem_p.bind(x, y)
        zero = ew.full_like_scalar(r, 0)
        adjust = logical_and(ew.ne_p.bind(r, zero),
                             ew.ne_p.bind(ew.lt(r, zero), ew.lt(y, ew.full_like_scalar(y, 0))))
        return ew.select(adjust, ew.sub(q, ew.full_like_scalar(q, 1)), q)
    return ew.floor_p.bind(ew.div(x, y))


def remainder(x, y):
    x, y = _promote(x, y)
    r = ew.rem_p.bind(x, y)
    zero = ew.full_like_scalar(r, 0)
    adjust = logical_and(ew.ne_p.bind(r, zero),
                         ew.ne_p.bind(ew.lt(r, zero), ew.lt(y, ew.full_like_scalar(y, 0))))
    return ew.select(adjust, ew.add(r, y), r)


mod = remainder


def fmod(x, y):
    return ew.rem_p.bind(*_promote(x, y))


def power(x, y):
    if isinstance(y, (int, np.integer)) and not isinstance(y, bool):
        x = asarray(x)
        if get_aval(x).dtype.kind in "iu" and y < 0:
            raise ValueError("Integers cannot be raised to negative integer powers")
        return ew.integer_pow(x, int(y))
    x, y = _promote(x, y)
    if get_aval(x).dtype.kind in "iu":
        raise TypeError("irax.numpy.power of integer arrays by array exponents is not supported; "
                        "use a Python int exponent or convert to float")
    return ew.pow_p.bind(x, y)


pow = power


def float_power(x, y):
    return power(asarray(x, float64 if dtypes.config.enable_x64 else float32), y)


def round(x, decimals: int = 0):
    x = asarray(x)
    if get_aval(x).dtype.kind in "iub":
        return x
    if decimals == 0:
        return ew.round_p.bind(x)
    f = ew.full_like_scalar(x, 10.0 ** decimals)
    return ew.div(ew.round_p.bind(ew.mul(x, f)), f)


around = round


def rint(x):
    return round(x)


def trunc(x):
    x = asarray(x)
    return ew.mul(ew.sign(x), ew.floor_p.bind(ew.abs_p.bind(x)))


def isnan(x):
    x = asarray(x)
    if get_aval(x).dtype.kind not in "fc":
        return full_like(x, False, dtype=bool_)
    return ew.ne_p.bind(x, x)


def isinf(x):
    x = asarray(x)
    if get_aval(x).dtype.kind not in "fc":
        return full_like(x, False, dtype=bool_)
    return ew.eq(ew.abs_p.bind(x), ew.full_like_scalar(x, np.inf))


def signbit(x):
    x = asarray(x)
    return ew.lt(x, ew.full_like_scalar(x, 0))


def clip(a, a_min=None, a_max=None, *, min=None, max=None):
    a_min = a_min if min is None else min
    a_max = a_max if max is None else max
    out = asarray(a)
    if a_min is not None:
        out = maximum(out, a_min)
    if a_max is not None:
        out = minimum(out, a_max)
    return out


def where(condition, x=None, y=None):
    if x is None and y is None:
        return nonzero(condition)
    if x is None or y is None:
        raise ValueError("Either both or neither of the x and y arguments should be provided "
                         "to irax.numpy.where")
    cond = asarray(condition)
    if get_aval(cond).dtype != np.bool_:
        cond = ew.ne_p.bind(*_promote(cond, 0))
    x, y = _promote(x, y)
    shape = _broadcast_shapes(get_aval(cond).shape, get_aval(x).shape)
    return ew.select(sh.broadcast_to_rank_shape(cond, shape), sh.broadcast_to_rank_shape(x, shape),
                     sh.broadcast_to_rank_shape(y, shape))


def nonzero(a):
    v = core.concrete_or_none(a)
    if v is None:
        raise core.ConcretizationTypeError(
            "irax.numpy.nonzero (and where with one argument, and boolean-mask indexing) needs "
            "a concrete value: its output shape depends on the data. Under jit use "
            "irax.numpy.where(cond, x, y) with three arguments.")
    return tuple(Array(np.asarray(i, dtype=dtypes.default_int())) for i in np.nonzero(v))


def logaddexp(x1, x2):
    x1, x2 = _promote(x1, x2)
    x1, x2 = _to_float(x1), _to_float(x2)
    amax = ew.max_p.bind(x1, x2)
    delta = ew.sub(x1, x2)
    out = ew.add(amax, ew.log1p_p.bind(ew.exp(ew.neg(ew.abs_p.bind(delta)))))
    return ew.select(ew.ne_p.bind(delta, delta), ew.add(x1, x2), out)


def heaviside(x1, x2):
    x1, x2 = _promote(x1, x2)
    zero = ew.full_like_scalar(x1, 0)
    return ew.select(ew.lt(x1, zero), zero,
                     ew.select(ew.eq(x1, zero), x2, ew.full_like_scalar(x1, 1)))


def sinc(x):
    x = _to_float(asarray(x))
    pix = ew.mul(x, ew.full_like_scalar(x, np.pi))
    zero = ew.eq(x, ew.full_like_scalar(x, 0))
    safe = ew.select(zero, ew.full_like_scalar(x, 1), pix)
    return ew.select(zero, ew.full_like_scalar(x, 1), ew.div(ew.sin(safe), safe))


def deg2rad(x):
    return multiply(_to_float(asarray(x)), np.pi / 180)


def rad2deg(x):
    return multiply(_to_float(asarray(x)), 180 / np.pi)


def hypot(x, y):
    return sqrt(add(square(x), square(y)))


def positive(x):
    return asarray(x)


def conj(x):
    return asarray(x)


conjugate = conj


def real(x):
    return asarray(x)


# ---------------------------------------------------------------------------
# Creation


def zeros(shape, dtype=None):
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    return sh.full(shape, 0, _dt(dtype) or dtypes.default_float())


def ones(shape, dtype=None):
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    return sh.full(shape, 1, _dt(dtype) or dtypes.default_float())


def full(shape, fill_value, dtype=None):
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    fill = asarray(fill_value)
    fa = get_aval(fill)
    dt = _dt(dtype) or fa.dtype
    fill = ew.convert_element_type(fill, dt, False)
    return sh.broadcast_to_rank_shape(fill, shape)


def empty(shape, dtype=None):
    return zeros(shape, dtype)


def zeros_like(x, dtype=None, shape=None):
    a = get_aval(x)
    return sh.full(a.shape if shape is None else shape, 0, _dt(dtype) or a.dtype)


def ones_like(x, dtype=None, shape=None):
    a = get_aval(x)
    return sh.full(a.shape if shape is None else shape, 1, _dt(dtype) or a.dtype)


def full_like(x, fill_value, dtype=None, shape=None):
    a = get_aval(x)
    return full(a.shape if shape is None else shape, fill_value, _dt(dtype) or a.dtype)


empty_like = zeros_like


def _static(x, what: str):
    v = core.concrete_or_none(x)
    if v is None:
        raise core.ConcretizationTypeError(
            f"{what} requires concrete (static) arguments, but got a traced value {x!r}. "
            "Under jit, mark it static with static_argnums / static_argnames.")
    return v.item() if np.ndim(v) == 0 else v


def arange(start, stop=None, step=None, dtype=None):
    start = _static(start, "irax.numpy.arange")
    stop = None if stop is None else _static(stop, "irax.numpy.arange")
    step = None if step is None else _static(step, "irax.numpy.arange")
    if stop is None:
        start, stop = 0, start
    step = 1 if step is None else step
    vals = np.arange(start, stop, step)
    dt = _dt(dtype)
    if dt is None:
        dt = dtypes.default_int() if vals.dtype.kind in "iu" else dtypes.default_float()
    if dt.kind in "iu" and isinstance(start, int) and isinstance(step, int):
        n = len(vals)
        out = sh.iota(dt, (n,), 0)
        if step != 1:
            out = ew.mul(out, sh.full((n,), step, dt))
        if start != 0:
            out = ew.add(out, sh.full((n,), start, dt))
        return out
    return Array(vals.astype(dt))


def linspace(start, stop, num: int = 50, endpoint: bool = True, retstep: bool = False,
             dtype=None, axis: int = 0):
    # concrete endpoints give a constant; traced ones (even with concrete values, e.g. under
    # grad) must go through primitives so that derivatives flow
    traced = isinstance(start, Tracer) or isinstance(stop, Tracer)
    s, t = core.concrete_or_none(start), core.concrete_or_none(stop)
    dt = _dt(dtype) or dtypes.default_float()
    if s is not None and t is not None and not traced:
        vals = np.linspace(s, t, int(num), endpoint=endpoint, dtype=np.float64)
        out = Array(vals.astype(dt))
        step = (float(t) - float(s)) / builtins.max(int(num) - (1 if endpoint else 0), 1)
    else:
        start, stop = _to_float(asarray(start, dt)), _to_float(asarray(stop, dt))
        div = builtins.max(int(num) - (1 if endpoint else 0), 1)
        i = sh.iota(dt, (int(num),), 0)
        step = (stop - start) / div
        out = start + i * step
    return (out, step) if retstep else out


def eye(N, M=None, k: int = 0, dtype=None):
    M = N if M is None else M
    dt = _dt(dtype) or dtypes.default_float()
    return Array(np.eye(N, M, k, dtype=dt))


def identity(n, dtype=None):
    return eye(n, dtype=dtype)


def tri(N, M=None, k=0, dtype=None):
    M = N if M is None else M
    return Array(np.tri(N, M, k, dtype=_dt(dtype) or dtypes.default_float()))


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


# ---------------------------------------------------------------------------
# Reductions


def _axes(axis, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        a = int(a)
        if not -ndim <= a < builtins.max(ndim, 1) or (ndim == 0 and a not in (0, -1)):
            raise ValueError(f"axis {a} is out of bounds for array of dimension {ndim}")
        out.append(a % builtins.max(ndim, 1) if ndim else 0)
    if ndim == 0:
        return ()
    return tuple(out)


def _axis(axis, ndim: int) -> int:
    """One axis, negative allowed, checked against ndim (as NumPy's normalize_axis_index)."""
    a = int(axis)
    if not -ndim <= a < ndim:
        raise ValueError(f"axis {a} is out of bounds for array of dimension {ndim}")
    return a % ndim


def _keep(out, in_shape, axes, keepdims):
    return sh.reshape(out, rd.keep_axes_shape(in_shape, axes)) if keepdims else out


def sum(a, axis=None, dtype=None, keepdims: bool = False, where=None):
    a = asarray(a)
    av = get_aval(a)
    dt = _dt(dtype)
    if dt is None and av.dtype.kind in "bui" and av.dtype.itemsize < np.dtype(dtypes.default_int()).itemsize \
            or (dt is None and av.dtype == np.bool_):
        dt = dtypes.default_int()
    if dt is not None:
        a = ew.convert_element_type(a, dt, av.weak_type)
    if where is not None:
        a = _where_mask(a, where, 0)
    axes = _axes(axis, av.ndim)
    return _keep(rd.reduce_sum(a, axes), av.shape, axes, keepdims)


def _where_mask(a, mask, fill):
    return where(mask, a, full_like(a, fill))


def prod(a, axis=None, dtype=None, keepdims: bool = False):
    a = asarray(a)
    av = get_aval(a)
    if dtype is not None:
        a = ew.convert_element_type(a, _dt(dtype), False)
    elif av.dtype == np.bool_:
        a = ew.convert_element_type(a, dtypes.default_int(), False)
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


def max(a, axis=None, keepdims: bool = False, initial=None, where=None):
    a = _masked_extremum(asarray(a), where, initial, "maximum")
    av = get_aval(a)
    axes = _axes(axis, av.ndim)
    if builtins.any(av.shape[i] == 0 for i in axes):
        raise ValueError("zero-size array to reduction operation max which has no identity")
    out = rd.reduce_max_p.bind(a, axes=axes) if axes else a
    out = _keep(out, av.shape, axes, keepdims)
    return out if initial is None else maximum(out, initial)


def min(a, axis=None, keepdims: bool = False, initial=None, where=None):
    a = _masked_extremum(asarray(a), where, initial, "minimum")
    av = get_aval(a)
    axes = _axes(axis, av.ndim)
    if builtins.any(av.shape[i] == 0 for i in axes):
        raise ValueError("zero-size array to reduction operation min which has no identity")
    out = rd.reduce_min_p.bind(a, axes=axes) if axes else a
    out = _keep(out, av.shape, axes, keepdims)
    return out if initial is None else minimum(out, initial)


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


def mean(a, axis=None, dtype=None, keepdims: bool = False, where=None):
    a = asarray(a)
    av = get_aval(a)
    axes = _axes(axis, av.ndim)
    n = int(np.prod([av.shape[i] for i in axes], dtype=np.int64))
    if av.dtype.kind in "fc":
        a_f = a
    else:
        a_f = ew.convert_element_type(a, _dt(dtype) or dtypes.default_float(), False)
    if where is not None:
        s = sum(a_f, axis, keepdims=keepdims, where=where)
        cnt = sum(broadcast_to(asarray(where), av.shape), axis, keepdims=keepdims)
        return true_divide(s, cnt)
    s = sum(a_f, axis, keepdims=keepdims)
    return ew.div(s, ew.full_like_scalar(s, n))


def var(a, axis=None, dtype=None, ddof: int = 0, keepdims: bool = False):
    a = _to_float(asarray(a))
    av = get_aval(a)
    axes = _axes(axis, av.ndim)
    n = int(np.prod([av.shape[i] for i in axes], dtype=np.int64))
    centered = subtract(a, mean(a, axis, keepdims=True))
    s = sum(square(centered), axis, keepdims=keepdims)
    return ew.div(s, ew.full_like_scalar(s, builtins.max(n - ddof, 0)))


def std(a, axis=None, dtype=None, ddof: int = 0, keepdims: bool = False):
    return sqrt(var(a, axis, dtype, ddof, keepdims))


def _arg(prim, a, axis, keepdims):
    a = asarray(a)
    av = get_aval(a)
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


# ---------------------------------------------------------------------------
# Shapes


def shape(a):
    return get_aval(a).shape


def ndim(a):
    return get_aval(a).ndim


def size(a, axis=None):
    s = get_aval(a).shape
    return int(np.prod(s, dtype=np.int64)) if axis is None else s[axis]


def reshape(a, newshape=None, order: str = "C", *, shape=None):
    newshape = shape if shape is not None else newshape
    a = asarray(a)
    av = get_aval(a)
    if isinstance(newshape, (int, np.integer)):
        newshape = (int(newshape),)
    newshape = [int(core.concrete_or_none(s) if isinstance(s, (Tracer, Array)) else s)
                for s in newshape]
    if newshape.count(-1) > 1:
        raise ValueError("can only specify one unknown dimension (-1) in reshape")
    if -1 in newshape:
        known = int(np.prod([s for s in newshape if s != -1], dtype=np.int64))
        if known == 0 or av.size % known:
            raise TypeError(f"cannot reshape array of shape {av.shape} (size {av.size}) into "
                            f"shape {tuple(newshape)}")
        newshape[newshape.index(-1)] = av.size // known
    return sh.reshape(a, tuple(newshape))


def ravel(a):
    a = asarray(a)
    return sh.reshape(a, (get_aval(a).size,))


def squeeze(a, axis=None):
    a = asarray(a)
    av = get_aval(a)
    if axis is None:
        dims = tuple(i for i, n in enumerate(av.shape) if n == 1)
    else:
        dims = _axes(axis, av.ndim)
    return sh.squeeze(a, dims)


def expand_dims(a, axis):
    a = asarray(a)
    av = get_aval(a)
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    nd = av.ndim + len(axes)
    norm = sorted(_axis(ax, nd) for ax in axes)
    return sh.expand_dims(a, norm)


def broadcast_to(a, shape):
    a = asarray(a)
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    av = get_aval(a)
    if len(shape) < av.ndim or _broadcast_shapes(av.shape, shape) != shape:
        raise ValueError(f"Incompatible shapes for broadcasting: {av.shape} and requested "
                         f"shape {shape}")
    return sh.broadcast_to_rank_shape(a, shape)


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
        raise ValueError(f"transpose permutation {tuple(axes)} is not a permutation of the axes "
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


# ---------------------------------------------------------------------------
# Indexing: x[...]


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


# ---------------------------------------------------------------------------
# Linear algebra


def dot(a, b, precision=None, preferred_element_type=None):
    a, b = _promote_dtype_only(a, b)
    na, nb = get_aval(a).ndim, get_aval(b).ndim
    if na == 0 or nb == 0:
        return multiply(a, b)
    if nb == 1:
        return la.dot_general(a, b, (((na - 1,), (0,)), ((), ())))
    return la.dot_general(a, b, (((na - 1,), (nb - 2,)), ((), ())))


def _promote_dtype_only(a, b):
    a, b = asarray(a), asarray(b)
    aa, ba = get_aval(a), get_aval(b)
    dt, weak = dtypes.result_type((aa.dtype, aa.weak_type), (ba.dtype, ba.weak_type))
    return ew.convert_element_type(a, dt, weak), ew.convert_element_type(b, dt, weak)


def matmul(a, b, precision=None, preferred_element_type=None):
    a, b = _promote_dtype_only(a, b)
    aa, ba = get_aval(a), get_aval(b)
    if aa.ndim == 0 or ba.ndim == 0:
        raise ValueError("matmul: Input operand does not have enough dimensions (0-d operands "
                         "are not allowed; use multiply)")
    if aa.ndim == 1 and ba.ndim == 1:
        if aa.shape != ba.shape:
            raise TypeError(f"matmul: shapes {aa.shape} and {ba.shape} are incompatible")
        return la.dot_general(a, b, (((0,), (0,)), ((), ())))
    a2 = sh.reshape(a, (1, aa.shape[0])) if aa.ndim == 1 else a
    b2 = sh.reshape(b, (ba.shape[0], 1)) if ba.ndim == 1 else b
    a2a, b2a = get_aval(a2), get_aval(b2)
    if a2a.shape[-1] != b2a.shape[-2]:
        raise TypeError(f"matmul: contracting dimensions differ: shapes {aa.shape} and "
                        f"{ba.shape} (size {a2a.shape[-1]} vs {b2a.shape[-2]})")
    batch = _broadcast_shapes(a2a.shape[:-2], b2a.shape[:-2])
    a2 = sh.broadcast_to_rank_shape(a2, batch + a2a.shape[-2:])
    b2 = sh.broadcast_to_rank_shape(b2, batch + b2a.shape[-2:])
    nb = len(batch)
    out = la.dot_general(a2, b2, (((nb + 1,), (nb,)), (tuple(range(nb)), tuple(range(nb)))))
    if aa.ndim == 1:
        out = sh.squeeze(out, (nb,))
    if ba.ndim == 1:
        out = sh.squeeze(out, (get_aval(out).ndim - 1,))
    return out


def vdot(a, b):
    return dot(ravel(a), ravel(b))


def inner(a, b):
    a, b = _promote_dtype_only(a, b)
    na, nb = get_aval(a).ndim, get_aval(b).ndim
    if na == 0 or nb == 0:
        return multiply(a, b)
    return la.dot_general(a, b, (((na - 1,), (nb - 1,)), ((), ())))


def outer(a, b):
    a, b = ravel(a), ravel(b)
    return multiply(sh.reshape(a, (get_aval(a).shape[0], 1)), b)


def tensordot(a, b, axes=2):
    a, b = _promote_dtype_only(a, b)
    na, nb = get_aval(a).ndim, get_aval(b).ndim
    if isinstance(axes, int):
        ca, cb = tuple(range(na - axes, na)), tuple(range(axes))
    else:
        ca, cb = axes
        ca = (ca,) if isinstance(ca, int) else tuple(ca)
        cb = (cb,) if isinstance(cb, int) else tuple(cb)
        ca, cb = tuple(_axis(i, na) for i in ca), tuple(_axis(i, nb) for i in cb)
    return la.dot_general(a, b, ((ca, cb), ((), ())))


def einsum(subscripts: str, *operands, optimize=None, precision=None):
    operands = [asarray(o) for o in operands]
    subscripts = subscripts.replace(" ", "")
    if "->" in subscripts:
        ins, out = subscripts.split("->")
    else:
        ins = subscripts
        letters = [c for c in ins.replace(",", "") if c.isalpha()]
        out = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    specs = ins.split(",")
    if len(specs) != len(operands):
        raise ValueError(f"einsum: {len(specs)} operand specs for {len(operands)} operands")
    if "." in subscripts:
        raise NotImplementedError("einsum with ellipsis is not supported")
    for s, o in zip(specs, operands):
        if len(s) != get_aval(o).ndim:
            raise ValueError(f"einsum: operand spec {s!r} does not match operand of shape "
                             f"{get_aval(o).shape}")
        if len(set(s)) != len(s):
            raise NotImplementedError(f"einsum: repeated index within one operand ({s!r})")
    if len(operands) == 1:
        (s,), (x,) = specs, operands
        summed = tuple(i for i, c in enumerate(s) if c not in out)
        x = rd.reduce_sum(x, summed)
        rest = [c for c in s if c in out]
        return sh.transpose(x, tuple(rest.index(c) for c in out))
    if len(operands) > 2:
        # contract left to right, keeping letters still needed later
        acc, acc_spec = operands[0], specs[0]
        for k in range(1, len(operands)):
            later = set(out) | set("".join(specs[k + 1:]))
            keep = "".join(dict.fromkeys(c for c in acc_spec + specs[k] if c in later))
            acc = einsum(f"{acc_spec},{specs[k]}->{keep}", acc, operands[k])
            acc_spec = keep
        return einsum(f"{acc_spec}->{out}", acc)
    (sa, sb), (a, b) = specs, operands
    a, b = _promote_dtype_only(a, b)
    # sum out letters that appear in only one operand and not in the output
    only_a = tuple(i for i, c in enumerate(sa) if c not in sb and c not in out)
    only_b = tuple(i for i, c in enumerate(sb) if c not in sa and c not in out)
    a = rd.reduce_sum(a, only_a)
    b = rd.reduce_sum(b, only_b)
    sa = "".join(c for i, c in enumerate(sa) if i not in only_a)
    sb = "".join(c for i, c in enumerate(sb) if i not in only_b)
    batch = [c for c in sa if c in sb and c in out]
    contract = [c for c in sa if c in sb and c not in out]
    dn = ((tuple(sa.index(c) for c in contract), tuple(sb.index(c) for c in contract)),
          (tuple(sa.index(c) for c in batch), tuple(sb.index(c) for c in batch)))
    res = la.dot_general(a, b, dn)
    res_spec = batch + [c for c in sa if c not in batch and c not in contract] + \
        [c for c in sb if c not in batch and c not in contract]
    return sh.transpose(res, tuple(res_spec.index(c) for c in out))


class _Linalg:
    @staticmethod
    def norm(x, ord=None, axis=None, keepdims: bool = False):
        x = _to_float(asarray(x))
        xa = get_aval(x)
        if ord is None or ord == 2 and (axis is not None and isinstance(axis, int)
                                        or xa.ndim == 1) or ord == "fro":
            return sqrt(sum(square(x), axis, keepdims=keepdims))
        if ord == 1:
            return sum(abs(x), axis, keepdims=keepdims)
        if ord in (np.inf, "inf"):
            return max(abs(x), axis, keepdims=keepdims)
        if ord in (-np.inf,):
            return min(abs(x), axis, keepdims=keepdims)
        if isinstance(ord, (int, float)) and xa.ndim == 1 or isinstance(axis, int):
            return power(sum(power(abs(x), float(ord)), axis, keepdims=keepdims), 1.0 / ord)
        raise NotImplementedError(f"irax.numpy.linalg.norm with ord={ord!r} on a "
                                  f"{xa.ndim}-d array")


linalg = _Linalg()


# ---------------------------------------------------------------------------
# Methods and operators on arrays and tracers


def _rev(f):
    return lambda self, other: f(other, self)


def _astype(self, dtype):
    return asarray(self, dtype)


def _reshape_method(self, *shape, order="C"):
    if len(shape) == 1 and not isinstance(shape[0], (int, np.integer)):
        shape = tuple(shape[0])
    return reshape(self, shape)


def _transpose_method(self, *axes):
    if len(axes) == 1 and not isinstance(axes[0], (int, np.integer)):
        axes = axes[0]
    return transpose(self, axes or None)


def _setitem(self, idx, value):
    raise TypeError(f"'{type(self).__name__}' object does not support item assignment: irax "
                    "arrays are immutable. Instead of x[idx] = y, use x = x.at[idx].set(y).")


def _matmul(a, b):
    return matmul(a, b)


def _eq(a, b):
    if not core.is_array_like(b) and not isinstance(b, (list, np.ndarray)):
        return NotImplemented
    return equal(a, b)


def _ne(a, b):
    if not core.is_array_like(b) and not isinstance(b, (list, np.ndarray)):
        return NotImplemented
    return not_equal(a, b)


_METHODS = {
    "__add__": add, "__radd__": _rev(add), "__sub__": subtract, "__rsub__": _rev(subtract),
    "__mul__": multiply, "__rmul__": _rev(multiply), "__truediv__": true_divide,
    "__rtruediv__": _rev(true_divide), "__floordiv__": floor_divide,
    "__rfloordiv__": _rev(floor_divide), "__mod__": remainder, "__rmod__": _rev(remainder),
    "__pow__": power, "__rpow__": _rev(power), "__matmul__": _matmul,
    "__rmatmul__": _rev(_matmul), "__neg__": negative, "__pos__": positive, "__abs__": abs,
    "__lt__": less, "__le__": less_equal, "__gt__": greater, "__ge__": greater_equal,
    "__eq__": _eq, "__ne__": _ne, "__and__": bitwise_and, "__rand__": _rev(bitwise_and),
    "__or__": bitwise_or, "__ror__": _rev(bitwise_or), "__xor__": bitwise_xor,
    "__rxor__": _rev(bitwise_xor), "__invert__": invert, "__getitem__": getitem, "__setitem__": _setitem,
    "astype": _astype, "reshape": _reshape_method, "transpose": _transpose_method,
    "sum": sum, "mean": mean, "max": max, "min": min, "prod": prod, "argmax": argmax,
    "argmin": argmin, "squeeze": squeeze, "ravel": ravel, "flatten": ravel, "dot": dot,
    "var": var, "std": std, "clip": clip, "cumsum": cumsum, "any": any, "all": all,
    "swapaxes": swapaxes, "round": round,
}

for _cls in (Tracer, Array):
    for _name, _fn in _METHODS.items():
        setattr(_cls, _name, _fn)
    _cls.T = property(lambda self: transpose(self))
    _cls.at = property(lambda self: _IndexUpdateHelper(self))


class _IndexUpdateHelper:
    def __init__(self, x):
        self.x = x

    def __getitem__(self, idx):
        return _IndexUpdateRef(self.x, idx)


class _IndexUpdateRef:
    """x.at[idx].set / add / get, for basic and single-integer-array indices."""

    def __init__(self, x, idx):
        self.x, self.idx = asarray(x), idx

    def get(self):
        return getitem(self.x, self.idx)

    def _positions(self):
        xa = get_aval(self.x)
        n = xa.size
        flat_ids = Array(np.arange(n, dtype=np.int32).reshape(xa.shape))
        return getitem(flat_ids, self.idx)

    def add(self, values):
        xa = get_aval(self.x)
        pos = self._positions()
        vals = broadcast_to(asarray(values, xa.dtype), get_aval(pos).shape)
        flat = ix.scatter_add(ravel(self.x), pos, vals, 0)
        return sh.reshape(flat, xa.shape)

    def set(self, values):
        xa = get_aval(self.x)
        pos = self._positions()
        vals = broadcast_to(asarray(values, xa.dtype), get_aval(pos).shape)
        ones_ = sh.full(get_aval(pos).shape, 1, xa.dtype)
        zeros_flat = sh.full((xa.size,), 0, xa.dtype)
        hit = ix.scatter_add(zeros_flat, pos, ones_, 0)
        placed = ix.scatter_add(zeros_flat, pos, vals, 0)
        flat = ew.select(ew.gt(hit, sh.full((xa.size,), 0, xa.dtype)),
                         ew.div(placed, ew.max_p.bind(hit, sh.full((xa.size,), 1, xa.dtype))),
                         ravel(self.x))
        return sh.reshape(flat, xa.shape)

    def multiply(self, values):
        return self.set(multiply(self.get(), values))
