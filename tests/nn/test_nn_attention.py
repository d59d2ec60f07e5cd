"""irax.nn.dot_product_attention against a per-head NumPy loop of softmax(Q K^T s + bias) V
(masks, causal, local window, sequence lengths, grouped heads), a literal JAX 0.10 output,
float64 central differences for the gradient, and one jitted module; plus tanh, log1mexp."""
from __future__ import annotations

import numpy as np
import pytest

import irax
import irax.numpy as jnp
from irax import nn

# JAX 0.10.2: jax.nn.dot_product_attention(q, k, v, is_causal=True,
#     key_value_seq_lengths=[5, 3]) with q, k, v = _qkv(np.random.default_rng(7)) in float32
ATTN_CAUSAL_KVLEN = [[[[1.1661278009414673, 0.6530885100364685], [1.1661278009414673, 0.6530885100364685], [-0.024143613874912262, 0.6683810353279114], [-0.024143613874912262, 0.6683810353279114]], [[0.27340808510780334, 0.8896287679672241], [0.45498692989349365, 0.8415165543556213], [-0.020158441737294197, 0.6503095030784607], [-0.010645627975463867, 0.6071717143058777]], [[-0.09547576308250427, 0.6706052422523499], [-0.3334590196609497, 0.6736047267913818], [-0.17399513721466064, 0.35026854276657104], [-0.21346886456012726, 0.2825743556022644]]], [[[-0.17640607059001923, -0.20593033730983734], [-0.17640607059001923, -0.20593033730983734], [0.7024629712104797, 0.5199076533317566], [0.7024629712104797, 0.5199076533317566]], [[-0.407950758934021, -0.1716960072517395], [-0.6577551364898682, -0.13476194441318512], [0.1416015774011612, -0.8036046028137207], [0.44484448432922363, -0.08801659196615219]], [[-0.32160741090774536, -0.38642093539237976], [-0.2980618178844452, -0.3197297751903534], [0.6469287276268005, 0.3809928894042969], [0.42393213510513306, -0.34628793597221375]]]]
# JAX 0.10.2: jax.nn.log1mexp and vmap(grad(log1mexp)) at [1e-6, 0.5, log 2, 1, 30]
LOG1MEXP = [-13.815510749816895, -0.9327521324157715, -0.6931471824645996, -0.4586751461029053, -9.357622912219837e-14]
LOG1MEXP_GRAD = [999999.5625, 1.5414940118789673, 1.0, 0.5819767117500305, 9.357623589846195e-14]


def _reference(q, k, v, bias=None, mask=None, scale=None, causal=False, q_lens=None,
               kv_lens=None, window=None):
    """One (batch, head) at a time, with plain NumPy; float64 but for the softmax."""
    b, t, n, h = q.shape
    s, kh = k.shape[1], k.shape[2]
    scale = 1 / np.sqrt(h) if scale is None else scale
    out = np.zeros((b, t, n, h))
    for bi in range(b):
        for ni in range(n):
            ki = ni // (n // kh)
            logits = q[bi, :, ni] @ k[bi, :, ki].T * scale
            if bias is not None:
                logits = logits + bias[bi % bias.shape[0], ni % bias.shape[1]]
            keep = np.ones((t, s), bool)
            if mask is not None:
                keep &= mask[bi % mask.shape[0], ni % mask.shape[1]]
            rows, cols = np.arange(t)[:, None], np.arange(s)[None, :]
            if causal:
                keep &= rows >= cols
            if window is not None:
                keep &= (rows <= cols + window[0]) & (rows >= cols - window[1])
            if q_lens is not None:
                keep &= rows < q_lens[bi]
            if kv_lens is not None:
                keep &= cols < kv_lens[bi]
            # JAX takes the softmax in float32 whatever the input dtype
            logits = np.float32(np.where(keep, logits, -0.7 * np.finfo(np.float32).max))
            p = np.exp(logits - logits.max(-1, keepdims=True))
            p = np.float64(p / p.sum(-1, keepdims=True))
            out[bi, :, ni] = p @ v[bi, :, ki]
            if q_lens is not None:
                out[bi, q_lens[bi]:, ni] = 0
    return out


def _qkv(rng, b=2, t=3, n=4, s=5, kh=2, h=2):
    return (rng.normal(size=(b, t, n, h)), rng.normal(size=(b, s, kh, h)),
            rng.normal(size=(b, s, kh, h)))


def test_matches_literal_jax_output():
    rng = np.random.default_rng(7)
    q, k, v = (np.float32(a) for a in _qkv(rng))
    got = nn.dot_product_attention(jnp.asarray(q), jnp.asarray(k), jnp.asarray(v),
                                   is_causal=True,
                                   key_value_seq_lengths=jnp.asarray([5, 3], dtype=jnp.int32))
    np.testing.assert_allclose(np.asarray(got), ATTN_CAUSAL_KVLEN, rtol=1e-5, atol=1e-6)


def _cases(rng):
    q, k, v = _qkv(rng)
    bias = rng.normal(size=(1, 4, 3, 5))
    mask = rng.uniform(size=(2, 1, 3, 5)) > 0.3
    lens = np.array([2, 3], np.int32)
    return q, k, v, {
        "plain": ({}, {}),
        "scale_bias": ({"bias": bias, "scale": 0.3}, {"bias": bias, "scale": 0.3}),
        "mask": ({"mask": mask}, {"mask": mask}),
        "causal_window": ({"is_causal": True, "local_window_size": 1},
                          {"causal": True, "window": (1, 1)}),
        "window_pair": ({"local_window_size": (2, 0)}, {"window": (2, 0)}),
        "seq_lengths": ({"query_seq_lengths": lens, "key_value_seq_lengths": lens[::-1].copy()},
                        {"q_lens": lens, "kv_lens": lens[::-1]}),
    }


def test_against_numpy_loop_float64(x64):
    q, k, v, cases = _cases(np.random.default_rng(0))
    for name, (kwargs, ref_kwargs) in cases.items():
        kw = {a: jnp.asarray(b) if isinstance(b, np.ndarray) else b for a, b in kwargs.items()}
        got = nn.dot_product_attention(jnp.asarray(q), jnp.asarray(k), jnp.asarray(v), **kw)
        np.testing.assert_allclose(np.asarray(got), _reference(q, k, v, **ref_kwargs),
                                   rtol=2e-6, atol=1e-7, err_msg=name)
    # 3-D inputs (no batch axis) and the log-sum-exp residual
    got, residual = nn.dot_product_attention(jnp.asarray(q[0]), jnp.asarray(k[0]),
                                             jnp.asarray(v[0]), return_residual=True)
    np.testing.assert_allclose(np.asarray(got), _reference(q, k, v)[0], rtol=2e-6, atol=1e-7)
    logits = np.einsum("tnh,snh->nts", q[0], np.repeat(k[0], 2, axis=1)) / np.sqrt(2)
    lse = np.log(np.exp(logits).sum(-1)).T
    np.testing.assert_allclose(np.asarray(residual), lse, rtol=1e-6)


def test_gradient_against_central_differences_float64(x64):
    rng = np.random.default_rng(1)
    q, k, v = _qkv(rng)
    c = rng.normal(size=q.shape)

    def loss(q, k, v):
        return jnp.sum(jnp.asarray(c) * nn.dot_product_attention(q, k, v, is_causal=True))

    grads = irax.grad(loss, argnums=(0, 1, 2))(jnp.asarray(q), jnp.asarray(k), jnp.asarray(v))
    h = 1e-3  # the float32 softmax puts ~1e-7 noise on the loss: a step this large drowns it
    for which, (arg, grad) in enumerate(zip((q, k, v), grads)):
        direction = rng.normal(size=arg.shape)
        args = [q, k, v]
        plus, minus = list(args), list(args)
        plus[which], minus[which] = arg + h * direction, arg - h * direction
        central = (float(loss(*map(jnp.asarray, plus))) -
                   float(loss(*map(jnp.asarray, minus)))) / (2 * h)
        assert np.sum(np.asarray(grad) * direction) == pytest.approx(central, rel=1e-4)


def test_jit_matches_numpy_loop():
    rng = np.random.default_rng(2)
    q, k, v, cases = _cases(rng)
    names = sorted(cases)

    def run(q, k, v, *extras):
        out = {}
        for name, extra in zip(names, extras):
            out[name] = nn.dot_product_attention(q, k, v, **extra)
        return out

    extras = []
    for name in names:
        kwargs = cases[name][0]
        extras.append({a: b for a, b in kwargs.items() if isinstance(b, np.ndarray)})
    statics = {name: {a: b for a, b in cases[name][0].items() if not isinstance(b, np.ndarray)}
               for name in names}

    @irax.jit
    def jitted(q, k, v, arrays):
        return {n: nn.dot_product_attention(q, k, v, **arrays[n], **statics[n]) for n in names}

    f32 = lambda a: jnp.asarray(np.float32(a)) if a.dtype.kind == "f" else jnp.asarray(a)  # noqa
    got = jitted(f32(q), f32(k), f32(v), {n: {a: f32(b) for a, b in e.items()}
                                          for n, e in zip(names, extras)})
    for n in names:
        want = _reference(np.float32(q), np.float32(k), np.float32(v), **cases[n][1])
        np.testing.assert_allclose(np.asarray(got[n]), want, rtol=2e-5, atol=2e-6, err_msg=n)


def test_bad_shapes_raise_value_errors():
    q, k, v = (jnp.ones(s) for s in [(1, 2, 3, 4), (1, 5, 2, 4), (1, 5, 2, 4)])
    with pytest.raises(ValueError, match="multiple of key/value heads"):
        nn.dot_product_attention(q, k, v)
    with pytest.raises(ValueError, match="value shape"):
        nn.dot_product_attention(jnp.ones((1, 2, 2, 4)), k, jnp.ones((1, 4, 2, 4)))
    with pytest.raises(ValueError, match="mask dtype"):
        nn.dot_product_attention(jnp.ones((1, 2, 2, 4)), k, v, mask=jnp.ones((1, 1, 2, 5)))
    with pytest.raises(ValueError, match="Unsupported implementation"):
        nn.dot_product_attention(jnp.ones((1, 2, 2, 4)), k, v, implementation="cudnn")


def test_log1mexp_and_tanh():
    x = np.float32([1e-6, 0.5, np.log(2), 1.0, 30.0])
    np.testing.assert_allclose(np.asarray(nn.log1mexp(jnp.asarray(x))), LOG1MEXP, rtol=2e-6)
    np.testing.assert_allclose(np.asarray(irax.vmap(irax.grad(nn.log1mexp))(jnp.asarray(x))),
                               LOG1MEXP_GRAD, rtol=2e-6)
    np.testing.assert_allclose(np.asarray(nn.tanh(jnp.asarray(x))), np.tanh(x), rtol=1e-6)
