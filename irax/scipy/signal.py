"""irax.scipy.signal (as jax.scipy.signal): direct and FFT convolution / correlation, detrend,
and the Welch-family spectral estimates (stft, istft, welch, csd).

Everything is composed from irax.numpy / irax.lax, so eager, jit, grad and vmap work.
Conventions follow JAX 0.10 where it departs from SciPy: the direct convolutions lower to
lax.conv_general_dilated, convolve2d / correlate2d accept only boundary='fill' with
fillvalue=0 (NotImplementedError otherwise), and integer inputs give floating results.
"""
from __future__ import annotations

import warnings
from typing import Sequence

import numpy as np

from .. import lax
from .. import numpy as jnp
from ..tracer import dtypes
from ..tracer.api import vmap
from ..tracer.core import get_aval
from ._helpers import promote_dtypes_inexact as _inexact

__all__ = ["convolve", "convolve2d", "correlate", "correlate2d", "csd", "detrend",
           "fftconvolve", "istft", "stft", "welch"]

_MODES = ("full", "same", "valid")


def _complex_dtype(dt) -> np.dtype:
    return np.dtype(np.complex128 if np.dtype(dt) in (np.float64, np.complex128)
                    else np.complex64)


# ---------------------------------------------------------------------------
# Convolution and correlation


def _convolve_nd(in1, in2, mode: str):
    """N-d convolution through conv_general_dilated: the larger operand is the input, the
    flipped smaller one the kernel; `mode` chooses the zero padding."""
    if mode not in _MODES:
        raise ValueError("mode must be one of ['full', 'same', 'valid']")
    in1, in2 = jnp.asarray(in1), jnp.asarray(in2)
    if in1.ndim != in2.ndim:
        raise ValueError("in1 and in2 must have the same number of dimensions")
    if in1.size == 0 or in2.size == 0:
        raise ValueError("zero-size arrays not supported in convolutions, got shapes "
                         f"{in1.shape} and {in2.shape}.")
    in1, in2 = _inexact(in1, in2)
    grow = all(a >= b for a, b in zip(in1.shape, in2.shape))
    shrink = all(a <= b for a, b in zip(in1.shape, in2.shape))
    if not (grow or shrink):
        raise ValueError("One input must be smaller than the other in every dimension.")
    # 'same' centres on in2's original shape even when the operands are swapped (as JAX)
    second_shape = in2.shape
    if shrink:
        in1, in2 = in2, in1
    kshape = in2.shape
    kernel = jnp.flip(in2)
    if mode == "valid":
        padding = [(0, 0)] * len(kshape)
    elif mode == "same":
        padding = [(k - 1 - (s - 1) // 2, k - s + (s - 1) // 2)
                   for k, s in zip(kshape, second_shape)]
    else:
        padding = [(k - 1, k - 1) for k in kshape]
    out = lax.conv_general_dilated(in1[None, None], kernel[None, None],
                                   (1,) * len(kshape), padding)
    return out[0, 0]


def convolve(in1, in2, mode: str = "full", method: str = "auto", precision=None):
    """N-d convolution (scipy.signal.convolve); method 'auto' and 'direct' use
    lax.conv_general_dilated, 'fft' uses fftconvolve."""
    if method == "fft":
        return fftconvolve(in1, in2, mode=mode)
    if method in ("direct", "auto"):
        return _convolve_nd(in1, in2, mode)
    raise ValueError(f"Got method={method!r}; expected 'auto', 'fft', or 'direct'.")


def correlate(in1, in2, mode: str = "full", method: str = "auto", precision=None):
    """N-d cross-correlation: convolution with the flipped conjugate of in2."""
    in2 = jnp.asarray(in2)
    return convolve(in1, jnp.flip(jnp.conj(in2)), mode, method=method)


def _check_2d(name: str, in1, in2, boundary, fillvalue):
    if boundary != "fill" or fillvalue != 0:
        raise NotImplementedError(f"{name}() only supports boundary='fill', fillvalue=0")
    if np.ndim(in1) != 2 or np.ndim(in2) != 2:
        raise ValueError(f"{name}() only supports 2-dimensional inputs.")


def convolve2d(in1, in2, mode: str = "full", boundary: str = "fill", fillvalue=0,
               precision=None):
    """2-d convolution; JAX supports only boundary='fill' with fillvalue=0."""
    _check_2d("convolve2d", in1, in2, boundary, fillvalue)
    return _convolve_nd(in1, in2, mode)


def correlate2d(in1, in2, mode: str = "full", boundary: str = "fill", fillvalue=0,
                precision=None):
    """2-d cross-correlation with scipy.signal.correlate2d's choice of which operand slides
    (it matters when in1 is the smaller one); only boundary='fill', fillvalue=0."""
    _check_2d("correlate2d", in1, in2, boundary, fillvalue)
    in1, in2 = jnp.asarray(in1), jnp.asarray(in2)
    smaller = all(a <= b for a, b in zip(in1.shape, in2.shape))
    equal = tuple(in1.shape) == tuple(in2.shape)
    # correlate(a, b) = flip(convolve(flip(a), conj(b))); when in1 is the smaller operand
    # SciPy's 'full' / 'valid' slide in1 over in2 instead: convolve(flip(in2), conj(in1))
    slide_in1 = smaller and (mode == "full" or (mode == "valid" and not equal))
    if slide_in1:
        out = _convolve_nd(jnp.flip(in2), jnp.conj(in1), mode)
        return jnp.conj(out) if mode == "full" else out
    return jnp.flip(_convolve_nd(jnp.flip(in1), jnp.conj(in2), mode))


def _canonical_axes(axes, ndim: int):
    if isinstance(axes, int) or np.ndim(axes) == 0:
        axes = (axes,)
    out = []
    for ax in axes:
        ax = int(ax)
        if not -ndim <= ax < ndim:
            raise ValueError(f"axis {ax} is out of bounds for array of dimension {ndim}")
        out.append(ax % ndim)
    return tuple(out)


def _fftconvolve_all_axes(in1, in2, mode: str):
    full = tuple(a + b - 1 for a, b in zip(in1.shape, in2.shape))
    if mode == "valid":
        grow = all(a >= b for a, b in zip(in1.shape, in2.shape))
        shrink = all(a <= b for a, b in zip(in1.shape, in2.shape))
        if not (grow or shrink):
            raise ValueError("For 'valid' mode, One input must be at least as "
                             "large as the other in every dimension.")
        if shrink:
            in1, in2 = in2, in1
    if all(a == 1 or b == 1 for a, b in zip(in1.shape, in2.shape)):
        conv = in1 * in2                       # every axis is a scaling: no transform needed
    elif jnp.iscomplexobj(in1):
        conv = jnp.fft.ifftn(jnp.fft.fftn(in1, full) * jnp.fft.fftn(in2, full), full)
    else:
        conv = jnp.fft.irfftn(jnp.fft.rfftn(in1, full) * jnp.fft.rfftn(in2, full), full)
    if mode == "full":
        shape = full
    elif mode == "same":
        shape = tuple(in1.shape)
    else:
        shape = tuple(a - b + 1 for a, b in zip(in1.shape, in2.shape))
    index = tuple(slice((f - s) // 2, (f - s) // 2 + s) for f, s in zip(full, shape))
    return conv[index]


def fftconvolve(in1, in2, mode: str = "full", axes: Sequence[int] | None = None):
    """N-d convolution through the FFT (scipy.signal.fftconvolve); `axes` convolves along
    those axes only, the others (of equal size in both inputs) are mapped over."""
    in1, in2 = _inexact(in1, in2)
    if in1.ndim != in2.ndim:
        raise ValueError("in1 and in2 should have the same dimensionality")
    if mode not in _MODES:
        raise ValueError("mode must be one of ['same', 'full', 'valid']")

    def conv(a, b):
        return _fftconvolve_all_axes(a, b, mode)

    if axes is None:
        return conv(in1, in2)
    axes = _canonical_axes(axes, in1.ndim)
    mapped = sorted(set(range(in1.ndim)) - set(axes))
    if any(in1.shape[i] != in2.shape[i] for i in mapped):
        raise ValueError(f"mapped axes must have same shape; got in1.shape={in1.shape} "
                         f"in2.shape={in2.shape} axes={axes}")
    for ax in mapped:
        conv = vmap(conv, in_axes=ax, out_axes=ax)
    return conv(in1, in2)


# ---------------------------------------------------------------------------
# Detrending


def _linear_fit(y):
    """The least-squares line through y along axis 0, evaluated at each sample (centring
    the abscissa makes the two normal equations decouple)."""
    n = y.shape[0]
    t = np.arange(n, dtype=np.float64) - (n - 1) / 2.0
    denom = float(np.sum(t * t))
    t = jnp.asarray(t.reshape((n,) + (1,) * (y.ndim - 1)), dtype=y.dtype)
    mean = jnp.mean(y, axis=0, keepdims=True)
    if denom == 0.0:                          # one sample: the fit is the sample itself
        return mean
    slope = jnp.sum(t * y, axis=0, keepdims=True) / denom
    return mean + slope * t


def detrend(data, axis: int = -1, type: str = "linear", bp=0, overwrite_data=None):
    """data less its mean ('constant') or its least-squares line ('linear'), piecewise
    between the breakpoints bp when given."""
    if overwrite_data is not None:
        raise NotImplementedError("overwrite_data argument not implemented.")
    if type not in ("constant", "linear"):
        raise ValueError("Trend type must be 'linear' or 'constant'.")
    x, = _inexact(data)
    if type == "constant":
        return x - jnp.mean(x, axis=axis, keepdims=True)
    n = x.shape[axis]
    edges = np.sort(np.unique(np.r_[0, bp, n]))
    if edges[0] < 0 or edges[-1] > n:
        raise ValueError("Breakpoints must be non-negative and less than length of data "
                         "along given axis.")
    y = jnp.moveaxis(x, axis, 0)
    pieces = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        seg = y[int(lo):int(hi)]
        pieces.append(seg - _linear_fit(seg))
    out = pieces[0] if len(pieces) == 1 else jnp.concatenate(pieces, axis=0)
    return jnp.moveaxis(out, 0, axis)


# ---------------------------------------------------------------------------
# Spectral estimates


def _hann(n: int):
    """The periodic Hann window (scipy.signal.get_window('hann', n))."""
    if n == 1:
        return np.ones(1)
    return np.sin(np.pi * np.arange(n) / n) ** 2


def _window_array(window, nperseg, input_length: int, dtype):
    """(window, nperseg) from a window name / tuple (then nperseg defaults to, and is
    capped at, the input length) or an explicit 1-d window array."""
    if isinstance(window, (str, tuple)):
        n = input_length if nperseg is None else int(nperseg)
        if n > input_length:
            warnings.warn(f"nperseg={n} is greater than input_length={input_length},"
                          f" using nperseg={input_length}")
            n = input_length
        if isinstance(window, str) and window == "hann":
            win = _hann(n)
        else:
            try:
                from scipy.signal import get_window
            except ImportError as err:
                raise ImportError(f"scipy must be available to use window={window}") from err
            win = get_window(window, n)
        return jnp.asarray(np.asarray(win), dtype=dtype), n
    win = jnp.asarray(window, dtype=dtype)
    n = win.size if nperseg is None else int(nperseg)
    if win.ndim != 1:
        raise ValueError("window must be 1-D")
    if input_length < win.size:
        raise ValueError("window is longer than input signal")
    if n != win.size:
        raise ValueError("value specified for nperseg is different from length of window")
    return win, n


def _pad_last(x, before: int, after: int, mode: str = "constant"):
    widths = [(0, 0)] * (x.ndim - 1) + [(before, after)]
    return jnp.pad(x, widths, mode)


def _odd_extension(x, n: int):
    """x extended by n points at each end of its last axis, reflected through the end
    values (2 x[0] - x[k])."""
    if n < 1:
        return x
    if n > x.shape[-1] - 1:
        raise ValueError(f"The extension length n ({n}) is too big. It must not exceed "
                         f"x.shape[axis]-1, which is {x.shape[-1] - 1}.")
    first, last = x[..., :1], x[..., -1:]
    left = 2 * first - jnp.flip(x[..., 1:n + 1], axis=-1)
    right = 2 * last - jnp.flip(x[..., -(n + 1):-1], axis=-1)
    return jnp.concatenate([left, x, right], axis=-1)


_BOUNDARIES = ("even", "odd", "constant", "zeros", None)


def _extend(x, n: int, boundary):
    if boundary is None:
        return x
    if boundary == "odd":
        return _odd_extension(x, n)
    mode = {"even": "reflect", "constant": "edge", "zeros": "constant"}[boundary]
    return _pad_last(x, n, n, mode)


def _segments_fft(x, win, detrend_func, nperseg: int, noverlap: int, nfft: int, sides: str):
    """The windowed FFT of each segment of x's last axis: shape (..., nseg, nfreq)."""
    step = nperseg - noverlap
    starts = np.arange(0, x.shape[-1] - nperseg + 1, step)
    index = starts[:, None] + np.arange(nperseg)[None, :]
    segs = jnp.take(x, index, axis=-1)                  # (..., nseg, nperseg)
    segs = detrend_func(segs)
    if jnp.iscomplexobj(win) and not jnp.iscomplexobj(segs):
        segs = segs.astype(_complex_dtype(get_aval(segs).dtype))
    segs = win * segs
    if sides == "twosided":
        return jnp.fft.fft(segs, n=nfft)
    return jnp.fft.rfft(jnp.real(segs), n=nfft)


def _spectral(x, y, fs, window, nperseg, noverlap, nfft, detrend_type, return_onesided,
              scaling, axis, mode, boundary=None, padded=False):
    """(freqs, times, spectra) of SciPy's _spectral_helper; y None is the auto-spectrum,
    mode 'stft' the scaled segment transforms themselves."""
    if mode not in ("psd", "stft"):
        raise ValueError(f"Unknown value for mode {mode}, must be one of: ('psd', 'stft')")
    if boundary not in _BOUNDARIES:
        raise ValueError(f"Unknown boundary option '{boundary}', must be one of: "
                         f"{list(_BOUNDARIES)}")
    x = jnp.asarray(x)
    axis = int(axis)
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(f"axis {axis} is out of bounds for array of dimension {x.ndim}")
    axis %= x.ndim
    if y is None:
        x, = _inexact(x)
        outer = tuple(s for i, s in enumerate(x.shape) if i != axis)
    else:
        if mode != "psd":
            raise ValueError("two-argument mode is available only when mode=='psd'")
        x, y = _inexact(x, y)
        if x.ndim != y.ndim:
            raise ValueError(f"two-arguments must have the same rank ({x.ndim} vs {y.ndim}).")
        try:
            outer = jnp.broadcast_shapes(tuple(s for i, s in enumerate(x.shape) if i != axis),
                                         tuple(s for i, s in enumerate(y.shape) if i != axis))
        except ValueError as err:
            raise ValueError("x and y cannot be broadcast together.") from err
    xdt = get_aval(x).dtype
    result_dtype = _complex_dtype(xdt)
    freq_dtype = np.float64 if result_dtype == np.complex128 else np.float32

    if nperseg is not None:
        nperseg = int(nperseg)
        if nperseg < 1:
            raise ValueError("nperseg must be a positive integer")
    win, nperseg = _window_array(window, nperseg, x.shape[axis], xdt)
    noverlap = nperseg // 2 if noverlap is None else int(noverlap)
    nfft = nperseg if nfft is None else int(nfft)

    if y is None and x.size == 0:
        return (jnp.zeros(x.shape, freq_dtype), jnp.zeros(x.shape, freq_dtype),
                jnp.zeros(x.shape, result_dtype))
    if y is not None and (x.size == 0 or y.size == 0):
        shape = outer[:axis] + (min(x.shape[axis], y.shape[axis]),) + outer[axis:]
        return (jnp.zeros(shape, freq_dtype), jnp.zeros(shape, freq_dtype),
                jnp.zeros(shape, result_dtype))

    x = jnp.moveaxis(x, axis, -1)
    if y is not None:
        y = jnp.moveaxis(y, axis, -1)
        # the shorter signal is zero-padded to the longer one's length
        if x.shape[-1] < y.shape[-1]:
            x = _pad_last(x, 0, y.shape[-1] - x.shape[-1])
        elif y.shape[-1] < x.shape[-1]:
            y = _pad_last(y, 0, x.shape[-1] - y.shape[-1])

    if nfft < nperseg:
        raise ValueError("nfft must be greater than or equal to nperseg.")
    if noverlap >= nperseg:
        raise ValueError("noverlap must be less than nperseg.")
    step = nperseg - noverlap

    x = _extend(x, nperseg // 2, boundary)
    if y is not None:
        y = _extend(y, nperseg // 2, boundary)
    if padded:
        # zero-pad so the segments tile the signal exactly
        extra = (-(x.shape[-1] - nperseg) % step) % nperseg
        x = _pad_last(x, 0, extra)
        if y is not None:
            y = _pad_last(y, 0, extra)

    if isinstance(detrend_type, str):
        def detrend_func(d):
            return detrend(d, axis=-1, type=detrend_type)
    elif callable(detrend_type):
        detrend_func = detrend_type
    elif not detrend_type:
        def detrend_func(d):
            return d
    else:
        raise ValueError(f"Unsupported detrend type: {detrend_type}")

    if scaling == "density":
        scale = 1.0 / (fs * jnp.sum(win * win))
    elif scaling == "spectrum":
        scale = 1.0 / jnp.sum(win) ** 2
    else:
        raise ValueError(f"Unknown scaling: {scaling}")
    if mode == "stft":
        scale = jnp.sqrt(scale)

    sides = "onesided" if return_onesided else "twosided"
    if return_onesided and (jnp.iscomplexobj(x) or jnp.iscomplexobj(y)):
        sides = "twosided"
        warnings.warn("Input data is complex, switching to return_onesided=False")
    if sides == "twosided":
        freqs = jnp.fft.fftfreq(nfft, 1 / fs, dtype=freq_dtype)
    else:
        freqs = jnp.fft.rfftfreq(nfft, 1 / fs, dtype=freq_dtype)

    result = _segments_fft(x, win, detrend_func, nperseg, noverlap, nfft, sides)
    if y is not None:
        result = jnp.conj(result) * _segments_fft(y, win, detrend_func, nperseg, noverlap,
                                                  nfft, sides)
    elif mode == "psd":
        result = jnp.conj(result) * result
    result = result * scale.astype(result_dtype)
    if sides == "onesided" and mode == "psd":
        # one-sided densities fold the negative frequencies in: double all bins but DC
        # (and Nyquist, for even nfft)
        last = nfft // 2 + 1 if nfft % 2 else nfft // 2
        factor = np.ones(result.shape[-1])
        factor[1:last] = 2.0
        result = result * jnp.asarray(factor, dtype=freq_dtype)

    times = jnp.arange(nperseg / 2, x.shape[-1] - nperseg / 2 + 1, step,
                       dtype=freq_dtype) / fs
    if boundary is not None:
        times = times - (nperseg / 2) / fs
    result = result.astype(result_dtype)
    if y is None and mode != "stft":
        result = jnp.real(result)                # an auto-spectrum is real
    return freqs, times, jnp.moveaxis(result, -1, axis)


def stft(x, fs=1.0, window="hann", nperseg: int = 256, noverlap=None, nfft=None,
         detrend=False, return_onesided: bool = True, boundary="zeros", padded: bool = True,
         axis: int = -1):
    """(f, t, Zxx): the short-time Fourier transform, scaled as scipy.signal.stft."""
    return _spectral(x, None, fs, window, nperseg, noverlap, nfft, detrend, return_onesided,
                     "spectrum", axis, "stft", boundary=boundary, padded=padded)


def _median_bias(n: int) -> float:
    """Median / mean of n chi^2_2 periodograms (Allen et al., FINDCHIRP, appendix B)."""
    k = np.arange(2.0, n, 2)
    return 1.0 + float(np.sum(1.0 / (k + 1) - 1.0 / k))


def csd(x, y, fs=1.0, window="hann", nperseg=None, noverlap=None, nfft=None,
        detrend="constant", return_onesided: bool = True, scaling: str = "density",
        axis: int = -1, average: str = "mean"):
    """(f, Pxy): Welch's estimate of the cross spectral density; y None gives welch(x)."""
    freqs, _, pxy = _spectral(x, y, fs, window, nperseg, noverlap, nfft, detrend,
                              return_onesided, scaling, axis, "psd")
    if y is not None and not jnp.iscomplexobj(pxy):
        pxy = pxy.astype(_complex_dtype(get_aval(pxy).dtype))
    if pxy.ndim >= 2 and pxy.size > 0:
        if pxy.shape[-1] > 1:
            if average == "median":
                bias = _median_bias(pxy.shape[-1])
                if jnp.iscomplexobj(pxy):
                    pxy = (jnp.median(jnp.real(pxy), axis=-1)
                           + 1j * jnp.median(jnp.imag(pxy), axis=-1))
                else:
                    pxy = jnp.median(pxy, axis=-1)
                pxy = pxy / jnp.asarray(bias, dtype=get_aval(pxy).dtype)
            elif average == "mean":
                pxy = jnp.mean(pxy, axis=-1)
            else:
                raise ValueError(f'average must be "median" or "mean", got {average}')
        else:
            pxy = jnp.reshape(pxy, pxy.shape[:-1])
    return freqs, pxy


def welch(x, fs=1.0, window="hann", nperseg=None, noverlap=None, nfft=None,
          detrend="constant", return_onesided: bool = True, scaling: str = "density",
          axis: int = -1, average: str = "mean"):
    """(f, Pxx): Welch's estimate of the power spectral density."""
    freqs, pxx = csd(x, None, fs=fs, window=window, nperseg=nperseg, noverlap=noverlap,
                     nfft=nfft, detrend=detrend, return_onesided=return_onesided,
                     scaling=scaling, axis=axis, average=average)
    return freqs, jnp.real(pxx)


def _overlap_add(frames, step: int):
    """Sum of frames (..., nframes, length) placed `step` apart along one output axis."""
    nframes, length = frames.shape[-2:]
    size = step * (nframes - 1) + length
    index = (np.arange(nframes) * step)[:, None] + np.arange(length)[None, :]
    out = jnp.zeros(frames.shape[:-2] + (size,), get_aval(frames).dtype)
    return out.at[..., index].add(frames)


def istft(Zxx, fs=1.0, window="hann", nperseg=None, noverlap=None, nfft=None,
          input_onesided: bool = True, boundary: bool = True, time_axis: int = -1,
          freq_axis: int = -2):
    """(t, x): the inverse of stft by weighted overlap-add (scipy.signal.istft)."""
    Zxx = jnp.asarray(Zxx)
    if Zxx.ndim < 2:
        raise ValueError("Input stft must be at least 2d!")
    nd = Zxx.ndim
    for ax in (freq_axis, time_axis):
        if not -nd <= ax < nd:
            raise ValueError(f"axis {ax} is out of bounds for array of dimension {nd}")
    freq_axis, time_axis = freq_axis % nd, time_axis % nd
    if freq_axis == time_axis:
        raise ValueError("Must specify differing time and frequency axes!")
    zdt = get_aval(Zxx).dtype
    Zxx = Zxx.astype(zdt if zdt.kind == "c" else _complex_dtype(
        zdt if zdt.kind == "f" else dtypes.default_float()))

    n_default = 2 * (Zxx.shape[freq_axis] - 1) if input_onesided else Zxx.shape[freq_axis]
    nfft_arg = nfft
    nperseg = int(nperseg or n_default)
    if nperseg < 1:
        raise ValueError("nperseg must be a positive integer")
    if nfft is None:
        nfft = n_default
        if input_onesided and nperseg == n_default + 1:
            nfft += 1                                     # odd nperseg, no FFT padding
    else:
        nfft = int(nfft)
    if nfft < nperseg:
        raise ValueError(f"FFT length ({nfft}) must be longer than nperseg ({nperseg}).")
    noverlap = int(noverlap or nperseg // 2)
    if noverlap >= nperseg:
        raise ValueError("noverlap must be less than nperseg.")
    step = nperseg - noverlap

    if time_axis != nd - 1 or freq_axis != nd - 2:
        outer = tuple(i for i in range(nd) if i not in (time_axis, freq_axis))
        Zxx = jnp.transpose(Zxx, outer + (freq_axis, time_axis))

    inverse = jnp.fft.irfft if input_onesided else jnp.fft.ifft
    # JAX passes the caller's nfft (None: the transform's natural length) to the inverse
    frames = inverse(Zxx, n=nfft_arg, axis=-2)[..., :nperseg, :]
    fdt = get_aval(frames).dtype
    if isinstance(window, str) and window == "hann":
        win = jnp.asarray(_hann(nperseg), dtype=fdt)
    elif isinstance(window, (str, tuple)):
        try:
            from scipy.signal import get_window
        except ImportError as err:
            raise ImportError(f"scipy must be available to use window={window}") from err
        win = jnp.asarray(np.asarray(get_window(window, nperseg)), dtype=fdt)
    else:
        win = jnp.asarray(window)
        if win.ndim != 1:
            raise ValueError("window must be 1-D")
        if win.shape[0] != nperseg:
            raise ValueError(f"window must have length of {nperseg}")
    frames = frames * jnp.sum(win)                      # undoes stft's 'spectrum' scaling
    frames = jnp.swapaxes(frames * win[:, None], -2, -1)  # (..., nframes, nperseg)
    x = _overlap_add(frames, step)
    wsq = jnp.broadcast_to(win * win, (frames.shape[-2], nperseg))
    norm = _overlap_add(wsq, step)
    if boundary:
        cut = nperseg // 2
        x = x[..., cut:x.shape[-1] - cut]
        norm = norm[..., cut:norm.shape[-1] - cut]
    x = x / jnp.where(norm > 1e-10, norm, 1.0)
    if x.ndim > 1 and time_axis != nd - 1:
        if freq_axis < time_axis:
            time_axis -= 1
        x = jnp.moveaxis(x, -1, time_axis)
    time = jnp.arange(x.shape[0], dtype=np.finfo(get_aval(x).dtype).dtype) / fs
    return time, x
