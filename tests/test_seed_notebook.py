"""The seed notebook ("Custom derivative rules for Python code") runs on irax and prints what
the notebook prints.

examples/custom_rules_tour.py holds every code cell of the notebook (jax -> irax, nothing else
changed) and prints `=== cell N` before each cell's output. This test runs it once in a
subprocess and compares each cell's output with tests/seed_expected/cells.json, which
tests/seed_expected/extract.py builds from the notebook text (not from irax).

Run:        python -m pytest -q tests/test_seed_notebook.py
Check the harness itself against real JAX (the tour with `irax` replaced by `jax`):
            SEED_TOUR_MODULE=jax /path/to/venv-with-jax/bin/python -m pytest -q --noconftest \
                tests/test_seed_notebook.py
Env:        SEED_TOUR_MODULE (default irax), SEED_TOUR_TIMEOUT (seconds, default 1800).

How outputs are compared (per cell, line by line, same number of lines):
* Text: exact, after stripping trailing whitespace; runs of whitespace count as one space and
  spaces next to `[` `]` are ignored (numpy's column padding in array prints depends on the
  formatter, not on the values). So side-effect lines ("called f_jvp!", ...) must appear
  exactly and in the notebook's order, and the error text must match.
* Numbers: every number in a line is parsed and compared at float32 precision
  (|actual - expected| <= 1e-6 * |expected|); an expected 0 must be exactly 0 with the same
  sign (the notebook prints `0.` and `-0.` in different cells); nan must be nan; a number
  printed as a float (`12.0`, `9.`) must be printed as a float. Array prints are therefore
  compared element-wise and Array reprs on value + dtype + weak_type (the `dtype=float32,
  weak_type=True` part is text and is compared exactly).
* jaxpr cells (make_jaxpr display): parsed and compared structurally, see `_jaxpr_structure`.
  Compared: input types; for each equation in order its primitive name, its output types and
  its operands (variables identified by where they are defined, literals by value, operands
  of commutative primitives unordered); the outputs (which values, and their types).
  Relaxed, because irax's printer may legitimately differ: variable names, whitespace, the
  `:type` annotations newer JAX prints on literals (`1.0:f32[]`), equation params.
* matplotlib cells: the `[<matplotlib.lines.Line2D at 0x...>]` line is matched by pattern
  (the address and the IPython-vs-repr spelling are not compared). The tour prints one
  `[plot] ...` summary per plotted curve, which is checked against numpy (independent of irax).
* pdb cell (a markdown transcript in the notebook, replayed by the tour): the location line is
  matched by pattern (`> FILE(LINE)debug_bwd()`), and weak_type is not compared: the notebook's
  transcript shows `Array(9., dtype=float32)`, but it was pasted into markdown and never
  re-executed, and JAX itself (0.10) prints `weak_type=True` there, as inputs `3.` are weak.
* The tour's code is checked against the notebook's code (`test_tour_code_is_the_notebooks`).
"""
import importlib.util
import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
TOUR = ROOT / "examples" / "custom_rules_tour.py"
EXPECTED = Path(__file__).resolve().parent / "seed_expected"
CELLS = json.loads((EXPECTED / "cells.json").read_text(encoding="utf-8"))
MODULE = os.environ.get("SEED_TOUR_MODULE", "irax")
TIMEOUT = float(os.environ.get("SEED_TOUR_TIMEOUT", "1800"))
RTOL = 1e-6


# ----------------------------------------------------------------------------- running the tour

_RUN = {}


def _tour_source():
    src = TOUR.read_text(encoding="utf-8")
    return src if MODULE == "irax" else re.sub(r"\birax\b", MODULE, src)


@pytest.fixture(scope="module")
def tour(tmp_path_factory):
    if "result" not in _RUN:
        path = TOUR
        if MODULE != "irax":
            path = tmp_path_factory.mktemp("tour") / f"custom_rules_tour_{MODULE}.py"
            path.write_text(_tour_source(), encoding="utf-8")
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        try:
            proc = subprocess.run([sys.executable, str(path)], cwd=ROOT, env=env, text=True,
                                  stdin=subprocess.DEVNULL, capture_output=True, timeout=TIMEOUT)
            stdout, stderr, rc = proc.stdout, proc.stderr, proc.returncode
        except subprocess.TimeoutExpired as e:
            stdout = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
            stderr, rc = f"timed out after {TIMEOUT}s", "timeout"
        outputs, current = {}, None
        for line in stdout.splitlines():
            m = re.fullmatch(r"=== cell (\d+|end)", line)
            if m:
                current = m.group(1)
                outputs[current] = []
            elif current is not None:
                outputs[current].append(line)
        _RUN["result"] = (outputs, stderr, rc)
    return _RUN["result"]


def _cell_output(tour, n):
    outputs, stderr, rc = tour
    tail = "\n".join(stderr.splitlines()[-25:])
    if str(n) not in outputs:
        pytest.fail(f"the tour never reached cell {n} (exit status {rc}); stderr tail:\n{tail}")
    following = str(n + 1) if n < len(CELLS) else "end"
    if following not in outputs:
        pytest.fail(f"the tour died in cell {n} (exit status {rc}); its output so far:\n"
                    + "\n".join(outputs[str(n)]) + f"\nstderr tail:\n{tail}")
    return _clean_lines(outputs[str(n)])


def _clean_lines(lines):
    lines = [line.rstrip() for line in lines]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return lines


# ----------------------------------------------------------------------------- text + numbers

_NUM = re.compile(r"(?<![\w.])[-+]?(?:nan|inf|\d+\.\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?"
                  r"|\d+(?:[eE][-+]?\d+)?)(?![\w.])")


def _split_numbers(line):
    nums = [m.group(0) for m in _NUM.finditer(line)]
    skeleton = _NUM.sub("#", line)
    skeleton = re.sub(r"\s+", " ", skeleton).strip()
    skeleton = re.sub(r"\[ ", "[", re.sub(r" \]", "]", skeleton))
    return skeleton, nums


def _is_float_token(tok):
    return bool(re.search(r"[.eE]|nan|inf", tok))


def _numbers_match(exp_tok, act_tok):
    if _is_float_token(exp_tok) != _is_float_token(act_tok):
        return False
    e, a = float(exp_tok), float(act_tok)
    if math.isnan(e) or math.isnan(a):
        return math.isnan(e) and math.isnan(a)
    if math.isinf(e) or math.isinf(a):
        return e == a
    if e == 0.0:
        return a == 0.0 and math.copysign(1, a) == math.copysign(1, e)
    return abs(a - e) <= RTOL * abs(e)


def _compare_line(exp, act):
    """None if the lines match, else a reason."""
    es, en = _split_numbers(exp)
    as_, an = _split_numbers(act)
    if es != as_:
        return f"text differs: expected {es!r}, got {as_!r} (# = a number)"
    for i, (e, a) in enumerate(zip(en, an)):
        if not _numbers_match(e, a):
            return f"number {i} differs: expected {e}, got {a}"
    return None


def _compare_lines(expected, actual, line_patterns=()):
    """Assert equal line by line. line_patterns: (expected_regex, actual_regex) pairs: an
    expected line matching the first is compared by matching the actual line to the second."""
    report = ("\n--- expected (notebook)\n" + "\n".join(expected) +
              f"\n--- got ({MODULE})\n" + "\n".join(actual))
    assert len(expected) == len(actual), f"expected {len(expected)} lines, got {len(actual)}" + report
    for i, (e, a) in enumerate(zip(expected, actual)):
        for e_pat, a_pat in line_patterns:
            if re.fullmatch(e_pat, e):
                assert re.fullmatch(a_pat, a), f"line {i + 1}: {a!r} does not match {a_pat!r}" + report
                break
        else:
            why = _compare_line(e, a)
            assert why is None, f"line {i + 1}: {why}" + report


# ----------------------------------------------------------------------------- jaxprs

_COMMUTATIVE = {"add", "mul", "max", "min", "and", "or", "ne", "eq", "add_any"}


def _split_top(text, sep_newline=True):
    """Split at newlines (or whitespace) outside brackets."""
    parts, depth, cur = [], 0, []
    for ch in text:
        if ch in "[({":
            depth += 1
        elif ch in "])}":
            depth -= 1
        if depth == 0 and (ch == "\n" if sep_newline else ch.isspace()):
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return [p.strip() for p in parts if p.strip()]


def _literal(tok):
    value = tok.split(":", 1)[0]
    if value in ("True", "False"):
        return ("lit", float(value == "True"))
    try:
        return ("lit", float(value))
    except ValueError:
        return None


def _jaxpr_structure(text):
    """(input types, [(prim, out types, operands)], outputs) with canonical operand names."""
    m = re.fullmatch(r"\{\s*lambda\s*(?P<consts>[^;]*);(?P<invars>.*?)\.\s*let\b(?P<body>.*)"
                     r"\bin\s+(?P<outs>\(.*?\)|\S+)\s*\}", text.strip(), re.S)
    assert m, f"not a jaxpr: {text!r}"
    env, types = {}, {}
    for i, tok in enumerate(m.group("consts").split()):
        name, _, ty = tok.partition(":")
        env[name], types[name] = ("const", i), ty
    in_types = []
    for i, tok in enumerate(m.group("invars").split()):
        name, _, ty = tok.partition(":")
        env[name], types[name] = ("in", i), ty
        in_types.append(ty)

    def operand(tok):
        if tok in env:
            return env[tok]
        lit = _literal(tok)
        return lit if lit is not None else ("free", tok)

    eqns = []
    for k, eqn in enumerate(_split_top(m.group("body"))):
        lhs, eq, rhs = eqn.partition(" = ")
        assert eq, f"cannot parse equation {eqn!r}"
        outs = lhs.split()
        pm = re.match(r"([A-Za-z_][\w\-]*)", rhs)
        assert pm, f"cannot parse equation {eqn!r}"
        prim, rest = pm.group(1), rhs[pm.end():]
        if rest.startswith("["):                      # params: skipped (see module docstring)
            depth = 0
            for j, ch in enumerate(rest):
                depth += ch in "[({"
                depth -= ch in "])}"
                if depth == 0:
                    rest = rest[j + 1:]
                    break
        args = [operand(t) for t in _split_top(rest, sep_newline=False)]
        if prim in _COMMUTATIVE:
            args = sorted(args, key=repr)
        out_types = []
        for j, tok in enumerate(outs):
            name, _, ty = tok.partition(":")
            out_types.append(ty)
            if name != "_":
                env[name], types[name] = ("eqn", k, j), ty
        eqns.append((prim, out_types, args))
    outs = []
    for tok in m.group("outs").strip("()").replace(",", " ").split():
        outs.append((operand(tok), types.get(tok.split(":")[0], tok.partition(":")[2] or None)))
    return in_types, eqns, outs


def _compare_jaxpr(expected, actual):
    exp, act = "\n".join(expected), "\n".join(actual)
    report = f"\n--- expected (notebook)\n{exp}\n--- got ({MODULE})\n{act}"
    e_in, e_eqns, e_out = _jaxpr_structure(exp)
    try:
        a_in, a_eqns, a_out = _jaxpr_structure(act)
    except AssertionError as err:
        pytest.fail(f"{err}{report}")
    assert a_in == e_in, f"input types differ: expected {e_in}, got {a_in}" + report
    e_prims, a_prims = [e[0] for e in e_eqns], [a[0] for a in a_eqns]
    assert a_prims == e_prims, f"primitives differ: expected {e_prims}, got {a_prims}" + report
    for k, (e, a) in enumerate(zip(e_eqns, a_eqns)):
        assert a[1] == e[1], f"equation {k} ({e[0]}) output types: expected {e[1]}, got {a[1]}" + report
        assert len(a[2]) == len(e[2]) and all(
            (x == y) or (x[0] == y[0] == "lit" and _numbers_match(repr(x[1]), repr(y[1])))
            for x, y in zip(a[2], e[2])), (
            f"equation {k} ({e[0]}) operands: expected {e[2]}, got {a[2]}" + report)
    assert a_out == e_out, f"outputs: expected {e_out}, got {a_out}" + report


# ----------------------------------------------------------------------------- matplotlib cells

_T = np.linspace(0, 10, 1000, dtype=np.float32).astype(np.float64)
# The curves each matplotlib cell plots, computed with numpy from the cell's code.
_PLOTS = {
    23: [np.sin(_T), np.cos(_T)],                                    # sin, vmap(grad(sin))
    24: [np.sin(_T), np.clip(np.cos(_T), -0.75, 0.75)],              # clip_sin, its clipped grad
}
_LINE2D = (r"\[<matplotlib\.lines\.Line2D at 0x[0-9a-f]+>\]",
           r"\[<.*Line2D.* at 0x[0-9a-f]+>\]")


def _check_plot_summary(line, ref, k):
    m = re.fullmatch(r"\[plot\] n=(\d+) mean=(\S+) min=(\S+) max=(\S+) samples=\[(.*)\]", line)
    assert m, f"plot {k}: bad summary line {line!r}"
    got = dict(n=int(m.group(1)), mean=float(m.group(2)), min=float(m.group(3)),
               max=float(m.group(4)))
    samples = np.array([float(s) for s in m.group(5).split(",")])
    assert got["n"] == ref.size, f"plot {k}: {got['n']} points, expected {ref.size}"
    for key, want in (("mean", ref.mean()), ("min", ref.min()), ("max", ref.max())):
        assert abs(got[key] - want) <= 1e-5, f"plot {k}: {key} {got[key]}, expected {want}"
    np.testing.assert_allclose(samples, ref[::111], atol=2e-6, err_msg=f"plot {k} samples")


# ----------------------------------------------------------------------------- the tests

def _cell_id(c):
    return f"cell{c['cell']:02d}-{c['kind']}"


@pytest.mark.parametrize("cell", CELLS, ids=_cell_id)
def test_cell_output(tour, cell):
    n, kind = cell["cell"], cell["kind"]
    actual = _cell_output(tour, n)
    expected = _clean_lines(cell["expected"].splitlines())
    if kind == "jaxpr":
        _compare_jaxpr(expected, actual)
    elif kind == "matplotlib":
        summaries = [line for line in actual if line.startswith("[plot] ")]
        rest = [line for line in actual if not line.startswith("[plot] ")]
        assert len(summaries) == len(_PLOTS[n]), f"expected {len(_PLOTS[n])} plots: {actual}"
        for k, (line, ref) in enumerate(zip(summaries, _PLOTS[n])):
            _check_plot_summary(line, ref, k)
        _compare_lines(expected, rest, [_LINE2D])
    elif kind == "pdb":
        strip_weak = lambda lines: [line.replace(", weak_type=True", "") for line in lines]
        _compare_lines(strip_weak(expected), strip_weak(actual),
                       [(r"> <ipython-input-[\w-]+>\(\d+\)debug_bwd\(\)", r"> .+\(\d+\)debug_bwd\(\)")])
    else:   # "code", and "snippet" (not executed: no output)
        _compare_lines(expected, actual)


def test_tour_reaches_the_end(tour):
    outputs, stderr, rc = tour
    assert rc == 0 and "end" in outputs, (
        f"tour exit status {rc}; stderr tail:\n" + "\n".join(stderr.splitlines()[-25:]))


# Lines the tour may add around the notebook's code (helpers all start with `_`).
_HARNESS_LINE = re.compile(r"_cell\((\d+|'end')\)|#.*|with _scripted_stdin\(.*\):|try:|except bdb\.BdbQuit:"
                           r"|pass")


def test_tour_code_is_the_notebooks():
    """Every notebook line is in the tour, in order, with jax -> irax and nothing else changed,
    except a `_display(...)` around a displayed last expression, indentation inside the pdb
    cell's try block, and the commented-out markdown snippet."""
    src = TOUR.read_text(encoding="utf-8")
    parts = re.split(r"^# --- cell (\d+)\b.*$", src, flags=re.M)
    sections = {int(parts[i]): parts[i + 1] for i in range(1, len(parts), 2)}
    assert sorted(sections) == [c["cell"] for c in CELLS]
    for c in CELLS:
        want = [re.sub(r"\bjax\b", "irax", line) for line in c["code"].splitlines()]
        want = [line for line in want if line.strip()]
        got = [line for line in sections[c["cell"]].splitlines() if line.strip()]
        if c["kind"] == "snippet":
            got = [re.sub(r"^#   ?", "", line) for line in got if line.startswith("#   ")]
        i = 0
        for line in got:
            if i < len(want):
                w = want[i]
                if line == w or (c["kind"] == "pdb" and line.strip() == f"_display({w.strip()})") \
                        or line == re.sub(r"^(\s*)(.*)$", r"\1_display(\2)", w):
                    i += 1
                    continue
            assert _HARNESS_LINE.fullmatch(line.strip()), (
                f"cell {c['cell']}: tour line {line!r} is not the notebook's next line "
                f"{want[i] if i < len(want) else '(none left)'!r}")
        assert i == len(want), f"cell {c['cell']}: notebook line {want[i]!r} missing from the tour"


def test_expected_data_is_extracted_from_the_seed():
    """cells.json is exactly what extract.py produces from the seed notebook (when present)."""
    spec = importlib.util.spec_from_file_location("seed_extract", EXPECTED / "extract.py")
    extract = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(extract)
    if not any(Path(extract.DEFAULT_SEED_DIR).glob("001_*.txt")):
        pytest.skip("seed notebook not available")
    assert extract.extract() == CELLS
    assert len(CELLS) == 80
