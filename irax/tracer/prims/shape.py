"""Shape primitives: broadcast_in_dim, reshape, transpose, squeeze, concatenate, pad,
slice, rev, iota (the dynamic slices are in slicing.py).

Layering: above elementwise; the transposes that sum (broadcast_in_dim, pad) use
ad_util.reduce_sum (provided by reduce.py, which builds on this module). It provides
`full`, `broadcast_in_dim` and `transpose` to ad_util.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .. import ad_util, core, dtypes, pretty
from ..ad_util import Zero, instantiate
from ..batching import batch_rules, bdim_to_front
from ..core import Primitive, ShapedArray, get_aval
from ..jvp import deflinear, jvp_rules
from ..rules import BDim, Tangent, Value
from ..transpose import is_undefined, transpose_rules
from .elementwise import select, sub

Batched = tuple[Value, BDim]

broadcast_in_dim_p = Primitive("broadcast_in_dim")
reshape_p = Primitive("reshape")
transpose_p = Primitive("transpose")
squeeze_p = Primitive("squeeze")
concatenate_p = Primitive("concatenate")
pad_p = Primitive("pad")
slice_p = Primitive("slice")
rev_p = Primitive("rev")
iota_p = Primitive("iota")

# ---------------------------------------------------------------------------
# Abstract evaluation


def _broadcast_in_dim_abstract(x: ShapedArray, *, shape: tuple[int, ...],
                               broadcast_dimensions: tuple[int, ...]) -> ShapedArray:
    if len(broadcast_dimensions) != x.ndim:
        raise TypeError(f"broadcast_in_dim: operand rank {x.ndim} but "
                        f"{len(broadcast_dimensions)} broadcast dimensions")
    for i, d in enumerate(broadcast_dimensions):
        if not 0 <= d < len(shape) or x.shape[i] not in (1, shape[d]):
            raise TypeError(f"broadcast_in_dim: cannot broadcast shape {x.shape} to {shape} "
                            f"with broadcast_dimensions={broadcast_dimensions}")
    return ShapedArray(tuple(shape), x.dtype, x.weak_type)


def _reshape_abstract(x: ShapedArray, *, new_sizes: tuple[int, ...]) -> ShapedArray:
    if int(np.prod(new_sizes, dtype=np.int64)) != x.size:
        raise TypeError(f"cannot reshape array of shape {x.shape} (size {x.size}) "
                        f"into shape {tuple(new_sizes)}")
    return ShapedArray(tuple(new_sizes), x.dtype, x.weak_type)


def _transpose_abstract(x: ShapedArray, *, permutation: tuple[int, ...]) -> ShapedArray:
    if sorted(permutation) != list(range(x.ndim)):
        raise TypeError(f"transpose permutation {permutation} is not a permutation of the "
                        f"axes of shape {x.shape}")
    return ShapedArray(tuple(x.shape[p] for p in permutation), x.dtype, x.weak_type)


def _squeeze_abstract(x: ShapedArray, *, dimensions: tuple[int, ...]) -> ShapedArray:
    for d in dimensions:
        if not 0 <= d < x.ndim or x.shape[d] != 1:
            raise ValueError(f"cannot squeeze axis {d} of shape {x.shape}: it is not of size 1")
    return ShapedArray(tuple(s for i, s in enumerate(x.shape) if i not in dimensions),
                       x.dtype, x.weak_type)


def _concatenate_abstract(*xs: ShapedArray, dimension: int) -> ShapedArray:
    x0 = xs[0]
    for x in xs:
        if x.ndim != x0.ndim or any(a != b for i, (a, b) in enumerate(zip(x.shape, x0.shape))
                                    if i != dimension):
            raise TypeError("concatenate: all input arrays must have the same shape except "
                            f"along axis {dimension}, got {', '.join(str(x.shape) for x in xs)}")
        if x.dtype != x0.dtype:
            raise TypeError("concatenate: dtypes differ: " + ", ".join(x.dtype.name for x in xs))
    shape = list(x0.shape)
    shape[dimension] = sum(x.shape[dimension] for x in xs)
    return ShapedArray(tuple(shape), x0.dtype, all(x.weak_type for x in xs))


def _pad_abstract(x: ShapedArray, padval: ShapedArray, *,
                  padding_config: tuple[tuple[int, int, int], ...]) -> ShapedArray:
    if padval.shape != () or padval.dtype != x.dtype:
        raise TypeError("pad: padding value must be a scalar of the operand dtype")
    shape = tuple(lo + hi + n + max(0, n - 1) * interior
                  for n, (lo, hi, interior) in zip(x.shape, padding_config))
    return ShapedArray(shape, x.dtype, x.weak_type)


def _slice_abstract(x: ShapedArray, *, start_indices: tuple[int, ...],
                    limit_indices: tuple[int, ...], strides: tuple[int, ...] | None = None
                    ) -> ShapedArray:
    strides = strides or (1,) * x.ndim
    for s, l, n in zip(start_indices, limit_indices, x.shape):
        if not 0 <= s <= l <= n:
            raise IndexError(f"slice [{s}:{l}] out of bounds for shape {x.shape}")
    shape = tuple((l - s + st - 1) // st if l > s else 0
                  for s, l, st in zip(start_indices, limit_indices, strides))
    return ShapedArray(shape, x.dtype, x.weak_type)


def _iota_abstract(*, dtype: np.dtype, shape: tuple[int, ...], dimension: int) -> ShapedArray:
    return ShapedArray(tuple(shape), np.dtype(dtype), False)


# ---------------------------------------------------------------------------
# Impl (NumPy)


def _broadcast_in_dim_impl(x: np.ndarray, *, shape: tuple[int, ...],
                           broadcast_dimensions: tuple[int, ...]) -> np.ndarray:
    expanded = [1] * len(shape)
    for i, d in enumerate(broadcast_dimensions):
        expanded[d] = x.shape[i]
    return np.broadcast_to(x.reshape(expanded), shape).copy()


def _pad_impl(x: np.ndarray, padval: np.ndarray, *,
              padding_config: tuple[tuple[int, int, int], ...]) -> np.ndarray:
    out_shape = _pad_abstract(get_aval(x), get_aval(padval), padding_config=padding_config).shape
    out = np.full(out_shape, padval, dtype=x.dtype)
    # place x with interior spacing, then crop negative padding
    big_shape = tuple(max(lo, 0) + max(hi, 0) + n + max(0, n - 1) * it
                      for n, (lo, hi, it) in zip(x.shape, padding_config))
    big = np.full(big_shape, padval, dtype=x.dtype)
    idx = tuple(slice(max(lo, 0), max(lo, 0) + n + max(0, n - 1) * it, it + 1)
                for n, (lo, hi, it) in zip(x.shape, padding_config))
    big[idx] = x
    crop = tuple(slice(-min(lo, 0), b + min(hi, 0)) for b, (lo, hi, _) in
                 zip(big_shape, padding_config))
    out[...] = big[crop]
    return out


# ---------------------------------------------------------------------------
# Helpers (used by rules and irax.numpy)


def broadcast_in_dim(x: Value, shape: Sequence[int], broadcast_dimensions: Sequence[int]
                     ) -> Value:
    shape, broadcast_dimensions = tuple(shape), tuple(broadcast_dimensions)
    aval = get_aval(x)
    if aval.shape == shape and broadcast_dimensions == tuple(range(len(shape))):
        return x
    return broadcast_in_dim_p.bind(x, shape=shape, broadcast_dimensions=broadcast_dimensions)


def broadcast_to_rank_shape(x: Value, shape: Sequence[int]) -> Value:
    """NumPy-style broadcast of x to `shape` (leading axes added)."""
    aval = get_aval(x)
    shape = tuple(shape)
    if aval.shape == shape:
        return x
    nd = len(shape)
    return broadcast_in_dim(x, shape, tuple(range(nd - aval.ndim, nd)))


def full(shape: Sequence[int], value: Any, dtype: Any, weak_type: bool = False) -> Value:
    dtype = np.dtype(dtype)
    if dtype == dtypes.FLOAT0:   # no data to fill: NumPy float0 zeros, as jax.numpy gives
        return np.zeros(tuple(shape), dtype)
    scalar = core.Array(np.asarray(value, dtype=dtype), weak_type)
    return broadcast_in_dim(scalar, tuple(shape), ())


def reshape(x: Value, new_sizes: Sequence[int]) -> Value:
    new_sizes = tuple(int(s) for s in new_sizes)
    if get_aval(x).shape == new_sizes:
        return x
    return reshape_p.bind(x, new_sizes=new_sizes)


def transpose(x: Value, permutation: Sequence[int]) -> Value:
    permutation = tuple(int(p) for p in permutation)
    if permutation == tuple(range(len(permutation))):
        return x
    return transpose_p.bind(x, permutation=permutation)


def squeeze(x: Value, dimensions: Sequence[int]) -> Value:
    dimensions = tuple(sorted(dimensions))
    return squeeze_p.bind(x, dimensions=dimensions) if dimensions else x


def expand_dims(x: Value, dimensions: Sequence[int]) -> Value:
    """x with size-1 axes inserted at `dimensions`: a broadcast_in_dim, as JAX's."""
    aval = get_aval(x)
    shape = list(aval.shape)
    for d in sorted(dimensions):
        shape.insert(d, 1)
    kept = [i for i in range(len(shape)) if i not in set(dimensions)]
    return broadcast_in_dim(x, shape, kept)


def slice_(x: Value, start_indices: Sequence[int], limit_indices: Sequence[int],
           strides: Sequence[int] | None = None) -> Value:
    start_indices = tuple(int(i) for i in start_indices)
    limit_indices = tuple(int(i) for i in limit_indices)
    strides = None if strides is None or all(s == 1 for s in strides) else tuple(strides)
    aval = get_aval(x)
    if start_indices == (0,) * aval.ndim and limit_indices == aval.shape and strides is None:
        return x
    return slice_p.bind(x, start_indices=start_indices, limit_indices=limit_indices,
                        strides=strides)


def concatenate(xs: Sequence[Value], dimension: int) -> Value:
    xs = list(xs)
    return xs[0] if len(xs) == 1 else concatenate_p.bind(*xs, dimension=int(dimension))


def pad(x: Value, padval: Value, padding_config: Sequence[Sequence[int]]) -> Value:
    return pad_p.bind(x, padval, padding_config=tuple(tuple(int(v) for v in c)
                                                       for c in padding_config))


def iota(dtype: Any, shape: Sequence[int], dimension: int = 0) -> Value:
    return iota_p.bind(dtype=np.dtype(dtype), shape=tuple(shape), dimension=int(dimension))


def rev(x: Value, dimensions: Sequence[int]) -> Value:
    dimensions = tuple(dimensions)
    return rev_p.bind(x, dimensions=dimensions) if dimensions else x


# ---------------------------------------------------------------------------
# Transformation rules


def _broadcast_in_dim_transpose(ct: Tangent, x: Value, *, shape: tuple[int, ...],
                                broadcast_dimensions: tuple[int, ...]) -> list[Tangent]:
    in_shape = x.aval.shape
    sum_axes = tuple(i for i in range(len(shape)) if i not in broadcast_dimensions)
    expanded = tuple(d for i, d in enumerate(broadcast_dimensions)
                     if in_shape[i] == 1 and shape[d] != 1)
    out = ad_util.reduce_sum(ct, sum_axes + expanded)
    return [reshape(out, in_shape)]


def _broadcast_in_dim_batch(axis_size: int, vals: Sequence[Value], dims: Sequence[BDim], *,
                            shape: tuple[int, ...], broadcast_dimensions: tuple[int, ...]
                            ) -> Batched:
    (x,), (_d,) = vals, dims
    return (broadcast_in_dim(x, (axis_size, *shape), (0, *(b + 1 for b in broadcast_dimensions))),
            0)


def _reshape_batch(axis_size: int, vals: Sequence[Value], dims: Sequence[BDim], *,
                   new_sizes: tuple[int, ...]) -> Batched:
    return reshape(vals[0], (axis_size, *new_sizes)), 0


def _transpose_batch(axis_size: int, vals: Sequence[Value], dims: Sequence[BDim], *,
                     permutation: tuple[int, ...]) -> Batched:
    return transpose(vals[0], (0, *(p + 1 for p in permutation))), 0


def _squeeze_batch(axis_size: int, vals: Sequence[Value], dims: Sequence[BDim], *,
                   dimensions: tuple[int, ...]) -> Batched:
    return squeeze(vals[0], tuple(d + 1 for d in dimensions)), 0


def _concatenate_transpose(ct: Tangent, *xs: Value, dimension: int) -> list[Tangent | None]:
    outs, start = [], 0
    ct_aval = get_aval(ct)
    for x in xs:
        n = (x.aval if is_undefined(x) else get_aval(x)).shape[dimension]
        if is_undefined(x):
            lo = [0] * ct_aval.ndim
            hi = list(ct_aval.shape)
            lo[dimension], hi[dimension] = start, start + n
            outs.append(slice_(ct, lo, hi))
        else:
            outs.append(None)
        start += n
    return outs


def _concatenate_batch(axis_size: int, vals: Sequence[Value], dims: Sequence[BDim], *,
                       dimension: int) -> Batched:
    vals = [bdim_to_front(v, d, axis_size) for v, d in zip(vals, dims)]
    return concatenate(vals, dimension + 1), 0


def _pad_jvp(primals: Sequence[Value], tangents: Sequence[Tangent], *,
             padding_config: tuple[tuple[int, int, int], ...]) -> tuple[Value, Tangent]:
    x, pv = primals
    tx, tpv = tangents
    out = pad(x, pv, padding_config)
    if isinstance(tx, Zero) and isinstance(tpv, Zero):
        return out, Zero(get_aval(out))
    return out, pad(instantiate(tx), instantiate(tpv), padding_config)


def _pad_transpose(ct: Tangent, x: Value, padval: Value, *,
                   padding_config: tuple[tuple[int, int, int], ...]) -> list[Tangent | None]:
    reduce_sum = ad_util.reduce_sum
    ct_aval = get_aval(ct)
    # crop negative-free region: undo lo/hi by slicing after padding negatives away
    unpad_cfg = tuple((-lo, -hi, 0) for lo, hi, _ in padding_config)
    zero = full((), 0, ct_aval.dtype)
    t = pad(ct, zero, unpad_cfg)
    strides = tuple(it + 1 for _, _, it in padding_config)
    tx = slice_(t, (0,) * ct_aval.ndim, get_aval(t).shape, strides) if is_undefined(x) else None
    tpv = None
    if is_undefined(padval):
        total = reduce_sum(ct, tuple(range(ct_aval.ndim)))
        inner = reduce_sum(tx if tx is not None else slice_(t, (0,) * ct_aval.ndim,
                                                            get_aval(t).shape, strides),
                           tuple(range(ct_aval.ndim)))
        tpv = sub(total, inner)
    return [tx, tpv]


def _pad_batch(axis_size: int, vals: Sequence[Value], dims: Sequence[BDim], *,
               padding_config: tuple[tuple[int, int, int], ...]) -> Batched:
    x, pv = vals
    dx, dpv = dims
    x = bdim_to_front(x, dx, axis_size)
    cfg = ((0, 0, 0), *padding_config)
    if dpv is None:
        return pad(x, pv, cfg), 0
    # per-example padding values: pad with zero, then select the padding positions
    xa = get_aval(x)
    padded = pad(x, full((), 0, xa.dtype), cfg)
    out_shape = get_aval(padded).shape
    mask = pad(full(xa.shape[1:], False, np.bool_), full((), True, np.bool_), padding_config)
    mask = broadcast_in_dim(mask, out_shape, tuple(range(1, len(out_shape))))
    return select(mask, broadcast_in_dim(pv, out_shape, (0,)), padded), 0


def _slice_transpose(ct: Tangent, x: Value, *, start_indices: tuple[int, ...],
                     limit_indices: tuple[int, ...], strides: tuple[int, ...] | None = None
                     ) -> list[Tangent]:
    shape = x.aval.shape
    strides = strides or (1,) * len(shape)
    ct_shape = get_aval(ct).shape
    cfg = tuple((s, n - (s + (c - 1) * st + 1) if c > 0 else n - s, st - 1)
                for s, n, st, c in zip(start_indices, shape, strides, ct_shape))
    # zero-size ct: nothing flows back
    if any(c == 0 for c in ct_shape):
        return [full(shape, 0, x.aval.dtype)]
    return [pad(ct, full((), 0, x.aval.dtype), cfg)]


def _slice_batch(axis_size: int, vals: Sequence[Value], dims: Sequence[BDim], *,
                 start_indices: tuple[int, ...], limit_indices: tuple[int, ...],
                 strides: tuple[int, ...] | None = None) -> Batched:
    strides = None if strides is None else (1, *strides)
    return slice_(vals[0], (0, *start_indices), (axis_size, *limit_indices), strides), 0


def _rev_batch(axis_size: int, vals: Sequence[Value], dims: Sequence[BDim], *,
               dimensions: tuple[int, ...]) -> Batched:
    return rev(vals[0], tuple(d + 1 for d in dimensions)), 0


# ---------------------------------------------------------------------------
# Registration

core.abstract_eval_rules[broadcast_in_dim_p] = _broadcast_in_dim_abstract
core.impl_rules[broadcast_in_dim_p] = _broadcast_in_dim_impl
deflinear(broadcast_in_dim_p)
transpose_rules[broadcast_in_dim_p] = _broadcast_in_dim_transpose
batch_rules[broadcast_in_dim_p] = _broadcast_in_dim_batch


def _broadcast_in_dim_pp(eqn, ctx):
    # printed as JAX prints it: the binder's type shows the shape, and a scalar operand's
    # empty broadcast_dimensions are left out
    params = [(k, v) for k, v in pretty.visible_params(eqn)
              if k != "shape" and (k != "broadcast_dimensions" or v)]
    return eqn.primitive.name, params


pretty.pp_eqn_rules[broadcast_in_dim_p] = _broadcast_in_dim_pp

core.abstract_eval_rules[reshape_p] = _reshape_abstract
core.impl_rules[reshape_p] = lambda x, *, new_sizes: x.reshape(new_sizes).copy()
deflinear(reshape_p)
transpose_rules[reshape_p] = lambda ct, x, *, new_sizes: [reshape(ct, x.aval.shape)]
batch_rules[reshape_p] = _reshape_batch

core.abstract_eval_rules[transpose_p] = _transpose_abstract
core.impl_rules[transpose_p] = lambda x, *, permutation: np.transpose(x, permutation).copy()
deflinear(transpose_p)
transpose_rules[transpose_p] = lambda ct, x, *, permutation: [
    transpose(ct, tuple(np.argsort(permutation)))]
batch_rules[transpose_p] = _transpose_batch

core.abstract_eval_rules[squeeze_p] = _squeeze_abstract
core.impl_rules[squeeze_p] = lambda x, *, dimensions: np.squeeze(x, tuple(dimensions)).copy()
deflinear(squeeze_p)
transpose_rules[squeeze_p] = lambda ct, x, *, dimensions: [reshape(ct, x.aval.shape)]
batch_rules[squeeze_p] = _squeeze_batch

core.abstract_eval_rules[concatenate_p] = _concatenate_abstract
core.impl_rules[concatenate_p] = lambda *xs, dimension: np.concatenate(xs, axis=dimension)
deflinear(concatenate_p)
transpose_rules[concatenate_p] = _concatenate_transpose
batch_rules[concatenate_p] = _concatenate_batch

core.abstract_eval_rules[pad_p] = _pad_abstract
core.impl_rules[pad_p] = _pad_impl
jvp_rules[pad_p] = _pad_jvp
transpose_rules[pad_p] = _pad_transpose
batch_rules[pad_p] = _pad_batch

core.abstract_eval_rules[slice_p] = _slice_abstract
core.impl_rules[slice_p] = lambda x, *, start_indices, limit_indices, strides=None: x[tuple(
    slice(s, l, st) for s, l, st in zip(start_indices, limit_indices,
                                        strides or (1,) * x.ndim))].copy()
deflinear(slice_p)
transpose_rules[slice_p] = _slice_transpose
batch_rules[slice_p] = _slice_batch

core.abstract_eval_rules[rev_p] = lambda x, *, dimensions: x
core.impl_rules[rev_p] = lambda x, *, dimensions: np.flip(x, dimensions).copy()
deflinear(rev_p)
transpose_rules[rev_p] = lambda ct, x, *, dimensions: [rev(ct, dimensions)]
batch_rules[rev_p] = _rev_batch

core.abstract_eval_rules[iota_p] = _iota_abstract
core.impl_rules[iota_p] = lambda *, dtype, shape, dimension: np.broadcast_to(
    np.arange(shape[dimension], dtype=dtype).reshape(
        [n if i == dimension else 1 for i, n in enumerate(shape)]), shape).copy()

ad_util.provide(full=full, broadcast_in_dim=broadcast_in_dim, transpose=transpose,
                reshape=reshape)
