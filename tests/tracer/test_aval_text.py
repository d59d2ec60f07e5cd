"""Avals print as JAX 0.10's: str is `float32[3]` (`~` marks a weak type), repr is
`ShapedArray(float32[3])` (values written from a JAX run)."""
from __future__ import annotations

import numpy as np

import irax
import irax.numpy as jnp


def test_typeof_str_and_repr_as_jax() -> None:
    assert str(irax.typeof(jnp.ones(3))) == "float32[3]"
    assert repr(irax.typeof(jnp.ones((2, 3), jnp.int32))) == "ShapedArray(int32[2,3])"
    assert str(irax.typeof(1.0)) == "~float32[]"
    assert repr(irax.core.ShapedArray((2,), np.float32, weak_type=True)) == \
        "ShapedArray(float32[2], weak_type=True)"
    # jaxprs keep the short form
    assert str(irax.make_jaxpr(lambda x: x + 1)(1.)) == \
        "{ lambda ; a:f32[]. let b:f32[] = add a 1.0:f32[] in (b,) }"
