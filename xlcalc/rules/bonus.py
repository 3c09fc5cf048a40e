"""Capped per-item bonuses (P10)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from xlcalc import ir
from xlcalc.rules.base import (
    Lowered,
    Probe,
    ProbeSolver,
    Rule,
    register,
)

if TYPE_CHECKING:
    from xlcalc.lowering import Lowering
    from xlcalc.spec.model import Node


@register
@dataclass(frozen=True)
class Bonus(Rule):
    """``per`` points for each item, up to ``cap`` (每采用一篇得0.4分，总分2分)."""

    KIND = "bonus"
    LABEL = "加分"
    PATTERNS = ("P10",)
    FIELDS_DOC = "`count`, `per`, `cap`, `unit`"
    SCORE_DOC = "min(cap, per × count)"
    count: str
    per: float
    cap: float | None = None
    unit: str = "篇"

    def refs(self) -> list[str]:
        return [self.count]

    def probes(self, pm: ProbeSolver, points: float) -> list[Probe]:
        cap = self.cap if self.cap is not None else (points if points > 0 else 2)
        n = int(round(cap / self.per)) if self.per else 1
        return [p for k in (0, 1, n - 1, n, n + 1) if (p := pm.set_value(self.count, k))]

    def lower(self, lw: Lowering, node: Node) -> Lowered:
        n = lw.val(self.count)
        cap = self.cap if self.cap is not None else node.max_score
        why = ir.concat(
            lw.label(self.count),
            n,
            self.unit,
            "，每",
            self.unit,
            "得",
            ir.num_text(self.per, 2),
            "分",
            ir.if_(
                (n * self.per).cmp(">", cap), ir.concat("，以", ir.num_text(ir.Num(cap), 2), "分为限"), ""
            ),
        )
        # A count is not always non-negative (a derived difference can fall below zero): the lowest
        # score follows from the count's declared range.
        least, most = lw.value_range(self.count)
        lo = None if least is None else min(cap, least * self.per)
        hi = cap if most is None else min(cap, most * self.per)
        return Lowered(ir.min_(cap, n * self.per), why, (self.count,), lo=lo, hi=hi)
