"""Differential fuzzing of indexing: random index programs on irax (eager, vmap, jit) and JAX.

A program is one indexing operation on a float32 array of rank 1-3: x[...] with a random mix
of ints, slices, None, Ellipsis and integer arrays (int8 / uint8 / int32 / int64), the
.at[...] forms (get with mode "fill" / "clip", set / add / multiply / min / max with modes
None / "drop" / "clip" / "promise_in_bounds"), take (all modes), take_along_axis, and
dynamic_slice / dynamic_update_slice. Index values are drawn in bounds, negative, just out of
bounds and huge (10_000_000, +-2**31). JAX 0.10 is the oracle: same values, dtypes and shapes,
and where JAX raises, irax raises the same exception type.

Speed: the eager property runs many programs; the jit property compiles ONE module per
example holding PER_MODULE programs. $IRAX_FUZZ_EXAMPLES (`make fuzz`) raises both counts.
The last test prints how many programs ran.
"""
from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import irax
import irax.numpy as jnp

from tests.fuzz.fuzz_settings import SHRINK, fuzz_settings

os.environ.setdefault("JAX_PLATFORMS", "cpu")
import jax  # noqa: E402
import jax.numpy as jjnp  # noqa: E402

HUGE = (10_000_000, -10_000_000, 2 ** 31 - 1, -2 ** 31)
INDEX_DTYPES = (np.int8, np.uint8, np.int32, np.int64)
PER_MODULE = 6
RAN: Counter = Counter()


@dataclass
class IndexProgram:
    """`source` defines f(m, lax, x, v, *ix) over a numpy-like namespace m."""
    source: str
    x: np.ndarray
    v: np.ndarray
    ix: list[np.ndarray]
    kind: str

    def fn(self, m, lax):
        env: dict = {}
        exec(self.source, env)       # noqa: S102  (our own generated source)
        return lambda x, v, *ix: env["f"](m, lax, x, v, *ix)

    def __repr__(self) -> str:
        arrays = ", ".join(f"np.array({a.tolist()}, np.{a.dtype.name})" for a in self.ix)
        return (f"\n{self.source}\n# x: {self.x.dtype.name}{list(self.x.shape)}, "
                f"v: {self.v.dtype.name}{list(self.v.shape)}, ix: [{arrays}]")


# ---------------------------------------------------------------------------
# Strategies


def index_values(n: int):
    return st.one_of(st.integers(0, n - 1), st.integers(-n, -1), st.integers(n, n + 3),
                     st.integers(-n - 3, -n - 1), st.sampled_from(HUGE))


@st.composite
def index_array(draw, n: int, shape: tuple):
    dtype = np.dtype(draw(st.sampled_from(INDEX_DTYPES)))
    info = np.iinfo(dtype)
    size = int(np.prod(shape, dtype=np.int64))
    vals = draw(st.lists(index_values(n), min_size=size, max_size=size))
    if dtype.kind == "u":
        vals = [abs(v) for v in vals]
    return np.clip(np.asarray(vals, np.int64), info.min, info.max).astype(dtype).reshape(shape)


def _slice_text(draw, n):
    start = draw(st.one_of(st.none(), st.integers(-n - 2, n + 2)))
    stop = draw(st.one_of(st.none(), st.integers(-n - 2, n + 2)))
    step = draw(st.sampled_from([None, 1, 2, -1, -2, 3]))
    text = f"{'' if start is None else start}:{'' if stop is None else stop}"
    return text + (f":{step}" if step is not None else "")


@st.composite
def index_tuple(draw, shape: tuple):
    """(source text of the index, index arrays it names as ix[k])."""
    d = len(shape)
    r = draw(st.integers(1, d))                           # axes indexed explicitly
    ellipsis_at = draw(st.one_of(st.none(), st.integers(0, r)))
    axes = list(range(r)) if ellipsis_at is None else \
        list(range(ellipsis_at)) + list(range(d - (r - ellipsis_at), d))
    bshape = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    parts, arrays = [], []
    for k, ax in enumerate(axes):
        if ellipsis_at == k:
            parts.append("...")
        if draw(st.integers(0, 7)) == 0:
            parts.append("None")
        kind = draw(st.sampled_from(["int", "slice", "array", "array", "scalar_array"]))
        n = shape[ax]
        if kind == "int":
            parts.append(str(draw(index_values(n))))
        elif kind == "slice":
            parts.append(_slice_text(draw, n))
        else:
            if kind == "scalar_array":
                ashape = ()
            else:        # broadcastable to the program's common shape
                ashape = tuple(1 if draw(st.integers(0, 3)) == 0 else s for s in bshape)
                ashape = ashape[draw(st.integers(0, len(ashape))):] if ashape else ashape
            arrays.append(draw(index_array(n, ashape)))
            parts.append(f"ix[{len(arrays) - 1}]")
    if ellipsis_at == len(axes):
        parts.append("...")
    return ", ".join(parts), arrays


def _result_shape(text, x, arrays):
    """The shape JAX gives x[text] (None if JAX refuses the index)."""
    try:
        return tuple(eval(f"x[{text}]", {"x": jjnp.asarray(x), "ix": arrays}).shape)  # noqa: S307
    except Exception:
        return None


@st.composite
def programs(draw):
    shape = tuple(draw(st.lists(st.integers(1, 5), min_size=1, max_size=3)))
    seed = draw(st.integers(0, 2 ** 16))
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3, 3, shape).astype(np.float32)
    v = np.asarray(rng.uniform(-3, 3), np.float32)
    kind = draw(st.sampled_from(["get", "get", "at_get", "scatter", "scatter", "take",
                                 "take_along_axis", "dynamic_slice", "dynamic_update_slice"]))
    if kind in ("get", "at_get", "scatter"):
        text, arrays = draw(index_tuple(shape))
        if kind == "get":
            body = f"x[{text}]"
        elif kind == "at_get":
            mode = draw(st.sampled_from(["fill", "clip", "promise_in_bounds", None]))
            fill = draw(st.sampled_from(["", ", fill_value=-9.0"])) if mode == "fill" else ""
            body = f"x.at[{text}].get(mode={mode!r}{fill})"
        else:
            op = draw(st.sampled_from(["set", "add", "multiply", "min", "max"]))
            mode = draw(st.sampled_from([None, "drop", "clip", "promise_in_bounds"]))
            out_shape = _result_shape(text, x, arrays)
            # set keeps one of several values at a repeated position: give it one value
            if op != "set" and out_shape is not None and draw(st.booleans()):
                v = rng.uniform(-3, 3, out_shape).astype(np.float32)
            body = f"x.at[{text}].{op}(v, mode={mode!r})"
        return IndexProgram(f"def f(m, lax, x, v, *ix):\n    return {body}", x, v, arrays, kind)
    ax = draw(st.integers(-len(shape), len(shape) - 1))
    n = shape[ax]
    if kind == "take":
        ishape = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
        arrays = [draw(index_array(n, ishape))]
        mode = draw(st.sampled_from([None, "fill", "clip", "wrap"]))
        axis = draw(st.sampled_from([ax, None]))
        body = f"m.take(x, ix[0], axis={axis}, mode={mode!r})"
    elif kind == "take_along_axis":
        ishape = tuple(draw(st.integers(1, 3)) if d == ax % len(shape) else
                       draw(st.sampled_from([1, s])) for d, s in enumerate(shape))
        arrays = [draw(index_array(n, ishape))]
        mode = draw(st.sampled_from([None, "fill", "clip", "one_hot"]))
        body = f"m.take_along_axis(x, ix[0], axis={ax}, mode={mode!r})"
    else:
        arrays = [draw(index_array(s, ())) for s in shape]
        sizes = tuple(draw(st.integers(0, s)) for s in shape)
        starts = "(" + "".join(f"ix[{k}], " for k in range(len(shape))) + ")"
        if kind == "dynamic_slice":
            body = f"lax.dynamic_slice(x, {starts}, {sizes})"
        else:
            v = rng.uniform(-3, 3, sizes).astype(np.float32)
            body = f"lax.dynamic_update_slice(x, v, {starts})"
    return IndexProgram(f"def f(m, lax, x, v, *ix):\n    return {body}", x, v, arrays, kind)


# ---------------------------------------------------------------------------
# Running


def _jax(program):
    f = program.fn(jjnp, jax.lax)
    return f(jjnp.asarray(program.x), jjnp.asarray(program.v),
             *[jjnp.asarray(a) for a in program.ix])


def _irax_eager(program):
    f = program.fn(jnp, irax.lax)
    return f(jnp.asarray(program.x), jnp.asarray(program.v),
             *[jnp.asarray(a) for a in program.ix])


def _same(got, want, what, program):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, f"{what}: shape {got.shape} != JAX {want.shape}{program!r}"
    assert got.dtype == want.dtype, f"{what}: dtype {got.dtype} != JAX {want.dtype}{program!r}"
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, equal_nan=True,
                               err_msg=f"{what}{program!r}")


def _oracle(program):
    """JAX's result, or the exception type it raises."""
    try:
        return np.asarray(_jax(program)), None
    except Exception as e:       # noqa: BLE001
        return None, type(e)


def _check_vmap(program):
    """vmap over a batch of 3 operands and 3 variants of every index array == a loop."""
    rng = np.random.default_rng(1)
    xs = np.stack([program.x, program.x * 2 - 1, -program.x]).astype(np.float32)
    ixs = [np.stack([a, a[::-1] if a.ndim else a, a]) if a.size else np.stack([a] * 3)
           for a in program.ix]
    f = program.fn(jnp, irax.lax)
    got = irax.vmap(f, in_axes=(0, None, *[0] * len(ixs)))(
        jnp.asarray(xs), jnp.asarray(program.v), *[jnp.asarray(a) for a in ixs])
    for b in range(3):
        each = IndexProgram(program.source, xs[b], program.v, [a[b] for a in ixs], program.kind)
        _same(np.asarray(got)[b], _jax(each), f"vmap example {b}", each)
    del rng


@fuzz_settings(ci_default=120, scale=1.0)
@given(programs())
def test_eager_and_vmap_match_jax(program):
    want, error = _oracle(program)
    RAN["eager"] += 1
    if error is not None:
        try:
            _irax_eager(program)
        except Exception as e:    # noqa: BLE001
            assert issubclass(type(e), error) or issubclass(error, type(e)), \
                f"irax raised {type(e).__name__}: {e}; JAX {error.__name__}{program!r}"
            RAN["same_error"] += 1
            return
        raise AssertionError(f"JAX raises {error.__name__}, irax does not{program!r}")
    _same(_irax_eager(program), want, "eager", program)
    if program.kind != "dynamic_update_slice" and np.asarray(want).size:
        _check_vmap(program)
        RAN["vmap"] += 1


@fuzz_settings(ci_default=3, scale=0.05, shrink=SHRINK)
@given(st.lists(programs(), min_size=PER_MODULE, max_size=PER_MODULE))
def test_jit_matches_jax(progs):
    progs = [p for p in progs if _oracle(p)[1] is None]
    if not progs:
        return
    fns = [p.fn(jnp, irax.lax) for p in progs]
    sizes = [2 + len(p.ix) for p in progs]

    def bundle(*flat):
        outs, k = [], 0
        for f, n in zip(fns, sizes):
            outs.append(f(*flat[k:k + n]))
            k += n
        return outs
    flat = [a for p in progs for a in (p.x, p.v, *p.ix)]
    got = irax.jit(bundle)(*flat)
    for p, g in zip(progs, got):
        _same(g, _oracle(p)[0], "jit (llvm-cpu)", p)
    RAN["jit"] += len(progs)
    RAN["jit_modules"] += 1


def test_zz_report_program_counts(capsys):
    with capsys.disabled():
        print(f"\n[index fuzz] programs: {RAN['eager']} eager vs JAX ({RAN['same_error']} "
              f"raising JAX's error type), {RAN['vmap']} also under vmap, {RAN['jit']} under "
              f"jit in {RAN['jit_modules']} compiled modules")
