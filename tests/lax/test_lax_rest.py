"""The rest of jax.lax (irax/lax/conv_extra.py, collectives_extra.py, misc_extra.py):
conv patches / unshared conv / conv shape helpers, psum_scatter / all_to_all / ppermute /
pshuffle / pswapaxes / pbroadcast over named vmap axes, ragged_dot(_general),
approx_max_k / approx_min_k, rng_bit_generator / rng_uniform, platform_dependent,
composite, tokens, scatter_apply, stage, dce_sink, Tolerance / AccuracyMode, linear_solve_p.

References: JAX 0.10 (jax.vmap with axis_name runs these collectives) for values, dtypes and
shapes; NumPy loops for what JAX's vmap cannot run (partial ppermute, pbroadcast) and for
the finite-difference references of the gradients; a Python loop for vmap. Every compiled
case runs in ONE jit module (operands as its arguments)."""
from __future__ import annotations

import jax
import jax.lax as jlax
import numpy as np
import pytest

import irax
from irax import lax
from tests.finite_differences import central_fd
from tests.jax_oracle import assert_like_jax

RNG = np.random.default_rng(12)
X = RNG.normal(size=(4, 4, 8)).astype(np.float32)          # 4 examples of (4, 8)
IMG = RNG.normal(size=(2, 5, 6, 3)).astype(np.float32)     # NHWC
LHS = RNG.normal(size=(7, 3)).astype(np.float32)
RHS = RNG.normal(size=(3, 3, 4)).astype(np.float32)
GS = np.array([2, 3, 1], np.int32)
DN = ("NHWC", "HWIO", "NHWC")
DN_LOCAL = ("NHWC", "HWIO", "NCHW")


def _collective_cases(L):
    """name -> per-example function using the collectives of module L (irax.lax or
    jax.lax), each run under vmap(axis_name="i") over X."""
    return {
        "psum_scatter": lambda x: L.psum_scatter(x, "i"),
        "psum_scatter_tiled_dim1": lambda x: L.psum_scatter(x, "i", scatter_dimension=1,
                                                            tiled=True),
        "all_to_all_0_1": lambda x: L.all_to_all(x, "i", 0, 1),
        "all_to_all_0_0": lambda x: L.all_to_all(x, "i", 0, 0),
        "all_to_all_1_0": lambda x: L.all_to_all(x[:, :4], "i", 1, 0),
        "all_to_all_tiled_1_0": lambda x: L.all_to_all(x, "i", 1, 0, tiled=True),
        "all_to_all_tiled_0_1": lambda x: L.all_to_all(x, "i", 0, 1, tiled=True),
        "ppermute_cycle": lambda x: L.ppermute(x, "i", [(0, 1), (1, 2), (2, 3), (3, 0)]),
        "pshuffle": lambda x: L.pshuffle(x, "i", [3, 2, 0, 1]),
        "pswapaxes": lambda x: L.pswapaxes(x, "i", 0),
    }


def _numpy_collectives(x):
    """What JAX's vmap cannot run, from the documented semantics: a partial ppermute
    (unsent destinations get zeros) and pbroadcast (every example gets example 2's)."""
    partial = np.zeros_like(x)
    partial[2], partial[1] = x[0], x[3]
    return {"ppermute_partial": partial, "pbroadcast": np.broadcast_to(x[2], x.shape)}


def _irax_extra_collectives():
    return {"ppermute_partial": lambda x: lax.ppermute(x, "i", [(0, 2), (3, 1)]),
            "pbroadcast": lambda x: lax.pbroadcast(x, "i", 2)}


def _vm(f):
    return irax.vmap(f, axis_name="i")


def _jax_reference():
    ref = {k: jax.vmap(f, axis_name="i")(X) for k, f in _collective_cases(jlax).items()}
    ref.update(_numpy_collectives(X))
    return ref


# ---------------------------------------------------------------------------
# the compiled module: every jit case at once


SCATTER_IDX = np.array([[1], [3], [3], [7]], np.int32)   # position 3 twice


def _scatter_apply(L, v, idx):
    dn = L.ScatterDimensionNumbers(update_window_dims=(), inserted_window_dims=(0,),
                                   scatter_dims_to_operand_dims=(0,))
    return L.scatter_apply(v[:10], idx, lambda e: e * 2 + 1, dn, update_shape=(4,))


def _conv_and_misc(L, img, lhs, rhs, gs, v):
    """The non-collective jit cases, with the functions of L (irax.lax or jax.lax)."""
    w_local = v[: 5 * 3 * 18 * 4].reshape(5, 3, 18, 4)
    return {
        "patches": L.conv_general_dilated_patches(img, (2, 3), (1, 2), "SAME",
                                                  dimension_numbers=DN),
        "local": L.conv_general_dilated_local(img, w_local, (1, 2), "SAME", (2, 3),
                                              dimension_numbers=DN_LOCAL),
        "ragged_dot": L.ragged_dot(lhs, rhs, gs),
        "approx_max_k": L.approx_max_k(v[:24].reshape(4, 6), 3),
        "approx_min_k": L.approx_min_k(v[:24].reshape(4, 6), 2, reduction_dimension=0),
        "scatter_apply": _scatter_apply(L, v, SCATTER_IDX),
    }


V = RNG.permutation(5 * 3 * 18 * 4).astype(np.float32) / 100.0   # distinct: no top-k ties


_SCALE = lax.composite(lambda v, scale=2.0: v * scale, name="my.scale")


def _all_cases(x, img, lhs, rhs, gs, v, key, token):
    out = {k: _vm(f)(x) for k, f in _collective_cases(lax).items()}
    out.update({k: _vm(f)(x) for k, f in _irax_extra_collectives().items()})
    out["pmap_ppermute"] = irax.pmap(
        lambda a: lax.ppermute(a, "i", [(0, 1), (1, 2), (2, 3), (3, 0)]), axis_name="i")(x)
    out["pmap_all_to_all_0_1"] = irax.pmap(lambda a: lax.all_to_all(a, "i", 0, 1),
                                           axis_name="i")(x)
    out.update(_conv_and_misc(lax, img, lhs, rhs, gs, v))
    out["rng_bit_generator"] = lax.rng_bit_generator(key, (3, 5), np.uint8)
    out["composite"] = _SCALE(v[:3], scale=4.0)
    out["token"] = lax.after_all(token, lax.create_token())
    return out


@pytest.fixture(scope="module")
def compiled():
    # (the same module on Vulkan/lavapipe matched too, checked by hand: compiling it for
    # Vulkan costs ~30 s of CPU, beyond this file's share of CI)
    key = np.array([1, 2, 3, 4], np.uint32)
    return irax.jit(_all_cases)(X, IMG, LHS, RHS, GS, V, key, lax.create_token())


def _flat(tree):
    return jax.tree_util.tree_leaves(tree)


def _assert_trees_like_jax(got, want, name, tol=1e-5):
    got, want = _flat(got), _flat(want)
    assert len(got) == len(want), name
    for g, r in zip(got, want):
        assert_like_jax(g, r, name, rtol=tol, atol=tol)


def test_jit_matches_jax(compiled):
    _assert_module_like_jax(compiled)


def _assert_module_like_jax(compiled):
    want = _jax_reference()
    want["pmap_ppermute"] = want["ppermute_cycle"]
    want["pmap_all_to_all_0_1"] = want["all_to_all_0_1"]
    want.update(_conv_and_misc(jlax, IMG, LHS, RHS, GS, V))
    want["composite"] = V[:3] * 4.0
    assert isinstance(compiled["token"], type(lax.create_token()))
    for name, ref in want.items():
        _assert_trees_like_jax(compiled[name], ref, name)
    # the bits are a pure function of the key: the same on every target as eagerly
    for got, eager in zip(compiled["rng_bit_generator"], lax.rng_bit_generator(
            np.array([1, 2, 3, 4], np.uint32), (3, 5), np.uint8)):
        assert_like_jax(got, eager, "rng_bit_generator", rtol=0, atol=0)


@pytest.mark.parametrize("name", sorted(_collective_cases(lax)) + sorted(
    _irax_extra_collectives()))
def test_collectives_eager_match_jax(name):
    f = {**_collective_cases(lax), **_irax_extra_collectives()}[name]
    want = (jax.vmap(_collective_cases(jlax)[name], axis_name="i")(X)
            if name in _collective_cases(lax) else _numpy_collectives(X)[name])
    assert_like_jax(_vm(f)(X), want, name)


def _dilated_patches(L, img):
    return L.conv_general_dilated_patches(img, (3, 2), (2, 1), [(1, 0), (0, 2)],
                                          lhs_dilation=(1, 2), rhs_dilation=(2, 1),
                                          dimension_numbers=DN)


def test_conv_ragged_approx_eager_match_jax():
    got, want = (_conv_and_misc(lax, IMG, LHS, RHS, GS, V),
                 _conv_and_misc(jlax, IMG, LHS, RHS, GS, V))
    got["patches_dilated"], want["patches_dilated"] = (_dilated_patches(lax, IMG),
                                                       _dilated_patches(jlax, IMG))
    for name in want:
        _assert_trees_like_jax(got[name], want[name], name)


def test_unbatched_operands_match_jax():
    # in_axes None: every example holds the same value (psum of it is n times it)
    c = X[0]

    def make(L, vmap):
        return vmap(lambda x, v: (L.psum_scatter(v, "i"),
                                  L.ppermute(v, "i", [(0, 1), (1, 2), (2, 3), (3, 0)])),
                    in_axes=(0, None), axis_name="i")
    _assert_trees_like_jax(make(lax, irax.vmap)(X, c), make(jlax, jax.vmap)(X, c),
                           "unbatched")
    # (JAX 0.10's vmap gives these two extra dimensions for an unbatched operand) example
    # k receives row k of c from every sender
    a2a, swapped = irax.vmap(lambda x, v: (lax.all_to_all(v, "i", 0, 1),
                                           lax.pswapaxes(v, "i", 0)),
                             in_axes=(0, None), axis_name="i")(X, c)
    np.testing.assert_array_equal(np.asarray(a2a), np.broadcast_to(c[:, :, None], (4, 8, 4)))
    np.testing.assert_array_equal(np.asarray(swapped),
                                  np.broadcast_to(c[:, None, :], (4, 4, 8)))


def test_nested_names_match_jax():
    # inner vmap "i" inside outer vmap "o": each collective names one of them
    x = RNG.normal(size=(2, 4, 4, 3)).astype(np.float32)

    def make(L, vmap):
        def f(e):
            return (L.ppermute(e, "o", [(0, 1), (1, 0)]), L.all_to_all(e, "i", 0, 0),
                    L.pshuffle(e, "i", [1, 2, 3, 0]), L.psum_scatter(e, "i"))
        return vmap(vmap(f, axis_name="i"), axis_name="o")
    _assert_trees_like_jax(make(lax, irax.vmap)(x), make(jlax, jax.vmap)(x), "nested")


# ---------------------------------------------------------------------------
# shape helpers (pure Python), against JAX


@pytest.mark.parametrize("fn, args", [
    ("conv_general_permutations", (("NHWC", "HWIO", "NCHW"),)),
    ("conv_general_permutations", (("NCHW", "OIHW", "NCHW"),)),
    ("conv_general_shape_tuple", ((2, 5, 6, 3), (2, 3, 3, 4), (1, 2), "SAME", DN)),
    ("conv_general_shape_tuple", ((2, 5, 6, 3), (2, 3, 3, 4), (2, 2), [(1, 0), (2, 2)], DN)),
    ("conv_shape_tuple", ((4, 3, 5, 6), (4, 3, 2, 2), (2, 1), [(1, 1), (0, 0)], 2)),
    ("conv_shape_tuple", ((4, 3, 1, 6), (4, 3, 3, 2), (2, 1), "VALID")),
    ("conv_transpose_shape_tuple", ((2, 5, 6, 3), (2, 3, 3, 4), (2, 2), "SAME", DN)),
    ("conv_transpose_shape_tuple", ((2, 5, 6, 3), (2, 3, 3, 4), (2, 2), "VALID", DN)),
    ("conv_transpose_shape_tuple", ((2, 5, 6, 3), (2, 3, 3, 4), (2, 1), [(1, 2), (0, 1)], DN)),
])
def test_shape_helpers_match_jax(fn, args):
    got, want = getattr(lax, fn)(*args), getattr(jlax, fn)(*args)
    assert tuple(np.asarray(got).tolist()) == tuple(np.asarray(want).tolist())


# ---------------------------------------------------------------------------
# ragged_dot_general modes and dtypes


@pytest.mark.parametrize("lhs_shape, rhs_shape, gs, dn", [
    ((2, 6, 3), (3, 2, 3, 4), [1, 2, 3], ((((2,), (2,)), ((0,), (1,))), (1,), (0,))),
    ((2, 5), (5, 4), [2, 2], ((((1,), (0,)), ((), ())), (1,), ())),
    ((2, 3, 5), (2, 5, 4), [3, 2], ((((2,), (1,)), ((0,), (0,))), (2,), ())),
    ((5, 1, 2), (5, 2, 3), [2, 2], ((((2,), (1,)), ((0,), (0,))), (0,), ())),
    ((7, 3), (3, 3, 4), [4, 3, 3], ((((1,), (1,)), ((), ())), (0,), (0,))),   # sums past m
    ((2, 6, 3), (3, 2, 3, 4), [[1, 2, 3], [3, 0, 2]],
     ((((2,), (2,)), ((0,), (1,))), (1,), (0,))),
    ((2, 3, 5), (2, 5, 4), [[3, 2], [1, 4]], ((((2,), (1,)), ((0,), (0,))), (2,), ())),
    ((3, 4, 2), (2, 5, 2, 3), [[1, 3], [4, 0]],     # contracting first, batch last
     ((((0,), (3,)), ((2,), (2,))), (1,), (0,))),
], ids=["batched-noncontracting", "contracting", "batched-contracting", "batch",
        "clamped-groups", "per-batch-sizes", "per-batch-sizes-contracting",
        "permuted-dims"])
def test_ragged_dot_general_modes_match_jax(lhs_shape, rhs_shape, gs, dn):
    a = RNG.normal(size=lhs_shape).astype(np.float32)
    b = RNG.normal(size=rhs_shape).astype(np.float32)
    gs = np.array(gs, np.int32)
    got = lax.ragged_dot_general(a, b, gs, lax.RaggedDotDimensionNumbers(*dn))
    want = jlax.ragged_dot_general(a, b, gs, jlax.RaggedDotDimensionNumbers(*dn))
    assert_like_jax(got, want, str(dn), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("ldt, rdt, pet", [(np.int8, np.int8, None),
                                           (np.float16, np.float32, None),
                                           (np.float16, np.float16, np.float32)])
def test_ragged_dot_dtypes_match_jax(ldt, rdt, pet):
    a, b = (LHS * 2).astype(ldt), (RHS * 2).astype(rdt)
    got = lax.ragged_dot(a, b, GS, preferred_element_type=pet)
    want = jlax.ragged_dot(a, b, GS, preferred_element_type=pet)
    assert_like_jax(got, want, f"{ldt} {rdt} {pet}", rtol=2e-3, atol=2e-3)


def test_ragged_dot_keeps_an_inf_in_its_own_group():
    a = LHS.copy()
    a[0, 0] = np.inf                     # row 0 is group 0's
    assert_like_jax(lax.ragged_dot(a, RHS, GS), jlax.ragged_dot(a, RHS, GS), "inf")


def test_vmap_matches_python_loop():
    lhs = RNG.normal(size=(3, 7, 3)).astype(np.float32)
    sizes = np.array([[2, 3, 1], [0, 7, 0], [1, 1, 1]], np.int32)
    got = irax.vmap(lambda a, g: lax.ragged_dot(a, RHS, g))(lhs, sizes)
    want = np.stack([np.asarray(jlax.ragged_dot(lhs[i], RHS, sizes[i])) for i in range(3)])
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-5, atol=1e-5)
    rows = V[:30].reshape(3, 10)
    vals, idx = irax.vmap(lambda r: lax.approx_max_k(r, 4))(rows)
    for i in range(3):
        wv, wi = jlax.approx_max_k(rows[i], 4)
        np.testing.assert_array_equal(np.asarray(vals)[i], np.asarray(wv))
        np.testing.assert_array_equal(np.asarray(idx)[i], np.asarray(wi))
    keys = np.arange(12, dtype=np.uint32).reshape(3, 4)
    new_keys, bits = irax.vmap(lambda k: lax.rng_bit_generator(k, (5,), np.uint16))(keys)
    for i in range(3):
        for got, one in zip((new_keys, bits), lax.rng_bit_generator(keys[i], (5,), np.uint16)):
            np.testing.assert_array_equal(np.asarray(got)[i], np.asarray(one))
    imgs = RNG.normal(size=(3, 1, 4, 4, 2)).astype(np.float32)
    got = irax.vmap(lambda im: lax.conv_general_dilated_patches(im, (2, 2), (1, 1), "VALID",
                                                                dimension_numbers=DN))(imgs)
    for i in range(3):
        np.testing.assert_array_equal(np.asarray(got)[i], np.asarray(
            jlax.conv_general_dilated_patches(imgs[i], (2, 2), (1, 1), "VALID",
                                              dimension_numbers=DN)))


# ---------------------------------------------------------------------------
# gradients against float64 central finite differences of NumPy references


def _np_ragged_dot(a, b, sizes):
    out = np.zeros((a.shape[0], b.shape[2]))
    start = 0
    for g, n in enumerate(sizes):
        out[start:start + n] = a[start:start + n] @ b[g]
        start += n
    return out


def test_ragged_dot_grad_matches_finite_differences(x64):
    a, b = LHS.astype(np.float64), RHS.astype(np.float64)
    wts = np.linspace(-1.0, 1.0, 28).reshape(7, 4)

    def f(p, q):
        return (lax.ragged_dot(p, q, GS) ** 2 * wts).sum()
    ga, gb = irax.grad(f, argnums=(0, 1))(a, b)
    np.testing.assert_allclose(np.asarray(ga), central_fd(
        lambda p: (_np_ragged_dot(p, b, GS) ** 2 * wts).sum(), a), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(np.asarray(gb), central_fd(
        lambda q: (_np_ragged_dot(a, q, GS) ** 2 * wts).sum(), b), rtol=1e-6, atol=1e-8)


def test_collective_grads_match_finite_differences(x64):
    x = np.linspace(-1.0, 1.0, 32).reshape(4, 4, 2)
    w = np.cos(np.arange(32.0)).reshape(4, 4, 2)

    def f(v):
        a2a = _vm(lambda e: lax.all_to_all(e, "i", 0, 1))(v)            # (4, 2, 4)
        scat = _vm(lambda e: lax.psum_scatter(e, "i"))(v)               # (4, 2)
        perm = _vm(lambda e: lax.ppermute(e, "i", [(0, 2), (3, 1)]))(v)
        return (a2a * w.transpose(0, 2, 1)).sum() + (scat ** 2).sum() + (perm * w).sum()

    def f_np(v):
        a2a = np.stack([v[:, k].T for k in range(4)])                    # example k: (2, 4)
        scat = v.sum(0)                                                  # slot k of the sum
        perm = np.zeros_like(v)
        perm[2], perm[1] = v[0], v[3]
        return (a2a * w.transpose(0, 2, 1)).sum() + (scat ** 2).sum() + (perm * w).sum()
    assert float(f(x)) == pytest.approx(f_np(x), rel=1e-12)
    np.testing.assert_allclose(np.asarray(irax.grad(f)(x)), central_fd(f_np, x), rtol=1e-6,
                               atol=1e-8)


def test_patch_and_local_conv_grads_match_jax():
    w = V[: 5 * 3 * 18 * 4].reshape(5, 3, 18, 4)

    def make(L):
        return lambda im, k: (L.conv_general_dilated_local(
            im, k, (1, 2), "SAME", (2, 3), dimension_numbers=DN_LOCAL) ** 2).sum()
    got = irax.grad(make(lax), argnums=(0, 1))(IMG, w)
    want = jax.grad(make(jlax), argnums=(0, 1))(IMG, w)
    for g, r in zip(got, want):
        assert_like_jax(g, r, "conv_general_dilated_local grad", rtol=1e-4, atol=1e-4)


def test_approx_max_k_grad_is_a_scatter_of_ones():
    x = np.array([3.0, 1.0, 4.0, 1.5, 5.0], np.float32)
    g = irax.grad(lambda v: lax.approx_max_k(v, 2)[0].sum())(x)
    np.testing.assert_array_equal(np.asarray(g), [0, 0, 1, 0, 1])


# ---------------------------------------------------------------------------
# the rest: rng, platform_dependent, composite, tokens


def test_rng_bit_generator_shapes_dtypes_and_determinism():
    key = np.array([7, 8, 9, 10], np.uint32)
    for dt in (np.uint8, np.uint16, np.uint32):
        new_key, bits = lax.rng_bit_generator(key, (2, 3), dt)
        jk, jb = jlax.rng_bit_generator(key, (2, 3), dt)
        assert np.asarray(new_key).dtype == np.asarray(jk).dtype and new_key.shape == jk.shape
        assert np.asarray(bits).dtype == np.asarray(jb).dtype and bits.shape == jb.shape
    k1, b1 = lax.rng_bit_generator(key, (4000,))
    k2, b2 = lax.rng_bit_generator(key, (4000,), algorithm=lax.RandomAlgorithm.RNG_DEFAULT)
    np.testing.assert_array_equal(np.asarray(b1), np.asarray(b2))     # a pure function
    _, b3 = lax.rng_bit_generator(k1, (4000,))
    assert not np.array_equal(np.asarray(k1), key) and not np.array_equal(b1, b3)
    u = np.asarray(b1) / 2.0 ** 32
    assert abs(u.mean() - 0.5) < 0.02 and abs(u.var() - 1 / 12) < 0.01
    assert [(a.name, a.value) for a in lax.RandomAlgorithm] == [
        (a.name, a.value) for a in jlax.RandomAlgorithm]
    assert [(a.name, a.value) for a in lax.AccuracyMode] == [
        (a.name, a.value) for a in jlax.AccuracyMode]
    tol = lax.Tolerance(atol=1e-6, ulps=2)
    assert (tol.atol, tol.rtol, tol.ulps) == (1e-6, 0.0, 2)


def test_rng_uniform_range_and_dtypes():
    f = lax.rng_uniform(-2.0, 3.0, (500,))
    i = lax.rng_uniform(0, 5, (500,))
    assert np.asarray(f).dtype == jlax.rng_uniform(-2.0, 3.0, (2,)).dtype
    assert np.asarray(i).dtype == jlax.rng_uniform(0, 5, (2,)).dtype
    assert np.asarray(f).min() >= -2.0 and np.asarray(f).max() < 3.0 and f.shape == (500,)
    assert set(np.asarray(i).tolist()) == {0, 1, 2, 3, 4}
    assert not np.array_equal(np.asarray(lax.rng_uniform(0.0, 1.0, (8,))),
                              np.asarray(lax.rng_uniform(0.0, 1.0, (8,))))   # stateful


def test_platform_dependent_composite_tokens_eager():
    branch = lax.platform_dependent(3, cpu=lambda v: v + 1, vulkan=lambda v: v + 2,
                                    default=lambda v: v - 1)
    assert branch == {"cpu": 4, "vulkan": 5}.get(irax.default_backend(), 2)
    assert lax.platform_dependent(3, tpu=lambda v: v + 1, default=lambda v: v - 1) == 2
    assert float(_SCALE(np.float32(3.0))) == 6.0 and _SCALE.__name__ == "<lambda>"
    assert_like_jax(lax.stage(np.float32(3.0)), jlax.stage(np.float32(3.0)), "stage")
    t = lax.after_all(lax.create_token(), lax.create_token())
    assert isinstance(t, type(lax.create_token())) and lax.after_all() is not None
    assert lax.dce_sink(np.ones(2)) is None and jlax.dce_sink(np.ones(2)) is None


# ---------------------------------------------------------------------------
# bad input: the error kinds JAX raises


def _vm_x(f):
    return lambda: _vm(f)(X)


@pytest.mark.parametrize("call, err", [
    (_vm_x(lambda x: lax.psum_scatter(x, "i", scatter_dimension=1)), ValueError),
    (_vm_x(lambda x: lax.psum_scatter(x[:3], "i", tiled=True)), ValueError),
    (_vm_x(lambda x: lax.all_to_all(x, "i", 1, 0)), ValueError),
    (_vm_x(lambda x: lax.all_to_all(x[:, :6], "i", 1, 0, tiled=True)), ValueError),
    (_vm_x(lambda x: lax.ppermute(x, "i", [(0, 1), (1, 1)])), ValueError),
    (_vm_x(lambda x: lax.pshuffle(x, "i", [0, 0, 1, 2])), ValueError),
    (lambda: lax.psum_scatter(X, "j"), NameError),
    (lambda: lax.ragged_dot(LHS, RHS, GS.astype(np.float32)), TypeError),
    (lambda: lax.ragged_dot(LHS, RHS, np.array([2, 5], np.int32)), TypeError),
    (lambda: lax.ragged_dot(LHS, RHS[:, :2], GS), TypeError),
    (lambda: lax.ragged_dot(LHS, RHS, np.int32(7)), TypeError),
    (lambda: lax.approx_max_k(np.arange(5), 2), ValueError),
    (lambda: lax.approx_max_k(np.ones(5, np.float32), 6), ValueError),
    (lambda: lax.approx_min_k(np.ones(5, np.float32), 0), ValueError),
    (lambda: lax.rng_bit_generator(np.array([1, 2, 3, 4], np.uint32), (2,), np.float32),
     TypeError),
    (lambda: lax.rng_uniform(np.float32(0), np.float16(1), (2,)), ValueError),
    (lambda: lax.rng_uniform(np.zeros(3), 1.0, (2,)), ValueError),
    (lambda: lax.platform_dependent(3, gpu=lambda v: v), ValueError),
    (lambda: lax.after_all(np.ones(2)), TypeError),
    (lambda: lax.Tolerance(), ValueError),
    (lambda: lax.conv_general_permutations(("NHWC", "HWIO", "NHW")), TypeError),
    (lambda: lax.conv_general_permutations(("NHWC", "HWIO", "NHWN")), TypeError),
    (lambda: lax.conv_shape_tuple((1, 1, 4, 4), (1, 1, 2, 2), (1, 1), [(0, 0)]), TypeError),
    (lambda: lax.Tolerance(atol=-1.0), ValueError),
])
def test_bad_input_raises_like_jax(call, err):
    with pytest.raises(err):
        call()


def test_linear_solve_p_is_the_primitive_custom_linear_solve_binds():
    jaxpr = irax.make_jaxpr(lambda b: lax.custom_linear_solve(
        lambda x: 2.0 * x, b, lambda mv, r: r / 2.0))(np.ones(3, np.float32))
    assert [e.primitive for e in jaxpr.jaxpr.eqns] == [lax.linear_solve_p]
    assert hasattr(jlax, "linear_solve_p")
