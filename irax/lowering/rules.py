"""The lowering rule tables: one rule per primitive, per-target rules where a target
differs, and a capability table saying what a target cannot do at some dtypes.

    register_lowering(prim, rule)                    # every target
    register_lowering(prim, rule, target="vulkan")   # only when lowering for Vulkan
    register_capability(prim, dtypes=F64, decompose=rule)              # every target
    register_capability(prim, dtypes=F64, target="vulkan", refuse="...")

`select_rule(prim, target, avals_in)` is the one place that decides which function runs
for an equation: a matching capability first (refuse: raise `UnsupportedOnTarget` with
its message; decompose: its rule), else the target's rule, else the generic rule.
`lowering_rules[prim] = rule` still registers (and replaces) the generic rule.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Protocol, Sequence

import numpy as np

from ..tracer import dtypes
from ..tracer.core import Primitive, ShapedArray
from .context import RuleContext


class LoweringRule(Protocol):
    """`rule(ctx, *operands, **params) -> result name(s)`: operands are SSA value names;
    one name for a single-result primitive, a list for a `multiple_results` one."""

    def __call__(self, ctx: RuleContext, *operands: str, **params: Any) -> str | Sequence[str]:
        ...


class LoweringError(NotImplementedError):
    """A jaxpr cannot be lowered (no rule, or a rule broke its contract)."""


class UnsupportedOnTarget(LoweringError):
    """The target cannot compile this operation (a capability-table refusal)."""


TARGETS = ("llvm-cpu", "vulkan", "cuda")

# ml_dtypes' types each target compiles and runs with correct values (measured with IREE
# 3.13 on llvm-cpu and on Vulkan/lavapipe: tests/numpy/test_low_precision_dtypes.py). The
# others (float8_e4m3b11fnuz, e3m4, e4m3, float6, float4: IREE has no HAL element type;
# float8_e8m0fnu: wrong values; the sub-byte integers: IREE's buffers are packed, irax's
# host arrays are not) are refused with a message naming them.
_RUNS_LOW_PRECISION = frozenset({"bfloat16", "float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz",
                                  "float8_e5m2fnuz"})
_NATIVE_LOW_PRECISION = {"llvm-cpu": _RUNS_LOW_PRECISION, "vulkan": _RUNS_LOW_PRECISION}


def check_target_dtypes(target: str, avals: Iterable[ShapedArray]) -> None:
    """Refuse (UnsupportedOnTarget) a value of an ml_dtypes type the target cannot run."""
    allowed = _NATIVE_LOW_PRECISION.get(target, _NATIVE_LOW_PRECISION["llvm-cpu"])
    for a in avals:
        dt = getattr(a, "dtype", None)
        if isinstance(dt, np.dtype) and dt.kind == "V" and dtypes.is_custom(dt) and \
                dt.name not in allowed:
            ok = ", ".join(sorted(allowed)) or "none of them"
            raise UnsupportedOnTarget(
                f"dtype {dt.name} is not supported by irax.jit on target {target!r} (IREE "
                f"cannot compile or run it there; of the low-precision types it runs: {ok}). "
                "Convert to a supported type first, e.g. x.astype('float32'), or compute "
                "eagerly (outside jit).")


lowering_rules: dict[Primitive, LoweringRule] = {}               # every target
target_rules: dict[str, dict[Primitive, LoweringRule]] = {t: {} for t in TARGETS}


@dataclass(frozen=True)
class Capability:
    """A target's answer for a primitive at some operand dtypes (the first operand's):
    lower it through `decompose` instead of the plain rule, or refuse with `refuse`."""

    dtypes: frozenset[np.dtype]
    target: str | None = None          # None: every target
    decompose: LoweringRule | None = None
    refuse: str | None = None


capabilities: dict[Primitive, list[Capability]] = {}


def _check_target(target: str | None) -> None:
    if target is not None and target not in TARGETS:
        raise ValueError(f"unknown lowering target {target!r}; targets: {', '.join(TARGETS)}")


def register_lowering(prim: Primitive, rule: LoweringRule, target: str | None = None) -> None:
    """The rule lowering `prim` on `target` (None: the generic rule, every target)."""
    _check_target(target)
    if target is None:
        lowering_rules[prim] = rule
    else:
        target_rules[target][prim] = rule


def register_capability(prim: Primitive, *, dtypes: Iterable[Any], target: str | None = None,
                        decompose: LoweringRule | None = None,
                        refuse: str | None = None) -> None:
    """For operands of `dtypes` on `target` (None: every target): lower `prim` through
    `decompose`, or refuse it with the message `refuse` (exactly one of the two)."""
    _check_target(target)
    if (decompose is None) == (refuse is None):
        raise ValueError("register_capability: give exactly one of decompose= or refuse=")
    cap = Capability(frozenset(np.dtype(d) for d in dtypes), target, decompose, refuse)
    capabilities.setdefault(prim, []).append(cap)


def capability_for(prim: Primitive, target: str,
                   avals_in: Sequence[ShapedArray]) -> Capability | None:
    """The capability that applies (a target's own before an every-target one)."""
    caps = capabilities.get(prim)
    if not caps or not avals_in:
        return None
    dtype = avals_in[0].dtype
    for wanted in (target, None):
        for cap in caps:
            if cap.target == wanted and dtype in cap.dtypes:
                return cap
    return None


def rule_for(prim: Primitive, target: str) -> LoweringRule:
    """The target's own rule for `prim`, else the generic one."""
    rule = target_rules.get(target, {}).get(prim) or lowering_rules.get(prim)
    if rule is None:
        raise LoweringError(f"no lowering rule (to StableHLO) for primitive '{prim.name}'")
    return rule


def select_rule(prim: Primitive, target: str, avals_in: Sequence[ShapedArray]) -> LoweringRule:
    """What lowers one equation of `prim` with operands `avals_in` on `target`."""
    cap = capability_for(prim, target, avals_in)
    if cap is not None:
        if cap.refuse is not None:
            raise UnsupportedOnTarget(cap.refuse)
        assert cap.decompose is not None
        return cap.decompose
    return rule_for(prim, target)
