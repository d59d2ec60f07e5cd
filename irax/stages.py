"""irax.stages (as jax.stages): the stages of a jitted function.

    jit(f)                      # a Wrapped: call it, or stage it explicitly
    jit(f).trace(x)             # Traced: .jaxpr, .out_info, .lower()
    jit(f).lower(x)             # Lowered: .as_text() (StableHLO), .compile(), .cost_analysis()
    jit(f).lower(x).compile()   # Compiled: call it with arguments of the same types

irax.jit's JitFunction, Lowered and Compiled (irax/jit.py) derive from these classes, so
`isinstance(jit(f).lower(x), irax.stages.Lowered)` holds. What they share, answered from
the jaxpr and the pytree structures: args_info / in_avals (trees over (args, kwargs)),
out_info (a tree of ShapeDtypeStruct), cost_analysis (a dict, as JAX's CPU backend).

This module sits below jit (it imports only the tracer and tree_util): jit's classes
call back into it, never the reverse.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import tree_util
from .tracer import core
from .tracer.avals import ShapeDtypeStruct, ShapedArray
from .tracer.jit_spec import float0_leaves_as_structure

__all__ = ["Wrapped", "Traced", "Lowered", "Compiled", "ArgInfo", "CompilerOptions"]

# jax.stages.CompilerOptions: compiler option name -> value. irax's IREE flags come from
# the target; options are accepted as JAX's are and must be a dict.
CompilerOptions = dict[str, Any]


class ArgInfo:
    """One argument leaf of a staged function: its abstract value, and whether it is
    donated (a call of the compiled stage deletes it where JAX would)."""

    __slots__ = ("_aval", "donated")

    def __init__(self, aval: Any, donated: bool = False) -> None:
        self._aval = aval
        self.donated = donated

    @property
    def shape(self):
        return self._aval.shape

    @property
    def dtype(self):
        return self._aval.dtype

    def __repr__(self) -> str:
        return f"ArgInfo(_aval={self._aval.str_short()}, donated={self.donated})"


class Stage:
    """Shared by Traced, Lowered and Compiled. A subclass has `in_tree` (the structure
    of (args, kwargs)), `out_tree`, `jaxpr` (a ClosedJaxpr) and `_arg_avals()` (the
    avals of the argument leaves, without hoisted constants)."""

    in_tree: Any
    out_tree: Any
    jaxpr: Any
    _donated: list[bool] | None = None   # per argument leaf (a donating jit's stages)

    def _arg_avals(self) -> list[ShapedArray]:
        raise NotImplementedError

    @property
    def args_info(self) -> Any:
        avals = self._arg_avals()
        donated = self._donated or [False] * len(avals)
        return tree_util.tree_unflatten(self.in_tree,
                                        [ArgInfo(a, d) for a, d in zip(avals, donated)])

    @property
    def donate_argnums(self) -> tuple[int, ...]:
        """The donated argument leaves' indices (flat, as JAX's)."""
        return tuple(i for i, d in enumerate(self._donated or ()) if d)

    @property
    def out_info(self) -> Any:
        """The results' structure, a ShapeDtypeStruct at each leaf."""
        return tree_util.tree_unflatten(
            self.out_tree, [ShapeDtypeStruct(a.shape, a.dtype, weak_type=a.weak_type)
                            for a in self.jaxpr.out_avals])

    def cost_analysis(self) -> dict[str, float]:
        """Estimated costs, keyed as XLA's CPU cost analysis: "flops" (a dot_general
        counts 2 per multiply-add, an elementwise op one per output element; a loop body
        counts once), "transcendentals" (exp, tanh, ...: not in "flops", as XLA counts
        them) and "bytes accessed" (of the arguments and results only)."""
        flops, trans = _costs(self.jaxpr.jaxpr)
        nbytes = sum(_nbytes(a) for a in list(self.jaxpr.in_avals) + list(self.jaxpr.out_avals))
        return {"flops": float(flops), "transcendentals": float(trans),
                "bytes accessed": float(nbytes)}

    def memory_analysis(self) -> None:
        return None   # IREE reports no memory statistics for a module


class Traced(Stage):
    """A function traced for argument types: its jaxpr, ready to lower."""

    def __init__(self, wrapped: Any, traced: Any, avals: list[ShapedArray], in_tree: Any,
                 static_key: Any, donated: list[bool] | None = None) -> None:
        self._wrapped = wrapped
        self.jaxpr = traced.closed
        self.out_tree = traced.out_tree
        self.in_tree = in_tree
        self._avals = avals
        self._static_key = static_key
        self._donated = donated

    @property
    def fun_name(self) -> str:
        return self._wrapped._name

    def _arg_avals(self) -> list[ShapedArray]:
        return list(self._avals)

    @property
    def in_avals(self) -> Any:
        return tree_util.tree_unflatten(self.in_tree, self._avals)

    @property
    def out_avals(self) -> Any:
        return tree_util.tree_unflatten(self.out_tree, list(self.jaxpr.out_avals))

    def lower(self, *, lowering_platforms: Any = None) -> "Lowered":
        lowered = self._wrapped._lower_avals(self._avals, self.in_tree, self._static_key)
        lowered._donated = self._donated
        return lowered

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Evaluate the jaxpr on arguments of the traced types (not compiled)."""
        leaves, tree = tree_util.tree_flatten((args, kwargs))
        if tree != self.in_tree:
            raise TypeError(f"Traced {self.fun_name} expects arguments with structure "
                            f"{self.in_tree}, got {tree}")
        outs = core.eval_jaxpr(self.jaxpr.jaxpr, self.jaxpr.consts, leaves)
        return tree_util.tree_unflatten(self.out_tree, outs)


class Lowered(Stage):
    """A function lowered to a StableHLO module (irax.jit.Lowered: its jaxpr's leading
    inputs are the `_hoisted` constants, then the argument leaves)."""

    def _arg_avals(self) -> list[ShapedArray]:
        return list(self.jaxpr.in_avals)[len(self._hoisted):]

    def compiler_ir(self, dialect: str | None = None) -> str:
        """The module's text: irax keeps StableHLO as text (JAX returns an ir.Module)."""
        if dialect not in (None, "stablehlo"):
            raise ValueError(f"irax lowers to StableHLO only; got dialect={dialect!r}")
        return self.as_text()

    @property
    def in_avals(self) -> Any:
        return tree_util.tree_unflatten(self.in_tree, self._arg_avals())


class Compiled(Stage):
    """A compiled module for one signature (irax.jit.Compiled: `in_avals` is the flat
    list of its argument leaves' avals)."""

    def _arg_avals(self) -> list[ShapedArray]:
        return list(self.in_avals)

    @property
    def input_shardings(self) -> Any:
        return self._shardings(self._arg_avals(), self.in_tree)

    @property
    def output_shardings(self) -> Any:
        return self._shardings(self.jaxpr.out_avals, self.out_tree)

    @staticmethod
    def _shardings(avals, tree) -> Any:
        from .tracer.sharding import devices, make_single_device_sharding
        s = make_single_device_sharding(devices()[0])
        return tree_util.tree_unflatten(tree, [s for _ in avals])

    def runtime_executable(self) -> Any:
        return self.executable


class Wrapped:
    """A function ready to be traced, lowered and compiled (what irax.jit returns)."""

    def trace(self, *args: Any, **kwargs: Any) -> Traced:
        """Trace for these arguments (arrays, scalars or ShapeDtypeStructs)."""
        dyn, static_key = self._split(args, kwargs)
        leaves, tree = float0_leaves_as_structure(*tree_util.tree_flatten(dyn))
        avals = [self._arg_aval(x) for x in leaves]
        return Traced(self, self._trace(avals, tree, static_key), avals, tree, static_key,
                      self._donated_leaves(args, kwargs))

    def _donated_leaves(self, args: tuple, kwargs: dict) -> list[bool] | None:
        return None   # which argument leaves are donated (irax.jit's donate_argnums)

    def eval_shape(self, *args: Any, **kwargs: Any) -> Any:
        return self.trace(*args, **kwargs).out_info


def _nbytes(a: Any) -> int:
    return int(math.prod(a.shape)) * np.dtype(a.dtype).itemsize


_TRANSCENDENTAL = frozenset({"exp", "exp2", "expm1", "log", "log1p", "sin", "cos", "tan",
                             "tanh", "logistic", "sinh", "cosh", "asin", "acos", "atan",
                             "atan2", "asinh", "acosh", "atanh", "pow", "erf", "erfc",
                             "erf_inv", "lgamma", "digamma", "rsqrt", "sqrt", "cbrt"})
_FREE = frozenset({"reshape", "broadcast_in_dim", "squeeze", "expand_dims", "transpose",
                   "convert_element_type", "slice", "concatenate", "copy", "copy_p",
                   "iota", "select_n", "pad", "dynamic_slice", "dynamic_update_slice",
                   "gather", "rev", "bitcast_convert_type", "stop_gradient"})


def _costs(jaxpr: Any) -> tuple[int, int]:
    """(flops, transcendentals) of a jaxpr; a sub-jaxpr (loop body, branch) counts once."""
    flops = trans = 0
    for e in jaxpr.eqns:
        name = e.primitive.name
        subs = [p for v in e.params.values() for p in (v if isinstance(v, (tuple, list)) else [v])
                if hasattr(p, "jaxpr") or hasattr(p, "eqns")]
        if subs:
            for p in subs:
                f, t = _costs(p.jaxpr if hasattr(p, "jaxpr") else p)
                flops, trans = flops + f, trans + t
            continue
        out = sum(int(math.prod(v.aval.shape)) for v in e.outputs)
        if name == "dot_general":
            (lc, _), _ = e.params["dimension_numbers"]
            k = math.prod(e.inputs[0].aval.shape[d] for d in lc)
            flops += 2 * out * k
        elif name.startswith("reduce_") or name in ("argmax", "argmin", "cumsum"):
            flops += int(math.prod(e.inputs[0].aval.shape))
        elif name in _TRANSCENDENTAL:   # counted apart, as XLA's analysis does
            trans += out
        elif name not in _FREE:
            flops += out
    return flops, trans
