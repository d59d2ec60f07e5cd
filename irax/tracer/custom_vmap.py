"""custom_vmap: a Python function with a user-defined batching rule (JAX's
jax.custom_batching.custom_vmap), and its primitive `custom_vmap_call`.

    @custom_vmap
    def f(x, y): ...
    @f.def_vmap
    def rule(axis_size, in_batched, xs, ys):   # in_batched: a list, one pytree per argument
        return out, out_batched                # out_batched: bools with out's structure

Called outside any transformation, f just runs. Under a transformation f is staged into a
custom_vmap_call equation holding its body (a const-free jaxpr) and a flat rule; the
equation's rules (all in the block at the end):
  * impl / lowering: the body, evaluated / inlined;
  * batching: the user's rule, on the batched arguments (moved to axis 0);
  * jvp (forward mode): as JAX, a custom_vmap_call of the jvp of the body whose rule is
    the jvp of the user's rule (so vmap of jvp and jvp of vmap both differentiate the rule);
  * jvp under reverse mode (grad, vjp, linearize): the jvp of the body, inlined. JAX
    refuses reverse mode here ("Linearization failed to produce known values"); irax
    differentiates the function, so grad(f) works, and vmap(grad(f)) batches the body and
    its derivative by the ordinary rules (the custom rule is not used there; the body is
    computed once, so its side effects, e.g. debug.print, happen once).

Layering: beside custom.py, above the transformations (registers rules in their tables).
"""
from __future__ import annotations

import functools
from typing import Any, Callable, Sequence

from .. import tree_util
from . import core
from .ad_util import Zero, instantiate_all, is_differentiable, tangent_aval
from .batching import batch_rules, vmap_flat
from .core import ClosedJaxpr, Primitive, ShapedArray, get_aval, set_current_trace
from .custom import forward_attr, resolve_kwargs
from .jvp import jvp_flat, jvp_rules
from .partial_eval import is_linearizing, trace_const_free
from .rules import BDim, Tangent, Value

# a flat rule: rule(axis_size, in_batched: list[bool], args: list) -> (outs, out_batched)
FlatRule = Callable[[int, list, list], tuple[list, list]]

custom_vmap_call = Primitive("custom_vmap_call", multiple_results=True,
                             impl_takes_arrays=True)


def _name(f: Any) -> str:
    return getattr(f, "__name__", "<unnamed rule>")


class custom_vmap:
    """Customize the vmap behaviour of a function: under vmap, the rule given with
    def_vmap runs instead of batching the function's operations."""

    def __init__(self, fun: Callable[..., Any]):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.vmap_rule: Callable[..., tuple[Any, Any]] | None = None

    __getattr__ = forward_attr

    def def_vmap(self, vmap_rule: Callable[..., tuple[Any, Any]]
                 ) -> Callable[..., tuple[Any, Any]]:
        """rule(axis_size, in_batched, *args) -> (out, out_batched); returns the rule."""
        self.vmap_rule = vmap_rule
        return vmap_rule

    def __get__(self, obj, objtype=None):
        return self if obj is None else functools.partial(self, obj)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        name = _name(self.fun)
        args = resolve_kwargs(self.fun, args, kwargs, "custom_vmap")
        if self.vmap_rule is None:
            raise AttributeError(f"No batching rule defined for custom_vmap function {name} "
                                 "using def_vmap.")
        if isinstance(core.current_trace(), core.EvalTrace):
            return self.fun(*args)   # what evaluating its staged body would compute
        leaves, in_tree = tree_util.tree_flatten(args)
        out_trees: list[Any] = []

        def flat_fun(*xs):
            out = self.fun(*tree_util.tree_unflatten(in_tree, xs))
            out_leaves, out_tree = tree_util.tree_flatten(out)
            out_trees.append(out_tree)
            return out_leaves
        flat_fun.__name__ = name
        closed, consts = trace_const_free(flat_fun, [get_aval(x) for x in leaves],
                                          description=f"custom_vmap function {name}")
        rule = _flat_user_rule(self.vmap_rule, len(consts), in_tree, out_trees[0])
        outs = custom_vmap_call.bind(*consts, *leaves, call=closed, rule=rule)
        return tree_util.tree_unflatten(out_trees[0], outs)


def _flat_user_rule(rule: Callable, num_consts: int, in_tree, out_tree) -> FlatRule:
    """The user's pytree rule as a flat rule over [*consts, *argument leaves]."""
    def flat_rule(axis_size, in_batched, args):
        if any(in_batched[:num_consts]):
            raise NotImplementedError(
                f"custom_vmap function with rule {_name(rule)} closes over a value that is "
                "batched by an enclosing vmap; pass that value as an argument instead")
        batched = list(tree_util.tree_unflatten(in_tree, list(in_batched[num_consts:])))
        result = rule(axis_size, batched, *tree_util.tree_unflatten(in_tree,
                                                                  args[num_consts:]))
        if not (isinstance(result, (tuple, list)) and len(result) == 2):
            raise TypeError(f"custom vmap rule ({_name(rule)}) must return a pair (batched "
                            f"output, output batching specification), got {result!r}")
        out, out_batched = result
        flat_out, tree1 = tree_util.tree_flatten(out)
        flat_batched, tree2 = tree_util.tree_flatten(out_batched)
        if tree1 != tree2:
            raise ValueError("structure of output value and output batching specification "
                             f"returned by custom vmap rule ({_name(rule)}) do not match.\n"
                             f"Output values: {tree1}\nBatching spec: {tree2}")
        if tree1 != out_tree:
            raise ValueError(f"structure of output returned by custom vmap rule "
                             f"({_name(rule)}) does not match that of original "
                             f"custom-vmapped function.\nOriginal output: {out_tree}\n"
                             f"Rule output: {tree1}")
        return flat_out, [bool(b) for b in flat_batched]
    flat_rule.__name__ = _name(rule)
    return flat_rule


# ---------------------------------------------------------------------------
# custom_vmap_call: impl, abstract eval, batching, jvp


def _body(call: ClosedJaxpr) -> Callable[..., list[Any]]:
    def run(*args):
        return core.eval_jaxpr(call.jaxpr, call.consts, args)
    return run


def _impl(*args: Value, call: ClosedJaxpr, rule: FlatRule) -> list[Value]:
    with set_current_trace(core.EvalTrace()):
        return _body(call)(*args)


def _abstract(*avals: ShapedArray, call: ClosedJaxpr, rule: FlatRule) -> list[ShapedArray]:
    return list(call.out_avals)


def _batch(axis_size: int, vals: Sequence[Value], dims: Sequence[BDim], *,
           call: ClosedJaxpr, rule: FlatRule) -> tuple[list[Value], list[BDim]]:
    # batched values carry their batch axis at 0 (irax's batching invariant)
    outs, out_batched = rule(axis_size, [d is not None for d in dims], list(vals))
    for i, (o, b, a) in enumerate(zip(outs, out_batched, call.out_avals)):
        want = (axis_size, *a.shape) if b else tuple(a.shape)
        if tuple(get_aval(o).shape) != want:
            raise ValueError(f"custom vmap rule ({_name(rule)}) output {i} has shape "
                             f"{get_aval(o).shape}; expected {want} (the function's output "
                             f"shape, with a leading axis of size {axis_size} where the rule "
                             "says it is batched)")
    return list(outs), [0 if b else None for b in out_batched]


def _jvp_of_rule(rule: FlatRule, n: int) -> FlatRule:
    """The batching rule of the jvp of a custom_vmap function (JAX's): the user's rule sees
    batched the inputs whose primal and tangent are both batched; those batched on one side
    only are vmapped over around a jvp of the rule."""
    def jvp_rule(axis_size, in_batched, args):
        pb, tb = in_batched[:n], in_batched[n:]
        mutual = [p and t for p, t in zip(pb, tb)]
        extra = ([0 if p and not t else None for p, t in zip(pb, tb)]
                 + [0 if t and not p else None for p, t in zip(pb, tb)])
        rule_batched: list[list[bool]] = []

        def rule_on_primals(*ps):
            outs, ob = rule(axis_size, mutual, list(ps))
            rule_batched[:] = [ob]
            return outs

        def jvp_of_it(*ps_ts):
            p_out, t_out = jvp_flat(rule_on_primals, ps_ts[:n], _diff_tangents(ps_ts, n))
            return [*p_out, *instantiate_all(t_out)]
        outs, dims = vmap_flat(jvp_of_it, list(args), extra, axis_size)
        m = len(outs) // 2
        ob = rule_batched[0]
        out_batched = ([b or d is not None for b, d in zip(ob, dims[:m])]
                       + [b or d is not None for b, d in zip(ob, dims[m:])])
        # (an output batched by both would carry two batch axes; as in JAX, a rule that
        # batches an output from inputs the vmap leaves unbatched does not do that)
        return outs, out_batched
    jvp_rule.__name__ = f"jvp_of_{_name(rule)}"
    return jvp_rule


def _diff_tangents(ps_ts: Sequence[Value], n: int) -> list[Tangent]:
    """The tangents of [*primals, *tangents], with a symbolic Zero for each integer or
    boolean primal (the call passes a placeholder tangent there, as JAX passes float0)."""
    return [t if is_differentiable(get_aval(p)) else Zero(tangent_aval(get_aval(p)))
            for p, t in zip(ps_ts[:n], ps_ts[n:])]


def _jvp(primals: Sequence[Value], tangents: Sequence[Tangent], *, call: ClosedJaxpr,
         rule: FlatRule) -> tuple[list[Value], list[Tangent]]:
    if is_linearizing(tangents):   # reverse mode: see the module docstring
        return jvp_flat(_body(call), primals, tangents)
    n = len(primals)
    avals = [get_aval(p) for p in primals]

    def jvp_body(*ps_ts):
        p_out, t_out = jvp_flat(_body(call), ps_ts[:n], _diff_tangents(ps_ts, n))
        return [*p_out, *instantiate_all(t_out)]
    jvp_call, consts = trace_const_free(jvp_body, [*avals, *avals], parent=core.EvalTrace())
    assert not consts   # the body is const-free
    outs = custom_vmap_call.bind(*primals, *instantiate_all(tangents), call=jvp_call,
                                 rule=_jvp_of_rule(rule, n))
    m = len(outs) // 2
    # integer/boolean outputs have no tangent (their slot carries zeros): symbolic Zero
    t_out = [t if is_differentiable(get_aval(o)) else Zero(tangent_aval(get_aval(o)))
             for o, t in zip(outs[:m], outs[m:])]
    return outs[:m], t_out


core.abstract_eval_rules[custom_vmap_call] = _abstract
core.impl_rules[custom_vmap_call] = _impl
batch_rules[custom_vmap_call] = _batch
jvp_rules[custom_vmap_call] = _jvp
