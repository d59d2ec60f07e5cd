"""irax.flatten_util (as jax.flatten_util): ravel_pytree.

ravel_pytree(tree) -> (flat, unravel): `flat` is every leaf flattened and concatenated into
one 1-D array of the leaves' promoted dtype (JAX's promotion of their dtypes, Python scalars
at their default dtypes); unravel(flat) rebuilds the tree, each leaf reshaped and cast back
to its own dtype. An empty tree gives an empty float32 vector. Built from reshape /
concatenate / slice / convert, so it works on tracers: under jit, grad and vmap.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from . import numpy as jnp
from .tracer import dtypes
from .tracer.core import get_aval
from .tracer.prims import elementwise as ew
from .tree_util import tree_flatten, tree_unflatten

__all__ = ["ravel_pytree"]


class _Unravel:
    """unravel(flat) -> the tree; equal and hashable by the tree's layout (as JAX's
    HashablePartial), so it can be a static argument of jit."""

    def __init__(self, treedef, sizes, shapes, from_dtypes, to_dtype):
        self._key = (treedef, tuple(sizes), tuple(shapes), from_dtypes, to_dtype)

    def __call__(self, flat) -> Any:
        treedef, sizes, shapes, from_dtypes, to_dtype = self._key
        flat = jnp.asarray(flat)
        fa = get_aval(flat)
        if from_dtypes is not None and fa.dtype != to_dtype:
            raise TypeError(f"unravel function given array of dtype {fa.dtype}, but "
                            f"expected dtype {to_dtype}")
        if fa.shape != (sum(sizes),):
            raise ValueError(f"unravel function given array of shape {fa.shape}, but "
                             f"expected shape {(sum(sizes),)}")
        offsets = np.cumsum((0,) + sizes)
        leaves = [flat[int(lo):int(hi)].reshape(shape)
                  for lo, hi, shape in zip(offsets[:-1], offsets[1:], shapes)]
        if from_dtypes is not None:
            # complex -> real keeps the real part without a warning, as JAX's unravel
            leaves = [ew.convert_element_type(leaf, dt) for leaf, dt in zip(leaves, from_dtypes)]
        return tree_unflatten(treedef, leaves)

    def __eq__(self, other) -> bool:
        return isinstance(other, _Unravel) and self._key == other._key

    def __hash__(self) -> int:
        return hash(self._key)

    def __repr__(self) -> str:
        return f"<unravel_pytree {self._key[0]}>"


def ravel_pytree(pytree: Any) -> tuple[Any, Callable[[Any], Any]]:
    """(flat, unravel): the leaves of `pytree` as one 1-D array, and its inverse."""
    leaves, treedef = tree_flatten(pytree)
    if not leaves:
        return jnp.zeros((0,), dtype=np.float32), _Unravel(treedef, (), (), None, None)
    leaves = [jnp.asarray(leaf) for leaf in leaves]
    avals = [get_aval(leaf) for leaf in leaves]
    from_dtypes = tuple(a.dtype for a in avals)
    # each leaf at its own dtype, weak or not (jax.dtypes.dtype of a Python float is float32)
    to_dtype = dtypes.result_type(*[(dt, False) for dt in from_dtypes])[0]
    sizes = tuple(a.size for a in avals)
    shapes = tuple(a.shape for a in avals)
    if all(dt == to_dtype for dt in from_dtypes):
        # one dtype: flat is weak when every leaf is (all Python scalars), as in JAX; unravel
        # neither checks nor casts (it keeps flat's dtype)
        flat = jnp.concatenate([leaf.reshape((a.size,)) for leaf, a in zip(leaves, avals)])
        return flat, _Unravel(treedef, sizes, shapes, None, to_dtype)
    flat = jnp.concatenate([ew.convert_element_type(leaf.reshape((a.size,)), to_dtype)
                            for leaf, a in zip(leaves, avals)])
    return flat, _Unravel(treedef, sizes, shapes, from_dtypes, to_dtype)
