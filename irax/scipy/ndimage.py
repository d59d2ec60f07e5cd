"""irax.scipy.ndimage (as jax.scipy.ndimage): map_coordinates with nearest (order 0) and
linear (order 1) interpolation.

The modes follow JAX, which implements them as SciPy documents them: 'constant' is SciPy's
'grid-constant' (cval outside the grid, no extrapolation from the edge) and 'wrap' is
SciPy's 'grid-wrap' (period = the array size).
"""
from __future__ import annotations

import itertools
from typing import Sequence

import numpy as np

from .. import lax
from .. import numpy as jnp
from ..tracer.core import get_aval

__all__ = ["map_coordinates"]


def _mirror(index, size: int):
    # a triangle wave of half-period size - 1: ... 2 1 [0 1 ... size-1] size-2 ...
    half = size - 1
    if half == 0:
        return jnp.zeros_like(index)
    return jnp.abs((index + half) % (2 * half) - half)


def _reflect(index, size: int):
    # the mirror of the half-sample grid: ... 1 0 [0 1 ... size-1] size-1 ...
    return jnp.floor_divide(_mirror(2 * index + 1, 2 * size + 1) - 1, 2)


_FIX_INDEX = {
    "constant": lambda index, size: index,
    "nearest": lambda index, size: jnp.clip(index, 0, size - 1),
    "wrap": lambda index, size: index % size,
    "mirror": _mirror,
    "reflect": _reflect,
}


def _round_half_away(x):
    return x if get_aval(x).dtype.kind in "iub" else lax.round(x)


def _nodes(coordinate, order: int):
    """[(index, weight)] of the interpolation in one dimension."""
    if order == 0:
        index = _round_half_away(coordinate).astype(np.int32)
        return [(index, None)]
    lower = jnp.floor(coordinate)
    upper_weight = coordinate - lower
    index = lower.astype(np.int32)
    return [(index, 1 - upper_weight), (index + 1, upper_weight)]


def map_coordinates(input, coordinates: Sequence, order: int, mode: str = "constant",
                    cval=0.0):
    """input interpolated at the points whose i-th coordinates are coordinates[i]; points
    outside the grid follow `mode` ('constant', 'nearest', 'wrap', 'mirror', 'reflect')."""
    arr = jnp.asarray(input)
    coords = [jnp.asarray(c) for c in coordinates]
    cval = jnp.asarray(cval, dtype=get_aval(arr).dtype)
    if len(coords) != arr.ndim:
        raise ValueError("coordinates must be a sequence of length input.ndim, but "
                         f"{len(coords)} != {arr.ndim}")
    fix = _FIX_INDEX.get(mode)
    if fix is None:
        raise NotImplementedError(
            f"irax.scipy.ndimage.map_coordinates does not yet support mode {mode}. "
            f"Currently supported modes are {set(_FIX_INDEX)}.")
    if order not in (0, 1):
        raise NotImplementedError(
            "irax.scipy.ndimage.map_coordinates currently requires order<=1")
    if any(get_aval(c).dtype.kind == "c" for c in coords):
        raise TypeError("map_coordinates does not support complex coordinates")

    per_dim = []
    for c, size in zip(coords, arr.shape):
        per_dim.append([(fix(index, size), (index >= 0) & (index < size), weight)
                        for index, weight in _nodes(c, order)])

    total = None
    for combo in itertools.product(*per_dim):
        indices = tuple(ix for ix, _, _ in combo)
        value = arr[indices]
        if mode == "constant":
            inside = combo[0][1]
            for _, ok, _ in combo[1:]:
                inside = inside & ok
            value = jnp.where(inside, value, cval)
        weights = [w for _, _, w in combo if w is not None]
        if weights:
            w = weights[0]
            for extra in weights[1:]:
                w = w * extra
            value = w * value
        total = value if total is None else total + value
    if get_aval(arr).dtype.kind in "iu":
        total = _round_half_away(total)
    return total.astype(get_aval(arr).dtype)
