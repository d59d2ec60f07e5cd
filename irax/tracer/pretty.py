"""A small layout engine for printed jaxprs: documents of text, breaks, nesting and groups.

A `Group` is laid out flat (each of its breaks printed as its text, usually a space) when
the whole group fits in what is left of the line; otherwise its own breaks become newlines
(indented by the enclosing nesting) and each group inside it decides again for itself.
Only the group's own text counts, not what follows it on the line: this is the rule JAX's
printer follows, so irax's jaxprs wrap where JAX's do (80 columns).

The second half prints jaxprs with it. It knows the IR classes (tracer/core.py) by their
fields, not by import, since core's classes print themselves through this module.

Layering: imports nothing of irax.
"""
from __future__ import annotations

import collections
import re
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np


class Doc:
    def __add__(self, other: "Doc") -> "Doc":
        return Concat((self, other))

    def format(self, width: int = 80) -> str:
        return _layout(self, width)

    def __str__(self) -> str:
        return self.format()


@dataclass(frozen=True, eq=False)
class Text(Doc):
    text: str


@dataclass(frozen=True, eq=False)
class Break(Doc):
    text: str = " "   # printed when its group is flat; a newline otherwise


@dataclass(frozen=True, eq=False)
class Concat(Doc):
    parts: tuple


@dataclass(frozen=True, eq=False)
class Nest(Doc):
    n: int
    body: Doc


@dataclass(frozen=True, eq=False)
class Group(Doc):
    body: Doc


NIL = Concat(())


def text(s: str) -> Doc:
    return Text(s)


def concat(parts: Sequence[Doc]) -> Doc:
    return Concat(tuple(parts))


def join(sep: Doc, parts: Sequence[Doc]) -> Doc:
    out: list[Doc] = []
    for i, p in enumerate(parts):
        if i:
            out.append(sep)
        out.append(p)
    return Concat(tuple(out))


def _flat_width_fits(doc: Doc, room: int) -> bool:
    """Does `doc`, with every break printed as its text, take at most `room` columns?"""
    todo = [doc]
    while todo:
        if room < 0:
            return False
        d = todo.pop()
        if isinstance(d, Text):
            room -= len(d.text)
        elif isinstance(d, Break):
            room -= len(d.text)
        elif isinstance(d, Concat):
            todo.extend(reversed(d.parts))
        else:   # Nest, Group: flat inside a flat group
            todo.append(d.body)
    return room >= 0


def _layout(doc: Doc, width: int) -> str:
    lines: list[str] = []
    line: list[str] = []
    col = 0
    # (indent, flat?, doc); a stack, so children are pushed in reverse
    todo: list[tuple[int, bool, Doc]] = [(0, False, doc)]
    while todo:
        indent, flat, d = todo.pop()
        if isinstance(d, Text):
            line.append(d.text)
            col += len(d.text)
        elif isinstance(d, Concat):
            todo.extend((indent, flat, p) for p in reversed(d.parts))
        elif isinstance(d, Nest):
            todo.append((indent + d.n, flat, d.body))
        elif isinstance(d, Break):
            if flat:
                line.append(d.text)
                col += len(d.text)
            else:
                lines.append("".join(line))
                line, col = [" " * indent], indent
        elif isinstance(d, Group):
            todo.append((indent, flat or _flat_width_fits(d.body, width - col), d.body))
    lines.append("".join(line))
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# Pretty printing, laid out as JAX 0.10 lays out its jaxprs (80 columns):
#   { lambda ; a:f32[5]. let b:f32[5] = tanh a; c:f32[5] = exp b in (c,) }
# and, when that does not fit, one equation a line, long params in a `[...]` block.


def _alpha_name(n: int) -> str:
    """0 -> a, 25 -> z, 26 -> ba: n in base 26 written with letters (JAX's var names)."""
    s = ""
    while True:
        n, d = divmod(n, 26)
        s = chr(ord("a") + d) + s
        if not n:
            return s


class PpContext:
    """Var names for one printout: unique across the jaxpr and every jaxpr nested in it."""

    def __init__(self) -> None:
        self.names: dict[Any, str] = {}
        self._count = 0
        self.shared: dict[int, str] = {}    # id(jaxpr) -> its name (printed once, at the top)
        self.shared_names: set[str] = set()  # never given to a var

    def name(self, v: Any) -> str:
        n = self.names.get(v)
        if n is None:
            while n is None or n in self.shared_names:
                n = _alpha_name(self._count)
                self._count += 1
            self.names[v] = n
        return n

    def atom(self, a: Any) -> str:
        if _is_literal(a):
            return f"{literal_text(a)}:{a.aval.str_short()}"
        return self.name(a)

    def suggest_names(self, binders: Sequence[Any], like: Sequence[Any]) -> None:
        """A called jaxpr's binders take the names of the caller's atoms they stand for."""
        if len(binders) != len(like):
            return
        taken: set[Any] = set()
        for b, a in zip(binders, like):
            if _is_var(b) and _is_var(a) and a not in taken \
                    and b not in self.names:
                taken.add(a)
                self.names[b] = self.name(a)

    def is_shared(self, jaxpr: Any) -> bool:
        return id(jaxpr) in self.shared


def literal_text(lit: Any) -> str:
    # the value at its dtype, as a Python number: JAX prints a float32 0.1 as
    # 0.10000000149011612 too
    return str(np.asarray(lit.value).item())


# primitive -> rule(eqn, ctx) -> (printed name, [(param, value), ...]) or (name, params,
# operands): how an equation shows its params (e.g. broadcast_in_dim leaves out the shape
# its binder already shows) and, where JAX's primitive orders them otherwise, its operands
pp_eqn_rules: dict[Any, Callable[[Any, PpContext], tuple]] = {}


def _select_as_select_n(eqn: Any, ctx: "PpContext") -> tuple:
    # irax's select(pred, on_true, on_false) is JAX's select_n(pred, on_false, on_true)
    pred, on_true, on_false = eqn.inputs
    return "select_n", visible_params(eqn), [pred, on_false, on_true]


def _custom_call_pp(rule_params: dict[str, str]) -> Callable[[Any, "PpContext"], tuple]:
    """custom_jvp_call / custom_vjp_call as JAX shows them: the function's name first, its
    rules under JAX's param names, symbolic_zeros; irax's bookkeeping params left out.
    rule_params: irax's param -> JAX's, for the rules (whose `shown_as` is (name, symbolic
    zeros?), set by tracer/custom.py)."""
    def rule(eqn: Any, ctx: "PpContext") -> tuple:
        params = eqn.params
        first = params[next(iter(rule_params))]
        name, symbolic = getattr(first, "shown_as", (None, False))
        shown = {jax_name: params[k] for k, jax_name in rule_params.items()}
        shown.update(call_jaxpr=params["call_jaxpr"], symbolic_zeros=symbolic)
        lead = [("name", name)] if name is not None else []
        return eqn.primitive.name, lead + sorted(shown.items(), key=lambda kv: kv[0])
    return rule


# the same, for the primitives the tracer defines, known by name (this module imports none)
pp_eqn_rules_by_name: dict[str, Callable[[Any, "PpContext"], tuple]] = {
    "select": _select_as_select_n,
    "custom_jvp_call": _custom_call_pp({"jvp_fn": "jvp"}),
    "custom_vjp_call": _custom_call_pp({"fwd_fn": "fwd", "bwd_fn": "bwd"}),
}


# params JAX 0.10's equations show that irax's primitives do not carry, at the one value
# they have in irax (sharding annotations, scan's unroll): printed so jaxprs read as JAX's
JAX_ONLY_PARAMS: dict[str, dict[str, Any]] = {
    "reduce_sum": {"out_sharding": None},
    "reshape": {"dimensions": None, "sharding": None},
    "scan": {"unroll": 1},
    "iota": {"sharding": None},
}
# irax params that JAX names and writes otherwise: (primitive, param) -> (JAX's name, value)
JAX_PARAM_FORMS: dict[tuple[str, str], Callable[[Any], tuple[str, Any]]] = {
    ("argmax", "axis"): lambda v: ("axes", (v,)),
    ("argmin", "axis"): lambda v: ("axes", (v,)),
}


def visible_params(eqn: Any) -> list[tuple[str, Any]]:
    """The params a printed equation shows, sorted (irax-internal `_` ones left out), with
    those of JAX_ONLY_PARAMS and JAX_PARAM_FORMS as JAX shows them."""
    name = eqn.primitive.name
    params = {k: v for k, v in eqn.params.items() if not k.startswith("_")}
    for k in list(params):
        form = JAX_PARAM_FORMS.get((name, k))
        if form is not None:
            new_k, params[new_k] = form(params.pop(k))
    for k, v in JAX_ONLY_PARAMS.get(name, {}).items():
        params.setdefault(k, v)
    return sorted(params.items(), key=lambda kv: kv[0])


# core's IR classes, told apart by their fields: a Literal has `val`, a Var has `id`, a
# ClosedJaxpr has `jaxpr` and a Jaxpr `eqns`
def _is_literal(a: Any) -> bool:
    return hasattr(a, "val") and hasattr(a, "aval")


def _is_var(a: Any) -> bool:
    return hasattr(a, "id") and hasattr(a, "aval")


def _is_jaxpr(v: Any) -> bool:
    return hasattr(v, "eqns") and hasattr(v, "outvars")


def _open(v: Any) -> Any:
    """The Jaxpr of a ClosedJaxpr (or the Jaxpr itself)."""
    return v.jaxpr if hasattr(v, "jaxpr") else v


def _sub_jaxprs(params: dict) -> list:
    return [_open(q) for p in params.values()
            for q in (p if isinstance(p, (tuple, list)) else (p,)) if _is_jaxpr(q)]


def _pp_param_value(v: Any, ctx: PpContext) -> Doc:
    if _is_jaxpr(v):
        return _pp_jaxpr(_open(v), ctx)
    if isinstance(v, (tuple, list)) and v and all(_is_jaxpr(j) for j in v):
        docs = [_pp_param_value(j, ctx) for j in v]
        return Group(concat([
            Nest(2, concat([text("("), Break(""), join(Break(), docs)])),
            Break(""), text(")")]))
    if isinstance(v, frozenset):
        return text(f"frozenset({{{', '.join(sorted(map(repr, v)))}}})")
    if isinstance(v, np.dtype):
        return text(v.name)
    if callable(v) and not isinstance(v, type):
        return text(getattr(v, "__name__", type(v).__name__))
    return text(re.sub(r" at 0x[0-9a-fA-F]+", " at 0xXXXXXXXX", str(v)))


def _pp_params(params: list[tuple[str, Any]], ctx: PpContext) -> Doc:
    if not params:
        return NIL
    pairs = [text(f"{k}=") + _pp_param_value(v, ctx) for k, v in params]
    return Group(concat([
        Nest(2, concat([text("["), Break(""), join(Break(), pairs)])),
        Break(""), text("]")]))


def _pp_atoms(atoms: Sequence[Any], ctx: PpContext, sep: str = "",
              types: bool = False) -> Doc:
    # every gap is its own group: a list wraps only where a line runs full
    items = [text(ctx.atom(a) + (f":{a.aval.str_short()}" if types else "")) for a in atoms]
    return Nest(2, Group(join(text(sep) + Group(Break()), items)))


def _pp_eqn(eqn: Any, ctx: PpContext) -> Doc:
    rule = pp_eqn_rules.get(eqn.primitive) or pp_eqn_rules_by_name.get(eqn.primitive.name)
    shown = rule(eqn, ctx) if rule else (eqn.primitive.name, visible_params(eqn))
    name, params = shown[:2]
    inputs = shown[2] if len(shown) > 2 else eqn.inputs
    # built in this order (binders, params, operands): names are given as they are met
    lhs = _pp_atoms(eqn.outputs, ctx, types=True)
    rhs = [text(name), _pp_params(params, ctx), text(" ") + _pp_atoms(inputs, ctx)]
    return concat([lhs, text(" = "), *rhs] if eqn.outputs else rhs)


def _pp_jaxpr(jaxpr: Any, ctx: PpContext) -> Doc:
    """A jaxpr in full, or the name of a shared one (printed at the top)."""
    if ctx.is_shared(jaxpr):
        return text(ctx.shared[id(jaxpr)])
    return _pp_jaxpr_body(jaxpr, ctx)


def _pp_jaxpr_body(jaxpr: Any, ctx: PpContext) -> Doc:
    consts = _pp_atoms(jaxpr.constvars, ctx, types=True)
    ins = _pp_atoms(jaxpr.invars, ctx, types=True)
    eqns = join(Break("; "), [_pp_eqn(e, ctx) for e in jaxpr.eqns])
    outs = concat([text("("), _pp_atoms(jaxpr.outvars, ctx, sep=","),
                   text(",)" if len(jaxpr.outvars) == 1 else ")")])
    return Group(Nest(2, concat([
        text("{ lambda "), consts, text("; "), ins, text(". let"),
        Nest(2, Break() + eqns), Break(), text("in "), outs])) + text(" }"))


def _shared_jaxprs(top: Any) -> list[tuple[str, Any]]:
    """The nested jaxprs printed once, as `let name = { ... } in`, before the top one: those
    used more than once and those of more than 10 equations (JAX's rule), named after the
    `name` param of the equation holding them (else `jaxpr`), numbered when repeated."""
    uses: dict[int, int] = {}
    found: dict[int, Any] = {}
    names: dict[int, str] = {}
    queue = collections.deque([top])
    while queue:
        j = queue.popleft()
        found[id(j)] = j
        uses[id(j)] = uses.get(id(j), 0) + 1 + (j is not top and len(j.eqns) > 10)
        for e in j.eqns:
            subs = _sub_jaxprs(e.params)
            queue.extend(subs)
            if isinstance(e.params.get("name"), str):
                for s in subs:
                    names.setdefault(id(s), e.params["name"].strip("<>"))
    counts: collections.Counter = collections.Counter()
    out = []
    for k, n in uses.items():
        if n > 1:
            name = names.get(k, "jaxpr")
            seen = counts[name]
            counts[name] += 1
            if seen:
                name += str(seen)
                counts[name] += 1
            out.append((name, found[k]))
    return out


def eqn_text(eqn: Any) -> str:
    return _pp_eqn(eqn, PpContext()).format()


def pp_jaxpr(jaxpr: Any, width: int = 80) -> str:
    ctx = PpContext()
    # a binder of the printed jaxpr that nothing reads shows as `_` (not in the jaxprs
    # nested in it: JAX marks only the top level)
    used = {a for e in jaxpr.eqns for a in e.inputs if _is_var(a)}
    used |= {a for a in jaxpr.outvars if _is_var(a)}
    ctx.names.update((v, "_") for e in jaxpr.eqns for v in e.outputs if v not in used)
    shared = _shared_jaxprs(jaxpr)
    ctx.shared.update((id(j), name) for name, j in shared)
    ctx.shared_names.update(name for name, _ in shared)
    docs = [concat([text(f"let {name} = "), _pp_jaxpr_body(j, ctx), text(" in"), Break()])
            for name, j in shared]
    docs.append(_pp_jaxpr(jaxpr, ctx))
    return concat(docs).format(width)
