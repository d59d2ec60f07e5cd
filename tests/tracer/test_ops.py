"""Table-driven checks of every op in op_specs.OPS.

  eager       result vs the op's independent NumPy reference (float32 inputs)
  jvp         vs central finite differences, in float64
  vjp         the inner-product identity <t, J^T c> == <J t, c>, in float64
  vmap        vs a Python loop + stack (several in_axes layouts)
  nested      grad(grad), jvp(vmap), vmap(grad), grad(vmap) on a subset
"""
from __future__ import annotations

import zlib

import numpy as np
import pytest

import irax
import irax.numpy as jnp
from irax import tree_util

from .op_specs import FLOAT_KINDS, NESTED, OPS, OPS_BY_NAME, OpSpec, make_args

DIFF_OPS = [s for s in OPS if s.diff_argnums]
BATCH_OPS = [s for s in OPS if s.batchable]
B = 3


def _rng(spec: OpSpec, salt: str = "") -> np.random.Generator:
    return np.random.default_rng(zlib.crc32((spec.name + salt).encode()))


def _leaves(x):
    return tree_util.tree_leaves(x)


def _as_irax(args):
    return [jnp.asarray(a) for a in args]


def _expected_kind(want: np.ndarray) -> str:
    return {"f": "f", "c": "c", "b": "b", "i": "i", "u": "i"}[np.asarray(want).dtype.kind]


# ---------------------------------------------------------------------------
# eager


@pytest.mark.parametrize("spec", OPS, ids=lambda s: s.name)
def test_eager_matches_numpy(spec: OpSpec):
    args = make_args(spec, _rng(spec))
    got = spec.fn(*_as_irax(args))
    ref_args = [a.astype(np.float64) if a.dtype == np.float32 else a for a in args]
    want = spec.np_fn(*ref_args)
    g_leaves, w_leaves = _leaves(got), _leaves(want)
    assert len(g_leaves) == len(w_leaves), f"{spec.name}: {len(g_leaves)} outputs, want {len(w_leaves)}"
    for g, w in zip(g_leaves, w_leaves):
        assert isinstance(g, irax.Array), f"{spec.name}: eager result is {type(g).__name__}"
        w = np.asarray(w)
        gv = np.asarray(g)
        assert gv.shape == w.shape, f"{spec.name}: shape {gv.shape}, want {w.shape}"
        assert gv.dtype.kind == _expected_kind(w) or (gv.dtype.kind == "f" and w.dtype.kind == "f"), \
            f"{spec.name}: dtype {gv.dtype}, reference {w.dtype}"
        if gv.dtype.kind in "fiub":
            # 32-bit by default (JAX's rule): no float64/int64 leaks out without x64
            assert gv.dtype.itemsize <= 4, f"{spec.name}: {gv.dtype} without enable_x64"
        np.testing.assert_allclose(gv.astype(np.float64) if gv.dtype != bool else gv,
                                   w, rtol=spec.tol, atol=spec.tol, err_msg=spec.name)


@pytest.mark.parametrize("spec", OPS, ids=lambda s: s.name)
def test_staged_jaxpr_typechecks_and_matches_eager(spec: OpSpec):
    """make_jaxpr: the jaxpr type-checks, its output avals (weak types included) equal the
    eager results', and interpreting it reproduces the eager values."""
    from irax.tracer import core
    args = _as_irax(make_args(spec, _rng(spec)))
    eager = _leaves(spec.fn(*args))
    closed = irax.make_jaxpr(spec.fn)(*args)
    core.typecheck_jaxpr(closed.jaxpr)
    assert [core.get_aval(e) for e in eager] == list(closed.out_avals), spec.name
    staged = core.eval_jaxpr(closed.jaxpr, closed.consts, args)
    for e, v in zip(eager, staged):
        np.testing.assert_array_equal(np.asarray(v), np.asarray(e), err_msg=spec.name)


# ---------------------------------------------------------------------------
# derivatives (float64)


def _split_diff(spec: OpSpec, args):
    nums = spec.diff_argnums
    irargs = _as_irax(args)

    def f(*dargs):
        full = list(irargs)
        for i, a in zip(nums, dargs):
            full[i] = a
        return spec.fn(*full)
    return f, [irargs[i] for i in nums]


@pytest.mark.parametrize("spec", DIFF_OPS, ids=lambda s: s.name)
def test_jvp_vs_finite_differences(spec: OpSpec, x64):
    rng = _rng(spec, "jvp")
    args = make_args(spec, rng, np.float64)
    f, primals = _split_diff(spec, args)
    tangents = [jnp.asarray(rng.standard_normal(p.shape)) for p in primals]
    y, ty = irax.jvp(f, tuple(primals), tuple(tangents))
    y_ref = f(*primals)
    eps = 1e-6
    plus = f(*[p + eps * t for p, t in zip(primals, tangents)])
    minus = f(*[p - eps * t for p, t in zip(primals, tangents)])
    for yl, yr, tl, pl, ml in zip(_leaves(y), _leaves(y_ref), _leaves(ty), _leaves(plus),
                                  _leaves(minus)):
        np.testing.assert_allclose(np.asarray(yl), np.asarray(yr), rtol=1e-12, atol=1e-12,
                                   err_msg=f"{spec.name}: jvp primal output")
        assert np.asarray(tl).shape == np.asarray(yl).shape
        if np.asarray(yl).dtype.kind != "f":
            continue
        assert np.asarray(yl).dtype == np.float64, f"{spec.name}: float64 lost ({yl.dtype})"
        assert np.asarray(tl).dtype == np.float64, f"{spec.name}: tangent dtype {tl.dtype}"
        fd = (np.asarray(pl) - np.asarray(ml)) / (2 * eps)
        np.testing.assert_allclose(np.asarray(tl), fd, rtol=spec.grad_tol, atol=spec.grad_tol,
                                   err_msg=f"{spec.name}: jvp vs central differences")


@pytest.mark.parametrize("spec", DIFF_OPS, ids=lambda s: s.name)
def test_vjp_inner_product_identity(spec: OpSpec, x64):
    rng = _rng(spec, "vjp")
    args = make_args(spec, rng, np.float64)
    f, primals = _split_diff(spec, args)
    tangents = [jnp.asarray(rng.standard_normal(p.shape)) for p in primals]
    y, f_vjp = irax.vjp(f, *primals)
    ct = tree_util.tree_map(lambda o: jnp.asarray(rng.standard_normal(np.shape(o))), y)
    cts_in = f_vjp(ct)
    assert isinstance(cts_in, tuple) and len(cts_in) == len(primals)
    for c, p in zip(cts_in, primals):
        assert c.shape == p.shape and c.dtype == p.dtype, \
            f"{spec.name}: cotangent {c.shape}/{c.dtype} for primal {p.shape}/{p.dtype}"
    _, jt = irax.jvp(f, tuple(primals), tuple(tangents))
    lhs = sum(float(np.vdot(np.asarray(t), np.asarray(c))) for t, c in zip(tangents, cts_in))
    rhs = sum(float(np.vdot(np.asarray(j), np.asarray(c)))
              for j, c in zip(_leaves(jt), _leaves(ct)) if np.asarray(j).dtype.kind == "f")
    assert np.isclose(lhs, rhs, rtol=1e-9, atol=1e-9), f"{spec.name}: <t, J^T c>={lhs} " \
                                                        f"but <J t, c>={rhs}"


# ---------------------------------------------------------------------------
# vmap


def _loop(fn, args, axes):
    outs = []
    for b in range(B):
        outs.append(fn(*[a if ax is None else np.take(a, b, axis=ax) for a, ax in zip(args, axes)]))
    return tree_util.tree_map(lambda *xs: np.stack([np.asarray(x) for x in xs]), *outs)


def _layouts(spec: OpSpec):
    n = len(spec.args)
    yield "all0", (0,) * n
    if n > 1:
        yield "first_only", (0,) + (None,) * (n - 1)
        yield "last_only", (None,) * (n - 1) + (0,)
    yield "last_axis", tuple(-1 if a.shape else 0 for a in spec.args)


VMAP_CASES = [pytest.param(s, name, axes, id=f"{s.name}-{name}")
              for s in BATCH_OPS for name, axes in _layouts(s)]


@pytest.mark.parametrize("spec,layout,in_axes", VMAP_CASES)
def test_vmap_matches_loop(spec: OpSpec, layout, in_axes):
    rng = _rng(spec, "vmap" + layout)
    batched = make_args(spec, rng, np.float32, batch=(B,))
    single = make_args(spec, rng, np.float32)
    args, axes = [], []
    for bat, one, ax, a in zip(batched, single, in_axes, spec.args):
        if ax is None:
            args.append(one)
            axes.append(None)
        else:
            nd = len(a.shape) + 1
            args.append(np.moveaxis(bat, 0, ax % nd))
            axes.append(ax % nd)
    got = irax.vmap(spec.fn, in_axes=tuple(in_axes))(*_as_irax(args))
    want = _loop(lambda *xs: spec.fn(*_as_irax(xs)), args, axes)
    for g, w in zip(_leaves(got), _leaves(want)):
        assert isinstance(g, irax.Array)
        assert np.asarray(g).dtype == w.dtype, f"{spec.name}: vmap dtype {g.dtype} vs {w.dtype}"
        np.testing.assert_allclose(np.asarray(g), w, rtol=1e-5, atol=1e-5,
                                   err_msg=f"{spec.name} vmap {layout}")


# ---------------------------------------------------------------------------
# nested transformations (float64)

NESTED_OPS = [OPS_BY_NAME[n] for n in NESTED]


def _scalar_of_first(spec: OpSpec, args, rng):
    """g(x) = <fn(x, *rest), w>: a scalar function of the first differentiable argument."""
    k = spec.diff_argnums[0]
    irargs = _as_irax(args)
    out = spec.fn(*irargs)
    ws = [jnp.asarray(rng.standard_normal(np.shape(o))) for o in _leaves(out)]

    def g(x):
        full = list(irargs)
        full[k] = x
        leaves = _leaves(spec.fn(*full))
        return sum(jnp.sum(o * w) for o, w in zip(leaves, ws))
    return g, irargs[k]


@pytest.mark.parametrize("spec", NESTED_OPS, ids=lambda s: s.name)
def test_grad_of_grad(spec: OpSpec, x64):
    rng = _rng(spec, "gg")
    g, x = _scalar_of_first(spec, make_args(spec, rng, np.float64), rng)
    v = jnp.asarray(rng.standard_normal(x.shape))
    hv = irax.grad(lambda p: jnp.sum(irax.grad(g)(p) * v))(x)      # H v (H symmetric)
    eps = 1e-5
    fd = (np.asarray(irax.grad(g)(x + eps * v)) - np.asarray(irax.grad(g)(x - eps * v))) / (2 * eps)
    np.testing.assert_allclose(np.asarray(hv), fd, rtol=1e-5, atol=1e-5, err_msg=spec.name)
    # forward-over-reverse agrees with reverse-over-reverse
    _, hv_fwd = irax.jvp(irax.grad(g), (x,), (v,))
    np.testing.assert_allclose(np.asarray(hv_fwd), np.asarray(hv), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("spec", NESTED_OPS, ids=lambda s: s.name)
def test_vmap_of_grad_and_grad_of_vmap(spec: OpSpec, x64):
    rng = _rng(spec, "vg")
    k = spec.diff_argnums[0]
    args = make_args(spec, rng, np.float64)
    xs = make_args(spec, rng, np.float64, batch=(B,))[k]
    g, _ = _scalar_of_first(spec, args, rng)
    want = np.stack([np.asarray(irax.grad(g)(jnp.asarray(xs[b]))) for b in range(B)])
    got = irax.vmap(irax.grad(g))(jnp.asarray(xs))
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-10, atol=1e-10,
                               err_msg=f"{spec.name}: vmap(grad)")
    got2 = irax.grad(lambda xb: jnp.sum(irax.vmap(g)(xb)))(jnp.asarray(xs))
    np.testing.assert_allclose(np.asarray(got2), want, rtol=1e-10, atol=1e-10,
                               err_msg=f"{spec.name}: grad(vmap)")


@pytest.mark.parametrize("spec", NESTED_OPS, ids=lambda s: s.name)
def test_jvp_of_vmap(spec: OpSpec, x64):
    rng = _rng(spec, "jv")
    batched = make_args(spec, rng, np.float64, batch=(B,))
    nums = spec.diff_argnums
    irb = _as_irax(batched)

    def f(*dargs):
        full = list(irb)
        for i, a in zip(nums, dargs):
            full[i] = a
        return irax.vmap(spec.fn)(*full)
    primals = tuple(irb[i] for i in nums)
    tangents = tuple(jnp.asarray(rng.standard_normal(p.shape)) for p in primals)
    _, t_out = irax.jvp(f, primals, tangents)
    for b in range(B):
        ex = [jnp.asarray(np.asarray(a)[b]) for a in irb]

        def fb(*dargs):
            full = list(ex)
            for i, a in zip(nums, dargs):
                full[i] = a
            return spec.fn(*full)
        _, t_b = irax.jvp(fb, tuple(ex[i] for i in nums),
                          tuple(jnp.asarray(np.asarray(t)[b]) for t in tangents))
        for got, want in zip(_leaves(t_out), _leaves(t_b)):
            np.testing.assert_allclose(np.asarray(got)[b], np.asarray(want), rtol=1e-10,
                                       atol=1e-10, err_msg=f"{spec.name}: jvp(vmap) example {b}")


def test_table_covers_the_issue_list():
    """Every irax.numpy / irax.nn function named in issue #2 appears in some spec's fn."""
    import inspect
    names = """sin cos tan arcsin arccos arctan arctan2 sinh cosh tanh exp expm1 log log1p log2
    log10 sqrt square abs sign negative reciprocal power add subtract multiply divide
    true_divide floor_divide mod maximum minimum clip where equal not_equal less less_equal
    greater greater_equal logical_and logical_or logical_not isnan isfinite floor ceil round
    sum mean max min prod argmax argmin var std cumsum dot matmul tensordot outer einsum
    transpose swapaxes moveaxis reshape ravel squeeze expand_dims broadcast_to concatenate
    stack split take logaddexp norm relu sigmoid softplus log_sigmoid softmax log_softmax
    logsumexp""".split()
    src = "\n".join(inspect.getsource(s.fn) for s in OPS)
    missing = [n for n in names if n not in src and n not in {s.name for s in OPS}]
    assert not missing, f"op table lacks: {missing}"
    assert all(a.kind in FLOAT_KINDS + ("int", "index", "bool") for s in OPS for a in s.args)
