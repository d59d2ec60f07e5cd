"""jit's checks of its argument specifications (static_argnums / static_argnames /
donate_argnums / donate_argnames against the function's signature, with JAX's errors),
buffer donation (which inputs a call deletes, JAX's warning and reuse error),
static values in cache keys, float0 arguments and outputs (kept out of compiled code as
part of the input / output structure), and the dead-callback pass over the traced jaxpr.

Layering: tracer (pure Python; imports tree_util and the tracer's api only).
"""
from __future__ import annotations

import collections
import inspect
import warnings
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
    """The donated arguments are checked as JAX checks them: in range, naming parameters,
    and not static (what a call then deletes: donation_plan)."""
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


def donation_spec(donate_argnums, donate_argnames, positional) -> tuple[frozenset, frozenset]:
    """(argument numbers, argument names) donated, each completed from the other through
    the signature (a donated positional parameter passed by keyword is donated too)."""
    nums = (donate_argnums,) if isinstance(donate_argnums, int) else tuple(donate_argnums)
    names = (donate_argnames,) if isinstance(donate_argnames, str) else tuple(donate_argnames)
    n = len(positional)
    return (frozenset(nums) | {positional.index(m) for m in names if m in positional},
            frozenset(names) | {positional[i] for i in nums if -n <= i < n})


def donated_leaves(args, kwargs, static_nums, static_names, donate_nums,
                   donate_names) -> list[bool]:
    """For each dynamic argument leaf of a call (in jit's flattening order), donated?"""
    nargs = len(args)
    marks = []
    for i, a in enumerate(args):
        if i in static_nums or i - nargs in static_nums:
            continue
        d = i in donate_nums or i - nargs in donate_nums
        marks.append(tree_util.tree_map(lambda _, d=d: d, a))
    kw = {k: tree_util.tree_map(lambda _, d=k in donate_names: d, v)
          for k, v in kwargs.items() if k not in static_names}
    return tree_util.tree_leaves((tuple(marks), kw))


DONATION_FAQ = "See an explanation at https://docs.jax.dev/en/latest/faq.html#buffer-donation."


def used_inputs(jaxpr: core.Jaxpr) -> list[bool]:
    """Which inputs the jaxpr reads (JAX prunes the others before lowering, and with them
    their donation)."""
    read = {id(v) for e in jaxpr.eqns for v in e.invars}
    read.update(id(v) for v in jaxpr.outvars)
    return [id(v) in read for v in jaxpr.invars]


def donation_plan(compiled, donated) -> tuple[list[bool], list[int]]:
    """(inputs read, inputs the call deletes) of a jit Compiled (its jaxpr, hoisted
    constants first, in_avals, out_avals) for the donated flags of its inputs, by JAX's
    rules (mlir._set_up_aliases): a donated input aliases the first free output of its
    shape and dtype; one left over goes to XLA when a free output has as many elements,
    and XLA on CPU reuses it (deleting the input) when the bytes match as well; the rest
    are not usable (warned about, as JAX warns). Unread inputs take no part (JAX prunes
    them before lowering)."""
    in_avals, out_avals = compiled.in_avals, compiled.out_avals
    used = used_inputs(compiled.jaxpr.jaxpr)[len(compiled._hoisted):]
    by_type: dict[Any, collections.deque] = collections.defaultdict(collections.deque)
    for i, (a, d, u) in enumerate(zip(in_avals, donated, used)):
        if d and u:
            by_type[(tuple(a.shape), np.dtype(a.dtype))].append(i)
    deleted, free = [], collections.defaultdict(collections.deque)
    for j, o in enumerate(out_avals):
        waiting = by_type.get((tuple(o.shape), np.dtype(o.dtype)))
        if waiting:
            deleted.append(waiting.popleft())
        else:
            free[int(np.prod(o.shape, dtype=np.int64))].append(j)
    unusable = []
    for i in sorted(i for q in by_type.values() for i in q):
        a = in_avals[i]
        same_size = free.get(int(np.prod(a.shape, dtype=np.int64)))
        if not same_size:
            unusable.append(str(a))
        elif np.dtype(out_avals[same_size.popleft()].dtype).itemsize == np.dtype(a.dtype).itemsize:
            deleted.append(i)
    if unusable:
        warnings.warn(f"Some donated buffers were not usable: {', '.join(unusable)}.\n"
                      f"{DONATION_FAQ}", stacklevel=5)
    return used, sorted(deleted)


class Donation:
    """What calls of one signature of a donating function delete (donation_plan)."""

    __slots__ = ("consumed", "used", "deleted")

    def __init__(self, compiled, donated: list[bool]) -> None:
        self.used, self.deleted = donation_plan(compiled, donated)
        self.consumed = [i in self.deleted for i in range(len(donated))]

    def call(self, run, leaves: list) -> Any:
        """run(leaves), then delete the donated Arrays it consumed."""
        check_donated_once(leaves, self.consumed, self.used)
        out = run(leaves)
        for i in self.deleted:
            if type(leaves[i]) is core.Array:
                leaves[i].delete()
        return out


def check_donated_once(leaves, consumed, used) -> None:
    """An Array the call consumes (deletes) passed again in the same call: XLA's error, as
    JAX raises it (arguments numbered as the pruned executable numbers them; a donation
    that is not usable consumes nothing)."""
    first: dict[int, tuple[int, bool]] = {}
    n = 0
    for x, d, u in zip(leaves, consumed, used):
        if not u:
            continue
        if type(x) is core.Array:
            seen = first.get(id(x))
            if seen is None:
                first[id(x)] = (n, d)
            elif seen[1] or d:
                what = ("Attempt to use a buffer that was previously donated in the same call"
                        if seen[1] else "Attempt to donate a buffer which is also used by the "
                        "same call")
                toy = "f(donate(a), a)" if seen[1] else "f(a, donate(a))"
                raise core.JaxRuntimeError(
                    f"INVALID_ARGUMENT: {what} to Execute() (flattened argument {n}, replica 0, "
                    f"partition 0, first use: {seen[0]}). Toy example for this bug: `{toy}`.")
        n += 1
