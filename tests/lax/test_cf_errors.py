"""Misuse of scan / while_loop / fori_loop / cond / switch raises JAX's error type with
JAX's message: each case runs on jax.lax (the oracle) and on irax.lax and the two errors are
compared. Source positions in cond/switch messages name this file in both."""
import re

import numpy as np
import pytest

import irax

jax = pytest.importorskip("jax")


def i32(jx, v=0):
    return jx.numpy.array(v, "int32")


CASES = {
    "scan output not a pair": lambda jx: jx.lax.scan(lambda c, x: np.float32(0.), 0,
                                                     jx.numpy.arange(5.)),
    "scan length disagrees": lambda jx: jx.lax.scan(lambda *a: a, 0, jx.numpy.arange(10),
                                                    length=5),
    "scan xs of Python ints": lambda jx: jx.lax.scan(lambda c, x: (c, x), 0, [1, 2]),
    "scan xs sizes differ": lambda jx: jx.lax.scan(lambda c, x: (c, x), 0,
                                                   (jx.numpy.zeros(2), jx.numpy.zeros(3))),
    "scan carry tuple length": lambda jx: jx.lax.scan(lambda c, x: ((0, 0, 0), x), (1, (2, 3)),
                                                      jx.numpy.arange(5.)),
    "scan carry tuple vs list": lambda jx: jx.lax.scan(
        lambda x, _: ([x[0].astype("float32")] * 2, None), (i32(jx),) * 2, None, length=1),
    "scan carry dict keys": lambda jx: jx.lax.scan(
        lambda x, _: ({"a": x["a"], "b": x["a"]}, None), {"a": i32(jx)}, None, length=1),
    "scan carry two differences": lambda jx: jx.lax.scan(
        lambda x, _: (({"a": x[0]["a"], "b": x[0]["a"]},) * 2, None), ({"a": i32(jx)},) * 2,
        None, length=1),
    "scan carry dtype": lambda jx: jx.lax.scan(lambda x, _: (x.astype("float32"), None),
                                               i32(jx), None, length=1),
    "scan carry dtype and shape": lambda jx: jx.lax.scan(
        lambda x, _: ((x[0].astype("float32"), x[1].astype("float32").reshape(1, 1), x[2]),
                      None), (i32(jx),) * 3, None, length=1),
    "fori carry dict metadata": lambda jx: jx.lax.fori_loop(
        0, 1, lambda i, x: {"T": jx.numpy.array([0.5])}, {"t": jx.numpy.array([1.0])}),
    "while cond returns a tuple": lambda jx: jx.lax.while_loop(lambda c: (1., 1.),
                                                               lambda c: c, 0.),
    "while cond returns a float": lambda jx: jx.lax.while_loop(lambda c: np.float32(1.),
                                                               lambda c: c, np.float32(0.)),
    "while carry dtype": lambda jx: jx.lax.while_loop(
        lambda c: True, lambda c: (True, True), (np.bool_(True), np.float32(0.))),
    "cond pred a function": lambda jx: jx.lax.cond(lambda x: True, lambda t: 2., lambda f: 3.,
                                                   1.),
    "cond pred a string": lambda jx: jx.lax.cond("foo", lambda t: 2., lambda f: 3., 1.),
    "cond pred a tuple": lambda jx: jx.lax.cond((1., 1.), lambda t: 2., lambda f: 3., 1.),
    "cond pred None": lambda jx: jx.lax.cond(None, lambda x: x + 1, lambda x: x + 2, 1.),
    "cond branch structures": lambda jx: jx.lax.cond(True, lambda t: dict(a=2.),
                                                     lambda f: dict(a=(3., 3.)), 1.),
    "cond branch types": lambda jx: jx.lax.cond(
        True, lambda t: jx.numpy.array([1.], "float32"), lambda f: jx.numpy.float32(1.), 1.),
    "switch index a function": lambda jx: jx.lax.switch(lambda x: True,
                                                        [lambda _: 2., lambda _: 3.], 1.),
    "switch index a string": lambda jx: jx.lax.switch("foo", [lambda _: 2., lambda _: 3.], 1.),
    "switch index a tuple": lambda jx: jx.lax.switch((1., 1.), [lambda _: 2., lambda _: 3.],
                                                     1.),
    "switch index a float": lambda jx: jx.lax.switch(1.5, [lambda _: 2., lambda _: 3.], 1.),
    "switch no branches": lambda jx: jx.lax.switch(0, [], 1.),
    "switch branch structures": lambda jx: jx.lax.switch(
        1, [lambda _: dict(a=2.), lambda _: dict(a=(3., 3.))], 1.),
    "switch branch types": lambda jx: jx.lax.switch(
        1, [lambda _: dict(a=jx.numpy.array([1.], "float32")),
            lambda _: dict(a=jx.numpy.float32(1.))], 1.),
    "fori body not callable": lambda jx: jx.lax.fori_loop(0, 1, 42, 0),
    "while funs not callable": lambda jx: jx.lax.while_loop(42, 42, 0),
    "switch branch not callable": lambda jx: jx.lax.switch(0, [42]),
    "cond funs not callable": lambda jx: jx.lax.cond(0, 42, 42),
    "scan f not callable": lambda jx: jx.lax.scan(42, 0, 1),
    "associative_scan fn not callable": lambda jx: jx.lax.associative_scan(42, 0),
}


@pytest.mark.parametrize("name", list(CASES))
def test_control_flow_misuse_error_is_jaxs(name):
    with pytest.raises(Exception) as want:
        CASES[name](jax)
    with pytest.raises(Exception) as got:
        CASES[name](irax)
    assert type(got.value).__name__ == type(want.value).__name__
    same_address = lambda e: re.sub(r"0x[0-9a-f]+", "0x...", str(e))   # two lambdas' ids
    assert same_address(got.value) == same_address(want.value)


def test_reverse_mode_of_a_dynamic_loop_starts_with_jaxs_message():
    loop = lambda jx: jx.grad(lambda x: jx.lax.while_loop(lambda i: i < 5., lambda i: i + 1.,
                                                          x))(1.)
    with pytest.raises(ValueError) as want:
        loop(jax)
    with pytest.raises(ValueError) as got:
        loop(irax)
    assert str(got.value).startswith(str(want.value))


def test_traced_scan_length_is_a_concretization_error():
    f = irax.jit(lambda n, x: irax.lax.scan(lambda c, z: (c, z), x, (), n))
    with pytest.raises(irax.errors.ConcretizationTypeError,
                       match="The `length` argument to `scan` expects a concrete `int` value"):
        f(3, 1.)
    np.testing.assert_allclose(np.asarray(irax.lax.scan(lambda c, z: (c + 1., z), 0., None,
                                                        length=np.int32(3))[0]), 3.0)


# -- outputs that pass through a cond / carries a loop body returns unchanged are not
# part of the loop (as in JAX): they stay unbatched under vmap and come out as they went in

def test_passed_through_values_stay_unbatched_under_vmap():
    def cond_passes_y(x, y):
        return irax.lax.cond(x < 3, lambda x, y: (x * 2, y), lambda x, y: (x * 3, y), x, y)
    x, y = irax.numpy.arange(3), irax.numpy.asarray(3.0)
    x2, y2 = irax.vmap(cond_passes_y, in_axes=(0, None), out_axes=(0, None))(x, y)
    assert y2 is y
    np.testing.assert_array_equal(np.asarray(x2), [0, 2, 4])

    def while_keeps_w(w, x, n):   # w is read only in the body
        _, x, w = irax.lax.while_loop(lambda c: c[0] < n, lambda c: (c[0] + 1, c[1] @ c[2], c[2]),
                                      (0, x, w))
        return w, x
    w = np.array([[1.0, 0.5], [0.0, 2.0]], np.float32)
    xs, ns = np.ones((4, 2), np.float32), np.arange(4)
    w_out, x_out = irax.vmap(while_keeps_w, in_axes=(None, 0, 0), out_axes=(None, 0))(w, xs, ns)
    np.testing.assert_allclose(np.asarray(w_out), w)
    expected = [xs[i] @ np.linalg.matrix_power(w, int(ns[i])) for i in range(4)]
    np.testing.assert_allclose(np.asarray(x_out), expected, rtol=1e-6)

    def scan_keeps_y(x, y):
        scanned = lambda _, y: irax.lax.scan(lambda c, _: (c, None), y, None, length=2)[0]
        return irax.lax.cond(x < 0, scanned, scanned, x, y)
    out = irax.vmap(scan_keeps_y, (0, None), None)(np.arange(3.0, dtype=np.float32), 3.0)
    assert float(out) == 3.0


def test_passed_through_carries_keep_derivatives_and_values():
    # scan: the first carry is passed through, the second accumulates a * x
    def f(a):
        (c0, c1), ys = irax.lax.scan(lambda c, x: ((c[0], c[1] + c[0] * x), c[0] * x), (a, 0.0),
                                     irax.numpy.arange(4.0))
        return c0 * c1 + ys.sum()
    # f(a) = a * 6a + 6a: f'(a) = 12 a + 6
    assert float(f(2.0)) == 36.0
    np.testing.assert_allclose(float(irax.grad(f)(2.0)), 30.0)
    np.testing.assert_allclose(float(irax.jit(irax.grad(f))(2.0)), 30.0)
    # while: a read-only carry differentiated in forward mode
    g = lambda w: irax.lax.while_loop(lambda c: c[0] < 3, lambda c: (c[0] + 1, c[1] * c[2], c[2]),
                                      (0, 1.0, w))[1]     # w ** 3
    np.testing.assert_allclose(float(irax.jvp(g, (2.0,), (1.0,))[1]), 12.0)


def test_a_cond_whose_outputs_all_pass_through_still_runs_its_branch():
    seen = []

    def branch(tag):
        def run(x):
            irax.debug.callback(lambda v: seen.append((tag, int(v))), x)
            return x
        return run
    f = lambda x: irax.lax.cond(x > 3, branch("true"), branch("false"), x)
    for fun in (f, irax.jit(f)):
        assert int(fun(5)) == 5 and int(fun(1)) == 1
    assert seen == [("true", 5), ("false", 1)] * 2
