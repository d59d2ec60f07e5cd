"""Keys as values: typed keys are pytrees; raw and typed keys pass through jit, vmap, scan
and the AOT exporter; bad keys and seeds get JAX's errors."""
from __future__ import annotations

import numpy as np
import pytest

import irax
import irax.numpy as jnp
import irax.random as jr
from irax import jit, lax, tree_util, vmap

from tests.random.random_cases import expected
from tests.random.random_jax_values import EXACT


def test_typed_key_basics():
    k = jr.key(0)
    assert k.shape == () and k.ndim == 0 and str(k.dtype) == "key<fry>"
    assert repr(k) == "Array((), dtype=key<fry>) overlaying:\n[0 0]"
    ks = jr.split(k, 4)
    assert isinstance(ks, jr.PRNGKeyArray) and ks.shape == (4,) and len(ks) == 4
    assert jr.key_data(ks).dtype == np.uint32 and jr.key_data(ks).shape == (4, 2)
    np.testing.assert_array_equal(jr.key_data(ks[1]), jr.key_data(list(ks)[1]))
    again = jr.wrap_key_data(jr.key_data(ks))
    assert bool(jnp.all(again == ks)) and not bool(jnp.any(again != ks))
    assert jr.key_impl(k) == "threefry2x32"
    leaves, tree = tree_util.tree_flatten({"k": k})
    assert len(leaves) == 1 and leaves[0].dtype == np.uint32
    assert isinstance(tree_util.tree_unflatten(tree, leaves)["k"], jr.PRNGKeyArray)


def test_raw_key_functions_return_raw_keys():
    k = jr.PRNGKey(0)
    out = jr.split(k)
    assert not isinstance(out, jr.PRNGKeyArray) and out.dtype == np.uint32
    np.testing.assert_array_equal(jr.key_data(k), np.zeros(2, np.uint32))


def test_keys_through_jit():
    @jit
    def step(key):
        key, sub = jr.split(key)
        return key, jr.uniform(sub, (3,))
    raw_key, raw_x = step(jr.PRNGKey(42))
    typed_key, typed_x = step(jr.key(42))
    assert isinstance(typed_key, jr.PRNGKeyArray)
    np.testing.assert_array_equal(raw_x, typed_x)
    np.testing.assert_array_equal(jr.key_data(typed_key), raw_key)
    # eager gives the same
    k, sub = jr.split(jr.PRNGKey(42))
    np.testing.assert_array_equal(raw_x, jr.uniform(sub, (3,)))
    np.testing.assert_array_equal(raw_key, k)


def test_vmap_over_typed_keys():
    keys = jr.split(jr.key(1), 3)
    got = vmap(lambda k: jr.normal(k, (2,)))(keys)
    for i in range(3):
        np.testing.assert_array_equal(np.asarray(got)[i], jr.normal(keys[i], (2,)))
    split_keys = vmap(jr.split)(keys)
    assert isinstance(split_keys, jr.PRNGKeyArray) and split_keys.shape == (3, 2)
    np.testing.assert_array_equal(jr.key_data(split_keys)[2], jr.key_data(jr.split(keys[2])))


def test_scan_carries_a_key():
    def body(key, _):
        key, sub = jr.split(key)
        return key, jr.uniform(sub, ())

    for make in (jr.PRNGKey, jr.key):
        final, xs = lax.scan(body, make(5), None, length=4)
        k = jr.PRNGKey(5)
        want = []
        for _ in range(4):
            k, sub = jr.split(k)
            want.append(np.asarray(jr.uniform(sub, ())))
        np.testing.assert_array_equal(np.asarray(xs), np.stack(want))
        np.testing.assert_array_equal(jr.key_data(final), k)
        final_jit, xs_jit = jit(lambda k0: lax.scan(body, k0, None, length=4))(make(5))
        np.testing.assert_array_equal(np.asarray(xs_jit), np.stack(want))


def test_fori_loop_with_fold_in():
    def body(i, acc):
        return acc + jr.uniform(jr.fold_in(jr.PRNGKey(0), i), ())
    got = jit(lambda: lax.fori_loop(0, 3, body, jnp.float32(0)))()
    want = sum(np.asarray(jr.uniform(jr.fold_in(jr.PRNGKey(0), i), ())) for i in range(3))
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_aot_export_takes_a_raw_key(tmp_path):
    import irax.runtime as rt
    from irax.aot import export

    def draw(key):
        key, sub = jr.split(key)
        return key, jr.randint(sub, (6,), -100, 77777)
    path = tmp_path / "rng.vmfb"
    export({"draw": (draw, (irax.ShapeDtypeStruct((2,), "uint32"),))}, "llvm-cpu", path,
           cpu="generic")
    m = rt.load(str(path), "local-task", numpy_results=True)
    new_key, ints = m.draw(np.array([0, 42], np.uint32))
    want_key, sub = jr.split(jr.PRNGKey(42))
    np.testing.assert_array_equal(new_key, want_key)
    np.testing.assert_array_equal(ints, jr.randint(sub, (6,), -100, 77777))
    # the same call eagerly and with JAX's literal output for the unsplit key
    np.testing.assert_array_equal(jr.randint(jr.PRNGKey(42), (6,), -100, 77777),
                                  expected(EXACT["randint"]["42"]))


def test_bad_keys_and_seeds():
    with pytest.raises(TypeError, match="expected key_data.dtype = uint32"):
        jr.uniform(jnp.zeros(2), ())
    with pytest.raises(TypeError, match=r"to end with \(2,\)"):
        jr.uniform(jnp.zeros(3, dtype=jnp.uint32), ())
    with pytest.raises(ValueError, match="uniform accepts a single key, but was given a key "
                                         r"array of shape \(3,\)"):
        jr.uniform(jr.split(jr.PRNGKey(0), 3), ())
    with pytest.raises(ValueError, match="split accepts a single key"):
        jr.split(jr.split(jr.key(0), 2))
    with pytest.raises(TypeError, match="unexpected PRNG key type"):
        jr.normal("key", ())
    with pytest.raises(TypeError, match="PRNGKey accepts a scalar seed"):
        jr.PRNGKey(np.arange(3))
    with pytest.raises(TypeError, match="seed must be an integer"):
        jr.PRNGKey(1.5)
    with pytest.raises(TypeError, match="key accepts a scalar seed, but was given a PRNG key"):
        jr.key(jr.key(0))
    with pytest.raises(TypeError, match="fold_in accepts a scalar"):
        jr.fold_in(jr.PRNGKey(0), np.arange(2))
    with pytest.raises(ValueError, match='unrecognized PRNG implementation "rbg"'):
        jr.key(0, impl="rbg")


def test_bad_sampler_arguments():
    k = jr.PRNGKey(0)
    with pytest.raises(ValueError, match="dtype argument to `uniform` must be a float dtype"):
        jr.uniform(k, (2,), jnp.int32)
    with pytest.raises(TypeError, match="randint only accepts integer dtypes"):
        jr.randint(k, (2,), 0, 3, jnp.float32)
    with pytest.raises(ValueError, match="dtype argument to `bits` must be an unsigned int"):
        jr.bits(k, (2,), jnp.int32)
    with pytest.raises(TypeError, match="bernoulli probability `p` must have a floating dtype"):
        jr.bernoulli(k, jnp.int32(1))
    with pytest.raises(ValueError, match="Cannot take a larger sample"):
        jr.choice(k, 3, (5,), replace=False)
    with pytest.raises(ValueError, match="p must be None or a 1D vector"):
        jr.choice(k, 3, (2,), p=jnp.ones(4) / 4)
    with pytest.raises(ValueError, match="broadcast-compatible with shape"):
        jr.bernoulli(k, jnp.ones((2, 3)) / 2, (3,))
    with pytest.raises(ValueError, match="requires cov.shape == \\(..., n, n\\) for n=2"):
        jr.multivariate_normal(k, jnp.zeros(2), jnp.eye(3))
    with pytest.raises(ValueError, match="cannot exceed number of categories"):
        jr.categorical(k, jnp.zeros(3), shape=(4,), replace=False)
