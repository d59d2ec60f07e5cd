"""Ahead-of-time export of several functions into one IREE module, and the `irax` CLI.

Importing this package is cheap: `export.py` imports the tracer and
`iree.compiler` only when something is exported, so `irax run` needs only
the runtime.
"""
from __future__ import annotations

from .export import Exported, ExportedFunction, ExportError, export

__all__ = ["export", "Exported", "ExportedFunction", "ExportError"]
