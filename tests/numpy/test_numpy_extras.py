"""The irax.numpy extras (mathfuncs, arrayops, statistics, polynomials) against independent
references: NumPy for values, JAX 0.10 (CPU, the test-only oracle) for output dtypes and
where JAX's semantics differ from NumPy's (bincount's length=, unravel_index clipping),
float64 central differences for gradients, a Python loop for vmap, and one compiled
module for jit. The op-spec table (tests/tracer/op_specs.py, _numpy_extra_specs) runs the
differentiable ones through the shared jvp/vjp/vmap/jit checks as well."""
from __future__ import annotations

import numpy as np
import pytest

import irax
import irax.numpy as inp
from irax import tree_util

jax = pytest.importorskip("jax")
import jax.numpy as jnp  # noqa: E402

RNG = np.random.default_rng(20240610)
X = RNG.normal(size=(3, 4)).astype(np.float32)
Y = RNG.normal(size=(3, 4)).astype(np.float32)
V = RNG.normal(size=5).astype(np.float32)
W4 = RNG.uniform(0.5, 2.0, size=4).astype(np.float32)
XI = RNG.integers(-30, 30, size=(3, 4)).astype(np.int32)
YI = RNG.integers(-30, 30, size=(3, 4)).astype(np.int32)
XN = X.copy()
XN[0, 1] = np.nan
XN[2, :] = np.nan
XP = np.sort(RNG.normal(size=6)).astype(np.float32)
FP = RNG.normal(size=6).astype(np.float32)
XQ = (RNG.normal(size=(2, 7)) * 2).astype(np.float32)
FIT_X = np.linspace(-1, 2, 20).astype(np.float32)
FIT_Y = (1 - 2 * FIT_X + 0.5 * FIT_X ** 2 + 0.1 * RNG.normal(size=20)).astype(np.float32)
SPECIAL = np.array([0.0, -0.0, 1.0, -2.5, np.inf, -np.inf, np.nan, 3e38, 1.17549435e-38,
                    -7.0], np.float32)
SUBNORMAL = np.array([1e-40, -1e-45, 5e-39], np.float32)


def _np_put_along_axis(a, i, v, axis):
    out = a.copy()
    np.put_along_axis(out, i, v, axis)
    return out


class Case:
    """fn(m, *args) run with m = numpy (values), jax.numpy (dtypes) and irax.numpy.
    ref(m, *args), when given, replaces fn for the NumPy reference (NumPy's spelling
    differs); ref="jax" takes values from JAX too (its semantics differ from NumPy's)."""

    def __init__(self, name, fn, *args, ref=None, tol=2e-5, jit=True):
        self.name, self.fn, self.args, self.ref, self.tol, self.jit = \
            name, fn, args, ref, tol, jit

    def __repr__(self):
        return self.name


C = Case
PAD_WIDTHS = [1, (2, 3), ((1, 2), (3, 0)), ((7, 9), (5, 11))]
PAD_MODES = ["constant", "edge", "reflect", "symmetric", "wrap", "linear_ramp", "maximum",
             "minimum", "mean", "empty"]

CASES = [
    # comparisons
    C("isclose", lambda m, a, b: m.isclose(a, a + 1e-6 * b), X, Y),
    C("isclose_special", lambda m, a: m.isclose(a, a[::-1], equal_nan=True), SPECIAL),
    C("isclose_int", lambda m, a, b: m.isclose(a, b, atol=5), XI, YI),
    C("allclose", lambda m, a, b: m.allclose(a, b, rtol=0.5, atol=2), X, Y),
    C("array_equal", lambda m, a: m.array_equal(a, a), XI),
    C("array_equal_nan", lambda m, a: m.array_equal(a, a, equal_nan=True), XN),
    C("array_equiv", lambda m, a: m.array_equiv(a[0], m.stack([a[0], a[0]])), X),
    C("isin", lambda m, a, b: m.isin(a, b[0]), XI, YI),
    C("isin_invert", lambda m, a, b: m.isin(a, b, invert=True), XI, YI),
    # elementwise extras
    C("logaddexp2", lambda m, a, b: m.logaddexp2(a, b), X, Y),
    C("logaddexp2_special", lambda m, a: m.logaddexp2(a, a[::-1]), SPECIAL),
    C("fmax", lambda m, a: m.fmax(a, a[::-1]), SPECIAL),
    C("fmin", lambda m, a: m.fmin(a, a[::-1]), SPECIAL),
    C("nan_to_num", lambda m, a: m.nan_to_num(a), SPECIAL),
    C("nan_to_num_values", lambda m, a: m.nan_to_num(a, nan=1.0, posinf=2.0, neginf=-3.0),
      SPECIAL),
    C("nan_to_num_int", lambda m, a: m.nan_to_num(a), XI),
    C("copysign", lambda m, a: m.copysign(a, a[::-1]), SPECIAL),
    C("frexp", lambda m, a: m.frexp(a), SPECIAL),
    C("frexp_scaled", lambda m, a: m.frexp(a * 1000), X),
    C("ldexp", lambda m, a, k: m.ldexp(a, k), SPECIAL,
      np.array([1, 2, -3, 4, 5, -6, 7, -100, 100, -127], np.int32)),
    C("ldexp_extremes", lambda m, a, k: m.ldexp(a, k),
      np.array([1.5, 1.5, 3e38, 1.0, 1.0], np.float32), np.int32([-149, -150, -300, 127, 128])),
    C("ldexp_int", lambda m, a, k: m.ldexp(a, k), XI, np.abs(YI) % 10),
    C("divmod_int", lambda m, a, b: m.divmod(a, b), XI, np.where(YI == 0, 1, YI)),
    C("divmod_float", lambda m, a, b: m.divmod(a, b), X, Y),
    C("gcd", lambda m, a, b: m.gcd(a, b), XI, YI),
    C("gcd_zeros", lambda m, a, b: m.gcd(a, b), np.int32([0, 0, 5, -7]), np.int32([0, 3, 0, 21])),
    # consecutive Fibonacci numbers: Euclid's worst case (45 steps) for int32 and int8
    C("gcd_fibonacci", lambda m, a, b: m.gcd(a, b), np.int32([1836311903, 89]),
      np.int32([1134903170, 55])),
    C("gcd_int8", lambda m, a, b: m.gcd(a, b), np.int8([89, 127, -128]), np.int8([55, 126, 64])),
    C("lcm", lambda m, a, b: m.lcm(a, b), XI, YI),
    C("lcm_zeros", lambda m, a, b: m.lcm(a, b), np.int32([0, 0, 5, -7]), np.int32([0, 3, 0, 21])),
    C("left_shift", lambda m, a, b: m.left_shift(a, b), XI, np.abs(YI) % 31),
    C("right_shift", lambda m, a, b: m.right_shift(a, b), XI, np.abs(YI) % 31),
    C("right_shift_unsigned", lambda m, a, b: m.right_shift(a, b), np.uint32([1, 2 ** 31, 77]),
      np.uint32([0, 31, 3])),
    C("left_shift_uint8", lambda m, a, b: m.left_shift(a, b), np.uint8([1, 200]),
      np.uint8([3, 1])),
    C("i0", lambda m, a: m.i0(a), np.float32([0, 0.5, -1, 3, 10, -14.9, 15, 15.1, 20, 40, 80])),
    C("i0_matrix", lambda m, a: m.i0(a * 5), X),
    C("select", lambda m, a, b: m.select([a > 0, b > 0], [a, b], -1.0), X, Y),
    C("piecewise", lambda m, a: m.piecewise(a, [a < -0.5, a > 0.5],
                                           [lambda t: t ** 2, 3.0, lambda t: -t]), X),
    C("piecewise_no_default", lambda m, a: m.piecewise(a, [a < 0], [lambda t: 2 * t]), X),
    C("piecewise_stacked_conditions", lambda m, a: m.piecewise(
        a, m.stack([a < 0, a > 1]), [lambda t: t * 3, 2.0]), X),
    C("piecewise_int", lambda m, a: m.piecewise(a, [a < 0, a > 5], [1.5, 7]), XI),
    # pad: every mode and pad-width form, float and int
    # (NumPy's "empty" leaves memory uninitialised; JAX and irax fill zeros)
    *[C(f"pad_{mode}_{i}_{kind}", lambda m, a, mode=mode, w=w: m.pad(a, w, mode), arr,
        ref="jax" if mode == "empty" else None)
      for mode in PAD_MODES for i, w in enumerate(PAD_WIDTHS)
      for kind, arr in (("f32", X), ("i32", XI))],
    C("pad_constant_pairs", lambda m, a: m.pad(a, ((1, 2), (2, 1)),
                                               constant_values=((1.0, 2.0), (3.0, 4.0))), X),
    C("pad_reflect_odd", lambda m, a: m.pad(a, ((5, 7),), "reflect", reflect_type="odd"), V),
    C("pad_symmetric_odd", lambda m, a: m.pad(a, (5, 12), "symmetric", reflect_type="odd"), V),
    C("pad_linear_ramp_ends", lambda m, a: m.pad(a, ((2, 3), (1, 4)), "linear_ramp",
                                                 end_values=((1, 2), (-3, 5))), X),
    C("pad_mean_stat_length", lambda m, a: m.pad(a, ((2, 3), (1, 4)), "mean",
                                                 stat_length=((1, 2), (3, 2))), X),
    C("pad_reflect_length1", lambda m, a: m.pad(a, 3, "reflect"), X[:1]),
    # rolls, rotations, flips, grids
    *[C(f"roll_{i}", lambda m, a, s=s, ax=ax: m.roll(a, s, ax), X)
      for i, (s, ax) in enumerate([(2, None), (-3, 1), ((1, 2), (0, 1)), (5, 0), (-13, None)])],
    C("roll_shifts_one_axis", lambda m, a: m.roll(a, (1, 2), 0), X),
    C("roll_one_shift_axes", lambda m, a: m.roll(a, -1, (0, 1)), X),
    C("roll_array_shift", lambda m, a, s: m.roll(a, s, 1), X, np.int32(-3)),
    C("roll_array_shifts", lambda m, a, s: m.roll(a, s, (1, 0)), X, np.int32([2, -1])),
    *[C(f"rot90_{k}", lambda m, a, k=k: m.rot90(a, k), X) for k in range(-1, 5)],
    C("rot90_axes", lambda m, a: m.rot90(a, 1, (2, 0)), X.reshape(3, 2, 2)),
    C("fliplr", lambda m, a: m.fliplr(a), X),
    C("flipud", lambda m, a: m.flipud(a), X),
    *[C(f"meshgrid_{ind}_{sp}", lambda m, a, ind=ind, sp=sp:
        m.meshgrid(a, a[:3], a[:2], indexing=ind, sparse=sp), V)
      for ind in ("xy", "ij") for sp in (False, True)],
    C("mgrid_1d", lambda m: m.mgrid[0:5]),
    C("mgrid_2d", lambda m: m.mgrid[0:3, 1:5:2]),
    C("mgrid_complex_step", lambda m: m.mgrid[0:3, 0:1:5j]),
    C("ogrid", lambda m: m.ogrid[0:3, 0:1:5j]),
    C("ogrid_1d", lambda m: m.ogrid[-1:1:0.5]),
    C("indices", lambda m: m.indices((2, 3))),
    C("indices_sparse", lambda m: m.indices((2, 3), sparse=True)),
    # differences, products, stacking
    C("diff", lambda m, a: m.diff(a), X),
    C("diff_n2_axis0", lambda m, a: m.diff(a, 2, 0), X),
    C("diff_prepend_append", lambda m, a: m.diff(a, 1, 1, prepend=1.0, append=a[:, :2]), X),
    C("diff_bool", lambda m, a: m.diff(a > 0), X),
    C("ediff1d", lambda m, a: m.ediff1d(a, to_end=m.asarray([1, 2]), to_begin=-1), X),
    C("kron", lambda m, a, b: m.kron(a[:2, :2], b[:3]), X, Y),
    C("kron_1d_2d", lambda m, a, b: m.kron(a[:2], b), V, Y),
    C("cross_3", lambda m, a, b: m.cross(a[:, :3], b[:, 1:]), X, Y),
    C("cross_2", lambda m, a, b: m.cross(a[:, :2], b[:, 2:]), X, Y),
    C("cross_2_3", lambda m, a, b: m.cross(a[:, :2], b[:, 1:]), X, Y),
    C("cross_axes", lambda m, a, b: m.cross(a, b, axisa=0, axisb=1, axisc=0), X[:, :3].T.copy(),
      Y[:, :3].copy()),
    C("block_2x2", lambda m, a, b: m.block([[a, b], [b, a]]), X, Y),
    C("block_1d", lambda m, a, b: m.block([a[0], b[1], m.asarray([1.0])]), X, Y),
    C("block_depth3", lambda m, a: m.block([[[a]], [[a]]]), X),
    C("column_stack", lambda m, a, b: m.column_stack([a[0], b[0], a[:2].T]), X, Y),
    C("dstack", lambda m, a, b: m.dstack([a, b]), X, Y),
    C("dstack_1d", lambda m, a, b: m.dstack([a[0], b[0]]), X, Y),
    C("hsplit", lambda m, a: m.hsplit(a, 2), X),
    C("hsplit_indices", lambda m, a: m.hsplit(a, [1, 3]), X),
    C("hsplit_1d", lambda m, a: m.hsplit(a, 2), X[0]),
    C("vsplit", lambda m, a: m.vsplit(a, 3), X),
    C("dsplit", lambda m, a: m.dsplit(a, 2), X.reshape(3, 2, 2)),
    # index arithmetic
    C("tril_indices", lambda m: m.tril_indices(4, -1, 5)),
    C("triu_indices", lambda m: m.triu_indices(4, 1)),
    C("tril_indices_from", lambda m, a: m.tril_indices_from(a, 1), X),
    C("triu_indices_from", lambda m, a: m.triu_indices_from(a), X),
    C("diag_indices", lambda m: m.diag_indices(3, 3)),
    C("diag_indices_from", lambda m, a: m.diag_indices_from(a[:3, :3]), X),
    C("unravel_index", lambda m, i: m.unravel_index(i, (3, 4, 5)), np.int32([0, 7, 59, 23])),
    # JAX clips out-of-range flat indices (NumPy raises)
    C("unravel_index_clipped", lambda m, i: m.unravel_index(i, (3, 4, 5)),
      np.int32([60, -1, -61, 100]), ref="jax"),
    C("ravel_multi_index", lambda m, i, j: m.ravel_multi_index((i, j), (3, 4)),
      np.int32([0, 2, 1]), np.int32([3, 0, 2]), jit=False),
    C("ravel_multi_index_F", lambda m, i, j: m.ravel_multi_index((i, j), (3, 4), order="F"),
      np.int32([0, 2, 1]), np.int32([3, 0, 2]), jit=False),
    C("ravel_multi_index_clip", lambda m, i, j: m.ravel_multi_index((i, j), (3, 4), mode="clip"),
      np.int32([0, 5, -1]), np.int32([3, 0, 9])),
    C("ravel_multi_index_wrap", lambda m, i, j: m.ravel_multi_index((i, j), (3, 4), mode="wrap"),
      np.int32([0, 5, -1]), np.int32([3, 0, 9])),
    C("put_along_axis", lambda m, a, i, v: m.put_along_axis(a, i, v, 1, inplace=False),
      X, np.int32([[0], [3], [-1]]), np.float32([[9], [8], [7]]),
      ref=lambda m, a, i, v: _np_put_along_axis(a, i, v, 1)),
    C("put_along_axis_bcast", lambda m, a, i: m.put_along_axis(a, i, 5.0, 0, inplace=False),
      X, np.int32([[0, 1, 2, 0]]), ref=lambda m, a, i: _np_put_along_axis(a, i, 5.0, 0)),
    C("put_along_axis_flat", lambda m, a, i: m.put_along_axis(a, i, -1.0, None, inplace=False),
      X, np.int32([0, 5, 11]), ref=lambda m, a, i: _np_put_along_axis(a, i, -1.0, None)),
    # per-axis application
    C("apply_along_axis", lambda m, a: m.apply_along_axis(lambda r: r * r.sum(), 1, a), X),
    C("apply_along_axis_scalar", lambda m, a: m.apply_along_axis(
        lambda r: r.max() - r.min(), 0, a), X.reshape(3, 2, 2)),
    C("apply_along_axis_middle", lambda m, a: m.apply_along_axis(
        lambda r: m.stack([r[0], r.sum()]), 1, a), X.reshape(3, 2, 2)),
    C("vectorize", lambda m, a, b: m.vectorize(lambda s, t: s * 2 + t)(a, b), X, Y[0]),
    C("vectorize_signature", lambda m, a, b: m.vectorize(
        lambda s, t: (s * t).sum(), signature="(n),(n)->()")(a, b), X, Y[:1]),
    C("vectorize_two_outputs", lambda m, a: m.vectorize(
        lambda s: (s.sum(), s * 2), signature="(n)->(),(n)")(a), X),
    C("vectorize_excluded", lambda m, a: m.vectorize(lambda s, p: s ** p, excluded={1})(a, 2),
      X),
    # statistics
    C("cumprod_axis", lambda m, a: m.cumprod(a, 1), X),
    C("cumprod_flat", lambda m, a: m.cumprod(a), X),
    C("cumprod_int", lambda m, a: m.cumprod(a, 0), XI),
    # (an all-NaN row: NumPy's nanarg* raise, JAX's give -1)
    *[C(f"{f}_{ax}", lambda m, a, f=f, ax=ax: getattr(m, f)(a, axis=ax), XN,
        ref="jax" if f.startswith("nanarg") and ax == 1 else None)
      for f in ("nansum", "nanmean", "nanmax", "nanmin", "nanprod", "nanstd", "nanvar",
                "nanargmax", "nanargmin", "nancumsum", "nancumprod")
      for ax in (None, 0, 1)],
    C("nanvar_ddof_keepdims", lambda m, a: m.nanvar(a, 1, ddof=1, keepdims=True), XN),
    C("nansum_initial", lambda m, a: m.nansum(a, 0, initial=2.0), XN),
    C("nanmax_int", lambda m, a: m.nanmax(a, 1), XI),
    C("nanargmax_keepdims", lambda m, a: m.nanargmax(a, 0, keepdims=True), XN[:2]),
    C("ptp", lambda m, a: m.ptp(a, 1), X),
    C("average", lambda m, a: m.average(a), X),
    C("average_weights_axis", lambda m, a, w: m.average(a, 1, w, returned=True), X, W4),
    C("average_full_weights", lambda m, a, w: m.average(a, 0, w, returned=True, keepdims=True),
      X, np.abs(Y)),
    C("average_returned", lambda m, a: m.average(a, returned=True), X),
    C("cov", lambda m, a: m.cov(a), X),
    C("cov_y_columns", lambda m, a, b: m.cov(a, b, rowvar=False), X, Y),
    C("cov_weights", lambda m, a, f, w: m.cov(a, fweights=f, aweights=w), X,
      np.int32([1, 2, 1, 3]), W4),
    C("cov_aweights_bias", lambda m, a, w: m.cov(a, aweights=w, bias=True), X, W4),
    C("cov_1d", lambda m, a: m.cov(a), V),
    C("corrcoef", lambda m, a: m.corrcoef(a), X),
    C("corrcoef_1d", lambda m, a: m.corrcoef(a), V),
    C("histogram", lambda m, a: m.histogram(a), V),
    C("histogram_range", lambda m, a: m.histogram(a, 4, range=(-1, 1)), X),
    C("histogram_edges_weights_density", lambda m, a, w: m.histogram(
        a, m.asarray([-2, -0.5, 0, 1.5]), weights=w, density=True), X, Y),
    C("histogram_int_data", lambda m, a: m.histogram(a), XI),
    C("histogram_bin_edges", lambda m, a: m.histogram_bin_edges(a, 5), X),
    C("bincount", lambda m, i: m.bincount(i), np.int32([0, 3, 1, 3, 3]), jit=False),
    C("bincount_weights", lambda m, i, w: m.bincount(i, w, minlength=7),
      np.int32([0, 3, 1, 3, 3]), V, jit=False),
    # JAX's length= (NumPy has none): negatives count in bin 0, values past the end drop
    C("bincount_length", lambda m, i: m.bincount(i, length=3), np.int32([0, 3, 1, -3, 2]),
      ref="jax"),
    C("interp", lambda m, x, xp, fp: m.interp(x, xp, fp), XQ, XP, FP),
    C("interp_left_right", lambda m, x, xp, fp: m.interp(x, xp, fp, left=-5.0, right=5.0),
      XQ, XP, FP),
    C("interp_period", lambda m, x, xp, fp: m.interp(x, xp, fp, period=2.0), XQ,
      RNG.normal(size=6).astype(np.float32), FP),
    C("interp_extrapolate", lambda m, x, xp, fp: m.interp(
        x, xp, fp, left="extrapolate", right="extrapolate"), XQ, XP, FP, ref="jax"),
    C("trapezoid", lambda m, a: m.trapezoid(a), X),
    C("trapezoid_dx", lambda m, a: m.trapezoid(a, dx=0.3), X),
    C("trapezoid_x_1d", lambda m, a, x: m.trapezoid(a, x, axis=0), X,
      np.cumsum(np.abs(V[:3]))),
    C("trapezoid_x_2d", lambda m, a, x: m.trapezoid(a, x), X, np.cumsum(np.abs(Y), 1)),
    # polynomials and 1-D signals
    C("vander", lambda m, a: m.vander(a), V),
    C("vander_increasing", lambda m, a: m.vander(a, 3, True), V),
    C("vander_int", lambda m, a: m.vander(a), XI[0]),
    C("polyval", lambda m, p, x: m.polyval(p, x), V[:4], X),
    C("polyval_int", lambda m, p, x: m.polyval(p, x), XI[0, :3], XI),
    C("polyfit", lambda m, x, y: m.polyfit(x, y, 2), FIT_X, FIT_Y, tol=1e-4),
    C("polyfit_weights_cov", lambda m, x, y, w: m.polyfit(x, y, 3, w=w, cov=True), FIT_X, FIT_Y,
      np.linspace(1, 2, 20).astype(np.float32), tol=1e-4),
    C("polyfit_2d_cov", lambda m, x, y: m.polyfit(x, y, 1, cov=True), FIT_X,
      np.stack([FIT_Y, 2 * FIT_Y], 1), tol=1e-4),
    C("polyfit_cov_unscaled", lambda m, x, y: m.polyfit(x, y, 1, cov="unscaled"), FIT_X, FIT_Y,
      tol=1e-4),
    *[C(f"{op}_{mode}_{tag}", lambda m, a, b, op=op, mode=mode: getattr(m, op)(a, b, mode), a, b)
      for op in ("convolve", "correlate") for mode in ("full", "same", "valid")
      for tag, a, b in (("long_short", V, V[:3]), ("short_long", V[:2], V),
                        ("even", V, V[:4]))],
    C("convolve_int", lambda m, a, b: m.convolve(a, b), XI[0], XI[1]),
]
CASES_BY_NAME = {c.name: c for c in CASES}
assert len(CASES_BY_NAME) == len(CASES), "duplicate case names"


def _irax_args(args):
    return [inp.asarray(a) if isinstance(a, (np.ndarray, np.generic)) else a for a in args]


def _leaves(out):
    return [np.asarray(v) for v in tree_util.tree_leaves(out)]


def _reference(case):
    if case.ref == "jax":
        return case.fn(jnp, *case.args)
    return (case.ref or case.fn)(np, *case.args)


def _jax_dtypes(case):
    """JAX's output dtypes, from abstract evaluation (no XLA compile) where it can."""
    try:
        out = jax.eval_shape(lambda *a: case.fn(jnp, *a), *case.args)
    except jax.errors.ConcretizationTypeError:   # needs concrete values (bincount)
        out = case.fn(jnp, *case.args)
    return [np.dtype(v.dtype) for v in jax.tree_util.tree_leaves(out)]


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_values_match_numpy_and_dtypes_match_jax(case):
    got = _leaves(case.fn(inp, *_irax_args(case.args)))
    want = _leaves(_reference(case))
    dtypes = _jax_dtypes(case)
    assert len(got) == len(want) == len(dtypes), case.name
    for g, w, dt in zip(got, want, dtypes):
        assert g.shape == w.shape, f"{case.name}: shape {g.shape}, NumPy {w.shape}"
        assert g.dtype == dt, f"{case.name}: dtype {g.dtype}, JAX {dt}"
        if g.dtype == np.bool_ or g.dtype.kind in "iu":
            np.testing.assert_array_equal(g, w, err_msg=case.name)
        else:
            np.testing.assert_allclose(g, w, rtol=case.tol, atol=case.tol, err_msg=case.name)


def test_subnormals_follow_numpy():
    """frexp/ldexp of subnormal floats: exact, as NumPy (JAX's CPU build flushes them)."""
    m, e = inp.frexp(inp.asarray(SUBNORMAL))
    wm, we = np.frexp(SUBNORMAL)
    np.testing.assert_array_equal(np.asarray(m), wm)
    np.testing.assert_array_equal(np.asarray(e), we)
    k = np.int32([149, 276, 2])
    np.testing.assert_array_equal(np.asarray(inp.ldexp(inp.asarray(SUBNORMAL), inp.asarray(k))),
                                  np.ldexp(SUBNORMAL, k))


def test_dtype_queries():
    assert inp.result_type(np.int32, 1.0) == np.float32
    assert inp.result_type(inp.ones(2), np.int8) == np.float32
    assert inp.result_type(1) == np.int32 and inp.result_type(True) == np.bool_
    assert inp.result_type(np.int8, 2) == np.int8
    assert inp.promote_types(np.int8, np.uint8) == np.int16
    assert inp.promote_types("float32", inp.float32) == np.float32
    assert inp.can_cast(np.int32, np.float64) and not inp.can_cast(np.float32, np.int32)
    assert inp.iscomplexobj(1j) and not inp.iscomplexobj(inp.ones(2))
    assert inp.isrealobj(3) and inp.isrealobj(inp.ones(2))
    assert inp.array_equal(inp.ones(2), inp.ones(3)) is False
    assert inp.row_stack is inp.vstack


# ---------------------------------------------------------------------------
# one compiled module for the cases that can run under jit


# The op-spec rows compile the differentiable functions (jit, grad, vmap); here the rest:
# integer and bit-level functions, special values, data-dependent indices, loops.
JIT_NAMES = """frexp ldexp_extremes gcd_fibonacci lcm right_shift_unsigned isin nan_to_num fmax
isclose_special pad_edge_3_f32 pad_maximum_1_i32 pad_reflect_odd roll_array_shifts
meshgrid_xy_True block_2x2 cumprod_int nanargmax_1 nanprod_0 cov_weights
histogram_edges_weights_density histogram_range bincount_length interp_period
interp_left_right unravel_index_clipped ravel_multi_index_wrap polyfit_weights_cov
vander_int cross_2 apply_along_axis_middle vectorize_two_outputs put_along_axis_bcast
piecewise_int i0""".split()
JIT_CASES = [CASES_BY_NAME[n] for n in JIT_NAMES]
assert all(c.jit and c.args for c in JIT_CASES)


def test_jit_matches_eager():
    args = [_irax_args(c.args) for c in JIT_CASES]
    flat = [a for arg in args for a in arg]
    sizes = [len(a) for a in args]
    arrays = [i for i, a in enumerate(flat) if isinstance(a, irax.Array)]

    def run(*traced):
        full = list(flat)
        for i, t in zip(arrays, traced):
            full[i] = t
        outs, k = [], 0
        for c, n in zip(JIT_CASES, sizes):
            outs.append(c.fn(inp, *full[k:k + n]))
            k += n
        return outs
    got = irax.jit(run)(*[flat[i] for i in arrays])
    for c, g, a in zip(JIT_CASES, got, args):
        want = _leaves(c.fn(inp, *a))
        g = _leaves(g)
        assert len(g) == len(want), c.name
        for gv, wv in zip(g, want):
            assert gv.shape == wv.shape and gv.dtype == wv.dtype, c.name
            np.testing.assert_allclose(gv, wv, rtol=2e-5, atol=2e-5, equal_nan=True,
                                       err_msg=f"jit of {c.name}")


# ---------------------------------------------------------------------------
# gradients (float64 central differences) and vmap (a Python loop), eagerly


def _grad_cases():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(3, 4))
    v = rng.normal(size=5)
    xp = np.sort(rng.normal(size=6))
    t8 = np.linspace(-1, 1, 8)
    nanified = lambda a: inp.where(a > 1, inp.nan, a)  # noqa: E731
    return {
        "pad_reflect": (lambda a: inp.pad(a, ((3, 5), (2, 7)), "reflect"), x),
        "pad_symmetric_odd": (lambda a: inp.pad(a, 4, "symmetric", reflect_type="odd"), x),
        "pad_wrap": (lambda a: inp.pad(a, 5, "wrap"), x),
        "pad_linear_ramp": (lambda a: inp.pad(a, 2, "linear_ramp", end_values=(1., -1.)), x),
        "pad_mean": (lambda a: inp.pad(a, 2, "mean", stat_length=2), x),
        "pad_maximum": (lambda a: inp.pad(a, 2, "maximum"), x),
        "pad_constant_pairs": (lambda a: inp.pad(a, ((1, 2), (0, 1)),
                                                 constant_values=((1., 2.), (3., 4.))), x),
        "pad_edge": (lambda a: inp.pad(a, 2, "edge"), x),
        "roll": (lambda a: inp.roll(a, (1, -2), (0, 1)), x),
        "roll_array_shift": (lambda a: inp.roll(a, inp.asarray(-3), 1), x),
        "rot90": (lambda a: inp.rot90(a, 3), x),
        "cumprod": (lambda a: inp.cumprod(a, 1), x),
        "nancumprod": (lambda a: inp.nancumprod(nanified(a)), x),
        "nansum": (lambda a: inp.nansum(nanified(a), 0), x),
        "nanmean": (lambda a: inp.nanmean(nanified(a), 1), x),
        "nanvar": (lambda a: inp.nanvar(nanified(a), 1, ddof=1), x),
        "nanstd": (lambda a: inp.nanstd(nanified(a)), x),
        "nanmax": (lambda a: inp.nanmax(nanified(a), 0), x),
        "nanprod": (lambda a: inp.nanprod(nanified(a), 1), x),
        "ptp": (lambda a: inp.ptp(a, 1), x),
        "diff": (lambda a: inp.diff(a, 2, 0, prepend=0.5), x),
        "ediff1d": (lambda a: inp.ediff1d(a, to_begin=1.0), x),
        "kron": (lambda a: inp.kron(a, a[:2, :3]), x),
        "cov_weights": (lambda a: inp.cov(a, aweights=inp.abs(a[0]) + 0.5,
                                          fweights=inp.asarray([1, 2, 1, 3])), x),
        "corrcoef": (lambda a: inp.corrcoef(a), x),
        "average": (lambda a: inp.average(a, 1, inp.abs(a[0]) + 0.5), x),
        "convolve": (lambda a: inp.convolve(a, a[:3] * 2), v),
        "correlate": (lambda a: inp.correlate(a, a[1:3], "full"), v),
        "interp_x": (lambda a: inp.interp(a * 3, inp.asarray(xp), inp.asarray(xp) ** 2), x),
        "interp_xp": (lambda a: inp.interp(inp.asarray(x) * 0.5, inp.cumsum(inp.abs(a)) - 1.5,
                                           inp.asarray(xp)), rng.normal(size=6)),
        "interp_period": (lambda a: inp.interp(a * 3, inp.asarray(xp), inp.asarray(xp) ** 2,
                                               period=2.5), x),
        "histogram_weights": (lambda w: inp.histogram(inp.asarray(x), 3, weights=w,
                                                      density=True)[0], np.abs(x) + 0.1),
        "histogram_edges": (lambda a: inp.histogram(a, 3)[1], x),
        "trapezoid": (lambda a: inp.trapezoid(a, inp.cumsum(inp.abs(a[0])), axis=1), x),
        "vander": (lambda a: inp.vander(a, 4), v),
        "polyval": (lambda a: inp.polyval(a[:3], a), v),
        "polyfit": (lambda a: inp.polyfit(inp.asarray(t8), a, 2), rng.normal(size=8)),
        "polyfit_cov": (lambda a: inp.polyfit(inp.asarray(t8), a, 1, cov=True)[1],
                        rng.normal(size=8)),
        "cross": (lambda a: inp.cross(a[:, :3], a[:, 1:]), x),
        "block": (lambda a: inp.block([[a, a[:, :1]], [a[:1], a[:1, :1]]]), x),
        "logaddexp2": (lambda a: inp.logaddexp2(a, a[::-1]), x),
        "fmax": (lambda a: inp.fmax(a, 0.2), x),
        "copysign": (lambda a: inp.copysign(a, a[::-1]), x),
        "ldexp": (lambda a: inp.ldexp(a, inp.asarray([1, -2, 3, 0])), x),
        "i0": (lambda a: inp.i0(a * 6), x),
        "i0_large": (lambda a: inp.i0(a * 30), x),
        "nan_to_num": (lambda a: inp.nan_to_num(inp.log(a)), np.abs(x)),
        "select": (lambda a: inp.select([a > 0.5, a < -0.5], [a * a, -a], 1.0), x),
        "piecewise": (lambda a: inp.piecewise(a, [a < 0], [inp.sin, lambda t: t ** 3]), x),
        "put_along_axis": (lambda a: inp.put_along_axis(a, inp.asarray([[0], [2], [1]]),
                                                        a[:, 3:] * 2, 1, inplace=False), x),
        "apply_along_axis": (lambda a: inp.apply_along_axis(lambda r: r * inp.sum(r ** 2), 0,
                                                            a), x),
        "vectorize": (lambda a: inp.vectorize(lambda r, s: inp.sum(r * s),
                                              signature="(n),(n)->()")(a, a[1]), x),
        "meshgrid": (lambda a: inp.meshgrid(a[0], a[1, :2])[0] * inp.meshgrid(a[0],
                                                                          a[1, :2])[1], x),
        "column_stack": (lambda a: inp.column_stack([a[0], a[:2].T]), x),
        "dstack": (lambda a: inp.dstack([a, a * 2]), x),
    }


GRAD_CASES = _grad_cases()


def _weighted_sum(f):
    def loss(a):
        out = inp.asarray(f(a))
        w = np.linspace(0.5, 1.5, out.size).reshape(out.shape)
        return inp.sum(out * inp.asarray(w))
    return loss


@pytest.mark.parametrize("name", sorted(GRAD_CASES))
def test_grad_matches_central_differences(name, x64):
    f, x = GRAD_CASES[name]
    x = np.asarray(x, np.float64)
    loss = _weighted_sum(f)
    g = np.asarray(irax.grad(loss)(inp.asarray(x)))
    assert g.shape == x.shape and g.dtype == np.float64
    d = np.random.default_rng(3).normal(size=x.shape)
    eps = 1e-6
    fd = (float(loss(inp.asarray(x + eps * d))) - float(loss(inp.asarray(x - eps * d)))) / (2 * eps)
    np.testing.assert_allclose(np.vdot(g, d), fd, rtol=1e-6, atol=1e-6, err_msg=name)


@pytest.mark.parametrize("name", sorted(GRAD_CASES))
def test_vmap_matches_loop(name):
    f, x = GRAD_CASES[name]
    x = np.asarray(x, np.float32)
    xs = np.stack([x, x * 0.7 + 0.1, x * 1.3 - 0.2])
    got = irax.vmap(f)(inp.asarray(xs))
    for b in range(3):
        want = _leaves(f(inp.asarray(xs[b])))
        for g, w in zip(_leaves(got), want):
            assert g.dtype == w.dtype, name
            np.testing.assert_allclose(g[b], w, rtol=1e-5, atol=1e-5, equal_nan=True,
                                       err_msg=f"vmap of {name}, example {b}")


def test_gcd_under_vmap():
    a, b = inp.asarray(XI), inp.asarray(YI)
    want = np.gcd(XI, YI)
    np.testing.assert_array_equal(np.asarray(irax.vmap(inp.gcd)(a, b)), want)
    np.testing.assert_array_equal(np.asarray(irax.vmap(inp.gcd, in_axes=(0, None))(a, b[0])),
                                  np.gcd(XI, YI[0]))


# ---------------------------------------------------------------------------
# errors: the exception type JAX raises, naming the problem


ERRORS = [
    (lambda: inp.pad(inp.ones(3), -1), ValueError, "negative"),
    (lambda: inp.pad(inp.ones(3), 1.5), TypeError, "integral"),
    (lambda: inp.pad(inp.ones((2, 2)), ((1, 2, 3),)), ValueError, "pad_width"),
    (lambda: inp.pad(inp.ones(3), 1, "bogus"), ValueError, "bogus"),
    (lambda: inp.pad(inp.ones(3), 1, "edge", constant_values=1), ValueError, "constant_values"),
    (lambda: inp.pad(inp.ones(3), 1, "median"), NotImplementedError, "median"),
    (lambda: inp.pad(inp.ones(0), 1, "wrap"), ValueError, "empty axis"),
    (lambda: inp.pad(inp.ones(3), 1, "reflect", reflect_type="up"), ValueError, "reflect_type"),
    (lambda: inp.rot90(inp.ones((2, 2)), axes=(0, 0)), ValueError, "different"),
    (lambda: inp.meshgrid(inp.ones((2, 2))), ValueError, "1D"),
    (lambda: inp.meshgrid(inp.ones(2), indexing="yx"), ValueError, "indexing"),
    (lambda: inp.diff(inp.ones(3), -1), ValueError, "non-negative"),
    (lambda: inp.diff(inp.asarray(1.0)), ValueError, "one dimensional"),
    (lambda: inp.convolve(inp.ones((2, 2)), inp.ones(2)), ValueError, "1-dimensional"),
    (lambda: inp.convolve(inp.ones(3), inp.ones(2), "wide"), ValueError, "mode"),
    (lambda: inp.bincount(inp.ones(3)), TypeError, "integer"),
    (lambda: irax.jit(lambda i: inp.bincount(i))(inp.asarray([1, 2])),
     irax.ConcretizationTypeError, "length"),
    (lambda: irax.jit(lambda i: inp.ravel_multi_index((i,), (3,)))(inp.asarray([1])),
     irax.ConcretizationTypeError, "mode='wrap'"),
    (lambda: inp.ravel_multi_index((inp.asarray([3]),), (3,)), ValueError, "invalid entry"),
    (lambda: inp.put_along_axis(inp.ones(3), inp.asarray([0]), 1.0, 0), ValueError, "inplace"),
    (lambda: inp.cross(inp.ones(4), inp.ones(3)), ValueError, "2 or 3"),
    (lambda: inp.gcd(inp.ones(2), inp.ones(2)), TypeError, "integer"),
    (lambda: inp.ldexp(inp.ones(2), inp.ones(2)), TypeError, "integer"),
    (lambda: inp.select([inp.ones(2) > 0], []), ValueError, "length"),
    (lambda: inp.average(inp.ones((2, 3)), weights=inp.ones(3)), ValueError, "Axis"),
    (lambda: inp.average(inp.ones((2, 3)), 1, inp.ones(2)), ValueError, "consistent"),
    (lambda: inp.block([[inp.ones(2)], inp.ones(2)]), ValueError, "depths"),
    (lambda: inp.block((inp.ones(2),)), TypeError, "tuple"),
    (lambda: inp.vsplit(inp.ones(3), 3), ValueError, "2 or more"),
    (lambda: inp.diag_indices_from(inp.ones((2, 3))), ValueError, "equal length"),
    (lambda: inp.histogram(inp.ones(3), 2, range=(0, 1, 2)), ValueError, "range"),
    (lambda: inp.interp(inp.ones(2), inp.ones(3), inp.ones(2)), ValueError, "same length"),
    (lambda: inp.vectorize(lambda a: a, signature="(n)->()")(inp.asarray(1.0)), ValueError,
     "core dimensions"),
    (lambda: inp.vectorize(lambda a, b: a, signature="(n),(n)->()")(inp.ones(2), inp.ones(3)),
     ValueError, "inconsistent size"),
    (lambda: inp.polyfit(inp.ones(3), inp.ones(3), 1, full=True), NotImplementedError, "SVD"),
]


@pytest.mark.parametrize("k", range(len(ERRORS)))
def test_bad_input_raises_clear_errors(k):
    fn, exc, text = ERRORS[k]
    with pytest.raises(exc, match=text):
        fn()
