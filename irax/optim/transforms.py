"""Gradient transformations: the building blocks the optimizers in aliases.py chain.

Formulas follow optax (moments, bias correction, where eps goes); each state is
a NamedTuple so that a jitted or exported train step takes and returns it.
"""
from __future__ import annotations

from typing import Any, NamedTuple

from .. import numpy as jnp
from .. import tree_util
from ..lax import rsqrt
from .base import (EmptyState, GradientTransformation, global_norm, identity,
                   init_empty_state, safe_int32_increment, tree_cast, tree_full_like,
                   tree_zeros_like, zero_count)

_NO_PARAMS = "You are using a transformation that requires the current value of parameters, " \
             "but you are not passing `params` when calling `update`."


class TraceState(NamedTuple):
    trace: Any


class ScaleByAdamState(NamedTuple):
    count: Any
    mu: Any
    nu: Any


class ScaleByRmsState(NamedTuple):
    nu: Any


class ScaleByRmsWithCountState(NamedTuple):
    count: Any
    nu: Any


class ScaleByRStdDevState(NamedTuple):
    mu: Any
    nu: Any


class ScaleByRStdDevWithCountState(NamedTuple):
    count: Any
    mu: Any
    nu: Any


class ScaleByRssState(NamedTuple):
    sum_of_squares: Any


class ScaleByScheduleState(NamedTuple):
    count: Any


class WeightDecayScheduleState(NamedTuple):
    count: Any


def _map(f, *trees):
    return tree_util.tree_map(f, *trees)


def _moment(updates, moments, decay, order: int):
    """Exponential moving average of g ** order."""
    return _map(lambda g, t: (1 - decay) * (g ** order) + decay * t, updates, moments)


def _bias_corrected(moment, decay, count):
    correction = 1 - decay ** count
    return _map(lambda t: t / jnp.asarray(correction).astype(t.dtype), moment)


def scale(step_size) -> GradientTransformation:
    return GradientTransformation(
        init_empty_state,
        lambda updates, state, params=None: (_map(lambda g: step_size * g, updates), state))


def scale_by_schedule(step_size_fn) -> GradientTransformation:
    """Multiplies by step_size_fn(count), count = number of updates so far."""
    def init(params):
        return ScaleByScheduleState(count=zero_count())

    def update(updates, state, params=None):
        step_size = step_size_fn(state.count)
        updates = _map(lambda g: jnp.asarray(step_size, dtype=g.dtype) * g, updates)
        return updates, ScaleByScheduleState(count=safe_int32_increment(state.count))
    return GradientTransformation(init, update)


def scale_by_learning_rate(learning_rate, *, flip_sign: bool = True) -> GradientTransformation:
    """-learning_rate * updates (a descent step); learning_rate may be a schedule."""
    if learning_rate is None:
        return identity()
    sign = -1 if flip_sign else 1
    if callable(learning_rate):
        return scale_by_schedule(lambda count: sign * learning_rate(count))
    return scale(sign * learning_rate)


def trace(decay, nesterov: bool = False, accumulator_dtype=None) -> GradientTransformation:
    """Momentum: t <- g + decay * t; emits t (or g + decay * t with nesterov)."""
    def init(params):
        return TraceState(trace=tree_zeros_like(params, accumulator_dtype))

    def update(updates, state, params=None):
        step = lambda g, t: g + decay * t  # noqa: E731
        new_trace = _map(step, updates, state.trace)
        updates = _map(step, updates, new_trace) if nesterov else new_trace
        return updates, TraceState(trace=tree_cast(new_trace, accumulator_dtype))
    return GradientTransformation(init, update)


def scale_by_adam(b1=0.9, b2=0.999, eps=1e-8, eps_root=0.0, mu_dtype=None, *,
                  nesterov: bool = False) -> GradientTransformation:
    """m_hat / (sqrt(v_hat + eps_root) + eps) with bias-corrected moments (Kingma & Ba)."""
    def init(params):
        return ScaleByAdamState(count=zero_count(), mu=tree_zeros_like(params, mu_dtype),
                                nu=tree_zeros_like(params))

    def update(updates, state, params=None):
        mu = _moment(updates, state.mu, b1, 1)
        nu = _moment(updates, state.nu, b2, 2)
        count = safe_int32_increment(state.count)
        if nesterov:
            mu_hat = _map(lambda m, g: b1 * m + (1 - b1) * g,
                          _bias_corrected(mu, b1, safe_int32_increment(count)),
                          _bias_corrected(updates, b1, count))
        else:
            mu_hat = _bias_corrected(mu, b1, count)
        nu_hat = _bias_corrected(nu, b2, count)
        updates = _map(lambda m, v: m / (jnp.sqrt(v + eps_root) + eps), mu_hat, nu_hat)
        return updates, ScaleByAdamState(count=count, mu=tree_cast(mu, mu_dtype), nu=nu)
    return GradientTransformation(init, update)


def _inverse_root(n, eps, eps_in_sqrt: bool):
    return rsqrt(n + eps) if eps_in_sqrt else 1 / (jnp.sqrt(n) + eps)


def scale_by_rms(decay=0.9, eps=1e-8, initial_scale=0.0, eps_in_sqrt: bool = True,
                 bias_correction: bool = False) -> GradientTransformation:
    """g / sqrt(EMA(g^2) + eps) (Hinton's RMSProp)."""
    def init(params):
        nu = tree_full_like(params, initial_scale)
        return ScaleByRmsWithCountState(zero_count(), nu) if bias_correction else \
            ScaleByRmsState(nu)

    def update(updates, state, params=None):
        nu = _moment(updates, state.nu, decay, 2)
        if bias_correction:
            count = safe_int32_increment(state.count)
            nu_hat = _bias_corrected(nu, decay, count)
        else:
            nu_hat = nu
        updates = _map(lambda n, g: _inverse_root(n, eps, eps_in_sqrt) * g, nu_hat, updates)
        return updates, (ScaleByRmsWithCountState(count, nu) if bias_correction else
                         ScaleByRmsState(nu))
    return GradientTransformation(init, update)


def scale_by_stddev(decay=0.9, eps=1e-8, initial_scale=0.0, eps_in_sqrt: bool = True,
                    bias_correction: bool = False) -> GradientTransformation:
    """g / sqrt(EMA(g^2) - EMA(g)^2 + eps): centred RMSProp (Graves 2013)."""
    def init(params):
        mu, nu = tree_zeros_like(params), tree_full_like(params, initial_scale)
        return ScaleByRStdDevWithCountState(zero_count(), mu, nu) if bias_correction else \
            ScaleByRStdDevState(mu, nu)

    def update(updates, state, params=None):
        mu = _moment(updates, state.mu, decay, 1)
        nu = _moment(updates, state.nu, decay, 2)
        if bias_correction:
            count = safe_int32_increment(state.count)
            mu_hat, nu_hat = _bias_corrected(mu, decay, count), _bias_corrected(nu, decay, count)
        else:
            mu_hat, nu_hat = mu, nu
        updates = _map(lambda m, n, g: _inverse_root(n - jnp.square(m), eps, eps_in_sqrt) * g,
                       mu_hat, nu_hat, updates)
        return updates, (ScaleByRStdDevWithCountState(count, mu, nu) if bias_correction else
                         ScaleByRStdDevState(mu, nu))
    return GradientTransformation(init, update)


def scale_by_rss(initial_accumulator_value=0.1, eps=1e-7) -> GradientTransformation:
    """g / sqrt(sum of all g^2 so far + eps) (AdaGrad); 0 where the sum is 0."""
    def init(params):
        return ScaleByRssState(sum_of_squares=tree_full_like(params, initial_accumulator_value))

    def update(updates, state, params=None):
        sum_of_squares = _map(lambda g, t: jnp.square(g) + t, updates, state.sum_of_squares)
        inv_root = _map(lambda t: jnp.where(t > 0, rsqrt(t + eps), 0.0), sum_of_squares)
        return _map(lambda s, g: s * g, inv_root, updates), ScaleByRssState(sum_of_squares)
    return GradientTransformation(init, update)


def _safe_norm(x, min_norm):
    """max(||x||, min_norm), with a gradient that is finite at x = 0."""
    norm = jnp.linalg.norm(x, keepdims=True)
    x = jnp.where(norm <= min_norm, jnp.ones_like(x), x)
    return jnp.where(jnp.squeeze(norm) <= min_norm, min_norm, jnp.linalg.norm(x))


def scale_by_trust_ratio(min_norm=0.0, trust_coefficient=1.0, eps=0.0
                         ) -> GradientTransformation:
    """Scales each leaf by ||param|| / ||update|| (LARS/LAMB); by 1 where either norm is 0."""
    def update(updates, state, params=None):
        if params is None:
            raise ValueError(_NO_PARAMS)

        def one(u, p):
            p_norm, u_norm = _safe_norm(p, min_norm), _safe_norm(u, min_norm)
            ratio = trust_coefficient * p_norm / (u_norm + eps)
            zero = jnp.logical_or(p_norm == 0.0, u_norm == 0.0)
            return u * jnp.where(zero, jnp.asarray(1.0, dtype=p.dtype), ratio)
        return _map(one, updates, params), state
    return GradientTransformation(init_empty_state, update)


def _mask_tree(mask, params):
    return mask(params) if callable(mask) else mask


def add_decayed_weights(weight_decay=0.0, mask=None) -> GradientTransformation:
    """updates + weight_decay * params (decoupled weight decay), on the leaves mask selects."""
    def init(params):
        return WeightDecayScheduleState(zero_count()) if callable(weight_decay) else EmptyState()

    def update(updates, state, params=None):
        if params is None:
            raise ValueError(_NO_PARAMS)
        if callable(weight_decay):
            rate, state = weight_decay(state.count), \
                WeightDecayScheduleState(safe_int32_increment(state.count))
        elif isinstance(weight_decay, (int, float)) and weight_decay == 0.0:
            return updates, state
        else:
            rate = weight_decay
        if mask is None:
            return _map(lambda g, p: g + rate * p, updates, params), state
        return _map(lambda g, p, m: g + rate * p if m else g,
                    updates, params, _mask_tree(mask, params)), state
    return GradientTransformation(init, update)


def clip(max_delta) -> GradientTransformation:
    """Clips every element to [-max_delta, max_delta]."""
    return GradientTransformation(
        init_empty_state,
        lambda updates, state, params=None:
            (_map(lambda g: jnp.clip(g, -max_delta, max_delta), updates), state))


def clip_by_global_norm(max_norm) -> GradientTransformation:
    """Rescales all updates together so that their global norm is at most max_norm."""
    def update(updates, state, params=None):
        g_norm = global_norm(updates)
        keep = g_norm < max_norm
        return _map(lambda t: jnp.where(keep, t, (t / g_norm.astype(t.dtype)) * max_norm),
                    updates), state
    return GradientTransformation(init_empty_state, update)
