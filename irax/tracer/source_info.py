"""Where a staged equation comes from in the user's program (JAX's "source info").

While `recording()` is on (print_saved_residuals turns it on), each equation a
StagingTrace records remembers the user's frame that was running when it was staged: the
innermost frame whose file is neither irax's, the standard library's, nor that of a
library irax calls back through (optree). It is kept as (code object, last instruction
offset): no frame is held (so no locals stay alive), and it becomes
`file:line:column (function)` only when printed.

Recording is off otherwise because walking the stack makes Python materialize a frame
object per level, which costs make_jaxpr of 15k equations about a quarter of its time
(mostly in the garbage collector); nothing but print_saved_residuals reads it.

Re-staging the equations of an existing jaxpr (eval_jaxpr under jvp, partial evaluation,
checkpoint's recomputation) runs inside irax, far from the user's frame: eval_jaxpr makes
the equation being evaluated the origin of what it stages (set_override), as in JAX.

Layering: a leaf of the tracer; imports nothing from irax (nor optree / numpy: it only
looks up where they are installed).
"""
from __future__ import annotations

import contextlib
import importlib.util
import os
import sys
import sysconfig
import threading
import types
from typing import Iterator, Optional, Tuple

# (code, f_lasti) of the user's frame; None where no user frame was found
SourceInfo = Optional[Tuple[types.CodeType, int]]



def _package_dir(name: str) -> str | None:
    spec = importlib.util.find_spec(name)
    locations = spec.submodule_search_locations if spec is not None else None
    return os.path.abspath(locations[0]) + os.sep if locations else None


# irax itself, the standard library, and the libraries irax calls that call user code
# back (optree's tree_map runs the user's function inside optree's Python frames)
_EXCLUDED = tuple(p for p in (os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep,
                              sysconfig.get_path("stdlib"),
                              os.path.dirname(contextlib.__file__),
                              _package_dir("optree"), _package_dir("numpy")) if p)
_is_user_file: dict[str, bool] = {}


def _classify(filename: str) -> bool:
    user = not os.path.abspath(filename).startswith(_EXCLUDED) if os.sep in filename else True
    _is_user_file[filename] = user
    return user


class _State(threading.local):
    src: SourceInfo = None        # set by eval_jaxpr: the equation being re-staged
    recording: int = 0            # > 0 inside recording()


_state = _State()


@contextlib.contextmanager
def recording() -> Iterator[None]:
    """Record source info on the equations this thread stages inside the block."""
    _state.recording += 1
    try:
        yield
    finally:
        _state.recording -= 1


def is_recording() -> bool:
    return _state.recording > 0


def current() -> SourceInfo:
    """The source info for an equation staged now (None unless recording)."""
    state = _state
    if not state.recording:
        return None
    if state.src is not None:
        return state.src
    f = sys._getframe(1)
    known = _is_user_file
    while f is not None:
        code = f.f_code
        user = known.get(code.co_filename)
        if user is None:
            user = _classify(code.co_filename)
        if user:
            return code, f.f_lasti
        f = f.f_back
    return None


def get_override() -> SourceInfo:
    return _state.src


def set_override(src: SourceInfo) -> None:
    """Make `src` the origin of the equations staged from now on (None: the user's frame
    again). eval_jaxpr calls this per equation while recording and restores the previous
    value after."""
    _state.src = src


def summarize(src: SourceInfo) -> str:
    """`file:line:column (function)` as JAX prints it (the column 0-based, left out when 0)."""
    if src is None:
        return "unknown"
    code, lasti = src
    line, col = code.co_firstlineno, 0
    if lasti >= 0:
        for i, (start_line, _, start_col, _) in enumerate(code.co_positions()):
            if i == lasti // 2:
                line = start_line if start_line is not None else line
                col = start_col or 0
                break
    name = getattr(code, "co_qualname", code.co_name)
    if col:
        return f"{code.co_filename}:{line}:{col} ({name})"
    return f"{code.co_filename}:{line} ({name})"
