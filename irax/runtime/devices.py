"""The process-wide VmInstance and HAL devices (one per IREE driver), and what happens
when a device is lost.

A Vulkan device can be lost (VK_ERROR_DEVICE_LOST: a driver reset, a watchdog, lavapipe
under heavy parallel load); every later operation on it fails. The device that reported
the loss is dropped from the cache (`forget_device`), so the next use opens a fresh one:
Executables reload their contexts and Invokers rebind when they see the cached device
change. The call that hit the loss raises DeviceLostError and is not retried: its
DeviceArray inputs lived on the lost device (their contents are gone), host callbacks of
the module may already have run, and a loss the workload itself caused (a watchdog on a
long dispatch) would only repeat.
"""
from __future__ import annotations

import os
import threading

import iree.runtime as rt


class DeviceLostError(RuntimeError):
    """The IREE device a call ran on was lost; irax has dropped it (the next use opens a
    fresh device) and the arrays that lived on it are gone."""


_instance: rt.VmInstance | None = None
_devices: dict[str, rt.HalDevice] = {}
_lock = threading.Lock()


def vm_instance() -> rt.VmInstance:
    global _instance
    if _instance is None:
        with _lock:
            if _instance is None:
                _instance = rt.VmInstance()
    return _instance


# IREE's CPU devices allocate every buffer (a call's results, each while-loop iteration's
# carries) with the C heap, which for buffers of a few MiB often means a fresh mmap whose
# pages fault in on first touch: the vmapped 1M-element Newton loop of bench_table took
# 13k page faults and ~2.5x its compute time per call on local-sync once the process heap
# was in that state (importing ml_dtypes, which iree.runtime does, is enough). IREE's caching
# allocator keeps freed buffers for reuse by exact size; this bounds the memory it may
# retain (outstanding + free) to $IRAX_CPU_POOL_BYTES (default 512 MiB; 0: no pool), past
# which it frees. A pooled buffer must be released before its device (see arrays.py: the
# buffer does not retain the pool it returns to), which DeviceArray and the NumPy views of
# its memory guarantee by holding the device and dropping the buffer first.
CPU_POOL_BYTES = int(os.environ.get("IRAX_CPU_POOL_BYTES", 512 << 20))


def _open_device(driver: str) -> rt.HalDevice:
    if driver in ("local-sync", "local-task") and CPU_POOL_BYTES > 0:
        # spec: caching:<heap>=<max allocation size>;<max retained bytes>;<max free buffers>
        spec = f"caching:*=*;{CPU_POOL_BYTES};64"
        return rt.get_driver(driver).create_default_device(allocators=[spec])
    # not iree.runtime's device cache: after a loss it would hand back the lost device
    return rt.get_device(driver, cache=False)


def hal_device(driver: str) -> rt.HalDevice:
    """The process-wide HalDevice for an IREE driver name."""
    dev = _devices.get(driver)
    if dev is None:
        with _lock:
            dev = _devices.get(driver)
            if dev is None:
                try:
                    dev = _open_device(driver)
                except Exception as e:
                    raise RuntimeError(f"cannot open IREE device {driver!r}: {e}") from e
                _devices[driver] = dev
    return dev


def current_device(driver: str) -> rt.HalDevice | None:
    """The cached device of `driver`, None when none is open (never opens one)."""
    return _devices.get(driver)


# current_device without its Python frame, for the per-call check of the dispatch path
# (the dict is never rebound: forget_device pops from it)
current_device_fast = _devices.get


def forget_device(driver: str, device: rt.HalDevice | None = None) -> None:
    """Drop the cached device of `driver` (only if it is still `device`, when given): the
    next use opens a fresh one. Arrays on the old device keep it alive; CPU ones stay
    readable and can be passed to later calls (they go through the host)."""
    with _lock:
        if device is None or _devices.get(driver) is device:
            _devices.pop(driver, None)


# How IREE reports a lost device: VK_ERROR_DEVICE_LOST maps to IREE_STATUS_DATA_LOSS
# (runtime/src/iree/hal/drivers/vulkan/util/libvulkan.c), and the status text names both.
_LOSS_MARKERS = ("VK_ERROR_DEVICE_LOST", "DATA_LOSS")


def is_device_loss(error: BaseException | str) -> bool:
    text = str(error)
    return any(m in text for m in _LOSS_MARKERS)


def device_lost(driver: str, device: rt.HalDevice, what: str,
                error: BaseException) -> DeviceLostError:
    """Forget the lost `device` and return the error the failed call raises."""
    forget_device(driver, device)
    return DeviceLostError(
        f"DATA_LOSS: the IREE device {driver!r} was lost {what}: {error}. irax dropped it; "
        "the next call opens a fresh device (arrays that lived on the lost one are gone).")
