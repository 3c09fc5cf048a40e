"""All-or-nothing thresholds (P1, P21 conjunctive conditions) and ordered tiers (P12)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from xlcalc import ir
from xlcalc.rules.base import (
    Condition,
    Lowered,
    Probe,
    ProbeSolver,
    Rule,
    condition_probes,
    parse_common,
    read_amount,
    register,
    single_threshold,
)
from xlcalc.yamlread import Reader

if TYPE_CHECKING:
    from xlcalc.lowering import Lowering
    from xlcalc.spec.model import Node


def _conditions(r: Reader, key: str) -> tuple[Condition, ...]:
    conds = tuple(Condition.parse(c) for c in r.readers(key, required=True))
    if not conds and r.has(key):
        r.error(f"'{key}' needs at least one condition", key)
    return conds


def _describe_all(lw: Lowering, conds: tuple[Condition, ...]) -> ir.Expr:
    parts: list[ir.ExprLike] = []
    for i, c in enumerate(conds):
        if i:
            parts.append("；")
        told = ir.if_(c.expr(lw), c.describe(lw, True), c.describe(lw, False))
        filled = c.filled(lw)
        # A blank condition is shown as 待填 (the rule may be decided by another one already).
        parts.append(
            ir.if_(filled, told, ir.concat(c.label or lw.label(c.value), "待填")) if filled else told
        )
    return ir.concat(*parts)


def _several_quantities(conds: tuple[Condition, ...]) -> bool:
    """Only conditions on two or more quantities can be decided while one of them is blank."""
    return len({ref for c in conds for ref in c.refs()}) > 1


def _all_hold(lw: Lowering, conds: tuple[Condition, ...], guarded: bool = True) -> ir.Expr:
    return ir.and_(*((c.holds(lw) if guarded else c.expr(lw)) for c in conds))


def _some_fails(lw: Lowering, conds: tuple[Condition, ...]) -> ir.Expr:
    return ir.or_(*(c.fails(lw) for c in conds))


@register
@dataclass(frozen=True)
class Threshold(Rule):
    """``points`` when every condition holds, else ``else_points`` (达标得满分，否则不得分)."""

    KIND = "threshold"
    LABEL = "达标得分"
    PATTERNS = ("P1", "P21", "P27")
    FIELDS_DOC = "`when: [conditions]`, `else_points` (0), `full_marks`"
    SCORE_DOC = "points if every condition holds"
    when: tuple[Condition, ...]
    else_points: float
    full: float | None

    @classmethod
    def parse(cls, r: Reader) -> Threshold:
        return cls(
            when=_conditions(r, "when"),
            else_points=read_amount(r, "else_points", 0.0, required=False) or 0.0,
            full=read_amount(r, "full_marks", None, required=False),
            **parse_common(r),
        )

    def full_marks(self) -> float | None:
        return self.full

    def refs(self) -> list[str]:
        return [x for c in self.when for x in c.refs()]

    def probes(self, pm: ProbeSolver, points: float) -> list[Probe]:
        return [p for c in self.when for p in condition_probes(pm, c)]

    def stated_threshold(self) -> tuple[str, float] | None:
        return single_threshold(self.when)

    def lower(self, lw: Lowering, node: Node) -> Lowered:
        several = _several_quantities(self.when)
        ok = _all_hold(lw, self.when, guarded=several)
        points = self.full if self.full is not None else node.points
        raw = ir.if_(ok, points, self.else_points)
        verdict = ir.if_(ok, "，符合得分条件", "，不符合得分条件")
        bounds = (points, self.else_points)
        return Lowered(
            raw,
            ir.concat(_describe_all(lw, self.when), verdict),
            tuple(self.refs()),
            decided=_some_fails(lw, self.when) if several else None,
            lo=min(bounds),
            hi=max(bounds),
        )


@dataclass(frozen=True)
class Tier:
    when: tuple[Condition, ...]
    points: float
    label: str


@register
@dataclass(frozen=True)
class Tiered(Rule):
    """The first tier whose conditions hold gives its points, else the default tier (P12)."""

    KIND = "tiered"
    LABEL = "分档得分"
    PATTERNS = ("P12",)
    FIELDS_DOC = "`tiers: [{when, points, label}]`, `default: {points, label}`"
    SCORE_DOC = "the first tier that holds"
    tiers: tuple[Tier, ...]
    default_points: float
    default_label: str

    @classmethod
    def parse(cls, r: Reader) -> Tiered:
        tiers = []
        for t in r.readers("tiers", required=True):
            tiers.append(
                Tier(_conditions(t, "when"), read_amount(t, "points") or 0.0, t.get("label", str, ""))
            )
            t.finish()
        d = r.child("default")
        default_points, default_label = 0.0, "均未达标"
        if d is not None:
            default_points = read_amount(d, "points") or 0.0
            default_label = d.get("label", str, default_label)
            d.finish()
        return cls(tuple(tiers), default_points, default_label, **parse_common(r))

    def refs(self) -> list[str]:
        return [x for t in self.tiers for c in t.when for x in c.refs()]

    def probes(self, pm: ProbeSolver, points: float) -> list[Probe]:
        return [p for t in self.tiers for c in t.when for p in condition_probes(pm, c)]

    def stated_threshold(self) -> tuple[str, float] | None:
        return single_threshold(self.tiers[0].when, only=False) if self.tiers else None

    def full_marks(self) -> float | None:
        return max([t.points for t in self.tiers] + [self.default_points])

    def lower(self, lw: Lowering, node: Node) -> Lowered:
        several = _several_quantities(tuple(c for t in self.tiers for c in t.when))
        raw: ir.Expr = ir.Num(self.default_points)
        label: ir.Expr = ir.Str(self.default_label)
        for t in reversed(self.tiers):
            ok = _all_hold(lw, t.when, guarded=several)
            raw = ir.if_(ok, t.points, raw)
            label = ir.if_(ok, t.label, label)
        first = self.tiers[0].when if self.tiers else ()
        why = ir.concat(_describe_all(lw, first), "，", label) if first else label
        values = [t.points for t in self.tiers] + [self.default_points]
        # Decided when some tier holds on filled values and every tier before it fails on filled
        # values, or every tier fails (the default): blanks elsewhere cannot change the first match.
        decided = None
        if several:
            options, earlier_fail = [], []
            for t in self.tiers:
                options.append(ir.and_(*earlier_fail, _all_hold(lw, t.when)))
                earlier_fail.append(_some_fails(lw, t.when))
            options.append(ir.and_(*earlier_fail))
            decided = ir.or_(*options)
        return Lowered(raw, why, tuple(self.refs()), decided=decided, lo=min(values), hi=max(values))
