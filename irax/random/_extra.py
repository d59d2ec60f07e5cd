"""More samplers JAX composes from the basic ones: generalized_normal, ball, orthogonal,
binomial, multinomial. Each uses JAX 0.10's composition and key splitting, so the same
key gives the same numbers (bit for bit where only uniform bits, comparisons and exact
arithmetic enter; within float ulps through log / pow / gamma / qr)."""
from __future__ import annotations

import operator

import numpy as np

from .. import numpy as jnp
from ..lax.control_flow import scan, while_loop
from ..tracer import dtypes
from ..tracer.prims import elementwise as ew
from . import _keys
from ._distributions import _as, _check_shape, _exponential, _float_dtype, _normal, _shape, \
    _shape_of, _uniform, bernoulli
from ._gamma import _gamma


def _index(name: str, v, what: str) -> int:
    try:
        return operator.index(v)
    except TypeError:
        raise TypeError(f"{name}: {what} must be a concrete integer, got {v!r}") from None


def _generalized_normal(data, p, shape, dtype):
    k0, k1 = _keys.unstack(_keys.split_data(data, 2), 2)
    inv_p = _as(1, dtype) / _as(p, dtype)
    g = _gamma(k0, inv_p, shape, dtype, False)
    b = ew.convert_element_type(bernoulli(k1, 0.5, shape), dtype)   # +-1 in the float type
    r = ew.convert_element_type(2 * b - 1, dtype)
    return r * g ** inv_p


def generalized_normal(key, p, shape=(), dtype=None):
    """Samples with density proportional to exp(-|x|^p)."""
    data, _ = _keys.check_key("generalized_normal", key)
    dtype = _float_dtype("generalized_normal", dtype)
    return _generalized_normal(data, p, _shape(shape), dtype)


def ball(key, d, p=2, shape=(), dtype=None):
    """Points uniform in the unit Lp ball of dimension d, shape (*shape, d)."""
    data, _ = _keys.check_key("ball", key)
    dtype = _float_dtype("ball", dtype)
    d = _index("ball", d, "d")
    shape = _shape(shape)
    k1, k2 = _keys.unstack(_keys.split_data(data, 2), 2)
    g = _generalized_normal(k1, p, shape + (d,), dtype)
    e = _exponential(k2, shape, dtype)
    pp = _as(p, dtype)
    norm = (jnp.sum(jnp.abs(g) ** pp, axis=-1) + e) ** (_as(1, dtype) / pp)
    return g / norm[..., None]


def orthogonal(key, n, shape=(), dtype=None, m=None):
    """A matrix uniform on O(n) (semi-orthogonal of shape (*shape, n, m) if m differs)."""
    data, _ = _keys.check_key("orthogonal", key)
    dtype = _float_dtype("orthogonal", dtype, kinds="fc")
    n = _index("orthogonal", n, "n")
    m = n if m is None else _index("orthogonal", m, "m")
    shape = _shape(shape)
    z = _normal(data, shape + (max(n, m), min(n, m)), dtype)
    q, r = jnp.linalg.qr(z)
    # the diagonal of each (batched) r: masked by the identity, summed over rows (exact)
    d = jnp.sum(r * jnp.eye(r.shape[-2], r.shape[-1], dtype=r.dtype), axis=-2)
    x = q * jnp.expand_dims(jnp.sign(d), -2)
    return jnp.swapaxes(x, -1, -2) if n < m else x


# ---------------------------------------------------------------------------
# binomial: inversion for count * q <= 10, else BTRS (as JAX and TensorFlow)

_STIRLING_TAIL = (0.0810614667953272, 0.0413406959554092, 0.0276779256849983,
                  0.02079067210376509, 0.0166446911898211, 0.0138761288230707,
                  0.0118967099458917, 0.0104112652619720, 0.00925546218271273,
                  0.00833056343336287)


def _stirling_tail(k):
    """log k! - (Stirling's series without its tail), tabulated for k <= 9."""
    dt = k.dtype
    table = jnp.asarray(np.asarray(_STIRLING_TAIL), dtype=dt)
    small = k <= 9
    k = jnp.clip(k, _as(0, dt), _as(9, dt))
    kp1sq = (k + 1) * (k + 1)
    approx = (1.0 / 12 - (1.0 / 360 - 1.0 / 1260 / kp1sq) / kp1sq) / (k + 1)
    return jnp.where(small, table[jnp.floor(k).astype(np.int32)], approx)


def _binomial_inversion(data, count, prob, shape, dtype, max_iters):
    log1mp = jnp.log1p(-prob)

    def body(carry):
        i, num_geom, geom_sum, key = carry
        subkey, key = _keys.unstack(_keys.split_data(key, 2), 2)
        num_geom = jnp.where(geom_sum <= count, num_geom + 1, num_geom)
        u = _uniform(subkey, shape, prob.dtype, 0., 1.)
        geom_sum = geom_sum + jnp.ceil(jnp.log(u) / log1mp)
        return i + 1, num_geom, geom_sum, key

    def cond(carry):
        i, geom_sum = carry[0], carry[2]
        return jnp.any(geom_sum <= count) & (i < max_iters)
    zero = jnp.zeros(shape, prob.dtype)
    k = while_loop(cond, body, (jnp.asarray(0), zero, zero, data))[1]
    return (k - 1).astype(dtype)


def _btrs(data, count, prob, shape, dtype, max_iters):
    stddev = jnp.sqrt(count * prob * (1 - prob))
    b = 1.15 + 2.53 * stddev
    a = -0.0873 + 0.0248 * b + 0.01 * prob
    c = count * prob + 0.5
    v_r = 0.92 - 4.2 / b
    r = prob / (1 - prob)
    alpha = (2.83 + 5.1 / b) * stddev
    m = jnp.floor((count + 1) * prob)

    def body(carry):
        i, k_out, accepted, key = carry
        key, sk0, sk1 = _keys.unstack(_keys.split_data(key, 3), 3)
        u = _uniform(sk0, shape, prob.dtype, 0., 1.) - 0.5
        v = _uniform(sk1, shape, prob.dtype, 0., 1.)
        us = 0.5 - jnp.abs(u)
        accept1 = (us >= 0.07) & (v <= v_r)
        k = jnp.floor((2 * a / us + b) * u + c)
        reject = (k < 0) | (k > count)
        v = jnp.log(v * alpha / (a / (us * us) + b))
        ub = ((m + 0.5) * jnp.log((m + 1) / (r * (count - m + 1)))
              + (count + 1) * jnp.log((count - m + 1) / (count - k + 1))
              + (k + 0.5) * jnp.log(r * (count - k + 1) / (k + 1))
              + _stirling_tail(m) + _stirling_tail(count - m)
              - _stirling_tail(k) - _stirling_tail(count - k))
        accept = accept1 | (~reject & (v <= ub))
        return i + 1, jnp.where(accept, k, k_out), accepted | accept, key

    def cond(carry):
        return jnp.any(~carry[2]) & (carry[0] < max_iters)
    init = (jnp.asarray(0), jnp.full(shape, -1, prob.dtype), jnp.zeros(shape, bool), data)
    return while_loop(cond, body, init)[1].astype(dtype)


def _binomial(data, count, prob, shape, dtype):
    count, prob = jnp.asarray(count), jnp.asarray(prob)
    if shape is None:
        shape = jnp.broadcast_shapes(_shape_of(count), _shape_of(prob))
    else:
        shape = _shape(shape)
        _check_shape("binomial", shape, _shape_of(count), _shape_of(prob))
    if dtypes.kind(prob.dtype) not in "fc":
        prob = prob.astype(jnp.result_type(float))
    count = jnp.broadcast_to(count.astype(prob.dtype), shape)
    prob = jnp.broadcast_to(prob, shape)
    p_lt_half = prob < 0.5
    q = jnp.where(p_lt_half, prob, 1.0 - prob)
    count_bad = jnp.isnan(count) | (count < 0.0)
    count_inf = jnp.isinf(count)
    q_nan, q_neg = jnp.isnan(q), q < 0.0
    q = jnp.where(q_nan | q_neg, jnp.full_like(q, 0.01), q)
    use_inv = count_bad | (count * q <= 10.0)
    count = jnp.floor(count)
    count_inv = jnp.where(use_inv, count, jnp.zeros_like(count))
    count_btrs = jnp.where(use_inv, jnp.full_like(count, 1e4), count)
    q_btrs = jnp.where(use_inv, jnp.full_like(q, 0.5), q)
    max_iters = np.asarray(dtypes.finfo(dtype).max, dtype)
    # both algorithms draw from the same key, as in JAX
    samples = jnp.where(use_inv,
                        _binomial_inversion(data, count_inv, q, shape, dtype, max_iters),
                        _btrs(data, count_btrs, q_btrs, shape, dtype, max_iters))
    invalid = q_neg | q_nan | count_bad
    samples = jnp.where(invalid, jnp.full_like(samples, np.nan), samples)
    samples = jnp.where(count_inf & ~invalid, jnp.full_like(samples, np.inf), samples)
    return jnp.where(p_lt_half | count_bad | q_nan | count_inf, samples,
                     count.astype(dtype) - samples)


def binomial(key, n, p, shape=None, dtype=None):
    """Binomial(n, p) counts as floats (the broadcast shape of n and p by default)."""
    data, _ = _keys.check_key("binomial", key)
    dtype = _float_dtype("binomial", dtype)
    return _binomial(data, n, p, shape, dtype)


def multinomial(key, n, p, *, shape=None, dtype=None, unroll=1):
    """Counts of each outcome (last axis of p) in n trials, by successive binomials."""
    data, _ = _keys.check_key("multinomial", key)
    dtype = _float_dtype("multinomial", dtype)
    n, p = jnp.asarray(n), jnp.asarray(p)
    ft = jnp.result_type(n, p, float) if dtypes.kind(n.dtype) not in "fc" or \
        dtypes.kind(p.dtype) not in "fc" \
        else jnp.result_type(n, p)
    n, p = n.astype(ft), p.astype(ft)
    shape = _shape_of(p) if shape is None else _shape(shape)
    n = jnp.broadcast_to(n, shape[:-1])
    p = jnp.broadcast_to(p, shape)
    p = jnp.moveaxis(p, -1, 0)
    remaining = jnp.flip(jnp.cumsum(jnp.flip(p, 0), axis=0), 0)
    ratios = p / jnp.where(remaining == 0, 1, remaining)
    keys = _keys.split_data(data, ratios.shape[0])

    def step(remainder, ratio_key):
        ratio, k = ratio_key
        count = _binomial(k, remainder, jnp.clip(ratio, 0, 1), None, remainder.dtype)
        return remainder - count, count
    _, counts = scan(step, n, (ratios, keys), unroll=unroll)
    return jnp.moveaxis(counts, 0, -1).astype(dtype)
