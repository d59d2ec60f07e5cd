"""irax.lax: primitive-level operations and control flow, as jax.lax.

Modules:
  ops.py           thin wrappers over the primitives (add, dot_general, dynamic_slice, ...)
  control_flow.py  while_loop, fori_loop, scan, cond, switch, checkpointed_while_loop
  fixed_point.py   custom_root and fixed_point (implicit differentiation)
  linear_solve.py  custom_linear_solve (implicit differentiation of a linear solve)
  mapping.py       map (a scan, or vmapped chunks)
  sorting.py       sort (several operands, num_keys), sort_key_val, top_k
  parallel.py      collectives over named vmap axes (psum, pmean, all_gather, axis_index, ...)
  util.py          helpers shared by those
  convolution.py   conv_general_dilated and wrappers (composition of pad/slice/dot_general)
  windowed.py      reduce_window (add/max/min/mul monoids, composition)
  associative_scan.py  associative_scan (odd/even parallel prefix)

Layering: user API, above irax/tracer (whose prims/control_flow.py holds the `while`,
`scan` and `cond` primitives these functions bind) and irax.numpy.
"""
from .control_flow import checkpointed_while_loop, cond, fori_loop, scan, switch, while_loop
from .fixed_point import custom_root, fixed_point
from .linear_solve import custom_linear_solve
from .mapping import map  # noqa: A004
from .ops import GatherScatterMode
from .sorting import sort, sort_key_val, top_k
from .ops import abs, complex, conj, imag, real  # noqa: A004  (jax.lax names)
from .ops import (add, broadcast_in_dim, clamp, concatenate, convert_element_type, cos,
                  cumsum, div, dot_general, dynamic_index_in_dim, dynamic_slice,
                  dynamic_update_slice, erf, exp, expand_dims, integer_pow, iota, log,
                  logistic, max, min, mul, neg, pad, reduce_sum, reshape, rev, rsqrt, select,
                  sign, sin, slice, sqrt, squeeze, stop_gradient, sub, tanh, transpose)

__all__ = [
    "abs", "complex", "conj", "imag", "real",
    "add", "broadcast_in_dim", "checkpointed_while_loop", "clamp", "concatenate", "cond",
    "convert_element_type", "cos", "cumsum", "custom_root", "div", "dot_general",
    "dynamic_index_in_dim", "dynamic_slice", "dynamic_update_slice", "erf", "exp",
    "expand_dims", "fixed_point", "fori_loop", "integer_pow", "iota", "log", "logistic", "max",
    "min", "mul", "neg", "pad", "reduce_sum", "reshape", "rev", "rsqrt", "scan", "select",
    "sign", "sin", "slice", "sqrt", "squeeze", "stop_gradient", "sub", "switch", "tanh",
    "transpose", "while_loop",
]
__all__ += ["custom_linear_solve", "map", "GatherScatterMode"]
__all__ += ["sort", "sort_key_val", "top_k"]

from .parallel import all_gather, axis_index, axis_size, pmax, pmean, pmin, psum  # noqa: E402
__all__ += ["all_gather", "axis_index", "axis_size", "pmax", "pmean", "pmin", "psum"]
# convolution, windowed reductions, associative_scan (issue #12)
from .associative_scan import associative_scan  # noqa: E402
from .convolution import (ConvDimensionNumbers, conv, conv_dimension_numbers,  # noqa: E402
                          conv_general_dilated, conv_transpose, conv_with_general_padding,
                          padtype_to_pads)
from .windowed import reduce_window, reduce_window_shape_tuple  # noqa: E402
__all__ += ["associative_scan", "ConvDimensionNumbers", "conv", "conv_dimension_numbers",
            "conv_general_dilated", "conv_transpose", "conv_with_general_padding",
            "padtype_to_pads", "reduce_window", "reduce_window_shape_tuple"]

# ---------------------------------------------------------------------------
# lax.fft and FftType (issue #12, branch jnp-fft)
from .fft import FftType, fft  # noqa: E402
__all__ += ["FftType", "fft"]

# ---------------------------------------------------------------------------
# elementwise functions and array helpers (issue #12); each module lists its names in __all__
from . import array_ops as _array_ops, elementwise as _elementwise  # noqa: E402
from .array_ops import *  # noqa: E402,F401,F403
from .elementwise import *  # noqa: E402,F401,F403,A004
__all__ += _elementwise.__all__ + _array_ops.__all__

# gather / scatter with XLA dimension numbers (issue #12)
from . import gather_scatter as _gather_scatter  # noqa: E402
from .gather_scatter import *  # noqa: E402,F401,F403
__all__ += _gather_scatter.__all__

# dot with precision, general reduce, split/stack/tile and other lax helpers (issue #12);
# more_ops.dot_general (precision=, preferred_element_type=) replaces ops' thin alias here
from . import more_ops as _more_ops  # noqa: E402
from .more_ops import *  # noqa: E402,F401,F403
__all__ += [n for n in _more_ops.__all__ if n not in __all__]
DotDimensionNumbers = tuple  # ((lhs_contracting, rhs_contracting), (lhs_batch, rhs_batch))
PrecisionLike = object       # None, a str, a Precision, a pair of them, or a DotAlgorithmPreset
ConvGeneralDilatedDimensionNumbers = ConvDimensionNumbers
__all__ += ["DotDimensionNumbers", "PrecisionLike", "ConvGeneralDilatedDimensionNumbers"]

# jax.lax's *_p names for the primitives irax shares with it (issue #12)
from . import primitives as _primitives  # noqa: E402
from .primitives import *  # noqa: E402,F401,F403
__all__ += _primitives.__all__

# jax.lax.linalg (issue #12)
from . import linalg  # noqa: E402
__all__ += ["linalg"]

# ---------------------------------------------------------------------------
# the rest of jax.lax (issue #12, branch lax-rest): conv helpers, more collectives over
# named axes, ragged_dot, approx_max_k/min_k, rng_bit_generator, platform_dependent, ...
from . import collectives_extra as _collectives_extra  # noqa: E402
from . import conv_extra as _conv_extra, misc_extra as _misc_extra  # noqa: E402
from .collectives_extra import *  # noqa: E402,F401,F403
from .conv_extra import *  # noqa: E402,F401,F403
from .misc_extra import *  # noqa: E402,F401,F403
from ..tracer.prims.linear_solve import linear_solve_p  # noqa: E402
__all__ += _collectives_extra.__all__ + _conv_extra.__all__ + _misc_extra.__all__
__all__ += ["linear_solve_p"]
