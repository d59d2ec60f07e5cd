"""irax.sharding on one device against jax.sharding on one CPU device (JAX 0.10, the
test-only oracle): the same program, run with each library, gives the same values, reprs
and errors. Also jax.debug's sharding helpers."""
from __future__ import annotations

import jax
import jax.numpy as jjnp
import numpy as np
import pytest

import irax
import irax.numpy as inp


def _program(jax, jnp):
    """Values, reprs and errors of a one-device sharding program, as strings."""
    out = []
    P = jax.P
    sh = jax.sharding
    m = jax.make_mesh((1,), ("x",))
    out += [repr(m), str(m), m.shape, m.axis_names, m.size, m.shape_tuple, m.axis_sizes,
            m.axis_types, m.empty]
    out += [repr(P("x", None)), repr(P()), repr(P(("x", "y"))), repr(P(["x"])),
            repr(P(None)), repr(P("x", unreduced={"y"})), len(P("x", None)),
            tuple(P("x", None)), P("x") == P("x"), P("x") == ("x",), P("x") + ("y",),
            P("a", "b").index("b")]
    s = sh.NamedSharding(m, P("x"))
    out += [repr(s), s.spec, s.mesh is m, s.device_set, s.num_devices, s.is_fully_replicated,
            s.is_fully_addressable, s.memory_kind, s.shard_shape((4,)),
            s.devices_indices_map((4,))]
    x = jax.device_put(jnp.arange(4.), s)
    out += [repr(x.sharding), x.sharding == s, x.committed, x.is_fully_replicated, str(x)]
    y = jnp.arange(3.)
    out += [repr(y.sharding), y.devices(), y.sharding.device_set, y.committed]
    d = sh.SingleDeviceSharding(jax.devices()[0])
    out += [repr(d), d == y.sharding, d.shard_shape((4, 3)), hash(d) == hash(y.sharding)]
    out += [repr(jax.device_put(jnp.ones(2), jax.devices()[0]).sharding)]
    m2 = sh.Mesh(np.array(jax.devices()), ("a",))
    out += [repr(m2), repr(m2.abstract_mesh), repr(sh.get_abstract_mesh()), str(sh.get_mesh())]
    with jax.set_mesh(m):
        out += [repr(sh.get_mesh()), repr(sh.get_abstract_mesh()),
                repr(jax.device_put(jnp.ones(2), P("x")).sharding)]
        f = jax.jit(lambda v: jax.lax.with_sharding_constraint(v * 2, P(None)))
        out += [np.asarray(f(jnp.ones(2)))]
    out += [repr(sh.AxisType.Explicit), str(sh.AxisType.Auto),
            repr(jax.make_mesh((1, 1), ("a", "b"), axis_types=(sh.AxisType.Auto,) * 2))]
    out += [repr(jax.reshard(jnp.ones(2), s).sharding),
            repr(jax.lax.with_sharding_constraint(jnp.ones(2),
                                                  sh.NamedSharding(m2, P("a"))).sharding)]
    out += [repr(sh.AbstractMesh((2,), ("x",)))]
    errs = []
    for f in [lambda: jax.make_mesh((2,), ("x",)), lambda: sh.NamedSharding(m, P("y")),
              lambda: sh.Mesh(np.array(jax.devices()), ("x", "y")),
              lambda: jax.device_put(jnp.ones(2), P("x")),
              lambda: jax.lax.with_sharding_constraint(jnp.ones(2), P("x")),
              lambda: jax.lax.with_sharding_constraint(jnp.ones(2), s)]:
        try:
            f()
            errs.append(None)
        except Exception as e:   # the library's own error type and message (names aside)
            errs.append((type(e).__name__, str(e).replace("jax.", "").replace("irax.", "")))
    return out, errs


def test_sharding_program_like_jax():
    ref_out, ref_errs = _program(jax, jjnp)
    out, errs = _program(irax, inp)
    assert len(out) == len(ref_out)
    for i, (a, b) in enumerate(zip(out, ref_out)):
        assert str(a) == str(b), (i, a, b)
    assert errs == ref_errs


def test_device_put_keeps_the_input_and_accepts_pytrees():
    m = irax.make_mesh((1,), ("x",))
    s = irax.NamedSharding(m, irax.P("x"))
    x = inp.arange(3.0)
    tree = irax.device_put({"a": x, "b": (x, 1.0)}, {"a": s, "b": None})
    assert tree["a"].sharding == s and tree["a"].committed
    assert not tree["b"][0].committed and not x.committed   # x itself is unchanged
    np.testing.assert_array_equal(np.asarray(tree["a"]), [0., 1., 2.])
    with pytest.raises(ValueError, match="rank at least 1"):
        irax.device_put(inp.ones(()), s)
    with pytest.raises(TypeError, match="expected a Sharding"):
        irax.device_put(x, "x")


def test_sharded_arrays_run_through_jit_and_grad():
    m = irax.make_mesh((1,), ("batch",))
    x = irax.device_put(inp.arange(4.0), irax.NamedSharding(m, irax.P("batch")))

    @irax.jit
    def f(x):
        y = irax.lax.with_sharding_constraint(x * 2.0, irax.NamedSharding(
            irax.sharding.Mesh(np.array(irax.devices()), ("b",)), irax.P("b")))
        return (y ** 2).sum()

    np.testing.assert_allclose(float(f(x)), 4.0 * 14.0)
    s = irax.NamedSharding(m, irax.P("batch"))
    g = irax.jit(lambda v: v * 3.0, in_shardings=s, out_shardings=s)   # JAX's arguments
    np.testing.assert_allclose(np.asarray(g(x)), 3.0 * np.arange(4.0))
    np.testing.assert_allclose(np.asarray(irax.grad(f)(x)), 8.0 * np.arange(4.0))
    np.testing.assert_array_equal(
        np.asarray(irax.sharding.auto_axes(lambda v: v + 1)(x, out_sharding=irax.P())),
        [1., 2., 3., 4.])
