"""The IR (avals, Var, Literal, Eqn, Jaxpr), primitives, and the stackless trace machinery.

Layering: the bottom of irax/tracer (with dtypes, rules, source_info and pretty, the jaxpr
printer). It imports nothing of irax but those; every other tracer module builds on it.

Design (autodidax2 / today's JAX): there is one *current trace*; every trace knows its
parent. `bind` hands a primitive application to the current trace; a transformation's
trace computes its rule with the current trace set to its parent. Values that are not
tracers of the trace at hand are "foreign": each trace lifts them in its own way
(constant for staging, zero tangent for jvp, unbatched for vmap).
"""
from __future__ import annotations

import collections
import contextlib
import dataclasses
import itertools
import re
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from . import dtypes, source_info
from . import pretty as pp
from .avals import ShapeDtypeStruct, ShapedArray, same_type  # noqa: F401  (core's names too)
from .rules import AbstractEvalRule, ImplRule

# ---------------------------------------------------------------------------
# The IR
#
# Besides irax's own field names (eqn.inputs / outputs, literal.value), the classes answer
# to JAX's (eqn.invars / outvars, literal.val, closed.literals, ...), so interpreters
# written against jax.extend.core run on irax's jaxprs unchanged.


def _long_type(aval: ShapedArray) -> str:
    """`float32[5,10]`: how JAX's Var repr writes an aval (long dtype name, no weak mark)."""
    return aval.str_long()


class Var:
    _ids = itertools.count()

    def __init__(self, aval: ShapedArray):
        self.aval = aval
        self.id = next(Var._ids)

    def __repr__(self) -> str:   # as JAX writes it: Var(id=140...):float32[5]
        return f"Var(id={id(self)}):{_long_type(self.aval)}"


class Literal:
    """A 0-d constant written inline in the IR (e.g. the `1.0` in `add 1.0:f32[] b`)."""

    def __init__(self, value: Any, aval: ShapedArray):
        self.value = np.asarray(value, dtype=aval.dtype)  # 0-d; what lowering writes inline
        self.aval = aval
        self.array = Array(self.value, aval.weak_type)      # what evaluation reads

    @property
    def val(self) -> "Array":
        """JAX's name for the value: what an interpreter binds (an irax Array, so the
        literal's weak type comes along)."""
        return self.array

    def __repr__(self) -> str:
        v = self.value.item()
        if self.aval.weak_type and type(v) is int:   # JAX wraps Python ints in a TypedInt
            return f"Literal(TypedInt({v}, dtype={self.aval.dtype.name}))"
        return f"Literal({pp.literal_text(self)})"


Atom = Var | Literal


@dataclass(repr=False)
class Eqn:
    primitive: "Primitive"
    inputs: list[Atom]
    outputs: list[Var]
    params: dict[str, Any]
    context: str | None = None   # e.g. "custom_jvp rule f_jvp": named in transpose errors
    source_info: Any = None      # the user's frame that staged it (tracer/source_info.py)

    # JAX's names (jax.extend.core.JaxprEqn)
    invars = property(lambda self: self.inputs)
    outvars = property(lambda self: self.outputs)
    effects = frozenset()   # irax tracks no effects (unannotated: not a dataclass field)
    ctx = None

    def replace(self, **changes: Any) -> "Eqn":
        """A copy with some fields changed; JAX's names (invars=, outvars=) work too, and
        JAX's effects= / ctx= are accepted and dropped (irax has none)."""
        renamed = {"invars": "inputs", "outvars": "outputs"}
        return dataclasses.replace(self, **{renamed.get(k, k): v for k, v in changes.items()
                                            if k not in ("effects", "ctx")})

    def __str__(self) -> str:
        return pp.eqn_text(self)

    __repr__ = __str__


@dataclass
class Jaxpr:
    constvars: list[Var]
    invars: list[Var]
    eqns: list[Eqn]
    outvars: list[Atom]

    effects = frozenset()   # irax tracks no effects (unannotated: not a dataclass field)

    @property
    def in_avals(self) -> list[ShapedArray]:
        return [v.aval for v in self.invars]

    @property
    def out_avals(self) -> list[ShapedArray]:
        return [v.aval for v in self.outvars]

    def replace(self, **changes: Any) -> "Jaxpr":
        return dataclasses.replace(self, **changes)

    def pretty_print(self, **_settings: Any) -> str:
        return pp.pp_jaxpr(self)

    def __str__(self) -> str:
        return pp.pp_jaxpr(self)

    __repr__ = __str__

    def _repr_pretty_(self, p, cycle) -> None:
        p.text(str(self))


@dataclass
class ClosedJaxpr:
    jaxpr: Jaxpr
    consts: list[Any] = field(default_factory=list)

    # JAX's names: `literals` is JAX 0.10's name for the consts; the rest read the jaxpr
    literals = property(lambda self: self.consts)
    constvars = property(lambda self: self.jaxpr.constvars)
    invars = property(lambda self: self.jaxpr.invars)
    outvars = property(lambda self: self.jaxpr.outvars)
    eqns = property(lambda self: self.jaxpr.eqns)
    effects = property(lambda self: self.jaxpr.effects)

    @property
    def in_avals(self) -> list[ShapedArray]:
        return self.jaxpr.in_avals

    @property
    def out_avals(self) -> list[ShapedArray]:
        return self.jaxpr.out_avals

    def replace(self, *, jaxpr: Jaxpr | None = None, consts: Any = None) -> "ClosedJaxpr":
        return ClosedJaxpr(self.jaxpr if jaxpr is None else jaxpr,
                           list(self.consts if consts is None else consts))

    def map_jaxpr(self, f: Callable[[Jaxpr], Jaxpr]) -> "ClosedJaxpr":
        return ClosedJaxpr(f(self.jaxpr), self.consts)

    def pretty_print(self, **_settings: Any) -> str:
        return pp.pp_jaxpr(self.jaxpr)

    def __str__(self) -> str:
        return pp.pp_jaxpr(self.jaxpr)

    def __repr__(self) -> str:
        return str(self)

    # notebooks show `make_jaxpr(...)` results through _repr_pretty_ / repr
    def _repr_pretty_(self, p, cycle) -> None:
        p.text(str(self))


# ---------------------------------------------------------------------------
# Primitives and their core rule tables (transformation tables live in their modules)


class Primitive:
    """A primitive operation. `impl_takes_arrays`: its impl rule gets the eager arguments
    as they are (irax Arrays stay device-resident) instead of NumPy values.

    Evaluating a jaxpr binds each equation's primitive (`prim.bind`), so a higher-order
    primitive whose evaluation is itself a transformation entry point (the staged custom
    derivative calls) subclasses Primitive and overrides `bind`."""

    impl_takes_arrays = False

    def __init__(self, name: str, multiple_results: bool = False,
                 impl_takes_arrays: bool = False):
        self.name = name
        self.multiple_results = multiple_results
        self.impl_takes_arrays = impl_takes_arrays

    def bind(self, *args: Any, **params: Any) -> Any:
        return bind(self, *args, **params)

    # jax.extend.core.Primitive's way to give a new primitive its core rules
    def def_impl(self, impl: ImplRule) -> ImplRule:
        """impl(*values, **params): the eager evaluation, on NumPy values (returns arrays)."""
        impl_rules[self] = impl
        return impl

    @property
    def impl(self) -> ImplRule | None:
        """The eager evaluation rule (JAX's Primitive.impl; def_impl replaces it)."""
        return impl_rules.get(self)

    def def_abstract_eval(self, rule: AbstractEvalRule) -> AbstractEvalRule:
        """rule(*avals, **params) -> the output aval (a list when multiple_results)."""
        abstract_eval_rules[self] = rule
        return rule

    def __repr__(self) -> str:
        return self.name


# The two core tables (each transformation's table lives in its module, see rules.py):
impl_rules: dict[Primitive, ImplRule] = {}                   # concrete values in and out
abstract_eval_rules: dict[Primitive, AbstractEvalRule] = {}  # avals in, aval(s) out


def float0_error(name: str, position: int | None = None) -> TypeError:
    """JAX's refusal of a float0 operand (the tangent type of integers holds no data): at an
    arithmetic primitive (with the operand's position), or at a jax.numpy function.
    Structural primitives (broadcast, reshape, ...) take float0 operands, as in JAX."""
    where, comma = ("a float0 array", "") if position is None else (
        f"a float0 at position {position}", ",")
    return TypeError(
        f"Called {name} with {where}. float0s do not support any operations by design{comma} "
        "because they are not compatible with non-trivial vector spaces. No implicit dtype "
        "conversion is done. You can use np.zeros_like(arr, dtype=np.float) to cast a float0 "
        "array to a regular zeros array. \nIf you didn't expect to get a float0 you might "
        "have accidentally taken a gradient with respect to an integer argument.")


def check_avals(prim: Primitive, avals: Sequence[ShapedArray], params: dict) -> list[ShapedArray]:
    rule = abstract_eval_rules.get(prim)
    if rule is None:
        raise NotImplementedError(f"primitive {prim.name} has no abstract evaluation rule")
    out = rule(*avals, **params)
    return list(out) if prim.multiple_results else [out]


# ---------------------------------------------------------------------------
# Errors


class ConcretizationTypeError(TypeError):
    pass


# JAX's finer kinds (jax.errors); here all are ConcretizationTypeErrors, so code catching
# either JAX's name or the general one works.
class TracerBoolConversionError(ConcretizationTypeError):
    pass


class TracerIntegerConversionError(ConcretizationTypeError):
    pass


class TracerArrayConversionError(ConcretizationTypeError):
    pass


class JaxRuntimeError(RuntimeError):
    """A failure while running a compiled module (jax.errors.JaxRuntimeError), e.g. its
    device was lost."""


class UnexpectedTracerError(TypeError):
    """A tracer used where it does not belong (leaked, or passed as a static or
    non-differentiable argument). A TypeError, as JAX's is."""


# ---------------------------------------------------------------------------
# Traces


class Trace:
    parent: "Trace | None" = None

    def is_linearizing(self, tangents: Sequence[Any]) -> bool:
        """Does a jvp rule that runs at this trace (as the parent of a JVPTrace, with these
        tangents) serve reverse mode? Partial evaluation says so (see partial_eval)."""
        return False

    def process_primitive(self, prim: Primitive, args: Sequence[Any], params: dict) -> Any:
        raise NotImplementedError

    # custom derivative calls: fun/jvp/fwd/bwd are Python callables on flat arrays
    def process_custom_jvp_call(self, prim, fun, jvp, args, symbolic_zeros=False):
        raise NotImplementedError

    def process_custom_vjp_call(self, prim, fun, fwd, bwd, args, out_trees):
        raise NotImplementedError

    def stands_for(self, other: "Trace") -> bool:
        """Whether this trace takes `other`'s tracers as its own (see check_not_leaked)."""
        return False

    def ancestors(self) -> Iterator["Trace"]:
        t: Trace | None = self
        while t is not None:
            yield t
            t = t.parent


# Called with (primitive, impl output) after each eager primitive when set; irax's
# debug_nans / debug_infs flags (irax/config_flags.py) set it to raise FloatingPointError.
eager_result_check: Callable[[Any, Any], None] | None = None
# Called by a top-level irax.jit call with (fun, name, outputs, args, kwargs) when set.
jit_result_check: Callable[..., None] | None = None


class EvalTrace(Trace):
    """The bottom of every chain: runs NumPy impl rules on concrete values."""

    def process_primitive(self, prim, args, params):
        rule = impl_rules.get(prim)
        if rule is None:
            raise NotImplementedError(f"primitive {prim.name} has no impl rule")
        if prim.impl_takes_arrays:   # takes the arguments as they are (e.g. device-resident)
            return rule(*args, **params)
        vals = [to_numpy_value(x, prim) for x in args]
        # type-checks before running the impl; a user's primitive (irax.extend.core) may
        # have only its impl, which is all eager evaluation needs (as in JAX)
        weak = _eval_out_weak(prim, args, params) if prim in abstract_eval_rules else None
        with np.errstate(all="ignore"):   # inf/nan are values, as in JAX
            out = rule(*vals, **params)
        if weak is None:
            weak = [False] * (len(out) if prim.multiple_results else 1)
        if eager_result_check is not None:   # irax.debug_nans / debug_infs (config_flags)
            eager_result_check(prim, out)
        if prim.multiple_results:
            return [wrap_result(o, w) for o, w in zip(out, weak)]
        return wrap_result(out, weak[0])

    def process_custom_jvp_call(self, prim, fun, jvp, args, symbolic_zeros=False):
        return fun(*args)

    def process_custom_vjp_call(self, prim, fun, fwd, bwd, args, out_trees):
        return fun(*args)


def _eval_out_weak(prim: Primitive, args, params) -> list[bool]:
    # Weak types come from the abstract rule, so eager and staged code agree.
    avals = [get_aval(x) for x in args]
    return [a.weak_type for a in check_avals(prim, avals, params)]


class _TraceState(threading.local):
    def __init__(self) -> None:
        self.trace: Trace = EvalTrace()
        self.eqn_context: str | None = None
        # Set while a jit call runs on the eager tier (irax/jit_tiers.py): nested jit
        # calls evaluate inline, and eager loops call loop_poll after each iteration.
        self.eager_tier: bool = False
        self.loop_poll: Callable[[], None] | None = None


_state = _TraceState()


def current_trace() -> Trace:
    return _state.trace


@contextlib.contextmanager
def set_current_trace(trace: Trace) -> Iterator[None]:
    prev = _state.trace
    _state.trace = trace
    try:
        yield
    finally:
        _state.trace = prev


@contextlib.contextmanager
def eqn_context(description: str | None) -> Iterator[None]:
    """Staged equations remember where they came from (for error messages)."""
    prev = _state.eqn_context
    _state.eqn_context = description
    try:
        yield
    finally:
        _state.eqn_context = prev


def current_eqn_context() -> str | None:
    return _state.eqn_context


def bind(prim: Primitive, *args: Any, **params: Any) -> Any:
    return current_trace().process_primitive(prim, args, params)


# ---------------------------------------------------------------------------
# Tracers and concrete arrays

# irax/__init__.py sets this to a function importing irax.numpy: its array methods
# (x.reshape, x[i], x @ y, x.sum(), ...) are installed on import, and a program that only
# ever imported irax (irax.jit(f)(np_array).reshape(...)) still expects them.
array_methods_loader: Callable[[], Any] | None = None


def load_array_methods() -> bool:
    """Run the loader once; True if it ran now."""
    global array_methods_loader
    loader, array_methods_loader = array_methods_loader, None
    if loader is None:
        return False
    loader()
    return True


class _LoadsArrayMethods:
    """Until irax.numpy is imported, a missing public attribute or one of its operators
    imports it and retries."""

    def __getattr__(self, name: str) -> Any:
        if not name.startswith("_") and load_array_methods():
            return getattr(self, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __getitem__(self, idx: Any) -> Any:
        if load_array_methods():
            return self[idx]
        raise TypeError(f"{type(self).__name__!r} object is not subscriptable")

    def __setitem__(self, idx: Any, value: Any) -> None:
        if load_array_methods():
            self[idx] = value
            return
        raise TypeError(f"{type(self).__name__!r} object does not support item assignment")

    def __matmul__(self, other: Any) -> Any:
        return self @ other if load_array_methods() else NotImplemented

    def __rmatmul__(self, other: Any) -> Any:
        return other @ self if load_array_methods() else NotImplemented


class Tracer(_LoadsArrayMethods):
    """Base of every traced value. Its arithmetic operators are registered by
    tracer/array_methods.py (irax.numpy adds its array methods, x.sum(), x.at, on top)."""

    __array_priority__ = 1000
    _trace: Trace

    @property
    def aval(self) -> ShapedArray:
        raise NotImplementedError

    shape = property(lambda self: self.aval.shape)
    dtype = property(lambda self: self.aval.dtype)
    ndim = property(lambda self: self.aval.ndim)
    size = property(lambda self: self.aval.size)
    weak_type = property(lambda self: self.aval.weak_type)

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of unsized object")
        return self.shape[0]

    def __iter__(self):
        if not self.shape:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(self.shape[0]))

    def concrete_value(self) -> np.ndarray | None:
        """The concrete value behind this tracer, if any (eager transformations have one)."""
        return None

    def _concrete(self, what: str, error: type = ConcretizationTypeError,
                  lead: str | None = None) -> np.ndarray:
        """The concrete value, or `error`: JAX's first sentence (`lead`, or its general one),
        then which trace made the value abstract and what to do."""
        v = self.concrete_value()
        if v is None:
            shape = type_string(self.aval).lstrip("~")
            lead = lead or ("Abstract tracer value encountered where concrete value is "
                            f"expected: {what} of a traced array with shape {shape}.")
            raise error(
                f"{lead}\n"
                f"The value depends on a function argument traced by {self._trace_description()}, "
                "so it has no concrete value here. If this is inside `irax.jit`, mark the argument "
                "static (static_argnums=... / static_argnames=...), or use irax.lax.cond / "
                "irax.numpy.where for data-dependent choices.")
        return v

    def _conversion(self, fn: str, error: type = ConcretizationTypeError) -> np.ndarray:
        shape = type_string(self.aval).lstrip("~")
        return self._concrete(f"{fn}()", error, (
            "Abstract tracer value encountered where concrete value is expected: traced array "
            f"with shape {shape}\nThe problem arose with the `{fn}` function. If trying to "
            f"convert the data type of a value, try using `x.astype({fn})` or "
            f"`jnp.array(x, {fn})` instead."))

    def _trace_description(self) -> str:
        return type(self._trace).__name__

    def __bool__(self) -> bool:
        shape = type_string(self.aval).lstrip("~")
        return bool(self._concrete("bool()", TracerBoolConversionError,
                                   f"Attempted boolean conversion of traced array with shape "
                                   f"{shape}."))

    def __float__(self) -> float:
        return float(self._conversion("float"))

    def __int__(self) -> int:
        return int(self._conversion("int", TracerIntegerConversionError))

    def __index__(self) -> int:
        shape = type_string(self.aval).lstrip("~")
        v = self._concrete("use as an index", TracerIntegerConversionError,
                           f"The __index__() method was called on traced array with shape "
                           f"{shape}")
        return int(v)

    def __complex__(self) -> complex:
        return complex(self._conversion("complex"))

    def __array__(self, dtype=None, copy=None):
        shape = type_string(self.aval).lstrip("~")
        v = self._concrete("conversion to a NumPy array (np.asarray)", TracerArrayConversionError,
                           "The numpy.ndarray conversion method __array__() was called on "
                           f"traced array with shape {shape}")
        return np.asarray(v, dtype=dtype)

    def __hash__(self):
        raise TypeError(f"unhashable type: {type(self).__name__}")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({type_string(self.aval)})"


def type_string(aval: ShapedArray) -> str:
    """An aval as JAX's tracers and typeof print it: `~float32[2,3]` (~: weakly typed)."""
    dims = ",".join(map(str, aval.shape))
    return f"{'~' if aval.weak_type else ''}{np.dtype(aval.dtype).name}[{dims}]"


class _DeletedValue:
    """The value of a deleted Array (Array.delete, or donated to a jit call): it keeps the
    shape and dtype (which JAX still reports) and raises JAX's error on any read."""

    __slots__ = ("shape", "dtype")

    def __init__(self, shape: tuple[int, ...], dtype: np.dtype) -> None:
        self.shape, self.dtype = shape, dtype

    def error(self) -> RuntimeError:
        dims = ",".join(map(str, self.shape))
        return RuntimeError(f"Array has been deleted with shape={self.dtype.name}[{dims}].")

    def to_numpy(self) -> np.ndarray:
        raise self.error()

    def __array__(self, dtype=None, copy=None):
        raise self.error()


class Array(_LoadsArrayMethods):
    """A concrete irax array: NumPy-backed, or device-resident after a compiled call."""

    __array_priority__ = 1000

    # A NumPy-backed array that compiled code has used keeps its uploaded copy here (and a
    # fetched device array keeps its buffer), so passing the same Array to jit again does
    # not copy it again. Sound because an Array's value never changes: jnp.asarray copies
    # the caller's NumPy data, and np.asarray(Array) is read-only, as in JAX.
    _device_copy: Any = None
    _signature: Any = None   # (shape, dtype, weak_type), kept by jit's dispatch path

    def __init__(self, value: Any, weak_type: bool = False):
        self._value = value  # np.ndarray, or a runtime DeviceArray (fetched lazily)
        self._weak_type = weak_type

    @property
    def aval(self) -> ShapedArray:
        v = self._value
        return ShapedArray(tuple(v.shape), np.dtype(v.dtype), self._weak_type)

    @property
    def weak_type(self) -> bool:
        return self._weak_type

    shape = property(lambda self: tuple(self._value.shape))
    dtype = property(lambda self: np.dtype(self._value.dtype))
    ndim = property(lambda self: len(self._value.shape))
    size = property(lambda self: int(np.prod(self._value.shape, dtype=np.int64)))

    def numpy(self) -> np.ndarray:
        v = self._value
        if not isinstance(v, np.ndarray):
            host = np.asarray(v.to_numpy())
            self._device_copy = v   # the buffer stays usable by the next compiled call
            self._value = v = host
        return v

    def delete(self) -> None:
        """Free the value (its buffer, its host copy), as jax.Array.delete: every later
        read raises RuntimeError; shape and dtype stay."""
        v = self._value
        if type(v) is not _DeletedValue:
            self._value = _DeletedValue(tuple(v.shape), np.dtype(v.dtype))
            self._device_copy = None

    def is_deleted(self) -> bool:
        return type(self._value) is _DeletedValue

    def device_buffer(self) -> Any:
        return self._value

    def __array__(self, dtype=None, copy=None):
        v = self.numpy()
        if dtype is not None and np.dtype(dtype) != v.dtype:
            return v.astype(dtype)
        if copy:
            return v.copy()
        if v.flags.writeable:   # a read-only view, as JAX gives: the value never changes
            v = v.view()
            v.flags.writeable = False
        return v

    def concrete_value(self) -> np.ndarray:
        return self.numpy()

    def __bool__(self) -> bool:
        return bool(self.numpy())

    def __float__(self) -> float:
        return float(self.numpy())

    def __int__(self) -> int:
        return int(self.numpy())

    def __index__(self) -> int:
        v = self.numpy()
        if dtypes.kind(v.dtype) not in "iu":
            raise TypeError(f"only integer arrays can be used as an index, got {v.dtype}")
        return int(v)

    def __complex__(self) -> complex:
        return complex(self.numpy())

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of unsized object")
        return self.shape[0]

    def __iter__(self):
        if not self.shape:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(self.shape[0]))

    def __hash__(self):
        raise TypeError("unhashable type: 'Array'")

    def __format__(self, spec: str) -> str:
        if self.ndim == 0:
            return format(self.numpy().item(), spec)
        return format(str(self), spec)

    def __str__(self) -> str:
        return str(self.numpy())

    def __repr__(self) -> str:
        v = self.numpy()
        dtype_text = f"dtype={v.dtype.name}" + (", weak_type=True" if self._weak_type else "")
        width = np.get_printoptions()["linewidth"]
        if v.size == 0:
            body = f"[], shape={v.shape}"
        else:
            body = np.array2string(v, separator=", ", prefix="Array(", suffix=",",
                                   max_line_width=width)
        # as JAX's repr: a dtype that would run past the last line's width is not wrapped
        # but set off by the prefix's width of spaces
        last_line = len(body) - body.rfind("\n") + 1
        gap = " " * len("Array(") if last_line + len(dtype_text) + 2 > width else " "
        return f"Array({body},{gap}{dtype_text})"

    def tolist(self):
        return self.numpy().tolist()

    def item(self):
        return self.numpy().item()

    def block_until_ready(self) -> "Array":
        if type(self._value) is _DeletedValue:
            raise JaxRuntimeError(
                "INVALID_ARGUMENT: BlockHostUntilReady() called on deleted or donated buffer")
        return self

    def copy_to_host_async(self) -> None:
        self.numpy()   # irax copies synchronously; later reads find the host copy

    def __dlpack__(self, *, stream: Any = None, **kwargs: Any) -> Any:
        return self.numpy().__dlpack__(**kwargs)   # the host copy (NumPy's DLPack)

    def __dlpack_device__(self) -> tuple:
        return self.numpy().__dlpack_device__()


def wrap_result(value: Any, weak_type: bool = False) -> Array:
    if isinstance(value, np.ndarray) or hasattr(value, "to_numpy"):
        return Array(value, weak_type)
    return Array(np.asarray(value), weak_type)


def is_python_scalar(x: Any) -> bool:
    return isinstance(x, (bool, int, float, complex)) and not isinstance(x, np.generic)


def get_aval(x: Any) -> ShapedArray:
    if isinstance(x, (Tracer, Array)):
        return x.aval
    if is_python_scalar(x):   # weakly typed, except bool (there is no weaker kind)
        return ShapedArray((), dtypes.python_scalar_dtype(x), not isinstance(x, bool))
    if isinstance(x, (np.ndarray, np.generic)):
        return ShapedArray(tuple(x.shape), dtypes.canonicalize(x.dtype), False)
    if hasattr(x, "__jax_array__"):
        return get_aval(x.__jax_array__())
    raise TypeError(f"Value {x!r} of type {type(x).__name__} is not a valid irax type "
                    "(expected an array, a Python scalar or a NumPy value)")


def is_array_like(x: Any) -> bool:
    return isinstance(x, (Tracer, Array, np.ndarray, np.generic)) or is_python_scalar(x)


def to_numpy_value(x: Any, prim: Primitive | None = None) -> np.ndarray:
    """The concrete NumPy value of an eager argument, at its irax dtype."""
    if isinstance(x, Array):
        return x.numpy()
    if isinstance(x, Tracer):
        raise UnexpectedTracerError(_unexpected_tracer(
            x, f"It was used outside the transformation that created it"
               f"{' (in ' + prim.name + ')' if prim else ''}: a traced value escaped its "
               "transformation, e.g. it was stored in a global or a closure and used after "
               "the transformed function returned."))
    aval = get_aval(x)
    return np.asarray(x, dtype=aval.dtype)


def check_not_leaked(x: Tracer, trace: Trace) -> None:
    """A foreign tracer must belong to an enclosing trace (or to a trace an enclosing one
    stands for: a vmap's custom rules run under a BatchTrace of that vmap's tag); otherwise
    it has leaked."""
    for t in trace.ancestors():
        if x._trace is t or t.stands_for(x._trace):
            return
    raise UnexpectedTracerError(_unexpected_tracer(
        x, "This leaked tracer was created by a transformation (jit/grad/vmap/...) that has "
           "already finished, and is used outside of it."))


def _unexpected_tracer(x: Tracer, detail: str) -> str:
    """JAX's opening for an escaped tracer (code matching on it keeps working), then what
    irax knows about this one."""
    try:
        aval = x.aval
        kind = f"{np.dtype(aval.dtype).name}[{','.join(str(d) for d in aval.shape)}]"
    except Exception:
        kind = "unknown"
    return ("Encountered an unexpected tracer. A function transformed by irax had a side "
            "effect, allowing for a reference to an intermediate value with type "
            f"{kind} wrapped in a {type(x).__name__} to escape the scope of the "
            "transformation.\nirax transformations, as JAX's, require that functions "
            "explicitly return their outputs, and disallow saving intermediate values to "
            f"global state.\nThe escaped value is {x!r}. {detail} Pass it as an argument "
            "and return it as a result instead of storing it.")


def concrete_or_none(x: Any) -> np.ndarray | None:
    if isinstance(x, Array):
        return x.numpy()
    if isinstance(x, Tracer):
        return x.concrete_value()
    if is_python_scalar(x) or isinstance(x, (np.ndarray, np.generic)):
        return np.asarray(x)
    return None


# ---------------------------------------------------------------------------
# Evaluating a Jaxpr: a small interpreter (each transformation reuses it by tracing it)


def eval_jaxpr(jaxpr: Jaxpr, consts: Sequence[Any], args: Sequence[Any]) -> list[Any]:
    env: dict[Var, Any] = {}

    def read(a: Atom) -> Any:
        return a.array if isinstance(a, Literal) else env[a]

    if len(args) != len(jaxpr.invars):
        raise TypeError(f"jaxpr expects {len(jaxpr.invars)} arguments, got {len(args)}")
    env.update(zip(jaxpr.constvars, consts))
    env.update(zip(jaxpr.invars, args))
    # while source info is recorded, what an equation stages (under jvp, partial
    # evaluation, ...) comes from where the equation did
    track = source_info.is_recording()
    outer_src = source_info.get_override()
    try:
        for eqn in jaxpr.eqns:
            if track:
                source_info.set_override(eqn.source_info or outer_src)
            outs = eqn.primitive.bind(*[read(a) for a in eqn.inputs], **eqn.params)
            if not eqn.primitive.multiple_results:
                outs = [outs]
            env.update(zip(eqn.outputs, outs))
    finally:
        if track:
            source_info.set_override(outer_src)
    return [read(a) for a in jaxpr.outvars]


def eval_closed(closed: ClosedJaxpr, *args: Any) -> list[Any]:
    return eval_jaxpr(closed.jaxpr, closed.consts, args)


def sub_jaxprs(params: dict[str, Any]) -> Iterator[Jaxpr]:
    """The jaxprs among an equation's params (loop bodies, branches, called functions)."""
    for p in params.values():
        for q in (p if isinstance(p, (tuple, list)) else (p,)):
            if isinstance(q, ClosedJaxpr):
                yield q.jaxpr
            elif isinstance(q, Jaxpr):
                yield q


# ---------------------------------------------------------------------------
# Type checking of a Jaxpr


class JaxprTypeError(TypeError):
    pass


def typecheck_jaxpr(jaxpr: Jaxpr) -> None:
    defined: set[Var] = set()
    for v in itertools.chain(jaxpr.constvars, jaxpr.invars):
        if v in defined:
            raise JaxprTypeError(f"variable {v} bound twice")
        defined.add(v)
    for eqn in jaxpr.eqns:
        for a in eqn.inputs:
            if isinstance(a, Var) and a not in defined:
                raise JaxprTypeError(f"{eqn.primitive.name}: input {a} used before definition")
        outs = check_avals(eqn.primitive, [a.aval for a in eqn.inputs], eqn.params)
        if len(outs) != len(eqn.outputs):
            raise JaxprTypeError(f"{eqn.primitive.name}: {len(outs)} results, "
                                 f"{len(eqn.outputs)} binders")
        for o, v in zip(outs, eqn.outputs):
            if not same_type(o, v.aval):
                raise JaxprTypeError(f"{eqn.primitive.name}: binder {v.aval.str_short()} "
                                     f"but rule says {o.str_short()}")
            defined.add(v)
    for a in jaxpr.outvars:
        if isinstance(a, Var) and a not in defined:
            raise JaxprTypeError(f"output {a} not defined")


# ---------------------------------------------------------------------------
# Small helpers shared by the transformations


def unzip2(pairs):
    a, b = [], []
    for x, y in pairs:
        a.append(x)
        b.append(y)
    return a, b


def split_list(xs: Sequence[Any], sizes: Sequence[int]) -> list[list[Any]]:
    out, i = [], 0
    for n in sizes:
        out.append(list(xs[i:i + n]))
        i += n
    out.append(list(xs[i:]))
    return out
