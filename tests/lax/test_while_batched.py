"""vmap of while_loop with a batched predicate: the running lanes travel as a mask carry
(computed at the end of each iteration). References are Python loops per lane and
analytic derivatives."""
import numpy as np

import irax
import irax.numpy as jnp
from irax import lax

from tests.lax.cf_helpers import check_close
from tests.lax.test_while import collatz_steps


def _collatz_py(n: int) -> int:
    k = 0
    while n != 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        k += 1
    return k


def _grow(x):
    """Multiply by 1.5 until past 10: the output is x * 1.5**k, k depending on x."""
    return lax.while_loop(lambda c: c[1] < 10.0, lambda c: (c[0] + 1, c[1] * 1.5), (0, x))


def _grow_py(x: float) -> tuple[int, float]:
    k = 0
    while x < 10.0:
        x, k = np.float32(x * np.float32(1.5)), k + 1
    return k, x


def test_while_batched_mask_carry_in_jaxpr():
    jaxpr = irax.make_jaxpr(irax.vmap(collatz_steps))(np.array([6, 7], np.int32))
    (eqn,) = [e for e in jaxpr.jaxpr.eqns if e.primitive.name == "while"]
    # the carries (n, k) and the running-lanes mask (uint8: see _while_batch), which the
    # condition only tests and reduces
    assert eqn.outputs[-1].aval.str_short() == "u8[2]"
    assert [e.primitive.name for e in eqn.params["cond_jaxpr"].jaxpr.eqns] == [
        "broadcast_in_dim", "ne", "reduce_or"]


def test_while_batched_eager_and_jit_nested_vmap_and_in_axes():
    ns = np.array([[6, 7, 1], [27, 2, 9]], np.int32)
    expected = [[_collatz_py(int(n)) for n in row] for row in ns]
    xs = np.array([0.5, 3.0, 11.0, 9.9], np.float32)
    exp_k, exp_x = zip(*[_grow_py(float(x)) for x in xs])

    def all_cases(ns, xs):
        return (irax.vmap(irax.vmap(collatz_steps))(ns),        # vmap of a batched while
                irax.vmap(irax.vmap(collatz_steps), in_axes=1)(ns),   # batch axis not leading
                irax.vmap(_grow)(xs))
    for fn in (all_cases, irax.jit(all_cases)):
        nested, cols, (k, x) = fn(ns, xs)
        assert np.asarray(nested).tolist() == expected
        assert np.asarray(cols).tolist() == np.array(expected).T.tolist()
        assert np.asarray(k).tolist() == list(exp_k)
        np.testing.assert_array_equal(np.asarray(x), np.array(exp_x, np.float32))


def test_while_batched_jvp():
    # d/dx (x * 1.5**k(x)) = 1.5**k with k locally constant
    xs = np.array([0.5, 3.0, 11.0, 9.9], np.float32)
    exp_k = np.array([_grow_py(float(x))[0] for x in xs])
    f = lambda x: _grow(x)[1]   # noqa: E731
    for fn in (irax.vmap(lambda x: irax.jvp(f, (x,), (1.0,))[1]),
               irax.jit(lambda x: irax.jvp(irax.vmap(f), (x,), (jnp.ones_like(x),))[1])):
        check_close(fn(xs), 1.5 ** exp_k, 1e-5)


def test_while_batched_cond_with_callback_runs_and_matches():
    seen = []

    def cond(c):
        irax.debug.callback(lambda v: seen.append(np.asarray(v).copy()), c[1])
        return c[1] < 10.0
    xs = np.array([0.5, 9.9, 11.0], np.float32)
    f = irax.vmap(lambda x: lax.while_loop(cond, lambda c: (c[0] + 1, c[1] * 1.5), (0, x)))
    (eqn,) = [e for e in irax.make_jaxpr(f)(xs).jaxpr.eqns if e.primitive.name == "while"]
    assert len(eqn.outputs) == 2   # no mask carry: the condition (and its callback) runs as is
    seen.clear()
    k, x = f(xs)
    exp_k, exp_x = zip(*[_grow_py(float(x)) for x in xs])
    assert np.asarray(k).tolist() == list(exp_k)
    np.testing.assert_array_equal(np.asarray(x), np.array(exp_x, np.float32))
    # called per lane (as JAX's vmap of a callback), first on the initial values
    assert len(seen) % 3 == 0 and [float(v) for v in seen[:3]] == xs.tolist()


def test_while_batched_small_body_takes_several_masked_steps_per_iteration():
    # counts 0..19 per lane: no lane's count is tied to the steps per iteration
    ns = np.arange(20, dtype=np.int32)[::-1].copy()
    f = irax.vmap(lambda n: lax.while_loop(lambda c: c[0] > 0,
                                           lambda c: (c[0] - 1, c[1] + 2 * c[0]), (n, 0)))
    (eqn,) = [e for e in irax.make_jaxpr(f)(ns).jaxpr.eqns if e.primitive.name == "while"]
    body_prims = [e.primitive.name for e in eqn.params["body_jaxpr"].jaxpr.eqns]
    assert body_prims.count("sub") == 8   # one body step per masked step
    for fn in (f, irax.jit(f)):
        left, total = fn(ns)
        assert np.asarray(left).tolist() == [0] * 20
        assert np.asarray(total).tolist() == [n * (n + 1) for n in ns.tolist()]


def test_while_batched_body_callback_runs_once_per_iteration_per_lane():
    # JAX 0.10.2 calls it 15 times here (every lane, while any lane runs: 5 iterations)
    seen = []

    def body(c):
        irax.debug.callback(lambda v: seen.append(int(v)), c)
        return c - 1
    f = irax.vmap(lambda n: lax.while_loop(lambda c: c > 0, body, n))
    for fn in (f, irax.jit(f)):
        seen.clear()
        assert np.asarray(fn(np.array([0, 3, 5], np.int32))).tolist() == [0, 0, 0]
        assert sorted(seen) == [0] * 7 + [1, 1, 2, 2, 3, 3, 4, 5]
