"""irax.checkpoint / irax.remat: the same values and derivatives as without it (checked
against analytic derivatives, float64 central differences of NumPy code, and JAX), and
fewer stored residuals, chosen by the policy."""
import numpy as np
import pytest

import irax
import irax.numpy as jnp
from irax import lax
from irax.ad_checkpoint import checkpoint_name, saved_residuals
from tests.finite_differences import central_fd

P = irax.checkpoint_policies

POLICIES = {
    "default": None,
    "nothing": P.nothing_saveable,
    "everything": P.everything_saveable,
    "dots": P.dots_saveable,
    "dots_no_batch": P.dots_with_no_batch_dims_saveable,
    "only_y": P.save_only_these_names("y"),
    "names_but_y": P.save_any_names_but_these("y"),
    "all_but_y": P.save_anything_except_these_names("y"),
    "both": P.save_from_both_policies(P.dots_saveable, P.save_only_these_names("y")),
}


def test_jax_docstring_example():
    # jax.checkpoint's docstring: value_and_grad(checkpoint(sin . sin))(2.0)
    g = irax.checkpoint(lambda x: jnp.sin(jnp.sin(x)))
    v, d = irax.value_and_grad(g)(2.0)
    np.testing.assert_allclose([float(v), float(d)], [0.78907233, -0.2556391], rtol=1e-6)
    assert irax.remat is irax.checkpoint


def test_grad_and_grad_of_grad_match_analytic():
    x = 0.7
    want1 = np.cos(np.sin(x)) * np.cos(x)
    want2 = -np.sin(np.sin(x)) * np.cos(x) ** 2 - np.cos(np.sin(x)) * np.sin(x)
    for policy in POLICIES.values():
        g = irax.checkpoint(lambda x: jnp.sin(jnp.sin(x)), policy=policy)
        np.testing.assert_allclose(float(irax.grad(g)(x)), want1, rtol=1e-6)
        np.testing.assert_allclose(float(irax.grad(irax.grad(g))(x)), want2, rtol=1e-5)
    # hessian (forward over reverse) of sum(sin(x)^3)
    h = irax.hessian(irax.checkpoint(lambda x: jnp.sum(jnp.sin(x) ** 3)))
    xs = np.array([0.3, -1.1], np.float32)
    want = np.diag(6 * np.sin(xs) * np.cos(xs) ** 2 - 3 * np.sin(xs) ** 3)
    np.testing.assert_allclose(np.asarray(h(xs)), want, rtol=1e-5, atol=1e-6)


def test_linearized_function_recomputes(monkeypatch):
    """As JAX: the forward pass of linearize computes sin twice; the linear function
    recomputes sin(x) once and both cosines (nothing but x was stored)."""
    from irax.tracer import core
    calls = {"sin": 0, "cos": 0}
    for p in list(core.impl_rules):
        if p.name in calls:
            def counted(*a, _rule=core.impl_rules[p], _name=p.name, **k):
                calls[_name] += 1
                return _rule(*a, **k)
            monkeypatch.setitem(core.impl_rules, p, counted)
    g = irax.checkpoint(lambda x: (jnp.sin(jnp.sin(x)), 3.0))
    out, f_lin = irax.linearize(lambda x: g(x)[0], 2.0)
    assert calls == {"sin": 2, "cos": 0}
    calls.update(sin=0, cos=0)
    np.testing.assert_allclose(float(f_lin(3.0)), np.cos(np.sin(2.0)) * np.cos(2.0) * 3.0,
                               rtol=1e-6)
    assert calls == {"sin": 1, "cos": 2}
    # nested checkpoints: the backward pass recomputes each level once
    inner = irax.checkpoint(jnp.sin)
    _, pullback = irax.vjp(irax.checkpoint(lambda x: jnp.sin(inner(x))), 0.5)
    calls.update(sin=0, cos=0)
    (ct,) = pullback(1.0)
    assert calls == {"sin": 1, "cos": 2}
    np.testing.assert_allclose(float(ct), np.cos(np.sin(0.5)) * np.cos(0.5), rtol=1e-6)


def test_linearized_scan_recomputes_inside_its_body():
    def f(x):
        return lax.scan(irax.checkpoint(lambda c, _: (jnp.sin(c), None)), x,
                        np.arange(3.0, dtype=np.float32))[0]
    for lin in (irax.linearize(f, 4.0)[1], irax.vjp(f, 4.0)[1]):
        jaxpr = irax.make_jaxpr(lin)(1.0)
        (eqn,) = jaxpr.jaxpr.eqns
        assert eqn.primitive.name == "scan" and " cos " in str(eqn.params["jaxpr"])


def test_free_variables_and_no_arguments():
    def plain(x):
        y = 2 * jnp.sin(x)
        return jnp.cos(x) * jnp.sin(y)

    def ckpt(x):
        y = 2 * jnp.sin(x)   # a value of the enclosing linearize, closed over
        return irax.checkpoint(lambda x: jnp.cos(x) * jnp.sin(y))(x)
    x = 2.0
    want = (-np.sin(x) * np.sin(2 * np.sin(x)) +
            np.cos(x) * np.cos(2 * np.sin(x)) * 2 * np.cos(x)) * 3.0
    np.testing.assert_allclose(float(irax.linearize(ckpt, x)[1](3.0)), want, rtol=1e-6)
    np.testing.assert_allclose(float(irax.linearize(plain, x)[1](3.0)), want, rtol=1e-6)
    assert int(irax.jit(lambda x: irax.checkpoint(lambda: 2 * x)())(3)) == 6


def _net(x, w):
    y = checkpoint_name(jnp.tanh(x @ w), "y")
    z = checkpoint_name(jnp.sin(y) * x, "z")
    return jnp.sum(z * z)


def _net_np(x, w):
    z = np.sin(np.tanh(x @ w)) * x
    return np.sum(z * z)


@pytest.mark.parametrize("name", list(POLICIES))
def test_every_policy_gives_the_true_gradient(name, x64):
    rng = np.random.default_rng(1)
    x, w = rng.normal(size=(2, 3)), rng.normal(size=(3, 3))
    f = irax.checkpoint(_net, policy=POLICIES[name])
    gx, gw = irax.grad(f, argnums=(0, 1))(x, w)
    np.testing.assert_allclose(np.asarray(gx), central_fd(lambda v: _net_np(v, w), x),
                               rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(np.asarray(gw), central_fd(lambda v: _net_np(x, v), w),
                               rtol=1e-6, atol=1e-8)


def _sources(res):
    # what a value is, without where in the source it was computed ("... from file:line")
    return [src.split(" from ")[0] for _, src in res]


def test_policies_decide_what_is_saved():
    x = np.ones((2, 3), np.float32)
    w = np.full((3, 3), 0.5, np.float32)

    def saved(policy):
        return _sources(saved_residuals(irax.checkpoint(_net, policy=policy), x, w))
    plain = _sources(saved_residuals(_net, x, w))
    # nothing saveable: the arguments only, everything else recomputed
    assert set(saved(None)) <= {"from the argument x", "from the argument w"}
    assert saved(P.nothing_saveable) == saved(None)
    # everything saveable: as without checkpoint
    assert sorted(saved(P.everything_saveable)) == sorted(plain)
    # names: the tagged values are stored (and only those, with the arguments)
    assert "named 'y'" in saved(P.save_only_these_names("y"))
    assert not any("named 'z'" in s for s in saved(P.save_only_these_names("y")))
    assert "named 'z'" in saved(P.save_any_names_but_these("y"))
    assert "named 'y'" not in saved(P.save_any_names_but_these("y"))
    assert "named 'y'" not in saved(P.save_anything_except_these_names("y"))
    # dots: the matrix product is stored instead of recomputed
    assert "output of dot_general" in saved(P.dots_saveable)
    assert "output of dot_general" in saved(P.dots_with_no_batch_dims_saveable)
    both = saved(P.save_from_both_policies(P.dots_saveable, P.save_only_these_names("z")))
    assert "output of dot_general" in both and "named 'z'" in both


def test_batched_dots_are_not_saved_by_the_no_batch_dims_policy():
    def f(a, b):
        return jnp.sum(jnp.sin(jnp.einsum("bij,bjk->bik", a, b)))
    a = np.ones((2, 3, 3), np.float32)
    assert "output of dot_general" in _sources(
        saved_residuals(irax.checkpoint(f, policy=P.dots_saveable), a, a))
    assert "output of dot_general" not in _sources(saved_residuals(
        irax.checkpoint(f, policy=P.dots_with_no_batch_dims_saveable), a, a))


def _mlp(params, x, wrap=lambda f: f):
    def layer(x, w, b):
        return jnp.tanh(x @ w + b)
    for w, b in params:
        x = wrap(layer)(x, w, b)
    return jnp.sum(x * x)


def test_sixteen_layer_mlp_residual_memory():
    """The measurement: what linearize stores for the backward pass of a 16-layer MLP
    (batch 32, width 8), counted from the linearized jaxpr's residuals."""
    rng = np.random.default_rng(0)
    params = [(rng.normal(size=(8, 8)).astype(np.float32) * 0.4,
               rng.normal(size=(8,)).astype(np.float32) * 0.1) for _ in range(16)]
    x = rng.normal(size=(32, 8)).astype(np.float32)

    def stats(f):
        res = saved_residuals(f, params, x)
        return len(res), sum(a.size for a, _ in res), _sources(res)
    n_plain, size_plain, _ = stats(_mlp)
    n_layer, size_layer, _ = stats(lambda p, x: _mlp(p, x, irax.checkpoint))
    n_whole, size_whole, src_whole = stats(irax.checkpoint(_mlp))
    n_every, size_every, _ = stats(irax.checkpoint(_mlp, policy=P.everything_saveable))
    # plain: per layer the input activations, the weights and tanh' (32x8 + 8x8 + 32x8),
    # and the output (for x * x)
    assert (n_plain, size_plain) == (49, 16 * (256 + 64 + 256) + 256)
    # checkpoint per layer: each layer's inputs (activations, weights, bias) only
    assert (n_layer, size_layer) == (49, 16 * (256 + 64 + 8) + 256)
    # checkpoint of the whole network: only the network's inputs
    assert (n_whole, size_whole) == (33, 16 * (64 + 8) + 256)
    assert all(s.startswith("from the argument") for s in src_whole)
    assert size_whole * 6 < size_plain
    # everything saveable stores what no checkpoint stores
    assert (n_every, size_every) == (n_plain, size_plain)
    # dots saveable: each layer's matrix product instead of its activations
    n_dots, size_dots, src_dots = stats(irax.checkpoint(_mlp, policy=P.dots_saveable))
    assert src_dots.count("output of dot_general") == 16
    assert (n_dots, size_dots) == (49, 16 * (256 + 64 + 8) + 256)


def test_sixteen_layer_mlp_residuals_as_jax_counts_them():
    jax = pytest.importorskip("jax")
    from jax._src.ad_checkpoint import saved_residuals as jax_saved_residuals
    jjnp, jp = jax.numpy, jax.checkpoint_policies
    rng = np.random.default_rng(0)
    params = [(rng.normal(size=(8, 8)).astype(np.float32),
               rng.normal(size=(8,)).astype(np.float32)) for _ in range(16)]
    x = rng.normal(size=(32, 8)).astype(np.float32)

    def mlp(np_, params, x, wrap):
        for w, b in params:
            x = wrap(lambda x, w, b: np_.tanh(x @ w + b))(x, w, b)
        return np_.sum(x * x)

    def layerwise(ckpt, **kw):
        return lambda f: ckpt(f, **kw)
    cases = [
        (lambda f: f, lambda f: f),
        (irax.checkpoint, jax.checkpoint),
        (layerwise(irax.checkpoint, policy=P.dots_saveable),
         layerwise(jax.checkpoint, policy=jp.dots_saveable)),
    ]
    for ours, theirs in cases:
        got = saved_residuals(lambda p, x: mlp(jnp, p, x, ours), params, x)
        want = jax_saved_residuals(lambda p, x: mlp(jjnp, p, x, theirs), params, x)
        assert sorted(a.shape for a, _ in got) == sorted(a.shape for a, _ in want)
    for policy, jpolicy in [(None, None), (P.dots_saveable, jp.dots_saveable),
                            (P.everything_saveable, jp.everything_saveable)]:
        got = saved_residuals(irax.checkpoint(lambda p, x: mlp(jnp, p, x, lambda f: f),
                                              policy=policy), params, x)
        want = jax_saved_residuals(jax.checkpoint(
            lambda p, x: mlp(jjnp, p, x, lambda f: f), policy=jpolicy), params, x)
        assert sorted(a.shape for a, _ in got) == sorted(a.shape for a, _ in want)


def test_sixteen_layer_mlp_gradients_match_jax():
    jax = pytest.importorskip("jax")
    jjnp = jax.numpy
    rng = np.random.default_rng(2)
    params = [(rng.normal(size=(4, 4)).astype(np.float32) * 0.5,
               rng.normal(size=(4,)).astype(np.float32) * 0.1) for _ in range(16)]
    x = rng.normal(size=(5, 4)).astype(np.float32)

    def jax_mlp(params, x):
        for w, b in params:
            x = jjnp.tanh(x @ w + b)
        return jjnp.sum(x * x)
    want = jax.grad(jax_mlp)(params, x)
    for f in (irax.checkpoint(_mlp), lambda p, x: _mlp(p, x, irax.checkpoint),
              irax.checkpoint(_mlp, policy=P.dots_saveable)):
        got = irax.grad(f)(params, x)
        for (gw, gb), (ww, wb) in zip(got, want):
            np.testing.assert_allclose(np.asarray(gw), np.asarray(ww), rtol=2e-5, atol=1e-6)
            np.testing.assert_allclose(np.asarray(gb), np.asarray(wb), rtol=2e-5, atol=1e-6)


# custom rules: the result must follow the user's rules (deliberately not the true
# derivative, so the test sees which rule ran)

@irax.custom_vjp
def _scaled_sin(x):
    return jnp.sin(x)


_scaled_sin.defvjp(lambda x: (jnp.sin(x), jnp.cos(x)), lambda c, g: (10.0 * g * c,))


@irax.custom_jvp
def _scaled_exp(x):
    return jnp.exp(x)


_scaled_exp.defjvp(lambda p, t: (jnp.exp(p[0]), 7.0 * t[0] * jnp.exp(p[0])))


def _with_rules(x):
    return jnp.sum(_scaled_exp(2.0 * _scaled_sin(x)) ** 2)


def test_custom_jvp_and_custom_vjp_inside():
    x = np.array([0.3, -0.2], np.float32)
    h = np.exp(2 * np.sin(x))
    want = 2 * h * 7 * h * 2 * 10 * np.cos(x)
    for policy in (None, P.everything_saveable, P.dots_saveable):
        f = irax.checkpoint(_with_rules, policy=policy)
        np.testing.assert_allclose(np.asarray(irax.grad(f)(x)), want, rtol=1e-5)
    # forward mode through the custom_jvp rule
    _, t = irax.jvp(irax.checkpoint(lambda x: jnp.sum(_scaled_exp(x))), (x,),
                    (np.ones(2, np.float32),))
    np.testing.assert_allclose(float(t), np.sum(7 * np.exp(x)), rtol=1e-6)


def test_closure_over_outer_traced_value_and_nesting():
    # the checkpointed function closes over the differentiated `a`
    g = irax.grad(lambda a: irax.checkpoint(lambda x: jnp.sin(a * x))(2.0))(0.5)
    np.testing.assert_allclose(float(g), 2 * np.cos(1.0), rtol=1e-6)
    inner = irax.checkpoint(lambda x: jnp.sin(x) * x)
    outer = irax.checkpoint(lambda x: inner(jnp.cos(x)) ** 2)
    x = 0.4
    u = np.cos(x)
    want = 2 * np.sin(u) * u * (np.cos(u) * u + np.sin(u)) * -np.sin(x)
    np.testing.assert_allclose(float(irax.grad(outer)(x)), want, rtol=1e-6)
    assert _sources(saved_residuals(outer, x)) == ["from the argument x"]


def test_jvp_linearize_vmap():
    f = irax.checkpoint(lambda x, y: {"s": jnp.sin(x) * y, "c": jnp.cos(x)})
    x, y = np.array([0.2, 1.0], np.float32), np.array([3.0, -1.0], np.float32)
    out, t = irax.jvp(f, (x, y), (np.ones(2, np.float32), np.zeros(2, np.float32)))
    np.testing.assert_allclose(np.asarray(out["s"]), np.sin(x) * y, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(t["s"]), np.cos(x) * y, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(t["c"]), -np.sin(x), rtol=1e-6)
    _, f_lin = irax.linearize(lambda x: f(x, y)["s"], x)
    np.testing.assert_allclose(np.asarray(f_lin(np.full(2, 2.0, np.float32))),
                               2 * np.cos(x) * y, rtol=1e-6)
    g = irax.vmap(irax.grad(irax.checkpoint(lambda x: jnp.sin(x) ** 2)))(x)
    np.testing.assert_allclose(np.asarray(g), 2 * np.sin(x) * np.cos(x), rtol=1e-6)


def test_inside_scan_fori_loop_and_while_loop(x64):
    rng = np.random.default_rng(3)
    ws = rng.normal(size=(6, 3))
    c0 = rng.normal(size=(3,))

    def body(c, w):
        return jnp.tanh(c * w + 0.1), None

    def loss(c, ws, wrap):
        c, _ = lax.scan(wrap(body), c, ws)
        return jnp.sum(c * c)

    def loss_np(c, ws):
        for w in ws:
            c = np.tanh(c * w + 0.1)
        return np.sum(c * c)
    gc, gw = irax.grad(loss, argnums=(0, 1))(c0, ws, irax.checkpoint)
    np.testing.assert_allclose(np.asarray(gc), central_fd(lambda v: loss_np(v, ws), c0),
                               rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(np.asarray(gw), central_fd(lambda v: loss_np(c0, v), ws),
                               rtol=1e-6, atol=1e-9)
    # the checkpointed scan stores the carries only (stacked); the plain one also tanh's
    # output and 1 - output, the residuals of its jvp: JAX 0.10's counts, 5 and 3
    plain = saved_residuals(lambda c, w: loss(c, w, lambda f: f), c0, ws)
    ckpt = saved_residuals(lambda c, w: loss(c, w, irax.checkpoint), c0, ws)
    assert (len(plain), len(ckpt)) == (5, 3)

    def fl(x):
        step = irax.checkpoint(lambda c: jnp.sin(c) * 1.1)
        return jnp.sum(lax.fori_loop(0, 4, lambda i, c: step(c), x))

    def fl_np(x):
        for _ in range(4):
            x = np.sin(x) * 1.1
        return np.sum(x)
    np.testing.assert_allclose(np.asarray(irax.grad(fl)(c0)), central_fd(fl_np, c0),
                               rtol=1e-6, atol=1e-9)
    # while_loop: forward mode through a checkpointed body
    def wl(x):
        return lax.while_loop(lambda c: c[0] < 3,
                              lambda c: (c[0] + 1, irax.checkpoint(jnp.sin)(c[1])), (0, x))[1]
    _, t = irax.jvp(wl, (c0,), (np.ones(3),))
    want = np.cos(c0) * np.cos(np.sin(c0)) * np.cos(np.sin(np.sin(c0)))
    np.testing.assert_allclose(np.asarray(t), want, rtol=1e-9)


def test_static_argnums_kwargs_and_errors():
    def f(x, flag, scale=1.0):
        return jnp.sin(x) * scale if flag else jnp.cos(x) * scale
    fs = irax.checkpoint(f, static_argnums=(1,))
    np.testing.assert_allclose(float(irax.grad(fs)(0.5, True)), np.cos(0.5), rtol=1e-6)
    np.testing.assert_allclose(float(irax.grad(fs)(0.5, False, scale=2.0)),
                               -2 * np.sin(0.5), rtol=1e-6)
    fn = irax.checkpoint(f, static_argnames="flag")
    np.testing.assert_allclose(float(irax.grad(fn)(0.5, flag=True)), np.cos(0.5), rtol=1e-6)
    with pytest.raises(irax.ConcretizationTypeError, match="static_argnums"):
        irax.grad(irax.checkpoint(f))(0.5, True)
    with pytest.raises(ValueError, match="static_argnums"):
        irax.checkpoint(f, static_argnums=(3,))(0.5, True)
    with pytest.raises(TypeError, match="static"):
        irax.checkpoint(lambda x, s: x)(1.0, "a string")


def test_under_jit_with_optimization_barrier():
    def f(x):
        return jnp.sum(jnp.sin(jnp.sin(x)))
    x = np.array([0.2, 0.9, 2.0], np.float32)
    text = irax.jit(irax.grad(irax.checkpoint(f))).lower(x).as_text()
    assert "stablehlo.optimization_barrier" in text
    text = irax.jit(irax.grad(irax.checkpoint(f, prevent_cse=False))).lower(x).as_text()
    assert "stablehlo.optimization_barrier" not in text

    @irax.jit
    def grads(x, ws, c0):
        def body(c, w):
            return jnp.tanh(c * w + 0.1), None
        g1 = irax.grad(irax.checkpoint(f))(x)
        g2 = irax.grad(irax.checkpoint(_net, policy=P.dots_saveable), argnums=1)(
            x[:2].reshape(1, 2), jnp.ones((2, 2)))
        g3 = irax.grad(lambda c: jnp.sum(lax.scan(irax.checkpoint(body), c, ws)[0]))(c0)
        return g1, g2, g3
    rng = np.random.default_rng(4)
    ws, c0 = rng.normal(size=(4, 3)).astype(np.float32), rng.normal(size=(3,)).astype(np.float32)
    g1, g2, g3 = grads(x, ws, c0)
    np.testing.assert_allclose(np.asarray(g1), np.cos(np.sin(x)) * np.cos(x), rtol=1e-5)
    x2 = x[:2].astype(np.float64).reshape(1, 2)
    np.testing.assert_allclose(np.asarray(g2), central_fd(lambda v: _net_np(x2, v),
                                                          np.ones((2, 2))), rtol=1e-4)

    def scan_np(c):
        for w in ws.astype(np.float64):
            c = np.tanh(c * w + 0.1)
        return np.sum(c)
    np.testing.assert_allclose(np.asarray(g3), central_fd(scan_np, c0), rtol=1e-4, atol=1e-6)


def test_debug_print_runs_again_when_the_backward_pass_rematerializes_it(capsys):
    # JAX's rule: a print inside checkpoint is recomputed in the backward pass when the
    # policy does not save it, or when none of the values it prints is saved
    from irax.tracer.remat import name_p
    cp = irax.checkpoint_policies

    def f(x):
        y = irax.ad_checkpoint.checkpoint_name(x + 1.0, "y")
        z = irax.ad_checkpoint.checkpoint_name(y * 2.0, "z")
        irax.debug.print("y: {}, z: {}", y, z)
        return jnp.exp(z)

    def all_but(*names):
        return lambda prim, *_, **p: p["name"] not in names if prim is name_p else True
    for policy, times in [(cp.everything_saveable, 1), (cp.nothing_saveable, 2),
                          (cp.save_any_names_but_these("z"), 2), (all_but("y"), 1),
                          (all_but("y", "z"), 2)]:
        g = irax.grad(irax.checkpoint(f, policy=policy))(2.0)
        np.testing.assert_allclose(float(g), 2.0 * np.exp(6.0), rtol=1e-6)   # d/dx e^(2x+2)
        assert capsys.readouterr().out == "y: 3.0, z: 6.0\n" * times, policy
