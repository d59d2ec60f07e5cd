"""Primitive families. Importing this package registers every rule."""
from . import elementwise, shape, reduce, linalg, indexing, bits, sort  # noqa: F401
from . import control_flow  # noqa: F401,E402
