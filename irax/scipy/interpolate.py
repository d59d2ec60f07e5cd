"""irax.scipy.interpolate (as jax.scipy.interpolate): RegularGridInterpolator.

Linear and nearest interpolation on a rectilinear grid, as JAX: each grid axis must be
strictly increasing (a decreasing one gives wrong values silently, as in JAX);
bounds_error=True is not supported (NotImplementedError: it cannot be checked under jit);
points outside the grid get fill_value (nan by default) or, with fill_value=None, are
extrapolated from the edge cell. The interpolator is a pytree (grid, values and fill_value
its leaves), so it can be passed through jit and vmap.
"""
from __future__ import annotations

from itertools import product

import numpy as np

from .. import numpy as jnp
from ..numpy._core import check_arraylike
from ..tracer import dtypes
from ..tracer.core import get_aval
from ..tree_util import register_pytree_node
from ._helpers import promote_dtypes_inexact

__all__ = ["RegularGridInterpolator"]

_METHODS = ("linear", "nearest")


def _points_array(xi, ndim: int):
    """The sample points as an (..., ndim) array: a tuple of coordinate arrays is
    broadcast and stacked; a 1-d array is one point per ndim entries."""
    if isinstance(xi, tuple) and len(xi) == 1:
        xi = xi[0]
    if isinstance(xi, tuple):
        parts = jnp.broadcast_arrays(*[jnp.asarray(p) for p in xi])
        return jnp.stack([p.astype(dtypes.default_float()) for p in parts], axis=-1)
    check_arraylike("RegularGridInterpolator", xi)
    xi = jnp.asarray(xi)
    return xi.reshape(-1, ndim) if get_aval(xi).ndim == 1 else xi


class RegularGridInterpolator:
    """RegularGridInterpolator(points, values, method="linear", bounds_error=False,
    fill_value=nan); calling it on sample points xi of shape (..., ndim) gives values of
    shape xi.shape[:-1] + values.shape[ndim:]."""

    def __init__(self, points, values, method="linear", bounds_error=False,
                 fill_value=np.nan):
        if method not in _METHODS:
            raise ValueError(f"method {method!r} is not defined")
        if bounds_error:
            raise NotImplementedError("`bounds_error` takes no effect under JIT")
        check_arraylike("RegularGridInterpolator", values)
        values, = promote_dtypes_inexact(values)
        if len(points) > get_aval(values).ndim:
            raise ValueError(f"there are {len(points)} point arrays, but values has "
                             f"{get_aval(values).ndim} dimensions")
        if fill_value is not None:
            check_arraylike("RegularGridInterpolator", fill_value)
            fill_value = jnp.asarray(fill_value)
            if not np.can_cast(get_aval(fill_value).dtype, get_aval(values).dtype,
                               casting="same_kind"):
                raise ValueError("fill_value must be either 'None' or of a type compatible "
                                 "with values")
        check_arraylike("RegularGridInterpolator", *points)
        self.method = method
        self.bounds_error = bounds_error
        self.fill_value = fill_value
        self.grid = tuple(jnp.asarray(p) for p in points)
        self.values = values

    def __call__(self, xi, method=None):
        method = self.method if method is None else method
        if method not in _METHODS:
            raise ValueError(f"method {method!r} is not defined")
        ndim = len(self.grid)
        xi = _points_array(xi, ndim)
        xi_shape = get_aval(xi).shape
        if xi_shape[-1] != ndim:
            raise ValueError(f"the requested sample points xi have dimension {xi_shape[-1]}, "
                             f"but this RegularGridInterpolator has dimension {ndim}")
        xi = xi.reshape(-1, ndim)
        indices, fractions, outside = self._locate(xi)
        if method == "linear":
            result = self._linear(indices, fractions)
        else:
            result = self.values[tuple(jnp.where(t <= 0.5, i, i + 1)
                                       for i, t in zip(indices, fractions))]
        if self.fill_value is not None:
            mask = outside.reshape(outside.shape + (1,) * (result.ndim - 1))
            result = jnp.where(mask, self.fill_value, result)
        return result.reshape(xi_shape[:-1] + get_aval(self.values).shape[ndim:])

    def _locate(self, xi):
        """Per axis: the cell index i (grid[i] <= x < grid[i+1], clamped to the edge cells),
        the fraction of the way across it, and whether the point lies outside the grid."""
        indices, fractions = [], []
        outside = jnp.zeros((get_aval(xi).shape[0],), dtype=bool)
        for d, g in enumerate(self.grid):
            x = xi[:, d]
            i = jnp.clip(jnp.searchsorted(g, x) - 1, 0, get_aval(g).size - 2)
            indices.append(i)
            fractions.append((x - g[i]) / (g[i + 1] - g[i]))
            outside = outside | (x < g[0]) | (x > g[-1])
        return indices, fractions, outside

    def _linear(self, indices, fractions):
        trailing = (slice(None),) + (None,) * (self.values.ndim - len(indices))
        total = jnp.asarray(0.0)
        # the cell's 2^ndim corners: offset 0 weighs 1 - t along its axis, offset 1 weighs t
        for offsets in product((0, 1), repeat=len(indices)):
            weight = jnp.asarray(1.0)
            for o, t in zip(offsets, fractions):
                weight = weight * (t if o else 1 - t)
            corner = tuple(i + o for i, o in zip(indices, offsets))
            total = total + self.values[corner] * weight[trailing]
        return total


def _unflatten(aux, children):
    # rebuilt without __init__'s checks: the leaves may be tracers or placeholders
    obj = object.__new__(RegularGridInterpolator)
    obj.method, obj.bounds_error = aux
    obj.grid, obj.values, obj.fill_value = children
    return obj


register_pytree_node(
    RegularGridInterpolator,
    lambda obj: ((obj.grid, obj.values, obj.fill_value), (obj.method, obj.bounds_error)),
    _unflatten)
