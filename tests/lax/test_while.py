import numpy as np
import pytest

import irax
import irax.numpy as jnp
from irax import lax

from tests.lax.cf_helpers import central_fd, check_close


def collatz_steps(n):
    def cond(c):
        return c[0] != 1

    def body(c):
        n, k = c
        return jnp.where(n % 2 == 0, n // 2, 3 * n + 1), k + 1
    return lax.while_loop(cond, body, (n, 0))[1]


def test_while_eager_pytree_carry():
    assert int(collatz_steps(6)) == 8
    out = lax.while_loop(lambda d: d["i"] < 5, lambda d: {"i": d["i"] + 1, "x": d["x"] * 2.0},
                         {"i": 0, "x": 1.0})
    assert int(out["i"]) == 5 and float(out["x"]) == 32.0


def test_while_staged_is_one_primitive():
    jaxpr = irax.make_jaxpr(collatz_steps)(6)
    assert str(jaxpr).count("while[") == 1


def test_while_jvp_and_jacfwd(x64):
    def f(x):
        return lax.while_loop(lambda c: c[0] < 4, lambda c: (c[0] + 1, jnp.sin(c[1]) * 1.5),
                              (0, x))[1]

    def fu(x):
        for _ in range(4):
            x = np.sin(x) * 1.5
        return x
    _, t = irax.jvp(f, (0.4,), (1.0,))
    check_close(t, central_fd(fu, 0.4), 1e-6)
    check_close(irax.jacfwd(f)(0.4), central_fd(fu, 0.4), 1e-6)


def test_while_jvp_closure_tangent(x64):
    # the tangent flows in through a value the body closes over
    def f(a):
        return lax.while_loop(lambda c: c[0] < 3, lambda c: (c[0] + 1, c[1] * a + 1.0), (0, 1.0))[1]
    _, t = irax.jvp(f, (2.0,), (1.0,))
    check_close(t, central_fd(lambda a: f(float(a)), 2.0), 1e-6)


def test_while_vmap_batched_predicate():
    ns = np.array([6, 7, 1, 27], np.int32)
    out = irax.vmap(collatz_steps)(ns)
    assert out.tolist() == [int(collatz_steps(int(n))) for n in ns]


def test_while_vmap_unbatched_predicate():
    xs = np.array([1.0, 2.0, 3.0], np.float32)
    f = lambda x: lax.while_loop(lambda c: c[0] < 3, lambda c: (c[0] + 1, c[1] * x), (0, 1.0))[1]  # noqa
    jaxpr = str(irax.make_jaxpr(irax.vmap(f))(xs))
    assert "reduce_or" not in jaxpr and "while[" in jaxpr
    check_close(irax.vmap(f)(xs), xs ** 3)


def test_while_reverse_mode_error_names_alternatives():
    f = lambda x: lax.while_loop(lambda c: c < 10.0, lambda c: c * 2.0, x)  # noqa: E731
    with pytest.raises(ValueError) as e:   # as JAX
        irax.grad(f)(1.0)
    msg = str(e.value)
    for word in ("while_loop", "fori_loop", "scan", "custom_vjp", "fixed_point",
                 "checkpointed_while_loop"):
        assert word in msg


def test_fori_loop_traced_bounds_is_while():
    def f(n, x):
        return lax.fori_loop(0, n, lambda i, c: c + i, x)
    assert int(f(5, 0)) == 10
    assert "while[" in str(irax.make_jaxpr(f)(5, 0))
    assert irax.vmap(f)(np.array([1, 2, 5], np.int32), np.zeros(3, np.int32)).tolist() == [0, 1, 10]


def test_while_weak_carry_promoted():
    out = lax.while_loop(lambda c: c < 3.0, lambda c: c + jnp.ones((), np.float32), 0.0)
    assert float(out) == 3.0 and not out.weak_type


def test_while_carry_type_error():
    # a strongly typed init must come back with its own type (a Python 0 would be
    # promoted to the body's float, as JAX returns 3.0 for it)
    with pytest.raises(TypeError, match="carry input and carry output must have equal types"):
        lax.while_loop(lambda c: c < 3, lambda c: c + 0.5, jnp.int32(0))
    out = lax.while_loop(lambda c: c < 3, lambda c: c + 0.5, 0)
    assert out.dtype == np.float32 and float(out) == 3.0


def test_weakly_typed_inits_take_the_bodys_dtype_as_jax():
    """A Python-scalar init adopts the dtype its body returns (JAX 0.10's dtypes below)."""
    lax = irax.lax
    assert lax.fori_loop(0, 3, lambda i, c: c + jnp.int8(1), 0).dtype == np.int8
    assert lax.fori_loop(0, 3, lambda i, c: c + jnp.float16(1), 0).dtype == np.float16
    assert lax.fori_loop(0, 3, lambda i, c: c + jnp.int8(1), 0.0).dtype == np.float32
    out = lax.while_loop(lambda c: c < 3, lambda c: c + jnp.uint8(1), 0)
    assert out.dtype == np.uint8 and int(out) == 3
    carry, _ = lax.scan(lambda c, x: (c + x, None), 0, jnp.arange(4, dtype=jnp.int16))
    assert carry.dtype == np.int16 and int(carry) == 6
    f = irax.jit(lambda n: lax.fori_loop(0, n, lambda i, c: c + jnp.int8(2), 0))
    assert f(5).dtype == np.int8 and int(f(5)) == 10


def test_fori_loop_unroll_as_jax():
    lax = irax.lax
    for unroll in (None, 1, 2, 3, True, False):
        assert int(lax.fori_loop(0, 5, lambda i, c: c + i, 0, unroll=unroll)) == 10
    g = irax.grad(lambda x: lax.fori_loop(0, 4, lambda i, c: c * x, 1.0, unroll=2))
    assert float(g(2.0)) == 4 * 2.0 ** 3
    with pytest.raises(ValueError, match="statically known"):
        irax.jit(lambda n: lax.fori_loop(0, n, lambda i, c: c + i, 0, unroll=2))(5)


def test_linearize_through_a_while_loop_runs_forward_and_reverse_mode_still_refuses():
    """As JAX: linearize stages the loop whole for its tangents (forward only)."""
    def f(x):
        return lax.while_loop(lambda c: c[0] < 3, lambda c: (c[0] + 1, jnp.sin(c[1]) * x),
                              (0, x))[1]

    def f64(x):   # the same loop in float64 NumPy, for central differences
        c = x
        for _ in range(3):
            c = np.sin(c) * x
        return c
    for fun in (f, irax.jit(f)):
        y, f_lin = irax.linearize(fun, 2.0)
        np.testing.assert_allclose(float(y), f64(2.0), rtol=1e-6)
        np.testing.assert_allclose(float(f_lin(1.0)), central_fd(f64, 2.0), rtol=1e-4)
        np.testing.assert_allclose(float(f_lin(3.0)), 3 * central_fd(f64, 2.0), rtol=1e-4)
    jitted = irax.jit(lambda x: irax.linearize(f, x)[1](1.0))
    np.testing.assert_allclose(float(jitted(2.0)), central_fd(f64, 2.0), rtol=1e-4)
    for fun in (f, irax.jit(f)):
        with pytest.raises(ValueError, match="Reverse-mode differentiation"):
            irax.grad(fun)(2.0)


def test_linearize_reaches_a_while_loop_inside_checkpoint_scan_and_cond():
    """The while loop's forward-only staging holds when checkpoint, scan or cond (whose
    partial-evaluation rules split their bodies themselves) stand between it and
    linearize; reverse mode through them still refuses."""
    def loop(x):
        return lax.while_loop(lambda c: c[0] < 3, lambda c: (c[0] + 1, jnp.sin(c[1]) * x),
                              (0, x))[1]

    def loop64(x):
        c = x
        for _ in range(3):
            c = np.sin(c) * x
        return c
    wrapped = {
        "checkpoint": (irax.checkpoint(loop), loop64),
        "scan": (lambda x: lax.scan(lambda c, _: (loop(c), None), x, None, length=2)[0],
                 lambda x: loop64(loop64(x))),
        "cond": (lambda x: lax.cond(x > 0, loop, jnp.cos, x), loop64),
    }
    for name, (fun, ref) in wrapped.items():
        y, f_lin = irax.linearize(fun, 0.9)
        np.testing.assert_allclose(float(y), ref(0.9), rtol=1e-5, err_msg=name)
        np.testing.assert_allclose(float(f_lin(2.0)), 2 * central_fd(ref, 0.9), rtol=1e-4,
                                   err_msg=name)
        with pytest.raises(ValueError, match="Reverse-mode differentiation"):
            irax.grad(fun)(0.9)


def test_linearize_of_a_loop_with_a_jitted_or_checkpointed_body_returns_a_concrete_primal():
    """The jvp of a call in the body computes primal and tangent carries in one equation;
    the primal carries still depend on primals only, so linearize computes them now."""
    x = np.arange(9.0, dtype=np.float32).reshape(3, 3)
    square = lambda v: v * v
    for body in (irax.jit(square), irax.checkpoint(square)):
        loop = lambda v: lax.while_loop(lambda c: c[0, 2] <= 8, body, v)   # 2, 4, 16: v**4
        y, f_lin = irax.linearize(loop, jnp.asarray(x))
        assert isinstance(y, irax.Array)
        np.testing.assert_allclose(np.asarray(y), x ** 4, rtol=1e-6)
        np.testing.assert_allclose(np.asarray(f_lin(jnp.ones((3, 3)))), 4 * x ** 3, rtol=1e-6)


def test_reverse_mode_skips_a_while_loop_no_cotangent_reaches():
    """A loop whose tangent is stopped or unused does not block grad (as in JAX); one that
    a cotangent reaches still raises JAX's ValueError."""
    def stopped(p):
        _, res = lax.while_loop(lambda v: v[0] < 3, lambda v: (v[0] + 1, v[1] * p), (0, 1.0))
        return lax.stop_gradient(res) + p * p
    for fun in (irax.grad(stopped), irax.jit(irax.grad(stopped))):
        np.testing.assert_allclose(float(fun(2.0)), 4.0)   # d(p^2)/dp only
    np.testing.assert_allclose(np.asarray(irax.vmap(irax.grad(stopped))(jnp.arange(3.0))),
                               [0.0, 2.0, 4.0])
    # jit-traced bounds make a while loop: its counter's tangent is read by nobody, and a
    # passed-through value's cotangent goes around the loop; a computed one must not
    bounded = lambda x, n, body: lax.fori_loop(0, n, body, x)
    np.testing.assert_allclose(float(irax.jit(irax.grad(
        lambda x, n: bounded(x, n, lambda i, c: c) * 3.0))(1.0, 2)), 3.0)
    with pytest.raises(ValueError, match="Reverse-mode differentiation does not work"):
        irax.jit(irax.grad(lambda x, n: bounded(x, n, lambda i, c: c * 1.5)))(1.0, 2)


def test_fori_loop_with_bounds_known_now_is_a_scan_under_eager_grad():
    """As JAX: bounds whose values are known at trace time (also floats, or tracers with
    concrete values under eager grad) give a scan, so reverse mode works."""
    f = lambda x: lax.fori_loop(x, x + 3.0, lambda i, c: c * i, x)   # x * x (x+1) (x+2)
    x = 1.5
    np.testing.assert_allclose(float(f(x)), x * x * (x + 1) * (x + 2), rtol=1e-6)
    # d/dx of x^2 (x+1) (x+2), with i's own dependence on x
    np.testing.assert_allclose(float(irax.grad(f)(x)),
                               central_fd(lambda v: v * v * (v + 1) * (v + 2), x), rtol=1e-4)
