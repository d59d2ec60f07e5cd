"""jit's checks of its argument specifications (static_argnums / static_argnames /
donate_argnums / donate_argnames against the function's signature, with JAX's errors),
static values in cache keys, float0 arguments and outputs (kept out of compiled code as
part of the input / output structure), and the dead-callback pass over the traced jaxpr.

Layering: tracer (pure Python; imports tree_util and the tracer's api only).
"""
from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from .. import tree_util
from . import core
from .core import ClosedJaxpr
from .api import FLOAT0


class _Float0Output:
    """A float0 output of a jitted function (the tangent of an integer, a NumPy array with
    no data): part of the output structure, not compiled; unflattening gives the array."""

    def __init__(self, shape: tuple):
        self.shape = shape


tree_util.register_pytree_node(_Float0Output, lambda f: ((), f.shape),
                               lambda shape, _: np.zeros(shape, FLOAT0))


def float0_as_structure(out: Any) -> Any:
    is_float0 = lambda x: isinstance(x, np.ndarray) and x.dtype == FLOAT0
    if not any(is_float0(x) for x in tree_util.tree_leaves(out)):
        return out
    return tree_util.tree_map(lambda x: _Float0Output(x.shape) if is_float0(x) else x, out)


def float0_leaves_as_structure(leaves: list, tree: Any) -> tuple[list, Any]:
    """A jitted function's float0 arguments (tangents of integers: no data) are part of the
    input structure, as its float0 outputs: the function sees them as they are (NumPy
    float0 zeros), and neither tracing nor the compiled module has a float0 operand."""
    is_float0 = lambda x: isinstance(x, np.ndarray) and x.dtype == FLOAT0
    if not any(is_float0(x) for x in leaves):
        return leaves, tree
    return tree_util.tree_flatten(float0_as_structure(tree_util.tree_unflatten(tree, leaves)))


def check_static_spec(nums, names, params, positional, what: str = "static") -> None:
    """ValueError when jit is applied, as in JAX, for static_argnums past the positional
    parameters or static_argnames naming no parameter (unless *args / **kwargs take them);
    `what` is "static" or "donate" (the same checks for donate_argnums / donate_argnames)."""
    kinds = {p.kind for p in params}
    if inspect.Parameter.VAR_POSITIONAL not in kinds:
        bad = [i for i in nums if not -len(positional) <= i < len(positional)]
        if bad:
            raise ValueError(f"Jitted function has {what}_argnums={tuple(nums)}, but only "
                             f"accepts {len(positional)} positional arguments.")
    positional_only = {p.name for p in params if p.kind in (inspect.Parameter.POSITIONAL_ONLY,
                                                            inspect.Parameter.VAR_POSITIONAL)}
    if set(names) & positional_only:
        raise ValueError(f"Jitted function has invalid argnames {set(names) & positional_only} "
                         f"in {what}_argnames. These are positional-only")
    if inspect.Parameter.VAR_KEYWORD not in kinds:
        named = {p.name for p in params if p.kind != inspect.Parameter.POSITIONAL_ONLY}
        bad_names = sorted(set(names) - named)
        if bad_names:
            raise ValueError(f"Jitted function has invalid argnames {set(bad_names)} in "
                             f"{what}_argnames. Function does not take these args.")


def check_donation(donate_argnums, donate_argnames, static_nums, static_names, params,
                   positional, fun=None, has_signature: bool = True) -> None:
    """Donation is accepted as the hint it is: irax keeps donated inputs valid (as JAX does
    on a backend that cannot reuse them), but the arguments are checked as JAX checks them:
    in range, naming parameters, and not static."""
    nums = (donate_argnums,) if isinstance(donate_argnums, int) else tuple(donate_argnums)
    names = (donate_argnames,) if isinstance(donate_argnames, str) else tuple(donate_argnames)
    if not all(isinstance(i, int) for i in nums):
        raise TypeError(f"donate_argnums must be ints, got {nums!r}")
    if names and not has_signature:
        raise ValueError(f"Getting the signature of function {fun} failed. "
                         "Pass donate_argnums instead of donate_argnames.")
    if params:
        check_static_spec(nums, names, params, positional, what="donate")
    n = len(positional)

    def as_names(ns, nm) -> set:
        return set(nm) | {positional[i] for i in ns if -n <= i < n}

    common = (as_names(nums, names) & as_names(static_nums, static_names)
              or set(nums) & set(static_nums))   # without a signature: the numbers
    if common:
        raise ValueError("static_argnames and donate_argnames cannot intersect. Argument "
                         f"names {common} appear in both "
                         "static_argnames and donate_argnames")


class Static:
    """A static argument value in a cache key: equal only to a value of the same type (so
    `1` and `1.0` and `True` compile separately, as they may trace differently)."""
    __slots__ = ("v",)

    def __init__(self, v):
        self.v = v

    def __hash__(self):
        return hash((type(self.v), self.v))

    def __eq__(self, other):
        return isinstance(other, Static) and type(self.v) is type(other.v) and self.v == other.v


def hashable_static(v: Any, what: str, fname: str) -> "Static":
    try:
        hash(v)
    except TypeError as e:
        # ValueError with JAX's message (static arguments are part of the cache key)
        raise ValueError("Non-hashable static arguments are not supported. An error occurred "
                         f"while trying to hash an object of type {type(v)}, {v}. The error "
                         f"was:\n{type(e).__name__}: {e}\n") from None
    return Static(v)


def unwrap_static(s: Static) -> Any:
    return s.v


def without_dead_pure_callbacks(closed: ClosedJaxpr) -> ClosedJaxpr:
    """The jaxpr without the pure_callback equations whose results nothing uses: a pure
    function's unused call is dropped, as JAX's dead-code elimination drops it (so the
    callback does not run). io_callbacks (marked `io`) are effects and stay."""
    j = closed.jaxpr
    live = {v for v in j.outvars if isinstance(v, core.Var)}
    kept: list = []
    for e in reversed(j.eqns):
        if (e.primitive.name == "pure_callback" and not getattr(e.params["callback"], "io", False)
                and not any(v in live for v in e.outputs)):
            continue
        kept.append(e)
        live.update(a for a in e.inputs if isinstance(a, core.Var))
    if len(kept) == len(j.eqns):
        return closed
    return ClosedJaxpr(core.Jaxpr(j.constvars, j.invars, kept[::-1], j.outvars), closed.consts)
