"""A primitive of the user's own (irax.extend.core.Primitive) given JAX's rules through
irax.interpreters.ad / batching / mlir works eagerly and under jit, jvp, grad and vmap.
Values against analytic ones (x*y + z and its derivatives)."""
from __future__ import annotations

import numpy as np
import pytest

import irax
import irax.numpy as jnp
from irax import lax
from irax.extend import core
from irax.interpreters import ad, batching, mlir


@pytest.fixture(autouse=True, scope="module")
def forget_user_primitives():
    """The tables are global: other tests (the rule-coverage checks) must not see these."""
    yield
    from irax.lowering import rules as lowering
    from irax.tracer import batching as batching_rules, core as tracer_core, jvp, transpose
    tables = [tracer_core.impl_rules, tracer_core.abstract_eval_rules, jvp.jvp_rules,
              transpose.transpose_rules, batching_rules.batch_rules, lowering.lowering_rules,
              *lowering.target_rules.values()]
    for table in tables:
        for prim in [p for p in table if p.name.startswith("user_")]:
            del table[prim]


def compiled(f):
    return irax.jit(f, tiered=False)   # the first call runs the compiled module

fma_p = core.Primitive("user_fma")
fma_p.def_impl(lambda x, y, z: np.add(np.multiply(x, y), z))


def fma(x, y, z):
    return fma_p.bind(x, y, z)


def square_add(a, b):
    return fma(a, a, b)


def _jvp(primals, tangents):
    x, y, z = primals
    xt, yt, zt = (lax.full_like(x, 0) if type(t) is ad.Zero else t for t in tangents)
    return fma(x, y, z), fma(xt, y, fma(x, yt, zt))


def _transpose(ct, x, y, z):
    # used linearly: fma(xt, y, c) or fma(x, yt, c), with z the linear tangent
    if not ad.is_undefined_primal(x):
        ct_y = ad.Zero(y.aval) if type(ct) is ad.Zero else fma(x, ct, lax.full_like(x, 0))
        return None, ct_y, ct
    ct_x = ad.Zero(x.aval) if type(ct) is ad.Zero else fma(ct, y, lax.full_like(y, 0))
    return ct_x, None, ct


def _batch(args, dims):
    size = next(a.shape[d] for a, d in zip(args, dims) if d is not batching.not_mapped)
    return fma(*(batching.bdim_at_front(a, d, size) for a, d in zip(args, dims))), 0


def test_eager_needs_only_the_impl_and_jit_needs_a_lowering() -> None:
    assert float(square_add(2., 10.)) == 14.
    with pytest.raises(NotImplementedError, match="abstract evaluation rule"):
        compiled(square_add)(2., 10.)


def test_rules_registered_the_jax_way_serve_every_transformation() -> None:
    fma_p.def_abstract_eval(lambda x, y, z: core.ShapedArray(x.shape, x.dtype))
    mlir.register_lowering(fma_p, mlir.lower_fun(lambda x, y, z: x * y + z,
                                                 multiple_results=False), platform="cpu")
    assert float(compiled(square_add)(2., 10.)) == 14.
    with pytest.raises(NotImplementedError,
                       match="Differentiation rule for 'user_fma' not implemented"):
        irax.jvp(square_add, (2., 10.), (1., 1.))
    ad.primitive_jvps[fma_p] = _jvp
    out, tangent = irax.jvp(square_add, (2., 10.), (1., 1.))
    assert (float(out), float(tangent)) == (14., 5.)   # d(a*a + b) = 2a da + db
    out, tangent = compiled(lambda p, t: irax.jvp(square_add, p, t))((2., 10.), (1., 1.))
    assert (float(out), float(tangent)) == (14., 5.)
    ad.primitive_transposes[fma_p] = _transpose
    assert float(irax.grad(square_add)(2., 10.)) == 4.
    assert float(compiled(irax.grad(square_add, argnums=1))(2., 10.)) == 1.
    batching.primitive_batchers[fma_p] = _batch
    assert batching.primitive_batchers[fma_p] is _batch
    a, b = np.array([2., 3.]), np.array([10., 20.])
    np.testing.assert_allclose(irax.vmap(square_add)(a, b), a * a + b)
    np.testing.assert_allclose(compiled(irax.vmap(square_add))(a, b), a * a + b)
    np.testing.assert_allclose(irax.vmap(irax.grad(square_add))(a, b), 2 * a)


def test_batch_rule_results_on_another_axis_are_moved_to_irax_s_front() -> None:
    swap_p = core.Primitive("user_swap_rows_cols")
    swap_p.def_impl(lambda x: np.swapaxes(x, -1, -2).copy())
    swap_p.def_abstract_eval(lambda x: core.ShapedArray(x.shape[:-2] + x.shape[::-1][:2],
                                                        x.dtype))
    # batched along axis 0 the result's batch axis is the last one after a full transpose
    batching.primitive_batchers[swap_p] = lambda args, dims: (jnp.transpose(args[0]), 2)
    xs = np.arange(24.).reshape(2, 3, 4)
    np.testing.assert_array_equal(irax.vmap(swap_p.bind)(xs), np.swapaxes(xs, 1, 2))


def test_lowering_builders_are_refused_with_the_way_to_write_one() -> None:
    with pytest.raises(NotImplementedError, match="lower_fun"):
        mlir.register_lowering(fma_p, lambda ctx, x, y, z: [x])
    with pytest.raises(ValueError, match="unknown platform"):
        mlir.register_lowering(fma_p, mlir.lower_fun(lambda x, y, z: x, False), platform="tpu")
    assert ad.instantiate_zeros(ad.Zero.from_primal_value(jnp.ones(3))).tolist() == [0.] * 3
