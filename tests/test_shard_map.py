"""irax.shard_map / irax.smap on one-device meshes, against JAX 0.10's shard_map on its
own one-device CPU mesh (the oracle: same specs, same collectives, same values), under
jit, grad and vmap; and the errors JAX raises for specs that do not fit."""
from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp_ref
import numpy as np
import pytest
from jax.sharding import AxisType as JAxisType, PartitionSpec as JP

import irax
import irax.numpy as jnp
from irax import P
from irax.sharding import AxisType

# Auto axes: the specs say how to split, whatever the arguments' shardings (with Explicit
# axes, JAX 0.10's make_mesh default, the arguments must carry them: tested below)
J_AUTO, I_AUTO = (JAxisType.Auto,) * 2, (AxisType.Auto,) * 2


def _body(lax, np_):
    def f(a, b):
        s = lax.psum(np_.sum(a * b), ("x", "y"))          # invariant over both
        m = lax.pmean(a, ("x", "y"))                      # invariant over both
        g = lax.all_gather(b, "y")                        # adds the gathered axis (size 1)
        gt = lax.all_gather(b, "x", axis=1, tiled=True)   # tiled: same shape
        i = lax.axis_index("x") + 10 * lax.axis_index("y")
        n = lax.axis_size("x") * lax.axis_size(("x", "y"))
        return {"s": s, "m": m, "g": g, "gt": gt, "v": a * 2 + i, "n": n + 0 * s}
    return f


def _specs(P_):
    ins = (P_("x", "y"), P_(None, "y"))
    outs = {"s": P_(), "m": P_(), "g": P_(None, None, "y"), "gt": P_("x", "y"),
            "v": P_("x", "y"), "n": P_()}
    return ins, outs


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    return (rng.standard_normal((2, 3)).astype(np.float32),
            rng.standard_normal((2, 3)).astype(np.float32))


def _jax_fn():
    mesh = jax.make_mesh((1, 1), ("x", "y"), axis_types=J_AUTO)
    ins, outs = _specs(JP)
    return jax.shard_map(_body(jax.lax, jnp_ref), mesh=mesh, in_specs=ins, out_specs=outs)


def _irax_fn():
    mesh = irax.make_mesh((1, 1), ("x", "y"), axis_types=I_AUTO)
    ins, outs = _specs(P)
    return irax.shard_map(_body(irax.lax, jnp), mesh=mesh, in_specs=ins, out_specs=outs)


def _close(got, want):
    got_l, want_l = irax.tree_util.tree_leaves(got), jax.tree_util.tree_leaves(want)
    assert len(got_l) == len(want_l)
    for g, w in zip(got_l, want_l):
        assert np.shape(g) == np.shape(w)
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=1e-5, atol=1e-6)


def test_collectives_like_jax_eager_and_jit(data):
    a, b = data
    want = _jax_fn()(a, b)
    _close(_irax_fn()(a, b), want)
    _close(irax.jit(_irax_fn())(a, b), want)
    # the values on a size-1 mesh, without the oracle: psum is the local sum
    np.testing.assert_allclose(want["s"], np.sum(a * b), rtol=1e-5)


def test_grad_and_vmap(data):
    a, b = data
    sm = _irax_fn()

    def loss(a, b):
        out = sm(a, b)
        return jnp.sum(out["v"] ** 2) + out["s"]   # v = 2a (index 0), s = sum(a b)

    ga, gb = irax.grad(loss, argnums=(0, 1))(a, b)
    np.testing.assert_allclose(ga, 8 * a + b, rtol=1e-5)
    np.testing.assert_allclose(gb, a, rtol=1e-5)
    np.testing.assert_allclose(irax.jit(irax.grad(loss))(a, b), 8 * a + b, rtol=1e-5)
    # vmap against a Python loop of JAX's shard_map
    stack_a, stack_b = np.stack([a, -a]), np.stack([b, 2 * b])
    ref = _jax_fn()
    per = [ref(stack_a[i], stack_b[i]) for i in range(2)]
    want = jax.tree_util.tree_map(lambda *xs: np.stack(xs), *per)
    _close(irax.vmap(sm)(stack_a, stack_b), want)


def test_check_vma_and_spec_errors_like_jax(data):
    a, _ = data
    def cases(lib, P_, make, types):
        sm = partial(lib.shard_map, mesh=make((1,), ("x",), axis_types=types))
        return [
            # a varying value with a replicated out_spec: the vma check refuses it
            lambda: sm(lambda v: v * 2, in_specs=P_("x"), out_specs=P_())(a),
            # in_specs not a prefix of the arguments
            lambda: sm(lambda v, w: v, in_specs=(P_("x"),), out_specs=P_("x"))(a, a),
            # a spec longer than the argument's rank
            lambda: sm(lambda v: v, in_specs=P_("x", None, None), out_specs=P_("x"))(a),
            # an axis the mesh does not have
            lambda: sm(lambda v: v, in_specs=P_("z"), out_specs=P_("z"))(a),
            # a varying output of in_specs=None (the argument is passed unmapped) is fine;
            # a mapped one with a replicated out_spec is not
            lambda: sm(lambda v, w: v + w, in_specs=(None, P_("x")), out_specs=P_())(a, a),
            # a spec that is not a PartitionSpec
            lambda: sm(lambda v: v, in_specs=("x",), out_specs=P_())(a),
            # an output spec longer than the output's rank
            lambda: sm(lambda v: v.sum(), in_specs=P_("x"), out_specs=P_("x"))(a),
            # out_specs not a prefix of the outputs; not a spec at all
            lambda: sm(lambda v: (v, v), in_specs=P_("x"), out_specs=(P_("x"),))(a),
            lambda: sm(lambda v: v, in_specs=P_("x"), out_specs="x")(a),
            # one mesh axis twice in a spec (DuplicateSpecError)
            lambda: sm(lambda v: v, in_specs=P_("x", "x"), out_specs=P_("x"))(a),
            # not a function; not a mesh; axis_names not a set
            lambda: lib.shard_map(3, mesh=None, in_specs=P_("x"), out_specs=P_("x")),
            lambda: lib.shard_map(lambda v: v, mesh=3, in_specs=P_("x"), out_specs=P_())(a),
            lambda: sm(lambda v: v, in_specs=P_("x"), out_specs=P_("x"), axis_names=["x"])(a),
            # in_specs left out over Auto axes: nothing to infer them from
            lambda: sm(lambda v: v, out_specs=P_("x"))(a),
        ]
    mine_all = cases(irax, P, irax.make_mesh, I_AUTO[:1])
    theirs_all = cases(jax, JP, jax.make_mesh, J_AUTO[:1])
    for i, (mine, theirs) in enumerate(zip(mine_all, theirs_all)):
        with pytest.raises(Exception) as ref:
            theirs()
        with pytest.raises(Exception) as got:
            mine()
        assert type(got.value).__name__ == type(ref.value).__name__, (i, got.value, ref.value)
    # a None spec passes its argument as it is (a Python value here)
    np.testing.assert_allclose(irax.shard_map(lambda v, k: v * k, mesh=irax.make_mesh(
        (1,), ("x",), axis_types=I_AUTO[:1]), in_specs=(P("x"), None), out_specs=P("x"))(a, 3),
        3 * a)
    # in_specs=None: every argument passed as it is
    mesh1 = irax.make_mesh((1,), ("x",), axis_types=I_AUTO[:1])
    np.testing.assert_allclose(irax.shard_map(lambda v: v + 1, mesh=mesh1, in_specs=None,
                                              out_specs=P())(a), a + 1)
    # check_vma=False: the shard's value is returned (one shard: the whole value)
    mesh = irax.make_mesh((1,), ("x",), axis_types=I_AUTO[:1])
    out = irax.shard_map(lambda v: v * 2, mesh=mesh, in_specs=P("x"), out_specs=P(),
                         check_vma=False)(a)
    np.testing.assert_allclose(out, 2 * a)
    # more than one device: irax has one
    big = irax.sharding.AbstractMesh((2,), ("x",))
    with pytest.raises(ValueError, match="one device"):
        irax.shard_map(lambda v: v, mesh=big, in_specs=P("x"), out_specs=P("x"))(a)
    with pytest.raises(ValueError, match="context mesh cannot be empty"):
        irax.shard_map(lambda v: v, in_specs=P(), out_specs=P())(a)


def test_smap_and_context_mesh(data):
    a, b = data
    with jax.set_mesh(jax.make_mesh((1,), ("i",), axis_types=J_AUTO[:1])):
        want = jax.smap(lambda u, v: (jax.lax.psum(u * v, "i"), u + jax.lax.axis_index("i")),
                        in_axes=(0, None), out_axes=(None, 1), axis_name="i")(a, b)
        want_sm = jax.shard_map(lambda u: u + 1, in_specs=JP("i"), out_specs=JP("i"))(a)
    with irax.set_mesh(irax.make_mesh((1,), ("i",), axis_types=I_AUTO[:1])):
        got = irax.smap(lambda u, v: (irax.lax.psum(u * v, "i"), u + irax.lax.axis_index("i")),
                        in_axes=(0, None), out_axes=(None, 1), axis_name="i")(a, b)
        got_sm = irax.shard_map(lambda u: u + 1, in_specs=P("i"), out_specs=P("i"))(a)
    _close(got, want)
    _close(got_sm, want_sm)


def test_explicit_axes_take_the_arguments_shardings(data):
    """Explicit mesh axes (make_mesh's default): in_specs must match each argument's
    sharding (ValueError otherwise, as JAX), omitted in_specs are inferred from them, and
    results carry NamedSharding(mesh, out_spec)."""
    a, _ = data
    results = {}
    for lib, P_, NS in ((irax, P, irax.sharding.NamedSharding),
                        (jax, JP, jax.sharding.NamedSharding)):
        mesh = lib.make_mesh((1,), ("x",))
        sm = lambda **kw: lib.shard_map(lambda v: v * 3, mesh=mesh, out_specs=P_("x"), **kw)
        with pytest.raises(ValueError, match="does not match the specs of the input"):
            sm(in_specs=P_("x"))(a)
        placed = lib.device_put(a, NS(mesh, P_("x")))
        out = sm(in_specs=P_("x"))(placed)
        inferred = sm()(placed)
        results[lib.__name__] = (np.asarray(out), np.asarray(inferred), out.sharding.spec)
    got, want = results["irax"], results["jax"]
    np.testing.assert_allclose(got[0], want[0])
    np.testing.assert_allclose(got[1], want[1])
    np.testing.assert_allclose(got[0], 3 * a, rtol=1e-6)
    assert got[2] == P("x") and tuple(want[2]) == ("x",)
