"""irax.debug.print / irax.debug.callback: eager, under the transformations, and inside
compiled code (llvm-cpu, Vulkan, a saved AOT module loaded by irax.runtime).

Expected outputs are literal strings; the cases mirror JAX's debugging_primitives_test and
their strings are what jax.debug.print prints for the same programs (checked against JAX
0.10 when written). Inside jit the prints come from the compiled module calling back into
Python (an `irax_host` VM module), so each one must appear once per execution, per loop
iteration, and only for the branch taken. Few compiles: one module for most jit cases.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import irax
import irax.numpy as jnp
from irax import lax

P = irax.debug.print


def _lines(text: str) -> str:
    return "\n".join(line.strip() for line in text.strip().splitlines()) + "\n"


# ---------------------------------------------------------------------------
# Eager and trace time


def test_eager_formats_like_str_format(capsys):
    P("x: {}", 2)
    P("x: {x}", x=2.0)
    P("y {} {}", np.float32(1.5), jnp.arange(3))
    P("{a:.3f} and {b[1]}", a=jnp.float32(2.0), b=[1, jnp.int32(7)])
    P("x: {}", dict(foo=np.array(2, np.int32)))   # leaves reach the format as irax Arrays
    P("hi")
    P(ordered=True)("two-call {}", 5)
    assert capsys.readouterr().out == _lines("""
        x: 2
        x: 2.0
        y 1.5 [0 1 2]
        2.000 and 7
        x: {'foo': Array(2, dtype=int32)}
        hi
        two-call 5
    """)


def test_callback_gets_arrays_kwargs_and_static_values():
    got = []

    def fn(a, b, *, tag, scale):
        got.append((type(a).__name__, np.asarray(a).tolist(), b, tag, float(scale)))
    irax.debug.callback(fn, jnp.arange(2), None, tag="t", scale=3.0)
    irax.debug.callback(ordered=True)(fn, jnp.ones(1), "s", tag="u", scale=1)
    assert got == [("Array", [0, 1], None, "t", 3.0), ("Array", [1.0], "s", "u", 1.0)]


def test_format_errors_are_raised_when_tracing():
    f = irax.make_jaxpr
    with pytest.raises(KeyError):
        f(lambda x: P("hello: {x}", x))(1.0)
    with pytest.raises(IndexError):
        f(lambda x: P("hello: {}", x=x))(1.0)
    with pytest.raises(ValueError, match="Unused positional arguments"):
        f(lambda x: P("hello", x))(1.0)
    with pytest.raises(ValueError, match="f-string"):
        f(lambda x: P(f"hello {x}", x=x))(1.0)
    with pytest.raises(TypeError, match="must be callable, but got an object of type <class 'int'>"):
        irax.debug.callback(3, 1.0)
    with pytest.raises(TypeError, match="two-call form"):
        P(None, 1)
    with pytest.raises(TypeError, match="two-call form"):
        irax.debug.callback(None, 1)


def test_staged_equation_has_no_outputs():
    jaxpr = irax.make_jaxpr(lambda x: (P("x {}", x), x * 2)[1])(1.0)
    eqn = jaxpr.jaxpr.eqns[0]
    assert eqn.primitive.name == "debug_callback" and eqn.outputs == []
    assert eqn.params["ordered"] is False


def test_vmap_prints_each_example_in_order(capsys):
    irax.vmap(lambda x: P("hello: {}", x))(jnp.arange(2))
    irax.vmap(lambda x, y: P("hello: {} {}", x, y), in_axes=(0, 1))(jnp.arange(2), jnp.arange(2)[None])
    # the inner vmap unrolls first: column by column
    irax.vmap(irax.vmap(lambda x: P("n {}", x)))(jnp.arange(6).reshape((3, 2)))
    irax.vmap(lambda x, c: P("{} {}", x, c), in_axes=(0, None))(jnp.arange(2), 9)
    assert capsys.readouterr().out == _lines("""
        hello: 0
        hello: 1
        hello: 0 [0]
        hello: 1 [1]
        n 0
        n 2
        n 4
        n 1
        n 3
        n 5
        0 9
        1 9
    """)


def test_derivatives_print_primals_once(capsys):
    irax.jvp(lambda x: (P("jvp x: {}", x), x)[1], (1.0,), (1.0,))
    irax.grad(lambda x: (P("grad x: {}", x), jnp.sin(x))[1])(1.0)
    irax.linear_transpose(lambda x: (P("never {}", x), x)[1], 1.0)(1.0)

    @irax.custom_vjp
    def show_grad(x):
        return x
    show_grad.defvjp(lambda x: (x, None), lambda _, g: (P("x_grad: {}", g), (g,))[1])
    irax.grad(lambda x: jnp.sin(show_grad((P("x: {}", x), x)[1])))(np.float32(1.0))

    @irax.custom_jvp
    def show_tangent(x):
        return x

    @show_tangent.defjvp
    def _(primals, tangents):
        P("tangent: {}", tangents[0])
        return primals[0], tangents[0]
    irax.jvp(lambda x: show_tangent(jnp.sin(x)), (np.float32(1.0),), (np.float32(1.0),))
    # cos(1) in float32; a 0-d value formats through float(), as JAX's do
    assert capsys.readouterr().out == _lines("""
        jvp x: 1.0
        grad x: 1.0
        x: 1.0
        x_grad: 0.5403022766113281
        tangent: 0.5403022766113281
    """)


def test_checkpoint_keeps_the_print(capsys):
    def f(x):
        y = x + 1.0
        P("y: {}", y)
        return jnp.exp(y * 2.0)
    for policy in (irax.checkpoint_policies.everything_saveable,
                   irax.checkpoint_policies.nothing_saveable):
        g = irax.grad(irax.checkpoint(f, policy=policy))(2.0)
        np.testing.assert_allclose(float(g), 2 * np.exp(6.0), rtol=1e-6)
    # saved: printed once; nothing saved: printed again when the backward pass recomputes
    # y (as JAX prints it)
    assert capsys.readouterr().out == "y: 3.0\n" * 3


# ---------------------------------------------------------------------------
# Inside compiled code (llvm-cpu): one module for the control-flow cases


def _program(record):
    """Prints before, inside and after loops and branches; a callback recording values and
    one raising on bad input (to check errors surface and nothing runs twice)."""
    def check(v):
        if v < 0:
            raise ValueError(f"negative input {v}")

    def program(x, xs, u):
        P("start x={x} u={u} none={}", jnp.zeros((0,)), x=x, u=u)
        P("hi")

        def body(i, c):
            P("i: {i}", i=i)
            P("c: {c}", c=c, ordered=True)
            return c + 1.0
        c = lax.fori_loop(0, 3, body, x)
        w = lax.while_loop(lambda v: (P("cond {}", v), v < 2)[1], lambda v: v + 1, 0)
        b = lax.cond(c > 100.0, lambda v: (P("big {}", v), v)[1],
                     lambda v: (P("small {}", v), v * 2.0)[1], c)
        carry, ys = lax.scan(lambda s, t: (P("scan {} {}", s, t), (s + t, s * t))[1],
                             jnp.float32(0.0), xs)
        irax.vmap(lambda r: P("row {}", r))(xs.reshape(2, 2))
        g = irax.grad(lambda v: (P("fwd {}", v), jnp.sin(v))[1])(x)
        irax.debug.callback(record, xs > 1.5, tag="xs", total=carry)
        irax.debug.callback(check, x)
        P("end")
        return c + w + b + g
    return program


EXPECTED_RUN = """
    start x=1.0 u=3000000000 none=[]
    hi
    i: 0
    c: 1.0
    i: 1
    c: 2.0
    i: 2
    c: 3.0
    cond 0
    cond 1
    cond 2
    small 4.0
    scan 0.0 0.0
    scan 0.0 1.0
    scan 1.0 2.0
    scan 3.0 3.0
    row [0. 1.]
    row [2. 3.]
    fwd 1.0
    end
"""


def test_jit_runs_prints_and_callbacks_inside_the_module(capsys):
    seen = []

    def record(flags, *, tag, total):
        seen.append((tag, type(flags).__name__, np.asarray(flags).tolist(), float(total)))
    f = irax.jit(_program(record))
    xs, u = jnp.arange(4.0), np.uint32(3_000_000_000)
    text = f.lower(np.float32(1.0), xs, u).as_text()
    assert text.count("func.func private @irax_host.cb") == 13   # one import per callback
    assert "iree.reflection = {irax_host" in text
    capsys.readouterr()

    out = f(np.float32(1.0), xs, u)
    # c = 4, w = 2, b = 8, g = cos(1)
    np.testing.assert_allclose(float(out), 14.0 + np.cos(1.0), rtol=1e-6)
    first = capsys.readouterr().out
    assert first == _lines(EXPECTED_RUN)
    assert seen == [("xs", "Array", [False, False, True, True], 6.0)]

    f(np.float32(1.0), xs, u)   # each execution prints once more, no retrace
    assert capsys.readouterr().out == first
    assert len(seen) == 2

    # a callback that raises: reported once as JAX's compiled code reports it (the original
    # at the end of the traceback text), the prints before it once
    with pytest.raises(irax.errors.JaxRuntimeError,
                       match="(?s)^INTERNAL: CpuCallback error calling callback: .*"
                             "ValueError: negative input -1.0$"):
        f(np.float32(-1.0), xs, u)
    printed = capsys.readouterr().out
    assert printed.count("start x=-1.0") == 1 and "end" not in printed
    assert len(seen) == 3


def test_jit_reports_a_debug_callback_in_the_jaxpr_of_a_nested_jit(capsys):
    inner = irax.jit(lambda v: (P("inner {}", v), v + 1)[1])
    outer = irax.jit(lambda v: inner(v) * 2)
    assert float(outer(np.float32(1.5))) == 5.0
    assert capsys.readouterr().out == "inner 1.5\n"


@pytest.mark.vulkan
def test_vulkan_module_calls_back_with_device_values(capsys):
    @irax.jit
    def f(xs):
        def body(c, x):
            P("c {} x {}", c, x)
            return c + x, c * x
        c, ys = lax.scan(body, jnp.float32(0.0), xs)
        P("ys {} tail {}", ys, jnp.arange(5000.0)[::1000])
        return c
    vk = irax.jit(f.__wrapped__, device="vulkan")
    assert float(vk(jnp.arange(3.0))) == 3.0
    assert capsys.readouterr().out == _lines("""
        c 0.0 x 0.0
        c 0.0 x 1.0
        c 1.0 x 2.0
        ys [0. 0. 2.] tail [   0. 1000. 2000. 3000. 4000.]
    """)


# ---------------------------------------------------------------------------
# A saved module: prints rebuilt from its metadata, callbacks given at load time


def test_exported_module_prints_when_loaded_by_the_runtime(tmp_path: Path, capsys):
    import irax.runtime as rt

    def step(params, x):
        P("w {w} x {}", x, w=params["w"])

        def body(i, c):
            P("it {} {}", i, c, ordered=True)
            return c + params["w"].sum()
        y = lax.fori_loop(0, 2, body, x.sum())
        irax.debug.callback(lambda v: None, y)
        return {"y": y}
    spec = ({"w": irax.ShapeDtypeStruct((2,), np.float32)},
            irax.ShapeDtypeStruct((3,), np.float32))
    path = tmp_path / "step.vmfb"
    irax.aot.export({"step": (step, spec)}, path=path)
    params, x = {"w": np.ones(2, np.float32)}, np.arange(3, dtype=np.float32)
    capsys.readouterr()

    got = []
    m = rt.load(path, "local-sync", host_functions={"cb2": lambda v: got.append(float(v))})
    assert m.host_imports == {"cb0": "irax.debug.print('w {w} x {}')",
                              "cb1": "irax.debug.print('it {} {}')",
                              "cb2": "irax.debug.callback of "
                                     "test_exported_module_prints_when_loaded_by_the_runtime."
                                     "<locals>.step.<locals>.<lambda>"}
    assert float(m.step(params, x)["y"]) == 7.0
    assert capsys.readouterr().out == "w [1. 1.] x [0. 1. 2.]\nit 0 3.0\nit 1 5.0\n"
    assert got == [7.0]

    # the Python callback is not in the file: without it, calling it is a clear error
    bare = rt.load(path, "local-sync")
    with pytest.raises(rt.HostFunctionMissing, match=r"irax_host\.cb2 .*host_functions="):
        bare.step(params, x)
    with pytest.raises(ValueError, match=r"does not import.*cb0 \(irax.debug.print"):
        rt.load(path, "local-sync", host_functions={"cb7": print})

    # IREE's own tools have no irax_host module: they refuse to run it, naming the module
    tool = Path(sys.executable).parent / "iree-run-module"
    proc = subprocess.run([str(tool), f"--module={path}", "--device=local-sync",
                           "--function=step", "--input=2xf32=1,1", "--input=3xf32=0,1,2"],
                          capture_output=True, text=True)
    assert proc.returncode != 0
    assert "required module 'irax_host' not available" in proc.stderr
