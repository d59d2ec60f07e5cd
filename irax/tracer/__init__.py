"""The tracer: IR, traces, transformations. Knows nothing of StableHLO or IREE, and imports
nothing of irax outside irax/tracer except irax.tree_util.

Layers inside (each imports only those before it):
  dtypes, rules        dtype rules; the typed signatures of the rule tables
  core                 avals, the IR (Jaxpr), Primitive, Trace/Tracer, Array, eval_jaxpr
  ad_util              symbolic zeros, adding tangents, operations provided by the families
  jvp, transpose, batching, partial_eval (staging + partial evaluation)
                       the transformations and their rule tables
  prims/               primitive families: elementwise < shape < reduce < indexing <
                       slicing, linalg, bits, control_flow, linear_solve (each
                       registers its rules)
  array_methods        Tracer/Array arithmetic operators
  custom, jit_call     custom_jvp/custom_vjp; the staged call of a compiled function
  custom_vmap          custom_vmap and its custom_vmap_call primitive (above custom)
  remat                checkpoint (remat) with its policies, checkpoint_name
  api                  grad, vjp, jvp, vmap, jacfwd, ... (irax/__init__ exports them)
  api_extra            eval_shape, linear_transpose, custom_gradient, closure_convert,
                       disable_jit, ensure_compile_time_eval, devices, ...

Importing this package imports every primitive family (registering all rules) and
registers the arithmetic operators of Tracer and Array.
"""
from . import core, dtypes, prims  # noqa: F401
from .array_methods import register_array_methods
from .sharding import register_array_sharding

register_array_methods()
register_array_sharding()     # x.sharding, x.devices(), x.committed
