"""Train an MNIST-shaped classifier with irax.random + irax.nn + irax.optim, then ship `predict` as a .vmfb.

    python examples/mnist_like_train.py

The data are synthetic (no downloads): 28x28 "digits" drawn as one smooth
template per class plus noise and a random shift, so that a small MLP has
something to learn. The loop reads as it does with JAX + optax:

    opt = irax.optim.adamw(schedule, weight_decay=...)
    state = opt.init(params)
    updates, state = opt.update(grads, state, params)
    params = irax.optim.apply_updates(params, updates)

At the end `predict` is exported with `irax.aot.export`, loaded back with
`irax.runtime` and checked against eager evaluation.
"""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

import irax
import irax.numpy as jnp
import irax.random
from irax import nn, optim

CLASSES, SIDE, HIDDEN = 10, 28, 128
TRAIN, TEST, BATCH, EPOCHS = 2048, 512, 128, 3


def make_data(rng: np.random.Generator, n: int, templates: np.ndarray):
    labels = rng.integers(0, CLASSES, size=n)
    images = templates[labels]
    shifts = rng.integers(-2, 3, size=(n, 2))
    images = np.stack([np.roll(img, tuple(s), axis=(0, 1)) for img, s in zip(images, shifts)])
    images = images + 0.6 * rng.normal(size=images.shape)
    return images.reshape(n, SIDE * SIDE).astype(np.float32), labels.astype(np.int32)


def smooth_templates(rng: np.random.Generator) -> np.ndarray:
    yy, xx = np.mgrid[0:SIDE, 0:SIDE] / SIDE
    out = []
    for _ in range(CLASSES):
        centres = rng.uniform(0.2, 0.8, size=(3, 2))
        blob = sum(np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / 0.01) for cy, cx in centres)
        out.append(blob / blob.max())
    return np.stack(out)


def init_params(seed: int):
    k1, k2 = irax.random.split(irax.random.PRNGKey(seed))
    glorot = nn.initializers.glorot_uniform()
    return {"w1": glorot(k1, (SIDE * SIDE, HIDDEN)), "b1": jnp.zeros(HIDDEN),
            "w2": glorot(k2, (HIDDEN, CLASSES)), "b2": jnp.zeros(CLASSES)}


def predict(params, images):
    hidden = nn.gelu(nn.standardize(images) @ params["w1"] + params["b1"])
    return nn.log_softmax(hidden @ params["w2"] + params["b2"])


def loss(params, images, labels):
    return -jnp.mean(jnp.sum(nn.one_hot(labels, CLASSES) * predict(params, images), axis=-1))


def main() -> None:
    t0 = time.perf_counter()
    rng = np.random.default_rng(0)
    templates = smooth_templates(rng)
    x_train, y_train = make_data(rng, TRAIN, templates)
    x_test, y_test = make_data(rng, TEST, templates)

    steps = EPOCHS * (TRAIN // BATCH)
    schedule = optim.warmup_cosine_decay_schedule(0.0, 3e-3, warmup_steps=steps // 10,
                                                  decay_steps=steps, end_value=1e-4)
    opt = optim.chain(optim.clip_by_global_norm(1.0),
                      optim.adamw(schedule, weight_decay=1e-4))
    params = init_params(0)
    state = opt.init(params)

    @irax.jit
    def train_step(params, state, images, labels):
        value, grads = irax.value_and_grad(loss)(params, images, labels)
        updates, state = opt.update(grads, state, params)
        return optim.apply_updates(params, updates), state, value

    def accuracy(params, images, labels):  # eager: NumPy kernels, no compile needed
        return jnp.mean(jnp.argmax(predict(params, images), axis=-1) == labels)

    for epoch in range(EPOCHS):
        order = rng.permutation(TRAIN)
        for i in range(TRAIN // BATCH):
            idx = order[i * BATCH:(i + 1) * BATCH]
            params, state, value = train_step(params, state, x_train[idx], y_train[idx])
        acc = float(accuracy(params, x_test, y_test))
        print(f"epoch {epoch + 1}: last batch loss {float(value):.4f}, test accuracy {acc:.3f}")

    # Ship the predictor: the module takes the parameter dict and a batch of images.
    trained = {k: np.asarray(v) for k, v in params.items()}
    param_spec = {k: irax.ShapeDtypeStruct(v.shape, v.dtype) for k, v in trained.items()}
    image_spec = irax.ShapeDtypeStruct((BATCH, SIDE * SIDE), "float32")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "mnist_like_predict.vmfb"
        irax.aot.export({"predict": (predict, (param_spec, image_spec))}, path=path)
        module = irax.runtime.load(path, numpy_results=True)
        shipped = module.predict(trained, x_test[:BATCH])
        print(f"exported predict: {path.stat().st_size / 1024:.0f} KiB")
    reference = np.asarray(predict(params, x_test[:BATCH]))
    np.testing.assert_allclose(shipped, reference, rtol=1e-4, atol=1e-5)
    agree = np.mean(shipped.argmax(-1) == y_test[:BATCH])
    print(f"the .vmfb's predictions match eager irax; its accuracy on {BATCH} test "
          f"images: {agree:.3f} ({time.perf_counter() - t0:.1f} s in all)")


if __name__ == "__main__":
    main()
