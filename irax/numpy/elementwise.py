"""irax.numpy elementwise functions: NumPy dtype promotion and broadcasting turned into strict primitive
applications."""
from __future__ import annotations

import builtins
import math
import numpy as np

from ..tracer import array_methods, core, dtypes
from ..tracer.core import Array, get_aval
from ..tracer.prims import bits
from ..tracer.prims import elementwise as ew
from ..tracer.prims import shape as sh
from ._core import _binary, _broadcast_shapes, _promote, _promote_inexact, _to_float, _unary, asarray, bool_, float32, float64
from .creation import full_like


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
_floor = _unary(ew.floor_p)
_ceil = _unary(ew.ceil_p)


def floor(x):
    x = asarray(x)
    return x if dtypes.kind(get_aval(x).dtype) in "iub" else _floor(x)   # integers stay (as jnp)


def ceil(x):
    x = asarray(x)
    return x if dtypes.kind(get_aval(x).dtype) in "iub" else _ceil(x)

negative = _unary(ew.neg_p, float_only=False)
# + * comparisons // % ** and abs: the tracer's operators are jax.numpy's functions (bool
# + bool is or, bool * bool is and, complex numbers compare lexicographically)
add = array_methods.add
subtract = array_methods.subtract
multiply = array_methods.multiply
less = array_methods.less
less_equal = array_methods.less_equal
greater = array_methods.greater
greater_equal = array_methods.greater_equal
floor_divide = array_methods.floor_divide
remainder = mod = array_methods.remainder
abs = absolute = array_methods.absolute


def isfinite(x):
    x = _to_float(asarray(x))
    if dtypes.kind(get_aval(x).dtype) == "c":   # both parts finite
        return ew.and_p.bind(ew.is_finite_p.bind(ew.real(x)), ew.is_finite_p.bind(ew.imag(x)))
    return ew.is_finite_p.bind(x)


sign = _unary(ew.sign_p, float_only=False)


def _extremum(real_prim, pick):
    """maximum / minimum; complex numbers by their lexicographic order (as jax.numpy)."""
    def f(x, y):
        x, y = _promote(x, y, broadcasting=True)
        if dtypes.kind(get_aval(x).dtype) != "c":
            return real_prim.bind(x, y)
        x, y = _promote(x, y)   # select takes no scalar against a ranked operand
        return ew.select(pick(x, y), x, y)
    f.__name__ = real_prim.name
    return f


maximum = _extremum(ew.max_p, greater_equal)
minimum = _extremum(ew.min_p, less_equal)
arctan2 = _binary(ew.atan2_p, float_only=True)
equal = _binary(ew.eq_p)
not_equal = _binary(ew.ne_p)
bitwise_and = _binary(ew.and_p)
bitwise_or = _binary(ew.or_p)
bitwise_xor = _binary(ew.xor_p)


def logical_and(x, y):
    return ew.and_p.bind(*_promote(asarray(x, bool_), asarray(y, bool_), broadcasting=True))


def logical_or(x, y):
    return ew.or_p.bind(*_promote(asarray(x, bool_), asarray(y, bool_), broadcasting=True))


def logical_xor(x, y):
    return ew.xor_p.bind(*_promote(asarray(x, bool_), asarray(y, bool_), broadcasting=True))


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
    return ew.square_p.bind(array_methods.bool_to_int(asarray(x)))   # `square`, as JAX


def reciprocal(x):
    return true_divide(1, x)


# true division, // and % are the operators' (irax/tracer/array_methods.py: one definition)


def true_divide(x, y):
    return array_methods.true_divide(asarray(x), asarray(y))


divide = true_divide


def fmod(x, y):
    x, y = map(array_methods.bool_to_int, _promote(x, y))   # bools as int32, as JAX
    return ew.rem_p.bind(x, array_methods.nonzero_divisor(y))


power = array_methods.power
pow = power


def float_power(x, y):
    return power(asarray(x, float64 if dtypes.config.enable_x64 else float32), y)


def round(x, decimals: int = 0):
    x = asarray(x)
    if get_aval(x).dtype == np.bool_:
        raise ValueError("irax.numpy.round: data type bool not inexact (as in jax.numpy)")
    if dtypes.kind(get_aval(x).dtype) in "iu":
        return x
    if dtypes.kind(get_aval(x).dtype) == "c":   # each part on its own
        return ew.complex_(round(ew.real(x), decimals), round(ew.imag(x), decimals))
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
    if dtypes.kind(get_aval(x).dtype) not in "fc":
        return full_like(x, False, dtype=bool_)
    return ew.ne_p.bind(x, x)


def isinf(x):
    x = asarray(x)
    if dtypes.kind(get_aval(x).dtype) not in "fc":
        return full_like(x, False, dtype=bool_)
    if _is_complex(x):   # either part infinite
        return ew.or_p.bind(isinf(ew.real(x)), isinf(ew.imag(x)))
    return ew.eq(ew.abs_p.bind(x), ew.full_like_scalar(x, np.inf))


def signbit(x):
    """The sign bit: True for -0.0 and negative NaNs too (read from the bits, as jnp)."""
    x = asarray(x)
    dtype = get_aval(x).dtype
    if dtypes.kind(dtype) != "f":
        return ew.lt(x, ew.full_like_scalar(x, 0))
    as_int = bits.bitcast_convert_type(x, np.dtype(f"int{8 * dtype.itemsize}"))
    return ew.lt(as_int, ew.full_like_scalar(as_int, 0))


def clip(a, a_min=None, a_max=None, *, min=None, max=None):
    a_min = a_min if min is None else min
    a_max = a_max if max is None else max
    out = asarray(a)
    if builtins.any(v is not None and dtypes.kind(get_aval(asarray(v)).dtype) == "c"
                    for v in (out, a_min, a_max)):
        raise ValueError("clip received a complex value (as input or as a bound): complex "
                         "values have no ordering. Clip the real or imaginary part instead.")
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
    # all three broadcast together; a mismatch is a ValueError here, as in jax.numpy.where
    _broadcast_shapes(*[get_aval(asarray(v)).shape for v in (cond, x, y)])
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
            "irax.numpy.where with one argument (nonzero) needs a concrete value: its "
            "output shape depends on the data. Under jit use "
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
    # big * sqrt(1 + (small/big)^2): no overflow of the squares (hypot(1e30, 1e30) is finite);
    # an infinite side makes it inf even against NaN (IEEE hypot, as in JAX)
    x, y = (ew.abs_p.bind(v) for v in _promote_inexact(x, y))
    big, small = ew.max_p.bind(x, y), ew.min_p.bind(x, y)
    zero, one = ew.full_like_scalar(big, 0), ew.full_like_scalar(big, 1)
    big_is_zero = ew.eq(big, zero)
    ratio = ew.div(small, ew.select(big_is_zero, one, big))
    out = ew.mul(big, ew.sqrt(ew.add(one, ew.square(ratio))))
    out = ew.select(big_is_zero, zero, out)
    inf = ew.full_like_scalar(big, np.inf)
    return ew.select(logical_or(ew.eq(x, inf), ew.eq(y, inf)), inf, out)


def positive(x):
    return asarray(x)


def _is_complex(x) -> bool:
    return dtypes.kind(get_aval(x).dtype) == "c"


def conj(x):
    x = asarray(x)
    return ew.conj(x) if _is_complex(x) else x


conjugate = conj


def real(x):
    x = asarray(x)
    return ew.real(x) if _is_complex(x) else x


def imag(x):
    x = asarray(x)
    return ew.imag(x) if _is_complex(x) else full_like(x, 0)


def angle(z, deg: bool = False):
    z = asarray(z)
    if _is_complex(z):
        re, im = ew.real(z), ew.imag(z)
    else:
        re = _to_float(z)
        im = ew.full_like_scalar(re, 0)
    out = ew.atan2_p.bind(im, re)
    return ew.mul(out, ew.full_like_scalar(out, 180 / np.pi)) if deg else out
