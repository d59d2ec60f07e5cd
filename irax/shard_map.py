"""irax.shard_map / irax.smap (as jax.shard_map) on irax's one device.

    mesh = irax.make_mesh((1,), ("x",))
    f = irax.shard_map(lambda a: irax.lax.psum(a.sum(), "x"), mesh=mesh,
                       in_specs=irax.P("x"), out_specs=irax.P())

Every axis of an irax mesh has size 1, so the one shard of each argument is the whole
argument and f runs once. The mesh's axis names are bound by one size-1 vmap per axis
(irax.vmap's axis_name machinery): lax.psum / pmean / all_gather / axis_index /
axis_size over them follow size-1 semantics, under jit, grad and vmap alike.

With check_vma=True (the default) an argument is *varying* along the mesh axes its
in_spec names (it is mapped by that axis's vmap) and an output may leave an axis out of
its out_spec only if it does not vary along it (a psum over the axis makes a value
invariant), as JAX's type check requires: vmap's out_axes=None check is that test.
"""
from __future__ import annotations

import functools
from typing import Any, Callable

from . import tree_util
from .numpy import expand_dims, reshape
from .tracer.api import vmap
from .tracer.core import Array, get_aval
from .tracer.sharding import (AbstractMesh, AxisType, Mesh, NamedSharding, PartitionSpec,
                              get_abstract_mesh, with_sharding)

__all__ = ["shard_map", "smap", "DuplicateSpecError"]


class _Infer:
    def __repr__(self) -> str:
        return "Infer"


Infer = _Infer()   # in_specs not given: inferred from the arguments' shardings


class DuplicateSpecError(Exception):
    """A PartitionSpec names one mesh axis twice (JAX's error type for it)."""


def _is_spec_leaf(x: Any) -> bool:
    return x is None or isinstance(x, PartitionSpec)


def _spec_names(p: PartitionSpec) -> list[str]:
    names = []
    for entry in p.partitions:
        for n in (entry if isinstance(entry, tuple) else (entry,)):
            if n is not None and n is not PartitionSpec.UNCONSTRAINED:
                names.append(n)
    return names


def _check_specs(kind: str, specs: Any, axis_names: frozenset) -> None:
    paths = tree_util.tree_flatten_with_path(specs, is_leaf=_is_spec_leaf)[0]
    bad = [(k, x) for k, x in paths if not isinstance(x, PartitionSpec)
           and not (kind == "in" and x is None)]
    if bad:
        msgs = [f"  {kind}_specs{tree_util.keystr(k)} is {x} of type {type(x).__name__}, "
                for k, x in bad]
        raise TypeError(f"shard_map {kind}_specs argument must be a pytree of "
                        "`jax.sharding.PartitionSpec` instances, but:\n\n" + "\n\n".join(msgs)
                        + f"\n\nCheck the {kind}_specs values passed to shard_map.")
    msgs = []
    for k, p in paths:
        if isinstance(p, PartitionSpec):
            names = _spec_names(p)
            msgs += [f"  {kind}_specs{tree_util.keystr(k)} refers to {n!r}"
                     for n in names if n not in axis_names]
            dup = sorted({n for n in names if names.count(n) > 1})
            if dup:
                raise DuplicateSpecError(
                    "A single NamedSharding spec specification can map every mesh axis to at "
                    f"most one positional dimension, but {p} has duplicate entries for "
                    f"{', '.join(f'`{n}`' for n in dup)}")
    if msgs:
        raise ValueError(f"shard_map {kind}_specs argument must refer to an axis marked as "
                         f"manual ({set(axis_names)}), but:\n\n" + "\n\n".join(msgs)
                         + f"\n\nCheck the {kind}_specs values passed to shard_map.")


def _check_mesh(mesh: Any) -> Any:
    if mesh is None:
        mesh = get_abstract_mesh()
        if not mesh.axis_names:
            raise ValueError("The context mesh cannot be empty. Use `jax.set_mesh(mesh)` to "
                             "enter into a mesh context")
    if not isinstance(mesh, (Mesh, AbstractMesh)):
        raise TypeError("shard_map requires a `jax.sharding.Mesh` or a "
                        "`jax.sharding.AbstractMesh` instance for its second argument, but "
                        f"got {mesh} of type {type(mesh)}.")
    if not mesh.axis_names:
        raise ValueError(f"shard_map requires a non-empty mesh. Got {mesh}")
    big = {n: s for n, s in zip(mesh.axis_names, mesh.axis_sizes) if s != 1}
    if big:
        raise ValueError(f"shard_map: irax runs on one device, so every mesh axis must have "
                         f"size 1; the mesh has {big}")
    return mesh


def _broadcast(specs: Any, tree: Any, what: str, fname: str) -> list[Any]:
    try:
        full = tree_util.tree_broadcast(specs, tree, is_leaf=_is_spec_leaf)
    except (ValueError, TypeError) as e:
        raise ValueError(f"shard_map applied to the function '{fname}': {what} must be a "
                         f"pytree prefix of the {what.split('_')[0]}puts' structure "
                         f"{tree_util.tree_structure(tree)}, got {specs!r} ({e})") from None
    return tree_util.tree_leaves(full, is_leaf=_is_spec_leaf)


def _rank_check(kind: str, fname: str, specs: list, leaves: list) -> None:
    for i, (p, x) in enumerate(zip(specs, leaves)):
        a = get_aval(x) if p is not None else None
        if isinstance(p, PartitionSpec) and len(p.partitions) > a.ndim:
            where = "argument" if kind == "in" else "output"
            raise ValueError(
                f"shard_map applied to the function '{fname}' was given {where} leaf {i} of "
                f"shape {a.shape} (rank {a.ndim}), but its {kind}_specs entry {p} has "
                f"length {len(p.partitions)}: a spec's length must be at most the rank")


def shard_map(f: Callable | None = None, /, *, out_specs: Any, in_specs: Any = Infer,
              mesh: Any = None, axis_names: Any = frozenset(), check_vma: bool = True,
              check_rep: bool | None = None) -> Any:
    """Map f over the shards of its arguments on `mesh` (one shard on irax)."""
    if check_rep is not None:   # the older name of check_vma
        check_vma = check_rep
    if f is None:
        return functools.partial(shard_map, out_specs=out_specs, in_specs=in_specs,
                                 mesh=mesh, axis_names=axis_names, check_vma=check_vma)
    if not callable(f):
        raise TypeError("shard_map requires a callable for its first argument, but got "
                        f"{f} of type {type(f)}.")
    fname = getattr(f, "__name__", type(f).__name__)

    @functools.wraps(f)
    def wrapped(*args: Any) -> Any:
        m = _check_mesh(mesh)
        if not isinstance(axis_names, (set, frozenset)):
            raise TypeError("`axis_names` argument of shard_map should be of type "
                            f"`frozenset` or `set`. Got type: {type(axis_names)}")
        manual = frozenset(axis_names) or frozenset(m.axis_names)
        if not manual <= frozenset(m.axis_names):
            raise ValueError(f"jax.shard_map requires axis_names={set(manual)} to be a subset "
                             f"of mesh.axis_names={set(m.axis_names)}")
        types = dict(zip(m.axis_names, m.axis_types))
        explicit = all(types[a] == AxisType.Explicit for a in manual)
        leaves, tree = tree_util.tree_flatten(args)
        if in_specs is Infer:
            if not explicit:
                raise TypeError("shard_map in_specs argument must be a pytree of "
                                "`jax.sharding.PartitionSpec` instances, but it was `None` "
                                f"when axis_names={set(manual)} are of type "
                                f"{', '.join(str(types[a]) for a in manual)}")
            # Explicit axes: each argument's own sharding (unknown under a trace: P())
            flat_in = [_arg_spec(x) or PartitionSpec() for x in leaves]
        else:   # a None spec: the argument is passed to f as it is (not mapped)
            if in_specs is not None:
                _check_specs("in", in_specs, manual)
            flat_in = _broadcast(in_specs, args, "in_specs", fname)
            _rank_check("in", fname, flat_in, leaves)
            if explicit and manual == frozenset(m.axis_names):
                _check_explicit(flat_in, leaves)
        _check_specs("out", out_specs, manual)
        names = [n for n in m.axis_names if n in manual]
        out = _run(f, fname, names, args, tree, leaves, flat_in, out_specs, check_vma)
        if explicit and isinstance(m, Mesh):   # results carry their out_specs' sharding
            out_l, out_t = tree_util.tree_flatten(out)
            specs = _broadcast(out_specs, out, "out_specs", fname)
            out = tree_util.tree_unflatten(out_t, [
                with_sharding(x, NamedSharding(m, p)) if type(x) is Array else x
                for x, p in zip(out_l, specs)])
        return out
    return wrapped


def _arg_spec(x: Any) -> PartitionSpec | None:
    """The PartitionSpec an argument carries: its NamedSharding's, P() for other concrete
    values, None for a tracer (irax's avals do not carry shardings)."""
    if isinstance(x, Array):
        s = getattr(x, "_sharding", None)
        return s.spec if isinstance(s, NamedSharding) else PartitionSpec()
    if hasattr(x, "aval"):
        return None
    return PartitionSpec()


def _normalized(p: PartitionSpec, ndim: int) -> tuple:
    parts = tuple(p.partitions) + (None,) * max(0, ndim - len(p.partitions))
    return tuple(e[0] if isinstance(e, tuple) and len(e) == 1 else e for e in parts)


def _check_explicit(flat_in: list, leaves: list) -> None:
    """With Explicit mesh axes the in_specs must be the arguments' own shardings (JAX's
    check: shard_map does not reshard)."""
    for p, x in zip(flat_in, leaves):
        if not isinstance(p, PartitionSpec):
            continue
        have = _arg_spec(x)
        a = get_aval(x)
        nd = a.ndim
        if have is not None and _normalized(p, nd) != _normalized(have, nd):
            raise ValueError(
                f"in_specs passed to shard_map: {PartitionSpec(*_normalized(p, nd))} does not "
                f"match the specs of the input: {PartitionSpec(*_normalized(have, nd))} for "
                f"arg: {a.str_short()}. `in_specs` is an "
                "optional argument so you can omit specifying it and shard_map will infer "
                "the in_specs from the arguments. If you want to reshard your inputs, you "
                "can use `jax.reshard` on the arguments and then pass those args to "
                "shard_map.")


def _run(f, fname, names, args, tree, leaves, flat_in, out_specs, check_vma):
    dyn = [i for i, p in enumerate(flat_in) if p is not None]   # None: passed as it is
    dyn_specs = [set(_spec_names(flat_in[i])) for i in dyn]
    def inner(*xs):
        full = list(leaves)
        for i, x in zip(dyn, xs):
            full[i] = x
        return f(*tree_util.tree_unflatten(tree, full))

    def out_axes_for(name):
        if not check_vma:
            return 0
        return tree_util.tree_map(lambda p: 0 if name in _spec_names(p) else None, out_specs,
                                  is_leaf=_is_spec_leaf)

    fun = inner
    for name in reversed(names):   # the first mesh axis is the outermost vmap
        in_axes = tuple(0 if name in s else None for s in dyn_specs)
        fun = vmap(fun, in_axes=in_axes, out_axes=out_axes_for(name), axis_size=1,
                   axis_name=name)
    xs = []
    for i, s in zip(dyn, dyn_specs):
        x = leaves[i]
        k = sum(n in s for n in names)
        xs.append(expand_dims(x, tuple(range(k))) if k else x)   # a size-1 dim per axis
    try:
        out = fun(*xs)
    except ValueError as e:
        if "tree prefix" in str(e):   # vmap's out_axes (the out_specs) vs f's outputs
            raise ValueError(
                f"shard_map applied to the function '{fname}': out_specs {out_specs!r} is not "
                f"a pytree prefix of its outputs ({e})") from None
        if "out_axes is None" not in str(e):
            raise
        raise ValueError(
            f"shard_map applied to the function '{fname}' was given out_specs which require "
            "replication which can't be statically inferred given the mesh: an output varies "
            "along a mesh axis its out_spec leaves out. Apply lax.psum / pmean / all_gather "
            "over that axis, name the axis in out_specs, or pass check_vma=False.") from None
    out_leaves, out_tree = tree_util.tree_flatten(out)
    flat_out = _broadcast(out_specs, out, "out_specs", fname)
    result = []
    for x, p in zip(out_leaves, flat_out):
        k = len(names) if not check_vma else sum(n in _spec_names(p) for n in names)
        x = reshape(x, x.shape[k:]) if k else x
        result.append(x)
    _rank_check("out", fname, flat_out, result)
    return tree_util.tree_unflatten(out_tree, result)


def smap(f: Callable | None = None, /, *, in_axes: Any = Infer, out_axes: Any,
         axis_name: Any) -> Any:
    """shard_map over the one mesh axis axis_name of the context mesh (irax.set_mesh):
    in_axes / out_axes give the dimension each value is split along (None: replicated)."""
    if f is None:
        return functools.partial(smap, in_axes=in_axes, out_axes=out_axes, axis_name=axis_name)
    if in_axes is Infer:
        raise TypeError(f"in_axes was not specified when axis_name={axis_name} (irax "
                        "infers no in_axes; pass them)")

    def to_spec(ax):
        if ax is None:
            return PartitionSpec()
        if not isinstance(ax, int):
            raise TypeError(f"smap in_axes / out_axes must be ints or None, got {ax!r}")
        return PartitionSpec(*([None] * ax), axis_name)

    is_ax = lambda x: x is None or isinstance(x, int)   # noqa: E731
    ins = to_spec(in_axes) if is_ax(in_axes) else tree_util.tree_map(to_spec, in_axes,
                                                                        is_leaf=is_ax)
    outs = to_spec(out_axes) if is_ax(out_axes) else tree_util.tree_map(to_spec, out_axes,
                                                                           is_leaf=is_ax)
    return shard_map(f, in_specs=ins, out_specs=outs, mesh=None,
                     axis_names=frozenset({axis_name}))
