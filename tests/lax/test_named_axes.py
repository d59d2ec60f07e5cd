"""Collectives over named vmap axes (irax.lax.psum, pmean, pmax, pmin, all_gather,
axis_index, axis_size) against NumPy reductions over the mapped axis, and their
derivatives against float64 central finite differences."""
from __future__ import annotations

import numpy as np
import pytest

import irax
from irax import lax
from tests.finite_differences import central_fd

X = np.arange(1.0, 7.0, dtype=np.float32).reshape(3, 2) ** 1.5   # 3 examples of shape (2,)


def vm(f, **kw):
    return irax.vmap(f, axis_name="i", **kw)


@pytest.mark.parametrize("collective, want", [
    (lax.psum, X.sum(0)),
    (lax.pmean, X.mean(0)),
    (lax.pmax, X.max(0)),
    (lax.pmin, X.min(0)),
], ids=["psum", "pmean", "pmax", "pmin"])
def test_reductions_match_numpy(collective, want):
    got = np.asarray(vm(lambda x: x / collective(x, "i"))(X))
    np.testing.assert_allclose(got, X / want, rtol=1e-6)


def test_all_gather_stacks_and_tiles():
    # every example sees the whole batch, stacked at `axis` (or concatenated when tiled)
    got = np.asarray(vm(lambda x: lax.all_gather(x, "i", axis=1))(X))
    np.testing.assert_array_equal(got, np.broadcast_to(X.T, (3, 2, 3)))
    got = np.asarray(vm(lambda x: lax.all_gather(x, "i"))(X))
    np.testing.assert_array_equal(got, np.broadcast_to(X, (3, 3, 2)))
    got = np.asarray(vm(lambda x: lax.all_gather(x, "i", tiled=True))(X))
    np.testing.assert_array_equal(got, np.broadcast_to(X.reshape(6), (3, 6)))


def test_axis_index_and_size():
    got = vm(lambda x: lax.axis_index("i") * 10 + lax.axis_size("i"))(X)
    np.testing.assert_array_equal(np.asarray(got), [3, 13, 23])
    assert np.asarray(got).dtype == np.int32
    # each example picks its own row of the gathered batch
    got = vm(lambda x: lax.all_gather(x, "i")[lax.axis_index("i")])(X)
    np.testing.assert_array_equal(np.asarray(got), X)


def test_unbatched_operand_is_summed_per_example():
    # in_axes None: psum of a value every example shares is the value times the axis size
    got = vm(lambda x, c: lax.psum(c, "i") + 0 * x[0], in_axes=(0, None))(X, np.float32(2.5))
    np.testing.assert_array_equal(np.asarray(got), [7.5] * 3)
    got = vm(lambda x, c: lax.pmax(c, "i"), in_axes=(0, None))(X, np.float32(2.5))
    np.testing.assert_array_equal(np.asarray(got), [2.5] * 3)


def test_nested_names():
    y = np.arange(24.0, dtype=np.float32).reshape(4, 3, 2)
    outer = irax.vmap(irax.vmap(lambda v: lax.psum(v, "o"), axis_name="in"), axis_name="o")
    np.testing.assert_array_equal(np.asarray(outer(y)), np.broadcast_to(y.sum(0), y.shape))
    inner = irax.vmap(irax.vmap(lambda v: lax.psum(v, "in"), axis_name="in"), axis_name="o")
    np.testing.assert_array_equal(np.asarray(inner(y)),
                                  np.broadcast_to(y.sum(1, keepdims=True), y.shape))
    both = irax.vmap(irax.vmap(lambda v: lax.pmean(v, ("o", "in")), axis_name="in"),
                     axis_name="o")
    np.testing.assert_allclose(np.asarray(both(y)), np.broadcast_to(y.mean((0, 1)), y.shape))
    idx = irax.vmap(irax.vmap(lambda v: lax.axis_index("o") * 10 + lax.axis_index("in"),
                              axis_name="in"), axis_name="o")(y)
    np.testing.assert_array_equal(np.asarray(idx), np.arange(4)[:, None] * 10 + np.arange(3))
    gath = irax.vmap(irax.vmap(lambda v: lax.all_gather(v, "o"), axis_name="in"),
                     axis_name="o")(y)
    assert gath.shape == (4, 3, 4, 2)
    np.testing.assert_array_equal(np.asarray(gath)[1, 2], y[:, 2])


def test_grad_through_collectives(x64):
    w = np.linspace(0.3, 1.7, 6).reshape(3, 2)
    weights = np.arange(18.0).reshape(3, 2, 3)

    def f(v):
        normed = vm(lambda a: a / lax.psum(a * a, "i"))(v)
        gathered = vm(lambda a: lax.all_gather(a, "i", axis=1))(v)
        return (normed ** 2).sum() + (gathered * weights).sum() + vm(
            lambda a: lax.pmean(a, "i") * a)(v).sum()

    def f_np(v):
        normed = v / (v * v).sum(0)
        gathered = np.broadcast_to(v.T, (3, 2, 3))
        return (normed ** 2).sum() + (gathered * weights).sum() + (v.mean(0) * v).sum()
    assert float(f(w)) == pytest.approx(f_np(w), rel=1e-12)
    np.testing.assert_allclose(np.asarray(irax.grad(f)(w)), central_fd(f_np, w), rtol=1e-6)


def test_grad_inside_vmap_transposes_psum_to_psum():
    # per example, d psum(a)/da sums the unit cotangent of every example: the axis size (JAX)
    got = vm(irax.grad(lambda a: lax.psum(a, "i")))(np.arange(3.0, dtype=np.float32))
    np.testing.assert_array_equal(np.asarray(got), [3.0, 3.0, 3.0])


def test_jit_of_vmapped_collectives():
    def f(x):
        return (x / lax.psum(x, "i"), lax.pmax(x, "i"), lax.all_gather(x, "i", axis=1),
                lax.axis_index("i"))
    got = irax.jit(vm(f))(X)
    np.testing.assert_allclose(np.asarray(got[0]), X / X.sum(0), rtol=1e-6)
    np.testing.assert_array_equal(np.asarray(got[1]), np.broadcast_to(X.max(0), X.shape))
    np.testing.assert_array_equal(np.asarray(got[2]), np.broadcast_to(X.T, (3, 2, 3)))
    np.testing.assert_array_equal(np.asarray(got[3]), [0, 1, 2])


def test_vmap_of_jitted_collectives():
    # the staged function is batched by the vmap that binds its collectives' name, also
    # where no operand is batched (the constant's psum is the axis size, as JAX)
    @irax.jit
    def f(x, c):
        return x / lax.psum(x, "i"), lax.psum(c, "i"), lax.axis_index("i")
    got = irax.vmap(f, in_axes=(0, None), axis_name="i")(X, np.float32(2.0))
    np.testing.assert_allclose(np.asarray(got[0]), X / X.sum(0), rtol=1e-6)
    np.testing.assert_array_equal(np.asarray(got[1]), [6.0, 6.0, 6.0])
    np.testing.assert_array_equal(np.asarray(got[2]), [0, 1, 2])


@pytest.mark.parametrize("call", [
    lambda: lax.psum(1.0, "i"),
    lambda: lax.axis_index("i"),
    lambda: lax.axis_size("i"),
    lambda: irax.jit(lambda v: lax.pmean(v, "i"))(X),
    lambda: irax.vmap(lambda v: lax.psum(v, "i"), axis_name="j")(X),
    lambda: irax.vmap(lambda v: lax.all_gather(v, "i"))(X),
], ids=["eager", "axis_index", "axis_size", "jit", "other-name", "no-name"])
def test_unbound_name_is_a_name_error(call):
    with pytest.raises(NameError, match="unbound axis name: i"):
        call()


def test_pmap_is_jit_of_a_named_vmap_with_jaxs_interface():
    # JAX needs one device per element for pmap; irax maps any size on its one device.
    x = np.arange(1.0, 5.0, dtype=np.float32)
    got = irax.pmap(lambda v: v / irax.lax.psum(v, "i"), axis_name="i")(x)
    np.testing.assert_allclose(np.asarray(got), x / x.sum(), rtol=1e-6)
    g = irax.pmap(lambda v, n: v * n + irax.lax.axis_index("d"), "d", static_broadcasted_argnums=1)
    np.testing.assert_allclose(np.asarray(g(np.ones((3, 2), np.float32), 2)),
                               [[2, 2], [3, 3], [4, 4]])
    np.testing.assert_allclose(np.asarray(irax.pmap(lambda v: v.sum(), in_axes=1)(np.ones((2, 3), np.float32))),
                               [2, 2, 2])


def test_collectives_inside_loop_and_branch_bodies():
    # the body of a scan / while / cond traced under vmap(axis_name="i") names the vmap's
    # axis: its collectives reduce over the vmap's examples, batched operands or not
    x4 = np.zeros(4, np.int32)
    got = vm(lambda x: lax.while_loop(lambda v: v < lax.axis_index("i"), lambda v: v + 2, x))(x4)
    np.testing.assert_array_equal(np.asarray(got), [0, 2, 2, 4])   # first even >= index

    def scan_body(c, x):
        return c + 1.0, lax.psum(c, "i") * x
    carry, ys = vm(lambda c, xs: lax.scan(scan_body, c, xs))(np.ones(3, np.float32),
                                                              np.arange(6.0).reshape(3, 2))
    np.testing.assert_allclose(np.asarray(carry), [3.0, 3.0, 3.0])
    # step t: psum of the carries (1 + t) over 3 examples, times x
    np.testing.assert_allclose(np.asarray(ys), [[0.0, 6.0], [6.0, 18.0], [12.0, 30.0]])

    pos = np.array([1.0, -2.0, 3.0], np.float32)
    got = vm(lambda v: lax.cond(v > 0, lambda y: lax.psum(y, "i"), lambda y: y, v))(pos)
    np.testing.assert_allclose(np.asarray(got), [2.0, -2.0, 2.0])   # psum = 1 - 2 + 3

    # unbatched operands: the loop still runs per example (its result depends on the index)
    got = vm(lambda _, x: lax.while_loop(lambda v: v < lax.axis_index("i"),
                                         lambda v: v + 2, x), in_axes=(0, None))(x4, 0)
    np.testing.assert_array_equal(np.asarray(got), [0, 2, 2, 4])


def test_collective_in_a_staged_custom_jvp_call():
    # eval_jaxpr of a jaxpr holding a custom_jvp_call whose body calls psum("i")
    f = irax.custom_jvp(lambda x: lax.psum(x, "i"))
    f.defjvp(lambda p, t: (lax.psum(p[0], "i"), t[0]))

    def g(x):
        closed = irax.make_jaxpr(f)(x)
        return irax.core.eval_jaxpr(closed.jaxpr, closed.consts, x)[0]
    got = vm(lambda _, x: g(x), in_axes=(0, None))(np.arange(4.0), np.float32(2.0))
    np.testing.assert_allclose(np.asarray(got), [8.0] * 4)   # 2 summed over 4 examples
