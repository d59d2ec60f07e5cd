"""jax.interpreters.batching's registration names over irax's batching table.

JAX's rule is `rule(args, dims, **params) -> (out, out_dim)`, dims any axis or None
(`not_mapped`); irax's table rules also take the axis size. The adapter passes JAX's
form and moves a result's batch axis to the front, where irax keeps it."""
from __future__ import annotations

from typing import Any, Callable

from ..tracer import batching as _batching
from ..tracer.core import get_aval

__all__ = ["not_mapped", "primitive_batchers", "defvectorized", "defbroadcasting",
           "bdim_at_front", "moveaxis"]

not_mapped = None
defvectorized = _batching.defvectorized
defbroadcasting = _batching.defbroadcasting


def moveaxis(x: Any, src: int, dst: int) -> Any:
    nd = get_aval(x).ndim
    return _batching.move_axis(x, src % nd, dst % nd)


def bdim_at_front(x: Any, bdim: int | None, size: int) -> Any:
    """x with its batch axis first (broadcast to `size` if it has none)."""
    if bdim is None:
        return _batching.bdim_to_front(x, None, size)
    return moveaxis(x, bdim, 0)


def _adapted(prim: Any, rule: Callable) -> Callable:
    def batch(axis_size: int, vals, dims, **params):
        out, out_dims = rule(list(vals), list(dims), **params)
        if prim.multiple_results:
            return ([o if d in (None, 0) else moveaxis(o, d, 0) for o, d in zip(out, out_dims)],
                    [None if d is None else 0 for d in out_dims])
        return (out if out_dims in (None, 0) else moveaxis(out, out_dims, 0),
                None if out_dims is None else 0)
    batch.jax_rule = rule
    return batch


class _Batchers(dict):
    """`primitive_batchers[prim] = rule` registers JAX's form of rule with irax."""

    def __setitem__(self, prim: Any, rule: Callable) -> None:
        _batching.batch_rules[prim] = _adapted(prim, rule)

    def __getitem__(self, prim: Any) -> Callable:
        rule = _batching.batch_rules[prim]
        return getattr(rule, "jax_rule", rule)

    def __contains__(self, prim: Any) -> bool:
        return prim in _batching.batch_rules

    def get(self, prim: Any, default: Any = None) -> Any:
        return self[prim] if prim in self else default


primitive_batchers = _Batchers()
