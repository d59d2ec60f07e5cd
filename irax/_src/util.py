"""jax._src.util's small list helpers that JAX's tutorials use: map / zip that insist
their arguments have equal lengths, and unzip2."""
from __future__ import annotations

from typing import Any, Callable, Iterable


def _length_message(fn: str, i: int, length: int, first: int) -> str:
    return (f"{fn}() argument {i + 1} is {'shorter' if length < first else 'longer'} "
            "than argument 1")


def safe_zip(*args: Iterable[Any]) -> list[tuple]:
    lists = [list(a) for a in args]
    n = len(lists[0]) if lists else 0
    for i, xs in enumerate(lists[1:], 1):
        if len(xs) != n:
            raise ValueError(_length_message("safe_zip", i, len(xs), n))
    return list(zip(*lists))


def safe_map(f: Callable[..., Any], *args: Iterable[Any]) -> list[Any]:
    lists = [list(a) for a in args]
    n = len(lists[0]) if lists else 0
    for i, xs in enumerate(lists[1:], 1):
        if len(xs) != n:
            raise ValueError(_length_message("safe_map", i, len(xs), n))
    return list(map(f, *lists))


def unzip2(pairs: Iterable[tuple[Any, Any]]) -> tuple[tuple, tuple]:
    firsts, seconds = [], []
    for a, b in pairs:
        firsts.append(a)
        seconds.append(b)
    return tuple(firsts), tuple(seconds)
