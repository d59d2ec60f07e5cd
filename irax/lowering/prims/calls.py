"""Lowering of the call-like primitives.

  custom_jvp_call / custom_vjp_call  the primal body, inlined (the derivative rules were
                                     already used by the transformations)
  custom_vmap_call                   the function's body, inlined (its rule was already used
                                     by vmap)
  custom_lin                         a forward-mode use of a custom_vjp function: an error
  jit_call (a nested irax.jit)       a call of a private function, written once per module
                                     for each staged jaxpr (as JAX lowers a nested pjit)
  remat (irax.checkpoint)            the body, inlined; a recomputation staged for the
                                     backward pass (differentiated) with prevent_cse reads its
                                     inputs through an optimization barrier, so the compiler
                                     cannot merge it with the forward computation
  name (checkpoint_name)             the identity
  custom_linear_solve                the solve jaxpr, inlined (its derivatives were taken
                                     implicitly by the transformations)
"""
from __future__ import annotations

from typing import Any

from ...tracer import custom, custom_vmap, jit_call, remat
from ...tracer.prims import linear_solve
from ...tracer.core import ClosedJaxpr
from ..context import RuleContext
from ..emitter import aval_type
from ..lower import call_helper, lower_subjaxpr
from ..rules import register_lowering


def _inline_call(ctx: RuleContext, *args: str, call_jaxpr: ClosedJaxpr,
                 **params: Any) -> list[str]:
    return lower_subjaxpr(ctx, call_jaxpr, args)


def _custom_vmap_call(ctx: RuleContext, *args: str, call: ClosedJaxpr,
                      **params: Any) -> list[str]:
    return lower_subjaxpr(ctx, call, args)


def _custom_lin(ctx: RuleContext, *args: str, **params: Any) -> list[str]:
    raise TypeError(custom.FORWARD_MODE_ERROR)


def _jit_call(ctx: RuleContext, *args: str, jaxpr: ClosedJaxpr, name: str,
              **params: Any) -> list[str]:
    return call_helper(ctx, ("jit_call", id(jaxpr)), jaxpr, args, name, keep_alive=jaxpr)


def _remat(ctx: RuleContext, *args: str, jaxpr: ClosedJaxpr, prevent_cse: bool,
           differentiated: bool, policy: Any) -> list[str]:
    operands = list(args)
    if differentiated and prevent_cse and operands:
        types = [aval_type(a) for a in ctx.avals_in]
        operands = ctx.em.op("stablehlo.optimization_barrier", operands, types, types)
    return lower_subjaxpr(ctx, jaxpr, operands)


def _name(ctx: RuleContext, x: str, *, name: str) -> str:
    return x


def _linear_solve(ctx: RuleContext, *args: str, const_lengths: tuple[int, ...], solve,
                  **jaxprs: Any) -> list[str]:
    skip = const_lengths[0] + const_lengths[1]
    n_solve = const_lengths[2]
    n_consts = sum(const_lengths)
    operands = [*args[skip:skip + n_solve], *args[n_consts:]]
    return lower_subjaxpr(ctx, solve, operands)


# ---------------------------------------------------------------------------
# Registration

register_lowering(custom.custom_jvp_call, _inline_call)
register_lowering(custom.custom_vjp_call, _inline_call)
register_lowering(custom.custom_lin, _custom_lin)
register_lowering(custom_vmap.custom_vmap_call, _custom_vmap_call)
register_lowering(jit_call.jit_call_p, _jit_call)
register_lowering(remat.remat_p, _remat)
register_lowering(remat.name_p, _name)
register_lowering(linear_solve.linear_solve_p, _linear_solve)
