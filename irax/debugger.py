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
    """JAX's text debugger: the commands of pdb that make sense without stepping."""
    prompt = "(jdb) "

    def __init__(self, frames: list[Frame], stdin: IO[str] | None = None,
                 stdout: IO[str] | None = None, completekey: str = "tab") -> None:
        super().__init__(stdin=stdin, stdout=stdout, completekey=completekey)
        self.use_rawinput = stdin is None
        self.frames, self.frame_index = frames, 0
        self.intro = "Entering jdb:"

    def evaluate(self, expr: str) -> Any:
        return eval(expr, {}, dict(self.frames[self.frame_index].locals))

    def _print(self, text: str) -> None:
        print(text, file=self.stdout)

    def _error(self) -> None:
        exc = sys.exc_info()[:2]
        self._print("*** " + traceback.format_exception_only(*exc)[-1].strip())

    def default(self, line: str) -> None:
        self.do_p(line)

    def do_p(self, arg: str) -> None:
        """p expression: print the value of an expression"""
        try:
            self._print(repr(self.evaluate(arg)))
        except Exception:
            self._error()

    def do_pp(self, arg: str) -> None:
        """pp expression: pretty-print the value of an expression"""
        try:
            self._print(pprint.pformat(self.evaluate(arg)))
        except Exception:
            self._error()

    def print_context(self, num_lines: int = 2) -> None:
        f = self.frames[self.frame_index]
        out = [f"> {f.filename}({f.lineno})"]
        if f.offset is not None:
            for i, line in enumerate(f.source):
                if f.offset - 1 - num_lines <= i <= f.offset + num_lines:
                    out.append(("->  " if i == f.offset else "    ") + line)
        self._print("\n".join(out))

    def do_up(self, arg: str) -> None:
        """u(p): move up a stack frame"""
        if self.frame_index == len(self.frames) - 1:
            self._print("At topmost frame.")
        else:
            self.frame_index += 1
        self.print_context()
    do_u = do_up

    def do_down(self, arg: str) -> None:
        """d(own): move down a stack frame"""
        if self.frame_index == 0:
            self._print("At bottommost frame.")
        else:
            self.frame_index -= 1
        self.print_context()
    do_d = do_down

    def do_list(self, arg: str) -> None:
        """l(ist): the source around the current line"""
        self.print_context(num_lines=5)
    do_l = do_list

    def do_where(self, arg: str) -> None:
        """w(here): the stack, most recent frame last ('bt' too)"""
        out = ["Traceback:"]
        for f in self.frames[::-1]:
            out.append(f'  File "{f.filename}", line {f.lineno}')
            out.append("    <no source>" if f.offset is None
                       else f"    {f.source[f.offset].strip()}")
        self._print("\n".join(out))
    do_w = do_bt = do_where

    def do_continue(self, arg: str) -> bool:
        """c(ont(inue)): continue the program"""
        return True
    do_c = do_cont = do_continue

    def do_quit(self, arg: str) -> None:
        """q(uit), exit: end the program"""
        sys.exit(0)
    do_q = do_EOF = do_exit = do_quit

    def run(self) -> None:
        while True:
            try:
                self.cmdloop()
                break
            except KeyboardInterrupt:
                print("--KeyboardInterrupt--", file=sys.stdout)
