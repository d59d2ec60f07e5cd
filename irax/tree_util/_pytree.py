"""irax.tree_util's core: key path entries, PyTreeDef, flattening (by optree), key paths,
treedef helpers and reductions. irax/tree_util/__init__.py adds registration, Partial and
the default registry, and is the module users import."""
from __future__ import annotations

import collections
import dataclasses
import functools
from typing import Any, Callable, Hashable, Iterable, Iterator

import optree
from optree import PyTreeKind as _Kind

_NAMESPACE = "irax"

KeyEntry = Any
KeyPath = tuple[Any, ...]


# ---------------------------------------------------------------------------
# Key path entries

def _key_hash(self) -> int:
    # the class takes part, so SequenceKey(1) and FlattenedIndexKey(1) hash apart
    return hash((type(self).__name__, *dataclasses.astuple(self)))


@dataclasses.dataclass(frozen=True)
class SequenceKey:
    """The index of a child of a tuple, list or deque: `[0]`."""
    idx: int
    __hash__ = _key_hash

    def __str__(self) -> str:
        return f"[{self.idx!r}]"


@dataclasses.dataclass(frozen=True)
class DictKey:
    """The key of a child of a dict (OrderedDict, defaultdict): `['w']`."""
    key: Hashable
    __hash__ = _key_hash

    def __str__(self) -> str:
        return f"[{self.key!r}]"


@dataclasses.dataclass(frozen=True)
class GetAttrKey:
    """The field name of a child of a namedtuple or dataclass: `.bias`."""
    name: str
    __hash__ = _key_hash

    def __str__(self) -> str:
        return f".{self.name}"


@dataclasses.dataclass(frozen=True)
class FlattenedIndexKey:
    """The position of a child of a type registered without keys: `[<flat index 0>]`."""
    key: int
    __hash__ = _key_hash

    def __str__(self) -> str:
        return f"[<flat index {self.key}>]"


def keystr(keys: KeyPath, *, simple: bool = False, separator: str = "") -> str:
    """A key path as text: `['w'][0].bias`; with simple=True just the keys (`w/0/bias` with
    separator='/'), shorter but ambiguous (a list index 0 and a dict key "0" look alike)."""
    return separator.join(_simple_key(k) if simple else str(k) for k in keys)


def _simple_key(k: Any) -> str:
    for cls, field in ((SequenceKey, "idx"), (DictKey, "key"), (GetAttrKey, "name"),
                       (FlattenedIndexKey, "key")):
        if type(k) is cls:
            return str(getattr(k, field))
    return str(k)


class _GivenKey(optree.PyTreeEntry):
    """optree's path entry for a child of a type registered with keys: `entry` is the key
    the type's flatten function gave, used as it is in irax's key paths."""

    def codify(self, node: str = "") -> str:
        return f"{node}{self.entry}"


_SEQUENCE_KINDS = frozenset({_Kind.TUPLE, _Kind.LIST, _Kind.DEQUE})
_MAPPING_KINDS = frozenset({_Kind.DICT, _Kind.ORDEREDDICT, _Kind.DEFAULTDICT})
_FIELD_KINDS = frozenset({_Kind.NAMEDTUPLE, _Kind.STRUCTSEQUENCE})


def _path_key(entry: optree.PyTreeEntry) -> Any:
    """optree's entry of one step of a path -> the JAX-style key."""
    kind = entry.kind
    if kind in _SEQUENCE_KINDS:
        return SequenceKey(entry.entry)
    if kind in _MAPPING_KINDS:
        return DictKey(entry.entry)
    if kind in _FIELD_KINDS:
        return GetAttrKey(entry.field)
    if type(entry) is _GivenKey:
        return entry.entry
    return FlattenedIndexKey(entry.entry)


# ---------------------------------------------------------------------------
# Tree structures

_KIND_NAMES = {
    _Kind.LEAF: "leaf", _Kind.NONE: "none", _Kind.TUPLE: "tuple", _Kind.LIST: "list",
    _Kind.DICT: "dict", _Kind.NAMEDTUPLE: "namedtuple", _Kind.ORDEREDDICT: "ordereddict",
    _Kind.DEFAULTDICT: "defaultdict", _Kind.DEQUE: "deque", _Kind.STRUCTSEQUENCE: "structseq",
    _Kind.CUSTOM: "custom",
}


class _Children(tuple):
    """A treedef's children: a tuple (irax reads `td.children`) that can also be called,
    as JAX's `treedef.children()` is, for a list."""

    def __call__(self) -> list:
        return list(self)


class PyTreeDef:
    """The structure of a pytree (its nodes without the leaves). Equal structures compare
    and hash equal, so a treedef can be part of a cache key; a registered type's aux data
    is compared by equality and need not be hashable (a dict of settings, say)."""

    __slots__ = ("_spec", "_sorted")

    def __init__(self, spec: optree.PyTreeSpec):
        self._spec = spec
        self._sorted: optree.PyTreeSpec | None = None   # _sorted_keys(spec), when needed

    @property
    def kind(self) -> str:
        """The root node's kind: "leaf", "none", "tuple", "list", "dict", "namedtuple",
        "ordereddict", "defaultdict", "deque", "structseq" or "custom" (a registered type)."""
        return _KIND_NAMES[self._spec.kind]

    @property
    def num_leaves(self) -> int:
        return self._spec.num_leaves

    @property
    def num_nodes(self) -> int:
        return self._spec.num_nodes

    @property
    def children(self) -> _Children:
        """The structures of the root's children (none for a leaf)."""
        return _Children(PyTreeDef(c) for c in self._spec.children())

    @property
    def node_data(self) -> Any:
        """What besides its children rebuilds the root: the keys (a tuple) of a dict or
        OrderedDict, (default_factory, keys) of a defaultdict, the class of a namedtuple or
        struct sequence, a deque's maxlen, (type, aux data) of a registered type; None for
        a leaf, None, tuple and list."""
        kind = self._spec.kind
        if kind in (_Kind.LEAF, _Kind.NONE, _Kind.TUPLE, _Kind.LIST):
            return None
        top = self._spec.one_level()
        typ, data = top.walk([None] * top.num_leaves, f_node=lambda t, d, _: (t, d))
        if kind in (_Kind.DICT, _Kind.ORDEREDDICT):
            return tuple(data)
        if kind == _Kind.DEFAULTDICT:
            return data[0], tuple(data[1])
        if kind in _FIELD_KINDS:
            return typ
        if kind == _Kind.CUSTOM:
            return typ, data
        return data

    def unflatten(self, leaves: Iterable[Any]) -> Any:
        if self._sorted is None:
            self._sorted = _sorted_keys(self._spec)
        try:
            return self._sorted.unflatten(leaves)
        except ValueError as e:
            raise ValueError(str(e).replace("PyTreeSpec", "PyTreeDef")) from None

    def flatten_up_to(self, tree: Any) -> list[Any]:
        """The subtrees of `tree` at this structure's leaves (`tree` must have this structure
        down to them). A mismatch raises ValueError with JAX's message, which names the
        first differing node: "Expected list, got (7,).", "Dict key mismatch; ..."."""
        try:
            return self._spec.flatten_up_to(tree)
        except ValueError as e:
            raise ValueError(_up_to_mismatch(self, tree) or str(e)) from None

    def walk(self, f_node: Callable[[tuple, Any], Any], f_leaf: Callable[[Any], Any] | None,
             leaves: Iterable[Any]) -> Any:
        """Fold the structure bottom up, as JAX's PyTreeDef.walk: each leaf becomes
        f_leaf(leaf), each node f_node(tuple of its children's results, node data) (a
        dict's sorted keys as a list, a registered type's aux data, None for tuples,
        lists and None)."""
        values = iter(leaves)

        def fold(td: PyTreeDef) -> Any:
            if td.kind == "leaf":
                x = next(values)
                return x if f_leaf is None else f_leaf(x)
            results = tuple(fold(c) for c in td.children)
            data = td.node_data
            if td.kind in ("dict", "ordereddict"):
                data = list(data)
            elif td.kind == "custom":
                data = data[1]
            return f_node(results, data)
        return fold(self)

    def compose(self, inner: PyTreeDef) -> PyTreeDef:
        """This structure with `inner` in place of each leaf."""
        return PyTreeDef(self._spec.compose(inner._spec))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PyTreeDef):
            return NotImplemented
        return self._spec == other._spec

    def __hash__(self) -> int:
        return hash(self._spec)

    def __repr__(self) -> str:
        return f"PyTreeDef({_spec_text(self._spec)})"

    def __reduce__(self):
        return PyTreeDef, (self._spec,)


_NONE_PREFIX_HINT = (
    "\n\nIn previous releases of JAX, flatten-up-to used to consider None to be a tree-prefix"
    " of non-None values. To obtain the previous behavior, you can usually write:\n"
    "  jax.tree.map(lambda x, y: None if x is None else f(x, y), a, b, "
    "is_leaf=lambda x: x is None)")

_NODE_TYPES = {"ordereddict": collections.OrderedDict, "defaultdict": collections.defaultdict,
               "deque": collections.deque}


def _up_to_mismatch(node: PyTreeDef, tree: Any) -> str | None:
    """JAX's flatten_up_to message for the first node (depth first) where `tree` does not
    have the structure `node`; None when no node of the kinds checked here differs."""
    kind = node.kind
    if kind == "leaf":
        return None
    if kind == "none":
        return None if tree is None else f"Expected None, got {tree!r}.{_NONE_PREFIX_HINT}"
    children = list(node.children)
    if kind in ("list", "tuple"):
        if type(tree) is not (list if kind == "list" else tuple):
            return f"Expected {kind}, got {tree!r}."
        if len(tree) != len(children):
            return (f"{kind.capitalize()} arity mismatch: {len(tree)} != {len(children)}; "
                    f"{kind}: {tree!r}.")
        subtrees = list(tree)
    elif kind == "dict":
        if type(tree) is not dict:
            return f"Expected dict, got {tree!r}."
        keys = list(node.node_data)
        if set(tree) != set(keys):
            present = sorted(tree, key=lambda k: (type(k).__name__, k))
            return f"Dict key mismatch; expected keys: {keys!r}; present keys: {present!r}."
        subtrees = [tree[k] for k in keys]
    elif kind == "namedtuple":
        if not (isinstance(tree, tuple) and hasattr(type(tree), "_fields")):
            return f"Expected named tuple, got {tree!r}."
        if type(tree) is not node.node_data:
            return f"Named tuple type mismatch: expected type: {node.node_data!r}, tuple: {tree!r}."
        subtrees = list(tree)
    else:  # a registered type (JAX's "custom" nodes include OrderedDict, defaultdict, deque)
        expected = _NODE_TYPES.get(kind) or node.node_data
        expected = expected[0] if kind == "custom" else expected
        if type(tree) is not expected:
            return f"Custom node type mismatch: expected type: {expected!r}, value: {tree!r}."
        return None  # the children of a registered type: optree's own message
    for child, sub in zip(children, subtrees):
        msg = _up_to_mismatch(child, sub)
        if msg is not None:
            return msg
    return None


class _LeafType(type):
    def __repr__(cls) -> str:
        return "pytree leaf"


# a leaf that prints as "pytree leaf" (also as its type), for messages about structures
_PYTREE_LEAF = _LeafType("_Leaf", (), {})()


def _is_strict_leaf(x: Any) -> bool:
    td = tree_structure(x)
    return td.num_nodes == 1 and td.num_leaves == 1


def _children(n: int) -> str:
    return f"{n} child{'ren' if n > 1 else ''}"


def _equality_errors(t1: Any, t2: Any, path: tuple = ()) -> Iterator[tuple]:
    """(key path, what t1 is there, what t2 is there, why they differ) for each place,
    depth first, where two pytrees' structures part."""
    if _is_strict_leaf(t1) and _is_strict_leaf(t2):
        return
    if type(t1) is not type(t2):
        yield path, str(type(t1)), str(type(t2)), "their Python types differ"
        return
    if isinstance(t1, (list, tuple)) and len(t1) != len(t2):
        yield (path, f"{type(t1).__name__} of length {len(t1)}",
               f"{type(t2).__name__} of length {len(t2)}", "the lengths do not match")
        return
    kids1, meta1 = flatten_one_level_with_keys(t1)
    kids2, meta2 = flatten_one_level_with_keys(t2)
    if len(kids1) != len(kids2):
        try:
            diff = " ".join(repr(getattr(k, "key", k)) for k in
                            {k for k, _ in kids1} ^ {k for k, _ in kids2})
        except TypeError:
            diff = ""
        yield (path, f"{type(t1)} with {_children(len(kids1))}",
               f"{type(t2)} with {_children(len(kids2))}",
               "the numbers of children do not match"
               + (f", with the symmetric difference of key sets: {{{diff}}}" if diff else ""))
        return
    if meta1 != meta2:
        yield (path, f"{type(t1)} with pytree metadata {meta1}",
               f"{type(t2)} with pytree metadata {meta2}",
               "the pytree node metadata does not match")
        return
    for (k, c1), (_, c2) in zip(kids1, kids2):
        yield from _equality_errors(c1, c2, (*path, k))


_KEY_SORT_ERROR = "Comparator raised exception while sorting pytree dictionary keys."


def _sorted_dict_node(node: optree.PyTreeSpec) -> optree.PyTreeSpec:
    kind = node.kind
    if kind != _Kind.DICT and kind != _Kind.DEFAULTDICT:
        return node
    keys = node.entries()
    try:
        sorted(keys)
    except TypeError:
        raise ValueError(_KEY_SORT_ERROR) from None
    children = {k: optree.treespec_leaf(namespace=_NAMESPACE) for k in keys}
    if kind == _Kind.DICT:
        return optree.treespec_dict(children, namespace=_NAMESPACE)
    _, (factory, _) = node.walk([None] * node.num_leaves, f_node=lambda t, d, _: (t, d))
    return optree.treespec_defaultdict(factory, children, namespace=_NAMESPACE)


def _sort_transform(spec: optree.PyTreeSpec) -> optree.PyTreeSpec:
    if spec.kind == _Kind.LEAF:
        return spec
    return spec.transform(f_node=_sorted_dict_node)


_sort_cached = functools.lru_cache(maxsize=1024)(_sort_transform)


def _sorted_keys(spec: optree.PyTreeSpec) -> optree.PyTreeSpec:
    """spec, its dicts rebuilt with their keys in sorted order. optree's specs remember the
    insertion order but compare equal either way, so one cache entry serves all orders."""
    try:
        return _sort_cached(spec)
    except TypeError:   # a registered type's aux data is not hashable
        return _sort_transform(spec)


def _spec_text(spec: optree.PyTreeSpec) -> str:
    """A structure as JAX 0.10 prints it: `*` a leaf, Python syntax for None, tuples, lists
    and dicts, `CustomNode(name[node data], [children])` for every other node (namedtuples
    and OrderedDicts included)."""
    kind = spec.kind
    if kind == _Kind.LEAF:
        return "*"
    if kind == _Kind.NONE:
        return "None"
    kids = [_spec_text(c) for c in spec.children()]
    if kind == _Kind.TUPLE:
        return f"({kids[0]},)" if len(kids) == 1 else f"({', '.join(kids)})"
    if kind == _Kind.LIST:
        return f"[{', '.join(kids)}]"
    if kind == _Kind.DICT:
        return "{" + ", ".join(f"{k!r}: {c}" for k, c in zip(spec.entries(), kids)) + "}"
    if kind == _Kind.DEQUE:   # a node in irax (a leaf in JAX): written as optree does
        return f"deque([{', '.join(kids)}])"
    top = spec.one_level()
    typ, data = top.walk([None] * top.num_leaves, f_node=lambda t, d, _: (t, d))
    if kind == _Kind.NAMEDTUPLE:
        head = f"namedtuple[{typ.__name__}]"
    elif kind == _Kind.ORDEREDDICT:
        head = f"OrderedDict[{tuple(data)!r}]"
    elif kind == _Kind.DEFAULTDICT:
        head = f"defaultdict[{(data[0], tuple(data[1]))!r}]"
    elif kind == _Kind.STRUCTSEQUENCE:
        head = f"{typ.__name__}[None]"
    else:
        head = f"{typ.__name__}[{data!r}]"
    return f"CustomNode({head}, [{', '.join(kids)}])"


def _is_namedtuple(x: Any) -> bool:
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


# ---------------------------------------------------------------------------
# Flatten, unflatten, map

def tree_flatten(tree: Any, is_leaf: Callable[[Any], bool] | None = None
                 ) -> tuple[list[Any], PyTreeDef]:
    """(leaves, structure); `is_leaf(x)` True stops the descent at x."""
    leaves, spec = optree.tree_flatten(tree, is_leaf, none_is_leaf=False, namespace=_NAMESPACE)
    return leaves, PyTreeDef(spec)


def tree_unflatten(treedef: PyTreeDef, leaves: Iterable[Any]) -> Any:
    return treedef.unflatten(leaves)


def tree_leaves(tree: Any, is_leaf: Callable[[Any], bool] | None = None) -> list[Any]:
    return optree.tree_leaves(tree, is_leaf, none_is_leaf=False, namespace=_NAMESPACE)


def tree_structure(tree: Any, is_leaf: Callable[[Any], bool] | None = None) -> PyTreeDef:
    return PyTreeDef(optree.tree_structure(tree, is_leaf, none_is_leaf=False,
                                           namespace=_NAMESPACE))


def tree_map(f: Callable[..., Any], tree: Any, *rest: Any,
             is_leaf: Callable[[Any], bool] | None = None) -> Any:
    """f applied leaf by leaf. Each tree of `rest` has `tree`'s structure, or one that `tree`
    is a prefix of: f then gets its whole subtree where `tree` has a leaf."""
    leaves, spec = optree.tree_flatten(tree, is_leaf, none_is_leaf=False, namespace=_NAMESPACE)
    if not rest:
        return _sorted_keys(spec).unflatten(map(f, leaves))
    columns = [leaves] + [_flatten_up_to(spec, tree, r, i, is_leaf, "tree_map")
                          for i, r in enumerate(rest, 2)]
    return _sorted_keys(spec).unflatten(map(f, *columns))


def _flatten_up_to(spec: optree.PyTreeSpec, tree: Any, other: Any, which: int,
                   is_leaf: Callable[[Any], bool] | None, fname: str) -> list[Any]:
    try:
        return spec.flatten_up_to(other)
    except (ValueError, TypeError):
        mismatch = _prefix_mismatch(tree, other, is_leaf, ())
        if mismatch is None:
            raise
        raise ValueError(
            f"{fname}: tree {which} does not have the structure of the first tree: "
            f"pytree structure error: {mismatch}\n"
            f"The first tree's structure is {PyTreeDef(spec)};\n"
            f"tree {which}'s structure is {tree_structure(other)}.") from None


def _one_level(x: Any) -> tuple[PyTreeDef, list[Any], list[Any]] | None:
    """(root structure, children, child keys) of the outermost node of x; None for a leaf."""
    accessors, children, spec = optree.tree_flatten_with_accessor(
        x, lambda y: y is not x, none_is_leaf=False, namespace=_NAMESPACE)
    if spec.kind == _Kind.LEAF:
        return None
    return PyTreeDef(spec), children, [_path_key(a[0]) for a in accessors]


def _prefix_mismatch(prefix: Any, full: Any, is_leaf: Callable[[Any], bool] | None,
                     path: KeyPath) -> str | None:
    """Where and why `prefix` is not a prefix of `full` (the first place found), or None."""
    if tree_structure(prefix, is_leaf).kind == "leaf":
        return None     # a leaf is a prefix of anything
    where = f"key path\n    {keystr(path) or '(the root)'}\n"
    if type(prefix) is not type(full):
        return (f"different types at {where}where the first tree has a {type(prefix)} and "
                f"the other a {type(full)}.")
    p_def, p_children, p_keys = _one_level(prefix)
    f_def, f_children, f_keys = _one_level(full)
    if isinstance(prefix, (list, tuple)) and len(prefix) != len(full):
        return (f"different lengths of {type(prefix).__name__} at {where}where the first tree "
                f"has {len(prefix)} entries and the other {len(full)}.")
    if len(p_children) != len(f_children):
        only = ""
        try:
            differ = set(p_keys) ^ set(f_keys)
            only = f"; the keys in only one of them: {' '.join(map(str, differ))}"
        except TypeError:
            pass
        return (f"different numbers of pytree children at {where}where the first tree's "
                f"{type(prefix)} has {len(p_children)} and the other's {len(f_children)}{only}.")
    if p_def.node_data != f_def.node_data:
        return (f"different pytree metadata at {where}where the first tree's {type(prefix)} "
                f"has {p_def.node_data} and the other's {f_def.node_data}.")
    for key, p, f in zip(p_keys, p_children, f_children):
        found = _prefix_mismatch(p, f, is_leaf, (*path, key))
        if found is not None:
            return found
    return None


def tree_transpose(outer_treedef: PyTreeDef, inner_treedef: PyTreeDef | None,
                   pytree_to_transpose: Any) -> Any:
    """An outer tree of inner trees -> an inner tree of outer trees. inner_treedef None:
    the structure of the first inner tree."""
    leaves, treedef = tree_flatten(pytree_to_transpose)
    parts = None
    try:
        parts = outer_treedef.flatten_up_to(pytree_to_transpose)
    except (ValueError, TypeError):
        pass   # a registered type whose aux data depends on its children: count leaves only
    if inner_treedef is None:
        if parts is None:
            raise TypeError(f"tree_transpose: the tree {treedef} does not have the outer "
                            f"structure {outer_treedef}")
        inner_treedef = tree_structure(parts[0])
    n_inner, n_outer = inner_treedef.num_leaves, outer_treedef.num_leaves
    if (treedef.num_leaves != n_inner * n_outer
            or (parts is not None and any(tree_structure(p) != inner_treedef for p in parts))):
        raise TypeError(f"tree_transpose: Mismatch\n{treedef}\n != \n"
                        f"{outer_treedef.compose(inner_treedef)}")
    per_outer = [leaves[i * n_inner:(i + 1) * n_inner] for i in range(n_outer)]
    return inner_treedef.unflatten(outer_treedef.unflatten(column) for column in zip(*per_outer))


def tree_transpose_structure_error(expected: PyTreeDef, got: PyTreeDef, what: str) -> TypeError:
    return TypeError(f"{what}: expected pytree structure {expected}, got {got}")


def tree_broadcast(prefix_tree: Any, full_tree: Any,
                   is_leaf: Callable[[Any], bool] | None = None) -> Any:
    """full_tree's structure, each leaf the prefix_tree leaf above it."""
    leaves, spec = optree.tree_flatten(prefix_tree, is_leaf, none_is_leaf=False,
                                       namespace=_NAMESPACE)
    subtrees = _flatten_up_to(spec, prefix_tree, full_tree, 2, is_leaf, "tree_broadcast")
    out = []
    for x, sub in zip(leaves, subtrees):
        out.extend([x] * tree_structure(sub).num_leaves)
    return tree_structure(full_tree).unflatten(out)


# ---------------------------------------------------------------------------
# Key paths

def _replayed_is_leaf(tree: Any, is_leaf: Callable[[KeyPath, Any], bool]):
    """A one-argument is_leaf for optree that gives, node by node, the answers of the
    path-taking `is_leaf` (optree asks in pre-order, the order this walk asks in)."""
    answers: list[bool] = []

    def visit(x: Any, path: KeyPath) -> None:
        stop = bool(is_leaf(path, x))
        answers.append(stop)
        node = None if stop else _one_level(x)
        if node is not None:
            for key, child in zip(node[2], node[1]):
                visit(child, (*path, key))
    visit(tree, ())
    it = iter(answers)
    return lambda _: next(it)


def tree_flatten_with_path(tree: Any, is_leaf: Callable[..., bool] | None = None,
                           is_leaf_takes_path: bool = False
                           ) -> tuple[list[tuple[KeyPath, Any]], PyTreeDef]:
    """([(key path, leaf), ...], structure); is_leaf(path, x) with is_leaf_takes_path."""
    if is_leaf is not None and is_leaf_takes_path:
        is_leaf = _replayed_is_leaf(tree, is_leaf)
    accessors, leaves, spec = optree.tree_flatten_with_accessor(
        tree, is_leaf, none_is_leaf=False, namespace=_NAMESPACE)
    paths = [tuple(_path_key(e) for e in a) for a in accessors]
    return list(zip(paths, leaves)), PyTreeDef(spec)


def tree_leaves_with_path(tree: Any, is_leaf: Callable[..., bool] | None = None,
                          is_leaf_takes_path: bool = False) -> list[tuple[KeyPath, Any]]:
    return tree_flatten_with_path(tree, is_leaf, is_leaf_takes_path)[0]


def tree_map_with_path(f: Callable[..., Any], tree: Any, *rest: Any,
                       is_leaf: Callable[..., bool] | None = None,
                       is_leaf_takes_path: bool = False) -> Any:
    """f(key path, leaf, *leaves of rest) leaf by leaf (rest as in tree_map)."""
    pairs, treedef = tree_flatten_with_path(tree, is_leaf, is_leaf_takes_path)
    plain_is_leaf = None if is_leaf_takes_path else is_leaf
    columns = [[p for p, _ in pairs], [x for _, x in pairs]]
    columns += [_flatten_up_to(treedef._spec, tree, r, i, plain_is_leaf, "tree_map_with_path")
                for i, r in enumerate(rest, 2)]
    return treedef.unflatten(map(f, *columns))


# ---------------------------------------------------------------------------
# Structures and nodes

def treedef_is_leaf(treedef: PyTreeDef) -> bool:
    """True for a structure of one node: a leaf, but also None or () (as JAX)."""
    return treedef.num_nodes == 1


def treedef_children(treedef: PyTreeDef) -> list[PyTreeDef]:
    return list(treedef.children)


def treedef_tuple(treedefs: Iterable[PyTreeDef]) -> PyTreeDef:
    """The structure of a tuple whose entries have these structures."""
    return PyTreeDef(optree.treespec_tuple([t._spec for t in treedefs], none_is_leaf=False,
                                           namespace=_NAMESPACE))


def top_node(x: Any) -> tuple[str, Any, list] | None:
    """(kind, node data, children) of the outermost node of `x` (as PyTreeDef's `kind` and
    `node_data` name them); None if `x` is a leaf."""
    node = _one_level(x)
    if node is None:
        return None
    td, children, _ = node
    return td.kind, td.node_data, children


def flatten_one_level(tree: Any) -> tuple[list[Any], Any]:
    """(children, aux data) of the outermost node; ValueError for a leaf."""
    node = _one_level(tree)
    if node is None:
        raise ValueError(f"can't tree-flatten type: {type(tree)}")
    td, children, _ = node
    data = td.node_data
    return children, data[1] if td.kind == "custom" else data


def flatten_one_level_with_keys(tree: Any) -> tuple[list[tuple[Any, Any]], Any]:
    """([(key, child), ...], aux data) of the outermost node; ValueError for a leaf."""
    node = _one_level(tree)
    if node is None:
        raise ValueError(f"can't tree-flatten type: {type(tree)}")
    td, children, keys = node
    data = td.node_data
    return list(zip(keys, children)), data[1] if td.kind == "custom" else data


def all_leaves(iterable: Iterable[Any], is_leaf: Callable[[Any], bool] | None = None) -> bool:
    """Is every element a leaf (so that tree_leaves would give the elements back)?"""
    items = list(iterable)
    if is_leaf is None:
        return optree.all_leaves(items, none_is_leaf=False, namespace=_NAMESPACE)
    leaves = tree_leaves(items, is_leaf)
    return len(leaves) == len(items) and all(a is b for a, b in zip(items, leaves))


def is_tree_node(typ: type) -> bool:
    """Is `typ` a container type of pytrees (built in, a namedtuple, or registered)?"""
    return (optree.register_pytree_node.get(typ, namespace=_NAMESPACE) is not None
            or optree.is_namedtuple_class(typ) or optree.is_structseq_class(typ))


# ---------------------------------------------------------------------------
# Reductions

class _NoInitial:
    def __repr__(self) -> str:
        return "<no initial value>"


_NO_INITIAL = _NoInitial()


def tree_reduce(function: Callable[[Any, Any], Any], tree: Any, initializer: Any = _NO_INITIAL,
                is_leaf: Callable[[Any], bool] | None = None) -> Any:
    leaves = tree_leaves(tree, is_leaf)
    if initializer is _NO_INITIAL:
        return functools.reduce(function, leaves)
    return functools.reduce(function, leaves, initializer)


def tree_reduce_associative(operation: Callable[[Any, Any], Any], tree: Any, *,
                            identity: Any = _NO_INITIAL,
                            is_leaf: Callable[[Any], bool] | None = None) -> Any:
    """Reduce by halves (a balanced tree of `operation` calls)."""
    def halves(xs: list[Any]) -> Any:
        if len(xs) == 1:
            return xs[0]
        mid = len(xs) // 2
        return operation(halves(xs[:mid]), halves(xs[mid:]))
    leaves = tree_leaves(tree, is_leaf)
    if not leaves:
        if identity is _NO_INITIAL:
            raise TypeError("tree_reduce_associative of a tree without leaves needs identity=")
        return identity
    return halves(leaves)


def tree_all(tree: Any, *, is_leaf: Callable[[Any], bool] | None = None) -> bool:
    return all(tree_leaves(tree, is_leaf))
