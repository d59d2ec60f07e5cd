"""irax.numpy array creation: zeros, ones, full, arange, linspace, eye and their *_like forms."""
from __future__ import annotations

import builtins
import operator
import numpy as np

from ..tracer import core, dtypes
from ..tracer.core import Array, Tracer, get_aval
from ..tracer.prims import elementwise as ew
from ..tracer.prims import shape as sh
from ._core import _dt, _static, _to_float, asarray


def _shape_tuple(shape) -> tuple[int, ...]:
    """A creation function's shape: an int or a sequence of non-negative ints (TypeError
    otherwise, as jax.numpy raises for zeros(-1))."""
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    try:
        dims = tuple(operator.index(d) for d in shape)
    except TypeError:
        raise TypeError(f"Shapes must be 1D sequences of concrete values of integer type, "
                        f"got {shape!r}") from None
    if builtins.any(d < 0 for d in dims):
        raise TypeError(f"array shape must have every element be non-negative, got {dims}")
    return dims


def zeros(shape, dtype=None):
    return sh.full(_shape_tuple(shape), 0, _dt(dtype) or dtypes.default_float())


def ones(shape, dtype=None):
    return sh.full(_shape_tuple(shape), 1, _dt(dtype) or dtypes.default_float())


def full(shape, fill_value, dtype=None):
    shape = _shape_tuple(shape)
    if _dt(dtype) == dtypes.FLOAT0:   # float0 holds no data: zeros whatever the fill
        return sh.full(shape, 0, dtypes.FLOAT0)
    fill = asarray(fill_value, dtype)   # with dtype: 2**32 - 1 as uint32 need not fit int32
    fa = get_aval(fill)
    dt = _dt(dtype) or fa.dtype
    fill = ew.convert_element_type(fill, dt, fa.weak_type and dtype is None)  # full((2,), 3) is weak, as JAX
    return sh.broadcast_to_rank_shape(fill, shape)


def empty(shape, dtype=None):
    return zeros(shape, dtype)


def zeros_like(x, dtype=None, shape=None):
    a = get_aval(x)
    return sh.full(a.shape if shape is None else _shape_tuple(shape), 0, _dt(dtype) or a.dtype)


def ones_like(x, dtype=None, shape=None):
    a = get_aval(x)
    return sh.full(a.shape if shape is None else _shape_tuple(shape), 1, _dt(dtype) or a.dtype)


def full_like(x, fill_value, dtype=None, shape=None):
    a = get_aval(x)
    return full(a.shape if shape is None else shape, fill_value, _dt(dtype) or a.dtype)


empty_like = zeros_like


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
        dt = dtypes.default_int() if dtypes.kind(vals.dtype) in "iu" else dtypes.default_float()
    integral = isinstance(start, (int, np.integer)) and isinstance(step, (int, np.integer))
    if (dtypes.kind(dt) in "iu" and integral) or (
            dtypes.kind(dt) == "f" and not dtypes.is_custom(dt)):
        # JAX's arithmetic, at the result's dtype: start + step * iota (so a float arange
        # has JAX's values, which can differ from NumPy's float64-then-rounded ones)
        out = sh.iota(dt, (len(vals),), 0)
        if step != 1:
            out = ew.add(Array(np.asarray(start, dt)), ew.mul(Array(np.asarray(step, dt)), out))
        elif start != 0:
            out = ew.add(Array(np.asarray(start, dt)), out)
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
    # a constant, where JAX writes iota + eq + convert_element_type: IREE 3.13 fails to
    # compile that bool -> float convert fused into a matmul ("linalg.vecmat op expected
    # type of bb argument #1 ('i1') to match ... ('i8')", tests/lax/test_linalg_more.py)
    M = N if M is None else M
    dt = _dt(dtype) or dtypes.default_float()
    return Array(np.eye(N, M, k, dtype=dt))


def identity(n, dtype=None):
    return eye(n, dtype=dtype)


def tri(N, M=None, k=0, dtype=None):
    M = N if M is None else M
    return Array(np.tri(N, M, k, dtype=_dt(dtype) or dtypes.default_float()))
