"""jax.lax elementwise functions built from irax.numpy (issue #12).

lax is strict: unlike jnp it does not promote mixed dtypes. Python scalars are weak-typed
and accepted; two arrays of different dtypes raise TypeError, as jax.lax does.
"""
from __future__ import annotations

import enum

import numpy as np

from .. import numpy as jnp
from ..tracer import dtypes
from ..tracer.core import get_aval
from ..tracer.prims import bits
from ..tracer.prims import elementwise as ew


def _check_same_dtype(name, *args):
    # Python scalars are weak-typed: they take the dtype of the array operand.
    dts = {np.dtype(get_aval(a).dtype) for a in args
           if not isinstance(a, (bool, int, float, complex))}
    if len(dts) > 1:
        raise TypeError(f"lax.{name} requires arguments to have the same dtypes, got "
                        + ", ".join(sorted(str(d) for d in dts)) + ".")


def _unary(name, fn):
    def f(x):
        return fn(x)
    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"Elementwise {name}, as jax.lax.{name}."
    return f


def _binary(name, fn):
    def f(x, y):
        _check_same_dtype(name, x, y)
        return fn(x, y)
    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"Elementwise {name}, as jax.lax.{name} (no dtype promotion)."
    return f


acos = _unary("acos", jnp.arccos)
asin = _unary("asin", jnp.arcsin)
atan = _unary("atan", jnp.arctan)
cosh = _unary("cosh", jnp.cosh)
sinh = _unary("sinh", jnp.sinh)
square = _unary("square", lambda x: ew.square_p.bind(jnp.asarray(x)))
expm1 = _unary("expm1", jnp.expm1)
log1p = _unary("log1p", jnp.log1p)
floor = _unary("floor", jnp.floor)
ceil = _unary("ceil", jnp.ceil)
tan = _unary("tan", jnp.tan)
atan2 = _binary("atan2", jnp.arctan2)
lt = _binary("lt", jnp.less)
le = _binary("le", jnp.less_equal)
gt = _binary("gt", jnp.greater)
ge = _binary("ge", jnp.greater_equal)
eq = _binary("eq", jnp.equal)
ne = _binary("ne", jnp.not_equal)

asinh = _unary("asinh", jnp.arcsinh)
atanh = _unary("atanh", jnp.arctanh)
cbrt = _unary("cbrt", jnp.cbrt)
exp2 = _unary("exp2", jnp.exp2)
is_finite = _unary("is_finite", jnp.isfinite)
bitwise_not = _unary("bitwise_not", jnp.bitwise_not)
rem = _binary("rem", jnp.fmod)  # C fmod: result has the sign of the dividend
bitwise_and = _binary("bitwise_and", jnp.bitwise_and)
bitwise_or = _binary("bitwise_or", jnp.bitwise_or)
bitwise_xor = _binary("bitwise_xor", jnp.bitwise_xor)

__all__ = ["asinh", "atanh", "cbrt", "exp2", "is_finite", "bitwise_not", "rem",
           "bitwise_and", "bitwise_or", "bitwise_xor"]
__all__ += ["acos", "asin", "atan", "cosh", "sinh", "square", "expm1", "log1p", "floor", "ceil",
            "tan", "atan2", "lt", "le", "gt", "ge", "eq", "ne"]


acosh = _unary("acosh", jnp.arccosh)
reciprocal = _unary("reciprocal", jnp.reciprocal)
pow = _binary("pow", jnp.power)  # noqa: A001


class RoundingMethod(enum.IntEnum):
    """As jax.lax.RoundingMethod: how lax.round breaks ties."""
    AWAY_FROM_ZERO = 0
    TO_NEAREST_EVEN = 1


def round(x, rounding_method=RoundingMethod.AWAY_FROM_ZERO):  # noqa: A001
    """Elementwise round to integral value, as jax.lax.round."""
    if RoundingMethod(rounding_method) == RoundingMethod.TO_NEAREST_EVEN:
        return jnp.round(x)
    # Ties away from zero: compare the fractional part with 0.5 exactly (x - trunc(x) is
    # exact in floating point), rather than floor(|x| + 0.5), which misrounds 0.49999997.
    t = jnp.trunc(x)
    return jnp.where(jnp.abs(x - t) >= 0.5, t + jnp.sign(x), t)


__all__ += ["acosh", "reciprocal", "pow", "RoundingMethod", "round"]


# Special functions: irax.scipy.special has them; imported on call because irax.scipy
# itself builds on irax.lax (a module-level import would be a cycle).
def _special(name, sname, nargs):
    def f(*args):
        if len(args) != nargs:
            raise TypeError(f"lax.{name} takes {nargs} arguments, got {len(args)}")
        if nargs > 1:
            _check_same_dtype(name, *args)
        from ..scipy import special
        return getattr(special, sname)(*args)
    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"Elementwise {name}, as jax.lax.{name}."
    return f


erfc = _special("erfc", "erfc", 1)
erf_inv = _special("erf_inv", "erfinv", 1)
lgamma = _special("lgamma", "gammaln", 1)
digamma = _special("digamma", "digamma", 1)
bessel_i0e = _special("bessel_i0e", "i0e", 1)
bessel_i1e = _special("bessel_i1e", "i1e", 1)
igamma = _special("igamma", "gammainc", 2)
igammac = _special("igammac", "gammaincc", 2)
zeta = _special("zeta", "zeta", 2)
betainc = _special("betainc", "betainc", 3)

__all__ += ["erfc", "erf_inv", "lgamma", "digamma", "bessel_i0e", "bessel_i1e", "igamma",
            "igammac", "zeta", "betainc"]


# Bit operations: the integer primitives of irax/tracer/prims/bits.py, with lax's strict
# dtypes (a Python int takes the array's dtype).
def _bits_binary(name, prim_fn):
    def f(x, y):
        _check_same_dtype(name, x, y)
        x, y = _int_operands(name, x, y)
        return prim_fn(x, y)
    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"Elementwise {name}, as jax.lax.{name} (integers, no dtype promotion)."
    return f


def _bits_unary(name, prim_fn):
    def f(x):
        (x,) = _int_operands(name, x)
        return prim_fn(x)
    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"Elementwise {name}, as jax.lax.{name} (integers)."
    return f


def _int_operands(name, *args):
    arrays = [a for a in args if not isinstance(a, (bool, int))]
    dtype = np.dtype(get_aval(arrays[0]).dtype) if arrays else np.dtype(np.int32)
    if dtypes.kind(dtype) not in "iu":
        raise TypeError(f"lax.{name} does not accept dtype {dtype}. Accepted dtypes are "
                        "subtypes of integer.")
    return jnp.broadcast_arrays(*(jnp.asarray(a, dtype) for a in args))


shift_left = _bits_binary("shift_left", bits.shift_left)
shift_right_logical = _bits_binary("shift_right_logical", bits.shift_right_logical)
shift_right_arithmetic = _bits_binary("shift_right_arithmetic", bits.shift_right_arithmetic)
population_count = _bits_unary("population_count", bits.population_count)
clz = _bits_unary("clz", bits.clz)


__all__ += ["shift_left", "shift_right_logical", "shift_right_arithmetic", "population_count",
            "clz"]
