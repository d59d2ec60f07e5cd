"""Primitive families. Importing this package registers every rule."""
from . import elementwise, shape, reduce, linalg, indexing  # noqa: F401
