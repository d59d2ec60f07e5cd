"""irax: JAX-style autodiff compiled through StableHLO and IREE.

The public names are loaded lazily (PEP 562): `import irax.runtime` alone, to
run a saved `.vmfb`, loads neither the tracer nor `iree.compiler`. The first
access to any other public name (`irax.grad`, `from irax import jit`, ...)
imports the module that defines it.
"""
from __future__ import annotations

import importlib
import sys
import types
from typing import Any

__version__ = "0.1.0"

# public name -> (module, attribute); attribute None means the module itself.
_LAZY: dict[str, tuple[str, str | None]] = {
    "_core": ("irax.tracer.core", None),
    "config": ("irax.tracer.dtypes", "config"),
    "Array": ("irax.tracer.core", "Array"),
    "ShapeDtypeStruct": ("irax.tracer.core", "ShapeDtypeStruct"),
    "ConcretizationTypeError": ("irax.tracer.core", "ConcretizationTypeError"),
    "UnexpectedTracerError": ("irax.tracer.core", "UnexpectedTracerError"),
    "jvp": ("irax.tracer.api", "jvp"),
    "linearize": ("irax.tracer.api", "linearize"),
    "vjp": ("irax.tracer.api", "vjp"),
    "grad": ("irax.tracer.api", "grad"),
    "value_and_grad": ("irax.tracer.api", "value_and_grad"),
    "jacfwd": ("irax.tracer.api", "jacfwd"),
    "jacrev": ("irax.tracer.api", "jacrev"),
    "hessian": ("irax.tracer.api", "hessian"),
    "vmap": ("irax.tracer.api", "vmap"),
    "make_jaxpr": ("irax.tracer.api", "make_jaxpr"),
    "jacobian": ("irax.tracer.api", "jacrev"),
    "eval_shape": ("irax.tracer.api_extra", "eval_shape"),
    "typeof": ("irax.tracer.api_extra", "typeof"),
    "linear_transpose": ("irax.tracer.api_extra", "linear_transpose"),
    "custom_gradient": ("irax.tracer.api_extra", "custom_gradient"),
    "closure_convert": ("irax.tracer.api_extra", "closure_convert"),
    "disable_jit": ("irax.tracer.api_extra", "disable_jit"),
    "ensure_compile_time_eval": ("irax.tracer.api_extra", "ensure_compile_time_eval"),
    "device_put": ("irax.tracer.api_extra", "device_put"),
    "devices": ("irax.tracer.api_extra", "devices"),
    "local_devices": ("irax.tracer.api_extra", "local_devices"),
    "device_count": ("irax.tracer.api_extra", "device_count"),
    "default_backend": ("irax.tracer.api_extra", "default_backend"),
    "Device": ("irax.tracer.api_extra", "Device"),
    "checkpoint": ("irax.tracer.remat", "checkpoint"),
    "remat": ("irax.tracer.remat", "remat"),
    "checkpoint_policies": ("irax.tracer.remat", "checkpoint_policies"),
    "ad_checkpoint": ("irax.ad_checkpoint", None),
    "custom_jvp": ("irax.tracer.custom", "custom_jvp"),
    "custom_vjp": ("irax.tracer.custom", "custom_vjp"),
    "jit": ("irax.jit", "jit"),
    "CompileError": ("irax.runtime.compiler", "CompileError"),
    "tree_util": ("irax.tree_util", None),
    "tree": ("irax.tree", None),
    "test_util": ("irax.test_util", None),
    "debug": ("irax.debug", None),
    "numpy": ("irax.numpy", None),
    "lax": ("irax.lax", None),
    "nn": ("irax.nn", None),
    "random": ("irax.random", None),
    "scipy": ("irax.scipy", None),
    "optim": ("irax.optim", None),
    "aot": ("irax.aot", None),
    "runtime": ("irax.runtime", None),
    "experimental": ("irax.experimental", None),
    "extend": ("irax.extend", None),
    "interpreters": ("irax.interpreters", None),
}

# Public functions that share their name with the submodule defining them
# (`irax.jit` the function lives in `irax/jit.py`).
_SHADOWED_BY_SUBMODULE = frozenset(
    name for name, (mod, attr) in _LAZY.items() if attr is not None and mod == f"{__name__}.{name}"
)


def __getattr__(name: str) -> Any:
    try:
        module_name, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'irax' has no attribute {name!r}") from None
    module = importlib.import_module(module_name)
    _hook_array_methods()
    value = module if attr is None else getattr(module, attr)
    globals()[name] = value  # later accesses skip __getattr__
    return value


def _hook_array_methods() -> None:
    """Once the tracer is loaded, let its arrays import irax.numpy for their methods."""
    core = sys.modules.get("irax.tracer.core")
    if core is not None and "irax.numpy" not in sys.modules and core.array_methods_loader is None:
        core.array_methods_loader = lambda: importlib.import_module("irax.numpy")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


class _IraxModule(types.ModuleType):
    """Keeps `irax.jit` the function after `import irax.jit` binds the submodule.

    The import system sets `irax.<child>` to each loaded submodule; for a name
    that is also a public function, bind the function instead.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _SHADOWED_BY_SUBMODULE and isinstance(value, types.ModuleType):
            value = getattr(value, name, value)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _IraxModule


def device_get(x):
    import numpy as _np
    from . import tree_util
    return tree_util.tree_map(lambda v: _np.asarray(v), x)


def block_until_ready(x):
    return x


# ---------------------------------------------------------------------------
# branch toplevel: jax.dtypes / jax.custom_derivatives modules, config flags as context
# managers, process queries, named_call/named_scope, pure_callback (irax/config_flags.py,
# irax/callback.py). `config` moves to config_flags, which registers the jax_* options on
# the same Config object (irax.tracer.dtypes.config).
_LAZY.update({
    "dtypes": ("irax.dtypes", None),
    "custom_derivatives": ("irax.custom_derivatives", None),
    "custom_batching": ("irax.custom_batching", None),
    "config": ("irax.config_flags", "config"),
    "float0": ("irax.dtypes", "float0"),
    **{name: ("irax.config_flags", name) for name in (
        "enable_x64", "debug_nans", "debug_infs", "log_compiles", "default_matmul_precision",
        "numpy_rank_promotion", "numpy_dtype_promotion", "default_device", "clear_caches",
        "local_device_count", "process_index", "process_count", "process_indices",
        "host_id", "host_count", "host_ids", "named_call", "named_scope",
        "print_environment_info", "version", "threefry_partitionable", "default_prng_impl",
        "enable_checks", "explain_cache_misses")},
    "pure_callback": ("irax.callback", "pure_callback"),
    "make_array_from_callback": ("irax.callback", "make_array_from_callback"),
})

# jax.errors and jax.typing
_LAZY.update({"errors": ("irax.errors", None), "typing": ("irax.typing", None),
              "pmap": ("irax.pmapping", "pmap")})

# jax.ops, jax.image, jax.flatten_util
_LAZY.update({"ops": ("irax.ops", None), "image": ("irax.image", None),
              "flatten_util": ("irax.flatten_util", None)})

# jax.sharding on one device (irax/sharding.py, irax/tracer/sharding.py)
_LAZY.update({
    "sharding": ("irax.sharding", None),
    "NamedSharding": ("irax.sharding", "NamedSharding"),
    "make_mesh": ("irax.sharding", "make_mesh"),
    "set_mesh": ("irax.sharding", "set_mesh"),
    "P": ("irax.sharding", "P"),
    "reshard": ("irax.sharding", "reshard"),
})

# jax.export, jax.stages, jax.profiler, jax.shard_map (irax/export.py, irax/stages.py,
# irax/profiler.py, irax/shard_map.py)
_LAZY.update({
    "export": ("irax.export", None),
    "stages": ("irax.stages", None),
    "profiler": ("irax.profiler", None),
    "shard_map": ("irax.shard_map", "shard_map"),
    "smap": ("irax.shard_map", "smap"),
    "dlpack": ("irax.dlpack", None),
    "core": ("irax.core", None),
    "monitoring": ("irax.monitoring", None),
    **{name: ("irax.config_flags", name) for name in (
        "no_tracing", "no_execution", "check_tracer_leaks", "checking_leaks",
        "transfer_guard", "transfer_guard_host_to_device", "transfer_guard_device_to_device",
        "transfer_guard_device_to_host", "debug_key_reuse", "legacy_prng_key",
        "enable_custom_prng", "softmax_custom_jvp", "allow_f16_reductions", "live_arrays",
        "effects_barrier", "copy_to_host_async", "make_array_from_single_device_arrays",
        "make_array_from_process_local_data", "thread_guard",
        "array_garbage_collection_guard", "remove_size_one_mesh_axis_from_type",
        "jax2tf_associative_scan_reductions", "auto_pcast")},
    "Shard": ("irax.tracer.sharding", "Shard"),
    "ds": ("irax.numpy.indexing", "ds"),
})


def fwd_and_bwd(fun, argnums=0, has_aux: bool = False, jitted: bool = True):
    """(fwd, bwd) as jax.fwd_and_bwd: fwd(*args) is irax.vjp of fun in the `argnums`
    arguments, (out, residuals[, aux]); bwd(residuals, cotangent) their cotangents (one
    for an int argnums, a tuple for a sequence). Both jitted by default: the residuals
    are a pytree of arrays, so one compiled bwd serves every step."""
    from .tracer.api import vjp
    if not callable(fun):
        raise TypeError(f"Expected a callable value, got {fun!r}")
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)

    def fwd(*args):
        def partial_fun(*dyn):
            full = list(args)
            for i, d in zip(nums, dyn):
                full[i] = d
            return fun(*full)
        return vjp(partial_fun, *[args[i] for i in nums], has_aux=has_aux)

    def bwd(f_vjp, outgrad):
        g = f_vjp(outgrad)
        return g[0] if isinstance(argnums, int) else g

    if jitted:
        from .jit import jit
        return jit(fwd), jit(bwd)
    return fwd, bwd


# the names registered above that share their submodule's name (irax.shard_map)
_SHADOWED_BY_SUBMODULE = frozenset(
    name for name, (mod, attr) in _LAZY.items() if attr is not None and mod == f"{__name__}.{name}"
)
