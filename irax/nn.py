"""irax.nn: common activation functions, built from irax.numpy."""
from __future__ import annotations

from . import numpy as jnp
from .lax import stop_gradient
from .tracer.custom import custom_jvp


@custom_jvp
def relu(x):
    return jnp.maximum(x, 0)


# the derivative at 0 is taken as 0 (as in JAX), not the 0.5 of maximum's tie rule
relu.defjvps(lambda g, ans, x: jnp.where(x > 0, g, jnp.zeros_like(g)))


def sigmoid(x):
    from .tracer.prims.elementwise import logistic_p
    return logistic_p.bind(jnp._to_float(jnp.asarray(x)))


def softplus(x):
    return jnp.logaddexp(x, 0)


def log_sigmoid(x):
    return -softplus(-x)


def silu(x):
    return x * sigmoid(x)


swish = silu


def gelu(x, approximate: bool = True):
    x = jnp.asarray(x)
    if approximate:
        c = jnp.sqrt(2 / jnp.pi)
        return 0.5 * x * (1 + jnp.tanh(c * (x + 0.044715 * x ** 3)))
    from .tracer.prims.elementwise import erf_p
    return 0.5 * x * (1 + erf_p.bind(x / jnp.sqrt(2.0).astype(x.dtype)))


def logsumexp(a, axis=None, keepdims: bool = False, b=None, return_sign=False):
    a = jnp._to_float(jnp.asarray(a))
    if b is not None:
        a = a + jnp.log(b)
    amax = stop_gradient(jnp.max(a, axis=axis, keepdims=True))
    amax = jnp.where(jnp.isfinite(amax), amax, jnp.zeros_like(amax))
    out = jnp.log(jnp.sum(jnp.exp(a - amax), axis=axis, keepdims=True)) + amax
    return out if keepdims else jnp.squeeze(out, axis=axis) if axis is not None else \
        jnp.reshape(out, ())


def log_softmax(x, axis: int = -1):
    x = jnp._to_float(jnp.asarray(x))
    shifted = x - stop_gradient(jnp.max(x, axis=axis, keepdims=True))
    return shifted - jnp.log(jnp.sum(jnp.exp(shifted), axis=axis, keepdims=True))


def softmax(x, axis: int = -1):
    x = jnp._to_float(jnp.asarray(x))
    unnormalized = jnp.exp(x - stop_gradient(jnp.max(x, axis=axis, keepdims=True)))
    return unnormalized / jnp.sum(unnormalized, axis=axis, keepdims=True)


def one_hot(x, num_classes: int, dtype=jnp.float32):
    x = jnp.asarray(x)
    return (x[..., None] == jnp.arange(num_classes)).astype(dtype)
