"""Lowering of `pure_callback` (irax/tracer/prims/callback.py): refused with a clear error.

A compiled module calls Python through the `irax_host` VM module (runtime/host.py), whose
functions take buffer views and return nothing (calling convention "0r.._v"), which is
all irax.debug.print / callback need. A pure_callback's results would have to come back
as new buffer views from the host into the running program; irax does not do that yet,
so jit of a function calling irax.pure_callback stops here instead of miscompiling.
"""
from __future__ import annotations

from typing import Any

from ...tracer.prims import callback
from ..context import RuleContext
from ..rules import LoweringError, register_lowering


def _pure_callback(ctx: RuleContext, *operands: str, callback: Any, **params: Any):
    name = getattr(callback, "__name__", "callback")
    raise LoweringError(
        f"irax.pure_callback({name}) cannot run inside irax.jit-compiled code: irax's host "
        "calls from compiled code return no values (irax.debug.callback, which returns "
        "nothing, does work there). Call the pure_callback outside irax.jit, or under "
        "irax.disable_jit().")


# ---------------------------------------------------------------------------
# Registration

register_lowering(callback.pure_callback_p, _pure_callback)
