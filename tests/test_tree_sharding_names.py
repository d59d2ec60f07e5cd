"""jax.tree.static, jax.tree_util.default_registry and jax.sharding.ManualAxisType in irax
(issue 12), against what JAX 0.10 does with them (JAX is the test-only oracle)."""
import dataclasses

import jax
import numpy as np
import pytest

import irax
import irax.numpy as jnp


def test_tree_static_marks_a_dataclass_field_static():
    for tree_mod, tu in ((irax.tree, irax.tree_util), (jax.tree, jax.tree_util)):
        @tu.register_dataclass
        @dataclasses.dataclass
        class Op:
            x: object
            op: str = tree_mod.static(default="add")
        leaves, treedef = tu.tree_flatten(Op(x=np.float32(1.5)))
        assert leaves == [1.5]
        assert tu.tree_unflatten(treedef, [2.0]).op == "add"
        assert dataclasses.fields(Op)[1].metadata["static"] is True
    # jit treats it as static: a Python string reaches the traced function
    @irax.tree_util.register_dataclass
    @dataclasses.dataclass
    class Scaled:
        x: object
        how: str = irax.tree.static(default="double")

    out = irax.jit(lambda s: s.x * (2 if s.how == "double" else 3))(Scaled(jnp.ones(2)))
    np.testing.assert_array_equal(np.asarray(out), [2.0, 2.0])


def test_default_registry_methods_match_jax():
    tree = {"b": (1, 2), "a": [3]}
    ours, theirs = irax.tree_util.default_registry, jax.tree_util.default_registry
    assert ours.flatten(tree)[0] == theirs.flatten(tree)[0] == [3, 1, 2]
    assert ours.flatten_one_level(tree) == theirs.flatten_one_level(tree)
    assert [k for k, _ in ours.flatten_one_level_with_keys(tree)[0]] == [
        irax.tree_util.DictKey("a"), irax.tree_util.DictKey("b")]
    assert ours.is_node((1,)) == theirs.is_node((1,)) is False

    class Pair:
        def __init__(self, a, b):
            self.a, self.b = a, b
    ours.register_node(Pair, lambda p: ((p.a, p.b), None), lambda _, c: Pair(*c))
    assert irax.tree_util.tree_leaves(Pair(1, (2, 3))) == [1, 2, 3]


def test_manual_axis_type_is_interned_and_checked():
    M = irax.sharding.ManualAxisType
    a = M(varying={"x"}, unreduced={"y"})
    assert a is M(varying=frozenset({"x"}), unreduced={"y"})
    assert repr(a) == repr(jax.sharding.ManualAxisType(varying=frozenset({"x"}),
                                                       unreduced=frozenset({"y"})))
    assert a.update(reduced={"z"}).reduced == frozenset({"z"})
    with pytest.raises(ValueError, match="varying and unreduced"):
        M(varying={"x"}, unreduced={"x"})
    with pytest.raises(AttributeError):
        a.varying = frozenset()
