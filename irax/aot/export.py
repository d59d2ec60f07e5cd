"""Ahead-of-time export: several functions into one IREE module (`.vmfb`).

    exported = irax.aot.export({
        "predict": (predict, (params_spec, x_spec)),
        "train_step": (train_step, (params_spec, x_spec, y_spec)),
    }, target="llvm-cpu,vulkan")
    exported.save("model.vmfb")

Each function is traced at its argument specs (`irax.ShapeDtypeStruct`s or
example arrays, in any pytree) and written as a public function of ONE
StableHLO module by irax.lowering's ModuleContext (helper functions shared by
several exports are written once), which IREE compiles once. Where Vulkan is
one of the targets the module is lowered for Vulkan (its workarounds are
correct on every target). Each exported function carries:

- `iree.abi.name` on every argument and result (`params['w']`, `result[0]`),
  which IREE keeps and tools such as `iree-run-module` show;
- `iree.reflection = {irax = "<json>"}`, the pytree + dtype metadata that
  `irax.runtime` reads (format: irax/runtime/treedef_json.py), so
  `irax.runtime.load(path).predict(params, x)` takes and returns pytrees.
"""
from __future__ import annotations

import inspect
import json
import os
import re
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..runtime import targets as _targets
from ..runtime.treedef_json import METADATA_KEY, METADATA_VERSION, TreeSpec

Progress = Callable[[str], None]
Aval = tuple[tuple[int, ...], str]  # (shape, numpy dtype name), as stored in the metadata

_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class ExportError(Exception):
    """An export spec is wrong, or a function could not be traced or lowered."""


@dataclass
class ExportedFunction:
    """One exported entry point: its structure, its avals and its StableHLO (a module
    with just this function and the helpers it calls, as `--emit-stablehlo` writes it)."""

    name: str
    in_tree: TreeSpec
    out_tree: TreeSpec
    in_avals: list[Aval]
    out_avals: list[Aval]
    arg_names: list[str]
    result_names: list[str]
    stablehlo: str  # this function alone (with its helpers) as a module
    num_eqns: int
    trace_s: float
    lower_s: float

    def metadata(self) -> dict[str, Any]:
        """The `irax` entry of the function's `iree.reflection` (treedef_json format)."""
        return {
            "version": METADATA_VERSION,
            "in_tree": self.in_tree,
            "out_tree": self.out_tree,
            "in_avals": [[list(s), d] for s, d in self.in_avals],
            "out_avals": [[list(s), d] for s, d in self.out_avals],
            "arg_names": self.arg_names,
            "result_names": self.result_names,
        }

    def signature(self) -> str:
        """`predict(params['w']: float32[2,3], x: float32[4,2]) -> result: float32[4,3]`."""
        ins = ", ".join(f"{n}: {_fmt_aval(a)}" for n, a in zip(self.arg_names, self.in_avals))
        outs = ", ".join(f"{n}: {_fmt_aval(a)}" for n, a in zip(self.result_names, self.out_avals))
        return f"{self.name}({ins}) -> ({outs})"


@dataclass
class Exported:
    """The result of `export`: the StableHLO module text and the compiled module."""

    stablehlo: str
    vmfb: bytes
    target: str
    flags: list[str]
    functions: dict[str, ExportedFunction] = field(default_factory=dict)
    compile_s: float = 0.0

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the `.vmfb` atomically (temp file + rename); returns the path."""
        return _write_atomic(Path(path), self.vmfb)

    def __repr__(self) -> str:
        return (f"Exported(target={self.target!r}, functions={list(self.functions)}, "
                f"vmfb={len(self.vmfb)} bytes)")


def export(
    exports: Mapping[str, tuple[Callable[..., Any], Sequence[Any]]],
    target: str = "llvm-cpu",
    path: str | os.PathLike[str] | None = None,
    *,
    cpu: str = "host",
    vulkan_target: str | None = None,
    cuda_target: str = "sm_80",
    progress: Progress | None = None,
) -> Exported:
    """Trace, lower and compile `exports` into one module; save it if `path` is given.

    `exports` maps each entry name to `(function, arg_specs)`; `arg_specs` is
    the tuple of positional arguments, each a pytree whose leaves are
    `irax.ShapeDtypeStruct`s, arrays or Python scalars. `target` is
    "llvm-cpu", "vulkan", "cuda" or a comma list of them (one file for all).
    `cpu` is the LLVM CPU ("host" is fastest but not portable: use "generic"
    or e.g. "x86-64-v3" to ship); `vulkan_target` defaults to a generic
    profile that is correct on any conformant driver (lavapipe included);
    `cuda_target` defaults to sm_80 (its PTX also JITs on newer GPUs).
    `progress`, if given, receives one line per traced function and per compile.
    """
    say = progress or (lambda _msg: None)
    try:
        canon = _targets.parse_targets(target)
    except ValueError as e:
        raise ExportError(str(e)) from None
    if not isinstance(exports, Mapping) or not exports:
        raise ExportError(
            "exports must be a non-empty dict mapping each entry name to (function, arg_specs), "
            f"got {_short_repr(exports)}"
        )
    traced = []
    for i, (name, entry) in enumerate(exports.items(), 1):
        fn, specs = _check_entry(name, entry)
        info, closed = trace(name, fn, specs)
        traced.append((info, closed))
        say(f"[{i}/{len(exports)}] {name}: {len(info.in_avals)} argument leaves -> "
            f"{len(info.out_avals)} results, {info.num_eqns} equations; traced in "
            f"{info.trace_s:.2f} s")

    lowered, functions = lower(traced, lowering_target(canon))
    say(f"lowered {len(functions)} function(s) to one StableHLO module in "
        f"{sum(f.lower_s for f in functions.values()):.2f} s")
    flags = _targets.compile_flags(
        ",".join(canon), cpu=cpu, vulkan_target=vulkan_target or _targets.SAFE_VULKAN_TARGET,
        cuda_target=cuda_target, f64=lowered.uses_f64,
    )
    from ..runtime.compiler import compile_stablehlo

    say(f"compiling {len(functions)} function(s) for {','.join(canon)} with IREE ...")
    t0 = time.perf_counter()
    vmfb = compile_stablehlo(lowered.text, flags)
    compile_s = time.perf_counter() - t0
    say(f"compiled {len(vmfb) / 1024:.0f} KiB for {','.join(canon)} in {compile_s:.2f} s")
    out = Exported(lowered.text, vmfb, ",".join(canon), flags, functions, compile_s)
    if path is not None:
        out.save(path)
    return out


def lowering_target(targets: Sequence[str]) -> str:
    """The target one module for all of `targets` is lowered for: Vulkan if it is among
    them (its workarounds, e.g. split long reductions, are correct everywhere), else the
    first."""
    return "vulkan" if "vulkan" in targets else targets[0]


def lower(traced: Sequence[tuple[ExportedFunction, Any]], target: str) -> tuple[Any, dict[str, ExportedFunction]]:
    """Write every traced function into one module (names + reflection metadata attached);
    returns the LoweredModule and the functions with their `stablehlo` and `lower_s`."""
    from ..lowering import ModuleContext, lower_jaxpr_to_fun

    module = ModuleContext(target, "irax_export")
    functions: dict[str, ExportedFunction] = {}
    for info, closed in traced:
        t0 = time.perf_counter()
        try:
            lower_jaxpr_to_fun(
                module, info.name, closed, arg_names=info.arg_names,
                result_names=info.result_names,
                reflection={METADATA_KEY: json.dumps(info.metadata(), separators=(",", ":"))})
        except Exception as e:
            raise ExportError(f"export {info.name!r}: lowering to StableHLO failed: "
                              f"{type(e).__name__}: {e}") from e
        info.lower_s = time.perf_counter() - t0
        functions[info.name] = info
    for info in functions.values():
        info.stablehlo = module.text(only=[info.name])
    return module.finish(), functions


# ---------------------------------------------------------------------------
# Tracing one function


def _check_entry(name: Any, entry: Any) -> tuple[Callable[..., Any], tuple[Any, ...]]:
    if not isinstance(name, str) or not _NAME_RE.match(name) or name.startswith("__"):
        raise ExportError(
            f"export name {name!r} is not valid: use a Python-style identifier "
            "(letters, digits, underscores; not starting with a digit or '__')"
        )
    if not isinstance(entry, (tuple, list)) or len(entry) != 2:
        raise ExportError(
            f"export {name!r} must be a pair (function, arg_specs), got {_short_repr(entry)}"
        )
    fn, specs = entry
    if not callable(fn):
        raise ExportError(f"export {name!r}: {_short_repr(fn)} is not callable; expected (function, arg_specs)")
    if not isinstance(specs, (tuple, list)):
        raise ExportError(
            f"export {name!r}: arg_specs must be a tuple of the positional arguments "
            f"(e.g. (irax.ShapeDtypeStruct((3,), 'float32'),)), got {_short_repr(specs)}"
        )
    return fn, tuple(specs)


def trace(name: str, fn: Callable[..., Any], specs: tuple[Any, ...]) -> tuple[ExportedFunction, Any]:
    """Trace `fn` at `specs`: its ExportedFunction (structure, avals, names; no StableHLO
    yet) and its ClosedJaxpr."""
    from .. import tree_util
    from ..tracer.core import ShapedArray, get_aval
    from ..tracer.partial_eval import trace_to_jaxpr

    leaves_with_paths = _leaves_with_paths(specs)
    leaves, in_treedef = tree_util.tree_flatten(specs)
    param_names = _param_names(fn, len(specs))
    in_avals: list[ShapedArray] = []
    for (path, leaf), leaf2 in zip(leaves_with_paths, leaves):
        assert leaf is leaf2
        where = _pretty_path(path, param_names)
        in_avals.append(_spec_aval(name, where, leaf))
    in_tree = _tree_json(name, "arguments", in_treedef)

    out_store: dict[str, Any] = {}

    def flat(*args: Any) -> list[Any]:
        out = fn(*tree_util.tree_unflatten(in_treedef, args))
        out_leaves, out_store["tree"] = tree_util.tree_flatten(out)
        for i, leaf in enumerate(out_leaves):
            try:
                get_aval(leaf)
            except TypeError:
                raise TypeError(f"output leaf {i} is a {type(leaf).__name__}, not an array") from None
        return out_leaves

    t0 = time.perf_counter()
    try:
        closed = trace_to_jaxpr(flat, in_avals, f"export {name}")
    except Exception as e:
        raise ExportError(f"export {name!r}: tracing {_fn_name(fn)} failed: {type(e).__name__}: {e}") from e
    trace_s = time.perf_counter() - t0
    out_tree = _tree_json(name, "results", out_store["tree"])

    out_paths = _tree_paths(out_tree)
    info = ExportedFunction(
        name=name,
        in_tree=in_tree,
        out_tree=out_tree,
        in_avals=[(tuple(a.shape), np.dtype(a.dtype).name) for a in closed.in_avals],
        out_avals=[(tuple(a.shape), np.dtype(a.dtype).name) for a in closed.out_avals],
        arg_names=[_pretty_path(p, param_names) for p, _ in leaves_with_paths],
        result_names=["result" + "".join(_fmt_key(k) for k in p) for p in out_paths],
        stablehlo="",
        num_eqns=len(closed.jaxpr.eqns),
        trace_s=trace_s,
        lower_s=0.0,
    )
    return info, closed


def _spec_aval(name: str, where: str, leaf: Any) -> Any:
    """The abstract value (ShapedArray) an argument spec leaf stands for."""
    from ..tracer.core import ShapedArray, get_aval
    from ..tracer.dtypes import canonicalize

    if isinstance(leaf, (bool, int, float, complex)) and not isinstance(leaf, np.generic):
        return get_aval(leaf)
    shape, dtype = getattr(leaf, "shape", None), getattr(leaf, "dtype", None)
    if shape is None or dtype is None or isinstance(leaf, type):
        raise ExportError(
            f"export {name!r}: argument {where} is {_short_repr(leaf)}, not a shape: use "
            "irax.ShapeDtypeStruct(shape, dtype) or an example array"
        )
    try:
        shape = tuple(int(d) for d in shape)
        dt = np.dtype(getattr(dtype, "dtype", dtype))
    except (TypeError, ValueError) as e:
        raise ExportError(f"export {name!r}: argument {where} has an invalid shape or dtype: {e}") from None
    if any(d < 0 for d in shape):
        raise ExportError(f"export {name!r}: argument {where} has a negative dimension: {shape}")
    return ShapedArray(shape, canonicalize(dt), False)


def _leaves_with_paths(tree: Any) -> list[tuple[tuple[Any, ...], Any]]:
    """(key path, leaf) in irax.tree_util flatten order (SequenceKey, DictKey, GetAttrKey...)."""
    from .. import tree_util

    return tree_util.tree_leaves_with_path(tree)


class _Attr(str):
    """A namedtuple field in a path: printed as `.field`."""


def _tree_paths(spec: TreeSpec, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    kind = spec["t"]
    if kind == "leaf":
        return [prefix]
    if kind == "none":
        return []
    keys: Sequence[Any]
    if kind == "dict":
        keys = spec["k"]
    elif kind == "namedtuple":
        keys = [_Attr(f) for f in spec["fields"]]
    else:
        keys = range(len(spec["c"]))
    out: list[tuple[Any, ...]] = []
    for k, child in zip(keys, spec["c"]):
        out += _tree_paths(child, prefix + (k,))
    return out


def _fmt_key(k: Any) -> str:
    if isinstance(k, _Attr):
        return f".{k}"
    return f"[{k!r}]"


def _pretty_path(path: tuple[Any, ...], param_names: list[str]) -> str:
    """`params['w']` for the key path [1]['w'] of f(x, params): the parameter's name, then
    the rest of the path as irax.tree_util.keystr writes it."""
    from ..tree_util import SequenceKey, keystr

    first = path[0] if path else None
    if isinstance(first, SequenceKey) and first.idx < len(param_names):
        return param_names[first.idx] + keystr(path[1:])
    return "args" + keystr(path)


def _param_names(fn: Callable[..., Any], n: int) -> list[str]:
    names: list[str] = []
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        params = []
    for p in params:
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            names.append(p.name)
        elif p.kind == p.VAR_POSITIONAL:
            break
    names += [f"arg{i}" for i in range(len(names), n)]
    return names[:n]


def _tree_json(name: str, what: str, td: Any) -> TreeSpec:
    """irax.tree_util.PyTreeDef -> the JSON tree spec of treedef_json."""
    kind = td.kind
    if kind == "leaf":
        return {"t": "leaf"}
    if kind == "none":
        return {"t": "none"}
    children = [_tree_json(name, what, c) for c in td.children]
    if kind in ("tuple", "list"):
        return {"t": kind, "c": children}
    if kind in ("dict", "ordereddict", "defaultdict"):   # rebuilt as a dict, keys in flatten order
        keys = list(td.node_data[1] if kind == "defaultdict" else td.node_data)
        bad = [k for k in keys if not isinstance(k, (str, int)) or isinstance(k, bool)]
        if bad:
            raise ExportError(
                f"export {name!r}: {what} contain a dict key {bad[0]!r} of type {type(bad[0]).__name__}; "
                "exported dicts need str or int keys"
            )
        return {"t": "dict", "k": keys, "c": children}
    if kind == "namedtuple":
        cls = td.node_data
        return {"t": "namedtuple", "name": cls.__name__, "fields": list(cls._fields), "c": children}
    node_type = td.node_data[0] if kind == "custom" else kind
    raise ExportError(
        f"export {name!r}: {what} contain a pytree node ({getattr(node_type, '__name__', node_type)}) that a "
        "saved module cannot rebuild; use tuples, lists, dicts or namedtuples at the module boundary"
    )


def _fmt_aval(a: Aval) -> str:
    return f"{a[1]}[{','.join(map(str, a[0]))}]"


def _fn_name(fn: Callable[..., Any]) -> str:
    return getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or repr(fn)


def _short_repr(x: Any, limit: int = 60) -> str:
    r = repr(x)
    if len(r) > limit:
        r = r[: limit - 3] + "..."
    return f"{type(x).__name__} {r}" if not isinstance(x, type) else f"the type {x.__name__}"


def _write_atomic(path: Path, data: bytes) -> Path:
    """Write `data` to `path` through a temp file in the same directory and a rename, so
    readers never see half a file. The file gets the permissions of any newly created
    file (0666 less the umask), not mkstemp's private 0600."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path
