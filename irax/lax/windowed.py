"""irax.lax.reduce_window (as jax.lax) for the add / max / min / mul monoids.

Composition, not a primitive: the operand is padded with the init value (interior padding
realises base_dilation), one strided slice per window offset is taken (the offset step
realises window_dilation), and the slices are folded with the elementwise monoid. So grad,
vmap and jit come for free; max/avg pooling is built on this.

Layering: user API; imports irax.numpy and .ops / .convolution (shared pad/slice helpers).
"""
from __future__ import annotations

import numpy as np

from .. import numpy as jnp
from . import ops
from .convolution import _dilate_dim, _normalize_pads, _pad_and_dilate, _window_slices

_MONOIDS = {"add": jnp.add, "max": jnp.maximum, "min": jnp.minimum, "mul": jnp.multiply}


def _monoid_name(computation) -> str:
    """Which monoid `computation` is: by identity, else by its value on two scalars."""
    for name, fns in (("add", (ops.add, jnp.add)), ("max", (ops.max, jnp.maximum)),
                      ("min", (ops.min, jnp.minimum)), ("mul", (ops.mul, jnp.multiply))):
        if any(computation is f for f in fns):
            return name
    try:
        a, b = np.float32(2.0), np.float32(3.0)
        got = float(np.asarray(computation(jnp.asarray(a), jnp.asarray(b))))
        got_rev = float(np.asarray(computation(jnp.asarray(b), jnp.asarray(a))))
    except Exception as e:  # noqa: BLE001 - report as an unsupported computation
        raise NotImplementedError(
            "reduce_window: computation must be add, max, min or mul") from e
    table = {5.0: "add", 3.0: "max", 2.0: "min", 6.0: "mul"}
    if got != got_rev or got not in table:
        raise NotImplementedError("reduce_window supports only the add, max, min and mul "
                                  f"monoids; computation(2, 3) gave {got}")
    return table[got]


def reduce_window_shape_tuple(operand_shape, window_dimensions, window_strides, padding,
                              base_dilation=None, window_dilation=None):
    """Result shape of reduce_window (padding as explicit (low, high) pairs)."""
    n = len(operand_shape)
    base_dilation = base_dilation or (1,) * n
    window_dilation = window_dilation or (1,) * n
    shape = [_dilate_dim(d, b) + lo + hi for d, b, (lo, hi)
             in zip(operand_shape, base_dilation, padding)]
    win = [_dilate_dim(w, d) for w, d in zip(window_dimensions, window_dilation)]
    return tuple(0 if s < w else (s - w) // st + 1 for s, w, st in zip(shape, win, window_strides))


def _ints(v, n, name):
    v = (1,) * n if v is None else tuple(int(i) for i in v)
    if len(v) != n:
        raise TypeError(f"reduce_window: {name} must have {n} entries (operand rank), got {v}")
    if any(i < 1 for i in v):
        raise ValueError(f"reduce_window: {name} entries must be positive, got {v}")
    return v


def reduce_window(operand, init_value, computation, window_dimensions, window_strides,
                  padding, base_dilation=None, window_dilation=None):
    """Reduces each window of `operand` with a monoid (add/max/min/mul), as jax.lax."""
    x = jnp.asarray(operand)
    n = x.ndim
    window = _ints(window_dimensions, n, "window_dimensions")
    strides = _ints(window_strides, n, "window_strides")
    base = _ints(base_dilation, n, "base_dilation")
    wdil = _ints(window_dilation, n, "window_dilation")
    op = _MONOIDS[_monoid_name(computation)]
    init = jnp.asarray(init_value, x.dtype)
    if init.ndim != 0:
        raise TypeError(f"reduce_window: init_value must be a scalar, got shape {init.shape}")
    eff_w = [_dilate_dim(w, d) for w, d in zip(window, wdil)]
    in_shape = [_dilate_dim(d, b) for d, b in zip(x.shape, base)]
    pads = _normalize_pads(padding, in_shape, eff_w, strides)
    out = reduce_window_shape_tuple(x.shape, window, strides, pads, base, wdil)
    if 0 in out or 0 in window:
        return jnp.full(out, init, x.dtype)
    # holes from base dilation and the padding both hold the init value (XLA's semantics)
    x = _pad_and_dilate(x, init, pads, base, range(n))
    acc = None
    for piece in _window_slices(x, range(n), window, strides, wdil, out):
        acc = piece if acc is None else op(acc, piece)
    return op(init, acc)
