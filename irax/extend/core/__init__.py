"""jax.extend.core's names for irax's IR: Primitive, Jaxpr, ClosedJaxpr, JaxprEqn, Var,
Literal, and the helpers that walk and evaluate them (jaxpr_as_fun, check_jaxpr, ...).

An irax jaxpr answers to JAX's field names (eqn.invars / outvars / primitive / params,
jaxpr.constvars / eqns, closed.literals, literal.val), so the interpreters of JAX's
"Writing custom interpreters" notebook run on it unchanged. Left out: JAX's trace-level
internals (find_top_trace, TraceTag, tokens, effects beyond `no_effects`), which irax's
stackless tracer has no match for.
"""
from __future__ import annotations

from typing import Any, Callable, Iterator, Sequence

import numpy as np

from ...tracer import core as _core
from ...tracer.core import (Array, ClosedJaxpr, ConcretizationTypeError, Jaxpr,
                            JaxprTypeError, Literal, Primitive, ShapedArray, Var)
from ...tracer.core import Eqn as JaxprEqn
from ...tracer.core import set_current_trace, sub_jaxprs as jaxprs_in_params
from ...dtypes import float0
from . import primitives

no_effects: frozenset = frozenset()
# the concrete array types a primitive's impl may be handed
array_types: set[type] = {np.ndarray, Array, np.bool_, np.int8, np.int16, np.int32, np.int64,
                          np.uint8, np.uint16, np.uint32, np.uint64, np.float16, np.float32,
                          np.float64, np.complex64, np.complex128}


def gensym(suffix: str = "") -> Callable[[ShapedArray], Var]:
    """JAX's fresh-variable maker: `gensym()(aval)` is a new Var."""
    return Var


def new_jaxpr_eqn(invars: Sequence[Any], outvars: Sequence[Var], primitive: Primitive,
                  params: dict, effects: Any = no_effects, source_info: Any = None,
                  ctx: Any = None) -> JaxprEqn:
    return JaxprEqn(primitive, list(invars), list(outvars), dict(params))


def jaxpr_as_fun(closed_jaxpr: ClosedJaxpr, *args: Any):
    """`jaxpr_as_fun(closed)(*args)`: the jaxpr as a function of its inputs, returning the
    list of its outputs (also callable as `jaxpr_as_fun(closed, *args)`, as JAX's)."""
    def fun(*xs: Any) -> list[Any]:
        return _core.eval_closed(closed_jaxpr, *xs)
    return fun(*args) if args else fun


def check_jaxpr(jaxpr: Jaxpr) -> None:
    """Raises JaxprTypeError unless every var is bound before use and every equation's
    binders have the types its primitive's abstract rule gives."""
    _core.typecheck_jaxpr(jaxpr.jaxpr if isinstance(jaxpr, ClosedJaxpr) else jaxpr)


def subjaxprs(jaxpr: Jaxpr) -> Iterator[Jaxpr]:
    """The jaxprs in the params of `jaxpr`'s equations (not recursively)."""
    for eqn in jaxpr.eqns:
        yield from jaxprs_in_params(eqn.params)


def primal_dtype_to_tangent_dtype(primal_dtype: Any) -> np.dtype:
    """The dtype of a tangent: the same for inexact types, float0 for the others."""
    dt = np.dtype(primal_dtype)
    return dt if np.issubdtype(dt, np.inexact) else float0


def valid_jaxtype(x: Any) -> bool:
    try:
        _core.get_aval(x)
    except TypeError:
        return False
    return True


def concrete_or_error(force: Callable | None, val: Any, context: str = "") -> Any:
    """`force(val)` (val itself when force is None) for a concrete value; a traced value
    with no concrete value raises ConcretizationTypeError, naming `context`."""
    force = force or (lambda x: x)
    if isinstance(val, _core.Tracer):
        concrete = val.concrete_value()
        if concrete is None:
            raise ConcretizationTypeError(
                f"Abstract tracer value encountered where concrete value is expected: "
                f"{val!r}\n{context}".rstrip())
        return force(concrete)
    return force(val)


__all__ = ["ClosedJaxpr", "Jaxpr", "JaxprEqn", "JaxprTypeError", "Literal", "Primitive",
           "Var", "array_types", "check_jaxpr", "concrete_or_error", "gensym",
           "jaxpr_as_fun", "jaxprs_in_params", "new_jaxpr_eqn", "no_effects",
           "primal_dtype_to_tangent_dtype", "primitives", "set_current_trace", "subjaxprs",
           "valid_jaxtype"]
