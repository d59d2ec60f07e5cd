"""Samplers JAX builds from the basic ones (same composition, so the same keys give the
same numbers to within the ulps of the underlying transcendental functions)."""
from __future__ import annotations

import numpy as np

from .. import numpy as jnp
from ..tracer import dtypes
from ..tracer.core import get_aval
from ..tracer.prims import elementwise as ew
from . import _keys
from ._distributions import (_as, _check_shape, _exponential, _float_dtype, _int_dtype,
                             _normal, _shape, _shape_of, _uniform, bernoulli)
from ._gamma import _gamma


def _param_shape(name, shape, *params):
    if shape is None:
        return jnp.broadcast_shapes(*[_shape_of(jnp.asarray(p)) for p in params])
    shape = _shape(shape)
    _check_shape(name, shape, *[_shape_of(jnp.asarray(p)) for p in params])
    return shape


def cauchy(key, shape=(), dtype=None):
    data, _ = _keys.check_key("cauchy", key)
    dtype = _float_dtype("cauchy", dtype)
    u = _uniform(data, _shape(shape), dtype, dtypes.finfo(dtype).eps, 1.)
    return jnp.tan(_as(np.pi, dtype) * (u - _as(0.5, dtype)))


def pareto(key, b, shape=None, dtype=None):
    data, _ = _keys.check_key("pareto", key)
    dtype = _float_dtype("pareto", dtype)
    shape = _param_shape("pareto", shape, b)
    return jnp.exp(_exponential(data, shape, dtype) / _as(b, dtype))


def lognormal(key, sigma=np.float32(1), shape=None, dtype=None):
    data, _ = _keys.check_key("lognormal", key)
    dtype = _float_dtype("lognormal", dtype)
    shape = _param_shape("lognormal", shape, sigma)
    return jnp.exp(_normal(data, shape, dtype) * _as(sigma, dtype))


def chisquare(key, df, shape=None, dtype=None):
    data, _ = _keys.check_key("chisquare", key)
    dtype = _float_dtype("chisquare", dtype)
    shape = _param_shape("chisquare", shape, df)
    half_df = _as(df, dtype) / _as(2, dtype)
    return jnp.exp(_gamma(data, half_df, shape, dtype, True)) * _as(2, dtype)


def t(key, df, shape=None, dtype=None):
    data, _ = _keys.check_key("t", key)
    dtype = _float_dtype("t", dtype)
    shape = _param_shape("t", shape, df)
    key_n, key_g = _keys.unstack(_keys.split_data(data, 2), 2)
    n = _normal(key_n, shape, dtype)
    half_df = _as(df, dtype) / _as(2, dtype)
    g = _gamma(key_g, half_df, shape, dtype, False)
    return n * jnp.sqrt(half_df / g)


def f(key, dfnum, dfden, shape=None, dtype=None):
    data, _ = _keys.check_key("f", key)
    dtype = _float_dtype("f", dtype)
    shape = _param_shape("f", shape, dfnum, dfden)
    key_den, key_num = _keys.unstack(_keys.split_data(data, 2), 2)
    dfnum, dfden = _as(dfnum, dtype), _as(dfden, dtype)
    two = _as(2, dtype)
    chi_num = jnp.exp(_gamma(key_num, dfnum / two, shape, dtype, True)) * two
    chi_den = jnp.exp(_gamma(key_den, dfden / two, shape, dtype, True)) * two
    return (chi_num / dfnum) / (chi_den / dfden)


def rademacher(key, shape=(), dtype=None):
    _keys.check_key("rademacher", key)
    dtype = _int_dtype("rademacher", dtype)
    b = ew.convert_element_type(bernoulli(key, 0.5, _shape(shape)), dtype)
    return ew.convert_element_type(2 * b - 1, dtype)


def maxwell(key, shape=(), dtype=None):
    data, _ = _keys.check_key("maxwell", key)
    dtype = _float_dtype("maxwell", dtype)
    x = _normal(data, _shape(shape) + (3,), dtype)
    return jnp.sqrt(jnp.sum(x * x, axis=-1))


def double_sided_maxwell(key, loc, scale, shape=(), dtype=None):
    data, _ = _keys.check_key("double_sided_maxwell", key)
    dtype = _float_dtype("double_sided_maxwell", dtype)
    params = jnp.broadcast_shapes(_shape_of(jnp.asarray(loc)), _shape_of(jnp.asarray(scale)))
    shape = _shape(shape) or params
    shape = tuple(shape) + tuple(params)
    k_max, k_sign = _keys.unstack(_keys.split_data(data, 2), 2)
    x = _normal(k_max, shape + (3,), dtype)
    m = jnp.sqrt(jnp.sum(x * x, axis=-1))
    sign = _as(rademacher(k_sign, shape, np.int32), dtype)
    return sign * m * _as(scale, dtype) + _as(loc, dtype)


def weibull_min(key, scale, concentration, shape=(), dtype=None):
    data, _ = _keys.check_key("weibull_min", key)
    dtype = _float_dtype("weibull_min", dtype)
    u = _uniform(data, _shape(shape), dtype, 0, 1)
    return jnp.power(-jnp.log1p(-u), 1.0 / _as(concentration, dtype)) * _as(scale, dtype)


def rayleigh(key, scale, shape=None, dtype=None):
    data, _ = _keys.check_key("rayleigh", key)
    dtype = _float_dtype("rayleigh", dtype)
    shape = _param_shape("rayleigh", shape, scale)
    u = _uniform(data, shape, dtype, 0., 1.)
    scale = jnp.broadcast_to(_as(scale, dtype), shape)
    return scale * jnp.sqrt(jnp.log(u) * _as(-2, dtype))


def wald(key, mean, shape=None, dtype=None):
    data, _ = _keys.check_key("wald", key)
    dtype = _float_dtype("wald", dtype)
    shape = _param_shape("wald", shape, mean)
    k1, k2 = _keys.unstack(_keys.split_data(data, 2), 2)
    mean = jnp.broadcast_to(_as(mean, dtype), shape)
    v = _normal(k1, shape, dtype)
    z = _uniform(k2, shape, dtype, 0., 1.)
    y = v * v
    mean_sq = mean * mean
    sqrt_term = jnp.sqrt(4 * mean * y + mean_sq * (y * y))
    x = mean + mean_sq * y / 2 - mean / 2 * sqrt_term
    return jnp.where(z <= mean / (mean + x), x, mean_sq / x)


def geometric(key, p, shape=None, dtype=None):
    data, _ = _keys.check_key("geometric", key)
    dtype = _int_dtype("geometric", dtype)
    p = jnp.asarray(p)
    if dtypes.kind(get_aval(p).dtype) != "f":
        p = _as(p, _float_dtype("geometric", None))
    shape = _param_shape("geometric", shape, p)
    u = _uniform(data, shape, get_aval(p).dtype, 0., 1.)
    u = jnp.where(u == 0, 1, u)   # as JAX: u = 0 maps to 1
    g = jnp.floor(jnp.log(u) / jnp.broadcast_to(jnp.log1p(-p), shape)) + 1
    return ew.convert_element_type(g, dtype)


def triangular(key, left, mode, right, shape=None, dtype=None):
    data, _ = _keys.check_key("triangular", key)
    dtype = _float_dtype("triangular", dtype)
    shape = _param_shape("triangular", shape, left, mode, right)
    left, mode, right = (jnp.broadcast_to(_as(v, dtype), shape) for v in (left, mode, right))
    fc = (mode - left) / (right - left)
    u = _uniform(data, shape, dtype, 0., 1.)
    out1 = left + jnp.sqrt(u * (right - left) * (mode - left))
    out2 = right - jnp.sqrt((1 - u) * (right - left) * (right - mode))
    return jnp.where(u < fc, out1, out2)


def clone(key):
    """The same key (JAX's clone matters only to its key-reuse checker)."""
    return key
