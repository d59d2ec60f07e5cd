"""irax.optim losses: literal optax 0.2.8 outputs (on JAX 0.10.2), NumPy/SciPy formulas in
float64, analytic gradients, and one jitted module."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import special

import irax
import irax.numpy as jnp
from irax import optim

LOGITS = np.float32([[2.0, -1.0, 0.5, 30.0], [-50.0, 0.0, 1.0, 2.0], [0.0, 0.0, 0.0, 0.0]])
PROBS = np.float32([[0.1, 0.2, 0.3, 0.4], [0.0, 0.0, 1.0, 0.0], [0.25, 0.25, 0.25, 0.25]])
INTS = np.int32([3, 0, 2])
MASK = np.array([[True, True, False, True], [True, True, True, True], [False] * 4])
PRED = np.float32([-3.0, -0.5, 0.0, 0.2, 2.5, 40.0])
TARGET = np.float32([0.0, 0.0, 0.5, 0.0, 0.0, 1.0])
BIN_LOGITS = np.float32([-40.0, -2.0, 0.0, 1.5, 40.0, 3.0])
BIN_LABELS = np.float32([0, 1, 1, 0, 1, 0.3])

# optax.losses.<name>(...) on the arrays above, float32
OPTAX_LOSSES = {
    'softmax_cross_entropy': [17.850000381469727, 1.4076058864593506, 1.3862943649291992],
    'softmax_cross_entropy_where': [9.0, 1.4076058864593506, -0.0],
    'integer_labels': [0.0, 52.4076042175293, 1.3862943649291992],
    'integer_labels_where': [0.0, 52.4076042175293, 0.0],
    'sigmoid_binary_cross_entropy': [4.24835413113866e-18, 2.1269280910491943, 0.6931471824645996, 1.7014132738113403, 4.24835413113866e-18, 2.148587226867676],
    'squared_error': [9.0, 0.25, 0.25, 0.04000000283122063, 6.25, 1521.0],
    'l2_loss': [4.5, 0.125, 0.125, 0.020000001415610313, 3.125, 760.5],
    'huber_loss': [3.375, 0.125, 0.125, 0.020000001415610313, 2.625, 57.375],
    'log_cosh': [2.309328556060791, 0.12011450529098511, 0.12011450529098511, 0.019868075847625732, 1.813568115234375, 38.306854248046875],
}


def _all_losses(logits, probs, ints, mask, pred, target, bin_logits, bin_labels):
    L = optim
    return {
        "softmax_cross_entropy": L.softmax_cross_entropy(logits, probs),
        "softmax_cross_entropy_where": L.softmax_cross_entropy(logits, probs, where=mask),
        "integer_labels": L.softmax_cross_entropy_with_integer_labels(logits, ints),
        "integer_labels_where": L.softmax_cross_entropy_with_integer_labels(
            logits, jnp.asarray([3, 0, 1], dtype=jnp.int32), where=mask),
        "sigmoid_binary_cross_entropy": L.sigmoid_binary_cross_entropy(bin_logits, bin_labels),
        "squared_error": L.squared_error(pred, target),
        "l2_loss": L.l2_loss(pred, target),
        "huber_loss": L.huber_loss(pred, target, delta=1.5),
        "log_cosh": L.log_cosh(pred, target),
    }


ARGS = (LOGITS, PROBS, INTS, MASK, PRED, TARGET, BIN_LOGITS, BIN_LABELS)


@pytest.mark.parametrize("mode", ["eager", "jit"])
def test_losses_match_optax_literals(mode):
    fn = _all_losses if mode == "eager" else irax.jit(_all_losses)
    got = fn(*(jnp.asarray(a) for a in ARGS))
    for name, want in OPTAX_LOSSES.items():
        np.testing.assert_allclose(np.asarray(got[name]), np.float32(want), rtol=2e-6,
                                   atol=1e-30, err_msg=name)


def test_losses_against_numpy_formulas_and_gradients_float64(x64):
    rng = np.random.default_rng(0)
    logits, probs = rng.normal(size=(5, 7)) * 3, rng.dirichlet(np.ones(7), size=5)
    labels = rng.integers(0, 7, size=5).astype(np.int32)
    log_p = special.log_softmax(logits, axis=-1)
    np.testing.assert_allclose(
        np.asarray(optim.softmax_cross_entropy(jnp.asarray(logits), jnp.asarray(probs))),
        -(probs * log_p).sum(-1), rtol=1e-13)
    np.testing.assert_allclose(np.asarray(optim.softmax_cross_entropy_with_integer_labels(
        jnp.asarray(logits), jnp.asarray(labels))), -log_p[np.arange(5), labels], rtol=1e-13)
    # d/dlogits of the cross entropy = softmax(logits) - labels
    grad = irax.grad(lambda z: jnp.sum(optim.softmax_cross_entropy(z, jnp.asarray(probs))))(
        jnp.asarray(logits))
    np.testing.assert_allclose(np.asarray(grad), special.softmax(logits, -1) - probs,
                               rtol=1e-12, atol=1e-15)
    grad = irax.grad(lambda z: jnp.sum(optim.softmax_cross_entropy_with_integer_labels(
        z, jnp.asarray(labels))))(jnp.asarray(logits))
    np.testing.assert_allclose(np.asarray(grad),
                               special.softmax(logits, -1) - np.eye(7)[labels], rtol=1e-12,
                               atol=1e-15)
    x, y = rng.normal(size=9) * 4, rng.uniform(size=9)
    np.testing.assert_allclose(
        np.asarray(optim.sigmoid_binary_cross_entropy(jnp.asarray(x), jnp.asarray(y))),
        -y * special.log_expit(x) - (1 - y) * special.log_expit(-x), rtol=1e-13)
    grad = irax.grad(lambda v: jnp.sum(optim.sigmoid_binary_cross_entropy(v, jnp.asarray(y))))(
        jnp.asarray(x))
    np.testing.assert_allclose(np.asarray(grad), special.expit(x) - y, rtol=1e-12, atol=1e-15)
    e = x - y
    np.testing.assert_allclose(np.asarray(optim.huber_loss(jnp.asarray(x), jnp.asarray(y))),
                               np.where(np.abs(e) <= 1, 0.5 * e ** 2, np.abs(e) - 0.5),
                               rtol=1e-13)
    grad = irax.grad(lambda v: jnp.sum(optim.huber_loss(v, jnp.asarray(y))))(jnp.asarray(x))
    np.testing.assert_allclose(np.asarray(grad), np.clip(e, -1, 1), rtol=1e-13)
    np.testing.assert_allclose(np.asarray(optim.log_cosh(jnp.asarray(x), jnp.asarray(y))),
                               np.log(np.cosh(e)), rtol=1e-12)
    grad = irax.grad(lambda v: jnp.sum(optim.log_cosh(v, jnp.asarray(y))))(jnp.asarray(x))
    np.testing.assert_allclose(np.asarray(grad), np.tanh(e), rtol=1e-12)
    np.testing.assert_allclose(np.asarray(optim.l2_loss(jnp.asarray(x))), 0.5 * x ** 2,
                               rtol=1e-15)


def test_loss_errors_name_the_problem():
    with pytest.raises(ValueError, match="same shape"):
        optim.squared_error(jnp.ones(3), jnp.ones(4))
    with pytest.raises(ValueError, match="labels must be integers"):
        optim.softmax_cross_entropy_with_integer_labels(jnp.ones((2, 3)), jnp.ones(2))
    with pytest.raises(ValueError, match="floating-point"):
        optim.softmax_cross_entropy(jnp.asarray([[1, 2]]), jnp.asarray([[0.5, 0.5]]))
