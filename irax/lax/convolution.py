"""irax.lax convolutions (as jax.lax): conv_general_dilated and its wrappers.

Built by composition, not as a primitive, so grad/vmap/jit come for free: the input is
padded (interior padding realises lhs_dilation), one strided slice per kernel offset extracts
the patches (the offset step realises rhs_dilation), and one dot_general contracts the stacked
patches with the kernel (batched over feature groups).

Layering: user API; imports irax.numpy and the tracer's primitive families (through .ops).
"""
from __future__ import annotations

import itertools
from typing import NamedTuple, Sequence

import numpy as np

from .. import numpy as jnp
from . import ops


class ConvDimensionNumbers(NamedTuple):
    """Positions of (batch, feature, spatial...) in lhs/out and (out-feature, in-feature,
    spatial...) in rhs."""
    lhs_spec: tuple
    rhs_spec: tuple
    out_spec: tuple


def _perms_from_strings(specs):
    lhs_spec, rhs_spec, out_spec = specs
    pairs = (("N", "C"), ("O", "I"), ("N", "C"))
    for i, (spec, (a, b)) in enumerate(zip(specs, pairs)):
        if not (spec.count(a) == spec.count(b) == 1):
            raise TypeError(f"convolution dimension_numbers[{i}] must contain the characters "
                            f"'{a}' and '{b}' exactly once, got {spec}.")
        if len(spec) != len(set(spec)):
            raise TypeError(f"convolution dimension_numbers[{i}] cannot have duplicate "
                            f"characters, got {spec}.")
    if not (set(lhs_spec) - {"N", "C"} == set(rhs_spec) - {"O", "I"}
            == set(out_spec) - {"N", "C"}):
        raise TypeError("convolution dimension_numbers elements must each have the same set "
                        f"of spatial characters, got {specs}.")

    def perm(spec, pair):
        spatial = [i for i, c in enumerate(spec) if c not in pair]
        # spatial dimensions are matched up in the order the kernel spec lists them
        if spec is not rhs_spec:
            spatial = sorted(spatial, key=lambda i: rhs_spec.index(spec[i]))
        return (spec.index(pair[0]), spec.index(pair[1])) + tuple(spatial)

    return ConvDimensionNumbers(*(perm(s, p) for s, p in zip(specs, pairs)))


def conv_dimension_numbers(lhs_shape, rhs_shape, dimension_numbers) -> ConvDimensionNumbers:
    """Canonical ConvDimensionNumbers from None, a ConvDimensionNumbers or a string triple."""
    if isinstance(dimension_numbers, ConvDimensionNumbers):
        return dimension_numbers
    if len(lhs_shape) != len(rhs_shape):
        raise TypeError("convolution requires lhs and rhs ndim to be equal, got "
                        f"{len(lhs_shape)} and {len(rhs_shape)}.")
    if dimension_numbers is None:
        iota = tuple(range(len(lhs_shape)))
        return ConvDimensionNumbers(iota, iota, iota)
    if isinstance(dimension_numbers, (list, tuple)) and len(dimension_numbers) == 3:
        if all(isinstance(s, str) for s in dimension_numbers):
            for s, name in zip(dimension_numbers, ("lhs", "rhs", "out")):
                if len(s) != len(lhs_shape):
                    raise TypeError(f"convolution {name} spec {s!r} does not match operand "
                                    f"rank {len(lhs_shape)}.")
            return _perms_from_strings(tuple(dimension_numbers))
        return ConvDimensionNumbers(*(tuple(int(d) for d in s) for s in dimension_numbers))
    raise TypeError("convolution dimension_numbers must be None, a ConvDimensionNumbers or a "
                    f"tuple of three strings, got {dimension_numbers!r}.")


def _dilate_dim(n: int, d: int) -> int:
    return 0 if n == 0 else 1 + d * (n - 1)


def padtype_to_pads(in_shape, window_shape, window_strides, padding):
    """Explicit (low, high) pads for 'SAME' / 'SAME_LOWER' / 'VALID'."""
    if not isinstance(padding, str):
        raise TypeError(f"padding must be a string, got {padding!r}")
    mode = padding.upper()
    if mode == "VALID":
        return [(0, 0)] * len(in_shape)
    if mode not in ("SAME", "SAME_LOWER"):
        raise ValueError(f"Unknown padding type: {padding}.")
    pads = []
    for n, w, s in zip(in_shape, window_shape, window_strides):
        out = -(-n // s)
        total = max((out - 1) * s + w - n, 0)
        small, big = total // 2, total - total // 2
        pads.append((small, big) if mode == "SAME" else (big, small))
    return pads


def _normalize_pads(padding, in_shape, window_shape, strides):
    if isinstance(padding, str):
        return [tuple(p) for p in padtype_to_pads(in_shape, window_shape, strides, padding)]
    pads = [tuple(int(v) for v in p) for p in padding]
    if len(pads) != len(in_shape) or any(len(p) != 2 for p in pads):
        raise ValueError(f"padding must be a string or {len(in_shape)} (low, high) pairs, "
                         f"got {padding!r}")
    return pads


def _pad_and_dilate(x, value, pads, dilations, axes):
    """Pads `axes` of x by (low, high) with interior dilation-1; negative pads crop."""
    ndim = x.ndim
    config = [(0, 0, 0)] * ndim
    for ax, (lo, hi), d in zip(axes, pads, dilations):
        config[ax] = (max(lo, 0), max(hi, 0), d - 1)
    if any(c != (0, 0, 0) for c in config):
        x = ops.pad(x, jnp.asarray(value, x.dtype), config)
    if any(lo < 0 or hi < 0 for lo, hi in pads):
        start, limit = [0] * ndim, list(x.shape)
        for ax, (lo, hi) in zip(axes, pads):
            start[ax] = max(-lo, 0)
            limit[ax] = x.shape[ax] - max(-hi, 0)
        if any(l < s for s, l in zip(start, limit)):
            raise ValueError("negative padding removes more than the whole dimension")
        x = ops.slice(x, start, limit)
    return x


def _window_slices(x, axes, window, strides, dilations, out_sizes):
    """One strided slice of x per window offset (offsets in row-major order)."""
    for offsets in itertools.product(*(range(w) for w in window)):
        start, limit, step = [0] * x.ndim, list(x.shape), [1] * x.ndim
        for ax, k, s, d, o in zip(axes, offsets, strides, dilations, out_sizes):
            start[ax] = k * d
            limit[ax] = k * d + (o - 1) * s + 1 if o > 0 else k * d
            step[ax] = s
        yield ops.slice(x, start, limit, step)


def _seq(v, n, name):
    if v is None:
        return (1,) * n
    v = tuple(int(i) for i in v)
    if len(v) != n:
        raise ValueError(f"{name} must have {n} entries (one per spatial dimension), got {v}")
    if any(i < 1 for i in v):
        raise ValueError(f"{name} entries must be positive, got {v}")
    return v


def conv_general_dilated(lhs, rhs, window_strides, padding, lhs_dilation=None,
                         rhs_dilation=None, dimension_numbers=None, feature_group_count=1,
                         batch_group_count=1, precision=None, preferred_element_type=None):
    """General n-d convolution, as jax.lax.conv_general_dilated (batch_group_count=1 only)."""
    del precision  # a single contraction; no precision choice to make
    lhs, rhs = jnp.asarray(lhs), jnp.asarray(rhs)
    if batch_group_count != 1:
        raise NotImplementedError("conv_general_dilated: batch_group_count > 1 is not supported")
    if lhs.ndim < 2:
        raise TypeError(f"convolution lhs must have rank >= 2, got shape {lhs.shape}")
    dn = conv_dimension_numbers(lhs.shape, rhs.shape, dimension_numbers)
    nsp = lhs.ndim - 2
    strides = _seq(window_strides, nsp, "window_strides")
    lhs_dil = _seq(lhs_dilation, nsp, "lhs_dilation")
    rhs_dil = _seq(rhs_dilation, nsp, "rhs_dilation")
    G = int(feature_group_count)
    # canonical layouts: x (N, C, *sp), w (O, I, *k)
    x = ops.transpose(lhs, dn.lhs_spec)
    w = ops.transpose(rhs, dn.rhs_spec)
    N, C = x.shape[:2]
    O, I = w.shape[:2]
    ksize = w.shape[2:]
    if G < 1 or C % G or O % G:
        raise ValueError(f"feature_group_count={G} must divide the lhs feature dimension ({C}) "
                         f"and the rhs output feature dimension ({O})")
    if C // G != I:
        raise TypeError(f"conv_general_dilated lhs feature dimension size divided by "
                        f"feature_group_count must equal the rhs input feature dimension size, "
                        f"got {C} // {G} != {I}.")
    eff_k = [_dilate_dim(k, d) for k, d in zip(ksize, rhs_dil)]
    in_sp = [_dilate_dim(n, d) for n, d in zip(x.shape[2:], lhs_dil)]
    pads = _normalize_pads(padding, in_sp, eff_k, strides)
    x = _pad_and_dilate(x, 0, pads, lhs_dil, range(2, lhs.ndim))
    out_sp = [max(0, (n - k) // s + 1) if n >= k else 0
              for n, k, s in zip(x.shape[2:], eff_k, strides)]
    if preferred_element_type is None:
        dtype = jnp.result_type(lhs.dtype, rhs.dtype)
        x, w = x.astype(dtype), w.astype(dtype)
    K = int(np.prod(ksize, dtype=np.int64))
    if K == 0 or 0 in out_sp:
        patches = jnp.zeros((K, N, C, *out_sp), x.dtype)
    else:
        patches = ops.concatenate(
            [ops.expand_dims(p, (0,)) for p in
             _window_slices(x, range(2, lhs.ndim), ksize, strides, rhs_dil, out_sp)], 0)
    patches = ops.reshape(patches, (K, N, G, I, *out_sp))   # (K, N, G, I, *out)
    wk = ops.reshape(w, (G, O // G, I, K))                  # (G, O/G, I, K)
    y = ops.dot_general(patches, wk, (((0, 3), (3, 2)), ((2,), (0,))),
                        preferred_element_type=preferred_element_type)  # (G, N, *out, O/G)
    nd = y.ndim
    y = ops.transpose(y, (1, 0, nd - 1) + tuple(range(2, nd - 1)))   # (N, G, O/G, *out)
    y = ops.reshape(y, (N, O, *out_sp))
    return ops.transpose(y, tuple(np.argsort(dn.out_spec)))


def conv(lhs, rhs, window_strides, padding, precision=None, preferred_element_type=None):
    """Convolution in NCHW/OIHW layout, as jax.lax.conv."""
    return conv_general_dilated(lhs, rhs, window_strides, padding, precision=precision,
                                preferred_element_type=preferred_element_type)


def conv_with_general_padding(lhs, rhs, window_strides, padding, lhs_dilation, rhs_dilation,
                              precision=None, preferred_element_type=None):
    """Convolution with explicit dilations in NCHW/OIHW layout, as jax.lax."""
    return conv_general_dilated(lhs, rhs, window_strides, padding, lhs_dilation=lhs_dilation,
                                rhs_dilation=rhs_dilation, precision=precision,
                                preferred_element_type=preferred_element_type)


def _conv_transpose_padding(k, s, padding):
    if padding == "SAME":
        total = k + s - 2
        lo = k - 1 if s > k - 1 else int(np.ceil(total / 2))
    elif padding == "VALID":
        total = k + s - 2 + max(k - s, 0)
        lo = k - 1
    else:
        raise ValueError(f"Invalid padding mode: {padding}")
    return lo, total - lo


_TRANSPOSE_DEFAULT_DN = {2: ("NC", "IO", "NC"), 3: ("NHC", "HIO", "NHC"),
                         4: ("NHWC", "HWIO", "NHWC"), 5: ("NHWDC", "HWDIO", "NHWDC")}


def conv_transpose(lhs, rhs, strides, padding, rhs_dilation=None, dimension_numbers=None,
                   transpose_kernel=False, precision=None, preferred_element_type=None):
    """Transposed convolution (gradient-of-conv style upsampling), as jax.lax.conv_transpose."""
    lhs, rhs = jnp.asarray(lhs), jnp.asarray(rhs)
    if lhs.ndim != rhs.ndim or lhs.ndim < 2:
        raise TypeError(f"conv_transpose needs lhs and rhs of equal rank >= 2, got "
                        f"{lhs.shape} and {rhs.shape}")
    nsp = lhs.ndim - 2
    if dimension_numbers is None:
        if lhs.ndim not in _TRANSPOSE_DEFAULT_DN:
            raise ValueError("conv_transpose: give dimension_numbers for rank > 5")
        dimension_numbers = _TRANSPOSE_DEFAULT_DN[lhs.ndim]
    dn = conv_dimension_numbers(lhs.shape, rhs.shape, dimension_numbers)
    ksp = [rhs.shape[d] for d in dn.rhs_spec[2:]]
    rhs_dil = _seq(rhs_dilation, nsp, "rhs_dilation")
    eff_k = [_dilate_dim(k, d) for k, d in zip(ksp, rhs_dil)]
    if isinstance(padding, str):
        pads = [_conv_transpose_padding(k, s, padding) for k, s in zip(eff_k, strides)]
    else:
        pads = padding
    if transpose_kernel:
        rhs = ops.rev(rhs, tuple(dn.rhs_spec[2:]))
        rhs = jnp.swapaxes(rhs, dn.rhs_spec[0], dn.rhs_spec[1])
    return conv_general_dilated(lhs, rhs, (1,) * nsp, pads, lhs_dilation=strides,
                                rhs_dilation=rhs_dil, dimension_numbers=dn,
                                preferred_element_type=preferred_element_type)
