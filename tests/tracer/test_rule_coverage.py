"""Every primitive has the rules its transformations need.

A primitive registered in core.abstract_eval_rules must have an impl rule, a jvp rule,
a batching rule, and, when it is linear in some argument (its jvp is built by deflinear or
it is otherwise used on tangents), a transpose rule.
"""
from __future__ import annotations

import irax  # noqa: F401  (registers every primitive family)
from irax.tracer import batching, core, jvp, remat, transpose  # noqa: F401  (remat: its rules)
from irax.tracer.prims import elementwise, indexing, linalg, reduce, shape, slicing, sort  # noqa: F401

# Higher-order primitives whose transformations go through Trace.process_custom_*_call (their
# bind re-enters it) or through jit's own module, not through the per-primitive tables. Each exemption names why.
# (Control flow -- while, scan, cond -- registers ordinary rules and is checked like the rest.)
EXEMPT = {
    "custom_jvp_call": "staged form of a custom_jvp function; traces call process_custom_jvp_call",
    "custom_vjp_call": "staged form of a custom_vjp function; traces call process_custom_vjp_call",
    "custom_lin": "the linear tangent map of custom_vjp: transposed by bwd, never re-differentiated "
                  "through the jvp table",
    "jit_call": "transformation rules live with jit (irax/jit.py)",
    "pjit": "transformation rules live with jit",
}

# Primitives that are linear in (at least one of) their arguments: reverse mode transposes them.
LINEAR = {
    "neg", "add", "add_any", "sub", "mul", "div", "select", "convert_element_type", "reduce_sum",
    "cumsum", "broadcast_in_dim", "reshape", "transpose", "squeeze", "concatenate", "pad",
    "slice", "rev", "dynamic_slice", "dynamic_update_slice", "gather", "scatter_add",
    "dot_general", "real", "imag", "conj", "complex",
    # control flow: linear in the operands whose body computation is linear (the tangent
    # part of a linearized loop/branch), so reverse mode transposes them
    "cond", "scan",
    # the staged tangent loop of a linearized while_loop; its transpose rule raises JAX's
    # reverse-mode ValueError (reached only when a nonzero cotangent gets to the loop)
    "while",
    # call-like: checkpoint's body (linear in its tangent inputs) and the linear solve
    # (linear in b)
    "remat2", "custom_linear_solve",
    # collectives over a named vmap axis: linear in their operand
    "psum", "all_gather",
}
# (sort is not linear: its jvp gathers the tangents by the sorted permutation, and reverse
# mode transposes that gather; tests/numpy/test_sorting.py checks grad through it)

# Primitives whose outputs are not differentiable (integer/bool results, or no inputs):
# a jvp rule is still required (symbolic zero), except for nullary ones.
NULLARY = {"iota", "axis_index"}


def _prims():
    return sorted(core.abstract_eval_rules, key=lambda p: p.name)


def _missing():
    missing = []
    for p in _prims():
        if p.name in EXEMPT:
            continue
        if p not in core.impl_rules:
            missing.append(f"{p.name}: impl rule")
        if p.name in NULLARY:
            continue
        if p not in jvp.jvp_rules:
            missing.append(f"{p.name}: jvp rule")
        if p not in batching.batch_rules:
            missing.append(f"{p.name}: batching rule")
        if p.name in LINEAR and p not in transpose.transpose_rules:
            missing.append(f"{p.name}: transpose rule")
    return missing


def test_every_primitive_has_its_rules():
    missing = _missing()
    assert not missing, "primitives lacking rules:\n  " + "\n  ".join(missing)


def test_linear_set_is_registered():
    names = {p.name for p in core.abstract_eval_rules}
    unknown = sorted(LINEAR - names)
    assert not unknown, f"LINEAR names primitives that do not exist: {unknown}"


def test_every_transpose_rule_belongs_to_a_known_linear_primitive():
    """A new linear primitive must be added to LINEAR (so its transpose stays required)."""
    extra = sorted(p.name for p in transpose.transpose_rules
                   if p.name not in LINEAR and p.name not in EXEMPT)
    assert not extra, f"transpose rules for primitives not in LINEAR: {extra}"


def test_deflinear_primitives_have_transpose_rules():
    """deflinear'd jvp rules put the primitive itself on tangents: it must transpose."""
    missing = []
    for p, rule in jvp.jvp_rules.items():
        if getattr(rule, "__qualname__", "").startswith("deflinear.") and \
                p not in transpose.transpose_rules:
            missing.append(p.name)
    assert not missing, f"deflinear primitives without transpose rules: {missing}"


# the fft primitive (irax/tracer/prims/fft.py) is linear over the reals (branch jnp-fft)
LINEAR.add("fft")
