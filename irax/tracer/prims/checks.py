"""The `check` primitive of irax.experimental.checkify: an error value that raises when it
holds a failure.

    check_p.bind(*error_leaves, err_tree=treedef, debug=False)    # no results

The operands are the leaves of a checkify `Error` (irax/experimental/checkify.py); the
rules only flatten and unflatten it, so this layer does not know the class. Rules, as
JAX's:

  impl        rebuilds the Error and raises its exception (JaxRuntimeError) if it failed;
  abstract    no results;
  jvp         checks the primals; no tangents;
  vmap        reduces the batched error to its first failure (`_reduce_any`), then checks;
  lowering    refused with JAX's ValueError: a check must be functionalized by
              checkify.checkify before it is staged (irax/lowering/prims/debug.py).
A `debug=True` check (checkify.debug_check) does nothing unless checkify removes it.
"""
from __future__ import annotations

from typing import Any, Sequence

from ... import tree_util
from .. import core
from ..batching import batch_rules, move_axis, bdim_to_front
from ..core import Primitive, ShapedArray
from ..jvp import jvp_rules
from ..rules import BDim, Tangent, Value

check_p = Primitive("check", multiple_results=True)


class JaxRuntimeError(ValueError):
    """A failed checkify check (checkify.JaxRuntimeError: a ValueError, as in JAX)."""


FUNCTIONALIZATION_ERROR = (
    "Cannot abstractly evaluate a checkify.check which was not functionalized. This "
    "probably means you tried to stage (jit/scan/pmap/...) a `check` without "
    "functionalizing it through `checkify.checkify`.")


def _abstract(*avals: ShapedArray, err_tree: Any, debug: bool) -> list[ShapedArray]:
    return []


def _impl(*leaves: Any, err_tree: Any, debug: bool) -> list[Any]:
    if debug:
        return []
    exc = tree_util.tree_unflatten(err_tree, list(leaves)).get_exception()
    if exc is not None:
        raise JaxRuntimeError(str(exc)) from exc
    return []


def _jvp(primals: Sequence[Value], tangents: Sequence[Tangent], *, err_tree: Any,
         debug: bool) -> tuple[list[Value], list[Tangent]]:
    check_p.bind(*primals, err_tree=err_tree, debug=debug)
    return [], []


def _batch(axis_size: int, vals: Sequence[Value], dims: Sequence[BDim], *, err_tree: Any,
           debug: bool) -> tuple[list[Value], list[BDim]]:
    front = [bdim_to_front(v, d, axis_size) if d is None else move_axis(v, d, 0)
             for v, d in zip(vals, dims)]
    error = tree_util.tree_unflatten(err_tree, front)._reduce_any()
    leaves, tree = tree_util.tree_flatten(error)
    check_p.bind(*leaves, err_tree=tree, debug=debug)
    return [], []


# ---------------------------------------------------------------------------
# Registration

core.abstract_eval_rules[check_p] = _abstract
core.impl_rules[check_p] = _impl
jvp_rules[check_p] = _jvp
batch_rules[check_p] = _batch
