"""`irax.debug`: print values and call Python from inside transformed and compiled code.

    irax.debug.print("x: {x}, step {}", i, x=x)       # like jax.debug.print
    irax.debug.callback(fn, x, y=tree)                 # like jax.debug.callback
    irax.debug.print(ordered=True)("x: {}", x)         # the two-call form

Both run when the program runs, not when it is traced: eagerly they run at once; under
`irax.jit` the compiled module calls back into Python (an IREE host module, see
irax/runtime/host.py) every time it executes that point -- once per loop iteration inside
while_loop / scan / fori_loop bodies, only the taken branch of cond / switch. Under vmap
they run once per example (in example order); under jvp / grad with the primal values
(tangents are not printed; a print inside a custom_vjp bwd runs in the backward pass).

Callbacks receive irax Arrays (as JAX's receive jax Arrays), so `{}` formatting and the
reprs of containers read as in JAX. `ordered=True` is accepted: compiled code calls the
host in program order, so every callback is ordered. `partitioned` is accepted and
ignored (irax does not shard).

A module exported with irax.aot keeps its prints: their format string and argument
structure travel in the module's metadata, and irax.runtime.load rebuilds them. A saved
module calling `debug.callback` needs the Python function again at load time
(`irax.runtime.load(path, host_functions={...})`, names in `Module.host_imports`).
"""
from __future__ import annotations

import json
import string
import sys
from typing import Any, Callable

import numpy as np

from . import tree_util
from .tracer import core
from .tracer.prims.debug import debug_callback

__all__ = ["print", "callback"]


def print(fmt: str | None = None, *args: Any, ordered: bool = False, partitioned: bool = False,
          skip_format_check: bool = False, **kwargs: Any) -> Callable[..., None] | None:
    """Print `fmt.format(*args, **kwargs)` when the program runs (jax.debug.print).

    Pass values as arguments, not through an f-string: formatting waits for the values.
    Raises at trace time, as JAX does, for placeholders with no argument (KeyError /
    IndexError) and for unused arguments (ValueError)."""
    def debug_print(fmt: str, *args: Any, **kwargs: Any) -> None:
        if not isinstance(fmt, str):
            raise TypeError(f"irax.debug.print: the format must be a str, got "
                            f"{type(fmt).__name__}")
        if not skip_format_check:
            _FORMAT_CHECKER.format(fmt, *args, **kwargs)
        placeholders = False
        if fmt:
            _, field, *_ = next(iter(string.Formatter().parse(fmt)))
            placeholders = field is not None
        dynamic, static, tree = _split(args, kwargs)
        printer = _Printer(fmt, tree, static, np.get_printoptions(), placeholders)
        debug_callback(printer, *dynamic, ordered=ordered)

    if fmt is not None:
        debug_print(fmt, *args, **kwargs)
        return None
    if args or kwargs:
        raise TypeError(f"irax.debug.print received unexpected arguments in the two-call "
                        f"form: args={args} kwargs={kwargs}")
    return debug_print


def callback(callback: Callable[..., Any] | None = None, *args: Any, ordered: bool = False,
             partitioned: bool = False, **kwargs: Any) -> Callable[..., None] | None:
    """Call `callback(*args, **kwargs)` when the program runs (jax.debug.callback); array
    leaves arrive as irax Arrays, other leaves as they were given. Returns None."""
    def debug_cb(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        if not callable(fn):
            raise TypeError("first argument to irax.debug.callback must be callable, but got "
                            f"an object of type {type(fn)}")
        dynamic, static, tree = _split(args, kwargs)
        debug_callback(_Call(fn, tree, static), *dynamic, ordered=ordered)

    if callback is not None:
        debug_cb(callback, *args, **kwargs)
        return None
    if args or kwargs:
        raise TypeError(f"irax.debug.callback received unexpected arguments in the two-call "
                        f"form: args={args} kwargs={kwargs}")
    return debug_cb


# ---------------------------------------------------------------------------
# Arguments: array leaves are operands of the primitive, the rest stay Python values


def _split(args: tuple, kwargs: dict) -> tuple[list[Any], dict[int, Any], Any]:
    leaves, tree = tree_util.tree_flatten((args, kwargs))
    dynamic, static = [], {}
    for i, leaf in enumerate(leaves):
        if core.is_array_like(leaf) or hasattr(leaf, "__jax_array__"):
            dynamic.append(leaf)
        else:
            static[i] = leaf
    return dynamic, static, tree


def _merge(tree: Any, static: dict[int, Any], values: tuple) -> tuple[tuple, dict]:
    leaves, it = [], iter(values)
    for i in range(len(values) + len(static)):
        leaves.append(static[i] if i in static else core.Array(np.asarray(next(it))))
    return tree_util.tree_unflatten(tree, leaves)


class _Call:
    """The flat host function of a debug.callback: NumPy operands -> fn(*args, **kwargs)."""

    def __init__(self, fn: Callable[..., Any], tree: Any, static: dict[int, Any]) -> None:
        self.fn, self.tree, self.static = fn, tree, static
        self.host_label = f"irax.debug.callback of {_name(fn)}"
        self.__name__ = _name(fn)

    def __call__(self, *values: np.ndarray) -> None:
        args, kwargs = _merge(self.tree, self.static, values)
        self.fn(*args, **kwargs)


class _Printer:
    """The flat host function of a debug.print. `host_spec` describes it for a saved module
    (irax/runtime/host.py rebuilds it from that), or is None when the arguments' structure
    or static values cannot be written as JSON."""

    def __init__(self, fmt: str, tree: Any, static: dict[int, Any], printoptions: dict,
                 placeholders: bool) -> None:
        self.fmt, self.tree, self.static = fmt, tree, static
        self.printoptions, self.placeholders = dict(printoptions), placeholders
        self.host_label = f"irax.debug.print({fmt!r})"
        self.__name__ = "debug_print"
        self.host_spec = self._spec()

    def __call__(self, *values: np.ndarray) -> None:
        args, kwargs = _merge(self.tree, self.static, values)
        with np.printoptions(**self.printoptions):
            if self.placeholders:
                msg = self.fmt.format(*args, **kwargs)
            else:
                msg = " ".join([self.fmt, *(str(a) for a in args)])
        sys.stdout.write(msg + "\n")

    def _spec(self) -> dict[str, Any] | None:
        try:
            spec = {"kind": "print", "fmt": self.fmt, "tree": _tree_spec(self.tree),
                    "static": [[i, v] for i, v in sorted(self.static.items())],
                    "printoptions": self.printoptions, "placeholders": self.placeholders}
            if json.loads(json.dumps(spec)) != spec:   # e.g. a tuple static value
                return None
            return spec
        except (TypeError, ValueError):
            return None


def _tree_spec(td: Any) -> dict[str, Any]:
    """The JSON tree of irax/runtime/treedef_json.py; ValueError for a custom node."""
    if td.kind == "leaf":
        return {"t": "leaf"}
    if td.kind == "none":
        return {"t": "none"}
    children = [_tree_spec(c) for c in td.children]
    if td.kind in ("tuple", "list"):
        return {"t": td.kind, "c": children}
    if td.kind == "dict" and all(isinstance(k, str) for k in td.node_data):
        return {"t": "dict", "k": list(td.node_data), "c": children}
    if td.kind == "namedtuple":
        cls = td.node_data
        return {"t": "namedtuple", "name": cls.__name__, "fields": list(cls._fields),
                "c": children}
    raise ValueError(f"a {td.kind} node has no JSON form")


def _name(fn: Any) -> str:
    return getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or \
        type(fn).__name__


class _FormatChecker(string.Formatter):
    """str.format's argument lookup without formatting (the values are not known yet)."""

    def format_field(self, value: Any, format_spec: str) -> str:
        return ""

    def check_unused_args(self, used_args, args, kwargs) -> None:
        unused = [a for i, a in enumerate(args) if i not in used_args]
        unused_kw = [k for k in kwargs if k not in used_args]
        if unused:
            raise ValueError(f"Unused positional arguments to `irax.debug.print`: {unused}")
        if unused_kw:
            raise ValueError(
                f"Unused keyword arguments to `irax.debug.print`: {unused_kw}. You may be "
                "passing an f-string (i.e, `f\"{x}\"`) into `irax.debug.print` and instead "
                "should pass in a regular string.")


_FORMAT_CHECKER = _FormatChecker()
