"""irax.experimental.compilation_cache: JAX's module of that name.

    from irax.experimental.compilation_cache import compilation_cache as cc
    cc.set_cache_dir("/tmp/irax_cache")
"""
from . import compilation_cache

__all__ = ["compilation_cache"]
