"""A dropped (lost) device is reopened on the next use: the process-wide device cache lets
go of it, executables reload on a fresh device and jit's cached invokers rebind. Run on
real IREE devices (local-sync, and Vulkan through Mesa lavapipe); references are NumPy
values and the identity of the devices the results live on."""
from __future__ import annotations

import numpy as np
import pytest

import irax
import irax.numpy as jnp
from irax.runtime import DeviceLostError, Executable, compile_flags, forget_device
from irax.runtime.compiler import compile_stablehlo
from irax.runtime.devices import current_device, device_lost, is_device_loss

from tests.runtime.rt_snippets import ADD_MUL


def _reopen_under_jit(device: str) -> None:
    f = irax.jit(lambda x: jnp.sin(x) * 2 + 1, device=device)
    xs = np.linspace(0, 1, 2048, dtype=np.float32)   # 8 KiB: jit keeps its device copy
    want = np.sin(xs) * 2 + 1
    a = jnp.asarray(xs)
    before = f(a)
    driver = before._value.driver
    old = before._value._device
    assert old is current_device(driver)

    forget_device(driver)
    after = f(a)            # the same compiled function, its invoker made for `old`
    new = after._value._device
    assert new is current_device(driver) and new is not old
    assert a._device_copy._device is new   # jit's kept upload was made again
    np.testing.assert_allclose(np.asarray(after), want, rtol=1e-6)
    # an array of the dropped device still reads back and passes through the host
    np.testing.assert_allclose(np.asarray(f(before)), np.sin(want) * 2 + 1, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(before), want, rtol=1e-6)
    assert f(a)._value._device is new     # later calls stay on the fresh device


def test_local_sync_device_is_reopened_after_being_dropped():
    _reopen_under_jit("local-sync")


@pytest.mark.vulkan
def test_vulkan_device_is_reopened_after_being_dropped():
    _reopen_under_jit("vulkan")


def test_executable_and_invoker_follow_the_reopened_device():
    exe = Executable(compile_stablehlo(ADD_MUL, compile_flags("llvm-cpu")), "local-sync")
    inv = exe.invoker("main")
    a, b = np.arange(4, dtype=np.float32), np.full(4, 3.0, np.float32)
    s0, _ = inv([a, b])
    forget_device("local-sync")
    s1, p1 = inv([a, b])
    (s2, _), fresh = exe.call("main", [s0, b]), current_device("local-sync")
    assert s1._device is fresh and s2._device is fresh and s0._device is not fresh
    np.testing.assert_allclose(np.asarray(s1), a + b)
    np.testing.assert_allclose(np.asarray(p1), a * b)
    np.testing.assert_allclose(np.asarray(s2), a + 2 * b)


def test_a_device_loss_is_recognised_and_drops_the_device():
    # IREE's text for VK_ERROR_DEVICE_LOST (status DATA_LOSS, libvulkan.c)
    assert is_device_loss(RuntimeError("semaphore.c:360: DATA_LOSS; VK_ERROR_DEVICE_LOST"))
    assert not is_device_loss(RuntimeError("INVALID_ARGUMENT; input 0 shape mismatch"))
    exe = Executable(compile_stablehlo(ADD_MUL, compile_flags("llvm-cpu")), "local-sync")
    dev = current_device("local-sync")
    err = device_lost("local-sync", dev, "running 'main'",
                      RuntimeError("DATA_LOSS; VK_ERROR_DEVICE_LOST"))
    assert isinstance(err, DeviceLostError) and isinstance(err, RuntimeError)
    assert "'local-sync' was lost running 'main'" in str(err)
    assert current_device("local-sync") is None
    (s, _) = exe.call("main", [np.ones(4, np.float32), np.ones(4, np.float32)])
    fresh = current_device("local-sync")
    assert fresh is not None and fresh is not dev and s._device is fresh
    device_lost("local-sync", dev, "late report", RuntimeError("DATA_LOSS"))
    assert current_device("local-sync") is fresh     # a late report spares the new device
    np.testing.assert_allclose(np.asarray(s), 2.0)


def test_jax_runtime_error_is_a_runtime_error_as_in_jax():
    # jax 0.10.2: jax.errors.JaxRuntimeError.__mro__[1:]
    assert irax.errors.JaxRuntimeError.__mro__[1:] == (RuntimeError, Exception, BaseException,
                                                       object)


def test_a_device_loss_in_a_jit_call_raises_jax_runtime_error():
    """A DeviceLostError raised where the module hands control to the host (a debug
    callback) reaches the user as JAX reports a failing host callback: a JaxRuntimeError
    naming it. (A loss IREE reports from the call itself goes through jit's own
    conversion, Compiled.call_leaves; lavapipe cannot be made to lose its device.)"""
    def lose(x):
        raise DeviceLostError("DATA_LOSS: the IREE device 'local-sync' was lost")

    f = irax.jit(lambda x: (irax.debug.callback(lose, x), x + 1)[1], device="local-sync")
    with pytest.raises(irax.errors.JaxRuntimeError, match="'local-sync' was lost") as info:
        f(np.ones(2, np.float32))
    assert "DeviceLostError" in str(info.value)
