"""irax.numpy dtypes, array conversion, weak-type promotion and broadcasting, axis checks: what every other
section of irax.numpy builds on."""
from __future__ import annotations

import builtins
from typing import Any
import numpy as np

from ..tracer import array_methods as _ops
from ..tracer import core, dtypes
from ..tracer.core import Array, Tracer, get_aval
from ..tracer.prims import elementwise as ew
from ..tracer.prims import reduce as rd
from ..tracer.prims import shape as sh


ndarray = Array
pi = np.pi
e = np.e
inf = np.inf
nan = np.nan
newaxis = None


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
complex128 = _ScalarType(np.complex128)
complex_ = complex128
# ml_dtypes' types, as jax.numpy has them (bfloat16, the narrow floats, the sub-byte ints)
_LOW_PRECISION = dtypes.CUSTOM_FLOATS + dtypes.SMALL_SIGNED + dtypes.SMALL_UNSIGNED
globals().update({dt.name: _ScalarType(dt.type) for dt in _LOW_PRECISION})
LOW_PRECISION_NAMES = tuple(dt.name for dt in _LOW_PRECISION)
complexfloating = np.complexfloating
float_ = float64
int_ = int64
dtype = np.dtype


def finfo(dtype):
    """Machine limits of a float type (ml_dtypes' finfo, which knows bfloat16, as JAX)."""
    return dtypes.finfo(_dt_spec(dtype))


def iinfo(dtype):
    """Machine limits of an integer type (int4 included)."""
    return dtypes.iinfo(_dt_spec(dtype))


def issubdtype(a, b) -> bool:
    """np.issubdtype knowing ml_dtypes' types (bfloat16 is floating, as in JAX)."""
    from ..dtypes import issubdtype as _issubdtype   # a user-API sibling
    return _issubdtype(a.dtype if isinstance(a, _ScalarType) else a,
                       b.dtype if isinstance(b, _ScalarType) else b)


def _dt_spec(d) -> np.dtype:
    if isinstance(d, (Array, Tracer)):
        return get_aval(d).dtype
    return np.dtype(getattr(d, "dtype", d))

floating = np.floating
integer = np.integer
inexact = np.inexact
number = np.number


def _dt(d) -> np.dtype | None:
    return None if d is None else dtypes.canonicalize(np.dtype(d.dtype if isinstance(d, _ScalarType) else d))


def asarray(x: Any, dtype: Any = None) -> Any:
    dt = _dt(dtype)
    if isinstance(x, (Tracer, Array)):
        return x if dt is None else ew.convert_element_type(x, dt, False)
    if isinstance(x, (list, tuple)):
        if builtins.any(isinstance(v, (Tracer, Array, list, tuple)) for v in x):
            stacked = _stack_leading([asarray(v) for v in x])
            return stacked if dt is None else ew.convert_element_type(stacked, dt, False)
        arr = np.asarray(x)
        weak = False
    elif core.is_python_scalar(x) and dt is not None:
        arr, weak = np.asarray(x, dtype=dt), False   # 2**32 - 1 as uint32 need not fit int32
    elif core.is_python_scalar(x):
        aval = get_aval(x)
        arr, weak = np.asarray(x, dtype=aval.dtype), aval.weak_type
    elif isinstance(x, np.ndarray):   # copied, as JAX copies: later writes by the caller
        arr, weak = np.array(x, copy=True), False   # must not change the irax array
    elif isinstance(x, np.generic):
        arr, weak = np.asarray(x), False
    elif hasattr(x, "__jax_array__"):
        return asarray(x.__jax_array__(), dtype)
    elif x is None:   # a ValueError (not a TypeError), as in JAX
        raise ValueError("None is not a valid value for jnp.array")
    else:
        raise TypeError(f"irax.numpy cannot convert {type(x).__name__} to an array: {x!r}")
    if arr.dtype == object:
        raise TypeError(f"irax.numpy cannot convert {x!r} to an array (ragged or object data)")
    target = dt if dt is not None else dtypes.canonicalize(arr.dtype)
    return Array(np.asarray(arr, dtype=target), weak)


def _stack_leading(arrays):
    """The nested-list case of asarray: equal shapes, promoted dtype, a new leading axis."""
    shapes = {get_aval(a).shape for a in arrays}
    if len(shapes) != 1:
        raise ValueError(f"All input arrays must have the same shape, got {sorted(shapes)}")
    dt, weak = dtypes.result_type(*[(get_aval(a).dtype, get_aval(a).weak_type) for a in arrays])
    return sh.concatenate([sh.expand_dims(ew.convert_element_type(a, dt, weak), (0,))
                           for a in arrays], 0)


def array(x: Any, dtype: Any = None, copy: bool = True) -> Any:
    return asarray(x, dtype)


def _aval(x):
    return get_aval(x)


def _arrays(xs):
    return [x if isinstance(x, (Tracer, Array)) else asarray(x) for x in xs]


def _promote(*xs, broadcasting: bool = False):
    """Promote dtypes (weak Python scalars don't widen) and broadcast shapes, as the array
    operators do (irax/tracer/array_methods.py): a shape mismatch is a TypeError there.
    broadcasting: only the ranks made equal, for elementwise.BROADCASTING primitives."""
    return _ops.promote(*_arrays(xs), broadcasting=broadcasting)


def _promote_inexact(*xs, broadcasting: bool = False):
    """_promote on to a floating (or complex) type, each operand converted straight to it
    (so a weak Python int keeps its value: uint8 array / -1 divides by -1.0, as in JAX)."""
    return _ops.promote(*_arrays(xs), inexact=True, broadcasting=broadcasting)


def _broadcast_shapes(*shapes, error: type = ValueError):
    """NumPy's broadcast of shapes. Mismatches raise ValueError (broadcast_shapes,
    broadcast_to, where, as in JAX) or `error`."""
    return _ops.broadcast_shapes(*shapes, error=error)


def broadcast_shapes(*shapes):
    return _broadcast_shapes(*[tuple(s) for s in shapes])


def _to_float(x):
    a = get_aval(x)
    if dtypes.kind(a.dtype) in "fc":
        return x
    return ew.convert_element_type(asarray(x), dtypes.default_float(), a.weak_type)


def _no_float0(name, *xs):
    if any(getattr(x, "dtype", None) == dtypes.FLOAT0 for x in xs):
        raise core.float0_error(name)


def _unary(prim, float_only: bool = True):
    def f(x):
        _no_float0(prim.name, x)
        x = asarray(x) if not isinstance(x, (Tracer, Array)) else x
        if float_only:
            x = _to_float(x)
        return prim.bind(x)
    f.__name__ = prim.name
    return f


def _binary(prim, float_only: bool = False):
    def f(x, y):
        _no_float0(prim.name, x, y)
        if float_only:
            return prim.bind(*_promote_inexact(x, y, broadcasting=True))
        return prim.bind(*_promote(x, y, broadcasting=True))
    f.__name__ = prim.name
    return f


def _static(x, what: str):
    v = core.concrete_or_none(x)
    if v is None:
        raise core.ConcretizationTypeError(
            f"{what} requires concrete (static) arguments, but got a traced value {x!r}. "
            "Under jit, mark it static with static_argnums / static_argnames.")
    return v.item() if np.ndim(v) == 0 else v


AxisError = np.exceptions.AxisError   # a ValueError and an IndexError, as NumPy raises


def _axes(axis, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        a = int(a)
        if not -ndim <= a < ndim:   # also any axis of a 0-d array, as in NumPy and JAX
            raise AxisError(a, ndim)
        out.append(a % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"duplicate value in 'axis': {axis}")
    return tuple(out)


def _axis(axis, ndim: int) -> int:
    """One axis, negative allowed, checked against ndim (as NumPy's normalize_axis_index)."""
    a = int(axis)
    if not -ndim <= a < ndim:
        raise AxisError(a, ndim)
    return a % ndim


def _keep(out, in_shape, axes, keepdims):
    # the reduced axes back as size-1 axes: a broadcast_in_dim, as jax.numpy's keepdims
    return sh.expand_dims(out, sorted(_axis(a, len(in_shape)) for a in axes)) if keepdims \
        else out


def shape(a):
    return np.shape(a) if isinstance(a, (list, tuple)) else get_aval(a).shape


def ndim(a):
    return len(shape(a))


def size(a, axis=None):
    s = shape(a)
    return int(np.prod(s, dtype=np.int64)) if axis is None else s[axis]


def broadcast_to(a, shape):
    a = asarray(a)
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    av = get_aval(a)
    if len(shape) < av.ndim or _broadcast_shapes(av.shape, shape) != shape:
        raise ValueError(f"Incompatible shapes for broadcasting: {av.shape} and requested "
                         f"shape {shape}")
    return sh.broadcast_to_rank_shape(a, shape)


# ---------------------------------------------------------------------------
# Lists and tuples are not arrays (as in jax.numpy): the public functions refuse them in
# their array arguments; irax.numpy.asarray / array convert them. Internally irax.numpy
# still converts sequences freely: the check wraps only the exported names.

def check_arraylike(fname: str, *args) -> None:
    for i, x in enumerate(args):
        if isinstance(x, (list, tuple)):
            raise TypeError(f"{fname} requires ndarray or scalar arguments, got {type(x)} at "
                            f"position {i}. Convert it with irax.numpy.asarray first.")


# Which positional arguments are arrays (as jax.numpy checks them): the first one, unless
# the function is listed here.
_NOT_ARRAY_ARGS = {  # no array arguments, or JAX converts lists itself
    "arange", "array", "asarray", "broadcast_shapes", "empty", "eye", "full", "identity",
    "issubdtype", "linspace", "ones", "zeros", "tri", "shape", "ndim", "size", "getitem",
    "pad_1d_for_diag", "dtype", "finfo", "iinfo", "block", "iscomplexobj", "isrealobj",
    "array_equal", "array_equiv", "promote_types", "vectorize", "indices", "diag_indices",
    "tril_indices", "triu_indices", "isscalar", "iterable", "logspace", "geomspace",
    "hanning", "hamming", "blackman", "bartlett", "kaiser"}
_TWO = (0, 1)
_THREE = (0, 1, 2)
_ARRAY_POSITIONS = {
    **{name: _TWO for name in (
        "add", "arctan2", "bitwise_and", "bitwise_or", "bitwise_xor", "divide", "dot", "equal",
        "float_power", "floor_divide", "fmod", "greater", "greater_equal", "heaviside", "hypot",
        "inner", "less", "less_equal", "logaddexp", "logical_and", "logical_or", "logical_xor",
        "matmul", "maximum", "minimum", "mod", "multiply", "not_equal", "outer", "pow", "power",
        "remainder", "subtract", "tensordot", "true_divide", "vdot", "take", "take_along_axis",
        "polyval", "polyfit", "isin", "histogram", "histogram_bin_edges", "convolve",
        "correlate", "allclose", "isclose", "trapezoid", "cross", "kron", "gcd", "lcm", "fmax",
        "fmin", "divmod", "ldexp", "copysign", "logaddexp2", "bitwise_left_shift",
        "bitwise_right_shift", "left_shift", "right_shift", "bincount", "cov", "corrcoef",
        "searchsorted", "digitize", "quantile", "percentile", "nanquantile", "nanpercentile")},
    **{name: _THREE for name in ("where", "clip", "interp", "put_along_axis", "ediff1d")},
    "apply_along_axis": (2,), "average": (0, 2),
}
_SEQUENCES_OF_ARRAYS = {  # positions holding a sequence of arrays
    **{name: (0,) for name in ("concatenate", "stack", "hstack", "vstack", "column_stack",
                               "dstack", "row_stack", "ravel_multi_index", "lexsort")},
    "select": (0, 1)}
_ALL_ARRAY_ARGS = {"broadcast_arrays", "atleast_1d", "atleast_2d", "atleast_3d", "meshgrid"}
_OPERANDS_AFTER_FIRST = {"einsum"}


def _refusing_lists(fname: str, f):
    import functools
    if fname in _SEQUENCES_OF_ARRAYS:
        positions = _SEQUENCES_OF_ARRAYS[fname]

        def check(args):
            for i in positions:
                if i < len(args) and isinstance(args[i], (list, tuple)):
                    check_arraylike(fname, *args[i])
    elif fname in _ALL_ARRAY_ARGS:
        def check(args):
            check_arraylike(fname, *args)
    elif fname in _OPERANDS_AFTER_FIRST:
        def check(args):
            check_arraylike(fname, *args[1:])
    else:
        positions = _ARRAY_POSITIONS.get(fname, (0,))

        def check(args):
            for i in positions:
                if i < len(args) and isinstance(args[i], (list, tuple)):
                    raise TypeError(f"{fname} requires ndarray or scalar arguments, got "
                                    f"{type(args[i])} at position {i}. Convert it with "
                                    "irax.numpy.asarray first.")

    @functools.wraps(f)
    def checked(*args, **kwargs):
        check(args)
        return f(*args, **kwargs)
    return checked


def refuse_lists_in(namespace: dict) -> None:
    """Wrap the public functions of `namespace` (irax.numpy's) with the list check."""
    import types
    wrapped: dict[int, Any] = {}   # one wrapper per function, so aliases stay identical
    for name, f in list(namespace.items()):
        if (not name.startswith("_") and isinstance(f, types.FunctionType)
                and name not in _NOT_ARRAY_ARGS):
            if id(f) not in wrapped:
                wrapped[id(f)] = _refusing_lists(name, f)
            namespace[name] = wrapped[id(f)]
