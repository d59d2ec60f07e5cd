"""Jaxpr -> StableHLO text (imports irax.tracer only).

    from irax.lowering import lower_jaxpr
    text = lower_jaxpr(closed_jaxpr, name="main")   # `func.func public @main`, many results ok

    from irax.lowering import ModuleContext, lower_jaxpr_to_fun
    module = ModuleContext(target="vulkan")         # several public functions, one module
    lower_jaxpr_to_fun(module, "predict", jaxpr1, arg_names=[...], reflection={...})
    lower_jaxpr_to_fun(module, "train_step", jaxpr2)
    lowered = module.finish()                       # .text, .uses_f64, .entries, .helpers

The text is a module that stand-alone `iree-compile --iree-input-type=stablehlo` accepts.
Ops are written in MLIR generic form; `chlo` ops are used for asin/acos/sinh/cosh/asinh/
acosh/atanh/erf (IREE expands them). Booleans are `i1`, unsigned ints `ui<N>`; f64 stays
f64 (compile with `--iree-input-demote-f64-to-f32=false` when `lowered.uses_f64`).

Layout
------
    emitter.py   MLIR text: types, constants, generic-form ops, regions, `mlir_string`
    context.py   ModuleContext / FunctionContext / RuleContext / LoweredModule
    rules.py     the rule tables: register_lowering, per-target rules, the capability
                 table (decompose / refuse at some dtypes on some target), select_rule
    lower.py     the interpreter: lower_jaxpr_to_fun, lower_subjaxpr, region, call_helper
    hlo.py       typed builders shared by the rules
    f64_math.py  float64 formulas for what IREE has no accurate float64 op for
    prims/       one module per primitive family (auto-imported), each ending with its
                 registration block

Writing a lowering rule
-----------------------
    register_lowering(my_p, rule)                     # every target
    register_lowering(my_p, rule_vk, target="vulkan") # where Vulkan needs another lowering
    def rule(ctx: RuleContext, *operands: str, **params) -> str | list[str]

`operands` are SSA value names (strings); `ctx.avals_in` / `ctx.avals_out` the equation's
avals; `ctx.target` the module's target; `ctx.em` the function's `Emitter`
(`em.op1(name, operands, operand_types, result_type, attrs, regions)`, `em.op(...)` for
several results, `em.constant(value, dtype, shape)`); `irax.lowering.hlo` has typed
builders (binary, compare, select, convert, reduce, ...). Return one name, or a list for a
`multiple_results` primitive. `lowering_rules[my_p] = rule` is the generic table itself.

A target that cannot lower a primitive at some dtype gets a capability entry instead of a
wrapped rule: `register_capability(p, dtypes=[np.float64], decompose=rule)` or
`register_capability(p, dtypes=[np.float64], target="vulkan", refuse="message")` (raises
`UnsupportedOnTarget`, which irax.jit reports as a CompileError).

Rules with regions (control flow)
---------------------------------
    from irax.lowering.lower import lower_subjaxpr, region
    outs = lower_subjaxpr(ctx, closed_jaxpr, arg_names)   # inline, in the current block
    r = region(ctx, closed_jaxpr)     # a Region: block args = the jaxpr's inputs, ends
                                      # with `stablehlo.return` of its outputs

`Region(arg_types, result_types, build)` with `build(em, block_arg_names) -> names` gives
full control (e.g. a `stablehlo.case` branch with no block arguments: `Region([], types,
build)`; values of the enclosing block may be used inside — implicit capture). SSA names
are unique per function, so nesting needs no renaming.

Helper functions
----------------
`call_helper(ctx, key, closed_jaxpr, operands, name)` calls a private function computing
the jaxpr, written into the module the first time `key` is seen: float64 formulas (one per
function and shape) and nested jit calls (one per staged jaxpr) are written once per module
however many functions use them.

Host functions
--------------
`ctx.module.host_import(callback, avals)` declares `func.func private @irax_host.cb<k>(...)`
for a Python callback (the debug_callback rule, prims/debug.py); a `func.call` of it runs
the callback on the host each time it executes. The module records each import
(`LoweredModule.host_imports`) and every public function that reaches one carries the key
`irax_host` in its `iree.reflection` (the runtime builds the `irax_host` VM module from it:
irax/runtime/host.py).
"""
from __future__ import annotations

import importlib
import pkgutil

from . import prims as _prims
from .context import FunctionContext, HostImport, LoweredModule, ModuleContext, RuleContext
from .emitter import Emitter, Region, mlir_string
from .lower import call_helper, lower_jaxpr, lower_jaxpr_to_fun, lower_subjaxpr, region
from .rules import (LoweringError, LoweringRule, UnsupportedOnTarget, capabilities,
                    lowering_rules, register_capability, register_lowering, rule_for,
                    select_rule)

for _family in pkgutil.iter_modules(_prims.__path__):
    importlib.import_module(f"{_prims.__name__}.{_family.name}")

__all__ = ["lower_jaxpr", "lower_jaxpr_to_fun", "lower_subjaxpr", "region",
           "call_helper", "ModuleContext", "FunctionContext", "RuleContext", "LoweredModule",
           "HostImport",
           "lowering_rules", "register_lowering", "register_capability", "capabilities",
           "rule_for", "select_rule", "LoweringRule", "LoweringError", "UnsupportedOnTarget",
           "Emitter", "Region", "mlir_string"]
