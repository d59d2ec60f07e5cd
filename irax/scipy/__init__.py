"""irax.scipy: the parts of SciPy that JAX programs use (as jax.scipy).

    from irax.scipy import special, stats
    special.gammaln(x);  stats.norm.logpdf(x, loc, scale)

Everything is composed from irax primitives (no new primitives), so eager, jit, grad and
vmap all work; functions whose naive derivative would be nan or inaccurate (xlogy at 0,
log_ndtr in the tails, gammaln at its poles, ...) carry custom_jvp rules as JAX's do.

The submodules load on first access: irax.random imports the numerical kernels in
`irax.scipy._erf_fns` / `_gamma_fns` without pulling in the whole package.
"""
from __future__ import annotations

import importlib

_SUBMODULES = ("special", "stats", "linalg")


def __getattr__(name: str):
    if name in _SUBMODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'irax.scipy' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_SUBMODULES))


# --- signal, ndimage, optimize (jax.scipy.signal / .ndimage / .optimize), loaded lazily ---
_SUBMODULES = _SUBMODULES + ("signal", "ndimage", "optimize")

# --- fft, integrate, interpolate, cluster (jax.scipy.fft / .integrate / .interpolate /
# .cluster), loaded lazily ---
_SUBMODULES = _SUBMODULES + ("fft", "integrate", "interpolate", "cluster")

# --- sparse (jax.scipy.sparse: the Krylov solvers of sparse.linalg) ---
_SUBMODULES = _SUBMODULES + ("sparse",)
