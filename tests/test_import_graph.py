"""The layering of irax shows in its imports: no cycles, nothing imports upward.

Reads the ASTs of every module under irax/ (no module is imported), collects every import
statement, module-level or inside a function, absolute or relative, and checks:

  * the module graph has no cycle;
  * each layer imports only what the table below allows.

Layers (lowest first):
  tree_util  : nothing of irax
  tree       : tree_util (irax.tree, its short names)
  tracer     : tracer + tree_util
  runtime    : runtime (+ tree_util)
  lowering   : lowering + tracer (+ tree_util)
  user API   : numpy, lax, random, nn, scipy, optim, test_util, ad_checkpoint, debug, ops,
               image, flatten_util, ...: each other + tracer +
               tree_util
  jit_tiers  : tracer, tree_util (jit's eager tier and background compiles)
  stages     : tracer, tree_util (the base classes of jit's stages: irax.stages)
  monitoring : nothing of irax (jax.monitoring's listeners)
  profiler   : tracer, tree_util, monitoring (the trace recorder jit reports its spans to)
  jit        : tracer, lowering, runtime, tree_util, jit_tiers, stages, profiler, monitoring
  export     : jit + aot + user API (irax.export: jit's lowering, aot's tree specs)
  aot, distributed, irax/__init__ (the lazy public namespace): anything

A package's `__init__` importing its own submodules is part of that package, not an edge
that closes a cycle: `from . import core` inside irax/tracer/jvp.py is an edge to
irax.tracer.core, not to irax.tracer.
"""
from __future__ import annotations

import ast
from pathlib import Path


ROOT = Path(__file__).resolve().parent.parent / "irax"

USER_API = {"numpy", "lax", "random", "nn", "scipy", "optim", "test_util", "ad_checkpoint",
            "debug", "dtypes", "custom_derivatives", "custom_batching", "callback", "errors",
            "typing", "ops", "image", "flatten_util", "experimental", "sharding", "debugger",
            "extend", "_src", "shard_map", "dlpack", "core"}

# layer -> the layers it may import (besides itself)
ALLOWED: dict[str, set[str]] = {
    "tree_util": set(),
    "tree": {"tree_util"},
    "tracer": {"tree_util"},
    "runtime": {"tree_util"},
    "lowering": {"tracer", "tree_util"},
    "user_api": {"tracer", "tree_util"},
    # tiered execution: the eager tier and the background compile thread (no IREE import)
    "jit_tiers": {"tracer", "tree_util"},
    # jit's stage classes derive from irax.stages'; profiler records jit's spans
    "stages": {"tracer", "tree_util"},
    "monitoring": set(),
    "profiler": {"tracer", "tree_util", "monitoring"},
    "jit": {"tracer", "lowering", "runtime", "tree_util", "jit_tiers", "stages", "profiler",
            "monitoring"},
    # JAX's top-level flags and queries; clear_caches empties jit's caches
    "config_flags": {"tracer", "tree_util", "runtime", "jit", "jit_tiers", "user_api",
                     "monitoring"},
    "pmapping": {"tracer", "tree_util", "jit", "user_api"},     # pmap as jit(vmap(f, axis_name))
    # JAX's rule tables for user primitives: the tracer's tables and lowering's
    "interpreters": {"tracer", "lowering", "tree_util", "user_api"},
    "aot": {"tracer", "lowering", "runtime", "tree_util", "jit", "user_api", "root"},
    "distributed": {"tracer", "lowering", "runtime", "tree_util", "jit", "user_api", "aot",
                    "root"},
    # irax.export (jax.export): jit's lowering + the AOT exporter's tracing and trees
    "export": {"tracer", "lowering", "runtime", "tree_util", "jit", "user_api", "aot",
               "stages", "profiler"},
    "root": {"tracer", "lowering", "runtime", "tree_util", "jit", "user_api", "aot",
             "distributed", "config_flags", "stages", "profiler", "export", "monitoring",
             "interpreters"},
}

def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _resolve(mod: str, is_pkg: bool, node: ast.ImportFrom | ast.Import,
             known: set[str]) -> list[str]:
    """The irax modules one import statement refers to."""
    targets: list[str] = []
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.name == "irax" or alias.name.startswith("irax."):
                targets.append(alias.name)
        return targets
    if node.level:
        base = mod.split(".") if is_pkg else mod.split(".")[:-1]
        base = base[:len(base) - (node.level - 1)]
        prefix = ".".join(base + ([node.module] if node.module else []))
    else:
        if not node.module or not (node.module == "irax" or node.module.startswith("irax.")):
            return []
        prefix = node.module
    for alias in node.names:
        sub = f"{prefix}.{alias.name}"
        targets.append(sub if sub in known else prefix)
    return targets


def import_graph() -> dict[str, set[str]]:
    mods = _modules()
    known = set(mods)
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for mod, path in mods.items():
        is_pkg = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for t in _resolve(mod, is_pkg, node, known):
                    # the nearest known module (irax.numpy.sum -> irax.numpy)
                    while t not in known and "." in t:
                        t = t.rsplit(".", 1)[0]
                    if t in known and t != mod:
                        graph[mod].add(t)
    return graph


def layer(mod: str) -> str:
    parts = mod.split(".")
    if len(parts) == 1:
        return "root"
    top = parts[1]
    if top in USER_API:
        return "user_api"
    return top


def _own_package_init(src: str, dst: str) -> bool:
    """A package's __init__ importing its own submodules (or a submodule its package)."""
    return dst.startswith(src + ".") or src.startswith(dst + ".")


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def edges(v):
        return [w for w in graph[v] if not _own_package_init(v, w)]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in edges(v):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_graph_is_read():
    graph = import_graph()
    assert "irax.tracer.core" in graph and "irax.numpy" in graph
    assert "irax.tracer.core" in graph["irax.tracer.jvp"]          # `from . import core`
    assert "irax.tracer.prims.shape" in graph["irax.tracer.prims.reduce"]   # `from .shape`


def test_no_import_cycle():
    cycles = find_cycles(import_graph())
    assert not cycles, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_no_upward_import():
    bad = []
    for mod, targets in import_graph().items():
        src = layer(mod)
        if src not in ALLOWED:
            bad.append(f"{mod}: a new top-level module; give it a layer in this test")
            continue
        for t in sorted(targets):
            dst = layer(t)
            if dst != src and dst not in ALLOWED[src]:
                bad.append(f"{mod} ({src}) imports {t} ({dst})")
    assert not bad, "imports against the layering:\n" + "\n".join(bad)


def test_the_tracer_alone():
    """irax.tracer imports nothing of irax outside itself except irax.tree_util."""
    graph = import_graph()
    outside = sorted(f"{m} -> {t}" for m, ts in graph.items() if m.startswith("irax.tracer")
                     for t in ts if not (t.startswith("irax.tracer") or t == "irax.tree_util"))
    assert not outside, "\n".join(outside)
