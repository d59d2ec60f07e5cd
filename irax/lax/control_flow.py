"""irax.lax control flow: while_loop, fori_loop, scan, cond, switch (as jax.lax), and
checkpointed_while_loop (reverse mode through a bounded-but-dynamic loop with O(K log N)
memory by recursive checkpointing).

These take pytrees and Python functions, trace the functions into closure-converted
jaxprs and bind the `while` / `scan` / `cond` primitives of tracer/prims/control_flow.py.

Layering: user API; imports the tracer and irax.numpy.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import numpy as np

from .. import numpy as jnp
from .. import tree_util
from ..tracer import core, dtypes
from ..tracer.api import (jvp_keeping_int_tangents as api_jvp,
                          vjp_keeping_int_tangents as api_vjp)
from ..tracer.core import ShapedArray, get_aval
from ..tracer.custom import custom_vjp
from ..tracer.partial_eval import trace_const_free
from ..tracer.prims.control_flow import cond_p, eval_closed, scan_p, unify_consts, while_p
from ..tracer.prims import shape as sh
from ..tracer.prims.elementwise import clamp_p, convert_element_type, lt_p, ne_p
from . import cf_errors, ops
from .util import DiffSubset, coerce, flatten_arrays, fname

# ---------------------------------------------------------------------------
# while_loop, fori_loop, scan


def _stage_carry_fun(flat: Callable, extra_in_avals: Sequence[ShapedArray],
                     carry_avals: Sequence[ShapedArray], what: str, body_fun: Callable,
                     carry_tree):
    """Trace flat(*carry, *extra_in) -> (*carry_out, ...) whose carry outputs must match the
    carry types (else JAX's TypeError; what: "scan body" / "while_loop body"). Weakly typed
    carries that come back strongly typed are made strong (as JAX does). Returns (closed,
    consts, carry_avals)."""
    carry_avals = list(carry_avals)
    for _ in range(3):
        closed, consts = trace_const_free(flat, carry_avals + list(extra_in_avals))
        outs = closed.out_avals[:len(carry_avals)]
        # a weakly typed init (a Python scalar) takes the type the body gives it, as in JAX
        promoted = [_promote_weak(c, o) for c, o in zip(carry_avals, outs)]
        if promoted != carry_avals:
            carry_avals = promoted
            continue
        if any(c.shape != o.shape or c.dtype != o.dtype for c, o in zip(carry_avals, outs)):
            raise cf_errors.carry_type_error(what, body_fun, carry_tree, carry_avals, outs)
        new = [c.strip_weak() if c.weak_type and not o.weak_type else c
               for c, o in zip(carry_avals, outs)]
        if new == carry_avals:
            break
        carry_avals = new
    return closed, consts, carry_avals


def _promote_weak(c: ShapedArray, o: ShapedArray) -> ShapedArray:
    if not c.weak_type or c.shape != o.shape or c.dtype == o.dtype:
        return c
    dt, weak = dtypes.result_type((c.dtype, True), (o.dtype, o.weak_type))
    return c.update(dtype=dt, weak_type=weak)


def while_loop(cond_fun: Callable, body_fun: Callable, init_val: Any, *,
               max_steps: int | None = None, checkpoints: int | None = None) -> Any:
    """Call body_fun on the carry while cond_fun(carry) is True (as jax.lax.while_loop).

    With max_steps=N (and optionally checkpoints=K) this is checkpointed_while_loop: at most
    N iterations, reverse-mode differentiable with O(K log N) memory."""
    cf_errors.check_callables("while_loop", "body_fun and cond_fun arguments should be "
                              "callable.", [body_fun, cond_fun])
    if max_steps is not None:
        return checkpointed_while_loop(cond_fun, body_fun, init_val, max_steps=max_steps,
                                       checkpoints=checkpoints)
    leaves, tree = flatten_arrays(init_val, "while_loop init_val")
    carry_avals = [get_aval(x) for x in leaves]

    def body_flat(*xs):
        out = body_fun(tree_util.tree_unflatten(tree, xs))
        out_leaves, out_tree = flatten_arrays(
            out, f"output of while_loop body_fun {fname(body_fun)}")
        if out_tree != tree:
            error = cf_errors.carry_structure_error(
                "while_loop body", body_fun, tree, [get_aval(x) for x in xs], out_tree,
                [get_aval(x) for x in out_leaves])
            if error is not None:
                raise error
        return out_leaves
    body, bconsts, carry_avals = _stage_carry_fun(
        body_flat, [], carry_avals, "while_loop body", body_fun, tree)
    leaves = [coerce(x, a) for x, a in zip(leaves, carry_avals)]

    def cond_flat(*xs):
        p = cond_fun(tree_util.tree_unflatten(tree, xs))
        pl = tree_util.tree_leaves(p)
        if len(pl) != 1 or tree_util.tree_structure(p).num_nodes != 1:
            raise TypeError("cond_fun must return a boolean scalar, but got pytree "
                            f"{tree_util.tree_structure(p)}.")
        pa = get_aval(pl[0])
        if pa.shape != () or pa.dtype != np.bool_:
            shown = f"ShapedArray({cf_errors.type_str(pa)}{', weak_type=True' * pa.weak_type})"
            raise TypeError("cond_fun must return a boolean scalar, but got output type(s) "
                            f"[{shown}].")
        return [pl[0]]
    cond, cconsts = trace_const_free(cond_flat, carry_avals)
    return tree_util.tree_unflatten(tree, _bind_while(cond, cconsts, body, bconsts, leaves))


def _bind_while(cond: core.ClosedJaxpr, cconsts: list, body: core.ClosedJaxpr, bconsts: list,
                carry: list) -> list:
    """while_p on the carries, except that a carry the body returns unchanged and the
    condition does not read is a constant of the body (as JAX makes it): it stays unbatched
    under vmap even when the predicate is batched, and its final value is its initial one."""
    nc, nb, bj, cj = len(cconsts), len(bconsts), body.jaxpr, cond.jaxpr
    read_by_cond = {v for e in cj.eqns for v in e.inputs} | set(cj.outvars)
    fixed = [i for i in range(len(carry)) if bj.outvars[i] is bj.invars[nb + i]
             and cj.invars[nc + i] not in read_by_cond]
    if not fixed or len(fixed) == len(carry):
        return while_p.bind(*cconsts, *bconsts, *carry, cond_jaxpr=cond, body_jaxpr=body,
                            cond_nconsts=nc, body_nconsts=nb)
    moving = [i for i in range(len(carry)) if i not in fixed]
    cond2 = core.ClosedJaxpr(core.Jaxpr(
        [], [*cj.invars[:nc], *(cj.invars[nc + i] for i in moving)], cj.eqns, cj.outvars), [])
    body2 = core.ClosedJaxpr(core.Jaxpr(
        [], [*(bj.invars[nb + i] for i in fixed), *bj.invars[:nb],
             *(bj.invars[nb + i] for i in moving)],
        bj.eqns, [bj.outvars[i] for i in moving]), [])
    consts = [carry[i] for i in fixed]
    outs = iter(while_p.bind(*cconsts, *consts, *bconsts, *(carry[i] for i in moving),
                             cond_jaxpr=cond2, body_jaxpr=body2, cond_nconsts=nc,
                             body_nconsts=nb + len(fixed)))
    # the initial value itself, as JAX returns it (a Python scalar stays one)
    return [carry[i] if i in fixed else next(outs) for i in range(len(carry))]


def _concrete_int(x) -> int | None:
    """int(x) when x has a value now (JAX's test for a static trip count: a Python or
    NumPy number, or a traced value with a concrete primal, e.g. under eager grad), else
    None (a bound traced by jit)."""
    if isinstance(x, core.Tracer):
        x = core.concrete_or_none(x)
        if x is None:
            return None
    try:
        return int(np.asarray(x))
    except (TypeError, ValueError):
        return None


def _check_fori_bounds(lower, upper) -> None:
    """As JAX: equal dtypes, except that a weakly typed (Python) int bound takes the other
    bound's signed integer type."""
    la, ua = get_aval(lower), get_aval(upper)
    if la.dtype == ua.dtype:
        return
    if dtypes.kind(la.dtype) == dtypes.kind(ua.dtype) == "i" and la.weak_type != ua.weak_type:
        return
    raise TypeError("lower and upper arguments to fori_loop must have equal types, got "
                    f"{la.dtype.name} and {ua.dtype.name}")


def fori_loop(lower, upper, body_fun: Callable, init_val: Any, *,
              unroll: int | bool | None = None) -> Any:
    """body_fun(i, val) for i in [lower, upper). Static int bounds give a scan (reverse
    differentiable; `unroll` as scan's); traced bounds a while_loop (forward mode only)."""
    cf_errors.check_callables("fori_loop", "body_fun argument should be callable.", [body_fun])
    _check_fori_bounds(lower, upper)
    lo, hi = _concrete_int(lower), _concrete_int(upper)
    if lo is not None and hi is not None:   # a trip count known now: a scan (as JAX)
        i0 = lower

        def step(loop_carry, _):   # the name JAX's carry errors show: loop_carry[1]
            i, x = loop_carry
            return (i + 1, body_fun(i, x)), None
        (_, out), _ = scan(step, (i0, init_val), None, length=max(hi - lo, 0),
                           unroll=1 if unroll is None else unroll)
        return out
    if unroll is not None and unroll is not False and unroll != 1:
        raise ValueError("Can only use `unroll` in `fori_loop` if the loop bounds are "
                         "statically known.")
    lower, upper = jnp.asarray(lower), jnp.asarray(upper)
    dt = np.result_type(get_aval(lower).dtype, get_aval(upper).dtype)
    lower = coerce(lower, get_aval(lower).update(dtype=dt))
    upper = coerce(upper, get_aval(upper).update(dtype=dt))

    def cond_fun(c):   # lax's lt, as JAX's: a weakly typed lower bound is not converted
        return lt_p.bind(c[0], c[1])

    def body(c):
        i, u, x = c
        return i + 1, u, body_fun(i, x)
    return while_loop(cond_fun, body, (lower, upper, init_val))[2]


def scan(f: Callable, init: Any, xs: Any = None, length: int | None = None,
         reverse: bool = False, unroll: int = 1) -> tuple[Any, Any]:
    """As jax.lax.scan: carry, ys = f(carry, x) over the leading axis of xs."""
    cf_errors.check_callables("scan", "f argument should be a callable.", [f])
    init_leaves, init_tree = flatten_arrays(init, "scan init")
    x_leaves, x_tree = flatten_arrays(xs, "scan xs")
    n = _scan_length(x_leaves, length)
    k = _unroll_factor(unroll, n)
    if k > 1:
        return _scan_unrolled(f, init, xs, n, k, reverse)
    x_avals = [get_aval(x) for x in x_leaves]
    slice_avals = [ShapedArray(a.shape[1:], a.dtype, a.weak_type) for a in x_avals]
    ncar = len(init_leaves)
    store: dict = {}

    def body_flat(*args):
        carry = tree_util.tree_unflatten(init_tree, args[:ncar])
        x = tree_util.tree_unflatten(x_tree, args[ncar:])
        out = f(carry, x)
        if not (isinstance(out, (tuple, list)) and len(out) == 2):
            leaves, tree = tree_util.tree_flatten(out)
            shown = (cf_errors.types_of(tree, [get_aval(v) for v in leaves])
                     if all(core.is_array_like(v) for v in leaves) else repr(out))
            raise TypeError(f"scan body output must be a pair, got {shown}.")
        c_leaves, c_tree = flatten_arrays(out[0], f"carry output of scan body {fname(f)}")
        if c_tree != init_tree:
            error = cf_errors.carry_structure_error(
                "scan body", f, init_tree, [get_aval(x) for x in args[:ncar]], c_tree,
                [get_aval(x) for x in c_leaves])
            if error is not None:
                raise error
        y_leaves, store["ys"] = flatten_arrays(out[1], f"y output of scan body {fname(f)}")
        return c_leaves + y_leaves
    jaxpr, consts, carry_avals = _stage_carry_fun(body_flat, slice_avals,
                                                  [get_aval(x) for x in init_leaves],
                                                  "scan body", f, init_tree)
    init_leaves = [coerce(x, a) for x, a in zip(init_leaves, carry_avals)]
    outs = _bind_scan(jaxpr, consts, init_leaves, x_leaves, n, bool(reverse))
    return (tree_util.tree_unflatten(init_tree, outs[:ncar]),
            tree_util.tree_unflatten(store["ys"], outs[ncar:]))


def _bind_scan(jaxpr: core.ClosedJaxpr, consts: list, carry: list, xs: list, length: int,
               reverse: bool) -> list:
    """scan_p, except that a carry the body returns unchanged is a constant of the loop (as
    JAX forwards it): it stays unbatched under vmap and comes out as it went in."""
    nc, j = len(consts), jaxpr.jaxpr
    fixed = [i for i in range(len(carry)) if j.outvars[i] is j.invars[nc + i]]
    if not fixed:
        return scan_p.bind(*consts, *carry, *xs, jaxpr=jaxpr, num_consts=nc,
                           num_carry=len(carry), length=length, reverse=reverse)
    moving = [i for i in range(len(carry)) if i not in fixed]
    ins = j.invars
    regrouped = core.ClosedJaxpr(core.Jaxpr(
        [], [*ins[:nc], *(ins[nc + i] for i in fixed), *(ins[nc + i] for i in moving),
             *ins[nc + len(carry):]],
        j.eqns, [*(j.outvars[i] for i in moving), *j.outvars[len(carry):]]), [])
    outs = scan_p.bind(*consts, *(carry[i] for i in fixed), *(carry[i] for i in moving), *xs,
                       jaxpr=regrouped, num_consts=nc + len(fixed), num_carry=len(moving),
                       length=length, reverse=reverse)
    moved = iter(outs[:len(moving)])
    return [carry[i] if i in fixed else next(moved) for i in range(len(carry))] + \
        list(outs[len(moving):])


def _scan_length(x_leaves: list, length) -> int:
    """The number of iterations: the xs' common leading axis size and/or `length` (JAX's
    errors when they disagree or when there is neither)."""
    if any(not hasattr(x, "shape") for x in x_leaves):   # Python scalars in xs
        raise ValueError("scan got value with no leading axis to scan over: "
                         f"{', '.join(str(x) for x in x_leaves if not hasattr(x, 'shape'))}.")
    if any(get_aval(x).ndim == 0 for x in x_leaves):
        raise ValueError("scan got a scalar (0-d) value in xs; every xs leaf needs a leading "
                         "axis to scan over")
    sizes = [get_aval(x).shape[0] for x in x_leaves]
    if length is not None:
        if isinstance(length, core.Tracer):
            value = core.concrete_or_none(length)
            if value is None:
                raise core.ConcretizationTypeError(
                    "The `length` argument to `scan` expects a concrete `int` value. For "
                    "scan-like iteration with a dynamic length, use `while_loop` or "
                    "`fori_loop`.")
            length = value
        length = int(length)
        if any(s != length for s in sizes):
            raise ValueError(f"scan got `length` argument of {length} which disagrees with "
                             f"leading axis sizes {sizes}.")
        return length
    if len(set(sizes)) > 1:
        raise ValueError("scan got values with different leading axis sizes: "
                         f"{', '.join(str(s) for s in sizes)}.")
    if not sizes:
        raise ValueError("scan got no values to scan over and `length` not provided.")
    return sizes[0]


def _unroll_factor(unroll, n: int) -> int:
    """How many iterations run per rolled loop step (JAX's unroll: a bool, or an int >= 0
    where 0 means all)."""
    if isinstance(unroll, core.Tracer) and core.concrete_or_none(unroll) is None:
        raise core.ConcretizationTypeError(
            "The `unroll` argument to `scan` expects a concrete `int` or `bool` value, but got "
            f"a traced value {unroll!r}. Pass a Python int or bool.")
    if isinstance(unroll, (bool, np.bool_)):
        return max(n, 1) if unroll else 1
    if not isinstance(unroll, (int, np.integer)) and not (
            isinstance(unroll, (core.Array, np.ndarray)) and np.ndim(unroll) == 0
            and dtypes.kind(np.asarray(unroll).dtype) in "iu"):
        raise TypeError(f"`unroll` must be a `bool` or a non-negative `int`, got {unroll!r}")
    k = int(np.asarray(unroll))
    if k < 0:
        raise ValueError("`unroll` must be a `bool` or a non-negative `int`.")
    return max(n, 1) if k == 0 else min(k, max(n, 1))


def _scan_unrolled(f: Callable, init: Any, xs: Any, n: int, k: int, reverse: bool):
    """scan with k iterations of f per step: the same values, another schedule. A reverse
    scan is the forward scan of the reversed xs, with its ys reversed back."""
    x_leaves, x_tree = tree_util.tree_flatten(xs)
    if reverse:
        x_leaves = [sh.rev(x, (0,)) for x in x_leaves]

    def rows(x, lo, hi):
        a = get_aval(x)
        return sh.slice_(x, (lo, *[0] * (a.ndim - 1)), (hi, *a.shape[1:]))

    def row(x, j):
        return sh.reshape(rows(x, j, j + 1), get_aval(x).shape[1:])

    def stack(values):
        return sh.concatenate([sh.expand_dims(v, (0,)) for v in values], 0)

    main = (n // k) * k
    blocks = [sh.reshape(rows(x, 0, main), (n // k, k, *get_aval(x).shape[1:]))
              for x in x_leaves]

    def step(carry, blk):
        ys = []
        for j in range(k):
            carry, y = f(carry, tree_util.tree_unflatten(x_tree, [row(b, j) for b in blk]))
            ys.append(y)
        return carry, tree_util.tree_map(lambda *v: stack(v), *ys)

    carry, ys = scan(step, init, blocks, length=n // k)
    ys = tree_util.tree_map(lambda y: sh.reshape(y, (main, *get_aval(y).shape[2:])), ys)
    if main < n:
        rest = tree_util.tree_unflatten(x_tree, [rows(x, main, n) for x in x_leaves])
        carry, ys_rest = scan(f, carry, rest, length=n - main)
        ys = tree_util.tree_map(lambda a, b: sh.concatenate([a, b], 0), ys, ys_rest)
    if reverse:
        ys = tree_util.tree_map(lambda y: sh.rev(y, (0,)), ys)
    return carry, ys


def _stage_branches(branches: Sequence[Callable], operands: tuple, what: str,
                    pairs: Sequence[tuple[int, int, str, str]]):
    """Trace each branch on the operands; `pairs` (i, j, name_i, name_j) are the branches
    whose outputs are compared, and named, as JAX compares and names them."""
    leaves, tree = flatten_arrays(operands, f"{what} operands")
    avals = [get_aval(x) for x in leaves]
    traced, trees = [], []
    for br in branches:
        st: dict = {}

        def flat(*xs, br=br, st=st):
            out_leaves, st["tree"] = flatten_arrays(br(*tree_util.tree_unflatten(tree, xs)),
                                             f"output of {what} branch {fname(br)}")
            return out_leaves
        traced.append(trace_const_free(flat, avals))
        trees.append(st["tree"])
    for i, j, name_i, name_j in pairs:
        error = cf_errors.branch_mismatch_error(
            what, name_i, name_j, branches[i], branches[j], trees[i], traced[i][0].out_avals,
            trees[j], traced[j][0].out_avals)
        if error is not None:
            raise error
    outs0 = traced[0][0].out_avals
    # branches disagreeing on weak types: the result is strongly typed (as in JAX)
    target = [a.update(weak_type=all(c.out_avals[i].weak_type for c, _ in traced))
              for i, a in enumerate(outs0)]
    fixed = []
    for (c, consts), br in zip(traced, branches):
        if any(a.weak_type != t.weak_type for a, t in zip(c.out_avals, target)):
            def coerced(*xs, c=c):
                return [coerce(o, t) for o, t in zip(eval_closed(c, xs), target)]
            c2, consts2 = trace_const_free(coerced, [get_aval(x) for x in consts] + avals)
            fixed.append((c2, consts2 + consts))
        else:
            fixed.append((c, consts))
    new, consts = unify_consts(fixed)
    return new, consts, leaves, trees[0]


def _as_value(x: Any) -> Any:
    """A forwarded operand as cond returns it: an irax value (a Python or NumPy scalar
    becomes an Array of its irax type, weakly typed for a Python scalar)."""
    return x if isinstance(x, (core.Tracer, core.Array)) else jnp.asarray(x)


def _bind_cond(index, consts: list, leaves: list, branches: list) -> list:
    """cond_p over the branches, except for outputs every branch passes through from the
    same operand: those are that operand (as JAX prunes them), so they stay unbatched under
    vmap and are not copied."""
    operands = [*consts, *leaves]
    forwarded = {}
    for k in range(len(branches[0].jaxpr.outvars)):
        srcs = {next((m for m, v in enumerate(br.jaxpr.invars) if v is br.jaxpr.outvars[k]),
                     None) for br in branches}
        if len(srcs) == 1 and None not in srcs:
            forwarded[k] = srcs.pop()
    if not forwarded:
        return cond_p.bind(index, *operands, branches=tuple(branches))
    keep = [k for k in range(len(branches[0].jaxpr.outvars)) if k not in forwarded]
    pruned = tuple(core.ClosedJaxpr(core.Jaxpr(br.jaxpr.constvars, br.jaxpr.invars,
                                               br.jaxpr.eqns,
                                               [br.jaxpr.outvars[k] for k in keep]),
                                    br.consts) for br in branches)
    outs = iter(cond_p.bind(index, *operands, branches=pruned))   # bound even with no
    # outputs left: a branch may print or call back
    return [_as_value(operands[forwarded[k]]) if k in forwarded else next(outs)
            for k in range(len(branches[0].jaxpr.outvars))]


def switch(index, branches: Sequence[Callable], *operands) -> Any:
    """branches[clamp(index, 0, len-1)](*operands), staged as one `cond`."""
    branches = list(branches)
    cf_errors.check_callables("switch", "branches argument should be a sequence of "
                              "callables.", branches)
    if np.ndim(index) != 0:
        raise TypeError(f"Branch index must be scalar, got {index} of shape "
                        f"{np.shape(index)}.")
    if not core.is_array_like(index) or isinstance(index, str):
        raise TypeError(f"Index type must be an integer, got {index}.")
    index = jnp.asarray(index)
    ia = get_aval(index)
    if dtypes.kind(ia.dtype) not in "iu":
        raise TypeError(f"Index type must be an integer, got {index} as {ia.dtype}")
    if not branches:
        raise ValueError("Empty branch sequence")
    index = convert_element_type(index, np.int32, False)
    index = clamp_p.bind(np.int32(0), index, np.int32(len(branches) - 1))
    pairs = [(0, k, "branch 0", f"branch{k}") for k in range(1, len(branches))]
    new, consts, leaves, tree = _stage_branches(branches, operands, "switch", pairs)
    outs = _bind_cond(index, consts, leaves, new)
    return tree_util.tree_unflatten(tree, outs)


def cond(pred, true_fun: Callable, false_fun: Callable, *operands) -> Any:
    """true_fun(*operands) if pred else false_fun(*operands), staged as one `cond`."""
    cf_errors.check_callables("cond", "true_fun and false_fun arguments should be callable.",
                              [true_fun, false_fun])
    if pred is None:
        raise TypeError("cond predicate is None")
    if isinstance(pred, Sequence) or np.ndim(pred) != 0:
        raise TypeError(f"Pred must be a scalar, got {pred} of "
                        + (f"type {type(pred)}" if isinstance(pred, Sequence)
                           else f"shape {np.shape(pred)}."))
    if not core.is_array_like(pred):
        raise TypeError(f"Pred type must be either boolean or number, got {pred}.")
    pred = jnp.asarray(pred)
    pa = get_aval(pred)
    if pa.dtype.kind not in "biuf":
        raise TypeError(f"Pred type must be either boolean or number, got {pa.dtype}.")
    if pa.dtype != np.bool_:
        pred = ne_p.bind(pred, jnp.asarray(0, dtype=pa.dtype))
    index = convert_element_type(pred, np.int32, False)
    new, consts, leaves, tree = _stage_branches([false_fun, true_fun], operands, "cond",
                                                [(1, 0, "true_fun", "false_fun")])
    outs = _bind_cond(index, consts, leaves, new)
    return tree_util.tree_unflatten(tree, outs)


# ---------------------------------------------------------------------------
# checkpointed_while_loop: reverse mode through a loop of dynamic length <= max_steps


class _CkptSpec:
    def __init__(self, cond, body, ncc: int, max_steps: int, k: int):
        self.cond, self.body, self.ncc = cond, body, ncc
        self.max_steps, self.k = max_steps, k

    def step(self, theta, carry):
        return tuple(eval_closed(self.body, [*theta[self.ncc:], *carry]))

    def pred(self, theta, carry):
        return eval_closed(self.cond, [*theta[:self.ncc], *carry])[0]


def _ckpt_fun(spec: _CkptSpec, theta, carry0):
    def cond_fun(c):
        i, x = c
        return jnp.logical_and(i < spec.max_steps, spec.pred(theta, x))

    def body_fun(c):
        i, x = c
        return i + 1, spec.step(theta, x)
    _, x = while_loop(cond_fun, body_fun, (jnp.asarray(0, np.int32), tuple(carry0)))
    return tuple(x)


def _seg_len(n: int, k: int) -> int:
    return -(-n // k)


def _ckpt_fwd(spec: _CkptSpec, theta, carry0):
    """Run the loop once, storing the carry at the start of every segment of S steps."""
    k = spec.k
    s = _seg_len(spec.max_steps, k)
    bufs = tuple(jnp.zeros((k, *get_aval(c).shape), get_aval(c).dtype) for c in carry0)

    def cond_fun(c):
        i, x, _ = c
        return jnp.logical_and(i < spec.max_steps, spec.pred(theta, x))

    def body_fun(c):
        i, x, b = c

        def store(b):
            return tuple(ops.dynamic_update_slice(bb, jnp.expand_dims(xx, 0),
                                                  (i // s,) + (0,) * get_aval(xx).ndim)
                         for bb, xx in zip(b, x))
        b = cond(i % s == 0, store, lambda b: tuple(b), b)
        return i + 1, spec.step(theta, x), b
    n, x, bufs = while_loop(cond_fun, body_fun, (jnp.asarray(0, np.int32), tuple(carry0), bufs))
    return tuple(x), (theta, n, bufs)


def _masked_steps(spec: _CkptSpec, theta, x, start, length: int, n):
    """`length` loop steps from global step `start`; steps at index >= n do nothing."""
    def one(c, j):
        return cond(start + j < n, lambda c: spec.step(theta, c), lambda c: tuple(c), c), None
    out, _ = scan(one, tuple(x), jnp.arange(length, dtype=np.int32))
    return out


def _seg_vjp(spec: _CkptSpec, theta, x, start, length: int, n, ct):
    """Cotangents (theta, x) of `length` masked steps from x, by recursive checkpointing:
    at most spec.k stored carries per level, ceil(log_k(length)) levels."""
    k = spec.k
    diff = DiffSubset(theta)

    if length <= k:
        _, pull = api_vjp(lambda dth, xx: _masked_steps(spec, diff.substitute(dth), xx, start,
                                                        length, n),
                          diff.pick(), tuple(x))
        return pull(tuple(ct))
    s = _seg_len(length, k)
    m = _seg_len(length, s)
    n = jnp.minimum(n, start + length)   # m * s may overshoot this segment's end

    def fwd_seg(c, j):
        return _masked_steps(spec, theta, c, start + j * s, s, n), tuple(c)
    _, ckpts = scan(fwd_seg, tuple(x), jnp.arange(m, dtype=np.int32))

    def bwd_seg(c, inp):
        ct_th, ct_x = c
        j, xj = inp
        g_th, g_x = _seg_vjp(spec, theta, xj, start + j * s, s, n, ct_x)
        return (tuple(a + b for a, b in zip(ct_th, g_th)), tuple(g_x)), None
    zeros_th = tuple(jnp.zeros_like(t) for t in diff.pick())
    (ct_th, ct_x), _ = scan(bwd_seg, (zeros_th, tuple(ct)),
                            (jnp.arange(m, dtype=np.int32), ckpts), reverse=True)
    return ct_th, ct_x


def _ckpt_bwd(spec: _CkptSpec, res, ct):
    theta, n, bufs = res
    k = spec.k
    s = _seg_len(spec.max_steps, k)
    diff = DiffSubset(theta)

    def bwd_seg(c, inp):
        ct_th, ct_x = c
        j, xj = inp

        def active(c):
            ct_th, ct_x = c
            g_th, g_x = _seg_vjp(spec, theta, xj, j * s, s, n, ct_x)
            return tuple(a + b for a, b in zip(ct_th, g_th)), tuple(g_x)
        return cond(j * s < n, active, lambda c: c, (ct_th, ct_x)), None
    zeros_th = tuple(jnp.zeros_like(t) for t in diff.pick())
    (ct_th, ct_x), _ = scan(bwd_seg, (zeros_th, tuple(ct)),
                            (jnp.arange(k, dtype=np.int32), bufs), reverse=True)
    return diff.scatter(ct_th), tuple(ct_x)


def _ckpt_jvp(spec: _CkptSpec, primals, tangents):
    theta, carry = primals
    dtheta, dcarry = tangents
    return api_jvp(lambda th, c: _ckpt_fun(spec, th, c), (tuple(theta), tuple(carry)),
                   (tuple(dtheta), tuple(dcarry)))


_CKPT: list = []


def checkpointed_while_loop(cond_fun: Callable, body_fun: Callable, init_val: Any, *,
                            max_steps: int, checkpoints: int | None = None) -> Any:
    """while_loop with at most `max_steps` iterations that supports reverse mode.

    The forward pass runs the loop once (stopping early when cond_fun is False) and stores
    the carry every ceil(max_steps / K) steps (K = checkpoints, default ceil(sqrt(max_steps)),
    at least 2). The backward pass recomputes each segment from its checkpoint, splitting it
    recursively into at most K sub-segments, so memory is O(K log_K max_steps) carries
    instead of O(steps), at the price of about log_K(max_steps) extra forward passes.
    Gradients equal those of the unrolled loop. Values cond_fun/body_fun close over are
    differentiated too."""
    max_steps = int(max_steps)
    if max_steps < 1:
        raise ValueError(f"checkpointed_while_loop needs max_steps >= 1, got {max_steps}")
    k = int(checkpoints) if checkpoints is not None else max(2, math.isqrt(max_steps - 1) + 1)
    if k < 2:
        raise ValueError(f"checkpointed_while_loop needs checkpoints >= 2, got {k}")
    k = min(k, max_steps)
    leaves, tree = flatten_arrays(init_val, "checkpointed_while_loop init_val")
    leaves = [jnp.asarray(x) for x in leaves]

    def body_flat(*xs):
        out_leaves, out_tree = flatten_arrays(body_fun(tree_util.tree_unflatten(tree, xs)),
                                       "output of body_fun")
        if out_tree != tree:
            raise TypeError(f"checkpointed_while_loop body_fun must return a carry with the "
                            f"structure of init_val, {tree}, but returned {out_tree}")
        return out_leaves
    body, bconsts, avals = _stage_carry_fun(body_flat, [], [get_aval(x) for x in leaves],
                                            "checkpointed_while_loop body", body_fun, tree)
    leaves = [coerce(x, a) for x, a in zip(leaves, avals)]

    def cond_flat(*xs):
        p = tree_util.tree_leaves(cond_fun(tree_util.tree_unflatten(tree, xs)))
        if len(p) != 1 or get_aval(p[0]).shape != () or get_aval(p[0]).dtype != np.bool_:
            raise TypeError("checkpointed_while_loop cond_fun must return a boolean scalar")
        return p
    cj, cconsts = trace_const_free(cond_flat, avals)
    spec = _CkptSpec(cj, body, len(cconsts), max_steps, k)
    if not _CKPT:
        loop = custom_vjp(_ckpt_fun, nondiff_argnums=(0,))
        loop.defvjp(_ckpt_fwd, _ckpt_bwd)
        loop.defjvp(_ckpt_jvp)
        _CKPT.append(loop)
    out = _CKPT[0](spec, (*cconsts, *bconsts), tuple(leaves))
    return tree_util.tree_unflatten(tree, list(out))
