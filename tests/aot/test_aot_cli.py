"""The `irax` CLI: compile a SPEC.py, run an exported function; bad specs are one-paragraph errors."""
from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_SPEC = ROOT / "examples" / "aot_spec_example.py"


def irax_cli(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "irax.aot.cli", *map(str, args)], capture_output=True, text=True, cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def assert_one_paragraph_error(res: subprocess.CompletedProcess, *needles: str) -> None:
    assert res.returncode != 0
    err = res.stderr.strip()
    assert "Traceback" not in err, err
    assert "\n\n" not in err, err
    # Progress lines may come first; the error itself is the last paragraph.
    start = max(err.find("irax compile: error:"), err.find("irax run: error:"))
    assert start >= 0, err
    msg = err[start:]
    for n in needles:
        assert n in msg, err


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess]:
    d = tmp_path_factory.mktemp("cli")
    out = d / "mlp.vmfb"
    res = irax_cli("compile", EXAMPLE_SPEC, "-o", out, "--cpu", "generic", "--emit-stablehlo", d / "hlo",
                   "--verbose")
    return out, res


def test_compile_happy_path(compiled) -> None:
    out, res = compiled
    assert res.returncode == 0, res.stderr
    assert out.is_file() and out.stat().st_size > 0
    err = res.stderr
    for line in ("[1/3] predict:", "[2/3] loss_grad:", "[3/3] train_step:", "compiled ", "wrote "):
        assert line in err, err
    assert " s" in err and "--iree-llvmcpu-target-cpu=generic" in err  # timings; flags with --verbose
    hlo = out.parent / "hlo"
    assert sorted(p.name for p in hlo.iterdir()) == ["loss_grad.mlir", "module.mlir", "predict.mlir", "train_step.mlir"]


def test_run_matches_eager(compiled, tmp_path: Path) -> None:
    out, _ = compiled
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        import aot_spec_example as ex
    finally:
        sys.path.pop(0)
    rng = np.random.default_rng(3)
    params = {k: rng.normal(size=s.shape).astype(np.float32) for k, s in ex.PARAMS.items()}
    x = rng.normal(size=ex.X.shape).astype(np.float32)
    files = []
    for name in ["b1", "b2", "w1", "w2"]:  # flat leaves: dict keys sorted, then x
        np.save(tmp_path / f"{name}.npy", params[name])
        files += ["--input", tmp_path / f"{name}.npy"]
    np.save(tmp_path / "x.npy", x)
    res = irax_cli("run", out, "--function", "predict", *files, "--input", tmp_path / "x.npy",
                   "--output", tmp_path / "out.npz")
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("result: float32[8,1] = ")
    got = np.load(tmp_path / "out.npz")["result"]
    np.testing.assert_allclose(got, np.asarray(ex.predict(params, x)), rtol=1e-5, atol=1e-6)


def test_run_errors(compiled, tmp_path: Path) -> None:
    out, _ = compiled
    assert_one_paragraph_error(irax_cli("run", out), "exports 3 functions", "predict(params['b1']: float32[16]")
    assert_one_paragraph_error(irax_cli("run", out, "-f", "nope"), "no function 'nope'")
    np.save(tmp_path / "x64.npy", np.zeros((8, 2)))
    assert_one_paragraph_error(irax_cli("run", out, "-f", "predict", "-i", tmp_path / "x64.npy"),
                               "predict takes 5 input(s), got 1")
    assert_one_paragraph_error(irax_cli("run", tmp_path / "missing.vmfb"), "does not exist")


def spec_file(tmp_path: Path, body: str) -> Path:
    p = tmp_path / "spec.py"
    p.write_text(textwrap.dedent(body))
    return p


BAD_SPECS = {
    "no_exports": ("import irax\nx = 1\n", ["defines no EXPORTS"]),
    "exports_not_dict": ("EXPORTS = [1, 2]\n", ["EXPORTS must be a non-empty dict"]),
    "not_a_shape": (
        """
        import irax.numpy as jnp
        def f(x):
            return jnp.sin(x)
        EXPORTS = {"f": (f, ("float32[3]",))}
        """,
        ["export 'f': argument x is str 'float32[3]', not a shape", "ShapeDtypeStruct"],
    ),
    "fails_to_trace": (
        """
        import irax
        import irax.numpy as jnp
        def f(x, y):
            return jnp.dot(x, y)
        EXPORTS = {"f": (f, (irax.ShapeDtypeStruct((3, 4), "float32"), irax.ShapeDtypeStruct((5,), "float32")))}
        """,
        ["export 'f': tracing f failed", "spec.py:5"],
    ),
    "spec_raises": ("import irax\nraise RuntimeError('boom')\n", ["running", "spec.py:2", "RuntimeError: boom"]),
    "syntax_error": ("EXPORTS = {\n", ["spec.py:1: syntax error"]),
}


@pytest.mark.parametrize("case", sorted(BAD_SPECS))
def test_bad_spec_is_one_paragraph(case: str, tmp_path: Path) -> None:
    body, needles = BAD_SPECS[case]
    spec = spec_file(tmp_path, body)
    res = irax_cli("compile", spec, "-o", tmp_path / "out.vmfb")
    assert_one_paragraph_error(res, *needles)
    assert not (tmp_path / "out.vmfb").exists()
    verbose = irax_cli("compile", spec, "-o", tmp_path / "out.vmfb", "--verbose")
    assert verbose.returncode != 0 and "Traceback" in verbose.stderr


def test_missing_spec_file(tmp_path: Path) -> None:
    res = irax_cli("compile", tmp_path / "nope.py", "-o", tmp_path / "out.vmfb")
    assert_one_paragraph_error(res, "nope.py", "does not exist")


def test_bad_target(tmp_path: Path) -> None:
    res = irax_cli("compile", EXAMPLE_SPEC, "-o", tmp_path / "out.vmfb", "--target", "tpu")
    assert_one_paragraph_error(res, "unknown compile target 'tpu'")


def test_output_path_is_checked_before_compiling(tmp_path: Path) -> None:
    not_a_dir = tmp_path / "notes.txt"
    not_a_dir.write_text("a file, not a folder")
    res = irax_cli("compile", EXAMPLE_SPEC, "-o", not_a_dir / "out.vmfb")
    assert_one_paragraph_error(res, "cannot write", "notes.txt' is not a directory")
    assert "[1/3]" not in res.stderr and "compiling" not in res.stderr   # nothing traced
    res = irax_cli("compile", EXAMPLE_SPEC, "-o", tmp_path)
    assert_one_paragraph_error(res, "is a directory")
    assert "[1/3]" not in res.stderr


def test_written_module_has_normal_permissions(compiled) -> None:
    out, res = compiled
    assert res.returncode == 0, res.stderr
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~umask   # not mkstemp's 0600


def test_compile_help_explains_the_spec_file() -> None:
    res = irax_cli("compile", "--help")
    assert res.returncode == 0
    for needle in ("EXPORTS = {name: (function, arg_specs), ...}", "arg_specs",
                   "irax.ShapeDtypeStruct(shape, dtype)", "one entry per positional argument",
                   "iree-run-module"):
        assert needle in res.stdout, needle


def test_console_script_is_declared() -> None:
    assert 'irax = "irax.aot.cli:main"' in (ROOT / "pyproject.toml").read_text()
