"""Small JAX API behaviours that JAX's own test files rely on (found by running them
against irax): config.parse_flags_with_absl, ..."""
from __future__ import annotations

import numpy as np
import pytest

import irax
import irax.numpy as jnp


def raised_by(call_jax, call_irax, exc_type: type = Exception) -> tuple:
    """(irax's exception, JAX's): each call must raise exc_type."""
    with pytest.raises(exc_type) as want:
        call_jax()
    with pytest.raises(exc_type) as got:
        call_irax()
    return got.value, want.value


def test_parse_flags_with_absl_applies_jax_flags_only():
    argv = ["prog", "--jax_debug_nans=true", "--jax_log_compiles", "-k", "x",
            "--not_jax=1", "--jax_no_such_flag=3"]
    try:
        irax.config.parse_flags_with_absl(argv)
        assert irax.config.jax_debug_nans is True and irax.config.jax_log_compiles is True
        with pytest.raises(FloatingPointError):
            jnp.log(jnp.float32(-1.0))       # the parsed flag is live
        irax.config.parse_flags_with_absl(["prog", "--nojax_debug_nans"])
        assert irax.config.jax_debug_nans is False
        assert np.isnan(np.asarray(jnp.log(jnp.float32(-1.0))))
    finally:
        irax.config.update("jax_debug_nans", False)
        irax.config.update("jax_log_compiles", False)
    irax.config.parse_flags_with_absl()       # pytest's own argv: nothing to apply


def _scaled_sum(x, y, scale=2.0):
    return scale * (x + y)


def test_jit_accepts_donation_keep_unused_inline():
    x, y = np.arange(3.0, dtype=np.float32), np.float32(1.5)
    for kw in (dict(donate_argnums=0), dict(donate_argnums=(0, 1)), dict(donate_argnames="y"),
               dict(donate_argnums=-2, keep_unused=True, inline=True),
               dict(donate_argnums=0, static_argnames="scale")):
        out = irax.jit(_scaled_sum, **kw)(jnp.asarray(x), y, scale=3.0)
        np.testing.assert_allclose(np.asarray(out), 3.0 * (x + y), err_msg=str(kw))
    x_in = jnp.asarray(x)
    irax.jit(_scaled_sum, donate_argnums=0)(x_in, y)
    assert x_in.is_deleted()   # as JAX on CPU (tests/runtime/test_donation.py)


@pytest.mark.parametrize("kw", [dict(donate_argnums=5), dict(donate_argnames="z"),
                                dict(donate_argnums=0, static_argnums=0),
                                dict(donate_argnames="x", static_argnums=0)])
def test_jit_donation_errors_are_jaxs(kw):
    jax = pytest.importorskip("jax")
    got, want = raised_by(lambda: jax.jit(_scaled_sum, **kw),
                          lambda: irax.jit(_scaled_sum, **kw), ValueError)
    assert str(got) == str(want)


# -- custom_jvp / custom_vjp rule errors: the message JAX gives, asked of JAX itself.
# Each case takes the library module (jax or irax) and misuses a rule once.

def _jvp_not_a_pair(jx):
    f = jx.custom_jvp(lambda x: x ** 2)
    f.defjvp(lambda primals, tangents: tangents[0])
    jx.jvp(f, (2.,), (1.,))


def _jvp_tangent_shape(jx):
    f = jx.custom_jvp(lambda x: x ** 2)
    f.defjvp(lambda p, t: (f(p[0]), jx.numpy.reshape(t[0], (1,))))
    jx.jvp(f, (np.float32(2.),), (np.float32(1.),))


def _jvp_primal_structure(jx):
    @jx.custom_jvp
    def f(x):
        return x

    @f.defjvp
    def f_jvp(primals, tangents):
        return (primals[0], primals[0]), (tangents[0], tangents[0])
    loop = lambda x: jx.lax.scan(lambda c, _: (f(c), None), x, None, length=1)[0]
    jx.jvp(loop, (np.float32(1.),), (np.float32(1.),))


def _vjp_missing_argument(jx):
    def f(x, y, *, z=None):
        return x
    g = jx.custom_vjp(f)
    g.defvjp(lambda x, y: (x, None), lambda r, ct: (ct, ct))
    g(0.5)


def _jvp_keyword_only_passed(jx):
    def f(x, *, z=None):
        return x
    g = jx.custom_jvp(f)
    g.defjvp(lambda p, t: (p[0], t[0]))
    g(0.5, z=1.0)


def _vjp_fwd_output_type(jx):
    f = jx.custom_vjp(lambda x: x)

    def f_fwd(x):
        return jx.numpy.ones(3), None
    f.defvjp(f_fwd, lambda r, ct: (ct,))
    jx.grad(lambda x: jx.lax.scan(lambda c, _: (f(c), None), x, None, length=1)[0])(1.)


def _vjp_fwd_not_a_pair(jx):
    f = jx.custom_vjp(lambda x: x)

    def fwd(x):
        return x
    f.defvjp(fwd, lambda r, ct: (ct,))
    jx.grad(f)(1.)


def _vjp_bwd_length(jx):
    f = jx.custom_vjp(lambda x, y: x)
    f.defvjp(lambda x, y: (x, None), lambda r, ct: (ct,))
    jx.grad(f)(1., 2.)


def _vjp_bwd_shape(jx):
    f = jx.custom_vjp(lambda x, y: x)
    f.defvjp(lambda x, y: (x, None), lambda r, ct: (jx.numpy.zeros(3), jx.numpy.zeros(3)))
    jx.grad(lambda x, y: f(x, y * y).sum(), 1)(jx.numpy.ones(3), jx.numpy.ones(4))


def _vjp_symbolic_zero_shape(jx):
    f = jx.custom_vjp(lambda x, y: (x, y))

    def fwd(x, y):
        return f(x.value, y.value), None

    def bwd(_, cts):
        return cts[1], cts[0]    # swapped: a zero of y's shape for x
    f.defvjp(fwd, bwd, symbolic_zeros=True)
    jx.grad(lambda x, y: f(x, y)[0].sum())(jx.numpy.ones(1), jx.numpy.ones(2))


@pytest.mark.parametrize("misuse", [_jvp_not_a_pair, _jvp_tangent_shape, _jvp_primal_structure,
                                    _vjp_missing_argument, _jvp_keyword_only_passed,
                                    _vjp_fwd_output_type, _vjp_fwd_not_a_pair, _vjp_bwd_length,
                                    _vjp_bwd_shape, _vjp_symbolic_zero_shape],
                         ids=lambda f: f.__name__)
def test_custom_rule_errors_are_jaxs(misuse):
    jax = pytest.importorskip("jax")
    got, want = raised_by(lambda: misuse(jax), lambda: misuse(irax))
    assert type(got).__name__ == type(want).__name__
    assert str(got) == str(want)


# -- float0: the tangent / cotangent type of integer and boolean values, as JAX returns it

def _is_float0_zeros(x, shape):
    return isinstance(x, np.ndarray) and x.dtype == irax.dtypes.float0 and x.shape == shape


def test_integer_tangents_and_cotangents_are_float0():
    jax = pytest.importorskip("jax")
    x = np.arange(3.0, dtype=np.float32)

    def f(v):                      # an integer and a float output
        return jnp.argmax(v), v * 2.0
    (_, y), (t_int, t_float) = irax.jvp(f, (jnp.asarray(x),), (jnp.ones(3),))
    assert _is_float0_zeros(t_int, ())
    np.testing.assert_allclose(np.asarray(t_float), 2.0 * np.ones(3))
    ref = jax.jvp(lambda v: (jax.numpy.argmax(v), v * 2.0), (x,), (np.ones(3, np.float32),))[1]
    assert ref[0].dtype == t_int.dtype and ref[0].shape == t_int.shape

    # jvp with a float0 tangent for an integer primal (as JAX takes it)
    _, t = irax.jvp(lambda i: i + 1, (2,), (np.zeros((), irax.dtypes.float0),))
    assert _is_float0_zeros(t, ())

    # grad with allow_int and vjp: float0 for integer arguments, values for the others
    g_x, g_i = irax.grad(lambda v, i: v * i, argnums=(0, 1), allow_int=True)(2.0, 3)
    assert float(g_x) == 3.0 and _is_float0_zeros(g_i, ())
    _, pull = irax.vjp(lambda i, v: jnp.sum(v * i), np.full((2, 3), 2, np.int32), jnp.asarray(x))
    ct_i, ct_v = pull(np.float32(1.0))
    assert _is_float0_zeros(ct_i, (2, 3))
    np.testing.assert_allclose(np.asarray(ct_v), [4.0, 4.0, 4.0])   # d/dv sum(v * 2) over 2 rows

    # linearize, and float0 outputs of a jitted function (kept out of the compiled code)
    _, f_lin = irax.linearize(lambda v: (v.astype(np.int32), v * 3.0), 1.5)
    t_int, t_float = f_lin(2.0)
    assert _is_float0_zeros(t_int, ()) and float(t_float) == 6.0
    g = irax.jit(irax.grad(lambda v, i: v * i, argnums=(0, 1), allow_int=True))(2.0, 4)
    assert float(g[0]) == 4.0 and _is_float0_zeros(g[1], ())


# -- vmap: keyword arguments (mapped over axis 0), unmapped non-array arguments, and JAX's
# message for inconsistent axis sizes

def test_vmap_keyword_arguments_and_passed_through_objects():
    x = np.arange(6.0, dtype=np.float32).reshape(3, 2)
    w = np.array([[1.0, -2.0], [0.5, 3.0], [2.0, 2.0]], np.float32)
    out = irax.vmap(lambda a, b, scale=1.0: scale * jnp.dot(a, b))(jnp.asarray(x), b=w,
                                                                   scale=np.ones(3) * 2)
    np.testing.assert_allclose(np.asarray(out), [2.0 * x[i] @ w[i] for i in range(3)])
    apply = irax.vmap(lambda f, v: f(v), in_axes=(None, 0))
    np.testing.assert_allclose(np.asarray(apply(lambda v: v * v + 1.0, jnp.asarray(x))),
                               x * x + 1.0)


def _sum3(x1, x2, a3):
    return x1 + x2 + a3


@pytest.mark.parametrize("call", [
    lambda jx: jx.vmap(_sum3)(np.ones(2, np.float32), a3=np.ones(1, np.float32),
                              x2=np.ones(2, np.float32)),
    lambda jx: jx.vmap(lambda x, y, z: x)(np.ones(3), np.ones(4), (np.ones(3), np.ones(5))),
    lambda jx: jx.vmap(lambda *a: a[0])(np.ones(3), np.ones(4)),
    lambda jx: jx.vmap(lambda x: x, axis_size=2)(np.ones(3)),
    lambda jx: jx.vmap(lambda: 1.0)(),
], ids=["kwargs", "nested", "star-args", "axis_size", "no-arguments"])
def test_vmap_size_errors_are_jaxs(call):
    jax = pytest.importorskip("jax")
    got, want = raised_by(lambda: call(jax), lambda: call(irax), ValueError)
    assert str(got) == str(want)


# -- jvp / vjp / grad / jit argument errors: JAX's type and message, asked of JAX

def _pair(x):
    return (x, x)


def _add(x, y):
    return x + y


API_MISUSE = {
    "vjp cotangent shape": lambda jx: jx.vjp(jx.numpy.matmul, np.ones((2, 5), np.float32),
                                             np.ones((5, 3), np.float32))[1](
                                                 np.ones((2, 4), np.float32)),
    "vjp cotangent structure": lambda jx: jx.vjp(lambda x, y: x * y, np.float32(3),
                                                 np.float32(4))[1]((np.float32(7),) * 2),
    "vjp cotangent dtype": lambda jx: jx.vjp(lambda x, y: x * y, np.float32(3),
                                             np.float32(4))[1](np.float16(42)),
    "vjp called with two arguments": lambda jx: jx.vjp(_pair, 1.0)[1](1.0, 1.0),
    "jvp structures": lambda jx: jx.jvp(lambda x, y: x * y, (np.float32(2),), ()),
    "jvp tuple and list": lambda jx: jx.jvp(_add, (np.float32(2),), [np.float32(2)]),
    "jvp dtypes": lambda jx: jx.jvp(lambda x: -x, (np.float16(2),), (np.float32(4),)),
    "jvp shapes": lambda jx: jx.jvp(lambda x: x + 1, (np.ones(3),), (np.ones(4),)),
    "jvp not tuples": lambda jx: jx.jvp(_add, 0., (1.,)),
    "has_aux not a pair": lambda jx: jx.grad(lambda x: (1, 2, 3), has_aux=True)(1.),
    "argnums past the arguments": lambda jx: jx.grad(_add, argnums=1)(1.),
    "jit of a non-callable": lambda jx: jx.jit(3),
    "non-hashable static argument": lambda jx: jx.jit(_add, static_argnums=[1])(
        1, np.asarray(1)),
}


@pytest.mark.parametrize("name", list(API_MISUSE))
def test_api_misuse_errors_are_jaxs(name):
    jax = pytest.importorskip("jax")
    got, want = raised_by(lambda: API_MISUSE[name](jax), lambda: API_MISUSE[name](irax))
    assert type(got).__name__ == type(want).__name__
    assert str(got) == str(want)


# -- concretization and escaped-tracer errors open with JAX's sentence

@pytest.mark.parametrize("convert, arg", [(lambda x: bool(x > 0), 1.0), (int, 1),
                                          (float, 1.0), (lambda x: [1, 2][x], 1),
                                          (np.asarray, 1.0)],
                         ids=["bool", "int", "float", "index", "asarray"])
def test_concretization_errors_open_like_jaxs(convert, arg):
    jax = pytest.importorskip("jax")
    with pytest.raises(Exception) as want:
        jax.jit(convert)(arg)
    with pytest.raises(irax.errors.ConcretizationTypeError) as got:
        irax.jit(convert)(arg)
    first = lambda e: str(e.value).splitlines()[:2 if "problem arose" in str(e.value) else 1]
    assert first(got) == first(want)


def test_escaped_tracer_error_opens_like_jaxs():
    jax = pytest.importorskip("jax")
    for jx in (jax, irax):
        saved = []
        jx.jit(lambda x: saved.append(x * 2) or x)(1.0)
        with pytest.raises(jx.errors.UnexpectedTracerError) as e:
            jx.jit(lambda y: y + saved[0])(2.0)
        msg = str(e.value)
        assert msg.startswith("Encountered an unexpected tracer. A function transformed by")
        assert "intermediate value with type float32[] wrapped in a" in msg
        assert "disallow saving intermediate values to global state" in msg


def _posonly(a, /, b, c, *args, **kwargs):
    return b


@pytest.mark.parametrize("kw", [dict(static_argnames=("a", "c")), dict(donate_argnames=("args",)),
                                dict(static_argnames=("b", "c", "anything"))],
                         ids=["positional-only", "var-positional", "taken-by-kwargs"])
def test_jit_argnames_checked_as_jax_checks_them(kw):
    jax = pytest.importorskip("jax")
    try:
        jax.jit(_posonly, **kw)
    except ValueError as e:
        with pytest.raises(ValueError) as got:
            irax.jit(_posonly, **kw)
        assert str(got.value) == str(e)
    else:   # accepted by JAX: accepted, and the function still runs
        assert float(irax.jit(_posonly, **kw)(1.0, 2.0, 3.0)) == 2.0


@pytest.mark.parametrize("transform", ["jacfwd", "jacrev", "hessian"])
def test_jacobians_keep_jaxs_weak_types(transform):
    jax = pytest.importorskip("jax")
    cases = [(lambda x: x, 1.0), (lambda x: x * 2.0, np.float32(1)),
             (lambda x: x * np.float32(2), 1.0), (lambda x: (x, x * x), 1.5)]
    for f, a in cases:
        ours, ref = getattr(irax, transform)(f)(a), getattr(jax, transform)(f)(a)
        for o, r in zip(irax.tree_util.tree_leaves(ours), jax.tree_util.tree_leaves(ref)):
            assert (o.dtype, o.weak_type) == (r.dtype, r.weak_type), (transform, a)
            np.testing.assert_allclose(np.asarray(o), np.asarray(r), rtol=1e-6)


@pytest.mark.parametrize("transform", ["grad", "jacfwd", "jacrev"])
def test_derivative_functions_keep_the_signature_and_take_keywords(transform):
    def choose(x, flag):
        return x * x if flag else x * 3.0
    f = irax.jit(getattr(irax, transform)(choose), static_argnames=["flag"])
    assert float(f(2.0, True)) == 4.0 and float(f(2.0, False)) == 3.0   # d(x^2), d(3x) at 2
    scaled = getattr(irax, transform)(lambda x, k=2.0: x * k)
    assert float(scaled(3.0, k=4.0)) == 4.0      # keyword arguments are passed, not differentiated


def test_vmap_docstring_is_jaxs():
    jax = pytest.importorskip("jax")

    def scale(a):
        """Scales a."""
        return 2 * a
    assert irax.vmap(scale).__doc__ == jax.vmap(scale).__doc__
    assert irax.vmap(lambda a: a).__doc__ == jax.vmap(lambda a: a).__doc__
    assert irax.vmap(scale).__name__ == "scale"


@pytest.mark.parametrize("call", [
    lambda jx: jx.vmap(lambda x: (x, x * 2), out_axes=(0, None))(np.arange(3.0)),
    lambda jx: jx.vmap(lambda x: x, out_axes=None, axis_name="foo")(np.arange(3.0)),
    lambda jx: jx.vmap(lambda x: x, out_axes=None)(np.arange(3.0)),
    lambda jx: jx.vmap(lambda x: {"a": x, "b": x}, out_axes={"a": 0, "b": None})(np.ones((2, 3))),
], ids=["tuple", "axis_name", "top-level", "dict"])
def test_vmap_mapped_output_with_out_axes_none_is_jaxs_error(call):
    jax = pytest.importorskip("jax")
    got, want = raised_by(lambda: call(jax), lambda: call(irax), ValueError)
    assert str(got) == str(want)


# -- an exception raised in a host callback: JAX reports it as JaxRuntimeError whose text is
# the traceback ending with the original exception (compiled code, and eager pure/io
# callbacks, which JAX runs compiled); an eager debug.callback raises the original.

def _failing_host_callbacks(jx, io_callback):
    """Calls that each raise in a host callback, by name; `jx` is jax or irax."""
    def boom(x):
        raise ValueError(f"boom at {float(x)}")

    def wrong_shape(x):
        return np.ones(3, np.float32)

    scalar = jx.ShapeDtypeStruct((), np.float32)
    branches = [lambda x: jx.pure_callback(boom, scalar, x),
                lambda x: io_callback(boom, scalar, x),
                lambda x: (jx.debug.callback(boom, x), x)[1],
                lambda x: jx.pure_callback(wrong_shape, scalar, x)]
    staged = jx.jit(lambda i, x: jx.lax.switch(i, branches, x))
    calls = {f"jit {i}": (lambda i=i: staged(i, np.float32(i)).block_until_ready())
             for i in range(len(branches))}
    calls["eager pure_callback"] = lambda: jx.pure_callback(boom, scalar, np.float32(5))
    calls["eager io_callback"] = lambda: io_callback(boom, scalar, np.float32(6))
    calls["eager wrong shape"] = lambda: jx.pure_callback(wrong_shape, scalar, np.float32(7))
    calls["eager debug.callback"] = lambda: jx.debug.callback(boom, np.float32(8))
    return calls


def _report(exc: BaseException) -> tuple:
    text = str(exc)
    return type(exc).__name__, text.splitlines()[0], text.splitlines()[-1]


def test_host_callback_exceptions_are_reported_as_jax_reports_them():
    jax = pytest.importorskip("jax")
    from jax.experimental import io_callback as jax_io_callback
    from irax.experimental import io_callback
    want = _failing_host_callbacks(jax, jax_io_callback)
    got = _failing_host_callbacks(irax, io_callback)
    for name in want:
        irax_exc, jax_exc = raised_by(want[name], got[name])
        assert _report(irax_exc) == _report(jax_exc), name
        if isinstance(jax_exc, jax.errors.JaxRuntimeError):
            assert isinstance(irax_exc, irax.errors.JaxRuntimeError), name
    first = _report(raised_by(want["jit 0"], got["jit 0"])[0])
    assert first == ("JaxRuntimeError",
                     "INTERNAL: CpuCallback error calling callback: Traceback (most recent "
                     "call last):", "ValueError: boom at 0.0")


# -- jax_custom_vjp3 (JAX's opt-in custom_vjp semantics): the function may not close over a
# tracer of an enclosing transformation; by default (JAX 0.10's) it may.

def _closing_custom_vjp(jx, x):
    @jx.custom_vjp
    def f(y):
        return x * y
    f.defvjp(lambda y: (x * y, jx.numpy.cos(y)), lambda cos_y, g: (cos_y * g,))
    return f


def _closing_over_tracer_calls(jx):
    close = lambda x: _closing_custom_vjp(jx, x)(3.0)
    return {"vmap": lambda: jx.vmap(close)(np.arange(3.0, dtype=np.float32)),
            "jvp": lambda: jx.jvp(close, (1.0,), (1.0,)),
            "grad": lambda: jx.grad(close)(1.0),
            "jit": lambda: jx.jit(close)(1.0),
            "vmap of grad": lambda: jx.vmap(lambda x: jx.grad(_closing_custom_vjp(jx, x))(3.0))(
                np.arange(3.0, dtype=np.float32))}


def _wording(exc: BaseException) -> str:
    """An UnexpectedTracerError's text with the tracer's type, function addresses and JAX's
    link taken out (irax names its tracers its own way)."""
    import re
    text = str(exc).split("\nSee https://")[0]
    text = re.sub(r" at 0x[0-9a-f]+", "", text)
    return re.sub(r"closed over a \w+Tracer", "closed over a Tracer", text)


def test_custom_vjp3_refuses_closed_over_tracers_as_jax():
    jax = pytest.importorskip("jax")
    want, got = _closing_over_tracer_calls(jax), _closing_over_tracer_calls(irax)
    jax.config.update("jax_custom_vjp3", True)
    irax.config.update("jax_custom_vjp3", True)
    try:
        for name in want:
            irax_exc, jax_exc = raised_by(want[name], got[name])
            assert isinstance(irax_exc, irax.errors.UnexpectedTracerError), name
            assert isinstance(jax_exc, jax.errors.UnexpectedTracerError), name
            assert _wording(irax_exc) == _wording(jax_exc), name
        assert "closed over a BatchTracer of type float32[]" in str(
            raised_by(want["vmap"], got["vmap"])[0])
    finally:
        jax.config.update("jax_custom_vjp3", False)
        irax.config.update("jax_custom_vjp3", False)
    # the default: the closure is seen through (x * 3, and d/dy (x * y) by the rule: cos(3))
    x = np.arange(3.0, dtype=np.float32)
    np.testing.assert_allclose(np.asarray(got["vmap"]()), 3.0 * x)
    np.testing.assert_allclose(np.asarray(got["vmap of grad"]()), np.cos(3.0) * np.ones(3),
                               rtol=1e-6)


def test_custom_vjp3_fwd_output_type_error_is_jaxs():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_custom_vjp3", True)
    irax.config.update("jax_custom_vjp3", True)
    try:
        got, want = raised_by(lambda: _vjp_fwd_output_type(jax),
                              lambda: _vjp_fwd_output_type(irax), TypeError)
        assert str(got) == str(want) == ("at , got fwd output type float32[3] which doesn't "
                                         "match primal output type float32[]")
    finally:
        jax.config.update("jax_custom_vjp3", False)
        irax.config.update("jax_custom_vjp3", False)


def test_float0_into_jit_creation_and_refusal_as_jax():
    jax = pytest.importorskip("jax")
    f0 = irax.dtypes.float0
    # the pullback of an integer function, jitted, takes and returns float0 cotangents
    primal, pullback = irax.vjp(lambda x, y: x + y, 2, 1)
    ct_x, ct_y = irax.jit(pullback)(np.zeros((), f0))
    assert int(primal) == 3 and _is_float0_zeros(ct_x, ()) and _is_float0_zeros(ct_y, ())
    # float0 arguments beside arrays: not operands of the compiled module
    f = irax.jit(lambda x, t: (x * 2.0, t))
    assert "(%arg0: tensor<f32>) ->" in f.lower(1.0, np.zeros((2,), f0)).as_text()
    y, t = f(1.5, np.zeros((2,), f0))
    assert float(y) == 3.0 and _is_float0_zeros(t, (2,))
    # creation with dtype float0 gives NumPy float0 zeros, as jax.numpy does
    for make in (lambda m: m.zeros((2, 1), f0), lambda m: m.ones((2, 1), f0),
                 lambda m: m.full((2, 1), 7, f0), lambda m: m.zeros_like(np.ones((2, 1)), f0)):
        got, want = make(jnp), make(jax.numpy)
        assert _is_float0_zeros(got, (2, 1)) and want.dtype == f0 and want.shape == (2, 1)
    # any operation on a float0 is refused with JAX's TypeError
    g = irax.grad(lambda x: x + 0.0, allow_int=True)(1)
    g_jax = jax.grad(lambda x: x + 0.0, allow_int=True)(1)
    for op in (lambda m, v: v + m.numpy.zeros(()), lambda m, v: m.lax.add(v, m.numpy.zeros(())),
               lambda m, v: m.numpy.sin(v)):
        got, want = raised_by(lambda: op(jax, g_jax), lambda: op(irax, g), TypeError)
        assert str(got) == str(want)


def test_float0_tangents_of_rules_inside_scan():
    f0 = irax.dtypes.float0
    f = irax.custom_jvp(lambda x, n: (x, n))
    # the rule says dx_out = 2, and the integer's tangent is float0 (zero_from_primal)
    f.defjvp(lambda p, t: ((p[0], p[1]),
                           (2.0, irax.custom_derivatives.zero_from_primal(p[1]))))
    scanned = lambda x, n: irax.lax.scan(lambda c, _: (f(*c), None), (x, n), None, length=1)[0]
    for fun in (f, scanned):
        (x, n), (tx, tn) = irax.jvp(fun, (2.0, 3), (np.ones(()), np.zeros((), f0)))
        assert (float(x), int(n), float(tx)) == (2.0, 3, 2.0) and _is_float0_zeros(tn, ())

    g = irax.custom_vjp(lambda x: x)
    g.defvjp(lambda x: (x, None), lambda _, ct: ((2.0, jnp.zeros((), dtype=f0)),))
    loop = lambda x, n: irax.lax.scan(lambda c, _: (g(c), None), (x, n), None, length=1)[0][0]
    gx, gn = irax.grad(loop, argnums=(0, 1), allow_int=True)(2.0, 3)
    assert float(gx) == 2.0 and _is_float0_zeros(gn, ())


def test_debug_two_call_form_misuse_is_worded_as_jax():
    jax = pytest.importorskip("jax")
    for misuse in (lambda m: m.debug.print(None, 1, key=2), lambda m: m.debug.callback(None, 1)):
        got, want = raised_by(lambda: misuse(jax), lambda: misuse(irax), TypeError)
        assert str(got) == str(want)


def test_primitive_impl_is_the_eager_rule_def_impl_replaces():
    # JAX's tests count eager evaluations by wrapping `prim.impl` with `prim.def_impl`
    sin_impl, calls = irax.lax.sin_p.impl, []
    np.testing.assert_allclose(np.asarray(sin_impl(np.float32(0.5))), np.sin(np.float32(0.5)))
    try:
        irax.lax.sin_p.def_impl(lambda x, **kw: calls.append(1) or sin_impl(x, **kw))
        assert float(jnp.sin(jnp.float32(0.5)) + jnp.sin(jnp.float32(1.0))) == \
            pytest.approx(np.sin(0.5) + np.sin(1.0), rel=1e-6)
    finally:
        irax.lax.sin_p.def_impl(sin_impl)
    assert len(calls) == 2 and irax.lax.sin_p.impl is sin_impl
