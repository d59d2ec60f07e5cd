"""irax.numpy contractions: dot, matmul, einsum, tensordot (jnp.linalg is irax/numpy/linalg.py)."""
from __future__ import annotations

from ..tracer import dtypes
from ..tracer.core import get_aval
from ..tracer.prims import elementwise as ew
from ..tracer.prims import linalg as la
from ..tracer.prims import reduce as rd
from ..tracer.prims import shape as sh
from ._core import _axis, _broadcast_shapes, asarray
from .elementwise import multiply
from .shapes import ravel


def _contract(a, b, dimension_numbers):
    """dot_general at the operands' (promoted) dtype, which jax.numpy's contractions pass
    as preferred_element_type (so their jaxprs read as JAX's)."""
    return la.dot_general(a, b, dimension_numbers, get_aval(a).dtype)


def dot(a, b, precision=None, preferred_element_type=None):
    a, b = _promote_dtype_only(a, b)
    na, nb = get_aval(a).ndim, get_aval(b).ndim
    if na == 0 or nb == 0:
        return multiply(a, b)
    if nb == 1:
        return _contract(a, b, (((na - 1,), (0,)), ((), ())))
    return _contract(a, b, (((na - 1,), (nb - 2,)), ((), ())))


def _promote_dtype_only(a, b):
    a, b = asarray(a), asarray(b)
    aa, ba = get_aval(a), get_aval(b)
    dt, weak = dtypes.result_type((aa.dtype, aa.weak_type), (ba.dtype, ba.weak_type))
    return ew.convert_element_type(a, dt, weak), ew.convert_element_type(b, dt, weak)


def matmul(a, b, precision=None, preferred_element_type=None):
    a, b = _promote_dtype_only(a, b)
    aa, ba = get_aval(a), get_aval(b)
    if aa.ndim == 0 or ba.ndim == 0:
        raise ValueError("matmul: Input operand does not have enough dimensions (0-d operands "
                         "are not allowed; use multiply)")
    if aa.ndim == 1 and ba.ndim == 1:
        if aa.shape != ba.shape:
            raise TypeError(f"matmul: shapes {aa.shape} and {ba.shape} are incompatible")
        return _contract(a, b, (((0,), (0,)), ((), ())))
    if aa.ndim <= 2 and ba.ndim <= 2:   # no batch: one dot_general, as jnp.matmul
        if aa.shape[-1] != ba.shape[0]:
            raise TypeError(f"matmul: contracting dimensions differ: shapes {aa.shape} and "
                            f"{ba.shape} (size {aa.shape[-1]} vs {ba.shape[0]})")
        return _contract(a, b, (((aa.ndim - 1,), (0,)), ((), ())))
    a2 = sh.reshape(a, (1, aa.shape[0])) if aa.ndim == 1 else a
    b2 = sh.reshape(b, (ba.shape[0], 1)) if ba.ndim == 1 else b
    a2a, b2a = get_aval(a2), get_aval(b2)
    if a2a.shape[-1] != b2a.shape[-2]:
        raise TypeError(f"matmul: contracting dimensions differ: shapes {aa.shape} and "
                        f"{ba.shape} (size {a2a.shape[-1]} vs {b2a.shape[-2]})")
    batch = _broadcast_shapes(a2a.shape[:-2], b2a.shape[:-2])
    a2 = sh.broadcast_to_rank_shape(a2, batch + a2a.shape[-2:])
    b2 = sh.broadcast_to_rank_shape(b2, batch + b2a.shape[-2:])
    nb = len(batch)
    out = _contract(a2, b2, (((nb + 1,), (nb,)), (tuple(range(nb)), tuple(range(nb)))))
    if aa.ndim == 1:
        out = sh.squeeze(out, (nb,))
    if ba.ndim == 1:
        out = sh.squeeze(out, (get_aval(out).ndim - 1,))
    return out


def vdot(a, b):
    from .elementwise import conj   # vdot conjugates its first argument
    return dot(ravel(conj(a)), ravel(b))


def inner(a, b):
    a, b = _promote_dtype_only(a, b)
    na, nb = get_aval(a).ndim, get_aval(b).ndim
    if na == 0 or nb == 0:
        return multiply(a, b)
    return _contract(a, b, (((na - 1,), (nb - 1,)), ((), ())))


def outer(a, b):
    a, b = ravel(a), ravel(b)
    return multiply(sh.expand_dims(a, (1,)), b)


def tensordot(a, b, axes=2):
    a, b = _promote_dtype_only(a, b)
    na, nb = get_aval(a).ndim, get_aval(b).ndim
    if isinstance(axes, int):
        ca, cb = tuple(range(na - axes, na)), tuple(range(axes))
    else:
        ca, cb = axes
        ca = (ca,) if isinstance(ca, int) else tuple(ca)
        cb = (cb,) if isinstance(cb, int) else tuple(cb)
        ca, cb = tuple(_axis(i, na) for i in ca), tuple(_axis(i, nb) for i in cb)
    return _contract(a, b, ((ca, cb), ((), ())))


def einsum(subscripts: str, *operands, optimize=None, precision=None):
    operands = [asarray(o) for o in operands]
    subscripts = subscripts.replace(" ", "")
    if "->" in subscripts:
        ins, out = subscripts.split("->")
    else:
        ins = subscripts
        letters = [c for c in ins.replace(",", "") if c.isalpha()]
        out = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    specs = ins.split(",")
    if len(specs) != len(operands):
        raise ValueError(f"einsum: {len(specs)} operand specs for {len(operands)} operands")
    if "." in subscripts:
        raise NotImplementedError("einsum with ellipsis is not supported")
    for s, o in zip(specs, operands):
        if len(s) != get_aval(o).ndim:
            raise ValueError(f"einsum: operand spec {s!r} does not match operand of shape "
                             f"{get_aval(o).shape}")
        if len(set(s)) != len(s):
            raise NotImplementedError(f"einsum: repeated index within one operand ({s!r})")
    sizes: dict[str, int] = {}
    for k, (s, o) in enumerate(zip(specs, operands)):
        for c, n in zip(s, get_aval(o).shape):
            if sizes.setdefault(c, n) != n:
                raise ValueError(f"einsum: size of label {c!r} for operand {k} ({n}) does not "
                                 f"match previous terms ({sizes[c]})")
    for c in out:
        if c not in sizes:
            raise ValueError(f"einsum: output label {c!r} does not appear in the inputs")
    if len(operands) == 1:
        (s,), (x,) = specs, operands
        summed = tuple(i for i, c in enumerate(s) if c not in out)
        x = rd.reduce_sum(x, summed)
        rest = [c for c in s if c in out]
        return sh.transpose(x, tuple(rest.index(c) for c in out))
    if len(operands) > 2:
        # contract left to right, keeping letters still needed later
        acc, acc_spec = operands[0], specs[0]
        for k in range(1, len(operands)):
            later = set(out) | set("".join(specs[k + 1:]))
            keep = "".join(dict.fromkeys(c for c in acc_spec + specs[k] if c in later))
            acc = einsum(f"{acc_spec},{specs[k]}->{keep}", acc, operands[k])
            acc_spec = keep
        return einsum(f"{acc_spec}->{out}", acc)
    (sa, sb), (a, b) = specs, operands
    a, b = _promote_dtype_only(a, b)
    # sum out letters that appear in only one operand and not in the output
    only_a = tuple(i for i, c in enumerate(sa) if c not in sb and c not in out)
    only_b = tuple(i for i, c in enumerate(sb) if c not in sa and c not in out)
    a = rd.reduce_sum(a, only_a)
    b = rd.reduce_sum(b, only_b)
    sa = "".join(c for i, c in enumerate(sa) if i not in only_a)
    sb = "".join(c for i, c in enumerate(sb) if i not in only_b)
    batch = [c for c in sa if c in sb and c in out]
    contract = [c for c in sa if c in sb and c not in out]
    dn = ((tuple(sa.index(c) for c in contract), tuple(sb.index(c) for c in contract)),
          (tuple(sa.index(c) for c in batch), tuple(sb.index(c) for c in batch)))
    res = _contract(a, b, dn)
    res_spec = batch + [c for c in sa if c not in batch and c not in contract] + \
        [c for c in sb if c not in batch and c not in contract]
    return sh.transpose(res, tuple(res_spec.index(c) for c in out))
