"""Ahead-of-time export: several functions into one IREE module (`.vmfb`).

    exported = irax.aot.export({
        "predict": (predict, (params_spec, x_spec)),
        "train_step": (train_step, (params_spec, x_spec, y_spec)),
    }, target="llvm-cpu,vulkan")
    exported.save("model.vmfb")

Each function is traced at its argument specs (`irax.ShapeDtypeStruct`s or
example arrays, in any pytree), lowered to StableHLO under its own name, and
all of them are linked into one StableHLO module compiled once by IREE. Each
exported function carries:

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
import tempfile
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
    """One exported entry point: its structure, its avals and its own StableHLO."""

    name: str
    in_tree: TreeSpec
    out_tree: TreeSpec
    in_avals: list[Aval]
    out_avals: list[Aval]
    arg_names: list[str]
    result_names: list[str]
    stablehlo: str  # this function's module as the lowering produced it
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
    """The result of `export`: the linked StableHLO text and the compiled module."""

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
    """Trace, lower, link and compile `exports` into one module; save it if `path` is given.

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
    functions: dict[str, ExportedFunction] = {}
    for i, (name, entry) in enumerate(exports.items(), 1):
        fn, specs = _check_entry(name, entry)
        info = trace_and_lower(name, fn, specs)
        functions[name] = info
        say(f"[{i}/{len(exports)}] {name}: {len(info.in_avals)} argument leaves -> "
            f"{len(info.out_avals)} results, {info.num_eqns} equations; traced in {info.trace_s:.2f} s, "
            f"lowered in {info.lower_s:.2f} s")

    text = link(list(functions.values()))
    f64 = any(d in ("float64", "complex128") for f in functions.values()
              for _, d in f.in_avals + f.out_avals) or _uses_f64(text)
    flags = _targets.compile_flags(
        ",".join(canon), cpu=cpu, vulkan_target=vulkan_target or _targets.SAFE_VULKAN_TARGET,
        cuda_target=cuda_target, f64=f64,
    )
    from ..runtime.compiler import compile_stablehlo

    say(f"compiling {len(functions)} function(s) for {','.join(canon)} with IREE ...")
    t0 = time.perf_counter()
    vmfb = compile_stablehlo(text, flags)
    compile_s = time.perf_counter() - t0
    say(f"compiled {len(vmfb) / 1024:.0f} KiB for {','.join(canon)} in {compile_s:.2f} s")
    out = Exported(text, vmfb, ",".join(canon), flags, functions, compile_s)
    if path is not None:
        out.save(path)
    return out


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


def trace_and_lower(name: str, fn: Callable[..., Any], specs: tuple[Any, ...]) -> ExportedFunction:
    """Trace `fn` at `specs` and lower it to a StableHLO module whose public function is `@name`."""
    from .. import tree_util
    from ..lowering import lower_jaxpr
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

    t0 = time.perf_counter()
    try:
        text = lower_jaxpr(closed, name)
    except Exception as e:
        raise ExportError(f"export {name!r}: lowering to StableHLO failed: {type(e).__name__}: {e}") from e
    lower_s = time.perf_counter() - t0

    out_paths = _tree_paths(out_tree)
    return ExportedFunction(
        name=name,
        in_tree=in_tree,
        out_tree=out_tree,
        in_avals=[(tuple(a.shape), np.dtype(a.dtype).name) for a in closed.in_avals],
        out_avals=[(tuple(a.shape), np.dtype(a.dtype).name) for a in closed.out_avals],
        arg_names=[_pretty_path(p, param_names) for p, _ in leaves_with_paths],
        result_names=["result" + "".join(_fmt_key(k) for k in p) for p in out_paths],
        stablehlo=text,
        num_eqns=len(closed.jaxpr.eqns),
        trace_s=trace_s,
        lower_s=lower_s,
    )


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
    """(path, leaf) in irax.tree_util flatten order; path items are ints or dict keys."""
    from .. import tree_util

    leaves, treedef = tree_util.tree_flatten(tree)
    paths = _treedef_paths(treedef)
    return list(zip(paths, leaves))


def _treedef_paths(td: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if td.kind == "leaf":
        return [prefix]
    keys: Sequence[Any]
    if td.kind == "dict":
        keys = td.node_data
    elif td.kind == "namedtuple":
        keys = [_Attr(f) for f in td.node_data._fields]
    else:
        keys = range(len(td.children))
    out: list[tuple[Any, ...]] = []
    for k, child in zip(keys, td.children):
        out += _treedef_paths(child, prefix + (k,))
    return out


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
    """`params['w']` for path (1, 'w') of f(x, params)."""
    head = param_names[path[0]] if path and isinstance(path[0], int) and path[0] < len(param_names) else None
    if head is None:
        return "args" + "".join(_fmt_key(k) for k in path)
    return head + "".join(_fmt_key(k) for k in path[1:])


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
    if kind == "dict":
        keys = list(td.node_data)
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
    raise ExportError(
        f"export {name!r}: {what} contain a custom pytree node ({td.node_data[0].__name__}) that a "
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


def _uses_f64(text: str) -> bool:
    return bool(re.search(r"\bf64\b|complex<f64>", text))


def _write_atomic(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
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


# ---------------------------------------------------------------------------
# Linking several lowered modules into one


def link(functions: Sequence[ExportedFunction]) -> str:
    """One StableHLO module holding every function, with names and metadata attached.

    Each function's module body is copied in; its private helpers are
    renamed `<export>__<helper>` so that helpers of different exports cannot
    collide; the public function gets `iree.abi.name`s and `iree.reflection`.
    """
    bodies: list[str] = []
    for f in functions:
        body = _module_body(f.stablehlo)
        body = _rename_symbols(body, f.name)
        body = _annotate_entry(body, f)
        bodies.append(body.strip("\n"))
    return "module @irax_export {\n" + "\n\n".join(bodies) + "\n}\n"


_MODULE_HEAD = re.compile(r"^\s*(?://[^\n]*\n\s*)*(?:builtin\.)?module\b")


def _module_body(text: str) -> str:
    """The operations inside `module ... { ... }`, or the text itself if it has no module op."""
    m = _MODULE_HEAD.match(text)
    if not m:
        return text
    # `module @name attributes {...} {`: skip the attribute dict, then take the region.
    i = m.end()
    i = _skip_ws(text, i)
    if text.startswith("@", i):
        while i < len(text) and not text[i].isspace() and text[i] != "{":
            i += 1
        i = _skip_ws(text, i)
    if text.startswith("attributes", i):
        i = _skip_ws(text, i + len("attributes"))
        i = _match(text, i) + 1
        i = _skip_ws(text, i)
    if not text.startswith("{", i):
        raise ExportError(f"cannot parse the lowered module header: {text[:120]!r}")
    end = _match(text, i)
    return text[i + 1: end]


def _defined_functions(body: str) -> list[tuple[str, str]]:
    """(visibility, name) of every func.func in the body."""
    return [(m.group(1) or "public", m.group(2))
            for m in re.finditer(r"func\.func\s+(?:(public|private|nested)\s+)?@([\w$.\-]+)", body)]


def _rename_symbols(body: str, export_name: str) -> str:
    funcs = _defined_functions(body)
    public = [n for vis, n in funcs if vis == "public"]
    if not public:
        raise ExportError(f"export {export_name!r}: the lowered module has no public function")
    entry = export_name if export_name in public else public[0]
    renames = {n: f"{export_name}__{n}" for vis, n in funcs if n != entry}
    if entry != export_name:
        renames[entry] = export_name
    for old, new in renames.items():
        body = re.sub(r"@" + re.escape(old) + r"(?![\w$.\-])", "@" + new, body)
    # Helpers that were public in the per-function module become private here.
    for vis, n in funcs:
        if n != entry and vis == "public":
            body = re.sub(r"func\.func\s+(?:public\s+)?@" + re.escape(renames[n]) + r"(?![\w$.\-])",
                          f"func.func private @{renames[n]}", body)
    return body


def _annotate_entry(body: str, f: ExportedFunction) -> str:
    m = re.search(r"func\.func\s+(?:public\s+)?@" + re.escape(f.name) + r"\s*\(", body)
    if m is None:
        raise ExportError(f"export {f.name!r}: cannot find func.func @{f.name} in the lowered module")
    args_open = m.end() - 1
    args_close = _match(body, args_open)
    args = _split_top(body[args_open + 1: args_close])
    if len(args) != len(f.in_avals):
        raise ExportError(
            f"export {f.name!r}: the lowered function has {len(args)} parameters but the traced "
            f"function has {len(f.in_avals)} argument leaves"
        )
    new_args = [_with_attr(a, "iree.abi.name", _mlir_str(n)) for a, n in zip(args, f.arg_names)]

    i = _skip_ws(body, args_close + 1)
    results: list[str] = []
    if body.startswith("->", i):
        i = _skip_ws(body, i + 2)
        if body.startswith("(", i):
            close = _match(body, i)
            results = _split_top(body[i + 1: close])
            i = close + 1
        else:
            j = _end_of_type(body, i)
            results = [body[i:j]]
            i = j
        i = _skip_ws(body, i)
    if len(results) != len(f.out_avals):
        raise ExportError(
            f"export {f.name!r}: the lowered function has {len(results)} results but the traced "
            f"function has {len(f.out_avals)} result leaves"
        )
    new_results = [_with_attr(r, "iree.abi.name", _mlir_str(n)) for r, n in zip(results, f.result_names)]

    reflection = f"iree.reflection = {{{METADATA_KEY} = {_mlir_str(json.dumps(f.metadata(), separators=(',', ':')))}}}"
    if body.startswith("attributes", i):
        a_open = _skip_ws(body, i + len("attributes"))
        a_close = _match(body, a_open)
        existing = body[a_open + 1: a_close].strip()
        if "iree.reflection" in existing:
            raise ExportError(f"export {f.name!r}: the lowered function already has iree.reflection")
        attrs = f"attributes {{{reflection}{', ' + existing if existing else ''}}}"
        i = _skip_ws(body, a_close + 1)
    else:
        attrs = f"attributes {{{reflection}}}"
    if not body.startswith("{", i):
        raise ExportError(f"export {f.name!r}: cannot parse the signature of func.func @{f.name}")
    header = (f"func.func public @{f.name}({', '.join(new_args)}) -> ({', '.join(new_results)})\n"
              f"      {attrs} ")
    return body[: m.start()] + header + body[i:]


def _with_attr(item: str, key: str, value: str) -> str:
    """`%a: tensor<3xf32>` -> `%a: tensor<3xf32> {key = value}` (merged into an existing dict)."""
    item = item.strip()
    if item.endswith("}") and _depth_at(item, 0, len(item) - 1) == 1:
        open_ = _open_of_last(item)
        inner = item[open_ + 1: -1].strip()
        if key in inner:
            return item
        return f"{item[:open_]}{{{inner}{', ' if inner else ''}{key} = {value}}}"
    return f"{item} {{{key} = {value}}}"


def _open_of_last(s: str) -> int:
    depth = 0
    for i in range(len(s) - 1, -1, -1):
        if s[i] == "}":
            depth += 1
        elif s[i] == "{":
            depth -= 1
            if depth == 0:
                return i
    raise ExportError(f"unbalanced braces in {s!r}")


def _mlir_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


_OPEN = {"(": ")", "<": ">", "{": "}", "[": "]"}
_CLOSE = set(_OPEN.values())


def _skip_ws(s: str, i: int) -> int:
    while i < len(s) and s[i].isspace():
        i += 1
    return i


def _scan(s: str, start: int, end: int | None = None):
    """Yield (index, char, depth after it) over s[start:end], skipping string literals and
    the `>` of `->` (which is no bracket)."""
    depth, j, end = 0, start, len(s) if end is None else end
    while j < end:
        c = s[j]
        if c == '"':
            j = _skip_string(s, j)
            continue
        if c == ">" and j > 0 and s[j - 1] == "-":
            j += 1
            continue
        if c in _OPEN:
            depth += 1
        elif c in _CLOSE:
            depth -= 1
        yield j, c, depth
        j += 1


def _match(s: str, i: int) -> int:
    """Index of the bracket closing the one at `i` (strings and `->` are skipped)."""
    for j, c, depth in _scan(s, i):
        if c in _CLOSE and depth == 0:
            return j
    raise ExportError(f"unbalanced brackets in lowered StableHLO near: {s[i:i + 80]!r}")


def _skip_string(s: str, i: int) -> int:
    j = i + 1
    while j < len(s):
        if s[j] == "\\":
            j += 2
            continue
        if s[j] == '"':
            return j + 1
        j += 1
    return j


def _end_of_type(s: str, i: int) -> int:
    """End of a type starting at `i`: the first space or `{` outside brackets."""
    depth = 0
    j = i
    while j < len(s):
        c = s[j]
        if depth == 0 and (c.isspace() or c == "{"):
            break
        if c in "(<[":
            depth += 1
        elif c in ")>]":
            depth -= 1
        j += 1
    return j


def _depth_at(s: str, start: int, end: int) -> int:
    depth = 0
    for _, _, depth in _scan(s, start, end):
        pass
    return depth


def _split_top(s: str) -> list[str]:
    """Split at depth-0 commas; empty input gives []."""
    parts: list[str] = []
    start = 0
    for j, c, depth in _scan(s, 0):
        if c == "," and depth == 0:
            parts.append(s[start:j].strip())
            start = j + 1
    tail = s[start:].strip()
    if tail or parts:
        parts.append(tail)
    return parts
