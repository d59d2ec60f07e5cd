"""Writes tests/numpy/ops_image_expected.py: JAX's outputs for the cases of
test_ops_image.py (values, dtypes, shapes; gradients by jax.grad), so that the test itself
need not run JAX's compiles (tens of seconds).

Run after changing a case:  PYTHONPATH=. python tests/numpy/make_ops_image_expected.py
"""
from pathlib import Path

import numpy as np

from tests.numpy import test_ops_image as T


def _values(a: np.ndarray) -> str:
    """The entries at the precision of their dtype (str of a float32 is its shortest
    round-tripping form), nested like the array."""
    if a.ndim == 0:
        return str(a.item()) if a.dtype.kind in "iub" else str(a[()])
    return "[" + ", ".join(_values(row) for row in a) + "]"


def main():
    lines = ['"""JAX 0.10\'s outputs for tests/numpy/test_ops_image.py, written by',
             'make_ops_image_expected.py (do not edit by hand)."""',
             'nan, inf = float("nan"), float("inf")', "", "EXPECTED = {"]
    for name, value in sorted(T.jax_reference().items()):
        lines.append(f"    {name!r}: ({value.dtype.name!r}, {value.shape!r}, {_values(value)}),")
    lines.append("}")
    Path(__file__).with_name("ops_image_expected.py").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
