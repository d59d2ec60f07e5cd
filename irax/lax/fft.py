"""irax.lax.fft and FftType (as jax.lax): the fft primitive (irax/tracer/prims/fft.py) over
the trailing len(fft_lengths) axes.

fft_type is an FftType or its name ("fft"/"FFT", "ifft", "rfft", "irfft"); an input of
the wrong kind is converted first, as jax.lax.fft does: to complex for FFT/IFFT/IRFFT (an
integer or float32 input gives complex64; float64 complex128 under x64), to floating for
RFFT (a complex input is a ValueError). How a compiled module computes it (IREE's
stablehlo.fft or DFT matrices) is described in irax/lowering/prims/fft.py."""
from __future__ import annotations

import operator
from typing import Sequence

from .. import numpy as jnp
from ..tracer import dtypes
from ..tracer.core import get_aval
from ..tracer.prims import elementwise as ew
from ..tracer.prims import fft as _fft
from ..tracer.prims.fft import FftType

__all__ = ["fft", "FftType"]


def fft(x, fft_type: FftType | str, fft_lengths: Sequence[int]):
    """The FFT of kind `fft_type` over the last len(fft_lengths) axes of x."""
    typ = _fft.fft_type_of(fft_type)
    x = jnp.asarray(x)
    dt = get_aval(x).dtype
    if typ == FftType.RFFT:
        if dtypes.kind(dt) == "c":
            raise ValueError("only real valued inputs supported for rfft")
        if dtypes.kind(dt) != "f":
            x = ew.convert_element_type(x, dtypes.default_float())
    elif dtypes.kind(dt) != "c":
        # integers: the default float's complex; floats: float64 -> complex128, else complex64
        real = dtypes.default_float() if dtypes.kind(dt) in "biu" else dt
        x = ew.convert_element_type(x, dtypes.canonicalize(ew.complex_dtype(real)))
    lengths = tuple(operator.index(n) for n in fft_lengths)
    if not lengths:
        return x
    return _fft.fft(x, typ, lengths)
