"""Parameter initializers (as jax.nn.initializers).

Each builder returns `init(key, shape, dtype=float32) -> array`; the random
draws come from irax.random, which follows JAX's threefry streams, so the same
key gives the same parameters as JAX. irax.random is imported when an
initializer runs, so that importing irax.nn does not pull in the PRNG.
"""
from __future__ import annotations

import importlib
import math
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from .. import numpy as jnp
from ..tracer import dtypes

# stddev of a standard normal truncated to (-2, 2): rescales truncated draws to unit variance
_TRUNCATED_NORMAL_STDDEV = 0.87962566103423978


def _random():
    return importlib.import_module("irax.random")


def _dtype(dtype) -> np.dtype:
    dtype = dtypes.default_float() if dtype is None else np.dtype(dtype)
    if dtypes.kind(dtype) != "f":
        raise ValueError(f"irax.nn.initializers: only real floating dtypes are supported, got "
                         f"{dtype}")
    return dtype


def _shape(shape) -> tuple[int, ...]:
    return (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(d) for d in shape)


def zeros(key, shape, dtype=None):
    return jnp.zeros(_shape(shape), dtypes.default_float() if dtype is None else dtype)


def ones(key, shape, dtype=None):
    return jnp.ones(_shape(shape), dtypes.default_float() if dtype is None else dtype)


def constant(value, dtype=None):
    def init(key, shape, dtype=dtype):
        return jnp.full(_shape(shape), value, dtypes.default_float() if dtype is None else dtype)
    return init


def uniform(scale=1e-2, dtype=None):
    """Uniform on [0, scale)."""
    def init(key, shape, dtype=dtype):
        dtype = _dtype(dtype)
        return _random().uniform(key, _shape(shape), dtype) * jnp.asarray(scale, dtype)
    return init


def normal(stddev=1e-2, dtype=None):
    def init(key, shape, dtype=dtype):
        dtype = _dtype(dtype)
        return _random().normal(key, _shape(shape), dtype) * jnp.asarray(stddev, dtype)
    return init


def truncated_normal(stddev=1e-2, dtype=None, lower=-2.0, upper=2.0):
    def init(key, shape, dtype=dtype):
        dtype = _dtype(dtype)
        draws = _random().truncated_normal(key, lower, upper, _shape(shape), dtype)
        return draws * jnp.asarray(stddev, dtype)
    return init


def _compute_fans(shape: tuple[int, ...], in_axis=-2, out_axis=-1, batch_axis=()):
    if isinstance(in_axis, int) and in_axis == -2 and len(shape) <= 1:
        raise ValueError(f"Can't compute input and output sizes of a {len(shape)}-dimensional "
                         "weights tensor with default in_axis. Must be at least 2D or specify "
                         "in_axis explicitly.")

    def size(axes):
        return shape[axes] if isinstance(axes, int) else math.prod(shape[i] for i in axes)

    in_size, out_size, batch_size = size(in_axis), size(out_axis), size(batch_axis)
    receptive_field = math.prod(shape) / in_size / out_size / batch_size
    return in_size * receptive_field, out_size * receptive_field


def variance_scaling(scale, mode: str, distribution: str, in_axis: int | Sequence[int] = -2,
                     out_axis: int | Sequence[int] = -1, batch_axis: int | Sequence[int] = (),
                     dtype=None):
    """Draws with variance `scale / n`, n = fan_in, fan_out or their mean (JAX's formula)."""
    if mode not in ("fan_in", "fan_out", "fan_avg", "fan_geo_avg"):
        raise ValueError(f"invalid mode for variance scaling initializer: {mode}")
    if distribution not in ("truncated_normal", "normal", "uniform"):
        raise ValueError(f"invalid distribution for variance scaling initializer: {distribution}")

    def init(key, shape, dtype=dtype):
        shape, dtype = _shape(shape), _dtype(dtype)
        fan_in, fan_out = _compute_fans(shape, in_axis, out_axis, batch_axis)
        denominator = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2,
                       "fan_geo_avg": (fan_in * fan_out) ** 0.5}[mode]
        variance = jnp.asarray(scale / denominator, dtype)
        random = _random()
        if distribution == "truncated_normal":
            stddev = jnp.sqrt(variance) / jnp.asarray(_TRUNCATED_NORMAL_STDDEV, dtype)
            return random.truncated_normal(key, -2, 2, shape, dtype) * stddev
        if distribution == "normal":
            return random.normal(key, shape, dtype) * jnp.sqrt(variance)
        return random.uniform(key, shape, dtype, -1) * jnp.sqrt(3 * variance)
    return init


def _fan_family(name: str, scale: float, mode: str, distribution: str):
    def builder(in_axis=-2, out_axis=-1, batch_axis=(), dtype=None):
        return variance_scaling(scale, mode, distribution, in_axis=in_axis, out_axis=out_axis,
                                batch_axis=batch_axis, dtype=dtype)
    builder.__name__ = builder.__qualname__ = name
    builder.__doc__ = f"variance_scaling({scale}, {mode!r}, {distribution!r})"
    return builder


glorot_uniform = xavier_uniform = _fan_family("glorot_uniform", 1.0, "fan_avg", "uniform")
glorot_normal = xavier_normal = _fan_family("glorot_normal", 1.0, "fan_avg", "truncated_normal")
lecun_uniform = _fan_family("lecun_uniform", 1.0, "fan_in", "uniform")
lecun_normal = _fan_family("lecun_normal", 1.0, "fan_in", "truncated_normal")
he_uniform = kaiming_uniform = _fan_family("he_uniform", 2.0, "fan_in", "uniform")
he_normal = kaiming_normal = _fan_family("he_normal", 2.0, "fan_in", "truncated_normal")


def _orthonormal_columns(z):
    """Q of the QR factorization of the tall matrix z, with R's diagonal made positive.

    That Q is unique, so this equals LAPACK's q * sign(diag(r)) (what JAX
    returns). Classical Gram-Schmidt applied twice per column keeps Q
    orthogonal to rounding even for ill-conditioned z.
    """
    n_rows, n_cols = z.shape
    columns = []
    for j in range(n_cols):
        v = z[:, j]
        for _ in range(2):
            if columns:
                q = jnp.stack(columns, axis=1)
                v = v - q @ (jnp.transpose(q) @ v)
        columns.append(v / jnp.sqrt(jnp.sum(v * v)))
    return jnp.stack(columns, axis=1)


def orthogonal(scale=1.0, column_axis: int = -1, dtype=None):
    """Uniform over orthogonal matrices (Mezzadri 2007), reshaped to `shape`."""
    def init(key, shape, dtype=dtype):
        shape, dtype = _shape(shape), _dtype(dtype)
        if len(shape) < 2:
            raise ValueError("orthogonal initializer requires at least a 2D shape")
        if any(d == 0 for d in shape):
            return jnp.zeros(shape, dtype)
        n_cols = shape[column_axis]
        n_rows = math.prod(shape) // n_cols
        z = _random().normal(key, (max(n_rows, n_cols), min(n_rows, n_cols)), dtype)
        q = _orthonormal_columns(z)
        if n_rows < n_cols:
            q = jnp.transpose(q)
        q = jnp.reshape(q, tuple(np.delete(shape, column_axis)) + (n_cols,))
        q = jnp.moveaxis(q, -1, column_axis)
        return jnp.asarray(scale, dtype) * q
    return init



def delta_orthogonal(scale=1.0, column_axis: int = -1, dtype=None):
    """Delta orthogonal convolution kernels (Xiao et al. 2018): zero except the spatial
    centre, which holds an orthogonal (in, out) matrix; 3D, 4D or 5D shapes, in <= out."""
    def init(key, shape, dtype=dtype):
        shape, dtype = _shape(shape), _dtype(dtype)
        if len(shape) not in (3, 4, 5):
            raise ValueError("Delta orthogonal initializer requires a 3D, 4D or 5D shape.")
        if shape[-1] < shape[-2]:
            raise ValueError("`fan_in` must be less or equal than `fan_out`. ")
        centre = tuple((k - 1) // 2 for k in shape[:-2])
        matrix = orthogonal(scale, column_axis, dtype)(key, shape[-2:])
        return jnp.zeros(shape, dtype).at[centre].set(matrix)
    return init


class Initializer(Protocol):
    """The type of what the builders above return: init(key, shape, dtype) -> array."""
    def __call__(self, key, shape, dtype=None, out_sharding=None):
        raise NotImplementedError
