"""irax.ad_checkpoint, as jax.ad_checkpoint: checkpoint (remat), checkpoint_name, the
checkpoint policies, and what reverse mode stores (saved_residuals). The implementation
is irax/tracer/remat.py.

Layering: user API (above irax/tracer).
"""
from .tracer.remat import (checkpoint, checkpoint_name, checkpoint_policies,  # noqa: F401
                           print_saved_residuals, remat, saved_residuals)

__all__ = ["checkpoint", "checkpoint_name", "checkpoint_policies", "print_saved_residuals",
           "remat", "saved_residuals"]
