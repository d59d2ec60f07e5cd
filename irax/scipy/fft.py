"""irax.scipy.fft (as jax.scipy.fft): dct, dctn, idct, idctn, type 2 only (as JAX).

DCT-II by one FFT of length N: with v = (x0, x2, x4, ..., x5, x3, x1) (the even entries,
then the odd ones reversed) and V = fft(v),
    y[k] = 2 sum_n x[n] cos(pi k (2n + 1) / 2N) = 2 Re(exp(-i pi k / 2N) V[k]).
The inverse recovers V from y: Z[k] = exp(-i pi k / 2N) V[k] has real part y[k] / 2 and,
as v is real, imaginary part -y[N - k] / 2 (Z[0] is real), so V = Z exp(i pi k / 2N) and
v = Re ifft(V). norm="ortho" scales y[0] by 1/sqrt(4N) and the rest by 1/sqrt(2N).
Complex input transforms its real and imaginary parts separately. The n-d transforms apply
the 1-d one along each axis (the DCT is separable).
"""
from __future__ import annotations

import operator
from typing import Sequence

import numpy as np

from .. import lax
from .. import numpy as jnp
from ..numpy._core import check_arraylike
from ..tracer.core import get_aval
from ._helpers import promote_dtypes_inexact
from ..tracer import dtypes

__all__ = ["dct", "dctn", "idct", "idctn"]


def _check(fname: str, type: int, norm) -> None:
    if type != 2:
        raise NotImplementedError("Only DCT type 2 is implemented.")
    if norm is not None and norm not in ("backward", "ortho"):
        raise ValueError(f"jax.scipy.fft.{fname}: norm={norm!r} is not implemented")


def _axis(axis, ndim: int) -> int:
    axis = operator.index(axis)
    if not -ndim <= axis < ndim:
        raise ValueError(f"axis {axis} is out of bounds for array of dimension {ndim}")
    return axis % ndim


def _resize_axis(x, n: int | None, axis: int):
    """x zero-padded or truncated to length n along axis."""
    if n is None:
        return x
    n = operator.index(n)
    if n < 1:
        raise ValueError(f"invalid number of data points ({n}) specified")
    m = get_aval(x).shape[axis]
    if n < m:
        return lax.slice_in_dim(x, 0, n, axis=axis)
    widths = [(0, n - m if a == axis else 0) for a in range(get_aval(x).ndim)]
    return jnp.pad(x, widths)


def _along(k, axis: int, ndim: int):
    """A 1-d array shaped to broadcast along `axis` of an ndim-array."""
    return k.reshape([-1 if a == axis else 1 for a in range(ndim)])


def _ortho_factor(n: int, axis: int, ndim: int, dtype):
    f = np.full(n, 1.0 / np.sqrt(2.0 * n))
    f[0] = 1.0 / np.sqrt(4.0 * n)
    return _along(jnp.asarray(f.astype(dtype)), axis, ndim)


def _twiddle(n: int, axis: int, ndim: int, dtype, sign: float):
    """exp(sign * i pi k / 2N), k = 0..N-1, along axis."""
    k = np.arange(n)
    w = np.exp(sign * 0.5j * np.pi * k / n).astype(dtype)
    return _along(jnp.asarray(w), axis, ndim)


def _interleave_order(n: int) -> np.ndarray:
    """The entries of v = (x0, x2, x4, ..., x5, x3, x1) as indices into x. (A take, not
    rev of a strided slice: IREE 3.x fails to compile the latter inside larger modules.)"""
    return np.concatenate([np.arange(0, n, 2), np.arange(1, n, 2)[::-1]]).astype(np.int32)


def _complex_of(dtype) -> np.dtype:
    return np.dtype(np.complex128 if dtype == np.float64 else np.complex64)


def _split_complex(f, x, **kw):
    if dtypes.kind(get_aval(x).dtype) == "c":
        return lax.complex(f(jnp.real(x), **kw), f(jnp.imag(x), **kw))
    return None


def dct(x, type: int = 2, n: int | None = None, axis: int = -1, norm: str | None = None):
    """The type-2 discrete cosine transform of x along axis (scipy.fft.dct)."""
    check_arraylike("dct", x)
    _check("dct", type, norm)
    x, = promote_dtypes_inexact(x)
    out = _split_complex(dct, x, type=type, n=n, axis=axis, norm=norm)
    if out is not None:
        return out
    ndim = get_aval(x).ndim
    axis = _axis(axis, ndim)
    x = _resize_axis(x, n, axis)
    size, dtype = get_aval(x).shape[axis], get_aval(x).dtype
    v = jnp.take(x, _interleave_order(size), axis=axis)
    spectrum = jnp.fft.fft(v, axis=axis)
    out = 2 * jnp.real(spectrum * _twiddle(size, axis, ndim, _complex_of(dtype), -1.0))
    if norm == "ortho":
        out = out * _ortho_factor(size, axis, ndim, dtype)
    return out


def idct(x, type: int = 2, n: int | None = None, axis: int = -1, norm: str | None = None):
    """The inverse of the type-2 DCT along axis (scipy.fft.idct): idct(dct(x)) == x."""
    check_arraylike("idct", x)
    _check("idct", type, norm)
    x, = promote_dtypes_inexact(x)
    out = _split_complex(idct, x, type=type, n=n, axis=axis, norm=norm)
    if out is not None:
        return out
    ndim = get_aval(x).ndim
    axis = _axis(axis, ndim)
    y = _resize_axis(x, n, axis)
    size, dtype = get_aval(y).shape[axis], get_aval(y).dtype
    if norm == "ortho":
        y = y / _ortho_factor(size, axis, ndim, dtype)
    # y[N - k] for k >= 1, and 0 for k = 0
    mirrored = jnp.concatenate(
        [jnp.zeros_like(lax.slice_in_dim(y, 0, 1, axis=axis)),
         jnp.flip(lax.slice_in_dim(y, 1, None, axis=axis), axis=axis)], axis=axis)
    z = lax.complex(y, -mirrored) * 0.5
    v = jnp.real(jnp.fft.ifft(z * _twiddle(size, axis, ndim, _complex_of(dtype), 1.0),
                              axis=axis))
    # undo the interleave: v holds the even entries, then the odd ones reversed
    return jnp.take(v, np.argsort(_interleave_order(size)).astype(np.int32), axis=axis)


def _axes_and_sizes(x, s, axes):
    ndim = get_aval(x).ndim
    if s is not None:
        try:
            s = [operator.index(v) for v in s]
        except TypeError:
            s = [operator.index(s)]
        if len(s) > ndim:
            raise ValueError(f"s must have at most x.ndim ({ndim}) elements, got {len(s)}")
    if axes is None:
        axes = tuple(range(ndim - len(s), ndim)) if s is not None else tuple(range(ndim))
    else:
        axes = (axes,) if np.ndim(axes) == 0 else tuple(axes)
        axes = tuple(_axis(a, ndim) for a in axes)
        if len(set(axes)) != len(axes):
            raise ValueError(f"repeated axis in dctn / idctn axes: {axes}")
    if s is not None and len(s) != len(axes):
        raise ValueError(f"s and axes must have the same length, got {s} and {axes}")
    return axes, (s if s is not None else [None] * len(axes))


def dctn(x, type: int = 2, s: Sequence[int] | None = None, axes: Sequence[int] | None = None,
         norm: str | None = None):
    """The type-2 DCT over several axes (scipy.fft.dctn)."""
    check_arraylike("dctn", x)
    _check("dctn", type, norm)
    x = jnp.asarray(x)
    axes, sizes = _axes_and_sizes(x, s, axes)
    for axis, n in zip(axes, sizes):
        x = dct(x, n=n, axis=axis, norm=norm)
    return x


def idctn(x, type: int = 2, s: Sequence[int] | None = None,
          axes: Sequence[int] | None = None, norm: str | None = None):
    """The inverse of dctn (scipy.fft.idctn)."""
    check_arraylike("idctn", x)
    _check("idctn", type, norm)
    x = jnp.asarray(x)
    axes, sizes = _axes_and_sizes(x, s, axes)
    for axis, n in zip(axes, sizes):
        x = idct(x, n=n, axis=axis, norm=norm)
    return x
