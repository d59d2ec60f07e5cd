"""jax.errors: the exception types a JAX program catches, under the same names."""
from __future__ import annotations

from .tracer.core import (ConcretizationTypeError, JaxprTypeError,  # noqa: F401
                          TracerArrayConversionError, TracerBoolConversionError,
                          TracerIntegerConversionError, UnexpectedTracerError)
from .tracer.transpose import NonlinearError  # noqa: F401


class JAXTypeError(TypeError):
    pass


class JAXIndexError(IndexError):
    pass


class NonConcreteBooleanIndexError(JAXIndexError, ConcretizationTypeError):
    """A boolean mask index of traced values (irax raises ConcretizationTypeError for it)."""


class KeyReuseError(RuntimeError):
    """Defined for `except` clauses: irax does not check PRNG key reuse."""


class JaxRuntimeError(RuntimeError):
    pass


class InconclusiveDimensionOperation(Exception):
    pass


__all__ = ["ConcretizationTypeError", "InconclusiveDimensionOperation", "JAXIndexError",
           "JAXTypeError", "JaxRuntimeError", "JaxprTypeError", "KeyReuseError",
           "NonConcreteBooleanIndexError", "TracerArrayConversionError",
           "TracerBoolConversionError", "TracerIntegerConversionError", "UnexpectedTracerError"]
