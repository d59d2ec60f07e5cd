"""Pytrees: nested tuples, lists, dicts (sorted keys), namedtuples, None, and registered types."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Hashable, Iterable

_registry: dict[type, tuple[Callable, Callable]] = {}


def register_pytree_node(nodetype: type, flatten_func: Callable[[Any], tuple[Iterable, Any]],
                         unflatten_func: Callable[[Any, Iterable], Any]) -> None:
    """flatten_func(x) -> (children, aux_data); unflatten_func(aux_data, children) -> x."""
    _registry[nodetype] = (flatten_func, unflatten_func)


def register_pytree_node_class(cls: type) -> type:
    register_pytree_node(cls, lambda x: x.tree_flatten(), cls.tree_unflatten)
    return cls


def _is_namedtuple(x: Any) -> bool:
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


@dataclass(frozen=True)
class PyTreeDef:
    kind: str                 # "leaf", "none", "tuple", "list", "dict", "namedtuple", "custom"
    node_data: Hashable       # dict keys, namedtuple class, custom (type, aux)
    children: tuple["PyTreeDef", ...] = ()

    def __hash__(self) -> int:
        # aux data of registered nodes is compared by equality and need not be hashable
        # (a dict of settings, say): hash what can be hashed, and a coarse stand-in for
        # the rest that equal values share
        return hash((self.kind, _safe_hash(self.node_data), self.children))

    @property
    def num_leaves(self) -> int:
        if self.kind == "leaf":
            return 1
        return sum(c.num_leaves for c in self.children)

    @property
    def num_nodes(self) -> int:
        return 1 + sum(c.num_nodes for c in self.children)

    def __repr__(self) -> str:
        return f"PyTreeDef({self._fmt()})"

    def _fmt(self) -> str:
        if self.kind == "leaf":
            return "*"
        if self.kind == "none":
            return "None"
        inner = ", ".join(c._fmt() for c in self.children)
        if self.kind == "tuple":
            return f"({inner}{',' if len(self.children) == 1 else ''})"
        if self.kind == "list":
            return f"[{inner}]"
        if self.kind == "dict":
            return "{" + ", ".join(f"{k!r}: {c._fmt()}" for k, c in
                                   zip(self.node_data, self.children)) + "}"
        if self.kind == "namedtuple":
            return f"{self.node_data.__name__}({inner})"
        return f"CustomNode({self.node_data[0].__name__}[{self.node_data[1]}], [{inner}])"

    def unflatten(self, leaves: Iterable[Any]) -> Any:
        return tree_unflatten(self, leaves)


def _safe_hash(x: Any) -> int:
    try:
        return hash(x)
    except TypeError:
        pass
    if isinstance(x, tuple):
        return hash(tuple(_safe_hash(v) for v in x))
    if isinstance(x, dict):
        return hash(("dict", frozenset(x)))
    if isinstance(x, (list, set)):
        return hash((type(x).__name__, len(x)))
    return hash(type(x))


_LEAF = PyTreeDef("leaf", None)
_NONE = PyTreeDef("none", None)


def _flatten(x: Any, leaves: list, is_leaf: Callable[[Any], bool] | None) -> PyTreeDef:
    if is_leaf is not None and is_leaf(x):
        leaves.append(x)
        return _LEAF
    if x is None:
        return _NONE
    t = type(x)
    if t in _registry:
        children, aux = _registry[t][0](x)
        return PyTreeDef("custom", (t, aux), tuple(_flatten(c, leaves, is_leaf) for c in children))
    if _is_namedtuple(x):
        return PyTreeDef("namedtuple", t, tuple(_flatten(c, leaves, is_leaf) for c in x))
    if isinstance(x, tuple):
        return PyTreeDef("tuple", None, tuple(_flatten(c, leaves, is_leaf) for c in x))
    if isinstance(x, list):
        return PyTreeDef("list", None, tuple(_flatten(c, leaves, is_leaf) for c in x))
    if isinstance(x, dict):
        keys = tuple(sorted(x))
        return PyTreeDef("dict", keys, tuple(_flatten(x[k], leaves, is_leaf) for k in keys))
    leaves.append(x)
    return _LEAF


def top_node(x: Any) -> tuple[str, Any, list] | None:
    """(kind, node data, children) of the outermost node of `x`; None if `x` is a leaf."""
    if x is None:
        return "none", None, []
    t = type(x)
    if t in _registry:
        children, aux = _registry[t][0](x)
        return "custom", (t, aux), list(children)
    if _is_namedtuple(x):
        return "namedtuple", t, list(x)
    if isinstance(x, tuple):
        return "tuple", None, list(x)
    if isinstance(x, list):
        return "list", None, list(x)
    if isinstance(x, dict):
        keys = tuple(sorted(x))
        return "dict", keys, [x[k] for k in keys]
    return None


def tree_flatten(tree: Any, is_leaf: Callable[[Any], bool] | None = None
                 ) -> tuple[list[Any], PyTreeDef]:
    leaves: list[Any] = []
    treedef = _flatten(tree, leaves, is_leaf)
    return leaves, treedef


def tree_unflatten(treedef: PyTreeDef, leaves: Iterable[Any]) -> Any:
    it = iter(leaves)
    out = _unflatten(treedef, it)
    rest = list(it)
    if rest:
        raise ValueError(f"tree_unflatten: {len(rest)} leaves left over for {treedef}")
    return out


def _unflatten(td: PyTreeDef, it) -> Any:
    if td.kind == "leaf":
        try:
            return next(it)
        except StopIteration:
            raise ValueError("tree_unflatten: too few leaves for the tree structure") from None
    if td.kind == "none":
        return None
    children = [_unflatten(c, it) for c in td.children]
    if td.kind == "tuple":
        return tuple(children)
    if td.kind == "list":
        return children
    if td.kind == "dict":
        return dict(zip(td.node_data, children))
    if td.kind == "namedtuple":
        return td.node_data(*children)
    nodetype, aux = td.node_data
    return _registry[nodetype][1](aux, children)


def tree_leaves(tree: Any, is_leaf: Callable[[Any], bool] | None = None) -> list[Any]:
    return tree_flatten(tree, is_leaf)[0]


def tree_structure(tree: Any, is_leaf: Callable[[Any], bool] | None = None) -> PyTreeDef:
    return tree_flatten(tree, is_leaf)[1]


def tree_map(f: Callable[..., Any], tree: Any, *rest: Any,
             is_leaf: Callable[[Any], bool] | None = None) -> Any:
    leaves, treedef = tree_flatten(tree, is_leaf)
    others = []
    for r in rest:
        r_leaves, r_def = tree_flatten(r, is_leaf)
        if r_def != treedef:
            raise ValueError(f"tree_map: pytree structures differ: {treedef} vs {r_def}")
        others.append(r_leaves)
    return tree_unflatten(treedef, [f(*xs) for xs in zip(leaves, *others)])


def treedef_is_leaf(treedef: PyTreeDef) -> bool:
    return treedef.kind == "leaf"


def treedef_children(treedef: PyTreeDef) -> list[PyTreeDef]:
    return list(treedef.children)


def tree_all(tree: Any) -> bool:
    return all(tree_leaves(tree))


def tree_reduce(f: Callable[[Any, Any], Any], tree: Any, *initial: Any) -> Any:
    import functools
    return functools.reduce(f, tree_leaves(tree), *initial)


def tree_transpose_structure_error(expected: PyTreeDef, got: PyTreeDef, what: str) -> TypeError:
    return TypeError(f"{what}: expected pytree structure {expected}, got {got}")
