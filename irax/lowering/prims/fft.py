"""Lowering of fft (irax/tracer/prims/fft.py): stablehlo.fft where IREE 3.13 computes it,
else Bluestein's algorithm on top of it, else the DFT as real matrix products with
constant cos/sin tables.

Measured with IREE 3.13 on llvm-cpu and on Vulkan (lavapipe, target llvmpipe), one
`stablehlo.fft` per module, against numpy.fft:
  * complex64 FFT / IFFT of ONE power-of-two length (1, 2, 8, 64, 1024): compiles on both
    and is right (relative error ~1e-7);
  * any length that is not a power of two (5, 6, 7, 12, 100): "failed to legalize
    operation 'stablehlo.fft'" on both targets;
  * more than one fft_length ([4, 8], [4, 8, 2]): not legalized, even for powers of two;
  * complex128 / float64 (any length): not legalized;
  * RFFT (power of two) compiles and is right on both; IRFFT (power of two) is right on
    llvm-cpu but fails to compile on Vulkan from n = 32 on ("vector.transfer_read op with
    rank > 1 should be broken down by prior passes").
So the only native op used is the 1-D complex64 FFT / IFFT of a power-of-two length on
llvm-cpu and Vulkan (CUDA is not measured: it always takes the matrix route). Everything
else is rewritten here, before IREE sees it, into 1-D transforms along one axis at a time:
  * a multi-axis transform = 1-D transforms along each axis (the DFT is separable);
  * a 1-D complex DFT of length n: native when n is a power of two; else, for complex64
    with n >= BLUESTEIN_FROM, Bluestein's algorithm (X_k = w_k sum_j x_j w_j conj(w_{k-j}),
    w_j = exp(-i pi j^2 / n): a circular convolution done by native FFTs of the power of
    two m >= 2n - 1; the chirp and the FFT of its conjugate are constants made in float64,
    measured ~1e-6 relative in float32); else by matrices: with C[j, k] = cos(2 pi jk / n),
    S[j, k] = sin(2 pi jk / n), y = (xr @ C + xi @ S) + i (xi @ C - xr @ S) forward, the
    signs of S flipped and a 1/n scale for the inverse;
  * RFFT = the complex DFT of complex(x, 0), sliced to n // 2 + 1 bins (when that DFT is
    native or Bluestein), else x @ C - i x @ S with the half-width tables;
  * IRFFT = the leading axes' inverse DFTs, then along the last axis either the inverse
    DFT of the Hermitian-completed spectrum, real part, or (Re X @ (w C) - Im X @ (w S)) / n
    with w the half-spectrum weights.
The tables are built in float64 from jk mod n (so the angle is exact before rounding) and
stored in the transform's real dtype: in float32 the result is as accurate as a float32
matrix product of length n (measured: ~1e-7 relative for n = 1000, whose module is 16 MB
of text and compiles in ~1.5 s). Their size grows as n^2, so the matrix route refuses
lengths above MAX_MATRIX_LENGTH with a clear error; it is the only route for complex128
(and on CUDA), so there the limit applies; complex64 on llvm-cpu / Vulkan has no limit.

Two IREE 3.13 traps met here: a constant input makes IREE evaluate the products with the
tables at compile time, and it fails ("jit global source initialization order invalid")
-- an optimization barrier on the input prevents it; and a stablehlo.pad of a complex
tensor crashes the compiler (prims/shape.py pads the parts instead).

The rewrite is traced from tracer primitives into a jaxpr and inlined (lower_subjaxpr); its
native 1-D fft equations come back to this rule and are emitted as stablehlo.fft.
"""
from __future__ import annotations

import functools
from typing import Callable

import numpy as np

from ...tracer import dtypes
from ...tracer.core import Array, EvalTrace, ShapedArray, get_aval
from ...tracer.partial_eval import trace_to_jaxpr
from ...tracer.prims import elementwise as ew
from ...tracer.prims import shape as sh
from ...tracer.prims.fft import FftType, fft, fft_p, half_spectrum_weights
from ...tracer.prims.linalg import dot_general
from ..context import RuleContext
from ..emitter import aval_type, int_list
from ..lower import lower_subjaxpr
from ..rules import LoweringError, register_lowering

# The longest 1-D transform done by the matrix route: two n x n tables of constants
# (1024: 2 x 4 MiB of float32 in the module).
MAX_MATRIX_LENGTH = 1024

# From this length on, a transform that is not a native length takes Bluestein's route
# (when its power-of-two FFTs are native) instead of the n^2 matrices.
BLUESTEIN_FROM = 128

_NATIVE_TARGETS = ("llvm-cpu", "vulkan")


def native_length(n: int, dtype, target: str) -> bool:
    """Does IREE 3.13 compute a 1-D complex FFT/IFFT of length n at `dtype` on `target`?"""
    return (target in _NATIVE_TARGETS and np.dtype(dtype) == np.complex64
            and n >= 1 and n & (n - 1) == 0)


# ---------------------------------------------------------------------------
# The rewrite into 1-D transforms (tracer primitives; runs under trace_to_jaxpr)

@functools.lru_cache(maxsize=8)
def _tables(n: int, m: int, dtype: np.dtype, irfft: bool = False) -> tuple[Array, Array]:
    """cos and sin of 2 pi j k / n for j < n, k < m, as constants; irfft: transposed and
    scaled by the half-spectrum weights / n. Cached, so a table used twice in one rewrite
    is one constant of the module."""
    c, s = _raw_tables(n, m)
    if irfft:
        w = half_spectrum_weights(n, np.float64)[:, None] / n
        c, s = c.T * w, s.T * w
    return Array(np.ascontiguousarray(c.astype(dtype))), Array(np.ascontiguousarray(s.astype(dtype)))


def _raw_tables(n: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    """The float64 tables."""
    jk = np.outer(np.arange(n), np.arange(m)) % n
    ang = 2 * np.pi * jk / n
    c, s = np.cos(ang), np.sin(ang)
    # exact zeros where the angle is a multiple of pi (sin) or an odd multiple of pi/2 (cos)
    half = (2 * jk) % n == 0
    s[half] = 0.0
    c[((4 * jk) % n == 0) & ~half] = 0.0
    return c, s


def _matmul_last(x, table):
    """x @ table (an Array constant) over x's last axis."""
    xa = get_aval(x)
    return dot_general(x, table, (((xa.ndim - 1,), (0,)), ((), ())))


def _check_matrix_length(n: int, dtype) -> None:
    if n > MAX_MATRIX_LENGTH:
        raise LoweringError(
            f"fft: a length-{n} transform of {np.dtype(dtype).name} cannot be compiled: IREE "
            "3.13 lowers stablehlo.fft only for complex64 power-of-two lengths, and the "
            f"matrix DFT used otherwise is limited to lengths <= {MAX_MATRIX_LENGTH}")


def _bluestein_ok(n: int, dtype, native) -> bool:
    """Take Bluestein's route (native power-of-two FFTs of length >= 2n - 1)?"""
    return n >= BLUESTEIN_FROM and native(_next_pow2(2 * n - 1), dtype)


def _next_pow2(n: int) -> int:
    return 1 << max(0, (n - 1).bit_length())


def _fast(n: int, dtype, native) -> bool:
    """Is a 1-D complex DFT of length n done by native FFTs (directly or Bluestein)?"""
    return native(n, dtype) or _bluestein_ok(n, dtype, native)


@functools.lru_cache(maxsize=8)
def _chirp(n: int, m: int, dtype: np.dtype) -> tuple[Array, Array]:
    """Bluestein's constants: w_j = exp(-i pi j^2 / n) (j < n) and the m-point FFT of the
    circular sequence conj(w_|k|), |k| < n (both made in float64: j^2 mod 2n is exact)."""
    j = np.arange(n, dtype=np.int64)
    w = np.exp(-1j * np.pi * ((j * j) % (2 * n)) / n)
    b = np.zeros(m, np.complex128)
    b[:n] = np.conj(w)
    b[m - n + 1:] = np.conj(w[1:])[::-1]
    return (Array(np.ascontiguousarray(w.astype(dtype))),
            Array(np.ascontiguousarray(np.fft.fft(b).astype(dtype))))


def _times_last(x, v):
    """x * v, v a constant along x's last axis."""
    xa = get_aval(x)
    return ew.mul(x, sh.broadcast_in_dim(v, xa.shape, (xa.ndim - 1,)))


def _bluestein(x, native):
    """The forward DFT of complex x along its last axis as a circular convolution done by
    power-of-two FFTs: X_k = w_k sum_j (x_j w_j) conj(w_{k-j}), since jk = (j^2 + k^2 -
    (k-j)^2) / 2."""
    xa = get_aval(x)
    n = xa.shape[-1]
    m = _next_pow2(2 * n - 1)
    w, bf = _chirp(n, m, xa.dtype)
    a = _times_last(x, w)
    a = sh.pad(a, sh.full((), 0, xa.dtype), [(0, 0, 0)] * (xa.ndim - 1) + [(0, m - n, 0)])
    conv = fft(_times_last(fft(a, FftType.FFT, (m,)), bf), FftType.IFFT, (m,))
    conv = sh.slice_(conv, [0] * xa.ndim, list(xa.shape[:-1]) + [n])
    return _times_last(conv, w)


def _complex_1d(x, inverse: bool, native: Callable[[int, np.dtype], bool]):
    """The 1-D DFT (inverse: with 1/n) of complex x along its last axis."""
    xa = get_aval(x)
    n = xa.shape[-1]
    if native(n, xa.dtype):
        return fft(x, FftType.IFFT if inverse else FftType.FFT, (n,))
    if _bluestein_ok(n, xa.dtype, native):
        if not inverse:
            return _bluestein(x, native)
        # ifft(x) = conj(fft(conj(x))) / n
        y = ew.conj(_bluestein(ew.conj(x), native))
        return ew.mul(y, sh.full(xa.shape, 1 / n, xa.dtype))
    _check_matrix_length(n, xa.dtype)
    part = ew.real_dtype(xa.dtype)
    c, s = _tables(n, n, part)
    xr, xi = ew.real(x), ew.imag(x)
    if inverse:   # e^{+i theta}, then 1/n
        yr = ew.sub(_matmul_last(xr, c), _matmul_last(xi, s))
        yi = ew.add(_matmul_last(xi, c), _matmul_last(xr, s))
        scale = sh.full(get_aval(yr).shape, 1 / n, part)
        return ew.complex_(ew.mul(yr, scale), ew.mul(yi, scale))
    yr = ew.add(_matmul_last(xr, c), _matmul_last(xi, s))
    yi = ew.sub(_matmul_last(xi, c), _matmul_last(xr, s))
    return ew.complex_(yr, yi)


def _along(x, axis: int, fn):
    """fn applied along `axis` (moved last and back)."""
    nd = get_aval(x).ndim
    if axis == nd - 1:
        return fn(x)
    perm = [d for d in range(nd) if d != axis] + [axis]
    y = fn(sh.transpose(x, perm))
    return sh.transpose(y, tuple(int(i) for i in np.argsort(perm)))


def _rfft_1d(x, native):
    xa = get_aval(x)
    n = xa.shape[-1]
    m = n // 2 + 1
    cdt = ew.complex_dtype(xa.dtype)
    if _fast(n, cdt, native):
        z = ew.complex_(x, sh.full(xa.shape, 0, xa.dtype))
        y = _complex_1d(z, False, native)
        return sh.slice_(y, [0] * xa.ndim, list(xa.shape[:-1]) + [m])
    _check_matrix_length(n, cdt)
    c, s = _tables(n, m, xa.dtype)
    return ew.complex_(_matmul_last(x, c), ew.neg(_matmul_last(x, s)))


def _irfft_1d(x, n: int, native):
    xa = get_aval(x)
    m = xa.shape[-1]
    if _fast(n, xa.dtype, native):
        # complete the spectrum: bin k >= m is the conjugate of bin n - k
        if n > m:
            lead, last = list(xa.shape[:-1]), xa.ndim - 1
            tail = sh.slice_(x, [0] * last + [1], lead + [n - m + 1])   # bins 1 .. n - m
            x = sh.concatenate([x, ew.conj(sh.rev(tail, (last,)))], last)
        return ew.real(_complex_1d(x, True, native))
    _check_matrix_length(n, xa.dtype)
    part = ew.real_dtype(xa.dtype)
    ct, st = _tables(n, m, part, irfft=True)            # [k, j], k < m, j < n
    return ew.sub(_matmul_last(ew.real(x), ct), _matmul_last(ew.imag(x), st))


def decompose(x, fft_type: FftType, fft_lengths: tuple[int, ...],
              native: Callable[[int, np.dtype], bool]):
    """fft(x, fft_type, fft_lengths) from 1-D transforms: native ones where `native(n,
    complex dtype)` says so, matrix products otherwise."""
    nd = get_aval(x).ndim
    axes = list(range(nd - len(fft_lengths), nd))
    if fft_type in (FftType.FFT, FftType.IFFT):
        inverse = fft_type == FftType.IFFT
        for ax in axes:
            x = _along(x, ax, lambda v: _complex_1d(v, inverse, native))
        return x
    if fft_type == FftType.RFFT:
        x = _rfft_1d(x, native)
        for ax in axes[:-1]:
            x = _along(x, ax, lambda v: _complex_1d(v, False, native))
        return x
    for ax in axes[:-1]:
        x = _along(x, ax, lambda v: _complex_1d(v, True, native))
    return _irfft_1d(x, fft_lengths[-1], native)


# ---------------------------------------------------------------------------
# The rule

def _fft(ctx: RuleContext, x: str, *, fft_type: FftType, fft_lengths: tuple[int, ...]) -> str:
    xa, out = ctx.avals_in[0], ctx.avals_out[0]
    target = ctx.target
    if (fft_type in (FftType.FFT, FftType.IFFT) and len(fft_lengths) == 1
            and native_length(fft_lengths[0], xa.dtype, target)):
        return ctx.em.op1("stablehlo.fft", [x], [aval_type(xa)], aval_type(out),
                          {"fft_type": f"#stablehlo<fft_type {fft_type.name}>",
                           "fft_length": f"array<i64: {int_list(fft_lengths)[1:-1]}>"})
    # IREE 3.13 evaluates the products of a constant input with the tables at compile
    # time and fails on them ("jit global source initialization order invalid: global
    # __hoisted_tensor_... has no value"); a barrier on the input keeps them run-time work.
    x = ctx.em.op1("stablehlo.optimization_barrier", [x], [aval_type(xa)], aval_type(xa))
    closed = _trace(xa, fft_type, fft_lengths, target)
    return lower_subjaxpr(ctx, closed, [x])[0]


def _trace(xa: ShapedArray, fft_type: FftType, fft_lengths: tuple[int, ...], target: str):
    native = lambda n, dt: native_length(n, dt, target)   # noqa: E731
    saved = dtypes.config.enable_x64
    # a 64-bit transform keeps its float64 tables while tracing
    dtypes.config.enable_x64 = saved or xa.dtype in (np.float64, np.complex128)
    try:
        return trace_to_jaxpr(lambda v: [decompose(v, fft_type, fft_lengths, native)],
                              [ShapedArray(xa.shape, xa.dtype)], f"fft {fft_type.name}",
                              parent=EvalTrace())
    finally:
        dtypes.config.enable_x64 = saved


# ---------------------------------------------------------------------------
# Registration

register_lowering(fft_p, _fft)
