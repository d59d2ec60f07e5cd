"""One table of operations under test, shared by the tracer tests and the jit tests.

Each OpSpec names an irax function (built from irax.numpy / irax.nn), how to make its
arguments (shapes, kinds, value ranges), an independent NumPy reference, and which
checks apply. The table is data: it imports no test framework and no IREE.

    for spec in OPS:
        args = make_args(spec, np.random.default_rng(0))        # float32 NumPy arrays
        want = spec.np_fn(*args)
        got = spec.fn(*args)

Argument kinds:
  "float"    uniform in [low, high]                (differentiated)
  "nonzero"  |x| uniform in [low, high], random sign (differentiated; e.g. away from a kink)
  "int"      integers in [low, high]               (not differentiated)
  "index"    integers in [low, high], used as indices (not differentiated)
  "bool"     random booleans                       (not differentiated)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

import irax.numpy as jnp
from irax import lax, nn

FLOAT_KINDS = ("float", "nonzero")


@dataclass(frozen=True)
class Arg:
    shape: tuple[int, ...]
    kind: str = "float"
    low: float = -2.0
    high: float = 2.0


@dataclass(frozen=True)
class OpSpec:
    name: str
    fn: Callable[..., Any]
    args: tuple[Arg, ...]
    np_fn: Callable[..., Any]
    differentiable: bool = True     # jvp / vjp checks apply (to the float arguments)
    batchable: bool = True          # vmap checks apply
    tol: float = 1e-5               # eager (float32) comparison tolerance, rtol and atol
    grad_tol: float = 1e-6          # float64 derivative checks tolerance
    tags: tuple[str, ...] = field(default_factory=tuple)

    @property
    def diff_argnums(self) -> tuple[int, ...]:
        if not self.differentiable:
            return ()
        return tuple(i for i, a in enumerate(self.args) if a.kind in FLOAT_KINDS)

    def __repr__(self) -> str:   # pytest ids
        return self.name


def make_arg(a: Arg, rng: np.random.Generator, float_dtype=np.float32,
             batch: tuple[int, ...] = ()) -> np.ndarray:
    shape = batch + tuple(a.shape)
    if a.kind == "float":
        return rng.uniform(a.low, a.high, shape).astype(float_dtype)
    if a.kind == "nonzero":
        mag = rng.uniform(a.low, a.high, shape)
        return (mag * rng.choice([-1.0, 1.0], shape)).astype(float_dtype)
    if a.kind in ("int", "index"):
        return rng.integers(int(a.low), int(a.high) + 1, shape).astype(np.int32)
    if a.kind == "bool":
        return rng.random(shape) < 0.5
    raise ValueError(f"unknown argument kind {a.kind!r}")


def make_args(spec: OpSpec, rng: np.random.Generator, float_dtype=np.float32,
              batch: tuple[int, ...] = ()) -> list[np.ndarray]:
    return [make_arg(a, rng, float_dtype, batch) for a in spec.args]


# ---------------------------------------------------------------------------
# Helpers for the table

def S(*shape, **kw) -> Arg:
    return Arg(tuple(shape), **kw)


POS = dict(low=0.5, high=2.0)
UNIT = dict(low=-0.9, high=0.9)
NZ = dict(kind="nonzero", low=0.5, high=2.0)


def _np_logaddexp(x, y):
    return np.logaddexp(x, y)


def _np_softplus(x):
    return np.logaddexp(x, 0)


def _np_logsumexp(x, axis=None, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else (np.squeeze(out, axis=axis) if axis is not None else out.reshape(()))


def _np_softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def _np_log_softmax(x, axis=-1):
    s = x - np.max(x, axis=axis, keepdims=True)
    return s - np.log(np.sum(np.exp(s), axis=axis, keepdims=True))


def _np_sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _ew(name, fn, np_fn, *shapes_or_args, **kw):
    return OpSpec(name, fn, tuple(shapes_or_args), np_fn, **kw)


def _unary_specs():
    u = []
    for name, dom in [("sin", {}), ("cos", {}), ("tan", dict(low=-1.2, high=1.2)),
                      ("arcsin", UNIT), ("arccos", UNIT), ("arctan", {}), ("sinh", {}),
                      ("cosh", {}), ("tanh", {}), ("exp", {}), ("expm1", {}), ("log", POS),
                      ("log1p", dict(low=-0.5, high=2.0)), ("log2", POS), ("log10", POS),
                      ("sqrt", POS), ("square", {}), ("negative", {}), ("reciprocal", NZ),
                      ("abs", NZ), ("sign", NZ), ("floor", {}), ("ceil", {}), ("round", {}),
                      ("arcsinh", {}), ("arccosh", dict(low=1.2, high=3.0)),
                      ("arctanh", UNIT), ("cbrt", POS), ("exp2", {})]:
        np_fn = getattr(np, name)
        u.append(_ew(name, getattr(jnp, name), np_fn, S(2, 3, **dom)))
    u.append(_ew("sin_scalar", jnp.sin, np.sin, S()))
    u.append(_ew("exp_vec", jnp.exp, np.exp, S(5)))
    return u


def _binary_specs():
    b = []
    for name, dy in [("add", {}), ("subtract", {}), ("multiply", {}), ("divide", NZ),
                     ("true_divide", NZ), ("maximum", {}), ("minimum", {}),
                     ("arctan2", NZ), ("logaddexp", {})]:
        np_fn = getattr(np, name)
        b.append(_ew(name, getattr(jnp, name), np_fn, S(2, 3), S(2, 3, **dy)))
    # broadcasting variants
    b.append(_ew("add_bcast", jnp.add, np.add, S(2, 3), S(3)))
    b.append(_ew("multiply_bcast_col", jnp.multiply, np.multiply, S(2, 1), S(1, 3)))
    b.append(_ew("divide_bcast_scalar", jnp.divide, np.divide, S(2, 3), S(**NZ)))
    b.append(_ew("power", jnp.power, np.power, S(2, 3, **POS), S(2, 3)))
    b.append(_ew("power_int", lambda x: jnp.power(x, 3), lambda x: np.power(x, 3), S(2, 3)))
    b.append(_ew("power_neg_int", lambda x: jnp.power(x, -2), lambda x: np.power(x, -2.0),
                 S(2, 3, **NZ)))
    b.append(_ew("pow_operator_float", lambda x: x ** 1.5, lambda x: x ** 1.5, S(3, **POS)))
    b.append(_ew("floor_divide", jnp.floor_divide, np.floor_divide, S(2, 3, low=-5, high=5),
                 S(2, 3, **NZ)))
    b.append(_ew("mod", jnp.mod, np.mod, S(2, 3, low=-5, high=5), S(2, 3, **NZ)))
    b.append(_ew("floor_divide_int", jnp.floor_divide, np.floor_divide,
                 S(2, 3, kind="int", low=-7, high=7), S(2, 3, kind="int", low=1, high=3)))
    b.append(_ew("mod_int", jnp.mod, np.mod, S(2, 3, kind="int", low=-7, high=7),
                 S(2, 3, kind="int", low=-3, high=-1)))
    b.append(_ew("add_int", jnp.add, np.add, S(4, kind="int", low=-9, high=9),
                 S(4, kind="int", low=-9, high=9)))
    b.append(_ew("clip", lambda x: jnp.clip(x, -1.0, 1.0), lambda x: np.clip(x, -1, 1), S(2, 3)))
    b.append(_ew("clip_arrays", jnp.clip, np.clip, S(4), S(4, low=-3, high=-1),
                 S(4, low=1, high=3)))
    # lax.clamp binds its own `clamp` primitive (scalar or operand-shaped bounds)
    b.append(_ew("lax_clamp", lambda x: lax.clamp(-1.0, x, 1.0), lambda x: np.clip(x, -1, 1),
                 S(2, 3)))
    b.append(_ew("lax_clamp_arrays", lax.clamp, lambda lo, x, hi: np.minimum(np.maximum(x, lo),
                                                                            hi),
                 S(4, low=-2, high=0), S(4, low=-3, high=3), S(4, low=0.5, high=2)))
    b.append(_ew("where", jnp.where, np.where, S(2, 3, kind="bool"), S(2, 3), S(2, 3)))
    b.append(_ew("where_bcast", jnp.where, np.where, S(3, kind="bool"), S(2, 3), S()))
    b.append(_ew("where_scalar_branch", lambda c, x: jnp.where(c, x, 0.0),
                 lambda c, x: np.where(c, x, 0.0), S(2, 3, kind="bool"), S(2, 3)))
    for name in ["equal", "not_equal", "less", "less_equal", "greater", "greater_equal"]:
        b.append(_ew(name, getattr(jnp, name), getattr(np, name),
                     S(2, 3, kind="int", low=0, high=2), S(2, 3, kind="int", low=0, high=2),
                     differentiable=False))
        b.append(_ew(name + "_float", getattr(jnp, name), getattr(np, name), S(2, 3), S(3),
                     differentiable=False))
    for name in ["logical_and", "logical_or"]:
        b.append(_ew(name, getattr(jnp, name), getattr(np, name), S(2, 3, kind="bool"),
                     S(2, 3, kind="bool"), differentiable=False))
    b.append(_ew("logical_not", jnp.logical_not, np.logical_not, S(2, 3, kind="bool"),
                 differentiable=False))
    b.append(_ew("isnan", lambda x: jnp.isnan(jnp.log(x)), lambda x: np.isnan(np.log(np.where(x > 0, x, np.nan))),
                 S(2, 3), differentiable=False))
    b.append(_ew("isfinite", lambda x: jnp.isfinite(jnp.log(x)),
                 lambda x: np.isfinite(np.log(np.where(x > 0, x, np.nan))), S(2, 3), differentiable=False))
    return b


def _reduction_specs():
    r = []
    for name in ["sum", "mean", "max", "min", "prod", "var", "std"]:
        jf, nf = getattr(jnp, name), getattr(np, name)
        dom = NZ if name == "prod" else {}
        r.append(_ew(f"{name}_all", jf, nf, S(2, 3, **dom)))
        r.append(_ew(f"{name}_axis1", lambda x, jf=jf: jf(x, axis=1),
                     lambda x, nf=nf: nf(x, axis=1), S(2, 3, **dom)))
        r.append(_ew(f"{name}_axis_neg_keepdims", lambda x, jf=jf: jf(x, axis=-2, keepdims=True),
                     lambda x, nf=nf: nf(x, axis=-2, keepdims=True), S(2, 3, 4, **dom)))
        r.append(_ew(f"{name}_axes_tuple", lambda x, jf=jf: jf(x, axis=(0, 2)),
                     lambda x, nf=nf: nf(x, axis=(0, 2)), S(2, 3, 4, **dom)))
    r.append(_ew("prod_with_zero", lambda x: jnp.prod(x * jnp.array([1., 0., 1.]), axis=1),
                 lambda x: np.prod(x * np.array([1., 0., 1.], x.dtype), axis=1), S(2, 3)))
    r.append(_ew("prod_two_zeros", lambda x: jnp.prod(x * jnp.array([0., 1., 0.])),
                 lambda x: np.prod(x * np.array([0., 1., 0.], x.dtype)), S(3)))
    r.append(_ew("sum_int", jnp.sum, np.sum, S(2, 3, kind="int", low=-5, high=5)))
    r.append(_ew("argmax", lambda x: jnp.argmax(x, axis=1), lambda x: np.argmax(x, axis=1),
                 S(3, 4), differentiable=False))
    r.append(_ew("argmin_flat", jnp.argmin, np.argmin, S(3, 4), differentiable=False))
    r.append(_ew("argmax_keepdims", lambda x: jnp.argmax(x, axis=0, keepdims=True),
                 lambda x: np.argmax(x, axis=0, keepdims=True), S(3, 4), differentiable=False))
    r.append(_ew("cumsum", lambda x: jnp.cumsum(x, axis=1), lambda x: np.cumsum(x, axis=1),
                 S(2, 4)))
    r.append(_ew("cumsum_flat", jnp.cumsum, np.cumsum, S(2, 3)))
    r.append(_ew("norm", jnp.linalg.norm, np.linalg.norm, S(5)))
    r.append(_ew("norm_axis", lambda x: jnp.linalg.norm(x, axis=1),
                 lambda x: np.linalg.norm(x, axis=1), S(3, 4)))
    r.append(_ew("norm_fro", jnp.linalg.norm, np.linalg.norm, S(3, 4)))
    r.append(_ew("norm_ord1", lambda x: jnp.linalg.norm(x, ord=1),
                 lambda x: np.linalg.norm(x, ord=1), S(5, **NZ)))
    return r


def _linalg_specs():
    m = [
        _ew("dot_vv", jnp.dot, np.dot, S(4), S(4)),
        _ew("dot_mv", jnp.dot, np.dot, S(3, 4), S(4)),
        _ew("dot_mm", jnp.dot, np.dot, S(3, 4), S(4, 2)),
        _ew("matmul_mm", jnp.matmul, np.matmul, S(3, 4), S(4, 2)),
        _ew("matmul_vm", jnp.matmul, np.matmul, S(4), S(4, 2)),
        _ew("matmul_mv", jnp.matmul, np.matmul, S(3, 4), S(4)),
        _ew("matmul_batched_bcast", jnp.matmul, np.matmul, S(2, 3, 4), S(4, 5)),
        _ew("matmul_batched", jnp.matmul, np.matmul, S(2, 3, 4), S(2, 4, 5)),
        _ew("matmul_operator", lambda a, b: a @ b, lambda a, b: a @ b, S(3, 4), S(4, 2)),
        _ew("tensordot", jnp.tensordot, np.tensordot, S(2, 3, 4), S(3, 4, 5)),
        _ew("tensordot_axes", lambda a, b: jnp.tensordot(a, b, axes=([0], [1])),
            lambda a, b: np.tensordot(a, b, axes=([0], [1])), S(3, 2), S(4, 3)),
        _ew("outer", jnp.outer, np.outer, S(3), S(4)),
        _ew("einsum_matmul", lambda a, b: jnp.einsum("ij,jk->ik", a, b),
            lambda a, b: np.einsum("ij,jk->ik", a, b), S(3, 4), S(4, 2)),
        _ew("einsum_batch", lambda a, b: jnp.einsum("bij,bjk->bik", a, b),
            lambda a, b: np.einsum("bij,bjk->bik", a, b), S(2, 3, 4), S(2, 4, 2)),
        _ew("einsum_trace_out", lambda a: jnp.einsum("ij->j", a),
            lambda a: np.einsum("ij->j", a), S(3, 4)),
        _ew("einsum_implicit", lambda a, b: jnp.einsum("ij,kj", a, b),
            lambda a, b: np.einsum("ij,kj", a, b), S(3, 4), S(2, 4)),
        _ew("einsum_three", lambda a, b, c: jnp.einsum("ij,jk,k->i", a, b, c),
            lambda a, b, c: np.einsum("ij,jk,k->i", a, b, c), S(2, 3), S(3, 4), S(4)),
    ]
    return m


def _shape_specs():
    s = [
        _ew("transpose", jnp.transpose, np.transpose, S(2, 3, 4)),
        _ew("transpose_axes", lambda x: jnp.transpose(x, (1, 0, 2)),
            lambda x: np.transpose(x, (1, 0, 2)), S(2, 3, 4)),
        _ew("T", lambda x: x.T, lambda x: x.T, S(2, 3)),
        _ew("swapaxes", lambda x: jnp.swapaxes(x, 0, 2), lambda x: np.swapaxes(x, 0, 2),
            S(2, 3, 4)),
        _ew("moveaxis", lambda x: jnp.moveaxis(x, 0, -1), lambda x: np.moveaxis(x, 0, -1),
            S(2, 3, 4)),
        _ew("moveaxis_multi", lambda x: jnp.moveaxis(x, (0, 1), (2, 0)),
            lambda x: np.moveaxis(x, (0, 1), (2, 0)), S(2, 3, 4)),
        _ew("reshape", lambda x: jnp.reshape(x, (3, -1)), lambda x: np.reshape(x, (3, -1)),
            S(2, 3, 2)),
        _ew("reshape_method", lambda x: x.reshape(6), lambda x: x.reshape(6), S(2, 3)),
        _ew("ravel", jnp.ravel, np.ravel, S(2, 3)),
        _ew("squeeze", jnp.squeeze, np.squeeze, S(1, 3, 1)),
        _ew("squeeze_axis", lambda x: jnp.squeeze(x, axis=-1), lambda x: np.squeeze(x, axis=-1),
            S(1, 3, 1)),
        _ew("expand_dims", lambda x: jnp.expand_dims(x, 1), lambda x: np.expand_dims(x, 1),
            S(2, 3)),
        _ew("expand_dims_neg", lambda x: jnp.expand_dims(x, -1),
            lambda x: np.expand_dims(x, -1), S(2, 3)),
        _ew("broadcast_to", lambda x: jnp.broadcast_to(x, (4, 2, 3)),
            lambda x: np.broadcast_to(x, (4, 2, 3)), S(2, 1)),
        _ew("concatenate", lambda a, b: jnp.concatenate([a, b], axis=1),
            lambda a, b: np.concatenate([a, b], axis=1), S(2, 3), S(2, 1)),
        _ew("concatenate_axis0", lambda a, b: jnp.concatenate([a, b]),
            lambda a, b: np.concatenate([a, b]), S(2, 3), S(1, 3)),
        _ew("stack", lambda a, b: jnp.stack([a, b]), lambda a, b: np.stack([a, b]),
            S(2, 3), S(2, 3)),
        _ew("stack_axis_neg", lambda a, b: jnp.stack([a, b], axis=-1),
            lambda a, b: np.stack([a, b], axis=-1), S(2, 3), S(2, 3)),
        _ew("split", lambda x: jnp.split(x, 3, axis=1), lambda x: np.split(x, 3, axis=1),
            S(2, 6)),
        _ew("split_indices", lambda x: jnp.split(x, [1, 3]), lambda x: np.split(x, [1, 3]),
            S(5, 2)),
        _ew("take", lambda x, i: jnp.take(x, i, axis=1), lambda x, i: np.take(x, i, axis=1),
            S(2, 5), S(3, kind="index", low=0, high=4)),
        _ew("take_neg", lambda x, i: jnp.take(x, i, axis=0),
            lambda x, i: np.take(x, i, axis=0), S(5, 2), S(4, kind="index", low=-5, high=4)),
        _ew("take_flat", lambda x, i: jnp.take(x, i), lambda x, i: np.take(x, i),
            S(2, 3), S(2, 2, kind="index", low=0, high=5)),
        _ew("zeros_like", jnp.zeros_like, np.zeros_like, S(2, 3)),
        _ew("ones_like", jnp.ones_like, np.ones_like, S(2, 3)),
        _ew("full_like", lambda x: jnp.full_like(x, 2.5), lambda x: np.full_like(x, 2.5),
            S(2, 3)),
        _ew("astype_int", lambda x: x.astype(jnp.int32), lambda x: x.astype(np.int32),
            S(2, 3, low=-5, high=5), differentiable=False),
        _ew("astype_roundtrip", lambda x: (x.astype(jnp.int32) * x),
            lambda x: (x.astype(np.int32) * x), S(2, 3, low=-5, high=5)),
    ]
    return s


def _index_specs():
    idx = [
        ("int", lambda x: x[1]),
        ("neg_int", lambda x: x[-1, 2]),
        ("slice", lambda x: x[1:3]),
        ("slice_step", lambda x: x[::2, 1::2]),
        ("slice_neg_step", lambda x: x[::-1, -1:0:-2]),
        ("slice_neg_bounds", lambda x: x[-3:-1, :-2]),
        ("none", lambda x: x[None, :, None]),
        ("ellipsis", lambda x: x[..., 1]),
        ("ellipsis_none", lambda x: x[1, ..., None]),
        ("int_array", lambda x: x[np.array([0, 2, 2])]),
        ("int_array_neg", lambda x: x[:, np.array([-1, 0])]),
        ("int_array_2d", lambda x: x[np.array([[0, 1], [3, 2]])]),
        ("list_index", lambda x: x[[1, 0], :]),
        ("two_int_arrays", lambda x: x[np.array([0, 1, 3]), np.array([4, 0, 2])]),
        ("bool_mask_concrete", lambda x: x[np.array([True, False, True, False])]),
    ]
    out = []
    for name, f in idx:
        out.append(OpSpec(f"getitem_{name}", f, (S(4, 5),), f,
                          batchable=name != "bool_mask_concrete"))
    out.append(OpSpec("getitem_traced_int_array", lambda x, i: x[i], (S(4, 5), S(3, kind="index",
                      low=-4, high=3)), lambda x, i: x[i]))
    return out + _scatter_gather_bounds_specs()


def _np_clamped(i, n):
    """JAX's retrieval index: a negative index wraps once, then it clamps into [0, n-1]."""
    i = np.asarray(i).astype(np.int64)
    return np.clip(np.where(i < 0, i + n, i), 0, n - 1)


def _np_scatter(x, i, v, ufunc):
    """JAX's scatter: negative indices wrap once, out-of-bounds updates are dropped."""
    out = x.copy()
    i = np.asarray(i).astype(np.int64)
    i = np.where(i < 0, i + x.shape[0], i)
    keep = (i >= 0) & (i < x.shape[0])
    v = np.broadcast_to(v, i.shape)
    if ufunc is None:
        out[i[keep]] = v[keep]          # distinct indices in the specs using it
    else:
        ufunc.at(out, i[keep], v[keep])
    return out


def _np_take_fill(x, i, fill):
    i = np.asarray(i).astype(np.int64)
    i = np.where(i < 0, i + x.shape[0], i)
    ok = (i >= 0) & (i < x.shape[0])
    return np.where(ok, x[np.clip(i, 0, x.shape[0] - 1)], fill)


SET_IDX = np.array([3, -1, 9, 0])      # distinct after wrapping; 9 is dropped
MINMAX_IDX = np.array([0, 0, -5, 3, 7])


def _scatter_gather_bounds_specs():
    """Out-of-bounds, negative and repeated indices (issue 10): gathers clamp (take fills),
    scatters drop; the scatter primitive's set / mul / min / max combiners."""
    return [
        _ew("getitem_traced_out_of_bounds", lambda x, i: x[i],
            lambda x, i: x[_np_clamped(i, 5)], S(5), S(6, kind="index", low=-9, high=9)),
        _ew("take_fill_out_of_bounds", lambda x, i: jnp.take(x, i, fill_value=0.5),
            lambda x, i: _np_take_fill(x, i, 0.5), S(5), S(6, kind="index", low=-9, high=9)),
        _ew("at_add_traced_out_of_bounds", lambda x, i, v: x.at[i].add(v),
            lambda x, i, v: _np_scatter(x, i, v, np.add), S(5),
            S(6, kind="index", low=-9, high=9), S(6)),
        _ew("at_set_scatter", lambda x, v: x.at[SET_IDX].set(v),
            lambda x, v: _np_scatter(x, SET_IDX, v, None), S(5), S(4)),
        _ew("at_multiply", lambda x, v: x.at[SET_IDX].multiply(v, unique_indices=True),
            lambda x, v: _np_scatter(x, SET_IDX, v, np.multiply), S(5), S(4)),
        _ew("at_min_repeated", lambda x, v: x.at[MINMAX_IDX].min(v),
            lambda x, v: _np_scatter(x, MINMAX_IDX, v, np.minimum), S(5), S(5)),
        _ew("at_max_repeated", lambda x, v: x.at[MINMAX_IDX].max(v),
            lambda x, v: _np_scatter(x, MINMAX_IDX, v, np.maximum), S(5), S(5)),
        _ew("at_set_bool", lambda b, c: b.at[SET_IDX].set(c),
            lambda b, c: _np_scatter(b, SET_IDX, c, None), S(5, kind="bool"),
            S(4, kind="bool"), differentiable=False),
        _ew("at_set_traced_scalar", lambda x, i: x.at[i].set(-3.0),
            lambda x, i: _np_scatter(x, i, np.float64(-3.0), None), S(5),
            S(kind="index", low=-9, high=9)),
    ]


def _nn_specs():
    return [
        _ew("relu", nn.relu, lambda x: np.maximum(x, 0), S(2, 3, **NZ)),
        _ew("sigmoid", nn.sigmoid, _np_sigmoid, S(2, 3)),
        _ew("softplus", nn.softplus, _np_softplus, S(2, 3)),
        _ew("log_sigmoid", nn.log_sigmoid, lambda x: -_np_softplus(-x), S(2, 3)),
        _ew("softmax", nn.softmax, _np_softmax, S(2, 4)),
        _ew("softmax_axis0", lambda x: nn.softmax(x, axis=0), lambda x: _np_softmax(x, axis=0),
            S(3, 4)),
        _ew("log_softmax", nn.log_softmax, _np_log_softmax, S(2, 4)),
        _ew("logsumexp", nn.logsumexp, _np_logsumexp, S(2, 4)),
        _ew("logsumexp_axis", lambda x: nn.logsumexp(x, axis=1),
            lambda x: _np_logsumexp(x, axis=1), S(2, 4)),
        _ew("logsumexp_keepdims", lambda x: nn.logsumexp(x, axis=0, keepdims=True),
            lambda x: _np_logsumexp(x, axis=0, keepdims=True), S(2, 4)),
        _ew("logsumexp_large", lambda x: nn.logsumexp(x * 100.0),
            lambda x: _np_logsumexp(x * 100.0), S(4)),
    ]


def _np_pad(x, padval, config):
    """lax.pad reference: interior padding by index arithmetic, then lo/hi (negative = crop)."""
    for ax, (lo, hi, interior) in enumerate(config):
        n = x.shape[ax]
        size = n + max(n - 1, 0) * interior
        shape = list(x.shape)
        shape[ax] = size
        y = np.full(shape, padval, x.dtype)
        idx = [slice(None)] * x.ndim
        idx[ax] = slice(0, size, interior + 1)
        y[tuple(idx)] = x
        before = [(0, 0)] * x.ndim
        before[ax] = (max(lo, 0), max(hi, 0))
        y = np.pad(y, before, constant_values=padval)
        idx = [slice(None)] * x.ndim
        idx[ax] = slice(-min(lo, 0), y.shape[ax] + min(hi, 0))
        x = y[tuple(idx)]
    return x


def _np_start(i, n, size):
    """lax.dynamic_slice's start: a negative one wraps once, then it clamps so the window fits."""
    i = int(i)
    return int(np.clip(i + n if i < 0 else i, 0, n - size))


def _np_dus(x, u, i, j):
    i = _np_start(i, x.shape[0], u.shape[0])
    j = _np_start(j, x.shape[1], u.shape[1])
    out = x.copy()
    out[i:i + u.shape[0], j:j + u.shape[1]] = u
    return out


def _np_ds(x, i, j):
    i = _np_start(i, x.shape[0], 2)
    j = _np_start(j, x.shape[1], 2)
    return x[i:i + 2, j:j + 2]


def _lax_and_more_specs():
    from irax import lax
    import math as _m
    pad_cfg = ((1, -1, 1), (-1, 2, 0))
    erf = np.vectorize(_m.erf)
    return [
        _ew("lax_pad", lambda x, v: lax.pad(x, v, pad_cfg), lambda x, v: _np_pad(x, v, pad_cfg),
            S(3, 4), S()),
        _ew("lax_dynamic_slice", lambda x, i, j: lax.dynamic_slice(x, (i, j), (2, 2)),
            lambda x, i, j: _np_ds(x, i, j), S(4, 5), S(kind="int", low=-1, high=4),
            S(kind="int", low=0, high=5)),
        _ew("lax_dynamic_update_slice", lambda x, u, i, j: lax.dynamic_update_slice(x, u, (i, j)),
            _np_dus, S(4, 5), S(2, 3), S(kind="int", low=-1, high=3),
            S(kind="int", low=0, high=4)),
        _ew("lax_rev", lambda x: lax.rev(x, (0, 1)), lambda x: x[::-1, ::-1], S(2, 3)),
        _ew("lax_integer_pow", lambda x: lax.integer_pow(x, 5), lambda x: x ** 5, S(3)),
        _ew("lax_rsqrt", lax.rsqrt, lambda x: 1 / np.sqrt(x), S(3, **POS)),
        _ew("lax_erf", lax.erf, lambda x: erf(x), S(3)),
        _ew("lax_logistic", lax.logistic, _np_sigmoid, S(3)),
        _ew("lax_cumsum_reverse", lambda x: lax.cumsum(x, 1, reverse=True),
            lambda x: np.flip(np.cumsum(np.flip(x, 1), 1), 1), S(2, 3)),
        _ew("flip", lambda x: jnp.flip(x, 1), lambda x: np.flip(x, 1), S(2, 3)),
        _ew("tile", lambda x: jnp.tile(x, (2, 1)), lambda x: np.tile(x, (2, 1)), S(2, 3)),
        _ew("repeat", lambda x: jnp.repeat(x, 2, axis=1), lambda x: np.repeat(x, 2, axis=1),
            S(2, 3)),
        _ew("diag", jnp.diag, np.diag, S(3)),
        _ew("diag_k", lambda x: jnp.diag(x, -1), lambda x: np.diag(x, -1), S(3)),
        _ew("diagonal", jnp.diagonal, np.diagonal, S(3, 4)),
        _ew("tril", jnp.tril, np.tril, S(3, 3)),
        _ew("triu", lambda x: jnp.triu(x, 1), lambda x: np.triu(x, 1), S(3, 4)),
        _ew("trace", jnp.trace, np.trace, S(3, 3)),
        _ew("hypot", jnp.hypot, np.hypot, S(3, **NZ), S(3)),
        _ew("sinc", jnp.sinc, np.sinc, S(3, **NZ)),
        _ew("trunc", jnp.trunc, np.trunc, S(3, low=-3, high=3)),
        _ew("any", lambda b: jnp.any(b, axis=1), lambda b: np.any(b, axis=1),
            S(3, 2, kind="bool")),
        _ew("all", jnp.all, np.all, S(3, 2, kind="bool")),
        _ew("at_set", lambda x, v: x.at[1:3].set(v), lambda x, v: np.concatenate(
            [x[:1], v, x[3:]]), S(4), S(2)),
        _ew("at_add_repeated", lambda x, v: x.at[np.array([0, 0, 2])].add(v),
            lambda x, v: x + np.array([v[0] + v[1], 0, v[2], 0], x.dtype), S(4), S(3)),
        _ew("silu", nn.silu, lambda x: x * _np_sigmoid(x), S(3)),
        _ew("gelu", nn.gelu, lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (
            x + 0.044715 * x ** 3))), S(3)),
        _ew("gelu_exact", lambda x: nn.gelu(x, approximate=False),
            lambda x: 0.5 * x * (1 + erf(x / np.sqrt(2))), S(3)),
        _ew("one_hot", lambda i: nn.one_hot(i, 4), lambda i: np.eye(4, dtype=np.float32)[i],
            S(3, kind="index", low=0, high=3)),
        _ew("logical_xor", jnp.logical_xor, np.logical_xor, S(3, kind="bool"), S(3, kind="bool")),
        _ew("count_nonzero", lambda x: jnp.count_nonzero(x, axis=0),
            lambda x: np.count_nonzero(x, axis=0), S(3, 2, kind="int", low=0, high=2)),
    ]


def _composite_specs():
    return [
        _ew("mlp_layer", lambda x, w, b: jnp.tanh(x @ w + b),
            lambda x, w, b: np.tanh(x @ w + b), S(2, 3), S(3, 4), S(4)),
        _ew("operators", lambda x, y: (2.0 * x - y / 3.0) ** 2 + -x,
            lambda x, y: (2.0 * x - y / 3.0) ** 2 + -x, S(3), S(3)),
        _ew("method_chain", lambda x: x.sum(0).mean() + x.max(1).min() * x.T.sum(),
            lambda x: x.sum(0).mean() + x.max(1).min() * x.T.sum(), S(2, 3)),
        _ew("int_times_float", lambda x, i: x * i, lambda x, i: x * i, S(3),
            S(3, kind="int", low=-3, high=3)),
    ]


def _transform_specs():
    """Call-like primitives: checkpoint (remat) and checkpoint_name, custom_linear_solve,
    custom_vmap (its rule computes the function batched);
    debug_callback (a no-op callback: what it prints is tests/test_debug.py's business)."""
    import irax
    from irax import lax
    from irax.ad_checkpoint import checkpoint_name

    def layer(x, w):
        return jnp.tanh(checkpoint_name(x @ w, "z")) * x

    def diag_solve(d, b):   # matvec d * x; symmetric, so reverse mode uses solve again
        return lax.custom_linear_solve(lambda v: d * v, b, lambda mv, r: r / d,
                                       symmetric=True)
    def with_callback(x, y):
        irax.debug.callback(lambda *args, **kwargs: None, x, scale=y)
        return jnp.sin(x) * y
    policy = irax.checkpoint_policies.save_only_these_names("z")

    @irax.custom_batching.custom_vmap
    def sin_times(x, y):
        return jnp.sin(x) * y

    @sin_times.def_vmap
    def _sin_times_rule(axis_size, in_batched, xs, ys):   # broadcasting does the batching
        return jnp.sin(xs) * ys, True
    return [
        _ew("custom_vmap", sin_times, lambda x, y: np.sin(x) * y, S(2, 3), S(2, 3)),
        _ew("checkpoint", irax.checkpoint(layer),
            lambda x, w: np.tanh(x @ w) * x, S(3, 3), S(3, 3)),
        _ew("checkpoint_names_policy", irax.checkpoint(layer, policy=policy),
            lambda x, w: np.tanh(x @ w) * x, S(3, 3), S(3, 3)),
        _ew("custom_linear_solve", diag_solve, lambda d, b: b / d, S(4, **POS), S(4)),
        _ew("debug_callback", with_callback, lambda x, y: np.sin(x) * y, S(2, 3), S(3)),
    ]


def _complex_specs():
    """Complex arithmetic built from real arguments (so the float checks apply): the parts,
    the conjugate, the modulus and the argument (JAX's conventions for their derivatives)."""
    from irax import lax

    def parts(x, y):
        z, w = lax.complex(x, y), lax.complex(y, 0.5 * x)
        return jnp.real(z * jnp.conj(w)) + 2.0 * jnp.imag(z * w)

    def np_parts(x, y):
        z, w = x + 1j * y, y + 0.5j * x
        return np.real(z * np.conj(w)) + 2.0 * np.imag(z * w)

    def exp_log(x, y):
        z = lax.complex(x, y)
        return jnp.real(jnp.exp(z)) + jnp.imag(jnp.log(z))

    return [
        _ew("complex_parts", parts, np_parts, S(2, 3), S(2, 3)),
        _ew("abs_complex", lambda x, y: jnp.abs(lax.complex(x, y)),
            lambda x, y: np.abs(x + 1j * y), S(2, 3, **NZ), S(2, 3, **NZ)),
        _ew("angle_complex", lambda x, y: jnp.angle(lax.complex(x, y)),
            lambda x, y: np.angle(x + 1j * y), S(2, 3, **NZ), S(2, 3, **NZ)),
        _ew("complex_exp_log", exp_log,
            lambda x, y: np.real(np.exp(x + 1j * y)) + np.imag(np.log(x + 1j * y)),
            S(2, 3, **NZ), S(2, 3, **NZ)),
    ]


def _bits_specs():
    from irax.random import _bits as bl   # irax.lax re-exports these
    x, amount = S(2, 3, kind="int", low=-1000, high=1000), S(2, 3, kind="int", low=0, high=31)

    def srl(v, n):
        return (v.view(np.uint32) >> n.astype(np.uint32)).view(np.int32)

    def popcount(v):
        return np.array([bin(int(u)).count("1") for u in v.view(np.uint32).ravel()],
                        np.int32).reshape(v.shape)

    def count_leading_zeros(v):
        return np.array([32 - int(u).bit_length() for u in v.view(np.uint32).ravel()],
                        np.int32).reshape(v.shape)
    return [
        _ew("lax_shift_left", bl.shift_left, np.left_shift, x, amount, differentiable=False),
        _ew("lax_shift_right_logical", bl.shift_right_logical, srl, x, amount,
            differentiable=False),
        _ew("lax_shift_right_arithmetic", bl.shift_right_arithmetic, np.right_shift, x, amount,
            differentiable=False),
        _ew("lax_population_count", bl.population_count, popcount, x, differentiable=False),
        _ew("lax_clz", bl.clz, count_leading_zeros, x, differentiable=False),
        _ew("lax_bitcast_convert_type", lambda v: bl.bitcast_convert_type(v, np.float32),
            lambda v: v.view(np.float32), S(2, 3, kind="int", low=0, high=10 ** 9),
            differentiable=False),
    ]


def _np_stable_sort_by(keys, *values):
    """Reference for lax.sort: values (and keys) ordered by np.lexsort of the keys."""
    perm = np.lexsort(keys[::-1], axis=-1)
    return tuple(np.take_along_axis(v, perm, -1) for v in (*keys, *values))


def _np_top_k(x, k):
    idx = np.argsort(-x, axis=-1, kind="stable")[..., :k]
    return np.take_along_axis(x, idx, -1), idx


def _np_unique_padded(x, size, fill):
    values, counts = np.unique(x, return_counts=True)
    pad = size - len(values)
    return (np.concatenate([values, np.full(pad, fill, values.dtype)]),
            np.concatenate([counts, np.zeros(pad, counts.dtype)]))


def _with_nans(x):
    return np.where(x > 1.5, np.nan, x)


def _sorting_specs():
    from irax import lax
    ties = dict(kind="int", low=0, high=3)
    return [
        _ew("sort_axis1", lambda x: jnp.sort(x, axis=1), lambda x: np.sort(x, axis=1),
            S(3, 5)),
        _ew("sort_axis0_descending", lambda x: jnp.sort(x, axis=0, descending=True),
            lambda x: np.flip(np.sort(x, axis=0), 0), S(4, 3)),
        _ew("sort_flat", lambda x: jnp.sort(x, axis=None), lambda x: np.sort(x, axis=None),
            S(2, 3)),
        _ew("argsort", jnp.argsort, lambda x: np.argsort(x, kind="stable"), S(3, 5),
            differentiable=False),
        _ew("argsort_ties_descending", lambda i: jnp.argsort(i, descending=True),
            lambda i: np.argsort(-i, kind="stable"), S(9, **ties), differentiable=False),
        _ew("lax_sort_key_val_ties", lambda k, x: lax.sort((k, x), num_keys=1),
            lambda k, x: _np_stable_sort_by((k,), x), S(2, 7, **ties), S(2, 7)),
        _ew("lax_sort_two_keys", lambda k1, k2, x: lax.sort((k1, k2, x), num_keys=2),
            lambda k1, k2, x: _np_stable_sort_by((k1, k2), x), S(8, **ties), S(8, **ties),
            S(8)),
        _ew("lexsort", lambda a, b: jnp.lexsort((a, b)), lambda a, b: np.lexsort((a, b)),
            S(9, **ties), S(9, **ties), differentiable=False),
        _ew("lax_top_k", lambda x: lax.top_k(x, 3), lambda x: _np_top_k(x, 3), S(2, 6)),
        _ew("quantile_linear", lambda x, q: jnp.quantile(x, q, axis=1),
            lambda x, q: np.quantile(x, q, axis=1), S(4, 7), S(3, low=0.05, high=0.95)),
        _ew("median_axis0_keepdims", lambda x: jnp.median(x, axis=0, keepdims=True),
            lambda x: np.median(x, axis=0, keepdims=True), S(6, 3)),
        _ew("percentile_nearest", lambda x: jnp.percentile(x, jnp.array([10., 50., 90.]),
                                                           method="nearest"),
            lambda x: np.percentile(x, [10., 50., 90.], method="nearest"), S(2, 4)),
        _ew("nanquantile_midpoint", lambda x: jnp.nanquantile(
                jnp.where(x > 1.5, jnp.nan, x), 0.3, axis=1, method="midpoint"),
            lambda x: np.nanquantile(_with_nans(x), 0.3, axis=1, method="midpoint"), S(3, 6)),
        _ew("searchsorted_right", lambda a, v: jnp.searchsorted(jnp.sort(a), v, side="right"),
            lambda a, v: np.searchsorted(np.sort(a), v, side="right"), S(6), S(2, 3),
            differentiable=False),
        _ew("digitize", lambda x, b: jnp.digitize(x, jnp.sort(b)),
            lambda x, b: np.digitize(x, np.sort(b)), S(5), S(4), differentiable=False),
        _ew("unique_size", lambda i: jnp.unique(i, size=6, fill_value=-1, return_counts=True),
            lambda i: _np_unique_padded(i, 6, -1), S(7, kind="int", low=0, high=4),
            differentiable=False),
    ]


def _np_put_along_axis(x, i, v):
    out = x.copy()
    np.put_along_axis(out, i, v, 1)
    return out


_INTERP_XP = np.array([-2.0, -1.2, -0.3, 0.4, 1.1, 2.5], np.float32)
_POLYFIT_X = np.linspace(-1.0, 1.5, 8).astype(np.float32)


def _numpy_extra_specs():
    """irax.numpy functions built from existing primitives (mathfuncs, arrayops, statistics,
    polynomials): the ones with derivatives worth checking, plus a few integer ones."""
    nan = np.nan
    INT20 = dict(kind="int", low=-20, high=20)
    return [
        _ew("pad_reflect", lambda x: jnp.pad(x, ((3, 5), (2, 1)), "reflect"),
            lambda x: np.pad(x, ((3, 5), (2, 1)), "reflect"), S(3, 4)),
        _ew("pad_symmetric_odd", lambda x: jnp.pad(x, 4, "symmetric", reflect_type="odd"),
            lambda x: np.pad(x, 4, "symmetric", reflect_type="odd"), S(3)),
        _ew("pad_wrap", lambda x: jnp.pad(x, ((2, 5), (1, 3)), "wrap"),
            lambda x: np.pad(x, ((2, 5), (1, 3)), "wrap"), S(2, 3)),
        _ew("pad_constant_traced", lambda x, c: jnp.pad(x, ((1, 2), (0, 1)), constant_values=c),
            lambda x, c: np.pad(x, ((1, 2), (0, 1)), constant_values=c), S(2, 3), S()),
        _ew("pad_linear_ramp", lambda x, e: jnp.pad(x, (2, 1), "linear_ramp", end_values=e),
            lambda x, e: np.pad(x, (2, 1), "linear_ramp", end_values=e), S(2, 3), S()),
        _ew("pad_mean", lambda x: jnp.pad(x, (2, 1), "mean", stat_length=2),
            lambda x: np.pad(x, (2, 1), "mean", stat_length=2), S(3, 4)),
        _ew("roll_axes", lambda x: jnp.roll(x, (1, -2), (0, 1)),
            lambda x: np.roll(x, (1, -2), (0, 1)), S(3, 4)),
        _ew("roll_traced_shift", lambda x, s: jnp.roll(x, s, 1), lambda x, s: np.roll(x, s, 1),
            S(2, 5), S(kind="int", low=-7, high=7)),
        _ew("rot90", lambda x: jnp.rot90(x, 3, (1, 2)), lambda x: np.rot90(x, 3, (1, 2)),
            S(2, 3, 4)),
        _ew("cumprod", lambda x: jnp.cumprod(x, axis=1), lambda x: np.cumprod(x, axis=1),
            S(2, 5)),
        _ew("nanmean", lambda x: jnp.nanmean(jnp.where(x > 1, nan, x), axis=1),
            lambda x: np.nanmean(np.where(x > 1, nan, x), axis=1), S(3, 4, low=-3, high=1.5)),
        _ew("nanvar_ddof", lambda x: jnp.nanvar(jnp.where(x > 1, nan, x), axis=0, ddof=1),
            lambda x: np.nanvar(np.where(x > 1, nan, x), axis=0, ddof=1),
            S(4, 3, low=-3, high=1.3)),
        _ew("nanmax", lambda x: jnp.nanmax(jnp.where(x > 1, nan, x), axis=0),
            lambda x: np.nanmax(np.where(x > 1, nan, x), axis=0), S(4, 3, low=-3, high=1.3)),
        _ew("nanargmin", lambda x: jnp.nanargmin(jnp.where(x > 1, nan, x), axis=1),
            lambda x: np.nanargmin(np.where(x > 1, nan, x), axis=1), S(3, 4, low=-3, high=1.3),
            differentiable=False),
        _ew("diff_prepend", lambda x: jnp.diff(x, 2, axis=0, prepend=0.5),
            lambda x: np.diff(x, 2, axis=0, prepend=0.5), S(4, 3)),
        _ew("kron", jnp.kron, np.kron, S(2, 2), S(2, 3)),
        _ew("cov", jnp.cov, np.cov, S(3, 5)),
        _ew("corrcoef", jnp.corrcoef, np.corrcoef, S(3, 5)),
        _ew("average_weights", lambda x, w: jnp.average(x, 1, w),
            lambda x, w: np.average(x, 1, w), S(3, 4), S(4, **POS)),
        _ew("convolve", jnp.convolve, np.convolve, S(6), S(3)),
        _ew("correlate_same", lambda a, v: jnp.correlate(a, v, "same"),
            lambda a, v: np.correlate(a, v, "same"), S(6), S(4)),
        _ew("interp", lambda x, fp: jnp.interp(x, _INTERP_XP, fp),
            lambda x, fp: np.interp(x, _INTERP_XP, fp), S(2, 5, low=-3, high=3), S(6)),
        _ew("histogram_weights", lambda a, w: jnp.histogram(a, 4, weights=w),
            lambda a, w: np.histogram(a, 4, weights=w), S(9), S(9, **POS)),
        _ew("bincount_length", lambda i, w: jnp.bincount(i, w, length=5),
            lambda i, w: np.bincount(i, w, minlength=5), S(7, kind="index", low=0, high=4),
            S(7)),
        _ew("polyval", jnp.polyval, np.polyval, S(4), S(2, 3)),
        _ew("polyfit", lambda y: jnp.polyfit(_POLYFIT_X, y, 2),
            lambda y: np.polyfit(_POLYFIT_X, y, 2), S(8), tol=1e-4),
        _ew("cross", jnp.cross, np.cross, S(4, 3), S(4, 3)),
        _ew("trapezoid_x", jnp.trapezoid, np.trapezoid, S(2, 5), S(5)),
        _ew("logaddexp2", jnp.logaddexp2, np.logaddexp2, S(2, 3), S(2, 3)),
        _ew("copysign_ldexp", lambda x, y, k: jnp.ldexp(jnp.copysign(x, y), k),
            lambda x, y, k: np.ldexp(np.copysign(x, y), k), S(4), S(4, **NZ),
            S(4, kind="int", low=-5, high=5)),
        _ew("i0", jnp.i0, np.i0, S(2, 3, low=-20, high=20)),
        _ew("gcd_lcm", lambda a, b: (jnp.gcd(a, b), jnp.lcm(a, b)),
            lambda a, b: (np.gcd(a, b), np.lcm(a, b)), S(2, 3, **INT20), S(2, 3, **INT20)),
        _ew("select_piecewise", lambda x, y: jnp.select([x > 0.5, y > 0], [x * y, -x], 0.5)
            + jnp.piecewise(x, [x < 0], [jnp.sin, lambda t: t ** 3]),
            lambda x, y: np.select([x > 0.5, y > 0], [x * y, -x], 0.5)
            + np.piecewise(x, [x < 0], [np.sin, lambda t: t ** 3]), S(2, 3), S(2, 3)),
        _ew("put_along_axis", lambda x, i, v: jnp.put_along_axis(x, i, v, 1, inplace=False),
            _np_put_along_axis, S(3, 4), S(3, 1, kind="index", low=-4, high=3), S(3, 1)),
        _ew("vectorize_signature", lambda x, y: jnp.vectorize(
            lambda a, b: jnp.sum(a * b) * a, signature="(n),(n)->(n)")(x, y),
            lambda x, y: np.sum(x * y, -1, keepdims=True) * x, S(3, 4), S(4)),
    ]


OPS: list[OpSpec] = (_unary_specs() + _binary_specs() + _reduction_specs() + _linalg_specs()
                     + _shape_specs() + _index_specs() + _nn_specs() + _lax_and_more_specs()
                     + _composite_specs() + _bits_specs() + _numpy_extra_specs()
                     + _transform_specs() + _sorting_specs() + _complex_specs())

OPS_BY_NAME: dict[str, OpSpec] = {s.name: s for s in OPS}
assert len(OPS_BY_NAME) == len(OPS), "duplicate op spec names"

# a few specs reused by the higher-order (nested transformation) tests
NESTED = ["sin", "tanh", "log", "multiply", "divide", "logaddexp", "prod_all", "prod_with_zero", "max_axis1",
          "matmul_mm", "softmax", "logsumexp_axis", "getitem_slice_neg_step",
          "take", "cumsum", "mlp_layer", "var_axis1", "relu", "power", "where",
          "lax_pad", "lax_dynamic_slice", "lax_dynamic_update_slice", "at_add_repeated",
          "getitem_traced_int_array", "diag_k", "norm_axis"]


# ---------------------------------------------------------------------------
# The fft primitive (irax/tracer/prims/fft.py; branch jnp-fft): complex built from real
# arguments, real parts out, so the float checks apply.

def _fft_specs():
    from irax import lax

    def fn(x, y):
        z = lax.complex(x, y)
        return (jnp.real(jnp.fft.fft(z)), jnp.imag(jnp.fft.ifft2(z)), jnp.fft.irfft(z, 7),
                jnp.imag(jnp.fft.rfft(x, axis=0)))

    def np_fn(x, y):
        z = x + 1j * y
        return (np.real(np.fft.fft(z)), np.imag(np.fft.ifft2(z)), np.fft.irfft(z, 7),
                np.imag(np.fft.rfft(x, axis=0)))

    return [_ew("fft_family", fn, np_fn, S(3, 4), S(3, 4))]


_FFT_SPECS = _fft_specs()
OPS += _FFT_SPECS
OPS_BY_NAME.update({s.name: s for s in _FFT_SPECS})
