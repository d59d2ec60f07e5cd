"""irax.lax convolution helpers (as jax.lax): patch extraction, unshared (locally connected)
convolution and the shape utilities conv_shape_tuple, conv_general_shape_tuple,
conv_transpose_shape_tuple, conv_general_permutations.

conv_general_dilated_patches gathers the receptive fields directly with the same padding and
strided slices conv_general_dilated uses (no identity-kernel contraction, so the patches are
exact copies for every dtype, infinities included); conv_general_dilated_local contracts
those patches with a kernel that has its own weights at every output position.

Layering: user API; builds on .convolution and the thin primitive wrappers in .ops.
"""
from __future__ import annotations

import math

import numpy as np

from .. import numpy as jnp
from . import ops
from .convolution import (_conv_transpose_padding, _dilate_dim, _normalize_pads,
                          _pad_and_dilate, _perms_from_strings, _seq, _window_slices,
                          conv_dimension_numbers, padtype_to_pads)

__all__ = ["conv_general_dilated_patches", "conv_general_dilated_local",
           "conv_general_permutations", "conv_general_shape_tuple", "conv_shape_tuple",
           "conv_transpose_shape_tuple"]


def conv_general_permutations(dimension_numbers):
    """(lhs_perm, rhs_perm, out_perm) from a triple of spec strings such as
    ("NHWC", "HWIO", "NHWC"): each perm lists (batch/out-feature, feature/in-feature,
    spatial...) positions, spatial dimensions in the kernel spec's order."""
    return tuple(_perms_from_strings(tuple(dimension_numbers)))


def _out_size(n: int, k: int, s: int) -> int:
    return 0 if n < k else (n - k) // s + 1


def conv_shape_tuple(lhs_shape, rhs_shape, strides, pads, batch_group_count=1):
    """The output shape of a convolution of canonical (N, C, *spatial) lhs and (O, I, *k)
    rhs shapes; `pads` is a padding string or (low, high) pairs."""
    lhs_shape, rhs_shape = tuple(int(d) for d in lhs_shape), tuple(int(d) for d in rhs_shape)
    if isinstance(pads, str):
        pads = padtype_to_pads(lhs_shape[2:], rhs_shape[2:], strides, pads)
    if len(pads) != len(lhs_shape) - 2:
        raise TypeError("Wrong number of explicit pads for convolution: expected "
                        f"{len(lhs_shape) - 2}, got {len(pads)}.")
    padded = [n + int(lo) + int(hi) for n, (lo, hi) in zip(lhs_shape[2:], pads)]
    if any(p < 0 for p in padded):
        raise ValueError("Negative padding is larger than the size of the corresponding "
                         f"dimension: got padding={pads} for lhs_shape[2:]={lhs_shape[2:]}")
    space = tuple(_out_size(n, k, int(s)) for n, k, s in zip(padded, rhs_shape[2:], strides))
    batch = lhs_shape[0]
    if batch_group_count > 1:
        if batch % batch_group_count:
            raise ValueError(f"batch_group_count={batch_group_count} must divide the lhs "
                             f"batch dimension ({batch})")
        batch //= batch_group_count
    return (batch, rhs_shape[0]) + space


def conv_general_shape_tuple(lhs_shape, rhs_shape, window_strides, padding,
                             dimension_numbers):
    """conv_shape_tuple for shapes laid out by string dimension numbers; the result is in
    the out spec's layout."""
    lhs_perm, rhs_perm, out_perm = conv_general_permutations(dimension_numbers)
    out = conv_shape_tuple([lhs_shape[i] for i in lhs_perm], [rhs_shape[i] for i in rhs_perm],
                           window_strides, padding)
    return tuple(out[i] for i in np.argsort(out_perm))


def conv_transpose_shape_tuple(lhs_shape, rhs_shape, window_strides, padding,
                               dimension_numbers):
    """The output shape of lax.conv_transpose (no dilation) under string dimension numbers."""
    lhs_perm, rhs_perm, out_perm = conv_general_permutations(dimension_numbers)
    lhs_t = [int(lhs_shape[i]) for i in lhs_perm]
    rhs_t = [int(rhs_shape[i]) for i in rhs_perm]
    if isinstance(padding, str):
        padding = [_conv_transpose_padding(k, s, padding)
                   for k, s in zip(rhs_t[2:], window_strides)]
    total = [int(lo) + int(hi) for lo, hi in padding]
    space = [(i - 1) * int(s) - k + 2 + p
             for i, k, s, p in zip(lhs_t[2:], rhs_t[2:], window_strides, total)]
    out = [lhs_t[0], rhs_t[0], *space]
    return tuple(out[i] for i in np.argsort(out_perm))


def _patch_dims(lhs_ndim, filter_shape, dimension_numbers):
    filter_shape = tuple(int(k) for k in filter_shape)
    if len(filter_shape) != lhs_ndim - 2:
        raise ValueError(f"filter_shape {filter_shape} must have one entry per spatial "
                         f"dimension ({lhs_ndim - 2})")
    return filter_shape, conv_dimension_numbers((0,) * lhs_ndim, (1, 1) + filter_shape,
                                                dimension_numbers)


def conv_general_dilated_patches(lhs, filter_shape, window_strides, padding, lhs_dilation=None,
                                 rhs_dilation=None, dimension_numbers=None, precision=None,
                                 preferred_element_type=None):
    """The receptive field of every output position of conv_general_dilated, flattened into
    the output's feature dimension in the order (input channel, filter positions in the
    kernel spec's spatial order), as jax.lax.conv_general_dilated_patches."""
    del precision   # copies only; nothing is multiplied
    lhs = jnp.asarray(lhs)
    if lhs.ndim < 2:
        raise TypeError(f"convolution lhs must have rank >= 2, got shape {lhs.shape}")
    ksize, dn = _patch_dims(lhs.ndim, filter_shape, dimension_numbers)
    nsp = lhs.ndim - 2
    strides = _seq(window_strides, nsp, "window_strides")
    lhs_dil = _seq(lhs_dilation, nsp, "lhs_dilation")
    rhs_dil = _seq(rhs_dilation, nsp, "rhs_dilation")
    x = ops.transpose(lhs, dn.lhs_spec)                       # (N, C, *spatial)
    if preferred_element_type is not None:
        x = x.astype(preferred_element_type)
    N, C = x.shape[:2]
    eff_k = [_dilate_dim(k, d) for k, d in zip(ksize, rhs_dil)]
    in_sp = [_dilate_dim(n, d) for n, d in zip(x.shape[2:], lhs_dil)]
    pads = _normalize_pads(padding, in_sp, eff_k, strides)
    x = _pad_and_dilate(x, 0, pads, lhs_dil, range(2, lhs.ndim))
    out_sp = [_out_size(n, k, s) for n, k, s in zip(x.shape[2:], eff_k, strides)]
    K = math.prod(ksize)
    if K == 0 or 0 in out_sp:
        y = jnp.zeros((N, C * K, *out_sp), x.dtype)
    else:
        windows = [ops.expand_dims(p, (2,)) for p in
                   _window_slices(x, range(2, lhs.ndim), ksize, strides, rhs_dil, out_sp)]
        y = ops.reshape(ops.concatenate(windows, 2), (N, C * K, *out_sp))  # channel-major
    return ops.transpose(y, tuple(np.argsort(dn.out_spec)))


def conv_general_dilated_local(lhs, rhs, window_strides, padding, filter_shape,
                               lhs_dilation=None, rhs_dilation=None, dimension_numbers=None,
                               precision=None):
    """Unshared convolution (a locally connected layer), as jax.lax: rhs's spatial
    dimensions index the OUTPUT positions and its I dimension holds (input channel, filter
    position) pairs in conv_general_dilated_patches' order."""
    lhs, rhs = jnp.asarray(lhs), jnp.asarray(rhs)
    patches = conv_general_dilated_patches(lhs, filter_shape, window_strides, padding,
                                           lhs_dilation, rhs_dilation, dimension_numbers)
    _, dn = _patch_dims(lhs.ndim, filter_shape, dimension_numbers)
    if rhs.ndim != lhs.ndim:
        raise TypeError(f"conv_general_dilated_local needs lhs and rhs of equal rank, got "
                        f"{lhs.shape} and {rhs.shape}")
    # contract the patch feature with I, batch over output positions paired in rhs order
    lhs_sp, rhs_sp = list(dn.out_spec[2:]), list(dn.rhs_spec[2:])
    order = sorted(range(len(lhs_sp)), key=lambda k: lhs_sp[k])
    lhs_b = [lhs_sp[k] for k in order]
    rhs_b = [rhs_sp[k] for k in order]
    for a, b in zip(lhs_b, rhs_b):
        if patches.shape[a] != rhs.shape[b]:
            raise TypeError(f"conv_general_dilated_local: rhs spatial shape "
                            f"{tuple(rhs.shape[d] for d in rhs_sp)} must be the output "
                            f"spatial shape {tuple(patches.shape[d] for d in lhs_sp)}")
    dtype = jnp.result_type(lhs.dtype, rhs.dtype)
    out = ops.dot_general(patches.astype(dtype), rhs.astype(dtype),
                          (((dn.out_spec[1],), (dn.rhs_spec[1],)),
                           (tuple(lhs_b), tuple(rhs_b))))
    # out: (*spatial sorted, N, O) -> N and O to the out spec's positions
    return jnp.moveaxis(out, (-2, -1), (dn.out_spec[0], dn.out_spec[1]))
