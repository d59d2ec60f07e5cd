"""irax.ops (segment reductions), irax.image (resize, scale_and_translate) and
irax.flatten_util.ravel_pytree against JAX 0.10 (the oracle: values, dtypes, shapes, error
types), their gradients against JAX's and analytic ones, vmap against a Python loop, and one
compiled module holding the jit cases.

JAX's outputs for the cases are stored in tests/numpy/ops_image_expected.py, written by
tests/numpy/make_ops_image_expected.py from jax_reference() below (JAX's compiles of these
cases take tens of seconds; rerun it after changing a case).
"""

import functools

import numpy as np
import pytest

import jax
import jax.numpy as jjnp
from jax.flatten_util import ravel_pytree as jax_ravel

import irax
import irax.numpy as inp
from irax import image as iimage
from irax import ops as iops
from irax.flatten_util import ravel_pytree
from tests.jax_oracle import assert_like_jax

RNG = np.random.default_rng(0)
DATA = RNG.normal(size=(7, 3)).astype(np.float32)
DATA_INT = RNG.integers(-9, 9, size=(7, 3)).astype(np.int32)
# segments 1 and 3 are empty; -1 and 6 are out of range for num_segments=5 (dropped, or
# clamped by mode="clip"); with num_segments=None there are max + 1 = 7 segments
IDS = np.array([0, 0, 2, 4, 4, -1, 6], np.int32)
IMG = RNG.normal(size=(4, 6, 2)).astype(np.float32)
SCALE = np.array([1.7, 0.6], np.float32)
SHIFT = np.array([0.3, -0.5], np.float32)
COT = RNG.normal(size=(7, 3, 2)).astype(np.float32)         # a cotangent for resize grads

OPS = ("segment_sum", "segment_prod", "segment_max", "segment_min")
SEG_KW = {"n5": dict(num_segments=5), "bucket": dict(num_segments=5, bucket_size=3),
          "clip": dict(num_segments=5, mode="clip"),
          "clip_bucket": dict(num_segments=5, bucket_size=2, mode="clip"),
          "auto": dict(), "n8": dict(num_segments=8)}
SEG_CASES = {f"{op}-{k}": (op, kw) for op in OPS for k, kw in SEG_KW.items()}

METHODS = ("nearest", "linear", "cubic", "lanczos3", "lanczos5", "area", "cubic-pytorch")
SHAPES = ((7, 3, 2), (2, 9, 2), (1, 1, 2))
RESIZE_CASES = {f"{m}-{s}-{aa}": (m, s, aa) for m in METHODS for s in SHAPES
                for aa in (True, False)}
ST_METHODS = ("linear", "cubic", "lanczos3", "area", "cubic-pytorch")
ST_CASES = {f"{m}-{aa}": (m, aa) for m in ST_METHODS for aa in (True, False)}


def _cases(ops, image, jnp_, data, data_int, ids, img, scale, shift, cot, auto=True):
    """Every case of this file as one dict, for irax or for JAX (the same code); auto: the
    cases with num_segments=None, which need concrete ids (outside jax.jit)."""
    out = {}
    for name, (op, kw) in SEG_CASES.items():
        if not auto and "num_segments" not in kw:
            continue
        out["seg-" + name] = getattr(ops, op)(data, ids, **kw)
        out["segint-" + name] = getattr(ops, op)(data_int, ids, **kw)
    for name, (m, s, aa) in RESIZE_CASES.items():
        out["resize-" + name] = image.resize(img, s, m, antialias=aa)
    for name, (m, aa) in ST_CASES.items():
        out["st-" + name] = image.scale_and_translate(img, (6, 4, 2), (0, 1), scale, shift, m,
                                                      antialias=aa)
    return out


def _grads(api, ops, image, jnp_, data, ids, img, scale, shift, cot):
    out = {}
    w = jnp_.arange(15.0).reshape(5, 3)
    for op in ("segment_sum", "segment_max", "segment_min"):
        f = getattr(ops, op)
        # empty segments hold -inf / inf: mask them out of the loss (their gradient is 0)
        out["g-" + op] = api.grad(lambda d: jnp_.sum(jnp_.where(
            jnp_.isfinite(f(d, ids, 5)), f(d, ids, 5), 0) * w))(data)
    # a scatter-multiply's derivative needs unique indices (as in JAX)
    uniq = jnp_.array([3, 0, 4, 1, 2, 6, -1])
    out["g-segment_prod"] = api.grad(lambda d: jnp_.sum(
        ops.segment_prod(d, uniq, 5, unique_indices=True) * w))(data)
    for m in ("linear", "cubic"):
        out["g-resize-" + m] = api.grad(
            lambda x: jnp_.sum(image.resize(x, (7, 3, 2), m) * cot))(img)
    out["g-st"] = api.grad(lambda sc, sh: jnp_.sum(image.scale_and_translate(
        img, (7, 3, 2), (0, 1), sc, sh, "linear") * cot), argnums=(0, 1))(scale, shift)
    return out


ARGS = (DATA, DATA_INT, IDS, IMG, SCALE, SHIFT, COT)


def jax_reference() -> dict:
    """JAX's outputs for every case (one jax.jit, plus the eager num_segments=None ones)."""
    def run(data, data_int, ids, img, scale, shift, cot):
        out = _cases(jax.ops, jax.image, jjnp, data, data_int, ids, img, scale, shift, cot,
                     auto=False)
        out.update(_grads(jax, jax.ops, jax.image, jjnp, data, ids, img, scale, shift, cot))
        return out
    out = jax.jit(run)(*ARGS)
    for op in OPS:           # num_segments=None: eager, from the concrete ids
        out[f"seg-{op}-auto"] = getattr(jax.ops, op)(DATA, IDS)
        out[f"segint-{op}-auto"] = getattr(jax.ops, op)(DATA_INT, IDS)
    out["g-st-scale"], out["g-st-shift"] = out.pop("g-st")
    for name, tree in TREES.items():
        flat, unravel = jax_ravel(tree)
        out[f"ravel-{name}-flat"] = flat
        for i, leaf in enumerate(jax.tree_util.tree_leaves(unravel(flat))):
            out[f"ravel-{name}-leaf{i}"] = leaf
    return {k: np.asarray(v) for k, v in out.items()}


@functools.cache
def _jax() -> dict:
    from tests.numpy.ops_image_expected import EXPECTED
    return {k: np.asarray(v, dtype=dt).reshape(shape) for k, (dt, shape, v) in EXPECTED.items()}


def _eager():
    out = _cases(iops, iimage, inp, *ARGS)
    out.update(_grads(irax, iops, iimage, inp, DATA, IDS, IMG, SCALE, SHIFT, COT))
    return out


@pytest.fixture(scope="module")
def eager():
    return _eager()


@pytest.mark.parametrize("prefix", ["seg-", "segint-"])
def test_segment_ops_like_jax(eager, prefix):
    ref = _jax()
    for name in SEG_CASES:
        assert_like_jax(eager[prefix + name], ref[prefix + name], prefix + name)


def test_segment_identities_and_dropped_ids():
    """Empty segments hold the identity; out-of-range ids (negative too) are dropped."""
    d = np.array([1.0, 2.0, 3.0, 4.0], np.float32)
    ids = np.array([0, 0, -1, 5], np.int32)
    np.testing.assert_array_equal(iops.segment_sum(d, ids, 3), [3.0, 0.0, 0.0])
    np.testing.assert_array_equal(iops.segment_prod(d, ids, 3), [2.0, 1.0, 1.0])
    np.testing.assert_array_equal(iops.segment_max(d, ids, 3), [2.0, -np.inf, -np.inf])
    np.testing.assert_array_equal(iops.segment_min(d, ids, 3), [1.0, np.inf, np.inf])
    i8 = np.array([1, 2], np.int8)
    assert int(iops.segment_max(i8, np.array([0, 0]), 2)[1]) == -128
    assert int(iops.segment_min(i8, np.array([0, 0]), 2)[1]) == 127
    b = np.array([True, False])
    np.testing.assert_array_equal(iops.segment_max(b, np.array([0, 0]), 2), [True, False])
    np.testing.assert_array_equal(iops.segment_min(b, np.array([0, 0]), 2), [False, True])
    assert iops.segment_sum(d, ids, 0).shape == (0,)


def test_segment_errors_like_jax():
    with pytest.raises(ValueError, match="non-negative"):
        iops.segment_sum(DATA, IDS, -1)
    with pytest.raises(TypeError):
        iops.segment_sum(DATA, IDS.astype(np.float32), 5)
    with pytest.raises(irax.ConcretizationTypeError):
        irax.jit(lambda d, i: iops.segment_sum(d, i))(DATA, IDS)
    with pytest.raises(jax.errors.ConcretizationTypeError):
        jax.jit(lambda d, i: jax.ops.segment_sum(d, i))(DATA, IDS)


def test_segment_grads(eager):
    ref = _jax()
    for op in OPS:
        assert_like_jax(eager["g-" + op], ref["g-" + op], op)
    with pytest.raises(NotImplementedError, match="unique"):
        irax.grad(lambda d: inp.sum(iops.segment_prod(d, IDS, 5)))(DATA)
    # segment_sum's gradient, analytically: row i receives w[ids[i]] (0 when dropped)
    w = np.arange(15.0, dtype=np.float32).reshape(5, 3)
    want = np.where(((IDS >= 0) & (IDS < 5))[:, None], w[np.clip(IDS, 0, 4)], 0)
    np.testing.assert_allclose(eager["g-segment_sum"], want)


def test_segment_vmap_like_a_loop():
    batch = RNG.normal(size=(4, 7, 3)).astype(np.float32)
    ids = RNG.integers(-1, 6, size=(4, 7)).astype(np.int32)
    for op in OPS:
        f = getattr(iops, op)
        got = irax.vmap(lambda d, i: f(d, i, 5))(batch, ids)
        want = np.stack([np.asarray(f(batch[b], ids[b], 5)) for b in range(4)])
        np.testing.assert_array_equal(np.asarray(got), want, err_msg=op)
        shared = irax.vmap(lambda d: f(d, IDS, 5, bucket_size=2))(batch)
        want = np.stack([np.asarray(f(batch[b], IDS, 5, bucket_size=2)) for b in range(4)])
        np.testing.assert_allclose(np.asarray(shared), want, rtol=1e-6, err_msg=op)


# ---------------------------------------------------------------------------
# irax.image


def test_resize_like_jax(eager):
    ref = _jax()
    for name in RESIZE_CASES:
        assert_like_jax(eager["resize-" + name], ref["resize-" + name], name, rtol=1e-5,
                        atol=1e-5)


def test_scale_and_translate_like_jax(eager):
    ref = _jax()
    for name in ST_CASES:
        assert_like_jax(eager["st-" + name], ref["st-" + name], name, rtol=1e-5, atol=1e-5)


def test_resize_grads_like_jax(eager):
    ref = _jax()
    for name in ("g-resize-linear", "g-resize-cubic"):
        assert_like_jax(eager[name], ref[name], name, rtol=1e-5, atol=1e-5)
    for got, key in zip(eager["g-st"], ("g-st-scale", "g-st-shift")):
        assert_like_jax(got, ref[key], key, rtol=1e-4, atol=1e-4)


def test_linear_resize_grad_is_the_transposed_weights():
    """Upsampling 1-d by 2 with the triangle kernel: the weights are known in closed form
    (sample points at (j + 0.5) / 2 - 0.5), so the gradient is W @ ct."""
    m, n = 4, 8
    sample = (np.arange(n) + 0.5) / 2 - 0.5
    w = np.maximum(0, 1 - np.abs(sample[None, :] - np.arange(m)[:, None]))
    w = w / w.sum(0, keepdims=True)
    ct = RNG.normal(size=n)
    x = RNG.normal(size=m).astype(np.float32)
    g = irax.grad(lambda v: inp.sum(iimage.resize(v, (n,), "linear") * ct))(x)
    np.testing.assert_allclose(np.asarray(g), w @ ct, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(iimage.resize(x, (n,), "linear")), w.T @ x,
                               rtol=1e-5, atol=1e-6)


def test_resize_dtypes_and_methods():
    i8 = (IMG * 10).astype(np.int8)
    assert iimage.resize(i8, (3, 3, 2), "nearest").dtype == np.int8
    assert iimage.resize(i8, (3, 3, 2), "bilinear").dtype == np.float32
    assert iimage.ResizeMethod.from_string("tricubic") is iimage.ResizeMethod.CUBIC
    assert [m.name for m in iimage.ResizeMethod] == [m.name for m in jax.image.ResizeMethod]
    out = iimage.resize(IMG, (7, 3, 2), iimage.ResizeMethod.LANCZOS3)
    assert_like_jax(out, _jax()["resize-lanczos3-(7, 3, 2)-True"], "enum", rtol=1e-5,
                    atol=1e-5)


def test_image_errors_like_jax():
    with pytest.raises(ValueError, match="shape must have length"):
        iimage.resize(IMG, (2, 2), "linear")
    with pytest.raises(ValueError, match="Unknown resize method"):
        iimage.resize(IMG, (2, 2, 2), "foo")
    with pytest.raises(ValueError, match="Nearest neighbor"):
        iimage.scale_and_translate(IMG, (2, 2, 2), (0,), [1.0], [0.0], "nearest")


def test_resize_vmap_like_a_loop():
    batch = RNG.normal(size=(3, 5, 7)).astype(np.float32)
    got = irax.vmap(lambda x: iimage.resize(x, (8, 4), "cubic"))(batch)
    want = np.stack([np.asarray(iimage.resize(b, (8, 4), "cubic")) for b in batch])
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-6, atol=1e-6)


# ---------------------------------------------------------------------------
# irax.flatten_util.ravel_pytree


TREES = {
    "one_dtype": {"a": np.ones((2, 3), np.float32), "b": [np.arange(3, dtype=np.float32), 2.0]},
    "int_float": {"a": np.arange(3, dtype=np.int32), "b": np.float32(1.5), "c": 2.0},
    "f16_i8": (np.float16(1.5), np.int8(3)),
    "complex": (np.arange(3, dtype=np.float32), np.complex64(1 + 2j)),
    "bool_float": [np.float32(2), True],
    "empty": (),
}


@pytest.mark.parametrize("name", sorted(TREES))
def test_ravel_pytree_like_jax(name):
    tree = TREES[name]
    flat, unravel = ravel_pytree(tree)
    ref = _jax()
    assert_like_jax(flat, ref[f"ravel-{name}-flat"], name)
    back = unravel(flat)
    assert irax.tree_util.tree_structure(back) == irax.tree_util.tree_structure(tree)
    leaves = irax.tree_util.tree_leaves(back)
    assert len(leaves) == len([k for k in ref if k.startswith(f"ravel-{name}-leaf")])
    for i, got in enumerate(leaves):
        assert_like_jax(got, ref[f"ravel-{name}-leaf{i}"], name)


def test_ravel_pytree_errors_and_hash():
    _, unravel = ravel_pytree([np.float32(1), np.int32(2)])
    with pytest.raises(TypeError, match="expected dtype float32"):
        unravel(np.zeros(2, np.int32))
    assert unravel == ravel_pytree([np.float32(3), np.int32(4)])[1]
    assert hash(unravel) == hash(ravel_pytree([np.float32(3), np.int32(4)])[1])
    assert unravel != ravel_pytree([np.float32(3), np.int32(4), 1.0])[1]


def test_ravel_pytree_grad_and_vmap():
    params = {"w": RNG.normal(size=(2, 3)).astype(np.float32), "b": np.float32(0.5)}

    def loss(p):            # sum(flat^2) + sum of the unravelled w from 3 * flat
        flat, unravel = ravel_pytree(p)
        return inp.sum(flat ** 2) + inp.sum(unravel(3.0 * flat)["w"])
    g = irax.grad(loss)(params)
    np.testing.assert_allclose(np.asarray(g["w"]), 2 * params["w"] + 3, rtol=1e-6)
    np.testing.assert_allclose(float(g["b"]), 2 * 0.5, rtol=1e-6)
    batch = {"w": RNG.normal(size=(4, 2, 3)).astype(np.float32),
             "b": RNG.normal(size=4).astype(np.float32)}
    got = irax.vmap(lambda p: ravel_pytree(p)[0])(batch)
    want = np.stack([np.concatenate([[batch["b"][i]], batch["w"][i].ravel()])
                     for i in range(4)])
    np.testing.assert_array_equal(np.asarray(got), want)


# ---------------------------------------------------------------------------
# one compiled module for the jit cases


def test_jit_module_like_jax():
    ref = _jax()
    params = {"w": IMG[:2, :2, 0], "n": DATA_INT[0]}

    def run(data, data_int, ids, img, scale, shift, cot, params):
        flat, unravel = ravel_pytree(params)
        out = dict(
            flat=flat, back=unravel(flat * 2),
            seg_sum=iops.segment_sum(data, ids, 5),
            seg_max_bucket=iops.segment_max(data, ids, 5, bucket_size=3),
            seg_prod_clip=iops.segment_prod(data_int, ids, 5, mode="clip"),
            resize=iimage.resize(img, (7, 3, 2), "linear"),
            nearest=iimage.resize(img, (2, 9, 2), "nearest"),
            st=iimage.scale_and_translate(img, (6, 4, 2), (0, 1), scale, shift, "cubic"),
            g_resize=irax.grad(
                lambda x: inp.sum(iimage.resize(x, (7, 3, 2), "linear") * cot))(img),
            g_seg=irax.grad(lambda d: inp.sum(
                iops.segment_max(d, ids, 5, bucket_size=3) ** 2))(data))
        return out

    out = irax.jit(run)(*ARGS, params)
    np.testing.assert_array_equal(np.asarray(out["flat"]), np.concatenate(
        [params["n"].astype(np.float32), params["w"].ravel()]))    # leaves sorted by key
    assert out["flat"].dtype == np.float32
    np.testing.assert_allclose(np.asarray(out["back"]["w"]), 2 * params["w"], rtol=1e-6)
    assert np.asarray(out["back"]["n"]).dtype == np.int32
    np.testing.assert_array_equal(np.asarray(out["back"]["n"]), 2 * params["n"])
    assert_like_jax(out["seg_sum"], ref["seg-segment_sum-n5"], "seg_sum")
    assert_like_jax(out["seg_max_bucket"], ref["seg-segment_max-bucket"], "seg_max_bucket")
    assert_like_jax(out["seg_prod_clip"], ref["segint-segment_prod-clip"], "seg_prod_clip")
    assert_like_jax(out["resize"], ref["resize-linear-(7, 3, 2)-True"], "resize", 1e-5, 1e-5)
    assert_like_jax(out["nearest"], ref["resize-nearest-(2, 9, 2)-True"], "nearest")
    assert_like_jax(out["st"], ref["st-cubic-True"], "st", 1e-5, 1e-5)
    assert_like_jax(out["g_resize"], ref["g-resize-linear"], "g_resize", 1e-5, 1e-5)
    # d/d data of sum(segment_max^2): 2 * max at each segment's argmax row, 0 elsewhere
    seg_max = np.asarray(ref["seg-segment_max-n5"])
    want = np.zeros_like(DATA)
    for s in range(5):
        rows = np.flatnonzero(IDS == s)
        for c in range(3):
            if rows.size:
                r = rows[np.argmax(DATA[rows, c])]
                want[r, c] = 2 * seg_max[s, c]
    np.testing.assert_allclose(np.asarray(out["g_seg"]), want, rtol=1e-6)


# ---------------------------------------------------------------------------
# the modules as a JAX user meets them


PUBLIC = {"ops": ["segment_max", "segment_min", "segment_prod", "segment_sum"],
          "image": ["ResizeMethod", "resize", "scale_and_translate"],
          "flatten_util": ["ravel_pytree"]}


@pytest.mark.parametrize("module", sorted(PUBLIC))
def test_public_names_like_jax(module):
    import importlib
    ours, theirs = getattr(irax, module), importlib.import_module(f"jax.{module}")
    assert sorted(n for n in dir(theirs) if not n.startswith("_")) == PUBLIC[module]
    assert sorted(n for n in dir(ours) if not n.startswith("_") and n in PUBLIC[module]) == \
        PUBLIC[module]
    assert module in dir(irax)


def test_reprs_print_what_jax_prints():
    """The strings are JAX 0.10's reprs of the same calls (Python-scalar leaves stay weak)."""
    flat, unravel = ravel_pytree([1.0, 2.0])
    assert repr(flat) == "Array([1., 2.], dtype=float32, weak_type=True)"
    assert repr(unravel(flat)) == ("[Array(1., dtype=float32, weak_type=True), "
                                   "Array(2., dtype=float32, weak_type=True)]")
    flat, unravel = ravel_pytree({"a": 1, "b": 2.0})
    assert repr(flat) == "Array([1., 2.], dtype=float32)"
    assert repr(unravel(flat)) == "{'a': Array(1, dtype=int32), 'b': Array(2., dtype=float32)}"
    assert repr(iops.segment_sum(np.arange(5), np.array([0, 0, 1, 1, 2]))) == \
        "Array([1, 5, 4], dtype=int32)"
    assert repr(iops.segment_prod(np.arange(6), np.array([0, 0, 1, 1, 2, 2]))) == \
        "Array([ 0,  6, 20], dtype=int32)"


def test_resize_keeps_bfloat16_with_jax_values():
    # JAX 0.10.2: jax.image.resize(x, (6, 6), "linear") of this bfloat16 ramp is bfloat16,
    # first row [0, 0.03344727, 0.078125, 0.12255859, 0.16699219, 0.20019531]
    import ml_dtypes
    x = np.linspace(0, 1, 16, dtype=np.float32).reshape(4, 4).astype(ml_dtypes.bfloat16)
    r = irax.image.resize(irax.numpy.asarray(x), (6, 6), "linear")
    assert r.dtype == ml_dtypes.bfloat16
    np.testing.assert_array_equal(
        np.asarray(r, np.float32)[0],
        np.array([0, 0.03344727, 0.078125, 0.12255859, 0.16699219, 0.20019531]
                 ).astype(ml_dtypes.bfloat16).astype(np.float32))   # printed to 8 digits
