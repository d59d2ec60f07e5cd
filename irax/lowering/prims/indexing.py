"""Lowering of gather / scatter_add along one axis (irax/tracer/prims/indexing.py)."""
from __future__ import annotations

from ...tracer.prims import indexing as ix
from .. import hlo
from ..emitter import Region, aval_type, i64_array, int_list, tensor_type
from ..lower import lowering_rules


def _gather(ctx, x, idx, *, axis):
    # stablehlo.gather clamps start indices so the size-1 slice fits: [0, n-1], as jnp does
    xa, ia = ctx.avals_in
    out = ctx.avals_out[0]
    nb = ia.ndim
    offset_dims = list(range(axis)) + list(range(axis + nb, out.ndim))
    sizes = [1 if i == axis else n for i, n in enumerate(xa.shape)]
    # IREE 3.13 constant-folds reduce(gather(splat constant)) to a wrong value (see
    # tests/fuzz/test_regressions.py); a barrier on the operand keeps the fold away.
    x = ctx.em.op1("stablehlo.optimization_barrier", [x], [aval_type(xa)], aval_type(xa))
    dn = (f"#stablehlo.gather<offset_dims = {int_list(offset_dims)}, "
          f"collapsed_slice_dims = [{axis}], start_index_map = [{axis}], "
          f"index_vector_dim = {nb}>")
    return ctx.em.op1("stablehlo.gather", [x, idx], [aval_type(xa), aval_type(ia)],
                      aval_type(out), {"dimension_numbers": dn,
                                       "slice_sizes": i64_array(sizes),
                                       "indices_are_sorted": "false"})


def _scatter_add(ctx, x, idx, upd, *, axis):
    # stablehlo.scatter skips out-of-bounds updates; irax clamps indices (as gather does)
    em = ctx.em
    xa, ia, ua = ctx.avals_in
    n = xa.shape[axis]
    lo = hlo.full(em, 0, ia.dtype, ())
    hi = hlo.full(em, max(n - 1, 0), ia.dtype, ())
    s_t = aval_type(hlo.scalar_aval(ia.dtype))
    idx = em.op1("stablehlo.clamp", [lo, idx, hi], [s_t, aval_type(ia), s_t], aval_type(ia))
    nb = ia.ndim
    window = list(range(axis)) + list(range(axis + nb, ua.ndim))
    dn = (f"#stablehlo.scatter<update_window_dims = {int_list(window)}, "
          f"inserted_window_dims = [{axis}], scatter_dims_to_operand_dims = [{axis}], "
          f"index_vector_dim = {nb}>")
    st = tensor_type((), xa.dtype)
    s_aval = hlo.scalar_aval(xa.dtype)
    op = "or" if xa.dtype.kind == "b" else "add"
    region = Region([st, st], [st],
                    lambda em_, a: [hlo.binary(em_, op, a[0], a[1], s_aval)])
    return em.op1("stablehlo.scatter", [x, idx, upd],
                  [aval_type(xa), aval_type(ia), aval_type(ua)], aval_type(xa),
                  {"scatter_dimension_numbers": dn, "indices_are_sorted": "false",
                   "unique_indices": "false"}, regions=[region])


# ---------------------------------------------------------------------------
# Registration

lowering_rules[ix.gather_p] = _gather
lowering_rules[ix.scatter_add_p] = _scatter_add
