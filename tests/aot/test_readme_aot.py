"""README's "Ahead-of-time compile" section works as written: its spec file and its
commands (irax compile, irax run, IREE's iree-run-module) are run, and the numbers are
checked against NumPy."""
from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SECTION = "## Ahead-of-time compile"


def _section() -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    return text[start:end if end >= 0 else None]


def _blocks(section: str, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", section, flags=re.S)


def _argv(line: str) -> list[str] | None:
    """The command line as run here (this Python, this tree's irax); None: not available."""
    words = shlex.split(line)
    if words[0] == "irax":
        return [sys.executable, "-m", "irax.aot.cli", *words[1:]]
    if words[0] == "python":
        return [sys.executable, *words[1:]]
    if words[0].startswith("iree-"):
        tool = BIN / words[0]
        return [str(tool), *words[1:]] if tool.exists() else None
    raise AssertionError(f"README command of an unexpected tool: {line}")


def test_readme_spec_and_commands_run_and_match_numpy(tmp_path: Path) -> None:
    section = _section()
    specs = [b for b in _blocks(section, "python") if "EXPORTS" in b]
    assert len(specs) == 1, "the section shows one complete spec file"
    spec_name = re.match(r"# (\S+\.py)\n", specs[0]).group(1)
    (tmp_path / spec_name).write_text(specs[0])
    (commands,) = _blocks(section, "sh")
    lines = [ln for ln in commands.splitlines() if ln.strip() and not ln.startswith("#")]
    assert [ln.split()[0] for ln in lines] == ["irax", "python", "irax", "iree-run-module"]
    ran = []
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for line in lines:
        argv = _argv(line)
        if argv is None:
            continue
        res = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, env=env)
        assert res.returncode == 0, f"{line}\n{res.stderr}"
        ran.append(line.split()[0])

    b, w, x = (np.load(tmp_path / f"{n}.npy") for n in ("b", "w", "x"))
    want = np.tanh(x.astype(np.float64) @ w + b)
    np.testing.assert_allclose(np.load(tmp_path / "pred.npz")["result"], want, rtol=1e-5,
                               atol=1e-6)
    if "iree-run-module" in ran:
        np.testing.assert_allclose(np.load(tmp_path / "pred.npy"), want, rtol=1e-5, atol=1e-6)
    else:
        pytest.skip("iree-run-module is not installed next to this Python")


def test_readme_states_the_flattened_order_export_uses() -> None:
    """The leaf order the README states is the one export names the arguments by (the
    `iree.abi.name`s; tracing only, no compile)."""
    from irax.aot.export import trace

    section = _section()
    (spec,) = [b for b in _blocks(section, "python") if "EXPORTS" in b]
    namespace: dict = {}
    exec(compile(spec, "mlp_spec.py", "exec"), namespace)
    for name, (fn, arg_specs) in namespace["EXPORTS"].items():
        info, _ = trace(name, fn, tuple(arg_specs))
        order = ", ".join(info.arg_names)
        assert f"`{name}" in section and f"`{order}`" in section, (name, order)
