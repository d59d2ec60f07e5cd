"""Elementwise primitives. Operands of n-ary primitives have equal dtypes and equal shapes,
except that the binary arithmetic, comparison and logic primitives (BROADCASTING) broadcast
as JAX 0.10's lax does: a rank-0 operand against a ranked one, and operands of one rank
whose sizes are equal or 1 (so `x * 2.0` is one `mul a 2.0:f32[]` equation, and
`x[:, None] * y[None]` one mul of a f32[3,1] and a f32[1,3]). Their rules here handle it
(jvp: tangents broadcast to the output; transpose: cotangents summed back to the operand's
shape; batching: an unbatched scalar stays a scalar); the lowering broadcasts the operands
before emitting the StableHLO op (irax/lowering/lower.py).

Layering: the lowest primitive family (the others build on it). Constants in its rules are
ad_util.full (provided by prims/shape.py); it provides `add` to ad_util.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import numpy as np

from .. import ad_util, core, dtypes
from ..ad_util import Zero, instantiate
from ..batching import batch_rules, bdim_to_front, defbroadcasting, defvectorized
from ..core import Primitive, ShapedArray
from ..jvp import defjvp, defjvp_with_output, deflinear, defzero, jvp_rules
from ..rules import Tangent, Value
from ..transpose import NonlinearError, is_undefined, transpose_rules

# ---------------------------------------------------------------------------
# Abstract evaluation


def _check_kinds(name: str, kinds: str, avals: Sequence[ShapedArray]) -> None:
    for i, a in enumerate(avals):
        if a.dtype == dtypes.FLOAT0:
            raise core.float0_error(name, i)
        if dtypes.kind(a.dtype) not in kinds:
            allowed = {"f": "floating", "c": "complex", "i": "signed integer",
                       "u": "unsigned integer", "b": "bool"}
            raise TypeError(f"{name} does not accept dtype {a.dtype.name} "
                            f"(accepted: {', '.join(allowed[k] for k in kinds)})")


def _same_shapes_dtypes(name: str, avals: Sequence[ShapedArray],
                        broadcasting: bool = False) -> tuple[int, ...]:
    """The operands' common shape (a TypeError, worded as JAX's, if they have none).
    broadcasting: JAX's lax rule: rank-0 operands broadcast against the others, which have
    one rank and, per axis, one size or 1."""
    if any(a.dtype != avals[0].dtype for a in avals):
        raise TypeError(f"{name} requires arguments to have the same dtypes, got "
                        f"{', '.join(b.dtype.name for b in avals)}")
    if not broadcasting:
        if any(a.shape != avals[0].shape for a in avals):
            raise TypeError(f"{name} got incompatible shapes for broadcasting: "
                            f"{', '.join(str(b.shape) for b in avals)}.")
        return avals[0].shape
    return broadcast_shapes(name, *[a.shape for a in avals])


def broadcast_shapes(name: str, *shapes: tuple[int, ...]) -> tuple[int, ...]:
    """The shape a BROADCASTING primitive's operands of these shapes give (JAX's lax rule)."""
    shaped = [s for s in shapes if s]
    if not shaped:
        return ()
    if len({len(s) for s in shaped}) != 1:
        raise TypeError(f"{name}: arrays must have the same number of dimensions, got "
                        f"{ {len(s) for s in shaped} }")
    out = []
    for dims in zip(*shaped):
        sizes = {d for d in dims if d != 1}
        if len(sizes) > 1:
            raise TypeError(f"{name} got incompatible shapes for broadcasting: "
                            f"{', '.join(str(tuple(s)) for s in shapes)}.")
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


def _elementwise(name: str, kinds: str, out_dtype: Any = None, nargs: int = 1) -> Primitive:
    prim = Primitive(name)

    def abstract(*avals: ShapedArray, **params: Any) -> ShapedArray:
        _check_kinds(name, kinds, avals)
        shape = _same_shapes_dtypes(name, avals, broadcasting=nargs > 1)
        weak = all(a.weak_type for a in avals)
        if out_dtype is not None:
            return ShapedArray(shape, np.dtype(out_dtype), False)
        return ShapedArray(shape, avals[0].dtype, weak)
    core.abstract_eval_rules[prim] = abstract
    return prim


FLOAT = "fc"
NUM = "fciu"
INT = "iu"
ANY = "fciub"
INTBOOL = "iub"


def _at_input_dtype(fn: Callable[..., Any]) -> Callable[..., np.ndarray]:
    """Wrap a NumPy function so it returns an array of the input dtype."""
    def impl(*xs: np.ndarray, **params: Any) -> np.ndarray:
        out = fn(*xs, **params)
        return np.asarray(out, dtype=xs[0].dtype)
    return impl


def _to(dtype: Any) -> Callable[[Callable[..., Any]], Callable[..., np.ndarray]]:
    """Wrap a NumPy function so it returns an array of `dtype`."""
    def wrap(fn: Callable[..., Any]) -> Callable[..., np.ndarray]:
        def impl(*xs: np.ndarray, **params: Any) -> np.ndarray:
            return np.asarray(fn(*xs, **params), dtype=dtype)
        return impl
    return wrap


# ---------------------------------------------------------------------------
# Primitives: unary

neg_p = _elementwise("neg", NUM)
sin_p = _elementwise("sin", FLOAT)
cos_p = _elementwise("cos", FLOAT)
tan_p = _elementwise("tan", FLOAT)
asin_p = _elementwise("asin", FLOAT)
acos_p = _elementwise("acos", FLOAT)
atan_p = _elementwise("atan", FLOAT)
sinh_p = _elementwise("sinh", FLOAT)
cosh_p = _elementwise("cosh", FLOAT)
tanh_p = _elementwise("tanh", FLOAT)
asinh_p = _elementwise("asinh", FLOAT)
acosh_p = _elementwise("acosh", FLOAT)
atanh_p = _elementwise("atanh", FLOAT)
exp_p = _elementwise("exp", FLOAT)
exp2_p = _elementwise("exp2", FLOAT)
expm1_p = _elementwise("expm1", FLOAT)
log_p = _elementwise("log", FLOAT)
log1p_p = _elementwise("log1p", FLOAT)
sqrt_p = _elementwise("sqrt", FLOAT)
rsqrt_p = _elementwise("rsqrt", FLOAT)
cbrt_p = _elementwise("cbrt", FLOAT)
logistic_p = _elementwise("logistic", FLOAT)
erf_p = _elementwise("erf", "f")
abs_p = _elementwise("abs", ANY)   # abs of bool is the identity, as in JAX
sign_p = _elementwise("sign", NUM)
floor_p = _elementwise("floor", "f")
ceil_p = _elementwise("ceil", "f")
round_p = _elementwise("round", "f")   # half to even, like jnp.round
is_finite_p = _elementwise("is_finite", "f", out_dtype=np.bool_)
not_p = _elementwise("not", INTBOOL)

# binary
add_p = _elementwise("add", NUM, nargs=2)
sub_p = _elementwise("sub", NUM, nargs=2)
mul_p = _elementwise("mul", NUM, nargs=2)
div_p = _elementwise("div", NUM, nargs=2)
rem_p = _elementwise("rem", "fiu", nargs=2)
pow_p = _elementwise("pow", FLOAT, nargs=2)
max_p = _elementwise("max", "fiub", nargs=2)
min_p = _elementwise("min", "fiub", nargs=2)
atan2_p = _elementwise("atan2", "f", nargs=2)
and_p = _elementwise("and", INTBOOL, nargs=2)
or_p = _elementwise("or", INTBOOL, nargs=2)
xor_p = _elementwise("xor", INTBOOL, nargs=2)
eq_p = _elementwise("eq", ANY, out_dtype=np.bool_, nargs=2)
ne_p = _elementwise("ne", ANY, out_dtype=np.bool_, nargs=2)
lt_p = _elementwise("lt", "fiub", out_dtype=np.bool_, nargs=2)
le_p = _elementwise("le", "fiub", out_dtype=np.bool_, nargs=2)
gt_p = _elementwise("gt", "fiub", out_dtype=np.bool_, nargs=2)
ge_p = _elementwise("ge", "fiub", out_dtype=np.bool_, nargs=2)

# complex numbers: parts, conjugate, and a complex built from two real arrays
real_p = Primitive("real")
imag_p = Primitive("imag")
conj_p = _elementwise("conj", "c")
complex_p = Primitive("complex")

# select(pred, on_true, on_false) and dtype conversion have their own type rules
select_p = Primitive("select")
convert_element_type_p = Primitive("convert_element_type")
stop_gradient_p = Primitive("stop_gradient")
integer_pow_p = Primitive("integer_pow")   # its exponent is a parameter


def _select_abstract(pred: ShapedArray, on_true: ShapedArray, on_false: ShapedArray
                     ) -> ShapedArray:
    if pred.dtype != np.bool_:
        raise TypeError(f"select requires a bool predicate, got {pred.dtype.name}")
    if not (pred.shape == on_true.shape == on_false.shape):
        raise TypeError(f"select got incompatible shapes: predicate {pred.shape}, "
                        f"on_true {on_true.shape}, on_false {on_false.shape}")
    if on_true.dtype != on_false.dtype:
        raise TypeError(f"select branches must have the same dtype, got "
                        f"{on_true.dtype.name} and {on_false.dtype.name}")
    return ShapedArray(on_true.shape, on_true.dtype, on_true.weak_type and on_false.weak_type)


def _convert_abstract(x: ShapedArray, *, new_dtype: np.dtype, weak_type: bool = False
                      ) -> ShapedArray:
    return ShapedArray(x.shape, np.dtype(new_dtype), weak_type)


def _integer_pow_abstract(x: ShapedArray, *, y: int) -> ShapedArray:
    _check_kinds("integer_pow", NUM, [x])
    if dtypes.kind(x.dtype) in INT and y < 0:
        raise TypeError("integer_pow of an integer array requires a non-negative exponent")
    return x


def real_dtype(dtype) -> np.dtype:
    """The component dtype of a complex dtype (complex64 -> float32); other dtypes unchanged."""
    dt = np.dtype(dtype)
    return np.finfo(dt).dtype if dtypes.kind(dt) == "c" else dt


def complex_dtype(dtype) -> np.dtype:
    """The complex dtype with components of `dtype` (float32 -> complex64)."""
    return np.dtype(np.complex128 if np.dtype(dtype) == np.float64 else np.complex64)


def _complex_part_abstract(name):
    def abstract(x: ShapedArray):
        _check_kinds(name, "c", [x])
        return ShapedArray(x.shape, real_dtype(x.dtype), x.weak_type)
    return abstract


def _complex_abstract(x: ShapedArray, y: ShapedArray):
    _check_kinds("complex", "f", [x, y])
    _same_shapes_dtypes("complex", [x, y])
    if x.dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise TypeError(f"complex requires float32 or float64 parts, got {x.dtype.name}")
    return ShapedArray(x.shape, complex_dtype(x.dtype), x.weak_type and y.weak_type)


def _abs_abstract(x: ShapedArray):
    _check_kinds("abs", NUM, [x])
    return ShapedArray(x.shape, real_dtype(x.dtype), x.weak_type)


core.abstract_eval_rules[real_p] = _complex_part_abstract("real")
core.abstract_eval_rules[imag_p] = _complex_part_abstract("imag")
core.abstract_eval_rules[complex_p] = _complex_abstract
core.abstract_eval_rules[abs_p] = _abs_abstract
core.abstract_eval_rules[select_p] = _select_abstract
core.abstract_eval_rules[convert_element_type_p] = _convert_abstract
core.abstract_eval_rules[integer_pow_p] = _integer_pow_abstract
core.abstract_eval_rules[stop_gradient_p] = lambda x: x

# ---------------------------------------------------------------------------
# Internal helpers (also the building blocks of irax.lax / irax.numpy)


def neg(x: Value) -> Value: return neg_p.bind(x)
def sin(x: Value) -> Value: return sin_p.bind(x)
def cos(x: Value) -> Value: return cos_p.bind(x)
def exp(x: Value) -> Value: return exp_p.bind(x)
def log(x: Value) -> Value: return log_p.bind(x)
def sqrt(x: Value) -> Value: return sqrt_p.bind(x)
def tanh(x: Value) -> Value: return tanh_p.bind(x)
def sign(x: Value) -> Value: return sign_p.bind(x)
def add(x: Value, y: Value) -> Value: return add_p.bind(x, y)
def sub(x: Value, y: Value) -> Value: return sub_p.bind(x, y)
def mul(x: Value, y: Value) -> Value: return mul_p.bind(x, y)
def div(x: Value, y: Value) -> Value: return div_p.bind(x, y)
def square(x: Value) -> Value: return integer_pow_p.bind(x, y=2)
def integer_pow(x: Value, y: int) -> Value: return integer_pow_p.bind(x, y=y)


def select(pred: Value, on_true: Value, on_false: Value) -> Value:
    return select_p.bind(pred, on_true, on_false)


def eq(x: Value, y: Value) -> Value: return eq_p.bind(x, y)
def gt(x: Value, y: Value) -> Value: return gt_p.bind(x, y)
def lt(x: Value, y: Value) -> Value: return lt_p.bind(x, y)
def real(x: Value) -> Value: return real_p.bind(x)
def imag(x: Value) -> Value: return imag_p.bind(x)
def conj(x: Value) -> Value: return conj_p.bind(x)
def complex_(x: Value, y: Value) -> Value: return complex_p.bind(x, y)
def convert_element_type(x: Value, dtype: Any, weak_type: bool = False) -> Value:
    aval = core.get_aval(x)
    if aval.dtype == np.dtype(dtype) and aval.weak_type == weak_type:
        return x
    host = x.device_buffer() if isinstance(x, core.Array) else x
    if isinstance(host, (np.ndarray, np.generic, bool, int, float, complex)):
        # a constant converts now, as in JAX, also under a trace: a convert of a constant
        # reaching IREE 3.13 can fail to compile, nondeterministically ("stream.async.clone
        # op has invalid Read access range ... of resource %__hoisted_tensor_i32_0")
        out = _convert_np(np.asarray(host, dtype=aval.dtype), new_dtype=np.dtype(dtype))
        return core.Array(out, weak_type)
    return convert_element_type_p.bind(x, new_dtype=np.dtype(dtype), weak_type=weak_type)


def full_like_scalar(x: Value, value: Any) -> Value:
    """A constant with x's shape and dtype (for rules)."""
    a = core.get_aval(x)
    return ad_util.full(a.shape, value, a.dtype, a.weak_type)


def const_like(x: Value, value: Any) -> Value:
    """A rank-0 constant of x's dtype, for an operand of a BROADCASTING primitive
    (JAX's rules' _const / _one): it shows in a jaxpr as the literal `2.0:f32[]`."""
    a = core.get_aval(x)
    return ad_util.full((), value, a.dtype, a.weak_type)


def _convert_np(x: np.ndarray, *, new_dtype: np.dtype, weak_type: bool = False) -> np.ndarray:
    x = np.asarray(x)
    new_dtype = np.dtype(new_dtype)
    if new_dtype == np.bool_:   # nonzero -> True; a complex number is nonzero if either part is
        return np.asarray(x != 0)
    if dtypes.kind(x.dtype) == "c" and dtypes.kind(new_dtype) != "c":
        x = np.real(x)   # complex -> real keeps the real part (NumPy warns; JAX does too)
    if dtypes.kind(x.dtype) == "f" and dtypes.kind(new_dtype) in "iu":
        return _saturating_float_to_int(x, new_dtype)
    with np.errstate(over="ignore"):   # float narrowing overflows to inf: the defined result
        return x.astype(new_dtype)


def _erf_np(x: np.ndarray) -> np.ndarray:
    return np.vectorize(math.erf, otypes=[x.dtype])(x) if x.size else x.copy()


def _round_half_even(x: np.ndarray) -> np.ndarray:
    return np.round(x)


# Integer division and remainder are total, as in JAX (XLA's definition): x / 0 is -1 for
# signed and the all-ones value for unsigned integers, x rem 0 is x, and INT_MIN / -1 (which
# overflows) is INT_MIN with remainder 0. The lowering writes the same selects into the IR,
# so no target ever executes a division by zero (undefined behaviour in LLVM).


def _int_div(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    if dtypes.kind(x.dtype) not in "iu":
        return x / y
    zero_div = y == 0
    if dtypes.kind(x.dtype) == "u":
        q = x // np.where(zero_div, 1, y)
        return np.where(zero_div, dtypes.iinfo(x.dtype).max, q).astype(x.dtype)
    info = dtypes.iinfo(x.dtype)
    safe = np.where(zero_div | ((x == info.min) & (y == -1)), 1, y).astype(x.dtype)
    q = np.floor_divide(x, safe)
    # floor -> truncation toward zero: one up where the remainder is nonzero and signs differ
    q = q + ((np.fmod(x, safe) != 0) & ((x < 0) != (safe < 0))).astype(x.dtype)
    return np.where(zero_div, -1, q).astype(x.dtype)


def _rem(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    if dtypes.kind(x.dtype) not in "iu":
        return np.fmod(x, y)
    zero_div = y == 0
    safe = np.where(zero_div, 1, y).astype(x.dtype)
    if dtypes.kind(x.dtype) == "i":
        safe = np.where((x == dtypes.iinfo(x.dtype).min) & (y == -1), 1, safe).astype(x.dtype)
    return np.where(zero_div, x, np.fmod(x, safe)).astype(x.dtype)


# Float -> integer conversion saturates, as in JAX: NaN -> 0, values at or beyond the target's
# range -> its min / max, the rest truncate toward zero. `float_to_int_bounds` gives the
# thresholds in the source float type; the eager impl and the lowering (compare/select before
# the convert, so out-of-range values never reach the target's convert) both use it.


def float_to_int_bounds(src, dst) -> tuple[float, bool, float]:
    """(lo, lo_inclusive, hi) in `src`: x saturates to dst's min where x < lo (x <= lo when
    lo_inclusive, i.e. lo is -inf because dst's min is below src's range) and to dst's max
    where x >= hi; other non-NaN x truncate into range."""
    src, info = np.dtype(src), dtypes.iinfo(np.dtype(dst))
    with np.errstate(over="ignore"):
        lo = float(np.asarray(float(info.min), dtype=src))      # 0 or -2**(bits-1): exact
        hi = float(np.asarray(float(info.max) + 1.0, dtype=src))  # 2**bits or 2**(bits-1)
    return lo, lo == -math.inf, hi


def _saturating_float_to_int(x: np.ndarray, dst: np.dtype) -> np.ndarray:
    lo, lo_inclusive, hi = float_to_int_bounds(x.dtype, dst)
    info = dtypes.iinfo(dst)
    below = (x <= lo) if lo_inclusive else (x < lo)
    above = x >= hi
    safe = np.where(below | above | np.isnan(x), 0, x)
    out = np.trunc(safe).astype(dst)
    return np.where(above, info.max, np.where(below, info.min, out)).astype(dst)


def _integer_pow_np(x: np.ndarray, *, y: int) -> np.ndarray:
    if y == 0:
        return np.ones_like(x)
    if y < 0:
        return 1 / (x ** -y)
    return x ** y


def _full_shape(v: Value, shape) -> Value:
    """v broadcast to `shape` (v is rank 0, or of that rank with sizes 1 or shape's)."""
    a = core.get_aval(v)
    if a.shape == tuple(shape):
        return v
    return ad_util.broadcast_in_dim(v, shape, tuple(range(a.ndim)))


def _common_shape(*xs: Value) -> tuple[int, ...]:
    """The shape a BROADCASTING primitive gives operands of these values' shapes."""
    return broadcast_shapes("broadcast", *[core.get_aval(x).shape for x in xs])


def _unbroadcast(ct: Value, aval: ShapedArray) -> Value:
    """A cotangent of the output, as the cotangent of an operand of `aval`: summed over
    the axes where that operand was broadcast (all of them for a rank-0 operand)."""
    shape = core.get_aval(ct).shape
    if shape == aval.shape:
        return ct
    if not aval.shape:
        return ad_util.reduce_sum(ct, range(len(shape)))
    axes = [i for i, (n, m) in enumerate(zip(shape, aval.shape)) if n != m]
    return ad_util.reshape(ad_util.reduce_sum(ct, axes), aval.shape)


def _at_out_shape(fn: Callable[..., Tangent]) -> Callable[..., Tangent]:
    """A per-operand jvp rule whose result is broadcast to the output's shape (the tangent
    of a broadcast operand of an add has that operand's shape)."""
    def rule(t, *primals, **params):
        return _full_shape(fn(t, *primals, **params), _common_shape(*primals[-2:]))
    return rule


def _on_full_operands(fn: Callable[..., Tangent]) -> Callable[..., Tangent]:
    """A per-operand jvp rule written for equal shapes, run with the operands (and the
    tangent) broadcast to the output's shape."""
    def rule(t, *primals, **params):
        shape = _common_shape(*primals[-2:])
        lead = list(primals[:-2])   # the output, for rules that see it
        x, y = (_full_shape(v, shape) for v in primals[-2:])
        return fn(_full_shape(t, shape), *lead, x, y, **params)
    return rule


def _trunc_div(x: Value, y: Value) -> Value:
    q = div(x, y)
    return mul(sign(q), floor_p.bind(abs_p.bind(q)))


def _max_jvp_select(t: Tangent, x: Value, y: Value, *, pick: Callable[[Value, Value], Value]
                    ) -> Tangent:
    # ties share the tangent equally, as in JAX
    full = ad_util.full
    a = core.get_aval(x)
    one = full(a.shape, 1, a.dtype)
    half = full(a.shape, 0.5, a.dtype)
    zero = full(a.shape, 0, a.dtype)
    w = select(eq(x, y), half, select(pick(x, y), one, zero))
    return mul(t, w)


def _pow_jvp_x(t: Tangent, x: Value, y: Value) -> Tangent:
    # y x^(y-1), defined as 0 where y == 0 (so x**0. has a zero, not nan, gradient at x == 0)
    full = ad_util.full
    a = core.get_aval(y)
    one, zero = full(a.shape, 1, a.dtype), full(a.shape, 0, a.dtype)
    return mul(t, select(eq(y, zero), zero, mul(y, pow_p.bind(x, sub(y, one)))))


def _pow_jvp_y(t: Tangent, out: Value, x: Value, y: Value) -> Tangent:
    # d/dy x^y = log(x) x^y; defined as 0 where x == 0 (so 0**y has a finite gradient)
    zero = full_like_scalar(x, 0)
    safe_log = select(eq(x, zero), zero, log(x))
    return mul(t, mul(safe_log, out))


def _sqrt_1m_x2(x: Value) -> Value:
    return sqrt(sub(full_like_scalar(x, 1), square(x)))


def _select_jvp(primals: Sequence[Value], tangents: Sequence[Tangent]) -> tuple[Value, Tangent]:
    pred, a, b = primals
    _, ta, tb = tangents
    out = select(pred, a, b)
    if isinstance(ta, Zero) and isinstance(tb, Zero):
        return out, Zero(core.get_aval(out))
    return out, select(pred, instantiate(ta), instantiate(tb))


def _convert_jvp(primals: Sequence[Value], tangents: Sequence[Tangent], *, new_dtype: np.dtype,
                 weak_type: bool = False) -> tuple[Value, Tangent]:
    (x,), (t,) = primals, tangents
    out = convert_element_type_p.bind(x, new_dtype=new_dtype, weak_type=weak_type)
    if dtypes.kind(new_dtype) not in "fc" or dtypes.kind(core.get_aval(x).dtype) not in "fc":
        return out, Zero(core.get_aval(out))
    return out, convert_element_type_p.bind(t, new_dtype=new_dtype, weak_type=weak_type)


def _abs_jvp(t: Tangent, out: Value, x: Value) -> Tangent:
    if dtypes.kind(core.get_aval(x).dtype) != "c":
        # the derivative at 0 is taken from the right (+1), as in JAX: grad(abs)(0.) == 1.
        return select(ge_p.bind(x, full_like_scalar(x, 0)), t, neg(t))
    # d|z| = Re(conj(z) dz) / |z|, taken as 0 at z == 0 (as JAX)
    one = full_like_scalar(out, 1)
    safe = select(eq(out, full_like_scalar(out, 0)), one, out)
    return real(mul(t, div(conj(x), convert_element_type(safe, core.get_aval(x).dtype))))


def _stop_gradient_jvp(primals: Sequence[Value], tangents: Sequence[Tangent]
                       ) -> tuple[Value, Tangent]:
    out = stop_gradient_p.bind(*primals)
    return out, Zero(core.get_aval(out))


# -- transpose rules


def _add_transpose(ct: Tangent, x: Value, y: Value) -> list[Tangent | None]:
    return [_unbroadcast(ct, x.aval) if is_undefined(x) else None,
            _unbroadcast(ct, y.aval) if is_undefined(y) else None]


def _sub_transpose(ct: Tangent, x: Value, y: Value) -> list[Tangent | None]:
    return [_unbroadcast(ct, x.aval) if is_undefined(x) else None,
            _unbroadcast(neg(ct), y.aval) if is_undefined(y) else None]


def _mul_transpose(ct: Tangent, x: Value, y: Value) -> list[Tangent | None]:
    if is_undefined(x) and is_undefined(y):
        raise NonlinearError("mul of two tangent values is not linear")
    if is_undefined(x):
        return [_unbroadcast(mul(ct, y), x.aval), None]
    return [None, _unbroadcast(mul(x, ct), y.aval)]


def _div_transpose(ct: Tangent, x: Value, y: Value) -> list[Tangent | None]:
    if is_undefined(y):
        raise NonlinearError("div with a tangent in the denominator is not linear")
    return [_unbroadcast(div(ct, y), x.aval), None]


def _select_transpose(ct: Tangent, pred: Value, a: Value, b: Value) -> list[Tangent | None]:
    if is_undefined(pred):
        raise NonlinearError("select with a tangent predicate")
    zeros = full_like_scalar(ct, 0)
    return [None,
            select(pred, ct, zeros) if is_undefined(a) else None,
            select(pred, zeros, ct) if is_undefined(b) else None]


# The complex transposes are transposes, not adjoints (no conjugation), as in JAX: so
# vjp(f)(1.0) of a real-valued f of complex z gives conj(df/dz) in JAX's convention.
def _strong_zero(ct: Value) -> Value:
    # the other part of the complex cotangent is a typed (not weak) zero, as in JAX: so
    # grad(f)(3. + 4j) of a real-valued f is a complex64 array, not a weak one
    a = core.get_aval(ct)
    return ad_util.full(a.shape, 0, a.dtype, False)


def _real_transpose(ct: Tangent, x: Value) -> list[Tangent | None]:
    return [complex_(ct, _strong_zero(ct))]


def _imag_transpose(ct: Tangent, x: Value) -> list[Tangent | None]:
    return [complex_(_strong_zero(ct), neg(ct))]


def _complex_transpose(ct: Tangent, x: Value, y: Value) -> list[Tangent | None]:
    return [real(ct) if is_undefined(x) else None,
            neg(imag(ct)) if is_undefined(y) else None]


def _convert_transpose(ct: Tangent, x: Value, *, new_dtype: np.dtype, weak_type: bool = False
                       ) -> list[Tangent | None]:
    return [convert_element_type_p.bind(ct, new_dtype=x.aval.dtype, weak_type=x.aval.weak_type)]


# ---------------------------------------------------------------------------
# Registration: impl, jvp, transpose, batching — one block per primitive

_UNARY_IMPL = {
    neg_p: np.negative, sin_p: np.sin, cos_p: np.cos, tan_p: np.tan, asin_p: np.arcsin,
    acos_p: np.arccos, atan_p: np.arctan, sinh_p: np.sinh, cosh_p: np.cosh, tanh_p: np.tanh,
    asinh_p: np.arcsinh, acosh_p: np.arccosh, atanh_p: np.arctanh, exp_p: np.exp,
    exp2_p: np.exp2, expm1_p: np.expm1, log_p: np.log, log1p_p: np.log1p, sqrt_p: np.sqrt,
    rsqrt_p: lambda x: 1 / np.sqrt(x), cbrt_p: np.cbrt,
    logistic_p: lambda x: 1 / (1 + np.exp(-x)), erf_p: _erf_np, abs_p: np.abs,
    sign_p: np.sign, floor_p: np.floor, ceil_p: np.ceil, round_p: _round_half_even,
    not_p: lambda x: np.logical_not(x) if x.dtype == np.bool_ else np.invert(x),
    integer_pow_p: _integer_pow_np, stop_gradient_p: lambda x: x.copy(), conj_p: np.conj,
}
for _p, _f in _UNARY_IMPL.items():
    core.impl_rules[_p] = _at_input_dtype(_f)
core.impl_rules[is_finite_p] = _to(np.bool_)(np.isfinite)

_BINARY_IMPL = {
    add_p: np.add, sub_p: np.subtract, mul_p: np.multiply, div_p: _int_div, rem_p: _rem,
    pow_p: np.power, max_p: np.maximum, min_p: np.minimum, atan2_p: np.arctan2,
    and_p: lambda x, y: np.logical_and(x, y) if x.dtype == np.bool_ else np.bitwise_and(x, y),
    or_p: lambda x, y: np.logical_or(x, y) if x.dtype == np.bool_ else np.bitwise_or(x, y),
    xor_p: lambda x, y: np.logical_xor(x, y) if x.dtype == np.bool_ else np.bitwise_xor(x, y),
}
for _p, _f in _BINARY_IMPL.items():
    core.impl_rules[_p] = _at_input_dtype(_f)
for _p, _f in {eq_p: np.equal, ne_p: np.not_equal, lt_p: np.less, le_p: np.less_equal,
               gt_p: np.greater, ge_p: np.greater_equal}.items():
    core.impl_rules[_p] = _to(np.bool_)(_f)
core.impl_rules[select_p] = lambda p, a, b: np.where(p, a, b).astype(a.dtype)
core.impl_rules[convert_element_type_p] = _convert_np
core.impl_rules[abs_p] = lambda x: np.asarray(np.abs(x), dtype=real_dtype(x.dtype))
core.impl_rules[real_p] = lambda x: np.array(np.real(x))
core.impl_rules[imag_p] = lambda x: np.array(np.imag(x))
core.impl_rules[complex_p] = lambda x, y: (x + 1j * y).astype(complex_dtype(x.dtype))

# jvp rules
deflinear(neg_p)
defjvp(sin_p, lambda t, x: mul(t, cos(x)))
defjvp(cos_p, lambda t, x: neg(mul(t, sin(x))))
# the unary rules are JAX's formulas, written as JAX writes them (so grad jaxprs read alike)
defjvp_with_output(tan_p, lambda t, out, x: mul(t, add(const_like(x, 1), square_p.bind(out))))
defjvp(asin_p, lambda t, x: div(t, _sqrt_1m_x2(x)))
defjvp(acos_p, lambda t, x: neg(div(t, _sqrt_1m_x2(x))))
defjvp(atan_p, lambda t, x: div(t, add(const_like(x, 1), square_p.bind(x))))
defjvp(sinh_p, lambda t, x: mul(t, cosh_p.bind(x)))
defjvp(cosh_p, lambda t, x: mul(t, sinh_p.bind(x)))
defjvp_with_output(tanh_p, lambda t, out, x: mul(add(t, mul(t, out)), sub(const_like(x, 1), out)))
defjvp(asinh_p, lambda t, x: div(t, sqrt(add(square(x), full_like_scalar(x, 1)))))
defjvp(acosh_p, lambda t, x: div(t, sqrt(sub(square(x), full_like_scalar(x, 1)))))
defjvp(atanh_p, lambda t, x: div(t, sub(full_like_scalar(x, 1), square(x))))
defjvp_with_output(exp_p, lambda t, out, x: mul(t, out))
defjvp_with_output(exp2_p, lambda t, out, x: mul(const_like(x, math.log(2)), mul(t, out)))
defjvp_with_output(expm1_p, lambda t, out, x: mul(t, add(out, const_like(x, 1))))
defjvp(log_p, lambda t, x: div(t, x))
defjvp(log1p_p, lambda t, x: div(t, add(x, const_like(x, 1))))
defjvp_with_output(sqrt_p, lambda t, out, x: mul(t, div(const_like(x, 0.5), out)))
defjvp_with_output(rsqrt_p, lambda t, out, x: mul(t, mul(const_like(x, -0.5), div(out, x))))
defjvp_with_output(cbrt_p, lambda t, out, x: mul(t, div(out, mul(full_like_scalar(x, 3), x))))
defjvp_with_output(logistic_p,
                   lambda t, out, x: mul(t, mul(out, sub(const_like(x, 1), out))))
defjvp(erf_p, lambda t, x: mul(const_like(x, 2 / math.sqrt(math.pi)),
                                mul(t, exp(neg(square_p.bind(x))))))
defjvp_with_output(abs_p, _abs_jvp)
for _p in (real_p, imag_p, conj_p, complex_p):
    deflinear(_p)
for _p in (sign_p, floor_p, ceil_p, round_p, is_finite_p, not_p, and_p, or_p, xor_p,
           eq_p, ne_p, lt_p, le_p, gt_p, ge_p):
    defzero(_p)
defjvp(integer_pow_p, lambda t, x, *, y: (
    full_like_scalar(t, 0) if y == 0 else t if y == 1 else
    mul(t, mul(const_like(x, y), integer_pow(x, y - 1) if y != 2 else x))))
# (broadcast operands: see BROADCASTING below; mul and div take them as they are, the
# others see their operands broadcast to the output's shape)
defjvp(add_p, _at_out_shape(lambda t, x, y: t), _at_out_shape(lambda t, x, y: t))
defjvp(sub_p, _at_out_shape(lambda t, x, y: t), _at_out_shape(lambda t, x, y: neg(t)))
defjvp(mul_p, lambda t, x, y: mul(t, y), lambda t, x, y: mul(x, t))
defjvp_with_output(div_p, lambda t, out, x, y: div(t, y),
                   lambda t, out, x, y: neg(mul(t, div(out, y))))
defjvp(rem_p, _at_out_shape(lambda t, x, y: t),
       _on_full_operands(lambda t, x, y: neg(mul(t, _trunc_div(x, y)))))
defjvp_with_output(pow_p, _on_full_operands(lambda t, out, x, y: _pow_jvp_x(t, x, y)),
                   _on_full_operands(_pow_jvp_y))
defjvp(max_p, _on_full_operands(lambda t, x, y: _max_jvp_select(t, x, y, pick=gt)),
       _on_full_operands(lambda t, x, y: _max_jvp_select(t, y, x, pick=gt)))
defjvp(min_p, _on_full_operands(lambda t, x, y: _max_jvp_select(t, x, y, pick=lt)),
       _on_full_operands(lambda t, x, y: _max_jvp_select(t, y, x, pick=lt)))
defjvp(atan2_p,
       _on_full_operands(lambda t, x, y: mul(t, div(y, add(square(x), square(y))))),
       _on_full_operands(lambda t, x, y: neg(mul(t, div(x, add(square(x), square(y)))))))
jvp_rules[select_p] = _select_jvp
jvp_rules[convert_element_type_p] = _convert_jvp
jvp_rules[stop_gradient_p] = _stop_gradient_jvp

# transpose rules (linear primitives)
transpose_rules[neg_p] = lambda ct, x: [neg(ct)]
transpose_rules[add_p] = _add_transpose
transpose_rules[sub_p] = _sub_transpose
transpose_rules[mul_p] = _mul_transpose
transpose_rules[div_p] = _div_transpose
transpose_rules[select_p] = _select_transpose
transpose_rules[convert_element_type_p] = _convert_transpose
transpose_rules[real_p] = _real_transpose
transpose_rules[imag_p] = _imag_transpose
transpose_rules[conj_p] = lambda ct, x: [conj(ct)]
transpose_rules[complex_p] = _complex_transpose

# batching rules
for _p in list(_UNARY_IMPL) + [is_finite_p, convert_element_type_p, real_p, imag_p]:
    defvectorized(_p)
UNARY_PRIMITIVES = list(_UNARY_IMPL) + [is_finite_p, real_p, imag_p]
BINARY_PRIMITIVES = list(_BINARY_IMPL) + [eq_p, ne_p, lt_p, le_p, gt_p, ge_p, complex_p]
# the binary primitives whose operands broadcast as JAX's lax ones do (see the docstring)
BROADCASTING = frozenset(p for p in BINARY_PRIMITIVES if p is not complex_p)


def _broadcasting_batch(prim: Primitive):
    """Batching that keeps an unbatched scalar operand a scalar (vmap of `x * 2.0` is still
    `mul a 2.0:f32[]`, as in JAX) and gives a batched scalar (shape [n]) size-1 axes to
    meet the ranked operands (shape [n, ...]); the other operands get the batch axis."""
    def rule(axis_size, vals, dims, **params):
        avals = [core.get_aval(v) for v in vals]
        rank = max(a.ndim - (d is not None) for a, d in zip(avals, dims))
        out = []
        for v, a, d in zip(vals, avals, dims):
            if d is None and a.shape == ():
                out.append(v)
            elif d is not None and a.ndim == 1 and rank:
                out.append(ad_util.broadcast_in_dim(v, (axis_size,) + (1,) * rank, (0,)))
            else:
                out.append(bdim_to_front(v, d, axis_size))
        return prim.bind(*out, **params), 0
    return rule


for _p in BROADCASTING:
    batch_rules[_p] = _broadcasting_batch(_p)
for _p in (select_p, complex_p):
    defbroadcasting(_p)

# ---------------------------------------------------------------------------
# square and clamp: their own primitives (not integer_pow / max+min), so jaxprs read as
# JAX's (`square a`, `clamp 0.0 a 1.0`) for interpreters that match on lax.square_p etc.

square_p = _elementwise("square", NUM)
core.impl_rules[square_p] = _at_input_dtype(np.square)
defjvp(square_p, lambda t, x: mul(t, mul(const_like(x, 2), x)))
defvectorized(square_p)

clamp_p = Primitive("clamp")   # clamp(lo, x, hi); lo and hi are scalars or x-shaped


def _clamp_abstract(lo: ShapedArray, x: ShapedArray, hi: ShapedArray) -> ShapedArray:
    _check_kinds("clamp", "fiu", [x])
    for name, bound in (("min", lo), ("max", hi)):
        if bound.shape not in ((), x.shape):
            raise TypeError(f"clamp requires {name}.shape == operand.shape or {name}.shape "
                            f"== (), got {name}.shape={bound.shape}, "
                            f"operand.shape={x.shape}.")
        if bound.dtype != x.dtype:
            raise TypeError(f"lax.clamp requires arguments to have the same dtypes, got "
                            f"{lo.dtype.name}, {x.dtype.name}, {hi.dtype.name}.")
    return ShapedArray(x.shape, x.dtype, x.weak_type)


def _clamp_jvp(primals: Sequence[Value], tangents: Sequence[Tangent]) -> tuple[Value, Tangent]:
    # as JAX: x's tangent passes strictly inside (lo, hi); lo's where lo > x (and lo < hi),
    # hi's where hi < x
    lo, x, hi = primals
    out = clamp_p.bind(lo, x, hi)
    shape = core.get_aval(x).shape
    lo_f, hi_f = _full_shape(lo, shape), _full_shape(hi, shape)
    zero = full_like_scalar(x, 0)
    t_out: Tangent = Zero(core.get_aval(out))
    masks = (lambda: and_p.bind(gt(lo_f, x), lt(lo_f, hi_f)),
             lambda: and_p.bind(gt(x, lo_f), lt(x, hi_f)), lambda: lt(hi_f, x))
    for t, mask in zip(tangents, masks):
        if not isinstance(t, Zero):   # only the masks a tangent needs enter the jaxpr
            term = select(mask(), _full_shape(t, shape), zero)
            t_out = term if isinstance(t_out, Zero) else add(t_out, term)
    return out, t_out


def _clamp_batch(axis_size: int, vals: Sequence[Value], dims: Sequence[int | None]):
    lo, x, hi = vals
    if dims[0] is None and dims[2] is None and core.get_aval(lo).shape == () \
            and core.get_aval(hi).shape == ():   # scalar bounds stay scalars, as in JAX
        return clamp_p.bind(lo, bdim_to_front(x, dims[1], axis_size), hi), 0
    x = bdim_to_front(x, dims[1], axis_size)
    shape = core.get_aval(x).shape
    bounds = []
    for v, d in ((lo, dims[0]), (hi, dims[2])):
        if d is None:
            v = _full_shape(v, shape[1:])
        bounds.append(bdim_to_front(v, d, axis_size))
    return clamp_p.bind(bounds[0], x, bounds[1]), 0


core.abstract_eval_rules[clamp_p] = _clamp_abstract
core.impl_rules[clamp_p] = lambda lo, x, hi: np.minimum(np.maximum(x, lo), hi).astype(x.dtype)
jvp_rules[clamp_p] = _clamp_jvp
batch_rules[clamp_p] = _clamp_batch

# add_any: the sum of two tangents or cotangents (JAX's add_any), what jvp and transpose
# accumulate with, so that differentiated jaxprs read as JAX's; an add of equal types
add_any_p = Primitive("add_any")


def _add_any_abstract(x: ShapedArray, y: ShapedArray) -> ShapedArray:
    _same_shapes_dtypes("add_any", [x, y])
    return ShapedArray(x.shape, x.dtype, x.weak_type and y.weak_type)


core.abstract_eval_rules[add_any_p] = _add_any_abstract
core.impl_rules[add_any_p] = _at_input_dtype(
    lambda x, y: np.logical_or(x, y) if x.dtype == np.bool_ else np.add(x, y))
deflinear(add_any_p)
transpose_rules[add_any_p] = _add_transpose
defbroadcasting(add_any_p)

ad_util.provide(add=add_any_p.bind)
