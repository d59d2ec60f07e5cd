"""irax.image (as jax.image): resize, scale_and_translate, ResizeMethod.

Resampling is separable: for each resized dimension a weight matrix W (input size x output
size) says how much each input pixel contributes to each output pixel, and the image is
contracted with W along that dimension. W comes from a kernel evaluated at the distance
between an output pixel's sample point (in input pixel coordinates, pixel centres at
i + 0.5) and each input pixel; when shrinking with antialias the kernel is widened by the
shrink factor. Columns are normalised to sum to 1, and an output pixel whose sample point
lies outside the input gets no weight (zero), as in JAX. These are JAX's conventions; they
differ from PIL's and SciPy's (e.g. JAX antialiases by default and has no align_corners).

Built from irax.numpy, so jit, grad (through the image and through scale / translation)
and vmap come from the primitives. `precision` is accepted for JAX's signature; the
contractions run at the image dtype's full precision (JAX's default, Precision.HIGHEST).
"""
from __future__ import annotations

import enum
import operator
from typing import Sequence

import numpy as np

from . import numpy as jnp
from .numpy._core import check_arraylike
from .tracer import core, dtypes
from .tracer.core import get_aval

__all__ = ["ResizeMethod", "resize", "scale_and_translate"]


class ResizeMethod(enum.Enum):
    """Image resize method: NEAREST, LINEAR, LANCZOS3, LANCZOS5, CUBIC (Keys' kernel),
    CUBIC_PYTORCH (OpenCV / PyTorch's a = -0.75 kernel, edge pixels repeated when not
    antialiasing) and AREA (the average over each output pixel's footprint)."""
    NEAREST = 0
    LINEAR = 1
    LANCZOS3 = 2
    LANCZOS5 = 3
    CUBIC = 4
    CUBIC_PYTORCH = 5
    AREA = 6

    @staticmethod
    def from_string(s: str) -> "ResizeMethod":
        for method, names in _NAMES.items():
            if s in names:
                return method
        raise ValueError(f'Unknown resize method "{s}"')


_NAMES = {
    ResizeMethod.NEAREST: ("nearest",),
    ResizeMethod.LINEAR: ("linear", "bilinear", "trilinear", "triangle"),
    ResizeMethod.LANCZOS3: ("lanczos3",),
    ResizeMethod.LANCZOS5: ("lanczos5",),
    ResizeMethod.CUBIC: ("cubic", "bicubic", "tricubic"),
    ResizeMethod.CUBIC_PYTORCH: ("cubic-pytorch", "bicubic-pytorch"),
    ResizeMethod.AREA: ("area",),
}


# ---------------------------------------------------------------------------
# Kernels of a distance x >= 0


def _triangle(x):
    return jnp.maximum(0, 1 - jnp.abs(x))


def _keys_cubic(x):                       # Keys (1981), a = -0.5
    near = ((1.5 * x - 2.5) * x) * x + 1.0
    far = ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0
    return jnp.where(x >= 2.0, 0.0, jnp.where(x >= 1.0, far, near))


def _opencv_cubic(x):                     # the same family with a = -0.75
    a = -0.75
    near = ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0
    far = ((a * x - 5.0 * a) * x + 8.0 * a) * x - 4.0 * a
    return jnp.where(x >= 2.0, 0.0, jnp.where(x >= 1.0, far, near))


def _lanczos(radius: float):
    def kernel(x):
        num = radius * jnp.sin(np.pi * x) * jnp.sin(np.pi * x / radius)
        # sinc(x) sinc(x / r) -> 1 at 0: the safe denominator keeps nan out of both branches
        out = jnp.where(x > 1e-3, num / jnp.where(x != 0, np.pi ** 2 * x ** 2, 1), 1)
        return jnp.where(x > radius, 0.0, out)
    return kernel


_AREA = object()      # the area "kernel" is an overlap of intervals, not a function of x

_KERNELS = {
    ResizeMethod.LINEAR: (1, _triangle),
    ResizeMethod.LANCZOS3: (3, _lanczos(3.0)),
    ResizeMethod.LANCZOS5: (5, _lanczos(5.0)),
    ResizeMethod.CUBIC: (2, _keys_cubic),
    ResizeMethod.CUBIC_PYTORCH: (2, _opencv_cubic),
    ResizeMethod.AREA: (1, _AREA),
}

# a column summing to less than this is treated as empty (no input pixel contributes)
_MIN_WEIGHT_SUM = 1000.0 * float(np.finfo(np.float32).eps)


def _normalise(w):
    total = jnp.sum(w, axis=0, keepdims=True)
    return jnp.where(jnp.abs(total) > _MIN_WEIGHT_SUM,
                     w / jnp.where(total != 0, total, 1), 0)


def _weight_matrix(m: int, n: int, scale, translation, kernel, antialias: bool,
                   edge_padding: bool, radius: int):
    """(m, n): the weight of input pixel i in output pixel j along one dimension."""
    scale, translation = jnp.asarray(scale), jnp.asarray(translation)
    dtype = dtypes.result_type(
        *[(get_aval(v).dtype, get_aval(v).weak_type) for v in (scale, translation)])[0]
    if dtypes.kind(dtype) not in "fc":
        dtype = dtypes.default_float()
    inv_scale = 1.0 / scale
    kernel_scale = jnp.maximum(inv_scale, 1.0) if antialias else 1.0
    # output pixel j samples the input at this coordinate (pixel i's centre is at i)
    sample = (jnp.arange(n, dtype=dtype) + 0.5) * inv_scale - translation * inv_scale - 0.5
    pad = 0
    if edge_padding:
        pad = radius
        if antialias:
            concrete = core.concrete_or_none(scale)
            if concrete is None:
                raise core.ConcretizationTypeError(
                    "Antialiasing with edge padding requires a static scale.")
            pad = int(np.ceil(radius * max(1.0 / float(concrete), 1.0)))
    inputs = jnp.arange(-pad, m + pad, dtype=dtype)
    if kernel is _AREA:
        left = jnp.arange(n, dtype=dtype) * inv_scale - translation * inv_scale
        right = left + inv_scale
        lo = jnp.arange(m, dtype=dtype)
        w = jnp.maximum(0.0, jnp.minimum(right[None, :], lo[:, None] + 1.0)
                        - jnp.maximum(left[None, :], lo[:, None]))
    else:
        w = kernel(jnp.abs(sample[None, :] - inputs[:, None]) / kernel_scale)
    if edge_padding:
        # rows for pixels beyond an edge add onto the edge pixel (the edge is repeated)
        before = jnp.sum(w[:pad], axis=0, keepdims=True)
        after = jnp.sum(w[pad + m:], axis=0, keepdims=True)
        inner = w[pad:pad + m]
        if m == 1:
            return _normalise(inner + before + after)
        return _normalise(jnp.concatenate([inner[:1] + before, inner[1:m - 1],
                                           inner[m - 1:] + after], axis=0))
    w = _normalise(w)
    inside = (sample >= -0.5) & (sample <= m - 0.5)
    return jnp.where(inside[None, :], w, 0)


def _apply(x, shape, spatial_dims, scales, translations, kernel, antialias, precision,
           edge_padding, radius):
    xa = get_aval(x)
    for d, s, t in zip(spatial_dims, scales, translations):
        d = operator.index(d)
        if not -xa.ndim <= d < xa.ndim:
            raise ValueError(f"spatial dimension {d} out of range for an image of rank "
                             f"{xa.ndim}")
        d %= xa.ndim
        w = _weight_matrix(get_aval(x).shape[d], shape[d], s, t, kernel, antialias,
                           edge_padding, radius).astype(xa.dtype)
        x = jnp.moveaxis(jnp.tensordot(x, w, axes=([d], [0])), -1, d)
    return x


def _method(method) -> ResizeMethod:
    if isinstance(method, str):
        return ResizeMethod.from_string(method)
    if not isinstance(method, ResizeMethod):
        raise TypeError(f"method must be a string or a ResizeMethod, got {method!r}")
    return method


def _shape(shape, image, fname: str) -> tuple[int, ...]:
    shape = tuple(operator.index(s) for s in shape)
    if len(shape) != get_aval(image).ndim:
        raise ValueError("shape must have length equal to the number of dimensions of x; "
                         f" {shape} vs {get_aval(image).shape}")
    if any(s < 0 for s in shape):
        raise TypeError(f"{fname}: shape must have non-negative sizes, got {shape}")
    return shape


def _inexact(x):
    dt = get_aval(x).dtype
    return x if dtypes.kind(dt) in "fc" else x.astype(dtypes.default_float())


def scale_and_translate(image, shape: Sequence[int], spatial_dims: Sequence[int], scale,
                        translation, method, antialias: bool = True, precision=None):
    """Resample `image` to `shape`: along spatial_dims[k], input location y maps to output
    location y * scale[k] + translation[k] (pixel centres at i + 0.5). Output pixels whose
    inverse-mapped location falls outside the input are zero."""
    check_arraylike("scale_and_translate", image)
    image = jnp.asarray(image)
    shape = _shape(shape, image, "scale_and_translate")
    method = _method(method)
    if method == ResizeMethod.NEAREST:
        raise ValueError("Nearest neighbor resampling is not currently supported for "
                         "scale_and_translate.")
    if method == ResizeMethod.CUBIC_PYTORCH and antialias:
        method = ResizeMethod.CUBIC
    radius, kernel = _KERNELS[method]
    spatial_dims = tuple(spatial_dims)
    if not spatial_dims:
        return image
    scale, translation = jnp.asarray(scale), jnp.asarray(translation)
    dt = dtypes.result_type((get_aval(scale).dtype, get_aval(scale).weak_type),
                            (get_aval(translation).dtype, get_aval(translation).weak_type))[0]
    if dtypes.kind(dt) not in "fc":
        dt = dtypes.default_float()
    scale, translation = scale.astype(dt), translation.astype(dt)
    if get_aval(scale).shape != (len(spatial_dims),) or \
            get_aval(translation).shape != (len(spatial_dims),):
        raise ValueError("scale and translation must have one entry per spatial dimension, "
                         f"got {get_aval(scale).shape} and {get_aval(translation).shape} for "
                         f"{len(spatial_dims)} dimensions")
    scales = [scale[i] for i in range(len(spatial_dims))]
    translations = [translation[i] for i in range(len(spatial_dims))]
    edge_padding = method == ResizeMethod.CUBIC_PYTORCH and not antialias
    return _apply(_inexact(image), shape, spatial_dims, scales, translations, kernel,
                  antialias, precision, edge_padding, radius)


def _resize_nearest(x, shape):
    for d, (m, n) in enumerate(zip(get_aval(x).shape, shape)):
        if m == n:
            continue
        # the source row of output row j, computed in float32 as JAX does
        src = (np.arange(n, dtype=np.float32) + np.float32(0.5)) * np.float32(m)
        src = np.floor(src / np.float32(n)).astype(np.int32)
        x = jnp.take(x, jnp.asarray(src), axis=d)
    return x


def resize(image, shape: Sequence[int], method, antialias: bool = True, precision=None):
    """`image` resampled to `shape` (every dimension, batch and channel ones included: give
    them their own size to leave them alone). NEAREST keeps the dtype; the other methods
    return a floating image."""
    check_arraylike("resize", image)
    image = jnp.asarray(image)
    shape = _shape(shape, image, "resize")
    method = _method(method)
    if method == ResizeMethod.NEAREST:
        return _resize_nearest(image, shape)
    image = _inexact(image)
    if method == ResizeMethod.CUBIC_PYTORCH and antialias:
        method = ResizeMethod.CUBIC
    radius, kernel = _KERNELS[method]
    in_shape = get_aval(image).shape
    dims = tuple(d for d in range(len(shape)) if in_shape[d] != shape[d])
    scales = [1.0 if shape[d] == 0 else shape[d] / in_shape[d] for d in dims]
    edge_padding = method == ResizeMethod.CUBIC_PYTORCH and not antialias
    return _apply(image, shape, dims, scales, [0.0] * len(dims), kernel, antialias,
                  precision, edge_padding, radius)
