"""Every operation of the shared op-spec table (tests/tracer/op_specs.py), compiled by IREE.

For each spec: `jit(f)`, `jit(grad(f))` (differentiable specs) and `jit(vmap(f))` (batchable
specs) must match the eager result (the NumPy impl rules: the tracer's own oracle) within
float32 tolerance. Real IREE, no mocks.

Speed: an IREE compile has a ~0.5 s floor per module, so the specs are compiled in chunks
(one module computing many specs), per mode; if a chunk fails to lower or compile, its specs
are compiled one by one so the failure is reported against the spec that caused it.
Compiled modules land in the disk cache (IRAX_CACHE_DIR), so re-runs skip IREE.
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import irax
import irax.numpy as jnp
from irax import grad, jit, tree_util, vmap

from tests.tracer.op_specs import NESTED, OPS, OPS_BY_NAME, OpSpec, make_args

MODES = ("jit", "grad", "vmap")
CHUNK = 60
BATCH = 3


def _seed(spec: OpSpec) -> int:
    return sum(map(ord, spec.name)) * 7919 % 100003


def _args(spec: OpSpec, batch=()):
    """irax Arrays (so operators on them are irax's, in the eager oracle too)."""
    return [jnp.asarray(a) for a in make_args(spec, np.random.default_rng(_seed(spec)),
                                              batch=batch)]


def _float_leaves(out):
    return [x for x in tree_util.tree_leaves(out) if np.dtype(x.dtype).kind == "f"]


def _weights(spec: OpSpec):
    """Fixed cotangent weights for the scalar loss sum(out * w) (so grads are not all 1s)."""
    out = spec.fn(*_args(spec))
    rng = np.random.default_rng(_seed(spec) + 1)
    return [rng.uniform(0.5, 1.5, np.shape(x)).astype(np.float32) for x in _float_leaves(out)]


def _grad_fn(spec: OpSpec):
    ws = _weights(spec)
    nums = spec.diff_argnums

    def loss(*args):
        leaves = _float_leaves(spec.fn(*args))
        total = 0.0
        for x, w in zip(leaves, ws):
            total = total + jnp.sum(x * w)
        return total
    return grad(loss, argnums=nums)


def _applies(spec: OpSpec, mode: str) -> bool:
    if mode == "grad":
        return bool(spec.diff_argnums) and bool(_weights(spec))
    if mode == "vmap":
        return spec.batchable
    return True


def _case(spec: OpSpec, mode: str):
    """(function, args) computed eagerly and under jit in `mode`."""
    if mode == "jit":
        return spec.fn, _args(spec)
    if mode == "grad":
        return _grad_fn(spec), _args(spec)
    return vmap(spec.fn), _args(spec, batch=(BATCH,))


def _combined(cases):
    sizes = [len(a) for _, a in cases]

    def run(*flat):
        outs, i = [], 0
        for (fn, _), n in zip(cases, sizes):
            outs.append(fn(*flat[i:i + n]))
            i += n
        return outs
    flat = [x for _, a in cases for x in a]
    return run, flat


class _Results:
    """Per mode: spec name -> compiled output, or the exception compiling/running it."""

    def __init__(self) -> None:
        self._done: dict[str, dict[str, object]] = {}
        self._lock = threading.Lock()

    def get(self, mode: str) -> dict[str, object]:
        with self._lock:
            if not self._done:   # all modes at once: IREE compiles overlap in two threads
                for m in MODES:
                    self._done[m] = {}
                jobs = [(m, [s for s in OPS if _applies(s, m)][k:k + CHUNK])
                        for m in MODES for k in range(0, len(OPS), CHUNK)]
                with ThreadPoolExecutor(2) as pool:
                    for m, res in pool.map(lambda job: (job[0], self._chunk(*job)), jobs):
                        self._done[m].update(res)
            return self._done[mode]

    @staticmethod
    def _chunk(mode: str, chunk: list[OpSpec]) -> dict[str, object]:
        out: dict[str, object] = {}
        if not chunk:
            return out
        cases = [_case(s, mode) for s in chunk]
        run, flat = _combined(cases)
        try:
            res = jit(run)(*flat)
            for s, r in zip(chunk, res):
                out[s.name] = r
        except Exception:   # isolate: compile this chunk's specs one by one
            for s, (fn, args) in zip(chunk, cases):
                try:
                    out[s.name] = jit(fn)(*args)
                except Exception as e:   # reported by that spec's test
                    out[s.name] = e
        return out


_RESULTS = _Results()


def _compare(got, want, tol: float, what: str) -> None:
    g_leaves, g_tree = tree_util.tree_flatten(got)
    w_leaves, w_tree = tree_util.tree_flatten(want)
    assert g_tree == w_tree, f"{what}: structure {g_tree} != eager {w_tree}"
    for i, (g, w) in enumerate(zip(g_leaves, w_leaves)):
        g, w = np.asarray(g), np.asarray(w)
        assert g.shape == w.shape, f"{what}: leaf {i} shape {g.shape} != eager {w.shape}"
        assert g.dtype == w.dtype, f"{what}: leaf {i} dtype {g.dtype} != eager {w.dtype}"
        if g.dtype.kind in "fc":
            np.testing.assert_allclose(g, w, rtol=tol, atol=tol, err_msg=f"{what}: leaf {i}")
        else:
            np.testing.assert_array_equal(g, w, err_msg=f"{what}: leaf {i}")


# float32 transcendental approximations in IREE differ from NumPy's by a few ulps; grads
# accumulate a few such differences
TOL = {"jit": 2e-5, "grad": 1e-4, "vmap": 2e-5}


# only the (spec, mode) pairs that apply: a non-differentiable op has no grad case
CASES = [(spec, mode) for mode in MODES for spec in OPS if _applies(spec, mode)]


@pytest.mark.parametrize("spec,mode", CASES, ids=[f"{s.name}-{m}" for s, m in CASES])
def test_op_compiled_matches_eager(spec: OpSpec, mode: str):
    got = _RESULTS.get(mode)[spec.name]
    if isinstance(got, Exception):
        raise got
    fn, args = _case(spec, mode)
    want = fn(*args)
    _compare(got, want, max(spec.tol, TOL[mode]), f"jit({mode}) of {spec.name}")


# ---------------------------------------------------------------------------
# Transformations of a jitted function (jit_call rules) on a subset of the table


@pytest.mark.parametrize("name", NESTED)
def test_grad_and_vmap_of_jit(name: str):
    spec = OPS_BY_NAME[name]
    args = _args(spec)
    if spec.diff_argnums:
        g = _grad_fn(spec)
        ws = _weights(spec)
        nums = spec.diff_argnums
        jf = jit(spec.fn)

        def loss_of_jit(*a):
            leaves = _float_leaves(jf(*a))
            return sum((jnp.sum(x * w) for x, w in zip(leaves, ws)), 0.0)
        _compare(grad(loss_of_jit, argnums=nums)(*args), g(*args), TOL["grad"],
                 f"grad(jit({name}))")
    if spec.batchable:
        bargs = _args(spec, batch=(BATCH,))
        _compare(vmap(jit(spec.fn))(*bargs), vmap(spec.fn)(*bargs), TOL["vmap"],
                 f"vmap(jit({name}))")
