"""Lowering of the call-like primitives.

  custom_jvp_call / custom_vjp_call  the primal body, inlined (the derivative rules were
                                     already used by the transformations)
  custom_lin                         a forward-mode use of a custom_vjp function: an error
  jit_call (a nested irax.jit)       a call of a private function, written once per module
                                     for each staged jaxpr (as JAX lowers a nested pjit)
"""
from __future__ import annotations

from typing import Any

from ...tracer import custom, jit_call
from ...tracer.core import ClosedJaxpr
from ..context import RuleContext
from ..lower import call_helper, lower_subjaxpr
from ..rules import register_lowering


def _inline_call(ctx: RuleContext, *args: str, call_jaxpr: ClosedJaxpr,
                 **params: Any) -> list[str]:
    return lower_subjaxpr(ctx, call_jaxpr, args)


def _custom_lin(ctx: RuleContext, *args: str, **params: Any) -> list[str]:
    raise TypeError(custom.FORWARD_MODE_ERROR)


def _jit_call(ctx: RuleContext, *args: str, jaxpr: ClosedJaxpr, name: str,
              **params: Any) -> list[str]:
    return call_helper(ctx, ("jit_call", id(jaxpr)), jaxpr, args, name, keep_alive=jaxpr)


# ---------------------------------------------------------------------------
# Registration

register_lowering(custom.custom_jvp_call, _inline_call)
register_lowering(custom.custom_vjp_call, _inline_call)
register_lowering(custom.custom_lin, _custom_lin)
register_lowering(jit_call.jit_call_p, _jit_call)
