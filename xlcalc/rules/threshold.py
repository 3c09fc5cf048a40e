"""All-or-nothing thresholds (P1, P21 conjunctive conditions) and ordered tiers (P12)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from xlcalc import ir
from xlcalc.rules.base import Condition, Lowered, Rule, parse_common, read_amount, register
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
        parts.append(ir.if_(c.expr(lw), c.describe(lw, True), c.describe(lw, False)))
    return ir.concat(*parts)


@register
@dataclass(frozen=True)
class Threshold(Rule):
    """``points`` when every condition holds, else ``else_points`` (达标得满分，否则不得分)."""

    KIND = "threshold"
    PATTERNS = ("P1", "P21", "P27")
    FIELDS_DOC = "when: [conditions]; else_points (default 0); full_marks"
    when: tuple[Condition, ...]
    else_points: float
    full: float | None
    penalties: tuple = ()
    vetoes: tuple = ()
    floor: str = "param"

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

    def lower(self, lw: Lowering, node: Node) -> Lowered:
        ok = ir.and_(*(c.expr(lw) for c in self.when))
        points = self.full if self.full is not None else node.points
        raw = ir.if_(ok, points, self.else_points)
        verdict = ir.if_(ok, "，符合得分条件", "，不符合得分条件")
        bounds = (points, self.else_points)
        return Lowered(
            raw,
            ir.concat(_describe_all(lw, self.when), verdict),
            tuple(self.refs()),
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
    PATTERNS = ("P12",)
    FIELDS_DOC = "tiers: [{when, points, label}]; default: {points, label}"
    tiers: tuple[Tier, ...]
    default_points: float
    default_label: str
    penalties: tuple = ()
    vetoes: tuple = ()
    floor: str = "param"

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

    def full_marks(self) -> float | None:
        return max([t.points for t in self.tiers] + [self.default_points])

    def lower(self, lw: Lowering, node: Node) -> Lowered:
        raw: ir.Expr = ir.Num(self.default_points)
        label: ir.Expr = ir.Str(self.default_label)
        for t in reversed(self.tiers):
            ok = ir.and_(*(c.expr(lw) for c in t.when))
            raw = ir.if_(ok, t.points, raw)
            label = ir.if_(ok, t.label, label)
        first = self.tiers[0].when if self.tiers else ()
        why = ir.concat(_describe_all(lw, first), "，", label) if first else label
        values = [t.points for t in self.tiers] + [self.default_points]
        return Lowered(raw, why, tuple(self.refs()), lo=min(values), hi=max(values))
