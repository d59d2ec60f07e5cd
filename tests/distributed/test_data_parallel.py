"""irax.distributed.data_parallel against single-process results and a NumPy float64 MLP.

The workers are real Ray actors running real IREE modules; faults are real
process deaths (ray.kill, os._exit inside a call).
"""
from __future__ import annotations

import time

import numpy as np
import pytest
import ray

import irax
import irax.distributed
import irax.numpy as jnp
from irax.distributed import WorkerError, data_parallel
from irax.distributed.driver import DEFAULT_WORKER_CPUS

HIDDEN = 8
TIMEOUT_S = 300  # generous: the machine is shared; a hang still fails instead of blocking the suite


def predict(params, x):
    h = jnp.tanh(x @ params["w1"] + params["b1"])
    return h @ params["w2"] + params["b2"]


def mean_loss(params, batch):
    x, y = batch
    return jnp.mean((predict(params, x) - y) ** 2)


loss_and_grads = irax.value_and_grad(mean_loss)


def numpy_loss_and_grads(params, batch):
    """Backprop of the same MLP by hand, in float64."""
    p = {k: np.asarray(v, np.float64) for k, v in params.items()}
    x, y = (np.asarray(a, np.float64) for a in batch)
    h = np.tanh(x @ p["w1"] + p["b1"])
    r = h @ p["w2"] + p["b2"] - y
    d_pred = 2.0 * r / r.size
    d_z = (d_pred @ p["w2"].T) * (1.0 - h ** 2)
    grads = {"w1": x.T @ d_z, "b1": d_z.sum(0), "w2": h.T @ d_pred, "b2": d_pred.sum(0)}
    return np.mean(r ** 2), grads


def make_params(seed=1):
    rng = np.random.default_rng(seed)
    return {"w1": (rng.normal(size=(2, HIDDEN)) / np.sqrt(2)).astype(np.float32),
            "b1": (0.1 * rng.normal(size=HIDDEN)).astype(np.float32),
            "w2": (rng.normal(size=(HIDDEN, 1)) / np.sqrt(HIDDEN)).astype(np.float32),
            "b2": np.zeros(1, np.float32)}


def make_batch(n, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (n, 2)).astype(np.float32)
    return x, (np.sin(3 * x[:, :1]) * x[:, 1:]).astype(np.float32)


def sgd(params, grads, lr=0.3):
    return {k: (params[k] - lr * np.asarray(grads[k])).astype(np.float32) for k in params}


def assert_matches(out, ref, rtol=2e-5, atol=1e-6):
    value, grads = out
    ref_value, ref_grads = ref
    np.testing.assert_allclose(value, ref_value, rtol=rtol, atol=atol)
    assert set(grads) == set(ref_grads)
    for k in grads:
        assert grads[k].shape == np.shape(ref_grads[k]) and grads[k].dtype == np.float32
        np.testing.assert_allclose(grads[k], ref_grads[k], rtol=rtol, atol=atol, err_msg=k)


def assert_actor_dies(actor, within_s=60.0):
    """ray.kill is asynchronous: a call sent just after it may still run, so poll until one fails."""
    deadline = time.monotonic() + within_s
    while True:
        try:
            ray.get(actor.info.remote(), timeout=TIMEOUT_S)
        except ray.exceptions.RayActorError:
            return
        assert time.monotonic() < deadline, f"actor still answers {within_s} s after close()"
        time.sleep(0.2)


@pytest.fixture(scope="module")
def mlp_step(ray_cluster):
    step = data_parallel(loss_and_grads, num_workers=2, batch_argnums=(1,), timeout_s=TIMEOUT_S)
    yield step
    step.close()


def pid_of(worker):
    return ray.get(worker.info.remote(), timeout=TIMEOUT_S)["pid"]


def wait_for_restart(worker, old_pid):
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            if pid_of(worker) != old_pid:
                return
        except ray.exceptions.RayActorError:
            pass  # the actor is between processes
        time.sleep(0.05)
    raise AssertionError(f"worker {worker} was not restarted within {TIMEOUT_S} s")


def test_sgd_steps_equal_single_process_and_numpy(mlp_step):
    single = irax.jit(loss_and_grads)
    for n in (16, 13):  # even (8 + 8) and uneven (7 + 6) splits
        batch = make_batch(n)
        params = params_ref = make_params()
        for _ in range(4):
            out = mlp_step(params, batch)
            assert_matches(out, single(params, batch))                       # float32, one process
            assert_matches(out, numpy_loss_and_grads(params, batch), rtol=1e-4, atol=1e-6)
            ref_value, ref_grads = numpy_loss_and_grads(params_ref, batch)  # float64 trajectory
            np.testing.assert_allclose(out[0], ref_value, rtol=1e-4)
            params, params_ref = sgd(params, out[1]), {k: params_ref[k] - 0.3 * ref_grads[k] for k in params}
        for k in params:
            np.testing.assert_allclose(params[k], params_ref[k], rtol=1e-4, atol=1e-5)
    assert mlp_step.last_stats.sent_bytes and len(mlp_step.last_stats.worker_run_s) == 2


def test_workers_hold_only_the_runtime(mlp_step):
    mlp_step(make_params(), make_batch(16))
    names = set(ray.get(mlp_step.workers[0].loaded_modules.remote(), timeout=TIMEOUT_S))
    assert "irax.runtime" in names and "iree.runtime" in names
    for forbidden in ("iree.compiler", "irax.tracer", "irax.lowering", "irax.numpy", "irax.jit", "irax.aot"):
        assert not [m for m in names if m == forbidden or m.startswith(forbidden + ".")], forbidden


def test_local_cluster_workers_run_at_normal_priority(mlp_step):
    # Ray's default niceness 15 let any busy process on the machine starve the shards
    assert [ray.get(w.info.remote(), timeout=TIMEOUT_S)["niceness"] for w in mlp_step.workers] == [0, 0]


def test_module_and_broadcast_go_through_the_object_store_once(mlp_step):
    params, batch = make_params(seed=7), make_batch(16, seed=3)
    first = mlp_step(params, batch)
    assert mlp_step.last_stats.broadcast_puts == 1
    again = mlp_step({k: v.copy() for k, v in params.items()}, batch)  # equal value, new objects
    assert mlp_step.last_stats.broadcast_puts == 0 and mlp_step.last_stats.export_s == 0.0
    assert_matches(again, first, rtol=0, atol=0)
    mlp_step(sgd(params, first[1]), batch)
    assert mlp_step.last_stats.broadcast_puts == 1
    info = ray.get(mlp_step.workers[0].info.remote(), timeout=TIMEOUT_S)
    assert info["loads"] == len(info["modules"])  # each module loaded once by this process


def test_worker_killed_between_calls_is_restarted(mlp_step):
    batch = make_batch(16, seed=5)
    params = make_params(seed=2)
    out = mlp_step(params, batch)
    victim = mlp_step.workers[0]
    old_pid = pid_of(victim)
    ray.kill(victim, no_restart=False)
    wait_for_restart(victim, old_pid)  # ray.kill is asynchronous: a call sent now may still reach the old process
    for _ in range(3):  # no step lost: the trajectory continues exactly
        params = sgd(params, out[1])
        out = mlp_step(params, batch)
        assert_matches(out, numpy_loss_and_grads(params, batch), rtol=1e-4)
    info = ray.get(victim.info.remote(), timeout=TIMEOUT_S)
    assert info["pid"] != old_pid and info["loads"] == 1 and info["runs"] == 3


def test_worker_dying_inside_a_call_is_retried_once(mlp_step):
    batch = make_batch(13, seed=6)
    params = make_params(seed=3)
    mlp_step(params, batch)
    victim = mlp_step.workers[1]
    old_pid = pid_of(victim)
    ray.get(victim.exit_in_next_run.remote(), timeout=TIMEOUT_S)
    out = mlp_step(params, batch)  # worker 1's process exits (os._exit) inside this call
    assert_matches(out, numpy_loss_and_grads(params, batch), rtol=1e-4)
    info = ray.get(victim.info.remote(), timeout=TIMEOUT_S)
    # a fresh process that reloaded the module and ran the retried call exactly once
    assert info["pid"] != old_pid and info["loads"] == 1 and info["runs"] == 1
    params = sgd(params, out[1])
    assert_matches(mlp_step(params, batch), numpy_loss_and_grads(params, batch), rtol=1e-4)


def test_batches_that_cannot_be_split(mlp_step):
    params = make_params()
    with pytest.raises(ValueError, match=r"batch of size 1 cannot be split over 2 workers"):
        mlp_step(params, make_batch(1))
    x, y = make_batch(8)
    with pytest.raises(ValueError, match=r"disagree on the batch size.*8.*7"):
        mlp_step(params, (x, y[:7]))
    with pytest.raises(ValueError, match=r"scalar"):
        mlp_step(params, (x, 1.0))
    with pytest.raises(ValueError, match=r"refers to argument 1.*1 positional"):
        mlp_step(params)


@pytest.mark.vulkan
def test_workers_on_vulkan(ray_cluster):
    params, batch = make_params(seed=4), make_batch(13, seed=4)
    with data_parallel(loss_and_grads, num_workers=2, device="vulkan", timeout_s=TIMEOUT_S) as step:
        assert_matches(step(params, batch), numpy_loss_and_grads(params, batch), rtol=1e-4)
        assert ray.get(step.workers[1].info.remote(), timeout=TIMEOUT_S)["device"] == "vulkan"


def test_worker_error_reaches_the_driver(ray_cluster):
    # A worker whose GPU is not visible cannot open the cuda device: its own
    # RuntimeError (raised inside the Ray actor) must reach the driver.
    no_gpu = {"runtime_env": {"env_vars": {"CUDA_VISIBLE_DEVICES": ""}}}
    with data_parallel(loss_and_grads, num_workers=1, device="cuda", timeout_s=TIMEOUT_S,
                       worker_options=no_gpu) as step:
        with pytest.raises(WorkerError, match=r"worker 0 of 1 raised RuntimeError: cannot open IREE device 'cuda'") as e:
            step(make_params(), make_batch(4))
        assert e.value.worker_index == 0


def test_close_and_context_manager_with_two_batch_arguments(ray_cluster):
    def loss_xy(params, x, y, scale):
        return scale * mean_loss(params, (x, y))

    x, y = make_batch(5, seed=9)
    params = make_params()
    with data_parallel(irax.value_and_grad(loss_xy), num_workers=1, batch_argnums=(1, 2),
                       timeout_s=TIMEOUT_S) as step:
        value, grads = step(params, x, y, 2.0)
        ref_value, ref_grads = numpy_loss_and_grads(params, (x, y))
        assert_matches((value, grads), (2 * ref_value, {k: 2 * g for k, g in ref_grads.items()}), rtol=1e-4)
        worker = step.workers[0]
    with pytest.raises(RuntimeError, match="closed"):
        step(params, x, y, 2.0)
    assert step.workers == []
    assert_actor_dies(worker)
    step.close()  # closing twice is harmless


def test_bad_arguments_to_data_parallel():
    with pytest.raises(ValueError, match="num_workers"):
        data_parallel(loss_and_grads, num_workers=0)
    with pytest.raises(TypeError, match="batch_argnums"):
        data_parallel(loss_and_grads, batch_argnums=())
    with pytest.raises(TypeError, match="callable"):
        data_parallel(42)
    with pytest.raises(ValueError, match="unknown device"):
        data_parallel(loss_and_grads, device="tpu")


def test_more_workers_than_the_local_cluster_can_place(mlp_step):
    cpus = ray.cluster_resources()["CPU"]
    too_many = int(cpus / DEFAULT_WORKER_CPUS) + 1
    with pytest.raises(ValueError, match=rf"{too_many} workers at {DEFAULT_WORKER_CPUS:g} CPU each need "
                                         rf".* the Ray cluster has {cpus:g}"):
        data_parallel(loss_and_grads, num_workers=too_many)
    # mlp_step's two workers hold some of the CPUs: asking for all of them must not hang either
    with pytest.raises(ValueError, match=rf"cluster has {cpus:g} \({cpus - 2 * DEFAULT_WORKER_CPUS:g} free\)"):
        data_parallel(loss_and_grads, num_workers=int(cpus / DEFAULT_WORKER_CPUS))
