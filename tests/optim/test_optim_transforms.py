"""irax.optim transformations over several steps against NumPy re-implementations of the
published update rules (float64), eager, inside one jitted train step, and AOT-exported."""
from __future__ import annotations

import numpy as np
import pytest

import irax
import irax.numpy as jnp
from irax import optim, tree_util

STEPS = 4
_rng = np.random.default_rng(0)
PARAMS0 = {"w": _rng.normal(size=(3, 2)).astype(np.float32),
           "b": _rng.normal(size=(2,)).astype(np.float32)}
# one gradient pytree per step; the b gradient of step 2 is 0 (adagrad/trust ratio edge)
GRADS = [{"w": _rng.normal(size=(3, 2)).astype(np.float32) * (1 + 2 * i),
          "b": (_rng.normal(size=(2,)) * (i != 2)).astype(np.float32)} for i in range(STEPS)]
WD_MASK = {"w": True, "b": False}


def _lr_schedule(count):  # used both by irax (traced count) and by the references (int)
    return 0.1 * 0.5 ** (count / 2)


# ---------------------------------------------------------------------------
# NumPy references: one function (params, grads per step) -> params after each step.
# Each keeps its state in a dict per leaf and applies the formula of the method's paper
# (as optax writes it: bias-corrected moments, eps outside the square root for Adam).


def _leafwise(step_fn, init_fn):
    def run(params, grads):
        params = {k: v.astype(np.float64) for k, v in params.items()}
        state = {k: init_fn(v) for k, v in params.items()}
        history = []
        for t, g in enumerate(grads, 1):
            g = {k: v.astype(np.float64) for k, v in g.items()}
            updates = {k: step_fn(k, g[k], state[k], params[k], t) for k in params}
            params = {k: params[k] + updates[k] for k in params}
            history.append(params)
        return history
    return run


def ref_sgd(lr, momentum=None, nesterov=False):
    def step(k, g, s, p, t):
        if momentum is None:
            return -lr * g
        s["m"] = g + momentum * s["m"]
        return -lr * (g + momentum * s["m"] if nesterov else s["m"])
    return _leafwise(step, lambda p: {"m": np.zeros_like(p)})


def _adam_direction(s, g, t, b1, b2, eps, eps_root=0.0, nesterov=False):
    s["m"] = b1 * s["m"] + (1 - b1) * g
    s["v"] = b2 * s["v"] + (1 - b2) * g * g
    if nesterov:  # Dozat's Nadam, without the extra b2 factor (as optax)
        m_hat = b1 * s["m"] / (1 - b1 ** (t + 1)) + (1 - b1) * g / (1 - b1 ** t)
    else:
        m_hat = s["m"] / (1 - b1 ** t)
    v_hat = s["v"] / (1 - b2 ** t)
    return m_hat / (np.sqrt(v_hat + eps_root) + eps)


def _moments(p):
    return {"m": np.zeros_like(p), "v": np.zeros_like(p)}


def ref_adam(lr, b1=0.9, b2=0.999, eps=1e-8, eps_root=0.0, nesterov=False, schedule=None):
    def step(k, g, s, p, t):
        rate = schedule(t - 1) if schedule else lr
        return -rate * _adam_direction(s, g, t, b1, b2, eps, eps_root, nesterov)
    return _leafwise(step, _moments)


def ref_adamw(lr, weight_decay, mask=None, b1=0.9, b2=0.999, eps=1e-8):
    def step(k, g, s, p, t):
        d = _adam_direction(s, g, t, b1, b2, eps)
        if mask is None or mask[k]:
            d = d + weight_decay * p
        return -lr * d
    return _leafwise(step, _moments)


def ref_rmsprop(lr, decay=0.9, eps=1e-8, initial_scale=0.0, centered=False, momentum=None,
                eps_in_sqrt=True):
    def step(k, g, s, p, t):
        s["v"] = decay * s["v"] + (1 - decay) * g * g
        s["m"] = decay * s["m"] + (1 - decay) * g
        var = s["v"] - s["m"] ** 2 if centered else s["v"]
        u = -lr * g * (1 / np.sqrt(var + eps) if eps_in_sqrt else 1 / (np.sqrt(var) + eps))
        if momentum is None:
            return u
        s["tr"] = u + momentum * s["tr"]
        return s["tr"]
    return _leafwise(step, lambda p: {"v": np.full_like(p, initial_scale),
                                      "m": np.zeros_like(p), "tr": np.zeros_like(p)})


def ref_adagrad(lr, initial_accumulator_value=0.1, eps=1e-7):
    def step(k, g, s, p, t):
        s["sum"] = s["sum"] + g * g
        return -lr * np.where(s["sum"] > 0, 1 / np.sqrt(s["sum"] + eps), 0.0) * g
    return _leafwise(step, lambda p: {"sum": np.full_like(p, initial_accumulator_value)})


def ref_lamb(lr, weight_decay=0.0, b1=0.9, b2=0.999, eps=1e-6):
    def step(k, g, s, p, t):
        d = _adam_direction(s, g, t, b1, b2, eps) + weight_decay * p
        p_norm, d_norm = np.linalg.norm(p), np.linalg.norm(d)
        ratio = 1.0 if p_norm == 0 or d_norm == 0 else p_norm / d_norm
        return -lr * ratio * d
    return _leafwise(step, _moments)


def ref_clipped_sgd(lr, max_norm, max_delta):
    def run(params, grads):
        params = {k: v.astype(np.float64) for k, v in params.items()}
        history = []
        for g in grads:
            g = {k: v.astype(np.float64) for k, v in g.items()}
            norm = np.sqrt(sum(np.sum(v * v) for v in g.values()))
            if norm >= max_norm:
                g = {k: v * (max_norm / norm) for k, v in g.items()}
            g = {k: np.clip(v, -max_delta, max_delta) for k, v in g.items()}
            params = {k: params[k] - lr * g[k] for k in params}
            history.append(params)
        return history
    return run


CASES = {
    "sgd": (lambda: optim.sgd(0.1), ref_sgd(0.1)),
    "sgd_momentum": (lambda: optim.sgd(0.1, momentum=0.9), ref_sgd(0.1, 0.9)),
    "sgd_nesterov": (lambda: optim.sgd(0.1, momentum=0.9, nesterov=True),
                     ref_sgd(0.1, 0.9, True)),
    "adam": (lambda: optim.adam(1e-2), ref_adam(1e-2)),
    "adam_eps_root": (lambda: optim.adam(1e-2, b1=0.8, b2=0.99, eps=1e-3, eps_root=1e-4),
                      ref_adam(1e-2, 0.8, 0.99, 1e-3, 1e-4)),
    "nadam": (lambda: optim.nadam(1e-2), ref_adam(1e-2, nesterov=True)),
    "adam_schedule": (lambda: optim.adam(_lr_schedule), ref_adam(None, schedule=_lr_schedule)),
    "adamw": (lambda: optim.adamw(1e-2, weight_decay=0.1), ref_adamw(1e-2, 0.1)),
    "adamw_mask": (lambda: optim.adamw(1e-2, weight_decay=0.1, mask=WD_MASK),
                   ref_adamw(1e-2, 0.1, WD_MASK)),
    "rmsprop": (lambda: optim.rmsprop(1e-2), ref_rmsprop(1e-2)),
    "rmsprop_centered_momentum": (
        lambda: optim.rmsprop(1e-2, decay=0.8, initial_scale=0.5, centered=True, momentum=0.9),
        ref_rmsprop(1e-2, 0.8, initial_scale=0.5, centered=True, momentum=0.9)),
    "rmsprop_eps_outside": (lambda: optim.rmsprop(1e-2, eps=1e-3, eps_in_sqrt=False),
                            ref_rmsprop(1e-2, eps=1e-3, eps_in_sqrt=False)),
    "adagrad": (lambda: optim.adagrad(0.1), ref_adagrad(0.1)),
    "adagrad_zero_init": (lambda: optim.adagrad(0.1, initial_accumulator_value=0.0),
                          ref_adagrad(0.1, 0.0)),
    "lamb": (lambda: optim.lamb(1e-2, weight_decay=0.01), ref_lamb(1e-2, 0.01)),
    "clip_chain": (lambda: optim.chain(optim.clip_by_global_norm(2.0), optim.clip(0.7),
                                       optim.sgd(0.1)),
                   ref_clipped_sgd(0.1, 2.0, 0.7)),
}


def _np(tree):
    return tree_util.tree_map(np.asarray, tree)


def _check(got, want, name, step):
    for k in ("w", "b"):
        np.testing.assert_allclose(np.asarray(got[k]), want[k], rtol=2e-5, atol=2e-6,
                                   err_msg=f"{name}, step {step}, {k}")


@pytest.mark.parametrize("name", sorted(CASES))
def test_eager_steps_match_numpy_reference(name):
    make, reference = CASES[name]
    want = reference(PARAMS0, GRADS)
    opt = make()
    params = {k: jnp.asarray(v) for k, v in PARAMS0.items()}
    state = opt.init(params)
    for step, grads in enumerate(GRADS):
        updates, state = opt.update({k: jnp.asarray(v) for k, v in grads.items()}, state,
                                    params)
        params = optim.apply_updates(params, updates)
        assert all(np.asarray(v).dtype == np.float32 for v in params.values())
        _check(params, want[step], name, step)


@pytest.mark.parametrize("device", ["cpu", pytest.param("vulkan", marks=pytest.mark.vulkan)])
def test_all_optimizers_in_one_jitted_train_step(device):
    """One jitted step updates every optimizer's params and state; the states go in and out
    of the compiled module as pytrees of NamedTuples with int32 counters."""
    opts = {name: make() for name, (make, _) in CASES.items()}

    @irax.jit(device=device)
    def train_step(all_params, all_states, grads):
        new_params, new_states = {}, {}
        for name, opt in opts.items():
            updates, new_states[name] = opt.update(grads, all_states[name], all_params[name])
            new_params[name] = optim.apply_updates(all_params[name], updates)
        return new_params, new_states

    params = {name: {k: jnp.asarray(v) for k, v in PARAMS0.items()} for name in opts}
    states = {name: opt.init(params[name]) for name, opt in opts.items()}
    wants = {name: reference(PARAMS0, GRADS) for name, (_, reference) in CASES.items()}
    for step, grads in enumerate(GRADS):
        params, states = train_step(params, states, {k: jnp.asarray(v) for k, v in grads.items()})
        for name in opts:
            _check(params[name], wants[name][step], name, step)
    adam_state = states["adam"][0]
    assert type(adam_state).__name__ == "ScaleByAdamState"
    assert np.asarray(adam_state.count).dtype == np.int32 and int(adam_state.count) == STEPS
    assert int(states["adam_schedule"][1].count) == STEPS


def test_training_loop_reads_as_with_optax_and_converges():
    x = np.linspace(-1, 1, 32, dtype=np.float32)[:, None]
    y = 3 * x[:, 0] - 1

    def loss(p, x, y):
        return jnp.mean((x @ p["w"] + p["b"] - y[:, None]) ** 2)

    opt = optim.adam(1e-1)
    params = {"w": jnp.zeros((1, 1)), "b": jnp.zeros((1,))}
    state = opt.init(params)

    @irax.jit
    def step(params, state, x, y):
        value, grads = irax.value_and_grad(loss)(params, x, y)
        updates, state = opt.update(grads, state, params)
        return optim.apply_updates(params, updates), state, value

    for _ in range(300):
        params, state, value = step(params, state, x, y)
    np.testing.assert_allclose(np.asarray(params["w"]), [[3.0]], atol=1e-3)
    np.testing.assert_allclose(np.asarray(params["b"]), [-1.0], atol=1e-3)


def test_adam_train_step_exports_and_runs_from_vmfb(tmp_path):
    opt = optim.adam(1e-2)
    params = {k: jnp.asarray(v) for k, v in PARAMS0.items()}
    state = opt.init(params)

    def train_step(params, state, grads):
        updates, state = opt.update(grads, state, params)
        return optim.apply_updates(params, updates), state

    spec = lambda tree: tree_util.tree_map(  # noqa: E731
        lambda v: irax.ShapeDtypeStruct(np.shape(v), np.asarray(v).dtype), tree)
    irax.aot.export({"train_step": (train_step, (spec(params), spec(state), spec(params)))},
                    path=tmp_path / "adam.vmfb")
    module = irax.runtime.load(tmp_path / "adam.vmfb", numpy_results=True)
    want = ref_adam(1e-2)(PARAMS0, GRADS)
    for step, grads in enumerate(GRADS):
        params, state = module.train_step(params, state, grads)
        _check(params, want[step], "exported adam", step)
    assert int(state[0].count) == STEPS and state[0].mu["w"].shape == (3, 2)


def test_global_norm_and_apply_updates_keep_dtypes():
    tree = {"a": np.float32([3.0, 4.0]), "b": [np.float32(12.0)], "none": None}
    assert float(optim.global_norm(tree)) == pytest.approx(13.0)
    params = {"p": jnp.asarray([1.0, 2.0], dtype=jnp.float32)}
    out = optim.apply_updates(params, {"p": jnp.asarray([0.5, 0.5])})
    assert np.asarray(out["p"]).dtype == np.float32
    np.testing.assert_array_equal(np.asarray(out["p"]), [1.5, 2.5])


def test_clip_by_global_norm_below_threshold_passes_through():
    g = {"a": jnp.asarray([0.3, 0.4])}
    out, _ = optim.clip_by_global_norm(1.0).update(g, optim.EmptyState())
    np.testing.assert_array_equal(np.asarray(out["a"]), np.float32([0.3, 0.4]))
    out, _ = optim.clip_by_global_norm(0.25).update(g, optim.EmptyState())
    np.testing.assert_allclose(np.asarray(out["a"]), [0.15, 0.2], rtol=1e-6)


def test_weight_decay_schedule_counts_steps():
    opt = optim.add_decayed_weights(lambda count: 0.1 * (count + 1))
    params = {"p": jnp.asarray([2.0])}
    state = opt.init(params)
    for t in range(3):
        out, state = opt.update({"p": jnp.asarray([0.0])}, state, params)
        np.testing.assert_allclose(np.asarray(out["p"]), [0.2 * (t + 1)], rtol=1e-6)
    assert int(state.count) == 3


def test_errors_name_the_problem():
    opt = optim.adamw(1e-3)
    params = {"p": jnp.ones(2)}
    state = opt.init(params)
    with pytest.raises(ValueError, match="requires the current value of parameters"):
        opt.update(params, state)
    with pytest.raises(ValueError, match="same in chain"):
        opt.update(params, state[:2], params)
    with pytest.raises(ValueError, match="non-negative scale"):
        optim.piecewise_constant_schedule(1.0, {5: -1.0})
    with pytest.raises(ValueError, match="positive decay_steps"):
        optim.cosine_decay_schedule(1.0, 0)


def test_safe_int32_increment_saturates():
    top = np.iinfo(np.int32).max
    assert int(optim.safe_int32_increment(jnp.asarray(top, dtype=jnp.int32))) == top
    assert int(optim.safe_int32_increment(jnp.asarray(7, dtype=jnp.int32))) == 8
