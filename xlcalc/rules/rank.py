"""Rank-based tiers across the cohort of units (P8: 排名全市前3名的得1分，第4-6名得0.9分…
百分比相等的按并列排名得分).

Ranking is the only cross-unit rule. Keys are rounded to ``precision_param`` decimals first, so
"百分比相等" is decided on the rounded value (33.33% = 33.33%) and the criteria text built
for SUMIFS carries the exact value. Competition ranking is ``_xlfn.RANK.EQ``; dense ranking
counts the distinct keys above, through a first-occurrence helper column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from xlcalc import ir
from xlcalc.cells import Role
from xlcalc.rules.base import Lowered, Probe, ProbeSolver, Rule, choices, items, register
from xlcalc.yamlread import Reader

if TYPE_CHECKING:
    from xlcalc.lowering import Lowering
    from xlcalc.spec.model import Node


@dataclass(frozen=True)
class RankTier:
    upto: int
    points: float


@register
@dataclass(frozen=True)
class RankTiers(Rule):
    KIND = "rank_tiers"
    LABEL = "按名次得分"
    PATTERNS = ("P8",)
    FIELDS_DOC = "`key`, `order: desc\\|asc`, `tiers: [{upto, points}]`, `tie_param`, `beyond_param`, `precision_param`"
    SCORE_DOC = "by rank across the cohort"
    PARAM_FIELDS = ("tie_param", "beyond_param", "precision_param")
    COHORT = True
    key: str
    tiers: tuple[RankTier, ...] = field(metadata=items(RankTier))
    order: str = field(default="desc", metadata=choices("desc", "asc"))
    tie_param: str = "rank_ties"
    beyond_param: str = "rank_beyond"
    precision_param: str = "rank_precision"

    def check_fields(self, r: Reader) -> None:
        if [t.upto for t in self.tiers] != sorted(t.upto for t in self.tiers):
            r.error("rank tiers must be listed in increasing 'upto' order", "tiers")

    def refs(self) -> list[str]:
        return [self.key]

    def full_marks(self) -> float | None:
        return max(t.points for t in self.tiers) if self.tiers else None

    def probes(self, pm: ProbeSolver, points: float) -> list[Probe]:
        # Ties come from the cohort generator (several units sharing one probe).
        return [p for v in (0, 0.25, 0.3333, 0.5, 1) if (p := pm.set_value(self.key, v))]

    def key_value(self, lw: Lowering) -> ir.Expr:
        """What is ranked, for the current unit."""
        return lw.val(self.key)

    def key_text(self, lw: Lowering) -> ir.Expr:
        """What is ranked, as the explanation names and shows it."""
        return ir.concat(lw.label(self.key), lw.show(self.key))

    def lower(self, lw: Lowering, node: Node) -> Lowered:
        value = self.key_value(lw)
        ranked: ir.Expr = ir.if_(
            ir.isnum(value), ir.round_(value, lw.param(self.precision_param)), ir.PENDING
        )
        applies = lw.applies(node)
        if applies is not None:  # a unit the item does not apply to is left out of the ranking
            ranked = ir.if_(applies, ranked, ir.PENDING)
        key = lw.helper(node, "key", "排名依据（按精度取舍）", ranked, "0.0000", Role.RANK)
        first = lw.helper(
            node,
            "first",
            "首次出现（并列只计一次）",
            ir.if_(
                ir.isnum(key), ir.if_(ir.call("COUNTIF", ir.ColumnPrefix(key.cell), key).cmp("=", 1), 1, 0), 0
            ),
            "0",
            Role.RANK,
        )
        order = 0 if self.order == "desc" else 1
        cmp = ">" if self.order == "desc" else "<"
        competition = ir.call("RANK.EQ", key, ir.Column(key.cell), order)
        dense = (
            ir.call(
                "SUMIFS", ir.Column(first.cell), ir.Column(key.cell), ir.concat(cmp, ir.num_text(key, 10))
            )
            + 1
        )
        rank = lw.helper(
            node,
            "rank",
            "名次",
            ir.if_(
                ir.isnum(key),
                ir.if_(lw.param_is(self.tie_param, "competition"), competition, dense),
                ir.PENDING,
            ),
            "0",
            Role.RANK,
        )
        raw: ir.Expr = lw.param(self.beyond_param)
        for t in reversed(self.tiers):
            raw = ir.if_(rank.cmp("<=", t.upto), t.points, raw)
        why = ir.concat(self.key_text(lw), "，排名第", rank, "名（", lw.param(self.tie_param), "）")
        # The score beyond the listed ranks is a parameter: its bounds are the parameter's.
        beyond = lw.params[self.beyond_param]
        points = [t.points for t in self.tiers]
        lo = min(points + [beyond.lo]) if beyond.lo is not None else None
        hi = max(points + [beyond.hi]) if beyond.hi is not None else None
        return Lowered(raw, why, tuple(self.refs()), ready=ir.isnum(rank), lo=lo, hi=hi)
