"""The rest of JAX's top-level API, as JAX 0.10 behaves:

  eval_shape, typeof                       shapes and types, no computation
  linear_transpose, custom_gradient,       transformation utilities
  closure_convert
  disable_jit, ensure_compile_time_eval    context managers changing where code runs
  device_put, devices, default_backend     device queries (irax computes on "cpu" unless
                                           told otherwise: irax.config.device)

Layering: the top of irax/tracer beside api (imports api, custom and the transformations;
nothing above the tracer but irax.tree_util). irax/jit.py reads `flags.disable_jit`.
"""
from __future__ import annotations

import contextlib
import threading
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from .. import tree_util
from . import core, dtypes
from .ad_util import instantiate, tangent_aval
from .api import VjpFunction, _as_array, _cast_ct, _fname
from .core import (EvalTrace, ShapedArray, ShapeDtypeStruct, Trace, Tracer, get_aval,
                   set_current_trace)
from . import sharding as _sh
from .custom import custom_vjp
from .partial_eval import trace_const_free, trace_to_jaxpr
from .transpose import backward_pass


def _leaf_aval(x: Any, what: str) -> ShapedArray:
    """The aval of an argument leaf: an array, a scalar, or a ShapeDtypeStruct (anything
    with .shape and .dtype)."""
    if isinstance(x, ShapeDtypeStruct):
        return ShapedArray(tuple(x.shape), dtypes.canonicalize(x.dtype), x.weak_type)
    if core.is_array_like(x) or hasattr(x, "__jax_array__"):
        return get_aval(x)
    if hasattr(x, "shape") and hasattr(x, "dtype"):
        return ShapedArray(tuple(x.shape), dtypes.canonicalize(x.dtype), False)
    raise TypeError(f"{what}: argument {x!r} of type {type(x).__name__} is not a valid irax "
                    "type (arrays, Python scalars, ShapeDtypeStructs and pytrees of them)")


def _trace_pytree_fun(fun: Callable, args: tuple, kwargs: dict, what: str):
    """Trace fun(*args, **kwargs) at the current trace; returns (ClosedJaxpr, in leaves,
    in tree, out tree)."""
    leaves, in_tree = tree_util.tree_flatten((args, kwargs))
    avals = [_leaf_aval(x, what) for x in leaves]
    store: dict = {}

    def flat(*xs):
        a, k = tree_util.tree_unflatten(in_tree, xs)
        out_leaves, store["tree"] = tree_util.tree_flatten(fun(*a, **k))
        for o in out_leaves:
            if not core.is_array_like(o):
                raise TypeError(f"{what}: output {o!r} of type {type(o).__name__} of "
                                f"{_fname(fun)} is not an array")
        return out_leaves
    closed = trace_to_jaxpr(flat, avals, f"{what} of {_fname(fun)} (abstract values)")
    return closed, leaves, in_tree, store["tree"]


# ---------------------------------------------------------------------------
# Shapes and types


def eval_shape(fun: Callable, *args: Any, **kwargs: Any) -> Any:
    """The shapes and dtypes of fun(*args, **kwargs), as a pytree of ShapeDtypeStructs,
    computed by tracing only (no arithmetic runs). Arguments may be ShapeDtypeStructs."""
    closed, _, _, out_tree = _trace_pytree_fun(fun, args, kwargs, "eval_shape")
    return tree_util.tree_unflatten(
        out_tree, [ShapeDtypeStruct(a.shape, a.dtype, weak_type=a.weak_type)
                   for a in closed.out_avals])


def typeof(x: Any) -> ShapedArray:
    """The abstract value (shape, dtype, weak type) of an array, tracer or scalar."""
    return get_aval(x)


# ---------------------------------------------------------------------------
# Transformation utilities


def linear_transpose(fun: Callable, *primals: Any, reduce_axes: Sequence = ()) -> VjpFunction:
    """The transpose of the linear function `fun` at arguments shaped like `primals` (their
    values are not used): transposed(out_cotangent) -> a tuple of input cotangents. The
    result is a pytree (it can be passed through jit)."""
    if reduce_axes:
        raise NotImplementedError("linear_transpose: reduce_axes is not supported")
    closed, leaves, in_tree, out_tree = _trace_pytree_fun(fun, primals, {}, "linear_transpose")
    in_avals = list(closed.in_avals)
    out_avals = list(closed.out_avals)
    kinds = [a.dtype for a in in_avals + out_avals]
    if not (all(dtypes.kind(d) in "fc" for d in kinds) or
            all(dtypes.kind(d) in "iu" for d in kinds)):
        raise TypeError("linear_transpose only supports [float or complex] -> [float or "
                        "complex], and integer -> integer functions, but got "
                        f"{[a.dtype.name for a in in_avals]} -> "
                        f"{[a.dtype.name for a in out_avals]}.")
    transposed = _LinearTranspose(_fname(fun), closed.jaxpr, in_tree, in_avals, out_tree,
                                  out_avals)
    return VjpFunction(transposed, closed.consts)


class _LinearTranspose:
    """The static part of linear_transpose's result (hashed by identity)."""

    def __init__(self, name, jaxpr, in_tree, in_avals, out_tree, out_avals):
        self.name, self.jaxpr = name, jaxpr
        self.in_tree, self.in_avals = in_tree, in_avals
        self.out_tree, self.out_avals = out_tree, out_avals

    def __call__(self, consts, out_cotangent):
        ct_leaves, ct_tree = tree_util.tree_flatten(out_cotangent)
        # the primals were flattened as a tuple: the output tree of a 1-output function
        # is a leaf, and its cotangent is passed as it is
        if ct_tree != self.out_tree:
            raise TypeError(f"cotangent tree does not match function output, expected "
                            f"{self.out_tree} but got {ct_tree}")
        for c, a in zip(ct_leaves, self.out_avals):
            ca = get_aval(c)
            if ca.shape != a.shape or ca.dtype != a.dtype:
                raise TypeError(f"cotangent type does not match function output, expected "
                                f"{[x.str_short() for x in self.out_avals]} but got "
                                f"{[get_aval(x).str_short() for x in ct_leaves]}")
        cts = backward_pass(self.jaxpr, list(consts), ct_leaves)
        cts = [_cast_ct(instantiate(c), a) for c, a in zip(cts, self.in_avals)]
        return tree_util.tree_unflatten(self.in_tree, cts)[0]


class _Residuals:
    """custom_gradient's residuals: the arrays its vjp closure uses (the pytree's leaves)
    and the closure traced to a jaxpr (static)."""

    def __init__(self, consts, static):
        self.consts = list(consts)
        self.static = static


class _Static:
    __slots__ = ("jaxpr", "out_tree")   # hashed by identity: part of a pytree structure


tree_util.register_pytree_node(_Residuals, lambda r: (r.consts, r.static),
                               lambda static, consts: _Residuals(consts, static))


def custom_gradient(fun: Callable) -> custom_vjp:
    """fun(*args) returns (output, vjp_fn) where vjp_fn(cotangent) gives the cotangents of
    the arguments (a tuple with one per argument, or one value for a single argument);
    the result is a function with that reverse-mode derivative (as jax.custom_gradient)."""
    def primal(*args):
        return fun(*args)[0]
    primal.__name__ = _fname(fun)
    primal.__doc__ = getattr(fun, "__doc__", None)
    wrapped = custom_vjp(primal)

    def fwd(*args):
        result = fun(*args)
        if not (isinstance(result, (tuple, list)) and len(result) == 2 and
                callable(result[1])):
            raise TypeError(f"custom_gradient function {_fname(fun)} must return a pair "
                            "(output, vjp function)")
        ans, rule = result
        ans_leaves, ans_tree = tree_util.tree_flatten(ans)
        static = _Static()

        def flat_rule(*ct_leaves):
            out = rule(tree_util.tree_unflatten(ans_tree, ct_leaves))
            out_leaves, static.out_tree = tree_util.tree_flatten(out)
            return out_leaves
        ct_avals = [tangent_aval(get_aval(x)) for x in ans_leaves]
        static.jaxpr, consts = trace_const_free(flat_rule, ct_avals)
        return ans, _Residuals(consts, static)

    def bwd(res, ct):
        static = res.static
        outs = core.eval_jaxpr(static.jaxpr.jaxpr, [], [*res.consts,
                                                        *tree_util.tree_leaves(ct)])
        cts = tree_util.tree_unflatten(static.out_tree, outs)
        return tuple(cts) if isinstance(cts, (tuple, list)) else (cts,)
    wrapped.defvjp(fwd, bwd)
    return wrapped


def closure_convert(fun: Callable, *example_args: Any) -> tuple[Callable, list[Any]]:
    """(converted, hoisted): converted(*args, *hoisted) computes fun(*args), with the
    floating-point values fun closes over that are traced (by an enclosing jvp, grad,
    vmap or jit) made explicit arguments, e.g. to pass them to a custom_vjp function."""
    closed, _, in_tree, out_tree = _trace_pytree_fun(fun, example_args, {}, "closure_convert")
    args_tree = in_tree   # of ((*example_args), {})
    hoist = [isinstance(c, Tracer) and dtypes.kind(get_aval(c).dtype) in "fc"
             for c in closed.consts]
    kept = [c for c, h in zip(closed.consts, hoist) if not h]
    hoisted = [c for c, h in zip(closed.consts, hoist) if h]
    n_hoisted = len(hoisted)
    jaxpr = closed.jaxpr

    def converted(*args_and_consts):
        n_args = len(args_and_consts) - n_hoisted
        args, h = args_and_consts[:n_args], iter(args_and_consts[n_args:])
        leaves, tree = tree_util.tree_flatten((tuple(args), {}))
        if tree != args_tree:
            raise TypeError(f"the function returned by closure_convert of {_fname(fun)} was "
                            f"called with arguments of structure {tree}, but it was "
                            f"converted for {args_tree}")
        k = iter(kept)
        consts = [next(h) if is_h else next(k) for is_h in hoist]
        return tree_util.tree_unflatten(out_tree, core.eval_jaxpr(jaxpr, consts, leaves))
    converted.__name__ = _fname(fun)
    return converted, hoisted


# ---------------------------------------------------------------------------
# Where code runs


class _Flags(threading.local):
    disable_jit = False
    no_tracing = False   # irax.no_tracing: irax.jit refuses to trace (config_flags)


flags = _Flags()


@contextlib.contextmanager
def disable_jit(disable: bool = True) -> Iterator[None]:
    """Inside, irax.jit-decorated functions run their Python code eagerly (to inspect
    values with print or a debugger); nothing is compiled."""
    prev = flags.disable_jit
    flags.disable_jit = bool(disable)
    try:
        yield
    finally:
        flags.disable_jit = prev


class CompileTimeEvalTrace(Trace):
    """Evaluates every operation whose arguments are all concrete (no tracers) right
    away; hands the others to its parent (e.g. jit's staging trace)."""

    def __init__(self, parent: Trace):
        self.parent = parent
        self._eval = EvalTrace()

    def is_linearizing(self, tangents: Sequence[Any]) -> bool:
        return self.parent.is_linearizing(tangents)

    def _target(self, args: Sequence[Any]) -> Trace:
        return self.parent if any(isinstance(a, Tracer) for a in args) else self._eval

    def process_primitive(self, prim, args, params):
        with set_current_trace(self._target(args)):
            return prim.bind(*args, **params)

    def process_custom_jvp_call(self, prim, fun, jvp, args, symbolic_zeros=False):
        target = self._target(args)
        if target is self._eval:
            return fun(*args)    # its operations come back here, one by one
        with set_current_trace(target):
            return target.process_custom_jvp_call(prim, fun, jvp, args)

    def process_custom_vjp_call(self, prim, fun, fwd, bwd, args, out_trees):
        target = self._target(args)
        if target is self._eval:
            return fun(*args)
        with set_current_trace(target):
            return target.process_custom_vjp_call(prim, fun, fwd, bwd, args, out_trees)


@contextlib.contextmanager
def ensure_compile_time_eval() -> Iterator[None]:
    """Inside, operations on concrete values run eagerly even while jit (or a control-flow
    body) is being traced, so their results are concrete (usable in Python control flow);
    operations on traced values are still staged."""
    trace = core.current_trace()
    if isinstance(trace, EvalTrace):
        yield
        return
    with set_current_trace(CompileTimeEvalTrace(trace)):
        yield


# ---------------------------------------------------------------------------
# Devices


# Device, devices and default_backend live in irax/tracer/sharding.py (the shardings
# name them); they are re-exported here, where irax/__init__ finds them.
Device, devices, default_backend = _sh.Device, _sh.devices, _sh.default_backend


def local_devices(process_index: int | None = None, backend: str | None = None
                  ) -> list[Device]:
    return devices(backend)


def device_count(backend: str | None = None) -> int:
    return len(devices(backend))


def device_put(x: Any, device: Any = None, *, src: Any = None, donate: bool = False,
               may_alias: bool | None = None) -> Any:
    """x as irax Arrays (a pytree of them). irax's Arrays live on the host until a
    compiled function moves them; `device` (a Device, a Sharding, a PartitionSpec under
    irax.set_mesh, or a pytree prefix of them) is what the results' `.sharding` reports."""
    PartitionSpec, Sharding = _sh.PartitionSpec, _sh.Sharding
    as_sharding, with_sharding = _sh.as_sharding, _sh.with_sharding

    def put(v, dev):
        if isinstance(v, Tracer):
            return v
        if not core.is_array_like(v):
            raise TypeError(f"device_put: {v!r} of type {type(v).__name__} is not an array")
        return with_sharding(_as_array(v), as_sharding(dev, "device_put"))

    is_target = lambda d: d is None or isinstance(d, (Sharding, PartitionSpec)) or \
        (hasattr(d, "platform") and hasattr(d, "id"))  # noqa: E731
    if is_target(device):
        return tree_util.tree_map(lambda v: put(v, device), x)
    leaves, tree = tree_util.tree_flatten(x)
    targets = tree_util.tree_leaves(tree_util.tree_broadcast(device, x, is_leaf=is_target),
                                    is_leaf=is_target)
    return tree_util.tree_unflatten(tree, [put(v, d) for v, d in zip(leaves, targets)])
