"""What JAX's own docs print, printed by irax: saved residuals (autodiff_remat.md,
gradient-checkpointing.md), boolean-mask errors (Common_Gotchas, thinking_in_jax.md),
complex derivatives (autodiff_cookbook.md, complex-differentiation.md), pytrees
(pytrees.md, custom_pytrees.md) and io_callback (external-callbacks.md).

Expected strings and numbers are JAX 0.10's outputs for the same code (written in here),
NumPy's, or finite differences."""
from __future__ import annotations

import collections
import contextlib
import io

import numpy as np
import pytest

import irax
import irax.numpy as jnp
from irax import tree_util
from irax.ad_checkpoint import checkpoint_name, print_saved_residuals
from irax.experimental import io_callback

# the functions of autodiff_remat.md, compiled as a notebook cell named "cell1": the
# source locations JAX prints are then the same on both sides
CELL1 = '''
def g(W, x):
  y = jnp.dot(W, x)
  return jnp.sin(y)

def f(W1, W2, W3, x):
  x = g(W1, x)
  x = g(W2, x)
  x = g(W3, x)
  return x

def f2(W1, W2, W3, x):
  x = jax.checkpoint(g)(W1, x)
  x = jax.checkpoint(g)(W2, x)
  x = jax.checkpoint(g)(W3, x)
  return x

def f4(W1, W2, W3, x):
  x = checkpoint_name(g(W1, x), name='a')
  x = checkpoint_name(g(W2, x), name='b')
  x = checkpoint_name(g(W3, x), name='c')
  return x

def loss(params, x, y):
  return jnp.sum((predict(params, x) - y)**2)

def predict(params, x):
  *Ws, Wlast = params
  for W in Ws:
    x = layer(W, x)
  x = jnp.dot(Wlast, x)
  return x

def layer(W, x):
  return jnp.sin(jnp.dot(W, x))

def kw(a, *rest, scale, **opts):
  return jnp.sum(jnp.sin(a) * scale + rest[0] * opts['z']['w'])
'''

ARGS = ("f32[5,4] from the argument W1\nf32[6,5] from the argument W2\n"
        "f32[7,6] from the argument W3\nf32[4] from the argument x\n")
PARAMS = ("f32[4,4] from the argument params[0]\nf32[4,4] from the argument params[1]\n"
          "f32[4,4] from the argument params[2]\nf32[4] from the argument x\n")
# JAX 0.10's print_saved_residuals of each case below
JAX_RESIDUALS = [
    ARGS + "f32[5] output of sin from cell1:4:9 (g)\nf32[5] output of cos from cell1:4:9 (g)\n"
    "f32[6] output of sin from cell1:4:9 (g)\nf32[6] output of cos from cell1:4:9 (g)\n"
    "f32[7] output of cos from cell1:4:9 (g)\n",
    ARGS + "f32[5] output of sin from cell1:4:9 (g)\nf32[6] output of sin from cell1:4:9 (g)\n",
    ARGS + "f32[5] output of dot_general from cell1:3:6 (g)\n"
    "f32[6] output of dot_general from cell1:3:6 (g)\n"
    "f32[7] output of dot_general from cell1:3:6 (g)\n",
    ARGS + "f32[5] named 'a' from cell1:19:6 (f4)\n",
    PARAMS + "f32[4] output of sin from cell1:35:9 (layer)\n"
    "f32[4] output of cos from cell1:35:9 (layer)\nf32[4] output of sin from cell1:35:9 (layer)\n"
    "f32[4] output of cos from cell1:35:9 (layer)\nf32[4] output of mul from cell1:25:17 (loss)\n",
    PARAMS + "f32[4] from the argument y\nf32[4] output of dot_general from cell1:35:17 (layer)\n"
    "f32[4] output of dot_general from cell1:35:17 (layer)\n"
    "f32[4] output of dot_general from cell1:31:6 (predict)\n",
    "f32[3] from the argument rest[0]\nf32[3] from the argument opts['z']['w']\n"
    "f32[3] output of sin from cell1:38:17 (kw)\nf32[3] output of cos from cell1:38:17 (kw)\n"
    "f32[3] output of convert_element_type from cell1:38:17 (kw)\n",
]


def test_print_saved_residuals_prints_as_jax():
    ns = {"jax": irax, "jnp": jnp, "checkpoint_name": checkpoint_name}
    exec(compile(CELL1, "cell1", "exec"), ns)
    W1, W2, W3, x = jnp.ones((5, 4)), jnp.ones((6, 5)), jnp.ones((7, 6)), jnp.ones(4)
    P = irax.checkpoint_policies
    params = ([jnp.ones((4, 4))] * 3, jnp.ones(4), jnp.ones(4))
    cases = [
        (ns["f"], (W1, W2, W3, x), {}),
        (ns["f2"], (W1, W2, W3, x), {}),
        (irax.checkpoint(ns["f"], policy=P.dots_with_no_batch_dims_saveable), (W1, W2, W3, x), {}),
        (irax.checkpoint(ns["f4"], policy=P.save_only_these_names("a")), (W1, W2, W3, x), {}),
        (ns["loss"], params, {}),
        (irax.checkpoint(ns["loss"], policy=P.dots_with_no_batch_dims_saveable), params, {}),
        (ns["kw"], (jnp.ones(3), jnp.ones(3)), {"z": {"w": jnp.ones(3)}, "scale": jnp.full(3, 2.)}),
    ]
    for (fn, args, kwargs), want in zip(cases, JAX_RESIDUALS):
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            print_saved_residuals(fn, *args, **kwargs)
        assert buf.getvalue() == want


def test_source_info_is_recorded_only_for_saved_residuals():
    # make_jaxpr does not walk the stack per equation (that would cost it ~25%)
    closed = irax.make_jaxpr(lambda x: jnp.sin(x) * 2.0)(1.0)
    assert all(e.source_info is None for e in closed.jaxpr.eqns)


# ---------------------------------------------------------------------------
# boolean masks of traced values (Common_Gotchas_in_JAX.md, thinking_in_jax.md)

JAX_BOOL_INDEX_MSG = ("Array boolean indices must be concrete; got bool[{}]\n\nSee "
                      "https://docs.jax.dev/en/latest/errors.html"
                      "#jax.errors.NonConcreteBooleanIndexError")


def test_boolean_mask_of_traced_values_raises_jax_error():
    x = jnp.arange(-2.0, 3.0)
    cases = [(irax.jit(lambda x: x[x > 0]), x, 5),
             (irax.jit(lambda x: x.at[x > 0].set(0.0)), x, 5),
             (irax.jit(lambda x: jnp.sum(x[~jnp.isnan(x)])), x, 5),
             (irax.vmap(lambda x: x[x > 0]), jnp.ones((3, 2)), 2)]
    for fn, arg, n in cases:
        with pytest.raises(irax.errors.NonConcreteBooleanIndexError) as info:
            fn(arg)
        assert isinstance(info.value, IndexError)
        assert not isinstance(info.value, irax.errors.ConcretizationTypeError)
        assert str(info.value) == JAX_BOOL_INDEX_MSG.format(n)
    # concrete masks still index (eagerly and under grad)
    np.testing.assert_array_equal(np.asarray(x[x > 0]), [1.0, 2.0])
    g = irax.grad(lambda v: jnp.sum(v[v > 0] ** 2))(x)
    np.testing.assert_allclose(np.asarray(g), [0, 0, 0, 2, 4])


# ---------------------------------------------------------------------------
# complex numbers (autodiff_cookbook.md, complex-differentiation.md)


def test_isclose_of_complex_numbers_as_numpy():
    z = np.array([1 + 2j, 3 + 4j, np.inf, 1 + 1e-7j, complex(np.nan, 0)], np.complex64)
    w = np.array([1 + 2j, 3 + 4.1j, np.inf, 1 + 0j, complex(np.nan, 0)], np.complex64)
    for kw in ({}, {"equal_nan": True}, {"atol": 0.2}):
        np.testing.assert_array_equal(np.asarray(jnp.isclose(z, w, **kw)), np.isclose(z, w, **kw))
    assert bool(jnp.allclose(z[:2], z[:2])) and not bool(jnp.allclose(z, w))


HERMITIAN = np.array([[5., 2. + 3j, 5j], [2. - 3j, 7., 1. + 7j], [-5j, 1. - 7j, 12.]],
                     np.complex64)


def test_cholesky_of_a_hermitian_matrix():
    L = np.asarray(jnp.linalg.cholesky(HERMITIAN))
    np.testing.assert_allclose(L, np.linalg.cholesky(HERMITIAN), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(L @ L.conj().T, HERMITIAN, rtol=1e-5, atol=1e-5)
    assert np.all(np.isnan(np.asarray(jnp.linalg.cholesky(-np.eye(2, dtype=np.complex64)))
                           .real[0, 0]))

    def f(X):
        L = jnp.linalg.cholesky(X)
        return jnp.sum((L - jnp.sin(L)) ** 2)
    # JAX 0.10's grad(f, holomorphic=True)(A) (complex-differentiation.md)
    want = np.array([[-0.7534186 + 0.j, -3.0509028 - 10.940544j, 5.9896846 + 3.5423026j],
                     [-3.0509028 + 10.940544j, -8.904491 + 0.j, -5.1351523 - 6.559373j],
                     [5.9896846 - 3.5423026j, -5.1351523 + 6.559373j, 0.01320427 + 0.j]])
    got = irax.grad(f, holomorphic=True)(HERMITIAN)
    np.testing.assert_allclose(np.asarray(got), want, rtol=2e-5, atol=2e-5)


def test_grad_at_complex_arguments_types_as_jax():
    # JAX 0.10's reprs
    assert repr(irax.grad(lambda z: jnp.real(z) ** 2 + jnp.imag(z) ** 2)(3. + 4j)) == \
        "Array(6.-8.j, dtype=complex64)"
    assert repr(irax.grad(jnp.abs)(3. + 4j)) == "Array(0.6-0.8j, dtype=complex64)"
    assert repr(irax.grad(lambda z: jnp.float32(1.))(3. + 4j)) == \
        "Array(0.+0.j, dtype=complex64, weak_type=True)"
    assert repr(irax.grad(lambda z: z * z, holomorphic=True)(3. + 4j)) == \
        "Array(6.+8.j, dtype=complex64, weak_type=True)"
    assert repr(irax.grad(lambda x: x * jnp.float32(2))(3.)) == \
        "Array(2., dtype=float32, weak_type=True)"
    assert repr(irax.vjp(jnp.real, 3. + 4j)[1](1.0)) == "(Array(1.+0.j, dtype=complex64),)"


def test_array_repr_layout_as_jax():
    np_opts = np.get_printoptions()
    try:
        np.set_printoptions(precision=4)
        assert repr(jnp.asarray(HERMITIAN)) == (
            "Array([[ 5.+0.j,  2.+3.j,  0.+5.j],\n       [ 2.-3.j,  7.+0.j,  1.+7.j],\n"
            "       [-0.-5.j,  1.-7.j, 12.+0.j]], dtype=complex64)")
    finally:
        np.set_printoptions(**np_opts)
    assert repr(jnp.zeros((0, 3))) == "Array([], shape=(0, 3), dtype=float32)"
    assert repr(jnp.arange(100)).endswith("97, 98, 99],      dtype=int32)")
    assert repr(jnp.arange(30.)) == (
        "Array([ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11., 12.,\n"
        "       13., 14., 15., 16., 17., 18., 19., 20., 21., 22., 23., 24., 25.,\n"
        "       26., 27., 28., 29.], dtype=float32)")


# ---------------------------------------------------------------------------
# pytrees (pytrees.md, custom_pytrees.md)


class _MyTree:
    def __init__(self, a):
        self.a = jnp.asarray(a)


tree_util.register_pytree_node(_MyTree, lambda t: ((t.a,), None), lambda _, c: _MyTree(*c))
Point = collections.namedtuple("Point", ["x", "y"])


def test_rebuilt_dicts_have_sorted_keys_and_unsortable_keys_raise():
    assert list(irax.tree.map(lambda x: x, {"b": 1, "a": {"y": 2, "x": 3}})) == ["a", "b"]
    assert list(irax.tree.map(lambda x: x, {"b": 1, "a": {"y": 2, "x": 3}})["a"]) == ["x", "y"]
    leaves, td = tree_util.tree_flatten({"t": 1, "obs": 3})
    assert list(tree_util.tree_unflatten(td, leaves)) == ["obs", "t"]
    steps = [dict(t=1, obs=3), dict(t=2, obs=4)]
    assert repr(irax.tree.map(lambda *xs: list(xs), *steps)) == "{'obs': [3, 4], 't': [1, 2]}"
    dd = irax.tree.map(lambda x: x, collections.defaultdict(list, {"q": 1, "p": 2}))
    assert list(dd) == ["p", "q"] and dd.default_factory is list
    od = irax.tree.map(lambda x: x, collections.OrderedDict(b=1, a=2))   # insertion order
    assert list(od) == ["b", "a"]
    with pytest.raises(ValueError, match="Comparator raised exception while sorting pytree "
                                         "dictionary keys."):
        irax.tree.map(lambda x: x + 1, {1: 7, "y": 42})


def test_treedef_repr_as_jax():
    # JAX 0.10's reprs
    cases = [(Point(1., 2.), "PyTreeDef(CustomNode(namedtuple[Point], [*, *]))"),
             ([Point(1, (2, 3)), {"p": Point(1, None)}],
              "PyTreeDef([CustomNode(namedtuple[Point], [*, (*, *)]), "
              "{'p': CustomNode(namedtuple[Point], [*, None])}])"),
             (collections.OrderedDict(b=1, a=2),
              "PyTreeDef(CustomNode(OrderedDict[('b', 'a')], [*, *]))"),
             (collections.defaultdict(list, {"q": 1, "p": 2}),
              "PyTreeDef(CustomNode(defaultdict[(<class 'list'>, ('p', 'q'))], [*, *]))"),
             (_MyTree(1.), "PyTreeDef(CustomNode(_MyTree[None], [*]))"),
             ((1., {"b": 2., "a": 3.}), "PyTreeDef((*, {'a': *, 'b': *}))"),
             ((None,), "PyTreeDef((None,))"), ((), "PyTreeDef(())"), ({}, "PyTreeDef({})")]
    for tree, want in cases:
        assert repr(tree_util.tree_structure(tree)) == want


def test_array_of_none_and_jacobian_of_a_tree_refusing_none():
    with pytest.raises(ValueError, match="None is not a valid value for jnp.array"):
        jnp.asarray(None)
    # custom_pytrees.md: jacobian rebuilds the argument's type with None leaves (as JAX)
    with pytest.raises(ValueError, match="None is not a valid value for jnp.array"):
        irax.jacobian(lambda x: x)(_MyTree(jnp.arange(3.0)))


# ---------------------------------------------------------------------------
# io_callback (external-callbacks.md)


def test_io_callback():
    seen = []

    def host(x):
        seen.append(np.asarray(x).tolist())
        return (np.asarray(x) * 2).astype(np.float32)
    spec = irax.ShapeDtypeStruct((3,), np.float32)
    x = np.arange(3, dtype=np.float32)
    np.testing.assert_array_equal(np.asarray(io_callback(host, spec, x)), 2 * x)
    jitted = irax.jit(lambda x: io_callback(host, spec, x) + 1)
    np.testing.assert_array_equal(np.asarray(jitted(x)), 2 * x + 1)
    # vmap of an unordered one: once per element, in order
    seen.clear()
    rows = np.arange(6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_array_equal(np.asarray(irax.vmap(lambda r: io_callback(host, spec, r))(rows)),
                                  2 * rows)
    assert seen == rows.tolist()
    with pytest.raises(ValueError, match="Cannot `vmap` ordered IO callback."):
        irax.vmap(lambda r: io_callback(host, spec, r, ordered=True))(rows)
    with pytest.raises(ValueError, match="IO callbacks do not support JVP."):
        irax.grad(lambda x: jnp.sum(io_callback(host, spec, x)))(x)
    # an io_callback the derivative does not depend on runs (once), as in JAX
    said = []

    def f(x):
        io_callback(lambda: said.append("hello"), None)
        return x * 3.0
    assert float(irax.grad(f)(1.0)) == 3.0 and said == ["hello"]


def test_unused_pure_callback_is_dropped_under_jit_io_callback_is_not():
    # external-callbacks.md: JAX's dead-code elimination drops a pure callback whose result
    # is unused (it does not run); an io_callback is an effect and runs
    calls = []

    def host(tag):
        def fn():
            calls.append(tag)
            return np.int32(0)
        return fn

    @irax.jit
    def f(x):
        irax.pure_callback(host("pure, unused"), np.int32(0))
        used = irax.pure_callback(host("pure, used"), np.int32(0))
        io_callback(host("io, unused"), np.int32(0))
        return x + used
    assert float(f(1.0)) == 1.0
    assert sorted(calls) == ["io, unused", "pure, used"]
    # grad still refuses an unused one (it transforms the traced equations, as JAX does)
    def g(x):
        irax.pure_callback(lambda x: x, irax.ShapeDtypeStruct((), np.float32), x)
        return x
    with pytest.raises(ValueError, match="Pure callbacks do not support JVP"):
        irax.grad(irax.jit(g))(1.0)
