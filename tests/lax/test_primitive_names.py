"""jax.lax's *_p names in irax.lax (issue 12): each exported name is the primitive irax's own
functions bind (a custom interpreter's `eqn.primitive is lax.exp_p` holds) with JAX's
`.name`, and `bind` computes; clamp and square are primitives of their own, so make_jaxpr
prints JAX's text for them; their rules (jvp, vmap, the compiled module) against NumPy,
JAX and analytic derivatives."""
import jax
import jax.numpy as jjnp
import numpy as np
import pytest

import irax
import irax.numpy as jnp
from irax import lax


def _eqn_primitives(fn, *args):
    return [e.primitive for e in irax.make_jaxpr(fn)(*args).jaxpr.eqns]


def test_exported_names_are_the_bound_primitives_with_jax_names():
    common = sorted(n for n in dir(jax.lax) if n.endswith("_p") and hasattr(lax, n))
    assert {"clamp_p", "square_p", "exp_p", "add_p", "dot_general_p", "cumsum_p"} <= set(common)
    for n in common:
        assert getattr(lax, n).name == getattr(jax.lax, n).name, n
    x = jnp.ones(3)
    assert _eqn_primitives(lambda v: lax.exp(v), x) == [lax.exp_p]
    assert _eqn_primitives(lambda v: lax.clamp(0.0, v, 1.0), x) == [lax.clamp_p]
    assert _eqn_primitives(jnp.square, x) == [lax.square_p]
    assert _eqn_primitives(lambda v: v ** 2, x) == [lax.integer_pow_p]   # as JAX: not square
    # bind computes, eagerly and under jit
    v = np.array([-2., 0.25, 3.], np.float32)
    np.testing.assert_array_equal(np.asarray(lax.clamp_p.bind(np.float32(-1), v, np.float32(1))),
                                  [-1., 0.25, 1.])
    np.testing.assert_array_equal(np.asarray(lax.square_p.bind(v)), v * v)


def test_names_with_another_meaning_are_not_exported():
    # irax's gather / scatter index one axis (JAX's take dimension numbers); select has
    # another operand order than JAX's select_n: exporting them would mislead an interpreter
    for n in ("gather_p", "scatter_p", "scatter_add_p", "select_n_p"):
        assert not hasattr(lax, n), n


def test_make_jaxpr_text_is_jax_text():
    x = np.ones(3, np.float32)
    cases = {
        "square_clamp": (lambda v: lax.square(v) + lax.clamp(-1.0, v, 1.0), (x,)),
        "jnp_square": (jnp.square, (x,)),
        "clamp_array_bound": (lambda v: lax.clamp(jnp.zeros(3), v, 1.0), (x,)),
        "clamp_int": (lambda v: lax.clamp(0, v, 3), (np.arange(3, dtype=np.int32),)),
        "vmap_scalar_bounds": (jax.vmap, lambda v: lax.clamp(0.0, v, 1.0), (x,)),
        "vmap_batched_bound": (jax.vmap, lambda lo, v: lax.clamp(lo, v, 2.0), (x, x)),
        "grad_square": (jax.grad, lax.square, (np.float32(1.0),)),
    }
    jax_fns = {
        "square_clamp": lambda v: jax.lax.square(v) + jax.lax.clamp(-1.0, v, 1.0),
        "jnp_square": jjnp.square,
        "clamp_array_bound": lambda v: jax.lax.clamp(jjnp.zeros(3), v, 1.0),
        "clamp_int": lambda v: jax.lax.clamp(0, v, 3),
        "vmap_scalar_bounds": lambda v: jax.lax.clamp(0.0, v, 1.0),
        "vmap_batched_bound": lambda lo, v: jax.lax.clamp(lo, v, 2.0),
        "grad_square": jax.lax.square,
    }
    irax_tf = {jax.vmap: irax.vmap, jax.grad: irax.grad}
    for name, case in cases.items():
        if len(case) == 3:
            tf, fn, args = case
            ours, theirs = irax_tf[tf](fn), tf(jax_fns[name])
        else:
            fn, args = case
            ours, theirs = fn, jax_fns[name]
        assert str(irax.make_jaxpr(ours)(*args)) == str(jax.make_jaxpr(theirs)(*args)), name


def test_clamp_and_square_rules_match_jax():
    x = np.array([-2., -0.5, 0.3, 1.0, 2.5], np.float32)
    lo = np.array([-1., 0., 0., 0.5, 0.], np.float32)
    hi = np.array([1., 1., 0.2, 2., 3.], np.float32)
    # values, eager and in one compiled module; vmap with scalar and batched bounds
    want = np.minimum(np.maximum(x, lo), hi)
    np.testing.assert_array_equal(np.asarray(lax.clamp(lo, x, hi)), want)

    @irax.jit
    def compiled(lo, x, hi):
        return (lax.clamp(lo, x, hi), lax.clamp(-1.0, x, 1.0), lax.square(x),
                irax.grad(lambda a, b, c: jnp.sum(lax.clamp(a, b, c)), argnums=(0, 1, 2))(
                    lo, x, hi),
                irax.vmap(lambda a, b: lax.clamp(a, b, 1.0))(lo, x))

    got = compiled(lo, x, hi)
    np.testing.assert_array_equal(np.asarray(got[0]), want)
    np.testing.assert_array_equal(np.asarray(got[1]), np.clip(x, -1, 1))
    np.testing.assert_array_equal(np.asarray(got[2]), x * x)
    # JAX's derivative convention: x's tangent strictly inside (lo, hi), lo's where lo > x,
    # hi's where hi < x
    jgrad = jax.grad(lambda a, b, c: jjnp.sum(jax.lax.clamp(a, b, c)), argnums=(0, 1, 2))(
        lo, x, hi)
    for g, w in zip(got[3], jgrad):
        np.testing.assert_array_equal(np.asarray(g), np.asarray(w))
    np.testing.assert_array_equal(np.asarray(got[4]), np.minimum(np.maximum(x, lo), 1.0))
    # scalar bounds: their cotangent sums over the elements they clamp
    g_lo, g_hi = irax.grad(lambda a, c: jnp.sum(lax.clamp(a, x, c)), argnums=(0, 1))(0.0, 1.0)
    assert (float(g_lo), float(g_hi)) == (2.0, 1.0)
    # square: d/dx x^2 = 2x, also complex (holomorphic jvp)
    np.testing.assert_array_equal(np.asarray(irax.grad(lambda v: jnp.sum(lax.square(v)))(x)),
                                  2 * x)
    z = np.array([1 + 2j, -0.5j], np.complex64)
    _, t = irax.jvp(lax.square, (z,), (np.ones(2, np.complex64),))
    np.testing.assert_allclose(np.asarray(t), 2 * z)


def test_clamp_errors_are_jax_errors():
    with pytest.raises(TypeError, match=r"min.shape=\(2,\), operand.shape=\(3,\)"):
        lax.clamp(jnp.zeros(2), jnp.ones(3), 1.0)
    with pytest.raises(TypeError, match="same dtypes"):
        lax.clamp(jnp.zeros((), jnp.int32), jnp.ones(3), 1.0)


def test_scaled_dot_and_pcast():
    # the non-_p names of jax.lax that mean something on one device
    r = np.random.default_rng(3)
    lhs, rhs = r.normal(size=(2, 3, 8)).astype(np.float32), r.normal(size=(2, 8, 4)).astype(
        np.float32)
    ls, rs = r.uniform(1, 2, (2, 3, 2)).astype(np.float32), r.uniform(1, 2, (2, 2, 4)).astype(
        np.float32)
    got = lax.scaled_dot(lhs, rhs, lhs_scale=ls, rhs_scale=rs)
    want = jax.lax.scaled_dot(lhs, rhs, lhs_scale=ls, rhs_scale=rs)
    assert got.dtype == want.dtype and got.shape == want.shape   # bfloat16, as JAX
    ref = np.einsum("bik,bkj->bij", lhs * np.repeat(ls, 4, -1), rhs * np.repeat(rs, 4, 1))
    np.testing.assert_allclose(np.asarray(got, np.float32), ref, rtol=1e-2, atol=6e-2)
    got = lax.scaled_dot(lhs[0], rhs[0], preferred_element_type=np.float32)
    np.testing.assert_allclose(np.asarray(got), lhs[0] @ rhs[0], rtol=1e-5, atol=1e-5)
    with pytest.raises(TypeError, match="0-rank and 1-rank"):
        lax.scaled_dot(lhs[0, 0], rhs[0, :, 0])
    # pcast only retypes over shard_map axes: the value is unchanged
    v = np.arange(3.0, dtype=np.float32)
    np.testing.assert_array_equal(np.asarray(lax.pcast(v, "i", to="varying")), v)
    with pytest.raises(ValueError, match="`to`"):
        lax.pcast(v, "i", to="sideways")
    with pytest.raises(TypeError):
        lax.pcast(v, {"i"}, to="varying")
