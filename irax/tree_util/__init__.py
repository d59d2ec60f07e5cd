"""Pytrees with the semantics of JAX's tree_util, flattened by optree's C++ code.

A pytree is a nest of tuples, lists, dicts (keys sorted), namedtuples, OrderedDicts
(insertion order), defaultdicts (keys sorted), None (a node with no children) and the
types registered here; anything else is a leaf. irax registers its types in optree's
"irax" namespace, so other libraries' optree registrations neither see nor change
irax's, and none of irax's leak into theirs.

Key paths name each leaf's place: SequenceKey (an index of a tuple, list or deque),
DictKey (a dict key), GetAttrKey (a namedtuple or dataclass field), FlattenedIndexKey (the
i-th child of a type registered without keys), or whatever keys a type registered with
`register_pytree_with_keys` gives. `keystr` prints a path as `['w'][0].bias`.

Rebuilding a tree (unflatten, tree_map, ...) makes its dicts and defaultdicts with their
keys in sorted order, as JAX does (optree would restore the insertion order), and a dict
whose keys do not sort (1 and "a") raises JAX's ValueError there. Where irax differs from
JAX 0.10, it follows optree: collections.deque and C struct sequences (time.struct_time)
are nodes rather than leaves, and flattening alone (tree_leaves) of a dict whose keys do
not sort gives a fixed order instead of raising.
"""
from __future__ import annotations

import dataclasses
import functools
import operator
from typing import Any, Callable, Iterable, Sequence

import optree

from ._pytree import (  # noqa: F401  (the public names, and the private ones irax uses)
    DictKey, FlattenedIndexKey, GetAttrKey, KeyEntry, KeyPath, PyTreeDef, SequenceKey,
    _NAMESPACE, _GivenKey, _PYTREE_LEAF, _equality_errors, _is_namedtuple, all_leaves,
    flatten_one_level, flatten_one_level_with_keys, is_tree_node, keystr, top_node,
    tree_all, tree_broadcast, tree_flatten, tree_flatten_with_path, tree_leaves,
    tree_leaves_with_path, tree_map, tree_map_with_path, tree_reduce,
    tree_reduce_associative, tree_structure, tree_transpose,
    tree_transpose_structure_error, tree_unflatten, treedef_children, treedef_is_leaf,
    treedef_tuple)

# ---------------------------------------------------------------------------
# Registering types


def register_pytree_node(nodetype: type, flatten_func: Callable[[Any], tuple[Iterable, Any]],
                         unflatten_func: Callable[[Any, Iterable], Any],
                         flatten_with_keys_func: Callable[[Any], tuple[Iterable, Any]] | None = None
                         ) -> None:
    """flatten_func(x) -> (children, aux_data); unflatten_func(aux_data, children) -> x.
    aux_data is compared by equality (jit retraces when it changes). With
    flatten_with_keys_func(x) -> ([(key, child), ...], aux_data), paths use its keys."""
    if flatten_with_keys_func is not None:
        _register_with_keys(nodetype, flatten_with_keys_func, unflatten_func)
        return

    def checked_flatten(x):   # JAX's ValueErrors for a flatten that returns something else
        out = flatten_func(x)
        if not (isinstance(out, tuple) and len(out) == 2):
            raise ValueError("The to_iterable function for a custom PyTree node should return "
                             f"a (children, aux_data) tuple, got {out!r}")
        try:
            children = list(out[0])
        except TypeError:
            raise ValueError("The to_iterable function for a custom PyTree node should return "
                             "a (children, aux_data) tuple where 'children' is iterable, got "
                             f"{out!r}") from None
        return children, out[1]
    optree.register_pytree_node(nodetype, checked_flatten, unflatten_func,
                                namespace=_NAMESPACE)


def _register_with_keys(nodetype: type, flatten_with_keys: Callable, unflatten_func: Callable
                        ) -> None:
    def flatten(x):
        pairs, aux = flatten_with_keys(x)
        pairs = list(pairs)
        return [c for _, c in pairs], aux, [k for k, _ in pairs]
    optree.register_pytree_node(nodetype, flatten, unflatten_func, path_entry_type=_GivenKey,
                                namespace=_NAMESPACE)


def register_pytree_node_class(cls: type) -> type:
    """Class decorator: `x.tree_flatten()` and `cls.tree_unflatten(aux, children)`."""
    register_pytree_node(cls, operator.methodcaller("tree_flatten"), cls.tree_unflatten)
    return cls


def register_pytree_with_keys(nodetype: type, flatten_with_keys: Callable[[Any], tuple[Iterable, Any]],
                              unflatten_func: Callable[[Any, Iterable], Any],
                              flatten_func: Callable[[Any], tuple[Iterable, Any]] | None = None
                              ) -> None:
    """flatten_with_keys(x) -> ([(key, child), ...], aux_data); the keys name the children
    in key paths. (flatten_func, JAX's faster path without keys, is not needed here: the
    one flatten serves both.)"""
    _register_with_keys(nodetype, flatten_with_keys, unflatten_func)


def register_pytree_with_keys_class(cls: type) -> type:
    """Class decorator: `x.tree_flatten_with_keys()` and `cls.tree_unflatten(aux, children)`."""
    _register_with_keys(cls, operator.methodcaller("tree_flatten_with_keys"), cls.tree_unflatten)
    return cls


def register_dataclass(nodetype: type, data_fields: Sequence[str] | None = None,
                       meta_fields: Sequence[str] | None = None,
                       drop_fields: Sequence[str] = ()) -> type:
    """Register a class rebuilt as `nodetype(**fields)`: data_fields are children (key
    GetAttrKey(name)), meta_fields aux data (static under jit). For a dataclass both may be
    left out: a field with metadata {"static": True} is meta, any other data."""
    if (data_fields is None) != (meta_fields is None):
        raise TypeError("register_dataclass: data_fields and meta_fields must both be "
                        f"specified when either is specified. Got {data_fields=} "
                        f"{meta_fields=}.")
    is_dc = dataclasses.is_dataclass(nodetype)
    if data_fields is None:
        if not is_dc:
            raise TypeError("register_dataclass: data_fields and meta_fields are required "
                            f"when nodetype is not a dataclass. Got {nodetype=}.")
        fields = [f for f in dataclasses.fields(nodetype) if f.name not in drop_fields]
        data_fields = [f.name for f in fields if not f.metadata.get("static", False)]
        meta_fields = [f.name for f in fields if f.metadata.get("static", False)]
    data, meta = tuple(data_fields), tuple(meta_fields)
    if is_dc:   # the fields __init__ takes, no more and no fewer (JAX's messages)
        init = {f.name for f in dataclasses.fields(nodetype) if f.init} - set(drop_fields)
        if set(data) | set(meta) != init:
            msg = ("data_fields and meta_fields must include all dataclass fields with "
                   "``init=True`` and only them.")
            if missing := init - set(data) - set(meta):
                msg += (f" Missing fields: {missing}. Add them to drop_fields to suppress "
                        "this error.")
            if unexpected := (set(data) | set(meta)) - init:
                msg += f" Unexpected fields: {unexpected}."
            raise ValueError(msg)
    if overlap := set(data) & set(meta):
        raise ValueError(f"data_fields and meta_fields must not overlap. Overlapping fields: "
                         f"{overlap}.")
    keys = [GetAttrKey(name) for name in data]

    def flatten(x):
        return ([getattr(x, name) for name in data], tuple(getattr(x, name) for name in meta),
                keys)

    def unflatten(meta_values, children):
        return nodetype(**dict(zip(meta, meta_values)), **dict(zip(data, children)))

    optree.register_pytree_node(nodetype, flatten, unflatten, path_entry_type=_GivenKey,
                                namespace=_NAMESPACE)
    return nodetype


def register_static(cls: type) -> type:
    """Register a hashable class whose instances are pytrees without leaves: jit treats
    them as static, compares them by equality."""
    _register_with_keys(cls, lambda x: ((), x), lambda x, _: x)
    return cls


# ---------------------------------------------------------------------------
# Partial

class _PartialFunc:
    """The function of a Partial that is itself a functools.partial. Held here, Python does
    not merge the two, which would move the inner partial's arguments into the outer one's
    (and so into its leaves); the inner partial stays aux data."""

    __slots__ = ("fun",)

    def __init__(self, fun: Callable):
        self.fun = fun

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.fun(*args, **kwargs)

    def __eq__(self, other: object) -> bool:
        return self.fun == (other.fun if isinstance(other, _PartialFunc) else other)

    def __hash__(self) -> int:
        return hash(self.fun)

    def __repr__(self) -> str:
        return repr(self.fun)


class Partial(functools.partial):
    """functools.partial as a pytree: the bound arguments are the children (so arrays among
    them are traced), the function is aux data. `jit(f)(Partial(g, x))` works where a plain
    partial, not being an array, would not."""

    def __new__(cls, func: Callable, *args: Any, **kwargs: Any):
        if isinstance(func, functools.partial):
            func = _PartialFunc(func)
        return super().__new__(cls, func, *args, **kwargs)


register_pytree_node(Partial, lambda p: ((p.args, p.keywords), p.func),
                     lambda func, children: Partial(func, *children[0], **children[1]))


# ---------------------------------------------------------------------------
# default_registry: the registry object jax.tree_util's functions consult


class _DefaultRegistry:
    """jax.tree_util.default_registry: the pytree registry as an object, its methods the
    module functions (irax keeps one registry, so registering here is registering
    everywhere)."""

    def flatten(self, tree, leaf_predicate=None):
        return tree_flatten(tree, leaf_predicate)

    def flatten_with_path(self, tree, leaf_predicate=None):
        return tree_flatten_with_path(tree, leaf_predicate)

    def flatten_one_level(self, tree):
        children, meta = flatten_one_level(tree)
        return tuple(children), meta

    def flatten_one_level_with_keys(self, tree):
        pairs, meta = flatten_one_level_with_keys(tree)
        return tuple(tuple(p) for p in pairs), meta

    def is_node(self, tree) -> bool:
        # JAX's registry answers for instances of registered types: tuples and dicts are
        # built in (not registry entries there), as here
        return False if isinstance(tree, (tuple, list, dict)) or tree is None else (
            is_tree_node(type(tree)))

    def register_node(self, type, to_iterable, from_iterable, to_iterable_with_keys=None):
        if to_iterable_with_keys is None:
            register_pytree_node(type, to_iterable, from_iterable)
        else:
            register_pytree_with_keys(type, to_iterable_with_keys, from_iterable, to_iterable)

    def register_dataclass_node(self, type, data_fields, meta_fields, /):
        register_dataclass(type, data_fields, meta_fields)

    def __repr__(self) -> str:
        return "<irax.tree_util.default_registry>"


default_registry = _DefaultRegistry()
