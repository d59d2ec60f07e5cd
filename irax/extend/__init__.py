"""irax.extend: jax.extend's entry to the IR, for code that reads or writes jaxprs (custom
interpreters, new primitives). Only `core` is provided: its names map onto irax's own IR
(irax/tracer/core.py); jax.extend's backend, mlir, lowering, ... have no irax counterpart.
Like jax.extend, no compatibility promise beyond JAX's names."""
from __future__ import annotations

from . import core

__all__ = ["core"]
