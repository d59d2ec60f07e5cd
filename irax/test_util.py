"""irax.test_util: check a function's derivatives against finite differences (as jax.test_util).

`check_grads(f, args, order)` is what users run on their own custom_jvp / custom_vjp rules:
forward mode compares a JVP along one random direction with a central difference, reverse
mode checks the inner-product identity <vjp(ct), t> == <ct, jvp(t)> with the JVP taken by
finite differences, and `order > 1` repeats both on the derivative functions themselves.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from .tracer import api
from .tree_util import tree_leaves, tree_map, tree_structure

EPS = 1e-4

# Gradient tolerances by dtype (absolute and relative), the defaults JAX's check_grads uses.
_GRAD_TOL = {np.dtype(np.float16): 1e-2, np.dtype(np.float32): 2e-3, np.dtype(np.float64): 1e-5,
             np.dtype(np.complex64): 1e-3, np.dtype(np.complex128): 1e-5}


def _dtype(x) -> np.dtype:
    return np.result_type(x) if not hasattr(x, "dtype") else np.dtype(x.dtype)


def _tolerance(tol, dtype: np.dtype) -> float:
    if tol is None:
        return _GRAD_TOL.get(dtype, 0.0)
    if isinstance(tol, dict):
        merged = {**_GRAD_TOL, **{np.dtype(k): v for k, v in tol.items()}}
        return merged.get(dtype, 0.0)
    return float(tol)


def _is_python_scalar(x) -> bool:
    return isinstance(x, (bool, int, float, complex)) and not isinstance(x, np.generic)


def _like_input(value, like):
    """`value` with the dtype of `like`, a Python scalar again when `like` was one."""
    out = np.asarray(value, dtype=_dtype(like))
    return out.item() if _is_python_scalar(like) else out


def _random_like(rng: np.random.RandomState, x):
    shape, dtype = np.shape(x), _dtype(x)
    draw = np.asarray(rng.randn(*shape))
    if np.issubdtype(dtype, np.complexfloating):
        draw = draw + 1j * np.asarray(rng.randn(*shape))
    return _like_input(draw, x)


def _shifted(primals, tangents, scale: float):
    return tree_map(lambda p, t: _like_input(np.asarray(p) + scale * np.asarray(t), p),
                    primals, tangents)


def _difference(pos, neg):
    """pos - neg leaf by leaf, with inf - inf (an unchanged infinite output) counted as 0."""
    def one(a, b):
        a, b = np.asarray(a), np.asarray(b)
        with np.errstate(invalid="ignore"):
            return np.where(a == b, np.zeros((), a.dtype), a - b)
    return tree_map(one, pos, neg)


def numerical_jvp(f: Callable, primals: Sequence[Any], tangents: Sequence[Any],
                  eps: float = EPS):
    """(f(x + eps t) - f(x - eps t)) / (2 eps), leaf by leaf."""
    pos = f(*_shifted(primals, tangents, eps))
    neg = f(*_shifted(primals, tangents, -eps))
    return tree_map(lambda d: d * np.asarray(0.5 / eps, d.dtype), _difference(pos, neg))


def _inner_product(xs, ys) -> np.ndarray:
    """sum(x * y) over all leaves, accumulated in 128-bit complex (real when all leaves are)."""
    leaves = list(zip(tree_leaves(xs), tree_leaves(ys)))
    total = sum((np.sum(np.asarray(x, np.complex128) * np.asarray(y, np.complex128))
                 for x, y in leaves), np.complex128(0))
    complex_ = any(np.iscomplexobj(v) for pair in leaves for v in pair)
    return np.asarray(total if complex_ else total.real)


def check_close(actual, expected, atol=None, rtol=None, err_msg: str = "", dtype=None) -> None:
    """Leafwise allclose; the default tolerances are those of the less precise of the two
    dtypes (float32 results checked against a float64 reference get float32 tolerances).

    As in JAX's check_grads, a leaf's tolerances are multiplied by its number of elements:
    a central difference of a large-valued output carries rounding error of order
    ulp(f) / eps in every element, which a per-element tolerance alone would not admit."""
    if tree_structure(actual) != tree_structure(expected):
        raise AssertionError(f"{err_msg}: tree structures differ: {tree_structure(actual)} vs "
                             f"{tree_structure(expected)}")
    for a, e in zip(tree_leaves(actual), tree_leaves(expected)):
        a, e = np.asarray(a), np.asarray(e)
        common = np.promote_types(a.dtype, e.dtype)
        dtypes_ = [np.dtype(dtype)] if dtype is not None else [a.dtype, e.dtype]
        np.testing.assert_allclose(
            a.astype(common), e.astype(common), err_msg=err_msg,
            atol=max(_tolerance(atol, d) for d in dtypes_) * a.size,
            rtol=max(_tolerance(rtol, d) for d in dtypes_) * a.size)


def check_jvp(f: Callable, f_jvp: Callable, args: Sequence[Any], atol=None, rtol=None,
              eps: float = EPS, err_msg: str = "") -> None:
    """f_jvp(primals, tangents) (e.g. partial(irax.jvp, f)) against a central difference."""
    rng = np.random.RandomState(0)
    tangents = tree_map(lambda x: _random_like(rng, x), tuple(args))
    out, tangent_out = f_jvp(tuple(args), tangents)
    check_close(out, f(*args), atol, rtol, f"{err_msg} primal".strip())
    check_close(tangent_out, numerical_jvp(f, args, tangents, eps), atol, rtol,
                f"{err_msg} tangent".strip())


def check_vjp(f: Callable, f_vjp: Callable, args: Sequence[Any], atol=None, rtol=None,
              eps: float = EPS, err_msg: str = "") -> None:
    """f_vjp(*primals) (e.g. partial(irax.vjp, f)) by <vjp(ct), t> == <ct, jvp_fd(t)>."""
    rng = np.random.RandomState(0)
    out, pullback = f_vjp(*args)
    check_close(out, f(*args), atol, rtol, f"{err_msg} primal".strip())
    tangents = tree_map(lambda x: _random_like(rng, x), tuple(args))
    tangent_out = numerical_jvp(f, args, tangents, eps)
    cotangent = tree_map(lambda x: _random_like(rng, x), out)
    # JAX's convention for complex values: the pullback of conj(ct), conjugated.
    cotangent_in = tree_map(np.conj, pullback(tree_map(np.conj, cotangent)))
    out_dtype = np.result_type(*[_dtype(v) for v in tree_leaves(out)])
    check_close(_inner_product(tangents, cotangent_in), _inner_product(tangent_out, cotangent),
                atol, rtol, f"{err_msg} cotangent projection".strip(), dtype=out_dtype)


def check_grads(f: Callable, args: Sequence[Any], order: int,
                modes: Sequence[str] = ("fwd", "rev"), atol=None, rtol=None,
                eps: float | None = None) -> None:
    """Check f's derivatives up to `order` in the given modes ("fwd", "rev", "lin").

    Raises AssertionError naming the mode and order that disagree with finite differences.
    """
    unknown = set(modes) - {"fwd", "rev", "lin"}
    if unknown:
        raise ValueError(f"check_grads modes must be among 'fwd', 'rev', 'lin'; got {sorted(unknown)}")
    eps = eps or EPS

    def jvp_of(fun):
        return lambda primals, tangents: api.jvp(fun, primals, tangents)

    def jvp_by_linearize(fun):
        def run(primals, tangents):
            out, f_lin = api.linearize(fun, *primals)
            return out, f_lin(*tangents)
        return run

    def recurse(fun, fun_args, remaining: int, label: str) -> None:
        if "fwd" in modes:
            msg = "JVP" if not label else f"JVP of {label}"
            check_jvp(fun, jvp_of(fun), fun_args, atol, rtol, eps, msg)
            if remaining > 1:
                recurse(lambda p, t: api.jvp(fun, p, t), (fun_args, fun_args), remaining - 1, msg)
        if "rev" in modes:
            msg = "VJP" if not label else f"VJP of {label}"
            check_vjp(fun, lambda *a: api.vjp(fun, *a), fun_args, atol, rtol, eps, msg)
            if remaining > 1:
                def pulled_back(*a):
                    out, pullback = api.vjp(fun, *a)
                    return pullback(out)
                recurse(pulled_back, fun_args, remaining - 1, msg)
        if "lin" in modes:
            msg = "LIN" if not label else f"LIN of {label}"
            check_jvp(fun, jvp_by_linearize(fun), fun_args, atol, rtol, eps, msg)
            if remaining > 1:
                recurse(lambda p, t: jvp_by_linearize(fun)(p, t), (fun_args, fun_args),
                        remaining - 1, msg)

    recurse(f, tuple(args), order, "")
