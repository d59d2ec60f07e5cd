"""jax.scipy.stats' sample statistics: mode, rankdata, sem."""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ... import numpy as jnp
from ... import lax
from ...numpy._core import _axis, check_arraylike
from ...tracer.core import get_aval
from .._helpers import promote_inexact
from ...tracer import dtypes

_NAN_POLICIES = ("propagate", "omit", "raise")


def _check_nan_policy(name: str, nan_policy: str):
    if nan_policy not in _NAN_POLICIES:
        raise ValueError(f"Illegal nan_policy value {nan_policy!r}; expected one of "
                         "{'propagate', 'omit', 'raise'}")
    if nan_policy == "omit":
        raise NotImplementedError(f"Logic for `nan_policy` of {nan_policy} is not "
                                  "implemented")
    if nan_policy == "raise":
        raise NotImplementedError(f"In order to best JIT compile `{name}`, we cannot know "
                                  "whether `x` contains nans. Please check if nans exist in "
                                  f"`x` outside of the `{name}` function.")


def _default_float():
    return jnp.zeros((), dtype=float).dtype


class ModeResult(NamedTuple):
    mode: object
    count: object


def _new_run(s):
    """True where sorted column entry s[i] differs from s[i - 1] (NaNs equal to NaNs, as
    jnp.unique counts them), and at i = 0."""
    same = (s[1:] == s[:-1])
    if dtypes.kind(get_aval(s).dtype) in "fc":
        same = same | (jnp.isnan(s[1:]) & jnp.isnan(s[:-1]))
    return jnp.concatenate([jnp.ones_like(s[:1], dtype=bool), ~same], axis=0)


def mode(a, axis: int | None = 0, nan_policy: str = "propagate", keepdims: bool = False):
    """The most frequent value along axis (the smallest of several) and its count."""
    check_arraylike("mode", a)
    x = jnp.atleast_1d(jnp.asarray(a))
    _check_nan_policy("mode", nan_policy)
    shape = get_aval(x).shape
    if axis is None:
        out_shape = (1,) * len(shape) if keepdims else ()
        x = jnp.ravel(x)[:, None]
    else:
        axis = _axis(axis, len(shape))
        out_shape = tuple(1 if i == axis else s for i, s in enumerate(shape)) if keepdims \
            else tuple(s for i, s in enumerate(shape) if i != axis)
        x = jnp.moveaxis(x, axis, 0)
        x = x.reshape(get_aval(x).shape[0], math.prod(get_aval(x).shape[1:]))
    n, cols = get_aval(x).shape
    if n == 0:
        fill = jnp.full((cols,), np.nan, dtype=_default_float())
        return ModeResult(fill.reshape(out_shape), jnp.zeros_like(fill).reshape(out_shape))
    s = jnp.sort(x, axis=0)
    # running count within each run of equal values: i - (start of the run) + 1; its
    # first maximum is the end of the earliest (smallest-valued) longest run
    pos = jnp.broadcast_to(jnp.arange(n)[:, None], (n, cols))
    start = lax.associative_scan(jnp.maximum, jnp.where(_new_run(s), pos, 0), axis=0)
    running = pos - start + 1
    end = jnp.argmax(running, axis=0)
    vals = jnp.take_along_axis(s, end[None, :], axis=0)[0]
    counts = jnp.max(running, axis=0).astype(jnp.zeros((), dtype=int).dtype)
    return ModeResult(vals.reshape(out_shape), counts.reshape(out_shape))


def _rank_1d(a, method: str):
    n = get_aval(a).shape[0]
    out_dtype = _default_float()
    if n == 0:
        return jnp.zeros((0,), out_dtype)
    order = jnp.argsort(a, stable=True)
    inverse = jnp.argsort(order, stable=True)          # position of a[i] in sorted order
    if method == "ordinal":
        ranks = inverse + 1
    else:
        s = a[order]
        new = _new_run(s)
        dense = jnp.cumsum(new.astype(np.int32))[inverse]   # 1-based group of each entry
        if method == "dense":
            ranks = dense
        else:
            # each sorted position's run: its first and last positions (running max of
            # the run starts, and a reversed running min of the run ends)
            pos = jnp.arange(n)
            first = lax.associative_scan(jnp.maximum, jnp.where(new, pos, 0))
            is_last = jnp.concatenate([new[1:], jnp.ones((1,), dtype=bool)])
            last = jnp.flip(lax.associative_scan(
                jnp.minimum, jnp.flip(jnp.where(is_last, pos, n - 1))))
            low = (first + 1)[inverse]                  # smallest rank in the group
            high = (last + 1)[inverse]                  # largest rank in the group
            ranks = {"min": low, "max": high}.get(method)
            if ranks is None:
                ranks = 0.5 * (low.astype(out_dtype) + high.astype(out_dtype))
    ranks = ranks.astype(out_dtype)
    if dtypes.kind(get_aval(a).dtype) in "fc":
        ranks = jnp.where(jnp.any(jnp.isnan(a)), np.nan, ranks)
    return ranks


def rankdata(a, method: str = "average", *, axis: int | None = None,
             nan_policy: str = "propagate"):
    """Ranks 1..n of the data, ties resolved by method (average / min / max / dense /
    ordinal); all nan if the data (per slice, with an axis) contain a nan."""
    check_arraylike("rankdata", a)
    _check_nan_policy("rankdata", nan_policy)
    if method not in ("average", "min", "max", "dense", "ordinal"):
        raise ValueError(f"unknown method '{method}'")
    a = jnp.asarray(a)
    if axis is not None:
        return jnp.apply_along_axis(lambda r: _rank_1d(r, method), axis, a)
    return _rank_1d(jnp.ravel(a), method)


def sem(a, axis: int | None = 0, ddof: int = 1, nan_policy: str = "propagate", *,
        keepdims: bool = False):
    """The standard error of the mean: std(ddof) / sqrt(number of values)."""
    b = promote_inexact("sem", a)
    dt = get_aval(b).dtype
    if nan_policy == "propagate":
        size = get_aval(b).size if axis is None else get_aval(b).shape[axis]
        return jnp.std(b, axis, ddof=ddof, keepdims=keepdims) / jnp.sqrt(
            jnp.asarray(size)).astype(dt)
    if nan_policy == "omit":
        count = jnp.sum(~jnp.isnan(b), axis, keepdims=keepdims)
        return jnp.nanstd(b, axis, ddof=ddof, keepdims=keepdims) / jnp.sqrt(count).astype(dt)
    raise ValueError(f"{nan_policy} is not supported")
