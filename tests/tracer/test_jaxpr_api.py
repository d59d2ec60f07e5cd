"""JAX's jaxpr object API on irax's IR (issues 12/13): interpreters written against
jax.extend.core's names (eqn.invars / outvars / primitive / params, closed.literals,
Literal.val, primitive.bind / multiple_results) run on irax jaxprs; jaxprs print as
JAX 0.10 prints them; ShapeDtypeStruct.like and Array repr as JAX's.

Oracles: NumPy and analytic derivatives for the interpreters' values; JAX 0.10's printed
text, pasted here as strings (generated once with JAX 0.10.2), for the jaxprs whose
equations irax and JAX share; live JAX (test-only) for reprs and the layout engine."""
from __future__ import annotations

import random
import re
from functools import wraps

import jax
import jax.extend.core
import jax.numpy as jnp_ref
import numpy as np
import pytest

import irax
import irax.numpy as jnp
from irax import lax
from irax._src.util import safe_map
from irax.extend import core


# ---------------------------------------------------------------------------
# The notebook's interpreters, written only against JAX's names


def eval_jaxpr(jaxpr, consts, *args):
    env = {}

    def read(var):
        if type(var) is core.Literal:
            return var.val
        return env[var]

    def write(var, val):
        env[var] = val

    safe_map(write, jaxpr.invars, args)
    safe_map(write, jaxpr.constvars, consts)
    for eqn in jaxpr.eqns:
        outvals = eqn.primitive.bind(*safe_map(read, eqn.invars), **eqn.params)
        if not eqn.primitive.multiple_results:
            outvals = [outvals]
        safe_map(write, eqn.outvars, outvals)
    return safe_map(read, jaxpr.outvars)


inverse_registry = {lax.exp_p: jnp.log, lax.tanh_p: jnp.arctanh}


def inverse_jaxpr(jaxpr, consts, *args):
    env = {}

    def read(var):
        return var.val if type(var) is core.Literal else env[var]

    def write(var, val):
        env[var] = val

    safe_map(write, jaxpr.outvars, args)
    safe_map(write, jaxpr.constvars, consts)
    for eqn in jaxpr.eqns[::-1]:
        invals = safe_map(read, eqn.outvars)
        if eqn.primitive not in inverse_registry:
            raise NotImplementedError(f"{eqn.primitive} does not have registered inverse.")
        safe_map(write, eqn.invars, [inverse_registry[eqn.primitive](*invals)])
    return safe_map(read, jaxpr.invars)


def inverse(fun):
    @wraps(fun)
    def wrapped(*args):
        closed = irax.make_jaxpr(fun)(*args)
        return inverse_jaxpr(closed.jaxpr, closed.literals, *args)[0]
    return wrapped


def f_exp_tanh(x):
    return jnp.exp(jnp.tanh(x))


def test_eval_interpreter_matches_numpy():
    c = np.array([0.5, -1.0, 2.0], np.float32)     # a closure constant: a constvar

    def bar(w, b, x):
        return jnp.dot(w, x) + b + jnp.ones(3) * c + 1.0, x * 2
    rng = np.random.default_rng(0)
    w, b, x = (rng.standard_normal(s).astype(np.float32) for s in [(3, 4), (3,), (4,)])
    closed = irax.make_jaxpr(bar)(w, b, x)
    assert len(closed.literals) == len(closed.jaxpr.constvars) == 1
    assert closed.literals is closed.consts
    assert any(type(a) is core.Literal for e in closed.jaxpr.eqns for a in e.invars)
    out = eval_jaxpr(closed.jaxpr, closed.literals, w, b, x)
    np.testing.assert_allclose(np.asarray(out[0]), w @ x + b + c + 1.0, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(out[1]), x * 2, rtol=0)
    # jax.extend.core.jaxpr_as_fun: the same evaluation, curried as JAX's
    np.testing.assert_allclose(np.asarray(core.jaxpr_as_fun(closed)(w, b, x)[0]),
                               w @ x + b + c + 1.0, rtol=1e-5)


def test_inverse_interpreter_and_transformations_of_it():
    xs = np.array([0.2, 0.4, 0.6, 0.8, 1.0], np.float32)
    ys = np.exp(np.tanh(xs))
    f_inv = inverse(f_exp_tanh)
    np.testing.assert_allclose(np.asarray(f_inv(jnp.asarray(ys))), xs, rtol=1e-5)
    assert str(irax.make_jaxpr(f_inv)(f_exp_tanh(1.0))) == (
        "{ lambda ; a:f32[]. let b:f32[] = log a; c:f32[] = atanh b in (c,) }")
    # d/dy arctanh(log y) = 1 / (y (1 - log(y)^2)); transformations compose with it
    d = irax.jit(irax.vmap(irax.grad(f_inv)))(jnp.asarray(ys))
    np.testing.assert_allclose(np.asarray(d), 1 / (ys * (1 - np.log(ys) ** 2)), rtol=1e-4)
    with pytest.raises(NotImplementedError, match="sin does not have registered inverse"):
        inverse(jnp.sin)(0.5)


# ---------------------------------------------------------------------------
# The object API, name by name


def test_object_api_names_and_reprs():
    closed = irax.make_jaxpr(lambda x: x + 1)(5)
    jaxpr = closed.jaxpr
    (eqn,) = jaxpr.eqns
    assert eqn.invars is eqn.inputs and eqn.outvars is eqn.outputs   # irax's names stay
    assert eqn.primitive is lax.add_p is core.primitives.add_p and eqn.params == {}
    assert not eqn.primitive.multiple_results
    var, lit = eqn.invars
    assert var is jaxpr.invars[0] and type(var) is core.Var and type(lit) is core.Literal
    assert var.aval.shape == () and var.aval.dtype == np.int32
    assert lit.aval.weak_type and int(lit.val) == 1 and lit.val.dtype == np.int32
    # JAX 0.10's reprs (a Var's id is its address there too)
    assert re.fullmatch(r"Var\(id=\d+\):int32\[\]", repr(var))
    assert repr(lit) == "Literal(TypedInt(1, dtype=int32))"
    bcast = irax.make_jaxpr(lambda b: b + jnp.ones(5))(jnp.ones(5)).jaxpr.eqns[0]
    assert bcast.primitive.name == "broadcast_in_dim" and repr(bcast.invars[0]) == "Literal(1.0)"
    assert re.fullmatch(r"Var\(id=\d+\):float32\[5\]", repr(bcast.outvars[0]))
    # str(eqn) as JAX's: a fresh naming, binders first
    e = irax.make_jaxpr(f_exp_tanh)(jnp.ones(5)).jaxpr.eqns[0]
    e_ref = jax.make_jaxpr(lambda x: jnp_ref.exp(jnp_ref.tanh(x)))(jnp_ref.ones(5)).eqns[0]
    assert str(e) == str(e_ref) == "a:f32[5] = tanh b"
    # replace with JAX's field names; the copy is checked by check_jaxpr
    bad = jaxpr.replace(eqns=[eqn.replace(outvars=[core.Var(irax.typeof(jnp.ones(2)))])])
    assert bad.eqns[0].inputs is eqn.inputs
    with pytest.raises(core.JaxprTypeError):
        core.check_jaxpr(bad)
    core.check_jaxpr(closed)
    new = core.new_jaxpr_eqn(eqn.invars, eqn.outvars, lax.mul_p, {}, core.no_effects)
    np.testing.assert_array_equal(
        np.asarray(eval_jaxpr(jaxpr.replace(eqns=[new]), [], 7)[0]), 7)
    assert closed.eqns is jaxpr.eqns and closed.invars is jaxpr.invars
    assert core.primal_dtype_to_tangent_dtype(np.int32) == \
        jax.extend.core.primal_dtype_to_tangent_dtype(np.int32)
    assert core.primal_dtype_to_tangent_dtype(np.float32) == np.float32


def test_safe_map_checks_lengths_as_jax():
    from jax._src.util import safe_map as ref_map
    with pytest.raises(ValueError) as mine:
        safe_map(lambda a, b: a, [1, 2], [1])
    with pytest.raises(ValueError) as ref:
        ref_map(lambda a, b: a, [1, 2], [1])
    assert str(mine.value) == str(ref.value)
    assert safe_map(lambda a, b: a * b, [1, 2], [3, 4]) == [3, 8]


# ---------------------------------------------------------------------------
# Printing: JAX 0.10's text for the same functions


def inner(x):
    return jnp.sin(x) * x


def inner_unused(x):
    jnp.sin(x)          # traced, never read
    return x * x


def b(x):
    return jnp.sin(x) * x


def big(x):
    for _ in range(6):
        x = jnp.sin(x) * x
    return x


def _cond(x):
    return lax.cond(x >= 0.0, lambda y: y + 3.0, lambda y: y - 3.0, x)


PRINT_CASES = {
    "one_line": (lambda: irax.make_jaxpr(f_exp_tanh)(jnp.ones(5)),
                 "{ lambda ; a:f32[5]. let b:f32[5] = tanh a; c:f32[5] = exp b in (c,) }"),
    "int_literal": (lambda: irax.make_jaxpr(lambda x: x + 1)(5),
                    "{ lambda ; a:i32[]. let b:i32[] = add a 1:i32[] in (b,) }"),
    "empty_body": (lambda: irax.make_jaxpr(lambda x: x)(jnp.arange(3)),
                   "{ lambda ; a:i32[3]. let  in (a,) }"),
    "scalar_literal_types": (
        lambda: irax.make_jaxpr(lambda x: jnp.log(x) / jnp.log(2.0))(3.0),
        "{ lambda ; a:f32[]. let\n    b:f32[] = log a\n    c:f32[] = log 2.0:f32[]\n"
        "    d:f32[] = div b c\n  in (d,) }"),
    "float32_literal_digits": (
        lambda: irax.make_jaxpr(lambda x: x * 0.1 + 1e-8)(jnp.float32(2.0)),
        "{ lambda ; a:f32[]. let\n    b:f32[] = mul a 0.10000000149011612:f32[]\n"
        "    c:f32[] = add b 9.99999993922529e-09:f32[]\n  in (c,) }"),
    "cond_branches_block": (lambda: irax.make_jaxpr(_cond)(1.0), """\
{ lambda ; a:f32[]. let
    b:bool[] = ge a 0.0:f32[]
    c:i32[] = convert_element_type[new_dtype=int32 weak_type=False] b
    d:f32[] = cond[
      branches=(
        { lambda ; e:f32[]. let f:f32[] = sub e 3.0:f32[] in (f,) }
        { lambda ; g:f32[]. let h:f32[] = add g 3.0:f32[] in (h,) }
      )
    ] c a
  in (d,) }"""),
    "fori_while_dropvars": (
        lambda: irax.make_jaxpr(
            lambda x, n: lax.fori_loop(0, n, lambda i, c: c * 2.0 + i, x))(1.0, 3), """\
{ lambda ; a:f32[] b:i32[]. let
    _:i32[] _:i32[] c:f32[] = while[
      body_jaxpr={ lambda ; d:i32[] e:i32[] f:f32[]. let
          g:i32[] = add d 1:i32[]
          h:f32[] = mul f 2.0:f32[]
          i:f32[] = convert_element_type[new_dtype=float32 weak_type=True] d
          j:f32[] = add h i
        in (g, e, j) }
      body_nconsts=0
      cond_jaxpr={ lambda ; k:i32[] l:i32[] m:f32[]. let
          n:bool[] = lt k l
        in (n,) }
      cond_nconsts=0
    ] 0:i32[] b a
  in (c,) }"""),
    "long_binder_list_wraps": (
        lambda: irax.make_jaxpr(lambda *a: sum(a[1:], a[0]))(
            *[np.float32(i) for i in range(12)]), """\
{ lambda ; a:f32[] b:f32[] c:f32[] d:f32[] e:f32[] f:f32[] g:f32[] h:f32[] i:f32[]
    j:f32[] k:f32[] l:f32[]. let
    m:f32[] = add a b
    n:f32[] = add m c
    o:f32[] = add n d
    p:f32[] = add o e
    q:f32[] = add p f
    r:f32[] = add q g
    s:f32[] = add r h
    t:f32[] = add s i
    u:f32[] = add t j
    v:f32[] = add u k
    w:f32[] = add v l
  in (w,) }"""),
    "jit_names_follow_caller": (
        lambda: irax.make_jaxpr(lambda x: irax.jit(inner)(x) + x)(1.0), """\
{ lambda ; a:f32[]. let
    b:f32[] = jit[
      name=inner
      jaxpr={ lambda ; a:f32[]. let c:f32[] = sin a; b:f32[] = mul c a in (b,) }
    ] a
    d:f32[] = add b a
  in (d,) }"""),
    "only_top_level_binders_drop": (
        lambda: irax.make_jaxpr(lambda x: irax.jit(inner_unused)(x) + x)(1.0), """\
{ lambda ; a:f32[]. let
    b:f32[] = jit[
      name=inner_unused
      jaxpr={ lambda ; a:f32[]. let c:f32[] = sin a; b:f32[] = mul a a in (b,) }
    ] a
    d:f32[] = add b a
  in (d,) }"""),
    "dropped_result_names_the_body_outvar": (
        lambda: irax.make_jaxpr(lambda x: (irax.jit(inner_unused)(x), x)[1])(1.0), """\
{ lambda ; a:f32[]. let
    _:f32[] = jit[
      name=inner_unused
      jaxpr={ lambda ; a:f32[]. let b:f32[] = sin a; _:f32[] = mul a a in (_,) }
    ] a
  in (a,) }"""),
    "jit_twice_is_shared": (
        lambda: irax.make_jaxpr(
            lambda x: irax.jit(inner)(x) * irax.jit(inner)(x + 1.0))(1.0), """\
let inner = { lambda ; a:f32[]. let b:f32[] = sin a; c:f32[] = mul b a in (c,) } in
{ lambda ; d:f32[]. let
    e:f32[] = jit[name=inner jaxpr=inner] d
    f:f32[] = add d 1.0:f32[]
    g:f32[] = jit[name=inner jaxpr=inner] f
    h:f32[] = mul e g
  in (h,) }"""),
    "shared_name_is_no_var_name": (
        lambda: irax.make_jaxpr(lambda x: irax.jit(b)(x) * irax.jit(b)(x + 1.0))(1.0), """\
let b = { lambda ; a:f32[]. let c:f32[] = sin a; d:f32[] = mul c a in (d,) } in
{ lambda ; e:f32[]. let
    f:f32[] = jit[name=b jaxpr=b] e
    g:f32[] = add e 1.0:f32[]
    h:f32[] = jit[name=b jaxpr=b] g
    i:f32[] = mul f h
  in (i,) }"""),
    "big_jit_body_is_shared": (
        lambda: irax.make_jaxpr(lambda x: irax.jit(big)(x) + 1.0)(1.0), """\
let big = { lambda ; a:f32[]. let
    b:f32[] = sin a
    c:f32[] = mul b a
    d:f32[] = sin c
    e:f32[] = mul d c
    f:f32[] = sin e
    g:f32[] = mul f e
    h:f32[] = sin g
    i:f32[] = mul h g
    j:f32[] = sin i
    k:f32[] = mul j i
    l:f32[] = sin k
    m:f32[] = mul l k
  in (m,) } in
{ lambda ; n:f32[]. let
    o:f32[] = jit[name=big jaxpr=big] n
    p:f32[] = add o 1.0:f32[]
  in (p,) }"""),
}


@pytest.mark.parametrize("case", sorted(PRINT_CASES))
def test_jaxpr_text_is_jax_0_10s(case):
    make, expected = PRINT_CASES[case]
    closed = make()
    assert str(closed) == expected
    assert repr(closed) == expected and str(closed.jaxpr) == expected


def test_layout_engine_agrees_with_jax_on_random_documents():
    """irax's layout rule against JAX's own printer (jax._src.pretty_printer), on random
    documents of text, breaks, nests and groups, at several widths."""
    from jax._src import pretty_printer as ref
    from irax.tracer import pretty as mine

    def build(depth, r):
        k = r.random()
        if depth == 0 or k < 0.3:
            s = r.choice(["a", "bb", "ccc ", "x" * r.randint(1, 15), ""])
            return ref.text(s), mine.text(s)
        if k < 0.45:
            t = r.choice([" ", "", "; ", ","])
            return ref.brk(t), mine.Break(t)
        if k < 0.7:
            kids = [build(depth - 1, r) for _ in range(r.randint(0, 4))]
            return ref.concat([a for a, _ in kids]), mine.concat([b for _, b in kids])
        a, b = build(depth - 1, r)
        if k < 0.85:
            n = r.randint(0, 4)
            return ref.nest(n, a), mine.Nest(n, b)
        return ref.group(a), mine.Group(b)

    for seed in range(400):
        r = random.Random(seed)
        a, b = build(6, r)
        width = r.choice([5, 10, 20, 40, 80])
        assert b.format(width) == a.format(width, use_color=False), seed


# ---------------------------------------------------------------------------
# ShapeDtypeStruct.like and Array repr, against live JAX


def test_shape_dtype_struct_like_as_jax():
    cases = [lambda np_: np_.ones(3), lambda np_: 1.0, lambda np_: 3, lambda np_: True,
             lambda np_: np.ones((2, 3), np.int64), lambda np_: np.float32(2.0)]
    for case in cases:
        mine = irax.ShapeDtypeStruct.like(case(jnp))
        ref = jax.ShapeDtypeStruct.like(case(jnp_ref))
        assert repr(mine) == repr(ref)
        assert (mine.shape, mine.dtype, mine.weak_type) == (ref.shape, ref.dtype, ref.weak_type)
    s = irax.ShapeDtypeStruct((2, 3), "float32", weak_type=True)
    assert repr(irax.ShapeDtypeStruct.like(s)) == repr(s) == \
        "ShapeDtypeStruct(shape=(2, 3), dtype=float32, weak_type=True)"
    assert s != irax.ShapeDtypeStruct((2, 3), "float32") and (s.size, s.ndim) == (6, 2)
    assert repr(irax.eval_shape(lambda x: x * 2, irax.ShapeDtypeStruct.like(1.0))) == \
        repr(jax.eval_shape(lambda x: x * 2, jax.ShapeDtypeStruct.like(1.0)))
    with pytest.raises(TypeError, match="not a valid JAX type"):
        irax.ShapeDtypeStruct.like("text")


def test_array_repr_as_jax():
    cases = [np.zeros((0,), np.float32), np.zeros((2, 0), np.int32),
             np.arange(2000, dtype=np.float32) * 525.3,
             (np.arange(5, dtype=np.float32) + 1) / 7, np.arange(12).reshape(3, 4)]
    with np.printoptions(precision=4):
        for c in cases:
            assert repr(jnp.asarray(c)) == repr(jnp_ref.asarray(c))
        # a weakly typed result whose dtype would overrun the line: set off, not wrapped
        assert repr((jnp.arange(5) + 1.) / 7 * 15.5849) == \
            repr((jnp_ref.arange(5) + 1.) / 7 * 15.5849)


@pytest.fixture
def multiply_add_p():
    """A new primitive, taken out of irax's rule tables again afterwards (the rule coverage
    test checks every registered primitive for its transformation rules)."""
    from irax.tracer import core as tracer_core
    prim = core.Primitive("multiply_add")
    yield prim
    tracer_core.impl_rules.pop(prim, None)
    tracer_core.abstract_eval_rules.pop(prim, None)


def test_new_primitive_through_def_impl_and_def_abstract_eval(multiply_add_p):
    """jax.extend.core.Primitive's way to add a primitive (JAX's "How primitives work"):
    eager values from the NumPy impl, the aval from the abstract rule, in jaxprs by name."""

    @multiply_add_p.def_impl
    def _impl(x, y, z):
        return np.add(np.multiply(x, y), z)

    @multiply_add_p.def_abstract_eval
    def _abstract(x, y, z):
        return x

    x = np.array([1.0, -2.0, 3.5], np.float32)
    out = multiply_add_p.bind(x, 2.0, x)
    assert isinstance(out, irax.Array) and out.dtype == np.float32
    np.testing.assert_array_equal(np.asarray(out), x * 2.0 + x)
    closed = irax.make_jaxpr(lambda a, b: multiply_add_p.bind(a, b, a))(x, x)
    assert str(closed) == \
        "{ lambda ; a:f32[3] b:f32[3]. let c:f32[3] = multiply_add a b a in (c,) }"
    np.testing.assert_array_equal(np.asarray(eval_jaxpr(closed.jaxpr, [], x, x)[0]), x * x + x)
