"""The `irax` command line: compile export specs to `.vmfb`, run exported functions.

    irax compile SPEC.py -o OUT.vmfb [--target llvm-cpu,vulkan,cuda] [--cpu host]
                 [--vulkan-target T] [--cuda-target sm_80] [--emit-stablehlo DIR] [--verbose]
    irax run OUT.vmfb [--function NAME] [--input x.npy ...] [--device local-task]
                 [--output out.npz] [--verbose]

SPEC.py is a Python file defining `EXPORTS = {name: (function, arg_specs)}`
(`irax compile --help` explains the format). The output path is checked
before anything is traced or compiled. A bad spec is reported as one
paragraph and exit status 1; `--verbose` adds the Python traceback. `irax run` uses only `irax.runtime` (no compiler, no
tracer): it runs anywhere the IREE runtime is installed.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType, TracebackType
from typing import Any


class CliError(Exception):
    """A user-facing error: printed as one paragraph, exit status 1."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        if args.command == "compile":
            return _compile(args)
        return _run(args)
    except KeyboardInterrupt:
        print("irax: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # one paragraph, traceback only with --verbose
        if args.verbose:
            traceback.print_exc()
        print(f"irax {args.command}: error: {_paragraph(e)}", file=sys.stderr)
        if not args.verbose and not isinstance(e, CliError):
            print("(run with --verbose for the Python traceback)", file=sys.stderr)
        return 1


SPEC_HELP = """\
the spec file:
  SPEC.py is Python; irax compile runs it and reads its EXPORTS:

    EXPORTS = {name: (function, arg_specs), ...}

  name       the function's name in the module (a Python identifier)
  function   the Python function to export (anything irax can trace)
  arg_specs  a tuple with one entry per positional argument of `function`. Each
             entry is a pytree (tuple, list, dict, namedtuple, None) whose leaves
             are irax.ShapeDtypeStruct(shape, dtype) or example arrays / scalars,
             which give only their shape and dtype. The pytree structures of the
             arguments and results are saved in the module (irax.runtime.load
             takes and returns the same pytrees).

example (examples/aot_spec_example.py is a complete one):

    import irax.numpy as jnp
    from irax import ShapeDtypeStruct

    def predict(params, x):
        return jnp.tanh(x @ params["w"] + params["b"])

    PARAMS = {"w": ShapeDtypeStruct((2, 16), "float32"),
              "b": ShapeDtypeStruct((16,), "float32")}
    EXPORTS = {"predict": (predict, (PARAMS, ShapeDtypeStruct((8, 2), "float32")))}

  irax compile spec.py -o model.vmfb
  irax run model.vmfb -f predict -i b.npy -i w.npy -i x.npy

  Outside irax the inputs are the flattened argument leaves (dict keys sorted):
  iree-run-module --module=model.vmfb --function=predict --input=@b.npy
                  --input=@w.npy --input=@x.npy
"""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="irax", description="Ahead-of-time compile and run irax functions with IREE.")
    sub = p.add_subparsers(dest="command", metavar="{compile,run}")

    c = sub.add_parser("compile", help="export the functions of a SPEC.py into one .vmfb",
                       description="Trace, lower and compile EXPORTS = {name: (fn, arg_specs)} "
                                   "from SPEC.py into one IREE module.",
                       epilog=SPEC_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    c.add_argument("spec", help="Python file defining EXPORTS = {name: (function, arg_specs)}")
    c.add_argument("-o", "--output", required=True, help="the .vmfb file to write")
    c.add_argument("--target", default="llvm-cpu",
                   help="llvm-cpu, vulkan, cuda, or a comma list for one multi-device file (default llvm-cpu)")
    c.add_argument("--cpu", default="host",
                   help="LLVM CPU for llvm-cpu: host (fastest, not portable), generic, or a name like x86-64-v3")
    c.add_argument("--vulkan-target", default=None,
                   help="IREE vulkan target (default: a generic profile correct on any conformant driver)")
    c.add_argument("--cuda-target", default="sm_80", help="CUDA SM architecture (default sm_80)")
    c.add_argument("--emit-stablehlo", metavar="DIR", default=None,
                   help="also write each function's StableHLO and the whole module to DIR")
    c.add_argument("-v", "--verbose", action="store_true", help="show tracebacks and compile flags")

    r = sub.add_parser("run", help="run one exported function of a .vmfb (needs only the IREE runtime)",
                       description="Run an exported function on .npy inputs (flat leaves, in the "
                                   "order the signature lists them).")
    r.add_argument("module", help="a .vmfb file")
    r.add_argument("--function", "-f", default=None, help="exported function (optional if there is one)")
    r.add_argument("--input", "-i", action="append", default=[], metavar="X.npy",
                   help="an argument leaf as a .npy file; repeat for each leaf, in signature order")
    r.add_argument("--device", "-d", default="local-task",
                   help="cpu, local-sync, local-task, vulkan or cuda (default local-task)")
    r.add_argument("--output", "-o", default=None, metavar="OUT.npz", help="save the result leaves to OUT.npz")
    r.add_argument("-v", "--verbose", action="store_true", help="show tracebacks")
    return p


# ---------------------------------------------------------------------------
# irax compile


def _compile(args: argparse.Namespace) -> int:
    t_start = time.perf_counter()
    spec_path = Path(args.spec)
    out = Path(args.output)
    check_output_path(out)   # before the (slow) tracing and compiling
    exports = load_spec(spec_path)
    log = _stderr_log

    from ..runtime.targets import parse_targets
    from .export import ExportError, export

    try:
        parse_targets(args.target)
    except ValueError as e:
        raise CliError(str(e)) from None

    log(f"irax compile: {spec_path} -> {args.output} ({len(exports)} function(s), target {args.target})")
    emit_dir = Path(args.emit_stablehlo) if args.emit_stablehlo else None
    try:
        exported = export(
            exports, args.target, cpu=args.cpu, vulkan_target=args.vulkan_target,
            cuda_target=args.cuda_target, progress=lambda msg: log("  " + msg),
        )
    except ExportError as e:
        raise _with_location(e, spec_path) from e
    except Exception as e:
        if emit_dir is not None and getattr(e, "source_path", None):
            log(f"  the StableHLO that failed to compile is at {e.source_path}")  # type: ignore[attr-defined]
        raise
    if args.verbose:
        for f in exported.functions.values():
            log("  " + f.signature())
        log("  IREE flags: " + " ".join(exported.flags))
    if emit_dir is not None:
        emit_dir.mkdir(parents=True, exist_ok=True)
        for f in exported.functions.values():
            (emit_dir / f"{f.name}.mlir").write_text(f.stablehlo)
        (emit_dir / "module.mlir").write_text(exported.stablehlo)
        log(f"  wrote StableHLO of {len(exported.functions)} function(s) and the whole module.mlir to {emit_dir}")
    exported.save(out)
    log(f"wrote {out} ({len(exported.vmfb) / 1024:.0f} KiB) in {time.perf_counter() - t_start:.2f} s")
    return 0


def _stderr_log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def check_output_path(out: Path) -> None:
    """CliError unless a file can be written at `out` (its missing parent folders are
    created when the module is saved)."""
    if out.is_dir():
        raise CliError(f"output {str(out)!r} is a directory; give the .vmfb file to write, "
                       f"e.g. -o {out / 'model.vmfb'}")
    folder = out.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise CliError(f"cannot write {str(out)!r}: {str(folder)!r} is not a directory")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise CliError(f"cannot write {str(out)!r}: no permission to create files in {str(folder)!r}")
    try:   # what access() cannot tell (e.g. some network or read-only file systems)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as e:
        raise CliError(f"cannot write {str(out)!r}: {e.strerror or e} (in {str(folder)!r})") from None


def load_spec(path: Path) -> dict[str, Any]:
    """Run SPEC.py and return its EXPORTS dict; CliError for every way that can go wrong."""
    if not path.exists():
        raise CliError(f"spec file {str(path)!r} does not exist")
    if not path.is_file():
        raise CliError(f"spec {str(path)!r} is not a file; expected a Python file defining EXPORTS")
    module = _run_spec_file(path)
    if not hasattr(module, "EXPORTS"):
        raise CliError(
            f"{path} defines no EXPORTS; add a dict mapping each exported name to "
            "(function, arg_specs), e.g. EXPORTS = {'predict': (predict, "
            "(irax.ShapeDtypeStruct((8, 2), 'float32'),))}"
        )
    exports = module.EXPORTS
    if not isinstance(exports, dict) or not exports:
        raise CliError(
            f"{path}: EXPORTS must be a non-empty dict mapping each exported name to "
            f"(function, arg_specs), got {type(exports).__name__} {_short(exports)}"
        )
    return exports


def _run_spec_file(path: Path) -> ModuleType:
    name = "irax_spec_" + "".join(c if c.isalnum() else "_" for c in path.stem)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise CliError(f"cannot load {path} as a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses, pickling etc. look the module up
    folder = str(path.resolve().parent)
    sys.path.insert(0, folder)  # the spec may import modules next to it
    try:
        spec.loader.exec_module(module)
    except SyntaxError as e:
        raise CliError(f"{path}:{e.lineno}: syntax error in the spec file: {e.msg}") from e
    except SystemExit as e:
        raise CliError(f"{path} called exit({e.code}) while being loaded") from e
    except Exception as e:
        where = _spec_line(e.__traceback__, path)
        raise CliError(f"running {path} failed{where}: {type(e).__name__}: {e}") from e
    finally:
        try:
            sys.path.remove(folder)
        except ValueError:
            pass
    return module


def _spec_line(tb: TracebackType | None, path: Path) -> str:
    """` at SPEC.py:12` for the innermost traceback frame inside the spec file."""
    target = os.path.realpath(path)
    found = ""
    for frame, lineno in traceback.walk_tb(tb):
        if os.path.realpath(frame.f_code.co_filename) == target:
            found = f" at {path}:{lineno}"
    return found


def _with_location(e: BaseException, spec_path: Path) -> CliError:
    """An ExportError as a CliError, naming the spec line where tracing failed."""
    cause = e.__cause__
    where = _spec_line(cause.__traceback__, spec_path) if cause is not None else ""
    return CliError(f"{e}{' (' + where.strip() + ')' if where else ''}")


# ---------------------------------------------------------------------------
# irax run (runtime only)


def _run(args: argparse.Namespace) -> int:
    import numpy as np

    from ..runtime import InputError, ModuleLoadError, load
    from ..runtime.arrays import describe, parse_dtype
    from ..runtime.treedef_json import flatten_json, unflatten_json

    try:
        mod = load(args.module, args.device, numpy_results=True)
    except (ModuleLoadError, ValueError) as e:
        raise CliError(str(e)) from e
    names = mod.function_names
    name = args.function
    if name is None:
        if len(names) != 1:
            raise CliError(f"{args.module} exports {len(names)} functions; pick one with --function: "
                           + "; ".join(_signature_line(mod, n) for n in names))
        name = names[0]
    if name not in names:
        raise CliError(f"{args.module} has no function {name!r}; functions: "
                       + "; ".join(_signature_line(mod, n) for n in names))
    leaves = [_read_npy(p) for p in args.input]
    meta = mod.signature(name)
    t0 = time.perf_counter()
    try:
        if meta is None:
            results = list(mod.call(name, *leaves))
            result_names = [f"result[{i}]" for i in range(len(results))]
        else:
            in_avals = [(tuple(s), parse_dtype(d)) for s, d in meta["in_avals"]]
            if len(leaves) != len(in_avals):
                raise CliError(f"{name} takes {len(in_avals)} input(s), got {len(leaves)}: "
                               + _signature_line(mod, name))
            for i, (x, (shape, dtype)) in enumerate(zip(leaves, in_avals)):
                if x.shape != shape or x.dtype != dtype:
                    arg = meta.get("arg_names", [])[i] if i < len(meta.get("arg_names", [])) else f"#{i}"
                    raise CliError(f"input {i} ({args.input[i]}) is {describe(x.shape, x.dtype)} but "
                                   f"{name} argument {arg} is {describe(shape, dtype)}")
            structured = unflatten_json(meta["in_tree"], leaves)
            out = mod.call(name, *structured)
            results = flatten_json(meta["out_tree"], out)
            result_names = meta.get("result_names") or [f"result[{i}]" for i in range(len(results))]
    except InputError as e:
        raise CliError(str(e)) from e
    elapsed = time.perf_counter() - t0
    print(f"{name} on {args.device}: {elapsed * 1e3:.2f} ms", file=sys.stderr)
    arrays = [np.asarray(r) for r in results]
    for rn, arr in zip(result_names, arrays):
        body = np.array2string(arr, threshold=20, edgeitems=3, precision=6)
        print(f"{rn}: {describe(arr.shape, arr.dtype)} = {body}")
    if args.output:
        np.savez(args.output, **{_npz_key(rn, i): a for i, (rn, a) in enumerate(zip(result_names, arrays))})
        print(f"saved {len(arrays)} result(s) to {args.output}", file=sys.stderr)
    return 0


def _read_npy(path: str) -> Any:
    import numpy as np

    if not os.path.isfile(path):
        raise CliError(f"input file {path!r} does not exist")
    try:
        value = np.load(path, allow_pickle=False)
    except Exception as e:
        raise CliError(f"cannot read {path!r} as a .npy array: {e}") from e
    if not isinstance(value, np.ndarray):
        raise CliError(f"{path!r} is an .npz archive; pass each array as its own .npy file")
    return value


def _signature_line(mod: Any, name: str) -> str:
    meta = mod.signature(name)
    if meta is None:
        return f"{name}(...) (no irax metadata)"
    arg_names = meta.get("arg_names") or [f"arg{i}" for i in range(len(meta["in_avals"]))]
    ins = ", ".join(f"{n}: {d}[{','.join(map(str, s))}]" for n, (s, d) in zip(arg_names, meta["in_avals"]))
    return f"{name}({ins})"


def _npz_key(result_name: str, i: int) -> str:
    key = result_name.removeprefix("result")
    for ch in "[]'\"":
        key = key.replace(ch, "." if ch == "[" else "")
    key = key.strip(".")
    return key or ("result" if i == 0 else f"result{i}")


def _paragraph(e: BaseException) -> str:
    """The message of `e` on one paragraph (no blank lines); the type name unless it is ours."""
    msg = str(e).strip() or type(e).__name__
    lines = [ln for ln in msg.splitlines() if ln.strip()]
    text = "\n".join(lines)
    if isinstance(e, CliError) or type(e).__name__ in ("ExportError", "CompileError"):
        return text
    return f"{type(e).__name__}: {text}"


def _short(x: Any, limit: int = 60) -> str:
    r = repr(x)
    return r if len(r) <= limit else r[: limit - 3] + "..."


if __name__ == "__main__":
    raise SystemExit(main())
