"""YAML → typed rubric tree, rejecting unknown keys, wrong types and dangling references with
file, line and YAML path."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from xlcalc.errors import SpecError
from xlcalc.rules import REGISTRY
from xlcalc.rules.base import number_or_percent, read_amount
from xlcalc.selfeval.compact import expand as expand_compact
from xlcalc.selfeval.compact import is_compact
from xlcalc.spec.applicability import check_applicability, check_node_ranks, read_applies, read_units
from xlcalc.spec.model import (
    INPUT_TYPES,
    Choice,
    DerivedDef,
    Grade,
    InputDef,
    Meta,
    Node,
    ParamDef,
    Spec,
)
from xlcalc.spec.params import STANDARD_PARAMS
from xlcalc.spec.pools import check_caps_and_pools
from xlcalc.yamlread import Context, Reader, load_yaml, read_spec_text

DERIVED_KINDS = {
    "ratio": 2,
    "mean": 1,
    "count": 1,
    "count_between": 1,
    "sum": None,
    "difference": 2,
    "min": None,
    "max": None,
    "clamp": 1,
    "piecewise": 1,
}
AGGREGATES = ("sum", "deductions")


def load_spec(path: str | Path, text: str | None = None) -> Spec:
    """Load and validate one spec file (or its ``text``, e.g. embedded in a workbook);
    raises :class:`SpecError` listing every problem."""
    path = Path(path)
    if text is None:
        text = read_spec_text(path)
    data, ctx = load_yaml(path, text)
    if is_compact(data):  # a one-line-per-row 自评表 stands for the full document
        data = expand_compact(data, ctx)
    spec = _build(Reader(data, ctx, ""), ctx, str(path))
    ctx.raise_if_errors()
    assert spec is not None
    warnings = tuple(d for d in ctx.diagnostics if d.level == "warning")
    return dataclasses.replace(spec, warnings=warnings, source_text=text)


def _build(r: Reader, ctx: Context, file: str) -> Spec | None:
    meta = _meta(r.child("meta"))
    params = _params(r)
    inputs = tuple(_input(x) for x in r.readers("inputs", required=True))
    derived = tuple(_derived(x) for x in r.readers("derived"))
    choices = tuple(_choice(x) for x in r.readers("choices"))
    tree = r.child("tree")
    root = _node(tree, 0) if tree is not None else None
    r.finish()
    if meta is None or root is None:
        return None
    spec = Spec(meta, params, inputs, derived, root, choices, file)
    _check_references(spec, r, ctx)
    return spec


def _meta(r: Reader | None) -> Meta | None:
    if r is None:
        return None
    grades = []
    for g in r.readers("grades"):
        grades.append(Grade(g.get("label", str) or "", read_amount(g, "min") or 0.0))
        g.finish()
    if [g.min for g in grades] != sorted((g.min for g in grades), reverse=True):
        r.error("grades must be listed from the highest 'min' down", "grades")
    units, unit_values = read_units(r)
    if len(set(units)) != len(units):
        r.error("units must be distinct", "units")
    meta = Meta(
        id=_file_id(r),
        title=r.get("title", str) or "",
        issuer=r.get("issuer", str, ""),
        year=str(r.get("year", (str, int), "")),
        source=r.get("source", str, ""),
        total=read_amount(r, "total") or 0.0,
        unit_kind=r.get("unit_kind", str, "项目"),
        units=units,
        grades=tuple(grades),
        weight_unit=r.choice("weight_unit", ("points", "percent"), "points") or "points",
        notes=r.get("notes", str, ""),
        project=r.get("project", str, ""),
        department=r.get("department", str, ""),
        implementer=r.get("implementer", str, ""),
        goal=r.get("goal", str, ""),
        unit_values=unit_values,
    )
    r.finish()
    return meta


# Names Windows reserves for devices: a workbook called CON.xlsx cannot be created there.
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{k}" for k in range(10)), *(f"LPT{k}" for k in range(10))}


def _file_id(r: Reader) -> str:
    """meta.id names the built files, so it is an identifier and no reserved device name."""
    value = r.ident("id", "spec")
    if value.upper() in _RESERVED:
        r.error(f"'id' '{value}' is a name Windows reserves for a device", "id")
        return ""
    return value


def _params(r: Reader) -> tuple[ParamDef, ...]:
    """Standard parameters every rubric has, then the spec's own (which may override defaults)."""
    params: dict[str, ParamDef] = {p.name: p for p in STANDARD_PARAMS}
    for p in r.readers("params"):
        name = p.ident("name", "parameter")
        choices = []
        for c in p.readers("choices"):
            choices.append((c.get("code", str) or "", c.get("label", str) or ""))
            c.finish()
        base = params.get(name)
        default = p.get("default", (str, float), base.default if base else None)
        pdef = ParamDef(
            name=name,
            label=p.get("label", str, base.label if base else name),
            doc=p.get("doc", str, base.doc if base else ""),
            default=default if default is not None else "",
            choices=tuple(choices) or (base.choices if base else ()),
            lo=read_amount(p, "min", base.lo if base else None, required=False),
            hi=read_amount(p, "max", base.hi if base else None, required=False),
            integer=p.get("integer", bool, base.integer if base else False),
        )
        if pdef.choices and str(pdef.default) not in pdef.choices_codes():
            p.error(
                f"default '{pdef.default}' is not one of the choices {', '.join(pdef.choices_codes())}",
                "default",
            )
        if not pdef.choices and not isinstance(pdef.default, float | int):
            p.error("a parameter without choices needs a numeric default", "default")
        p.finish()
        params[name] = pdef
    return tuple(params.values())


def _input(r: Reader) -> InputDef:
    itype = r.choice("type", INPUT_TYPES) or "number"
    inp = InputDef(
        id=r.ident("id", "input"),
        label=r.get("label", str) or "",
        unit=r.get("unit", str, "" if itype in ("bool", "text") else ("%" if itype == "percent" else "")),
        type=itype,
        lo=read_amount(r, "min", None, required=False),
        hi=read_amount(r, "max", None, required=False),
        source=r.get("source", str, ""),
        note=r.get("note", str, ""),
        capacity=r.get("capacity", int, 50 if itype == "list" else 0),
        item_type=r.choice("item_type", ("integer", "number"), "number") or "number",
        period=str(r.get("period", (str, int), "")),
        percent_points=r.get("percent_points", bool, False),
        values=tuple(str(v) for v, _, _ in r.items("values")),
    )
    if inp.values and itype != "text":
        r.error("'values' applies only to text inputs", "values")
    if inp.percent_points and itype != "percent":
        r.error("'percent_points' applies only to percent inputs", "percent_points")
    if inp.lo is not None and inp.hi is not None and inp.lo > inp.hi:
        r.error(f"min {inp.lo} is above max {inp.hi}", "min")
    if itype == "list" and inp.capacity <= 0:
        r.error("a list input needs a positive 'capacity'", "capacity")
    r.finish()
    return inp


def _derived(r: Reader) -> DerivedDef:
    kind = r.choice("kind", tuple(DERIVED_KINDS)) or "ratio"
    args = tuple(str(a) for a, _, _ in r.items("of", required=True))
    want = DERIVED_KINDS.get(kind)
    if want is not None and len(args) != want:
        r.error(f"derived kind '{kind}' takes {want} operand(s) in 'of', found {len(args)}", "of")
    if kind in ("min", "max") and len(args) < 2:
        r.error(f"derived kind '{kind}' takes at least 2 operands in 'of', found {len(args)}", "of")
    pieces = _pieces(r, args) if kind == "piecewise" else ()
    on_zero = r.get("on_zero", (str, float), "pending")
    if on_zero != "pending" and number_or_percent(on_zero) is None:
        r.error(f"'on_zero' must be 'pending' or a number, found '{on_zero}'", "on_zero")
        on_zero = "pending"
    d = DerivedDef(
        id=r.ident("id", "derived"),
        label=r.get("label", str) or "",
        kind=kind,
        unit=r.get("unit", str, ""),
        args=args,
        scale=read_amount(r, "scale", 1.0, required=False) or 1.0,
        cap=read_amount(r, "cap", None, required=False),
        on_zero=str(on_zero),
        lo=read_amount(r, "min", None, required=False),
        hi=read_amount(r, "max", None, required=False),
        decimals=r.get("decimals", int, 10),
        percent=r.get("percent", bool, False),
        note=r.get("note", str, ""),
        pieces=pieces,
    )
    r.finish()
    if kind == "clamp" and d.lo is None and d.hi is None:
        r.error("derived kind 'clamp' needs 'min', 'max' or both", "kind")
    return d


def _pieces(r: Reader, args: tuple[str, ...]) -> tuple[tuple[float | None, float | str], ...]:
    """``pieces: [{from: 15, value: 15}, {from: 6, value: fees}, {value: 6}]``: the first piece
    whose ``from`` the tested quantity reaches; the last piece, without ``from``, is the rest."""
    out: list[tuple[float | None, float | str]] = []
    readers = list(r.readers("pieces", required=True))
    for k, pr in enumerate(readers):
        bound = read_amount(pr, "from", None, required=False)
        raw = pr.get("value", (str, float, int))
        value: float | str = 0.0
        if isinstance(raw, str) and raw in args:
            value = raw
        elif isinstance(raw, int | float) and not isinstance(raw, bool):
            value = float(raw)
        else:
            pr.error(f"piece value must be a number or one of {list(args)}, found '{raw}'", "value")
        last = k == len(readers) - 1
        if (bound is None) != last:
            pr.error("every piece but the last needs 'from'; the last piece has none", "from")
        if out and bound is not None and out[-1][0] is not None and bound >= out[-1][0]:  # type: ignore[operator]
            pr.error("pieces are tried in order: each 'from' must be below the one before", "from")
        out.append((bound, value))
        pr.finish()
    return tuple(out)


def _choice(r: Reader) -> Choice:
    c = Choice(
        id=r.ident("id", "choice"),
        topic=r.get("topic", str) or "",
        decision=r.get("decision", str) or "",
        reason=r.get("reason", str) or "",
        param=r.get("param", str, ""),
        nodes=tuple(str(n) for n, _, _ in r.items("nodes")),
    )
    r.finish()
    return c


def _node(r: Reader, level: int) -> Node:
    children = tuple(_node(c, level + 1) for c in r.readers("children"))
    rule = None
    rr = r.child("rule") if r.has("rule") else None
    if rr is not None:
        kind = rr.get("kind", str) or ""
        cls = REGISTRY.get(kind)
        if cls is None:
            rr.error(f"unknown rule kind '{kind}'; known kinds: {', '.join(sorted(REGISTRY))}", "kind")
        else:
            rule = cls.parse(rr)
            rr.finish()
    if rule is not None and children:
        r.error("a node has either a rule or children, not both")
    if rule is None and not children and rr is None:
        r.error("a leaf indicator needs a 'rule'")
    node = Node(
        id=r.ident("id", "indicator"),
        label=r.get("label", str) or "",
        points=read_amount(r, "points") or 0.0,
        level=level,
        children=children,
        rule=rule,
        text=r.get("text", str, ""),
        floor=read_amount(r, "floor", None, required=False),
        line=r.line,
        path=r.path,
        extra={"note": r.get("note", str, ""), "implied": r.get("implied", bool, False)},
        self_score=r.get("self_score", str, ""),
        reason=r.get("reason", str, ""),
        target=str(r.get("target", (str, int, float), "")),
        stated_points=read_amount(r, "stated_points", None, required=False),
        aggregate=r.choice("aggregate", AGGREGATES, "sum") or "sum",
        duplicate_of=r.get("duplicate_of", str, ""),
        **read_applies(r),
        cap=read_amount(r, "cap", None, required=False),
    )
    if node.aggregate != "sum" and not children:
        r.error("'aggregate' applies to an indicator with children", "aggregate")
    r.finish()
    return node


def _check_references(spec: Spec, r: Reader, ctx: Context) -> None:
    """Dangling ids, duplicate ids, parameters and scopes that do not exist."""
    known: dict[str, str] = {}
    first: dict[str, tuple[int | None, str]] = {}
    for kind in ("input", "derived", "indicator"):
        for i, line, where in ctx.ids.get(kind, []):
            if i in known:
                at = f"line {first[i][0]}, {first[i][1]}" if first[i][0] else first[i][1]
                ctx.error(f"id '{i}' is already used by the {known[i]} at {at}", line, where)
                continue
            known[i] = kind
            first[i] = (line, where)
    seen_params: dict[str, int | None] = {}
    for name, line, where in ctx.ids.get("parameter", []):
        if name in seen_params:
            ctx.error(
                f"parameter '{name}' is declared twice (first at line {seen_params[name]})", line, where
            )
        seen_params[name] = line
    values = {i.id for i in spec.inputs} | {d.id for d in spec.derived}
    params = {p.name: p for p in spec.params}
    for d in spec.derived:
        for a in d.args:
            if a not in {i.id for i in spec.inputs} | {x.id for x in spec.derived}:
                line, where = _site(ctx, "derived", d.id, f"derived.{d.id}")
                ctx.error(f"derived '{d.id}' refers to unknown quantity '{a}'", line, where)
    for n in spec.nodes():
        if n.rule is None:
            continue
        where = f"{n.path}.rule"
        for ref in n.rule.refs() + [p.count for p in n.rule.penalties] + [v.flag for v in n.rule.vetoes]:
            if ref not in values:
                ctx.error(f"rule refers to unknown input or derived quantity '{ref}'", n.line, where)
        for v in n.rule.vetoes:
            if v.scope_param:
                p = params.get(v.scope_param)
                scope_ok = {n.id} | {a.id for a in spec.ancestors(n.id)}
                if p is None:
                    ctx.error(f"veto scope parameter '{v.scope_param}' is not defined", n.line, where)
                elif not set(p.choices_codes()) <= scope_ok:
                    ctx.error(
                        f"veto scope parameter '{v.scope_param}' must choose among this node and its ancestors",
                        n.line,
                        where,
                    )
        named = dict(n.rule.params_read())
        for attr, name in named.items():
            if name not in params:
                ctx.error(f"rule names parameter '{name}' ({attr}), which is not defined", n.line, where)
        pool = named.get("pool_param", "")
        if pool in params:
            ancestors = {a.id for a in spec.ancestors(n.id)}
            if not set(params[pool].choices_codes()) <= ancestors:
                ctx.error(f"pool parameter '{pool}' must choose among this rule's ancestors", n.line, where)
    _check_self_evaluation(spec, ctx, known)
    check_applicability(spec, ctx)
    check_node_ranks(spec, ctx)
    check_caps_and_pools(spec, ctx)
    for c in spec.choices:
        line, where = _site(ctx, "choice", c.id, "choices")
        if c.param and c.param not in params:
            ctx.error(f"choice '{c.id}' names unknown parameter '{c.param}'", line, where)
        for nid in c.nodes:
            if nid not in known:
                ctx.error(f"choice '{c.id}' names unknown node '{nid}'", line, where)


def _site(ctx: Context, kind: str, ident: str, fallback: str) -> tuple[int | None, str]:
    """Line and YAML path where an id of ``kind`` was declared (for errors about that entry)."""
    for i, line, where in ctx.ids.get(kind, []):
        if i == ident:
            return line, where.rsplit(".", 1)[0]
    return None, fallback


def _check_self_evaluation(spec: Spec, ctx: Context, known: dict[str, str]) -> None:
    """Self-scores are numeric inputs, reasons text inputs, duplicates name another indicator."""
    inputs = {i.id: i for i in spec.inputs}
    for n in spec.nodes():
        for attr, want in (("self_score", ("number", "integer", "percent")), ("reason", ("text",))):
            ref = getattr(n, attr)
            if not ref:
                continue
            inp = inputs.get(ref)
            if inp is None:
                ctx.error(f"'{attr}' refers to unknown input '{ref}'", n.line, f"{n.path}.{attr}")
            elif inp.type not in want:
                ctx.error(
                    f"'{attr}' input '{ref}' must be of type {' or '.join(want)}, not {inp.type}",
                    n.line,
                    f"{n.path}.{attr}",
                )
        if n.duplicate_of and (known.get(n.duplicate_of) != "indicator" or n.duplicate_of == n.id):
            ctx.error(
                f"'duplicate_of' must name another indicator, found '{n.duplicate_of}'",
                n.line,
                f"{n.path}.duplicate_of",
            )


def load_data(data: Any, file: str, text: str = "") -> Spec:
    """A spec from an already-parsed document (``xlcalc import`` builds compact tables in memory
    and audits them without a YAML round trip)."""
    ctx = Context(file)
    if is_compact(data):
        data = expand_compact(data, ctx)
    spec = _build(Reader(data, ctx, ""), ctx, file)
    ctx.raise_if_errors()
    assert spec is not None
    warnings = tuple(d for d in ctx.diagnostics if d.level == "warning")
    return dataclasses.replace(spec, warnings=warnings, source_text=text)


def load_many(paths: list[str | Path]) -> list[Spec]:
    specs, errors = [], []
    for p in paths:
        try:
            specs.append(load_spec(p))
        except SpecError as exc:
            errors.extend(exc.diagnostics)
    if errors:
        raise SpecError(errors)
    return specs
