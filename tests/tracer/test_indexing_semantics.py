"""JAX's index semantics, eager and under vmap / grad (issues 10 and 16).

Retrievals (x[i], take(mode="clip"), dynamic_slice) wrap a negative index once and then clamp;
take / take_along_axis default to mode "fill"; scatters (x.at[i].set/add/...) wrap once and
drop out-of-bounds updates. References: NumPy with the clamping / wrapping / dropping
written out here, and JAX 0.10 itself (a test-only oracle).
"""
from __future__ import annotations

import os

import numpy as np
import pytest

import irax
import irax.numpy as jnp
from irax import grad, lax, make_jaxpr, vmap

os.environ.setdefault("JAX_PLATFORMS", "cpu")
import jax  # noqa: E402
import jax.numpy as jjnp  # noqa: E402

X5 = np.arange(5, dtype=np.float32) * 1.5 + 1.0
M34 = np.arange(12, dtype=np.float32).reshape(3, 4) + 0.5


def close(got, want, **kw):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, f"shape {got.shape} != {want.shape}"
    assert got.dtype == want.dtype, f"dtype {got.dtype} != {want.dtype}"
    np.testing.assert_allclose(got, want, equal_nan=True, **kw)


# ---------------------------------------------------------------------------
# NumPy references, the rules written out


def np_retrieve(x, i, axis=0):
    """x[i] along axis: a negative index wraps once, then clamps into [0, n-1]."""
    n = x.shape[axis]
    i = np.asarray(i, np.int64)
    return np.take(x, np.clip(np.where(i < 0, i + n, i), 0, n - 1), axis=axis)


def np_take_fill(x, i, fill=np.nan):
    n = x.shape[0]
    i = np.asarray(i, np.int64)
    i = np.where(i < 0, i + n, i)
    ok = (i >= 0) & (i < n)
    return np.where(ok, x[np.clip(i, 0, n - 1)], np.asarray(fill).astype(x.dtype))


def np_scatter(x, i, v, op):
    """x.at[i].op(v) on a 1-D x: a negative index wraps once, out-of-bounds updates drop."""
    out = x.copy()
    n = x.shape[0]
    i = np.asarray(i, np.int64).reshape(-1)
    v = np.broadcast_to(np.asarray(v, x.dtype), i.shape)
    for k, val in zip(i, v):
        k = k + n if k < 0 else k
        if 0 <= k < n:
            out[k] = {"set": lambda a, b: b, "add": np.add, "mul": np.multiply,
                      "min": np.minimum, "max": np.maximum}[op](out[k], val)
    return out


def np_dynamic_start(i, n, size):
    i = int(i)
    return min(max(i + n if i < 0 else i, 0), n - size)


# ---------------------------------------------------------------------------
# Retrieval


@pytest.mark.parametrize("i", [0, 4, 5, 10, 10_000_000, -1, -5, -6, -10, -10_000_000])
def test_static_int_index_clamps_like_jax(i):
    close(jnp.asarray(X5)[i], np_retrieve(X5, i))
    close(jnp.asarray(X5)[i], jjnp.asarray(X5)[i])
    close(irax.jit(lambda x: x[i])(jnp.asarray(X5)), jjnp.asarray(X5)[i])


def test_static_ints_on_several_axes_and_with_slices():
    m, jm = jnp.asarray(M34), jjnp.asarray(M34)
    for idx in [(5, slice(1, None)), (-5,), (1, 9), (-4, -9), (slice(None), 7), (Ellipsis, -7),
                (None, 4, slice(None, None, -1))]:
        close(m[idx], jm[idx])
    close(m[5, 1:], M34[2, 1:])
    close(m[-5], M34[0])


def test_traced_index_clamps_eager_and_under_vmap():
    x = jnp.asarray(X5)
    idx = np.array([0, 4, 5, 7, 10_000_000, -1, -5, -6, -2 ** 31, 2 ** 31 - 1], np.int32)
    close(x[jnp.asarray(idx)], np_retrieve(X5, idx))
    close(vmap(lambda i: x[i])(jnp.asarray(idx)), np_retrieve(X5, idx))
    close(x[jnp.asarray(idx)], jjnp.asarray(X5)[idx])


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int16, np.uint32, np.int32])
def test_index_dtypes(dtype):
    info = np.iinfo(dtype)
    raw = [0, 3, 4, 5, 9, info.max, -1, -5, -6, info.min]
    idx = np.array(sorted({v for v in raw if info.min <= v <= info.max}), dtype)
    close(jnp.asarray(X5)[jnp.asarray(idx)], np_retrieve(X5, idx.astype(np.int64)))
    close(jnp.take(jnp.asarray(X5), jnp.asarray(idx)), np_take_fill(X5, idx.astype(np.int64)))
    # JAX converts uint32 indices past 2**31 to negative int32 ones (4294967295 reads x[0]);
    # irax reads them as the large values they are (clamped: x[4]). Compare the rest.
    small = idx[idx.astype(np.int64) < 2 ** 31]
    close(jnp.asarray(X5)[jnp.asarray(small)], jjnp.asarray(X5)[small])
    close(jnp.take(jnp.asarray(X5), jnp.asarray(small)), jjnp.take(jjnp.asarray(X5), small))


def test_int8_index_on_a_long_axis_wraps_without_overflow():
    """irax wraps in int32: -1 of an int8 index on 200 elements is element 199. (JAX adds
    200 in int8 and overflows here: jnp.take gives NaN, x[i] raises OverflowError.)"""
    x = np.arange(200, dtype=np.float32)
    idx = np.array([-1, -128, 127], np.int8)
    close(jnp.asarray(x)[jnp.asarray(idx)], np_retrieve(x, idx))
    close(jnp.take(jnp.asarray(x), jnp.asarray(idx)), np_take_fill(x, idx))


def test_int64_indices_under_x64(x64):
    x = np.arange(5, dtype=np.float64)
    idx = np.array([2 ** 40, -2 ** 40, -1, 4], np.int64)
    close(jnp.asarray(x)[jnp.asarray(idx)], np_retrieve(x, idx))
    close(jnp.take(jnp.asarray(x), jnp.asarray(idx)), np_take_fill(x, idx))
    close(jnp.asarray(x).at[jnp.asarray(idx)].add(1.0), np_scatter(x, idx, 1.0, "add"))


def test_several_index_arrays_bound_each_axis_on_its_own():
    """(0, 5) on a (3, 4) array must not land on row 1: each index clamps on its axis."""
    m, jm = jnp.asarray(M34), jjnp.asarray(M34)
    i, j = np.array([0, 5, -1, -9]), np.array([5, -1, 9, -9])
    close(m[jnp.asarray(i), jnp.asarray(j)], jm[i, j])
    close(m[jnp.asarray(i), jnp.asarray(j)], M34[np.clip(np.where(i < 0, i + 3, i), 0, 2),
                                              np.clip(np.where(j < 0, j + 4, j), 0, 3)])
    got = m.at[jnp.asarray(i), jnp.asarray(j)].get(mode="fill", fill_value=-1.0)
    close(got, jm.at[i, j].get(mode="fill", fill_value=-1.0))
    close(got, np.full(4, -1.0, np.float32))     # every pair has an index out of bounds


@pytest.mark.parametrize("idx", [
    (0, slice(None), np.array([1, 2])), (slice(None), np.array([[1], [2]]), np.array([1, 2, 0])),
    (np.array([1, 0]), slice(None), np.array([1, 2])),
    (None, np.array([1, 0]), None, np.array([1, 2])),
    (np.array([1, 0]), None, np.array([1, 2])), (Ellipsis, np.array([1, 0])),
    (1, Ellipsis, np.array([1, 0])), (slice(None), 1, np.array([3, 0])),
    (np.array([[1, 0]]), np.array([[7], [-9]]), slice(None, None, -1)),
], ids=repr)
def test_advanced_index_placement_matches_numpy(idx):
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    irax_idx = tuple(jnp.asarray(i) if isinstance(i, np.ndarray) else i for i in idx)
    close(jnp.asarray(x)[irax_idx], jjnp.asarray(x)[idx])


def test_sequences_are_not_indices():
    x = jnp.asarray(X5)
    with pytest.raises(TypeError, match="non-tuple sequence"):
        x[[1, 0]]
    with pytest.raises(TypeError, match="non-tuple sequence"):
        x.at[[0, 7]].add(1.0)
    with pytest.raises(TypeError, match="take requires ndarray"):
        jnp.take(x, [1, 5])
    close(jnp.asarray(M34)[[0, 2], [1, 3]], M34[[0, 2], [1, 3]])     # lists inside a tuple: fine


def test_empty_axis_and_bad_indexers():
    with pytest.raises(IndexError, match="size 0"):
        jnp.zeros(0)[0]
    with pytest.raises(IndexError, match="empty axis"):
        jnp.take(jnp.zeros(0), jnp.asarray([0]))
    close(jnp.take(jnp.zeros(0), jnp.zeros(0, jnp.int32)), np.zeros(0, np.float32))
    with pytest.raises(TypeError, match="integer"):
        jnp.asarray(X5)[jnp.asarray([0.5])]
    with pytest.raises(IndexError, match="Too many indices"):
        jnp.asarray(X5)[0, 0]


# ---------------------------------------------------------------------------
# take / take_along_axis / .at[].get modes


def test_take_fill_is_the_default():
    x = jnp.asarray(X5)
    close(jnp.take(x, jnp.asarray([1, 5])), np.array([X5[1], np.nan], np.float32))
    idx = np.array([1, 5, -1, -5, -6, 10_000_000])
    close(jnp.take(x, jnp.asarray(idx)), np_take_fill(X5, idx))
    close(jnp.take(x, jnp.asarray(idx)), jjnp.take(jjnp.asarray(X5), idx))
    close(jnp.take(x, 7), np.float32(np.nan))
    close(jnp.take(x, jnp.asarray(idx), fill_value=3), np_take_fill(X5, idx, 3))


@pytest.mark.parametrize("dtype", [np.int32, np.uint8, np.bool_, np.float32])
def test_take_fill_defaults_per_dtype(dtype):
    x = (np.arange(3) % 2).astype(dtype)
    idx = np.array([1, 5])
    close(jnp.take(jnp.asarray(x), jnp.asarray(idx)), jjnp.take(jjnp.asarray(x), idx))


def test_take_clip_wrap_raise():
    x, jx = jnp.asarray(X5), jjnp.asarray(X5)
    idx = np.array([-1, -6, 7, 2, -13])
    close(jnp.take(x, jnp.asarray(idx), mode="clip"), X5[np.clip(idx, 0, 4)])   # no wrapping
    close(jnp.take(x, jnp.asarray(idx), mode="clip"), jjnp.take(jx, idx, mode="clip"))
    close(jnp.take(x, jnp.asarray(idx), mode="wrap"), X5[np.mod(idx, 5)])
    close(jnp.take(x, jnp.asarray(idx), mode="wrap"), jjnp.take(jx, idx, mode="wrap"))
    m = jnp.asarray(M34)
    close(jnp.take(m, jnp.asarray([[0, 9]]), axis=1), jjnp.take(jjnp.asarray(M34),
                                                                np.array([[0, 9]]), axis=1))
    with pytest.raises(NotImplementedError, match="raise"):
        jnp.take(x, jnp.asarray([1]), mode="raise")
    with pytest.raises(ValueError, match="Invalid mode"):
        jnp.take(x, jnp.asarray([1]), mode="bogus")


def test_take_along_axis_modes():
    m, jm = jnp.asarray(M34), jjnp.asarray(M34)
    idx = np.array([[1, -1], [7, 0], [-5, 3]])
    for mode in [None, "fill", "clip", "one_hot"]:
        close(jnp.take_along_axis(m, jnp.asarray(idx), axis=1, mode=mode),
              jjnp.take_along_axis(jm, idx, axis=1, mode=mode))
    col = np.array([[2, -4, 3, 0]])
    close(jnp.take_along_axis(m, jnp.asarray(col), axis=0), jjnp.take_along_axis(jm, col, axis=0))
    close(jnp.take_along_axis(jnp.asarray(X5), jnp.asarray([-1, 7]), axis=0),
          np.array([X5[4], np.nan], np.float32))


def test_at_get_modes():
    x, jx = jnp.asarray(X5), jjnp.asarray(X5)
    idx = np.array([-1, -6, 5, 2])
    for mode in [None, "clip", "fill", "drop", "promise_in_bounds",
                 lax.GatherScatterMode.CLIP, lax.GatherScatterMode.FILL_OR_DROP]:
        jmode = mode if isinstance(mode, str) or mode is None else \
            jax.lax.GatherScatterMode[mode.name]
        close(x.at[jnp.asarray(idx)].get(mode=mode), jx.at[idx].get(mode=jmode))
    close(x.at[7].get(mode="fill", fill_value=-1.0), np.float32(-1.0))
    close(jnp.arange(3).at[jnp.asarray([5])].get(mode="fill", fill_value=2.5),
          np.array([2], np.int32))
    with pytest.raises(ValueError, match='Unknown gather mode "bogus"'):
        x.at[1].get(mode="bogus")
    with pytest.raises(ValueError, match="must be a scalar"):
        x.at[jnp.asarray([7])].get(mode="fill", fill_value=jnp.asarray([1.0, 2.0]))


def test_gather_scatter_mode_enum():
    M = lax.GatherScatterMode
    assert [m.name for m in M] == [m.name for m in jax.lax.GatherScatterMode]
    assert M.from_any("clip") is M.CLIP
    assert M.from_any(None) is M.FILL_OR_DROP and M.from_any("drop") is M.FILL_OR_DROP
    assert M.from_any("promise_in_bounds") is M.PROMISE_IN_BOUNDS
    assert M.from_any(M.ONE_HOT) is M.ONE_HOT
    with pytest.raises(ValueError, match="Unknown gather mode"):
        M.from_any("wrap")


# ---------------------------------------------------------------------------
# Scatters: set / add / multiply / min / max / divide / power


@pytest.mark.parametrize("op", ["set", "add", "mul", "min", "max"])
def test_scatter_drops_out_of_bounds_updates(op):
    idx = np.array([0, 7, -1, -6, 10_000_000, 2])
    vals = np.array([10.0, 20.0, 30.0, 40.0, 50.0, -60.0], np.float32)
    method = {"mul": "multiply"}.get(op, op)
    got = getattr(jnp.asarray(X5).at[jnp.asarray(idx)], method)(jnp.asarray(vals))
    close(got, np_scatter(X5, idx, vals, op))
    close(got, getattr(jjnp.asarray(X5).at[idx], method)(vals))


def test_issue_16_eager_cases():
    x = jnp.arange(5.0)
    close(x.at[jnp.asarray([0, 7])].add(1.0), np.array([1, 1, 2, 3, 4], np.float32))
    close(x.at[jnp.asarray([0, 7])].set(9.0), np.array([9, 1, 2, 3, 4], np.float32))
    close(x.at[(np.array([0, 7]),)].add(1.0), np.array([1, 1, 2, 3, 4], np.float32))
    close(jnp.take(x, jnp.asarray([1, 5])), np.array([1, np.nan], np.float32))
    close(x.at[10].set(1.0), np.arange(5.0, dtype=np.float32))        # a static index drops too


def test_scatter_modes():
    x, jx = jnp.asarray(X5), jjnp.asarray(X5)
    idx = np.array([-1, 7, -9])
    for mode in ["clip", "drop", "fill", "promise_in_bounds", None]:
        close(x.at[jnp.asarray(idx)].set(9.0, mode=mode), jx.at[idx].set(9.0, mode=mode))
        close(x.at[jnp.asarray(idx)].add(1.0, mode=mode), jx.at[idx].add(1.0, mode=mode))
    with pytest.raises(ValueError, match='Unknown gather mode "bogus"'):
        x.at[1].set(1.0, mode="bogus")


def test_set_with_repeated_indices_keeps_one_of_the_values():
    idx = np.array([1, 1, 1, 3, -2])
    vals = np.array([10.0, 20.0, 30.0, 40.0, 50.0], np.float32)
    got = np.asarray(jnp.asarray(X5).at[jnp.asarray(idx)].set(jnp.asarray(vals)))
    assert got[1] in (10.0, 20.0, 30.0)         # JAX: one of them (not their mean)
    assert got[3] in (40.0, 50.0)
    np.testing.assert_array_equal(got[[0, 2, 4]], X5[[0, 2, 4]])


def test_scatter_on_bool_and_int_arrays():
    b = np.array([True, False, True])
    jb = jjnp.asarray(b)
    idx = np.array([0, 1, 1, 5])
    upd = np.array([False, True, True, False])
    close(jnp.asarray(b).at[jnp.asarray(idx)].set(jnp.asarray(upd)), jb.at[idx].set(upd))
    close(jnp.asarray(b).at[jnp.asarray(idx)].min(False), jb.at[idx].min(False))
    close(jnp.asarray(b).at[jnp.asarray(idx)].max(True), jb.at[idx].max(True))
    for method in ["add", "multiply"]:
        with pytest.raises(TypeError, match="bool"):
            getattr(jnp.asarray(b).at[jnp.asarray(idx)], method)(True)
    i = np.arange(5, dtype=np.int32)
    close(jnp.asarray(i).at[1].set(2.7), jjnp.asarray(i).at[1].set(2.7))
    close(jnp.asarray(i).at[jnp.asarray([1, 1, 9])].multiply(3), np_scatter(i, [1, 1, 9], 3, "mul"))
    close(jnp.asarray(i).at[jnp.asarray([0, -1])].min(-4),
          jjnp.asarray(i).at[np.array([0, -1])].min(-4))


def test_subtract_divide_power():
    x, jx = jnp.asarray(X5), jjnp.asarray(X5)
    idx = np.array([1, 1, 7, -1])
    close(x.at[jnp.asarray(idx)].subtract(2.0), jx.at[idx].subtract(2.0))
    close(x.at[jnp.asarray(idx)].divide(4.0), jx.at[idx].divide(4.0), rtol=1e-6)
    close(x.at[jnp.asarray(idx)].power(2.0), jx.at[idx].power(2.0), rtol=1e-6)
    close(jnp.arange(5).at[1].divide(2), jjnp.arange(5).at[1].divide(2))


def test_multi_axis_scatter_drops_per_axis():
    z, jz = jnp.zeros((3, 4)), jjnp.zeros((3, 4))
    i, j = np.array([0, 5, -1]), np.array([-1, 9, 0])
    close(z.at[jnp.asarray(i), jnp.asarray(j)].set(1.0), jz.at[i, j].set(1.0))
    close(z.at[1, jnp.asarray(j)].add(1.0), jz.at[1, j].add(1.0))
    close(z.at[5].set(1.0), jz.at[5].set(1.0))
    close(z.at[:, 9].set(1.0), jz.at[:, 9].set(1.0))
    close(z.at[jnp.asarray([0, 5]), 2:].set(1.0), jz.at[np.array([0, 5]), 2:].set(1.0))


# ---------------------------------------------------------------------------
# dynamic_slice / dynamic_update_slice / dynamic_index_in_dim


@pytest.mark.parametrize("start", [-1, -3, -5, -7, 0, 2, 3, 9, 10_000_000, -10_000_000])
def test_dynamic_slice_wraps_then_clamps(start):
    x = jnp.arange(5.0)
    want = np.arange(5.0, dtype=np.float32)[np_dynamic_start(start, 5, 3):][:3]
    close(lax.dynamic_slice(x, (start,), (3,)), want)
    close(lax.dynamic_slice(x, (start,), (3,)),
          jax.lax.dynamic_slice(jjnp.arange(5.0), (start,), (3,)))
    close(irax.jit(lambda x, s: lax.dynamic_slice(x, (s,), (3,)))(x, start), want)
    u = jnp.full(2, 9.0)
    w = np.arange(5.0, dtype=np.float32)
    s = np_dynamic_start(start, 5, 2)
    w[s:s + 2] = 9.0
    close(lax.dynamic_update_slice(x, u, (start,)), w)
    close(lax.dynamic_index_in_dim(x, start, keepdims=False),
          jax.lax.dynamic_index_in_dim(jjnp.arange(5.0), start, keepdims=False))


def test_dynamic_slice_batched_starts():
    m = jnp.asarray(M34)
    starts = np.array([-1, -4, 0, 2, 9], np.int32)
    got = vmap(lambda s: lax.dynamic_slice(m, (s, s), (2, 2)))(jnp.asarray(starts))
    for b, s in enumerate(starts):
        close(got[b], jax.lax.dynamic_slice(jjnp.asarray(M34), (int(s), int(s)), (2, 2)))
    got = vmap(lambda s: lax.dynamic_update_slice(m, jnp.zeros((2, 2)), (s, 1)))(
        jnp.asarray(starts))
    for b, s in enumerate(starts):
        close(got[b], jax.lax.dynamic_update_slice(jjnp.asarray(M34), jjnp.zeros((2, 2)),
                                                   (int(s), 1)))


# ---------------------------------------------------------------------------
# vmap: batched indices, batched operand, both == a Python loop


def _loop(f, *batched):
    return np.stack([np.asarray(f(*[a[b] for a in batched])) for b in range(len(batched[0]))])


def test_vmap_of_every_index_path_matches_a_loop():
    rng = np.random.default_rng(0)
    xs = rng.uniform(-2, 2, (4, 5)).astype(np.float32)
    idx = np.array([[0, 7, -1], [-6, 2, 2], [4, 5, -5], [10_000_000, -2, 1]], np.int32)
    vals = rng.uniform(-2, 2, (4, 3)).astype(np.float32)
    fns = [
        lambda x, i, v: x[i],
        lambda x, i, v: jnp.take(x, i),
        lambda x, i, v: jnp.take(x, i, mode="clip"),
        lambda x, i, v: x.at[i].get(mode="fill", fill_value=-7.0),
        lambda x, i, v: x.at[i].add(v),
        lambda x, i, v: x.at[i].set(v[0]),
        lambda x, i, v: x.at[i].min(v),
        lambda x, i, v: x.at[i].max(v, mode="clip"),
        lambda x, i, v: x.at[i[0]].multiply(v[1]),
        lambda x, i, v: lax.dynamic_slice(x, (i[0],), (2,)),
        lambda x, i, v: lax.dynamic_update_slice(x, v[:2], (i[1],)),
        lambda x, i, v: jnp.take_along_axis(x, i, axis=0),
    ]
    for k, f in enumerate(fns):
        want = _loop(f, *[jnp.asarray(a) for a in (xs, idx, vals)])
        close(vmap(f)(jnp.asarray(xs), jnp.asarray(idx), jnp.asarray(vals)), want,
              err_msg=f"case {k}, all batched")
        x0 = jnp.asarray(xs[0])
        close(vmap(lambda i, v: f(x0, i, v))(jnp.asarray(idx), jnp.asarray(vals)),
              _loop(lambda i, v: f(x0, i, v), jnp.asarray(idx), jnp.asarray(vals)),
              err_msg=f"case {k}, indices batched")
        i0 = jnp.asarray(idx[0])
        close(vmap(lambda x, v: f(x, i0, v))(jnp.asarray(xs), jnp.asarray(vals)),
              _loop(lambda x, v: f(x, i0, v), jnp.asarray(xs), jnp.asarray(vals)),
              err_msg=f"case {k}, operand batched")


def test_vmap_scatter_on_a_middle_axis():
    m = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    idx = np.array([[0, 9], [-1, 1]], np.int32)
    f = lambda x, i: x.at[:, i].set(-1.0)                                 # noqa: E731
    close(vmap(f)(jnp.asarray(m), jnp.asarray(idx)), _loop(f, jnp.asarray(m), jnp.asarray(idx)))
    g = lambda x, i: x.at[:, i].min(x[:, 0:2] - 1.0)                      # noqa: E731
    close(vmap(g)(jnp.asarray(m), jnp.asarray(idx)), _loop(g, jnp.asarray(m), jnp.asarray(idx)))


# ---------------------------------------------------------------------------
# Derivatives, against JAX


def test_gradients_match_jax():
    idx = np.array([1, 1, 3, 7, -1])
    w = np.arange(5.0, dtype=np.float32) - 1.5
    u0 = np.array([1.0, 2.0, 3.0, 4.0, 5.0], np.float32)
    tied = np.array([X5[1], X5[1], 9.0, 1.0, X5[4]], np.float32)     # ties with the operand
    cases = [
        ("set", lambda m, x, u: m.sum(x.at[idx].set(u) * w), u0),
        ("add", lambda m, x, u: m.sum(x.at[idx].add(u) * w), u0),
        ("min ties", lambda m, x, u: m.sum(x.at[idx].min(u) * w), tied),
        ("max ties", lambda m, x, u: m.sum(x.at[idx].max(u) * w), tied),
        ("mul", lambda m, x, u: m.sum(x.at[np.array([1, 3, 7])].multiply(
            u[:3], unique_indices=True) * w), u0),
        ("take fill", lambda m, x, u: m.sum(m.take(x, np.array([1, 7, -1, -1])) * u[:4]), u0),
    ]
    for name, f, u in cases:
        got = grad(lambda x, u: f(jnp, x, u), argnums=(0, 1))(jnp.asarray(X5), jnp.asarray(u))
        want = jax.grad(lambda x, u: f(jjnp, x, u), argnums=(0, 1))(jjnp.asarray(X5),
                                                                   jjnp.asarray(u))
        for argnum in (0, 1):
            close(got[argnum], want[argnum], rtol=1e-6, atol=1e-6,
                  err_msg=f"{name}, argnum {argnum}")


def test_gradient_of_a_clamped_read_goes_to_the_element_read():
    """x[9] of a length-5 x reads x[4], so d/dx[4] is 1. (JAX's x[i] transposes its clamped
    gather into a scatter that drops, giving 0 there; its mode="clip" gives this.)"""
    idx, u = np.array([9, -9, 2, -1]), np.array([1.0, 2.0, 3.0, 4.0], np.float32)
    got = grad(lambda x: jnp.sum(x[jnp.asarray(idx)] * u))(jnp.asarray(X5))
    close(got, np.array([2, 0, 3, 0, 5], np.float32))
    want = jax.grad(lambda x: jjnp.sum(x.at[idx].get(mode="clip") * u))(jjnp.asarray(X5))
    close(got, want)


def test_second_derivatives_through_scatters_match_jax():
    idx = np.array([1, 1, 3, 7, -1])
    x = np.linspace(-1, 1.3, 8).astype(np.float32)
    cases = [lambda m, x: m.sum(m.sin(x.at[idx].set(x[:5] ** 2)) ** 2),
             lambda m, x: m.sum(m.sin(x.at[idx].min(x[2:7] * x[:5])) ** 2)]
    for f in cases:
        got = irax.jacfwd(grad(lambda y: f(jnp, y)))(jnp.asarray(x))
        want = jax.jacfwd(jax.grad(lambda y: f(jjnp, y)))(jjnp.asarray(x))
        close(got, want, rtol=1e-5, atol=1e-5)


def test_scatter_multiply_gradient_needs_unique_indices():
    f = lambda u: jnp.sum(jnp.asarray(X5).at[jnp.asarray([1, 3])].multiply(u))   # noqa: E731
    with pytest.raises(NotImplementedError, match="unique_indices=True"):
        grad(f)(jnp.asarray([2.0, 5.0]))
    close(grad(lambda x: jnp.sum(x.at[jnp.asarray([1, 1])].multiply(3.0)))(jnp.asarray(X5)),
          np.array([1, 9, 1, 1, 1], np.float32))


def test_dynamic_slice_gradients_match_jax():
    for start in (-1, -7, 4):
        got = grad(lambda x: jnp.sum(lax.dynamic_slice(x, (start,), (3,)) * jnp.arange(3.0)))(
            jnp.asarray(X5))
        want = jax.grad(lambda x: jjnp.sum(jax.lax.dynamic_slice(x, (start,), (3,))
                                           * jjnp.arange(3.0)))(jjnp.asarray(X5))
        close(got, want)


# ---------------------------------------------------------------------------
# The bounds are in the IR (so every backend sees them)


def _eqns(f, *args):
    return make_jaxpr(f)(*args).jaxpr.eqns


def test_every_gather_and_scatter_index_is_bounded_in_the_ir():
    x, i = jnp.asarray(X5), jnp.asarray(np.int32(3))
    fns = [lambda x, i: x[i], lambda x, i: jnp.take(x, i), lambda x, i: x.at[i].add(1.0),
           lambda x, i: x.at[i].set(1.0), lambda x, i: x.at[i].max(1.0),
           lambda x, i: vmap(lambda j: x[j])(jnp.stack([i, i]))]
    for f in fns:
        eqns = _eqns(f, x, i)
        made_by = {v: e for e in eqns for v in e.outputs}
        for e in eqns:
            if e.primitive.name in ("gather", "scatter", "scatter_add"):
                src = made_by.get(e.inputs[1])
                assert src is not None and src.primitive.name in ("min", "select", "add", "max"), \
                    f"{e.primitive.name} index comes from {src and src.primitive.name}"
