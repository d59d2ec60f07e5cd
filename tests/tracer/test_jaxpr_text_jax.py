"""irax.make_jaxpr prints what jax.make_jaxpr (JAX 0.10.2) prints for the programs of JAX's
docs: each case's expected text is JAX's output for the same program, written down here.

The programs are written once over (J, jnp, lax) = (irax, irax.numpy, irax.lax), as a JAX
user writes them over (jax, jax.numpy, jax.lax). Tracing only: nothing is compiled.
"""
import numpy as np
import pytest

import irax
import irax.lax
import irax.numpy

f32 = np.float32
x3 = np.arange(3, dtype=f32)
x23 = np.arange(6, dtype=f32).reshape(2, 3)
x33 = np.arange(9, dtype=f32).reshape(3, 3)
i3 = np.arange(3, dtype=np.int32)

CASES = []


def case(expected):
    def register(program):
        CASES.append(pytest.param(program, expected.strip("\n"), id=program.__name__))
        return program
    return register


@case('''
{ lambda ; a:f32[3]. let b:f32[3] = mul a 2.0:f32[] in (b,) }''')
def mul_scalar(J, jnp, lax): return (lambda x: x * 2.0), (x3,)


@case('''
{ lambda ; a:i32[3]. let
    b:i32[3] = mul a 2:i32[]
    c:i32[3] = add b 1:i32[]
  in (c,) }''')
def int_arith(J, jnp, lax): return (lambda x: x * 2 + 1), (i3,)


@case('''
{ lambda ; a:f32[3]. let b:f32[3] = sub 1.0:f32[] a in (b,) }''')
def rsub_scalar(J, jnp, lax): return (lambda x: 1.0 - x), (x3,)


@case('''
{ lambda ; a:f32[3]. let
    b:bool[3] = gt a 1.0:f32[]
    c:bool[3] = lt a 2.0:f32[]
    d:bool[3] = and b c
  in (d,) }''')
def bool_and(J, jnp, lax): return (lambda x: (x > 1.0) & (x < 2.0)), (x3,)


@case('''
{ lambda ; a:f32[3]. let
    b:f32[3] = exp a
    c:f32[3] = add b 1.0:f32[]
    d:f32[3] = log c
  in (d,) }''')
def exp_log(J, jnp, lax): return (lambda x: jnp.log(jnp.exp(x) + 1.0)), (x3,)


@case('''
{ lambda ; a:f32[2,3]. let
    b:f32[3] = reduce_sum[axes=(0,) out_sharding=None] a
  in (b,) }''')
def sum_axis(J, jnp, lax): return (lambda x: jnp.sum(x, axis=0)), (x23,)


@case('''
{ lambda ; a:f32[2,3]. let
    b:f32[2] = reduce_sum[axes=(1,) out_sharding=None] a
    c:f32[2] = div b 3.0:f32[]
  in (c,) }''')
def mean_axis(J, jnp, lax): return (lambda x: jnp.mean(x, axis=1)), (x23,)


@case('''
{ lambda ; a:f32[2,3] b:f32[3]. let
    c:f32[2] = dot_general[
      dimension_numbers=(([1], [0]), ([], []))
      preferred_element_type=float32
    ] a b
  in (c,) }''')
def dot_mv(J, jnp, lax): return (lambda a, x: jnp.dot(a, x)), (x23, x3)


@case('''
{ lambda ; a:f32[2,3] b:f32[3,3]. let
    c:f32[2,3] = dot_general[
      dimension_numbers=(([1], [0]), ([], []))
      preferred_element_type=float32
    ] a b
  in (c,) }''')
def matmul(J, jnp, lax): return (lambda a, b: a @ b), (x23, x33)


@case('''
{ lambda ; a:f32[2,3]. let
    b:f32[3,2] = reshape[dimensions=None new_sizes=(3, 2) sharding=None] a
  in (b,) }''')
def reshape(J, jnp, lax): return (lambda x: jnp.reshape(x, (3, 2))), (x23,)


@case('''
{ lambda ; a:f32[2,3]. let
    b:f32[1,1] = slice[limit_indices=(1, 2) start_indices=(0, 1) strides=None] a
    c:f32[] = squeeze[dimensions=(0, 1)] b
  in (c,) }''')
def index_2d(J, jnp, lax): return (lambda x: x[0, 1]), (x23,)


@case('''
{ lambda ; a:f32[3] b:i32[]. let
    c:bool[] = lt b 0:i32[]
    d:i32[] = add b 3:i32[]
    e:i32[] = select_n c b d
    f:f32[1] = dynamic_slice[slice_sizes=(1,)] a e
    g:f32[] = squeeze[dimensions=(0,)] f
  in (g,) }''')
def index_traced(J, jnp, lax): return (lambda x, i: x[i]), (x3, np.int32(1))


@case('''
{ lambda ; a:f32[3]. let
    b:f32[3,1] = broadcast_in_dim[broadcast_dimensions=(0,)] a
  in (b,) }''')
def expand_dims(J, jnp, lax): return (lambda x: x[:, None]), (x3,)


@case('''
{ lambda ; a:f32[3]. let
    b:f32[3] = jit[
      name=inner
      jaxpr={ lambda ; a:f32[3]. let
          c:f32[3] = sin a
          b:f32[3] = mul c 2.0:f32[]
        in (b,) }
    ] a
    d:f32[3] = add b 1.0:f32[]
  in (d,) }''')
def jit_in_jit(J, jnp, lax):
    @J.jit
    def inner(x):
        return jnp.sin(x) * 2.0
    def outer(x):
        return inner(x) + 1.0
    return outer, (x3,)


@case('''
{ lambda ; a:f32[3]. let
    b:f32[3] = remat2[
      differentiated=False
      jaxpr={ lambda ; c:f32[3]. let
          d:f32[3] = sin c
          e:f32[3] = sin d
        in (e,) }
      policy=None
      prevent_cse=True
    ] a
  in (b,) }''')
def checkpoint(J, jnp, lax):
    return J.checkpoint(lambda x: jnp.sin(jnp.sin(x))), (x3,)


@case('''
{ lambda ; a:f32[]. let
    b:f32[] = sin a
    _:f32[] = sin b
    c:f32[] = remat2[
      differentiated=True
      jaxpr={ lambda ; d:f32[] e:f32[]. let
          f:f32[] = sin d
          g:f32[] = cos d
          h:f32[] = cos f
          i:f32[] = mul e h
          j:f32[] = mul i g
        in (j,) }
      policy=None
      prevent_cse=True
    ] a 1.0:f32[]
  in (c,) }''')
def grad_checkpoint(J, jnp, lax):
    return J.grad(J.checkpoint(lambda x: jnp.sin(jnp.sin(x)))), (f32(1.0),)


@case('''
{ lambda ; a:f32[3]. let
    b:f32[3] = tanh a
    c:f32[3] = sub 1.0:f32[] b
    _:f32[] = reduce_sum[axes=(0,) out_sharding=None] b
    d:f32[3] = broadcast_in_dim 1.0:f32[]
    e:f32[3] = mul d c
    f:f32[3] = mul e b
    g:f32[3] = add_any e f
  in (g,) }''')
def grad_tanh_sum(J, jnp, lax): return J.grad(lambda x: jnp.sum(jnp.tanh(x))), (x3,)


@case('''
{ lambda ; a:f32[3] b:f32[2,3]. let
    c:f32[2] = dot_general[
      dimension_numbers=(([1], [0]), ([], []))
      preferred_element_type=float32
    ] b a
    d:f32[2] = integer_pow[y=2] c
    e:f32[2] = mul 2.0:f32[] c
    _:f32[] = reduce_sum[axes=(0,) out_sharding=None] d
    f:f32[2] = broadcast_in_dim 1.0:f32[]
    g:f32[2] = mul f e
    h:f32[3] = dot_general[
      dimension_numbers=(([0], [0]), ([], []))
      preferred_element_type=float32
    ] g b
  in (h,) }''')
def grad_docs_loss(J, jnp, lax):
    def loss(w, x):
        return jnp.sum((x @ w) ** 2)
    return J.grad(loss), (x3, x23)


@case('''
{ lambda ; a:f32[3]. let
    b:f32[3] = mul a a
    c:f32[] = reduce_sum[axes=(0,) out_sharding=None] b
    d:f32[3] = broadcast_in_dim 1.0:f32[]
    e:f32[3] = mul a d
    f:f32[3] = mul d a
    g:f32[3] = add_any e f
  in (c, g) }''')
def value_and_grad(J, jnp, lax): return J.value_and_grad(lambda x: jnp.sum(x * x)), (x3,)


@case('''
{ lambda ; a:f32[] b:f32[2,3]. let c:f32[2,3] = mul a b in (c,) }''')
def vmap_in_axes(J, jnp, lax): return J.vmap(lambda a, x: a * x, in_axes=(None, 0)), (f32(2.0), x23)


@case('''
{ lambda ; a:f32[2,3] b:f32[2,3]. let
    c:f32[2] = dot_general[
      dimension_numbers=(([1], [1]), ([0], [0]))
      preferred_element_type=float32
    ] a b
  in (c,) }''')
def vmap_dot(J, jnp, lax): return J.vmap(lambda a, b: jnp.dot(a, b)), (x23, x23)


@case('''
{ lambda ; a:f32[3] b:f32[3]. let
    c:f32[3] = sin a
    d:f32[3] = cos a
    e:f32[3] = mul b d
  in (c, e) }''')
def jvp_sin(J, jnp, lax): return (lambda x, t: J.jvp(jnp.sin, (x,), (t,))), (x3, x3)


@case('''
{ lambda ; a:f32[]. let
    b:bool[] = ge a 0.0:f32[]
    c:i32[] = convert_element_type[new_dtype=int32 weak_type=False] b
    d:f32[] = cond[
      branches=(
        { lambda ; e:f32[]. let f:f32[] = sub e 3.0:f32[] in (f,) }
        { lambda ; g:f32[]. let h:f32[] = add g 3.0:f32[] in (h,) }
      )
    ] c a
  in (d,) }''')
def docs_func7(J, jnp, lax):
    def func7(arg):
        return lax.cond(arg >= 0., lambda xtrue: xtrue + 3., lambda xfalse: xfalse - 3., arg)
    return func7, (5.,)


@case('''
{ lambda ; a:f32[16] b:i32[]. let
    c:f32[16] = broadcast_in_dim 1.0:f32[]
    d:f32[16] = add a c
    _:i32[] _:i32[] e:f32[16] = while[
      body_jaxpr={ lambda ; f:f32[16] g:f32[16] h:i32[] i:i32[] j:f32[16]. let
          k:i32[] = add h 1:i32[]
          l:f32[16] = mul f 3.0:f32[]
          m:f32[16] = add j l
          n:f32[16] = add m g
        in (k, i, n) }
      body_nconsts=2
      cond_jaxpr={ lambda ; o:i32[] p:i32[] q:f32[16]. let
          r:bool[] = lt o p
        in (r,) }
      cond_nconsts=0
    ] c a 0:i32[] b d
  in (e,) }''')
def docs_func10(J, jnp, lax):
    def func10(arg, n):
        ones = jnp.ones(arg.shape)
        return lax.fori_loop(0, n, lambda i, carry: carry + ones * 3. + arg, arg + ones)
    return func10, (np.ones(16, f32), 5)


@case('''
{ lambda ; a:f32[]. let
    _:i32[] b:f32[] = scan[
      jaxpr={ lambda ; c:i32[] d:f32[]. let
          e:i32[] = add c 1:i32[]
          f:f32[] = convert_element_type[new_dtype=float32 weak_type=False] c
          g:f32[] = add d f
        in (e, g) }
      length=10
      num_carry=2
      num_consts=0
      reverse=False
      unroll=1
    ] 0:i32[] a
  in (b,) }''')
def fori_loop(J, jnp, lax):
    return (lambda x: lax.fori_loop(0, 10, lambda i, c: c + i, x)), (f32(0.0),)


@case('''
{ lambda ; a:f32[]. let
    b:f32[] = while[
      body_jaxpr={ lambda ; c:f32[]. let d:f32[] = add c 1.0:f32[] in (d,) }
      body_nconsts=0
      cond_jaxpr={ lambda ; e:f32[]. let f:bool[] = lt e 10.0:f32[] in (f,) }
      cond_nconsts=0
    ] a
  in (b,) }''')
def while_loop(J, jnp, lax):
    return (lambda x: lax.while_loop(lambda c: c < 10.0, lambda c: c + 1.0, x)), (f32(0.0),)


@case('''
{ lambda ; a:f32[3]. let
    b:f32[3] = sin a
    c:f32[3] = sin b
    d:f32[3] = sin c
    e:f32[3] = sin d
    f:f32[3] = sin e
    g:f32[3] = sin f
    h:f32[3] = sin g
    i:f32[3] = sin h
    j:f32[3] = sin i
    k:f32[3] = sin j
    l:f32[3] = sin k
    m:f32[3] = sin l
    n:f32[3] = sin m
    o:f32[3] = sin n
    p:f32[3] = sin o
    q:f32[3] = sin p
    r:f32[3] = sin q
    s:f32[3] = sin r
    t:f32[3] = sin s
    u:f32[3] = sin t
    v:f32[3] = sin u
    w:f32[3] = sin v
    x:f32[3] = sin w
    y:f32[3] = sin x
    z:f32[3] = sin y
    ba:f32[3] = sin z
    bb:f32[3] = sin ba
    bc:f32[3] = sin bb
    bd:f32[3] = sin bc
    be:f32[3] = sin bd
  in (be,) }''')
def many_vars(J, jnp, lax):
    def f(x):
        for _ in range(30):
            x = jnp.sin(x)
        return x
    return f, (x3,)


@case('''
{ lambda a:f32[3]; b:f32[3]. let c:f32[3] = add b a in (c,) }''')
def np_const(J, jnp, lax):
    c = np.array([1.0, 2.0, 3.0], f32)
    return (lambda x: x + c), (x3,)


@case('''
{ lambda ; a:f32[3]. let
    b:f32[3] = add a 1.0:f32[]
    c:f32[3] = mul a 2.0:f32[]
  in (b, a, c) }''')
def pytree_out(J, jnp, lax): return (lambda x: {"a": x + 1.0, "b": (x, x * 2.0)}), (x3,)


@case('''
{ lambda ; a:i32[] b:f32[3]. let
    c:i32[] = clamp 0:i32[] a 2:i32[]
    d:f32[3] = cond[
      branches=(
        { lambda ; e:f32[3]. let f:f32[3] = sin e in (f,) }
        { lambda ; g:f32[3]. let h:f32[3] = cos g in (h,) }
        { lambda ; i:f32[3]. let j:f32[3] = exp i in (j,) }
      )
    ] c b
  in (d,) }''')
def switch(J, jnp, lax):
    return (lambda i, x: lax.switch(i, [jnp.sin, jnp.cos, jnp.exp], x)), (np.int32(1), x3)


@case('''
{ lambda ; a:f32[3] b:i32[]. let
    c:bool[] = lt b 0:i32[]
    d:i32[] = add b 3:i32[]
    e:i32[] = select_n c b d
    f:f32[2] = dynamic_slice[slice_sizes=(2,)] a e
  in (f,) }''')
def lax_dynamic_slice(J, jnp, lax):
    return (lambda x, i: lax.dynamic_slice(x, (i,), (2,))), (x3, np.int32(0))


@case('''
{ lambda ; a:bool[3] b:f32[3] c:f32[3]. let d:f32[3] = select_n a c b in (d,) }''')
def lax_select(J, jnp, lax): return (lambda p, x, y: lax.select(p, x, y)), (np.array([True, False, True]), x3, x3)


@case('''
{ lambda ; a:f32[2,3]. let
    b:i32[3] = argmin[axes=(0,) index_dtype=int32] a
  in (b,) }''')
def argmin_axis(J, jnp, lax): return (lambda x: jnp.argmin(x, axis=0)), (x23,)


@case('''
{ lambda ; a:f32[3]. let
    b:f32[3] = iota[dimension=0 dtype=float32 shape=(3,) sharding=None] 
    c:f32[3] = add a b
  in (c,) }''')
def arange_const(J, jnp, lax): return (lambda x: x + jnp.arange(3.0)), (x3,)


@case('''
{ lambda ; a:f32[]. let
    b:f32[] = log a
    c:f32[] = log 2.0:f32[]
    d:f32[] = div b c
  in (d,) }''')
def docs_log2(J, jnp, lax):
    def log2(x):
        ln_x = jnp.log(x)
        ln_2 = jnp.log(2.0)
        return ln_x / ln_2
    return log2, (3.0,)


@case('''
{ lambda ; a:i32[3]. let
    b:f32[3] = convert_element_type[new_dtype=float32 weak_type=False] a
    c:f32[3] = div b 2.0:f32[]
  in (c,) }''')
def int_truediv(J, jnp, lax): return (lambda x: x / 2), (i3,)


@case('''
{ lambda ; a:f32[3] b:f32[3]. let
    c:f32[3,1] = broadcast_in_dim[broadcast_dimensions=(0,)] a
    d:f32[1,3] = broadcast_in_dim[broadcast_dimensions=(1,)] b
    e:f32[3,3] = mul c d
  in (e,) }''')
def outer_product(J, jnp, lax): return (lambda x, y: jnp.outer(x, y)), (x3, x3)


@case('''
{ lambda ; a:f32[3,3] b:f32[3] c:f32[2,3]. let
    d:f32[2,3] = dot_general[
      dimension_numbers=(([1], [0]), ([], []))
      preferred_element_type=float32
    ] c a
    e:f32[1,3] = broadcast_in_dim[broadcast_dimensions=(1,)] b
    f:f32[2,3] = add d e
    g:f32[2,3] = tanh f
  in (g,) }''')
def linear_layer(J, jnp, lax):
    return (lambda w, b, x: jnp.tanh(x @ w + b)), (x33, x3, x23)


@case('''
{ lambda ; a:f32[2,3]. let
    b:f32[2] = reduce_max[axes=(1,)] a
    c:f32[2,1] = broadcast_in_dim[broadcast_dimensions=(0,)] b
    d:f32[2,3] = sub a c
  in (d,) }''')
def keepdims_sub(J, jnp, lax): return (lambda x: x - jnp.max(x, axis=1, keepdims=True)), (x23,)


@case('''
{ lambda ; a:f32[3,3] b:f32[3] c:f32[3,2] d:f32[2] e:f32[2,3] f:f32[2,2]. let
    g:f32[2,3] = dot_general[
      dimension_numbers=(([1], [0]), ([], []))
      preferred_element_type=float32
    ] e a
    h:f32[1,3] = broadcast_in_dim[broadcast_dimensions=(1,)] b
    i:f32[2,3] = add g h
    j:f32[2,3] = tanh i
    k:f32[2,3] = sub 1.0:f32[] j
    l:f32[2,2] = dot_general[
      dimension_numbers=(([1], [0]), ([], []))
      preferred_element_type=float32
    ] j c
    m:f32[1,2] = broadcast_in_dim[broadcast_dimensions=(1,)] d
    n:f32[2,2] = add l m
    o:f32[2,2] = sub n f
    p:f32[2,2] = integer_pow[y=2] o
    q:f32[2,2] = mul 2.0:f32[] o
    r:f32[] = reduce_sum[axes=(0, 1) out_sharding=None] p
    _:f32[] = div r 4.0:f32[]
    s:f32[] = div 1.0:f32[] 4.0:f32[]
    t:f32[2,2] = broadcast_in_dim s
    u:f32[2,2] = mul t q
    v:f32[2] = reduce_sum[axes=(0,) out_sharding=None] u
    w:f32[1,2] = reshape[dimensions=None new_sizes=(1, 2) sharding=None] v
    x:f32[2] = reduce_sum[axes=(0,) out_sharding=None] w
    y:f32[2,3] = dot_general[
      dimension_numbers=(([0], [0]), ([], []))
      preferred_element_type=float32
    ] u j
    z:f32[3,2] = transpose[permutation=(1, 0)] y
    ba:f32[2,3] = dot_general[
      dimension_numbers=(([1], [1]), ([], []))
      preferred_element_type=float32
    ] u c
    bb:f32[2,3] = mul ba k
    bc:f32[2,3] = mul bb j
    bd:f32[2,3] = add_any bb bc
    be:f32[3] = reduce_sum[axes=(0,) out_sharding=None] bd
    bf:f32[1,3] = reshape[dimensions=None new_sizes=(1, 3) sharding=None] be
    bg:f32[3] = reduce_sum[axes=(0,) out_sharding=None] bf
    bh:f32[3,3] = dot_general[
      dimension_numbers=(([0], [0]), ([], []))
      preferred_element_type=float32
    ] bd e
    bi:f32[3,3] = transpose[permutation=(1, 0)] bh
  in (bi, bg, z, x) }''')
def mlp_loss_grad(J, jnp, lax):
    def predict(params, x):
        for w, b in params[:-1]:
            x = jnp.tanh(x @ w + b)
        w, b = params[-1]
        return x @ w + b
    def loss(params, x, y):
        return jnp.mean((predict(params, x) - y) ** 2)
    params = [(x33, x3), (np.ones((3, 2), f32), np.ones(2, f32))]
    return J.grad(loss), (params, x23, np.ones((2, 2), f32))


@case('''
{ lambda ; a:f32[3,3] b:f32[2,3]. let
    c:f32[3,2] = dot_general[
      dimension_numbers=(([1], [1]), ([], []))
      preferred_element_type=float32
    ] a b
    d:f32[2,3] = transpose[permutation=(1, 0)] c
  in (d,) }''')
def vmap_matvec(J, jnp, lax): return J.vmap(lambda m, v: m @ v, (None, 0)), (x33, x23)


@case('''
{ lambda ; a:f32[]. let
    _:f32[] = cos a
    _:f32[] = sin a
    b:f32[] = sin a
    c:f32[] = cos a
    d:f32[] = neg 1.0:f32[]
    _:f32[] = mul d b
    e:f32[] = mul d 1.0:f32[]
    f:f32[] = mul e c
  in (f,) }''')
def cos_grad_grad(J, jnp, lax): return J.grad(J.grad(jnp.cos)), (f32(1.0),)


@case('''
{ lambda ; a:f32[3]. let
    b:f32[3] = jit[
      name=<lambda>
      jaxpr={ lambda ; a:f32[3]. let
          c:f32[3] = sin a
          d:f32[3] = cos a
          e:f32[3] = integer_pow[y=2] c
          f:f32[3] = mul 2.0:f32[] c
          g:f32[] = reduce_sum[axes=(0,) out_sharding=None] e
          h:f32[3] = broadcast_in_dim 1.0:f32[]
          i:f32[3] = mul h f
          b:f32[3] = mul i d
        in (b,) }
    ] a
  in (b,) }''')
def jit_grad(J, jnp, lax): return J.jit(J.grad(lambda x: jnp.sum(jnp.sin(x) ** 2))), (x3,)


@case('''
{ lambda ; a:f32[3]. let b:f32[3] = logistic a in (b,) }''')
def sigmoid(J, jnp, lax): return (lambda x: J.nn.sigmoid(x)), (x3,)


@case('''
{ lambda ; a:f32[3]. let
    b:f32[3] = custom_jvp_call[
      name=f
      call_jaxpr={ lambda ; c:f32[3]. let d:f32[3] = sin c in (d,) }
      jvp=f_jvp
      symbolic_zeros=False
    ] a
  in (b,) }''')
def custom_jvp(J, jnp, lax):
    @J.custom_jvp
    def f(x):
        return jnp.sin(x)
    @f.defjvp
    def f_jvp(p, t):
        return f(p[0]), jnp.cos(p[0]) * t[0]
    return f, (x3,)


@case('''
{ lambda ; a:f32[3]. let
    b:f32[3] = custom_vjp_call[
      name=f
      bwd=<lambda>
      call_jaxpr={ lambda ; c:f32[3]. let d:f32[3] = sin c in (d,) }
      fwd=<lambda>
      symbolic_zeros=False
    ] a
  in (b,) }''')
def custom_vjp(J, jnp, lax):
    @J.custom_vjp
    def f(x):
        return jnp.sin(x)
    f.defvjp(lambda x: (jnp.sin(x), jnp.cos(x)), lambda r, g: (r * g,))
    return f, (x3,)


@pytest.mark.parametrize("program,expected", CASES)
def test_jaxpr_text_is_jaxs(program, expected):
    f, args = program(irax, irax.numpy, irax.lax)
    assert str(irax.make_jaxpr(f)(*args)) == expected
