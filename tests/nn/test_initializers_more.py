"""nn.initializers.delta_orthogonal and the Initializer protocol (issue 12): JAX 0.10's
parameters for the same key (written out as values: irax.random follows JAX's threefry
streams), the delta structure (zero but the spatial centre, which is orthogonal), dtypes,
jit, and JAX's errors."""
import numpy as np
import pytest

import irax
import irax.numpy as jnp
from irax.nn import initializers as init

# jax.nn.initializers.delta_orthogonal(...)(jax.random.PRNGKey(k), shape) in JAX 0.10.2
JAX_DELTA = {
    "3d": (dict(), 0, (3, 2, 4), [
        [[0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]],
        [[0.9220002889633179, -0.24637238681316376, 0.1000564843416214, -0.2814333736896515],
         [0.31397533416748047, 0.20442357659339905, -0.7088381052017212, 0.5976447463035583]],
        [[0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]]),
    "4d_scale": (dict(scale=2.0), 1, (2, 3, 2, 2), [
        [[[0.0, 0.0], [0.0, 0.0]], [[-1.5010616779327393, 1.321670651435852],
                                    [-1.321670651435852, -1.5010617971420288]],
         [[0.0, 0.0], [0.0, 0.0]]],
        [[[0.0, 0.0], [0.0, 0.0]], [[0.0, 0.0], [0.0, 0.0]], [[0.0, 0.0], [0.0, 0.0]]]]),
    "5d_column_axis": (dict(column_axis=-2), 2, (1, 3, 1, 2, 3), [[
        [[[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]],
        [[[0.4254281520843506, -0.871605396270752, -0.24354635179042816],
          [0.7336735725402832, 0.48972687125205994, -0.4710528254508972]]],
        [[[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]]]]),
}


@pytest.mark.parametrize("name", sorted(JAX_DELTA))
def test_delta_orthogonal_gives_jax_parameters(name):
    kw, seed, shape, want = JAX_DELTA[name]
    got = init.delta_orthogonal(**kw)(irax.random.PRNGKey(seed), shape)
    assert got.shape == shape and np.asarray(got).dtype == np.float32
    np.testing.assert_allclose(np.asarray(got), np.float32(want), rtol=1e-5, atol=1e-6)


def test_delta_structure_float64_and_jit(x64):
    shape = (3, 5, 4, 6)
    w = np.asarray(init.delta_orthogonal(1.5, dtype=jnp.float64)(irax.random.PRNGKey(7), shape))
    assert w.dtype == np.float64
    centre = w[1, 2]
    mask = np.ones(shape[:2], bool)
    mask[1, 2] = False
    assert np.all(w[mask] == 0)
    # the (in, out) = (4, 6) centre has orthonormal rows, scaled by 1.5
    np.testing.assert_allclose(centre @ centre.T, 1.5 ** 2 * np.eye(4), atol=1e-13)
    got = irax.jit(lambda k: init.delta_orthogonal(1.5, dtype=jnp.float64)(k, shape))(
        irax.random.PRNGKey(7))
    np.testing.assert_allclose(np.asarray(got), w, atol=1e-12)


def test_delta_orthogonal_errors_and_protocol():
    with pytest.raises(ValueError, match="3D, 4D or 5D"):
        init.delta_orthogonal()(irax.random.PRNGKey(0), (3, 3))
    with pytest.raises(ValueError, match="fan_in"):
        init.delta_orthogonal()(irax.random.PRNGKey(0), (3, 4, 2))
    # every builder's result is an Initializer (a Protocol, as jax.nn.initializers')
    import typing
    assert typing.Protocol in init.Initializer.__mro__
    assert callable(init.delta_orthogonal()) and callable(init.Initializer.__call__)
