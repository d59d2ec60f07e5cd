"""The user-facing transformations: jvp, linearize, vjp, grad, value_and_grad, jacfwd,
jacrev, hessian, vmap, make_jaxpr. Each flattens pytrees and calls a flat core routine.

Layering: the top of irax/tracer (irax/__init__ exports these names); imports the
transformations, the primitive families and irax.tree_util.
"""
from __future__ import annotations

import collections
import functools
import inspect
from typing import Any, Callable, Sequence

import numpy as np

from .. import tree_util
from . import core, dtypes
from .ad_util import Zero, instantiate, is_differentiable, tangent_aval, zeros_like_aval
from .avals import type_str
from .batching import BatchTracer, bdim_to_front, move_axis, vmap_flat
from .core import Array, ShapeDtypeStruct, get_aval
from .jvp import JVPTracer, jvp_flat
from .partial_eval import linearize_flat, trace_to_jaxpr
from .prims.elementwise import convert_element_type
from .prims.shape import full, reshape, slice_, transpose
from .transpose import backward_pass


# ---------------------------------------------------------------------------
# Helpers


def _check_leaves(leaves, what: str) -> None:
    for x in leaves:
        if not core.is_array_like(x):
            raise TypeError(f"{what}: argument {x!r} of type {type(x).__name__} is not a valid "
                            "irax type (arrays, Python scalars and pytrees of them)")


def _fname(f) -> str:
    return getattr(f, "__name__", repr(f))


class _OutStore:
    tree = None


def _flat_fun(fun: Callable, in_tree, store: _OutStore, has_aux: bool = False,
              aux_store: list | None = None):
    def flat(*leaves):
        out = fun(*tree_util.tree_unflatten(in_tree, leaves))
        if has_aux:
            if not (isinstance(out, (tuple, list)) and len(out) == 2):
                raise TypeError("expected function with aux output to return a two-element "
                                f"tuple, but got type {type(out)} with value {out!r}")
            out, aux = out
            aux_store.append(aux)
        leaves_out, store.tree = tree_util.tree_flatten(out)
        _check_leaves(leaves_out, f"output of {_fname(fun)}")
        return leaves_out
    return flat


def _as_array(x):
    return x if isinstance(x, (core.Tracer, Array)) else _to_array(x)


def _to_array(x):
    aval = get_aval(x)
    return Array(np.asarray(x, dtype=aval.dtype), aval.weak_type)


FLOAT0 = dtypes.FLOAT0


def _public_tangent(t, primal_aval):
    """A tangent or cotangent as jvp / vjp / grad return it: float0 zeros (a NumPy array, as
    in JAX) for an integer or boolean primal, an irax Array otherwise."""
    if not is_differentiable(primal_aval):
        return np.zeros(primal_aval.shape, FLOAT0)
    return _as_array(t)


def _lower_aux(aux):
    """Auxiliary outputs leave a transformation as plain values (not differentiated, as in
    JAX): unwrap the tracers of traces that have finished."""
    live = {id(t) for t in core.current_trace().ancestors()}

    def lower(x):
        while isinstance(x, core.Tracer) and id(x._trace) not in live:
            if isinstance(x, JVPTracer):
                x = x.primal
            elif isinstance(x, BatchTracer) and x.bdim is None:
                x = x.val
            else:
                break
        return _as_array(x) if core.is_array_like(x) and not isinstance(x, core.Tracer) else x
    return tree_util.tree_map(lower, aux)


# ---------------------------------------------------------------------------
# Forward mode


def jvp(fun: Callable, primals: Sequence[Any], tangents: Sequence[Any], has_aux: bool = False):
    """(fun(*primals), J·tangents); the tangent of an integer or boolean output is float0
    zeros, as in JAX."""
    p_out, t_out, tree, aux = _jvp(fun, primals, tangents, has_aux)
    t_out = [_public_tangent(t, get_aval(p)) for t, p in zip(t_out, p_out)]
    outs = tree_util.tree_unflatten(tree, p_out), tree_util.tree_unflatten(tree, t_out)
    return (*outs, aux) if has_aux else outs


def jvp_keeping_int_tangents(fun: Callable, primals: Sequence[Any], tangents: Sequence[Any]):
    """jvp whose integer outputs get integer zero tangents (for irax's own rules, which
    combine tangents arithmetically)."""
    p_out, t_out, tree, _ = _jvp(fun, primals, tangents, False)
    return tree_util.tree_unflatten(tree, p_out), tree_util.tree_unflatten(tree, t_out)


def _jvp(fun: Callable, primals: Sequence[Any], tangents: Sequence[Any], has_aux: bool):
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError("primal and tangent arguments to jax.jvp must be tuples or lists; "
                        f"found {type(primals).__name__} and {type(tangents).__name__}.")
    p_leaves, p_tree = tree_util.tree_flatten(primals)   # a tuple and a list differ
    t_leaves, t_tree = tree_util.tree_flatten(tangents)
    if p_tree != t_tree:
        raise TypeError(f"primal and tangent arguments to jax.jvp must have the same tree "
                        f"structure; primals have tree structure {p_tree} whereas tangents have "
                        f"tree structure {t_tree}.")
    p_tree = tree_util.tree_structure(tuple(primals))
    _check_leaves(p_leaves, "jvp primals")
    for i, (p, t) in enumerate(zip(p_leaves, t_leaves)):
        pa, ta = get_aval(p), get_aval(t)
        if pa.shape != ta.shape:
            raise ValueError(f"jvp called with different primal and tangent shapes;Got primal "
                             f"shape {pa.shape} and tangent shape as {ta.shape}")
        if pa.dtype != ta.dtype and is_differentiable(pa):
            raise TypeError("primal and tangent arguments to jax.jvp do not match; dtypes must "
                            "be equal, or in case of int/bool primal dtype the tangent dtype "
                            f"must be float0.Got primal dtype {pa.dtype.name} and so expected "
                            f"tangent dtype {pa.dtype.name}, but got tangent dtype "
                            f"{ta.dtype.name} instead.")
    store, aux = _OutStore(), []
    flat = _flat_fun(fun, p_tree, store, has_aux, aux)
    tangents_in = [t if is_differentiable(get_aval(p)) else Zero(get_aval(p))
                   for p, t in zip(p_leaves, t_leaves)]
    p_out, t_out = jvp_flat(flat, p_leaves, tangents_in)
    p_out = [_as_array(x) for x in p_out]
    t_out = [_as_array(instantiate(t)) for t in t_out]
    return p_out, t_out, store.tree, (_lower_aux(aux[0]) if has_aux else None)


def linearize(fun: Callable, *primals: Any, has_aux: bool = False):
    """(fun(*primals), f_jvp) where f_jvp evaluates the linear map at new tangents."""
    p_leaves, p_tree = tree_util.tree_flatten(primals)
    _check_leaves(p_leaves, "linearize primals")
    store, aux = _OutStore(), []
    flat = _flat_fun(fun, p_tree, store, has_aux, aux)
    out, linear, nonzero = linearize_flat(flat, p_leaves, forward_only=True)
    out_tree = store.tree
    out_avals = [tangent_aval(get_aval(o)) for o in out]

    def f_jvp(*tangents):
        t_leaves, t_tree = tree_util.tree_flatten(tangents)
        if t_tree != p_tree:
            raise TypeError(f"linearized function expects tangents with structure {p_tree}, "
                            f"got {t_tree}")
        res = iter(core.eval_jaxpr(linear.jaxpr, linear.consts, t_leaves))
        t_out = [next(res) if nz else zeros_like_aval(a) for nz, a in zip(nonzero, out_avals)]
        return tree_util.tree_unflatten(out_tree, [_public_tangent(t, a)
                                                   for t, a in zip(t_out, out_avals)])

    primal_out = tree_util.tree_unflatten(out_tree, [_as_array(o) for o in out])
    return (primal_out, f_jvp, _lower_aux(aux[0])) if has_aux else (primal_out, f_jvp)


# ---------------------------------------------------------------------------
# Reverse mode


def vjp(fun: Callable, *primals: Any, has_aux: bool = False):
    """(fun(*primals), vjp_fun) where vjp_fun(cotangent) = cotangent·J, as a tuple per arg;
    the cotangent of an integer or boolean argument is float0 zeros, as in JAX."""
    return _vjp(fun, primals, has_aux, float0_ints=True)


def vjp_keeping_int_tangents(fun: Callable, *primals: Any):
    """vjp whose pullback gives integer arguments integer zero cotangents (for irax's own
    rules, which carry cotangents through loops and sums)."""
    return _vjp(fun, primals, False, float0_ints=False)


def _vjp(fun: Callable, primals: tuple, has_aux: bool, float0_ints: bool):
    p_leaves, p_tree = tree_util.tree_flatten(primals)
    _check_leaves(p_leaves, f"vjp of {_fname(fun)}")
    in_avals = [get_aval(p) for p in p_leaves]
    store, aux = _OutStore(), []
    flat = _flat_fun(fun, p_tree, store, has_aux, aux)
    out, linear, nonzero = linearize_flat(flat, p_leaves)
    pullback = _VjpPullback(_fname(fun), linear.jaxpr, nonzero, store.tree,
                            [get_aval(o) for o in out], p_tree, in_avals, float0_ints,
                            _source_info(fun))
    vjp_fun = VjpFunction(pullback, [_as_array(c) for c in linear.consts])
    out_tree = store.tree

    primal_out = tree_util.tree_unflatten(out_tree, [_as_array(o) for o in out])
    return (primal_out, vjp_fun, _lower_aux(aux[0])) if has_aux else (primal_out, vjp_fun)


def _cast_ct(ct, aval):
    ca = get_aval(ct)
    # JAX's transpose rules give a real argument's cotangent the argument's weak type; a
    # complex one keeps the type the rules built (the transpose of real/imag is a typed
    # complex: grad(f)(3. + 4j) is complex64, not weak)
    weak_differs = ca.weak_type != aval.weak_type and dtypes.kind(aval.dtype) != "c"
    if ca.dtype != aval.dtype or weak_differs:
        if is_differentiable(aval):
            ct = convert_element_type(ct, aval.dtype, aval.weak_type)
    return _as_array(ct)


def _check_argnums(argnums, nargs: int, fname: str, too_few: type = ValueError) -> tuple[int, ...]:
    """Normalized argnums. An index past the arguments raises `too_few` (TypeError for grad and
    value_and_grad: the caller passed too few arguments, as in JAX), one below -nargs
    ValueError."""
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    for a in nums:
        if not isinstance(a, int):
            raise TypeError(f"argnums must be an int or a sequence of ints, got {argnums!r}")
        if a >= nargs:
            raise too_few(f"differentiating with respect to argnums={argnums} requires at "
                          f"least {max(nums) + 1} positional arguments to be passed by the "
                          f"caller, but got only {nargs} positional arguments.")
        if a < -nargs:
            raise ValueError(f"argnums {argnums} out of range for {fname}, which was called "
                             f"with {nargs} positional argument(s)")
    return tuple(a % nargs for a in nums)


def _check_rev_input(name: str, holomorphic: bool, allow_int: bool, aval, where: str = ""):
    """JAX's input rules for grad and jacrev (complex inputs need no promise of
    holomorphy: the result is then the conjugate gradient, see _check_rev_output)."""
    if holomorphic and dtypes.kind(aval.dtype) != "c":
        raise TypeError(f"{name} with holomorphic=True requires inputs with complex dtype, "
                        f"but got {aval.dtype.name}{where}.")
    if not is_differentiable(aval) and not allow_int:
        raise TypeError(
            f"{name} requires real- or complex-valued inputs (input dtype that is a "
            f"sub-dtype of np.inexact), but got {aval.dtype.name}{where}. If you want to use "
            "Boolean- or integer-valued inputs, use vjp or set allow_int to True.")


def _check_rev_output(name: str, holomorphic: bool, aval) -> None:
    if holomorphic:
        if dtypes.kind(aval.dtype) != "c":
            raise TypeError(f"{name} with holomorphic=True requires outputs with complex "
                            f"dtype, but got {aval.dtype.name}.")
    elif dtypes.kind(aval.dtype) == "c":
        raise TypeError(f"{name} requires real-valued outputs (output dtype that is a sub-dtype "
                        f"of np.floating), but got {aval.dtype.name}. For holomorphic "
                        "differentiation, pass holomorphic=True. For differentiation of "
                        "non-holomorphic functions involving complex outputs, use irax.vjp "
                        "directly.")
    elif dtypes.kind(aval.dtype) != "f":
        raise TypeError(f"{name} requires real-valued outputs (output dtype that is a sub-dtype "
                        f"of np.floating), but got {aval.dtype.name}. For differentiation of "
                        "functions with integer outputs, use irax.vjp directly.")


def value_and_grad(fun: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False,
                   holomorphic: bool = False, allow_int: bool = False):
    """(fun(*args), gradient). For a real-valued fun of complex z = x + iy the gradient is
    df/dx - i df/dy, the conjugate of the usual one (JAX's convention: it is vjp(1.0));
    holomorphic=True promises a complex-valued holomorphic fun and gives f'(z)."""
    @functools.wraps(fun)
    def value_and_grad_f(*args, **kwargs):
        nums = _check_argnums(argnums, len(args), _fname(fun), too_few=TypeError)
        diff_args = tuple(args[i] for i in nums)
        for i, a in zip(nums, diff_args):
            for leaf in tree_util.tree_leaves(a):
                _check_rev_input("grad", holomorphic, allow_int, get_aval(leaf),
                                 f" for argument {i}")

        def f_diff(*dargs):
            full = list(args)
            for i, a in zip(nums, dargs):
                full[i] = a
            return fun(*full, **kwargs)
        if has_aux:
            out, f_vjp, aux = vjp(f_diff, *diff_args, has_aux=True)
        else:
            out, f_vjp = vjp(f_diff, *diff_args)
        leaves = tree_util.tree_leaves(out)
        if len(leaves) != 1 or get_aval(leaves[0]).shape != ():
            shape = get_aval(leaves[0]).shape if len(leaves) == 1 else \
                f"a pytree with {len(leaves)} leaves"
            raise TypeError(f"Gradient only defined for scalar-output functions. Output had "
                            f"shape: {shape} (in {_fname(fun)}).")
        oa = get_aval(leaves[0])
        _check_rev_output("grad", holomorphic, oa)
        ct = tree_util.tree_unflatten(tree_util.tree_structure(out),
                                      [full((), 1.0, oa.dtype, oa.weak_type)])
        grads = f_vjp(ct)
        g = grads[0] if isinstance(argnums, int) else tuple(grads)
        return ((out, aux), g) if has_aux else (out, g)
    return value_and_grad_f


def grad(fun: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False,
         holomorphic: bool = False, allow_int: bool = False):
    vg = value_and_grad(fun, argnums, has_aux, holomorphic, allow_int)

    @functools.wraps(fun)
    def grad_f(*args, **kwargs):
        if has_aux:
            (_, aux), g = vg(*args, **kwargs)
            return g, aux
        return vg(*args, **kwargs)[1]
    return grad_f


# ---------------------------------------------------------------------------
# Jacobians


def _std_basis(leaves):
    sizes = [get_aval(x).size for x in leaves]
    n = sum(sizes)
    bases, off = [], 0
    for x, s in zip(leaves, sizes):
        a = get_aval(x)
        b = np.zeros((n, s), dtype=a.dtype)
        b[off:off + s] = np.eye(s, dtype=a.dtype)
        bases.append(Array(b.reshape((n, *a.shape)), a.weak_type))   # weak as the leaf (JAX)
        off += s
    return bases, sizes


def _split_rows(y, sizes, row_shapes, rest_shape, row_first: bool):
    """Split a (N, *rest) array into blocks shaped (*row_shape, *rest) (or rest first)."""
    out, off = [], 0
    ya = get_aval(y)
    for s, shp in zip(sizes, row_shapes):
        blk = slice_(y, (off, *[0] * (ya.ndim - 1)), (off + s, *ya.shape[1:]))
        blk = reshape(blk, (*shp, *rest_shape))
        if not row_first:
            nr, nrest = len(shp), len(rest_shape)
            blk = transpose(blk, (*range(nr, nr + nrest), *range(nr)))
        out.append(_as_array(blk))
        off += s
    return out


def _check_jacfwd_input(holomorphic: bool, aval) -> None:
    if holomorphic:
        if dtypes.kind(aval.dtype) != "c":
            raise TypeError("jacfwd with holomorphic=True requires inputs with complex dtype, "
                            f"but got {aval.dtype.name}.")
    elif dtypes.kind(aval.dtype) != "f":
        raise TypeError("jacfwd requires real-valued inputs (input dtype that is a sub-dtype of "
                        f"np.floating), but got {aval.dtype.name}. For holomorphic "
                        "differentiation, pass holomorphic=True. For differentiation of "
                        "non-holomorphic functions involving complex inputs or integer inputs, "
                        "use irax.jvp directly.")


def _jacobian_setup(fun, args, argnums, has_aux: bool, check_input: Callable,
                    kwargs: dict | None = None):
    """The differentiated arguments' leaves, their tree, and `fun` as a flat function of them."""
    nums = _check_argnums(argnums, len(args), _fname(fun))
    dargs = args[nums[0]] if isinstance(argnums, int) else tuple(args[i] for i in nums)
    in_leaves, in_tree = tree_util.tree_flatten(dargs)
    # checked by a tree_map, as JAX does: that rebuilds the argument's pytree types with
    # None leaves, so a type whose constructor refuses None fails as under JAX
    tree_util.tree_map(lambda x: check_input(get_aval(x)), dargs)

    def f_in(*leaves):
        d = tree_util.tree_unflatten(in_tree, leaves)
        full = list(args)
        if isinstance(argnums, int):
            full[nums[0]] = d
        else:
            for i, a in zip(nums, d):
                full[i] = a
        return fun(*full, **(kwargs or {}))   # keyword arguments are not differentiated
    store, aux = _OutStore(), []
    flat = _flat_fun(f_in, tree_util.tree_structure(tuple(in_leaves)), store, has_aux, aux)
    return in_leaves, in_tree, flat, store, aux


def jacfwd(fun: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False,
           holomorphic: bool = False):
    @functools.wraps(fun)   # the signature of fun (jit's static_argnames read it)
    def jacfun(*args, **kwargs):
        in_leaves, in_tree, flat, store, aux = _jacobian_setup(
            fun, args, argnums, has_aux, functools.partial(_check_jacfwd_input, holomorphic),
            kwargs)
        bases, sizes = _std_basis(in_leaves)
        out_avals = []

        def push(*ts):
            p_out, t_out = jvp_flat(flat, in_leaves, list(ts))
            out_avals[:] = [get_aval(p) for p in p_out]
            return [instantiate(t) for t in t_out]
        outs, dims = vmap_flat(push, bases, [0] * len(bases), sum(sizes))
        if holomorphic:
            for a in out_avals:
                if dtypes.kind(a.dtype) != "c":
                    raise TypeError("jacfwd with holomorphic=True requires outputs with complex "
                                    f"dtype, but got {a.dtype.name}.")
        outs = [bdim_to_front(o, d, sum(sizes)) for o, d in zip(outs, dims)]
        # outs[j]: (N, *out_shape_j) -> per input leaf (*out_shape_j, *in_shape_i)
        in_shapes = [get_aval(x).shape for x in in_leaves]
        jac_leaves = []
        for o in outs:
            out_shape = get_aval(o).shape[1:]
            blocks = _split_rows(o, sizes, in_shapes, out_shape, row_first=False)
            jac_leaves.append(tree_util.tree_unflatten(in_tree, blocks))
        jac = tree_util.tree_unflatten(store.tree, jac_leaves)
        return (jac, _lower_aux(aux[0])) if has_aux else jac
    return jacfun


def jacrev(fun: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False,
           holomorphic: bool = False, allow_int: bool = False):
    @functools.wraps(fun)   # the signature of fun (jit's static_argnames read it)
    def jacfun(*args, **kwargs):
        in_leaves, in_tree, flat, store, aux = _jacobian_setup(
            fun, args, argnums, has_aux,
            functools.partial(_check_rev_input, "jacrev", holomorphic, allow_int), kwargs)
        out, linear, nonzero = linearize_flat(flat, in_leaves)
        for o in out:
            _check_rev_output("jacrev", holomorphic, get_aval(o))
        bases, sizes = _std_basis(out)
        in_avals = [get_aval(x) for x in in_leaves]

        def pull(*cts):
            cts = [c for c, nz in zip(cts, nonzero) if nz]
            res = backward_pass(linear.jaxpr, linear.consts, cts)
            return [instantiate(r) for r in res]
        m = sum(sizes)
        outs, dims = vmap_flat(pull, bases, [0] * len(bases), m)
        outs = [bdim_to_front(o, d, m) for o, d in zip(outs, dims)]
        out_shapes = [get_aval(o).shape for o in out]
        # outs[i]: (M, *in_shape_i) -> per output leaf j: (*out_shape_j, *in_shape_i)
        per_in = [_split_rows(o, sizes, out_shapes, a.shape, row_first=True)
                  for o, a in zip(outs, in_avals)]
        jac_leaves = [tree_util.tree_unflatten(in_tree, [per_in[i][j] for i in range(len(in_leaves))])
                      for j in range(len(out))]
        jac = tree_util.tree_unflatten(store.tree, jac_leaves)
        return (jac, _lower_aux(aux[0])) if has_aux else jac
    return jacfun


def hessian(fun: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False,
            holomorphic: bool = False):
    return jacfwd(jacrev(fun, argnums, has_aux, holomorphic), argnums, has_aux, holomorphic)


# ---------------------------------------------------------------------------
# vmap


def _broadcast_prefix(prefix, tree, what: str) -> list:
    """Expand an axis spec (a pytree prefix of `tree`) to one entry per leaf."""
    if prefix is None or isinstance(prefix, int):
        return [prefix] * len(tree_util.tree_leaves(tree))
    if isinstance(prefix, (tuple, list, dict)) and not isinstance(tree, type(prefix)) \
            and not (isinstance(prefix, (tuple, list)) and isinstance(tree, (tuple, list))):
        raise ValueError(f"vmap {what} specification must be a tree prefix of the corresponding "
                         f"value, got specification {prefix!r} for value tree "
                         f"{tree_util.tree_structure(tree)}.")
    if isinstance(prefix, dict):
        if set(prefix) != set(tree):
            raise ValueError(f"vmap {what} specification keys {sorted(prefix)} do not match the "
                             f"value's keys {sorted(tree)}")
        return [x for k in sorted(tree) for x in _broadcast_prefix(prefix[k], tree[k], what)]
    if isinstance(prefix, (tuple, list)):
        if tree_util._is_namedtuple(tree) or isinstance(tree, (tuple, list)):
            if len(prefix) != len(tree):
                raise ValueError(f"vmap {what} specification must be a tree prefix of the "
                                 f"corresponding value: got a sequence of length "
                                 f"{len(prefix)} for a value with {len(tree)} entries")
            return [x for p, t in zip(prefix, tree) for x in _broadcast_prefix(p, t, what)]
    raise ValueError(f"vmap {what} specification {prefix!r} is not an int, None, or a "
                     "pytree prefix of the value")


def _check_axis_spec(spec, what: str) -> None:
    """TypeError when vmap is built, as in JAX: in_axes is an int, None or a tuple (one entry
    per positional argument), and every leaf of either spec is an int or None."""
    if what == "in_axes" and not (spec is None or type(spec) in (int, tuple)):
        raise TypeError("vmap in_axes must be an int, None, or a tuple of entries corresponding "
                        f"to the positional arguments passed to the function, but got {spec!r}.")
    leaves = tree_util.tree_leaves(spec, is_leaf=lambda x: x is None)
    if not all(x is None or type(x) is int for x in leaves):
        raise TypeError(f"vmap {what} must be an int, None, or (nested) container with those "
                        f"types as leaves, but got {spec!r}.")


def _inconsistent_sizes(fun, args, kwargs, sizes, axes, axis_size) -> ValueError:
    """JAX's error for mapped axes of different sizes: the most common size first, each
    with an example argument named by parameter name and key path."""
    try:
        params = list(inspect.signature(fun).bind(*args, **kwargs).signature.parameters)
    except (TypeError, ValueError):
        params = None

    def arg_name(path) -> str:
        i = path[0].idx
        if params is None or i >= len(params):
            return f"args{tree_util.keystr(path)}"
        return f"argument {params[i]}{tree_util.keystr(path[1:])}"

    def type_of(x) -> str:
        try:
            a = get_aval(x)
        except TypeError:
            return "unknown"
        return f"{np.dtype(a.dtype).name}[{','.join(str(d) for d in a.shape)}]"
    names = [f"{arg_name(p)} of type {type_of(x)}"
             for p, x in tree_util.tree_flatten_with_path(tuple(args))[0]]
    names += [f"kwargs{tree_util.keystr(p)} of type {type_of(x)}"
              for p, x in tree_util.tree_flatten_with_path(dict(kwargs))[0]]
    counts = collections.Counter(n for n in sizes if n is not None).most_common()
    lines = [f"  * the `axis_size` argument was {axis_size};\n"] if axis_size is not None else []
    for k, (size, count) in enumerate(counts):
        i = sizes.index(size)
        where = f"axis {axes[i]} of {names[i]}"
        if count == 1:
            lines.append(f"  * one axis had size {size}: {where};\n")
        else:
            many = "most" if k == 0 else "some"
            lines.append(f"  * {many} axes ({count} of them) had size {size}, e.g. {where};\n")
    return ValueError(("vmap got inconsistent sizes for array axes to be mapped:\n"
                       + "".join(lines))[:-2])


def vmap(fun: Callable, in_axes: Any = 0, out_axes: Any = 0, axis_size: int | None = None,
         axis_name: Any = None):
    if axis_name is not None:
        try:
            hash(axis_name)
        except TypeError:
            raise TypeError(f"vmap axis_name must be hashable, got {axis_name!r}") from None
    if isinstance(in_axes, list):
        in_axes = tuple(in_axes)
    _check_axis_spec(in_axes, "in_axes")
    _check_axis_spec(out_axes, "out_axes")

    @functools.wraps(fun)
    def vmapped(*args, **kwargs):
        spec = in_axes if not isinstance(in_axes, int) and in_axes is not None else \
            (in_axes,) * len(args)
        if isinstance(spec, tuple) and len(spec) != len(args):
            raise ValueError(f"vmap in_axes must be an int, None, or a tuple of entries "
                             f"corresponding to the positional arguments passed to the function, "
                             f"but got len(in_axes)={len(spec)}, len(args)={len(args)}")
        # keyword arguments are mapped over their leading axis (as in JAX)
        leaves, in_tree = tree_util.tree_flatten((tuple(args), dict(kwargs)))
        axes = _broadcast_prefix(spec, tuple(args), "in_axes")
        axes += [0] * (len(leaves) - len(axes))
        # an unmapped argument that is no array (a function, say) is passed through as is
        static = {i: x for i, (x, ax) in enumerate(zip(leaves, axes))
                  if ax is None and not core.is_array_like(x)}
        dyn = [i for i in range(len(leaves)) if i not in static]
        _check_leaves([leaves[i] for i in dyn], f"vmap of {_fname(fun)}")
        sizes = []     # per leaf: the mapped axis' size (None: unmapped)
        norm_axes = []
        for i in dyn:
            x, ax = leaves[i], axes[i]
            if ax is None:
                norm_axes.append(None)
                sizes.append(None)
                continue
            a = get_aval(x)
            if not -a.ndim <= ax < max(a.ndim, 1) or a.ndim == 0:
                raise ValueError(f"vmap was requested to map its argument along axis {ax}, "
                                 f"which implies that its rank should be at least {ax + 1 if ax >= 0 else -ax}, "
                                 f"but is only {a.ndim} (its shape is {a.shape})")
            norm_axes.append(ax % a.ndim)
            sizes.append(a.shape[ax % a.ndim])
        if not leaves and axis_size is None:
            raise ValueError("vmap wrapped function must be passed at least one argument "
                             "containing an array or axis_size must be specified, got empty "
                             f"*args={tuple(args)} and **kwargs={dict(kwargs)}")
        distinct = {n for n in sizes if n is not None} | (
            {axis_size} if axis_size is not None else set())
        if len(distinct) > 1:
            raise _inconsistent_sizes(fun, args, kwargs, [sizes[dyn.index(i)] if i in dyn
                                                          else None for i in range(len(leaves))],
                                      axes, axis_size)
        if not distinct:
            raise ValueError("vmap must have at least one non-None value in in_axes "
                             "or axis_size must be specified")
        n = distinct.pop()
        store = _OutStore()

        def flat(*dyn_leaves):
            it = iter(dyn_leaves)
            merged = [static[i] if i in static else next(it) for i in range(len(leaves))]
            a, k = tree_util.tree_unflatten(in_tree, merged)
            out_leaves, store.tree = tree_util.tree_flatten(fun(*a, **k))
            _check_leaves(out_leaves, f"output of {_fname(fun)}")
            return out_leaves
        dyn_leaves = [leaves[i] if isinstance(leaves[i], core.Tracer) else _as_array(leaves[i])
                      for i in dyn]
        outs, dims = vmap_flat(flat, dyn_leaves, norm_axes, n, axis_name)
        out_tree = store.tree
        out_struct = tree_util.tree_unflatten(out_tree, [0] * len(outs))
        oaxes = _broadcast_prefix(out_axes, out_struct, "out_axes")
        results = []
        for k, (o, d, oa) in enumerate(zip(outs, dims, oaxes)):
            if oa is None:
                if d is not None:   # JAX's words
                    if out_axes is None and axis_name is not None:
                        raise ValueError(f"vmap has mapped output (axis_name={axis_name}) but "
                                         "out_axes is None")
                    path = tree_util.tree_flatten_with_path(out_struct)[0][k][0]
                    raise ValueError(f"at vmap out_axes{tree_util.keystr(path)}, got axis spec "
                                     f"None but output was batched on axis {d}")
                results.append(_as_array(o) if not isinstance(o, core.Tracer) else o)
                continue
            o = bdim_to_front(o, d, n)
            nd = get_aval(o).ndim
            if not -nd <= oa < nd:
                raise ValueError(f"vmap out_axes {oa} out of bounds for output of rank {nd}")
            o = move_axis(o, 0, oa % nd)
            results.append(o if isinstance(o, core.Tracer) else _as_array(o))
        return tree_util.tree_unflatten(out_tree, results)
    name = _fname(fun)   # JAX's docstring for the vectorized function
    vmapped.__doc__ = (f"Vectorized version of {name}. Takes similar arguments as {name} but "
                       f"with additional array axes over which {name} is mapped."
                       + (f"\n\nOriginal documentation:\n\n{fun.__doc__}"
                          if getattr(fun, "__doc__", None) else ""))
    return vmapped


# ---------------------------------------------------------------------------
# make_jaxpr


def make_jaxpr(fun: Callable, static_argnums: int | Sequence[int] = (), return_shape: bool = False):
    static = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)

    @functools.wraps(fun)
    def make(*args, **kwargs):
        dyn = [a for i, a in enumerate(args) if i not in static]
        leaves, in_tree = tree_util.tree_flatten(tuple(dyn))
        _check_leaves(leaves, f"make_jaxpr of {_fname(fun)}")

        def f(*dyn_args):
            it = iter(dyn_args)
            full = [args[i] if i in static else next(it) for i in range(len(args))]
            return fun(*full, **kwargs)
        store = _OutStore()
        flat = _flat_fun(f, in_tree, store)
        closed = trace_to_jaxpr(flat, [get_aval(x) for x in leaves])
        if return_shape:
            shapes = [ShapeDtypeStruct(a.shape, a.dtype) for a in closed.out_avals]
            return closed, tree_util.tree_unflatten(store.tree, shapes)
        return closed
    return make


# ---------------------------------------------------------------------------
# vjp's pullback: a pytree (its leaves are the residuals), so it can be passed through
# jit and other transformations, as JAX's Partial-wrapped pullback can


_VJP_TOO_MANY_ARGS = """
The function returned by `jax.vjp` applied to {} was called with {} arguments,
but functions returned by `jax.vjp` must be called with a single argument
corresponding to the single value returned by the function being differentiated
(even if that returned value is a tuple or other container).

For example, if we have:

  def f(x):
    return (x, x)
  _, f_vjp = jax.vjp(f, 1.0)

the function `f` returns a single tuple as output, and so we call `f_vjp` with a
single tuple as its argument:

  x_bar, = f_vjp((2.0, 2.0))

If we instead call `f_vjp(2.0, 2.0)`, with the values 'splatted out' as
arguments rather than in a tuple, this error can arise.
"""


def _source_info(fun: Callable) -> str:
    """`name at file:line`, as JAX's messages name a function."""
    while isinstance(fun, functools.partial):
        fun = fun.func
    code = getattr(inspect.unwrap(fun), "__code__", None)
    return _fname(fun) if code is None else f"{_fname(fun)} at {code.co_filename}:{code.co_firstlineno}"


class _VjpPullback:
    """The static part of a vjp pullback (hashed and compared by identity)."""

    def __init__(self, name, jaxpr, nonzero, out_tree, out_avals, in_tree, in_avals,
                 float0_ints: bool = True, source: str = ""):
        self.float0_ints, self.source = float0_ints, source or name
        self.name, self.jaxpr, self.nonzero = name, jaxpr, nonzero
        self.out_tree, self.out_avals = out_tree, out_avals
        self.in_tree, self.in_avals = in_tree, in_avals

    def __call__(self, residuals, *cotangents):
        if len(cotangents) != 1:
            raise TypeError(_VJP_TOO_MANY_ARGS.format(self.name, len(cotangents)))
        ct_leaves, ct_tree = tree_util.tree_flatten(cotangents[0])
        # ValueError for a cotangent of the wrong structure, shape or dtype, as in JAX
        if ct_tree != self.out_tree:
            leaf = tree_util._PYTREE_LEAF
            diffs = "\n".join(
                f"  * out{tree_util.keystr(p)} was a {a} in the original output, but a {b} "
                f"here, so {why}." for p, a, b, why in tree_util._equality_errors(
                    tree_util.tree_unflatten(self.out_tree, [leaf] * self.out_tree.num_leaves),
                    tree_util.tree_unflatten(ct_tree, [leaf] * ct_tree.num_leaves)))
            raise ValueError("unexpected tree structure.\n\nThe argument to a VJP function "
                             "returned by `jax.vjp` must match the pytree\nstructure of the "
                             f"differentiated function {self.source}.\n\nBut the tree "
                             f"structures differ:\n{diffs}")
        for c, a in zip(ct_leaves, self.out_avals):
            ca = get_aval(c)
            if ca.shape != a.shape or (is_differentiable(a) and ca.dtype != a.dtype):
                raise ValueError(
                    "unexpected JAX type (e.g. shape/dtype) for argument to VJP function: got "
                    f"{type_str(ca)}, but expected {type_str(a)} because the corresponding "
                    f"output of the differentiated function had JAX type {type_str(a)}")
        cts = [c for c, nz in zip(ct_leaves, self.nonzero) if nz]
        cts_in = backward_pass(self.jaxpr, list(residuals), cts)
        cts_in = [_cast_ct(instantiate(c), a) for c, a in zip(cts_in, self.in_avals)]
        if self.float0_ints:
            cts_in = [_public_tangent(c, a) for c, a in zip(cts_in, self.in_avals)]
        return tree_util.tree_unflatten(self.in_tree, cts_in)


class VjpFunction:
    """A function closing over arrays that is a pytree: its leaves are the arrays, its
    static part the function (irax.vjp's pullback, linear_transpose's result)."""

    def __init__(self, fn: Callable, leaves: Sequence[Any]):
        self.fn = fn
        self.leaves = list(leaves)

    def __call__(self, *args):
        return self.fn(self.leaves, *args)

    def __repr__(self) -> str:
        return f"VjpFunction({getattr(self.fn, 'name', _fname(self.fn))}, " \
               f"{len(self.leaves)} arrays)"


tree_util.register_pytree_node(VjpFunction, lambda f: (f.leaves, f.fn),
                               lambda fn, leaves: VjpFunction(fn, list(leaves)))
