"""Common losses (as optax.losses): elementwise or per example, never averaged here."""
from __future__ import annotations

import numpy as np

from .. import numpy as jnp
from ..nn import log_sigmoid, log_softmax, logsumexp, one_hot
from ..tracer.core import get_aval
from ..tracer import dtypes


def _require_float(name: str, x) -> None:
    dtype = get_aval(x).dtype
    if dtypes.kind(dtype) != "f":
        raise ValueError(f"{name}: expected a floating-point array, got dtype {dtype}")


def _errors(name: str, predictions, targets):
    predictions = jnp.asarray(predictions)
    _require_float(name, predictions)
    if targets is None:
        return predictions
    targets = jnp.asarray(targets)
    if get_aval(predictions).shape != get_aval(targets).shape:
        raise ValueError(f"{name}: predictions and targets must have the same shape, got "
                         f"{get_aval(predictions).shape} and {get_aval(targets).shape}")
    return predictions - targets


def squared_error(predictions, targets=None):
    return _errors("squared_error", predictions, targets) ** 2


def l2_loss(predictions, targets=None):
    return 0.5 * squared_error(predictions, targets)


def huber_loss(predictions, targets=None, *, delta=1.0):
    """0.5 e^2 for |e| <= delta, delta (|e| - delta / 2) beyond."""
    abs_errors = jnp.abs(_errors("huber_loss", predictions, targets))
    quadratic = jnp.minimum(abs_errors, delta)
    return 0.5 * quadratic ** 2 + delta * (abs_errors - quadratic)


def log_cosh(predictions, targets=None):
    errors = _errors("log_cosh", predictions, targets)
    return jnp.logaddexp(errors, -errors) - np.log(2.0).astype(get_aval(errors).dtype)


def sigmoid_binary_cross_entropy(logits, labels):
    logits = jnp.asarray(logits)
    _require_float("sigmoid_binary_cross_entropy", logits)
    labels = jnp.asarray(labels).astype(get_aval(logits).dtype)
    # log(1 - sigmoid(x)) as log_sigmoid(-x): no cancellation for x >> 0
    return -labels * log_sigmoid(logits) - (1.0 - labels) * log_sigmoid(-logits)


def softmax_cross_entropy(logits, labels, axis=-1, where=None):
    """-sum(labels * log_softmax(logits)) over axis; labels are probabilities."""
    logits = jnp.asarray(logits)
    _require_float("softmax_cross_entropy", logits)
    if where is not None:
        where = jnp.asarray(where)
        if get_aval(where).ndim != get_aval(logits).ndim:
            where = jnp.expand_dims(where, axis)
    log_probs = log_softmax(logits, axis, where)
    if where is not None:  # masked entries are -inf there; 0 * -inf must not give nan
        log_probs = jnp.where(where, log_probs, 0.0)
    return -jnp.sum(labels * log_probs, axis, where=where)


def softmax_cross_entropy_with_integer_labels(logits, labels, axis: int = -1, where=None):
    """logsumexp(logits) - logits[label] over axis, without normalizing every entry."""
    logits, labels = jnp.asarray(logits), jnp.asarray(labels)
    _require_float("softmax_cross_entropy_with_integer_labels", logits)
    if dtypes.kind(get_aval(labels).dtype) not in "iu":
        raise ValueError("softmax_cross_entropy_with_integer_labels: labels must be integers, "
                         f"got dtype {get_aval(labels).dtype}")
    if not isinstance(axis, (int, np.integer)):
        raise ValueError("Keyword argument 'axis' must be of type 'int' here, got "
                         f"{type(axis).__name__}")
    axis = int(axis) % get_aval(logits).ndim
    if where is not None:
        where = jnp.asarray(where)
        if get_aval(where).ndim != get_aval(logits).ndim:
            where = jnp.expand_dims(where, axis)
    # logits[label] by a one-hot select (a where, not a product: a -inf logit stays out)
    classes = get_aval(logits).shape[axis]
    picked = one_hot(labels, classes, dtype=jnp.bool_, axis=axis)
    label_logits = jnp.sum(jnp.where(picked, logits, 0.0), axis)
    out = logsumexp(logits, axis=axis, where=where) - label_logits
    if where is not None:
        out = jnp.where(jnp.any(where, axis), out, 0.0)
    return out
