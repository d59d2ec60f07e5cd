"""irax.debug's log, breakpoint, inspect/visualize_array_sharding and effect names against
jax.debug (JAX 0.10 on one CPU device, the test-only oracle): the same program run with
each library logs, prints and reports the same. One compiled module per jit check."""
from __future__ import annotations

import importlib.util
import io
import logging
import sys

import jax
import jax.numpy as jjnp
import pytest

import irax
import irax.numpy as inp


def _log_program(lib, np_):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(filename)s %(lineno)d %(message)s"))
    name = "jax._src.debugging" if lib is jax else "irax.debug"
    logger = logging.getLogger(name)
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        lib.debug.log("x={x}", x=np_.arange(3.0))
        lib.jit(lambda x: lib.debug.log("y {}", x * 2))(np_.ones(2))
        lib.debug.log(ordered=True)("z {} {}", 1, np_.float32(2))
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    return stream.getvalue()


def test_log_like_jax():
    got, want = _log_program(irax, inp), _log_program(jax, jjnp)
    assert got == want
    assert got.count("INFO test_debug_extras.py") == 3


def _sharding_program(lib, np_):
    seen = []

    def f(x):
        lib.debug.inspect_array_sharding(x, callback=lambda s: seen.append(type(s).__name__))
        return x * 2

    f(np_.ones(2))
    mesh = lib.make_mesh((1,), ("x",))
    x = lib.device_put(np_.ones(2), lib.NamedSharding(mesh, lib.P("x")))
    lib.debug.inspect_array_sharding({"a": x, "b": [np_.ones(3)]},
                                     callback=lambda s: seen.append(repr(s)))
    return seen


def test_inspect_array_sharding_like_jax():
    assert _sharding_program(irax, inp) == _sharding_program(jax, jjnp)
    # under jit the callback runs once, while tracing (JAX: when compiling), not per call
    seen = []
    f = irax.jit(lambda x: irax.debug.inspect_array_sharding(
        x, callback=lambda s: seen.append(s)) or x + 1)
    f(inp.ones(2))
    f(inp.ones(2))
    assert seen == [irax.sharding.SingleDeviceSharding(irax.devices()[0])]


def _visualize(lib, np_):
    out = io.StringIO()
    old, sys.stdout = sys.stdout, out
    try:
        lib.debug.visualize_array_sharding(np_.ones(8))
        lib.debug.visualize_array_sharding(np_.ones((4, 8)))
        lib.debug.visualize_sharding(
            (4, 8), lib.sharding.SingleDeviceSharding(lib.devices()[0]), use_color=False)
    except ValueError as e:
        return "ValueError", str(e)
    finally:
        sys.stdout = old
    return out.getvalue()


def test_visualize_sharding_like_jax():
    got = _visualize(irax, inp)
    assert got == _visualize(jax, jjnp)
    if importlib.util.find_spec("rich") is None:
        assert got == ("ValueError", "`visualize_sharding` requires `rich` to be installed.")
    else:
        assert "CPU 0" in got


def _breakpoint_program(lib, np_):
    streams = []

    def f(x):
        y = x * 2 + 1
        out = io.StringIO()
        lib.debug.breakpoint(stdin=io.StringIO("p y\npp x + 1\nnot_defined\nl\nc\n"),
                             stdout=out)
        streams.append(out)
        return y

    f(np_.arange(3.0))
    lib.jit(f)(np_.arange(3.0))
    # the caller's line differs between the two runs of this helper: keep what follows
    return [s.getvalue() for s in streams]


# JAX's breakpoint flattens every local of every frame, pytest's included
@pytest.mark.filterwarnings("ignore:Python iterable type:DeprecationWarning")
def test_breakpoint_like_jax():
    got, want = _breakpoint_program(irax, inp), _breakpoint_program(jax, jjnp)
    assert got == want
    assert "Array([1., 3., 5.], dtype=float32)" in got[1]     # the runtime value under jit
    assert "*** NameError: name 'not_defined' is not defined" in got[0]


def test_breakpoint_in_a_loop_stops_each_iteration_and_token_passes_through():
    # the body is traced once (one stdin for all stops); it stops at each iteration
    out = io.StringIO()
    stdin = io.StringIO("p c\nc\n" * 3)

    def body(i, c):
        irax.debug.breakpoint(stdin=stdin, stdout=out)
        return c + i

    assert int(irax.lax.fori_loop(0, 3, body, 10)) == 13
    values = [chunk for chunk in out.getvalue().split("(jdb) ") if chunk.startswith("Array")]
    assert values == [f"Array({v}, dtype=int32)\n" for v in (10, 10, 11)]   # as JAX's
    token = inp.ones(2)
    assert irax.debug.breakpoint(token=token, stdin=io.StringIO("c\n"),
                                 stdout=io.StringIO()) is token
    with pytest.raises(ValueError, match="debugger backend"):
        irax.debug.breakpoint(backend="web")


def test_debug_names_like_jax():
    assert sorted(irax.debug.__all__) == sorted(jax.debug.__all__)
    for name in jax.debug.__all__:
        assert callable(getattr(irax.debug, name)), name
    assert isinstance(irax.debug.DebugEffect, type)
