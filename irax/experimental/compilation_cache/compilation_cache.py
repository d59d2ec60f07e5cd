"""set_cache_dir / reset_cache over irax's disk cache of compiled modules (the
`jax_compilation_cache_dir` option of irax.config, as in JAX)."""
from __future__ import annotations

import os
from typing import Any

from ...tracer.dtypes import config

_CACHE_OPTIONS = ("jax_compilation_cache_dir", "jax_enable_compilation_cache",
                  "jax_persistent_cache_min_compile_time_secs",
                  "jax_persistent_cache_min_entry_size_bytes", "jax_compilation_cache_max_size")

__all__ = ["set_cache_dir", "reset_cache", "is_initialized", "initialize_cache"]


def set_cache_dir(path: Any) -> None:
    """Compiled modules are read from and written to `path` from now on."""
    config.update("jax_compilation_cache_dir", os.fspath(path))


def reset_cache() -> None:
    """Back to the default directory ($IRAX_CACHE_DIR or ~/.cache/irax) and settings."""
    for name in _CACHE_OPTIONS:
        config.update(name, config.options[name].default)


def is_initialized() -> bool:
    """JAX's name for "a cache directory has been chosen": irax always has one."""
    return True


def initialize_cache(path: Any) -> None:
    """The older spelling of set_cache_dir."""
    set_cache_dir(path)
