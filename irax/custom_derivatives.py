"""irax.custom_derivatives: JAX's `jax.custom_derivatives` module.

custom_jvp, custom_vjp, custom_gradient and closure_convert are irax's own (irax.tracer);
this module adds the small helpers JAX keeps here:

    linear_call(fun, fun_transpose, residual_args, linear_args)   # a linear function
        # with a user-given transpose: reverse mode calls fun_transpose(res, ct)
    zero_from_primal(tree)           # zero tangents (float0 for integer/bool leaves)
    custom_vjp_primal_tree_values    # CustomVJPPrimal records -> their values

    SymbolicZero, CustomVJPPrimal    # what rules defined with symbolic_zeros=True see
                                     # (irax.tracer.custom defines them)

Not here: `remat_opt_p` (JAX's internal primitive of custom_vjp(optimize_remat=True);
irax accepts optimize_remat=True and ignores it).
linear_call is built on custom_vjp, not as JAX's own primitive: grad/vjp/vmap/jit use
fun_transpose as JAX's do (residual arguments get zero cotangents), but forward mode
(jvp) raises custom_vjp's TypeError, and grad of grad differentiates fun_transpose.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from . import tree_util
from .dtypes import float0
from .tracer import core
from .tracer.ad_util import zeros_like_aval
from .tracer.api_extra import closure_convert, custom_gradient
from .tracer.custom import (CustomVJPPrimal, SymbolicZero, custom_jvp, custom_vjp,
                           user_tangent_aval)
from .tracer.custom import custom_jvp_call as custom_jvp_call_p
from .tracer.custom import custom_vjp_call as custom_vjp_call_p

__all__ = ["CustomVJPPrimal", "SymbolicZero", "closure_convert", "custom_gradient",
           "custom_jvp", "custom_jvp_call_p", "custom_vjp", "custom_vjp_call_p",
           "custom_vjp_primal_tree_values", "linear_call", "zero_from_primal"]


def custom_vjp_primal_tree_values(tree: Any) -> Any:
    """`tree` with each CustomVJPPrimal leaf replaced by its value."""
    def value(leaf: Any) -> Any:
        if type(leaf) is not CustomVJPPrimal:
            raise TypeError(f"unexpected leaf type {type(leaf)}")
        return leaf.value
    return tree_util.tree_map(value, tree)


def zero_from_primal(val: Any, symbolic_zeros: bool = False) -> Any:
    """Zero tangents for the pytree `val` (SymbolicZero records if symbolic_zeros)."""
    def zero(x: Any) -> Any:
        t = user_tangent_aval(core.get_aval(x))
        if symbolic_zeros:
            return SymbolicZero(t)
        if t.dtype == float0:
            return np.zeros(t.shape, float0)
        return zeros_like_aval(t)
    return tree_util.tree_map(zero, val)


def linear_call(fun: Callable, fun_transpose: Callable, residual_args: Any,
                linear_args: Any) -> Any:
    """fun(residual_args, linear_args), linear in linear_args, whose transpose (used by
    reverse mode) is fun_transpose(residual_args, out_cotangent)."""
    if not callable(fun) or not callable(fun_transpose):
        raise TypeError("linear_call: fun and fun_transpose must be callable")

    def call(res: Any, lin: Any) -> Any:
        return fun(res, lin)

    def fwd(res: Any, lin: Any) -> tuple[Any, Any]:
        return fun(res, lin), res

    def bwd(res: Any, ct: Any) -> tuple[Any, Any]:
        return _zero_cotangents(res), fun_transpose(res, ct)

    # A custom_vjp: reverse mode transposes through fun_transpose. (A custom_jvp around it
    # for forward mode would be transposed by irax itself, bypassing fun_transpose.)
    wrapped = custom_vjp(call)
    wrapped.defvjp(fwd, bwd)
    return wrapped(residual_args, linear_args)


def _zero_cotangents(tree: Any) -> Any:
    return tree_util.tree_map(
        lambda r: zeros_like_aval(core.get_aval(r)) if core.is_array_like(r) else None, tree)
