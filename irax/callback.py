"""irax.pure_callback: call a pure Python function with array values (jax.pure_callback).

    y = irax.pure_callback(np_fn, irax.ShapeDtypeStruct((3,), np.float32), x,
                           vmap_method="sequential")

Works eagerly, under vmap (each `vmap_method` of JAX 0.10; None refuses under vmap with
JAX's NotImplementedError), inside custom_jvp / custom_vjp rules, and inside irax.jit:
compiled code calls back into Python through the `irax_host` module as
irax.debug.callback does, and the results come back as new device buffers
(irax/lowering/prims/callback.py, irax/runtime/host.py); inside loops it runs once per
iteration. Not differentiable (ValueError, as JAX). The callback receives irax Arrays,
as JAX's receives jax Arrays; non-array leaves of the arguments are passed as they are.
An exception the callback raises, or a result of the wrong shape or dtype, is
reported as irax.errors.JaxRuntimeError with the traceback in its text, eagerly and from
compiled code, as JAX reports it. A module saved with irax.aot needs the Python function again at load time
(`host_functions=`, as for debug.callback).
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from . import tree_util
from .debug import _merge, _split   # array leaves are operands, the rest stay Python values
from .tracer import core, dtypes
from .tracer.prims.callback import VMAP_METHODS, io_callback_p, pure_callback_p

__all__ = ["io_callback", "make_array_from_callback", "pure_callback"]


class _FlatCallback:
    """The flat host function: NumPy operands -> the leaves of callback(*args, **kwargs)."""

    def __init__(self, fn: Callable[..., Any], tree: Any, static: dict[int, Any],
                 out_tree: Any) -> None:
        self.fn, self.tree, self.static, self.out_tree = fn, tree, static, out_tree
        self.__name__ = getattr(fn, "__name__", type(fn).__name__)

    def __call__(self, *values: Any) -> list[Any]:
        args, kwargs = _merge(self.tree, self.static, values)
        out = self.fn(*args, **kwargs)
        out_leaves, out_tree = tree_util.tree_flatten(out)
        if out_tree != self.out_tree:
            raise RuntimeError(f"pure_callback: {self.__name__} returned a value of "
                               f"structure {out_tree}, but result_shape_dtypes has "
                               f"structure {self.out_tree}")
        return out_leaves


def _result_aval(sd: Any) -> core.ShapedArray:
    if not (hasattr(sd, "shape") and hasattr(sd, "dtype")):
        raise TypeError(f"pure_callback: result_shape_dtypes leaves must have .shape and "
                        f".dtype (e.g. irax.ShapeDtypeStruct), got {sd!r}")
    dt = np.dtype(sd.dtype)
    if dtypes.canonicalize(dt) != dt:
        raise ValueError("result_shape_dtypes cannot specify 64-bit types when "
                         "`jax_enable_x64` is disabled")
    return core.ShapedArray(tuple(sd.shape), dt)


def pure_callback(callback: Callable[..., Any], result_shape_dtypes: Any, *args: Any,
                  sharding: Any = None, vmap_method: str | None = None,
                  **kwargs: Any) -> Any:
    """callback(*args, **kwargs) on the values, with results shaped as result_shape_dtypes."""
    if vmap_method not in VMAP_METHODS:
        raise ValueError(f"vmap_method must be on of the allowed methods "
                         f"{list(VMAP_METHODS)}, but got: {vmap_method}")
    return _bind_callback(pure_callback_p, "pure_callback", callback, result_shape_dtypes,
                          args, kwargs, vmap_method=vmap_method)


def _bind_callback(prim: Any, what: str, callback: Callable[..., Any], result_shape_dtypes: Any,
                   args: tuple, kwargs: dict, **params: Any) -> Any:
    """Bind a host-callback primitive: array leaves of the arguments are its operands,
    results come back shaped as result_shape_dtypes."""
    if not callable(callback):
        raise TypeError(f"{what}: callback must be callable, got {type(callback)}")
    result_avals = tree_util.tree_map(_result_aval, result_shape_dtypes)
    flat_avals, out_tree = tree_util.tree_flatten(result_avals)
    dynamic, static, tree = _split(args, kwargs)
    outs = prim.bind(*dynamic, callback=_FlatCallback(callback, tree, static, out_tree),
                     result_avals=tuple(flat_avals), **params)
    return tree_util.tree_unflatten(out_tree, outs)


def io_callback(callback: Callable[..., Any], result_shape_dtypes: Any, *args: Any,
                sharding: Any = None, ordered: bool = False, **kwargs: Any) -> Any:
    """callback(*args, **kwargs) for its side effects, with results shaped as
    result_shape_dtypes (None or () for none): as jax.experimental.io_callback, it runs
    once per execution, also under jit when its results are unused; ordered=True keeps
    the calls in program order and refuses vmap; not differentiable."""
    return _bind_callback(io_callback_p, "io_callback", callback, result_shape_dtypes, args,
                          kwargs, ordered=bool(ordered))


def make_array_from_callback(shape: Any, sharding: Any, data_callback: Callable[..., Any],
                             dtype: Any = None) -> core.Array:
    """The array of `shape` that data_callback(index) gives for the whole-array index
    (irax drives one device, so there is one shard; `sharding` is not used)."""
    shape = tuple(int(d) for d in shape)
    index = (slice(None, None, None),) * len(shape)
    data = np.asarray(data_callback(index))
    if data.shape != shape:
        raise ValueError(f"Expected shard shape {shape} doesn't match the single device "
                         f"array shape {data.shape}.")
    dt = dtypes.canonicalize(data.dtype if dtype is None else np.dtype(dtype))
    return core.Array(data.astype(dt, copy=False))
