"""IdentityCache: values derived from objects that are hashable only by identity (jaxprs).

The one identity-keyed cache of irax: the derived jaxprs of a staged call (jvp, partial
evaluation, transpose, vmap) in tracer/jit_call.py and the compiled module of a staged
jaxpr in irax/jit.py. Each entry holds its object, so an id() in a live key always means
that object (an id is reused only after its object is gone, and the entry keeps it alive).
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Callable


class IdentityCache:
    """A bounded LRU map keyed by (id(obj), extra)."""

    def __init__(self, size: int = 1024) -> None:
        self._entries: OrderedDict[tuple[int, Any], tuple[Any, Any]] = OrderedDict()
        self._size = size
        # reentrant: making one value may look up another (a jvp of a staged call inside one)
        self._lock = threading.RLock()

    def get(self, obj: Any, make: Callable[[], Any], extra: Any = None) -> Any:
        """The value for (obj, extra), made by `make()` the first time (under the lock, so
        concurrent first calls make it once)."""
        key = (id(obj), extra)
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None and hit[0] is obj:
                self._entries.move_to_end(key)
                return hit[1]
            value = make()
            self._entries[key] = (obj, value)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return value
