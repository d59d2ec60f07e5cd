"""jax.errors: the exception types a JAX program catches, under the same names."""
from __future__ import annotations

from .tracer.core import (ConcretizationTypeError, JaxprTypeError, JaxRuntimeError,  # noqa: F401
                          TracerArrayConversionError, TracerBoolConversionError,
                          TracerIntegerConversionError, UnexpectedTracerError)
from .tracer.prims.callback import JaxRuntimeError  # noqa: F401
from .tracer.transpose import NonlinearError  # noqa: F401


class JAXTypeError(TypeError):
    pass


class JAXIndexError(IndexError):
    pass


class NonConcreteBooleanIndexError(JAXIndexError):
    """A boolean mask index of traced values (`x[x > 0]` under jit or vmap): the result's
    shape would depend on the data. An IndexError, not a ConcretizationTypeError, as in
    JAX. Built from the mask's abstract value, it words its message as JAX's."""

    def __init__(self, mask_aval):
        if isinstance(mask_aval, str):
            super().__init__(mask_aval)
            return
        super().__init__(f"Array boolean indices must be concrete; got {mask_aval.str_short()}"
                         "\n\nSee https://docs.jax.dev/en/latest/errors.html"
                         "#jax.errors.NonConcreteBooleanIndexError")


class KeyReuseError(RuntimeError):
    """Defined for `except` clauses: irax does not check PRNG key reuse."""


class InconclusiveDimensionOperation(Exception):
    pass


__all__ = ["ConcretizationTypeError", "InconclusiveDimensionOperation", "JAXIndexError",
           "JAXTypeError", "JaxRuntimeError", "JaxprTypeError", "KeyReuseError",
           "NonConcreteBooleanIndexError", "TracerArrayConversionError",
           "TracerBoolConversionError", "TracerIntegerConversionError", "UnexpectedTracerError"]
