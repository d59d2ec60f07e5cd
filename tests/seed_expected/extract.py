"""Extract the code cells and their expected outputs from the seed notebook.

Source of truth: /work/shared/seeds/001_*.txt (Chinese translation of the JAX notebook
"Custom derivative rules for Python code"; every code cell is a ```py block and every
output is the ```py block(s) right after it). The expectations therefore come from the
notebook text, never from irax.

    python tests/seed_expected/extract.py [SEED_DIR]   # rewrites cells.json next to this file

Rules (all of them visible below, nothing is hand-edited afterwards):

* A ```py block is an *output* block when it directly follows another block (only blank
  lines between them) and contains no line that looks like Python code (def/import/print(/
  assignment/decorator/...). Otherwise it is a *code* cell. The classification is checked
  against the English original 000_*.txt, whose jupytext code cells are tagged ``:id:``:
  every code cell found here must be one of those, in order, except the two known markdown
  snippets listed in MARKDOWN_SNIPPETS.
* The translation escaped some dots as ``\\.`` (``[1\\.  1.4142135 ...]``); they are unescaped.
  Trailing whitespace is stripped from every line.
* The pdb transcript is one block holding both the call and the session; it is split at the
  first line starting with ``> ``.
* Cell kinds: "code" (ordinary), "jaxpr" (output is a make_jaxpr display), "matplotlib"
  (output is a ``[<matplotlib.lines.Line2D at 0x...>]`` line), "pdb" (the debugger session),
  "snippet" (a markdown illustration in the original notebook: shown, never executed).
"""
import difflib
import glob
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SEED_DIR = "/work/shared/seeds"

# Blocks of 001 that were markdown (not code cells) in the original notebook; matched on their
# first code line. The `...` one must not run: it would redefine `f` to return None.
MARKDOWN_SNIPPETS = {
    "@custom_jvp\ndef f(x):\n  ...": "decorator-usage illustration written in markdown; running it "
                                    "would clobber `f` (its body is `...`)",
    "jax.grad(foo)(3.)": "pdb transcript written in markdown; the tour replays it with pdb "
                         "fed the notebook's commands",
}

CODE_LINE = re.compile(
    r"^\s*(def |class |@|import |from \w|print\(|try:|except |return |if |else:|for |while |with |#"
    r"|[\w.]+(\s*,\s*[\w.]+)*\s*=[^=]|[\w.]+\.def(jvp|jvps|vjp)\(|jax\.|plt\.)")


def looks_like_code(text):
    return any(CODE_LINE.match(line) for line in text.splitlines())


def clean(text):
    text = text.replace("\\.", ".")
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines()).strip("\n")


def blocks(src):
    """Yield (block_text, adjacent_to_previous_block)."""
    prev_end = None
    pat = re.compile(r"^```py[ \t]*\n(.*?)^```[ \t]*$", re.S | re.M)
    for m in pat.finditer(src):
        gap = src[prev_end:m.start()] if prev_end is not None else "x"
        yield m.group(1), gap.strip() == ""
        prev_end = m.end()


def kind_of(code, out):
    if code.startswith("jax.grad(foo)"):
        return "pdb"
    if any(line.startswith("{ lambda") for line in out.splitlines()):
        return "jaxpr"
    if "matplotlib.lines.Line2D" in out:
        return "matplotlib"
    return "code"


def extract(seed_dir=DEFAULT_SEED_DIR):
    (zh,) = glob.glob(os.path.join(seed_dir, "001_*.txt"))
    src = open(zh, encoding="utf-8").read()
    cells = []
    for text, adjacent in blocks(src):
        text = clean(text)
        if cells and adjacent and not looks_like_code(text):
            cells[-1]["outputs"].append(text)
            continue
        if "\n(Pdb) " in text:                          # call + transcript in one block
            code, _, session = text.partition("\n> ")
            cells.append({"code": code.strip(), "outputs": ["> " + session]})
            continue
        cells.append({"code": text, "outputs": []})
    for i, c in enumerate(cells, 1):
        c["cell"] = i
        out = "\n".join(c["outputs"])
        c["expected"] = out
        snippet = next((why for k, why in MARKDOWN_SNIPPETS.items() if c["code"].startswith(k)),
                       None)
        c["kind"] = kind_of(c["code"], out)
        if snippet and c["kind"] != "pdb":
            c["kind"] = "snippet"
        if snippet:
            c["note"] = snippet
    _cross_check(cells, seed_dir)
    return [{k: c[k] for k in ("cell", "kind", "code", "outputs", "expected", "note") if k in c}
            for c in cells]


def _norm(code):
    code = re.sub(r"#.*", "", code)
    return re.sub(r"\s+", "", code)


def _cross_check(cells, seed_dir):
    """Every code cell must be, in order, one of the English notebook's `:id:` code cells."""
    (en,) = glob.glob(os.path.join(seed_dir, "000_*.txt"))
    lines = open(en, encoding="utf-8").read().splitlines()
    en_cells, cur = [], None
    for line in lines:
        if line.startswith(":id:"):
            cur = []
            en_cells.append(cur)
        elif line.startswith("+++") and cur is not None:
            cur = None
        elif cur is not None and not line.startswith(":outputId:"):
            cur.append(line)
    en_norm = [_norm("\n".join(c)) for c in en_cells]
    j = 0
    for c in cells:
        if c["kind"] in ("snippet", "pdb"):
            continue
        n = _norm(c["code"])
        while j < len(en_norm) and difflib.SequenceMatcher(None, n, en_norm[j]).ratio() < 0.6:
            j += 1
        if j == len(en_norm):
            raise SystemExit(f"cell {c['cell']} not found (in order) among the English "
                             f"notebook's code cells:\n{c['code']}")
        j += 1
    n_code = sum(c["kind"] not in ("snippet", "pdb") for c in cells)
    if n_code != len(en_norm):
        raise SystemExit(f"{n_code} executable cells here vs {len(en_norm)} in the English notebook")


def main():
    seed_dir = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_SEED_DIR
    cells = extract(seed_dir)
    path = os.path.join(HERE, "cells.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(cells, f, indent=1, ensure_ascii=False)
        f.write("\n")
    kinds = {}
    for c in cells:
        kinds.setdefault(c["kind"], []).append(c["cell"])
    print(f"wrote {path}: {len(cells)} cells; " +
          "; ".join(f"{k}: {v if k != 'code' else len(v)}" for k, v in kinds.items()))


if __name__ == "__main__":
    main()
