"""The signatures of the per-primitive rules, in one place.

Every rule table (core.impl_rules, core.abstract_eval_rules, jvp.jvp_rules,
transpose.transpose_rules, batching.batch_rules, partial_eval.partial_eval_rules) is typed
with one of these aliases, and the rule functions in tracer/prims are annotated with the
types below. Parameters (`**params`) are the primitive's keyword parameters, as bound.

Layering: the bottom of the tracer, above avals only (core imports it to type its tables).
"""
from __future__ import annotations

from typing import Any, Callable, Sequence, Union

import numpy as np

from .avals import ShapedArray

# A value a rule works on: an irax Array, a tracer of some trace, a NumPy value or a Python
# scalar. Rules run with the current trace set to the parent of the trace that called them,
# so what they bind is recorded (or evaluated) one level further out.
Value = Any
# A tangent or cotangent: a Value, or ad_util.Zero (a symbolic zero of a known aval).
Tangent = Any
# A batch dimension: 0 (the batch axis leads; see batching) or None (not batched).
BDim = Union[int, None]

# impl(*numpy_arrays, **params) -> numpy array (a list of them for multiple results).
# Runs under EvalTrace on concrete values. A primitive with `impl_takes_arrays` set gets the
# eager arguments unconverted (irax Arrays, possibly device-resident) and returns Arrays.
ImplRule = Callable[..., Union[np.ndarray, Sequence[np.ndarray], Any]]

# abstract_eval(*avals, **params) -> ShapedArray (a list of them for multiple results).
# Checks the argument types and raises TypeError (or ValueError/IndexError) naming the problem.
AbstractEvalRule = Callable[..., Union[ShapedArray, Sequence[ShapedArray]]]

# jvp(primals, tangents, **params) -> (primal_out, tangent_out). Tangents may be Zero; the
# tangent output may be Zero. For multiple results both outputs are lists.
JvpRule = Callable[..., tuple[Value, Tangent]]

# transpose(ct, *args, **params) -> one cotangent (or None) per argument. Linear arguments
# arrive as transpose.UndefinedPrimal; ct is a list for multiple results and may be Zero.
TransposeRule = Callable[..., Sequence[Union[Tangent, None]]]

# batch(axis_size, vals, dims, **params) -> (out, out_dims). dims[i] is 0 or None; out_dims
# is an int/None (a list of them for multiple results).
BatchRule = Callable[..., tuple[Value, Union[BDim, Sequence[BDim]]]]

# partial_eval(trace, args, params) -> outputs, with `trace` the partial_eval.PartialEvalTrace
# calling it when some argument is unknown (one of the trace's own tracers); the rule runs
# what is known now (at trace.parent) and stages what depends on the unknowns.
PartialEvalRule = Callable[[Any, Sequence[Value], dict], Any]

# A per-argument tangent function of defjvp: fn(t, *primals, **params) -> tangent
# (defjvp_with_output: fn(t, out, *primals, **params)).
TangentFn = Callable[..., Tangent]

# How a transformation handles a custom_jvp / custom_vjp call (the custom module fills the
# tables `jvp.custom_call_rules` and `batching.custom_call_rules`, keyed by the call
# primitive). jvp: rule(trace, fun, rules, primals, tangents) -> (primal_outs, tangent_outs);
# batching: rule(trace, fun, rules, vals, dims) -> outputs batched at axis 0. `rules` is the
# tuple of the user's rule functions (jvp,) or (fwd, bwd, out_trees).
CustomCallRule = Callable[..., Any]
