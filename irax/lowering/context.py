"""The state of one StableHLO module being written, and what a lowering rule sees.

    ModuleContext   one module: its target, its functions (public entries and private
                    helpers, each emitted once), the facts learnt while lowering (uses_f64)
    FunctionContext one function body being written: the module, its Emitter, and the
                    helpers it calls
    RuleContext     a FunctionContext plus the equation a rule is lowering (its avals)
    LoweredModule   the finished module: text + facts
    HostImport      a host function the module calls (a debug callback): declared as
                    `func.func private @irax_host.cb<k>(...)`, which IREE turns into a VM
                    import of the `irax_host` module the runtime provides

The interpreter that fills these lives in lower.py (JAX's mlir.ModuleContext and
lower_jaxpr_to_fun are the model: one emitter writes any number of functions into one
module; `irax.jit` is the one-entry case).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable, Hashable, Iterable, Sequence

import numpy as np

from ..tracer import core
from ..tracer.core import ShapedArray
from .emitter import Emitter, aval_type

# The VM module name of host imports. irax.runtime (runtime/host.py) registers a Python
# module of this name, exporting the functions the compiled module imports.
HOST_MODULE = "irax_host"
# `iree.reflection` key of a public function: the JSON list of the host imports it reaches.
HOST_REFLECTION_KEY = "irax_host"

# Element types that need `--iree-input-demote-f64-to-f32=false` to survive compilation.
_WIDE_FLOATS = (np.dtype(np.float64), np.dtype(np.complex128))

@dataclass
class _Function:
    text: str
    public: bool
    calls: set[str]


@dataclass(frozen=True)
class HostImport:
    """A host function the module imports: `irax_host.<name>`, called with buffer views of
    `avals` and returning nothing. `callback(*numpy_arrays)` is what the host runs;
    `describe()` is the JSON the function's `iree.reflection` carries, so that a loader can
    find (and, given its `spec`, rebuild) the function without the Python object."""

    name: str
    avals: tuple[ShapedArray, ...]
    callback: Callable[..., Any]
    results: tuple[ShapedArray, ...] = ()   # what it returns (pure_callback); () for debug

    @property
    def symbol(self) -> str:
        return f"{HOST_MODULE}.{self.name}"

    def describe(self) -> dict[str, Any]:
        spec = getattr(self.callback, "host_spec", None)
        return {"name": self.name,
                "avals": [[list(a.shape), a.dtype.name] for a in self.avals],
                "label": getattr(self.callback, "host_label", None) or
                _callable_name(self.callback),
                "spec": spec,
                **({"results": [[list(a.shape), a.dtype.name] for a in self.results]}
                   if self.results else {})}


def _callable_name(fn: Any) -> str:
    return getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or \
        type(fn).__name__


@dataclass(frozen=True)
class LoweredModule:
    """A finished module: its text and what lowering learnt about it."""

    text: str
    target: str
    uses_f64: bool                      # some value is float64 / complex128
    entries: tuple[str, ...]            # the public functions, in order
    helpers: tuple[str, ...] = ()       # the private functions, in order
    host_imports: tuple[HostImport, ...] = ()   # host functions the module calls


class ModuleContext:
    """Module-wide state while lowering: the target (rules may specialise on it), every
    function written so far, the helper functions by key (each emitted once per module)."""

    def __init__(self, target: str = "llvm-cpu", name: str = "irax") -> None:
        self.target = target
        self.name = name
        self.uses_f64 = False
        self._functions: dict[str, _Function] = {}
        self._helpers: dict[Hashable, tuple[str, Any]] = {}
        self._reserved: set[str] = set()
        self._host_imports: dict[Hashable, HostImport] = {}

    # -- facts
    def note_avals(self, avals: Iterable[ShapedArray]) -> None:
        if not self.uses_f64:
            self.uses_f64 = any(a.dtype in _WIDE_FLOATS for a in avals)

    # -- symbols
    def reserve_symbol(self, name: str) -> str:
        """Claim `name` (or `name_2`, `name_3`, ... if taken) as a function symbol."""
        base = symbol_name(name)
        sym, n = base, 1
        while sym in self._reserved:
            n += 1
            sym = f"{base}_{n}"
        self._reserved.add(sym)
        return sym

    def claim_entry_symbol(self, name: str) -> None:
        """Public entries keep their exact name (an export's name is its ABI)."""
        if name in self._reserved:
            raise ValueError(f"function {name!r} is already defined in this module")
        self._reserved.add(name)

    # -- helpers: functions shared by every caller in the module
    def helper_symbol(self, key: Hashable) -> str | None:
        hit = self._helpers.get(key)
        return hit[0] if hit is not None else None

    def add_helper(self, key: Hashable, symbol: str, keep_alive: Any = None) -> None:
        """Record `symbol` as the helper for `key`. `keep_alive` holds the object whose
        id() is part of the key (a jaxpr) for as long as the module is being written."""
        self._helpers[key] = (symbol, keep_alive)

    # -- host imports
    def host_import(self, callback: Callable[..., Any],
                    avals: Sequence[ShapedArray],
                    results: Sequence[ShapedArray] = (),
                    wrap: Callable[[Callable[..., Any]], Callable[..., Any]] | None = None
                    ) -> HostImport:
        """The import through which the module calls `callback` with values of `avals`
        (one per callback object and signature; declared in the module the first time),
        returning values of `results` (none for a debug callback). With `wrap`, the host
        runs wrap(callback) (the import is still one per callback object)."""
        avals, results = tuple(avals), tuple(results)
        key = (id(callback), tuple((a.shape, a.dtype) for a in avals),
               tuple((a.shape, a.dtype) for a in results))
        hit = self._host_imports.get(key)
        if hit is not None:
            return hit
        imp = HostImport(f"cb{len(self._host_imports)}", avals,
                         wrap(callback) if wrap is not None else callback, results)
        self._host_imports[key] = imp   # holds the callback: its id() stays its own
        self.note_avals(avals + results)
        ret = f" -> ({', '.join(map(aval_type, results))})" if results else ""
        decl = f"  func.func private @{imp.symbol}({', '.join(map(aval_type, avals))}){ret}\n"
        self._reserved.add(imp.symbol)
        self.add_function(imp.symbol, decl, public=False, calls=set())
        return imp

    def host_imports_of(self, calls: Iterable[str]) -> list[HostImport]:
        """The host imports reachable from a function calling `calls`."""
        reached = set(self._reachable(sorted(calls)))
        return [imp for imp in self._host_imports.values() if imp.symbol in reached]

    def host_reflection(self, calls: Iterable[str]) -> str | None:
        """The `irax_host` reflection value for a function calling `calls` (None: it calls
        no host function)."""
        imports = self.host_imports_of(calls)
        if not imports:
            return None
        return json.dumps([imp.describe() for imp in imports], separators=(",", ":"))

    # -- functions
    def add_function(self, symbol: str, text: str, public: bool, calls: set[str]) -> None:
        self._functions[symbol] = _Function(text, public, set(calls))

    def text(self, only: Sequence[str] | None = None) -> str:
        """The module text; with `only`, just those entries and the helpers they reach."""
        wanted = list(self._functions) if only is None else self._reachable(only)
        public = [s for s in wanted if self._functions[s].public]
        private = [s for s in wanted if not self._functions[s].public]
        body = "\n".join(self._functions[s].text for s in public + private)
        return f"module @{symbol_name(self.name)} {{\n{body}}}\n"

    def _reachable(self, roots: Sequence[str]) -> list[str]:
        seen: list[str] = []
        todo = list(roots)
        while todo:
            s = todo.pop(0)
            if s not in seen:
                seen.append(s)
                todo += sorted(self._functions[s].calls)
        return [s for s in self._functions if s in seen]

    def finish(self) -> LoweredModule:
        fns = self._functions
        imports = {imp.symbol for imp in self._host_imports.values()}
        return LoweredModule(
            text=self.text(), target=self.target, uses_f64=self.uses_f64,
            entries=tuple(s for s, f in fns.items() if f.public),
            helpers=tuple(s for s, f in fns.items() if not f.public and s not in imports),
            host_imports=tuple(self._host_imports.values()))


class FunctionContext:
    """One function body being written: `em` its Emitter, `calls` the helpers it uses."""

    __slots__ = ("module", "em", "calls")

    def __init__(self, module: ModuleContext, em: Emitter, calls: set[str]) -> None:
        self.module = module
        self.em = em
        self.calls = calls

    @property
    def target(self) -> str:
        return self.module.target


class RuleContext(FunctionContext):
    """What a lowering rule sees: the function being written plus its equation's avals."""

    __slots__ = ("avals_in", "avals_out", "eqn")

    def __init__(self, fn: FunctionContext, avals_in: Sequence[ShapedArray],
                 avals_out: Sequence[ShapedArray], eqn: core.Eqn | None = None) -> None:
        super().__init__(fn.module, fn.em, fn.calls)
        self.avals_in = list(avals_in)
        self.avals_out = list(avals_out)
        self.eqn = eqn


def symbol_name(name: str) -> str:
    """A valid MLIR symbol from any name (letters, digits, `_`; not starting with a digit)."""
    s = "".join(c if c.isalnum() and c.isascii() or c == "_" else "_" for c in name) or "f"
    return s if not s[0].isdigit() else f"_{s}"
