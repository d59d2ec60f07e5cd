"""Lowering of `debug_callback` (irax/tracer/prims/debug.py): a call of a host function.

Each callback becomes an import of the module (ModuleContext.host_import):

    func.func private @irax_host.cb0(tensor<3xf32>, tensor<i32>)
    ...
    "func.call"(%x, %i) {callee = @irax_host.cb0} : (tensor<3xf32>, tensor<i32>) -> ()

IREE (3.13) turns the declaration into `vm.import @irax_host.cb0` with calling convention
"0rr_v" (a buffer view per operand, no results) and the call into a host call that waits
for its operands; the runtime provides the `irax_host` module (runtime/host.py). Host calls
are side-effecting VM calls, executed in program order, once per execution of the
enclosing block (inside a while body: once per iteration; in a case branch: only when
that branch runs), so `ordered` needs no token threading: every callback is ordered.
An exception the callback raises comes back as JaxRuntimeError (prims/callback.HostCall),
as from JAX's compiled code.
"""
from __future__ import annotations

from typing import Any, Callable

from ...tracer.prims import callback as cb
from ...tracer.prims import checks, debug
from ..context import RuleContext
from ..emitter import aval_type
from ..rules import register_lowering


def _debug_callback(ctx: RuleContext, *operands: str, callback: Callable[..., Any],
                    ordered: bool) -> list[str]:
    imp = ctx.module.host_import(callback, ctx.avals_in, wrap=cb.HostCall)
    ctx.calls.add(imp.symbol)
    ctx.em.op("func.call", list(operands), [aval_type(a) for a in ctx.avals_in], [],
              {"callee": f"@{imp.symbol}"})
    return []


# ---------------------------------------------------------------------------
# Registration

register_lowering(debug.debug_callback_p, _debug_callback)


# checkify's check (irax/tracer/prims/checks.py): it raises on the host eagerly; a staged
# one must have been functionalized by checkify.checkify, as in JAX, unless it is a
# debug_check (dropped when not checkified)
def _check(ctx: RuleContext, *args: str, err_tree: Any, debug: bool) -> list[str]:
    if debug:
        return []
    raise ValueError(checks.FUNCTIONALIZATION_ERROR)


register_lowering(checks.check_p, _check)
