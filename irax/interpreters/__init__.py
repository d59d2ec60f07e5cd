"""irax.interpreters: JAX's rule tables for a primitive of the user's own.

    from irax.extend import core
    from irax.interpreters import ad, batching, mlir

    p = core.Primitive("multiply_add")
    p.def_impl(lambda x, y, z: np.add(np.multiply(x, y), z))
    p.def_abstract_eval(lambda x, y, z: core.ShapedArray(x.shape, x.dtype))
    ad.primitive_jvps[p] = jvp_rule                # (primals, tangents) -> (out, tangent)
    ad.primitive_transposes[p] = transpose_rule    # (ct, *args); linear args UndefinedPrimal
    batching.primitive_batchers[p] = batch_rule    # (args, dims) -> (out, out_dim)
    mlir.register_lowering(p, mlir.lower_fun(lambda x, y, z: x * y + z, False))

The tables are irax's own (JAX's rule signatures are irax's), so a registered rule serves
jvp, grad, vmap and jit like the built-in primitives' rules.
"""
from . import ad, batching, mlir

__all__ = ["ad", "batching", "mlir"]
