"""Device-resident results and the dtype tables shared by the runtime."""
from __future__ import annotations

from typing import Any

import iree.runtime as rt
import numpy as np

from .devices import current_device_fast, device_lost, is_device_loss

try:  # bf16 / fp8 dtypes; iree.runtime itself depends on ml_dtypes
    import ml_dtypes as _mld
except ImportError:  # pragma: no cover
    _mld = None

_ET = rt.HalElementType

# numpy dtype -> HAL element type for buffers we create from host arrays.
ELEMENT_TYPE: dict[np.dtype, Any] = {
    np.dtype(np.bool_): _ET.BOOL_8,
    np.dtype(np.int8): _ET.SINT_8,
    np.dtype(np.int16): _ET.SINT_16,
    np.dtype(np.int32): _ET.SINT_32,
    np.dtype(np.int64): _ET.SINT_64,
    np.dtype(np.uint8): _ET.UINT_8,
    np.dtype(np.uint16): _ET.UINT_16,
    np.dtype(np.uint32): _ET.UINT_32,
    np.dtype(np.uint64): _ET.UINT_64,
    np.dtype(np.float16): _ET.FLOAT_16,
    np.dtype(np.float32): _ET.FLOAT_32,
    np.dtype(np.float64): _ET.FLOAT_64,
    np.dtype(np.complex64): _ET.COMPLEX_64,
    np.dtype(np.complex128): _ET.COMPLEX_128,
}
if _mld is not None:   # ml_dtypes' types IREE's HAL has an element type for
    for _name, _et in (("bfloat16", "BFLOAT_16"), ("float8_e4m3fn", "FLOAT_8_E4M3_FN"),
                       ("float8_e4m3fnuz", "FLOAT_8_E4M3_FNUZ"), ("float8_e5m2", "FLOAT_8_E5M2"),
                       ("float8_e5m2fnuz", "FLOAT_8_E5M2_FNUZ"),
                       ("float8_e8m0fnu", "FLOAT_8_E8M0_FNU")):
        if hasattr(_mld, _name) and hasattr(_ET, _et):
            ELEMENT_TYPE[np.dtype(getattr(_mld, _name))] = getattr(_ET, _et)

# HAL element type (as int) -> numpy dtype, for results. Signless ints read as signed.
_DTYPE_OF_ELEMENT: dict[int, np.dtype] = {int(et): dt for dt, et in ELEMENT_TYPE.items()}
_DTYPE_OF_ELEMENT.update(
    {int(_ET.INT_8): np.dtype(np.int8), int(_ET.INT_16): np.dtype(np.int16),
     int(_ET.INT_32): np.dtype(np.int32), int(_ET.INT_64): np.dtype(np.int64)}
)

# Short MLIR names accepted wherever a dtype string is (signature metadata).
_SHORT_NAMES: dict[str, str] = {
    "i1": "bool", "pred": "bool", "i8": "int8", "i16": "int16", "i32": "int32", "i64": "int64",
    "si8": "int8", "si16": "int16", "si32": "int32", "si64": "int64",
    "ui8": "uint8", "ui16": "uint16", "ui32": "uint32", "ui64": "uint64",
    "f16": "float16", "f32": "float32", "f64": "float64", "bf16": "bfloat16",
    "complex<f32>": "complex64", "complex<f64>": "complex128",
}


def parse_dtype(name: str | np.dtype | type) -> np.dtype:
    """numpy dtype from a numpy name ("float32"), an MLIR name ("f32") or a dtype."""
    if isinstance(name, str):
        name = _SHORT_NAMES.get(name, name)
        if _mld is not None and hasattr(_mld, name):   # bfloat16, float8_e4m3fn, ...
            return np.dtype(getattr(_mld, name))
    return np.dtype(name)


def describe(shape: tuple[int, ...], dtype: np.dtype) -> str:
    """`float32[3,4]`: how shapes/dtypes appear in error messages."""
    return f"{np.dtype(dtype).name}[{','.join(map(str, shape))}]"


_HOST_VISIBLE = int(rt.MemoryType.HOST_VISIBLE)
_MAPPING_SCOPED = int(rt.BufferUsage.MAPPING_SCOPED)
_STAGING_MEMORY = int(rt.MemoryType.HOST_LOCAL | rt.MemoryType.DEVICE_VISIBLE)
_STAGING_USAGE = int(rt.BufferUsage.TRANSFER_TARGET | rt.BufferUsage.MAPPING_SCOPED)


# Buffers and device lifetime. A buffer from IREE's caching allocator (the CPU pool,
# executable.CPU_POOL_BYTES) returns to its pool when released, through a pointer to the
# allocator that the buffer does not retain (IREE 3.13, caching_allocator.c: "TODO(#19159)").
# Releasing it after the device (which owns the allocator) was destroyed writes into freed
# memory. So whatever keeps a buffer alive keeps its device alive too, and lets go of the
# buffer first: CPython clears __slots__ in sorted name order on deallocation, and both
# classes below name the device slot after the buffer's ("_bv" < "_device",
# "_array" < "_device"); tests/runtime/test_device_lifetime.py checks that order.


# A mapped result smaller than this is copied out: the copy (< 3 us) is cheaper than
# wrapping the mapping in a _MappedHost (~5 us), and the copy holds no buffer.
COPY_OUT_BELOW_BYTES = 1 << 16


class _MappedHost:
    """The owner (`.base`) of the NumPy arrays that alias a mapped CPU buffer: they can
    outlive their DeviceArray (np.asarray(result) kept, the result dropped), and until
    the last of them goes the mapping, hence the buffer, lives, so the device must too.
    (At interpreter exit the module-level device cache is cleared before such arrays.)"""

    __slots__ = ("_array", "_device")

    def __init__(self, array: np.ndarray, device: Any) -> None:
        self._array = array      # the mapping's own array; holds the mapping and buffer
        self._device = device

    @property
    def __array_interface__(self) -> dict[str, Any]:
        return self._array.__array_interface__


class DeviceArray:
    """A result living on an IREE device; pass it to the next call without a host copy.

    `to_numpy()` (and `np.asarray`) return a read-only array, cached: on CPU
    it maps the buffer without copying (results under COPY_OUT_BELOW_BYTES are
    copied out), elsewhere it copies through a staging buffer (Vulkan device
    memory cannot be mapped or imported directly).
    """

    __slots__ = ("_bv", "_device", "_driver", "_shape", "_dtype", "_host")

    def __init__(
        self,
        buffer_view: rt.HalBufferView,
        device: rt.HalDevice,
        driver: str,
        shape: tuple[int, ...] | None = None,
        dtype: np.dtype | None = None,
    ) -> None:
        self._bv = buffer_view
        self._device = device
        self._driver = driver
        self._shape = shape  # filled lazily: the dispatch path should not pay for it
        self._dtype = dtype
        self._host: np.ndarray | None = None

    @property
    def shape(self) -> tuple[int, ...]:
        if self._shape is None:
            self._shape = tuple(self._bv.shape)
        return self._shape

    @property
    def dtype(self) -> np.dtype:
        if self._dtype is None:
            et = int(self._bv.element_type)
            if et not in _DTYPE_OF_ELEMENT:
                raise TypeError(f"result has HAL element type {self._bv.element_type}, which has no numpy dtype")
            self._dtype = _DTYPE_OF_ELEMENT[et]
        return self._dtype

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def driver(self) -> str:
        """IREE driver the buffer lives on ("local-sync", "local-task", "vulkan", "cuda")."""
        return self._driver

    @property
    def buffer_view(self) -> rt.HalBufferView:
        return self._bv

    @property
    def stale(self) -> bool:
        """True once its device is no longer the driver's cached one (it was lost and
        dropped): calls then take it through the host, if it can still be read."""
        return current_device_fast(self._driver) is not self._device

    def to_numpy(self) -> np.ndarray:
        if self._host is None:
            buf = self._bv.get_buffer()
            if buf.memory_type() & _HOST_VISIBLE and buf.allowed_usage() & _MAPPING_SCOPED:
                mapped = self._bv.map().asarray(self.shape, self.dtype)
                if mapped.nbytes < COPY_OUT_BELOW_BYTES:
                    host = mapped.copy()    # the mapping (and buffer) go with `mapped`
                else:
                    host = np.asarray(_MappedHost(mapped, self._device))
            else:
                host = self._staged_copy(buf)
            host.flags.writeable = False  # aliases device memory: results are immutable
            self._host = host
        return self._host

    def _staged_copy(self, buf: rt.HalBuffer) -> np.ndarray:
        try:
            return self._staged_copy_unchecked(buf)
        except RuntimeError as e:
            if is_device_loss(e):
                raise device_lost(self._driver, self._device, "reading an array back", e) from e
            raise

    def _staged_copy_unchecked(self, buf: rt.HalBuffer) -> np.ndarray:
        staging = self._device.allocator.allocate_buffer(
            memory_type=_STAGING_MEMORY, allowed_usage=_STAGING_USAGE, allocation_size=buf.byte_length()
        )
        sem = self._device.create_semaphore(0)
        self._device.queue_copy(buf, staging, [(sem, 0)], [(sem, 1)])
        # Semaphore wait: ~10x cheaper than HalFence.wait() on lavapipe.
        sem.wait(1)
        # Copy out so the staging buffer can be released.
        return np.array(staging.map().asarray(self.shape, self.dtype))

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        host = self.to_numpy()
        if dtype is not None and np.dtype(dtype) != host.dtype:
            return host.astype(dtype)
        return host.copy() if copy else host

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of a 0-d DeviceArray")
        return self.shape[0]

    def __float__(self) -> float:
        return float(self.to_numpy())

    def __int__(self) -> int:
        return int(self.to_numpy())

    def __bool__(self) -> bool:
        return bool(self.to_numpy())

    def __repr__(self) -> str:
        return f"DeviceArray({self.to_numpy()!r}, driver={self._driver!r})"
