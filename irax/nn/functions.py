"""Activation functions and friends (as jax.nn), built from irax.numpy.

Where JAX fixes a derivative by hand (relu and relu6 at their kinks, softplus
for large |x|, softmax), a custom_jvp does the same here, so gradients agree
with JAX's at the edges as well as in the middle.
"""
from __future__ import annotations

import numpy as np

from .. import numpy as jnp
from ..lax import rsqrt, stop_gradient
from ..tracer import dtypes
from ..tracer.core import get_aval
from ..tracer.custom import custom_jvp
from ..tracer.prims.elementwise import erf_p, logistic_p

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _float_array(x, name: str):
    x = jnp.asarray(x)
    if dtypes.kind(get_aval(x).dtype) not in "biufc":
        raise TypeError(f"{name} requires a numeric array, got dtype {get_aval(x).dtype}")
    return jnp._to_float(x)


def identity(x):
    return jnp.asarray(x)


@custom_jvp
def relu(x):
    return jnp.maximum(x, 0)


# relu'(0) is 0 (as in JAX), not the 0.5 that maximum's tie rule would give
relu.defjvps(lambda g, ans, x: jnp.where(x > 0, g, jnp.zeros_like(g)))


@custom_jvp
def relu6(x):
    return jnp.minimum(jnp.maximum(x, 0), 6.0)


relu6.defjvps(lambda g, ans, x: jnp.where((x > 0) & (x < 6), g, jnp.zeros_like(g)))


def sigmoid(x):
    return logistic_p.bind(_float_array(x, "sigmoid"))


@custom_jvp
def softplus(x):
    return jnp.logaddexp(_float_array(x, "softplus"), 0)


# d/dx log(1 + e^x) = sigmoid(x): finite for every x, where differentiating
# logaddexp's max/abs form would give nan at x = +-inf.
softplus.defjvps(lambda g, ans, x: g * sigmoid(x))


def log_sigmoid(x):
    return -softplus(-_float_array(x, "log_sigmoid"))


def silu(x):
    x = _float_array(x, "silu")
    return x * sigmoid(x)


swish = silu


def mish(x):
    x = _float_array(x, "mish")
    return x * jnp.tanh(softplus(x))


def soft_sign(x):
    x = _float_array(x, "soft_sign")
    return x / (jnp.abs(x) + 1)


def squareplus(x, b=4):
    x = _float_array(x, "squareplus")
    return (x + jnp.sqrt(jnp.square(x) + b)) / 2


def elu(x, alpha=1.0):
    x = _float_array(x, "elu")
    positive = x > 0
    # expm1 of a clamped input, so the unused branch never overflows (and its grad is 0)
    return jnp.where(positive, x, alpha * jnp.expm1(jnp.where(positive, 0.0, x)))


def selu(x):
    return _SELU_SCALE * elu(x, _SELU_ALPHA)


def celu(x, alpha=1.0):
    x = _float_array(x, "celu")
    return jnp.maximum(x, 0.0) + alpha * jnp.expm1(jnp.minimum(x, 0.0) / alpha)


def leaky_relu(x, negative_slope=1e-2):
    x = _float_array(x, "leaky_relu")
    return jnp.where(x >= 0, x, negative_slope * x)


def hard_tanh(x):
    x = _float_array(x, "hard_tanh")
    return jnp.where(x > 1, 1.0, jnp.where(x < -1, -1.0, x))


def hard_sigmoid(x):
    return relu6(_float_array(x, "hard_sigmoid") + 3.0) / 6.0


def hard_silu(x):
    x = _float_array(x, "hard_silu")
    return x * hard_sigmoid(x)


hard_swish = hard_silu


def sparse_plus(x):
    x = _float_array(x, "sparse_plus")
    return jnp.where(x <= -1.0, 0.0, jnp.where(x >= 1.0, x, (x + 1.0) ** 2 / 4))


def sparse_sigmoid(x):
    return 0.5 * jnp.clip(_float_array(x, "sparse_sigmoid") + 1.0, 0.0, 2.0)


def gelu(x, approximate: bool = True):
    x = _float_array(x, "gelu")
    dtype = get_aval(x).dtype
    if approximate:
        sqrt_2_over_pi = np.sqrt(2 / np.pi).astype(dtype)
        cdf = 0.5 * (1.0 + jnp.tanh(sqrt_2_over_pi * (x + 0.044715 * (x ** 3))))
        return x * cdf
    # JAX writes erfc(-x / sqrt 2); irax has no erfc primitive yet, and 1 + erf(.)
    # equals it up to rounding (absolute error ~ eps, relative error grows for x < -3).
    sqrt_half = np.sqrt(0.5).astype(dtype)
    return 0.5 * x * (1.0 + erf_p.bind(x * sqrt_half))


def glu(x, axis: int = -1):
    x = jnp.asarray(x)
    size = get_aval(x).shape[axis]
    if size % 2:
        raise ValueError(f"glu: the size of axis {axis} must be divisible by 2, got {size}")
    x1, x2 = jnp.split(x, 2, axis)
    return x1 * sigmoid(x2)


# ---------------------------------------------------------------------------
# Normalizing functions


def _reduced_axes(axis, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        if not -ndim <= a < ndim:
            raise np.exceptions.AxisError(int(a), ndim)
        out.append(int(a) % ndim)
    return tuple(out)


def logsumexp(a, axis=None, b=None, keepdims: bool = False, return_sign: bool = False,
              where=None):
    a = _float_array(a, "logsumexp")
    if where is not None:
        a = jnp.where(where, a, 0.0)
    if b is not None:
        b = jnp.asarray(b)
        a, b = jnp._promote(a, jnp._to_float(b))
        a = jnp.where(b != 0, a, -np.inf)
    axes = _reduced_axes(axis, get_aval(a).ndim)
    amax = jnp.max(a, axis=axes, keepdims=True, where=where, initial=-np.inf)
    # a finite shift only: all -inf (or an inf) must not become inf - inf = nan
    amax = stop_gradient(jnp.where(jnp.isfinite(amax), amax, jnp.zeros_like(amax)))
    exp_a = jnp.exp(a - amax)
    if b is not None:
        exp_a = exp_a * b
    sumexp = jnp.sum(exp_a, axis=axes, keepdims=True, where=where)
    sign = jnp.sign(sumexp)
    out = jnp.log(jnp.abs(sumexp)) + amax
    if not keepdims:
        out, sign = jnp.squeeze(out, axes), jnp.squeeze(sign, axes)
    if return_sign:
        return out, sign
    if b is not None:
        out = jnp.where(sign < 0, np.nan, out)
    return out


def logmeanexp(x, axis=None, where=None, keepdims: bool = False):
    x = _float_array(x, "logmeanexp")
    lse = logsumexp(x, axis=axis, keepdims=keepdims, where=where)
    ones = jnp.ones_like(x) if where is None else jnp.where(where, 1.0, 0.0).astype(lse.dtype)
    count = jnp.sum(jnp.broadcast_to(ones, get_aval(x).shape), axis=axis, keepdims=keepdims)
    return lse - jnp.log(count)


def log_softmax(x, axis=-1, where=None):
    x = _float_array(x, "log_softmax")
    axes = _reduced_axes(axis, get_aval(x).ndim)
    x_max = jnp.max(x, axes, where=where, initial=-np.inf, keepdims=True)
    x_safe = x if where is None else jnp.where(where, x, -np.inf)
    shifted = x_safe - stop_gradient(x_max)
    result = shifted - jnp.log(jnp.sum(jnp.exp(shifted), axes, where=where, keepdims=True))
    return result if where is None else jnp.where(where, result, -np.inf)


def _softmax_value(x, axes, where):
    x_max = jnp.max(x, axes, where=where, initial=-np.inf, keepdims=True)
    x_safe = x if where is None else jnp.where(where, x, -np.inf)
    unnormalized = jnp.exp(x_safe - stop_gradient(x_max))
    result = unnormalized / jnp.sum(unnormalized, axes, where=where, keepdims=True)
    return result if where is None else jnp.where(where, result, 0.0)


def _softmax_custom(x, axes):
    return _softmax_value(x, axes, None)


_softmax_custom = custom_jvp(_softmax_custom, nondiff_argnums=(1,))


@_softmax_custom.defjvp
def _softmax_jvp(axes, primals, tangents):
    (x,), (x_dot,) = primals, tangents
    y = _softmax_custom(x, axes)
    # y * (x_dot - <y, x_dot>): the softmax Jacobian applied without forming it
    return y, y * (x_dot - jnp.sum(y * x_dot, axes, keepdims=True))


def softmax(x, axis=-1, where=None):
    x = _float_array(x, "softmax")
    axes = _reduced_axes(axis, get_aval(x).ndim)
    if where is None:
        return _softmax_custom(x, axes)
    return _softmax_value(x, axes, where)


def standardize(x, axis=-1, mean=None, variance=None, epsilon=1e-5, where=None, *,
                algorithm: str = "fast"):
    x = _float_array(x, "standardize")
    axes = _reduced_axes(axis, get_aval(x).ndim)
    if mean is None:
        mean = jnp.mean(x, axes, keepdims=True, where=where)
    if variance is None:
        if algorithm == "stable":
            variance = jnp.mean(jnp.square(x - mean), axes, keepdims=True, where=where)
        elif algorithm == "fast":
            # E[x^2] - E[x]^2 can round below 0; clip so that rsqrt stays finite
            variance = jnp.clip(jnp.mean(jnp.square(x), axes, keepdims=True, where=where)
                                - jnp.square(mean), 0)
        else:
            raise ValueError(f"Unknown algorithm '{algorithm}'. Expected 'fast' or 'stable'.")
    return (x - mean) * rsqrt(jnp.asarray(variance + epsilon, dtype=get_aval(x).dtype))


def one_hot(x, num_classes: int, *, dtype=None, axis: int = -1):
    try:
        num_classes = int(num_classes)
    except TypeError:
        raise TypeError("one_hot: num_classes must be a concrete integer (it sets the output "
                        f"shape), got {num_classes!r}") from None
    x = jnp.asarray(x)
    ndim = get_aval(x).ndim
    if not -(ndim + 1) <= axis <= ndim:
        raise ValueError(f"one_hot: axis {axis} is out of bounds for an output of dimension "
                         f"{ndim + 1}")
    out_axis = axis % (ndim + 1)
    classes_shape = [1] * ndim
    classes_shape.insert(out_axis, num_classes)
    classes = jnp.reshape(jnp.arange(num_classes, dtype=get_aval(x).dtype), classes_shape)
    hot = jnp.expand_dims(x, out_axis) == classes
    return hot.astype(dtype if dtype is not None else dtypes.default_float())


def tanh(x):
    return jnp.tanh(x)


@custom_jvp
def log1mexp(x):
    """log(1 - exp(-x)) for x > 0, by the branch that does not cancel (Maechler 2012)."""
    x = _float_array(x, "log1mexp")
    return jnp.where(x < np.log(2.0), jnp.log(-jnp.expm1(-x)), jnp.log1p(-jnp.exp(-x)))


log1mexp.defjvps(lambda g, ans, x: g / jnp.expm1(x))
