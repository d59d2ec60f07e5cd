"""Lowering of the call-like primitives: custom_jvp_call / custom_vjp_call (the primal body
is inlined; the derivative rules were already used by the transformations), custom_lin
(a forward-mode use of a custom_vjp function: an error), and jit_call (nested jit: inlined).
"""
from __future__ import annotations

from ...tracer import custom, jit_call
from ..lower import lower_subjaxpr, lowering_rules


def _inline_call(ctx, *args, call_jaxpr, **params):
    return lower_subjaxpr(ctx, call_jaxpr, args)


def _custom_lin(ctx, *args, **params):
    raise TypeError(custom.FORWARD_MODE_ERROR)


def _jit_call(ctx, *args, jaxpr, **params):
    return lower_subjaxpr(ctx, jaxpr, args)


# ---------------------------------------------------------------------------
# Registration

lowering_rules[custom.custom_jvp_call] = _inline_call
lowering_rules[custom.custom_vjp_call] = _inline_call
lowering_rules[custom.custom_lin] = _custom_lin
lowering_rules[jit_call.jit_call_p] = _jit_call
