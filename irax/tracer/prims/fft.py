"""The fft family: one primitive, fft(x; fft_type, fft_lengths), as jax.lax.fft.

fft_type is an FftType: FFT / IFFT (complex -> complex, IFFT scaled by 1/N), RFFT (real ->
complex, the last transformed axis shortened to n // 2 + 1) or IRFFT (its inverse: complex
with last axis n // 2 + 1 -> real with last axis n). The transform runs over the trailing
len(fft_lengths) axes. Eager evaluation is numpy.fft (exact in float64 inside, cast back).

Differentiation: the map is linear over the reals (deflinear). Transposes, where the
pairing of a complex value with its cotangent is Re(sum(ct * t)) (no conjugation, as every
irax/JAX transpose rule):
  FFT, IFFT    the DFT matrix is symmetric: the transpose is the same transform;
  RFFT         = slice(FFT(complex(x, 0))): its transpose is real(FFT(zero-pad(ct)));
  IRFFT        the sum over the half spectrum counts the bins 1 .. ceil(n/2)-1 twice (their
               conjugate mirrors): transpose = conj(weights * RFFT(ct)) / N, weights 1 at
               bin 0 (and at bin n/2 for even n), 2 elsewhere.
Batching moves the batch axis to the front (the transform acts on trailing axes).

How a compiled module computes it is the lowering's business (irax/lowering/prims/fft.py).

Layering: above shape and elementwise.
"""
from __future__ import annotations

import enum
from typing import Sequence

import numpy as np

from .. import core, dtypes
from ..batching import batch_rules, bdim_to_front
from ..core import Primitive, ShapedArray, get_aval
from ..jvp import deflinear
from ..rules import BDim, Tangent, Value
from ..transpose import transpose_rules
from .elementwise import complex_dtype, conj, mul, real, real_dtype
from .shape import full, pad


class FftType(enum.IntEnum):
    """Which transform fft computes (jax.lax.FftType)."""
    FFT = 0     # complex -> complex, forward
    IFFT = 1    # complex -> complex, inverse (1/N)
    RFFT = 2    # real -> complex (half spectrum)
    IRFFT = 3   # half spectrum -> real (1/N)


_BY_NAME = {"fft": FftType.FFT, "ifft": FftType.IFFT, "rfft": FftType.RFFT,
            "irfft": FftType.IRFFT}


def fft_type_of(fft_type) -> FftType:
    """An FftType from an FftType or its name ("fft", "IFFT", ...), as jax.lax.fft takes."""
    if isinstance(fft_type, FftType):
        return fft_type
    if isinstance(fft_type, str):
        if fft_type.lower() in _BY_NAME and fft_type in (fft_type.lower(), fft_type.upper()):
            return _BY_NAME[fft_type.lower()]
        raise ValueError(f"Unknown FFT type '{fft_type}'")
    raise TypeError(f"Unknown FFT type value '{fft_type}'")


fft_p = Primitive("fft")


def _fft_abstract(x: ShapedArray, *, fft_type: FftType, fft_lengths: tuple[int, ...]
                  ) -> ShapedArray:
    k = len(fft_lengths)
    if k == 0 or k > x.ndim:
        raise ValueError(f"FFT input shape {x.shape} must have at least as many input "
                         f"dimensions as fft_lengths {fft_lengths} (and fft_lengths must "
                         "not be empty).")
    minor = tuple(x.shape[x.ndim - k:])
    if fft_type == FftType.RFFT:
        if x.dtype not in (np.float32, np.float64):
            raise ValueError(f"RFFT input must be float32 or float64, got {x.dtype}")
        if minor != fft_lengths:
            raise ValueError(f"RFFT input shape {x.shape} minor dimensions must be equal to "
                             f"fft_lengths {fft_lengths}")
        shape = x.shape[:x.ndim - k] + fft_lengths[:-1] + (fft_lengths[-1] // 2 + 1,)
        return ShapedArray(shape, complex_dtype(x.dtype))
    if dtypes.kind(x.dtype) != "c":
        raise ValueError(f"{fft_type.name} input must be complex64 or complex128, got "
                         f"{x.dtype}")
    if fft_type == FftType.IRFFT:
        if minor[:-1] != fft_lengths[:-1] or minor[-1] != fft_lengths[-1] // 2 + 1:
            raise ValueError(f"IRFFT input shape {x.shape} minor dimensions must be equal "
                             f"to fft_lengths {fft_lengths} except the last, which must be "
                             f"{fft_lengths[-1] // 2 + 1} (fft_lengths[-1] // 2 + 1)")
        return ShapedArray(x.shape[:x.ndim - k] + fft_lengths, real_dtype(x.dtype))
    if minor != fft_lengths:
        raise ValueError(f"FFT input shape {x.shape} minor dimensions must be equal to "
                         f"fft_lengths {fft_lengths}")
    return ShapedArray(x.shape, x.dtype)


def _fft_impl(x: np.ndarray, *, fft_type: FftType, fft_lengths: tuple[int, ...]) -> np.ndarray:
    axes = tuple(range(x.ndim - len(fft_lengths), x.ndim))
    if fft_type == FftType.FFT:
        out, dtype = np.fft.fftn(x, axes=axes), x.dtype
    elif fft_type == FftType.IFFT:
        out, dtype = np.fft.ifftn(x, axes=axes), x.dtype
    elif fft_type == FftType.RFFT:
        out, dtype = np.fft.rfftn(x, axes=axes), complex_dtype(x.dtype)
    else:
        out, dtype = np.fft.irfftn(x, s=fft_lengths, axes=axes), real_dtype(x.dtype)
    return np.asarray(out, dtype=dtype)


def fft(x: Value, fft_type: FftType, fft_lengths: Sequence[int]) -> Value:
    return fft_p.bind(x, fft_type=FftType(fft_type),
                      fft_lengths=tuple(int(n) for n in fft_lengths))


def half_spectrum_weights(n: int, dtype) -> np.ndarray:
    """How often each bin of an n-point half spectrum (n // 2 + 1 bins) counts in the full
    one: 1 for bin 0 and (n even) bin n/2, 2 for the others (they stand for their mirror)."""
    w = np.full(n // 2 + 1, 2.0)
    w[0] = 1.0
    if n % 2 == 0:
        w[-1] = 1.0
    return w.astype(dtype)


def _fft_transpose(ct: Tangent, x: Value, *, fft_type: FftType, fft_lengths: tuple[int, ...]
                   ) -> list[Tangent | None]:
    if fft_type in (FftType.FFT, FftType.IFFT):
        return [fft(ct, fft_type, fft_lengths)]
    ct_aval = get_aval(ct)
    if fft_type == FftType.RFFT:
        n = fft_lengths[-1]
        cfg = [(0, 0, 0)] * (ct_aval.ndim - 1) + [(0, n - ct_aval.shape[-1], 0)]
        zero = full((), 0, ct_aval.dtype)
        return [real(fft(pad(ct, zero, cfg), FftType.FFT, fft_lengths))]
    spectrum = fft(ct, FftType.RFFT, fft_lengths)
    s_aval = get_aval(spectrum)
    scale = half_spectrum_weights(fft_lengths[-1], s_aval.dtype) / np.prod(fft_lengths)
    return [conj(mul(spectrum, _broadcast_const(scale, s_aval)))]


def _broadcast_const(v: np.ndarray, aval: ShapedArray) -> Value:
    """A constant of aval's shape holding `v` along the last axis."""
    return core.Array(np.ascontiguousarray(np.broadcast_to(v, aval.shape)).astype(aval.dtype))


def _fft_batch(axis_size: int, vals: Sequence[Value], dims: Sequence[BDim], *,
               fft_type: FftType, fft_lengths: tuple[int, ...]) -> tuple[Value, BDim]:
    x = bdim_to_front(vals[0], dims[0], axis_size)
    return fft(x, fft_type, fft_lengths), 0


# ---------------------------------------------------------------------------
# Registration

core.abstract_eval_rules[fft_p] = _fft_abstract
core.impl_rules[fft_p] = _fft_impl
deflinear(fft_p)
transpose_rules[fft_p] = _fft_transpose
batch_rules[fft_p] = _fft_batch
