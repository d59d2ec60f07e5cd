"""jax.interpreters.mlir's `register_lowering` and `lower_fun` for irax's StableHLO.

irax writes StableHLO as text, not through MLIR's Python builders, so a lowering rule
is given as `lower_fun(f, multiple_results)`: f computes the primitive with irax
operations, and its jaxpr becomes a private function of the module that the primitive's
uses call (on every target). A rule built on MLIR op builders (`hlo.AddOp(...)`) is
refused at registration with this explanation."""
from __future__ import annotations

import itertools
from typing import Any, Callable, Sequence

from ..lowering.lower import call_helper
from ..lowering.rules import register_lowering as _register
from ..tracer import partial_eval

__all__ = ["lower_fun", "register_lowering"]

_PLATFORMS = {None: None, "cpu": "llvm-cpu", "vulkan": "vulkan", "cuda": "cuda",
              "gpu": "cuda"}
_helper_ids = itertools.count()


def lower_fun(fun: Callable, multiple_results: bool = True) -> Callable:
    """A lowering rule computing the primitive as `fun(*operands, **params)` does."""
    rule_id = next(_helper_ids)

    def rule(ctx: Any, *operands: str, **params: Any) -> Any:
        def flat(*args: Any) -> list:
            out = fun(*args, **params)
            return list(out) if multiple_results else [out]
        closed = partial_eval.trace_to_jaxpr(flat, ctx.avals_in, "lower_fun")
        key = ("lower_fun", rule_id, tuple(ctx.avals_in), tuple(sorted(map(repr, params.items()))))
        outs = call_helper(ctx, key, closed, operands, f"lower_fun_{rule_id}", keep_alive=closed)
        return outs if multiple_results else outs[0]
    rule.irax_lower_fun = True
    return rule


def register_lowering(prim: Any, rule: Callable, platform: str | None = None) -> None:
    """Lower `prim` with `rule` (made by lower_fun) on `platform` (None: every target)."""
    if not getattr(rule, "irax_lower_fun", False):
        raise NotImplementedError(
            f"irax.interpreters.mlir.register_lowering({prim}): irax emits StableHLO text and "
            "has no MLIR op builders; give the lowering as mlir.lower_fun(f, "
            "multiple_results=...), with f computing the primitive in irax operations")
    if platform not in _PLATFORMS:
        raise ValueError(f"register_lowering: unknown platform {platform!r} (known: "
                         f"{', '.join(p for p in _PLATFORMS if p)})")
    _register(prim, rule, _PLATFORMS[platform])
