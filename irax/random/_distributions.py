"""Samplers built on random bits, in the order of operations JAX 0.10 uses, so that the
same key gives the same numbers (exactly where only integer and IEEE +-*/ arithmetic is
involved; to within an ulp where a transcendental's implementation differs)."""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from .. import numpy as jnp
from ..tracer import dtypes
from ..tracer.core import get_aval
from ..tracer.prims import bits
from ..tracer.prims import elementwise as ew
from ..tracer.prims import shape as sh
from . import _bits, _keys, _threefry
from ._special import erf_inv, nextafter

# ---------------------------------------------------------------------------
# argument checking (messages as JAX's)


def _shape(shape) -> tuple[int, ...]:
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    try:
        return tuple(int(d) for d in shape)
    except TypeError:
        raise TypeError(f"Shapes must be 1D sequences of concrete values of integer type, "
                        f"got {shape!r}.") from None


def _check_shape(name: str, shape, *param_shapes) -> None:
    if param_shapes:
        got = jnp.broadcast_shapes(shape, *param_shapes)
        if tuple(shape) != tuple(got):
            raise ValueError(f"{name} parameter shapes must be broadcast-compatible with shape "
                             "argument, and the result of broadcasting the shapes must equal "
                             f"the shape argument, but got result {got} for shape argument "
                             f"{tuple(shape)}.")


def as_dtype(dtype) -> np.dtype:
    return dtypes.canonicalize(_bits.as_dtype(dtype))


def _float_dtype(name: str, dtype, kinds: str = "f") -> np.dtype:
    dt = dtypes.default_float() if dtype is None else as_dtype(dtype)
    if dtypes.kind(dt) not in kinds:
        what = "a float" if kinds == "f" else "a float or complex"
        raise ValueError(f"dtype argument to `{name}` must be {what} dtype, got {dt}")
    return dt


def _int_dtype(name: str, dtype) -> np.dtype:
    dt = dtypes.default_int() if dtype is None else as_dtype(dtype)
    if dtypes.kind(dt) not in "iu":
        raise TypeError(f"{name} only accepts integer dtypes, got {dt}")
    return dt


def _shape_of(x) -> tuple[int, ...]:
    return tuple(get_aval(x).shape) if not isinstance(x, (int, float, bool)) else ()


def _as(x, dtype):
    return ew.convert_element_type(jnp.asarray(x), np.dtype(dtype), False)


def _full(shape, value, dtype):
    return sh.full(tuple(shape), value, np.dtype(dtype))


# ---------------------------------------------------------------------------
# bits, uniform, integers


def bits_(key, shape=(), dtype=None):
    data, _ = _keys.check_key("bits", key)
    dt = np.dtype(np.uint64 if dtypes.config.enable_x64 else np.uint32) if dtype is None \
        else as_dtype(dtype)
    if dtypes.kind(dt) != "u":
        raise ValueError(f"dtype argument to `bits` must be an unsigned int dtype, got {dt}")
    return _threefry.random_bits(data, dt.itemsize * 8, _shape(shape))


def _uniform(data, shape, dtype, minval, maxval):
    finfo = dtypes.finfo(dtype)
    nbits, nmant = finfo.bits, finfo.nmant
    if nbits not in (16, 32, 64):
        raise TypeError(f"uniform only accepts 16-, 32-, or 64-bit dtypes, got {dtype}.")
    udt = np.dtype(f"uint{nbits}")
    # as JAX: a type with under 8 mantissa bits (bfloat16) draws 8 random bits, widened
    rng_bits = 8 if nmant < 8 else nbits
    raw = _threefry.random_bits(data, rng_bits, shape)
    if rng_bits != nbits:
        raw = ew.convert_element_type(raw, udt)
    # random mantissa under the exponent of 1.0: a float in [1, 2), then shift to [0, 1)
    one_bits = int(np.array(1.0, dtype).view(udt))
    mantissa = bits.shift_right_logical(raw, _full(shape, rng_bits - nmant, udt))
    floats = ew.sub(bits.bitcast_convert_type(ew.or_p.bind(mantissa, _full(shape, one_bits, udt)),
                                              dtype), _full(shape, 1, dtype))
    minval, maxval = _as(minval, dtype), _as(maxval, dtype)
    return jnp.maximum(minval, floats * (maxval - minval) + minval)


def uniform(key, shape=(), dtype=None, minval=0., maxval=1.):
    data, _ = _keys.check_key("uniform", key)
    dtype = _float_dtype("uniform", dtype)
    return _uniform(data, _shape(shape), dtype, minval, maxval)


def _convert_and_clip_integer(val, dtype):
    dtype = np.dtype(dtype)
    vdt = get_aval(val).dtype
    lo = max(dtypes.iinfo(dtype).min, np.iinfo(vdt).min)
    hi = min(dtypes.iinfo(dtype).max, np.iinfo(vdt).max)
    clipped = jnp.minimum(jnp.maximum(val, _full((), lo, vdt)), _full((), hi, vdt))
    return ew.convert_element_type(clipped, dtype)


def randint(key, shape, minval, maxval, dtype=None):
    data, _ = _keys.check_key("randint", key)
    dtype = _int_dtype("randint", dtype)
    shape = _shape(shape)
    info = dtypes.iinfo(dtype)
    sampling = dtype
    if info.bits < 32:   # sample in 32 bits to avoid biased results, as JAX
        sampling = np.dtype(np.int32)
        minval = jnp.clip(_as(minval, np.int32), int(info.min), int(info.max))
        maxval = jnp.clip(_as(maxval, np.int32), int(info.min), int(info.max) + 1)
    return ew.convert_element_type(_randint(data, minval, maxval, shape, sampling), dtype)


def _randint(data, minval, maxval, shape, dtype):
    _check_shape("randint", shape, _shape_of(minval), _shape_of(maxval))
    minval, maxval = jnp.asarray(minval), jnp.asarray(maxval)
    if dtypes.kind(get_aval(minval).dtype) not in "iu":
        minval = _as(minval, dtypes.default_int())
    if dtypes.kind(get_aval(maxval).dtype) not in "iu":
        maxval = _as(maxval, dtypes.default_int())
    mdt = get_aval(maxval).dtype
    dtype_max = _convert_and_clip_integer(_full((), dtypes.iinfo(dtype).max, dtype), mdt)
    maxval_out_of_range = jnp.broadcast_to(maxval > dtype_max, shape)
    minval = jnp.broadcast_to(_convert_and_clip_integer(minval, dtype), shape)
    maxval = jnp.broadcast_to(_convert_and_clip_integer(maxval, dtype), shape)
    nbits = dtypes.iinfo(dtype).bits
    k1, k2 = _keys.unstack(_keys.split_data(data, 2), 2)
    higher = _threefry.random_bits(k1, nbits, shape)
    lower = _threefry.random_bits(k2, nbits, shape)
    udt = np.dtype(f"uint{nbits}")
    span = ew.convert_element_type(ew.sub(maxval, minval), udt)
    one = _full(shape, 1, udt)
    span = ew.select(ew.le_p.bind(maxval, minval), one, span)   # maxval <= minval: minval
    span = ew.select(ew.and_p.bind(maxval_out_of_range, ew.gt(maxval, minval)),
                     ew.add(span, one), span)
    # (hi * 2**nbits + lo) % span without overflow: 2**nbits % span via (2**(nbits/2))**2
    multiplier = ew.rem_p.bind(_full(shape, 2 ** (nbits // 2), udt), span)
    multiplier = ew.rem_p.bind(ew.mul(multiplier, multiplier), span)
    offset = ew.add(ew.mul(ew.rem_p.bind(higher, span), multiplier),
                    ew.rem_p.bind(lower, span))
    offset = ew.rem_p.bind(offset, span)
    return ew.add(minval, ew.convert_element_type(offset, dtype))


def bernoulli(key, p=0.5, shape=None, mode="low"):
    if mode not in ("high", "low"):
        raise ValueError(f"got mode={mode!r}, expected 'high' or 'low'")
    data, _ = _keys.check_key("bernoulli", key)
    p = jnp.asarray(p)
    dtype = get_aval(p).dtype
    if dtypes.kind(dtype) != "f":
        raise TypeError(f"bernoulli probability `p` must have a floating dtype, got {dtype}.")
    p = _as(p, dtype)
    shape = _shape_of(p) if shape is None else _shape(shape)
    _check_shape("bernoulli", shape, _shape_of(p))
    if mode == "high":
        u = _uniform(data, (2, *shape), dtype, 0., 1.)
        u1, u2 = u[0], u[1]
        u2 = u2 * _full((), 2.0 ** -dtypes.finfo(dtype).nmant, dtype)
        return u2 < p - u1
    return _uniform(data, shape, dtype, 0., 1.) < p


# ---------------------------------------------------------------------------
# continuous distributions by inversion


def _normal(data, shape, dtype):
    lo = np.nextafter(np.array(-1., dtype), np.array(0., dtype), dtype=dtype)
    u = _uniform(data, shape, dtype, lo, 1.)
    return ew.mul(_full(shape, np.sqrt(2), dtype), erf_inv(u))


def normal(key, shape=(), dtype=None):
    data, _ = _keys.check_key("normal", key)
    dtype = _float_dtype("normal", dtype, "fc")
    shape = _shape(shape)
    if dtypes.kind(dtype) == "c":
        real = np.dtype(f"float{dtype.itemsize * 4}")
        k_re, k_im = _keys.unstack(_keys.split_data(data, 2), 2)
        re = _as(_normal(k_re, shape, real), dtype)
        im = _as(_normal(k_im, shape, real), dtype)
        return (re + 1j * im) / _full((), np.sqrt(2), dtype)
    return _normal(data, shape, dtype)


def truncated_normal(key, lower, upper, shape=None, dtype=None):
    data, _ = _keys.check_key("truncated_normal", key)
    dtype = _float_dtype("truncated_normal", dtype)
    if shape is None:
        shape = jnp.broadcast_shapes(_shape_of(lower), _shape_of(upper))
    else:
        shape = _shape(shape)
        _check_shape("truncated_normal", shape, _shape_of(lower), _shape_of(upper))
    sqrt2 = _full((), np.sqrt(2), dtype)
    lower, upper = _as(lower, dtype), _as(upper, dtype)
    a = ew.erf_p.bind(lower / sqrt2)
    b = ew.erf_p.bind(upper / sqrt2)
    u = _uniform(data, shape, dtype, a, b)
    out = sqrt2 * erf_inv(u)
    # keep rounding (or u == a) inside the open interval (lower, upper)
    lo = nextafter(ew.stop_gradient_p.bind(lower), np.inf)
    hi = nextafter(ew.stop_gradient_p.bind(upper), -np.inf)
    return jnp.clip(out, lo, hi)


def exponential(key, shape=(), dtype=None):
    data, _ = _keys.check_key("exponential", key)
    dtype = _float_dtype("exponential", dtype)
    return _exponential(data, _shape(shape), dtype)


def _exponential(data, shape, dtype):
    u = _uniform(data, shape, dtype, 0., 1.)
    return ew.neg(ew.log1p_p.bind(ew.neg(u)))   # log of 1 - u: domain (0, 1]


def laplace(key, shape=(), dtype=None):
    data, _ = _keys.check_key("laplace", key)
    dtype = _float_dtype("laplace", dtype)
    u = _uniform(data, _shape(shape), dtype, -1. + dtypes.finfo(dtype).epsneg, 1.)
    return ew.mul(ew.sign(u), ew.log1p_p.bind(ew.neg(ew.abs_p.bind(u))))


def logistic(key, shape=(), dtype=None):
    data, _ = _keys.check_key("logistic", key)
    dtype = _float_dtype("logistic", dtype)
    x = _uniform(data, _shape(shape), dtype, dtypes.finfo(dtype).tiny, 1.)
    return ew.sub(ew.log(x), ew.log1p_p.bind(ew.neg(x)))


def _gumbel(data, shape, dtype, mode):
    tiny = dtypes.finfo(dtype).tiny
    if mode == "high":
        u = _uniform(data, (2,) + tuple(shape), dtype, 0., 1.)
        high, low = u[0], u[1]
        x = jnp.where(high >= 0.5, high,
                      high + _full((), 2.0 ** -dtypes.finfo(dtype).nmant, dtype) * low
                      + _full((), tiny, dtype))
        return -jnp.log(-jnp.log1p(-x))
    return -jnp.log(-jnp.log(_uniform(data, shape, dtype, tiny, 1.)))


def gumbel(key, shape=(), dtype=None, mode=None):
    data, _ = _keys.check_key("gumbel", key)
    dtype = _float_dtype("gumbel", dtype)
    mode = "low" if mode is None else mode
    if mode not in ("high", "low"):
        raise ValueError(f"Must provide valid mode for gumbel got: {mode}")
    return _gumbel(data, _shape(shape), dtype, mode)


def categorical(key, logits, axis: int = -1, shape=None, replace: bool = True, mode=None):
    data, _ = _keys.check_key("categorical", key)
    logits = jnp.asarray(logits)
    lshape = _shape_of(logits)
    nd = len(lshape)
    if not -nd <= axis < nd:
        raise np.exceptions.AxisError(int(axis), nd, "logits")
    batch_shape = tuple(np.delete(np.array(lshape, dtype=np.int64), axis).tolist())
    if shape is None:
        shape = batch_shape
    else:
        shape = _shape(shape)
        _check_shape("categorical", shape, batch_shape)
    dtype = get_aval(logits).dtype
    mode = "low" if mode is None else mode
    prefix = shape[:len(shape) - len(batch_shape)]
    if replace:
        if axis >= 0:
            axis -= nd
        sample_shape = list(shape[len(shape) - len(batch_shape):])
        sample_shape.insert(axis % nd, lshape[axis])
        g = _gumbel(data, (*prefix, *sample_shape), dtype, mode)
        expanded = sh.reshape(logits, (1,) * len(prefix) + lshape)
        return jnp.argmax(g + expanded, axis=axis)
    noisy = logits + _gumbel(data, lshape, dtype, mode)
    k = math.prod(prefix)
    if k > lshape[axis]:
        raise ValueError(f"Number of samples without replacement ({k}) cannot exceed number "
                         f"of categories ({lshape[axis]}).")
    from ._sorting import top_k_indices
    indices = top_k_indices(jnp.moveaxis(noisy, axis, -1), k)      # batch_shape + (k,)
    indices = jnp.moveaxis(indices, -1, 0)
    return jnp.reshape(indices, shape)


def multivariate_normal(key, mean, cov, shape=None, dtype=None, method: str = "cholesky"):
    data, _ = _keys.check_key("multivariate_normal", key)
    if method not in ("svd", "eigh", "cholesky"):
        raise ValueError("method must be one of {'svd', 'eigh', 'cholesky'}")
    if method != "cholesky":
        raise NotImplementedError(f"multivariate_normal(method={method!r}): irax has no "
                                  "svd/eigh yet; use method='cholesky'")
    mean, cov = jnp.asarray(mean), jnp.asarray(cov)
    mdt = get_aval(mean).dtype
    if dtypes.kind(mdt) != "f" or get_aval(cov).dtype != mdt:
        target = dtypes.result_type((get_aval(mean).dtype, False), (get_aval(cov).dtype, False))[0]
        target = target if dtypes.kind(target) == "f" else dtypes.default_float()
        mean, cov = _as(mean, target), _as(cov, target)
    dtype = get_aval(mean).dtype if dtype is None else _float_dtype("multivariate_normal", dtype)
    mshape, cshape = _shape_of(mean), _shape_of(cov)
    if len(mshape) < 1:
        raise ValueError(f"multivariate_normal requires mean.ndim >= 1, got mean.ndim == "
                         f"{len(mshape)}")
    if len(cshape) < 2:
        raise ValueError(f"multivariate_normal requires cov.ndim >= 2, got cov.ndim == "
                         f"{len(cshape)}")
    n = mshape[-1]
    if cshape[-2:] != (n, n):
        raise ValueError(f"multivariate_normal requires cov.shape == (..., n, n) for n={n}, "
                         f"but got cov.shape == {cshape}.")
    if shape is None:
        shape = jnp.broadcast_shapes(mshape[:-1], cshape[:-2])
    else:
        shape = _shape(shape)
        _check_shape("normal", shape, mshape[:-1], cshape[:-2])
    from ._special import cholesky
    factor = cholesky(cov)
    z = _normal(data, tuple(shape) + mshape[-1:], dtype)
    return mean + jnp.sum(factor * jnp.expand_dims(z, -2), axis=-1)


# ---------------------------------------------------------------------------
# permutations and choice


def _shuffle(data, x, axis: int):
    from ._sorting import sort_by_keys
    size = math.prod(_shape_of(x))
    rounds = int(np.ceil(3 * np.log(max(1, size)) / np.log(np.iinfo(np.uint32).max)))
    for _ in range(rounds):
        data, sub = _keys.unstack(_keys.split_data(data, 2), 2)
        sort_keys = _threefry.random_bits(sub, 32, _shape_of(x))
        x = sort_by_keys(sort_keys, x, axis)
    return x


def _canonical_axis(axis: int, ndim: int) -> int:
    if not -ndim <= axis < ndim:
        raise np.exceptions.AxisError(int(axis), ndim)
    return axis % ndim


def permutation(key, x, axis: int = 0, independent: bool = False):
    data, _ = _keys.check_key("permutation", key)
    if isinstance(x, (int, np.integer)) or not _shape_of(jnp.asarray(x)):
        x = jnp.asarray(x)
        if dtypes.kind(get_aval(x).dtype) not in "iu":
            raise TypeError("x must be an integer or at least 1-dimensional")
        n = int(np.asarray(x))   # concrete: the output shape depends on it
        return _shuffle(data, jnp.arange(n), 0)
    x = jnp.asarray(x)
    axis = _canonical_axis(axis, get_aval(x).ndim)
    if independent or get_aval(x).ndim == 1:
        return _shuffle(data, x, axis)
    ind = _shuffle(data, jnp.arange(_shape_of(x)[axis]), 0)
    return jnp.take(x, ind, axis=axis)


def shuffle(key, x, axis: int = 0):
    """Deprecated in JAX (use permutation); kept with its semantics: shuffle along axis."""
    data, _ = _keys.check_key("shuffle", key)
    x = jnp.asarray(x)
    return _shuffle(data, x, _canonical_axis(axis, max(1, get_aval(x).ndim)))


def choice(key, a, shape: Sequence[int] = (), replace: bool = True, p=None, axis: int = 0,
           mode=None):
    data, _ = _keys.check_key("choice", key)
    if not isinstance(shape, (tuple, list)):
        raise TypeError(f"shape argument of jax.random.choice must be a sequence, got {shape}")
    shape = _shape(shape)
    arr = jnp.asarray(a)
    ashape = _shape_of(arr)
    if not ashape:
        n_inputs = int(np.asarray(arr))
    else:
        axis = _canonical_axis(axis, len(ashape))
        n_inputs = ashape[axis]
    n_draws = math.prod(shape)
    if n_draws == 0:
        return jnp.zeros(shape, dtype=get_aval(arr).dtype)
    if n_inputs <= 0:
        raise ValueError("a must be greater than 0 unless no samples are taken")
    if not replace and n_draws > n_inputs:
        raise ValueError(f"Cannot take a larger sample (size {n_draws}) than population "
                         f"(size {n_inputs}) when 'replace=False'")
    if p is None:
        if replace:
            ind = randint(data, shape, 0, n_inputs)
            result = ind if not ashape else jnp.take(arr, ind, axis=axis)
        else:
            perm = permutation(data, n_inputs if not ashape else arr, axis)
            idx = (slice(None),) * axis + (slice(n_draws),)
            result = perm[idx]
    else:
        p_arr = jnp.asarray(p)
        if dtypes.kind(get_aval(p_arr).dtype) != "f":
            p_arr = _as(p_arr, dtypes.default_float())
        if _shape_of(p_arr) != (n_inputs,):
            raise ValueError("p must be None or a 1D vector with the same size as "
                             f"a.shape[axis]. p has shape {_shape_of(p_arr)} and "
                             f"a.shape[axis] is {n_inputs}.")
        pdt = get_aval(p_arr).dtype
        if replace:
            p_cuml = jnp.cumsum(p_arr)
            r = p_cuml[-1] * (1 - _uniform(data, shape, pdt, 0., 1.))
            # searchsorted(p_cuml, r, side='left'): how many cumulative sums lie below r
            below = jnp.less(p_cuml, jnp.expand_dims(r, -1))
            ind = jnp.sum(_as(below, dtypes.default_int()), axis=-1)
        else:
            from ._sorting import top_k_indices
            g = _gumbel(data, (n_inputs,), pdt, mode or "low") + jnp.log(p_arr)
            ind = top_k_indices(g, n_draws)
        result = ind if not ashape else jnp.take(arr, ind, axis=axis)
    out_shape = shape if not ashape else ashape[:axis] + shape + ashape[axis + 1:]
    return jnp.reshape(result, out_shape)


__all__ = ["bits_", "uniform", "randint", "bernoulli", "normal", "truncated_normal",
           "exponential", "laplace", "logistic", "gumbel", "categorical",
           "multivariate_normal", "permutation", "shuffle", "choice"]
