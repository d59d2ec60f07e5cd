"""`irax.jit`: trace once per signature, lower to StableHLO, compile with IREE, run.

    f_fast = jit(f, static_argnums=(), static_argnames=(), device=None)
    f_fast(*args)                  # compiled on first call per signature, then dispatched
    f_fast.lower(*args).as_text()  # StableHLO (args: arrays or irax.ShapeDtypeStruct)
    f_fast.lower(*args).compile()  # a Compiled callable (`.vmfb` holds the module bytes)

Signature = pytree structure of the dynamic arguments + each leaf's (shape, dtype,
weak_type, kind) + the static argument values. A re-call with a known signature does no
tracing: key -> cached Compiled -> `Compiled.call_leaves` (values passed as they are) or
`call_flat` (converted) -> the runtime Invoker -> results wrapped as irax.Array around
device-resident buffers (which pass into the next call without a host round trip).
Lowering writes the one-entry module `@main` through irax.lowering's ModuleContext (the
emitter `irax.aot.export` uses for several entries).

Under a transformation (grad, vmap, an enclosing jit, ...) the call binds the `jit_call`
primitive (irax/tracer/jit_call.py), whose rules keep the transformed function compiled.
"""
from __future__ import annotations

import functools
import inspect
import os
import threading
import weakref
from typing import Any, Callable, Sequence

import numpy as np

from . import jit_tiers, stages, tree_util
from . import monitoring as _monitoring
from .profiler import _state as _profiling, span as _span
from .tracer import core, dtypes, jit_call
from .tracer.api_extra import flags as _flags
from .tracer.jit_spec import (Donation, check_donation, check_static_spec, donated_leaves,
                              donation_spec, float0_as_structure, float0_leaves_as_structure,
                              hashable_static, unwrap_static, without_dead_pure_callbacks)
from .tracer.core import Array, ClosedJaxpr, EvalTrace, ShapedArray, ShapeDtypeStruct, Tracer
from .tracer.memo import IdentityCache
from .tracer.partial_eval import convert_constvars, trace_to_jaxpr

__all__ = ["jit", "JitFunction", "Lowered", "Compiled", "CompileError"]

# Constants of a traced function larger than this (elements), or living on a device, are
# passed to the executable as hidden leading arguments instead of embedded in the text.
HOIST_CONST_ELEMENTS = 64


def __getattr__(name: str) -> Any:
    if name == "CompileError":
        from .runtime.compiler import CompileError
        return CompileError
    raise AttributeError(name)


# ---------------------------------------------------------------------------
# Compiling a const-free jaxpr for a device (shared by jit and the jit_call impl)

_exe_cache: dict[tuple[str, str], Any] = {}
_exe_lock = threading.Lock()


# Modules with fewer matmul FLOPs than this compile without IREE data tiling: packing
# pays only for real matrix products, and it adds ~0.25 s to each compile that has one.
DATA_TILING_MIN_FLOPS = 1 << 20


def _lower(jaxpr: ClosedJaxpr, device: str, name: str = "main") -> Any:
    """The one-entry module (`@main`) computing `jaxpr`, lowered for `device`'s target. A
    target's refusal (capability table) is reported as IREE's would be: a CompileError."""
    from .lowering import ModuleContext, UnsupportedOnTarget, lower_jaxpr_to_fun
    from .runtime import targets
    module = ModuleContext(targets.target_for_device(device), "jit_main")
    try:
        with _span(f"lower {name}", "jit", _monitoring.JAXPR_TO_MLIR_MODULE_EVENT, name):
            lower_jaxpr_to_fun(module, "main", jaxpr)
    except UnsupportedOnTarget as e:
        from .runtime.compiler import CompileError
        raise CompileError(str(e), str(e), None) from None
    return module.finish()


def _compile_flags(lowered: Any, device: str, jaxpr: ClosedJaxpr) -> list[str]:
    from .runtime import targets
    return targets.compile_flags(
        targets.target_for_device(device), f64=lowered.uses_f64,
        data_tiling=_matmul_flops(jaxpr.jaxpr) >= DATA_TILING_MIN_FLOPS)


def _compile(lowered: Any, device: str, jaxpr: ClosedJaxpr,
             name: str = "main") -> tuple[bytes, str]:
    """(module bytes, cache key) of a LoweredModule for `device`."""
    from .runtime import cache, compiler
    flags = _compile_flags(lowered, device, jaxpr)
    with _span(f"compile {name}", "jit", _monitoring.BACKEND_COMPILE_EVENT, name, device=device):
        vmfb = compiler.compile_stablehlo(lowered.text, flags)
    return vmfb, cache.cache_key(lowered.text, flags)


def _load(vmfb: bytes, key: str, device: str, in_avals, out_avals, host_functions=None):
    """One Executable per (compiled bytes, device), shared by every function that has it;
    a module calling host functions (debug callbacks of one trace) gets its own."""
    from .runtime import Executable
    if host_functions:
        exe = Executable(vmfb, device, host_functions=host_functions)
        exe.set_signature("main", [(a.shape, a.dtype) for a in in_avals],
                          [(a.shape, a.dtype) for a in out_avals])
        return exe
    k = (key, device)
    exe = _exe_cache.get(k)
    if exe is None:
        with _exe_lock:
            exe = _exe_cache.get(k)
            if exe is None:
                exe = Executable(vmfb, device)
                exe.set_signature("main", [(a.shape, a.dtype) for a in in_avals],
                                  [(a.shape, a.dtype) for a in out_avals])
                _exe_cache[k] = exe
    return exe


# NumPy-backed Array arguments of at least this many bytes keep their uploaded copy.
KEEP_UPLOAD_MIN_BYTES = 1 << 12

# For device "cpu": a module whose matrix products (dot_general) reach this many FLOPs
# runs on local-task (IREE's thread pool) instead of local-sync.
# Measured on the 2-core dev machine (IREE 3.13, data tiling on), matmul + tanh, numpy
# in, task/sync time: 1 MFLOP 1.33, 8 MFLOP 0.9, 17 MFLOP 0.8, 34 MFLOP 0.7, 67-134
# MFLOP 0.56-0.6; the MLP value_and_grad step (411 MFLOP) 3.4 ms vs 8-10 ms. When the
# other cores are busy (load > cores) local-task loses (1.5-2.6x slower at 100+ MFLOP):
# set $IRAX_CPU_TASK_FLOPS high to keep everything on local-sync on a shared machine.
CPU_TASK_FLOPS = int(os.environ.get("IRAX_CPU_TASK_FLOPS", 16 << 20))


def _matmul_flops(jaxpr: core.Jaxpr) -> int:
    """FLOPs of the matrix products (dot_general) in a jaxpr; a sub-jaxpr (loop body,
    branch, nested call) counts once."""
    total = 0
    for e in jaxpr.eqns:
        if e.primitive.name == "dot_general":
            (lc, _rc), _ = e.params["dimension_numbers"]
            k = 1
            for d in lc:
                k *= e.inputs[0].aval.shape[d]
            total += 2 * k * e.outputs[0].aval.size
        for sub in core.sub_jaxprs(e.params):
            total += _matmul_flops(sub)
    return total


# "local-sync" / "local-task": every cpu module runs on that driver. Unset: the first
# calls run on both and the faster is kept (runtime.executable.MeasuredInvoker), starting
# from the guess below.
CPU_DRIVER = os.environ.get("IRAX_CPU_DRIVER") or None


def _pick_cpu_driver(exe, jaxpr: ClosedJaxpr) -> str | None:
    """None (the executable's own choice by bytes moved) unless the module is matmul-heavy."""
    if exe.device != "cpu":
        return None
    if CPU_DRIVER is not None:
        return CPU_DRIVER
    return "local-task" if _matmul_flops(jaxpr.jaxpr) >= CPU_TASK_FLOPS else None


def _cpu_invoker(exe, jaxpr: ClosedJaxpr, on_choice: Callable[[Any], None]):
    """The invoker a jit call starts with: measured between the CPU drivers unless forced."""
    guess = _pick_cpu_driver(exe, jaxpr)
    if exe.device != "cpu" or CPU_DRIVER is not None:
        return exe.invoker("main", driver=guess)
    from .runtime.executable import MeasuredInvoker
    return MeasuredInvoker(exe, "main", guess or exe.driver_for("main"), on_choice)


def _default_device() -> str:
    return dtypes.config.device


# ---------------------------------------------------------------------------
# Argument conversion: irax values -> what Executable.call accepts (exact dtypes)


def _to_runtime(x: Any, aval: ShapedArray) -> Any:
    if type(x) is Array:
        v = x._value
        if type(v) is np.ndarray and v.dtype != aval.dtype:
            return v.astype(aval.dtype)
        return v
    if isinstance(x, np.ndarray):
        return x if x.dtype == aval.dtype else np.asarray(x, dtype=aval.dtype)
    if isinstance(x, Array):
        return x._value
    return np.asarray(x, dtype=aval.dtype)


def _leaf_key(x: Any) -> Any:
    """Hashable signature of one dynamic argument leaf (its aval, plus how to convert it)."""
    t = type(x)
    if t is Array:
        v = x._value
        return (v.shape, v.dtype, x._weak_type)
    if t is np.ndarray:
        return (x.shape, x.dtype, "np")
    if t is float or t is int or t is bool or t is complex:
        return t
    if isinstance(x, Tracer):
        raise _TracerLeaf
    a = _arg_aval(x)   # a clear TypeError (suggesting static_argnums) for non-array leaves
    return (a.shape, a.dtype, a.weak_type, t)


class _TracerLeaf(Exception):
    pass


# ---------------------------------------------------------------------------
# Compiled: one signature's executable + how to call it


class Compiled(stages.Compiled):
    """A compiled function for one signature. Call it with the same pytree of arrays.

    The call paths, from checked to fastest:
      compiled(*args, **kwargs)  checks the pytree structure and each leaf's aval
      call_flat(leaves)          flat leaves matching the signature (converted if needed)
      call_leaves(values)        values the executable takes as they are (see
                                 `accepts_as_is`): no conversion, no checks in Python
    Each returns the output pytree of irax.Arrays (device-resident buffers)."""

    _donation = None   # what calls delete: compiled from a donating jit's lower()

    def __init__(self, name: str, text: str, vmfb: bytes | None, key: str | None, device: str,
                 jaxpr: ClosedJaxpr, hoisted: Sequence[Any], in_tree, out_tree,
                 host_functions: dict[str, Callable[..., Any]] | None = None,
                 compile_job: jit_tiers.BackgroundCompile | None = None):
        self.name = name
        self._text = text
        self._vmfb = vmfb
        self._key = key
        # IREE compiling in the background (tiered execution): calls run the jaxpr
        # eagerly until the module is ready (irax/jit_tiers.py)
        self._job = compile_job
        self._ran_eager = False
        self._in_weak = [a.weak_type for a in jaxpr.in_avals]
        self.device = device
        self.jaxpr = jaxpr
        self.in_avals = list(jaxpr.in_avals)[len(hoisted):]
        self.out_avals = list(jaxpr.out_avals)
        self._hoisted = [_to_runtime(h, core.get_aval(h)) for h in hoisted]
        self.in_tree = in_tree
        self.out_tree = out_tree
        self._out_weak = [a.weak_type for a in self.out_avals]
        self._single = out_tree.kind == "leaf"
        self._host_functions = host_functions or {}   # import name -> debug callback
        self._exe = None
        self._invoke = None
        self._run = None   # the settled invoker's `fast` call
        # each result's jit signature, set up front: passing it on to a jitted call is cheaper
        self._out_sigs = [(tuple(a.shape), np.dtype(a.dtype), a.weak_type) for a in self.out_avals]

    def as_text(self) -> str:
        return self._text

    @property
    def tier(self) -> str:
        """"compiled" once IREE's module is ready, "eager" while calls run the jaxpr
        eagerly (it is compiling in the background, or that compile failed)."""
        if self._job is not None and not self._take_compiled():
            return "eager"
        return "compiled"

    @property
    def last_tier(self) -> str | None:
        """The tier that ran the latest call ("eager" or "compiled"); None before any."""
        if self._invoke is not None:
            return "compiled"
        return "eager" if self._ran_eager else None

    def wait_compiled(self, timeout: float | None = None) -> bool:
        """Block until a background compile has finished; True when the module is ready."""
        if self._job is not None:
            self._job.wait(timeout)
        return self.tier == "compiled"

    def _take_compiled(self) -> bool:
        job = self._job
        if job.ready():
            self._vmfb, self._key = job.result
            self._job = None
            return True
        job.failed()   # warns once, then the calls stay eager
        return False

    @property
    def vmfb(self) -> bytes:
        """The module bytes (waits for a background compile; raises its error)."""
        if self._job is not None:
            self._job.wait()
            if not self._take_compiled():
                raise self._job.error
        return self._vmfb

    @property
    def driver(self) -> str:
        """The IREE driver the calls run on ("local-sync", "local-task", "vulkan", ...)."""
        return self.executable and self._invoke.driver

    @property
    def executable(self):
        self.vmfb   # a background compile is waited for
        self._invoker()
        return self._exe

    def _chosen(self, invoker) -> None:   # MeasuredInvoker's verdict: the faster driver
        self._invoke = invoker
        self._run = invoker.fast

    def _run_eager(self, values: Sequence[Any]) -> list[Any]:
        self._ran_eager = True
        outs = jit_tiers.run_eager(self.jaxpr, self._in_weak, values, self._job)
        if outs is None:   # the module became ready during the eager loops: hand over
            return self._invoker()(values)
        return outs

    def _invoker(self):
        invoke = self._invoke
        if invoke is None:
            if self._job is not None and not self._take_compiled():
                return self._run_eager
            exe = _load(self._vmfb, self._key, self.device, self.jaxpr.in_avals,
                        self.out_avals, self._host_functions)
            invoke = _cpu_invoker(exe, self.jaxpr, self._chosen)
            self._exe, self._invoke = exe, invoke
            self._run = getattr(invoke, "fast", None)
        return invoke

    def _uploaded(self, x: Array, v: np.ndarray) -> Any:
        """What to pass for the NumPy-backed Array x (value v): the device copy it keeps,
        made now if x is big and the driver settled (jnp.asarray'd parameters passed every
        step are copied to the device once, not per call)."""
        d = x._device_copy
        if d is not None and not d.stale:   # (stale: its device was lost; upload again)
            return d
        upload = getattr(self._invoke, "upload", None)   # not while eager or measuring
        if upload is None or v.nbytes < KEEP_UPLOAD_MIN_BYTES:
            return v
        d = upload(v)
        if d is None:
            return v
        x._device_copy = d
        return d

    def accepts_as_is(self, leaf_keys: Sequence[Any]) -> bool:
        """Can calls whose leaves have these signature keys (jit's (shape, dtype, tag)
        tuples, or a Python type for a scalar) pass their values to `call_leaves` as they
        are? Yes when nothing is prepended and every leaf already has the compiled dtype."""
        return not self._hoisted and len(leaf_keys) == len(self.in_avals) and all(
            type(k) is tuple and k[1] == a.dtype for k, a in zip(leaf_keys, self.in_avals))

    def call_leaves(self, values: Sequence[Any]) -> Any:
        """Run on `values` exactly as the executable takes them: numpy arrays of the
        compiled dtypes or device buffers (the Invoker still checks them)."""
        run = self._run   # None while loading, measuring the CPU drivers, or eager
        try:
            if _profiling.active:
                with _span(f"execute {self.name}", "jit"):
                    outs = run(values) if run is not None else (self._invoke or self._invoker())(values)
            else:
                outs = run(values) if run is not None else (self._invoke or self._invoker())(values)
        except RuntimeError as e:
            from .runtime.devices import DeviceLostError
            if isinstance(e, DeviceLostError):   # raised as JAX raises a runtime failure
                raise core.JaxRuntimeError(str(e)) from e
            raise
        if self._single:
            out = Array(outs[0], self._out_weak[0])
            if run is not None:
                out._signature = self._out_sigs[0]
            return out
        leaves = [Array(o, w) for o, w in zip(outs, self._out_weak)]
        if run is not None:
            for out, sig in zip(leaves, self._out_sigs):
                out._signature = sig
        return tree_util.tree_unflatten(self.out_tree, leaves)

    def call_flat(self, leaves: Sequence[Any]) -> Any:
        """Run on flat argument leaves matching the signature (converted as needed)."""
        args = []
        for x, a in zip(leaves, self.in_avals):
            if type(x) is Array:
                v = x._value
                if type(v) is not np.ndarray:
                    args.append(v)   # device-resident: passed as is
                elif v.dtype == a.dtype:
                    args.append(self._uploaded(x, v))
                else:
                    args.append(v.astype(a.dtype))
            else:
                args.append(_to_runtime(x, a))
        if self._hoisted:
            args = self._hoisted + args
        return self.call_leaves(args)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        leaves, tree = tree_util.tree_flatten((args, kwargs))
        if tree != self.in_tree:
            raise TypeError(f"compiled function {self.name} was compiled for arguments with "
                            f"structure {self.in_tree}, got {tree}")
        for i, (x, a) in enumerate(zip(leaves, self.in_avals)):
            xa = core.get_aval(x)
            if xa.shape != a.shape or dtypes.canonicalize(xa.dtype) != a.dtype:
                raise TypeError(f"compiled function {self.name}: argument leaf {i} is "
                                f"{xa.str_short()}, it was compiled for {a.str_short()}")
        if self._donation is not None:   # compiled from a donating jit's lower()
            return self._donation.call(self.call_flat, leaves)
        return self.call_flat(leaves)


class Lowered(stages.Lowered):
    """The StableHLO module of a function for one signature."""

    def __init__(self, name: str, module: Any, jaxpr: ClosedJaxpr, hoisted: list, in_tree,
                 out_tree, device: str):
        self.name = name
        self.module = module    # irax.lowering.LoweredModule: .text, .uses_f64
        self.jaxpr = jaxpr
        self._hoisted = hoisted
        self.in_tree = in_tree
        self.out_tree = out_tree
        self.device = device

    def as_text(self, dialect: str | None = None, *, debug_info: bool = False) -> str:
        return self.module.text

    def compile(self, compiler_options: Any = None, *, tiered: bool = False) -> Compiled:
        """The Compiled module. tiered=True: if IREE must really compile (no cache hit) and
        the jaxpr is pure, compile in the background and run calls eagerly meanwhile."""
        job = None
        if tiered and jit_tiers.pure_jaxpr(self.jaxpr.jaxpr):
            from .runtime import compiler
            flags = _compile_flags(self.module, self.device, self.jaxpr)
            if not compiler.is_cached(self.module.text, flags):
                job = jit_tiers.BackgroundCompile(
                    self.name, functools.partial(_compile, self.module, self.device,
                                                 self.jaxpr, self.name))
        vmfb, key = (None, None) if job else _compile(self.module, self.device, self.jaxpr,
                                                       self.name)
        compiled = Compiled(self.name, self.module.text, vmfb, key, self.device, self.jaxpr,
                            self._hoisted, self.in_tree, self.out_tree,
                            _host_functions(self.module), job)
        if self._donated is not None and any(self._donated):
            compiled._donation = Donation(compiled, self._donated)
        return compiled


# ---------------------------------------------------------------------------
# The jitted function


class _JitCaches:
    """Traces and executables of one function under one jit configuration."""

    def __init__(self) -> None:
        self.compiled: dict[Any, Compiled] = {}
        self.flat: dict[tuple, tuple[Compiled, bool]] = {}
        self.traced: dict[Any, "_Traced"] = {}
        self.lock = threading.Lock()


# The caches belong to the function, not to the wrapper (as in JAX): `jit(f)(1.)` then
# `jit(f)(2.)` traces f once. Weakly keyed, so they go away with the function.
_caches_by_fun: "weakref.WeakKeyDictionary[Callable, dict]" = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()


def _caches_of(fun: Callable, config: tuple) -> _JitCaches:
    with _caches_lock:
        try:
            per_config = _caches_by_fun.setdefault(fun, {})
        except TypeError:   # not weakly referenceable or not hashable: this wrapper's own
            return _JitCaches()
        caches = per_config.get(config)
        if caches is None:
            caches = per_config[config] = _JitCaches()
        return caches


_trace_state, _dtype_config = core._state, dtypes.config   # per dispatch: globals are cheaper


class JitFunction(stages.Wrapped):
    def __init__(self, fun: Callable, static_argnums=(), static_argnames=(),
                 device: str | None = None, tiered: bool | None = None,
                 donation: tuple = ((), ())):
        if not callable(fun):
            raise TypeError(f"Expected a callable value, got {fun}")
        if inspect.isgeneratorfunction(fun):
            raise TypeError(f"Expected a function, got a generator function: {fun}")
        functools.update_wrapper(self, fun)
        self._fun = fun
        self._name = getattr(fun, "__name__", type(fun).__name__)
        nums = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)
        names = (static_argnames,) if isinstance(static_argnames, str) else tuple(static_argnames)
        try:
            sig = inspect.signature(fun)
            params = list(sig.parameters.values())
        except (TypeError, ValueError):
            sig, params = None, []
        positional = [p.name for p in params
                      if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        if sig is not None:
            check_static_spec(nums, names, params, positional)
        check_donation(*donation, nums, names, params, positional, fun, sig is not None)
        # keep names and numbers in sync where the signature tells (as JAX does)
        nums_set = set(nums)
        for n in names:
            if n in positional:
                nums_set.add(positional.index(n))
        names_set = set(names)
        for i in nums:
            if 0 <= i < len(positional):
                names_set.add(positional[i])
        self._static_argnums = tuple(sorted(nums_set))
        self._static_argnames = frozenset(names_set)
        self._has_static = bool(self._static_argnums or self._static_argnames)
        self._donate_argnums, self._donate_argnames = donation_spec(*donation, positional)
        self._donates = bool(self._donate_argnums or self._donate_argnames)
        self._donations: dict[Any, Donation] = {}   # call key -> what its calls delete
        self._plain = not (self._has_static or self._donates)   # the dispatch fast path
        self._device = device
        self._tiered = tiered   # None: irax.config's jit_tiered
        shared = _caches_of(fun, (self._static_argnums, self._static_argnames, device))
        self._cache: dict[Any, Compiled] = shared.compiled
        # all-leaf positional calls: leaf keys -> (compiled, its values pass as they are)
        self._flat_cache: dict[tuple, tuple[Compiled, bool]] = shared.flat
        self._traced: dict[Any, _Traced] = shared.traced
        self._lock = shared.lock

    def __repr__(self) -> str:
        return f"<irax.jit of {self._name}>"

    def __get__(self, obj, objtype=None):
        return self if obj is None else functools.partial(self, obj)

    @property
    def device(self) -> str:
        return self._device or _default_device()

    # -- splitting static / dynamic arguments
    def _split(self, args: tuple, kwargs: dict):
        if not self._has_static:
            return (args, kwargs), None
        nargs = len(args)
        statics = []
        dyn_args = []
        for i, a in enumerate(args):
            if i in self._static_argnums or (i - nargs) in self._static_argnums:
                statics.append((i, hashable_static(a, f"static argument {i}", self._name)))
            else:
                dyn_args.append(a)
        dyn_kwargs = {}
        for k, v in kwargs.items():
            if k in self._static_argnames:
                statics.append((k, hashable_static(v, f"static argument {k!r}", self._name)))
            else:
                dyn_kwargs[k] = v
        return (tuple(dyn_args), dyn_kwargs), tuple(statics)

    def _rebuild(self, static_key, dyn_args, dyn_kwargs):
        if static_key is None:
            return dyn_args, dyn_kwargs
        pos = {k: v for k, v in static_key if isinstance(k, int)}
        kw = {k: v for k, v in static_key if isinstance(k, str)}
        n = len(dyn_args) + len(pos)
        it = iter(dyn_args)
        args = tuple(unwrap_static(pos[i]) if i in pos else next(it) for i in range(n))
        kwargs = dict(dyn_kwargs)
        kwargs.update({k: unwrap_static(v) for k, v in kw.items()})
        return args, kwargs

    # -- call
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # The dispatch path: one frame down to Compiled.call_leaves for known signatures
        # (a trivial call costs microseconds, each Python frame a noticeable part)
        if type(_trace_state.trace) is not EvalTrace or _flags.disable_jit:
            return self._call(args, kwargs)
        if not kwargs and self._plain:
            # fast path: every argument is an array leaf -> key without pytree flattening;
            # x64 first: the same Python float or arange means another dtype under x64
            key = [_dtype_config.enable_x64]
            vals = []   # what the executable takes, when no argument needs converting
            upload = False   # a big NumPy-backed Array without its device copy yet
            for x in args:
                t = type(x)
                if t is Array:
                    v = x._value
                    sig = x._signature   # preset on compiled results
                    if sig is None:   # an Array's shape, dtype and weak type never change
                        sig = x._signature = (v.shape, v.dtype, x._weak_type)
                    key.append(sig)
                    if type(v) is np.ndarray:
                        d = x._device_copy
                        if d is not None and not d.stale:   # (stale: on a dropped device)
                            v = d
                        elif v.nbytes >= KEEP_UPLOAD_MIN_BYTES:
                            upload = True
                    vals.append(v)
                elif t is np.ndarray:
                    key.append((x.shape, x.dtype, "np"))
                    vals.append(x)
                elif t is float or t is int or t is bool:
                    key.append(t)
                else:
                    break
            else:
                entry = self._flat_cache.get(tuple(key))
                if entry is not None:
                    compiled, as_is = entry
                    if as_is and len(vals) == len(args):
                        # signature known, every value already has the compiled dtype
                        if upload:
                            vals = [compiled._uploaded(x, v) if type(v) is np.ndarray
                                    and type(x) is Array else v for x, v in zip(args, vals)]
                        out = compiled.call_leaves(vals)
                    else:
                        out = compiled.call_flat(args)
                    if core.jit_result_check is None:
                        return out
                    return self._checked(out, args, kwargs)
        return self._call(args, kwargs)

    def _checked(self, out: Any, args: tuple, kwargs: dict) -> Any:
        hook = core.jit_result_check
        if hook is not None and type(core._state.trace) is EvalTrace:
            hook(self._fun, self._name, out, args, kwargs)   # debug_nans / debug_infs
        return out

    def _call(self, args: tuple, kwargs: dict) -> Any:
        """Every call the dispatch path in __call__ does not finish itself."""
        if _flags.disable_jit:   # irax.disable_jit(): run the Python function as it is
            return self._fun(*args, **kwargs)
        if type(core._state.trace) is not EvalTrace:
            return self._call_traced(args, kwargs)
        if kwargs or self._has_static:
            dyn, static_key = self._split(args, kwargs)
        else:
            dyn, static_key = (args, kwargs), None
        leaves, tree = float0_leaves_as_structure(*tree_util.tree_flatten(dyn))
        try:
            key = (tree, static_key, tuple([_leaf_key(x) for x in leaves]),
                   dtypes.config.enable_x64)
        except _TracerLeaf:   # a stray tracer of a finished trace: let the slow path explain
            return self._call_traced(args, kwargs)
        compiled = self._cache.get(key)
        if compiled is None:
            compiled = self._compile_for(key, leaves, tree, static_key)
            if not kwargs and not self._has_static and tree == _flat_tree(len(args)):
                if compiled.tier == "compiled":
                    compiled.executable   # loads it and resolves the invoker
                self._flat_cache[(key[3], *key[2])] = (compiled, compiled.accepts_as_is(key[2]))
        if self._donates:   # deletes the donated Arrays JAX would (jit_spec.donation_plan)
            plan = self._donations.get(key)
            if plan is None:
                plan = self._donations[key] = Donation(compiled, self._donated_leaves(args, kwargs))
            return self._checked(plan.call(compiled.call_flat, leaves), args, kwargs)
        return self._checked(compiled.call_flat(leaves), args, kwargs)

    def _donated_leaves(self, args: tuple, kwargs: dict) -> list[bool] | None:
        if not self._donates:
            return None
        return donated_leaves(args, kwargs, self._static_argnums, self._static_argnames,
                              self._donate_argnums, self._donate_argnames)

    def _compile_for(self, key, leaves, tree, static_key) -> Compiled:
        with self._lock:
            compiled = self._cache.get(key)
            if compiled is None:
                avals = [_arg_aval(x) for x in leaves]
                lowered = self._lower_avals(avals, tree, static_key)
                compiled = lowered.compile(tiered=jit_tiers.tiering_enabled(self._tiered))
                self._cache[key] = compiled
        return compiled

    def _call_traced(self, args, kwargs):
        dyn, static_key = self._split(args, kwargs)
        leaves, tree = float0_leaves_as_structure(*tree_util.tree_flatten(dyn))
        avals = [_arg_aval(x) for x in leaves]
        traced = self._trace(avals, tree, static_key)
        jaxpr, consts = traced.const_free()
        outs = jit_call.jit_call_p.bind(*consts, *leaves, jaxpr=jaxpr, name=self._name,
                                       device=self.device)
        return tree_util.tree_unflatten(traced.out_tree, outs)

    # -- tracing and lowering
    def _trace(self, avals: list[ShapedArray], tree, static_key) -> "_Traced":
        key = (tree, static_key, tuple(avals), dtypes.config.enable_x64)
        hit = self._traced.get(key)
        if hit is not None:
            return hit
        if _flags.no_tracing:
            raise RuntimeError(f"re-tracing function {self._name}{_where(self._fun)} for "
                               "`jit`, but 'no_tracing' is set")
        store: dict[str, Any] = {}
        fun = self._fun

        def flat(*xs):
            dyn_args, dyn_kwargs = tree_util.tree_unflatten(tree, xs)
            args, kwargs = self._rebuild(static_key, dyn_args, dyn_kwargs)
            out = float0_as_structure(fun(*args, **kwargs))
            out_leaves, store["tree"] = tree_util.tree_flatten(out)
            for leaf in out_leaves:
                if not core.is_array_like(leaf):
                    raise TypeError(f"output of jit-compiled function {self._name} contains "
                                    f"{leaf!r} of type {type(leaf).__name__}, which is not an "
                                    "array")
            return out_leaves
        try:
            closed = trace_to_jaxpr(flat, avals,
                                    f"irax.jit of {self._name} (staged, abstract values)")
        except core.ConcretizationTypeError as e:
            raise type(e)(   # the same kind (TracerBoolConversionError, ...), with context
                f"{e}\n\nThis happened while tracing the jit-compiled function "
                f"'{self._name}'{_where(self._fun)}: its array arguments are abstract there. "
                f"Mark arguments used in Python control flow as static, e.g. "
                f"jit({self._name}, static_argnums=...) or static_argnames=..."
            ).with_traceback(e.__traceback__) from None
        result = _Traced(closed, store["tree"])
        self._traced[key] = result
        return result

    def _lower_avals(self, avals, tree, static_key) -> Lowered:
        traced = self._trace(avals, tree, static_key)
        # after tracing (a transformation of this function still sees every equation:
        # grad refuses a pure_callback even if unused, as JAX does), before both tiers
        jaxpr, hoisted = _hoist_consts(without_dead_pure_callbacks(traced.closed))
        device = self.device
        return Lowered(self._name, _lower(jaxpr, device, self._name), jaxpr, hoisted, tree,
                       traced.out_tree, device)

    def lower(self, *args: Any, **kwargs: Any) -> Lowered:
        """Lower for these arguments (arrays, scalars or irax.ShapeDtypeStruct)."""
        return self.trace(*args, **kwargs).lower()

    def _arg_aval(self, x: Any) -> ShapedArray:   # stages.Wrapped.trace's avals
        return _arg_aval(x)

    def _compiled_for(self, args: tuple, kwargs: dict) -> Compiled | None:
        dyn, static_key = self._split(args, kwargs)
        leaves, tree = float0_leaves_as_structure(*tree_util.tree_flatten(dyn))
        key = (tree, static_key, tuple([_leaf_key(x) for x in leaves]),
               dtypes.config.enable_x64)
        return self._cache.get(key)

    def tier_of(self, *args: Any, **kwargs: Any) -> str | None:
        """Which tier runs calls with these arguments' signature now: "compiled", "eager"
        (IREE still compiling in the background), or None (not called yet)."""
        compiled = self._compiled_for(args, kwargs)
        return None if compiled is None else compiled.tier

    def wait_compiled(self, timeout: float | None = None) -> bool:
        """Block until every background compile of this function has finished."""
        return all([c.wait_compiled(timeout) for c in list(self._cache.values())])

    def clear_cache(self) -> None:
        with self._lock:
            self._cache.clear()
            self._flat_cache.clear()
            self._traced.clear()

    def _cache_size(self) -> int:
        return len(self._cache)


class _Traced:
    """One signature's trace: the jaxpr, the output structure, and (made once, so the
    object stays the same across calls: it keys the derived-jaxpr memos of the
    transformations) the const-free form a `jit_call` under a transformation binds."""

    __slots__ = ("closed", "out_tree", "_const_free")

    def __init__(self, closed: ClosedJaxpr, out_tree) -> None:
        self.closed = closed
        self.out_tree = out_tree
        self._const_free: tuple[ClosedJaxpr, list] | None = None

    def const_free(self) -> tuple[ClosedJaxpr, list]:
        if self._const_free is None:
            self._const_free = convert_constvars(self.closed)
        return self._const_free


@functools.lru_cache(maxsize=64)
def _flat_tree(n: int):
    """The structure of `((x0, ..., xn-1), {})`: positional array leaves, no kwargs."""
    return tree_util.tree_structure((tuple(range(n)), {}))


def _where(fun) -> str:
    try:
        code = fun.__code__
        return f" (defined at {code.co_filename}:{code.co_firstlineno})"
    except AttributeError:
        return ""


def _arg_aval(x: Any) -> ShapedArray:
    """The aval a dynamic argument is traced and compiled with."""
    if isinstance(x, ShapeDtypeStruct):
        return ShapedArray(tuple(x.shape), dtypes.canonicalize(x.dtype), x.weak_type)
    if isinstance(x, (Tracer, Array)):
        return x.aval
    if not core.is_array_like(x):
        raise TypeError(f"argument {x!r} of type {type(x).__name__} is not a valid irax type "
                        "for a jit-compiled function (arrays, Python scalars and pytrees of "
                        "them); pass other values as static arguments (static_argnums / "
                        "static_argnames)")
    return core.get_aval(x)


def _hoist_consts(closed: ClosedJaxpr) -> tuple[ClosedJaxpr, list]:
    """Big or device-resident constants become leading inputs; small ones stay embedded."""
    j = closed.jaxpr
    keep_v, keep_c, hoist_v, hoist_c = [], [], [], []
    for v, c in zip(j.constvars, closed.consts):
        device_resident = isinstance(c, Array) and not isinstance(c._value, np.ndarray)
        if device_resident or v.aval.size > HOIST_CONST_ELEMENTS:
            hoist_v.append(v)
            hoist_c.append(c)
        else:
            keep_v.append(v)
            keep_c.append(c)
    jaxpr = core.Jaxpr(keep_v, hoist_v + j.invars, j.eqns, j.outvars)
    return ClosedJaxpr(jaxpr, keep_c), hoist_c


# ---------------------------------------------------------------------------
# The jit_call impl (an eager call of a staged jaxpr, e.g. the known half of grad(jit(f)))

_impl_cache = IdentityCache(1024)   # staged jaxpr -> its Compiled


def _jit_call_impl(args, *, jaxpr: ClosedJaxpr, name: str, device: str):
    compiled = _impl_cache.get(jaxpr, lambda: _compile_jaxpr(jaxpr, name, device))
    return compiled.call_leaves([_to_runtime(x, a) for x, a in zip(args, compiled.in_avals)])


def _compile_jaxpr(jaxpr: ClosedJaxpr, name: str, device: str) -> Compiled:
    lowered = _lower(jaxpr, device, name)
    vmfb, key = _compile(lowered, device, jaxpr, name)
    tree = tree_util.tree_structure(tuple(range(len(jaxpr.in_avals))))
    out_tree = tree_util.tree_structure(list(range(len(jaxpr.out_avals))))
    return Compiled(name, lowered.text, vmfb, key, device, jaxpr, [], tree, out_tree,
                    _host_functions(lowered))


def _host_functions(lowered: Any) -> dict[str, Callable[..., Any]]:
    """The Python functions a lowered module calls (irax.debug callbacks), by import name."""
    return {imp.name: imp.callback for imp in lowered.host_imports}


jit_call.set_impl(_jit_call_impl)


# ---------------------------------------------------------------------------
# Public entry point


def jit(fun: Callable | None = None, *, static_argnums: int | Sequence[int] = (),
        static_argnames: str | Sequence[str] = (), device: str | None = None,
        tiered: bool | None = None, in_shardings: Any = None, out_shardings: Any = None,
        donate_argnums: int | Sequence[int] | None = None,
        donate_argnames: str | Sequence[str] | None = None, keep_unused: bool = False,
        inline: bool = False, **unsupported: Any):
    """Compile `fun` with IREE: traced once per signature, then dispatched directly.

    static_argnums / static_argnames: arguments that are Python values (hashable), part
    of the cache key, not traced. device: "cpu" (default: irax.config.device), "vulkan",
    "cuda"; results stay on that device. tiered: run first calls eagerly while IREE
    compiles in the background (default: irax.config's jit_tiered; see irax/jit_tiers.py).
    in_shardings / out_shardings are accepted and not used: irax runs on one device.
    donate_argnums / donate_argnames: the Arrays passed there are deleted by the call
    where JAX's would be (those it could reuse for an output; the others warn), as JAX
    on CPU; keep_unused and inline change no value and are accepted."""
    del in_shardings, out_shardings, keep_unused, inline
    if unsupported:
        raise TypeError(f"jit got unsupported keyword arguments: {sorted(unsupported)}")
    if device is not None:
        from .runtime import targets
        device = targets.resolve_device(device)
    donation = (() if donate_argnums is None else donate_argnums,
                () if donate_argnames is None else donate_argnames)
    if fun is None:
        return lambda f: JitFunction(f, static_argnums, static_argnames, device, tiered,
                                     donation)
    return JitFunction(fun, static_argnums, static_argnames, device, tiered, donation)
