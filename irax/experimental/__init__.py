"""irax.experimental: the parts of jax.experimental that JAX programs use.

    from irax.experimental.ode import odeint
    from irax.experimental import io_callback, checkify
    from irax.experimental.compilation_cache import compilation_cache as cc

Submodules load on first access.
"""
from __future__ import annotations

import importlib

_SUBMODULES = ("ode", "compilation_cache", "checkify")


def __getattr__(name: str):
    if name == "io_callback":
        from ..callback import io_callback
        return io_callback
    if name in _SUBMODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'irax.experimental' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_SUBMODULES) | {"io_callback"})
