"""custom_jvp and custom_vjp: user-defined derivative rules for Python functions.

Outside any transformation the function simply runs. Under a transformation, each trace
decides (see Trace.process_custom_jvp_call / process_custom_vjp_call):
  * JVPTrace runs the rule (custom_jvp) or the fwd pass plus a `custom_lin` tangent map
    whose transpose is the user's bwd (custom_vjp);
  * BatchTrace vmaps the function and its rules;
  * StagingTrace records a custom_*_call equation holding the primal body (lowering emits
    only the primal).
Reverse mode of a custom_jvp function needs nothing special: the rule's tangent
computation is staged by partial evaluation and transposed like any other linear code.

Symbolic zeros: the flat rules built here (jvp, fwd, bwd) are handed the internal Zero
tangents/cotangents as they are and decide themselves: instantiate them, or (a rule
defined with symbolic_zeros=True, as in JAX) pass them to the user as SymbolicZero, and
give fwd CustomVJPPrimal(value, perturbed) leaves (`perturbed` from the tangents' Zero-ness,
passed as fwd(*xs, perturbed=...)). SymbolicZero outputs of a rule become Zero again.

Layering: above the transformations and the primitive families (it registers the jvp of
custom_vjp functions in jvp.custom_vjp_rules and the rules of its `custom_lin` primitive);
below api. The transformations never import this module.
"""
from __future__ import annotations

import dataclasses
import functools
import inspect
from typing import Any, Callable, Sequence


from .. import tree_util
from . import core, dtypes
from .ad_util import Zero, instantiate_all, tangent_aval, zeros_like_aval
from .avals import type_str
from .batching import axis_names_used, batch_rules, bdim_to_front, vmap_bwd
from .core import Primitive, ShapedArray, Tracer, get_aval
from .jvp import JVPTrace, JVPTracer, custom_vjp_rules, jvp_rules
from .partial_eval import trace_to_jaxpr
from .prims.elementwise import convert_element_type
from .rules import BDim, Tangent, Value
from .transpose import transpose_rules


class CustomCallPrimitive(Primitive):
    """custom_jvp_call / custom_vjp_call: a custom-derivative function staged into a jaxpr
    (its params hold the primal body and the user's rules). Binding one, which is what
    evaluating such a jaxpr does, re-enters the current trace's process_custom_*_call: a
    staged call is transformed exactly as calling the function would be."""

    def __init__(self, name: str, evaluate: Callable[..., list[Any]]):
        super().__init__(name, multiple_results=True)
        self._evaluate = evaluate

    def bind(self, *args: Any, **params: Any) -> list[Any]:
        return self._evaluate(*args, **params)


def _eval_custom_jvp_call(*args, call_jaxpr, jvp_fn, num_consts):
    consts, xs = list(args[:num_consts]), list(args[num_consts:])
    _check_const_tangents(consts, "custom_jvp")

    def fun(*ys):
        return core.eval_jaxpr(call_jaxpr.jaxpr, [], [*consts, *ys])
    fun.__name__ = "custom_jvp_body"
    fun.user_functions = (fun,)   # its consts may be batched (vmap of a staged call)
    fun.axis_names = axis_names_used({"call_jaxpr": call_jaxpr})   # psum('i') inside
    return core.current_trace().process_custom_jvp_call(custom_jvp_call, fun, jvp_fn, xs)


def _eval_custom_vjp_call(*args, call_jaxpr, fwd_fn, bwd_fn, num_consts, out_trees):
    consts, xs = list(args[:num_consts]), list(args[num_consts:])
    _check_const_tangents(consts, "custom_vjp")

    def fun(*ys):
        return core.eval_jaxpr(call_jaxpr.jaxpr, [], [*consts, *ys])
    fun.user_functions = (fun,)
    fun.axis_names = axis_names_used({"call_jaxpr": call_jaxpr})
    return core.current_trace().process_custom_vjp_call(custom_vjp_call, fun, fwd_fn, bwd_fn,
                                                        xs, out_trees)


def _check_const_tangents(consts, kind: str) -> None:
    trace = core.current_trace()
    if isinstance(trace, JVPTrace) and any(isinstance(c, JVPTracer) and c._trace is trace
                                           for c in consts):
        raise NotImplementedError(
            f"differentiating a staged {kind} function with respect to a value it closes over "
            "is not supported; pass that value as an argument of the function instead")


custom_jvp_call = CustomCallPrimitive("custom_jvp_call", _eval_custom_jvp_call)
custom_vjp_call = CustomCallPrimitive("custom_vjp_call", _eval_custom_vjp_call)
custom_lin = Primitive("custom_lin", multiple_results=True)

FORWARD_MODE_ERROR = "can't apply forward-mode autodiff (jvp) to a custom_vjp function."


# ---------------------------------------------------------------------------
# What rules defined with symbolic_zeros=True see (irax.custom_derivatives exports these)

FLOAT0 = dtypes.FLOAT0


class Options:
    """jax_custom_vjp3 (irax.config, irax/config_flags.py; off by default, as in JAX 0.10):
    JAX's coming custom_vjp semantics, under which the function is traced on its own
    first and may not close over a tracer (UnexpectedTracerError); by default it may, and
    vmap/jvp see through the closure."""

    custom_vjp3 = False


options = Options()


def _refuse_closed_over_tracers(flat_fun: Callable, in_avals: Sequence[ShapedArray],
                                fun: Callable) -> None:
    closed = trace_to_jaxpr(flat_fun, in_avals, f"custom_vjp function {_name(fun)}")
    for c in closed.consts:
        if isinstance(c, Tracer):
            raise core.UnexpectedTracerError(
                f"custom_vjp-decorated function {fun} closed over a {type(c).__name__} of "
                f"type {type_str(get_aval(c))}, but custom_vjp functions can't close over "
                f"Tracers. Rewrite {fun} to take it as an explicit input.")


class SymbolicZero:
    """A zero tangent (or cotangent) known to be zero, described by its abstract value
    (shape, dtype; float0 for integer and boolean values). Attribute lookups go to the aval."""

    def __init__(self, aval: Any) -> None:
        self.aval = aval

    def __repr__(self) -> str:
        return "SymbolicZero"

    def __getattr__(self, name: str) -> Any:
        if name == "aval":   # not set yet (copy/pickle): no recursion through self.aval
            raise AttributeError(name)
        return getattr(self.aval, name)

    @staticmethod
    def from_primal_value(val: Any) -> "SymbolicZero":
        return SymbolicZero(user_tangent_aval(get_aval(val)))


@dataclasses.dataclass
class CustomVJPPrimal:
    """A primal argument of a custom_vjp forward rule with whether it is perturbed."""
    value: Any
    perturbed: bool


def user_tangent_aval(aval: ShapedArray) -> ShapedArray:
    """The aval of a tangent as JAX shows it to rules: float0 for integer/bool values
    (irax's internal Zero keeps the primal dtype)."""
    if dtypes.kind(aval.dtype) in "fc":
        return ShapedArray(aval.shape, aval.dtype, aval.weak_type)
    return ShapedArray(aval.shape, FLOAT0)


def _rule_tangents(tangents: Sequence[Tangent], symbolic: bool) -> list[Any]:
    """Internal tangents (arrays or Zero) as a rule receives them: a Zero becomes a
    SymbolicZero when the rule was defined with symbolic_zeros=True, else an array."""
    if symbolic:
        return [SymbolicZero(user_tangent_aval(t.aval)) if isinstance(t, Zero) else t
                for t in tangents]
    return instantiate_all(tangents)


# ---------------------------------------------------------------------------
# Argument handling shared by both decorators


def resolve_kwargs(fun: Callable, args: tuple, kwargs: dict, kind: str = "custom_jvp") -> tuple:
    """Keyword arguments and defaults resolved to positions (rules take positional args).
    Keyword-only parameters the caller leaves out keep their defaults inside `fun`; passing
    one is an error. A functools.partial has an opaque signature (as in JAX). `kind` names
    the decorator in the message ("custom_jvp", "custom_vjp", "custom_vmap"), as JAX's."""
    def refuse(error: str):
        raise TypeError(f"The input arguments to the {kind}-decorated function {_name(fun)} "
                        "could not be resolved to positional-only arguments. Binding failed "
                        f"with the error:\n{error}") from None

    def refuse_kwargs(names):
        refuse("The following keyword arguments could not be resolved to positions: "
               + ", ".join(names))

    if isinstance(fun, functools.partial):
        return tuple(args) if not kwargs else refuse_kwargs(kwargs)
    try:
        sig = inspect.signature(fun)
        bound = sig.bind(*args, **kwargs)
    except (TypeError, ValueError) as e:
        refuse(str(e))
    bound.apply_defaults()
    passed = [k for k in bound.kwargs if k in kwargs]
    if passed:
        refuse_kwargs(passed)
    return bound.args


def _split_nondiff(args: tuple, nondiff_argnums: tuple[int, ...]):
    nondiff = [args[i] for i in nondiff_argnums]
    diff = [a for i, a in enumerate(args) if i not in nondiff_argnums]
    return nondiff, diff


def _merge(nondiff_argnums, nondiff, diff):
    out, nd, d = [], iter(nondiff), iter(diff)
    for i in range(len(nondiff_argnums) + len(diff)):
        out.append(next(nd) if i in nondiff_argnums else next(d))
    return out


def _name(f: Callable) -> str:
    return getattr(f, "__name__", repr(f))


class _Store:
    """Where a flat wrapper leaves the output pytree structure it saw. fun_out is the
    (tree, avals) of the function itself, once it has been traced (under jit): a rule's
    primal output is then checked against it, as JAX does."""

    def __init__(self) -> None:
        self.out_tree = None
        self.res_tree = None
        self.fun_out = None


class _Shown:
    """A leaf whose repr is given text (a pytree of types printed as JAX prints it)."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return self.text


def types_of(tree, avals) -> str:
    """The pytree of types, e.g. (float32[], float32[3]), as JAX's messages show it."""
    return str(tree_util.tree_unflatten(tree, [_Shown(type_str(a)) for a in avals]))


def _check_rule_primal_out(store: _Store, leaves, tree, rule: str, fun_name: str,
                           kind: str) -> None:
    """The rule's primal output against the function's own (known once it was traced), in
    JAX's words; kind: "Custom JVP" or "Custom VJP fwd"."""
    if store.fun_out is None:
        return
    f_tree, f_avals = store.fun_out
    avals = [get_aval(x) for x in leaves]
    if kind == "Custom JVP":
        what = (f"Custom JVP rule {rule} for function {fun_name} must produce a pair (list or "
                "tuple of length two) where the first element represents the primal output "
                "(equal in value to the output of the custom_jvp-decorated function "
                f"{fun_name}, and in particular of the same container/pytree structure), but "
                "instead the JVP rule output's first element had")
        fun_what = f"the custom_jvp-decorated function {fun_name}"
    else:
        what = (f"Custom VJP fwd rule {rule} for function {fun_name} must produce a pair (list "
                "or tuple of length two) where the first element represents the primal output "
                f"(equal to the output of the custom_vjp-decorated function {fun_name}) and "
                "the second element represents residuals (i.e. values stored from the forward "
                "pass for use on the backward pass), but instead the fwd rule output's first "
                "element had")
        fun_what = f"the custom_vjp-decorated function {fun_name}"
        if options.custom_vjp3:
            _check_fwd_out_vjp3(what, fun_what, tree, avals, f_tree, f_avals)
            return
    if tree != f_tree:
        raise TypeError(f"{what} container/pytree structure:\n    {types_of(tree, avals)}\n"
                        f"while {fun_what} had output container/pytree structure:\n"
                        f"    {types_of(f_tree, f_avals)}.")
    if any(a.shape != b.shape or a.dtype != b.dtype for a, b in zip(avals, f_avals)):
        raise TypeError(f"{what} shapes/dtypes of:\n    {types_of(tree, avals)}\n"
                        f"while {fun_what} had output shapes/dtypes of:\n"
                        f"    {types_of(f_tree, f_avals)}")


def _check_fwd_out_vjp3(what: str, fun_what: str, tree, avals, f_tree, f_avals) -> None:
    """Under jax_custom_vjp3 JAX words these differently: structures as PyTreeDefs, and the
    first leaf whose type differs, by its path."""
    if tree != f_tree:
        raise TypeError(f"{what} container/pytree structure:\n    {tree}\n"
                        f"while {fun_what} had output container/pytree structure:\n"
                        f"    {f_tree}.")
    paths = [p for p, _ in tree_util.tree_flatten_with_path(
        tree_util.tree_unflatten(f_tree, list(range(len(f_avals)))))[0]]
    for path, a, b in zip(paths, avals, f_avals):
        if a.shape != b.shape or a.dtype != b.dtype:
            raise TypeError(f"at {tree_util.keystr(path)}, got fwd output type {type_str(a)} "
                            f"which doesn't match primal output type {type_str(b)}")


def _record_fun_out(store: _Store, leaves, tree) -> None:
    store.out_tree = tree
    store.fun_out = (tree, [get_aval(x) for x in leaves])


def _stop_gradient_leaves(x):
    """Non-differentiable arguments as values without tangents (as JAX's custom_jvp)."""
    from .prims.elementwise import stop_gradient_p

    def one(v):
        if isinstance(v, Tracer) and dtypes.kind(get_aval(v).dtype) in "fc":
            return stop_gradient_p.bind(v)
        return v
    return tree_util.tree_map(one, x)


def nondiff_positions(fun: Callable, nondiff_argnums: Sequence[int],
                      nondiff_argnames: str | Sequence[str]) -> tuple[int, ...]:
    """nondiff_argnums together with the positions of the parameters nondiff_argnames
    names, sorted (as JAX: names of keyword-only or unknown parameters are ignored)."""
    nums = {int(i) for i in nondiff_argnums}
    if nondiff_argnames:
        names = (nondiff_argnames,) if isinstance(nondiff_argnames, str) else \
            tuple(nondiff_argnames)
        params = inspect.signature(fun).parameters.values()
        nums.update(i for i, p in enumerate(params)
                    if p.kind is p.POSITIONAL_OR_KEYWORD and p.name in names)
    return tuple(sorted(nums))


def _to_leaves(xs, what: str, rule: str, allow_zeros: bool = False):
    """Flatten a rule's pytree output; its leaves must be arrays (or SymbolicZero records,
    where allow_zeros: the tangents and cotangents a rule returns)."""
    leaves, tree = tree_util.tree_flatten(xs)
    for leaf in leaves:
        if allow_zeros and type(leaf) is SymbolicZero:
            continue
        if not core.is_array_like(leaf):
            raise TypeError(f"{rule}: {what} contains a non-array leaf {leaf!r} of type "
                            f"{type(leaf).__name__}")
    return leaves, tree


# ---------------------------------------------------------------------------
# custom_jvp


def forward_attr(self, name: str) -> Any:
    """Attributes the decorator object lacks come from the function it wraps (as JAX's
    custom_api_util.forward_attr): custom_vjp(custom_vmap(f)).def_vmap works."""
    if name == "fun":   # not set yet (copy/pickle): no recursion
        raise AttributeError(name)
    return getattr(self.fun, name)


class custom_jvp:
    """Set up a JAX-transformable function for a custom JVP rule definition."""

    def __init__(self, fun: Callable, nondiff_argnums: Sequence[int] = (),
                 nondiff_argnames: Sequence[str] = ()):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.nondiff_argnums = nondiff_positions(fun, nondiff_argnums, nondiff_argnames)
        self.jvp: Callable | None = None
        self.symbolic_zeros = False

    __getattr__ = forward_attr

    def defjvp(self, jvp: Callable, symbolic_zeros: bool = False) -> Callable:
        """With symbolic_zeros=True the rule gets a SymbolicZero for each tangent known to
        be zero (an input that is not differentiated), instead of an array of zeros."""
        self.jvp = jvp
        self.symbolic_zeros = bool(symbolic_zeros)
        return jvp

    def defjvps(self, *jvps: Callable | None) -> None:
        if self.nondiff_argnums:
            raise TypeError("Can't use ``defjvps`` with ``nondiff_argnums``.")

        def jvp(primals, tangents):
            if len(jvps) != len(primals):   # ValueError, as JAX raises when the rule runs
                raise ValueError(f"defjvps of {_name(self.fun)} was given {len(jvps)} rule(s) "
                                 f"for a call with {len(primals)} argument(s); give one rule "
                                 "(or None) per argument")
            primal_out = self(*primals)
            zeros = tree_util.tree_map(lambda x: zeros_like_aval(tangent_aval(get_aval(x))),
                                       primal_out)
            out = zeros
            for fn, t in zip(jvps, tangents):
                if fn is None:
                    continue
                term = fn(t, primal_out, *primals)
                out = tree_util.tree_map(lambda a, b: a + b, out, term)
            return primal_out, out
        jvp.__name__ = f"{_name(self.fun)}_jvps"
        self.defjvp(jvp)

    def __get__(self, obj, objtype=None):
        return self if obj is None else functools.partial(self, obj)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        name = _name(self.fun)
        if self.jvp is None:
            raise AttributeError(f"No JVP defined for custom_jvp function {name} using defjvp.")
        args = resolve_kwargs(self.fun, args, kwargs)
        trace = core.current_trace()
        if isinstance(trace, core.EvalTrace):
            return self.fun(*args)
        nondiff, diff = _split_nondiff(args, self.nondiff_argnums)
        nondiff = [_stop_gradient_leaves(x) for x in nondiff]
        leaves, in_tree = _to_leaves(tuple(diff), "the differentiable arguments", name)
        store = _Store()
        fun, rule = self.fun, self.jvp
        nums, symbolic = self.nondiff_argnums, self.symbolic_zeros

        def flat_fun(*xs):
            full = _merge(nums, nondiff, tree_util.tree_unflatten(in_tree, xs))
            out_leaves, out_tree = _to_leaves(fun(*full), "the output", name)
            _record_fun_out(store, out_leaves, out_tree)
            return out_leaves

        def flat_jvp(primal_leaves, tangent_leaves):   # tangents: arrays or Zero
            primals = tree_util.tree_unflatten(in_tree, primal_leaves)
            tangents = tree_util.tree_unflatten(in_tree,
                                                _rule_tangents(tangent_leaves, symbolic))
            with core.eqn_context(f"custom_jvp rule {_name(rule)} of {name}"):
                result = rule(*nondiff, tuple(primals), tuple(tangents))
            return _check_jvp_result(result, _name(rule), store, name)
        flat_jvp.__name__ = _name(rule)
        flat_jvp.shown_as = (name, symbolic)   # what a printed jaxpr shows (tracer/pretty.py)
        flat_fun.__name__ = name
        # what vmap searches for closed-over values: the functions, and the nondiff
        # arguments (a batched PRNG key passed as one: the call must be batched)
        flat_fun.user_functions = (fun, rule, functools.partial(fun, *nondiff))
        out = trace.process_custom_jvp_call(custom_jvp_call, flat_fun, flat_jvp, leaves)
        return tree_util.tree_unflatten(store.out_tree, out)


def _check_jvp_result(result, rule_name: str, store: _Store, fun_name: str):
    if not (isinstance(result, (tuple, list)) and len(result) == 2):
        raise TypeError(f"Custom JVP rule {rule_name} for function {fun_name} must produce a "
                        "pair (list or tuple of length two) representing primal and tangent "
                        f"outputs, but got {result!r}.")
    primal_out, tangent_out = result
    p_leaves, p_tree = _to_leaves(primal_out, "the primal output", rule_name)
    _check_rule_primal_out(store, p_leaves, p_tree, rule_name, fun_name, "Custom JVP")
    t_leaves, t_tree = _to_leaves(tangent_out, "the tangent output", rule_name,
                                  allow_zeros=True)
    if p_tree != t_tree:
        raise TypeError(f"Custom JVP rule {rule_name} for function {fun_name} must produce "
                        "primal and tangent outputs with equal container (pytree) "
                        f"structures, but got {p_tree} and {t_tree} respectively.")
    for i, (p, t) in enumerate(zip(p_leaves, t_leaves)):
        pa = get_aval(p)
        ta = t.aval if type(t) is SymbolicZero else get_aval(t)
        if type(t) is SymbolicZero or ta.dtype == FLOAT0:
            # a returned symbolic zero, or the float0 tangent of an integer
            # (zero_from_primal), is an internal Zero again
            t_leaves[i] = Zero(tangent_aval(pa))
        if pa.shape != ta.shape or (pa.dtype != ta.dtype and dtypes.kind(pa.dtype) in "fc"):
            raise TypeError(
                "Custom JVP rule must produce primal and tangent outputs with corresponding "
                f"shapes and dtypes. Expected {type_str(tangent_aval(pa))} (tangent type of "
                f"{type_str(pa)}) but got {type_str(ta)}.")
    store.out_tree = p_tree
    return p_leaves, t_leaves


# ---------------------------------------------------------------------------
# custom_vjp


class custom_vjp:
    """Set up a JAX-transformable function for a custom VJP rule definition.

    Beyond JAX: `f.defjvp(rule)` may be given as well; forward mode then uses it
    (jvp, jacfwd, hessian) instead of raising."""

    def __init__(self, fun: Callable, nondiff_argnums: Sequence[int] = (),
                 nondiff_argnames: Sequence[str] = ()):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.nondiff_argnums = nondiff_positions(fun, nondiff_argnums, nondiff_argnames)
        self.fwd: Callable | None = None
        self.bwd: Callable | None = None
        self.jvp: Callable | None = None
        self.symbolic_zeros = False
        self.optimize_remat = False

    __getattr__ = forward_attr

    def defvjp(self, fwd: Callable, bwd: Callable, symbolic_zeros: bool = False,
               optimize_remat: bool = False) -> None:
        """With symbolic_zeros=True, fwd gets a CustomVJPPrimal(value, perturbed) in place of
        each leaf of the differentiable arguments, and bwd a SymbolicZero for each output
        cotangent known to be zero. (optimize_remat is accepted and has no effect here: it
        is an optimization of JAX's remat, not a change of values.)"""
        if symbolic_zeros and optimize_remat:
            raise NotImplementedError(
                "remat optimization for custom_vjp does not support symbolic zeros")
        self.fwd, self.bwd = fwd, bwd
        self.symbolic_zeros = bool(symbolic_zeros)
        self.optimize_remat = bool(optimize_remat)

    def defjvp(self, jvp: Callable) -> Callable:
        self.jvp = jvp
        return jvp

    def __get__(self, obj, objtype=None):
        return self if obj is None else functools.partial(self, obj)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        name = _name(self.fun)
        if self.fwd is None or self.bwd is None:
            raise AttributeError(f"No VJP defined for custom_vjp function {name} using defvjp.")
        args = resolve_kwargs(self.fun, args, kwargs, "custom_vjp")
        trace = core.current_trace()
        if isinstance(trace, core.EvalTrace):
            return self.fun(*args)
        nondiff, diff = _split_nondiff(args, self.nondiff_argnums)
        for i, x in zip(self.nondiff_argnums, nondiff):
            for leaf in tree_util.tree_leaves(x):
                if isinstance(leaf, Tracer):
                    raise core.UnexpectedTracerError(
                        f"custom_vjp function {name}: argument {i} is listed in nondiff_argnums "
                        f"but holds a traced value ({leaf!r}). Tracers cannot be passed as "
                        "non-differentiable arguments to custom_vjp functions: values that "
                        "are traced by jit/grad/vmap must be passed as regular "
                        "(differentiable) arguments; return None as their cotangent from the "
                        "bwd rule if they need none.")
        leaves, in_tree = _to_leaves(tuple(diff), "the differentiable arguments", name)
        in_avals = [get_aval(x) for x in leaves]
        store = _Store()
        fun, fwd, bwd, jvp = self.fun, self.fwd, self.bwd, self.jvp
        nums, symbolic = self.nondiff_argnums, self.symbolic_zeros

        def flat_fun(*xs):
            full = _merge(nums, nondiff, tree_util.tree_unflatten(in_tree, xs))
            out_leaves, out_tree = _to_leaves(fun(*full), "the output", name)
            _record_fun_out(store, out_leaves, out_tree)
            return out_leaves

        def flat_fwd(*xs, perturbed=None):
            # perturbed: per argument leaf, whether its tangent is nonzero (None: all are)
            if symbolic:
                flags = [True] * len(xs) if perturbed is None else perturbed
                xs = [CustomVJPPrimal(x, bool(p)) for x, p in zip(xs, flags)]
            full = _merge(nums, nondiff, tree_util.tree_unflatten(in_tree, xs))
            result = fwd(*full)
            if not (isinstance(result, (tuple, list)) and len(result) == 2):
                raise TypeError(f"Custom VJP fwd rule {_name(fwd)} for function {name} must "
                                "produce a pair (list or tuple of length two) where the first "
                                "element represents the primal output (equal to those of the "
                                f"custom_vjp-decorated function {name}) and the second element "
                                "represents residuals (i.e. values stored from the forward "
                                "pass for use on the backward pass), but instead of a pair the "
                                f"fwd rule {_name(fwd)} produced {result!r}.")
            out, res = result
            out_leaves, out_tree = _to_leaves(out, "the primal output", _name(fwd))
            _check_rule_primal_out(store, out_leaves, out_tree, _name(fwd), name,
                                   "Custom VJP fwd")
            store.out_tree = out_tree
            res_leaves, store.res_tree = _to_leaves(res, "the residuals", _name(fwd))
            return out_leaves, res_leaves

        def flat_bwd(res_leaves, ct_leaves):   # cotangents: arrays or Zero
            res = tree_util.tree_unflatten(store.res_tree, res_leaves)
            cts = tree_util.tree_unflatten(store.out_tree, _rule_tangents(ct_leaves, symbolic))
            result = bwd(*nondiff, res, cts)
            return _check_bwd_result(result, _name(bwd), name, in_tree, in_avals)

        def flat_jvp(primal_leaves, tangent_leaves):
            primals = tree_util.tree_unflatten(in_tree, primal_leaves)
            tangents = tree_util.tree_unflatten(in_tree, tangent_leaves)
            with core.eqn_context(f"custom jvp rule {_name(jvp)} of {name}"):
                result = jvp(*nondiff, tuple(primals), tuple(tangents))
            return _check_jvp_result(result, _name(jvp), store, name)

        flat_fun.__name__, flat_fwd.__name__, flat_bwd.__name__ = name, _name(fwd), _name(bwd)
        flat_fwd.shown_as = (name, symbolic)   # what a printed jaxpr shows (tracer/pretty.py)
        flat_fun.user_functions = tuple(f for f in (fun, fwd, bwd, jvp) if f is not None)
        flat_fwd.jvp_rule = flat_jvp if jvp is not None else None
        if options.custom_vjp3:
            _refuse_closed_over_tracers(flat_fun, in_avals, fun)
        out = trace.process_custom_vjp_call(custom_vjp_call, flat_fun, flat_fwd, flat_bwd,
                                            leaves, store)
        return tree_util.tree_unflatten(store.out_tree, out)


def _check_bwd_result(result, bwd_name: str, fun_name: str, in_tree, in_avals):
    if isinstance(result, list):
        result = tuple(result)
    expected = in_tree.children
    if not isinstance(result, tuple) or len(result) != len(expected):
        raise TypeError("Custom VJP bwd rule must produce an output with the same container "
                        "(pytree) structure as the args tuple of the primal function, and in "
                        "particular must produce a tuple of length equal to the number of "
                        "arguments to the primal function, but got bwd output structure "
                        f"{tree_util.tree_structure(result)} for primal input structure "
                        f"{in_tree}.")
    leaves: list[Any] = []
    avals = iter(in_avals)
    for argnum, (ct, td) in enumerate(zip(result, expected)):
        per_leaf: list[Any] = []
        if not _cts_per_leaf(ct, td, per_leaf):
            raise TypeError(f"Custom VJP bwd rule {bwd_name} for function {fun_name} must produce "
                            f"cotangent {argnum} with the structure of the argument, {td}, "
                            f"but got {tree_util.tree_structure(ct)}")
        for leaf in per_leaf:
            aval = next(avals)
            if leaf is None:
                leaves.append(Zero(tangent_aval(aval)))
                continue
            if type(leaf) is SymbolicZero:
                if leaf.aval.shape != aval.shape:
                    raise ValueError(
                        "Custom VJP bwd rule produced a SymbolicZero with a shape/dtype that "
                        "does not match the corresponding input tangent shape/dtype: at "
                        f"output[{len(leaves)}] the SymbolicZero had shape/dtype "
                        f"{type_str(leaf.aval)} while the corresponding input had shape/dtype "
                        f"{type_str(aval)}. Consider just returning a None here instead of a "
                        "SymbolicZero object.")
                leaves.append(Zero(tangent_aval(aval)))
                continue
            la = get_aval(leaf)
            if la.shape != aval.shape:
                raise ValueError("Custom VJP bwd rule must produce an output with the same "
                                 "type as the args tuple of the primal function, but at "
                                 f"output[{len(leaves)}] the bwd rule produced an output of "
                                 f"type {type_str(la)} corresponding to an input of type "
                                 f"{type_str(aval)}, so the shapes do not match")
            if dtypes.kind(aval.dtype) not in "fc":   # an integer's cotangent (float0): none
                leaves.append(Zero(tangent_aval(aval)))
                continue
            if la.dtype != aval.dtype:
                leaf = convert_element_type(leaf, aval.dtype, aval.weak_type)
            leaves.append(leaf)
    return leaves


def _cts_per_leaf(ct, td, out: list) -> bool:
    """Append one cotangent (None for zero) per leaf of the argument structure `td`; a None
    in `ct` may stand for a whole subtree. False if `ct` does not fit `td`."""
    if ct is None:
        out.extend([None] * td.num_leaves)
        return True
    node = tree_util.top_node(ct)
    if td.kind == "leaf":
        if node is not None:
            return False
        out.append(ct)
        return True
    if node is None:
        return False
    kind, node_data, children = node
    if kind != td.kind or len(children) != len(td.children):
        return False
    if kind in ("dict", "namedtuple") and node_data != td.node_data:
        return False
    if kind == "custom" and node_data[0] is not td.node_data[0]:
        return False
    return all(_cts_per_leaf(c, t, out) for c, t in zip(children, td.children))


# ---------------------------------------------------------------------------
# Forward mode of a custom_vjp function: its fwd pass, and a `custom_lin` tangent map whose
# transpose is the user's bwd (so reverse mode gets the bwd rule).


def custom_vjp_jvp(fun: Callable, fwd: Callable, bwd: Callable, primals: Sequence[Value],
                   tangents: Sequence[Tangent], store: _Store, reverse: bool
                   ) -> tuple[list[Value], list[Value]]:
    """JVP of a custom_vjp function, run in the JVPTrace's parent context."""
    jvp_rule = getattr(fwd, "jvp_rule", None)
    if jvp_rule is not None and not reverse:   # forward mode with a user jvp rule
        return jvp_rule(list(primals), instantiate_all(tangents))
    out, res = fwd(*primals, perturbed=[not isinstance(t, Zero) for t in tangents])
    tangents = instantiate_all(tangents)
    out_avals = tuple(tangent_aval(get_aval(o)) for o in out)
    tangent_out = custom_lin.bind(*res, *tangents, num_res=len(res), bwd=bwd,
                                  out_avals=out_avals)
    return out, tangent_out


def _custom_lin_abstract(*avals: ShapedArray, num_res: int, bwd: Callable,
                         out_avals: tuple[ShapedArray, ...]) -> list[ShapedArray]:
    return list(out_avals)


def _custom_lin_forward(*args: Any, **params: Any):
    raise TypeError(FORWARD_MODE_ERROR)


def _custom_lin_jvp(primals: Sequence[Value], tangents: Sequence[Tangent], **params: Any):
    raise TypeError(FORWARD_MODE_ERROR)


def _custom_lin_transpose(cts: Sequence[Tangent], *args: Value, num_res: int, bwd: Callable,
                          out_avals: tuple[ShapedArray, ...]) -> list[Value | None]:
    res = args[:num_res]
    # bwd takes Zero cotangents: it instantiates them, or shows them to a symbolic_zeros rule
    cts = [Zero(a) if isinstance(c, Zero) or c is None else c for c, a in zip(cts, out_avals)]
    cts_in = bwd(list(res), cts)
    return [None] * num_res + list(cts_in)


def _custom_lin_batch(axis_size: int, vals: Sequence[Value], dims: Sequence[BDim], *,
                      num_res: int, bwd: Callable, out_avals: tuple[ShapedArray, ...]
                      ) -> tuple[list[Value], list[BDim]]:
    # the transposed (bwd) map runs per example: vmap the user's bwd
    vals = [bdim_to_front(v, d, axis_size) for v, d in zip(vals, dims)]

    def batched_bwd(res, cts):
        return vmap_bwd(bwd, res, cts, axis_size)
    batched_avals = tuple(ShapedArray((axis_size, *a.shape), a.dtype, a.weak_type)
                          for a in out_avals)
    outs = custom_lin.bind(*vals, num_res=num_res, bwd=batched_bwd, out_avals=batched_avals)
    return outs, [0] * len(outs)


# ---------------------------------------------------------------------------
# Registration. The call primitives' transformations go through the traces'
# process_custom_*_call (their bind re-enters it); lowering emits only the primal body.


def _custom_jvp_call_abstract(*avals: ShapedArray, call_jaxpr, jvp_fn, num_consts
                              ) -> list[ShapedArray]:
    return call_jaxpr.out_avals


def _custom_vjp_call_abstract(*avals: ShapedArray, call_jaxpr, fwd_fn, bwd_fn, num_consts,
                              out_trees) -> list[ShapedArray]:
    return call_jaxpr.out_avals


core.abstract_eval_rules[custom_jvp_call] = _custom_jvp_call_abstract
core.abstract_eval_rules[custom_vjp_call] = _custom_vjp_call_abstract
custom_vjp_rules[custom_vjp_call] = custom_vjp_jvp

core.abstract_eval_rules[custom_lin] = _custom_lin_abstract
core.impl_rules[custom_lin] = _custom_lin_forward
jvp_rules[custom_lin] = _custom_lin_jvp
transpose_rules[custom_lin] = _custom_lin_transpose
batch_rules[custom_lin] = _custom_lin_batch
