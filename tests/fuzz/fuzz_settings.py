"""Fuzz-suite settings: example counts from $IRAX_FUZZ_EXAMPLES (see conftest.py)."""
from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings

EXAMPLES = int(os.environ.get("IRAX_FUZZ_EXAMPLES", "0")) or None
# Shrinking a failure of a compiled program recompiles it at every step (minutes): off for
# the jit properties unless IRAX_FUZZ_SHRINK=1 (the unshrunk program is still printed).
SHRINK = os.environ.get("IRAX_FUZZ_SHRINK", "0") == "1"

settings.register_profile(
    "irax-fuzz",
    deadline=None,
    derandomize=EXAMPLES is None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture],
)


def n_examples(ci_default: int, scale: float = 1.0) -> int:
    """Example count for one property: CI default, or $IRAX_FUZZ_EXAMPLES * scale."""
    if EXAMPLES is None:
        return ci_default
    return max(1, int(EXAMPLES * scale))


def fuzz_settings(ci_default: int, scale: float = 1.0, shrink: bool = True):
    phases = [Phase.explicit, Phase.reuse, Phase.generate, Phase.target]
    if shrink:
        phases += [Phase.shrink, Phase.explain]
    return settings(settings.get_profile("irax-fuzz"), max_examples=n_examples(ci_default, scale),
                    phases=phases)
