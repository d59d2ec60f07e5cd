"""Bad input gives a clear error: the right exception type and a message naming the problem.

One list for reliability issue #7 (some overlap with tests/tracer and tests/aot is fine).
"""
from __future__ import annotations

import numpy as np
import pytest

import irax
import irax.numpy as jnp


# ---------------------------------------------------------------------------
# Differentiation


def test_grad_of_non_scalar_output():
    with pytest.raises(TypeError, match=r"scalar-output.*shape: \(3,\)"):
        irax.grad(lambda x: x * 2.0)(jnp.ones(3))


def test_grad_of_pytree_output():
    with pytest.raises(TypeError, match="scalar-output"):
        irax.grad(lambda x: (jnp.sum(x), jnp.sum(x)))(jnp.ones(3))


def test_grad_wrt_integer_input():
    with pytest.raises(TypeError, match=r"int32.*argument 0.*allow_int"):
        irax.grad(lambda x: x * 2)(3)
    with pytest.raises(TypeError, match="int32"):
        irax.grad(lambda x, y: jnp.sum(x * y), argnums=1)(jnp.ones(2), jnp.ones(2, dtype=jnp.int32))


def test_grad_argnums_out_of_range():
    # JAX: TypeError (too few positional arguments for argnums)
    with pytest.raises(TypeError, match="argnums"):
        irax.grad(lambda x: x, argnums=2)(1.0)


def test_jvp_tangent_shape_mismatch():
    with pytest.raises(ValueError, match=r"primal shape \(3,\) and tangent shape as \(2,\)"):
        irax.jvp(jnp.sin, (jnp.ones(3),), (jnp.ones(2),))


def test_vjp_cotangent_shape_mismatch():
    _, f_vjp = irax.vjp(jnp.sin, jnp.ones(3))
    with pytest.raises(ValueError, match=r"got float32\[2\], but expected float32\[3\]"):
        f_vjp(jnp.ones(2))


# ---------------------------------------------------------------------------
# Shapes and axes


def test_binary_op_shape_mismatch_names_both_shapes():
    with pytest.raises(TypeError, match=r"\(2, 3\).*\(4,\)"):
        jnp.ones((2, 3)) + jnp.ones(4)


def test_binary_op_shape_mismatch_under_jit():
    with pytest.raises(TypeError, match=r"\(2, 3\).*\(4,\)"):
        irax.jit(lambda a, b: a * b)(jnp.ones((2, 3)), jnp.ones(4))


def test_matmul_shape_mismatch_names_both_shapes():
    with pytest.raises(TypeError, match=r"\(2, 3\).*\(4, 5\)"):
        jnp.ones((2, 3)) @ jnp.ones((4, 5))
    with pytest.raises(TypeError, match=r"\(3,\).*\(2,\)"):
        jnp.matmul(jnp.ones(3), jnp.ones(2))


def test_dot_shape_mismatch():
    with pytest.raises((TypeError, ValueError), match=r"3.*4|\(2, 3\).*\(4"):
        jnp.dot(jnp.ones((2, 3)), jnp.ones((4, 2)))


@pytest.mark.parametrize("axis", [2, -3])
def test_out_of_range_axis(axis):
    with pytest.raises(ValueError, match=f"axis {axis} is out of bounds.*dimension 2"):
        jnp.sum(jnp.ones((2, 3)), axis=axis)


def test_out_of_range_axis_other_ops():
    x = jnp.ones((2, 3))
    for fn in (lambda: jnp.max(x, axis=5), lambda: jnp.cumsum(x, axis=2),
               lambda: jnp.expand_dims(x, 4), lambda: jnp.concatenate([x, x], axis=2)):
        with pytest.raises((ValueError, IndexError), match="axis|out of"):
            fn()


def test_bad_reshape_names_sizes():
    with pytest.raises((ValueError, TypeError), match=r"6|\(4,\)"):
        jnp.reshape(jnp.ones((2, 3)), (4,))


def test_index_out_of_bounds():
    # JAX clamps a static out-of-bounds index of an array (x[5] of a length-3 array is x[2]);
    # only an empty axis has nothing to clamp to
    assert float(jnp.arange(3.0)[5]) == 2.0
    with pytest.raises(IndexError, match="out of bounds for axis 0 with size 0"):
        jnp.ones(0)[5]


# ---------------------------------------------------------------------------
# vmap


def test_vmap_inconsistent_axis_sizes():
    with pytest.raises(ValueError, match=r"inconsistent sizes(.|\n)*size 3(.|\n)*size 4"):
        irax.vmap(lambda a, b: a + b)(jnp.ones(3), jnp.ones(4))


def test_vmap_axis_out_of_range():
    with pytest.raises(ValueError, match="axis 1.*rank"):
        irax.vmap(jnp.sin, in_axes=1)(jnp.ones(3))


def test_vmap_in_axes_length_mismatch():
    with pytest.raises(ValueError, match="in_axes"):
        irax.vmap(lambda a, b: a + b, in_axes=(0, 0, 0))(jnp.ones(3), jnp.ones(3))


# ---------------------------------------------------------------------------
# jit: concretization, leaked tracers, arguments


def python_branch(x):
    if x > 0:
        return x
    return -x


def test_concretization_under_jit_names_function_and_static_argnums():
    with pytest.raises(irax.ConcretizationTypeError) as info:
        irax.jit(python_branch)(jnp.ones(()))
    msg = str(info.value)
    assert "python_branch" in msg and "static_argnums" in msg and "Attempted boolean conversion" in msg


def test_concretization_works_with_static_argnums():
    assert float(irax.jit(python_branch, static_argnums=0)(2.0)) == 2.0


def test_leaked_tracer_from_grad():
    leaked = []

    def f(x):
        leaked.append(x)
        return x * 2.0
    irax.grad(f)(1.0)
    with pytest.raises(irax.UnexpectedTracerError, match="escaped|leaked"):
        jnp.sin(leaked[0])


def test_leaked_tracer_from_jit_used_in_another_jit():
    leaked = []

    def f(x):
        leaked.append(x)
        return x * 2.0
    irax.jit(f)(jnp.ones(()))
    with pytest.raises(irax.UnexpectedTracerError, match="leaked|escaped"):
        irax.jit(lambda y: y + leaked[0])(jnp.ones(()))
    with pytest.raises(irax.UnexpectedTracerError):
        jnp.sin(leaked[0])


def test_jit_wrong_number_of_arguments():
    def add(x, y):
        return x + y
    f = irax.jit(add)
    with pytest.raises(TypeError, match=r"add\(\) missing 1 required positional argument: 'y'"):
        f(jnp.ones(3))
    with pytest.raises(TypeError, match="positional argument"):
        f(jnp.ones(3), jnp.ones(3), jnp.ones(3))


def test_jit_non_array_argument_suggests_static():
    with pytest.raises(TypeError, match="static"):
        irax.jit(lambda x, s: x)(jnp.ones(2), "a string")


def test_jit_unhashable_static_argument():
    with pytest.raises(ValueError, match="hashable"):   # JAX: ValueError
        irax.jit(lambda x, s: x, static_argnums=1)(jnp.ones(2), [1, 2])


def test_jit_non_array_output():
    with pytest.raises(TypeError, match="not an array"):
        irax.jit(lambda x: (x, "text"))(jnp.ones(2))


# ---------------------------------------------------------------------------
# Compiled functions and modules


@pytest.fixture(scope="module")
def compiled_add():
    return irax.jit(lambda x, y: x + y).lower(jnp.ones(3), jnp.ones(3)).compile()


def test_compiled_wrong_shape(compiled_add):
    with pytest.raises(TypeError, match=r"f32\[4\].*compiled for f32\[3\]"):
        compiled_add(jnp.ones(4), jnp.ones(4))


def test_compiled_wrong_dtype(compiled_add):
    with pytest.raises(TypeError, match=r"i32\[3\].*compiled for f32\[3\]"):
        compiled_add(jnp.ones(3, dtype=jnp.int32), jnp.ones(3))


def test_compiled_wrong_number_of_arguments(compiled_add):
    with pytest.raises(TypeError, match="structure"):
        compiled_add(jnp.ones(3))


@pytest.fixture(scope="module")
def exported_module(tmp_path_factory):
    from irax import aot
    spec = irax.ShapeDtypeStruct((3,), np.float32)
    path = tmp_path_factory.mktemp("aot") / "m.vmfb"
    aot.export({"scale": (lambda x, y: x * y, (spec, spec))}).save(path)
    return irax.runtime.load(path)


def test_exported_wrong_number_of_arguments(exported_module):
    with pytest.raises(TypeError, match="scale"):
        exported_module.scale(np.ones(3, np.float32))


def test_exported_wrong_shape_and_dtype(exported_module):
    from irax.runtime import InputError
    with pytest.raises((InputError, TypeError, ValueError), match=r"scale: argument \[0\]: expected float32\[3\], got float32\[4\]"):
        exported_module.scale(np.ones(4, np.float32), np.ones(4, np.float32))
    with pytest.raises((InputError, TypeError, ValueError), match="int32|dtype|i32"):
        exported_module.scale(np.ones(3, np.int32), np.ones(3, np.float32))


def test_module_file_that_is_not_a_module(tmp_path):
    from irax.runtime import ModuleLoadError
    bad = tmp_path / "bad.vmfb"
    bad.write_bytes(b"this is not an IREE module")
    with pytest.raises(ModuleLoadError, match="bad.vmfb"):
        irax.runtime.load(bad)
    with pytest.raises(ModuleLoadError, match="does not exist"):
        irax.runtime.load(tmp_path / "missing.vmfb")


def test_unknown_device():
    with pytest.raises(ValueError, match=r"unknown device 'tpu'.*cpu"):
        irax.jit(lambda x: x, device="tpu")


def test_unknown_device_in_config():
    prev = irax.config.device
    try:
        irax.config.update("device", "tpu")
        with pytest.raises(ValueError, match="unknown device 'tpu'"):
            irax.jit(lambda x: x + 1.0)(jnp.ones(2))
    finally:
        irax.config.update("device", prev)


def test_unknown_target():
    with pytest.raises(ValueError, match=r"unknown compile target 'bogus'.*llvm-cpu"):
        irax.runtime.compile_flags("bogus")


def test_unknown_export_target():
    from irax import aot
    spec = irax.ShapeDtypeStruct((3,), np.float32)
    with pytest.raises((ValueError, aot.export.__globals__.get("ExportError", ValueError)),
                       match="bogus"):
        aot.export({"f": (lambda x: x, (spec,))}, target="bogus")


def test_unknown_config_option():
    with pytest.raises(ValueError, match="unknown irax config option 'nope'"):
        irax.config.update("nope", True)
