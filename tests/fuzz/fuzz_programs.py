"""A random-program builder for differential fuzzing (hypothesis strategy `programs()`).

A program is straight-line Python over a namespace `m` (irax.numpy, or NumPy as an
independent oracle): a pool of values starts with the float inputs; each step picks an
op whose operand types/shapes are valid for values in the pool (adding a fresh input of
the needed shape when none fits), appends the result to the pool, and the program
returns one or two float values. Domain guards keep every op smooth and finite on the
inputs (log(x*x + 1), a / (b*b + 1), exp(tanh(x)), ...), so derivative checks are
meaningful. Result shapes are inferred by running each new line with NumPy on ones, so
NumPy's semantics is the spec for shapes.

`repr(program)` is runnable source (input shapes, seed and body), which is what a
failing example prints after shrinking; paste it into tests/fuzz/test_regressions.py.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
from hypothesis import strategies as st

MAX_DIM = 4


# ---------------------------------------------------------------------------
# The program


@dataclass
class Program:
    in_shapes: list[tuple[int, ...]]
    lines: list[str] = field(default_factory=list)        # "v3 = m.sin(v1)"
    np_lines: dict[int, str] = field(default_factory=dict)  # line index -> NumPy spelling
    outputs: list[str] = field(default_factory=list)
    seed: int = 0
    ops: list[str] = field(default_factory=list)            # op names, for statistics

    @property
    def arg_names(self) -> list[str]:
        return [f"x{i}" for i in range(len(self.in_shapes))]

    def source(self, numpy_oracle: bool = False) -> str:
        body = [self.np_lines.get(i, ln) if numpy_oracle else ln for i, ln in enumerate(self.lines)]
        outs = ", ".join(self.outputs) + ("," if len(self.outputs) == 1 else "")
        return "\n".join([f"def f({', '.join(self.arg_names)}):", *(f"    {ln}" for ln in body),
                          f"    return ({outs})"])

    def fn(self, m: Any, DT: Any) -> Callable:
        """The program as a Python function over namespace `m` (consts of dtype DT)."""
        ns = {"m": m, "DT": DT, "np": np, "H": _NumpyHelpers if m is np else None,
              "L": _NumpyLoops if m is np else _IraxLoops}
        exec(self.source(numpy_oracle=m is np), ns)  # noqa: S102 - generated test code
        return ns["f"]

    def inputs(self, dtype, seed: int | None = None) -> list[np.ndarray]:
        rng = np.random.default_rng(self.seed if seed is None else seed)
        return [rng.uniform(-2.0, 2.0, s).astype(dtype) for s in self.in_shapes]

    def __repr__(self) -> str:
        return (f"Program(in_shapes={self.in_shapes!r}, seed={self.seed})\n"
                + self.source() + "\n")


class _NumpyHelpers:
    """NumPy spellings of the few irax-only idioms (x.at[...].add)."""

    @staticmethod
    def at_add(x, idx, v):
        out = np.array(x, copy=True)
        np.add.at(out, idx, v)
        return out


class _IraxLoops:
    """Control flow, written with irax.lax (the programs under test)."""

    @staticmethod
    def cond(s, a):
        import irax.numpy as jnp
        from irax import lax
        return lax.cond(jnp.sum(s) > 0, lambda x: jnp.sin(x) * 2.0, lambda x: jnp.cos(x) - 1.0, a)

    @staticmethod
    def scan(a):
        import irax.numpy as jnp
        from irax import lax

        def step(c, x):
            c = jnp.tanh(c * 0.5 + x)
            return c, c * x
        last, ys = lax.scan(step, jnp.zeros_like(a[0]), a)
        return ys + last

    @staticmethod
    def fori(a):
        import irax.numpy as jnp
        from irax import lax
        return lax.fori_loop(0, 3, lambda i, x: jnp.sin(x) + 0.5 * x, a)


class _NumpyLoops:
    """The same control flow as plain Python loops over NumPy (the oracle)."""

    @staticmethod
    def cond(s, a):
        return np.sin(a) * 2.0 if np.sum(s) > 0 else np.cos(a) - 1.0

    @staticmethod
    def scan(a):
        c, ys = np.zeros_like(a[0]), []
        for x in a:
            c = np.tanh(c * 0.5 + x)
            ys.append(c * x)
        return np.stack(ys) + c

    @staticmethod
    def fori(a):
        for _ in range(3):
            a = np.sin(a) + 0.5 * a
        return a


# ---------------------------------------------------------------------------
# Building: a pool of typed values


@dataclass
class Val:
    name: str
    shape: tuple[int, ...]
    kind: str  # "f" float, "b" bool


class Builder:
    def __init__(self, draw, prog: Program, max_inputs: int):
        self.draw = draw
        self.prog = prog
        self.pool: list[Val] = [Val(f"x{i}", s, "f") for i, s in enumerate(prog.in_shapes)]
        self.max_inputs = max_inputs
        self.n = 0

    # -- operands -----------------------------------------------------------
    def floats(self) -> list[Val]:
        return [v for v in self.pool if v.kind == "f"]

    def pick(self, pred: Callable[[Val], bool] = lambda v: True, kind: str = "f") -> Val | None:
        cands = [v for v in self.pool if v.kind == kind and pred(v)]
        if not cands:
            return None
        # favour recent values so that programs are deep rather than wide
        if len(cands) > 1 and self.draw(st.booleans()):
            return cands[-1]
        return cands[self.draw(st.integers(0, len(cands) - 1))]

    def new_input(self, shape: tuple[int, ...]) -> Val | None:
        if len(self.prog.in_shapes) >= self.max_inputs:
            return None
        v = Val(f"x{len(self.prog.in_shapes)}", tuple(shape), "f")
        self.prog.in_shapes.append(tuple(shape))
        self.pool.append(v)
        return v

    def operand(self, shape_ok: Callable[[tuple], bool], make_shape: Callable[[], tuple]) -> Val | None:
        """A float value whose shape satisfies shape_ok: from the pool, else a new input."""
        if self.draw(st.integers(0, 3)) > 0:
            v = self.pick(lambda v: shape_ok(v.shape))
            if v is not None:
                return v
        return self.new_input(make_shape())

    # -- emitting -----------------------------------------------------------
    def emit(self, op: str, expr: str, np_expr: str | None = None) -> Val | None:
        name = f"v{self.n}"
        env = {v.name: (np.ones(v.shape, np.float64) if v.kind == "f" else np.ones(v.shape, bool))
               for v in self.pool}
        env.update(m=np, DT=np.float64, np=np, H=_NumpyHelpers, L=_NumpyLoops)
        try:
            with np.errstate(all="ignore"):
                out = eval(np_expr or expr, env)  # noqa: S307 - generated test code
        except (ValueError, IndexError, TypeError) as e:  # a builder bug: show it
            raise AssertionError(f"generator produced an invalid line {expr!r}: {e}") from e
        out = np.asarray(out)
        kind = "b" if out.dtype == bool else "f"
        if out.dtype.kind not in "fb" or out.size > 256:
            return None
        self.n += 1
        idx = len(self.prog.lines)
        self.prog.lines.append(f"{name} = {expr}")
        if np_expr is not None:
            self.prog.np_lines[idx] = f"{name} = {np_expr}"
        self.prog.ops.append(op)
        v = Val(name, tuple(out.shape), kind)
        self.pool.append(v)
        return v


# ---------------------------------------------------------------------------
# Shapes


def shapes(min_rank: int = 0, max_rank: int = 3) -> st.SearchStrategy:
    return st.lists(st.integers(1, MAX_DIM), min_size=min_rank, max_size=max_rank).map(tuple)


def _bcast_partner(draw, shape: tuple) -> tuple:
    """A shape that broadcasts with `shape` (drop leading dims, set some dims to 1,
    or, sometimes, add a leading dim so the partner is the bigger one)."""
    if len(shape) < 3 and draw(st.integers(0, 5)) == 0:
        return (draw(st.integers(2, 3)),) + tuple(shape)
    k = draw(st.integers(0, len(shape)))
    return tuple(1 if draw(st.integers(0, 3)) == 0 else d for d in shape[len(shape) - k:])


def _broadcastable(a: tuple, b: tuple) -> bool:
    try:
        np.broadcast_shapes(a, b)
        return True
    except ValueError:
        return False


def _size(shape) -> int:
    return int(np.prod(shape, dtype=np.int64))


# ---------------------------------------------------------------------------
# Ops. Each takes the Builder and emits zero or one line.

UNARY = {
    "neg": "-{a}",
    "sin": "m.sin({a})",
    "cos": "m.cos({a})",
    "tanh": "m.tanh({a})",
    "arctan": "m.arctan({a})",
    "exp": "m.exp(m.tanh({a}))",
    "log": "m.log({a} * {a} + 1.0)",
    "log1p": "m.log1p({a} * {a})",
    "expm1": "m.expm1(m.sin({a}))",
    "sqrt": "m.sqrt({a} * {a} + 0.5)",
    "recip": "1.0 / ({a} * {a} + 1.0)",
    "square": "{a} ** 2",
    "cube": "{a} ** 3",
    "pow": "m.power({a} * {a} + 1.0, {c})",
    "abs": "m.abs({a})",
    "sign": "m.sign({a}) * {a}",
    "floor": "m.floor({a}) + {a}",
    "clip": "m.clip({a}, -1.0, 1.0)",
    "leaky": "m.where({a} > 0.0, {a}, 0.1 * {a})",
    "scale": "{c} * {a}",
    "rsub": "{c} - {a}",
    "cast": "{a}.astype(m.int32).astype({a}.dtype) + {a}",
    "sinh": "m.sinh(m.tanh({a}))",
    "arcsinh": "m.arcsinh({a})",
}

BINARY = {
    "add": "{a} + {b}",
    "sub": "{a} - {b}",
    "mul": "{a} * {b}",
    "div": "{a} / ({b} * {b} + 1.0)",
    "maximum": "m.maximum({a}, {b})",
    "minimum": "m.minimum({a}, {b})",
    "arctan2": "m.arctan2({a}, {b} * {b} + 1.0)",
    "hypot": "m.sqrt({a} * {a} + {b} * {b} + 0.25)",
}

REDUCE = ["sum", "mean", "max", "min", "prod", "var"]


def op_unary(b: Builder) -> Val | None:
    a = b.pick()
    name = b.draw(st.sampled_from(list(UNARY)))
    c = b.draw(st.sampled_from([0.5, -1.5, 2.0, 3]))
    if name == "pow":
        c = b.draw(st.sampled_from([0.5, 1.5, -0.5, 2.0]))
    return b.emit(name, UNARY[name].format(a=a.name, c=c))


def op_binary(b: Builder) -> Val | None:
    a = b.pick()
    partner = b.operand(lambda s: _broadcastable(a.shape, s), lambda: _bcast_partner(b.draw, a.shape))
    if partner is None:
        return None
    name = b.draw(st.sampled_from(list(BINARY)))
    x, y = (a, partner) if b.draw(st.booleans()) else (partner, a)
    return b.emit(name, BINARY[name].format(a=x.name, b=y.name))


def op_const(b: Builder) -> Val | None:
    """Mix in a constant array (captured under jit) or a Python scalar (weakly typed)."""
    a = b.pick()
    shape = _bcast_partner(b.draw, a.shape)
    vals = np.round(np.random.default_rng(b.draw(st.integers(0, 99))).uniform(-2, 2, shape), 2)
    lit = repr(vals.tolist())
    op = b.draw(st.sampled_from(["+", "*", "-"]))
    return b.emit("const", f"{a.name} {op} m.asarray({lit}, dtype=DT)")


def op_compare(b: Builder) -> Val | None:
    a = b.pick()
    partner = b.operand(lambda s: _broadcastable(a.shape, s), lambda: _bcast_partner(b.draw, a.shape))
    if partner is None:
        return None
    cmp = b.draw(st.sampled_from([">", "<", ">=", "<="]))
    return b.emit("compare", f"{a.name} {cmp} {partner.name}")


def op_logical(b: Builder) -> Val | None:
    p = b.pick(kind="b")
    if p is None:
        return None
    q = b.pick(lambda v: _broadcastable(p.shape, v.shape), kind="b")
    which = b.draw(st.sampled_from(["and", "or", "not"]))
    if which == "not" or q is None:
        return b.emit("logical", f"m.logical_not({p.name})")
    return b.emit("logical", f"m.logical_{which}({p.name}, {q.name})")


def op_where(b: Builder) -> Val | None:
    a = b.pick()
    other = b.operand(lambda s: _broadcastable(a.shape, s), lambda: _bcast_partner(b.draw, a.shape))
    if other is None:
        return None
    both = np.broadcast_shapes(a.shape, other.shape)
    p = b.pick(lambda v: _broadcastable(both, v.shape), kind="b")
    cond = p.name if p is not None else f"{b.pick(lambda v: _broadcastable(both, v.shape)).name} > 0.0"
    return b.emit("where", f"m.where({cond}, {a.name}, {other.name})")


def op_reduce(b: Builder) -> Val | None:
    a = b.pick(lambda v: len(v.shape) >= 1)
    if a is None:
        return None
    name = b.draw(st.sampled_from(REDUCE))
    nd = len(a.shape)
    axis_kind = b.draw(st.integers(0, 2))
    if axis_kind == 0:
        axis = "None"
    elif axis_kind == 1:
        axis = str(b.draw(st.integers(-nd, nd - 1)))
    else:
        axes = b.draw(st.lists(st.integers(0, nd - 1), min_size=1, max_size=nd, unique=True))
        axis = repr(tuple(sorted(axes)))
    kd = b.draw(st.booleans())
    expr = f"m.{name}({a.name}, axis={axis}, keepdims={kd})"
    if name == "prod":
        expr = f"m.prod(m.tanh({a.name}) + 1.5, axis={axis}, keepdims={kd})"
    return b.emit("reduce_" + name, expr)


def op_cumsum(b: Builder) -> Val | None:
    a = b.pick(lambda v: len(v.shape) >= 1)
    if a is None:
        return None
    ax = b.draw(st.integers(-len(a.shape), len(a.shape) - 1))
    return b.emit("cumsum", f"m.cumsum({a.name}, axis={ax})")


def op_argmax(b: Builder) -> Val | None:
    a = b.pick(lambda v: len(v.shape) >= 1)
    if a is None:
        return None
    ax = b.draw(st.integers(0, len(a.shape) - 1))
    fn = b.draw(st.sampled_from(["argmax", "argmin"]))
    return b.emit("argmax", f"m.{fn}({a.name}, axis={ax}).astype(DT)")


def _factor_shape(draw, size: int) -> tuple:
    dims = []
    while size > 1:
        divs = [d for d in range(2, size + 1) if size % d == 0]
        d = draw(st.sampled_from(divs))
        dims.append(d)
        size //= d
    dims = list(draw(st.permutations(dims))) if dims else dims
    if draw(st.integers(0, 3)) == 0:
        dims.insert(draw(st.integers(0, len(dims))), 1)
    return tuple(dims)


def op_reshape(b: Builder) -> Val | None:
    a = b.pick()
    shape = _factor_shape(b.draw, _size(a.shape))
    if shape and b.draw(st.integers(0, 3)) == 0:
        k = b.draw(st.integers(0, len(shape) - 1))
        shape = shape[:k] + (-1,) + shape[k + 1:]
    if b.draw(st.booleans()):
        return b.emit("reshape", f"m.reshape({a.name}, {shape!r})")
    return b.emit("reshape", f"{a.name}.reshape({shape!r})")


def op_transpose(b: Builder) -> Val | None:
    a = b.pick(lambda v: len(v.shape) >= 2)
    if a is None:
        return None
    if b.draw(st.integers(0, 3)) == 0:
        return b.emit("transpose", f"{a.name}.T")
    perm = tuple(b.draw(st.permutations(range(len(a.shape)))))
    if b.draw(st.booleans()):
        i, j = b.draw(st.integers(0, len(a.shape) - 1)), b.draw(st.integers(-len(a.shape), -1))
        return b.emit("transpose", f"m.swapaxes({a.name}, {i}, {j})")
    return b.emit("transpose", f"m.transpose({a.name}, {perm!r})")


def op_expand_squeeze(b: Builder) -> Val | None:
    a = b.pick()
    ones = [i for i, d in enumerate(a.shape) if d == 1]
    if ones and b.draw(st.booleans()):
        ax = b.draw(st.sampled_from(ones))
        return b.emit("squeeze", f"m.squeeze({a.name}, axis={ax})")
    if len(a.shape) >= 4:
        return None
    ax = b.draw(st.integers(-len(a.shape) - 1, len(a.shape)))
    return b.emit("expand_dims", f"m.expand_dims({a.name}, {ax})")


def op_broadcast_to(b: Builder) -> Val | None:
    a = b.pick(lambda v: len(v.shape) <= 3)
    if a is None:
        return None
    lead = tuple(b.draw(st.lists(st.integers(1, 3), max_size=4 - len(a.shape) - 1 if len(a.shape) < 3 else 0)))
    body = tuple(b.draw(st.integers(2, 3)) if d == 1 and b.draw(st.booleans()) else d for d in a.shape)
    return b.emit("broadcast_to", f"m.broadcast_to({a.name}, {lead + body!r})")


def _index_expr(draw, shape: tuple) -> str | None:
    parts = []
    for d in shape:
        kind = draw(st.integers(0, 4))
        if kind == 0:
            parts.append(str(draw(st.integers(-d, d - 1))))
        elif kind == 1:
            parts.append(":")
        else:
            start = draw(st.one_of(st.none(), st.integers(-d, d)))
            stop = draw(st.one_of(st.none(), st.integers(-d, d)))
            step = draw(st.sampled_from([None, 1, 2, -1, 3, -2]))
            s = f"{'' if start is None else start}:{'' if stop is None else stop}"
            if step is not None:
                s += f":{step}"
            parts.append(s)
        if draw(st.integers(0, 6)) == 0:
            parts.append("None")
    # drop trailing ':' sometimes, use an Ellipsis sometimes
    while parts and parts[-1] == ":" and draw(st.booleans()):
        parts.pop()
    if parts and draw(st.integers(0, 5)) == 0:
        parts = ["..."] + parts[1:]
    if not parts:
        return None
    return ", ".join(parts)


def op_slice(b: Builder) -> Val | None:
    a = b.pick(lambda v: len(v.shape) >= 1)
    if a is None:
        return None
    idx = _index_expr(b.draw, a.shape)
    if idx is None:
        return None
    # empty results are legal but not interesting here
    env = np.ones(a.shape)
    try:
        if eval(f"env[{idx}]").size == 0:  # noqa: S307
            return None
    except IndexError:  # e.g. an Ellipsis moved an integer index onto a short axis
        return None
    return b.emit("slice", f"{a.name}[{idx}]")


def op_flip(b: Builder) -> Val | None:
    a = b.pick(lambda v: len(v.shape) >= 1)
    if a is None:
        return None
    ax = b.draw(st.integers(-len(a.shape), len(a.shape) - 1))
    return b.emit("flip", f"m.flip({a.name}, axis={ax})")


def op_concat(b: Builder) -> Val | None:
    a = b.pick(lambda v: len(v.shape) >= 1)
    if a is None:
        return None
    nd = len(a.shape)
    if b.draw(st.booleans()):
        ax = b.draw(st.integers(-nd, nd - 1))
        axp = ax % nd

        def ok(s):
            return len(s) == nd and all(s[i] == a.shape[i] for i in range(nd) if i != axp)
        other = b.operand(ok, lambda: tuple(b.draw(st.integers(1, 3)) if i == axp else d
                                            for i, d in enumerate(a.shape)))
        if other is None:
            return None
        return b.emit("concatenate", f"m.concatenate([{a.name}, {other.name}], axis={ax})")
    if nd >= 4:
        return None
    other = b.operand(lambda s: s == a.shape, lambda: a.shape)
    if other is None:
        return None
    ax = b.draw(st.integers(-nd - 1, nd))
    return b.emit("stack", f"m.stack([{a.name}, {other.name}], axis={ax})")


def op_gather(b: Builder) -> Val | None:
    a = b.pick(lambda v: len(v.shape) >= 1)
    if a is None:
        return None
    nd = len(a.shape)
    ax = b.draw(st.integers(0, nd - 1))
    n = a.shape[ax]
    ishape = b.draw(shapes(1, 2))
    idx = np.asarray(b.draw(st.lists(st.integers(-n, n - 1), min_size=_size(ishape),
                                     max_size=_size(ishape)))).reshape(ishape)
    lit = repr(idx.tolist())
    form = b.draw(st.integers(0, 2))
    if form == 0 or ax != 0:
        return b.emit("gather", f"m.take({a.name}, m.asarray({lit}), axis={ax})")
    if form == 1:
        return b.emit("gather", f"{a.name}[m.asarray({lit})]")
    # scatter-add: x.at[idx].add(v)
    idx1 = np.asarray(idx).reshape(-1)
    vshape = (len(idx1),) + a.shape[1:]
    # updates never the operand itself: IREE 3.13 fails to compile a scatter whose operand
    # and updates are one value (see test_regressions.py::test_scatter_add_operand_as_updates)
    v = b.operand(lambda s: _broadcastable(vshape, s) and np.broadcast_shapes(vshape, s) == vshape,
                  lambda: vshape)
    if v is a:
        v = b.new_input(vshape)
    if v is None:
        return None
    lit1 = repr(idx1.tolist())
    return b.emit("scatter_add", f"{a.name}.at[m.asarray({lit1})].add({v.name})",
                  np_expr=f"H.at_add({a.name}, np.asarray({lit1}), {v.name})")


def op_matmul(b: Builder) -> Val | None:
    a = b.pick(lambda v: 1 <= len(v.shape) <= 3)
    if a is None:
        return None
    form = b.draw(st.integers(0, 3))
    k = a.shape[-1]
    if form == 0:   # a @ b with b (k,) / (k, n) / (batch, k, n)
        nb = b.draw(st.integers(1, 3))
        n = b.draw(st.integers(1, 3))
        shape = (k,) if nb == 1 else (k, n) if nb == 2 else (a.shape[0] if len(a.shape) == 3 else 2, k, n)

        def ok(s):
            if len(s) == 0 or (len(s) == 1 and s[0] != k) or (len(s) >= 2 and s[-2] != k):
                return False
            try:
                np.matmul(np.ones(a.shape), np.ones(s))
                return True
            except ValueError:
                return False
        other = b.operand(ok, lambda: shape)
        if other is None:
            return None
        return b.emit("matmul", f"{a.name} @ {other.name}")
    if form == 1:   # dot with a matrix
        other = b.operand(lambda s: len(s) == 2 and s[0] == k, lambda: (k, b.draw(st.integers(1, 3))))
        if other is None:
            return None
        return b.emit("dot", f"m.dot({a.name}, {other.name})")
    if form == 2:   # outer product of flattened values, small
        if _size(a.shape) > 12:
            return None
        other = b.operand(lambda s: 1 <= _size(s) <= 6, lambda: (b.draw(st.integers(1, 4)),))
        if other is None:
            return None
        return b.emit("outer", f"m.outer({a.name}, {other.name})")
    # einsum: contract the last axis of a with the first of b, keeping the rest
    other = b.operand(lambda s: len(s) >= 1 and s[0] == k and len(s) + len(a.shape) <= 5,
                      lambda: (k,) + tuple(b.draw(st.lists(st.integers(1, 3), max_size=1))))
    if other is None:
        return None
    la, lb = "abcd"[:len(a.shape)], "z" + "efgh"[:len(other.shape) - 1]
    la = la[:-1] + "z"
    out = la[:-1] + lb[1:]
    return b.emit("einsum", f"m.einsum('{la},{lb}->{out}', {a.name}, {other.name})")


def op_control_flow(b: Builder) -> Val | None:
    """lax.cond on a data-dependent predicate, lax.scan over the leading axis, fori_loop."""
    which = b.draw(st.sampled_from(["cond", "scan", "fori"]))
    if which == "scan":
        a = b.pick(lambda v: len(v.shape) >= 1 and v.shape[0] >= 1)
        return None if a is None else b.emit("scan", f"L.scan({a.name})")
    a = b.pick()
    if which == "fori":
        return b.emit("fori_loop", f"L.fori({a.name})")
    s = b.pick()
    return b.emit("cond", f"L.cond({s.name}, {a.name})")


OPS: dict[str, tuple[Callable[[Builder], Val | None], int]] = {
    # name: (builder, weight)
    "unary": (op_unary, 6),
    "binary": (op_binary, 5),
    "const": (op_const, 1),
    "compare": (op_compare, 1),
    "logical": (op_logical, 1),
    "where": (op_where, 2),
    "reduce": (op_reduce, 3),
    "cumsum": (op_cumsum, 1),
    "argmax": (op_argmax, 1),
    "reshape": (op_reshape, 2),
    "transpose": (op_transpose, 2),
    "expand_squeeze": (op_expand_squeeze, 1),
    "broadcast_to": (op_broadcast_to, 1),
    "slice": (op_slice, 3),
    "flip": (op_flip, 1),
    "concat": (op_concat, 2),
    "gather": (op_gather, 2),
    "matmul": (op_matmul, 3),
    "control_flow": (op_control_flow, 2),
}
_WEIGHTED = [name for name, (_, w) in OPS.items() for _ in range(w)]


@st.composite
def programs(draw, min_ops: int = 1, max_ops: int = 8, max_inputs: int = 4,
             ops: tuple[str, ...] | None = None) -> Program:
    """A random well-typed program; `ops` restricts the op families (names of OPS)."""
    n_in = draw(st.integers(1, 2))
    prog = Program(in_shapes=[draw(shapes()) for _ in range(n_in)])
    b = Builder(draw, prog, max_inputs)
    menu = [n for n in _WEIGHTED if ops is None or n in ops]
    n_ops = draw(st.integers(min_ops, max_ops))
    tries = 0
    while len(prog.lines) < n_ops and tries < 4 * n_ops:
        tries += 1
        builder, _ = OPS[draw(st.sampled_from(menu))]
        builder(b)
    floats = [v for v in b.pool if v.kind == "f" and v.name.startswith("v")]
    if not floats:
        # every op failed (or produced bools): return a float function of the inputs
        floats = [b.emit("unary", f"m.sin({b.pool[0].name})")]
    # Outputs: the last value, and (so that no line is dead code) the sum of every other
    # float value no later line reads.
    body = " ".join(prog.lines)
    dead = [v.name for v in floats[:-1]
            if not re.search(rf"\b{v.name}\b", body.split(f"{v.name} = ", 1)[1])]
    outs = [floats[-1].name]
    if dead:
        sink = b.emit("sink", " + ".join(f"m.sum({n})" for n in dead))
        outs.append(sink.name)
    prog.outputs = outs
    prog.seed = draw(st.integers(0, 2**16))
    return prog


# ---------------------------------------------------------------------------
# Comparison helpers


def assert_close(got, want, rtol: float, atol: float, what: str, program: Program | None = None):
    got, want = np.asarray(got), np.asarray(want)
    scale = max(1.0, float(np.max(np.abs(want[np.isfinite(want)]), initial=0.0)))
    if got.shape != want.shape:
        raise AssertionError(f"{what}: shape {got.shape} != expected {want.shape}\n{program!r}")
    try:
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol * scale, equal_nan=True)
    except AssertionError as e:
        raise AssertionError(f"{what}:\n{e}\n{program!r}") from None


def tree_close(got, want, rtol, atol, what, program=None):
    if isinstance(want, (tuple, list)):
        assert isinstance(got, (tuple, list)) and len(got) == len(want), \
            f"{what}: structure {type(got).__name__}[{len(got)}] vs {len(want)}\n{program!r}"
        for i, (g, w) in enumerate(zip(got, want)):
            tree_close(g, w, rtol, atol, f"{what}[{i}]", program)
    else:
        assert_close(got, want, rtol, atol, what, program)


def vdot(a, b) -> float:
    return float(np.sum(np.asarray(a, np.float64) * np.asarray(b, np.float64)))
