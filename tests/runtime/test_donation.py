"""Buffer donation and Array.delete, with JAX 0.10 (CPU) run in the test as the oracle:
which donated arguments a call deletes, JAX's 'not usable' warning, the error for a
donated array passed twice, and what a deleted array still answers."""
from __future__ import annotations

import warnings

import jax
import jax.numpy as jjnp
import numpy as np
import pytest

import irax
import irax.numpy as jnp


def _run(lib, np_, fn, args, kwargs, **jit_kw):
    """(deleted flags of the arguments' leaves, warning texts) of one call."""
    arrays = lib.tree_util.tree_map(np_.asarray, (args, kwargs))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        lib.jit(fn, **jit_kw)(*arrays[0], **arrays[1])
    leaves = lib.tree_util.tree_leaves(arrays)
    return [x.is_deleted() for x in leaves], [str(w.message) for w in caught
                                              if "donated" in str(w.message)]


def _mixed(np_):
    def f(x, y, r, t, u, v, w):
        return x + y, r.reshape(2, 2) * 2, t.astype(np_.float32), u.astype(np_.int16), v[:2]
    return f


MIXED_ARGS = (np.ones(3, np.float32), np.ones(3, np.float32), np.ones(4, np.float32),
              np.arange(3, dtype=np.int32), np.ones(3, np.float32), np.ones(5, np.float32),
              np.ones(2, np.float32))   # w is not read


@pytest.mark.parametrize("donate", [tuple(range(7)), (1, 3, 5), (2,)])
def test_which_donated_arguments_are_deleted_as_in_jax(donate):
    """Exact shape/dtype matches, same element count (reshape, int32 -> float32; not
    float32 -> int16), no match (warned), an unread argument (ignored)."""
    got = _run(irax, jnp, _mixed(jnp), MIXED_ARGS, {}, donate_argnums=donate)
    want = _run(jax, jjnp, _mixed(jjnp), MIXED_ARGS, {}, donate_argnums=donate)
    assert got == want


def test_donation_by_name_keyword_and_pytree_as_in_jax():
    def g(a, p, s):
        return a * 2, {"k": p["k"] + s, "j": p["j"][:1]}, s.sum()

    args = (np.ones(3, np.float32), {"k": np.ones(3, np.float32), "j": np.ones(2, np.float32)})
    for spec in ({"donate_argnames": ("p", "s")}, {"donate_argnums": (0, 2)}):
        got = _run(irax, jnp, g, args, {"s": np.ones(3, np.float32)}, **spec)
        want = _run(jax, jjnp, g, args, {"s": np.ones(3, np.float32)}, **spec)
        assert got == want, spec


def test_a_donated_array_passed_twice_raises_as_in_jax():
    def add3(x, y, z):
        return x + y + z

    def unread_y(x, y):
        return x * 2

    # first use donated or not; y, z donated but not usable (one output); y pruned
    cases = [(add3, 1, "bbo"), (add3, (0, 2), "bob"), (add3, (0, 1, 2), "obb"),
             (unread_y, 0, "bb")]
    for fn, donate, pattern in cases:
        outcomes = []
        for lib, np_ in ((irax, jnp), (jax, jjnp)):
            b = np_.ones(3)
            args = [b if c == "b" else np_.ones(3) for c in pattern]
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    lib.jit(fn, donate_argnums=donate)(*args)
                outcomes.append(("ok", b.is_deleted()))
            except Exception as e:   # noqa: BLE001 (the type is compared)
                outcomes.append((type(e).__name__, str(e)))
        assert outcomes[0] == outcomes[1], pattern


def test_deleted_array_as_in_jax():
    outcomes = []
    for lib, np_ in ((irax, jnp), (jax, jjnp)):
        def double(v):
            return v * 2

        x = np_.arange(3.0)
        out = lib.jit(double, donate_argnums=0)(x)
        y = np_.ones((2,), np.int32)
        y.delete()
        y.delete()   # a second delete is no error
        seen = [np.asarray(out).tolist(), x.is_deleted(), y.is_deleted(), x.shape,
                str(x.dtype), y.shape, str(y.dtype)]
        for use in (lambda: x + 1, lambda: np.asarray(x), lambda: repr(y), lambda: y[0],
                    lambda: lib.jit(double)(x), lambda: x.block_until_ready()):
            try:
                use()
                seen.append("no error")
            except Exception as e:   # noqa: BLE001 (the type is compared)
                seen.append((type(e).__name__, str(e)))
        outcomes.append(seen)
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][1:3] == [True, True]


def test_staged_donation_as_in_jax():
    """lower(): args_info marks the donated leaves; calling the compiled stage deletes."""
    outcomes = []
    for lib, np_ in ((irax, jnp), (jax, jjnp)):
        f = lib.jit(lambda x, y: (x * 2, y[:1]), donate_argnums=(0, 1))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            lowered = f.lower(np_.ones(3), np_.ones(2))
            compiled = lowered.compile()
            a, b = np_.ones(3), np_.ones(2)
            out = compiled(a, b)
        traced = lib.jit(lambda p, y: y * 2, donate_argnums=1).trace(
            {"a": np_.ones(3), "b": np_.ones(3)}, np_.ones(2))
        outcomes.append(([(i.shape, i.donated) for i in lib.tree_util.tree_leaves(
            lowered.args_info)], lowered.donate_argnums, traced.donate_argnums,
            a.is_deleted(), b.is_deleted(), np.asarray(out[0]).tolist(),
            [str(w.message) for w in caught if "donated" in str(w.message)]))
    assert outcomes[0] == outcomes[1]
