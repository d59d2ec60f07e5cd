"""irax.export (as jax.export): export(jit(f))(*specs) -> Exported; serialize / deserialize
(in another process too); call eagerly, under jit and vmap; grad through a serialized VJP.

References: NumPy values and analytic derivatives; JAX 0.10's own export for the
structure (in_tree / out_tree / avals / fun_name / platforms) and the error types.
One exported function serves most checks (each IREE compile costs ~0.5 s)."""
from __future__ import annotations

import json
import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import jax
import jax.numpy as jnp_ref
import numpy as np
import pytest
from jax import export as jax_export

import irax
import irax.numpy as jnp
from irax import export as iexport

S = irax.ShapeDtypeStruct
ROOT = Path(__file__).resolve().parent.parent


def _f(np_):
    def f(x, params, scale, *, shift):
        y = np_.sin(x) * params["w"] + params["b"][0] * scale
        return {"y": y, "parts": (np_.sum(x * x), y + shift)}
    return f


def _ref(x, w, b0, scale, shift):
    y = np.sin(x) * w + b0 * scale
    return {"y": y, "parts": (np.sum(x * x), y + shift)}


@pytest.fixture(scope="module")
def exported():
    specs = (S((3,), np.float32), {"w": S((3,), np.float32), "b": [S((), np.float32)]},
             S((), np.float32))
    return iexport.export(irax.jit(_f(jnp)))(*specs, shift=S((3,), np.float32))


def _args():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(3).astype(np.float32)
    w = rng.standard_normal(3).astype(np.float32)
    return x, w, np.float32(0.5), np.float32(2.0), np.arange(3, dtype=np.float32)


def test_structure_like_jax(exported):
    specs = (jax.ShapeDtypeStruct((3,), np.float32),
             {"w": jax.ShapeDtypeStruct((3,), np.float32),
              "b": [jax.ShapeDtypeStruct((), np.float32)]},
             jax.ShapeDtypeStruct((), np.float32))
    ref = jax_export.export(jax.jit(_f(jnp_ref)))(
        *specs, shift=jax.ShapeDtypeStruct((3,), np.float32))
    assert str(exported.in_tree) == str(ref.in_tree)
    assert str(exported.out_tree) == str(ref.out_tree)
    assert [(a.shape, a.dtype) for a in exported.in_avals] == \
        [(a.shape, a.dtype) for a in ref.in_avals]
    assert [(a.shape, a.dtype) for a in exported.out_avals] == \
        [(a.shape, a.dtype) for a in ref.out_avals]
    assert exported.fun_name == ref.fun_name == "f"
    assert exported.platforms == ref.platforms == ("cpu",)
    assert exported.nr_devices == 1 and exported.module_kept_var_idx == tuple(range(5))
    text = exported.mlir_module()
    assert "func.func public @main" in text and "stablehlo.sine" in text
    assert exported.has_vjp()   # made on demand in this process, as JAX


def test_call_and_serialize_round_trip(exported):
    x, w, b0, scale, shift = _args()
    ref = _ref(x, w, b0, scale, shift)
    out = exported.call(x, {"w": w, "b": [b0]}, scale, shift=shift)
    blob = exported.serialize()
    assert isinstance(blob, bytearray) and bytes(blob[:8]) == b"IRAXEXP\0"
    back = iexport.deserialize(blob)
    out2 = back.call(x, {"w": w, "b": [b0]}, scale, shift=shift)
    for o in (out, out2):
        np.testing.assert_allclose(o["y"], ref["y"], rtol=1e-6)
        np.testing.assert_allclose(o["parts"][0], ref["parts"][0], rtol=1e-6)
        np.testing.assert_allclose(o["parts"][1], ref["parts"][1], rtol=1e-6)
    assert str(back.in_tree) == str(exported.in_tree)
    assert back.in_avals == exported.in_avals and back.fun_name == "f"


def test_header_is_versioned_json(exported):
    blob = bytes(exported.serialize())
    version, hlen = struct.unpack_from("<II", blob, 8)
    header = json.loads(blob[16:16 + hlen])
    assert version == 1
    assert [s["name"] for s in header["sections"]] == ["stablehlo", "vmfb"]
    assert 16 + hlen + sum(s["size"] for s in header["sections"]) == len(blob)
    assert header["in_tree"]["t"] == "tuple"
    text = blob[16 + hlen:16 + hlen + header["sections"][0]["size"]].decode()
    assert text == exported.mlir_module()
    # a vmfb compiled by another compiler is not used: the text is compiled again
    header["sections"][1]["compiler"] = "some other IREE"
    h = json.dumps(header).encode()
    rest = blob[16 + hlen:]
    other = iexport.deserialize(blob[:8] + struct.pack("<II", 1, len(h)) + h + rest)
    x, w, b0, scale, shift = _args()
    np.testing.assert_allclose(other.call(x, {"w": w, "b": [b0]}, scale, shift=shift)["y"],
                               _ref(x, w, b0, scale, shift)["y"], rtol=1e-6)


def test_deserialize_in_another_process_reuses_the_vmfb(exported, tmp_path):
    """The child refuses to compile: the module must come from the bytes."""
    path = tmp_path / "f.irax"
    path.write_bytes(exported.serialize(vjp_order=1))
    x, w, b0, scale, shift = _args()
    np.save(tmp_path / "x.npy", x)
    code = textwrap.dedent(f"""
        import json, numpy as np
        import irax, irax.runtime.compiler as c
        def refuse(*a, **k):
            raise AssertionError("compiled")
        c.compile_stablehlo = refuse
        exp = irax.export.deserialize(open({str(path)!r}, "rb").read())
        x = np.load({str(tmp_path / 'x.npy')!r})
        w = np.array({w.tolist()!r}, np.float32)
        out = exp.call(x, {{"w": w, "b": [np.float32({float(b0)})]}}, np.float32({float(scale)}),
                       shift=np.arange(3, dtype=np.float32))
        vjp = exp.vjp()
        print(json.dumps({{"y": np.asarray(out["y"]).tolist(),
                          "s": float(out["parts"][0]), "vjp_in": len(vjp.in_avals)}}))
    """)
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, timeout=120)
    assert run.returncode == 0, run.stderr
    got = json.loads(run.stdout.strip().splitlines()[-1])
    ref = _ref(x, w, b0, scale, shift)
    np.testing.assert_allclose(got["y"], ref["y"], rtol=1e-6)
    np.testing.assert_allclose(got["s"], ref["parts"][0], rtol=1e-6)
    assert got["vjp_in"] == 5 + 3   # primal leaves, then one cotangent per result leaf


def test_grad_jit_vmap_of_deserialized_call(exported):
    x, w, b0, scale, shift = _args()
    back = iexport.deserialize(exported.serialize(vjp_order=1))

    def loss(x, w):
        out = back.call(x, {"w": w, "b": [b0]}, scale, shift=shift)
        return jnp.sum(out["y"]) + out["parts"][0]

    gx, gw = irax.grad(loss, argnums=(0, 1))(x, w)
    np.testing.assert_allclose(gx, np.cos(x) * w + 2 * x, rtol=1e-5)
    np.testing.assert_allclose(gw, np.sin(x), rtol=1e-5)
    # under jit: the call is a host callback into the module
    np.testing.assert_allclose(irax.jit(loss)(x, w),
                               np.sum(np.sin(x) * w + b0 * scale) + np.sum(x * x), rtol=1e-5)
    xs = np.stack([x, 2 * x])
    ys = irax.vmap(lambda x: back.call(x, {"w": w, "b": [b0]}, scale, shift=shift)["y"])(xs)
    np.testing.assert_allclose(ys, [_ref(v, w, b0, scale, shift)["y"] for v in xs], rtol=1e-6)
    # without a serialized VJP the deserialized call is not differentiable (as JAX)
    plain = iexport.deserialize(exported.serialize())
    with pytest.raises(ValueError, match="No VJP"):
        irax.grad(lambda x: plain.call(x, {"w": w, "b": [b0]}, scale,
                                       shift=shift)["parts"][0])(x)


def test_errors_like_jax(exported):
    x, w, b0, scale, shift = _args()
    with pytest.raises(ValueError, match="must be the result of `jit`"):
        iexport.export(lambda x: x)(1.0)
    with pytest.raises(ValueError, match="must be the result of `jit`"):
        jax_export.export(lambda x: x)(1.0)
    with pytest.raises(ValueError, match="Shape mismatch"):
        exported.call(np.ones(4, np.float32), {"w": w, "b": [b0]}, scale, shift=shift)
    with pytest.raises(ValueError, match="Dtype mismatch"):
        exported.call(np.ones(3, np.int32), {"w": w, "b": [b0]}, scale, shift=shift)
    with pytest.raises(ValueError, match="pytree structure"):
        exported.call(x, {"w": w, "b": [b0]}, scale)
    with pytest.raises(ValueError, match="magic"):
        iexport.deserialize(b"not an export")
    with pytest.raises(NotImplementedError, match="symbolic_shape"):
        iexport.symbolic_shape("a, b")
    with pytest.raises(NotImplementedError, match="symbolic_args_specs"):
        iexport.symbolic_args_specs(x, "a")
    assert not iexport.is_symbolic_dim(3)
    with pytest.raises(ValueError, match="platform"):
        iexport.export(irax.jit(jnp.sin), platforms=("tpu",))
    gpu = iexport.export(irax.jit(jnp.sin), platforms=("cuda",))(S((2,), np.float32))
    with pytest.raises(ValueError, match=r"exported for platforms \('cuda',\)"):
        gpu.call(np.ones(2, np.float32))
    with pytest.raises(ValueError, match="calls back into Python"):
        iexport.export(irax.jit(lambda v: irax.debug.print("{}", v) or v))(S((2,), np.float32))
    assert iexport.DisabledSafetyCheck.platform() == iexport.DisabledSafetyCheck("platform")
    assert iexport.DisabledSafetyCheck.custom_call("x").is_custom_call() == "x"
    assert str(jax_export.DisabledSafetyCheck.platform()) == \
        str(iexport.DisabledSafetyCheck.platform())
    assert iexport.default_export_platform() == jax_export.default_export_platform()
