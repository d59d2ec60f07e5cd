"""The rest of jax.lax's user functions: ragged_dot / ragged_dot_general, approx_max_k /
approx_min_k, rng_bit_generator / rng_uniform, platform_dependent, composite, and tokens
(create_token, after_all).

ragged_dot: the group sizes are values (they may be traced), so no shape depends on them:
each row's group is a one-hot mask (start <= row < end, from the cumulative sizes) and one
dot_general contracts the masked lhs with every group's kernel at once (an inf or nan in
rhs therefore reaches every row, where XLA's reaches only its own group's rows). That costs the
number of groups times a dense matmul, and jit, grad and vmap come from dot_general.

approx_max_k / approx_min_k return the exact top k (as JAX does on CPU and GPU).

Layering: user API over .more_ops / .sorting / irax.numpy and the tracer.
"""
from __future__ import annotations

import enum
import itertools
import operator
from typing import Any, Callable, NamedTuple

import numpy as np

from .. import numpy as jnp
from .. import tree_util
from ..tracer import core, dtypes
from ..tracer.api_extra import default_backend
from ..tracer.prims import shape as sh
from . import sorting
from .control_flow import while_loop
from .gather_scatter import scatter_add
from .more_ops import dot_general

__all__ = ["RaggedDotDimensionNumbers", "ragged_dot", "ragged_dot_general", "approx_max_k",
           "approx_min_k", "RandomAlgorithm", "rng_bit_generator", "rng_uniform",
           "platform_dependent", "composite", "create_token", "after_all", "Tolerance",
           "AccuracyMode", "scatter_apply", "stage", "dce_sink"]


# ---------------------------------------------------------------------------
# ragged_dot


class RaggedDotDimensionNumbers(NamedTuple):
    """dot_dimension_numbers ((lhs_contracting, rhs_contracting), (lhs_batch, rhs_batch)),
    the lhs ragged dimension (one) and the rhs group dimension (none or one)."""
    dot_dimension_numbers: tuple
    lhs_ragged_dimensions: tuple
    rhs_group_dimensions: tuple


def _ints(v) -> tuple[int, ...]:
    return tuple(operator.index(i) for i in v)


def _canonical_dn(dn: Any) -> RaggedDotDimensionNumbers:
    (lc, rc), (lb, rb) = dn.dot_dimension_numbers
    return RaggedDotDimensionNumbers(((_ints(lc), _ints(rc)), (_ints(lb), _ints(rb))),
                                     _ints(dn.lhs_ragged_dimensions),
                                     _ints(dn.rhs_group_dimensions))


def _masked_lhs(lhs, group_sizes, r: int, lb: tuple) -> Any:
    """lhs with a trailing group axis: lhs[..., j] is lhs where the position along the
    ragged dimension r lies in group j (starts[j] <= p < ends[j] for the cumulative
    sizes; positions past the last group belong to none), else zero. group_sizes is (g,)
    or (*batch sizes, g) with one row of sizes per batch entry (batch dims lb)."""
    ends = jnp.cumsum(group_sizes, axis=-1)
    starts = ends - group_sizes
    p = jnp.arange(lhs.shape[r], dtype=ends.dtype)[:, None]
    mask = (p >= starts[..., None, :]) & (p < ends[..., None, :])
    # mask dims (*batch, r, g) go to lhs positions (*lb, r, last), in increasing order
    targets = (*(lb if group_sizes.ndim > 1 else ()), r, lhs.ndim)
    order = sorted(range(len(targets)), key=lambda i: targets[i])
    mask = sh.broadcast_in_dim(sh.transpose(mask, tuple(order)),
                               (*lhs.shape, group_sizes.shape[-1]),
                               tuple(targets[i] for i in order))
    # a select, not a product: an inf in one group's rows must not become inf * 0 = nan
    # in the other groups' slots
    return jnp.where(mask, lhs[..., None], jnp.zeros((), lhs.dtype))


def ragged_dot_general(lhs, rhs, group_sizes, ragged_dot_dimension_numbers, precision=None,
                       preferred_element_type=None, group_offset=None, out_sharding=None):
    """Ragged matrix multiplication, as jax.lax.ragged_dot_general, in its three modes:
    the lhs ragged dimension is non-contracting (rhs has a group dimension; result as
    dot_general's), contracting (result gains a leading group dimension), or batch (the
    plain dot_general). group_sizes holds the g group sizes: shape (g,), or one row per
    batch entry (*batch, g) when the ragged dimension is not a batch dimension."""
    del out_sharding
    if group_offset is not None:
        raise NotImplementedError("ragged_dot_general: group_offset is not supported in irax")
    lhs, rhs, group_sizes = jnp.asarray(lhs), jnp.asarray(rhs), jnp.asarray(group_sizes)
    if dtypes.kind(group_sizes.dtype) not in "iu":
        raise TypeError("ragged_dot_general requires that group_sizes.dtype is subtype of "
                        "np.integer.")
    if lhs.dtype != rhs.dtype:   # JAX promotes mixed operands (float16 x float32 -> float32)
        dtype = jnp.result_type(lhs.dtype, rhs.dtype)
        lhs, rhs = lhs.astype(dtype), rhs.astype(dtype)
    dn = _canonical_dn(ragged_dot_dimension_numbers)
    (lc, rc), (lb, rb) = dn.dot_dimension_numbers
    if len(dn.lhs_ragged_dimensions) != 1:
        raise TypeError("ragged_dot_general expects exactly one lhs ragged dimension, got "
                        f"{dn.lhs_ragged_dimensions}")
    if len(dn.rhs_group_dimensions) > 1:
        raise TypeError("ragged_dot_general expects at most one rhs group dimension, got "
                        f"{dn.rhs_group_dimensions}")
    r = dn.lhs_ragged_dimensions[0] % max(lhs.ndim, 1)
    if group_sizes.ndim == 0:
        raise TypeError("ragged_dot_general requires group_sizes of rank >= 1, got a scalar")
    g = group_sizes.shape[-1]
    batch_sizes = tuple(lhs.shape[d] for d in lb)
    if group_sizes.ndim != 1 and (r in lb or group_sizes.shape[:-1] != batch_sizes):
        raise NotImplementedError(
            "ragged_dot_general: irax takes group_sizes of shape (g,) or, for a ragged "
            f"non-batch dimension, (*batch sizes {batch_sizes}, g); got {group_sizes.shape}")
    if r in lb:        # ragged batch dimension: every batch entry is computed
        if dn.rhs_group_dimensions:
            raise TypeError("ragged_dot_general: an rhs group dimension needs a ragged "
                            "non-contracting lhs dimension")
        return dot_general(lhs, rhs, ((lc, rc), (lb, rb)), precision, preferred_element_type)
    masked, gax = _masked_lhs(lhs, group_sizes, r, lb), lhs.ndim
    if r in lc:        # ragged contracting dimension: one result per group, leading
        if dn.rhs_group_dimensions:
            raise TypeError("ragged_dot_general: an rhs group dimension needs a ragged "
                            "non-contracting lhs dimension")
        out = dot_general(masked, rhs, ((lc, rc), (lb, rb)), precision,
                          preferred_element_type)
        pos = len(lb) + (lhs.ndim - len(lb) - len(lc))   # after batch and lhs free dims
        return jnp.moveaxis(out, pos, 0)
    if not dn.rhs_group_dimensions:
        raise TypeError("ragged_dot_general: a ragged non-contracting lhs dimension needs "
                        "an rhs group dimension")
    gd = dn.rhs_group_dimensions[0] % rhs.ndim
    if rhs.shape[gd] != g:
        raise TypeError(f"expected rhs group dimension size to be {g}, got {rhs.shape[gd]}.")
    if gd in rc or gd in rb:
        raise TypeError("ragged_dot_general: the rhs group dimension cannot be a contracting "
                        "or batch dimension")
    # contracting the group axis against the kernels' group dimension picks, for every
    # row, the kernel of its own group (the mask is one-hot)
    return dot_general(masked, rhs, ((lc + (gax,), rc + (gd,)), (lb, rb)), precision,
                       preferred_element_type)


def ragged_dot(lhs, rhs, group_sizes, precision=None, preferred_element_type=None,
               group_offset=None, out_sharding=None):
    """(m, k) x (g, k, n) -> (m, n): row block j of lhs (group_sizes[j] rows, in order)
    times rhs[j]; rows past sum(group_sizes) are zero."""
    lhs, rhs = jnp.asarray(lhs), jnp.asarray(rhs)
    if lhs.ndim != 2 or rhs.ndim != 3:
        raise TypeError(f"ragged_dot expects lhs of rank 2 and rhs of rank 3, got shapes "
                        f"{lhs.shape} and {rhs.shape}")
    if lhs.shape[1] != rhs.shape[1]:
        raise TypeError("dot_general requires contracting dimensions to have the same shape, "
                        f"got {(lhs.shape[1],)} and {(rhs.shape[1],)}.")
    dn = RaggedDotDimensionNumbers((((1,), (1,)), ((), ())), (0,), (0,))
    return ragged_dot_general(lhs, rhs, group_sizes, dn, precision, preferred_element_type,
                              group_offset, out_sharding)


# ---------------------------------------------------------------------------
# approx_max_k / approx_min_k (exact)


def _approx_args(operand, k, reduction_dimension, aggregate_to_topk):
    x = jnp.asarray(operand)
    if dtypes.kind(x.dtype) != "f":
        raise ValueError("operand must be a floating type")
    d = operator.index(reduction_dimension)
    if not -x.ndim <= d < x.ndim:
        raise IndexError(f"reduction_dimension {d} is out of range for an operand of rank "
                         f"{x.ndim}")
    d %= x.ndim
    k = operator.index(k)
    n = x.shape[d]
    if k <= 0:
        raise ValueError(f"k must be positive, got {k}")
    if k > n:
        raise ValueError(f"k must be smaller than the size of reduction_dim {n}, got {k}")
    # without aggregation JAX's CPU fallback returns the whole sorted dimension
    return x, (k if aggregate_to_topk else n), d


def approx_max_k(operand, k, reduction_dimension=-1, recall_target=0.95,
                 reduction_input_size_override=-1, aggregate_to_topk=True):
    """(values, int32 indices) of the k largest along reduction_dimension: exact (recall 1),
    NaN above inf as lax.top_k. recall_target and reduction_input_size_override are
    accepted; with aggregate_to_topk=False the whole dimension comes back sorted."""
    del recall_target, reduction_input_size_override
    x, k, d = _approx_args(operand, k, reduction_dimension, aggregate_to_topk)
    return list(sorting.top_k(x, k, axis=d))


def approx_min_k(operand, k, reduction_dimension=-1, recall_target=0.95,
                 reduction_input_size_override=-1, aggregate_to_topk=True):
    """(values, int32 indices) of the k smallest along reduction_dimension, exact; NaNs
    (of either sign) last, ties in index order."""
    del recall_target, reduction_input_size_override
    x, k, d = _approx_args(operand, k, reduction_dimension, aggregate_to_topk)
    nan_last = jnp.where(jnp.isnan(x), jnp.asarray(np.nan, x.dtype), x)
    positions = sh.iota(np.dtype(np.int32), x.shape, d)
    _, values, indices = sorting.sort((nan_last, x, positions), d, num_keys=1)
    start = [0] * x.ndim
    return [sh.slice_(values, start, [k if i == d else s for i, s in enumerate(x.shape)]),
            sh.slice_(indices, start, [k if i == d else s for i, s in enumerate(x.shape)])]


# ---------------------------------------------------------------------------
# random bits


class RandomAlgorithm(enum.IntEnum):
    """jax.lax.RandomAlgorithm. irax backs all three with threefry2x32: the shapes and
    dtypes are XLA's, the bits are not XLA's Philox/ThreeFry streams."""
    RNG_DEFAULT = 0
    RNG_THREE_FRY = 1
    RNG_PHILOX = 2

    def __str__(self) -> str:
        return self.name


_BIT_DTYPES = {np.dtype(t) for t in (np.uint8, np.uint16, np.uint32, np.uint64)}


def rng_bit_generator(key, shape, dtype=np.uint32, algorithm=RandomAlgorithm.RNG_DEFAULT, *,
                      out_sharding=None):
    """(new_key, bits): uint32[4] key in and out, random bits of an unsigned `dtype` and
    `shape`. A pure function of the key. NOTE: the bits come from irax's threefry2x32
    (the key's four words hashed to a threefry key), not from XLA's RngBitGenerator, so
    they differ from JAX's values for the same key; shapes, dtypes and determinism match."""
    del out_sharding
    from ..random import _threefry   # noqa: PLC0415  (irax.random imports irax.lax)
    RandomAlgorithm(int(algorithm))
    dt = dtypes.canonicalize(np.dtype(dtype))
    if np.dtype(dtype) not in _BIT_DTYPES:
        raise TypeError(f"rng_bit_generator: unsupported dtype {np.dtype(dtype)}")
    key = jnp.asarray(key)
    if key.shape != (4,) or key.dtype != np.uint32:
        raise TypeError(f"rng_bit_generator: key must be uint32[4], got "
                        f"{key.dtype}{list(key.shape)}")
    shape = tuple(operator.index(s) for s in shape)
    # fold the 4 key words into one threefry key, then draw and derive the next key
    h1, h2 = _threefry.threefry2x32(key[0], key[1], key[2:3], key[3:4])
    base = jnp.concatenate([h1, h2])
    draw_key = _threefry.fold_in(base, jnp.asarray(0, np.uint32))
    new_key = _threefry.split(_threefry.fold_in(base, jnp.asarray(1, np.uint32)), (2,))
    bits = _threefry.random_bits(draw_key, dt.itemsize * 8, shape)
    return new_key.reshape(4), bits


_rng_state = itertools.count()


def rng_uniform(a, b, shape):
    """Uniform values in [a, b) of a's dtype (float or integer scalars of one dtype). XLA's
    rng_uniform is stateful; irax draws from a process-wide counter eagerly, and refuses
    under a trace (a compiled module has no such state: use irax.random)."""
    a, b = jnp.asarray(a), jnp.asarray(b)
    if a.dtype != b.dtype:
        raise ValueError(f"Arguments to rng_uniform must have identical dtypes, got {a.dtype} "
                         f"and {b.dtype}.")
    if a.shape != () or b.shape != ():
        raise ValueError(f"Arguments to rng_uniform must be scalars; got shapes {a.shape} and "
                         f"{b.shape}.")
    if dtypes.kind(a.dtype) not in "fiu":
        raise TypeError(f"rng_uniform: unsupported dtype {a.dtype}")
    if isinstance(a, core.Tracer) or isinstance(b, core.Tracer):
        raise NotImplementedError("rng_uniform is stateful and has no irax lowering under "
                                  "jit/vmap/grad; use irax.random.uniform with a key")
    from .. import random   # noqa: PLC0415  (irax.random imports irax.lax)
    key = random.PRNGKey(next(_rng_state))
    shape = tuple(operator.index(s) for s in shape)
    if dtypes.kind(a.dtype) == "f":
        return random.uniform(key, shape, a.dtype, a, b)
    return random.randint(key, shape, a, b, a.dtype)


# ---------------------------------------------------------------------------
# platform_dependent, composite, tokens


_PLATFORMS = {"cpu": "cpu", "llvm-cpu": "cpu", "local-task": "cpu", "local-sync": "cpu",
              "vulkan": "vulkan", "vulkan-spirv": "vulkan", "cuda": "cuda", "rocm": "rocm",
              "hip": "rocm", "metal": "metal", "tpu": "tpu"}


def platform_dependent(*args: Any, default: Callable | None = None,
                       **per_platform: Callable) -> Any:
    """Calls the branch for the backend irax computes on (irax.default_backend(), from
    irax.config.device: "cpu", "vulkan", "cuda", ...), else `default`. The choice is made
    when the function is traced (JAX makes it when lowering): a jit given an explicit
    device= other than irax.config.device still takes the configured backend's branch."""
    if "gpu" in per_platform:
        raise ValueError("Use 'cuda' or 'rocm' for lax.platform_dependent.")
    backend = default_backend()
    platform = _PLATFORMS.get(backend, backend)
    branch = per_platform.get(platform, default)
    if branch is None:
        raise NotImplementedError(f"lax.platform_dependent has no branch for platform "
                                  f"{platform!r} (branches: {sorted(per_platform)}) and no "
                                  "default")
    return branch(*args)


def composite(decomposition: Callable, name: str, version: int = 0) -> Callable:
    """A function that calls `decomposition` (jax.lax.composite's decorator). irax lowers the
    decomposition itself; the name and version are kept on the function as attributes."""
    def composite_fn(*args, **kwargs):
        return decomposition(*args, **kwargs)
    composite_fn.__name__ = getattr(decomposition, "__name__", "composite")
    composite_fn.__doc__ = getattr(decomposition, "__doc__", None)
    composite_fn.composite_name, composite_fn.composite_version = name, int(version)
    return composite_fn


class Token:
    """An ordering token (jax.lax.create_token / after_all): irax orders effects by program
    order, so a token carries no data."""
    __slots__ = ()

    def __repr__(self) -> str:
        return "Token()"


# a pytree without leaves: jit, vmap and scan carry it through and rebuild it
tree_util.register_pytree_node(Token, lambda t: ((), None), lambda aux, children: Token())


def create_token(_=None) -> Token:
    return Token()


def after_all(*operands) -> Token:
    if not all(isinstance(t, Token) for t in operands):
        raise TypeError("Arguments to after_all must be tokens")
    return Token()


# ---------------------------------------------------------------------------
# accuracy requests of unary functions (jax.lax.exp(x, accuracy=...)): the types only;
# irax's unary functions have one implementation each


class Tolerance:
    """Tolerances for a unary function's implementation: (atol and rtol) or (atol and ulps)."""

    def __init__(self, atol: float = 0.0, rtol: float = 0.0, ulps: int = 0):
        if atol < 0.0 or rtol < 0.0 or ulps < 0:
            raise ValueError("Tolerances must be non-negative.")
        if atol == 0.0 and rtol == 0.0 and ulps == 0:
            raise ValueError("At least one of atol, rtol, or ulps must be set.")
        self.atol, self.rtol, self.ulps = atol, rtol, ulps


class AccuracyMode(enum.Enum):
    HIGHEST = 1
    DEFAULT = 2


# ---------------------------------------------------------------------------
# scatter_apply, stage


def scatter_apply(operand, scatter_indices, func, dimension_numbers, *, update_shape=(),
                  indices_are_sorted=False, unique_indices=False, mode=None):
    """operand with func applied at the scattered positions, once per time an index names a
    position (duplicates apply it again), as jax.lax.scatter_apply. func must be
    elementwise (JAX calls it on scalars); irax applies it to the whole operand and keeps
    the result where the scatter reaches: a count of hits per position, then a loop of
    `max count` masked applications."""
    del indices_are_sorted
    operand = jnp.asarray(operand)
    ones = jnp.ones(tuple(update_shape), np.int32)
    hits = scatter_add(jnp.zeros(operand.shape, np.int32), scatter_indices, ones,
                       dimension_numbers, unique_indices=unique_indices, mode=mode)

    def apply_once(r, times):
        return jnp.where(hits > times, jnp.asarray(func(r), operand.dtype), r)
    if unique_indices:
        return apply_once(operand, 0)
    _, out = while_loop(lambda c: c[0] < jnp.max(hits), lambda c: (c[0] + 1,
                        apply_once(c[1], c[0])), (jnp.asarray(0, np.int32), operand))
    return out


def stage(x, /):
    """x as an irax array of the current trace (the identity on values)."""
    return jnp.asarray(x)


def dce_sink(val, *, prevent_mlir_dce=False):
    """Consumes a value and returns None, as jax.lax.dce_sink (a marker for JAX's dead-code
    elimination; irax's tracer keeps no such marker)."""
    del val, prevent_mlir_dce


def _expand_scale(scale, operand, contracting):
    """The block scale repeated along the contracting axes up to the operand's shape (each
    scale entry covers operand_size // scale_size consecutive entries: a subchannel)."""
    for ax in contracting:
        size, blocks = operand.shape[ax], scale.shape[ax]
        if blocks == 0 or size % blocks:
            raise TypeError(f"scaled_dot: the contracting dimension {ax} of size {size} is not "
                            f"a multiple of its scale's size {blocks}")
        scale = jnp.repeat(scale, size // blocks, axis=ax)
    if scale.shape != operand.shape:
        raise TypeError(f"scaled_dot: scale shape {scale.shape} does not match the operand "
                        f"shape {operand.shape} outside the contracting dimensions")
    return scale


def scaled_dot(lhs, rhs, *, lhs_scale=None, rhs_scale=None, dimension_numbers=None,
               preferred_element_type=None):
    """(lhs * lhs_scale) @ (rhs * rhs_scale) as dot_general, the block scales broadcast
    over their subchannels; accumulated in float32, returned as preferred_element_type
    (bfloat16 by default, as JAX). Not differentiable in JAX; here it is a composition."""
    lhs, rhs = jnp.asarray(lhs), jnp.asarray(rhs)
    if dimension_numbers is None:
        if lhs.ndim < 2:
            raise TypeError("scaled_dot does not support 0-rank and 1-rank operands.")
        n = lhs.ndim
        dimension_numbers = (((n - 1,), (n - 2,)), (tuple(range(n - 2)), tuple(range(n - 2))))
    (lc, rc), _ = dimension_numbers
    import ml_dtypes   # bfloat16's NumPy type (a dependency of iree.runtime)
    out_dtype = np.dtype(ml_dtypes.bfloat16 if preferred_element_type is None
                         else preferred_element_type)
    lhs, rhs = lhs.astype(np.float32), rhs.astype(np.float32)
    if lhs_scale is not None:
        lhs = lhs * _expand_scale(jnp.asarray(lhs_scale).astype(np.float32), lhs, lc)
    if rhs_scale is not None:
        rhs = rhs * _expand_scale(jnp.asarray(rhs_scale).astype(np.float32), rhs, rc)
    out = dot_general(lhs, rhs, dimension_numbers, preferred_element_type=np.float32)
    return out.astype(out_dtype)


__all__ += ["scaled_dot"]
