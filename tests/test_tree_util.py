"""irax.tree_util and irax.tree against JAX 0.10: the expected leaves, key paths and keystr
texts below are JAX's outputs written in as literals; the differential tests ask
jax.tree_util itself."""
from __future__ import annotations

import collections
import dataclasses
import functools
import pickle

import numpy as np
import optree
import pytest

import irax
import irax.numpy as jnp
from irax import tree_util as tu

jax_tu = pytest.importorskip("jax.tree_util")

P = collections.namedtuple("P", "x y")


class Box:
    """Registered without keys: paths use FlattenedIndexKey; aux data is the tag."""

    def __init__(self, a, b, tag):
        self.a, self.b, self.tag = a, b, tag

    def __eq__(self, other):
        return type(other) is Box and (self.a, self.b, self.tag) == (other.a, other.b, other.tag)


class KeyedBox:
    """Registered with keys, one a JAX key and one a plain string."""

    def __init__(self, a, b):
        self.a, self.b = a, b

    def __eq__(self, other):
        return type(other) is KeyedBox and (self.a, self.b) == (other.a, other.b)


@dataclasses.dataclass
class Layer:
    w: object
    b: object
    act: str = dataclasses.field(default="relu", metadata={"static": True})


class Settings:
    """A node whose aux data is a dict (unhashable): compared by equality."""

    def __init__(self, x, opts):
        self.x, self.opts = x, opts


for registry in (tu, jax_tu):   # the same registrations in both, for the differential tests
    registry.register_pytree_node(Box, lambda o: ((o.a, o.b), o.tag),
                                  lambda tag, ch: Box(ch[0], ch[1], tag))
    registry.register_pytree_with_keys(
        KeyedBox, lambda o, r=registry: (((r.GetAttrKey("a"), o.a), ("bee", o.b)), None),
        lambda _, ch: KeyedBox(*ch))
    registry.register_dataclass(Layer)
    registry.register_pytree_node(Settings, lambda s: ((s.x,), s.opts),
                                  lambda opts, ch: Settings(ch[0], opts))

MIXED = {"params": {"w": 1, "b": [2, 3]}, "nt": P(x=4, y=None),
         "od": collections.OrderedDict(z=5, a=6), "dd": collections.defaultdict(list, {"q": 7, "c": 8}),
         "t": (9, (), [10])}


# ---------------------------------------------------------------------------
# flatten order, key paths, keystr (JAX's outputs as literals)

def test_builtin_nodes_leaves_and_paths():
    pairs = tu.tree_leaves_with_path(MIXED)
    # dict and defaultdict keys sorted, OrderedDict in insertion order, None and () empty
    assert [x for _, x in pairs] == [8, 7, 4, 5, 6, 2, 3, 1, 9, 10]
    assert [tu.keystr(p) for p, _ in pairs] == [
        "['dd']['c']", "['dd']['q']", "['nt'].x", "['od']['z']", "['od']['a']",
        "['params']['b'][0]", "['params']['b'][1]", "['params']['w']", "['t'][0]", "['t'][2][0]"]
    assert [tu.keystr(p, simple=True, separator="/") for p, _ in pairs] == [
        "dd/c", "dd/q", "nt/x", "od/z", "od/a", "params/b/0", "params/b/1", "params/w", "t/0",
        "t/2/0"]
    assert pairs[2][0] == (tu.DictKey("nt"), tu.GetAttrKey("x"))
    assert pairs[5][0] == (tu.DictKey("params"), tu.DictKey("b"), tu.SequenceKey(0))
    td = tu.tree_structure(MIXED)
    assert (td.num_leaves, td.num_nodes) == (10, 20)
    assert repr(tu.tree_structure({"b": (1, None), "a": [2, {}]})) == \
        "PyTreeDef({'a': [*, {}], 'b': (*, None)})"
    assert tu.tree_leaves(None) == [] and tu.tree_structure(None).num_nodes == 1
    leaves, td = tu.tree_flatten(MIXED)
    back = tu.tree_unflatten(td, leaves)
    assert back == MIXED and type(back["od"]) is collections.OrderedDict
    assert list(back["od"]) == ["z", "a"] and back["dd"].default_factory is list


def test_registered_nodes_paths_and_rebuild():
    tree = [Box(1, [2, 3], "t"), KeyedBox(4, {"k": 5}), Layer(w=6, b=(7,), act="tanh")]
    pairs = tu.tree_leaves_with_path(tree)
    assert [x for _, x in pairs] == [1, 2, 3, 4, 5, 6, 7]
    assert [tu.keystr(p) for p, _ in pairs] == [
        "[0][<flat index 0>]", "[0][<flat index 1>][0]", "[0][<flat index 1>][1]", "[1].a",
        "[1]bee['k']", "[2].w", "[2].b[0]"]
    assert pairs[4][0] == (tu.SequenceKey(1), "bee", tu.DictKey("k"))
    td = tu.tree_structure(tree)
    assert td.num_leaves == 7
    rebuilt = tu.tree_unflatten(td, range(10, 17))
    assert rebuilt == [Box(10, [11, 12], "t"), KeyedBox(13, {"k": 14}), Layer(15, (16,), "tanh")]
    # the static field is aux data: a different act is a different structure
    assert tu.tree_structure(Layer(1, 2, "relu")) != tu.tree_structure(Layer(1, 2, "tanh"))
    assert tu.tree_structure(Layer(1, 2, "relu")) == tu.tree_structure(Layer(3, 4, "relu"))


def test_register_dataclass_explicit_fields_and_errors():
    @dataclasses.dataclass
    class Pair:
        lo: object
        hi: object
        n: int

    tu.register_dataclass(Pair, data_fields=["hi", "lo"], meta_fields=["n"])
    pairs = tu.tree_leaves_with_path(Pair(lo=1, hi=2, n=3))
    assert [(tu.keystr(p), x) for p, x in pairs] == [(".hi", 2), (".lo", 1)]
    assert tu.tree_unflatten(tu.tree_structure(Pair(0, 0, 3)), [5, 4]) == Pair(lo=4, hi=5, n=3)

    class NotDC:
        pass
    with pytest.raises(TypeError, match="not a dataclass"):
        tu.register_dataclass(NotDC)
    with pytest.raises(TypeError, match="both"):
        tu.register_dataclass(Pair, data_fields=["lo"])

    @dataclasses.dataclass
    class Three:
        a: int
        b: int
        c: int
    with pytest.raises(ValueError, match=r"Missing fields: \{'c'\}"):
        tu.register_dataclass(Three, data_fields=["a"], meta_fields=["b"])
    with pytest.raises(ValueError, match=r"must not overlap. Overlapping fields: \{'b'\}"):
        tu.register_dataclass(Three, data_fields=["a", "b"], meta_fields=["b", "c"])


def test_register_classes_and_static():
    @tu.register_pytree_node_class
    class Special:
        def __init__(self, x, y):
            self.x, self.y = x, y

        def tree_flatten(self):
            return (self.x, self.y), "aux"

        @classmethod
        def tree_unflatten(cls, aux, children):
            assert aux == "aux"
            return cls(*children)

    @tu.register_pytree_with_keys_class
    class WithKeys(Special):
        def tree_flatten_with_keys(self):
            return ((tu.GetAttrKey("x"), self.x), (tu.GetAttrKey("y"), self.y)), "aux"

    assert [tu.keystr(p) for p, _ in tu.tree_leaves_with_path(Special(1, 2))] == \
        ["[<flat index 0>]", "[<flat index 1>]"]
    assert [tu.keystr(p) for p, _ in tu.tree_leaves_with_path(WithKeys(1, [2]))] == [".x", ".y[0]"]
    out = tu.tree_map(lambda v: v * 10, WithKeys(1, 2))
    assert type(out) is WithKeys and (out.x, out.y) == (10, 20)

    @tu.register_static
    class Mode(str):
        pass
    assert tu.tree_leaves([Mode("train"), 1]) == [1]
    assert tu.tree_structure(Mode("a")) == tu.tree_structure(Mode("a"))
    assert tu.tree_structure(Mode("a")) != tu.tree_structure(Mode("b"))
    assert tu.tree_unflatten(tu.tree_structure([Mode("a"), 0]), [5]) == ["a", 5]


def test_is_leaf_and_is_leaf_takes_path():
    x = [(1, 2), (3, 4), (5, 6)]
    assert tu.tree_leaves(x, is_leaf=lambda t: isinstance(t, tuple)) == x
    assert tu.tree_structure(x, is_leaf=lambda t: isinstance(t, list)).num_leaves == 1
    pairs = tu.tree_leaves_with_path(((1, 2), [3, {4: 4, 5: 5}]),
                                     is_leaf=lambda kp, _: len(kp) >= 2, is_leaf_takes_path=True)
    S = tu.SequenceKey
    assert pairs == [((S(0), S(0)), 1), ((S(0), S(1)), 2), ((S(1), S(0)), 3),
                     ((S(1), S(1)), {4: 4, 5: 5})]
    out = tu.tree_map_with_path(lambda kp, a, b: (kp[0].idx, a, b), ((1, 2), [3, 4]),
                                (([3], 0), ([0], 7)),
                                is_leaf=lambda kp, n: isinstance(n, list), is_leaf_takes_path=True)
    assert out == (((0, 1, [3]), (0, 2, 0)), (1, [3, 4], ([0], 7)))


def test_key_entries():
    keys = [tu.SequenceKey(1), tu.DictKey("foo"), tu.GetAttrKey("bar"), tu.FlattenedIndexKey(1)]
    assert [str(k) for k in keys] == ["[1]", "['foo']", ".bar", "[<flat index 1>]"]
    assert [repr(k) for k in keys] == ["SequenceKey(idx=1)", "DictKey(key='foo')",
                                       "GetAttrKey(name='bar')", "FlattenedIndexKey(key=1)"]
    assert [pickle.loads(pickle.dumps(k)) for k in keys] == keys
    assert tu.SequenceKey(1) != tu.FlattenedIndexKey(1)
    assert hash(tu.SequenceKey(1)) != hash(tu.FlattenedIndexKey(1))
    assert hash(tu.DictKey("foo")) == hash(tu.DictKey("foo"))
    found = []
    for k in keys:
        match k:
            case tu.SequenceKey(idx=i):
                found.append(("seq", i))
            case tu.DictKey(key=name):
                found.append(("dict", name))
            case tu.GetAttrKey(name=name):
                found.append(("attr", name))
            case tu.FlattenedIndexKey(key=i):
                found.append(("flat", i))
    assert found == [("seq", 1), ("dict", "foo"), ("attr", "bar"), ("flat", 1)]
    assert tu.keystr((tu.DictKey("a"), tu.SequenceKey(0), tu.GetAttrKey("x"),
                      tu.FlattenedIndexKey(2))) == "['a'][0].x[<flat index 2>]"


# ---------------------------------------------------------------------------
# structures

def test_treedef_methods():
    tree = ((1, 2, (3, 4)), (5,))
    leaves, td = tu.tree_flatten(tree)
    assert td.kind == "tuple" and td.num_leaves == 5 and td.num_nodes == 9
    kids = tu.treedef_children(td)
    assert kids == [tu.tree_structure((0, 0, (0, 0))), tu.tree_structure((0,))]
    assert td.children() == kids and list(td.children) == kids   # JAX's call and irax's tuple
    assert tu.treedef_tuple(kids) == td
    assert tu.tree_structure((3,)) == tu.treedef_tuple([tu.tree_structure(3)])
    assert tu.treedef_is_leaf(tu.tree_structure(1))
    assert tu.treedef_is_leaf(tu.tree_structure(None))    # one node, as JAX says
    assert not tu.treedef_is_leaf(tu.tree_structure([1]))
    composed = tu.tree_structure({"a": 0, "b": 0}).compose(tu.tree_structure([0, 0, 0]))
    assert (composed.num_leaves, composed.num_nodes) == (6, 9)
    assert tu.tree_structure({"a": 1}).flatten_up_to({"a": (7, 8)}) == [(7, 8)]
    assert tu.tree_structure({"b": 0, "a": 0}).node_data == ("a", "b")
    assert tu.tree_structure(P(1, 2)).node_data is P
    assert tu.tree_structure(Box(1, 2, "t")).node_data == (Box, "t")
    assert pickle.loads(pickle.dumps(td)) == td
    with pytest.raises(ValueError, match="PyTreeDef"):
        td.unflatten([1, 2])


def test_unhashable_aux_data_compares_by_equality():
    a = tu.tree_structure(Settings(1.0, {"scale": 2, "mode": "x"}))
    b = tu.tree_structure(Settings(3.0, {"mode": "x", "scale": 2}))
    c = tu.tree_structure(Settings(1.0, {"scale": 3, "mode": "x"}))
    assert a == b and hash(a) == hash(b) and a != c
    assert {a: 1}[b] == 1


def test_jit_traces_once_for_equal_dict_aux():
    traces = []

    @irax.jit
    def f(s):
        traces.append(1)
        return s.x * s.opts["scale"]

    x = jnp.asarray(np.array([1.0, 2.0], np.float32))
    np.testing.assert_allclose(np.asarray(f(Settings(x, {"scale": 3.0}))), [3.0, 6.0])
    np.testing.assert_allclose(np.asarray(f(Settings(x + 1, {"scale": 3.0}))), [6.0, 9.0])
    assert len(traces) == 1           # an equal dict is the same structure: no retrace
    f.lower(Settings(x, {"scale": 4.0}))
    assert len(traces) == 2           # a different dict is a different structure


def test_partial():
    def f(a, b, c=0):
        return a * 100 + b * 10 + c

    p = tu.Partial(f, 1, c=3)
    leaves, td = tu.tree_flatten(p)
    assert leaves == [1, 3]
    q = tu.tree_unflatten(td, [4, 5])
    assert type(q) is tu.Partial and q(2) == 425
    inner = functools.partial(f, 7)
    nested = tu.Partial(inner, 8)
    assert nested.args == (8,) and tu.tree_leaves(nested) == [8]   # not merged with inner
    assert nested() == 780 and nested.func == inner and inner == nested.func
    assert tu.tree_leaves(tu.Partial(tu.Partial(f, 1), 2)) == [2]

    @irax.jit
    def call(g, x):
        return g(x)

    y = call(tu.Partial(jnp.multiply, jnp.asarray(np.float32(3.0))), jnp.asarray(np.float32(2.0)))
    assert float(y) == 6.0


def test_all_leaves_transpose_reduce_broadcast():
    assert tu.all_leaves([1, "a", np.ones(2)])
    assert not tu.all_leaves([None]) and not tu.all_leaves([1, (2,)])
    assert tu.all_leaves([(1,)], is_leaf=lambda x: isinstance(x, tuple))
    outer, inner = tu.tree_structure([0, 0, 0]), tu.tree_structure((0, 0))
    assert tu.tree_transpose(outer, inner, [(1, 2), (3, 4), (5, 6)]) == ([1, 3, 5], [2, 4, 6])
    assert tu.tree_transpose(tu.tree_structure([0, 0]), None, [{"a": 1, "b": 2}, {"a": 3, "b": 4}]) \
        == {"a": [1, 3], "b": [2, 4]}
    with pytest.raises(TypeError, match="Mismatch"):
        tu.tree_transpose(tu.tree_structure({"a": 1, "b": 2, "c": 3}), tu.tree_structure([1, 2]),
                          {"a": [1, 2], "b": [3, 4]})
    with pytest.raises(TypeError, match="Mismatch"):   # right leaf count, lists not tuples
        tu.tree_transpose(outer, inner, [[1, 2], [3, 4], [5, 6]])
    assert tu.tree_reduce(lambda a, b: a * 10 + b, [1, (2, 3), {"z": 4, "a": 5}]) == 12354
    assert tu.tree_reduce(lambda a, b: a + b, [], 7) == 7
    assert tu.tree_reduce(lambda a, b: a + b, [(1, 2), [(3, 4)]],
                          is_leaf=lambda t: isinstance(t, tuple)) == (1, 2, 3, 4)
    assert tu.tree_reduce_associative(lambda a, b: a + b, [1, [2, 3]]) == 6
    assert tu.tree_all([True, {"a": 1}]) and not tu.tree_all([True, (0,)])
    assert tu.tree_broadcast((1, 2, 3), (0, {"a": 0, "b": 0}, (0, 0))) == (1, {"a": 2, "b": 2}, (3, 3))
    with pytest.raises(ValueError, match="pytree structure error"):
        tu.tree_broadcast((1, 2), (0, {"a": 0, "b": 0}, (0, 0)))


def test_tree_map_prefix_and_mismatch_errors():
    assert tu.tree_map(lambda a, b: (a, b), [1, {"k": 2}], [[3, 4], {"k": (5,)}]) == \
        [(1, [3, 4]), {"k": (2, (5,))}]
    cases = [
        ([1, (2, 3)], [1, [2, 3]], "different types at key path\n    [1]\n"),
        ([1, 2], [1, 2, 3], "different lengths of list at key path\n    (the root)\n"),
        ({"a": 1}, {"b": 1}, "different pytree metadata at key path\n    (the root)\n"),
        ({"a": (1, 2)}, {"a": (1,)}, "different lengths of tuple at key path\n    ['a']\n"),
        (Box(1, 2, "t"), Box(1, 2, "u"), "different pytree metadata"),
    ]
    for first, second, where in cases:
        with pytest.raises(ValueError) as info:
            tu.tree_map(lambda a, b: a, first, second)
        msg = str(info.value)
        assert msg.startswith("tree_map: tree 2 does not have the structure of the first tree: "
                              "pytree structure error: "), msg
        assert where in msg, msg
        # both structures named
        assert f"{tu.tree_structure(first)}" in msg and f"{tu.tree_structure(second)}" in msg, msg
    with pytest.raises(ValueError, match="different numbers of pytree children"):
        tu.tree_map_with_path(lambda p, a, b: a, {"a": 1}, {"a": 1, "b": 2})


def test_irax_tree_namespace():
    tree = {"w": np.float32(2.0), "b": [np.float32(1.0), None]}
    assert irax.tree.leaves(tree) == [1.0, 2.0]
    assert irax.tree.map(lambda v: v * 2, tree) == {"w": 4.0, "b": [2.0, None]}
    leaves, td = irax.tree.flatten(tree)
    assert irax.tree.unflatten(td, leaves) == tree and irax.tree.structure(tree) == td
    assert irax.tree.reduce(lambda a, b: a + b, tree) == 3.0
    assert irax.tree.all(tree) and not irax.tree.all([0.0])
    assert irax.tree.transpose(irax.tree.structure([0, 0]), None, [(1, 2), (3, 4)]) == ([1, 3], [2, 4])
    assert [tu.keystr(p) for p, _ in irax.tree.leaves_with_path(tree)] == ["['b'][0]", "['w']"]
    assert irax.tree.map_with_path(lambda p, v: tu.keystr(p), tree) == \
        {"w": "['w']", "b": ["['b'][0]", None]}
    pairs, td2 = irax.tree.flatten_with_path(tree)
    assert td2 == td and [v for _, v in pairs] == leaves


def test_registrations_stay_in_the_irax_namespace():
    class Mine:
        def __init__(self, v):
            self.v = v
    tu.register_pytree_node(Mine, lambda m: ((m.v,), None), lambda _, ch: Mine(ch[0]))
    m = Mine(3)
    assert tu.tree_leaves([m]) == [3]
    assert optree.tree_leaves([m]) == [m]          # optree's global namespace: still a leaf
    with pytest.raises(ValueError):                 # registering twice is refused, as in JAX
        tu.register_pytree_node(Mine, lambda m: ((m.v,), None), lambda _, ch: Mine(ch[0]))


def test_aot_argument_names_are_key_paths():
    from irax.aot.export import trace

    def fn(params, x):
        return params["nt"].x * x + params["od"]["z"][0]

    spec = irax.ShapeDtypeStruct((2,), "float32")
    params = {"nt": P(x=spec, y=spec), "od": collections.OrderedDict(z=[spec])}
    info, _ = trace("fn", fn, (params, spec))
    assert info.arg_names == ["params['nt'].x", "params['nt'].y", "params['od']['z'][0]", "x"]


# ---------------------------------------------------------------------------
# differential: irax.tree_util against jax.tree_util

DIFF_TREES = [
    MIXED,
    [Box(1, [2, 3], "t"), KeyedBox(4, {"k": 5}), Layer(w=6, b=(7,), act="tanh")],
    (None, (None,), [], {}, [()]),
    {"z": [1, (2, None)], "a": P(3, {"k": 4}), 7: "int key"},
    Settings(np.float32(1.5), {"a": 1}),
    [Box(None, Layer(1, [2, None]), ("x", 1)), collections.OrderedDict(b=KeyedBox(1, 2), a=3)],
]


@pytest.mark.parametrize("tree", DIFF_TREES, ids=range(len(DIFF_TREES)))
def test_against_jax(tree):
    if isinstance(tree, dict) and 7 in tree:
        tree = {str(k): v for k, v in tree.items()}   # JAX refuses to sort mixed key types
    jl, jtd = jax_tu.tree_flatten(tree)
    il, itd = tu.tree_flatten(tree)
    assert il == jl
    assert (itd.num_leaves, itd.num_nodes) == (jtd.num_leaves, jtd.num_nodes)
    j_paths = [(jax_tu.keystr(p), jax_tu.keystr(p, simple=True, separator="/"))
               for p, _ in jax_tu.tree_leaves_with_path(tree)]
    i_paths = [(tu.keystr(p), tu.keystr(p, simple=True, separator="/"))
               for p, _ in tu.tree_leaves_with_path(tree)]
    assert i_paths == j_paths
    numbered = list(range(len(il)))
    assert tu.tree_leaves(tu.tree_unflatten(itd, numbered)) == \
        jax_tu.tree_leaves(jax_tu.tree_unflatten(jtd, numbered))
    assert tu.tree_leaves(tu.tree_map(lambda v: (v,), tree)) == \
        jax_tu.tree_leaves(jax_tu.tree_map(lambda v: (v,), tree))
    assert len(tu.treedef_children(itd)) == len(jax_tu.treedef_children(jtd))
    assert tu.all_leaves(il) == jax_tu.all_leaves(jl)
    assert tu.all_leaves([tree]) == jax_tu.all_leaves([tree])


def test_repr_against_jax():
    for tree in [(1, (2, [3, None])), {"b": {}, "a": [(), 1]}, None, [[]], (1,)]:
        assert repr(tu.tree_structure(tree)) == repr(jax_tu.tree_structure(tree))
