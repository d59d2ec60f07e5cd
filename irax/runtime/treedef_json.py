"""JSON pytree specs: how an exported function's argument/result structure is stored.

An exported function may carry, in its `iree.reflection` dict, the key
`"irax"` whose value is a JSON string:

    {"version": 1,
     "in_tree":  <tree>,               # structure of the tuple of positional args
     "out_tree": <tree>,               # structure of the return value
     "in_avals":  [[shape, dtype], ...],   # one per leaf, in flatten order
     "out_avals": [[shape, dtype], ...]}

`shape` is a list of ints, `dtype` a numpy name ("float32") or an MLIR name
("f32", "i1", "bf16"). A <tree> is one of:

    {"t": "leaf"}                                   an array
    {"t": "none"}                                   None (no leaves)
    {"t": "tuple", "c": [<tree>, ...]}
    {"t": "list",  "c": [<tree>, ...]}
    {"t": "dict",  "k": [key, ...], "c": [<tree>, ...]}     keys in flatten order
    {"t": "namedtuple", "name": "Point", "fields": ["x", "y"], "c": [<tree>, ...]}

Leaves are flattened depth first, children in the order of "c". `in_tree`
describes the *tuple* of positional arguments, so a function `f(x, params)`
has `in_tree = {"t": "tuple", "c": [<x>, <params>]}`. Namedtuples are
restored as a `collections.namedtuple` type created on the fly (one type per
(name, fields)), since the original class is not importable by the loader.
"""
from __future__ import annotations

import collections
import functools
import json
from collections.abc import Sequence
from typing import Any

TreeSpec = dict[str, Any]

METADATA_KEY = "irax"
METADATA_VERSION = 1


class TreeMismatchError(TypeError, ValueError):
    """A value does not have the structure its tree spec describes."""


def flatten_json_with_paths(spec: TreeSpec, value: Any, path: str = "") -> list[tuple[str, Any]]:
    """(path, leaf) pairs of `value` in flatten order; paths look like `[0]['w'][1]`."""
    out: list[tuple[str, Any]] = []
    _flatten(spec, value, path, out)
    return out


def flatten_json(spec: TreeSpec, value: Any) -> list[Any]:
    """Leaves of `value`, which must have the structure `spec` describes."""
    return [leaf for _, leaf in flatten_json_with_paths(spec, value)]


def _flatten(spec: TreeSpec, value: Any, path: str, out: list[tuple[str, Any]]) -> None:
    kind = spec["t"]
    if kind == "leaf":
        out.append((path, value))
    elif kind == "none":
        if value is not None:
            raise TreeMismatchError(f"at {path or 'top level'}: expected None, got {type(value).__name__}")
    elif kind in ("tuple", "list", "namedtuple"):
        children = spec["c"]
        if not isinstance(value, (tuple, list)):
            raise TreeMismatchError(f"at {path or 'top level'}: expected a {kind}, got {type(value).__name__}")
        if len(value) != len(children):
            raise TreeMismatchError(
                f"at {path or 'top level'}: expected a {kind} of {len(children)} items, got {len(value)}"
            )
        for i, (child, item) in enumerate(zip(children, value)):
            _flatten(child, item, f"{path}[{i}]", out)
    elif kind == "dict":
        if not isinstance(value, dict):
            raise TreeMismatchError(f"at {path or 'top level'}: expected a dict, got {type(value).__name__}")
        keys = spec["k"]
        if set(value) != set(keys):
            raise TreeMismatchError(
                f"at {path or 'top level'}: expected dict keys {sorted(map(str, keys))}, "
                f"got {sorted(map(str, value))}"
            )
        for key, child in zip(keys, spec["c"]):
            _flatten(child, value[key], f"{path}[{key!r}]", out)
    else:
        raise ValueError(f"unknown tree node type {kind!r}")


def num_leaves(spec: TreeSpec) -> int:
    kind = spec["t"]
    if kind == "leaf":
        return 1
    if kind == "none":
        return 0
    return sum(num_leaves(c) for c in spec["c"])


@functools.lru_cache(maxsize=None)
def _namedtuple_type(name: str, fields: tuple[str, ...]) -> type:
    return collections.namedtuple(name, fields)  # type: ignore[misc]


def unflatten_json(spec: TreeSpec, leaves: Sequence[Any]) -> Any:
    """Rebuild the structure `spec` describes from `leaves` (flatten order)."""
    it = iter(leaves)
    value = _unflatten(spec, it)
    if next(it, _END) is not _END:
        raise TreeMismatchError(f"too many leaves for tree: expected {num_leaves(spec)}, got {len(leaves)}")
    return value


_END = object()


def _unflatten(spec: TreeSpec, it: Any) -> Any:
    kind = spec["t"]
    if kind == "leaf":
        leaf = next(it, _END)
        if leaf is _END:
            raise TreeMismatchError("too few leaves for tree")
        return leaf
    if kind == "none":
        return None
    children = [_unflatten(c, it) for c in spec["c"]]
    if kind == "tuple":
        return tuple(children)
    if kind == "list":
        return children
    if kind == "dict":
        return dict(zip(spec["k"], children))
    if kind == "namedtuple":
        return _namedtuple_type(spec["name"], tuple(spec["fields"]))(*children)
    raise ValueError(f"unknown tree node type {kind!r}")


def read_signature_metadata(reflection: dict[str, str]) -> dict[str, Any] | None:
    """Parsed irax metadata from a function's `iree.reflection`, or None if absent."""
    raw = reflection.get(METADATA_KEY)
    if raw is None:
        return None
    meta = json.loads(raw)
    if meta.get("version") != METADATA_VERSION:
        raise ValueError(f"irax signature metadata version {meta.get('version')!r} is not supported (want 1)")
    for key in ("in_tree", "out_tree", "in_avals", "out_avals"):
        if key not in meta:
            raise ValueError(f"irax signature metadata lacks {key!r}")
    return meta
