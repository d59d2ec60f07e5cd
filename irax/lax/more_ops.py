"""More of jax.lax (issue #12): dot with precision, general reduce, split/stack/tile,
broadcast helpers, mulhi, reduce_precision, polygamma and the igamma derivatives.

Precision only steers accelerators in JAX ("no impact on CPU backends"); irax accepts every
Precision value and computes at the operands' precision. A DotAlgorithmPreset other than
DEFAULT, or one naming the operands' own type, is refused: irax cannot honour it.
"""
from __future__ import annotations

import enum
import functools
import operator
from typing import Any, NamedTuple, Sequence

import numpy as np

from .. import numpy as jnp
from .. import tree_util
from ..tracer import dtypes
from ..tracer.api import jvp, vmap
from ..tracer.core import get_aval
from ..tracer.prims import linalg as la
from ..tracer.prims import bits

__all__ = ["Precision", "DotAlgorithm", "DotAlgorithmPreset", "dot", "dot_general", "reduce",
           "reduce_xor", "split", "stack", "unstack", "tile", "broadcast_shapes",
           "broadcast_to_rank", "broadcast_like", "empty", "dtype", "optimization_barrier",
           "mulhi", "reduce_precision", "polygamma", "igamma_grad_a", "random_gamma_grad",
           "shape_as_value", "with_sharding_constraint", "nextafter"]


class Precision(enum.Enum):
    """Matmul precision for accelerators (jax.lax's names and string aliases)."""
    DEFAULT = 0
    HIGH = 1
    HIGHEST = 2

    @classmethod
    def _missing_(cls, value: object) -> "Precision | None":
        return {None: cls.DEFAULT, "default": cls.DEFAULT, "fastest": cls.DEFAULT,
                "bfloat16": cls.DEFAULT, "high": cls.HIGH, "bfloat16_3x": cls.HIGH,
                "tensorfloat32": cls.HIGH, "highest": cls.HIGHEST,
                "float32": cls.HIGHEST}.get(value)

    def __repr__(self) -> str:
        return f"Precision.{self.name}"

    def __str__(self) -> str:
        return self.name


class DotAlgorithm(NamedTuple):
    """How a dot product is computed (jax.lax.DotAlgorithm's fields)."""
    lhs_precision_type: Any
    rhs_precision_type: Any
    accumulation_type: Any
    lhs_component_count: int = 1
    rhs_component_count: int = 1
    num_primitive_operations: int = 1
    allow_imprecise_accumulation: bool = False


class DotAlgorithmPreset(enum.Enum):
    DEFAULT = enum.auto()
    ANY_F8_ANY_F8_F32 = enum.auto()
    ANY_F8_ANY_F8_F32_FAST_ACCUM = enum.auto()
    ANY_F8_ANY_F8_ANY = enum.auto()
    ANY_F8_ANY_F8_ANY_FAST_ACCUM = enum.auto()
    F16_F16_F16 = enum.auto()
    F16_F16_F32 = enum.auto()
    BF16_BF16_BF16 = enum.auto()
    BF16_BF16_F32 = enum.auto()
    BF16_BF16_F32_X3 = enum.auto()
    BF16_BF16_F32_X6 = enum.auto()
    BF16_BF16_F32_X9 = enum.auto()
    TF32_TF32_F32 = enum.auto()
    TF32_TF32_F32_X3 = enum.auto()
    F32_F32_F32 = enum.auto()
    F64_F64_F64 = enum.auto()

    def __repr__(self) -> str:
        return f"DotAlgorithmPreset.{self.name}"


_EXACT_PRESETS = {DotAlgorithmPreset.F16_F16_F16: "float16", DotAlgorithmPreset.F32_F32_F32: "float32",
                  DotAlgorithmPreset.F64_F64_F64: "float64",
                  DotAlgorithmPreset.BF16_BF16_BF16: "bfloat16"}


def _is_precision(p) -> bool:
    return isinstance(p, Precision) or (isinstance(p, str) and Precision._missing_(p) is not None)


def _check_precision(precision, lhs, rhs, name: str) -> None:
    if isinstance(precision, str) and precision in DotAlgorithmPreset.__members__:
        precision = DotAlgorithmPreset[precision]
    if precision is None or _is_precision(precision):
        return
    if isinstance(precision, (list, tuple)) and len(precision) == 2 and (
            all(isinstance(p, Precision) for p in precision)
            or all(isinstance(p, str) and _is_precision(p) for p in precision)):
        return   # a pair is two Precision values or two strings, as JAX
    if isinstance(precision, DotAlgorithmPreset):
        if precision is DotAlgorithmPreset.DEFAULT:
            return
        kinds = {get_aval(lhs).dtype.name, get_aval(rhs).dtype.name}
        if kinds == {_EXACT_PRESETS.get(precision)}:
            return
        raise NotImplementedError(f"{name}: irax computes a dot at its operands' precision "
                                  f"({', '.join(sorted(kinds))}); it cannot use the "
                                  f"algorithm {precision!r}")
    if isinstance(precision, DotAlgorithm):
        raise NotImplementedError(f"{name}: irax does not take an explicit DotAlgorithm; "
                                  f"pass precision=None or a Precision")
    raise ValueError(f"{name}: precision argument must be None, a string in "
                     f"['default', 'high', 'highest'], a lax.Precision value, a tuple of two "
                     f"of those, or a DotAlgorithmPreset (or its name); got {precision!r}")


def dot_general(lhs, rhs, dimension_numbers, precision=None, preferred_element_type=None, *,
                out_sharding=None):
    """The general contraction, as jax.lax.dot_general (precision is checked, see module)."""
    del out_sharding
    lhs, rhs = jnp.asarray(lhs), jnp.asarray(rhs)
    _check_precision(precision, lhs, rhs, "dot_general")
    if preferred_element_type is not None:
        preferred_element_type = dtypes.canonicalize(np.dtype(preferred_element_type))
    return la.dot_general(lhs, rhs, dimension_numbers, preferred_element_type)


def dot(lhs, rhs, *, dimension_numbers=None, precision=None, preferred_element_type=None,
        out_sharding=None):
    """jax.lax.dot: vector/matrix products unless dimension_numbers says otherwise."""
    lhs, rhs = jnp.asarray(lhs), jnp.asarray(rhs)
    if dimension_numbers is None:
        ln, rn = get_aval(lhs).ndim, get_aval(rhs).ndim
        if ln not in (1, 2) or rn not in (1, 2):
            raise ValueError("jax.lax.dot: dimension_numbers must be specified when not "
                             "performing simple un-batched matrix-matrix, matrix-vector, or "
                             f"vector-vector products; got lhs_shape={get_aval(lhs).shape} "
                             f"rhs_shape={get_aval(rhs).shape}")
        dimension_numbers = (((ln - 1,), (0,)), ((), ()))
    return dot_general(lhs, rhs, dimension_numbers, precision, preferred_element_type,
                       out_sharding=out_sharding)


# ---------------------------------------------------------------------------
# reduce with any computation


@functools.lru_cache(maxsize=None)
def _monoids():
    """computation -> (reduction over axes, its identity) for the ones irax reduces directly."""
    from . import ops
    from .elementwise import bitwise_and, bitwise_or
    table = {}
    for fns, red, ident in (((ops.add, jnp.add, operator.add), jnp.sum, 0),
                            ((ops.mul, jnp.multiply, operator.mul), jnp.prod, 1),
                            ((ops.max, jnp.maximum), jnp.max, -np.inf),
                            ((ops.min, jnp.minimum), jnp.min, np.inf),
                            ((bitwise_and, jnp.bitwise_and, operator.and_), jnp.all, True),
                            ((bitwise_or, jnp.bitwise_or, operator.or_), jnp.any, False)):
        for fn in fns:
            table[fn] = (red, ident)
    return table


def _is_identity(init, ident, dtype) -> bool:
    try:
        value = np.asarray(init)
    except Exception:   # a traced init
        return False
    if isinstance(ident, bool):
        return dtypes.kind(dtype) == "b" and value.shape == () and bool(value) == ident
    if np.isinf(ident) and dtypes.kind(dtype) in "iub":
        info = np.iinfo(dtype) if dtypes.kind(dtype) in "iu" else None
        ident = (info.min if ident < 0 else info.max) if info else (ident > 0)
    return value.shape == () and value == ident


def reduce(operands, init_values, computation, dimensions):
    """Reduces `operands` (an array or a pytree of arrays) over `dimensions` with
    `computation` (a function of two such trees of scalars), starting from init_values.

    The computation must be associative with init_values its identity, as XLA requires;
    irax combines the elements pairwise (a tree) and folds init_values in once."""
    leaves, tree = tree_util.tree_flatten(operands)
    init_leaves, init_tree = tree_util.tree_flatten(init_values)
    if tree != init_tree:
        raise TypeError(f"reduce: operands {tree} and init_values {init_tree} must have the "
                        f"same tree structure")
    leaves = [jnp.asarray(x) for x in leaves]
    shapes = {get_aval(x).shape for x in leaves}
    if len(shapes) != 1:
        raise ValueError(f"reduce: all operands must have the same shape, got {sorted(shapes)}")
    (shape,) = shapes
    dims = tuple(sorted(operator.index(d) for d in dimensions))
    if any(not 0 <= d < len(shape) for d in dims) or len(set(dims)) != len(dims):
        raise ValueError(f"reduce: dimensions {tuple(dimensions)} must be distinct and in "
                         f"[0, {len(shape)}) for operands of shape {shape}")
    monoid = _monoids().get(computation) if len(leaves) == 1 else None
    if monoid is not None and dtypes.kind(get_aval(leaves[0]).dtype) != "c":
        red, ident = monoid
        x = leaves[0]
        out = red(x, axis=dims).astype(get_aval(x).dtype) if dims else x
        if _is_identity(init_leaves[0], ident, get_aval(x).dtype):
            return tree_util.tree_unflatten(tree, [out])
        init = jnp.broadcast_to(jnp.asarray(init_leaves[0], get_aval(x).dtype), get_aval(out).shape)
        return computation(init, out)
    return _reduce_pairwise(leaves, init_leaves, tree, computation, shape, dims)


def _reduce_pairwise(leaves, init_leaves, tree, computation, shape, dims):
    keep = [d for d in range(len(shape)) if d not in dims]
    out_shape = tuple(shape[d] for d in keep)
    n = int(np.prod([shape[d] for d in dims], dtype=np.int64))
    rows = int(np.prod(out_shape, dtype=np.int64))
    # (rows, n): the reduced dimensions last, flattened
    xs = [jnp.reshape(jnp.transpose(x, keep + list(dims)), (rows, n)) for x in leaves]
    inits = [jnp.asarray(i, get_aval(x).dtype) for i, x in zip(init_leaves, leaves)]

    def combine(a, b):
        """computation on flat lists of equally shaped arrays, element by element."""
        size = int(np.prod(get_aval(a[0]).shape, dtype=np.int64))
        shape_ab = get_aval(a[0]).shape

        def scalar_fn(av, bv):
            out = computation(tree_util.tree_unflatten(tree, list(av)),
                              tree_util.tree_unflatten(tree, list(bv)))
            out_leaves, out_tree = tree_util.tree_flatten(out)
            if out_tree != tree:
                raise TypeError(f"reduce: the computation returned {out_tree}, expected the "
                                f"operands' structure {tree}")
            return tuple(jnp.asarray(o, get_aval(v).dtype) for o, v in zip(out_leaves, av))
        flat = vmap(scalar_fn)(tuple(jnp.reshape(v, (size,)) for v in a),
                               tuple(jnp.reshape(v, (size,)) for v in b))
        return [jnp.reshape(v, shape_ab) for v in flat]
    while n > 1:
        half = n // 2
        paired = combine([x[:, :half] for x in xs], [x[:, half:2 * half] for x in xs])
        xs = [jnp.concatenate([p, x[:, 2 * half:]], axis=1) for p, x in zip(paired, xs)]
        n = half + n % 2
    if n == 0:
        outs = [jnp.broadcast_to(i, (rows,)) for i in inits]
    else:
        outs = combine([jnp.broadcast_to(i, (rows,)) for i in inits], [x[:, 0] for x in xs])
    return tree_util.tree_unflatten(tree, [jnp.reshape(o, out_shape) for o in outs])


def reduce_xor(operand, axes):
    operand = jnp.asarray(operand)
    if dtypes.kind(get_aval(operand).dtype) not in "iub":
        raise TypeError(f"reduce_xor does not accept dtype {get_aval(operand).dtype}")
    fn = jnp.logical_xor if dtypes.kind(get_aval(operand).dtype) == "b" else jnp.bitwise_xor
    return reduce(operand, np.zeros((), get_aval(operand).dtype), fn, axes)


# ---------------------------------------------------------------------------
# array helpers


def split(operand, sizes, axis=0):
    operand = jnp.asarray(operand)
    shape = get_aval(operand).shape
    axis = operator.index(axis)
    if not -len(shape) <= axis < len(shape):
        raise ValueError(f"split: axis {axis} is out of bounds for array of dimension {len(shape)}")
    axis %= len(shape)
    sizes = [operator.index(s) for s in sizes]
    if any(s < 0 for s in sizes) or sum(sizes) != shape[axis]:
        raise ValueError(f"Sum of sizes {sum(sizes)} must be equal to dimension {axis} of the "
                         f"operand shape {shape}")
    offsets = np.cumsum([0] + sizes)
    from .array_ops import slice_in_dim
    return [slice_in_dim(operand, int(lo), int(hi), axis=axis)
            for lo, hi in zip(offsets[:-1], offsets[1:])]


def stack(operands, axis=0):
    return jnp.stack(list(operands), axis=axis)


def unstack(x, axis=0):
    return tuple(jnp.unstack(jnp.asarray(x), axis=axis))


def tile(operand, reps):
    operand = jnp.asarray(operand)
    reps = tuple(operator.index(r) for r in reps)
    if len(reps) != get_aval(operand).ndim:
        raise ValueError(f"len(reps) = {len(reps)} != operand.ndim = {get_aval(operand).ndim}")
    return jnp.tile(operand, reps)


def broadcast_shapes(*shapes):
    return jnp.broadcast_shapes(*shapes)


def broadcast_to_rank(x, rank):
    x = jnp.asarray(x)
    ndim = get_aval(x).ndim
    return x if ndim == rank else jnp.reshape(x, (1,) * (rank - ndim) + get_aval(x).shape)


def broadcast_like(arr, like_arr):
    return jnp.broadcast_to(arr, np.shape(like_arr) if not hasattr(like_arr, "shape")
                            else like_arr.shape)


def empty(shape, dtype, *, out_sharding=None):
    """An array of `shape` whose values are not meant to be read: zeros here."""
    del out_sharding
    return jnp.zeros(shape, dtype)


def dtype(x, *, canonicalize=False):
    """x's dtype (its canonical 32-bit form unless x64 is on when canonicalize=True)."""
    d = get_aval(jnp.asarray(x)).dtype if not hasattr(x, "dtype") else np.dtype(x.dtype)
    return dtypes.canonicalize(d) if canonicalize else d


def shape_as_value(shape):
    return jnp.asarray(np.asarray(shape, dtypes.canonicalize(np.dtype(np.int64))))


def optimization_barrier(operand, /):
    """Returns operand unchanged. (JAX's barrier orders XLA's scheduling; irax's compiled
    code keeps the program order of these values as written.)"""
    return tree_util.tree_map(jnp.asarray, operand)


def with_sharding_constraint(x, shardings):
    """x unchanged: irax runs each jitted program on one device. Concrete arrays report
    the given sharding (a Sharding, or a PartitionSpec under irax.set_mesh), as in JAX."""
    from ..sharding import AxisType, NamedSharding, PartitionSpec, get_mesh, reshard
    specs = tree_util.tree_leaves(shardings, is_leaf=lambda s: isinstance(s, PartitionSpec))
    for s in specs:
        if isinstance(s, NamedSharding):
            types = dict(zip(s.mesh.axis_names, s.mesh.axis_types))
            if any(types[a] == AxisType.Explicit for a in s.spec._axis_names()):
                raise ValueError(
                    "The spec of NamedSharding passed to with_sharding_constraint can only "
                    f"refer to Auto axes of the mesh. Got spec={s.spec} and "
                    f"mesh={s.mesh.abstract_mesh}. You probably meant to use `reshard` API?")
    if get_mesh().empty and any(isinstance(s, PartitionSpec) for s in specs):
        raise RuntimeError(
            "with_sharding_constraint requires a non-empty mesh in context if you are "
            "passing `PartitionSpec`s to shardings. You can define a context mesh via "
            "`irax.set_mesh(mesh)`. Alternatively, provide `Sharding`s to shardings and then "
            "the mesh context manager is not required.")
    return reshard(x, shardings)


# ---------------------------------------------------------------------------
# integer and float bit-level helpers


def mulhi(x, y, /):
    """The high half of the double-width product x * y, elementwise (integers)."""
    from .elementwise import _check_same_dtype, _int_operands
    _check_same_dtype("mulhi", x, y)
    x, y = _int_operands("mulhi", x, y)
    dt = np.dtype(get_aval(x).dtype)
    width = dt.itemsize * 8
    udt = np.dtype(f"uint{width}")
    half, mask = width // 2, (1 << (width // 2)) - 1
    ux, uy = (bits.bitcast_convert_type(v, udt) if dtypes.kind(dt) == "i" else v for v in (x, y))
    m = jnp.asarray(mask, udt)

    def shr(v, n):
        return bits.shift_right_logical(v, jnp.full(get_aval(v).shape, n, udt))
    x_lo, x_hi, y_lo, y_hi = ux & m, shr(ux, half), uy & m, shr(uy, half)
    lo_lo, hi_lo, lo_hi, hi_hi = x_lo * y_lo, x_hi * y_lo, x_lo * y_hi, x_hi * y_hi
    cross = shr(lo_lo, half) + (hi_lo & m) + lo_hi
    high = hi_hi + shr(hi_lo, half) + shr(cross, half)
    if dtypes.kind(dt) == "u":
        return high
    # signed: the unsigned high word minus y where x < 0 and x where y < 0 (mod 2**width)
    high = high - jnp.where(x < 0, uy, jnp.zeros_like(uy)) - jnp.where(y < 0, ux, jnp.zeros_like(ux))
    return bits.bitcast_convert_type(high, dt)


def reduce_precision(operand, exponent_bits, mantissa_bits):
    """operand rounded (to nearest even) to a float with this many exponent and mantissa
    bits, as XLA's ReducePrecision: overflow gives inf, underflow zero, NaN stays NaN."""
    operand = jnp.asarray(operand)
    dt = np.dtype(get_aval(operand).dtype)
    if dtypes.kind(dt) != "f":
        raise TypeError(f"reduce_precision does not accept dtype {dt}")
    exponent_bits, mantissa_bits = operator.index(exponent_bits), operator.index(mantissa_bits)
    if exponent_bits < 1 or mantissa_bits < 0:
        raise ValueError(f"reduce_precision: exponent_bits {exponent_bits} must be >= 1 and "
                         f"mantissa_bits {mantissa_bits} >= 0")
    info = np.finfo(dt)
    nexp, nmant = info.nexp, info.nmant
    udt = np.dtype(f"uint{dt.itemsize * 8}")
    if udt not in (np.dtype(np.uint32), np.dtype(np.uint64)):
        return reduce_precision(operand.astype(np.float32), exponent_bits, mantissa_bits).astype(dt)
    u = bits.bitcast_convert_type(operand, udt)

    def c(v):
        return jnp.asarray(np.array(v, udt))

    def shr(v, n):
        return bits.shift_right_logical(v, jnp.full(get_aval(v).shape, n, udt))
    if mantissa_bits < nmant:
        drop = nmant - mantissa_bits
        last_kept = shr(u, drop) & c(1)
        bias = c((1 << (drop - 1)) - 1) + last_kept
        u = (u + bias) & c(~((1 << drop) - 1) & ((1 << (8 * udt.itemsize)) - 1))
    if exponent_bits < nexp:
        sign_mask = 1 << (nexp + nmant)
        exp_mask = ((1 << nexp) - 1) << nmant
        exp_bias = (1 << (nexp - 1)) - 1
        reduced_bias = (1 << (exponent_bits - 1)) - 1
        max_exp = (exp_bias + reduced_bias) << nmant
        min_exp = (exp_bias - reduced_bias) << nmant
        exp = u & c(exp_mask)
        sign = u & c(sign_mask)
        u = jnp.where(exp > c(max_exp), sign | c(exp_mask),
                      jnp.where(exp <= c(min_exp), sign, u))
    out = bits.bitcast_convert_type(u, dt)
    return jnp.where(jnp.isnan(operand), operand, out)


# ---------------------------------------------------------------------------
# special-function derivatives (irax.scipy.special holds the functions; imported on call
# because irax.scipy builds on irax.lax)


def polygamma(m, x):
    """The m-th derivative of digamma at x; m is a float of x's dtype holding an integer
    (NaN where it does not), as jax.lax.polygamma."""
    from ..scipy import special
    from .elementwise import _check_same_dtype
    _check_same_dtype("polygamma", m, x)
    m, x = jnp.broadcast_arrays(jnp.asarray(m), jnp.asarray(x))
    if dtypes.kind(get_aval(x).dtype) != "f":
        raise TypeError(f"lax.polygamma does not accept dtype {get_aval(x).dtype}")
    whole = (m == jnp.floor(m)) & (m >= 0)
    order = jnp.where(whole, m, jnp.zeros_like(m)).astype(dtypes.default_int())
    return jnp.where(whole, special.polygamma(order, x), jnp.full_like(x, np.nan))


def igamma_grad_a(a, x):
    """d/da of the regularized lower incomplete gamma function P(a, x)."""
    from ..scipy import special
    from .elementwise import _check_same_dtype
    _check_same_dtype("igamma_grad_a", a, x)
    a, x = jnp.broadcast_arrays(jnp.asarray(a), jnp.asarray(x))
    return jvp(lambda s: special.gammainc(s, x), (a,), (jnp.ones_like(a),))[1]


def random_gamma_grad(a, x, *, dtype=None):
    """d sample / d a of a Gamma(a, 1) sample x at fixed quantile: -(dP/da) / (dP/dx)."""
    from ..scipy import special
    del dtype
    a, x = jnp.broadcast_arrays(jnp.asarray(a), jnp.asarray(x))
    density = jnp.exp((a - 1) * jnp.log(x) - x - special.gammaln(a))
    return -igamma_grad_a(a, x) / density


def nextafter(x1, x2):
    """The float after x1 toward x2, elementwise; lax does not promote mixed dtypes."""
    from .elementwise import _check_same_dtype
    _check_same_dtype("nextafter", x1, x2)
    return jnp.nextafter(x1, x2)
