"""Host functions a compiled module calls: the `irax_host` VM module, built from Python.

A module lowered by irax declares each host callback (irax.debug.print / callback) as
`func.func private @irax_host.cb<k>(tensor...)`. IREE compiles that into a VM import
`irax_host.cb<k>` with calling convention `"0" + "r" * n + "_v"` (one HAL buffer view per
operand, no results), and a VmContext holding the module can only be created when a
module named `irax_host` exporting those functions precedes it (else IREE refuses:
"required module 'irax_host' not registered on the context"). Such a module is built
here with `iree.runtime.PyModuleInterface`: each export receives VmRefs, reads them into
NumPy arrays (mapped on the CPU; copied through a staging buffer on Vulkan) and calls the
Python function.

What a module needs is written by irax.lowering into each public function's
`iree.reflection` under the key `irax_host`: a JSON list of

    {"name": "cb0", "avals": [[shape, dtype], ...], "label": "...", "spec": <spec> | null}

`spec` lets a loader rebuild the function without the Python object (a saved module):
`{"kind": "print", "fmt": ..., "tree": <treedef_json tree of (args, kwargs)>,
"static": [[leaf index, value], ...], "printoptions": {...}, "placeholders": bool}`
describes an irax.debug.print; callbacks (arbitrary Python) have none and must be passed
to the loader by name. A function that is neither provided nor rebuildable becomes a stub
that raises HostFunctionMissing when the module calls it.

An exception raised by a host function aborts the invocation; `HostModule.take_error()`
hands it back so the caller re-raises the original exception (not IREE's wrapped text).
"""
from __future__ import annotations

import json
import sys
import threading
import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import iree.runtime as rt
import numpy as np

from .arrays import ELEMENT_TYPE, DeviceArray, parse_dtype
from .treedef_json import unflatten_json

HOST_MODULE = "irax_host"
REFLECTION_KEY = "irax_host"

Aval = tuple[tuple[int, ...], np.dtype]


class UnknownHostFunction(ValueError):
    """`host_functions` names a function the module does not import."""


class HostFunctionMissing(RuntimeError):
    """A module called a host function (a debug callback) that the loader was not given."""


@dataclass(frozen=True)
class HostImport:
    """One function of `irax_host` that a module imports (from the reflection metadata)."""

    name: str
    avals: tuple[Aval, ...]
    label: str
    spec: dict[str, Any] | None
    results: tuple[Aval, ...] = ()   # buffer views it returns (irax.pure_callback)

    @property
    def cconv(self) -> str:
        return "0" + ("r" * len(self.avals) or "v") + "_" + ("r" * len(self.results) or "v")


def read_host_imports(reflections: Iterable[Mapping[str, str]]) -> dict[str, HostImport]:
    """The host imports described by the exported functions' reflection dicts (by name)."""
    found: dict[str, HostImport] = {}
    for refl in reflections:
        raw = refl.get(REFLECTION_KEY)
        if raw is None:
            continue
        for entry in json.loads(raw):
            avals = tuple((tuple(int(d) for d in shape), parse_dtype(dtype))
                          for shape, dtype in entry["avals"])
            results = tuple((tuple(int(d) for d in shape), parse_dtype(dtype))
                            for shape, dtype in entry.get("results", ()))
            found[entry["name"]] = HostImport(entry["name"], avals, entry.get("label") or "",
                                              entry.get("spec"), results)
    return found


def resolve(imports: Mapping[str, HostImport],
            provided: Mapping[str, Callable[..., Any]] | None) -> dict[str, Callable[..., Any]]:
    """A Python function for every import: the provided one, else one rebuilt from its
    spec, else a stub raising HostFunctionMissing. Unknown provided names are an error."""
    provided = dict(provided or {})
    unknown = sorted(set(provided) - set(imports))
    if unknown:
        known = ", ".join(f"{n} ({imp.label})" for n, imp in imports.items()) or "none"
        raise UnknownHostFunction(f"host_functions names {unknown} that the module does not import; "
                         f"its host functions: {known}")
    out: dict[str, Callable[..., Any]] = {}
    for name, imp in imports.items():
        fn = provided.get(name)
        if fn is None and imp.spec is not None:
            fn = function_from_spec(imp.spec)
        out[name] = fn if fn is not None else _missing(imp)
    return out


def _missing(imp: HostImport) -> Callable[..., Any]:
    def stub(*_: Any) -> None:
        raise HostFunctionMissing(
            f"the module calls the host function {HOST_MODULE}.{imp.name} (a debug callback: "
            f"{imp.label or 'unnamed'}), which was not given when it was loaded: pass "
            f"host_functions={{{imp.name!r}: fn}} (fn receives NumPy arrays) to "
            "irax.runtime.load / Executable")
    return stub


# ---------------------------------------------------------------------------
# Rebuilding a debug print from its spec (irax.debug.print writes the same spec)


def function_from_spec(spec: Mapping[str, Any]) -> Callable[..., Any] | None:
    """The host function a spec describes, or None for an unknown kind."""
    if spec.get("kind") != "print":
        return None
    fmt, tree = spec["fmt"], spec["tree"]
    static = {int(i): v for i, v in spec.get("static", [])}
    options = dict(spec.get("printoptions") or {})
    placeholders = bool(spec.get("placeholders", True))

    def print_values(*arrays: np.ndarray) -> None:
        leaves, it = [], iter(arrays)
        for i in range(len(arrays) + len(static)):
            leaves.append(static[i] if i in static else next(it))
        args, kwargs = unflatten_json(tree, leaves)
        sys.stdout.write(format_message(fmt, args, kwargs, options, placeholders) + "\n")
    return print_values


def format_message(fmt: str, args: Any, kwargs: Mapping[str, Any], printoptions: Mapping[str, Any],
                   placeholders: bool) -> str:
    """What irax.debug.print writes: `fmt.format(*args, **kwargs)` under the NumPy print
    options in force when it was traced (without placeholders: fmt and the values)."""
    with np.printoptions(**printoptions):
        if placeholders:
            return fmt.format(*args, **kwargs)
        return " ".join([fmt, *(str(a) for a in args)])


# ---------------------------------------------------------------------------
# The VM module


class HostModule:
    """The `irax_host` VM module for one device: `vm_module` goes into the VmContext before
    the compiled module. Calls from the module read their operands into NumPy arrays.

    The exports reach the Python functions through a weak reference to this object: IREE's
    C++ objects are invisible to Python's garbage collector, so a strong reference from an
    export to a function whose globals lead back to the module (a lambda next to the
    loaded module, a jitted function's own callback) would make a cycle never freed."""

    def __init__(self, instance: rt.VmInstance, device: rt.HalDevice, driver: str,
                 imports: Mapping[str, HostImport], functions: Mapping[str, Callable[..., Any]]
                 ) -> None:
        self._errors = threading.local()
        self.functions = dict(functions)
        me = weakref.ref(self)
        iface = rt.PyModuleInterface(HOST_MODULE, lambda _iface: None)
        for name, imp in imports.items():
            iface.export(name, imp.cconv, _entry(me, name, imp.avals, device, driver,
                                                 imp.results))
        self.vm_module = iface.create()

    def record_error(self, err: BaseException) -> None:
        self._errors.error = err

    def take_error(self) -> BaseException | None:
        """The exception a host function raised during this thread's last failed call."""
        err = getattr(self._errors, "error", None)
        self._errors.error = None
        return err


def _entry(module: "weakref.ref[HostModule]", name: str, avals: tuple[Aval, ...],
           device: rt.HalDevice, driver: str, results: tuple[Aval, ...] = ()
           ) -> Callable[..., Any]:
    """The export: VmRefs in, the host function called on NumPy arrays; a function with
    `results` returns arrays, handed back as new buffer views (one ref, or a tuple)."""
    def call(_state: Any, *refs: rt.VmRef) -> Any:
        host = module()
        if host is None:
            raise RuntimeError(f"{HOST_MODULE}.{name} called after its module was released")
        try:
            outs = host.functions[name](*[_to_numpy(r, aval, device, driver)
                                          for r, aval in zip(refs, avals)])
            if not results:
                return None
            views = [_from_numpy(o, aval, device) for o, aval in zip(outs, results)]
            return views[0] if len(views) == 1 else tuple(views)
        except BaseException as e:
            host.record_error(e)   # re-raised by the caller of invoke
            raise
    return call


def _from_numpy(value: Any, aval: Aval, device: rt.HalDevice) -> rt.VmRef:
    """A buffer view on `device` holding `value` as the declared shape and dtype."""
    shape, dtype = aval
    arr = np.asarray(value, dtype=dtype).reshape(shape)
    if not arr.flags.c_contiguous:   # (np.ascontiguousarray would make a 0-d array 1-d)
        arr = arr.copy(order="C")
    view = device.allocator.allocate_buffer_copy(
        memory_type=int(rt.MemoryType.DEVICE_LOCAL), allowed_usage=int(rt.BufferUsage.DEFAULT),
        device=device, buffer=arr, element_type=ELEMENT_TYPE.get(arr.dtype))
    return view.ref


def _to_numpy(ref: rt.VmRef, aval: Aval, device: rt.HalDevice, driver: str) -> np.ndarray:
    """A private NumPy copy of an operand (the buffer may be reused once the call returns).
    The declared dtype is used, not the buffer view's element type: IREE passes unsigned
    and signless integers with the same element type."""
    shape, dtype = aval
    if int(np.prod(shape, dtype=np.int64)) == 0:
        return np.zeros(shape, dtype)
    view = ref.deref(rt.HalBufferView)
    return np.array(DeviceArray(view, device, driver, shape, dtype).to_numpy())


def missing_module_hint(message: str) -> str:
    """Extra text for IREE's error when a module imports host functions nobody provides."""
    if f"'{HOST_MODULE}'" not in message:
        return ""
    return (f" (the module calls host functions of '{HOST_MODULE}', i.e. irax.debug.print / "
            "irax.debug.callback, but carries no irax_host metadata to build them from; "
            "such a module runs only under irax.runtime, not under iree-run-module)")
