"""Shardings on one device (as jax.sharding on a single CPU): Mesh, PartitionSpec (P),
NamedSharding, SingleDeviceSharding, AxisType, the current mesh, and `Array.sharding`.

irax runs every program on one device, so a mesh has one device and every sharding
places the whole array on it; the classes exist so JAX programs that name meshes and
partition specs run unchanged and print what JAX prints. An Array remembers the sharding
device_put gave it (as a committed jax Array does); every other Array reports
SingleDeviceSharding(device). Shardings do not propagate through operations.

Layering: tracer (knows nothing above it); irax/sharding.py is the public module.
"""
from __future__ import annotations

import collections
import contextlib
import enum
import math
import threading
from typing import Any, Sequence

import numpy as np

from . import dtypes
from .core import Array

__all__ = ["Device", "devices", "default_backend", "Sharding", "SingleDeviceSharding",
           "NamedSharding", "PartitionSpec", "P", "Mesh", "AbstractMesh", "AbstractDevice",
           "AxisType", "set_mesh", "get_mesh",
           "get_abstract_mesh", "use_abstract_mesh", "make_mesh",
           "make_single_device_sharding", "register_array_sharding"]


# ---------------------------------------------------------------------------
# Devices

class Device:
    """A device irax computes on (as jax.Device: platform, id, device_kind)."""

    def __init__(self, platform: str, id: int = 0):
        self.platform = platform
        self.id = id
        self.device_kind = platform
        self.process_index = 0

    def __repr__(self) -> str:
        return f"{self.platform.capitalize()}Device(id={self.id})"

    def __eq__(self, other) -> bool:
        return isinstance(other, Device) and (self.platform, self.id) == (other.platform,
                                                                          other.id)

    def __hash__(self) -> int:
        return hash((self.platform, self.id))


def default_backend() -> str:
    """The platform irax computes on by default (irax.config.device: "cpu" unless set)."""
    return dtypes.config.device.split(":")[0]


def devices(backend: str | None = None) -> list[Device]:
    """The devices of `backend` (default: default_backend()); irax drives one of each."""
    return [Device(backend or default_backend(), 0)]


def _default_device() -> Device:
    return devices()[0]



class AxisType(enum.Enum):
    Auto = enum.auto()
    Explicit = enum.auto()
    Manual = enum.auto()

    def __repr__(self) -> str:
        return self.name


# ---------------------------------------------------------------------------
# PartitionSpec


class _Unconstrained:
    def __repr__(self) -> str:
        return "UNCONSTRAINED"


_UNCONSTRAINED = _Unconstrained()


def _canonical_partition(p: Any) -> Any:
    if isinstance(p, list):
        p = tuple(p)
    if isinstance(p, tuple) and len(p) == 1:
        return p[0]
    return p


class PartitionSpec:
    """How each array dimension maps onto mesh axes: None (not partitioned), an axis
    name, or a tuple of names. Equal specs are equal (not equal to tuples, as in JAX)."""
    __slots__ = ("_partitions", "unreduced", "reduced")
    UNCONSTRAINED = _UNCONSTRAINED

    def __init__(self, *partitions: Any, unreduced: Any = frozenset(),
                 reduced: Any = frozenset()) -> None:
        for name, s in (("unreduced", unreduced), ("reduced", reduced)):
            if not isinstance(s, (set, frozenset)):
                raise TypeError(f"{name} argument of PartitionSpec should of type "
                                f"`frozenset` or `set`. Got type {s}")
        unreduced, reduced = frozenset(unreduced), frozenset(reduced)
        if None in unreduced or None in reduced:
            raise ValueError("unreduced cannot contain None. All elements in unreduced "
                             "should refer to the mesh axes.")
        object.__setattr__(self, "_partitions", tuple(_canonical_partition(p)
                                                      for p in partitions))
        object.__setattr__(self, "unreduced", unreduced)
        object.__setattr__(self, "reduced", reduced)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("PartitionSpec is immutable")

    @property
    def partitions(self) -> tuple:
        return self._partitions

    def _key(self) -> tuple:
        return (self._partitions, self.unreduced, self.reduced)

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, PartitionSpec) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(("PartitionSpec", self._key()))

    def __repr__(self) -> str:
        inner = repr(self._partitions)[1:-1]
        extra = [f"{n}={set(s)!r}" for n, s in (("unreduced", self.unreduced),
                                                 ("reduced", self.reduced)) if s]
        if not extra:
            return f"P({inner})"
        inner = "" if not inner else f"{inner} " if inner.endswith(",") else f"{inner}, "
        return f"P({inner}{', '.join(extra)})"

    def __len__(self) -> int:
        return len(self._partitions)

    def __iter__(self):
        return iter(self._partitions)

    def __getitem__(self, i: Any) -> Any:
        return self._partitions[i]

    def __add__(self, other: Any) -> "PartitionSpec":
        if isinstance(other, PartitionSpec):
            return PartitionSpec(*self._partitions, *other._partitions,
                                 unreduced=self.unreduced | other.unreduced,
                                 reduced=self.reduced | other.reduced)
        if isinstance(other, tuple):
            return PartitionSpec(*self._partitions, *other)
        return NotImplemented

    def __radd__(self, other: Any) -> "PartitionSpec":
        if isinstance(other, tuple):
            return PartitionSpec(*other, *self._partitions)
        return NotImplemented

    def index(self, value: Any) -> int:
        return self._partitions.index(_canonical_partition(value))

    def count(self, value: Any) -> int:
        return self._partitions.count(_canonical_partition(value))

    def update(self, partitions=None, unreduced=None, reduced=None) -> "PartitionSpec":
        return PartitionSpec(*(self._partitions if partitions is None else partitions),
                             unreduced=self.unreduced if unreduced is None else unreduced,
                             reduced=self.reduced if reduced is None else reduced)

    def _axis_names(self) -> list:
        names = []
        for p in self._partitions:
            if p is None or p is _UNCONSTRAINED:
                continue
            names.extend(p if isinstance(p, tuple) else (p,))
        return names + sorted(self.unreduced | self.reduced, key=str)

    def _check_rank(self, shape: Sequence[int]) -> None:
        if len(shape) < len(self._partitions):
            extra = " For scalars the PartitionSpec should be P()" if not shape else ""
            raise ValueError(f"PartitionSpec {self} is only valid for values of rank at "
                             f"least {len(self._partitions)}, but was applied to a value "
                             f"of rank {len(shape)}.{extra}")


PartitionSpec.__module__ = "irax.sharding"
P = PartitionSpec


# ---------------------------------------------------------------------------
# Meshes


def _check_axis_types(axis_names: tuple, axis_types: Any, default: AxisType, who: str):
    if axis_types is None:
        axis_types = (default,) * len(axis_names)
    if not isinstance(axis_types, tuple):
        axis_types = (axis_types,)
    if not all(isinstance(a, AxisType) for a in axis_types):
        raise TypeError(f"axis_types passed to {who} must be of type "
                        f"`irax.sharding.AxisType`. Got {axis_types} of type "
                        f"{tuple(type(a) for a in axis_types)}")
    if len(axis_names) != len(axis_types):
        raise ValueError("Number of axis names should match the number of axis_types. Got "
                         f"axis_names={axis_names} and axis_types={axis_types}")
    return axis_types


def _names(axis_names: Any) -> tuple:
    return (axis_names,) if isinstance(axis_names, str) else tuple(axis_names)


class AbstractDevice:
    def __init__(self, device_kind: str, num_cores: int | None = None,
                 platform: str | None = None) -> None:
        self.device_kind, self.num_cores = device_kind, num_cores
        self.platform = platform or device_kind

    def _repr(self) -> str:
        return (f"device_kind={self.device_kind}, num_cores={self.num_cores}, "
                f"platform={self.platform}")

    def __repr__(self) -> str:
        return f"AbstractDevice({self._repr()})"

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, AbstractDevice) and self._repr() == other._repr()

    def __hash__(self) -> int:
        return hash(self._repr())


class _MeshShape:
    """What Mesh and AbstractMesh share: axis names, sizes and types."""
    axis_names: tuple
    axis_sizes: tuple
    axis_types: tuple

    @property
    def shape(self) -> collections.OrderedDict:
        return collections.OrderedDict(zip(self.axis_names, self.axis_sizes))

    @property
    def shape_tuple(self) -> tuple:
        return tuple(zip(self.axis_names, self.axis_sizes))

    @property
    def size(self) -> int:
        return math.prod(self.axis_sizes) if self.axis_names else 0

    @property
    def empty(self) -> bool:
        return self.size == 0

    def _key(self) -> tuple:
        return (type(self), self.axis_names, self.axis_sizes, self.axis_types)

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, _MeshShape) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())


class AbstractMesh(_MeshShape):
    """Axis names and sizes without devices."""

    def __init__(self, axis_sizes: Sequence[int], axis_names: Sequence[str],
                 axis_types: Any = None, abstract_device: AbstractDevice | None = None):
        self.axis_sizes = tuple(int(s) for s in axis_sizes)
        self.axis_names = _names(axis_names)
        if len(self.axis_sizes) != len(self.axis_names):
            raise ValueError(f"Number of axis names {self.axis_names} should match the "
                             f"number of axis sizes {self.axis_sizes}")
        self.axis_types = _check_axis_types(self.axis_names, axis_types, AxisType.Auto,
                                            "AbstractMesh")
        self.abstract_device = abstract_device

    def __repr__(self) -> str:
        shape = (", ".join(f"'{n}': {v}" for n, v in self.shape_tuple)
                 if self.axis_names else "()")
        dev = "" if self.abstract_device is None else f", {self.abstract_device._repr()}"
        return f"AbstractMesh({shape}, axis_types={self.axis_types}{dev})"

    def update(self, axis_sizes=None, axis_names=None, axis_types=None) -> "AbstractMesh":
        return AbstractMesh(self.axis_sizes if axis_sizes is None else axis_sizes,
                            self.axis_names if axis_names is None else axis_names,
                            self.axis_types if axis_types is None else axis_types,
                            self.abstract_device)


class Mesh(_MeshShape):
    """A grid of devices with named axes (on irax: one device, every axis of size 1)."""

    def __init__(self, devices: Any, axis_names: Any, axis_types: Any = None) -> None:
        devices = np.asarray(devices, dtype=object) if not isinstance(devices, np.ndarray) \
            else devices
        axis_names = _names(axis_names)
        if devices.ndim != len(axis_names):
            raise ValueError(
                "Mesh requires the ndim of its first argument (`devices`) to equal the "
                "length of its second argument (`axis_names`), but got "
                f"devices.ndim == {devices.ndim} and len(axis_names) == {len(axis_names)}.")
        self.devices = devices
        self.axis_names = axis_names
        self.axis_sizes = tuple(devices.shape)
        self.axis_types = _check_axis_types(axis_names, axis_types, AxisType.Auto, "Mesh")

    def _key(self) -> tuple:
        return super()._key() + (tuple(self.devices.flat),)

    @property
    def device_ids(self) -> np.ndarray:
        return np.vectorize(lambda d: d.id, otypes=[int])(self.devices)

    @property
    def local_devices(self) -> list:
        return list(self.devices.flat)

    @property
    def is_multi_process(self) -> bool:
        return False

    @property
    def local_mesh(self) -> "Mesh":
        return self

    @property
    def abstract_mesh(self) -> AbstractMesh:
        if not self.axis_names:
            return AbstractMesh((), ())
        d = self.devices.flat[0]
        return AbstractMesh(self.axis_sizes, self.axis_names, self.axis_types,
                            AbstractDevice(d.device_kind, None, d.platform))

    def update(self, devices=None, axis_names=None, axis_types=None) -> "Mesh":
        return Mesh(self.devices if devices is None else devices,
                    self.axis_names if axis_names is None else axis_names,
                    self.axis_types if axis_types is None else axis_types)

    def __str__(self) -> str:
        if self.empty:
            return "Mesh()"
        shape = ", ".join(f"'{k}': {v}" for k, v in self.shape.items())
        return f"Mesh({shape}, axis_types={self.axis_types})"

    def __repr__(self) -> str:
        if self.empty:
            return "Mesh(axis_sizes=(), axis_names=())"
        return (f"Mesh(axis_sizes={self.axis_sizes}, axis_names={self.axis_names!r}, "
                f"axis_types={self.axis_types})")

    # `with mesh:` (deprecated in JAX in favour of `with set_mesh(mesh):`)
    def __enter__(self) -> "Mesh":
        self._ctx = set_mesh(self)
        return self

    def __exit__(self, *exc: Any) -> bool:
        self._ctx.__exit__(*exc)
        return False


def make_mesh(axis_shapes: Sequence[int], axis_names: Sequence[str],
              axis_types: Any = None, *, devices: Sequence[Any] | None = None) -> Mesh:
    """A Mesh over `devices` (default: all, i.e. irax's one); axes default to Explicit,
    as in JAX 0.10."""
    devices = list(devices) if devices is not None else [_default_device()]
    try:
        shape = tuple(int(s) for s in axis_shapes)
    except TypeError:
        raise ValueError("`axis_shapes` passed to `make_mesh` should be a sequence of ints. "
                         f"Got {axis_shapes}") from None
    if math.prod(shape) > len(devices):
        raise ValueError(f"Number of devices {len(devices)} must be >= the product of "
                         f"mesh_shape {shape}")
    if math.prod(shape) < len(devices):
        devices = devices[:math.prod(shape)]
    axis_names = _names(axis_names)
    axis_types = _check_axis_types(axis_names, axis_types, AxisType.Explicit, "make_mesh")
    grid = np.empty(len(devices), dtype=object)
    grid[:] = devices
    return Mesh(grid.reshape(shape), axis_names, axis_types)


# ---------------------------------------------------------------------------
# The current mesh (jax.set_mesh), per thread

_state = threading.local()


def get_mesh() -> Mesh:
    """The concrete mesh set by set_mesh (an empty Mesh when none is)."""
    return getattr(_state, "mesh", None) or _EMPTY_MESH


def get_abstract_mesh() -> AbstractMesh:
    override = getattr(_state, "abstract_mesh", None)
    if override is not None:
        return override
    return get_mesh().abstract_mesh


class set_mesh:
    """Sets the current mesh: `irax.set_mesh(mesh)` globally (for this thread), or
    `with irax.set_mesh(mesh):` for a block."""
    __slots__ = ("prev",)

    def __init__(self, mesh: Mesh | None) -> None:
        if mesh is not None and not isinstance(mesh, Mesh):
            raise ValueError(f"Expected mesh of type `irax.sharding.Mesh`. Got {type(mesh)}")
        self.prev = getattr(_state, "mesh", None)
        _state.mesh = mesh

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: Any) -> None:
        _state.mesh = self.prev


@contextlib.contextmanager
def use_abstract_mesh(mesh: AbstractMesh):
    if not isinstance(mesh, AbstractMesh):
        raise ValueError(f"Expected mesh of type `irax.sharding.AbstractMesh`. Got "
                         f"{type(mesh)}")
    prev = getattr(_state, "abstract_mesh", None)
    _state.abstract_mesh = mesh
    try:
        yield
    finally:
        _state.abstract_mesh = prev


# ---------------------------------------------------------------------------
# Shardings


class Sharding:
    """Where the pieces of an array live. On one device every piece is the whole array."""
    memory_kind: str | None = "device"

    @property
    def device_set(self) -> set:
        return set(self._device_assignment)

    @property
    def addressable_devices(self) -> set:
        return self.device_set

    @property
    def num_devices(self) -> int:
        return len(self._device_assignment)

    @property
    def is_fully_replicated(self) -> bool:
        return True

    @property
    def is_fully_addressable(self) -> bool:
        return True

    def shard_shape(self, global_shape: Sequence[int]) -> tuple:
        return tuple(global_shape)

    def devices_indices_map(self, global_shape: Sequence[int]) -> dict:
        return {d: (slice(None),) * len(global_shape) for d in self._device_assignment}

    def addressable_devices_indices_map(self, global_shape: Sequence[int]) -> dict:
        return self.devices_indices_map(global_shape)

    def is_equivalent_to(self, other: "Sharding", ndim: int) -> bool:
        return isinstance(other, Sharding) and self.device_set == other.device_set


class SingleDeviceSharding(Sharding):
    def __init__(self, device: Any, *, memory_kind: str | None = None) -> None:
        self._device = device
        self.memory_kind = memory_kind or "device"

    @property
    def _device_assignment(self) -> tuple:
        return (self._device,)

    def __repr__(self) -> str:
        return f"SingleDeviceSharding(device={self._device!r}, memory_kind={self.memory_kind})"

    def __eq__(self, other: Any) -> bool:
        return (isinstance(other, SingleDeviceSharding) and self._device == other._device
                and self.memory_kind == other.memory_kind)

    def __hash__(self) -> int:
        return hash(("SingleDeviceSharding", self._device, self.memory_kind))

    def with_memory_kind(self, kind: str) -> "SingleDeviceSharding":
        return SingleDeviceSharding(self._device, memory_kind=kind)


class NamedSharding(Sharding):
    """An array partitioned over a mesh's named axes by a PartitionSpec."""

    def __init__(self, mesh: Mesh | AbstractMesh, spec: PartitionSpec, *,
                 memory_kind: str | None = None) -> None:
        if not isinstance(mesh, (Mesh, AbstractMesh)):
            raise TypeError(f"mesh should be of type `Mesh` or `AbstractMesh`. Got "
                            f"{type(mesh)}")
        if not isinstance(spec, PartitionSpec):
            raise TypeError(f"spec of NamedSharding should be of type `PartitionSpec`. Got "
                            f"{spec} of type {type(spec)}")
        for name in spec._axis_names():
            if name not in mesh.axis_names:
                raise ValueError(f"Resource axis: {name} of {spec} is not found in mesh: "
                                 f"{mesh.axis_names}.")
        self.mesh, self.spec = mesh, spec
        self.memory_kind = memory_kind or "device"

    @property
    def _device_assignment(self) -> tuple:
        if isinstance(self.mesh, AbstractMesh):
            raise ValueError("an AbstractMesh has no devices")
        return tuple(self.mesh.devices.flat)

    def __repr__(self) -> str:
        return (f"NamedSharding(mesh={self.mesh}, spec={self.spec}, "
                f"memory_kind={self.memory_kind})")

    def __eq__(self, other: Any) -> bool:
        return (isinstance(other, NamedSharding) and self.mesh == other.mesh
                and self.spec == other.spec and self.memory_kind == other.memory_kind)

    def __hash__(self) -> int:
        return hash(("NamedSharding", self.mesh, self.spec, self.memory_kind))

    def update(self, **kwargs: Any) -> "NamedSharding":
        return NamedSharding(kwargs.get("mesh", self.mesh), kwargs.get("spec", self.spec),
                             memory_kind=kwargs.get("memory_kind", self.memory_kind))

    def with_memory_kind(self, kind: str) -> "NamedSharding":
        return NamedSharding(self.mesh, self.spec, memory_kind=kind)


def make_single_device_sharding(device: Any) -> SingleDeviceSharding:
    return SingleDeviceSharding(device)


def default_devices_sharding() -> SingleDeviceSharding:
    """The sharding of every uncommitted irax Array: the whole array on the device."""
    return SingleDeviceSharding(_default_device())


_EMPTY_MESH = Mesh(np.empty((), dtype=object), ())


def as_sharding(s: Any, who: str) -> Sharding | None:
    """A Sharding from what device_put / reshard accept: a Sharding, a PartitionSpec
    (under set_mesh), a Device, or None."""
    if s is None or isinstance(s, Sharding):
        return s
    if isinstance(s, PartitionSpec):
        mesh = get_mesh()
        if mesh.empty:
            raise ValueError(f"Please set a mesh via `irax.set_mesh` if a PartitionSpec is "
                             f"passed to {who}")
        return NamedSharding(mesh, s)
    if hasattr(s, "platform") and hasattr(s, "id"):
        return SingleDeviceSharding(s)
    raise TypeError(f"{who}: expected a Sharding, a PartitionSpec or a Device, got "
                    f"{s!r} of type {type(s).__name__}")


def with_sharding(x: Array, sharding: Sharding | None) -> Array:
    """A new Array with x's value that reports `sharding` (x itself is not changed)."""
    if sharding is None:
        return x
    if isinstance(sharding, NamedSharding):
        sharding.spec._check_rank(x.shape)
    out = Array(x._value, x.weak_type)
    out._device_copy = x._device_copy
    out._sharding = sharding
    return out


# ---------------------------------------------------------------------------
# The sharding queries of irax Arrays


def register_array_sharding() -> None:
    def sharding(self: Array) -> Sharding:
        s = getattr(self, "_sharding", None)
        return s if s is not None else default_devices_sharding()

    def devices(self: Array) -> set:
        return sharding(self).device_set

    def device(self: Array) -> Any:
        return next(iter(sharding(self).device_set))

    Array._sharding = None
    Array.sharding = property(sharding)
    Array.devices = devices
    Array.device = property(device)
    Array.committed = property(lambda self: getattr(self, "_sharding", None) is not None)
    Array.is_fully_replicated = property(lambda self: True)
    Array.is_fully_addressable = property(lambda self: True)

    def shards(self: Array) -> list:   # one device: one shard, the whole array
        return [Shard(device(self), sharding(self), self.shape, self)]
    Array.addressable_shards = property(shards)
    Array.global_shards = property(shards)


class Shard:
    """One shard of an Array (as jax.Shard): on irax's one device, the whole array."""

    def __init__(self, device: Any, sharding: Sharding, global_shape: Any,
                 data: Any = None) -> None:
        self.device = device
        self._sharding = sharding
        self._global_shape = tuple(global_shape)
        self.data = data

    @property
    def index(self) -> tuple:
        return (slice(None),) * len(self._global_shape)

    @property
    def replica_id(self) -> int:
        return 0

    def __repr__(self) -> str:
        return (f"Shard(device={self.device!r}, index={self.index}, replica_id=0, "
                f"data={self.data})")
