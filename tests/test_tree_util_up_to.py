"""PyTreeDef.flatten_up_to on a tree of another structure: the ValueError names the first
differing node in JAX's words; each case asks jax.tree_util for the message."""
from __future__ import annotations

import collections

import pytest

from irax import tree_util as tu

jax_tu = pytest.importorskip("jax.tree_util")

Pair = collections.namedtuple("Pair", "a b")
OtherPair = collections.namedtuple("OtherPair", "a b")


class Node:
    """A registered type (flattened to its two fields)."""

    def __init__(self, x, y):
        self.x, self.y = x, y

    def __repr__(self):
        return f"Node({self.x!r}, {self.y!r})"


for _registry in (tu, jax_tu):
    _registry.register_pytree_node(Node, lambda n: ((n.x, n.y), None), lambda _, c: Node(*c))

MISMATCHES = [
    ([1, 2], [7]),                         # list arity
    ((1,), (7, 8)),                        # tuple arity
    ({"a": 1}, {"a": 7, "b": 8}),          # dict keys: extra
    ({"a": 1, "b": 2}, {"a": 7}),          # dict keys: missing
    ({"a": 1}, {"b": 7}),
    ([1], {"a": 7}), ([1], (7,)), ((1,), [7]), ({"a": 1}, [7]), ([1], 5),
    ([[1]], [(7,)]), ({"a": (1,)}, {"a": [7]}), (([1],), ({"a": 7},)),   # nested
    ({"x": {"a": 1}}, {"x": {"b": 7}}),
    ([Pair(1, 2)], [(1, 2)]), ([Pair(1, 2)], [OtherPair(1, 2)]),          # namedtuples
    ([Node([1], 2)], [([1], 2)]),                                          # registered type
    (None, [2]),                                                           # None is no prefix
]


@pytest.mark.parametrize("structure, tree", MISMATCHES, ids=[repr(c) for c in MISMATCHES])
def test_mismatch_message_is_jaxs(structure, tree):
    with pytest.raises(ValueError) as want:
        jax_tu.tree_structure(structure).flatten_up_to(tree)
    with pytest.raises(ValueError) as got:
        tu.tree_structure(structure).flatten_up_to(tree)
    assert str(got.value) == str(want.value)


def test_matching_prefix_still_flattens():
    # The message search runs only on failure; a matching tree gives the subtrees as before.
    structure = {"b": [0, Pair(0, 0)], "a": None}
    tree = {"a": None, "b": [{"deep": [1]}, Pair(2, (3, 4))]}
    assert tu.tree_structure(structure).flatten_up_to(tree) == [{"deep": [1]}, 2, (3, 4)]


@pytest.mark.parametrize("call", [
    lambda r, C: r.register_dataclass(type("NotADataclass", (), {})),
    lambda r, C: r.register_dataclass(C, data_fields=["x"]),
    lambda r, C: r.register_dataclass(C, data_fields=["x"], meta_fields=[]),
    lambda r, C: r.register_dataclass(C, data_fields=["x"], meta_fields=["y", "w"]),
    lambda r, C: r.register_dataclass(C, data_fields=["x", "y"], meta_fields=["x"]),
], ids=["not-a-dataclass", "one-of-the-two", "missing", "unexpected", "overlapping"])
def test_register_dataclass_errors_are_jaxs(call):
    import dataclasses

    @dataclasses.dataclass
    class C:
        x: float
        y: float
        z: float = dataclasses.field(init=False, default=0.0)   # not an __init__ field
    with pytest.raises(Exception) as want:
        call(jax_tu, C)
    with pytest.raises(Exception) as got:
        call(tu, C)
    assert type(got.value) is type(want.value)
    assert str(got.value).replace("irax", "jax") == str(want.value).replace("irax", "jax")


def test_walk_folds_like_jaxs():
    tree = {"b": 2, "a": 1, "c": [3, (4, Pair(5, 6))], "d": None}
    f_node = lambda results, data: ("node", results, data if not isinstance(data, type)
                                    else data.__name__)
    f_leaf = lambda x: x * 10
    want = jax_tu.tree_structure(tree).walk(f_node, f_leaf, jax_tu.tree_leaves(tree))
    got = tu.tree_structure(tree).walk(f_node, f_leaf, tu.tree_leaves(tree))
    assert got == want


BadPairs = {name: type(name, (), {"__init__": lambda self, a, b: None})
            for name in ("NotTuple", "Triple", "NoIter")}
_BAD_FLATTEN = {"NotTuple": lambda o: "hello", "Triple": lambda o: (2, 3, 4),
                "NoIter": lambda o: (7, 7)}
for _registry in (tu, jax_tu):
    for _name, _cls in BadPairs.items():
        _registry.register_pytree_node(_cls, _BAD_FLATTEN[_name], lambda _, c: None)


@pytest.mark.parametrize("name", list(BadPairs))
def test_bad_flatten_functions_raise_jaxs_error(name):
    with pytest.raises(ValueError) as want:
        jax_tu.tree_flatten(BadPairs[name](1, 2))
    with pytest.raises(ValueError) as got:
        tu.tree_flatten(BadPairs[name](1, 2))
    assert str(got.value) == str(want.value)
