"""NumPy 2 spellings and small composites JAX's jnp also has (issue #12): the array-API
aliases (acos, concat, bitwise_invert, ...), predicates, window functions, cumulative_sum /
cumulative_prod, matrix/vector products, and the polynomial arithmetic helpers.

Everything here is built from the jnp functions of the modules before it; nothing new
reaches the tracer.
"""
from __future__ import annotations

import operator

import numpy as np

from . import _core, creation, elementwise as ew, mathfuncs, reductions, shapes
from . import contractions, polynomials, statistics
from ._core import asarray
from ..tracer import dtypes
from ..tracer.core import get_aval

acos, asin, atan = ew.arccos, ew.arcsin, ew.arctan
acosh, asinh, atanh = ew.arccosh, ew.arcsinh, ew.arctanh
atan2 = ew.arctan2
bitwise_invert = ew.invert
concat = shapes.concatenate
degrees, radians = ew.rad2deg, ew.deg2rad
euler_gamma = float(np.euler_gamma)
bool = _core.bool_  # noqa: A001
single, double = _core.float32, _core.float64
csingle, cdouble = _core.complex64, _core.complex128
generic, signedinteger, unsignedinteger = np.generic, np.signedinteger, np.unsignedinteger
flexible, character = np.flexible, np.character
s_, index_exp = np.s_, np.index_exp
isscalar, iterable = np.isscalar, np.iterable


def _inexact(x):
    (x,) = _core._promote_inexact(x)
    return x


def fabs(x, /):
    return ew.abs(_inexact(x))


def isposinf(x, /):
    x = asarray(x)
    return ew.logical_and(ew.isinf(x), ew.greater(x, 0))


def isneginf(x, /):
    x = asarray(x)
    return ew.logical_and(ew.isinf(x), ew.less(x, 0))


def iscomplex(x, /):
    x = asarray(x)
    if dtypes.kind(get_aval(x).dtype) != "c":
        return creation.zeros(get_aval(x).shape, np.bool_)
    return ew.not_equal(ew.imag(x), 0)


def isreal(x, /):
    return ew.logical_not(iscomplex(x))


def copy(a, order=None):
    return asarray(a)  # irax arrays are immutable: sharing is a copy


def astype(x, dtype, /, *, copy=False, device=None):  # noqa: A002
    return asarray(x).astype(dtype)


def matrix_transpose(x, /):
    x = asarray(x)
    if get_aval(x).ndim < 2:
        raise ValueError(f"matrix_transpose requires at least 2 dimensions; got {get_aval(x).ndim}")
    return shapes.swapaxes(x, -1, -2)


def _cumulative(name, scan):
    def f(x, /, *, axis=None, dtype=None, include_initial=False):
        x = asarray(x)
        ndim = get_aval(x).ndim
        if axis is None:
            if ndim > 1:
                raise ValueError(f"{name}: the input has {ndim} dimensions; axis must be given")
            axis = 0
        out = scan(x, axis=axis, dtype=dtype) if ndim else scan(x.reshape(1), axis=0, dtype=dtype)
        if include_initial:
            axis = operator.index(axis) % max(ndim, 1)
            shape = list(get_aval(out).shape)
            shape[axis] = 1
            start = creation.full(shape, 0 if name == "cumulative_sum" else 1, get_aval(out).dtype)
            out = shapes.concatenate([start, out], axis=axis)
        return out
    f.__name__ = f.__qualname__ = name
    return f


cumulative_sum = _cumulative("cumulative_sum", reductions.cumsum)
cumulative_prod = _cumulative("cumulative_prod", statistics.cumprod)


def modf(x, /):
    x = _inexact(x)
    whole = ew.trunc(x)
    return ew.subtract(x, whole), whole


def logspace(start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0):
    exponents = creation.linspace(start, stop, num, endpoint=endpoint, axis=axis)
    out = ew.power(asarray(base, get_aval(exponents).dtype), exponents)
    return out.astype(dtype) if dtype is not None else out


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    start, stop = asarray(start), asarray(stop)
    if np.any(np.asarray(start) == 0) or np.any(np.asarray(stop) == 0):
        raise ValueError("Geometric sequence cannot include zero")
    sign = ew.sign(start)
    logs = creation.linspace(ew.log10(ew.abs(start)), ew.log10(ew.abs(stop)), num,
                             endpoint=endpoint, axis=axis)
    out = ew.multiply(sign, ew.power(asarray(10.0, get_aval(logs).dtype), logs))
    return out.astype(dtype) if dtype is not None else out


def _window(m, values):
    m = operator.index(m)
    if m < 1:
        return creation.zeros((0,), _core.float32)
    if m == 1:
        return creation.ones((1,), _core.float32)
    n = creation.arange(m, dtype=_core.float32)
    return values(n, m)


def hanning(M):
    return _window(M, lambda n, m: 0.5 - 0.5 * ew.cos(2 * np.pi * n / (m - 1)))


def hamming(M):
    return _window(M, lambda n, m: 0.54 - 0.46 * ew.cos(2 * np.pi * n / (m - 1)))


def blackman(M):
    return _window(M, lambda n, m: 0.42 - 0.5 * ew.cos(2 * np.pi * n / (m - 1))
                   + 0.08 * ew.cos(4 * np.pi * n / (m - 1)))


def bartlett(M):
    return _window(M, lambda n, m: 1 - ew.abs(2 * n / (m - 1) - 1))


def kaiser(M, beta):
    def values(n, m):
        ratio = 2 * n / (m - 1) - 1
        arg = ew.multiply(beta, ew.sqrt(ew.maximum(1 - ratio * ratio, 0.0)))
        return ew.divide(mathfuncs.i0(arg), mathfuncs.i0(asarray(beta, _core.float32)))
    return _window(M, values)


def rollaxis(a, axis, start=0):
    a = asarray(a)
    ndim = get_aval(a).ndim
    axis = _core._axis(operator.index(axis), ndim)
    start = operator.index(start)
    start = start + ndim if start < 0 else start
    if not 0 <= start <= ndim:
        raise np.exceptions.AxisError(f"rollaxis: start {start} out of range for rank {ndim}")
    if axis < start:
        start -= 1
    return shapes.moveaxis(a, axis, start)


def unstack(x, /, *, axis=0):
    x = asarray(x)
    if get_aval(x).ndim == 0:
        raise ValueError("Input array must be at least 1-d.")
    axis = _core._axis(operator.index(axis), get_aval(x).ndim)
    return tuple(shapes.squeeze(s, axis) for s in shapes.split(x, get_aval(x).shape[axis], axis))


def diagflat(v, k=0):
    return shapes.diag(shapes.ravel(asarray(v)), k)


def vecdot(x1, x2, /, *, axis=-1):
    x1, x2 = asarray(x1), asarray(x2)
    return reductions.sum(ew.multiply(ew.conj(x1), x2), axis=axis)


def matvec(x1, x2, /):
    return contractions.matmul(x1, asarray(x2)[..., None])[..., 0]


def vecmat(x1, x2, /):
    return contractions.matmul(ew.conj(asarray(x1))[..., None, :], x2)[..., 0, :]


def polyadd(a1, a2):
    a1, a2 = asarray(a1), asarray(a2)
    n1, n2 = get_aval(a1).shape[0], get_aval(a2).shape[0]
    if n1 < n2:
        a1, n1, a2, n2 = a2, n2, a1, n1
    return ew.add(a1, shapes.concatenate([creation.zeros((n1 - n2,), get_aval(a2).dtype), a2]))


def polysub(a1, a2):
    return polyadd(a1, ew.negative(asarray(a2)))


def polymul(a1, a2):
    return polynomials.convolve(asarray(a1), asarray(a2))


def polyder(p, m=1):
    p = asarray(p)
    m = operator.index(m)
    if m < 0:
        raise ValueError("Order of derivative must be positive (see polyint)")
    for _ in range(m):
        n = get_aval(p).shape[0]
        p = ew.multiply(p[:-1], creation.arange(n - 1, 0, -1, dtype=get_aval(p).dtype))
    return p


def polyint(p, m=1, k=None):
    p = _inexact(p)
    m = operator.index(m)
    if m < 0:
        raise ValueError("Order of integral must be positive (see polyder)")
    ks = np.zeros(m) if k is None else np.broadcast_to(np.asarray(k), (m,))
    for i in range(m):
        n = get_aval(p).shape[0]
        p = shapes.concatenate([ew.divide(p, creation.arange(n, 0, -1, dtype=get_aval(p).dtype)),
                                asarray(ks[i], get_aval(p).dtype).reshape(1)])
    return p


__all__ = ["acos", "asin", "atan", "acosh", "asinh", "atanh", "atan2", "bitwise_invert",
           "concat", "degrees", "radians", "euler_gamma", "bool", "single", "double",
           "csingle", "cdouble", "generic", "signedinteger", "unsignedinteger", "flexible",
           "character", "s_", "index_exp", "isscalar", "iterable", "fabs", "isposinf",
           "isneginf", "iscomplex", "isreal", "copy", "astype", "matrix_transpose",
           "cumulative_sum", "cumulative_prod", "modf", "logspace", "geomspace", "hanning",
           "hamming", "blackman", "bartlett", "kaiser", "rollaxis", "unstack", "diagflat",
           "vecdot", "matvec", "vecmat", "polyadd", "polysub", "polymul", "polyder", "polyint"]
