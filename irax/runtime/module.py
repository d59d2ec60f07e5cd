"""Stand-alone loading of ahead-of-time compiled modules (`.vmfb` files)."""
from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .arrays import DeviceArray, describe
from .executable import Executable, InputError
from .host import UnknownHostFunction
from .treedef_json import TreeMismatchError, flatten_json_with_paths, read_signature_metadata, unflatten_json


class ModuleLoadError(Exception):
    """A file could not be loaded as an IREE module."""


class ModuleFileNotFoundError(ModuleLoadError, FileNotFoundError):
    """The module path does not exist."""


class ModuleIsADirectoryError(ModuleLoadError, IsADirectoryError):
    """The module path is a directory, not a `.vmfb` file."""


class Module:
    """An AOT module: each exported function is a callable attribute.

    With irax signature metadata (see treedef_json), arguments follow the
    exported pytree structure and results are rebuilt into it; without it,
    arguments are flat and results come back as a tuple. Results are
    DeviceArrays (chainable into the next call) unless `numpy_results=True`.

    A module exported with irax.debug.print calls prints as it runs; one with
    irax.debug.callback needs the Python functions: `host_functions` maps their import
    names (`host_imports` lists them, with a label naming the original function) to
    functions taking NumPy arrays.
    """

    def __init__(self, path: str | os.PathLike[str], device: str = "local-task", *, numpy_results: bool = False,
                 host_functions: Mapping[str, Callable[..., Any]] | None = None) -> None:
        self.path = os.fspath(path)
        self.numpy_results = numpy_results
        if os.path.isdir(self.path):
            raise ModuleIsADirectoryError(
                f"module path {self.path!r} is a directory, not a .vmfb file")
        if not os.path.exists(self.path):
            raise ModuleFileNotFoundError(f"module file {self.path!r} does not exist")
        try:
            with open(self.path, "rb") as f:
                data = f.read()   # a private copy: later changes to the file cannot reach it
        except OSError as e:
            raise ModuleLoadError(f"cannot read module file {self.path!r}: {e.strerror or e}") from e
        try:
            self._exe = Executable(data, device, host_functions=host_functions)
        except UnknownHostFunction:   # the caller's mistake, not the file's
            raise
        except Exception as e:  # IREE verifies the flatbuffer and raises ValueError
            raise ModuleLoadError(f"cannot load module {self.path!r} on {device!r}: {e}") from e
        self._meta = {name: read_signature_metadata(self._exe.reflection(name)) for name in self._exe.function_names}

    @property
    def function_names(self) -> list[str]:
        return self._exe.function_names

    @property
    def host_imports(self) -> dict[str, str]:
        """The host functions the module calls: import name -> label (what it was)."""
        return {name: imp.label for name, imp in self._exe.host_imports.items()}

    @property
    def executable(self) -> Executable:
        return self._exe

    def signature(self, name: str) -> dict[str, Any] | None:
        """The function's irax metadata (trees + avals), or None if it has none."""
        self._exe.signature(name)  # AttributeError listing the functions
        return self._meta[name]

    def call(self, name: str, *args: Any) -> Any:
        meta = self._meta.get(name)
        if meta is None:
            self._exe.signature(name)  # AttributeError listing the functions
            flat = [_as_array(name, f"[{i}]", a) for i, a in enumerate(args)]
            return tuple(self._finish(self._exe.call(name, flat)))
        try:
            pairs = flatten_json_with_paths(meta["in_tree"], tuple(args))
        except TreeMismatchError as e:
            raise InputError(f"{name}: arguments do not match the exported structure: {e}") from None
        in_avals, _ = self._exe.signature(name)
        assert in_avals is not None
        if len(pairs) != len(in_avals):
            raise ValueError(f"{name}: metadata has {len(pairs)} argument leaves but {len(in_avals)} avals")
        flat = []
        for (path, leaf), (shape, dtype) in zip(pairs, in_avals):
            arr = _as_array(name, path, leaf)
            if arr.dtype != dtype or arr.shape != shape:
                raise InputError(
                    f"{name}: argument {path}: expected {describe(shape, dtype)}, got {describe(arr.shape, arr.dtype)}"
                )
            flat.append(arr)
        results = self._finish(self._exe.call(name, flat))
        return unflatten_json(meta["out_tree"], results)

    def _finish(self, results: list[DeviceArray]) -> list[Any]:
        if self.numpy_results:
            return [r.to_numpy() for r in results]
        return list(results)

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("_"):
            raise AttributeError(name)
        exe = self.__dict__.get("_exe")
        if exe is None or name not in exe.function_names:
            raise AttributeError(
                f"module {self.__dict__.get('path')!r} has no function {name!r}; "
                f"functions: {', '.join(exe.function_names) if exe else '(none)'}"
            )

        def bound(*args: Any) -> Any:
            return self.call(name, *args)

        bound.__name__ = name
        return bound

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self.function_names))

    def __repr__(self) -> str:
        exe = self.__dict__.get("_exe")
        return f"Module({self.__dict__.get('path')!r}, functions={exe.function_names if exe else []})"


def _as_array(fn: str, path: str, value: Any) -> Any:
    if isinstance(value, (DeviceArray, np.ndarray)):
        return value
    try:
        return np.asarray(value)
    except Exception as e:
        raise InputError(f"{fn}: argument {path}: cannot convert {type(value).__name__} to an array: {e}") from None


def load(path: str | os.PathLike[str], device: str = "local-task", *, numpy_results: bool = False,
         host_functions: Mapping[str, Callable[..., Any]] | None = None) -> Module:
    """Load a `.vmfb` file to run on `device` (see targets.resolve_device); `host_functions`
    provides the debug callbacks the module calls (see Module)."""
    return Module(path, device, numpy_results=numpy_results, host_functions=host_functions)
