"""Binary elementwise primitives whose operands broadcast as JAX 0.10's lax ones do: a
rank-0 operand against a ranked one (`x * 2.0` is `mul a 2.0:f32[]`), size-1 axes against
sizes (f32[3,1] * f32[1,3]). Abstract evaluation, jvp, transpose (grad: cotangents summed
back to the operand's shape), batching (a batched scalar against an array) and the
lowering, against NumPy values and float64 finite differences."""
import numpy as np
import pytest

import irax
import irax.numpy as inp
from irax.tracer.prims import elementwise as ew
from tests.finite_differences import central_fd

X = np.array([0.5, 1.5, 2.5], np.float32)
S = np.float32(1.3)    # no operand a multiple of another (fmod is continuous there)
XS = np.stack([X, X + 1])                     # a batch of arrays
SS = np.array([S, S + 1], np.float32)         # a batch of scalars
IN_AXES = ((0, None), (None, 0), (0, 0))


def ops(np_):
    return {
        "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
        "div": lambda a, b: a / b, "pow": lambda a, b: a ** b,
        "max": np_.maximum, "min": np_.minimum, "atan2": np_.arctan2,
        "rem": lambda a, b: np_.fmod(a, b), "lt": lambda a, b: (a < b) * a,
    }


IRAX_OPS, NUMPY_OPS = ops(inp), ops(np)


def _summed(op, np_):
    return lambda a, b: np_.sum(op(a, b))


COL = np.array([[0.7], [1.1], [2.1]], np.float32)          # f32[3,1]
ROW = np.array([[0.4, 0.9, 1.6]], np.float32)              # f32[1,3]; no ties
MAT = np.arange(1, 7, dtype=np.float32).reshape(2, 3) / 3  # f32[2,3]


def _operand_pairs(x, s, xs, ss, dtype=np.float32):
    """(operands, a batch of each) for each kind: array and scalar, scalar and array, a
    column against a row, a matrix against a row."""
    col, row, mat = (np.asarray(v, dtype) for v in (COL, ROW, MAT))
    return (((x, s), (xs, ss)), ((s, x), (ss, xs)),
            ((col, row), (np.stack([col, col + 1]), np.stack([row, row + 1]))),
            ((mat, row), (np.stack([mat, mat + 1]), np.stack([row, row + 1]))))


def irax_outputs(table, x, s, xs, ss, in_axes_list=IN_AXES):
    """Per operation and operand order: value, jvp, both grads, and per in_axes the vmapped
    value and grads."""
    outs = []
    for op in table.values():
        for args, bargs in _operand_pairs(x, s, xs, ss):
            outs.append(op(*args))
            outs.append(irax.jvp(op, args, tuple(inp.ones_like(a) for a in args))[1])
            outs.extend(irax.grad(_summed(op, inp), (0, 1))(*args))
            for in_axes in in_axes_list:
                vargs = tuple(b if ax == 0 else a for a, b, ax in zip(args, bargs, in_axes))
                outs.append(irax.vmap(op, in_axes)(*vargs))
                outs.extend(irax.vmap(irax.grad(_summed(op, inp), (0, 1)), in_axes)(*vargs))
    return outs


def reference_outputs(table, x, s, xs, ss, in_axes_list=IN_AXES):
    """The same in float64 NumPy: grads by central differences, vmaps by a loop."""
    def grads(op, a, b):
        a, b = np.float64(a) if np.ndim(a) == 0 else a, np.float64(b) if np.ndim(b) == 0 else b
        return (central_fd(lambda v: np.sum(op(v, b)), a),
                central_fd(lambda v: np.sum(op(a, v)), b))

    outs = []
    for op in table.values():
        for (a, b), bargs in _operand_pairs(*(np.asarray(v, np.float64) for v in (x, s, xs, ss)),
                                            dtype=np.float64):
            outs.append(op(a, b))
            eps = 1e-6
            outs.append((op(a + eps, b + eps) - op(a - eps, b - eps)) / (2 * eps))
            outs.extend(grads(op, a, b))
            for in_axes in in_axes_list:
                per = [tuple(bargs[k][n] if ax == 0 else (a, b)[k]
                             for k, ax in enumerate(in_axes)) for n in range(len(SS))]
                outs.append(np.stack([op(*p) for p in per]))
                g = [grads(op, *p) for p in per]
                outs.extend(np.stack([gk[k] for gk in g]) for k in (0, 1))
    return outs


def _assert_all_close(got, want):
    assert len(got) == len(want)
    for k, (a, b) in enumerate(zip(got, want)):
        a = np.asarray(a)
        assert a.shape == np.shape(b), (k, a.shape, np.shape(b))
        np.testing.assert_allclose(a, b, rtol=2e-4, atol=1e-5, err_msg=f"output {k}")


def test_abstract_eval_takes_a_scalar_against_any_shape():
    jaxpr = irax.make_jaxpr(lambda x, s: ew.mul_p.bind(x, s))(np.ones((2, 3), np.float32), S)
    assert jaxpr.jaxpr.outvars[0].aval.shape == (2, 3)
    jaxpr = irax.make_jaxpr(lambda c, r: ew.add_p.bind(c, r))(COL, ROW)
    assert jaxpr.jaxpr.outvars[0].aval.shape == (3, 3)
    # JAX's errors (lax.add's)
    with pytest.raises(TypeError, match=r"add got incompatible shapes for broadcasting: "
                                        r"\(3,\), \(2,\)\."):
        ew.add_p.bind(np.ones(3, np.float32), np.ones(2, np.float32))
    with pytest.raises(TypeError, match=r"add: arrays must have the same number of "
                                        r"dimensions, got \{1, 2\}"):
        ew.add_p.bind(np.ones(3, np.float32), np.ones((1, 3), np.float32))
    with pytest.raises(TypeError, match="incompatible shapes"):   # select is not one of them
        ew.select_p.bind(np.ones(3, bool), np.ones(3, np.float32), S)


def test_vmap_keeps_an_unbatched_scalar_a_scalar():
    text = str(irax.make_jaxpr(irax.vmap(lambda a, x: a * x, in_axes=(None, 0)))(S, XS))
    assert text == "{ lambda ; a:f32[] b:f32[2,3]. let c:f32[2,3] = mul a b in (c,) }"


def test_eager_jvp_grad_and_vmap():
    _assert_all_close(irax_outputs(IRAX_OPS, X, S, XS, SS),
                      reference_outputs(NUMPY_OPS, X, S, XS, SS))


def test_compiled():
    # one module: the lowering broadcasts each primitive's operands to the output's shape
    # (a product, and a select-based derivative; a batched scalar against an array)
    names, in_axes = ("mul", "max"), ((None, 0),)
    pick = lambda table: {k: table[k] for k in names}
    got = irax.jit(lambda *a: irax_outputs(pick(IRAX_OPS), *a, in_axes))(X, S, XS, SS)
    _assert_all_close(got, reference_outputs(pick(NUMPY_OPS), X, S, XS, SS, in_axes))
