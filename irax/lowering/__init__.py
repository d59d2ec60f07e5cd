"""Jaxpr -> StableHLO text (imports irax.tracer only).

    from irax.lowering import lower_jaxpr
    text = lower_jaxpr(closed_jaxpr, name="main")   # `func.func public @main`, many results ok

The text is a module that stand-alone `iree-compile --iree-input-type=stablehlo` accepts.
Ops are written in MLIR generic form; `chlo` ops are used for asin/acos/sinh/cosh/asinh/
acosh/atanh/erf (IREE expands them). Booleans are `i1`, unsigned ints `ui<N>`; f64 stays
f64 (compile with `--iree-input-demote-f64-to-f32=false`, `compile_flags(f64=True)`).

Writing a lowering rule
-----------------------
One module per primitive family in `irax/lowering/prims/`, each ending with one
registration block:

    lowering_rules[my_p] = rule
    def rule(ctx, *operands, **params) -> str | list[str]

`operands` are SSA value names (strings); `ctx.avals_in` / `ctx.avals_out` the equation's
avals; `ctx.em` the `Emitter` (`em.op1(name, operands, operand_types, result_type,
attrs, regions)`, `em.op(...)` for several results, `em.constant(value, dtype, shape)`);
`irax.lowering.hlo` has typed builders (binary, compare, select, convert, reduce, ...).
Return one name, or a list for a `multiple_results` primitive.

Rules with regions (control flow)
---------------------------------
A rule may emit nested blocks built from sub-jaxprs:

    from irax.lowering.lower import lower_subjaxpr, region
    outs = lower_subjaxpr(ctx, closed_jaxpr, arg_names)   # inline, in the current block
    r = region(ctx, closed_jaxpr)     # a Region: block args = the jaxpr's inputs, ends
                                      # with `stablehlo.return` of its outputs
    results = ctx.em.op("stablehlo.while", init_names, init_types, result_types,
                        regions=[region(ctx, cond_jaxpr), region(ctx, body_jaxpr)])

`Region(arg_types, result_types, build)` with `build(em, block_arg_names) -> names` gives
full control (e.g. a cond region that passes only some carries to a sub-jaxpr, or a
`stablehlo.case` branch with no block arguments: `Region([], types, build)`; values of the
enclosing block may be used inside — implicit capture). SSA names are unique per function,
so nesting needs no renaming. A sub-jaxpr's constants are embedded as constants.

Control-flow primitives (while/cond/scan) get their rules from
`irax/lowering/prims/control_flow.py` (owned by the control-flow module), imported here
when present.
"""
from __future__ import annotations

import importlib

from .lower import (LoweringContext, LoweringError, RuleContext, lower_jaxpr, lower_subjaxpr,
                    lowering_rules, region)
from .emitter import Emitter, Region
from .prims import bits, custom, elementwise, indexing, linalg, reduce, shape, sort  # noqa: F401

try:   # rules of the control-flow primitives, once that module exists
    importlib.import_module(".prims.control_flow", __name__)
except ModuleNotFoundError as e:   # pragma: no cover - only while it is being written
    if e.name not in (f"{__name__}.prims.control_flow", "irax.tracer.prims.control_flow"):
        raise

__all__ = ["lower_jaxpr", "lower_subjaxpr", "region", "lowering_rules", "LoweringContext",
           "RuleContext", "LoweringError", "Emitter", "Region"]
