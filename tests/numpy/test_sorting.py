"""Sorting, searching, order statistics and unique (irax.numpy) and lax.sort / sort_key_val /
top_k, eager, under grad and vmap, and compiled (one llvm-cpu module, one Vulkan module).

References: NumPy for values; float64 central differences or analytic derivatives for
gradients; a Python loop for vmap; JAX 0.10 (the test-only oracle) where the semantics are
JAX's own: NaN and signed-zero order, descending ties, top_k's total order, unique with
size= and its fill values."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import irax
import irax.numpy as jnp
from irax import grad, jit, lax, vmap
from irax.tracer.core import ConcretizationTypeError
from tests.finite_differences import central_fd

RNG = np.random.default_rng(1234)
SPECIAL = np.array([3., np.nan, -0., 1., 0., -np.inf, 1., np.inf, -np.nan, -2.], np.float32)
TIES = np.array([2, 0, 1, 2, 0, 1, 1, 2, 0], np.int32)
X2 = RNG.standard_normal((4, 7)).astype(np.float32)
X3 = RNG.standard_normal((3, 4, 5)).astype(np.float32)
Q = np.array([0., 0.125, 0.25, 0.5, 0.625, 0.9, 1.], np.float32)
METHODS = ["linear", "lower", "higher", "nearest", "midpoint"]


@pytest.fixture(scope="module")
def jax_np():
    jax = pytest.importorskip("jax")
    return jax


def _eq(got, want, what=""):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, (what, got.shape, want.shape)
    np.testing.assert_array_equal(got, want, err_msg=what)


def _close(got, want, tol=1e-6, what=""):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, (what, got.shape, want.shape)
    np.testing.assert_allclose(got.astype(np.float64), want, rtol=tol, atol=tol, err_msg=what)


def _bits(x):
    """Values with the sign of zero and NaN made visible (for exact order checks)."""
    x = np.asarray(x)
    return np.where(np.isnan(x), np.inf, x), np.signbit(x)


# ---------------------------------------------------------------------------
# sort / argsort / lexsort / partition, eager


@pytest.mark.parametrize("x,axis", [(SPECIAL, -1), (X2, 0), (X2, 1), (X3, 1), (X3, None),
                                    (TIES, 0), (TIES.astype(bool), 0),
                                    (np.uint8([7, 200, 3, 0]), 0)])
def test_sort_and_argsort_match_numpy(x, axis):
    _eq(jnp.sort(x, axis=axis), np.sort(x, axis=axis, kind="stable"))
    _eq(jnp.argsort(x, axis=axis), np.argsort(x, axis=axis, kind="stable"))


def test_nan_and_signed_zero_order_is_jax(jax_np):
    """All NaNs last (whatever their sign bit), -0.0 ties with 0.0 (stable), as jnp.sort."""
    j = jax_np.numpy
    for descending in (False, True):
        got = jnp.sort(SPECIAL, descending=descending)
        want = j.sort(SPECIAL, descending=descending)
        for g, w in zip(_bits(got), _bits(want)):
            _eq(g, w, f"sort descending={descending}")
        _eq(jnp.argsort(SPECIAL, descending=descending),
            j.argsort(SPECIAL, descending=descending), f"argsort descending={descending}")
    _eq(jnp.argsort(TIES, descending=True), j.argsort(TIES, descending=True))
    _eq(jnp.argsort(TIES, descending=True), np.argsort(-TIES, kind="stable"))


def test_lexsort_matches_numpy():
    a, b, c = (RNG.integers(0, 3, (5, 6)) for _ in range(3))
    _eq(jnp.lexsort((a, b, c)), np.lexsort((a, b, c)))
    _eq(jnp.lexsort((a, b), axis=0), np.lexsort((a, b), axis=0))
    _eq(jnp.lexsort(np.stack([a[0], b[0]])), np.lexsort(np.stack([a[0], b[0]])))
    f = np.array([1., np.nan, 1., 0.], np.float32)
    _eq(jnp.lexsort((np.arange(4), f)), np.lexsort((np.arange(4), f)))


def test_partition_puts_kth_in_place():
    for x, kth, axis in [(X2, 3, 1), (X2, -1, 0), (TIES, 4, 0)]:
        ref = np.sort(x, axis=axis)
        got = np.asarray(jnp.partition(x, kth, axis=axis))
        k = kth % x.shape[axis]
        pivot = np.take(got, [k], axis=axis)
        _eq(pivot, np.take(ref, [k], axis=axis))
        assert np.all(np.take(got, range(k), axis=axis) <= pivot)
        assert np.all(np.take(got, range(k + 1, x.shape[axis]), axis=axis) >= pivot)
        idx = np.asarray(jnp.argpartition(x, kth, axis=axis))
        _eq(np.take_along_axis(x, idx, axis), got)


def test_lax_sort_multi_operand():
    k1, k2 = TIES, TIES[::-1].copy()
    v = np.arange(9, dtype=np.float32) * 1.5
    perm = np.lexsort((k2, k1))
    got = lax.sort((k1, k2, v), num_keys=2)
    assert isinstance(got, tuple) and len(got) == 3
    for g, w in zip(got, (k1[perm], k2[perm], v[perm])):
        _eq(g, w)
    keys, vals = lax.sort_key_val(X2, np.arange(28).reshape(4, 7), dimension=0)
    perm = np.argsort(X2, axis=0, kind="stable")
    _eq(keys, np.sort(X2, axis=0))
    _eq(vals, np.take_along_axis(np.arange(28).reshape(4, 7), perm, 0))
    _eq(lax.sort(SPECIAL), np.sort(SPECIAL))
    _eq(lax.sort([X2])[0], np.sort(X2))


def test_top_k_is_jax(jax_np):
    """Largest first, equal values in index order, floats in the IEEE total order."""
    for x, k, axis in [(SPECIAL, 10, -1), (SPECIAL, 4, -1), (TIES, 5, -1), (X2, 3, 0),
                       (X2, 7, 1)]:
        vals, idx = lax.top_k(x, k, axis=axis)
        jv, ji = jax_np.lax.top_k(x, k, axis=axis)
        for g, w in zip(_bits(vals), _bits(jv)):
            _eq(g, w, f"top_k values {k} {axis}")
        _eq(idx, ji, f"top_k indices {k} {axis}")


# ---------------------------------------------------------------------------
# searchsorted / digitize


def test_searchsorted_matches_numpy():
    a = np.array([-1., 0., 0., 2., 2., 2., 5., np.nan], np.float32)
    v = np.array([[-3., 0., 1., 2.], [5., 6., np.nan, -0.]], np.float32)
    for side in ("left", "right"):
        _eq(jnp.searchsorted(a, v, side=side), np.searchsorted(a, v, side=side), side)
        _eq(jnp.searchsorted(a, 2., side=side), np.searchsorted(a, 2., side=side), side)
    ints = np.array([4, 1, 3, 3, 0], np.int32)
    sorter = np.argsort(ints, kind="stable")
    _eq(jnp.searchsorted(ints, np.array([3, 5, -1]), sorter=sorter),
        np.searchsorted(ints, np.array([3, 5, -1]), sorter=sorter))


def test_digitize_matches_numpy():
    x = np.array([-1., 0., 0.5, 1., 2.5, 3., 7.], np.float32)
    for bins in (np.array([0., 1., 2., 3.]), np.array([3., 2., 1., 0.]), np.array([1.])):
        for right in (False, True):
            _eq(jnp.digitize(x, bins.astype(np.float32), right=right),
                np.digitize(x, bins, right=right), f"{bins} right={right}")


# ---------------------------------------------------------------------------
# quantile / percentile / median and their nan- forms


@pytest.mark.parametrize("method", METHODS)
def test_quantile_methods_match_numpy(method):
    _close(jnp.quantile(X2, Q, axis=1, method=method), np.quantile(X2, Q, axis=1, method=method),
           what=method)
    _close(jnp.quantile(X3, 0.3, axis=(0, 2), method=method, keepdims=True),
           np.quantile(X3, 0.3, axis=(0, 2), method=method, keepdims=True), what=method)
    _close(jnp.percentile(X3, Q.reshape(7, 1) * 100, method=method),
           np.percentile(X3, Q.reshape(7, 1) * 100, method=method), what=method)


def test_nearest_rounds_half_to_even_index_as_numpy():
    # q (n - 1) = 1.5 and 2.5: NumPy takes the even index (JAX 0.10 rounds down instead)
    x = np.arange(6, dtype=np.float32) * 10
    _close(jnp.quantile(x, np.float32([0.3, 0.5]), method="nearest"),
           np.quantile(x, [0.3, 0.5], method="nearest"))


def test_median_and_nans():
    _close(jnp.median(X3, axis=1), np.median(X3, axis=1))
    _close(jnp.median(TIES), np.median(TIES))
    with_nan = X2.copy()
    with_nan[1, 2] = np.nan
    with_nan[3] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        _close(jnp.median(with_nan, axis=1), np.median(with_nan, axis=1))
        _close(jnp.quantile(with_nan, Q, axis=1), np.quantile(with_nan, Q, axis=1))
        _close(jnp.nanmedian(with_nan, axis=1), np.nanmedian(with_nan, axis=1))
        for method in METHODS:
            _close(jnp.nanquantile(with_nan, Q, axis=1, method=method),
                   np.nanquantile(with_nan, Q, axis=1, method=method), what=method)
        _close(jnp.nanpercentile(with_nan, 40., axis=0), np.nanpercentile(with_nan, 40., axis=0))
    assert jnp.quantile(TIES, 0.5).dtype == np.float32


# ---------------------------------------------------------------------------
# unique


def test_unique_matches_numpy():
    x = np.array([[3, 1, 3], [2, 5, 1]], np.int32)
    for got, want in zip(jnp.unique(x, return_index=True, return_inverse=True,
                                    return_counts=True),
                         np.unique(x, return_index=True, return_inverse=True,
                                   return_counts=True)):
        _eq(got, want)
    f = np.array([1., np.nan, 0., np.nan, -0., 1.], np.float32)
    for equal_nan in (True, False):
        v, c = jnp.unique(f, return_counts=True, equal_nan=equal_nan)
        wv, wc = np.unique(f, return_counts=True, equal_nan=equal_nan)
        _eq(_bits(v)[0], _bits(wv)[0])
        _eq(c, wc)
    _eq(jnp.unique_values(x), np.unique(x))
    _eq(jnp.unique_counts(x).counts, np.unique(x, return_counts=True)[1])
    _eq(jnp.unique_inverse(x).inverse_indices, np.unique(x, return_inverse=True)[1])
    _eq(jnp.unique_all(x).indices, np.unique(x, return_index=True)[1])


@pytest.mark.parametrize("size,fill_value", [(6, None), (2, None), (8, -7.)])
def test_unique_with_size_is_jax(jax_np, size, fill_value):
    x = np.array([3., 1., 3., 2., 5., 1.], np.float32)
    kw = dict(return_index=True, return_inverse=True, return_counts=True, size=size,
              fill_value=fill_value)
    for got, want in zip(jnp.unique(x, **kw), jax_np.numpy.unique(x, **kw)):
        _eq(got, want, f"size={size} fill={fill_value}")


def test_unique_under_jit_needs_size():
    with pytest.raises(ConcretizationTypeError, match="size="):
        jit(jnp.unique)(np.arange(4))


# ---------------------------------------------------------------------------
# errors


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(TypeError, match="kind"):
        jnp.sort(X2, kind="quicksort")
    with pytest.raises(ValueError, match="num_keys"):
        lax.sort((X2, X2), num_keys=3)
    with pytest.raises(TypeError, match="same shape"):
        lax.sort((X2, X3))
    with pytest.raises(ValueError, match="no larger"):
        lax.top_k(X2, 8)
    with pytest.raises(ValueError, match="kth"):
        jnp.partition(X2, 7)
    with pytest.raises(ValueError, match="side"):
        jnp.searchsorted(np.arange(3.), 1., side="middle")
    with pytest.raises(ValueError, match="method"):
        jnp.quantile(X2, 0.5, method="inverted_cdf")
    with pytest.raises(TypeError, match="len > 0"):
        jnp.lexsort(())
    with pytest.raises(ValueError, match="out of bounds"):
        jnp.sort(X2, axis=2)


# ---------------------------------------------------------------------------
# gradients (float64) and vmap, eager


def test_gradients_match_analytic_and_central_differences(x64):
    x = RNG.standard_normal((3, 6))
    w = RNG.standard_normal((3, 6))
    # d/dx sum(w * sort(x)) puts w_i where the i-th smallest came from
    perm = np.argsort(x, axis=1)
    want = np.zeros_like(x)
    np.put_along_axis(want, perm, w, axis=1)
    _close(grad(lambda v: jnp.sum(w * jnp.sort(v, axis=1)))(x), want, 1e-12)
    # second derivative through the gather's transpose: f = sum(w * sort(x)^3)
    hess_diag = np.zeros_like(x)
    np.put_along_axis(hess_diag, perm, 6 * w * np.sort(x, axis=1), axis=1)
    g2 = grad(lambda v: jnp.sum(grad(lambda u: jnp.sum(w * jnp.sort(u, axis=1) ** 3))(v)))(x)
    _close(g2, hess_diag, 1e-10)
    vals_w = RNG.standard_normal((3, 2))
    for f in [lambda v: jnp.sum(jnp.quantile(v, np.array([0.2, 0.75]), axis=1) * vals_w.T),
              lambda v: jnp.sum(jnp.nanquantile(jnp.where(v > 1., jnp.nan, v), 0.4, axis=1)),
              lambda v: jnp.sum(jnp.median(v, axis=0) ** 2),
              lambda v: jnp.sum(lax.top_k(v, 2)[0] * vals_w),
              lambda v: jnp.sum(lax.sort((jnp.asarray(TIES[:6]), v[0] * v[1]))[1] * w[0]),
              lambda v: jnp.sum(jnp.percentile(v, 30., method="midpoint"))]:
        _close(grad(f)(x), central_fd(f, x), 1e-7)
    q = np.array([0.1, 0.45, 0.7])   # q (n - 1) not an index: away from the kinks
    _close(grad(lambda p: jnp.sum(jnp.quantile(x, p, axis=1)))(q),
           central_fd(lambda p: jnp.sum(jnp.quantile(x, p, axis=1)), q), 1e-7)


def test_vmap_matches_a_python_loop():
    xs = RNG.standard_normal((3, 5, 4)).astype(np.float32)
    ints = RNG.integers(0, 4, (3, 7)).astype(np.int32)
    qs = RNG.uniform(0, 1, (3, 2)).astype(np.float32)
    cases = [
        (lambda x: jnp.sort(x, axis=0, descending=True), (xs,)),
        (lambda x: jnp.argsort(x, axis=1), (xs,)),
        (lambda x, q: jnp.quantile(x, q, axis=0), (xs, qs)),
        (lambda x: jnp.nanmedian(x), (xs,)),
        (lambda x: lax.top_k(x, 2), (xs,)),
        (lambda i, x: lax.sort((i, x[:, 0] * 1.0 + x[:, 1])), (ints[:, :5], xs)),
        (lambda i: jnp.unique(i, size=5, return_counts=True, return_inverse=True), (ints,)),
        (lambda i, v: jnp.searchsorted(jnp.sort(i), v), (ints, ints[:, :3])),
    ]
    for k, (f, args) in enumerate(cases):
        got = vmap(f)(*args)
        loop = [f(*[a[b] for a in args]) for b in range(3)]
        want = irax.tree_util.tree_map(lambda *ys: np.stack([np.asarray(y) for y in ys]), *loop)
        for g, w in zip(irax.tree_util.tree_leaves(got), irax.tree_util.tree_leaves(want)):
            _eq(g, w, f"case {k}")
    # batched over the unbatched-operand side too: keys batched, values shared
    got = vmap(lambda k: lax.sort((k, jnp.arange(7.)))[1])(ints)
    _eq(got, np.stack([np.arange(7.)[np.argsort(i, kind="stable")] for i in ints]))


# ---------------------------------------------------------------------------
# compiled: one module with everything, on llvm-cpu and on Vulkan


def _everything(x, t, special, ties, q, w, names=None):
    y = x * 2.0 + 1.0                              # computed operands (an IREE pitfall)
    out = {
        "sort_computed": jnp.sort(y, axis=1),
        "sort_axis0_desc": jnp.sort(y, axis=0, descending=True),
        "argsort_computed": jnp.argsort(y, axis=1),
        "argsort_of_arange": jnp.argsort(jnp.arange(7) * 3),
        "sort_special": jnp.sort(special),
        "argsort_special": jnp.argsort(special),
        "argsort_ties_desc": jnp.argsort(ties, descending=True),
        "lexsort": jnp.lexsort((ties, ties[::-1])),
        "lax_sort_same_twice": lax.sort((y, y), num_keys=1),
        "lax_sort_values": lax.sort((ties, ties * 2, jnp.ravel(t)[:9]), num_keys=2),
        "value_still_intact": y[::-1] * 1.0,       # y was sorted in place somewhere above
        "top_k": lax.top_k(special, 4),
        "top_k_rows": lax.top_k(t, 3),
        "quantile": jnp.quantile(x, q, axis=1),
        "quantile_nearest": jnp.quantile(x, q, method="nearest"),
        "median": jnp.median(t, axis=0),
        "nanquantile": jnp.nanquantile(jnp.where(t > 1.0, jnp.nan, t), q, axis=1),
        "searchsorted": jnp.searchsorted(jnp.sort(special), x[0], side="right"),
        "digitize": jnp.digitize(t[0], jnp.sort(x[1])),
        "unique": jnp.unique(ties, size=5, fill_value=-1, return_index=True,
                             return_inverse=True, return_counts=True),
        "grad_sort": grad(lambda v: jnp.sum(w * jnp.sort(v * 3.0, axis=1)))(t),
        "grad_quantile": grad(lambda v, p: jnp.sum(jnp.quantile(v, p, axis=1)),
                              argnums=(0, 1))(x, q),
        "grad_top_k": grad(lambda v: jnp.sum(lax.top_k(v, 2)[0] * w[:, :2]))(t),
        "vmap_sort": vmap(lambda r: lax.sort((r, r * r)))(t),
        "vmap_unique": vmap(lambda r: jnp.unique(r, size=4, return_counts=True))(
            jnp.reshape(ties[:8], (2, 4))),
    }
    return out if names is None else {n: out[n] for n in names}


# Vulkan sorts with a bitonic network (irax/lowering/prims/sort.py): a cross-section keeps
# its one compile short
VULKAN_CASES = ("sort_computed", "argsort_special", "argsort_ties_desc", "lax_sort_same_twice",
                "value_still_intact", "top_k", "quantile", "nanquantile", "searchsorted",
                "unique", "grad_sort", "vmap_sort")


def _inputs():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((4, 7)).astype(np.float32)
    t = rng.standard_normal((4, 7)).astype(np.float32)
    w = rng.standard_normal((4, 7)).astype(np.float32)
    return (x, t, SPECIAL, TIES, np.float32([0.1, 0.5, 0.875]), w)


def _check_compiled(got, names=None):
    args = _inputs()
    want = _everything(*[jnp.asarray(a) for a in args])
    for name in names or want:
        g_leaves = irax.tree_util.tree_leaves(got[name])
        w_leaves = irax.tree_util.tree_leaves(want[name])
        assert len(g_leaves) == len(w_leaves), name
        for g, w in zip(g_leaves, w_leaves):
            g, w = np.asarray(g), np.asarray(w)
            assert g.dtype == w.dtype and g.shape == w.shape, (name, g.dtype, w.dtype)
            if g.dtype.kind == "f":
                np.testing.assert_allclose(g, w, rtol=2e-6, atol=2e-6, err_msg=name)
                _eq(np.signbit(g) | np.isnan(g), np.signbit(w) | np.isnan(w), name)
            else:
                _eq(g, w, name)
    # and the eager values themselves are NumPy's
    x, t, w = args[0], args[1], args[5]
    _eq(want["sort_computed"], np.sort(x * 2 + 1, axis=1))
    _eq(want["argsort_computed"], np.argsort(x * 2 + 1, axis=1, kind="stable"))
    _eq(want["argsort_of_arange"], np.arange(7))
    _eq(want["value_still_intact"], (x * 2 + 1)[::-1])
    _close(want["quantile"], np.quantile(x, args[4], axis=1))
    _close(want["median"], np.median(t, axis=0))
    grad_sort = np.zeros_like(t)
    np.put_along_axis(grad_sort, np.argsort(t, axis=1), 3 * w, axis=1)
    _close(want["grad_sort"], grad_sort, 1e-5)


def test_compiled_llvm_cpu_matches_eager_and_numpy():
    _check_compiled(jit(_everything)(*_inputs()))


@pytest.mark.vulkan
def test_compiled_vulkan_matches_eager_and_numpy():
    got = jit(lambda *a: _everything(*a, names=VULKAN_CASES), device="vulkan")(*_inputs())
    _check_compiled(got, VULKAN_CASES)
