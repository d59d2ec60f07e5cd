"""Scaled dot-product attention (jax.nn.dot_product_attention, its XLA formulation).

Shapes: query (B, T, N, H), key and value (B, S, K, H), with N a multiple of K
(grouped-query attention: each key/value head serves N // K query heads).
The logits and the softmax are computed in at least float32.
"""
from __future__ import annotations

import numpy as np

from .. import numpy as jnp
from ..lax import stop_gradient
from ..tracer.core import get_aval
from .functions import logsumexp, softmax


def _as_4d(name: str, t):
    t = jnp.asarray(t)
    ndim = get_aval(t).ndim
    if ndim == 3:
        return jnp.expand_dims(t, 0)
    if ndim != 4:
        raise ValueError(f"dot_product_attention: {name} must be 3-D or 4-D, got {ndim}-D")
    return t


def _check(t, shape, dtype, name: str) -> None:
    if t is None:
        return
    av = get_aval(t)
    if av.ndim != len(shape):
        raise ValueError(f"{name} ndim should be {len(shape)}, but got {av.ndim}")
    if dtype is not None and av.dtype != dtype:
        raise ValueError(f"{name} dtype should be {dtype}, but got {av.dtype}")
    if any(want != -1 and got != want for got, want in zip(av.shape, shape)):
        raise ValueError(f"{name} shape should be {list(shape)}: but got {av.shape}")


def _grouped(t, k: int, g: int):
    """(B, N or 1, T, S) -> (B, K, G, T, S), matching the grouped query heads."""
    if t is None:
        return None
    b, n, tq, s = get_aval(t).shape
    if n == 1:
        return jnp.reshape(t, (b, 1, 1, tq, s))
    return jnp.reshape(t, (b, k, g, tq, s))


def _keep_mask(t_len, s_len, mask, is_causal, q_lens, kv_lens, window):
    """The boolean (broadcastable to B, K, G, T, S) of logits to keep, or None for all."""
    keep = mask
    q_pos = jnp.arange(t_len)[:, None]
    k_pos = jnp.arange(s_len)[None, :]

    def both(a, b):
        return b if a is None else jnp.logical_and(a, b)

    if is_causal:
        keep = both(keep, q_pos >= k_pos)
    if window is not None:
        left, right = window
        keep = both(keep, jnp.logical_and(q_pos <= k_pos + left, q_pos >= k_pos - right))
    if q_lens is not None:
        keep = both(keep, (jnp.arange(t_len)[None, :, None] <
                           q_lens[:, None, None])[:, None, None, :, :])
    if kv_lens is not None:
        keep = both(keep, (jnp.arange(s_len)[None, None, :] <
                           kv_lens[:, None, None])[:, None, None, :, :])
    return keep


def dot_product_attention(query, key, value, bias=None, mask=None, *, scale=None,
                          is_causal: bool = False, query_seq_lengths=None,
                          key_value_seq_lengths=None, local_window_size=None,
                          implementation=None, return_residual: bool = False):
    """softmax(Q K^T * scale + bias, masked) V, per head; scale defaults to 1/sqrt(H)."""
    if implementation not in (None, "xla"):
        raise ValueError(f"Unsupported implementation option: {implementation}")
    out_shape = get_aval(jnp.asarray(query)).shape
    q, k, v = _as_4d("query", query), _as_4d("key", key), _as_4d("value", value)
    bias = None if bias is None else _as_4d("bias", bias)
    mask = None if mask is None else _as_4d("mask", mask)
    b, s, kh, h = get_aval(k).shape
    _check(v, (b, s, kh, h), get_aval(k).dtype, "value")
    _check(q, (b, -1, -1, h), get_aval(k).dtype, "query")
    _check(mask, (-1,) * 4, np.dtype(bool), "mask")
    _check(bias, (-1,) * 4, None, "bias")
    q_lens = None if query_seq_lengths is None else jnp.asarray(query_seq_lengths)
    kv_lens = None if key_value_seq_lengths is None else jnp.asarray(key_value_seq_lengths)
    _check(q_lens, (b,), np.dtype(np.int32), "query_seq_lengths")
    _check(kv_lens, (b,), np.dtype(np.int32), "key_value_seq_lengths")
    _, t, n, _ = get_aval(q).shape
    if n % kh:
        raise ValueError("The number of query heads must be a multiple of key/value heads, "
                         f"but got {n} vs {kh}")
    if isinstance(local_window_size, int):
        local_window_size = (local_window_size, local_window_size)
    g = n // kh
    scale = 1.0 / np.sqrt(h) if scale is None else scale

    logits_dtype = np.promote_types(get_aval(q).dtype, np.float32)
    qg = jnp.reshape(q, (b, t, kh, g, h)).astype(logits_dtype)
    logits = jnp.einsum("btkgh,bskh->bkgts", qg, k.astype(logits_dtype))
    logits = logits * jnp.asarray(scale, dtype=logits_dtype)
    if bias is not None:
        logits = (logits + _grouped(bias, kh, g)).astype(logits_dtype)
    keep = _keep_mask(t, s, _grouped(mask, kh, g), is_causal, q_lens, kv_lens,
                      local_window_size)
    if keep is not None:
        # a large finite negative, not -inf: a fully masked row stays finite (uniform)
        very_negative = -0.7 * float(np.finfo(np.float32).max)
        logits = jnp.where(keep, logits, very_negative)
    logits = logits.astype(np.float32)
    probs = softmax(logits, axis=-1).astype(get_aval(k).dtype)
    encoded = jnp.einsum("bkgts,bskh->btkgh", probs, v)
    if q_lens is not None:
        valid = jnp.arange(t)[None, :] < q_lens[:, None]
        encoded = encoded * valid[:, :, None, None, None].astype(encoded.dtype)
    encoded = jnp.reshape(encoded, out_shape)
    if not return_residual:
        return encoded
    residual = jnp.transpose(logsumexp(logits, axis=-1).astype(get_aval(k).dtype),
                             (0, 3, 1, 2))  # B K G T -> B T K G
    return encoded, stop_gradient(jnp.reshape(residual, out_shape[:-1]))
