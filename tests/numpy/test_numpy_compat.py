"""irax.numpy's NumPy 2 aliases, predicates, windows, cumulative_*, vecdot/matvec/vecmat and
polynomial arithmetic against JAX 0.10 (test-only oracle): values, dtypes and shapes."""
import jax.numpy as jjnp
import numpy as np
import pytest

import irax
import irax.numpy as jnp
from tests import jax_oracle

X = np.linspace(-2, 2, 12, dtype=np.float32).reshape(3, 4)
Z = (X + 1j * X[::-1]).astype(np.complex64)
P = np.array([1.0, -2.0, 3.0], np.float32)
Q = np.array([0.5, 4.0], np.float32)
SPECIAL = np.array([np.inf, -np.inf, 1.0, np.nan], np.float32)

# Cases taking the arrays as arguments (so one compiled module covers them all).
ARRAY_CASES = {
    "acos": lambda M, x, z: M.acos(x / 3),
    "asin": lambda M, x, z: M.asin(x / 3),
    "atan": lambda M, x, z: M.atan(x),
    "acosh": lambda M, x, z: M.acosh(x + 3),
    "asinh": lambda M, x, z: M.asinh(x),
    "atanh": lambda M, x, z: M.atanh(x / 3),
    "atan2": lambda M, x, z: M.atan2(x, x[::-1]),
    "concat": lambda M, x, z: M.concat([x, x], axis=1),
    "degrees": lambda M, x, z: M.degrees(x),
    "radians": lambda M, x, z: M.radians(x),
    "iscomplex": lambda M, x, z: M.iscomplex(z * (x > 0)),
    "iscomplex_of_real": lambda M, x, z: M.iscomplex(x),
    "isreal": lambda M, x, z: M.isreal(z * (x > 0)),
    "copy": lambda M, x, z: M.copy(x),
    "astype": lambda M, x, z: M.astype(x * 2, np.int32),
    "matrix_transpose": lambda M, x, z: M.matrix_transpose(x),
    "cumulative_sum": lambda M, x, z: M.cumulative_sum(x, axis=1),
    "cumulative_sum_initial": lambda M, x, z: M.cumulative_sum(x, axis=0, include_initial=True),
    "cumulative_prod_initial": lambda M, x, z: M.cumulative_prod(x[0], include_initial=True),
    "modf_fraction": lambda M, x, z: M.modf(x * 1.3)[0],
    "modf_whole": lambda M, x, z: M.modf(x * 1.3)[1],
    "rollaxis": lambda M, x, z: M.rollaxis(x[None], 2),
    "rollaxis_start": lambda M, x, z: M.rollaxis(x[None], 0, 3),
    "unstack": lambda M, x, z: M.unstack(x, axis=1)[2],
    "diagflat": lambda M, x, z: M.diagflat(x[:2, :2], k=1),
    "vecdot": lambda M, x, z: M.vecdot(z, z[::-1]),
    "matvec": lambda M, x, z: M.matvec(x, x[0]),
    "vecmat": lambda M, x, z: M.vecmat(x[:, 0], x),
    "polyadd": lambda M, x, z: M.polyadd(x[0, :3], x[1, :2]),
    "polysub": lambda M, x, z: M.polysub(x[1, :2], x[0, :3]),
    "polymul": lambda M, x, z: M.polymul(x[0, :3], x[1, :2]),
    "polyder": lambda M, x, z: M.polyder(x[0]),
    "polyder_twice": lambda M, x, z: M.polyder(x[0], 2),
    "polyint": lambda M, x, z: M.polyint(x[0]),
    "polyint_twice_with_constants": lambda M, x, z: M.polyint(x[0], 2, k=np.array([1.0, 2.0])),
}
# Cases with no array argument (constructors) or non-float inputs: eager only.
EAGER_CASES = {
    "bitwise_invert": lambda M: M.bitwise_invert(np.arange(5, dtype=np.int32)),
    "fabs_of_int": lambda M: M.fabs(np.array([-1, 2], np.int32)),
    "isposinf": lambda M: M.isposinf(SPECIAL),
    "isneginf": lambda M: M.isneginf(SPECIAL),
    "logspace": lambda M: M.logspace(0, 2, 5),
    "logspace_base2": lambda M: M.logspace(0, 3, 4, endpoint=False, base=2.0),
    "geomspace": lambda M: M.geomspace(1, 1000, 4),
    "geomspace_negative": lambda M: M.geomspace(-1, -16, 5),
    "hanning": lambda M: M.hanning(7),
    "hamming": lambda M: M.hamming(6),
    "blackman": lambda M: M.blackman(5),
    "bartlett": lambda M: M.bartlett(8),
    "kaiser": lambda M: M.kaiser(9, 4.0),
    "hanning_1": lambda M: M.hanning(1),
    "hanning_0": lambda M: M.hanning(0),
}


def assert_like_jax(out, ref, name):
    jax_oracle.assert_like_jax(out, ref, name, atol=2e-6)


@pytest.mark.parametrize("name", sorted(ARRAY_CASES))
def test_array_cases_eager_match_jax(name):
    assert_like_jax(ARRAY_CASES[name](jnp, X, Z), ARRAY_CASES[name](jjnp, X, Z), name)


@pytest.mark.parametrize("name", sorted(EAGER_CASES))
def test_constructors_and_predicates_match_jax(name):
    assert_like_jax(EAGER_CASES[name](jnp), EAGER_CASES[name](jjnp), name)


def test_one_compiled_module_matches_jax():
    compiled = irax.jit(lambda x, z: {k: f(jnp, x, z) for k, f in ARRAY_CASES.items()})(X, Z)
    for name, f in ARRAY_CASES.items():
        assert_like_jax(compiled[name], f(jjnp, X, Z), name)


def test_windows_against_their_formulas():
    n = np.arange(7)
    np.testing.assert_allclose(jnp.hanning(7), 0.5 - 0.5 * np.cos(2 * np.pi * n / 6), atol=1e-6)
    np.testing.assert_allclose(jnp.kaiser(7, 2.5), np.kaiser(7, 2.5), rtol=1e-5)


def test_names_and_constants():
    assert jnp.euler_gamma == pytest.approx(0.5772156649015329, abs=1e-15)
    assert jnp.s_[1:3] == slice(1, 3) and jnp.index_exp[2] == (2,)
    assert jnp.isscalar(1.0) and not jnp.isscalar(np.ones(2)) and jnp.iterable([1])
    assert np.asarray(jnp.zeros(2, jnp.double)).dtype == np.float32  # x64 off: as JAX
    assert np.asarray(jnp.ones(2, jnp.csingle)).dtype == np.complex64


def test_bad_arguments_raise_like_jax():
    with pytest.raises(ValueError, match="2 dimensions"):
        jnp.matrix_transpose(np.ones(3, np.float32))
    with pytest.raises(ValueError, match="axis"):
        jnp.cumulative_sum(X)
    with pytest.raises(ValueError, match="zero"):
        jnp.geomspace(0, 1, 3)
    with pytest.raises(ValueError):
        jnp.polyder(P, -1)
    with pytest.raises(ValueError, match="1-d"):
        jnp.unstack(np.float32(1))
    with pytest.raises(ValueError, match="out of bounds"):
        jnp.unstack(X, axis=2)
    with pytest.raises(ValueError, match="out of bounds"):
        jnp.rollaxis(X, 2)


def test_numpy_reductions_of_irax_arrays_call_the_methods():
    # np.sum(x) calls x.sum(axis=None, dtype=None, out=None): it works as with JAX arrays
    x = np.arange(6, dtype=np.float32).reshape(2, 3) - 2
    a = jnp.asarray(x)
    for fn in (np.sum, np.mean, np.max, np.min, np.prod, np.std, np.var, np.any, np.all):
        got = fn(a, axis=1)
        assert isinstance(got, irax.Array), fn.__name__
        np.testing.assert_allclose(np.asarray(got), fn(x, axis=1), rtol=1e-6, err_msg=fn.__name__)
    with pytest.raises(NotImplementedError, match="'out' argument"):
        a.sum(out=np.zeros(3, np.float32))


def test_python_ints_beyond_int32_with_an_explicit_unsigned_dtype():
    for make in (lambda L: L.asarray(2 ** 32 - 1, L.uint32), lambda L: L.full((2,), 2 ** 32 - 1, L.uint32),
                 lambda L: L.uint32(4294901760)):
        jax_oracle.assert_like_jax(make(jnp), make(jjnp), "uint32 from a Python int")
    assert jnp.full((2,), 3).weak_type and not jnp.full((2,), 3, jnp.int32).weak_type
