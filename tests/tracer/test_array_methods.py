"""The tracer's own arithmetic operators (irax/tracer/array_methods.py).

They work with nothing but irax.tracer loaded (as JAX's array methods do without
jax.numpy being imported by the user), and they follow jax.numpy's rules: the operator
and the irax.numpy function give the same value, dtype and weak type.
"""
from __future__ import annotations

import operator
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import irax
import irax.numpy as jnp

ROOT = Path(__file__).resolve().parents[2]


def _fresh(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_grad_with_operators_without_irax_numpy():
    out = _fresh("import sys\n"
                 "from irax.tracer.api import grad, vmap\n"
                 "import numpy as np\n"
                 "print(grad(lambda x: x * 2.)(3.))\n"
                 "print(grad(lambda x: (x - 1.) ** 2 / 4. + abs(-x))(3.))\n"
                 "print(vmap(lambda x: x // 2 + x % 2)(np.arange(4)))\n"
                 "print('irax.numpy' in sys.modules)\n")
    # d/dx 2x = 2; d/dx (x-1)^2/4 + |x| at 3 = (3-1)/2 + 1 = 2; [0 1 1 2]
    assert out.split("\n")[:4] == ["2.0", "2.0", "[0 1 1 2]", "False"]


def test_import_irax_alone_grad():
    out = _fresh("import sys, irax\n"
                 "print(irax.grad(lambda x: x * x)(3.))\n"
                 "print('irax.numpy' in sys.modules)\n")
    assert out.split("\n")[:2] == ["6.0", "False"]


BINARY = [
    (operator.add, jnp.add), (operator.sub, jnp.subtract), (operator.mul, jnp.multiply),
    (operator.truediv, jnp.true_divide), (operator.floordiv, jnp.floor_divide),
    (operator.mod, jnp.remainder), (operator.pow, jnp.power),
    (operator.lt, jnp.less), (operator.le, jnp.less_equal), (operator.gt, jnp.greater),
    (operator.ge, jnp.greater_equal), (operator.eq, jnp.equal), (operator.ne, jnp.not_equal),
]
BITWISE = [(operator.and_, jnp.bitwise_and), (operator.or_, jnp.bitwise_or),
           (operator.xor, jnp.bitwise_xor)]

# (left, right) operand pairs: arrays of several dtypes, weak Python scalars, NumPy values,
# both orders (so the reflected operators run too), and broadcasting
OPERANDS = [
    (np.array([1.5, -2.0, 3.0], np.float32), 2.0),
    (3, np.array([1.0, 2.0, 4.0], np.float32)),
    (np.array([7, -7, 5], np.int32), np.array([2, 2, -3], np.int32)),
    (np.array([7, -7, 5], np.int32), 2.5),
    (np.array([[1.0], [2.0]], np.float32), np.array([1.0, 3.0, 5.0], np.float32)),
    (np.float32(2.0), np.array([1.0, 2.0], np.float32)),
]


def _typed(x):
    a = irax._core.get_aval(x)
    return np.asarray(x).tolist(), a.dtype.name, a.weak_type


def _bits(x):
    """Value (bit for bit, so NaN == NaN), shape, dtype and weak type."""
    a = irax._core.get_aval(x)
    return np.asarray(x).tobytes(), a.shape, a.dtype.name, a.weak_type


def _as_operand(v):
    # arrays enter as irax Arrays so the operator is irax's, not NumPy's
    return jnp.asarray(v) if isinstance(v, np.ndarray) else v


@pytest.mark.parametrize("op,fn", BINARY, ids=[f.__name__ for _, f in BINARY])
@pytest.mark.parametrize("pair", range(len(OPERANDS)))
def test_operator_matches_numpy_function(op, fn, pair):
    x, y = (_as_operand(v) for v in OPERANDS[pair])
    if op is operator.pow and np.asarray(x).dtype.kind in "iu" and \
            not isinstance(y, int) and np.asarray(y).dtype.kind in "iu":
        for f in (op, fn):   # integer array ** integer array: refused by both
            with pytest.raises(TypeError, match="integer arrays by array exponents"):
                f(x, y)
        return
    assert _bits(op(x, y)) == _bits(fn(x, y))


@pytest.mark.parametrize("op,fn", BITWISE, ids=[f.__name__ for _, f in BITWISE])
def test_bitwise_operators(op, fn):
    x, y = jnp.asarray(np.array([5, 3, 12], np.int32)), 6
    assert _typed(op(x, y)) == _typed(fn(x, y)) == ([op(5, 6), op(3, 6), op(12, 6)],
                                                    "int32", False)
    b = jnp.asarray(np.array([True, False]))
    assert _typed(op(b, True)) == _typed(fn(b, True))


def test_unary_operators_and_weak_types():
    x = jnp.asarray(np.array([1.5, -2.0], np.float32))
    assert _typed(-x) == ([-1.5, 2.0], "float32", False)
    assert _typed(+x) == _typed(x)
    assert _typed(abs(x)) == ([1.5, 2.0], "float32", False)
    assert _typed(~jnp.asarray(np.array([0, 1], np.int32))) == ([-1, -2], "int32", False)
    # a weak scalar does not widen float16; int array / Python float is default-float, weak
    h = jnp.asarray(np.array([1.0], np.float16))
    assert _typed(h * 2.0)[1:] == ("float16", False)
    assert _typed(jnp.asarray(np.array([3], np.int32)) / 2)[1:] == ("float32", False)
    assert _typed(irax.grad(lambda v: v * 3)(2.0)) == (3.0, "float32", True)


def test_comparison_with_non_arrays_is_pythons():
    x = jnp.asarray(np.array([1.0], np.float32))
    assert (x == None) is False  # noqa: E711
    assert (x != "a") is True
    with pytest.raises(TypeError, match="Incompatible shapes for broadcasting"):   # as JAX
        jnp.zeros((2,)) + jnp.zeros((3,))
