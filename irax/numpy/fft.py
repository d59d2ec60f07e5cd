"""irax.numpy.fft (jnp.fft): NumPy's discrete Fourier transforms, as jax.numpy.fft.

Every transform moves its axes last, crops or zero-pads them to the lengths asked for
(n= / s=), binds the fft primitive (through irax.lax.fft: eager runs numpy.fft; compiled,
see irax/lowering/prims/fft.py) and scales by the norm ("backward" default: 1/N on the
inverse; "ortho": 1/sqrt(N) both ways; "forward": 1/N on the forward). Results are
complex64 from float32 or integer input (complex128 from float64 under x64), irfft's real.
hfft / ihfft are irfft / rfft of the conjugate (NumPy's definition); fftfreq, rfftfreq,
fftshift and ifftshift are built from arange and roll.
"""
from __future__ import annotations

import operator
from typing import Sequence

import numpy as np

from ..lax.fft import FftType
from ..lax.fft import fft as _lax_fft
from ..tracer import dtypes
from ..tracer.core import get_aval
from ..tracer.prims import elementwise as ew
from ..tracer.prims import shape as sh
from ._core import asarray, check_arraylike
from .arrayops import roll
from .creation import arange, zeros
from .shapes import moveaxis

__all__ = ["fft", "ifft", "rfft", "irfft", "fft2", "ifft2", "rfft2", "irfft2", "fftn",
           "ifftn", "rfftn", "irfftn", "hfft", "ihfft", "fftfreq", "rfftfreq", "fftshift",
           "ifftshift"]


def _norm_factor(lengths: Sequence[int], func_name: str, norm: str | None):
    """The factor applied after the unnormalized (backward) transform."""
    if norm is None or norm == "backward":
        return None
    total = float(np.prod(lengths))
    inverse = func_name.startswith("i")
    if norm == "ortho":
        return np.sqrt(total) if inverse else 1 / np.sqrt(total)
    if norm == "forward":
        return total if inverse else 1 / total
    raise ValueError(f'Invalid norm value {norm}; should be "backward","ortho" or "forward".')


def _crop_or_pad(x, shape: Sequence[int]):
    a = get_aval(x)
    keep = [min(d, s) for d, s in zip(a.shape, shape)]
    if keep != list(a.shape):
        x = sh.slice_(x, [0] * a.ndim, keep)
    if keep != list(shape):
        zero = sh.full((), 0, a.dtype)
        x = sh.pad(x, zero, [(0, s - k, 0) for k, s in zip(keep, shape)])
    return x


def _axis_index(ax, nd: int) -> int:
    ax = operator.index(ax)
    if not -nd <= ax < nd:
        raise ValueError(f"axis {ax} is out of bounds for array of dimension {nd}")
    return ax % nd


def _fft_core(func_name: str, fft_type: FftType, a, s, axes, norm):
    name = f"irax.numpy.fft.{func_name}"
    check_arraylike(name, a)
    x = asarray(a)
    nd = get_aval(x).ndim
    if s is not None:
        s = tuple(operator.index(n) for n in s)
        if any(n <= 0 for n in s):
            raise ValueError("Shape should be positive.")
        if axes is not None and len(s) != len(axes):
            raise ValueError("Shape and axes have different lengths.")
    moved = axes is not None
    if axes is None:
        axes = list(range(nd)) if s is None else list(range(nd - len(s), nd))
    axes = [_axis_index(ax, nd) for ax in axes]
    if len(set(axes)) != len(axes):
        raise ValueError(f"{name} does not support repeated axes. Got axes {tuple(axes)}.")
    last = list(range(nd - len(axes), nd))
    if moved:
        x = moveaxis(x, axes, last)
    shape = list(get_aval(x).shape)
    if s is not None:
        for ax, n in zip(last, s):
            shape[ax] = n
        lengths = list(s)
        if fft_type == FftType.IRFFT:
            shape[-1] = shape[-1] // 2 + 1
        x = _crop_or_pad(x, shape)
    else:
        lengths = [shape[ax] for ax in last]
        if fft_type == FftType.IRFFT and last:
            lengths[-1] = max(0, 2 * (shape[-1] - 1))
    if fft_type == FftType.IRFFT and lengths and lengths[-1] == 0:
        # irfft of a single bin with the default n = 2 * (1 - 1): an empty real result
        x = _lax_fft(x, FftType.IFFT, ())     # only the conversion to complex
        lead = get_aval(x).shape[:nd - len(lengths)]
        x = zeros(tuple(lead) + tuple(lengths), ew.real_dtype(get_aval(x).dtype))
    else:
        x = _lax_fft(x, fft_type, lengths)
    factor = _norm_factor(lengths, func_name, norm)
    if factor is not None:
        x = ew.mul(x, sh.full(get_aval(x).shape, factor, get_aval(x).dtype))
    if moved:
        x = moveaxis(x, last, axes)
    return x


def _check_axis_1d(func_name: str, axis) -> None:
    if isinstance(axis, (list, tuple)):
        name = f"irax.numpy.fft.{func_name}"
        raise ValueError(f"{name} does not support multiple axes. Please use {name}n. "
                         f"Got axis = {axis!r}.")


def _fft_1d(func_name: str, fft_type: FftType, a, n, axis, norm):
    _check_axis_1d(func_name, axis)
    return _fft_core(func_name, fft_type, a, None if n is None else [n],
                     None if axis is None else [axis], norm)


def _fft_2d(func_name: str, fft_type: FftType, a, s, axes, norm):
    if len(axes) != 2:
        raise ValueError(f"irax.numpy.fft.{func_name} only supports 2 axes. "
                         f"Got axes = {axes!r}.")
    return _fft_core(func_name, fft_type, a, s, axes, norm)


def fft(a, n: int | None = None, axis: int = -1, norm: str | None = None):
    """The 1-D discrete Fourier transform along `axis` (n: crop or zero-pad to n first)."""
    return _fft_1d("fft", FftType.FFT, a, n, axis, norm)


def ifft(a, n: int | None = None, axis: int = -1, norm: str | None = None):
    """The inverse of fft."""
    return _fft_1d("ifft", FftType.IFFT, a, n, axis, norm)


def rfft(a, n: int | None = None, axis: int = -1, norm: str | None = None):
    """The fft of real input, its n // 2 + 1 non-negative frequencies."""
    return _fft_1d("rfft", FftType.RFFT, a, n, axis, norm)


def irfft(a, n: int | None = None, axis: int = -1, norm: str | None = None):
    """The inverse of rfft: a real signal of length n (default 2 * (m - 1))."""
    return _fft_1d("irfft", FftType.IRFFT, a, n, axis, norm)


def hfft(a, n: int | None = None, axis: int = -1, norm: str | None = None):
    """The fft of a signal with Hermitian symmetry (given by its first half): real output."""
    _check_axis_1d("hfft", axis)
    check_arraylike("irax.numpy.fft.hfft", a)
    x = ew.conj(_complexified(asarray(a)))
    nn = (get_aval(x).shape[_axis_index(axis, get_aval(x).ndim)] - 1) * 2 if n is None else n
    out = _fft_1d("hfft", FftType.IRFFT, x, n, axis, norm)
    return ew.mul(out, sh.full(get_aval(out).shape, nn, get_aval(out).dtype))


def ihfft(a, n: int | None = None, axis: int = -1, norm: str | None = None):
    """The inverse of hfft: conj(rfft(a)) / n."""
    _check_axis_1d("ihfft", axis)
    check_arraylike("irax.numpy.fft.ihfft", a)
    x = asarray(a)
    nn = get_aval(x).shape[_axis_index(axis, get_aval(x).ndim)] if n is None else n
    out = ew.conj(_fft_1d("ihfft", FftType.RFFT, x, n, axis, norm))
    return ew.mul(out, sh.full(get_aval(out).shape, 1 / nn, get_aval(out).dtype))


def _complexified(x):
    return _lax_fft(x, FftType.FFT, ())   # only the conversion to complex


def fft2(a, s=None, axes=(-2, -1), norm: str | None = None):
    return _fft_2d("fft2", FftType.FFT, a, s, axes, norm)


def ifft2(a, s=None, axes=(-2, -1), norm: str | None = None):
    return _fft_2d("ifft2", FftType.IFFT, a, s, axes, norm)


def rfft2(a, s=None, axes=(-2, -1), norm: str | None = None):
    return _fft_2d("rfft2", FftType.RFFT, a, s, axes, norm)


def irfft2(a, s=None, axes=(-2, -1), norm: str | None = None):
    return _fft_2d("irfft2", FftType.IRFFT, a, s, axes, norm)


def fftn(a, s=None, axes=None, norm: str | None = None):
    """The N-d transform over `axes` (default: all, or the last len(s))."""
    return _fft_core("fftn", FftType.FFT, a, s, axes, norm)


def ifftn(a, s=None, axes=None, norm: str | None = None):
    return _fft_core("ifftn", FftType.IFFT, a, s, axes, norm)


def rfftn(a, s=None, axes=None, norm: str | None = None):
    return _fft_core("rfftn", FftType.RFFT, a, s, axes, norm)


def irfftn(a, s=None, axes=None, norm: str | None = None):
    return _fft_core("irfftn", FftType.IRFFT, a, s, axes, norm)


def _check_freq_args(func_name: str, n, d) -> None:
    if isinstance(n, (list, tuple)):
        raise ValueError(f"The n argument of irax.numpy.fft.{func_name} only takes an int. "
                         f"Got n = {list(n)}.")
    if isinstance(d, (list, tuple)):
        raise ValueError(f"The d argument of irax.numpy.fft.{func_name} only takes a single "
                         f"value. Got d = {list(d)}.")


def fftfreq(n: int, d=1.0, *, dtype=None, device=None):
    """The sample frequencies of an n-point fft: [0, 1, ..., n//2 - 1 (or (n-1)//2),
    -n//2, ..., -1] / (d * n)."""
    _check_freq_args("fftfreq", n, d)
    n = operator.index(n)
    out_dtype = np.dtype(dtype) if dtype is not None else dtypes.default_float()
    work = out_dtype if dtypes.kind(out_dtype) in "fc" else dtypes.default_float()
    k = (np.arange(n) + n // 2) % n - n // 2
    return _scaled(asarray(k.astype(work)), d, n, work, out_dtype)


def rfftfreq(n: int, d=1.0, *, dtype=None, device=None):
    """The sample frequencies of an n-point rfft: [0, 1, ..., n // 2] / (d * n)."""
    _check_freq_args("rfftfreq", n, d)
    n = operator.index(n)
    out_dtype = np.dtype(dtype) if dtype is not None else dtypes.default_float()
    work = out_dtype if dtypes.kind(out_dtype) in "fc" else dtypes.default_float()
    return _scaled(arange(n // 2 + 1, dtype=work), d, n, work, out_dtype)


def _scaled(k, d, n: int, work, out_dtype):
    """k / (d * n) computed in `work`, cast to out_dtype (d may be traced)."""
    denom = ew.mul(ew.convert_element_type(asarray(d), work), sh.full((), n, work))
    k = asarray(k, work)
    out = ew.div(k, sh.broadcast_in_dim(denom, get_aval(k).shape, ()))
    return ew.convert_element_type(out, dtypes.canonicalize(out_dtype))


def _shift(name: str, x, axes, sign: int):
    check_arraylike(name, x)
    x = asarray(x)
    shape = get_aval(x).shape
    if axes is None:
        axes = tuple(range(len(shape)))
        shift = [sign * (dim // 2) for dim in shape]
    elif isinstance(axes, int):
        shift = sign * (shape[axes] // 2)
    else:
        shift = [sign * (shape[ax] // 2) for ax in axes]
    return roll(x, shift, axes)


def fftshift(x, axes=None):
    """Move the zero frequency to the centre (roll by n // 2 along `axes`)."""
    return _shift("fftshift", x, axes, 1)


def ifftshift(x, axes=None):
    """The inverse of fftshift."""
    return _shift("ifftshift", x, axes, -1)
