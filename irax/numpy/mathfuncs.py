"""irax.numpy elementwise extras: tolerance comparisons, NaN-aware extrema, floating-point
decomposition (frexp/ldexp/copysign), integer number theory (gcd/lcm, shifts), select and
piecewise, the Bessel function i0, and dtype queries (result_type, promote_types, can_cast).

Built from the primitives of the sections before it; nothing here adds a primitive."""
from __future__ import annotations

import builtins
import math
import numpy as np

from ..tracer import core, dtypes
from ..tracer.core import Array, Tracer, get_aval
from ..tracer.prims import bits
from ..tracer.prims import elementwise as ew
from ..tracer.prims import shape as sh
from ._core import _broadcast_shapes, _promote, _to_float, asarray, bool_
from .elementwise import (abs, equal, exp2, floor_divide, isfinite, isinf, isnan, log1p,
                          logical_and, logical_or, maximum, multiply, negative, remainder,
                          sqrt, where)
from .reductions import all, any
from .shapes import broadcast_arrays, ravel, reshape
from .indexing import getitem


# ---------------------------------------------------------------------------
# comparisons with tolerance


def _promote_inexact(*xs):
    """Promote as NumPy does, then integers and bools to the default float."""
    xs = _promote(*[asarray(x) if not isinstance(x, (Tracer, Array)) else x for x in xs])
    return [_to_float(x) for x in xs]


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan: bool = False):
    a, b = _promote_inexact(a, b)
    # the tolerances bound |a - b|, a real number also for complex inputs
    dt = ew.real_dtype(get_aval(a).dtype)
    rtol = asarray(rtol, dt)
    atol = asarray(atol, dt)
    within = ew.le_p.bind(*_promote(abs(a - b), atol + rtol * abs(b)))
    # infinities compare equal to themselves only (inf - inf is nan, never within)
    out = logical_or(equal(a, b), logical_and(isfinite(b), within))
    if equal_nan:
        out = logical_or(out, logical_and(isnan(a), isnan(b)))
    return out


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan: bool = False):
    return all(isclose(a, b, rtol, atol, equal_nan))


def array_equal(a1, a2, equal_nan: bool = False):
    a1, a2 = asarray(a1), asarray(a2)
    if get_aval(a1).shape != get_aval(a2).shape:
        return False
    same = equal(a1, a2)
    if equal_nan:
        same = logical_or(same, logical_and(isnan(a1), isnan(a2)))
    return all(same)


def array_equiv(a1, a2):
    a1, a2 = asarray(a1), asarray(a2)
    try:
        _broadcast_shapes(get_aval(a1).shape, get_aval(a2).shape)
    except ValueError:
        return Array(np.asarray(False))
    return all(equal(a1, a2))


def isin(element, test_elements, assume_unique: bool = False, invert: bool = False, *,
         method="auto"):
    element, tests = asarray(element), ravel(asarray(test_elements))
    shape = get_aval(element).shape
    flat = ravel(element)
    n, m = get_aval(flat).shape[0], get_aval(tests).shape[0]
    if m == 0:
        hit = sh.full(shape, False, np.bool_)
    else:
        # every element against every test value: (n, m) comparisons, any along the tests
        hit = any(equal(reshape(flat, (n, 1)), reshape(tests, (1, m))), axis=1)
        hit = reshape(hit, shape)
    return ew.not_p.bind(hit) if invert else hit


# ---------------------------------------------------------------------------
# NaN-aware and log-domain arithmetic


def fmax(x1, x2):
    x1, x2 = _promote(x1, x2)
    return where(logical_or(ew.ge_p.bind(x1, x2), isnan(x2)), x1, x2)


def fmin(x1, x2):
    x1, x2 = _promote(x1, x2)
    return where(logical_or(ew.le_p.bind(x1, x2), isnan(x2)), x1, x2)


def logaddexp2(x1, x2):
    x1, x2 = _promote_inexact(x1, x2)
    amax = maximum(x1, x2)
    delta = x1 - x2
    ln2 = ew.full_like_scalar(x1, math.log(2))
    out = amax + ew.div(log1p(exp2(negative(abs(delta)))), ln2)
    # delta is nan for inf - inf of one sign (and for nan inputs): x1 + x2 gives the answer
    return where(isnan(delta), x1 + x2, out)


def nan_to_num(x, copy: bool = True, nan=0.0, posinf=None, neginf=None):
    x = asarray(x)
    dt = get_aval(x).dtype
    if dtypes.kind(dt) not in "fc":
        return x
    info = np.finfo(dt)
    posinf = info.max if posinf is None else posinf
    neginf = info.min if neginf is None else neginf
    out = where(isnan(x), asarray(nan, dt), x)
    out = where(logical_and(isinf(out), ew.gt(out, ew.full_like_scalar(out, 0))),
                asarray(posinf, dt), out)
    return where(logical_and(isinf(out), ew.lt(out, ew.full_like_scalar(out, 0))),
                 asarray(neginf, dt), out)


# ---------------------------------------------------------------------------
# floating-point representation


def _int_like(dt: np.dtype) -> np.dtype:
    return np.dtype(f"i{dt.itemsize}")


def _sign_bit(x):
    """True where the sign bit is set: -0.0 and negative NaNs too, unlike x < 0."""
    xi = bits.bitcast_convert_type(x, _int_like(get_aval(x).dtype))
    return ew.lt(xi, ew.full_like_scalar(xi, 0))


def copysign(x1, x2, /):
    x1, x2 = _promote_inexact(x1, x2)
    mag = abs(x1)
    return where(_sign_bit(x2), negative(mag), mag)


def _float_layout(dt: np.dtype):
    """(mantissa bits, exponent bias) of a binary float type."""
    info = np.finfo(dt)
    return int(info.nmant), int(info.maxexp) - 1


def _power_of_two(k, dt: np.dtype):
    """2.0**k exactly, for integer k in the normal range of dt, built from its bits."""
    nmant, bias = _float_layout(dt)
    it = _int_like(dt)
    k = ew.convert_element_type(k, it)
    biased = ew.add(k, ew.full_like_scalar(k, bias))
    return bits.bitcast_convert_type(bits.shift_left(biased, ew.full_like_scalar(biased, nmant)),
                                     dt)


def frexp(x, /):
    x = _to_float(asarray(x))
    dt = get_aval(x).dtype
    if dtypes.kind(dt) == "c":
        raise TypeError("frexp does not support complex-valued inputs")
    nmant, bias = _float_layout(dt)
    it = _int_like(dt)
    tiny = ew.full_like_scalar(x, np.finfo(dt).tiny)
    zero = ew.full_like_scalar(x, 0)
    # subnormals: scale into the normal range first, and take the scale off the exponent
    subnormal = logical_and(ew.lt(abs(x), tiny), ew.ne_p.bind(x, zero))
    scaled = where(subnormal, x * float(2 ** (nmant + 1)), x)
    xi = bits.bitcast_convert_type(scaled, it)
    exp_mask = (1 << (dt.itemsize * 8 - 1 - nmant)) - 1
    biased = ew.and_p.bind(bits.shift_right_logical(xi, ew.full_like_scalar(xi, nmant)),
                           ew.full_like_scalar(xi, exp_mask))
    exponent = biased - (bias - 1) - where(subnormal, nmant + 1, 0).astype(it)
    # keep sign and mantissa bits, set the exponent field to that of [0.5, 1)
    keep = ~(exp_mask << nmant)
    mant_bits = ew.or_p.bind(ew.and_p.bind(xi, ew.full_like_scalar(xi, keep)),
                             ew.full_like_scalar(xi, (bias - 1) << nmant))
    mantissa = bits.bitcast_convert_type(mant_bits, dt)
    special = logical_or(ew.eq(x, zero), ew.not_p.bind(isfinite(x)))
    mantissa = where(special, x, mantissa)
    exponent = where(special, 0, exponent)
    return mantissa, ew.convert_element_type(exponent, np.dtype(np.int32))


def ldexp(x1, x2, /):
    x2 = asarray(x2)
    if dtypes.kind(get_aval(x2).dtype) not in "iub":
        raise TypeError(f"ldexp: the exponent x2 must have an integer type, got "
                        f"{get_aval(x2).dtype.name}")
    x1 = _to_float(asarray(x1))
    x1, x2 = broadcast_arrays(x1, x2)
    dt = get_aval(x1).dtype
    nmant, bias = _float_layout(dt)
    it = _int_like(dt)
    # x1 * 2**x2 in three exactly representable factors, each within the normal range, so that
    # neither the factors nor the partial products overflow or underflow before the end
    limit = 3 * (bias - 1)

    def clip(k):
        return ew.max_p.bind(ew.min_p.bind(k, ew.full_like_scalar(k, limit)),
                             ew.full_like_scalar(k, -limit))
    if get_aval(x2).dtype.itemsize > it.itemsize:   # e.g. int64 exponents of float32 values
        x2 = clip(x2)
    k = clip(ew.convert_element_type(x2, it))
    three = ew.full_like_scalar(k, 3)
    k1 = ew.div(k, three)          # truncating division: |k1| <= bias - 1
    k2 = ew.div(ew.sub(k, k1), ew.full_like_scalar(k, 2))
    k3 = ew.sub(ew.sub(k, k1), k2)
    return x1 * _power_of_two(k1, dt) * _power_of_two(k2, dt) * _power_of_two(k3, dt)


def divmod(x1, x2, /):  # noqa: A001
    return floor_divide(x1, x2), remainder(x1, x2)


def i0(x):
    """The modified Bessel function of the first kind, order 0 (real arguments)."""
    x = _to_float(asarray(x))
    if dtypes.kind(get_aval(x).dtype) == "c":
        raise NotImplementedError("irax.numpy.i0 supports real inputs only")
    ax = abs(x)
    big = 15.0
    # |x| <= 15: the power series sum_k ((x/2)^2)^k / (k!)^2, all terms positive
    small_x = where(ew.gt(ax, ew.full_like_scalar(ax, big)), ew.full_like_scalar(ax, big), ax)
    t = ew.square(small_x * 0.5)
    series = ew.full_like_scalar(t, 1.0 / math.factorial(30) ** 2)
    for k in range(29, -1, -1):
        series = series * t + 1.0 / math.factorial(k) ** 2
    # |x| > 15: e^x / sqrt(2 pi x) * sum_k ((2k-1)!!)^2 / (k! (8x)^k)
    large_x = where(ew.gt(ax, ew.full_like_scalar(ax, big)), ax, ew.full_like_scalar(ax, big))
    u = ew.div(ew.full_like_scalar(large_x, 1.0), large_x * 8.0)
    coeffs = [1.0]
    for k in range(1, 10):
        coeffs.append(coeffs[-1] * (2 * k - 1) ** 2 / k)
    asym = ew.full_like_scalar(u, coeffs[-1])
    for c in reversed(coeffs[:-1]):
        asym = asym * u + c
    # e^x split in two so that it does not overflow before the division by sqrt(2 pi x)
    half = ew.exp(large_x * 0.5)
    asym = half * ew.div(half, sqrt(large_x * (2 * math.pi))) * asym
    return where(ew.gt(ax, ew.full_like_scalar(ax, big)), asym, series)


# ---------------------------------------------------------------------------
# integers


def _check_integer(name, *xs):
    for x in xs:
        if dtypes.kind(get_aval(x).dtype) not in "iub":
            raise TypeError(f"{name} requires integer arguments, got {get_aval(x).dtype.name}")


def _euclid_steps(dt: np.dtype) -> int:
    """An upper bound on Euclid's steps for |values| < 2**bits: consecutive Fibonacci
    numbers are the worst case, and F(k) > phi**(k - 2)."""
    bits = dt.itemsize * 8
    return int(math.ceil(bits * math.log(2) / math.log((1 + math.sqrt(5)) / 2))) + 2


def gcd(x1, x2):
    x1, x2 = _promote(x1, x2)
    _check_integer("gcd", x1, x2)
    if get_aval(x1).dtype == np.bool_:
        x1, x2 = x1.astype(np.int32), x2.astype(np.int32)
    a, b = abs(x1), abs(x2)
    zero, one = ew.full_like_scalar(b, 0), ew.full_like_scalar(b, 1)
    # Euclid's algorithm elementwise, unrolled to its worst-case step count (no loop
    # primitive: irax.numpy sits below irax.lax); finished elements (b == 0) stay put
    for _ in range(_euclid_steps(get_aval(a).dtype)):
        live = ew.ne_p.bind(b, zero)
        a, b = ew.select(live, b, a), ew.select(live, ew.rem_p.bind(a, ew.select(live, b, one)),
                                                zero)
    return a


def lcm(x1, x2):
    x1, x2 = _promote(x1, x2)
    _check_integer("lcm", x1, x2)
    d = gcd(x1, x2)
    zero = ew.full_like_scalar(d, 0)
    safe_d = ew.select(ew.eq(d, zero), ew.full_like_scalar(d, 1), d)
    return where(ew.eq(d, zero), zero, abs(multiply(ew.div(x1, safe_d), x2)))


def left_shift(x, y, /):
    x, y = _promote(x, y)
    _check_integer("left_shift", x, y)
    return bits.shift_left(x, y)


def right_shift(x1, x2, /):
    x1, x2 = _promote(x1, x2)
    _check_integer("right_shift", x1, x2)
    if dtypes.kind(get_aval(x1).dtype) == "u":
        return bits.shift_right_logical(x1, x2)
    return bits.shift_right_arithmetic(x1, x2)


bitwise_left_shift = left_shift
bitwise_right_shift = right_shift


# ---------------------------------------------------------------------------
# choosing among values


def select(condlist, choicelist, default=0):
    if len(condlist) != len(choicelist):
        raise ValueError(f"condlist must have length equal to choicelist ({len(condlist)} vs "
                         f"{len(choicelist)})")
    if len(condlist) == 0:
        raise ValueError("condlist must be non-empty")
    conds = [asarray(c) for c in condlist]
    for c in conds:
        if get_aval(c).dtype != np.bool_:
            raise TypeError(f"condlist entries must be boolean arrays, got "
                            f"{get_aval(c).dtype.name}")
    choices = _promote(*choicelist, default)
    out = choices[-1]
    # the first true condition wins: apply them from the last to the first
    for c, v in zip(reversed(conds), reversed(choices[:-1])):
        out = where(c, v, out)
    return out


def piecewise(x, condlist, funclist, *args, **kw):
    x = asarray(x)
    dt = get_aval(x).dtype
    if isinstance(condlist, (Tracer, Array, np.ndarray, bool, np.bool_)):
        c = asarray(condlist, bool_)
        # one condition shaped like x, or several stacked along a leading axis
        condlist = [c] if get_aval(c).ndim <= get_aval(x).ndim else \
            [getitem(c, i) for i in range(get_aval(c).shape[0])]
    conds = [asarray(c, bool_) for c in condlist]
    n = len(conds)
    if len(funclist) == n + 1:
        default, funclist = funclist[-1], funclist[:-1]
    elif len(funclist) == n:
        default = 0
    else:
        raise ValueError(f"with {n} condition(s), either {n} or {n + 1} functions are needed; "
                         f"got {len(funclist)}")

    def value(f):
        v = f(x, *args, **kw) if callable(f) else f
        return sh.broadcast_to_rank_shape(ew.convert_element_type(asarray(v), dt, False),
                                          get_aval(x).shape)
    out = value(default)
    # later conditions take precedence (as in NumPy, where they overwrite earlier ones)
    for c, f in zip(conds, funclist):
        out = where(c, value(f), out)
    return out


# ---------------------------------------------------------------------------
# dtype queries


def _typed(x):
    """(dtype, weak) of a value or a dtype specifier, as irax's promotion sees it."""
    if isinstance(x, (Tracer, Array)) or core.is_python_scalar(x):
        a = get_aval(x)
        return a.dtype, a.weak_type
    if isinstance(x, (np.ndarray, np.generic)):
        return dtypes.canonicalize(x.dtype), False
    if isinstance(x, (list, tuple)):
        return get_aval(asarray(x)).dtype, False
    return dtypes.canonicalize(_as_dtype(x)), False


def _as_dtype(d) -> np.dtype:
    """np.dtype of a dtype specifier: a NumPy type, a string, a dtype, irax.numpy.float32."""
    if isinstance(d, (type, str, np.dtype)):
        return np.dtype(d)
    return np.dtype(getattr(d, "dtype", d))


def result_type(*args):
    """The dtype irax.numpy gives an operation on these arguments (dtypes count as strong,
    Python scalars as weak)."""
    if not args:
        raise ValueError("at least one array or dtype is required")
    return dtypes.result_type(*[_typed(a) for a in args])[0]


def promote_types(a, b):
    """JAX's jnp.promote_types: the least upper bound in its lattice; the Python types int,
    float, complex count as weak (promote_types('float16', float) is float16)."""
    def node(d):
        return d if builtins.any(d is t for t in (int, float, complex)) else _as_dtype(d)
    return np.dtype(dtypes.least_upper_bound(node(a), node(b)))


can_cast = np.can_cast


def iscomplexobj(x) -> bool:
    if x is None:
        return False
    dt = getattr(x, "dtype", None)
    if dt is None:
        dt = get_aval(asarray(x)).dtype
    return np.issubdtype(dt, np.complexfloating)


def isrealobj(x) -> bool:
    return not iscomplexobj(x)

