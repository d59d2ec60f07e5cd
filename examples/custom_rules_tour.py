#!/usr/bin/env python3
"""A tour of custom derivative rules: every code cell of the JAX notebook
"Custom derivative rules for Python code" (seed: /work/shared/seeds/001_*.txt), in order,
run on irax. Each cell's code is the notebook's with `jax` replaced by `irax` and nothing
else changed; tests/test_seed_notebook.py checks the code and compares every cell's output
with what the notebook prints.

    python examples/custom_rules_tour.py

Output: a line `=== cell N` before each cell's output, `=== cell end` at the end.

What is added around the notebook's code (all helpers start with `_`):
* `_display(expr)` wraps a cell's last expression where the notebook *displays* its value
  (Jupyter shows the value of a cell's last expression); it prints what IPython prints:
  `repr(value)`, except for plain functions, which IPython shows as
  `<function module.qualname(signature)>`.
* `import irax` below: the notebook's pdb cell calls `jax.grad` with `jax` imported out of
  view; here it is imported up front.
* Cell 35 is commented out and cell 65 (pdb) is replayed with scripted input: in the original
  notebook both are markdown (an illustration and a debugger transcript), see their comments.
* matplotlib (cells 23-24): plotting is not needed to check the numbers, and matplotlib is
  not an irax dependency. If it is importable it is used with the non-interactive Agg
  backend; otherwise a stand-in `matplotlib.pyplot` whose `plot` returns a stand-in line
  object is installed. Either way every `plt.plot(y)` also prints one line
  `[plot] n=... mean=... min=... max=... samples=[y[0], y[111], ..., y[999]]`, so the
  plotted curves are checked numerically (against numpy) even without matplotlib.
"""
import bdb
import contextlib
import inspect
import io
import sys
import types

import numpy as _np

import irax  # noqa: F401  (used by the pdb cell, as `jax` in the notebook)


def _cell(n):
    print(f"=== cell {n}", flush=True)


def _display(value):
    """Print what a notebook shows for a cell whose last expression has this value."""
    if value is None:
        return
    if isinstance(value, types.FunctionType):   # IPython's pretty-printer for functions
        print(f"<function {value.__module__}.{value.__qualname__}{inspect.signature(value)}>")
    else:
        print(repr(value))


class _EchoStdin(io.StringIO):
    """Scripted stdin for pdb that echoes each command, as a terminal would."""

    def readline(self, *args):
        line = super().readline(*args)
        sys.stdout.write(line)
        return line


@contextlib.contextmanager
def _scripted_stdin(commands):
    saved = sys.stdin
    sys.stdin = _EchoStdin(commands)
    try:
        yield
    finally:
        sys.stdin = saved


try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as _plt
except ImportError:
    class _StandInLine2D:
        def __repr__(self):
            return f"<stand-in Line2D (matplotlib not installed) at {hex(id(self))}>"

    _plt = types.ModuleType("matplotlib.pyplot")
    _plt.plot = lambda *args, **kwargs: [_StandInLine2D()]
    _mpl = types.ModuleType("matplotlib")
    _mpl.pyplot = _plt
    sys.modules["matplotlib"], sys.modules["matplotlib.pyplot"] = _mpl, _plt


def _summarizing(plot):
    def wrapper(y, *args, **kwargs):
        a = _np.asarray(y, dtype=_np.float64)
        samples = ", ".join(f"{v:.7g}" for v in a[::111])
        print(f"[plot] n={a.size} mean={a.mean():.7g} min={a.min():.7g} max={a.max():.7g} "
              f"samples=[{samples}]")
        return plot(y, *args, **kwargs)
    return wrapper


_plt.plot = _summarizing(_plt.plot)

# --- cell 1
_cell(1)
import irax.numpy as jnp
from irax import custom_jvp

@custom_jvp
def f(x, y):
  return jnp.sin(x) * y

@f.defjvp
def f_jvp(primals, tangents):
  x, y = primals
  x_dot, y_dot = tangents
  primal_out = f(x, y)
  tangent_out = jnp.cos(x) * x_dot * y + jnp.sin(x) * y_dot
  return primal_out, tangent_out

# --- cell 2
_cell(2)
from irax import jvp, grad

print(f(2., 3.))
y, y_dot = jvp(f, (2., 3.), (1., 0.))
print(y)
print(y_dot)
print(grad(f)(2., 3.))

# --- cell 3
_cell(3)
# Equivalent alternative using the defjvps convenience wrapper

@custom_jvp
def f(x, y):
  return jnp.sin(x) * y

f.defjvps(lambda x_dot, primal_out, x, y: jnp.cos(x) * x_dot * y,
          lambda y_dot, primal_out, x, y: jnp.sin(x) * y_dot)

# --- cell 4
_cell(4)
print(f(2., 3.))
y, y_dot = jvp(f, (2., 3.), (1., 0.))
print(y)
print(y_dot)
print(grad(f)(2., 3.))

# --- cell 5
_cell(5)
from irax import custom_vjp

@custom_vjp
def f(x, y):
  return jnp.sin(x) * y

def f_fwd(x, y):
# Returns primal output and residuals to be used in backward pass by f_bwd.
  return f(x, y), (jnp.cos(x), jnp.sin(x), y)

def f_bwd(res, g):
  cos_x, sin_x, y = res # Gets residuals computed in f_fwd
  return (cos_x * g * y, sin_x * g)

f.defvjp(f_fwd, f_bwd)

# --- cell 6
_cell(6)
print(grad(f)(2., 3.))

# --- cell 7
_cell(7)
import irax.numpy as jnp

def log1pexp(x):
  return jnp.log(1. + jnp.exp(x))

_display(log1pexp(3.))

# --- cell 8
_cell(8)
from irax import jit, grad, vmap

print(jit(log1pexp)(3.))
print(jit(grad(log1pexp))(3.))
print(vmap(jit(grad(log1pexp)))(jnp.arange(3.)))

# --- cell 9
_cell(9)
print(grad(log1pexp)(100.))

# --- cell 10  (jaxpr)
_cell(10)
from irax import make_jaxpr

_display(make_jaxpr(grad(log1pexp))(100.))

# --- cell 11
_cell(11)
from irax import custom_jvp

@custom_jvp
def log1pexp(x):
  return jnp.log(1. + jnp.exp(x))

@log1pexp.defjvp
def log1pexp_jvp(primals, tangents):
  x, = primals
  x_dot, = tangents
  ans = log1pexp(x)
  ans_dot = (1 - 1/(1 + jnp.exp(x))) * x_dot
  return ans, ans_dot

# --- cell 12
_cell(12)
print(grad(log1pexp)(100.))

# --- cell 13
_cell(13)
print(jit(log1pexp)(3.))
print(jit(grad(log1pexp))(3.))
print(vmap(jit(grad(log1pexp)))(jnp.arange(3.)))

# --- cell 14
_cell(14)
@custom_jvp
def log1pexp(x):
  return jnp.log(1. + jnp.exp(x))

log1pexp.defjvps(lambda t, ans, x: (1 - 1/(1 + jnp.exp(x))) * t)

# --- cell 15
_cell(15)
print(grad(log1pexp)(100.))
print(jit(log1pexp)(3.))
print(jit(grad(log1pexp))(3.))
print(vmap(jit(grad(log1pexp)))(jnp.arange(3.)))

# --- cell 16
_cell(16)
def f(x):
  return x / (1 + jnp.sqrt(x))

# --- cell 17
_cell(17)
print(grad(f)(0.))

# --- cell 18
_cell(18)
@custom_jvp
def f(x):
  return x / (1 + jnp.sqrt(x))

@f.defjvp
def f_jvp(primals, tangents):
  x, = primals
  x_dot, = tangents
  ans = f(x)
  ans_dot = ((jnp.sqrt(x) + 2) / (2 * (jnp.sqrt(x) + 1)**2)) * x_dot
  return ans, ans_dot

# --- cell 19
_cell(19)
print(grad(f)(0.))

# --- cell 20
_cell(20)
@custom_jvp
def f(x):
  return x / (1 + jnp.sqrt(x))

f.defjvps(lambda t, ans, x: ((jnp.sqrt(x) + 2) / (2 * (jnp.sqrt(x) + 1)**2)) * t)

# --- cell 21
_cell(21)
print(grad(f)(0.))

# --- cell 22
_cell(22)
from functools import partial
from irax import custom_vjp

@custom_vjp
def clip_gradient(lo, hi, x):
  return x  # identity function

def clip_gradient_fwd(lo, hi, x):
  return x, (lo, hi)  # save bounds as residuals

def clip_gradient_bwd(res, g):
  lo, hi = res
  return (None, None, jnp.clip(g, lo, hi))  # use None to indicate zero cotangents for lo and hi

clip_gradient.defvjp(clip_gradient_fwd, clip_gradient_bwd)

# --- cell 23  (matplotlib)
_cell(23)
import matplotlib.pyplot as plt
from irax import vmap

t = jnp.linspace(0, 10, 1000)

plt.plot(jnp.sin(t))
_display(plt.plot(vmap(grad(jnp.sin))(t)))

# --- cell 24  (matplotlib)
_cell(24)
def clip_sin(x):
  x = clip_gradient(-0.75, 0.75, x)
  return jnp.sin(x)

plt.plot(clip_sin(t))
_display(plt.plot(vmap(grad(clip_sin))(t)))

# --- cell 25
_cell(25)
from irax.lax import while_loop

def fixed_point(f, a, x_guess):
  def cond_fun(carry):
    x_prev, x = carry
    return jnp.abs(x_prev - x) > 1e-6

  def body_fun(carry):
    _, x = carry
    return x, f(a, x)

  _, x_star = while_loop(cond_fun, body_fun, (x_guess, f(a, x_guess)))
  return x_star

# --- cell 26
_cell(26)
def newton_sqrt(a):
  update = lambda a, x: 0.5 * (x + a / x)
  return fixed_point(update, a, a)

# --- cell 27
_cell(27)
print(newton_sqrt(2.))

# --- cell 28
_cell(28)
print(jit(vmap(newton_sqrt))(jnp.array([1., 2., 3., 4.])))

# --- cell 29
_cell(29)
from irax import vjp

@partial(custom_vjp, nondiff_argnums=(0,))
def fixed_point(f, a, x_guess):
  def cond_fun(carry):
    x_prev, x = carry
    return jnp.abs(x_prev - x) > 1e-6

  def body_fun(carry):
    _, x = carry
    return x, f(a, x)

  _, x_star = while_loop(cond_fun, body_fun, (x_guess, f(a, x_guess)))
  return x_star

def fixed_point_fwd(f, a, x_init):
  x_star = fixed_point(f, a, x_init)
  return x_star, (a, x_star)

def fixed_point_rev(f, res, x_star_bar):
  a, x_star = res
  _, vjp_a = vjp(lambda a: f(a, x_star), a)
  a_bar, = vjp_a(fixed_point(partial(rev_iter, f),
                             (a, x_star, x_star_bar),
                             x_star_bar))
  return a_bar, jnp.zeros_like(x_star)

def rev_iter(f, packed, u):
  a, x_star, x_star_bar = packed
  _, vjp_x = vjp(lambda x: f(a, x), x_star)
  return x_star_bar + vjp_x(u)[0]

fixed_point.defvjp(fixed_point_fwd, fixed_point_rev)

# --- cell 30
_cell(30)
print(newton_sqrt(2.))

# --- cell 31
_cell(31)
print(grad(newton_sqrt)(2.))
print(grad(grad(newton_sqrt))(2.))

# --- cell 32
_cell(32)
print(grad(jnp.sqrt)(2.))
print(grad(grad(jnp.sqrt))(2.))

# --- cell 33
_cell(33)
from irax import custom_jvp
import irax.numpy as jnp

# f :: a -> b
@custom_jvp
def f(x):
  return jnp.sin(x)

# f_jvp :: (a, T a) -> (b, T b)
def f_jvp(primals, tangents):
  x, = primals
  t, = tangents
  return f(x), jnp.cos(x) * t

_display(f.defjvp(f_jvp))

# --- cell 34
_cell(34)
from irax import jvp

print(f(3.))

y, y_dot = jvp(f, (3.,), (1.,))
print(y)
print(y_dot)

# --- cell 35  (snippet)
_cell(35)
# Markdown illustration in the original notebook, shown but never executed there
# (running it would redefine `f` with a body of `...`), so it is not run here either:
#   @custom_jvp
#   def f(x):
#     ...
#
#   @f.defjvp
#   def f_jvp(primals, tangents):
#     ...

# --- cell 36
_cell(36)
from irax import grad

print(grad(f)(3.))
print(grad(grad(f))(3.))

# --- cell 37
_cell(37)
@custom_jvp
def f(x, y):
  return x ** 2 * y

@f.defjvp
def f_jvp(primals, tangents):
  x, y = primals
  x_dot, y_dot = tangents
  primal_out = f(x, y)
  tangent_out = 2 * x * y * x_dot + x ** 2 * y_dot
  return primal_out, tangent_out

# --- cell 38
_cell(38)
print(grad(f)(2., 3.))

# --- cell 39
_cell(39)
@custom_jvp
def f(x):
  return jnp.sin(x)

f.defjvps(lambda t, ans, x: jnp.cos(x) * t)

# --- cell 40
_cell(40)
print(grad(f)(3.))

# --- cell 41
_cell(41)
@custom_jvp
def f(x, y):
  return x ** 2 * y

f.defjvps(lambda x_dot, primal_out, x, y: 2 * x * y * x_dot,
          lambda y_dot, primal_out, x, y: x ** 2 * y_dot)

# --- cell 42
_cell(42)
print(grad(f)(2., 3.))
print(grad(f, 0)(2., 3.))  # same as above
print(grad(f, 1)(2., 3.))

# --- cell 43
_cell(43)
@custom_jvp
def f(x, y):
  return x ** 2 * y

f.defjvps(lambda x_dot, primal_out, x, y: 2 * x * y * x_dot,
          None)

# --- cell 44
_cell(44)
print(grad(f)(2., 3.))
print(grad(f, 0)(2., 3.))  # same as above
print(grad(f, 1)(2., 3.))

# --- cell 45
_cell(45)
@custom_jvp
def f(x):
  print('called f!')  # a harmless side-effect
  return jnp.sin(x)

@f.defjvp
def f_jvp(primals, tangents):
  print('called f_jvp!')  # a harmless side-effect
  x, = primals
  t, = tangents
  return f(x), jnp.cos(x) * t

# --- cell 46
_cell(46)
from irax import vmap, jit

print(f(3.))

# --- cell 47
_cell(47)
print(vmap(f)(jnp.arange(3.)))
print(jit(f)(3.))

# --- cell 48
_cell(48)
y, y_dot = jvp(f, (3.,), (1.,))
print(y_dot)

# --- cell 49
_cell(49)
print(grad(f)(3.))

# --- cell 50
_cell(50)
_display(grad(grad(f))(3.))

# --- cell 51
_cell(51)
@custom_jvp
def f(x):
  if x > 0:
    return jnp.sin(x)
  else:
    return jnp.cos(x)

@f.defjvp
def f_jvp(primals, tangents):
  x, = primals
  x_dot, = tangents
  ans = f(x)
  if x > 0:
    return ans, 2 * x_dot
  else:
    return ans, 3 * x_dot

# --- cell 52
_cell(52)
print(grad(f)(1.))
print(grad(f)(-1.))

# --- cell 53
_cell(53)
from irax import custom_vjp
import irax.numpy as jnp

# f :: a -> b
@custom_vjp
def f(x):
  return jnp.sin(x)

# f_fwd :: a -> (b, c)
def f_fwd(x):
  return f(x), jnp.cos(x)

# f_bwd :: (c, CT b) -> CT a
def f_bwd(cos_x, y_bar):
  return (cos_x * y_bar,)

f.defvjp(f_fwd, f_bwd)

# --- cell 54
_cell(54)
from irax import grad

print(f(3.))
print(grad(f)(3.))

# --- cell 55
_cell(55)
from irax import custom_vjp

@custom_vjp
def f(x, y):
  return jnp.sin(x) * y

def f_fwd(x, y):
  return f(x, y), (jnp.cos(x), jnp.sin(x), y)

def f_bwd(res, g):
  cos_x, sin_x, y = res
  return (cos_x * g * y, sin_x * g)

f.defvjp(f_fwd, f_bwd)

# --- cell 56
_cell(56)
print(grad(f)(2., 3.))

# --- cell 57
_cell(57)
@custom_vjp
def f(x):
  print("called f!")
  return jnp.sin(x)

def f_fwd(x):
  print("called f_fwd!")
  return f(x), jnp.cos(x)

def f_bwd(cos_x, y_bar):
  print("called f_bwd!")
  return (cos_x * y_bar,)

f.defvjp(f_fwd, f_bwd)

# --- cell 58
_cell(58)
print(f(3.))

# --- cell 59
_cell(59)
print(grad(f)(3.))

# --- cell 60
_cell(60)
from irax import vjp

y, f_vjp = vjp(f, 3.)
print(y)

# --- cell 61
_cell(61)
print(f_vjp(1.))

# --- cell 62
_cell(62)
from irax import jvp

try:
  jvp(f, (3.,), (1.,))
except TypeError as e:
  print('ERROR! {}'.format(e))

# --- cell 63
_cell(63)
import pdb

@custom_vjp
def debug(x):
  return x  # acts like identity

def debug_fwd(x):
  return x, x

def debug_bwd(x, g):
  import pdb; pdb.set_trace()
  return g

debug.defvjp(debug_fwd, debug_bwd)

# --- cell 64
_cell(64)
def foo(x):
  y = x ** 2
  y = debug(y)  # insert pdb in corresponding backward pass step
  return jnp.sin(y)

# --- cell 65  (pdb)
_cell(65)
# Markdown transcript in the original notebook. Replayed non-interactively: pdb reads the
# notebook's commands from a scripted stdin that echoes them, so the session prints as shown.
# `q` makes pdb raise bdb.BdbQuit out of the backward pass, which aborts the call.
with _scripted_stdin("p x\np g\nq\n"):
  try:
    _display(irax.grad(foo)(3.))
  except bdb.BdbQuit:
    pass

# --- cell 66
_cell(66)
from collections import namedtuple
Point = namedtuple("Point", ["x", "y"])

@custom_jvp
def f(pt):
  x, y = pt.x, pt.y
  return {'a': x ** 2,
          'b': (jnp.sin(x), jnp.cos(y))}

@f.defjvp
def f_jvp(primals, tangents):
  pt, = primals
  pt_dot, =  tangents
  ans = f(pt)
  ans_dot = {'a': 2 * pt.x * pt_dot.x,
             'b': (jnp.cos(pt.x) * pt_dot.x, -jnp.sin(pt.y) * pt_dot.y)}
  return ans, ans_dot

def fun(pt):
  dct = f(pt)
  return dct['a'] + dct['b'][0]

# --- cell 67
_cell(67)
pt = Point(1., 2.)

print(f(pt))

# --- cell 68
_cell(68)
print(grad(fun)(pt))

# --- cell 69
_cell(69)
@custom_vjp
def f(pt):
  x, y = pt.x, pt.y
  return {'a': x ** 2,
          'b': (jnp.sin(x), jnp.cos(y))}

def f_fwd(pt):
  return f(pt), pt

def f_bwd(pt, g):
  a_bar, (b0_bar, b1_bar) = g['a'], g['b']
  x_bar = 2 * pt.x * a_bar + jnp.cos(pt.x) * b0_bar
  y_bar = -jnp.sin(pt.y) * b1_bar
  return (Point(x_bar, y_bar),)

f.defvjp(f_fwd, f_bwd)

def fun(pt):
  dct = f(pt)
  return dct['a'] + dct['b'][0]

# --- cell 70
_cell(70)
pt = Point(1., 2.)

print(f(pt))

# --- cell 71
_cell(71)
print(grad(fun)(pt))

# --- cell 72
_cell(72)
from functools import partial

@partial(custom_jvp, nondiff_argnums=(0,))
def app(f, x):
  return f(x)

@app.defjvp
def app_jvp(f, primals, tangents):
  x, = primals
  x_dot, = tangents
  return f(x), 2. * x_dot

# --- cell 73
_cell(73)
print(app(lambda x: x ** 3, 3.))

# --- cell 74
_cell(74)
print(grad(app, 1)(lambda x: x ** 3, 3.))

# --- cell 75
_cell(75)
@partial(custom_jvp, nondiff_argnums=(0, 2))
def app2(f, x, g):
  return f(g((x)))

@app2.defjvp
def app2_jvp(f, g, primals, tangents):
  x, = primals
  x_dot, = tangents
  return f(g(x)), 3. * x_dot

# --- cell 76
_cell(76)
print(app2(lambda x: x ** 3, 3., lambda y: 5 * y))

# --- cell 77
_cell(77)
print(grad(app2, 1)(lambda x: x ** 3, 3., lambda y: 5 * y))

# --- cell 78
_cell(78)
@partial(custom_vjp, nondiff_argnums=(0,))
def app(f, x):
  return f(x)

def app_fwd(f, x):
  return f(x), x

def app_bwd(f, x, g):
  return (5 * g,)

app.defvjp(app_fwd, app_bwd)

# --- cell 79
_cell(79)
print(app(lambda x: x ** 2, 4.))

# --- cell 80
_cell(80)
print(grad(app, 1)(lambda x: x ** 2, 4.))

_cell('end')
