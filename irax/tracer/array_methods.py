"""Arithmetic operators of Tracer and Array: +, -, *, /, //, %, **, unary -, +, abs, ~,
comparisons and &, |, ^, registered by the tracer itself (`register_array_methods`, called
from irax/tracer/__init__.py, as JAX registers its array methods explicitly).

So `grad(lambda x: x * 2.)(3.)` works with nothing but irax.tracer loaded. The operators
follow jax.numpy's rules: Python scalars are weakly typed (they never widen an array's
dtype), shapes broadcast NumPy-style, `/` is true division (integers become the default
float), `//` and `%` round toward negative infinity. irax.numpy adds the rest of the array
interface on top (indexing, `@`, x.sum(), x.at[...], ...) when it is imported.

Layering: above the primitive families (it binds elementwise and shape primitives);
imports nothing of irax outside irax/tracer.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from . import core, dtypes
from .core import Array, Primitive, Tracer, get_aval
from .prims import elementwise as ew
from .prims import shape as sh
from .rules import Value

# ---------------------------------------------------------------------------
# Operands: conversion, weak-type promotion, broadcasting


def _as_array(x: Any) -> Value:
    """A Python scalar or NumPy value as an irax Array (scalars stay weakly typed)."""
    if isinstance(x, (Tracer, Array)):
        return x
    if hasattr(x, "__jax_array__") and not core.is_array_like(x):
        return _as_array(x.__jax_array__())
    aval = get_aval(x)   # a TypeError naming the value for anything that is not an array
    return Array(np.asarray(x, dtype=aval.dtype), aval.weak_type)


def broadcast_shapes(*shapes: tuple[int, ...], error: type = ValueError) -> tuple[int, ...]:
    """NumPy's broadcasting of shapes. Incompatible shapes raise ValueError (as
    jnp.broadcast_shapes), or `error` (TypeError for the operands of an elementwise op)."""
    nd = max(len(s) for s in shapes)
    out = []
    for i in range(nd):
        dims = {s[i - nd + len(s)] for s in shapes if i - nd + len(s) >= 0}
        dims.discard(1)
        if len(dims) > 1:
            raise error("Incompatible shapes for broadcasting: "
                        + ", ".join(str(tuple(s)) for s in shapes))
        out.append(dims.pop() if dims else 1)
    return tuple(out)


def promote(*xs: Any, inexact: bool = False, broadcasting: bool = False,
            name: str = "an operation") -> list[Value]:
    """The operands at one dtype (weak Python scalars don't widen) and one shape; a shape
    mismatch is a TypeError, as in JAX. inexact: integers and bools promote on to the
    default float, each operand converted straight to it (so uint8 / -1 divides by -1.0).
    broadcasting: for the primitives that broadcast their operands as JAX's lax does
    (elementwise.BROADCASTING), only the ranks are made equal (leading size-1 axes) and
    rank-0 operands are left alone, as jax.numpy does: `x * 2.0` is `mul a 2.0:f32[]`.
    `name` is the operation's, for JAX's refusal of float0 operands."""
    avals = [get_aval(x) for x in xs]
    if any(a.dtype == dtypes.FLOAT0 for a in avals):
        raise core.float0_error(name)
    dt, weak = dtypes.result_type(*[(a.dtype, a.weak_type) for a in avals])
    if inexact and dtypes.kind(dt) not in "fc":
        dt = dtypes.default_float()
    shape = broadcast_shapes(*[a.shape for a in avals], error=TypeError)
    nd = len(shape)
    out = []
    for x, a in zip(xs, avals):
        x = _as_array(x)
        if a.dtype != dt or a.weak_type != weak:
            x = ew.convert_element_type(x, dt, weak)
        if not broadcasting:
            x = sh.broadcast_to_rank_shape(x, shape)
        elif 0 < a.ndim < nd:
            x = sh.broadcast_in_dim(x, (1,) * (nd - a.ndim) + a.shape, range(nd - a.ndim, nd))
        out.append(x)
    return out


# ---------------------------------------------------------------------------
# The operations


def _binary(prim: Primitive) -> Callable[[Any, Any], Value]:
    def op(x, y):
        return prim.bind(*promote(x, y, broadcasting=True, name=prim.name))
    op.__name__ = prim.name
    return op


def _bool_as(bool_prim: Primitive, prim: Primitive) -> Callable[[Any, Any], Value]:
    """A binary op that is `bool_prim` on two bools (bool + bool is logical or, bool * bool
    logical and, as in jax.numpy and NumPy)."""
    def op(x, y):
        x, y = promote(x, y, broadcasting=True, name=prim.name)
        return (bool_prim if get_aval(x).dtype == np.bool_ else prim).bind(x, y)
    op.__name__ = prim.name
    return op


def bool_to_int(x: Value) -> Value:
    """Bools as the default int, for arithmetic that has no bool form (as jax.numpy)."""
    a = get_aval(x)
    if a.dtype != np.bool_:
        return x
    return ew.convert_element_type(x, dtypes.default_int(), a.weak_type)


def _lexicographic(prim: Primitive) -> Callable[[Any, Any], Value]:
    """A comparison that orders complex numbers by real part, then imaginary part (as
    jax.numpy does); real operands use the primitive directly."""
    strict = ew.lt_p if prim in (ew.lt_p, ew.le_p) else ew.gt_p

    def op(x, y):
        x, y = promote(x, y, broadcasting=True, name=prim.name)
        if dtypes.kind(get_aval(x).dtype) != "c":
            return prim.bind(x, y)
        xr, yr = ew.real(x), ew.real(y)
        tie = ew.and_p.bind(ew.eq(xr, yr), prim.bind(ew.imag(x), ew.imag(y)))
        return ew.or_p.bind(strict.bind(xr, yr), tie)
    op.__name__ = prim.name
    return op


add = _bool_as(ew.or_p, ew.add_p)
subtract = _binary(ew.sub_p)
multiply = _bool_as(ew.and_p, ew.mul_p)
less = _lexicographic(ew.lt_p)
less_equal = _lexicographic(ew.le_p)
greater = _lexicographic(ew.gt_p)
greater_equal = _lexicographic(ew.ge_p)
equal = _binary(ew.eq_p)
not_equal = _binary(ew.ne_p)
bitwise_and = _binary(ew.and_p)
bitwise_or = _binary(ew.or_p)
bitwise_xor = _binary(ew.xor_p)


def true_divide(x: Any, y: Any) -> Value:
    return ew.div(*promote(x, y, inexact=True, broadcasting=True))


# // and % as jax.numpy defines them, also at y == 0, where the integer primitives give
# x / 0 == -1 (all ones unsigned) and x rem 0 == x (see irax/tracer/prims/elementwise.py)


def floor_divide(x: Any, y: Any) -> Value:
    x, y = map(bool_to_int, promote(x, y))
    kind = dtypes.kind(get_aval(x).dtype)
    if kind == "u":
        return ew.div(x, y)
    zero = ew.full_like_scalar(y, 0)
    if kind == "i":
        # the truncated quotient, one down where the signs differ and the division is
        # inexact; at y == 0 that is -2 for x != 0 and -1 for x == 0, as in JAX
        q = ew.div(x, y)
        inexact = ew.ne_p.bind(ew.rem_p.bind(x, y), zero)
        adjust = ew.and_p.bind(ew.ne_p.bind(ew.sign(x), ew.sign(y)), inexact)
        return ew.select(adjust, ew.sub(q, ew.full_like_scalar(q, 1)), q)
    # floats: CPython's float divmod: (x - fmod(x, y)) / y, one down where the remainder's
    # sign differs from y's, rounded; so inf // 1 is nan and 7. // 0. is inf
    mod = ew.rem_p.bind(x, y)
    q = ew.div(ew.select(ew.eq(y, zero), x, ew.sub(x, mod)), y)
    adjust = ew.and_p.bind(ew.ne_p.bind(mod, zero), ew.ne_p.bind(ew.sign(y), ew.sign(mod)))
    q = ew.select(adjust, ew.sub(q, ew.full_like_scalar(q, 1)), q)
    return ew.round_p.bind(q)


def nonzero_divisor(y: Value) -> Value:
    """An integer y with its zeros replaced by 1: jnp.remainder and jnp.fmod give x % 0 == 0."""
    if dtypes.kind(get_aval(y).dtype) not in "iu":
        return y
    return ew.select(ew.eq(y, ew.full_like_scalar(y, 0)), ew.full_like_scalar(y, 1), y)


def remainder(x: Any, y: Any) -> Value:
    x, y = map(bool_to_int, promote(x, y))
    y = nonzero_divisor(y)
    r = ew.rem_p.bind(x, y)
    zero = ew.full_like_scalar(r, 0)
    adjust = ew.and_p.bind(ew.ne_p.bind(r, zero),
                           ew.ne_p.bind(ew.lt(r, zero), ew.lt(y, ew.full_like_scalar(y, 0))))
    return ew.select(adjust, ew.add(r, y), r)


def power(x: Any, y: Any) -> Value:
    if isinstance(y, (int, np.integer)) and not isinstance(y, bool):
        x = bool_to_int(_as_array(x))
        if dtypes.kind(get_aval(x).dtype) in "iu" and y < 0:
            raise ValueError("Integers cannot be raised to negative integer powers")
        return ew.integer_pow(x, int(y))
    x, y = promote(x, y, broadcasting=True)
    if dtypes.kind(get_aval(x).dtype) in "iu":
        raise TypeError("irax.numpy.power of integer arrays by array exponents is not supported; "
                        "use a Python int exponent or convert to float")
    return ew.pow_p.bind(x, y)


def negative(x: Any) -> Value:
    return ew.neg_p.bind(_as_array(x))


def positive(x: Any) -> Value:
    return _as_array(x)


def absolute(x: Any) -> Value:
    x = _as_array(x)
    return x if get_aval(x).dtype == np.bool_ else ew.abs_p.bind(x)   # |bool| is the bool


def invert(x: Any) -> Value:
    return ew.not_p.bind(_as_array(x))


def _comparable(other: Any) -> bool:
    # == with a non-array (None, a string, ...) is Python's (False), not an error
    return core.is_array_like(other) or isinstance(other, (list, np.ndarray))


def _eq(x: Any, y: Any) -> Any:
    return equal(x, y) if _comparable(y) else NotImplemented


def _ne(x: Any, y: Any) -> Any:
    return not_equal(x, y) if _comparable(y) else NotImplemented


# ---------------------------------------------------------------------------
# Registration


def _reflected(op: Callable[[Any, Any], Value]) -> Callable[[Any, Any], Value]:
    return lambda self, other: op(other, self)


OPERATORS: dict[str, Callable[..., Any]] = {
    "__add__": add, "__radd__": _reflected(add),
    "__sub__": subtract, "__rsub__": _reflected(subtract),
    "__mul__": multiply, "__rmul__": _reflected(multiply),
    "__truediv__": true_divide, "__rtruediv__": _reflected(true_divide),
    "__floordiv__": floor_divide, "__rfloordiv__": _reflected(floor_divide),
    "__mod__": remainder, "__rmod__": _reflected(remainder),
    "__pow__": power, "__rpow__": _reflected(power),
    "__neg__": negative, "__pos__": positive, "__abs__": absolute, "__invert__": invert,
    "__lt__": less, "__le__": less_equal, "__gt__": greater, "__ge__": greater_equal,
    "__eq__": _eq, "__ne__": _ne,
    "__and__": bitwise_and, "__rand__": _reflected(bitwise_and),
    "__or__": bitwise_or, "__ror__": _reflected(bitwise_or),
    "__xor__": bitwise_xor, "__rxor__": _reflected(bitwise_xor),
}


def register_array_methods(classes: tuple[type, ...] = (Tracer, Array)) -> None:
    """Give Tracer and Array their arithmetic operators (idempotent)."""
    for cls in classes:
        for name, fn in OPERATORS.items():
            setattr(cls, name, fn)
