"""Gamma-family samplers: Marsaglia-Tsang rejection with JAX 0.10's loop structure and
key usage (so accepted draws match JAX's up to the rounding of log/pow), and Poisson
(Knuth below lambda 10, Hormann's transformed rejection above)."""
from __future__ import annotations

import numpy as np

from .. import numpy as jnp
from ..custom_derivatives import SymbolicZero, custom_jvp
from ..scipy._gamma_fns import igamma_parts
from ..tracer.api import vmap
from ..tracer.core import get_aval
from ..tracer.prims import elementwise as ew
from ..tracer.prims import shape as sh
from ..lax.control_flow import while_loop
from . import _keys
from ._distributions import (_as, _check_shape, _exponential, _float_dtype, _int_dtype,
                             _normal, _shape, _shape_of, _uniform)
from ._special import lgamma


def _split(data, n):
    return _keys.unstack(_keys.split_data(data, n), n)


def _gamma_one(data, alpha, log_space: bool):
    dtype = get_aval(alpha).dtype

    def c(v):
        return sh.full((), v, dtype)
    zero, one = c(0), c(1)
    # alpha < 1: draw Gamma(alpha + 1) and scale by Uniform^(1/alpha)
    boost_mask = ew.ge_p.bind(alpha, one)
    alpha_orig = alpha
    alpha = ew.select(boost_mask, alpha, ew.add(alpha, one))
    d = ew.sub(alpha, c(1. / 3.))
    cc = ew.div(c(1. / 3.), ew.sqrt(d))

    def reject(state):
        _, X, V, U = state
        squeeze = ew.ge_p.bind(U, ew.sub(one, ew.mul(c(0.0331), ew.mul(X, X))))
        log_test = ew.ge_p.bind(ew.log(U), ew.add(ew.mul(X, c(0.5)),
                                                  ew.mul(d, ew.add(ew.sub(one, V), ew.log(V)))))
        return ew.and_p.bind(squeeze, log_test)

    def propose(state):
        key = state[0]
        key, x_key, u_key = _split(key, 3)

        def next_x(kxv):
            k, sub = _split(kxv[0], 2)
            x = _normal(sub, (), dtype)
            return k, x, ew.add(one, ew.mul(x, cc))
        _, x, v = while_loop(lambda kxv: ew.le_p.bind(kxv[2], zero), next_x,
                             (x_key, zero, c(-1)))
        X = ew.mul(x, x)
        V = ew.mul(ew.mul(v, v), v)
        U = _uniform(u_key, (), dtype, 0., 1.)
        return key, X, V, U

    key, sub = _split(data, 2)
    _, _, V, _ = while_loop(reject, propose, (key, zero, one, c(2)))
    if log_space:
        log_samples = ew.neg(_exponential(sub, (), dtype))
        log_boost = ew.select(ew.or_p.bind(boost_mask, ew.eq(log_samples, zero)), zero,
                              ew.mul(log_samples, ew.div(one, alpha_orig)))
        return ew.add(ew.add(ew.log(d), ew.log(V)), log_boost)
    samples = ew.sub(one, _uniform(sub, (), dtype, 0., 1.))
    boost = ew.select(boost_mask, one, ew.pow_p.bind(samples, ew.div(one, alpha_orig)))
    return ew.mul(ew.mul(d, V), boost)


def _gamma(data, a, shape, dtype, log_space):
    a = jnp.asarray(a)
    shape = _shape_of(a) if shape is None else _shape(shape)
    _check_shape("gamma", shape, _shape_of(a))
    a = jnp.broadcast_to(_as(a, dtype), shape)
    count = int(np.prod(shape, dtype=np.int64))
    if count == 0:
        return jnp.zeros(shape, dtype)
    keys = _keys.split_data(data, count)
    draw = _log_gamma_draws if log_space else _gamma_draws
    return jnp.reshape(draw(keys, jnp.reshape(a, (count,))), shape)


# The draws' derivative in alpha is the implicit one (as JAX's): a sample z keeps its
# quantile P(alpha, z) = u fixed, so dz/dalpha = -(dP/dalpha) / (dP/dz), where dP/dz is
# the density z^(alpha-1) e^-z / Gamma(alpha). The rejection loop is not differentiated.
@custom_jvp
def _gamma_draws(keys, alpha):
    return vmap(lambda k, al: _gamma_one(k, al, False))(keys, alpha)


@custom_jvp
def _log_gamma_draws(keys, alpha):
    return vmap(lambda k, al: _gamma_one(k, al, True))(keys, alpha)


def _log_density_and_dp(alpha, z):
    """log of the Gamma(alpha) density at z, and dP(alpha, z)/dalpha."""
    _, _, dp = igamma_parts(alpha, z, with_grad=True)
    safe_z = jnp.where(z > 0, z, 1.0)
    return (alpha - 1) * jnp.log(safe_z) - safe_z - lgamma(alpha), dp


@_gamma_draws.defjvp
def _gamma_draws_jvp(primals, tangents):
    keys, alpha = primals
    z = _gamma_draws(keys, alpha)
    log_pdf, dp = _log_density_and_dp(alpha, z)
    dz = jnp.where(z > 0, -dp / jnp.exp(log_pdf), 0.0)
    return z, dz * _tangent(tangents[1], alpha)


@_log_gamma_draws.defjvp
def _log_gamma_draws_jvp(primals, tangents):
    keys, alpha = primals
    log_z = _log_gamma_draws(keys, alpha)
    z = jnp.exp(log_z)
    log_pdf, dp = _log_density_and_dp(alpha, z)
    # d(log z) = dz / z, and density * z = exp(log_pdf + log z)
    dlog_z = jnp.where(z > 0, -dp / jnp.exp(log_pdf + log_z), 0.0)
    return log_z, dlog_z * _tangent(tangents[1], alpha)


def _tangent(t, like):
    return jnp.zeros_like(like) if isinstance(t, SymbolicZero) else t


def gamma(key, a, shape=None, dtype=None):
    data, _ = _keys.check_key("gamma", key)
    return _gamma(data, a, shape, _float_dtype("gamma", dtype), False)


def loggamma(key, a, shape=None, dtype=None):
    data, _ = _keys.check_key("loggamma", key)
    return _gamma(data, a, shape, _float_dtype("loggamma", dtype), True)


def beta(key, a, b, shape=None, dtype=None):
    data, _ = _keys.check_key("beta", key)
    dtype = _float_dtype("beta", dtype)
    if shape is None:
        shape = jnp.broadcast_shapes(_shape_of(jnp.asarray(a)), _shape_of(jnp.asarray(b)))
    else:
        shape = _shape(shape)
        _check_shape("beta", shape, _shape_of(jnp.asarray(a)), _shape_of(jnp.asarray(b)))
    key_a, key_b = _split(data, 2)
    a = jnp.broadcast_to(_as(a, dtype), shape)
    b = jnp.broadcast_to(_as(b, dtype), shape)
    log_a = _gamma(key_a, a, shape, dtype, True)
    log_b = _gamma(key_b, b, shape, dtype, True)
    # gamma_a / (gamma_a + gamma_b) without overflow
    log_max = jnp.maximum(log_a, log_b)
    ga, gb = jnp.exp(log_a - log_max), jnp.exp(log_b - log_max)
    return ga / (ga + gb)


def dirichlet(key, alpha, shape=None, dtype=None):
    data, _ = _keys.check_key("dirichlet", key)
    dtype = _float_dtype("dirichlet", dtype)
    alpha = jnp.asarray(alpha)
    ashape = _shape_of(alpha)
    if len(ashape) < 1:
        raise ValueError(f"dirichlet requires alpha.ndim >= 1, got alpha.ndim == {len(ashape)}")
    if shape is None:
        shape = ashape[:-1]
    else:
        shape = _shape(shape)
        _check_shape("dirichlet", shape, ashape[:-1])
    log_g = _gamma(data, _as(alpha, dtype), tuple(shape) + ashape[-1:], dtype, True)
    unnormalized = jnp.exp(log_g - jnp.max(log_g, axis=-1, keepdims=True))
    return unnormalized / jnp.sum(unnormalized, axis=-1, keepdims=True)


# ---------------------------------------------------------------------------
# Poisson


def _poisson_knuth(data, lam, shape, dtype, max_iters):
    def body(carry):
        i, k, rng, log_prod = carry
        rng, sub = _split(rng, 2)
        k = ew.select(ew.gt(log_prod, ew.neg(lam)), ew.add(k, sh.full(shape, 1, dtype)), k)
        u = _uniform(sub, shape, np.dtype(np.float32), 0., 1.)
        return ew.add(i, sh.full((), 1, np.int32)), k, rng, ew.add(log_prod, ew.log(u))

    def cond(carry):
        i, log_prod = carry[0], carry[3]
        return jnp.any(ew.gt(log_prod, ew.neg(lam))) & (i < max_iters)

    init = (sh.full((), 0, np.int32), sh.full(shape, 0, dtype), data,
            sh.full(shape, 0, np.float32))
    k = while_loop(cond, body, init)[1]
    return ew.sub(k, sh.full(shape, 1, dtype))


def _poisson_rejection(data, lam, shape, dtype, max_iters):
    f32 = np.dtype(np.float32)

    def c(v):
        return sh.full(shape, v, f32)
    log_lam = ew.log(lam)
    b = c(0.931) + c(2.53) * ew.sqrt(lam)
    a = c(-0.059) + c(0.02483) * b
    inv_alpha = c(1.1239) + c(1.1328) / (b - c(3.4))
    v_r = c(0.9277) - c(3.6224) / (b - c(2))

    def body(carry):
        i, k_out, accepted, key = carry
        key, sub0, sub1 = _split(key, 3)
        u = _uniform(sub0, shape, f32, 0., 1.) - c(0.5)
        v = _uniform(sub1, shape, f32, 0., 1.)
        u_shifted = c(0.5) - jnp.abs(u)
        k = jnp.floor((c(2) * a / u_shifted + b) * u + lam + c(0.43))
        s = ew.log(v * inv_alpha / (a / (u_shifted * u_shifted) + b))
        t = -lam + k * log_lam - lgamma(k + c(1))
        accept1 = (u_shifted >= c(0.07)) & (v <= v_r)
        reject = (k < c(0)) | ((u_shifted < c(0.013)) & (v > u_shifted))
        accept = accept1 | (~reject & (s <= t))
        k_out = ew.select(accept, k, k_out)
        return ew.add(i, sh.full((), 1, np.int32)), k_out, accepted | accept, key

    def cond(carry):
        i, _, accepted, _ = carry
        return jnp.any(~accepted) & (i < max_iters)

    init = (sh.full((), 0, np.int32), c(-1), sh.full(shape, False, np.bool_), data)
    k = while_loop(cond, body, init)[1]
    return ew.convert_element_type(k, dtype)


def poisson(key, lam, shape=None, dtype=None):
    data, _ = _keys.check_key("poisson", key)
    dtype = _int_dtype("poisson", dtype)
    lam = jnp.asarray(lam)
    shape = _shape_of(lam) if shape is None else _shape(shape)
    lam = _as(jnp.broadcast_to(lam, shape), np.float32)
    use_knuth = ew.ne_p.bind(lam, lam) | (lam < 10)
    lam_knuth = ew.select(use_knuth, lam, sh.full(shape, 0.0, np.float32))
    lam_rejection = ew.select(use_knuth, sh.full(shape, 1e5, np.float32), lam)
    max_iters = np.iinfo(np.int32).max   # as good as unbounded, as JAX's
    result = ew.select(use_knuth, _poisson_knuth(data, lam_knuth, shape, dtype, max_iters),
                       _poisson_rejection(data, lam_rejection, shape, dtype, max_iters))
    return ew.select(ew.eq(lam, sh.full(shape, 0, np.float32)), jnp.zeros(shape, dtype), result)
