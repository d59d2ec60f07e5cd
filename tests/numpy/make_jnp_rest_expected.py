"""Writes tests/numpy/jnp_rest_expected.py: JAX's outputs for the cases of
test_numpy_rest.py (values, dtypes, shapes; gradients by jax.grad), so that the test itself
need not run JAX's eager dispatch and compiles (tens of seconds cold).

Run after changing a case:  PYTHONPATH=. python tests/numpy/make_jnp_rest_expected.py
"""
from pathlib import Path

import jax
import jax.numpy as jjnp
import numpy as np

from tests.numpy import test_numpy_rest as T


def _entry(value):
    a = np.asarray(value)
    return f"({a.dtype.name!r}, {a.shape!r}, {a.tolist()!r})"


def main():
    lines = ['"""JAX 0.10\'s outputs for tests/numpy/test_numpy_rest.py, written by',
             'make_jnp_rest_expected.py (do not edit by hand)."""',
             'nan, inf = float("nan"), float("inf")', "", "EXPECTED = {"]
    for name, f in T.ARRAY_CASES.items():
        lines.append(f"    {name!r}: {_entry(f(jjnp, T.X, T.I))},")
    for name, f in T.EAGER_CASES.items():
        lines.append(f"    {name!r}: {_entry(f(jjnp))},")
    for name, f in T.GRAD_CASES.items():
        g = jax.grad(lambda y: jjnp.sum(f(jjnp, y)))(T.X + T.W)
        lines.append(f"    'grad_' + {name!r}: {_entry(g)},")
    lines.append("}")
    out = Path(__file__).with_name("jnp_rest_expected.py")
    out.write_text("\n".join(lines) + "\n")
    print("wrote", out)


if __name__ == "__main__":
    main()
