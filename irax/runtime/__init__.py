"""irax runtime: compile StableHLO with IREE, cache it, load and run modules.

Importing this package needs only `iree.runtime` and numpy; the compiler
(`iree.compiler`) is imported lazily by `irax.runtime.compiler` when
something is compiled.
"""
from .arrays import DeviceArray
from .devices import DeviceLostError, forget_device
from .executable import Executable, InputError, Invoker
from .host import HostFunctionMissing
from .module import (Module, ModuleFileNotFoundError, ModuleIsADirectoryError, ModuleLoadError,
                     load)
from .targets import compile_flags, detect_vulkan_target, resolve_device

__all__ = [
    "DeviceArray",
    "DeviceLostError",
    "Executable",
    "InputError",
    "HostFunctionMissing",
    "Invoker",
    "Module",
    "ModuleLoadError",
    "ModuleFileNotFoundError",
    "ModuleIsADirectoryError",
    "forget_device",
    "load",
    "compile_flags",
    "detect_vulkan_target",
    "resolve_device",
]
