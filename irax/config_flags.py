"""JAX's top-level configuration context managers and process/device queries.

    with irax.enable_x64():              # as `with jax.enable_x64(True):`
        ...
    with irax.debug_nans(True):          # eager: FloatingPointError at the op making a NaN
        irax.numpy.log(-1.0)
    irax.config.update("jax_debug_nans", True)

Each flag is a context manager (`flag(value)`) with a `.value`, and an option of
`irax.config.update` under its `jax_` name. A flag irax cannot honour accepts only the
values whose semantics irax has, and raises NotImplementedError for the others (a
numeric-semantics flag is never ignored silently):

  enable_x64                 honoured (64-bit types)
  debug_nans / debug_infs    honoured: eagerly each primitive's result is checked; a
                             top-level irax.jit call checks its outputs and, on a NaN/inf,
                             re-runs the function op by op to name the primitive (as JAX;
                             a NaN that compiled code makes and drops is not seen)
  log_compiles               honoured: irax.jit's lowering and IREE compile times are
                             logged (WARNING, logger "irax.jit") in JAX's words
  default_matmul_precision   every JAX value accepted: irax's dots run at full precision of
                             their dtype, which every setting permits (as on JAX's CPU)
  numpy_rank_promotion       'allow' only ('warn'/'raise': NotImplementedError)
  numpy_dtype_promotion      'standard' only ('strict': NotImplementedError)
  default_device             accepted (irax's Arrays live on the host; compiled code runs
                             on irax.config.device)
  threefry_partitionable     True only (irax's bits are JAX 0.10's default form)
  default_prng_impl          'threefry2x32' only
  enable_checks, explain_cache_misses   accepted (checking / logging; no numeric effect)
  custom_vjp3                honoured: JAX's opt-in custom_vjp semantics (the function may
                             not close over tracers: UnexpectedTracerError; fwd output type
                             errors in that mode's words)
  compilation_cache_dir, enable_compilation_cache, persistent_cache_min_compile_time_secs,
  persistent_cache_min_entry_size_bytes, compilation_cache_max_size
                             honoured by irax's disk cache of compiled modules (it is on by
                             default, in $IRAX_CACHE_DIR or ~/.cache/irax, and keeps every
                             module: min_compile_time_secs defaults to 0, not JAX's 1 s)
  persistent_cache_enable_xla_caches, compilation_cache_expect_pgle   accepted (XLA only)
"""
from __future__ import annotations

import contextlib
import functools
import importlib
import logging
import os
import platform
import sys
import types
from typing import Any, Callable, Iterator

import numpy as np

from . import monitoring
from .tracer import core
from .tracer import dtypes as _dtypes
from .tracer.api_extra import devices

config = _dtypes.config

__all__ = ["clear_caches", "config", "debug_infs", "debug_nans", "default_device",
           "default_matmul_precision", "enable_x64", "host_count", "host_id", "host_ids",
           "local_device_count", "log_compiles", "named_call", "named_scope",
           "numpy_dtype_promotion", "numpy_rank_promotion", "print_environment_info",
           "process_count", "process_index", "process_indices", "version",
           "threefry_partitionable", "default_prng_impl", "enable_checks",
           "explain_cache_misses"]


class Flag:
    """A configuration flag: `flag.value`, `with flag(v):`, and config.update(name, v)."""

    def __init__(self, name: str, default: Any, check: Callable[[Any], Any],
                 getter: Callable[[], Any] | None = None,
                 setter: Callable[[Any], None] | None = None) -> None:
        self.name, self._check = name, check
        self.default = default
        self._value, self._getter, self._setter = default, getter, setter
        config.options[name] = self
        config.options["jax_" + name] = self

    @property
    def value(self) -> Any:
        return self._getter() if self._getter else self._value

    def set(self, value: Any) -> None:
        value = self._check(value)
        if self._setter:
            self._setter(value)
        else:
            self._value = value
        _update_eager_check()

    @contextlib.contextmanager
    def __call__(self, new_val: Any = True) -> Iterator[None]:
        old = self.value
        self.set(new_val)
        try:
            yield
        finally:
            self.set(old)

    def __repr__(self) -> str:
        return f"<irax flag {self.name}={self.value!r}>"


def _bool(name: str) -> Callable[[Any], bool]:
    def check(v: Any) -> bool:
        if not isinstance(v, (bool, int, np.bool_)):
            raise ValueError(f"{name}: expected a bool, got {v!r} of type {type(v)}")
        return bool(v)
    return check


def _enum(name: str, known: tuple, honoured: tuple, allow_none: bool = False):
    def check(v: Any) -> Any:
        if v is None and allow_none:
            return v
        if v not in known:
            extra = "None or " if allow_none else ""
            raise ValueError(f"new enum value must be {extra}in {list(known)}, got {v!r} of "
                             f"type {type(v)}.")
        if v not in honoured:
            raise NotImplementedError(f"irax does not implement {name}={v!r} (supported: "
                                      f"{', '.join(map(repr, honoured))})")
        return v
    return check


def _set_x64(v: bool) -> None:
    config.enable_x64 = v


enable_x64 = Flag("enable_x64", False, _bool("enable_x64"),
                  getter=lambda: config.enable_x64, setter=_set_x64)
debug_nans = Flag("debug_nans", False, _bool("debug_nans"))
debug_infs = Flag("debug_infs", False, _bool("debug_infs"))


# JAX's log lines for irax.jit's compile events (irax.monitoring); "XLA" is IREE here
_COMPILE_LOG = {monitoring.JAXPR_TO_MLIR_MODULE_EVENT: "jaxpr to MLIR module conversion",
                monitoring.BACKEND_COMPILE_EVENT: "XLA compilation of"}


def _log_compile(event: str, secs: float, fun_name: str = "?", **_: Any) -> None:
    what = _COMPILE_LOG.get(event)
    if what is not None:
        logging.getLogger("irax.jit").warning(
            f"Finished {what} jit({fun_name}) in {secs:.9f} sec")


def _set_log_compiles(v: bool) -> None:
    if v and not _log_compiles_on():
        monitoring.register_event_duration_secs_listener(_log_compile)
    elif not v and _log_compiles_on():
        monitoring.unregister_event_duration_listener(_log_compile)


def _log_compiles_on() -> bool:
    return _log_compile in monitoring._duration


log_compiles = Flag("log_compiles", False, _bool("log_compiles"), getter=_log_compiles_on,
                    setter=_set_log_compiles)


# JAX's logging options, for irax's loggers ("irax", "irax.jit", ...; a "jax" prefix in a
# module name means irax's): a level for all of them, or DEBUG for some, to stderr
_LEVELS = ("NOTSET", "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_log_handler = logging.StreamHandler(sys.stderr)
_log_handler.setFormatter(logging.Formatter("%(levelname)s:%(asctime)s:%(name)s:%(lineno)s: "
                                            "%(message)s"))
_logging_state: dict[str, Any] = {"level": None, "debug": ""}


def _irax_logger_name(name: str) -> str:
    return "irax" + name[3:] if name == "jax" or name.startswith("jax.") else name


def _set_logging_level(v: Any) -> None:
    root = logging.getLogger("irax")
    root.removeHandler(_log_handler)
    root.setLevel(logging.NOTSET)
    _logging_state["level"] = v
    if v is not None:
        root.setLevel(getattr(logging, v))
        if v != "NOTSET":
            root.addHandler(_log_handler)


def _set_debug_log_modules(v: Any) -> None:
    for name in filter(None, _logging_state["debug"].split(",")):
        logger = logging.getLogger(_irax_logger_name(name.strip()))
        logger.removeHandler(_log_handler)
        logger.setLevel(logging.NOTSET)
    _logging_state["debug"] = v or ""
    for name in filter(None, (v or "").split(",")):
        logger = logging.getLogger(_irax_logger_name(name.strip()))
        logger.addHandler(_log_handler)
        logger.setLevel(logging.DEBUG)


def _check_debug_modules(v: Any) -> str:
    if v is not None and not isinstance(v, str):
        raise ValueError(f"debug_log_modules: expected a comma-separated string, got {v!r}")
    return v or ""


logging_level = Flag("logging_level", None, _enum("logging_level", _LEVELS, _LEVELS,
                                                  allow_none=True),
                     getter=lambda: _logging_state["level"], setter=_set_logging_level)
debug_log_modules = Flag("debug_log_modules", "", _check_debug_modules,
                         getter=lambda: _logging_state["debug"], setter=_set_debug_log_modules)
_PRECISIONS = ("default", "high", "highest", "bfloat16", "tensorfloat32", "float32",
               "ANY_F8_ANY_F8_F32", "ANY_F8_ANY_F8_F32_FAST_ACCUM", "ANY_F8_ANY_F8_ANY",
               "ANY_F8_ANY_F8_ANY_FAST_ACCUM", "F16_F16_F16", "F16_F16_F32", "BF16_BF16_BF16",
               "BF16_BF16_F32", "BF16_BF16_F32_X3", "BF16_BF16_F32_X6", "BF16_BF16_F32_X9",
               "TF32_TF32_F32", "TF32_TF32_F32_X3", "F32_F32_F32", "F64_F64_F64")
default_matmul_precision = Flag(
    "default_matmul_precision", None,
    _enum("default_matmul_precision", _PRECISIONS, _PRECISIONS, allow_none=True))
numpy_rank_promotion = Flag("numpy_rank_promotion", "allow",
                            _enum("numpy_rank_promotion", ("allow", "warn", "raise"),
                                  ("allow",)))
numpy_dtype_promotion = Flag("numpy_dtype_promotion", "standard",
                             _enum("numpy_dtype_promotion", ("standard", "strict"),
                                   ("standard",)))


# random bits: irax's threefry is JAX's partitionable form (the 0.10 default) only
threefry_partitionable = Flag("threefry_partitionable", True, lambda v: _honour_only(
    "threefry_partitionable", _bool("threefry_partitionable")(v), (True,)))
default_prng_impl = Flag("default_prng_impl", "threefry2x32", _enum(
    "default_prng_impl", ("threefry2x32", "threefry4x32", "rbg", "unsafe_rbg", "philox2x32",
                          "philox4x32"),
    ("threefry2x32",)))
# checking / logging only: accepted (irax's own checks always run; it logs no cache misses)
enable_checks = Flag("enable_checks", False, _bool("enable_checks"))
explain_cache_misses = Flag("explain_cache_misses", False, _bool("explain_cache_misses"))


# The persistent compilation cache (irax.runtime.cache keeps the values and defaults)
def _cache_flag(name: str, key: str, check: Callable[[Any], Any]) -> Flag:
    from .runtime import cache

    def setter(v: Any) -> None:
        cache.settings[key] = v
    return Flag(name, cache.DEFAULT_SETTINGS[key], check,
                getter=lambda: cache.settings[key], setter=setter)


def _optional_path(name: str) -> Callable[[Any], Any]:
    def check(v: Any) -> Any:
        if v is not None and not isinstance(v, (str, os.PathLike)):
            raise ValueError(f"{name}: expected a path or None, got {v!r} of type {type(v)}")
        return None if v is None else os.fspath(v)
    return check


def _number(name: str, kind: type) -> Callable[[Any], Any]:
    def check(v: Any) -> Any:
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.number)) \
                or (kind is int and not float(v).is_integer()):
            raise ValueError(f"{name}: expected {kind.__name__}, got {v!r} of type {type(v)}")
        return kind(v)
    return check


compilation_cache_dir = _cache_flag("compilation_cache_dir", "dir",
                                    _optional_path("compilation_cache_dir"))
enable_compilation_cache = _cache_flag("enable_compilation_cache", "enabled",
                                       _bool("enable_compilation_cache"))
persistent_cache_min_compile_time_secs = _cache_flag(
    "persistent_cache_min_compile_time_secs", "min_compile_time_secs",
    _number("persistent_cache_min_compile_time_secs", float))
persistent_cache_min_entry_size_bytes = _cache_flag(
    "persistent_cache_min_entry_size_bytes", "min_entry_size_bytes",
    _number("persistent_cache_min_entry_size_bytes", int))
compilation_cache_max_size = _cache_flag("compilation_cache_max_size", "max_size",
                                         _number("compilation_cache_max_size", int))
# XLA's own caches and PGLE profiles have no IREE counterpart: accepted, no effect
persistent_cache_enable_xla_caches = Flag(
    "persistent_cache_enable_xla_caches", "xla_gpu_per_fusion_autotune_cache_dir",
    lambda v: v)
compilation_cache_expect_pgle = Flag("compilation_cache_expect_pgle", False,
                                     _bool("compilation_cache_expect_pgle"))


def _honour_only(name: str, v: Any, honoured: tuple) -> Any:
    if v not in honoured:
        raise NotImplementedError(f"irax does not implement {name}={v!r} (supported: "
                                  f"{', '.join(map(repr, honoured))})")
    return v


def _device(v: Any) -> Any:
    from .tracer.api_extra import Device
    if v is not None and not isinstance(v, (Device, str)):
        raise ValueError(f"default_device: expected a Device, a platform name or None, got "
                         f"{v!r}")
    return v


default_device = Flag("default_device", None, _device)


# ---------------------------------------------------------------------------
# debug_nans / debug_infs: a check after every eager primitive (core.eager_result_check)


def _check_result(prim: Any, out: Any) -> None:
    for o in (out if prim.multiple_results else [out]):
        arr = np.asarray(o)
        if arr.dtype.kind not in "fc":
            continue
        if debug_nans.value and np.isnan(arr).any():
            raise FloatingPointError(f"invalid value (nan) encountered in {prim.name}")
        if debug_infs.value and np.isinf(arr).any():
            raise FloatingPointError(f"invalid value (inf) encountered in {prim.name}")


def _check_jit_result(fun: Callable, name: str, out: Any, args: tuple, kwargs: dict) -> None:
    """As JAX: a NaN/inf output of a compiled call re-runs the function op by op, so the
    error names the primitive that made it; if that run is clean, name the function."""
    from . import tree_util
    from .tracer.api_extra import disable_jit
    for leaf in tree_util.tree_leaves(out):
        arr = np.asarray(leaf)
        if arr.dtype.kind not in "fc":
            continue
        for kind, flag, test in (("nan", debug_nans, np.isnan), ("inf", debug_infs, np.isinf)):
            if flag.value and test(arr).any():
                with disable_jit():
                    fun(*args, **kwargs)
                raise FloatingPointError(f"invalid value ({kind}) encountered in jit({name})")


def _update_eager_check() -> None:
    on = debug_nans.value or debug_infs.value
    off = not globals().get("_no_execution_on", False)
    core.eager_result_check = (_check_result if on else None) if off else _refuse_eager
    core.jit_result_check = (_check_jit_result if on else None) if off else _refuse_jit


def _refuse_eager(prim: Any, out: Any) -> None:
    raise RuntimeError(f"irax tried to execute {prim.name}, but the no_execution config "
                       "option is set")


def _refuse_jit(fun: Callable, name: str, out: Any, args: tuple, kwargs: dict) -> None:
    raise RuntimeError(f"irax tried to execute function jit({name}), but the no_execution "
                       "config option is set")


# ---------------------------------------------------------------------------
# Processes and devices: irax is one process driving one device


def local_device_count(backend: str | None = None) -> int:
    return len(devices(backend))


def process_index(backend: str | None = None) -> int:
    return 0


def process_count(backend: str | None = None) -> int:
    return 1


def process_indices(backend: str | None = None) -> list[int]:
    return [0]


host_id, host_count, host_ids = process_index, process_count, process_indices


# ---------------------------------------------------------------------------
# Names and caches


def named_call(fun: Callable, *, name: str | None = None) -> Callable:
    """fun itself under a name (JAX names the staged call; irax's jaxprs inline it)."""
    if not callable(fun):
        raise TypeError(f"named_call: fun must be callable, got {type(fun)}")

    @functools.wraps(fun)
    def named(*args: Any, **kwargs: Any) -> Any:
        return fun(*args, **kwargs)
    if name is not None:
        named.__name__ = name
    return named


@contextlib.contextmanager
def named_scope(name: str) -> Iterator[None]:
    """A name scope for the operations inside (JAX uses it for profiler names; irax's
    modules carry no such names)."""
    if not isinstance(name, str):
        raise TypeError("named_scope name argument must be a string.")
    yield


def clear_caches() -> None:
    """Drop every jit cache (traced functions and compiled executables)."""
    # the module, not `irax.jit` the function that the package attribute names
    jit_mod = importlib.import_module("irax.jit")
    with jit_mod._caches_lock:
        jit_mod._caches_by_fun.clear()
    jit_mod._exe_cache.clear()


version = types.ModuleType("irax.version", "irax's version (as jax.version).")
version.__version__ = version._version = sys.modules["irax"].__version__


def print_environment_info(return_string: bool = False) -> str | None:
    """Versions of irax, its compiler and NumPy, and the devices (as JAX's)."""
    try:
        from importlib import metadata
        iree = metadata.version("iree-base-compiler")
    except Exception:   # the distribution name differs between IREE releases
        iree = "unknown"
    info = "\n".join([
        f"irax:   {version.__version__}",
        f"iree:   {iree}",
        f"numpy:  {np.__version__}",
        f"python: {sys.version}",
        f"device info: {config.device}-{local_device_count()}, "
        f"{local_device_count()} local devices",
        f"process_count: {process_count()}",
        f"platform: {platform.uname()}",
    ]) + "\n"
    if return_string:
        return info
    print(info)
    return None


# ---------------------------------------------------------------------------
# More of JAX's flags (irax/toplevel names of branch export)
#   no_tracing       honoured: irax.jit raises RuntimeError instead of tracing (a cache
#                    miss); calls already traced run
#   no_execution     honoured: an eager primitive or a jit call raises RuntimeError (the
#                    check runs on the result, so the computation itself has run)
#   check_tracer_leaks / checking_leaks   accepted: irax reports a leaked tracer where it
#                    is used (UnexpectedTracerError), not where it leaks
#   transfer_guard*  'allow' / 'log' / 'log_explicit' accepted (irax logs no transfers);
#                    'disallow*': NotImplementedError
#   debug_key_reuse  False only (True: NotImplementedError; irax does not track key use)
#   legacy_prng_key  'allow' / 'warn' / 'error' accepted (irax's raw uint32 keys work as
#                    JAX's legacy keys; no warning or error is given)
#   enable_custom_prng, softmax_custom_jvp, allow_f16_reductions: accepted (the same
#                    numbers either way on irax: softmax's derivative is one formula, f16
#                    reductions accumulate in f32 on IREE)


def _set_no_tracing(v: bool) -> None:
    from .tracer.api_extra import flags
    flags.no_tracing = v


def _get_no_tracing() -> bool:
    from .tracer.api_extra import flags
    return flags.no_tracing


def _set_no_execution(v: bool) -> None:
    globals()["_no_execution_on"] = v


no_tracing = Flag("no_tracing", False, _bool("no_tracing"), getter=_get_no_tracing,
                  setter=_set_no_tracing)
no_execution = Flag("no_execution", False, _bool("no_execution"),
                    getter=lambda: globals().get("_no_execution_on", False),
                    setter=_set_no_execution)
def _set_custom_vjp3(v: bool) -> None:
    from .tracer.custom import options
    options.custom_vjp3 = v


def _get_custom_vjp3() -> bool:
    from .tracer.custom import options
    return options.custom_vjp3


# JAX's opt-in custom_vjp semantics: the function may not close over tracers
custom_vjp3 = Flag("custom_vjp3", False, _bool("custom_vjp3"), getter=_get_custom_vjp3,
                   setter=_set_custom_vjp3)
check_tracer_leaks = Flag("check_tracer_leaks", False, _bool("check_tracer_leaks"))
checking_leaks = functools.partial(check_tracer_leaks, True)
_GUARDS = ("allow", "log", "disallow", "log_explicit", "disallow_explicit")
_GUARDS_OK = ("allow", "log", "log_explicit")
transfer_guard_host_to_device = Flag("transfer_guard_host_to_device", None, _enum(
    "transfer_guard_host_to_device", _GUARDS, _GUARDS_OK, allow_none=True))
transfer_guard_device_to_device = Flag("transfer_guard_device_to_device", None, _enum(
    "transfer_guard_device_to_device", _GUARDS, _GUARDS_OK, allow_none=True))
transfer_guard_device_to_host = Flag("transfer_guard_device_to_host", None, _enum(
    "transfer_guard_device_to_host", _GUARDS, _GUARDS_OK, allow_none=True))


@contextlib.contextmanager
def transfer_guard(new_val: str) -> Iterator[None]:
    """All three transfer guards at once (as jax.transfer_guard)."""
    with contextlib.ExitStack() as stack:
        for g in (transfer_guard_host_to_device, transfer_guard_device_to_device,
                  transfer_guard_device_to_host):
            stack.enter_context(g(new_val))
        yield


debug_key_reuse = Flag("debug_key_reuse", False, lambda v: _honour_only(
    "debug_key_reuse", _bool("debug_key_reuse")(v), (False,)))
legacy_prng_key = Flag("legacy_prng_key", "allow", _enum(
    "legacy_prng_key", ("allow", "warn", "error"), ("allow", "warn", "error")))
enable_custom_prng = Flag("enable_custom_prng", False, _bool("enable_custom_prng"))
softmax_custom_jvp = Flag("softmax_custom_jvp", False, _bool("softmax_custom_jvp"))
allow_f16_reductions = Flag("allow_f16_reductions", True, _bool("allow_f16_reductions"))
# accepted, no effect on irax: thread / garbage-collection guards (irax checks neither),
# mesh-type and jax2tf options (irax has size-1 meshes only, no jax2tf), auto_pcast
thread_guard = Flag("thread_guard", False, _bool("thread_guard"))
array_garbage_collection_guard = Flag("array_garbage_collection_guard", None, _enum(
    "array_garbage_collection_guard", ("allow", "log", "fatal"), ("allow", "log", "fatal"),
    allow_none=True))
remove_size_one_mesh_axis_from_type = Flag("remove_size_one_mesh_axis_from_type", False,
                                           _bool("remove_size_one_mesh_axis_from_type"))
jax2tf_associative_scan_reductions = Flag("jax2tf_associative_scan_reductions", False,
                                          _bool("jax2tf_associative_scan_reductions"))
auto_pcast = Flag("auto_pcast", True, _bool("auto_pcast"))


def live_arrays(platform: str | None = None) -> list:
    """Every irax.Array alive in the process (found by the garbage collector's walk)."""
    import gc
    from .tracer.core import Array
    return [o for o in gc.get_objects() if type(o) is Array]


def effects_barrier() -> None:
    """Wait for irax's background work: compiles running in the background (tiered jit).
    Callbacks run synchronously within each call, so nothing else is pending."""
    from .jit_tiers import wait_for_background_compiles
    wait_for_background_compiles()


def copy_to_host_async(x: Any) -> Any:
    """Start copying x's leaves to the host; irax copies synchronously. Returns x."""
    from . import tree_util
    from .tracer.core import Array
    for leaf in tree_util.tree_leaves(x):
        if isinstance(leaf, Array):
            leaf.numpy()
    return x


def make_array_from_single_device_arrays(shape: Any, sharding: Any, arrays: Any, *,
                                         dtype: Any = None) -> Any:
    """The global array of `shape` from one array per device: one device here, so
    `arrays` is one array of the whole shape."""
    from .tracer.api_extra import device_put
    arrays = list(arrays)
    shape = tuple(shape)
    if len(arrays) != 1:
        raise ValueError(f"irax has one device: make_array_from_single_device_arrays takes "
                         f"one array, got {len(arrays)}")
    a = arrays[0]
    if tuple(a.shape) != shape:
        raise ValueError(f"make_array_from_single_device_arrays: the array of shape "
                         f"{tuple(a.shape)} is not the whole of shape {shape} (one device)")
    if dtype is not None and np.dtype(dtype) != np.dtype(a.dtype):
        raise ValueError(f"make_array_from_single_device_arrays: dtype {np.dtype(dtype)} does "
                         f"not match the arrays' {np.dtype(a.dtype)}")
    return device_put(a, sharding)


def make_array_from_process_local_data(sharding: Any, local_data: Any,
                                       global_shape: Any = None) -> Any:
    """The global array from this process's data: one process, so the data is global."""
    from .tracer.api_extra import device_put
    data = np.asarray(local_data)
    if global_shape is not None and tuple(global_shape) != data.shape:
        raise ValueError(f"make_array_from_process_local_data: with one process the local "
                         f"data (shape {data.shape}) is the whole array; got "
                         f"global_shape={tuple(global_shape)}")
    from .numpy import asarray
    return device_put(asarray(data), sharding)
