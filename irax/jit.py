"""`irax.jit`: trace once per signature, lower to StableHLO, compile with IREE, run.

    f_fast = jit(f, static_argnums=(), static_argnames=(), device=None)
    f_fast(*args)                  # compiled on first call per signature, then dispatched
    f_fast.lower(*args).as_text()  # StableHLO (args: arrays or irax.ShapeDtypeStruct)
    f_fast.lower(*args).compile()  # a Compiled callable (`.vmfb` holds the module bytes)

Signature = pytree structure of the dynamic arguments + each leaf's (shape, dtype,
weak_type, kind) + the static argument values. A re-call with a known signature does no
tracing: key -> cached Compiled -> Executable.call -> results wrapped as irax.Array around
device-resident buffers (which pass into the next call without a host round trip).

Under a transformation (grad, vmap, an enclosing jit, ...) the call binds the `jit_call`
primitive (irax/tracer/staging.py), whose rules keep the transformed function compiled.
"""
from __future__ import annotations

import functools
import inspect
import os
import threading
from typing import Any, Callable, Sequence

import numpy as np

from . import tree_util
from .tracer import core, dtypes, staging
from .tracer.core import Array, ClosedJaxpr, EvalTrace, ShapedArray, Tracer
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


def _flags_for(text: str, device: str, jaxpr: ClosedJaxpr | None = None) -> list[str]:
    from .runtime import targets
    try:
        tiling = jaxpr is None or _matmul_flops(jaxpr.jaxpr) >= DATA_TILING_MIN_FLOPS
    except Exception:   # an unfamiliar params layout: the compile_flags default
        tiling = True
    return targets.compile_flags(targets.target_for_device(device), f64="f64" in text,
                                 data_tiling=tiling)


def _compile_text(text: str, flags: list[str]) -> bytes:
    from .runtime import compiler
    return compiler.compile_stablehlo(text, flags)


def _load(vmfb: bytes, key: str, device: str, in_avals, out_avals):
    """One Executable per (compiled bytes, device), shared by every function that has it."""
    from .runtime import Executable
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


# For device "cpu": a module whose matrix products (dot_general) reach this many FLOPs
# runs on local-task (IREE's thread pool) instead of local-sync.
# Measured on the 2-core dev machine (IREE 3.13, data tiling on), matmul + tanh, numpy
# in, task/sync time: 1 MFLOP 1.33, 8 MFLOP 0.9, 17 MFLOP 0.8, 34 MFLOP 0.7, 67-134
# MFLOP 0.56-0.6; the MLP value_and_grad step (411 MFLOP) 3.4 ms vs 8-10 ms. When the
# other cores are busy (load > cores) local-task loses (1.5-2.6x slower at 100+ MFLOP):
# set $IRAX_CPU_TASK_FLOPS high to keep everything on local-sync on a shared machine.
CPU_TASK_FLOPS = int(os.environ.get("IRAX_CPU_TASK_FLOPS", 16 << 20))


def _matmul_flops(jaxpr) -> int:
    """FLOPs of the matrix products (dot_general) in a jaxpr; a sub-jaxpr (loop body,
    branch, nested call) counts once."""
    total = 0
    for e in jaxpr.eqns:
        name = e.primitive.name
        if name == "dot_general":
            (lc, _rc), _ = e.params["dimension_numbers"]
            k = 1
            for d in lc:
                k *= e.inputs[0].aval.shape[d]
            total += 2 * k * e.outputs[0].aval.size
        for p in e.params.values():
            for q in (p if isinstance(p, (tuple, list)) else (p,)):
                sub = getattr(q, "jaxpr", q)
                if hasattr(sub, "eqns"):
                    total += _matmul_flops(sub)
    return total


def _pick_cpu_driver(exe, jaxpr: ClosedJaxpr) -> str | None:
    """None (the executable's own choice by bytes moved) unless the module is matmul-heavy."""
    if exe.device != "cpu":
        return None
    try:
        flops = _matmul_flops(jaxpr.jaxpr)
    except Exception:   # an unfamiliar params layout: keep the default
        return None
    return "local-task" if flops >= CPU_TASK_FLOPS else None


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


class Compiled:
    """A compiled function for one signature. Call it with the same pytree of arrays."""

    def __init__(self, name: str, text: str, vmfb: bytes, key: str, device: str,
                 jaxpr: ClosedJaxpr, hoisted: Sequence[Any], in_tree, out_tree,
                 static_key: Any = None):
        self.name = name
        self._text = text
        self.vmfb = vmfb
        self._key = key
        self.device = device
        self.jaxpr = jaxpr
        self.in_avals = list(jaxpr.in_avals)[len(hoisted):]
        self.out_avals = list(jaxpr.out_avals)
        self._hoisted = [_to_runtime(h, core.get_aval(h)) for h in hoisted]
        self.in_tree = in_tree
        self.out_tree = out_tree
        self._out_weak = [a.weak_type for a in self.out_avals]
        self._single = out_tree.kind == "leaf"
        self._exe = None
        self._invoke = None
        self._direct = False   # set by JitFunction: its fast path may call _invoke directly
        self._static_key = static_key

    def as_text(self) -> str:
        return self._text

    @property
    def driver(self) -> str:
        """The IREE driver the calls run on ("local-sync", "local-task", "vulkan", ...)."""
        self.executable
        return self._invoke.driver

    @property
    def executable(self):
        if self._exe is None:
            exe = _load(self.vmfb, self._key, self.device, self.jaxpr.in_avals,
                        self.out_avals)
            self._invoke = exe.invoker("main", driver=_pick_cpu_driver(exe, self.jaxpr))
            self._exe = exe
        return self._exe

    def run_flat(self, leaves: Sequence[Any]) -> Any:
        """The dispatch fast path: leaves already match the signature."""
        invoke = self._invoke
        if invoke is None:
            self.executable
            invoke = self._invoke
        args = []
        for x, a in zip(leaves, self.in_avals):
            if type(x) is Array and type(x._value) is not np.ndarray:
                args.append(x._value)   # device-resident: passed as is
            else:
                args.append(_to_runtime(x, a))
        if self._hoisted:
            args = self._hoisted + args
        outs = invoke(args)
        if self._single:
            return Array(outs[0], self._out_weak[0])
        return tree_util.tree_unflatten(
            self.out_tree, [Array(o, w) for o, w in zip(outs, self._out_weak)])

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
        return self.run_flat(leaves)


class Lowered:
    """The StableHLO text of a function for one signature."""

    def __init__(self, fn: "JitFunction", name: str, text: str, jaxpr: ClosedJaxpr,
                 hoisted: list, in_tree, out_tree, device: str, static_key: Any):
        self._fn = fn
        self.name = name
        self._text = text
        self.jaxpr = jaxpr
        self._hoisted = hoisted
        self.in_tree = in_tree
        self.out_tree = out_tree
        self.device = device
        self._static_key = static_key

    def as_text(self) -> str:
        return self._text

    def compile(self) -> Compiled:
        from .runtime import cache
        flags = _flags_for(self._text, self.device, self.jaxpr)
        vmfb = _compile_text(self._text, flags)
        key = cache.cache_key(self._text, flags)
        return Compiled(self.name, self._text, vmfb, key, self.device, self.jaxpr,
                        self._hoisted, self.in_tree, self.out_tree, self._static_key)


# ---------------------------------------------------------------------------
# The jitted function


class JitFunction:
    def __init__(self, fun: Callable, static_argnums=(), static_argnames=(),
                 device: str | None = None):
        if not callable(fun):
            raise TypeError(f"jit expects a callable, got {type(fun).__name__}")
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
            _check_static_spec(nums, names, params, positional)
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
        self._device = device
        self._cache: dict[Any, Compiled] = {}
        self._flat_cache: dict[tuple, Compiled] = {}   # all-leaf positional calls
        self._traced: dict[Any, tuple] = {}
        self._lock = threading.Lock()

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
                statics.append((i, _hashable(a, f"static argument {i}", self._name)))
            else:
                dyn_args.append(a)
        dyn_kwargs = {}
        for k, v in kwargs.items():
            if k in self._static_argnames:
                statics.append((k, _hashable(v, f"static argument {k!r}", self._name)))
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
        args = tuple(_unwrap_static(pos[i]) if i in pos else next(it) for i in range(n))
        kwargs = dict(dyn_kwargs)
        kwargs.update({k: _unwrap_static(v) for k, v in kw.items()})
        return args, kwargs

    # -- call
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if type(core._state.trace) is not EvalTrace:
            return self._call_traced(args, kwargs)
        if not kwargs and not self._has_static:
            # fast path: every argument is an array leaf -> key without pytree flattening
            key = []
            vals = []   # what the executable takes, when no argument needs converting
            for x in args:
                t = type(x)
                if t is Array:
                    v = x._value
                    key.append((v.shape, v.dtype, x._weak_type))
                    vals.append(v)
                elif t is np.ndarray:
                    key.append((x.shape, x.dtype, "np"))
                    vals.append(x)
                elif t is float or t is int or t is bool:
                    key.append(t)
                else:
                    break
            else:
                compiled = self._flat_cache.get(tuple(key))
                if compiled is not None:
                    if compiled._direct and len(vals) == len(args):
                        # signature known, every value already has the compiled dtype
                        outs = compiled._invoke(vals)
                        if compiled._single:
                            return Array(outs[0], compiled._out_weak[0])
                        return tree_util.tree_unflatten(
                            compiled.out_tree,
                            [Array(o, w) for o, w in zip(outs, compiled._out_weak)])
                    return compiled.run_flat(args)
        if kwargs or self._has_static:
            dyn, static_key = self._split(args, kwargs)
        else:
            dyn, static_key = (args, kwargs), None
        leaves, tree = tree_util.tree_flatten(dyn)
        try:
            key = (tree, static_key, tuple([_leaf_key(x) for x in leaves]))
        except _TracerLeaf:   # a stray tracer of a finished trace: let the slow path explain
            return self._call_traced(args, kwargs)
        compiled = self._cache.get(key)
        if compiled is None:
            compiled = self._compile_for(key, leaves, tree, static_key)
            if not kwargs and not self._has_static and tree == _flat_tree(len(args)):
                compiled.executable   # loads it and resolves the invoker
                compiled._direct = not compiled._hoisted and all(
                    type(k) is tuple and k[1] == a.dtype
                    for k, a in zip(key[2], compiled.in_avals))
                self._flat_cache[key[2]] = compiled
        return compiled.run_flat(leaves)

    def _compile_for(self, key, leaves, tree, static_key) -> Compiled:
        with self._lock:
            compiled = self._cache.get(key)
            if compiled is None:
                avals = [_arg_aval(x) for x in leaves]
                lowered = self._lower_avals(avals, tree, static_key)
                compiled = lowered.compile()
                self._cache[key] = compiled
        return compiled

    def _call_traced(self, args, kwargs):
        dyn, static_key = self._split(args, kwargs)
        leaves, tree = tree_util.tree_flatten(dyn)
        avals = [_arg_aval(x) for x in leaves]
        closed, out_tree = self._trace(avals, tree, static_key)
        jaxpr, consts = self._const_free(closed)
        outs = staging.jit_call_p.bind(*consts, *leaves, jaxpr=jaxpr, name=self._name,
                                       device=self.device)
        return tree_util.tree_unflatten(out_tree, outs)

    def _const_free(self, closed: ClosedJaxpr) -> tuple[ClosedJaxpr, list]:
        """(const-free jaxpr, consts), memoised per traced jaxpr so the jaxpr object (the
        key of the derived-jaxpr memo in staging) stays the same across calls."""
        hit = getattr(closed, "_irax_const_free", None)
        if hit is None:
            hit = convert_constvars(closed)
            closed._irax_const_free = hit
        return hit

    # -- tracing and lowering
    def _trace(self, avals: list[ShapedArray], tree, static_key) -> tuple[ClosedJaxpr, Any]:
        key = (tree, static_key, tuple(avals), dtypes.config.enable_x64)
        hit = self._traced.get(key)
        if hit is not None:
            return hit
        store: dict[str, Any] = {}
        fun = self._fun

        def flat(*xs):
            dyn_args, dyn_kwargs = tree_util.tree_unflatten(tree, xs)
            args, kwargs = self._rebuild(static_key, dyn_args, dyn_kwargs)
            out = fun(*args, **kwargs)
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
            raise core.ConcretizationTypeError(
                f"{e}\n\nThis happened while tracing the jit-compiled function "
                f"'{self._name}'{_where(self._fun)}: its array arguments are abstract there. "
                f"Mark arguments used in Python control flow as static, e.g. "
                f"jit({self._name}, static_argnums=...) or static_argnames=..."
            ).with_traceback(e.__traceback__) from None
        result = (closed, store["tree"])
        self._traced[key] = result
        return result

    def _lower_avals(self, avals, tree, static_key) -> Lowered:
        from .lowering import lower_jaxpr
        from .runtime import targets
        closed, out_tree = self._trace(avals, tree, static_key)
        jaxpr, hoisted = _hoist_consts(closed)
        device = self.device
        text = lower_jaxpr(jaxpr, "main", target=targets.target_for_device(device))
        return Lowered(self, self._name, text, jaxpr, hoisted, tree, out_tree, device,
                       static_key)

    def lower(self, *args: Any, **kwargs: Any) -> Lowered:
        """Lower for these arguments (arrays, scalars or irax.ShapeDtypeStruct)."""
        dyn, static_key = self._split(args, kwargs)
        leaves, tree = tree_util.tree_flatten(dyn)
        return self._lower_avals([_arg_aval(x) for x in leaves], tree, static_key)

    def clear_cache(self) -> None:
        with self._lock:
            self._cache.clear()
            self._flat_cache.clear()
            self._traced.clear()

    def _cache_size(self) -> int:
        return len(self._cache)


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


class _Static:
    """A static argument value in a cache key: equal only to a value of the same type (so
    `1` and `1.0` and `True` compile separately, as they may trace differently)."""
    __slots__ = ("v",)

    def __init__(self, v):
        self.v = v

    def __hash__(self):
        return hash((type(self.v), self.v))

    def __eq__(self, other):
        return isinstance(other, _Static) and type(self.v) is type(other.v) and self.v == other.v


def _check_static_spec(nums, names, params, positional) -> None:
    """ValueError when jit is applied, as in JAX, for static_argnums past the positional
    parameters or static_argnames naming no parameter (unless *args / **kwargs take them)."""
    kinds = {p.kind for p in params}
    if inspect.Parameter.VAR_POSITIONAL not in kinds:
        bad = [i for i in nums if not -len(positional) <= i < len(positional)]
        if bad:
            raise ValueError(f"Jitted function has static_argnums={tuple(nums)}, but only "
                             f"accepts {len(positional)} positional arguments.")
    if inspect.Parameter.VAR_KEYWORD not in kinds:
        named = {p.name for p in params if p.kind != inspect.Parameter.POSITIONAL_ONLY}
        bad_names = sorted(set(names) - named)
        if bad_names:
            raise ValueError(f"Jitted function has invalid argnames {set(bad_names)} in "
                             "static_argnames. Function does not take these args.")


def _hashable(v, what: str, fname: str) -> Any:
    try:
        hash(v)
    except TypeError:
        # ValueError, as JAX raises for a non-hashable static argument
        raise ValueError(f"jit-compiled function {fname}: {what} must be hashable (static "
                         f"arguments are part of the compilation cache key), got "
                         f"{type(v).__name__}: {v!r}") from None
    return _Static(v)


def _unwrap_static(s: _Static) -> Any:
    return s.v


def _arg_aval(x: Any) -> ShapedArray:
    """The aval a dynamic argument is traced and compiled with."""
    from . import ShapeDtypeStruct
    if isinstance(x, ShapeDtypeStruct):
        return ShapedArray(tuple(x.shape), dtypes.canonicalize(x.dtype), False)
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

_impl_cache: dict[int, tuple[ClosedJaxpr, Compiled]] = {}
_impl_lock = threading.Lock()


def _jit_call_impl(args, *, jaxpr: ClosedJaxpr, name: str, device: str):
    hit = _impl_cache.get(id(jaxpr))
    if hit is None or hit[0] is not jaxpr:
        with _impl_lock:
            hit = _impl_cache.get(id(jaxpr))
            if hit is None or hit[0] is not jaxpr:
                compiled = _compile_jaxpr(jaxpr, name, device)
                if len(_impl_cache) > 1024:
                    _impl_cache.clear()
                hit = _impl_cache[id(jaxpr)] = (jaxpr, compiled)
    compiled = hit[1]
    if compiled._invoke is None:
        compiled.executable
    vals = [_to_runtime(x, a) for x, a in zip(args, compiled.in_avals)]
    outs = compiled._invoke(vals)
    return [Array(o, w) for o, w in zip(outs, compiled._out_weak)]


def _compile_jaxpr(jaxpr: ClosedJaxpr, name: str, device: str) -> Compiled:
    from .lowering import lower_jaxpr
    from .runtime import cache, targets
    text = lower_jaxpr(jaxpr, "main", target=targets.target_for_device(device))
    flags = _flags_for(text, device, jaxpr)
    vmfb = _compile_text(text, flags)
    key = cache.cache_key(text, flags)
    tree = tree_util.tree_structure(tuple(range(len(jaxpr.in_avals))))
    out_tree = tree_util.tree_structure(list(range(len(jaxpr.out_avals))))
    return Compiled(name, text, vmfb, key, device, jaxpr, [], tree, out_tree)


staging.set_impl(_jit_call_impl)


# ---------------------------------------------------------------------------
# Public entry point


def jit(fun: Callable | None = None, *, static_argnums: int | Sequence[int] = (),
        static_argnames: str | Sequence[str] = (), device: str | None = None,
        **unsupported: Any):
    """Compile `fun` with IREE: traced once per signature, then dispatched directly.

    static_argnums / static_argnames: arguments that are Python values (hashable), part
    of the cache key, not traced. device: "cpu" (default: irax.config.device), "vulkan",
    "cuda"; results stay on that device."""
    if unsupported:
        raise TypeError(f"jit got unsupported keyword arguments: {sorted(unsupported)}")
    if device is not None:
        from .runtime import targets
        device = targets.resolve_device(device)
    if fun is None:
        return lambda f: JitFunction(f, static_argnums, static_argnames, device)
    return JitFunction(fun, static_argnums, static_argnames, device)
