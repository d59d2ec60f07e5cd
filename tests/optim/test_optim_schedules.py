"""Learning-rate schedules against their formulas, at Python ints, int32 arrays, and under
jit + vmap over the step count (one compiled module for all of them)."""
from __future__ import annotations

import math

import numpy as np
import pytest

import irax
import irax.numpy as jnp
from irax import optim

COUNTS = list(range(0, 40, 3)) + [7, 10, 25, 30, 31]


def _linear(t, init, end, steps, begin=0):
    frac = 1 - min(max(t - begin, 0), steps) / steps
    return (init - end) * frac + end


def _cosine(t, init, steps, alpha=0.0, exponent=1.0):
    c = 0.5 * (1 + math.cos(math.pi * min(t, steps) / steps))
    return init * ((1 - alpha) * c ** exponent + alpha)


def _exponential(t, init, steps, rate, begin=0, staircase=False, end=None):
    if t - begin <= 0:
        return init
    p = (t - begin) / steps
    value = init * rate ** (math.floor(p) if staircase else p)
    if end is not None:
        value = max(value, end) if rate < 1 else min(value, end)
    return value


def _piecewise(t, init, boundaries_and_scales):
    value = init
    for boundary, scale in sorted(boundaries_and_scales.items()):
        if t >= boundary:
            value *= scale
    return value


def _warmup_cosine(t, init, peak, warmup, decay_steps, end=0.0, exponent=1.0):
    if t < warmup:
        return _linear(t, init, peak, warmup)
    return _cosine(t - warmup, peak, decay_steps - warmup, end / peak, exponent)


# name -> (irax schedule, the formula at an integer step)
SCHEDULES = {
    "constant": (optim.constant_schedule(0.3), lambda t: 0.3),
    "linear": (optim.linear_schedule(1.0, 0.1, 20, transition_begin=5),
               lambda t: _linear(t, 1.0, 0.1, 20, 5)),
    "polynomial": (optim.polynomial_schedule(1.0, 0.2, 2.0, 30),
                   lambda t: 0.8 * (1 - min(t, 30) / 30) ** 2 + 0.2),
    "exponential": (optim.exponential_decay(2.0, 10, 0.5), lambda t: _exponential(t, 2.0, 10, 0.5)),
    "exponential_staircase_end": (
        optim.exponential_decay(2.0, 4, 0.5, transition_begin=3, staircase=True, end_value=0.1),
        lambda t: _exponential(t, 2.0, 4, 0.5, 3, True, 0.1)),
    "exponential_growth_capped": (optim.exponential_decay(1.0, 5, 2.0, end_value=8.0),
                                  lambda t: _exponential(t, 1.0, 5, 2.0, end=8.0)),
    "cosine": (optim.cosine_decay_schedule(0.5, 25), lambda t: _cosine(t, 0.5, 25)),
    "cosine_alpha_exponent": (optim.cosine_decay_schedule(0.5, 25, alpha=0.1, exponent=2.0),
                              lambda t: _cosine(t, 0.5, 25, 0.1, 2.0)),
    "piecewise": (optim.piecewise_constant_schedule(1.0, {10: 0.5, 25: 0.1, 4: 2.0}),
                  lambda t: _piecewise(t, 1.0, {10: 0.5, 25: 0.1, 4: 2.0})),
    "warmup_cosine": (optim.warmup_cosine_decay_schedule(0.0, 1.0, 8, 30, end_value=0.05),
                      lambda t: _warmup_cosine(t, 0.0, 1.0, 8, 30, 0.05)),
    "warmup_exponential": (
        optim.warmup_exponential_decay_schedule(0.1, 1.0, 5, 10, 0.5),
        lambda t: _linear(t, 0.1, 1.0, 5) if t < 5 else _exponential(t - 5, 1.0, 10, 0.5)),
}


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_schedule_matches_formula_at_int_and_int32_counts(name):
    schedule, formula = SCHEDULES[name]
    for t in COUNTS:
        want = formula(t)
        assert float(schedule(t)) == pytest.approx(want, rel=1e-6, abs=1e-7), (name, t)
        got = schedule(jnp.asarray(t, dtype=jnp.int32))
        assert float(got) == pytest.approx(want, rel=1e-6, abs=1e-7), (name, t)


def test_all_schedules_jit_vmap_over_the_count():
    names = sorted(SCHEDULES)
    counts = np.asarray(COUNTS, dtype=np.int32)

    @irax.jit
    def evaluate(count):
        return {n: jnp.asarray(SCHEDULES[n][0](count), dtype=jnp.float32) for n in names}

    got = irax.vmap(evaluate)(jnp.asarray(counts))
    for n in names:
        want = [SCHEDULES[n][1](int(t)) for t in counts]
        np.testing.assert_allclose(np.asarray(got[n]), want, rtol=1e-6, atol=1e-7, err_msg=n)


def test_schedule_as_learning_rate_uses_the_count_before_each_update():
    lr = optim.piecewise_constant_schedule(1.0, {2: 0.1})
    opt = optim.sgd(lr)
    params = {"p": jnp.asarray([0.0])}
    state = opt.init(params)
    seen = []
    for _ in range(4):
        updates, state = opt.update({"p": jnp.asarray([1.0])}, state, params)
        seen.append(float(-updates["p"][0]))
    np.testing.assert_allclose(seen, [1.0, 1.0, 0.1, 0.1], rtol=1e-6)
    assert np.asarray(state[1].count).dtype == np.int32 and int(state[1].count) == 4
