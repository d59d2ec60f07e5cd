"""irax.export (as jax.export): a jitted function as StableHLO you can save and call later.

    exp = irax.export.export(irax.jit(f))(irax.ShapeDtypeStruct((3,), "float32"))
    exp.mlir_module()                  # the StableHLO text (irax.jit's lowering of f)
    blob = exp.serialize()             # bytes: the format below
    irax.export.deserialize(blob).call(x)   # in this process or another one

The tracing and lowering are irax.jit's (its trace cache, its one-entry `@main` module,
constants embedded rather than hoisted); the trees use the AOT exporter's JSON tree specs
(irax/aot/export.py, irax/runtime/treedef_json.py: tuples, lists, dicts with str/int
keys, None, namedtuples), so deserializing runs no pickle and imports nothing named by
the bytes.

Serialized format, version 1 (integers little-endian):

    b"IRAXEXP\\0"  u32 format version  u32 header length  header (UTF-8 JSON)  sections

The header holds fun_name, platforms, in_tree / out_tree (tree specs), in_avals /
out_avals ([shape, dtype name, weak_type]), disabled_checks, and "sections": a list of
{"name", "size"} in the order the bytes follow: "stablehlo" (the module text), optionally
"vmfb" (the module IREE compiled at serialize time, with the "flags", "compiler" version
and "host" it was compiled with: reused when all three match, else the text is compiled
again) and "vjp" (the serialized VJP, for vjp_order > 0).

Calling: with concrete arguments the module runs directly; under a transformation (jit,
vmap, grad) the call is a pure_callback into it, inside a custom_vjp whose backward pass
calls the exported VJP (serialize(vjp_order=1) carries it; an Exported made in this
process makes it on demand, as JAX's does). Shape polymorphism (symbolic_shape) is not
supported: irax compiles static shapes only.
"""
from __future__ import annotations

import json
import platform as _platform
import struct
from typing import Any, Callable, Sequence

import numpy as np

from . import tree_util
from .aot.export import ExportError, _tree_json
from .profiler import span
from .runtime import treedef_json
from .tracer import dtypes
from .tracer.core import Array, ShapedArray, ShapeDtypeStruct, Tracer

__all__ = ["export", "deserialize", "Exported", "DisabledSafetyCheck", "symbolic_shape",
           "symbolic_args_specs", "SymbolicScope", "is_symbolic_dim",
           "default_export_platform", "minimum_supported_calling_convention_version",
           "maximum_supported_calling_convention_version",
           "register_pytree_node_serialization", "register_namedtuple_serialization"]

MAGIC = b"IRAXEXP\0"
FORMAT_VERSION = 1
# irax's calling convention: @main takes the argument leaves in flatten order, returns
# the result leaves; one version so far.
minimum_supported_calling_convention_version = 1
maximum_supported_calling_convention_version = 1

# JAX platform -> irax device
_PLATFORM_DEVICE = {"cpu": "cpu", "cuda": "cuda", "vulkan": "vulkan"}


class DisabledSafetyCheck:
    """A safety check to skip: `platform()` allows calling on a platform the function was
    not exported for; `custom_call(name)` is accepted (irax modules have none)."""

    def __init__(self, _impl: str) -> None:
        self._impl = _impl

    @classmethod
    def platform(cls) -> "DisabledSafetyCheck":
        return cls("platform")

    @classmethod
    def custom_call(cls, target_name: str) -> "DisabledSafetyCheck":
        return cls(f"custom_call:{target_name}")

    def is_custom_call(self) -> str | None:
        return self._impl[len("custom_call:"):] if self._impl.startswith("custom_call:") else None

    def __str__(self) -> str:
        return self._impl

    __repr__ = __str__

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, DisabledSafetyCheck) and self._impl == other._impl

    def __hash__(self) -> int:
        return hash(self._impl)


def default_export_platform() -> str:
    from .tracer.api_extra import default_backend
    return default_backend()


def _not_symbolic(name: str):
    def f(*args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            f"irax.export.{name}: shape polymorphism is not supported; irax compiles "
            "static shapes only: export once per concrete shape")
    f.__name__ = name
    return f


symbolic_shape = _not_symbolic("symbolic_shape")
symbolic_args_specs = _not_symbolic("symbolic_args_specs")
SymbolicScope = _not_symbolic("SymbolicScope")


def is_symbolic_dim(p: Any) -> bool:
    return False   # irax has no symbolic dimensions


_NAMEDTUPLES: dict[str, type] = {}


def register_namedtuple_serialization(nodetype: type, *, serialized_name: str) -> type:
    """Deserialize namedtuples of this class name (tree specs store the class name and
    fields) as nodetype itself rather than as a fresh namedtuple type."""
    _NAMEDTUPLES[serialized_name] = nodetype
    return nodetype


def register_pytree_node_serialization(nodetype: type, *, serialized_name: str,
                                       serialize_auxdata: Callable, deserialize_auxdata: Callable,
                                       from_children: Callable | None = None) -> type:
    raise NotImplementedError(
        "irax.export.register_pytree_node_serialization: irax serializes tuples, lists, "
        "dicts, None and namedtuples only; convert custom pytree nodes at the boundary")


# ---------------------------------------------------------------------------
# Trees and avals in the header


def _tree_from_spec(spec: dict) -> Any:
    """The irax PyTreeDef a JSON tree spec describes (registered namedtuple classes are
    rebuilt as themselves, others as namedtuple types made from the stored fields)."""
    return tree_util.tree_structure(_skeleton(spec))


def _skeleton(spec: dict) -> Any:
    kind = spec["t"]
    if kind == "leaf":
        return 0
    if kind == "none":
        return None
    children = [_skeleton(c) for c in spec["c"]]
    if kind == "namedtuple" and spec["name"] in _NAMEDTUPLES:
        return _NAMEDTUPLES[spec["name"]](*children)
    return treedef_json.unflatten_json({**spec, "c": [{"t": "leaf"}] * len(children)},
                                       children)


def _aval_json(a: ShapedArray) -> list:
    return [list(a.shape), np.dtype(a.dtype).name, bool(a.weak_type)]


def _aval_from(j: list) -> ShapedArray:
    return ShapedArray(tuple(j[0]), np.dtype(j[1]), bool(j[2]))


def _host_id() -> str:
    """What a module compiled for the "host" CPU depends on: the machine and CPU model."""
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            model = next((ln.split(":", 1)[1].strip() for ln in f
                          if ln.startswith("model name")), "")
    except OSError:
        pass
    return f"{_platform.machine()}|{model}"


# ---------------------------------------------------------------------------
# Exported


class Exported:
    """A function lowered to StableHLO for argument avals; see the module docstring."""

    def __init__(self, fun_name: str, in_spec: dict, out_spec: dict,
                 in_avals: Sequence[ShapedArray], out_avals: Sequence[ShapedArray],
                 platforms: tuple[str, ...], text: str, uses_f64: bool,
                 disabled_checks: Sequence[DisabledSafetyCheck] = (),
                 vmfb: tuple[bytes, dict] | None = None,
                 get_vjp: Callable[["Exported"], "Exported"] | None = None) -> None:
        self.fun_name = fun_name
        self._in_spec, self._out_spec = in_spec, out_spec
        self.in_tree = _tree_from_spec(in_spec)
        self.out_tree = _tree_from_spec(out_spec)
        self.in_avals = tuple(in_avals)
        self.out_avals = tuple(out_avals)
        self.platforms = tuple(platforms)
        self.disabled_safety_checks = tuple(disabled_checks)
        self._text = text
        self._uses_f64 = uses_f64
        self._vmfb = vmfb          # (bytes, {"flags", "compiler", "host"}) from serialization
        self._get_vjp = get_vjp
        self._vjp: Exported | None = None
        self._exe: dict[str, Any] = {}   # device -> runtime Executable
        self._by_device: dict[str, tuple[bytes, dict]] = {}   # device -> (vmfb, its meta)
        self._call_flat: Callable | None = None

    # JAX's attributes that are fixed on irax's one device
    nr_devices = 1
    ordered_effects: tuple = ()
    unordered_effects: tuple = ()
    calling_convention_version = maximum_supported_calling_convention_version
    uses_global_constants = False

    @property
    def module_kept_var_idx(self) -> tuple[int, ...]:
        return tuple(range(len(self.in_avals)))

    @property
    def in_shardings_hlo(self) -> tuple:
        return (None,) * len(self.in_avals)

    @property
    def out_shardings_hlo(self) -> tuple:
        return (None,) * len(self.out_avals)

    def in_shardings_jax(self, mesh: Any) -> tuple:
        """The inputs' shardings on `mesh`: unspecified (None) on irax's one device."""
        return (None,) * len(self.in_avals)

    def out_shardings_jax(self, mesh: Any) -> tuple:
        return (None,) * len(self.out_avals)

    @property
    def mlir_module_serialized(self) -> bytes:
        return self._text.encode()

    def mlir_module(self) -> str:
        """The StableHLO module text: `@main` takes the argument leaves, returns the
        result leaves."""
        return self._text

    def __str__(self) -> str:
        return f"Exported(fun_name={self.fun_name}, ...)"

    __repr__ = __str__

    def has_vjp(self) -> bool:
        return self._vjp is not None or self._get_vjp is not None

    def vjp(self) -> "Exported":
        """The exported VJP: takes the primal argument leaves then one cotangent per
        result leaf, returns the cotangent of each argument leaf."""
        if self._vjp is None:
            if self._get_vjp is None:
                raise ValueError("No VJP is available")
            self._vjp = self._get_vjp(self)
        return self._vjp

    # -- serialization
    def serialize(self, vjp_order: int = 0) -> bytearray:
        """The bytes of the format in the module docstring; vjp_order > 0 also carries
        that many orders of VJPs (for grad of the deserialized call)."""
        if not isinstance(vjp_order, int) or vjp_order < 0:
            raise ValueError(f"vjp_order must be a non-negative int, got {vjp_order!r}")
        sections: list[tuple[dict, bytes]] = [({"name": "stablehlo"}, self._text.encode())]
        device = self._device(check=False)
        if device is not None:
            vmfb, meta = self._compiled(device)
            sections.append(({"name": "vmfb", **meta}, vmfb))
        if vjp_order > 0:
            sections.append(({"name": "vjp"}, bytes(self.vjp().serialize(vjp_order - 1))))
        header = {
            "fun_name": self.fun_name, "platforms": list(self.platforms),
            "in_tree": self._in_spec, "out_tree": self._out_spec,
            "in_avals": [_aval_json(a) for a in self.in_avals],
            "out_avals": [_aval_json(a) for a in self.out_avals],
            "uses_f64": self._uses_f64,
            "disabled_checks": [str(c) for c in self.disabled_safety_checks],
            "calling_convention_version": self.calling_convention_version,
            "sections": [{**meta, "size": len(data)} for meta, data in sections],
        }
        h = json.dumps(header, separators=(",", ":")).encode()
        out = bytearray(MAGIC + struct.pack("<II", FORMAT_VERSION, len(h)) + h)
        for _, data in sections:
            out += data
        return out

    # -- compiling and running
    def _device(self, check: bool = True) -> str | None:
        """The irax device calls run on: the default one when its platform is among the
        exported platforms (or the platform check is disabled)."""
        from .runtime import targets
        from .tracer.api_extra import default_backend
        current = default_backend()
        if current in self.platforms or DisabledSafetyCheck.platform() in \
                self.disabled_safety_checks:
            return targets.resolve_device(current)
        if check:
            raise ValueError(
                f"Function '{self.fun_name}' was exported for platforms {self.platforms} "
                f"but it is used on {(current,)}.")
        return None

    def _flags(self, device: str) -> list[str]:
        from .runtime import targets
        return targets.compile_flags(targets.target_for_device(device), f64=self._uses_f64)

    def _compiled(self, device: str) -> tuple[bytes, dict]:
        """(module bytes, how they were compiled): the carried vmfb if it was compiled
        with the same flags, compiler and host CPU, else IREE compiles the text now."""
        from .runtime import cache, compiler
        hit = self._by_device.get(device)
        if hit is not None:
            return hit
        meta = {"flags": self._flags(device), "compiler": cache.compiler_version(),
                "host": _host_id()}
        data = None
        if self._vmfb is not None:
            carried, had = self._vmfb
            if all(had.get(k) == v for k, v in meta.items()):
                data = carried
        if data is None:
            with span(f"compile exported {self.fun_name}", "export"):
                data = compiler.compile_stablehlo(self._text, meta["flags"])
        self._by_device[device] = (data, meta)
        return data, meta

    def _executable(self, device: str) -> Any:
        exe = self._exe.get(device)
        if exe is None:
            from .runtime import Executable
            exe = Executable(self._compiled(device)[0], device)
            exe.set_signature("main", [(a.shape, a.dtype) for a in self.in_avals],
                              [(a.shape, a.dtype) for a in self.out_avals])
            self._exe[device] = exe
        return exe

    def _run(self, leaves: Sequence[Any]) -> list[Any]:
        """Run the module on concrete leaves; results as irax Arrays."""
        exe = self._executable(self._device())
        args = []
        for x, a in zip(leaves, self.in_avals):
            if isinstance(x, Array) and type(x._value) is not np.ndarray and x.dtype == a.dtype:
                args.append(x._value)   # device-resident: passed as it is
            else:
                args.append(np.asarray(x, a.dtype))
        with span(f"execute exported {self.fun_name}", "export"):
            outs = exe.call("main", args)
        return [Array(o, a.weak_type) for o, a in zip(outs, self.out_avals)]

    def call(self, *args: Any, **kwargs: Any) -> Any:
        """Call the exported function with arguments of the exported structure and types;
        works eagerly and under jit, vmap (one call per element) and grad (with a VJP)."""
        leaves, tree = tree_util.tree_flatten((args, kwargs))
        if tree != self.in_tree:
            raise ValueError(
                "The invocation args and kwargs must have the same pytree structure as when "
                f"the function '{self.fun_name}' was exported, but they have {tree} in the "
                f"invocation and {self.in_tree} when exported.")
        for i, (x, a) in enumerate(zip(leaves, self.in_avals)):
            shape = tuple(np.shape(x))
            dt = dtypes.canonicalize(np.result_type(x) if not hasattr(x, "dtype") else x.dtype)
            if shape != a.shape:
                raise ValueError(f"Shape mismatch for args leaf {i}: expected {a.shape} and "
                                 f"called with {shape}")
            if np.dtype(dt) != np.dtype(a.dtype):
                raise ValueError(f"Dtype mismatch for args leaf {i}: expected "
                                 f"{np.dtype(a.dtype).name} and called with {np.dtype(dt).name}")
        if any(isinstance(x, Tracer) for x in leaves):
            outs = self._traced_call()(*leaves)
        else:
            outs = self._run(leaves)
        return tree_util.tree_unflatten(self.out_tree, list(outs))

    def _traced_call(self) -> Callable:
        """The flat call under a transformation: a pure_callback into the module, whose
        VJP calls the exported VJP."""
        if self._call_flat is None:
            from .callback import pure_callback
            from .tracer.custom import custom_vjp
            shapes = [ShapeDtypeStruct(a.shape, a.dtype) for a in self.out_avals]

            def host(*xs):
                return [np.asarray(o) for o in self._run(xs)]

            @custom_vjp
            def f_flat(*xs):
                return tuple(pure_callback(host, shapes, *xs, vmap_method="sequential"))

            def fwd(*xs):
                return f_flat(*xs), xs

            def bwd(xs, cts):
                if not self.has_vjp():
                    raise ValueError(f"No VJP is available for the exported function "
                                     f"'{self.fun_name}': serialize it with vjp_order=1 "
                                     "(or more) to differentiate the deserialized call")
                vjp = self.vjp()
                cts = [ct if getattr(ct, "dtype", None) == a.dtype else
                       np.zeros(a.shape, a.dtype) for ct, a in zip(cts, vjp.in_avals[len(xs):])]
                return tuple(vjp.call(*xs, *cts))

            f_flat.defvjp(fwd, bwd)
            self._call_flat = f_flat
        return self._call_flat


# ---------------------------------------------------------------------------
# Exporting


def export(fun_jit: Any, *, platforms: Sequence[str] | None = None,
           disabled_checks: Sequence[DisabledSafetyCheck] = ()) -> Callable[..., Exported]:
    """`export(jit(f))(*args, **kwargs) -> Exported`; the arguments are arrays, scalars or
    irax.ShapeDtypeStructs (static arguments of the jit as values)."""
    from .jit import JitFunction
    if not isinstance(fun_jit, JitFunction):
        raise ValueError(f"Function to be exported must be the result of `jit` but is: "
                         f"{fun_jit}")
    plats = tuple(platforms) if platforms is not None else (default_export_platform(),)
    bad = [p for p in plats if p not in _PLATFORM_DEVICE]
    if bad:
        raise ValueError(f"irax.export: unsupported platform(s) {bad}; irax exports for "
                         f"{sorted(_PLATFORM_DEVICE)}")
    for c in disabled_checks:
        if not isinstance(c, DisabledSafetyCheck):
            raise ValueError(f"disabled_checks must be DisabledSafetyCheck values, got {c!r}")

    def do_export(*args: Any, **kwargs: Any) -> Exported:
        dyn, static_key = fun_jit._split(args, kwargs)
        leaves, tree = tree_util.tree_flatten(dyn)
        avals = [fun_jit._arg_aval(x) for x in leaves]
        traced = fun_jit._trace(avals, tree, static_key)
        return _export_closed(fun_jit._name, traced.closed, tree, traced.out_tree, plats,
                              disabled_checks)
    return do_export


def _export_closed(name: str, closed: Any, in_tree: Any, out_tree: Any,
                   platforms: tuple[str, ...], disabled_checks: Sequence) -> Exported:
    from .aot.export import lowering_target
    from .jit import _lower
    from .tracer.jit_spec import without_dead_pure_callbacks
    from .runtime import targets
    try:
        in_spec = _tree_json(name, "arguments", in_tree)
        out_spec = _tree_json(name, "results", out_tree)
    except ExportError as e:
        raise ValueError(str(e)) from None
    closed = without_dead_pure_callbacks(closed)
    target = lowering_target([targets.target_for_device(_PLATFORM_DEVICE[p])
                              for p in platforms])
    device = {"llvm-cpu": "cpu"}.get(target, target)
    lowered = _lower(closed, device, name)
    if lowered.host_imports:
        raise ValueError(f"irax.export of '{name}': the function calls back into Python "
                         "(irax.debug.print / callback), which a serialized module cannot "
                         "carry; remove the callbacks to export it")

    def get_vjp(exp: Exported) -> Exported:
        return _export_vjp(name, closed, exp)
    return Exported(name, in_spec, out_spec, closed.in_avals, closed.out_avals, platforms,
                    lowered.text, lowered.uses_f64, disabled_checks, get_vjp=get_vjp)


def _export_vjp(name: str, closed: Any, primal: Exported) -> Exported:
    """Export (primal leaves, result cotangents) -> argument cotangents."""
    from .tracer.api import vjp
    from .tracer.core import eval_jaxpr
    from .tracer.partial_eval import trace_to_jaxpr
    n = len(closed.in_avals)

    def flat(*xs):
        primals, cts = xs[:n], xs[n:]
        _, pullback = vjp(lambda *p: eval_jaxpr(closed.jaxpr, closed.consts, p), *primals)
        return list(pullback(list(cts)))
    cts_avals = [ShapedArray(a.shape, a.dtype, False) for a in closed.out_avals]
    vjp_closed = trace_to_jaxpr(flat, list(closed.in_avals) + cts_avals,
                                f"irax.export VJP of {name}")
    k = len(vjp_closed.in_avals)
    return _export_closed(f"{name}_vjp", vjp_closed,
                          tree_util.tree_structure((tuple(range(k)), {})),
                          tree_util.tree_structure(tuple(range(len(vjp_closed.out_avals)))),
                          primal.platforms, primal.disabled_safety_checks)


def deserialize(blob: bytes | bytearray) -> Exported:
    """The Exported that `Exported.serialize` wrote (any process, same format version)."""
    blob = bytes(blob)
    if blob[:len(MAGIC)] != MAGIC:
        raise ValueError("irax.export.deserialize: not a serialized irax Exported (bad magic)")
    version, hlen = struct.unpack_from("<II", blob, len(MAGIC))
    if version != FORMAT_VERSION:
        raise ValueError(f"irax.export.deserialize: format version {version} is not supported "
                         f"(this irax reads version {FORMAT_VERSION})")
    pos = len(MAGIC) + 8
    header = json.loads(blob[pos:pos + hlen].decode())
    pos += hlen
    sections: dict[str, tuple[dict, bytes]] = {}
    for meta in header["sections"]:
        sections[meta["name"]] = (meta, blob[pos:pos + meta["size"]])
        pos += meta["size"]
    if pos != len(blob) or "stablehlo" not in sections:
        raise ValueError("irax.export.deserialize: the bytes are truncated or malformed")
    vmfb = None
    if "vmfb" in sections:
        meta, data = sections["vmfb"]
        vmfb = (data, meta)
    exp = Exported(header["fun_name"], header["in_tree"], header["out_tree"],
                   [_aval_from(a) for a in header["in_avals"]],
                   [_aval_from(a) for a in header["out_avals"]],
                   tuple(header["platforms"]), sections["stablehlo"][1].decode(),
                   header["uses_f64"],
                   [DisabledSafetyCheck(c) for c in header["disabled_checks"]], vmfb)
    if "vjp" in sections:
        exp._vjp = deserialize(sections["vjp"][1])
    return exp
