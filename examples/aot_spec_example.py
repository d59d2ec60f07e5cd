"""A sample spec for `irax compile`: a small MLP's `predict`, `loss_grad` and `train_step`.

    irax compile examples/aot_spec_example.py -o /tmp/mlp.vmfb
    irax compile examples/aot_spec_example.py -o /tmp/mlp_multi.vmfb --target llvm-cpu,vulkan,cuda
    python -c "import numpy as np; np.save('/tmp/x.npy', np.ones((8, 2), np.float32))"
    irax run /tmp/mlp.vmfb --function predict --input ... (one .npy per leaf; see `irax run /tmp/mlp.vmfb`)

`EXPORTS` maps each exported name to `(function, arg_specs)`: `arg_specs` is the
tuple of positional arguments, each a pytree of `irax.ShapeDtypeStruct`s (or
example arrays). The pytree structure (here a dict of parameters) is saved in
the module, so `irax.runtime.load(path).predict(params, x)` takes the same dict.
"""
from __future__ import annotations

import irax
import irax.numpy as jnp
from irax import ShapeDtypeStruct

BATCH, IN, HIDDEN, OUT = 8, 2, 16, 1

f32 = "float32"
PARAMS = {
    "w1": ShapeDtypeStruct((IN, HIDDEN), f32),
    "b1": ShapeDtypeStruct((HIDDEN,), f32),
    "w2": ShapeDtypeStruct((HIDDEN, OUT), f32),
    "b2": ShapeDtypeStruct((OUT,), f32),
}
X = ShapeDtypeStruct((BATCH, IN), f32)
Y = ShapeDtypeStruct((BATCH, OUT), f32)
LR = ShapeDtypeStruct((), f32)


def predict(params: dict, x):
    h = jnp.tanh(x @ params["w1"] + params["b1"])
    return h @ params["w2"] + params["b2"]


def loss(params: dict, x, y):
    return jnp.mean((predict(params, x) - y) ** 2)


def train_step(params: dict, x, y, lr):
    value, grads = irax.value_and_grad(loss)(params, x, y)
    new_params = {k: params[k] - lr * grads[k] for k in params}
    return new_params, value


EXPORTS = {
    "predict": (predict, (PARAMS, X)),
    "loss_grad": (irax.value_and_grad(loss), (PARAMS, X, Y)),
    "train_step": (train_step, (PARAMS, X, Y, LR)),
}
