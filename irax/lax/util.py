"""Helpers shared by irax.lax's control flow and implicit-differentiation functions.

Layering: user API; imports the tracer only.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

from .. import tree_util
from ..tracer import core, dtypes
from ..tracer.core import ShapedArray, get_aval
from ..tracer.partial_eval import trace_const_free
from ..tracer.prims.control_flow import eval_closed
from ..tracer.prims.elementwise import convert_element_type


def flatten_arrays(tree: Any, what: str) -> tuple[list[Any], Any]:
    """The leaves and structure of a pytree of arrays (a non-array leaf is a TypeError)."""
    out, treedef = tree_util.tree_flatten(tree)
    for x in out:
        if not core.is_array_like(x):
            raise TypeError(f"{what} contains a non-array leaf {x!r} of type {type(x).__name__}")
    return out, treedef


def fname(f: Any) -> str:
    return getattr(f, "__name__", repr(f))


def coerce(x: Any, aval: ShapedArray) -> Any:
    """x as a value of type `aval` (weak type fixed; same dtype required)."""
    xa = get_aval(x)
    if xa.weak_type != aval.weak_type or xa.dtype != aval.dtype:
        return convert_element_type(x, aval.dtype, aval.weak_type)
    return x


def inexact(x: Any) -> bool:
    return dtypes.kind(get_aval(x).dtype) in "fc"


def closure_convert(fun: Callable, in_avals: Sequence[ShapedArray]) -> tuple[Callable, list]:
    """fun's closed-over traced values become explicit inputs: returns (g, consts) with
    g(consts, *args) == fun(*args)."""
    closed, consts = trace_const_free(fun, list(in_avals))

    def g(cs, *args):
        return eval_closed(closed, [*cs, *args])
    return g, consts


class DiffSubset:
    """The differentiable (inexact) entries of a tuple of values, e.g. a solver's closed-over
    parameters theta: implicit differentiation differentiates with respect to those only.

      sub = DiffSubset(theta)
      sub.pick()              # theta's inexact entries
      sub.pick(dtheta)        # the entries of dtheta at the same positions
      sub.substitute(new)     # theta with those entries replaced by `new`
      sub.scatter(cts)        # per entry of theta: its cotangent, None where not inexact
    """

    def __init__(self, values: Sequence[Any]):
        self.values = tuple(values)
        self.positions = [i for i, x in enumerate(self.values) if inexact(x)]

    def __bool__(self) -> bool:
        return bool(self.positions)

    def pick(self, xs: Sequence[Any] | None = None) -> tuple:
        xs = self.values if xs is None else xs
        return tuple(xs[i] for i in self.positions)

    def substitute(self, new: Sequence[Any]) -> tuple:
        full = list(self.values)
        for i, v in zip(self.positions, new):
            full[i] = v
        return tuple(full)

    def scatter(self, cts: Sequence[Any]) -> tuple:
        out: list[Any] = [None] * len(self.values)
        for i, c in zip(self.positions, cts):
            out[i] = c
        return tuple(out)
