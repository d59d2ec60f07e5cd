"""Property-based checks of random programs without IREE (tracer + NumPy impl rules).

- eager irax == NumPy (float32 with dtype equality; float64 tightly)
- make_jaxpr: type-checks, and evaluating the jaxpr == eager
- jvp == central finite differences (float64); linearize == jvp
- vjp satisfies <J t, c> == <t, J^T c> (float64)
- jvp of grad == finite differences of grad (second order, float64)
- vmap == a Python loop + stack, for random in_axes
"""
from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import irax
import irax.numpy as jnp
from irax.tracer import core

from tests.fuzz import fuzz_programs as fp
from tests.fuzz.fuzz_settings import fuzz_settings

PROGRAMS = fp.programs(min_ops=3, max_ops=10)


def _as_np(tree):
    return [np.asarray(t) for t in tree]


@fuzz_settings(ci_default=60, scale=1.0)
@given(PROGRAMS)
def test_eager_matches_numpy_float32(program):
    xs = program.inputs(np.float32)
    got = program.fn(jnp, jnp.float32)(*[jnp.asarray(x) for x in xs])
    want = program.fn(np, np.float32)(*xs)
    for i, (g, w) in enumerate(zip(got, want)):
        assert np.asarray(g).dtype == np.asarray(w).dtype, \
            f"output {i}: dtype {np.asarray(g).dtype} != NumPy's {np.asarray(w).dtype}\n{program!r}"
    fp.tree_close(_as_np(got), want, 2e-4, 2e-4, "eager vs NumPy (f32)", program)


@fuzz_settings(ci_default=60, scale=1.0)
@given(PROGRAMS)
def test_eager_matches_numpy_float64(x64, program):
    xs = program.inputs(np.float64)
    got = program.fn(jnp, jnp.float64)(*[jnp.asarray(x) for x in xs])
    want = program.fn(np, np.float64)(*xs)
    for g in got:
        assert np.asarray(g).dtype == np.float64, f"x64 lost: {np.asarray(g).dtype}\n{program!r}"
    fp.tree_close(_as_np(got), want, 1e-10, 1e-12, "eager vs NumPy (f64)", program)


@fuzz_settings(ci_default=60, scale=1.0)
@given(PROGRAMS)
def test_make_jaxpr_typechecks_and_evaluates(program):
    f = program.fn(jnp, jnp.float32)
    xs = [jnp.asarray(x) for x in program.inputs(np.float32)]
    closed = irax.make_jaxpr(f)(*xs)
    core.typecheck_jaxpr(closed.jaxpr)
    str(closed)  # pretty-printing never fails
    got = core.eval_jaxpr(closed.jaxpr, closed.consts, xs)
    fp.tree_close(_as_np(got), _as_np(f(*xs)), 0, 0, "eval(make_jaxpr(f)) vs f", program)


def _fd_jvp(f, xs, ts, eps=1e-6):
    plus = f(*[jnp.asarray(x + eps * t) for x, t in zip(xs, ts)])
    minus = f(*[jnp.asarray(x - eps * t) for x, t in zip(xs, ts)])
    return [(np.asarray(p) - np.asarray(m)) / (2 * eps) for p, m in zip(plus, minus)]


@fuzz_settings(ci_default=60, scale=1.0)
@given(PROGRAMS)
def test_jvp_matches_finite_differences(x64, program):
    f = program.fn(jnp, jnp.float64)
    xs = program.inputs(np.float64)
    rng = np.random.default_rng(program.seed + 1)
    ts = [rng.standard_normal(x.shape) for x in xs]
    out, tan = irax.jvp(f, tuple(jnp.asarray(x) for x in xs), tuple(jnp.asarray(t) for t in ts))
    fp.tree_close(_as_np(out), _as_np(f(*map(jnp.asarray, xs))), 1e-12, 1e-14, "jvp primal vs f", program)
    fp.tree_close(_as_np(tan), _fd_jvp(f, xs, ts), 1e-5, 1e-6, "jvp vs finite differences", program)
    _, f_jvp = irax.linearize(f, *[jnp.asarray(x) for x in xs])
    fp.tree_close(_as_np(f_jvp(*[jnp.asarray(t) for t in ts])), _as_np(tan), 1e-10, 1e-12,
                  "linearize vs jvp", program)


@fuzz_settings(ci_default=60, scale=1.0)
@given(PROGRAMS)
def test_vjp_inner_product_identity(x64, program):
    f = program.fn(jnp, jnp.float64)
    xs = [jnp.asarray(x) for x in program.inputs(np.float64)]
    rng = np.random.default_rng(program.seed + 2)
    ts = [rng.standard_normal(x.shape) for x in xs]
    out, f_vjp = irax.vjp(f, *xs)
    cs = tuple(jnp.asarray(rng.standard_normal(np.shape(o))) for o in out)
    ct_in = f_vjp(cs)
    assert len(ct_in) == len(xs)
    for c, x in zip(ct_in, xs):
        assert np.shape(c) == np.shape(x) and np.asarray(c).dtype == np.float64, \
            f"cotangent {np.shape(c)}/{np.asarray(c).dtype} for input {np.shape(x)}\n{program!r}"
    _, tan = irax.jvp(f, tuple(xs), tuple(jnp.asarray(t) for t in ts))
    lhs = sum(fp.vdot(a, b) for a, b in zip(tan, cs))
    rhs = sum(fp.vdot(a, b) for a, b in zip(ts, ct_in))
    scale = 1 + sum(np.abs(np.asarray(a)).sum() for a in tan) + sum(np.abs(np.asarray(a)).sum() for a in ct_in)
    assert abs(lhs - rhs) <= 1e-10 * scale, f"<Jt,c>={lhs} but <t,J^T c>={rhs}\n{program!r}"


def _loss(f, weights):
    def loss(*xs):
        outs = f(*xs)
        return sum(jnp.sum(o * w) for o, w in zip(outs, weights))
    return loss


@fuzz_settings(ci_default=30, scale=0.5)
@given(PROGRAMS)
def test_second_order_jvp_of_grad(x64, program):
    f = program.fn(jnp, jnp.float64)
    xs = program.inputs(np.float64)
    rng = np.random.default_rng(program.seed + 3)
    ws = [rng.standard_normal(np.shape(o)) for o in f(*map(jnp.asarray, xs))]
    g = irax.grad(_loss(f, ws), argnums=tuple(range(len(xs))))
    ts = [rng.standard_normal(x.shape) for x in xs]
    _, hvp = irax.jvp(g, tuple(jnp.asarray(x) for x in xs), tuple(jnp.asarray(t) for t in ts))
    fp.tree_close(_as_np(hvp), _fd_jvp(g, xs, ts, eps=1e-5), 1e-4, 1e-5,
                  "jvp(grad) vs finite differences of grad", program)


@fuzz_settings(ci_default=60, scale=1.0)
@given(PROGRAMS, st.data())
def test_vmap_matches_loop(program, data):
    f = program.fn(jnp, jnp.float32)
    xs = program.inputs(np.float32)
    n = data.draw(st.integers(1, 3), label="batch")
    axes = [data.draw(st.one_of(st.none(), st.integers(-x.ndim - 1, x.ndim)), label=f"in_axis{i}")
            for i, x in enumerate(xs)]
    if all(a is None for a in axes):
        axes[0] = 0
    rng = np.random.default_rng(program.seed + 4)
    batched = [x if a is None else
               np.stack([rng.uniform(-2, 2, x.shape).astype(np.float32) for _ in range(n)], axis=a)
               for x, a in zip(xs, axes)]
    got = irax.vmap(f, in_axes=tuple(axes))(*[jnp.asarray(b) for b in batched])
    rows = [f(*[jnp.asarray(b if a is None else np.take(b, i, axis=a)) for b, a in zip(batched, axes)])
            for i in range(n)]
    want = [np.stack([np.asarray(r[k]) for r in rows]) for k in range(len(rows[0]))]
    fp.tree_close(_as_np(got), want, 1e-5, 1e-5, f"vmap(in_axes={tuple(axes)}, n={n}) vs loop",
                  program)
