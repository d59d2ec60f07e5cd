"""The user-facing transformations, pytrees, the IR printer/type checker, Array behaviour,
dtype rules, indexing, and the error messages users see."""
from __future__ import annotations

import collections

import numpy as np
import pytest

import irax
import irax.numpy as jnp
from irax import lax, nn, tree_util
from irax.tracer import core


def close(a, b, tol=1e-5):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol)


def tree_close(a, b, tol=1e-5):
    la, ta = tree_util.tree_flatten(a)
    lb, tb = tree_util.tree_flatten(b)
    assert ta == tb, f"{ta} != {tb}"
    for x, y in zip(la, lb):
        close(x, y, tol)


# ---------------------------------------------------------------------------
# grad, value_and_grad, argnums, has_aux


def _mlp_params(rng, sizes=(3, 5, 2)):
    return [dict(w=rng.standard_normal((m, n)), b=rng.standard_normal(n))
            for m, n in zip(sizes[:-1], sizes[1:])]


def _mlp_loss(params, x, y):
    h = x
    for i, p in enumerate(params):
        h = h @ p["w"] + p["b"]
        if i < len(params) - 1:
            h = jnp.tanh(h)
    return jnp.mean(jnp.sum((nn.log_softmax(h) * y), axis=-1) * -1.0)


def test_grad_mlp_loss_vs_finite_differences(x64):
    rng = np.random.default_rng(0)
    params = tree_util.tree_map(jnp.asarray, _mlp_params(rng))
    x = jnp.asarray(rng.standard_normal((4, 3)))
    y = jnp.asarray(np.eye(2)[rng.integers(0, 2, 4)])
    g = irax.grad(_mlp_loss)(params, x, y)
    assert tree_util.tree_structure(g) == tree_util.tree_structure(params)
    leaves, treedef = tree_util.tree_flatten(params)
    eps = 1e-6
    for k, leaf in enumerate(leaves):
        flat = np.asarray(leaf).ravel()
        gk = np.asarray(tree_util.tree_leaves(g)[k]).ravel()
        for j in range(flat.size):
            def at(delta):
                v = flat.copy()
                v[j] += delta
                new = list(leaves)
                new[k] = jnp.asarray(v.reshape(leaf.shape))
                return float(_mlp_loss(tree_util.tree_unflatten(treedef, new), x, y))
            fd = (at(eps) - at(-eps)) / (2 * eps)
            assert abs(gk[j] - fd) < 1e-7, (k, j, gk[j], fd)


def test_grad_float32_default():
    g = irax.grad(lambda x: jnp.sum(x ** 2))(jnp.arange(3.0))
    assert g.dtype == np.float32
    close(g, [0.0, 2.0, 4.0])


def test_value_and_grad():
    f = lambda x, y: jnp.sin(x) * y
    v, g = irax.value_and_grad(f)(1.0, 2.0)
    close(v, np.sin(1.0) * 2.0)
    close(g, np.cos(1.0) * 2.0)
    v, (gx, gy) = irax.value_and_grad(f, argnums=(0, 1))(1.0, 2.0)
    close(gx, np.cos(1.0) * 2.0)
    close(gy, np.sin(1.0))


def test_argnums():
    f = lambda x, y, z: x * y ** 2 + z
    assert isinstance(irax.grad(f, argnums=(1,))(1.0, 3.0, 0.0), tuple)
    gx, gz = irax.grad(f, argnums=(0, 2))(1.0, 3.0, 5.0)
    close(gx, 9.0)
    close(gz, 1.0)
    close(irax.grad(f, argnums=1)(2.0, 3.0, 0.0), 12.0)
    close(irax.grad(f, argnums=-1)(2.0, 3.0, 0.0), 1.0)


def test_has_aux():
    def f(x):
        y = jnp.sum(x ** 2)
        return y, {"y": y, "x": x}
    g, aux = irax.grad(f, has_aux=True)(jnp.arange(3.0))
    close(g, [0.0, 2.0, 4.0])
    close(aux["y"], 5.0)
    assert isinstance(aux["y"], irax.Array)   # aux comes back as concrete arrays
    (v, aux2), g2 = irax.value_and_grad(f, has_aux=True)(jnp.arange(3.0))
    close(v, 5.0)
    close(g2, g)


def test_grad_of_pytree_input():
    Point = collections.namedtuple("Point", ["x", "y"])
    f = lambda p: p.x * p.y + jnp.sum(p.y)
    g = irax.grad(f)(Point(jnp.asarray(2.0), jnp.asarray(3.0)))
    assert isinstance(g, Point)
    close(g.x, 3.0)
    close(g.y, 3.0)


def test_grad_weak_scalar_input_keeps_weak_type():
    g = irax.grad(lambda x: x * x)(3.0)
    assert g.dtype == np.float32
    close(g, 6.0)


def test_grad_through_int_conversion_and_where():
    f = lambda x: jnp.sum(jnp.where(x > 0, x ** 2, -x)) + x.astype(jnp.int32).sum()
    close(irax.grad(f)(jnp.array([-1.0, 2.0])), [-1.0, 4.0])


def test_grad_grad_grad():
    f = lambda x: jnp.sin(x) * x
    d3 = irax.grad(irax.grad(irax.grad(f)))(0.7)
    # f''' = -3 sin x - x cos x
    close(d3, -3 * np.sin(0.7) - 0.7 * np.cos(0.7))


def test_stop_gradient():
    f = lambda x: x * lax.stop_gradient(x)
    close(irax.grad(f)(3.0), 3.0)
    tree = lax.stop_gradient({"a": jnp.ones(2), "b": 3})
    assert set(tree) == {"a", "b"}
    assert irax.grad(lambda x: jnp.sum(lax.stop_gradient(x)))(jnp.ones(2)).tolist() == [0, 0]


# ---------------------------------------------------------------------------
# jvp, linearize, vjp


def test_jvp_pytrees():
    f = lambda d: {"s": jnp.sin(d["a"]), "p": d["a"] * d["b"]}
    primals = ({"a": jnp.asarray(1.0), "b": jnp.asarray(2.0)},)
    tangents = ({"a": jnp.asarray(1.0), "b": jnp.asarray(0.5)},)
    y, t = irax.jvp(f, primals, tangents)
    close(y["s"], np.sin(1.0))
    close(t["s"], np.cos(1.0))
    close(t["p"], 2.0 + 0.5)


def test_linearize_matches_jvp():
    f = lambda x: jnp.tanh(x) * jnp.sum(x)
    x = jnp.asarray([0.1, -0.4, 0.9])
    y, f_jvp = irax.linearize(f, x)
    close(y, f(x))
    for v in (np.ones(3, np.float32), np.array([1.0, -2.0, 0.5], np.float32)):
        close(f_jvp(jnp.asarray(v)), irax.jvp(f, (x,), (jnp.asarray(v),))[1])


def test_vjp_multiple_outputs():
    f = lambda x, y: (x * y, jnp.sin(x))
    out, f_vjp = irax.vjp(f, 2.0, 3.0)
    gx, gy = f_vjp((1.0, 0.0))
    close(gx, 3.0)
    close(gy, 2.0)
    gx, gy = f_vjp((0.0, 1.0))
    close(gx, np.cos(2.0))
    close(gy, 0.0)


def test_jvp_errors():
    with pytest.raises(TypeError, match="tuples or lists"):
        irax.jvp(jnp.sin, 1.0, 1.0)
    with pytest.raises(ValueError, match="shape"):
        irax.jvp(jnp.sin, (jnp.ones(3),), (jnp.ones(2),))
    with pytest.raises(TypeError, match="same tree structure"):
        irax.jvp(lambda a, b: a, (1.0, 2.0), (1.0,))


# ---------------------------------------------------------------------------
# jacobians and hessians


def _vec_fn(x):
    return jnp.stack([x[0] * x[1], jnp.sin(x[2]), jnp.sum(x ** 2), jnp.exp(x[0])])


def test_jacfwd_equals_jacrev():
    x = jnp.asarray([0.3, -1.2, 0.7])
    jf, jr = irax.jacfwd(_vec_fn)(x), irax.jacrev(_vec_fn)(x)
    assert jf.shape == jr.shape == (4, 3)
    close(jf, jr)
    x0, x1, x2 = np.asarray(x)
    want = [[x1, x0, 0], [0, 0, np.cos(x2)], [2 * x0, 2 * x1, 2 * x2], [np.exp(x0), 0, 0]]
    close(jf, want)


def test_jacobian_pytrees_and_argnums():
    f = lambda a, b: {"u": a * b[0], "v": jnp.sum(b[1]) * a}
    a, b = jnp.asarray([1.0, 2.0]), (jnp.asarray(3.0), jnp.asarray([4.0, 5.0, 6.0]))
    for jac in (irax.jacfwd, irax.jacrev):
        j = jac(f, argnums=(0, 1))(a, b)
        assert j["u"][0].shape == (2, 2) and j["u"][1][1].shape == (2, 3)
        close(j["u"][0], np.eye(2) * 3.0)
        close(j["u"][1][0], [1.0, 2.0])
        close(j["v"][1][1], [[1, 1, 1], [2, 2, 2]])
    tree_close(irax.jacfwd(f, argnums=(0, 1))(a, b), irax.jacrev(f, argnums=(0, 1))(a, b))


def test_hessian_vs_analytic():
    # f(x) = sum(x^3) + x0 x1  ->  H = diag(6 x) + [[0,1],[1,0]] in the first block
    f = lambda x: jnp.sum(x ** 3) + x[0] * x[1]
    x = jnp.asarray([1.0, 2.0, -0.5])
    want = np.diag(6 * np.asarray(x))
    want[0, 1] = want[1, 0] = 1.0
    close(irax.hessian(f)(x), want)
    # matrix input: hessian of sum(sin(W)) is diagonal in the (i,j),(k,l) indices
    w = jnp.asarray([[0.1, 0.2], [0.3, 0.4]])
    h = irax.hessian(lambda m: jnp.sum(jnp.sin(m)))(w)
    assert h.shape == (2, 2, 2, 2)
    close(h.reshape(4, 4), np.diag(-np.sin(np.asarray(w)).ravel()))


def test_jacfwd_has_aux():
    for jac in (irax.jacfwd, irax.jacrev):
        j, aux = jac(lambda x: (x * 2.0, x + 1.0), has_aux=True)(jnp.ones(2))
        close(j, 2 * np.eye(2))
        assert isinstance(aux, irax.Array)
        close(aux, [2.0, 2.0])
    y, t, aux = irax.jvp(lambda x: (x * 2.0, {"a": x}), (1.0,), (1.0,), has_aux=True)
    assert isinstance(aux["a"], irax.Array)


# ---------------------------------------------------------------------------
# vmap


def test_vmap_in_axes_none_and_out_axes():
    x = jnp.asarray(np.arange(6.0).reshape(2, 3))
    y = jnp.asarray([10.0, 20.0])
    out = irax.vmap(lambda a, b: a + b, in_axes=(1, None))(x, y)
    close(out, np.asarray(x).T + np.asarray(y))
    out = irax.vmap(lambda a: a * 2, in_axes=0, out_axes=1)(x)
    close(out, np.asarray(x).T * 2)
    out = irax.vmap(lambda a: a * 2, in_axes=1, out_axes=-1)(x)
    close(out, np.asarray(x) * 2)


def test_vmap_pytree_in_axes_out_axes():
    d = {"a": jnp.asarray(np.arange(6.0).reshape(3, 2)), "b": jnp.asarray([1.0, 2.0])}

    def f(tree, s):
        return {"sum": tree["a"] * tree["b"] + s, "b": tree["b"]}
    out = irax.vmap(f, in_axes=({"a": 0, "b": None}, None),
                    out_axes={"sum": 1, "b": None})(d, 5.0)
    close(out["sum"], (np.asarray(d["a"]) * np.asarray(d["b"]) + 5.0).T)
    close(out["b"], d["b"])
    # a tuple / list in_axes, a namedtuple argument
    P = collections.namedtuple("P", "x y")
    out = irax.vmap(lambda p: p.x * p.y, in_axes=(P(0, None),))(P(jnp.arange(3.0), 2.0))
    close(out, [0.0, 2.0, 4.0])
    out = irax.vmap(lambda a, b: a - b, in_axes=[0, 0])(jnp.ones(2), jnp.arange(2.0))
    close(out, [1.0, 0.0])


def test_vmap_nested():
    x = jnp.asarray(np.arange(24.0).reshape(2, 3, 4))
    out = irax.vmap(irax.vmap(jnp.sum))(x)
    close(out, np.asarray(x).sum(-1))
    out = irax.vmap(irax.vmap(lambda a, b: a * b, in_axes=(0, None)), in_axes=(None, 0))(
        jnp.arange(3.0), jnp.arange(4.0))
    close(out, np.outer(np.arange(4.0), np.arange(3.0)))
    out = irax.vmap(irax.vmap(lambda m, v: m @ v, in_axes=(0, None)), in_axes=(None, 1),
                    out_axes=1)(x[0], jnp.asarray(np.ones((4, 5))))
    assert out.shape == (3, 5)
    close(out, np.asarray(x[0]) @ np.ones((4, 5)))


def test_vmap_returns_unbatched_value_broadcast():
    out = irax.vmap(lambda a: 1.0)(jnp.ones(3))
    close(out, np.ones(3))
    out = irax.vmap(lambda a, b: b, in_axes=(0, None))(jnp.ones(3), jnp.asarray([1.0, 2.0]))
    assert out.shape == (3, 2)


def test_vmap_axis_size_and_errors():
    out = irax.vmap(lambda: jnp.ones(2), axis_size=3)()
    assert out.shape == (3, 2)
    with pytest.raises(ValueError, match="inconsistent sizes.*\n.*size 3.*\n.*size 4"):
        irax.vmap(lambda a, b: a + b)(jnp.ones(3), jnp.ones(4))
    with pytest.raises(ValueError, match="axis 2.*rank.*2"):
        irax.vmap(lambda a: a, in_axes=2)(jnp.ones((3, 4)))
    with pytest.raises(ValueError, match="0-d|rank"):
        irax.vmap(lambda a: a)(jnp.asarray(1.0))
    with pytest.raises(ValueError, match="in_axes"):
        irax.vmap(lambda a, b: a, in_axes=(0, 0, 0))(jnp.ones(2), jnp.ones(2))
    with pytest.raises(ValueError, match="out_axes"):
        irax.vmap(lambda a: a, out_axes=None)(jnp.ones(2))


def test_vmap_of_jacobian_and_hessian():
    xs = jnp.asarray(np.random.default_rng(1).standard_normal((4, 3)))
    hs = irax.vmap(irax.hessian(lambda x: jnp.sum(jnp.sin(x)) * x[0]))(xs)
    for i in range(4):
        close(hs[i], irax.hessian(lambda x: jnp.sum(jnp.sin(x)) * x[0])(xs[i]))


def test_jvp_of_vmap_and_vmap_of_jvp():
    f = lambda x: jnp.sin(x) * jnp.sum(x)
    xs = jnp.asarray(np.arange(6.0).reshape(2, 3) / 6)
    ts = jnp.ones((2, 3))
    _, t1 = irax.jvp(irax.vmap(f), (xs,), (ts,))
    t2 = irax.vmap(lambda x, t: irax.jvp(f, (x,), (t,))[1])(xs, ts)
    close(t1, t2)


# ---------------------------------------------------------------------------
# make_jaxpr, the printer and the type checker

# JAX 0.10's text for make_jaxpr(grad(log1pexp))(100.)
SEED_JAXPR = """{ lambda ; a:f32[]. let
    b:f32[] = exp a
    c:f32[] = add 1.0:f32[] b
    _:f32[] = log c
    d:f32[] = div 1.0:f32[] c
    e:f32[] = mul d b
  in (e,) }"""


def log1pexp(x):
    return jnp.log(1.0 + jnp.exp(x))


def test_make_jaxpr_seed_text():
    assert str(irax.make_jaxpr(irax.grad(log1pexp))(100.0)) == SEED_JAXPR
    assert repr(irax.make_jaxpr(irax.grad(log1pexp))(100.0)) == SEED_JAXPR


def test_make_jaxpr_simple():
    text = str(irax.make_jaxpr(lambda x, y: jnp.sin(x) * y)(1.0, jnp.ones(3)))
    assert text.startswith("{ lambda ; a:f32[] b:f32[3]. let")
    assert "sin a" in text and "mul" in text and text.endswith("}")
    # constants from the closure become constvars
    c = jnp.asarray([1.0, 2.0, 3.0])
    text = str(irax.make_jaxpr(lambda x: x + c)(jnp.ones(3)))
    assert text.startswith("{ lambda a:f32[3]; b:f32[3]. let"), text


def test_make_jaxpr_pytree_and_static_args():
    j = irax.make_jaxpr(lambda d, n: d["a"] * n, static_argnums=1)({"a": jnp.ones(2)}, 3)
    assert "mul" in str(j) and len(j.jaxpr.invars) == 1
    j, shape = irax.make_jaxpr(lambda x: (x, x.sum()), return_shape=True)(jnp.ones(2))
    assert shape[0].shape == (2,) and shape[1].shape == ()


@pytest.mark.parametrize("name,fn,args", [
    ("grad", irax.grad(lambda x: jnp.sum(jnp.tanh(x) ** 2)), (jnp.ones(3),)),
    ("grad_grad", irax.grad(irax.grad(lambda x: jnp.sin(x) * x)), (1.0,)),
    ("vmap", irax.vmap(lambda a, b: a @ b, in_axes=(0, None)), (jnp.ones((2, 3, 4)), jnp.ones(4))),
    ("vmap_grad", irax.vmap(irax.grad(lambda x: jnp.prod(x))), (jnp.ones((2, 3)),)),
    ("jacrev", irax.jacrev(lambda x: nn.softmax(x)), (jnp.ones(3),)),
    ("hessian", irax.hessian(lambda x: nn.logsumexp(x)), (jnp.ones(3),)),
    ("indexing", lambda x: x[::-1, None, 1] + x[jnp.array([0, 1]), 0][:, None],
     (jnp.ones((2, 3)),)),
])
def test_staged_jaxprs_typecheck(name, fn, args):
    closed = irax.make_jaxpr(fn)(*args)
    core.typecheck_jaxpr(closed.jaxpr)
    # and evaluating the jaxpr gives the eager answer
    got = core.eval_jaxpr(closed.jaxpr, closed.consts, tree_util.tree_leaves(args))
    tree_close(got, tree_util.tree_leaves(fn(*args)))


def test_typecheck_catches_bad_jaxpr():
    closed = irax.make_jaxpr(lambda x: jnp.sin(x) + 1.0)(1.0)
    j = closed.jaxpr
    bad = core.Jaxpr(j.constvars, j.invars, list(reversed(j.eqns)), j.outvars)
    with pytest.raises(core.JaxprTypeError, match="before definition"):
        core.typecheck_jaxpr(bad)
    e = j.eqns[0]
    wrong = core.Var(core.ShapedArray((2,), np.dtype("float32")))
    bad = core.Jaxpr(j.constvars, j.invars, [core.Eqn(e.primitive, e.inputs, [wrong], e.params)]
                     + j.eqns[1:], j.outvars)
    with pytest.raises(core.JaxprTypeError, match="binder f32\\[2\\]"):
        core.typecheck_jaxpr(bad)


# ---------------------------------------------------------------------------
# pytrees


def test_tree_flatten_unflatten_kinds():
    P = collections.namedtuple("P", "a b")
    tree = {"z": [1, (2, None)], "a": P(3, {"k": 4})}
    leaves, td = tree_util.tree_flatten(tree)
    assert leaves == [3, 4, 1, 2]      # dict keys sorted; None is an empty node
    assert tree_util.tree_unflatten(td, leaves) == tree
    assert tree_util.tree_structure(tree) == td
    assert td.num_leaves == 4
    assert tree_util.tree_leaves(None) == []
    assert tree_util.tree_map(lambda x: x * 10, tree) == \
        {"z": [10, (20, None)], "a": P(30, {"k": 40})}
    assert tree_util.tree_map(lambda x, y: x + y, [1, 2], [3, 4]) == [4, 6]
    with pytest.raises(ValueError):
        tree_util.tree_map(lambda x, y: x, [1, 2], [1, 2, 3])
    with pytest.raises(ValueError):
        tree_util.tree_unflatten(td, [1, 2])


def test_register_pytree_node_through_transformations():
    class Pair:
        def __init__(self, a, b):
            self.a, self.b = a, b
    tree_util.register_pytree_node(Pair, lambda p: ((p.a, p.b), None),
                                   lambda aux, ch: Pair(*ch))
    leaves, td = tree_util.tree_flatten(Pair(1.0, [2.0, 3.0]))
    assert leaves == [1.0, 2.0, 3.0]
    p = tree_util.tree_unflatten(td, leaves)
    assert isinstance(p, Pair) and p.b == [2.0, 3.0]
    f = lambda p: p.a * jnp.sum(p.b)
    g = irax.grad(f)(Pair(jnp.asarray(2.0), jnp.asarray([1.0, 3.0])))
    assert isinstance(g, Pair)
    close(g.a, 4.0)
    close(g.b, [2.0, 2.0])
    out = irax.vmap(lambda p: Pair(p.b, p.a))(Pair(jnp.arange(2.0), jnp.ones((2, 3))))
    assert isinstance(out, Pair) and out.a.shape == (2, 3)
    y, t = irax.jvp(f, (Pair(2.0, jnp.ones(2)),), (Pair(1.0, jnp.zeros(2)),))
    close(t, 2.0)


def test_pytree_class_decorator():
    @tree_util.register_pytree_node_class
    class Box:
        def __init__(self, v, tag):
            self.v, self.tag = v, tag

        def tree_flatten(self):
            return (self.v,), self.tag

        @classmethod
        def tree_unflatten(cls, aux, children):
            return cls(children[0], aux)
    g = irax.grad(lambda b: jnp.sum(b.v ** 2))(Box(jnp.ones(2), "t"))
    assert isinstance(g, Box) and g.tag == "t"
    close(g.v, [2.0, 2.0])


# ---------------------------------------------------------------------------
# Array: printing, conversion, attributes


def test_array_repr_str():
    assert repr(jnp.sin(jnp.float32(3.0))) == "Array(0.14112, dtype=float32)"
    assert repr(jnp.sin(3.0)) == "Array(0.14112, dtype=float32, weak_type=True)"
    assert repr(jnp.array([[1.0, 2.0], [3.0, 4.0]])) == \
        "Array([[1., 2.],\n       [3., 4.]], dtype=float32)"
    assert repr(jnp.arange(3)) == "Array([0, 1, 2], dtype=int32)"
    assert repr(jnp.array([True, False])) == "Array([ True, False], dtype=bool)"
    assert str(jnp.array([1.0, 2.5])) == "[1.  2.5]"
    assert str(jnp.float32(2.0)) == "2.0"
    assert f"{jnp.float32(2.0):.3f}" == "2.000"


def test_array_conversions():
    x = jnp.asarray([1.5, -2.0])
    a = np.asarray(x)
    assert isinstance(a, np.ndarray) and a.dtype == np.float32
    assert np.asarray(x, dtype=np.float64).dtype == np.float64
    assert float(jnp.float32(2.5)) == 2.5
    assert int(jnp.asarray(3)) == 3
    assert bool(jnp.asarray(1.0)) is True and bool(jnp.asarray(0.0)) is False
    assert x.tolist() == [1.5, -2.0]
    assert jnp.asarray(7).item() == 7
    assert [float(v) for v in x] == [1.5, -2.0]
    assert len(x) == 2
    assert list(range(10))[jnp.asarray(3)] == 3
    with pytest.raises(TypeError):
        len(jnp.asarray(1.0))
    with pytest.raises(TypeError):
        hash(x)


def test_array_attributes_and_methods():
    x = jnp.asarray(np.arange(6.0).reshape(2, 3))
    assert x.shape == (2, 3) and x.ndim == 2 and x.size == 6 and x.dtype == np.float32
    assert x.T.shape == (3, 2)
    assert x.reshape(3, 2).shape == (3, 2) and x.reshape((6,)).shape == (6,)
    assert x.reshape(-1).shape == (6,)
    assert x.astype(jnp.int32).dtype == np.int32 and x.astype("float16").dtype == np.float16
    close(x.sum(), 15.0)
    close(x.sum(axis=0), [3, 5, 7])
    close(x.mean(axis=1), [1, 4])
    close(x.max(), 5)
    close(x.min(axis=1), [0, 3])
    close(x.prod(), 0)
    assert x.argmax() == 5


def test_operators_match_numpy():
    a = np.array([[1.5, -2.0, 3.0]], np.float32)
    b = np.array([[0.5], [4.0]], np.float32)
    A, Bv = jnp.asarray(a), jnp.asarray(b)
    for op in [lambda x, y: x + y, lambda x, y: x - y, lambda x, y: x * y, lambda x, y: x / y,
               lambda x, y: x // y, lambda x, y: x % y, lambda x, y: x ** 2,
               lambda x, y: 2.0 ** y, lambda x, y: -x, lambda x, y: abs(x),
               lambda x, y: x < y, lambda x, y: x <= y, lambda x, y: x > y, lambda x, y: x >= y,
               lambda x, y: x == y, lambda x, y: x != y, lambda x, y: 1.0 - x,
               lambda x, y: 3 / y, lambda x, y: 7.0 % y, lambda x, y: 7 // y,
               lambda x, y: x.T @ y.T, lambda x, y: +x]:
        np.testing.assert_allclose(np.asarray(op(A, Bv)), op(a, b), rtol=1e-6)
    i, j = jnp.asarray([1, 2, 3]), jnp.asarray([3, 2, 1])
    assert (i & j).tolist() == [1, 2, 1] and (i | j).tolist() == [3, 2, 3]
    assert (~jnp.asarray([True, False])).tolist() == [False, True]


# ---------------------------------------------------------------------------
# dtype rules


def _dt(x):
    return (np.asarray(x).dtype.name, bool(core.get_aval(x).weak_type))


def test_weak_types_default_mode():
    assert _dt(jnp.float32(2.0) * 3) == ("float32", False)
    assert _dt(jnp.float32(2.0) * 3.0) == ("float32", False)
    assert _dt(jnp.asarray(2.0) * 3.0) == ("float32", True)
    assert _dt(jnp.add(2.0, 3.0)) == ("float32", True)
    assert _dt(jnp.add(2, 3)) == ("int32", True)
    assert _dt(jnp.ones(3, jnp.int32) * 2) == ("int32", False)
    assert _dt(jnp.ones(3, jnp.int32) * 2.5) == ("float32", True)
    assert _dt(jnp.ones(3, jnp.float16) * 2.0) == ("float16", False)
    assert _dt(jnp.ones(3, jnp.int32) + jnp.ones(3, jnp.float32)) == ("float32", False)
    assert _dt(jnp.asarray(np.float64(1.0))) == ("float32", False)
    assert _dt(jnp.asarray(np.arange(3))) == ("int32", False)
    assert _dt(jnp.asarray(True)) == ("bool", False)
    assert _dt(jnp.asarray(1)) == ("int32", True)
    assert _dt(jnp.asarray(1.0)) == ("float32", True)
    assert _dt(jnp.asarray(1.0, jnp.float32)) == ("float32", False)
    assert _dt(jnp.sin(2.0)) == ("float32", True)
    assert _dt(jnp.sin(2)) == ("float32", True)
    assert _dt(jnp.sqrt(jnp.arange(3))) == ("float32", False)
    assert _dt(jnp.sum(jnp.asarray([True, False]))) == ("int32", False)
    assert _dt(jnp.mean(jnp.arange(4))) == ("float32", False)
    assert _dt(jnp.arange(3.0)) == ("float32", False)
    assert _dt(jnp.zeros(2)) == ("float32", False)
    assert _dt(jnp.eye(2)) == ("float32", False)
    assert _dt(jnp.linspace(0, 1, 3)) == ("float32", False)
    assert _dt(jnp.full((2,), 3)) == ("int32", True)          # a Python fill: weak, as JAX 0.10
    assert _dt(jnp.full((2,), 3, jnp.int32)) == ("int32", False)
    assert _dt(jnp.full_like(jnp.ones(2), 3)) == ("float32", False)
    assert _dt(jnp.zeros_like(jnp.arange(2))) == ("int32", False)
    assert _dt(jnp.float32(1)) == ("float32", False)
    assert _dt(jnp.int32(2.7)) == ("int32", False) and int(jnp.int32(2.7)) == 2
    assert _dt(jnp.bool_(1)) == ("bool", False)
    assert _dt(jnp.float64(1.0)) == ("float32", False)   # narrowed without x64, as in JAX


def test_x64_mode(x64):
    assert _dt(jnp.asarray(1.0)) == ("float64", True)
    assert _dt(jnp.ones(2)) == ("float64", False)
    assert _dt(jnp.arange(3)) == ("int64", False)
    assert _dt(jnp.float32(2.0) * 3.0) == ("float32", False)
    assert _dt(jnp.float64(1.0)) == ("float64", False)
    assert _dt(jnp.asarray(np.float64(1.0))) == ("float64", False)
    assert _dt(jnp.ones(2, jnp.float32) + jnp.ones(2)) == ("float64", False)
    g = irax.grad(lambda x: x ** 2)(jnp.float64(1.5))
    assert g.dtype == np.float64
    assert irax.make_jaxpr(jnp.sin)(1.0).jaxpr.invars[0].aval.dtype == np.float64


def test_x64_switch_back():
    irax.config.update("enable_x64", True)
    try:
        assert jnp.ones(1).dtype == np.float64
    finally:
        irax.config.update("enable_x64", False)
    assert jnp.ones(1).dtype == np.float32
    with pytest.raises(ValueError, match="unknown irax config"):
        irax.config.update("no_such_flag", True)


def test_creation_functions():
    close(jnp.array([1, 2]), [1, 2])
    close(jnp.zeros((2, 3)), np.zeros((2, 3)))
    close(jnp.ones(4), np.ones(4))
    close(jnp.full((2, 2), 7.0), np.full((2, 2), 7.0))
    close(jnp.full_like(jnp.ones(2), 3), [3, 3])
    close(jnp.arange(2, 11, 3), np.arange(2, 11, 3))
    close(jnp.arange(0.0, 1.0, 0.25), np.arange(0.0, 1.0, 0.25))
    close(jnp.arange(5, 0, -2), np.arange(5, 0, -2))
    close(jnp.linspace(-1, 1, 5), np.linspace(-1, 1, 5))
    close(jnp.linspace(0, 1, 4, endpoint=False), np.linspace(0, 1, 4, endpoint=False))
    close(jnp.eye(3, 4, k=1), np.eye(3, 4, k=1))
    assert jnp.zeros((2,), jnp.int32).dtype == np.int32
    assert jnp.ones((), dtype=jnp.bool_).dtype == np.bool_


# ---------------------------------------------------------------------------
# indexing vs NumPy (eager, under grad, under vmap)

X = np.arange(60, dtype=np.float32).reshape(3, 4, 5)
INDEXES = [
    0, -1, (1, 2), (-1, -2, -3), slice(None), slice(1, None), slice(None, None, 2),
    slice(None, None, -1), slice(-2, None), slice(3, 0, -2), (slice(None), 1),
    (Ellipsis, 2), (1, Ellipsis), (Ellipsis, None), (None, 0), (None, Ellipsis, None),
    (slice(None), None, slice(1, 3)), (0, slice(None, None, -2), -1),
    np.array([2, 0]), np.array([-1, 1, 1]), (slice(None), np.array([[0, 1], [3, 2]])),
    (Ellipsis, np.array([4, 0])), (1, np.array([0, 3])), ([0, 2],),
    (np.array([0, 2]), np.array([1, 3])), np.array([True, False, True]),
    (slice(10, 20),), (slice(-10, 2),),
]


@pytest.mark.parametrize("idx", INDEXES, ids=lambda i: repr(i).replace(" ", ""))
def test_indexing_matches_numpy(idx):
    got = jnp.asarray(X)[idx]
    want = X[idx]
    assert got.shape == want.shape, (got.shape, want.shape)
    close(got, want)
    # gradient: scatter of ones into the indexed positions (repeats add up)
    g = irax.grad(lambda x: jnp.sum(x[idx]))(jnp.asarray(X))
    want_g = np.zeros_like(X)
    np.add.at(want_g, idx, 1.0)
    close(g, want_g)


@pytest.mark.parametrize("idx", [i for i in INDEXES if not (isinstance(i, np.ndarray)
                                                            and i.dtype == bool)],
                         ids=lambda i: repr(i).replace(" ", ""))
def test_indexing_under_vmap(idx):
    xs = np.stack([X, X + 100])
    got = irax.vmap(lambda x: x[idx])(jnp.asarray(xs))
    close(got, np.stack([X[idx], (X + 100)[idx]]))


def test_traced_index_under_vmap_and_grad():
    x = jnp.asarray(np.arange(10.0))
    idx = jnp.asarray([[1, -1], [0, 3]])
    close(irax.vmap(lambda i: x[i])(idx), np.arange(10.0)[[[1, -1], [0, 3]]])
    close(irax.vmap(lambda i: x[i])(jnp.asarray([2, -3])), [2.0, 7.0])
    g = irax.grad(lambda v: jnp.sum(v[jnp.asarray([1, 1, -1])]))(x)
    close(g, [0, 2, 0, 0, 0, 0, 0, 0, 0, 1])


def test_index_update_at():
    x = jnp.zeros(4)
    close(x.at[1].set(5.0), [0, 5, 0, 0])
    close(x.at[jnp.asarray([0, 0, 2])].add(1.0), [2, 0, 1, 0])
    close(irax.grad(lambda v: jnp.sum(x.at[1:3].set(v) ** 2))(jnp.asarray([1.0, 2.0])),
          [2.0, 4.0])


def test_indexing_errors():
    x = jnp.ones((3, 4))
    # static out-of-bounds ints clamp, as in JAX (tests/tracer/test_indexing_semantics.py)
    with pytest.raises(IndexError, match="out of bounds"):
        jnp.ones((0, 4))[0]
    with pytest.raises(IndexError, match="Too many indices"):
        x[0, 0, 0]
    with pytest.raises(TypeError, match="integer"):
        x[jnp.asarray([0.5])]


# ---------------------------------------------------------------------------
# error messages


def test_grad_of_non_scalar_output():
    with pytest.raises(TypeError, match=r"scalar-output.*shape: \(3,\)"):
        irax.grad(jnp.sin)(jnp.ones(3))
    with pytest.raises(TypeError, match="scalar-output"):
        irax.grad(lambda x: (x, x))(1.0)


def test_grad_wrt_int_input():
    with pytest.raises(TypeError, match="int32"):
        irax.grad(lambda x: x * 2.0)(3)
    with pytest.raises(TypeError, match="argument 1"):
        irax.grad(lambda x, n: x * n, argnums=1)(1.0, 3)
    with pytest.raises(TypeError, match="real-valued outputs|int32"):
        irax.grad(lambda x: jnp.argmax(x))(jnp.ones(3))


def test_argnums_out_of_range():
    with pytest.raises(TypeError, match="argnums"):   # JAX: TypeError
        irax.grad(lambda x: x, argnums=2)(1.0)


def test_mismatched_shapes_in_binary_op():
    with pytest.raises(TypeError, match=r"\(3,\).*\(4,\)"):
        jnp.ones(3) + jnp.ones(4)
    with pytest.raises(TypeError, match=r"\(2, 3\).*\(3, 2\)"):
        jnp.multiply(jnp.ones((2, 3)), jnp.ones((3, 2)))
    with pytest.raises(TypeError, match=r"\(2, 3\).*\(4,\)"):
        irax.grad(lambda x: jnp.sum(x * jnp.ones(4)))(jnp.ones((2, 3)))


def test_matmul_shape_errors_name_both_shapes():
    with pytest.raises(TypeError, match=r"\(2, 3\).*\(4, 5\)"):
        jnp.ones((2, 3)) @ jnp.ones((4, 5))
    with pytest.raises(TypeError, match=r"\(3,\).*\(4,\)"):
        jnp.matmul(jnp.ones(3), jnp.ones(4))
    with pytest.raises(TypeError, match=r"\(2, 3\).*\(2,\)"):
        jnp.dot(jnp.ones((2, 3)), jnp.ones(2))
    with pytest.raises(TypeError, match=r"\(2, 3\).*\(4,\)"):
        irax.vmap(lambda a: a @ jnp.ones(4))(jnp.ones((5, 2, 3)))


@pytest.mark.parametrize("fn", [
    lambda x: jnp.sum(x, axis=2),
    lambda x: jnp.mean(x, axis=-3),
    lambda x: jnp.max(x, axis=(0, 5)),
    lambda x: jnp.argmax(x, axis=2),
    lambda x: jnp.cumsum(x, axis=2),
    lambda x: jnp.swapaxes(x, 0, 2),
    lambda x: jnp.moveaxis(x, 0, 2),
    lambda x: jnp.expand_dims(x, 3),
    lambda x: jnp.squeeze(x, axis=2),
    lambda x: jnp.transpose(x, (0, 2)),
    lambda x: jnp.concatenate([x, x], axis=2),
    lambda x: jnp.stack([x, x], axis=4),
    lambda x: jnp.take(x, jnp.asarray([0]), axis=2),
    lambda x: jnp.split(x, 2, axis=2),
    lambda x: nn.softmax(x, axis=2),
])
def test_out_of_range_axis(fn):
    with pytest.raises((ValueError, IndexError, TypeError), match="axis|axes|permutation"):
        fn(jnp.ones((2, 4)))


def test_leaked_tracer_is_reported():
    leaked = []

    def f(x):
        leaked.append(x)
        return x * 2.0
    irax.grad(f)(1.0)
    with pytest.raises(irax.UnexpectedTracerError, match="escaped|leaked"):
        leaked[0] + 1.0
    with pytest.raises(irax.UnexpectedTracerError, match="leaked"):
        irax.grad(lambda y: y * leaked[0])(2.0)
    leaked.clear()
    irax.vmap(lambda x: leaked.append(x) or x)(jnp.ones(3))
    with pytest.raises(irax.UnexpectedTracerError):
        jnp.sin(leaked[0])
    leaked.clear()
    irax.make_jaxpr(lambda x: leaked.append(x) or x)(1.0)
    with pytest.raises(irax.UnexpectedTracerError):
        irax.vmap(lambda a: a + leaked[0])(jnp.ones(2))


def test_concretization_error_names_the_transformation():
    with pytest.raises(irax.ConcretizationTypeError, match="float()"):
        irax.make_jaxpr(lambda x: float(x))(1.0)
    with pytest.raises(irax.ConcretizationTypeError, match="vmap"):
        irax.vmap(lambda x: 1.0 if x > 0 else 0.0)(jnp.ones(2))
    # eager grad has concrete primals: Python control flow works
    close(irax.grad(lambda x: x ** 2 if x > 0 else -x)(3.0), 6.0)


def test_non_array_arguments_rejected():
    with pytest.raises(TypeError, match="not a valid irax type"):
        irax.grad(lambda s: 1.0)("a string")
    with pytest.raises(TypeError, match="not a valid irax type"):
        irax.vmap(lambda s: s)(object())


# ---------------------------------------------------------------------------
# stackless composition and regressions found while writing these tests


def test_perturbation_confusion_is_avoided():
    # d/dx [x * d/dy (x * y)] = d/dx x^2 = 2x
    close(irax.grad(lambda x: x * irax.grad(lambda y: x * y)(2.0))(3.0), 6.0)
    _, t = irax.jvp(lambda x: irax.jvp(lambda y: x * y ** 2, (1.0,), (1.0,))[1], (3.0,), (1.0,))
    close(t, 2.0)


def test_closures_over_outer_tracers():
    close(irax.vmap(lambda x: irax.vmap(lambda y: x * y)(jnp.arange(3.0)))(jnp.arange(2.0)),
          np.outer(np.arange(2.0), np.arange(3.0)))
    close(irax.grad(lambda w: jnp.sum(irax.vmap(lambda x: w * x)(jnp.arange(3.0))))(2.0), 3.0)
    close(irax.vmap(lambda w: irax.grad(lambda x: w * x ** 2)(3.0))(jnp.arange(3.0)),
          [0.0, 6.0, 12.0])
    close(irax.vmap(lambda x: irax.vjp(jnp.sin, x)[1](1.0)[0])(jnp.arange(3.0)),
          np.cos(np.arange(3.0)))
    close(irax.grad(lambda x: jnp.sum(irax.jacrev(jnp.sin)(x)))(jnp.arange(3.0)),
          -np.sin(np.arange(3.0)))
    h = irax.vmap(lambda a: irax.hessian(lambda x: a * jnp.sum(x ** 3))(jnp.ones(2)))(
        jnp.arange(2.0))
    close(h, [np.zeros((2, 2)), 6 * np.eye(2)])


def test_has_aux_inside_outer_grad_stays_differentiable():
    # the inner aux (y * x) is a value of the outer trace: its derivative w.r.t. x flows
    f = lambda x: irax.grad(lambda y: (y * x, y * x), has_aux=True)(2.0)[1]
    close(irax.grad(f)(3.0), 2.0)


def test_linspace_with_traced_endpoints_is_differentiable():
    close(irax.grad(lambda s: jnp.sum(jnp.linspace(s, 1.0, 3)))(0.0), 1.5)
    close(irax.vmap(lambda s: jnp.linspace(s, 1.0, 3))(jnp.arange(2.0)),
          [[0, 0.5, 1], [1, 1, 1]])


def test_prod_derivatives_at_zeros():
    close(irax.grad(jnp.prod)(jnp.asarray([0.0, 2.0, 3.0])), [6.0, 0.0, 0.0])
    close(irax.grad(jnp.prod)(jnp.asarray([0.0, 2.0, 0.0])), [0.0, 0.0, 0.0])
    close(irax.hessian(jnp.prod)(jnp.asarray([0.0, 2.0, 3.0])),
          [[0, 3, 2], [3, 0, 0], [2, 0, 0]])


def test_eager_type_errors_come_from_the_type_rule():
    # shapes are checked before the NumPy impl runs, so the message is irax's, not NumPy's
    with pytest.raises(TypeError, match="dot_general.*\\(2, 3\\).*\\(2,\\)"):
        jnp.dot(jnp.ones((2, 3)), jnp.ones(2))
    with pytest.raises(TypeError, match="select"):
        lax.select(jnp.asarray([True]), jnp.ones(2), jnp.ones(2))


def test_pad_and_dynamic_update_slice_batch_everything():
    x = jnp.asarray(np.arange(12.0).reshape(3, 4))
    out = irax.vmap(lambda v: lax.pad(jnp.ones(2), v, ((1, 1, 1),)))(jnp.asarray([7.0, 8.0]))
    close(out, [[7, 1, 7, 1, 7], [8, 1, 8, 1, 8]])
    out = irax.vmap(lambda i: lax.dynamic_update_slice(x, jnp.zeros((2, 2)), (i, i)))(
        jnp.asarray([0, 1, 5]))
    want = np.stack([np.asarray(lax.dynamic_update_slice(x, jnp.zeros((2, 2)), (i, i)))
                     for i in (0, 1, 5)])
    close(out, want)


def test_pow_gradient_at_zero_exponent():
    close(irax.grad(lambda x: x ** 0.0)(0.0), 0.0)
    close(irax.grad(lambda x: jnp.power(x, 2.0))(0.0), 0.0)


def test_reductions_with_where():
    x = jnp.asarray([[1.0, 5.0], [3.0, 4.0]])
    m = jnp.asarray([[True, False], [True, True]])
    xn, mn = np.asarray(x), np.asarray(m)
    close(jnp.sum(x, where=m), np.sum(xn, where=mn))
    close(jnp.mean(x, axis=1, where=m), np.mean(xn, axis=1, where=mn))
    close(jnp.max(x, axis=1, where=m, initial=0.0), np.max(xn, axis=1, where=mn, initial=0.0))
    close(jnp.min(x, where=m, initial=10.0), np.min(xn, where=mn, initial=10.0))
    with pytest.raises(ValueError, match="initial"):
        jnp.max(x, where=m)


def test_arrays_are_immutable():
    x = jnp.ones(2)
    with pytest.raises(TypeError, match=r"immutable.*\.at\[idx\]\.set"):
        x[0] = 2.0
