"""irax.optim: optax-shaped gradient transformations, optimizers and schedules.

    opt = irax.optim.adam(1e-3)
    state = opt.init(params)
    updates, state = opt.update(grads, state, params)
    params = irax.optim.apply_updates(params, updates)
"""
from __future__ import annotations

from .aliases import adagrad, adam, adamw, lamb, nadam, rmsprop, sgd
from .base import (EmptyState, GradientTransformation, Schedule, apply_updates, chain,
                   global_norm, identity, init_empty_state, safe_int32_increment)
from .losses import (huber_loss, l2_loss, log_cosh, sigmoid_binary_cross_entropy,
                     softmax_cross_entropy, softmax_cross_entropy_with_integer_labels,
                     squared_error)
from .schedules import (constant_schedule, cosine_decay_schedule, exponential_decay,
                        join_schedules, linear_schedule, piecewise_constant_schedule,
                        polynomial_schedule, warmup_cosine_decay_schedule,
                        warmup_exponential_decay_schedule)
from .transforms import (ScaleByAdamState, ScaleByRmsState, ScaleByRmsWithCountState,
                         ScaleByRssState, ScaleByRStdDevState, ScaleByRStdDevWithCountState,
                         ScaleByScheduleState, TraceState, WeightDecayScheduleState,
                         add_decayed_weights, clip, clip_by_global_norm, scale, scale_by_adam,
                         scale_by_learning_rate, scale_by_rms, scale_by_rss, scale_by_schedule,
                         scale_by_stddev, scale_by_trust_ratio, trace)

__all__ = [name for name in dir() if not name.startswith("_") and name != "annotations"]
