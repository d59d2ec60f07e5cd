"""Misuse errors of the control-flow functions (scan, while_loop, fori_loop, cond, switch)
in JAX's words, so that a program (or a test) that checks JAX's message sees it:

    scan body function carry input and carry output must have equal types, but they
    differ:

    The input carry x has type int32[] but the corresponding output carry component has
    type float32[], so the dtypes do not match.
    ...

Layering: user API; imports tree_util only.
"""
from __future__ import annotations

import functools
import inspect
from typing import Any, Callable, Sequence

from .. import tree_util
from ..tracer.avals import type_str  # noqa: F401  (the messages' aval format)
from ..tracer.custom import types_of  # noqa: F401


def _capitalize(s: str) -> str:
    return s[:1].upper() + s[1:]


def _aval_mismatch(a, b) -> str:
    why = (["the dtypes do not match"] if a.dtype != b.dtype else []) + (
        ["the shapes do not match"] if a.shape != b.shape else [])
    if not why:
        return ""
    return ", so " + (why[0] if len(why) == 1 else ", ".join(why[:-1]) + ", and " + why[-1])


def _bullets(diffs: list[str]) -> str:
    """One difference as a sentence, several as a list (spaced as JAX spaces it)."""
    if len(diffs) == 1:
        return f"{_capitalize(diffs[0])}.\n"
    return "\n".join(f"  * {d};\n" for d in diffs[:-1]) + f"  * {diffs[-1]}.\n"


def _carry_component(body_fun: Callable) -> Callable[[tuple], str]:
    try:
        params = list(inspect.signature(body_fun).parameters)
    except (TypeError, ValueError):
        params = []
    name = params[0] if params else None
    if name:
        return lambda p: (f"the input carry component {name}{tree_util.keystr(p)}" if p
                          else f"the input carry {name}")
    return lambda p: (f"the input carry at path {tree_util.keystr(p)}" if p
                      else "the input carry")


def carry_structure_error(what: str, body_fun: Callable, in_tree, in_avals, out_tree,
                          out_avals) -> TypeError | None:
    """The TypeError for a body whose carry output has another structure than its input
    (what: "scan body" or "while_loop body"); None if only aux data differs."""
    component = _carry_component(body_fun)
    try:
        outs = tree_util.tree_unflatten(out_tree, list(out_avals))
        diffs = [f"{component(p)} is a {a} but the corresponding component of the carry "
                 f"output is a {b}, so {why}" for p, a, b, why in
                 tree_util._equality_errors(
                     tree_util.tree_unflatten(in_tree, list(in_avals)), outs)]
    except Exception:   # an output that does not rebuild: show both structures
        diffs = None
    if diffs == []:
        return None
    differences = (f"the input tree structure is:\n{in_tree}\n"
                   f"the output tree structure is:\n{out_tree}\n") if diffs is None \
        else _bullets(diffs)
    return TypeError(f"{what} function carry input and carry output must have the same "
                     f"pytree structure, but they differ:\n\n{differences}\n"
                     "Revise the function so that the carry output has the same pytree "
                     "structure as the carry input.")


def carry_type_error(what: str, body_fun: Callable, in_tree, in_avals, out_avals
                     ) -> TypeError:
    """The TypeError for carry outputs of other shapes or dtypes than the inputs."""
    component = _carry_component(body_fun)
    paths = [p for p, _ in tree_util.tree_flatten_with_path(
        tree_util.tree_unflatten(in_tree, list(range(len(in_avals)))))[0]]
    diffs = [f"{component(p)} has type {type_str(a)} but the corresponding output carry "
             f"component has type {type_str(b)}{_aval_mismatch(a, b)}"
             for p, a, b in zip(paths, in_avals, out_avals)
             if a.shape != b.shape or a.dtype != b.dtype]
    return TypeError(f"{what} function carry input and carry output must have equal types, "
                     f"but they differ:\n\n{_bullets(diffs)}\n"
                     "Revise the function so that all output types match the corresponding "
                     "input types.")


def fun_sourceinfo(fun: Callable) -> str:
    """`name at file:line` of a function, as JAX's messages name branches."""
    while isinstance(fun, functools.partial):
        fun = fun.func
    fun = inspect.unwrap(fun)
    code = getattr(fun, "__code__", None)
    if code is None:
        return getattr(fun, "__name__", "<unknown>")
    return f"{fun.__name__} at {code.co_filename}:{code.co_firstlineno}"


def branch_mismatch_error(api: str, name1: str, name2: str, f1: Callable, f2: Callable,
                          tree1, avals1, tree2, avals2) -> TypeError | None:
    """The TypeError for two cond/switch branches whose outputs differ in structure or
    type (None if they agree)."""
    head = f"{name1} is {fun_sourceinfo(f1)}\n{name2} is {fun_sourceinfo(f2)}\n\n"
    paths = [p for p, _ in tree_util.tree_flatten_with_path(
        tree_util.tree_unflatten(tree1, list(range(len(avals1)))))[0]]
    at = lambda p: f" at path {tree_util.keystr(p)}" if p else ""
    if tree1 != tree2:
        leaf = tree_util._PYTREE_LEAF   # leaves print as "pytree leaf", as in JAX
        diffs = [f"{name1} output{at(p)} is a {a} but {name2} output{at(p)} is a {b}, so {why}"
                 for p, a, b, why in tree_util._equality_errors(
                     tree_util.tree_unflatten(tree1, [leaf] * tree1.num_leaves),
                     tree_util.tree_unflatten(tree2, [leaf] * tree2.num_leaves))]
        if not diffs:
            return None
        differences = (f"{diffs[0]}.\n" if len(diffs) == 1 else
                       "".join(f"  * {d};\n" for d in diffs[:-1]) + f"  * {diffs[-1]}.\n")
        return TypeError(f"{api} branch outputs must have the same pytree structure, but they "
                         f"differ:\n\n{head}{differences}\nRevise {name1} and/or {name2} so "
                         "that they have the same pytree structure.")
    diffs = [f"the output of {name1}{at(p)} has type {type_str(a)} but the corresponding "
             f"output of {name2} has type {type_str(b)}{_aval_mismatch(a, b)}"
             for p, a, b in zip(paths, avals1, avals2)
             if a.shape != b.shape or a.dtype != b.dtype]
    if not diffs:
        return None
    differences = (f"{_capitalize(diffs[0])}.\n" if len(diffs) == 1 else
                   "\n".join(f"  * {d};" for d in diffs[:-1]) + f"\n  * {diffs[-1]}.\n")
    return TypeError(f"{api} branches must have equal output types but they differ.\n\n"
                     f"{head}{differences}\nRevise {name1} and/or {name2} so that all output "
                     "types match.")


def check_callables(api: str, what: str, funs: Sequence[Any]) -> None:
    """TypeError (JAX's) when a function argument is not callable."""
    if not all(callable(f) for f in funs):
        raise TypeError(f"lax.{api}: {what}")
