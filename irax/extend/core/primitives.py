"""jax.extend.core.primitives: the `*_p` objects of irax's primitives that mean what JAX's
of the same name mean (the lax ones, see irax/lax/primitives.py, and jit_p / the custom
derivative calls, which irax names jit_call / custom_jvp_call / custom_vjp_call)."""
from __future__ import annotations

from ...lax.primitives import PRIMITIVES as _LAX
from ...tracer.custom import custom_jvp_call as custom_jvp_call_p  # noqa: F401
from ...tracer.custom import custom_vjp_call as custom_vjp_call_p  # noqa: F401
from ...tracer.jit_call import jit_call_p as jit_p  # noqa: F401

globals().update(_LAX)
__all__ = sorted([*_LAX, "custom_jvp_call_p", "custom_vjp_call_p", "jit_p"])
