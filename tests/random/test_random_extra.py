"""irax.random's ball, binomial, generalized_normal, multinomial, orthogonal against known
outputs of JAX 0.10 (random_extra_jax_values.py, literal values for PRNGKey(0) and (42)).

binomial and multinomial are bit for bit (uniform bits, floor/compare and a log whose
result is only compared); generalized_normal, ball and orthogonal go through gamma's
log/pow and a QR factorization, so they agree within a few float32 ulps. Every case runs
eagerly for both seeds; vmap over the two keys and one compiled module (jit of vmap of a
binomial, whose two while loops are the costly compile) check
the transformed samplers against the same per-key values. (A gamma-based sampler costs
~15 s of IREE compile alone, so generalized_normal and ball are checked eagerly and
under vmap, not under jit.)"""
from __future__ import annotations

import numpy as np
import pytest

import irax
import irax.random as jr
from tests.random.random_extra_jax_values import CALLS, VALUES

EXACT = {"binomial", "binomial_btrs", "binomial_edge", "multinomial", "multinomial_batch"}
SEEDS = (0, 42)


def _expected(seed, name):
    shape, dtype, flat = VALUES[seed][name]
    return np.asarray([float(v) for v in flat], dtype).reshape(shape)


def _check(got, want, name):
    got = np.asarray(got)
    assert got.dtype == want.dtype and got.shape == want.shape, (name, got.dtype, got.shape)
    if name in EXACT:
        np.testing.assert_array_equal(got, want, err_msg=name)
    else:
        np.testing.assert_allclose(got, want, rtol=2e-6, atol=3e-7, err_msg=name)


def _call(name, k):
    return eval(CALLS[name], {"jr": jr, "np": np, "k": k})


def _keys():
    return np.stack([np.asarray(jr.PRNGKey(s)) for s in SEEDS])


@pytest.mark.parametrize("name", sorted(CALLS))
def test_eager_matches_jax(name):
    for seed in SEEDS:
        _check(_call(name, jr.PRNGKey(seed)), _expected(seed, name), f"{name} seed {seed}")


@pytest.mark.parametrize("name", ["ball", "multinomial_batch"])   # (gn / binomial inside)
def test_vmap_over_keys_matches_jax(name):
    out = irax.vmap(lambda k: _call(name, k))(_keys())
    for i, seed in enumerate(SEEDS):
        _check(out[i], _expected(seed, name), f"vmap {name} seed {seed}")


JIT_CASES = ("binomial_btrs",)


def test_jit_vmap_matches_jax():
    out = irax.jit(irax.vmap(lambda k: {n: _call(n, k) for n in JIT_CASES}))(_keys())
    for name in JIT_CASES:
        for i, seed in enumerate(SEEDS):
            _check(out[name][i], _expected(seed, name), f"jit(vmap) {name} seed {seed}")


def test_typed_keys_and_dtypes():
    k = jr.key(0)
    _check(jr.binomial(k, 5, 0.3, (6,)), _expected(0, "binomial"), "binomial typed key")
    with irax.enable_x64():
        assert jr.orthogonal(jr.PRNGKey(1), 2).dtype == np.float64
        assert jr.binomial(jr.PRNGKey(1), 3, 0.5).dtype == np.float64


@pytest.mark.parametrize("call, exc", [
    (lambda: jr.ball(jr.PRNGKey(0), 2.5), TypeError),                  # d not an integer
    (lambda: jr.orthogonal(jr.PRNGKey(0), 2.0), TypeError),
    (lambda: jr.binomial(jr.PRNGKey(0), 5, 0.5, dtype=np.int32), ValueError),
    (lambda: jr.generalized_normal(jr.PRNGKey(0), 1.0, dtype=np.int32), ValueError),
    (lambda: jr.binomial(jr.PRNGKey(0), np.ones(3), 0.5, shape=(2,)), ValueError),
    (lambda: jr.ball(np.zeros(3, np.uint32), 2), TypeError),           # not a key
])
def test_bad_input_raises_like_jax(call, exc):
    with pytest.raises(exc):
        call()
