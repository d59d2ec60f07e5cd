"""Lowering of `pure_callback` (irax/tracer/prims/callback.py): a host call with results.

As irax.debug.callback (prims/debug.py), the callback becomes an import of the module,
here one that returns tensors:

    func.func private @irax_host.cb0(tensor<3xf32>) -> (tensor<3xf32>)
    %r = "func.call"(%x) {callee = @irax_host.cb0} : (tensor<3xf32>) -> tensor<3xf32>

IREE (3.13) makes it `vm.import @irax_host.cb0` with calling convention "0r_r"; the
`irax_host` module (runtime/host.py) calls the Python function on NumPy copies of the
operands and hands each result back as a new buffer view on the device. The host checks
each result against the declared shape and dtype (the primitive's impl rule) before it
returns, so a wrong result raises the same JaxRuntimeError as eagerly.
"""
from __future__ import annotations

from typing import Any, Callable

from ...tracer.prims import callback as cb
from ..context import RuleContext
from ..emitter import aval_type
from ..rules import register_lowering


class _HostPureCallback:
    """The host side: NumPy operands -> checked NumPy results."""

    def __init__(self, callback: Callable[..., Any], result_avals: tuple) -> None:
        self.callback, self.result_avals = callback, result_avals
        name = getattr(callback, "__name__", "callback")
        self.host_label = f"irax.pure_callback of {name}"
        self.__name__ = name

    def __call__(self, *values: Any) -> list[Any]:
        # a wrong result is reported as an exception of the callback (JaxRuntimeError)
        return cb.call_host(self.host_label,
                            lambda: cb.checked_results(self.callback(*values), self.result_avals))


def _pure_callback(ctx: RuleContext, *operands: str, callback: Callable[..., Any],
                   result_avals: tuple, **params: Any) -> list[str]:
    imp = ctx.module.host_import(_HostPureCallback(callback, result_avals), ctx.avals_in,
                                 results=result_avals)
    ctx.calls.add(imp.symbol)
    return ctx.em.op("func.call", list(operands), [aval_type(a) for a in ctx.avals_in],
                     [aval_type(a) for a in result_avals], {"callee": f"@{imp.symbol}"})


# ---------------------------------------------------------------------------
# Registration

register_lowering(cb.pure_callback_p, _pure_callback)
# an io_callback is the same host call: IREE keeps a call of an imported function even
# when its results are unused
register_lowering(cb.io_callback_p, _pure_callback)
