"""irax.debug.breakpoint (as jax.debug.breakpoint): a `(jdb)` prompt when the program
reaches that point, with the caller's frames and the values of their arrays.

Eagerly it stops at once. Under irax.jit (and inside loops, vmap, grad) it stops each time
the compiled program reaches that point, like a debug.print: the traced arrays of the
frames' locals are the callback's operands, so `p x` shows x's runtime value, while the
frames are those of the trace. The commands are JAX's CLI debugger's: p / pp expr, any
expression, u(p) / d(own), l(ist), w(here) / bt, c(ontinue), q(uit) (exits the program).
`stdin=` / `stdout=` keyword arguments redirect the prompt (as JAX's cli debugger).

Layering: user API (imports the tracer and tree_util).
"""
from __future__ import annotations

import cmd
import inspect
import os
import pprint
import sys
import threading
import traceback
from typing import IO, Any

import numpy as np

from . import tree_util
from .tracer import core
from .tracer.prims.debug import debug_callback

__all__ = ["breakpoint"]

_IRAX_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
_lock = threading.Lock()


class _CantFlatten:
    def __repr__(self) -> str:
        return "<cant_flatten>"


class Frame:
    """One Python frame as the debugger shows it: file, line, source, locals."""

    def __init__(self, filename: str, lineno: int, source: list[str], offset: int | None,
                 locals: dict[str, Any]) -> None:
        self.filename, self.lineno = filename, lineno
        self.source, self.offset, self.locals = source, offset, locals

    @classmethod
    def of(cls, info: inspect.FrameInfo) -> "Frame":
        try:
            lines, start = inspect.getsourcelines(info.frame)
            source = "".join(lines).split("\n")
            offset = info.lineno - max(start, 1)
            if offset >= len(source):
                source, offset = [], None
        except (OSError, TypeError):
            source, offset = [], None
        return cls(info.filename, info.lineno, source, offset, dict(info.frame.f_locals))


class _Slot(int):
    """An operand position (distinct from a local whose value is an int)."""


def breakpoint(*, backend: str | None = None, filter_frames: bool = True,
               num_frames: int | None = None, ordered: bool = False, token: Any = None,
               **kwargs: Any) -> Any:
    """Enter the debugger at this point of the program (see the module docstring).
    backend: only "cli" (irax has JAX's text debugger). filter_frames: hide irax's own
    frames. num_frames: how many frames (innermost first) to keep. token: returned
    unchanged, for ordering against other values as in JAX."""
    if backend not in (None, "cli"):
        raise ValueError(f"irax.debug.breakpoint: unknown debugger backend {backend!r} "
                         "(irax has the 'cli' debugger)")
    infos = inspect.stack()[1:]
    if filter_frames:
        infos = [i for i in infos if not os.path.abspath(i.filename).startswith(_IRAX_DIR)]
    frames = [Frame.of(i) for i in infos]
    del infos
    if num_frames is not None:
        frames = frames[:num_frames]
    dynamic: list[Any] = []
    layout = []
    for f in frames:
        entries = []
        for name, value in f.locals.items():
            try:
                leaves, tree = tree_util.tree_flatten(value)
            except Exception:
                entries.append((name, None, [_CantFlatten()]))
                continue
            slots = []
            for leaf in leaves:
                if isinstance(leaf, core.Tracer):
                    slots.append(_Slot(len(dynamic)))
                    dynamic.append(leaf)
                else:
                    slots.append(leaf)
            entries.append((name, tree, slots))
        layout.append(entries)

    def stop(*values: Any) -> None:
        shown = []
        for f, entries in zip(frames, layout):
            local = {}
            for name, tree, slots in entries:
                leaves = [core.Array(np.asarray(values[s])) if type(s) is _Slot else s
                          for s in slots]
                local[name] = leaves[0] if tree is None else \
                    tree_util.tree_unflatten(tree, leaves)
            shown.append(Frame(f.filename, f.lineno, f.source, f.offset, local))
        with _lock:
            CliDebugger(shown, **kwargs).run()

    debug_callback(stop, *dynamic, ordered=ordered)
    return token


class CliDebugger(cmd.Cmd):
    """The `(jdb)` prompt: pdb's inspection commands (no stepping: the program is not
    paused between operations, only at the breakpoint). Every line goes through `onecmd`,
    which looks its first word up in `_COMMANDS`; anything else is an expression."""
    prompt = "(jdb) "
    intro = "Entering jdb:"

    def __init__(self, frames: list[Frame], stdin: IO[str] | None = None,
                 stdout: IO[str] | None = None, completekey: str = "tab") -> None:
        super().__init__(stdin=stdin, stdout=stdout, completekey=completekey)
        self.use_rawinput = stdin is None
        self.frames, self.frame_index = frames, 0

    def _say(self, text: str) -> None:
        print(text, file=self.stdout)

    def _show(self, expr: str, render=repr) -> None:
        try:
            value = eval(expr, {}, dict(self.frames[self.frame_index].locals))
            self._say(render(value))
        except Exception:
            kind, err = sys.exc_info()[:2]
            self._say("*** " + traceback.format_exception_only(kind, err)[-1].strip())

    def _context(self, around: int) -> None:
        f = self.frames[self.frame_index]
        shown = [f"> {f.filename}({f.lineno})"]
        if f.offset is not None:
            first, last = f.offset - 1 - around, f.offset + around
            shown += [("->  " if i == f.offset else "    ") + text
                      for i, text in enumerate(f.source) if first <= i <= last]
        self._say("\n".join(shown))

    def _move(self, step: int) -> None:
        target = self.frame_index + step
        if 0 <= target < len(self.frames):
            self.frame_index = target
        else:
            self._say("At topmost frame." if step > 0 else "At bottommost frame.")
        self._context(2)

    def _stack(self) -> None:
        shown = ["Traceback:"]
        for f in reversed(self.frames):
            shown.append(f'  File "{f.filename}", line {f.lineno}')
            shown.append("    <no source>" if f.offset is None
                         else "    " + f.source[f.offset].strip())
        self._say("\n".join(shown))

    def onecmd(self, line: str) -> bool:
        if not line.strip():
            return self.emptyline()   # cmd.Cmd's: repeats the last command, as in pdb
        self.lastcmd = line
        word, _, rest = line.strip().partition(" ")
        if line == "EOF":
            word = "q"
        action = _COMMANDS.get(word)
        if action is None:
            self._show(line.strip())
            return False
        return bool(action(self, rest.strip()))

    def run(self) -> None:
        while True:
            try:
                self.cmdloop()
                return
            except KeyboardInterrupt:
                print("--KeyboardInterrupt--", file=sys.stdout)


def _quit(debugger: CliDebugger, arg: str) -> None:
    sys.exit(0)   # as JAX's: q ends the program


_COMMANDS = {
    **dict.fromkeys(("p",), lambda d, arg: d._show(arg)),
    **dict.fromkeys(("pp",), lambda d, arg: d._show(arg, pprint.pformat)),
    **dict.fromkeys(("u", "up"), lambda d, arg: d._move(+1)),
    **dict.fromkeys(("d", "down"), lambda d, arg: d._move(-1)),
    **dict.fromkeys(("l", "list"), lambda d, arg: d._context(5)),
    **dict.fromkeys(("w", "where", "bt"), lambda d, arg: d._stack()),
    **dict.fromkeys(("c", "cont", "continue"), lambda d, arg: True),
    **dict.fromkeys(("q", "quit", "exit"), _quit),
}
