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

import copy
import functools
import importlib.util
import json
import logging
import os
import string
import sys
from typing import Any, Callable, Sequence

import numpy as np

from . import tree_util
from .tracer import core
from .tracer.prims.debug import debug_callback
from .tracer.sharding import Sharding, default_devices_sharding
from .debugger import breakpoint  # noqa: F401

__all__ = ["callback", "print", "log", "DebugEffect", "OrderedDebugEffect",
           "visualize_array_sharding", "inspect_array_sharding", "visualize_sharding",
           "breakpoint"]

logger = logging.getLogger(__name__)


def print(fmt: str | None = None, *args: Any, ordered: bool = False, partitioned: bool = False,
          skip_format_check: bool = False, _use_logging: bool = False,
          **kwargs: Any) -> Callable[..., None] | None:
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
        printer = _Printer(fmt, tree, static, np.get_printoptions(), placeholders,
                           _logging_record() if _use_logging else None)
        debug_callback(printer, *dynamic, ordered=ordered)

    if fmt is not None:
        debug_print(fmt, *args, **kwargs)
        return None
    if args or kwargs:
        raise TypeError(f"debug_print received unexpected arguments in the two-call "
                        f"form: {args=} {kwargs=}")
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
        raise TypeError(f"debug_callback received unexpected arguments in the two-call "
                        f"form: {args=} {kwargs=}")
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
                 placeholders: bool, record: logging.LogRecord | None = None) -> None:
        self.fmt, self.tree, self.static = fmt, tree, static
        self.printoptions, self.placeholders = dict(printoptions), placeholders
        self.record = record
        self.host_label = f"irax.debug.{'log' if record else 'print'}({fmt!r})"
        self.__name__ = "debug_print"
        # a saved module rebuilds prints only; a log needs its Python logging record
        self.host_spec = None if record is not None else self._spec()

    def __call__(self, *values: np.ndarray) -> None:
        args, kwargs = _merge(self.tree, self.static, values)
        with np.printoptions(**self.printoptions):
            if self.placeholders:
                msg = self.fmt.format(*args, **kwargs)
            else:
                msg = " ".join([self.fmt, *(str(a) for a in args)])
        if self.record is not None:
            record = copy.copy(self.record)
            record.msg = msg
            logger.handle(record)
        else:
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


# ---------------------------------------------------------------------------
# debug.log: debug.print through Python's logging (INFO, on the "irax.debug" logger)

log = functools.partial(print, _use_logging=True)
log.__doc__ = ("Log `fmt.format(*args, **kwargs)` at INFO level on the 'irax.debug' logger "
               "when the program runs (jax.debug.log); the record names the caller's file "
               "and line.")

_IRAX_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _logging_record() -> logging.LogRecord:
    """An INFO record carrying the file and line of the user code calling debug.log."""
    frame = sys._getframe(1)
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(
            _IRAX_DIR):
        frame = frame.f_back
    file_name, line_no = ("(unknown file)", 0) if frame is None else \
        (frame.f_code.co_filename, frame.f_lineno)
    return logger.makeRecord(logger.name, logging.INFO, file_name, line_no, "", (), None)


# ---------------------------------------------------------------------------
# Effects: JAX's effect types of debug callbacks (irax's jaxprs keep program order
# without effect annotations; the classes exist for code that names them)


class DebugEffect:
    """The effect of an unordered debug callback."""
    __str__ = lambda self: "Debug"  # noqa: E731


class OrderedDebugEffect:
    """The effect of an ordered debug callback."""
    __str__ = lambda self: "OrderedDebug"  # noqa: E731


debug_effect = DebugEffect()
ordered_debug_effect = OrderedDebugEffect()


# ---------------------------------------------------------------------------
# Shardings


def inspect_array_sharding(value: Any, *, callback: Callable[[Sharding], None]) -> None:
    """Call callback(sharding) for each array leaf of value (jax.debug's): at once for
    concrete arrays; for traced ones once, while tracing (JAX calls it when the jitted
    function compiles), with the single device's sharding."""
    def inspect_one(x: Any) -> None:
        if isinstance(x, core.Array):
            callback(x.sharding)
        else:
            callback(default_devices_sharding())
    tree_util.tree_map(inspect_one, value)


def visualize_array_sharding(arr: Any, **kwargs: Any) -> None:
    """Draw arr's sharding (needs `rich`): see visualize_sharding."""
    inspect_array_sharding(arr, callback=lambda s: visualize_sharding(arr.shape, s, **kwargs))


def visualize_sharding(shape: Sequence[int], sharding: Sharding, *, use_color: bool = True,
                       scale: float = 1., min_width: int = 9, max_width: int = 80,
                       color_map: Any = None) -> None:
    """Draw which device holds which block of an array of `shape` (1 or 2 dimensions) as
    a table of boxes, with `rich` as JAX does."""
    if importlib.util.find_spec("rich") is None:
        raise ValueError("`visualize_sharding` requires `rich` to be installed.")
    import rich.align
    import rich.box
    import rich.console
    import rich.padding
    import rich.style
    import rich.table

    shape = tuple(shape)
    if not 1 <= len(shape) <= 2:
        raise ValueError("`visualize_sharding` only works for shapes with 1 and 2 dimensions.")
    console = rich.console.Console(width=max_width)
    use_color = use_color and console.color_system is not None
    if use_color and not color_map:
        try:
            import matplotlib as mpl
            color_map = mpl.colormaps["tab20b"]
        except ModuleNotFoundError:
            use_color = False
    base_height = int(10 * scale)
    base_width = int(base_height * (shape[1] if len(shape) == 2 else 1) / shape[0])
    kind = next(iter(sharding.device_set)).platform.upper()

    # the blocks, keyed by (row, column) of the block grid: their devices and extent
    blocks: dict[tuple[int, int], set[int]] = {}
    heights: dict[tuple[int, int], float | None] = {}
    widths: dict[tuple[int, int], float] = {}
    for dev, index in sharding.devices_indices_map(shape).items():
        spans = [_span(s, n) for s, n in zip(index, shape)]
        if len(shape) == 2:
            (r0, r1), (c0, c1) = spans
            key = (_block(r0, r1, shape[0]), _block(c0, c1, shape[1]))
            heights[key], widths[key] = (r1 - r0) / shape[0], (c1 - c0) / shape[1]
        else:
            (c0, c1), = spans
            key = (0, _block(c0, c1, shape[0]))
            heights[key], widths[key] = None, (c1 - c0) / shape[0]
        blocks.setdefault(key, set()).add(dev.id)
    rows = max(k[0] for k in blocks) + 1
    cols = max(k[1] for k in blocks) + 1
    colors = _color_cycle(color_map, rows, cols) if use_color else None
    table = rich.table.Table(show_header=False, show_lines=not use_color, padding=0,
                             highlight=not use_color, pad_edge=False,
                             box=None if use_color else rich.box.SQUARE)
    for i in range(rows):
        cells = []
        for j in range(cols):
            label = f"{kind} " + ",".join(str(d) for d in sorted(blocks[i, j]))
            width = min(max(int(widths[i, j] * base_width * 2.5), min_width), max_width)
            height = 1 if heights[i, j] is None else int(heights[i, j] * base_height)
            left, extra = divmod(width - len(label) - 2, 2)
            top, extra_v = divmod(height - 2, 2)
            pad = [top, left + extra, top + extra_v, left]
            color = text_color = None
            if colors is not None:
                color = _hex(next(colors)[:3])
                text_color = _text_color(color)
                pad = [p + 1 for p in pad]
            cells.append(rich.padding.Padding(
                rich.align.Align(label, "center", vertical="middle"),
                tuple(max(p, 0) for p in pad),
                style=rich.style.Style(bgcolor=color, color=text_color)))
        table.add_row(*cells)
    console.print(table, end="\n\n")


def _span(index: Any, n: int) -> tuple[int, int]:
    if isinstance(index, int):
        return index, index + 1
    start, stop, _ = index.indices(n)
    return start, stop


def _block(start: int, stop: int, n: int) -> int:
    size = stop - start
    return 0 if size == 0 else start // size


def _color_cycle(color_map: Any, rows: int, cols: int):
    n = rows * cols
    values = np.linspace(0, 1, n)
    idx = 0
    for _ in range(n):
        yield color_map(values[idx])
        idx = (idx + n // 2 + bool(n % 2 == 0)) % n


def _hex(rgb: Sequence[float]) -> str:
    return "#" + "".join(f"{int(c * 255):02X}" for c in rgb)


def _text_color(color: str) -> str:
    r, g, b = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    return "#000000" if r * 0.299 + g * 0.587 + b * 0.114 > 186 else "#ffffff"
