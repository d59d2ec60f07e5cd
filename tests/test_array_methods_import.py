"""A program that imports only `irax` still gets the array methods irax.numpy installs
(x.reshape, x[i], x @ y, x.sum(), ...): the first use imports irax.numpy. Checked in a
fresh process, where nothing imported irax.numpy before."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = """
import json, sys
import numpy as np
import irax
y = irax.jit(lambda x: x * 2)(np.arange(4, dtype=np.float32))
before = "irax.numpy" in sys.modules
out = {"before": before, "reshape": y.reshape(2, 2).tolist(), "item": float(y[1]),
       "matmul": float(y @ y), "sum": float(y.sum()), "T": y.T.tolist()}
try:
    y.no_such_method
except AttributeError as e:
    out["missing"] = str(e)
print(json.dumps(out))
"""


def test_methods_load_irax_numpy_on_first_use() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = json.loads(subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True,
                                    text=True, check=True, cwd=ROOT, env=env).stdout)
    assert out == {"before": False, "reshape": [[0., 2.], [4., 6.]], "item": 2.,
                   "matmul": 56., "sum": 12., "T": [0., 2., 4., 6.],
                   "missing": "'Array' object has no attribute 'no_such_method'"}
