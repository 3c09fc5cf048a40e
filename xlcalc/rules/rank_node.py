"""Ranking an indicator's score across the cohort (issue 13, item 14): 总分排名前3名的加2分, or
tier points by the rank of any indicator, totals included, with the tie and precision parameters of
``rank_tiers``.

A ranking cannot feed what it ranks: the loader refuses a rule ranking its own node or an ancestor
(:func:`xlcalc.spec.applicability.check_node_ranks`). To rank the total, the scored total is a child
of the root and the ranking its sibling (最终得分 = 考核得分 + 排名加分).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from xlcalc import ir
from xlcalc.rules.base import Probe, ProbeSolver, register
from xlcalc.rules.rank import RankTiers

if TYPE_CHECKING:
    from xlcalc.lowering import Lowering
    from xlcalc.spec.model import Node


@register
@dataclass(frozen=True)
class RankNode(RankTiers):
    KIND = "rank_node"
    LABEL = "按指标得分排名"
    PATTERNS = ("P8",)
    FIELDS_DOC = (
        "`node` (the indicator ranked, e.g. the scored total), `order: desc\\|asc`, `tiers: [{upto, points}]` "
        "(前N名: one tier), `tie_param`, `beyond_param`, `precision_param`"
    )
    SCORE_DOC = "by the rank of another indicator's score across the cohort (never its own ancestor)"
    key: str = field(metadata={"key": "node"})  # the indicator ranked

    def refs(self) -> list[str]:
        return []

    def nodes_read(self) -> list[str]:
        return [self.key]

    def key_value(self, lw: Lowering) -> ir.Expr:
        return ir.Ref(self.key)

    def key_text(self, lw: Lowering) -> ir.Expr:
        return ir.concat(lw.spec.node(self.key).label, ir.num_text(ir.Ref(self.key), 2), "分")

    def pending_text(self, lw: Lowering, node: Node, deps: list[str]) -> ir.ExprLike:
        return f"待填：“{lw.spec.node(self.key).label}”尚未得出，暂不排名"

    def probes(self, pm: ProbeSolver, points: float) -> list[Probe]:
        """Whole units at the ends and the middle of every range, each twice: units of one case that
        share a probe tie exactly on the ranked score."""
        out: list[Probe] = []
        for where in (0.0, 1.0, 0.5):
            probe: Probe = {}
            for inp in pm.inputs.values():
                if inp.is_bool:
                    probe[inp.id] = "是" if where else "否"
                elif inp.is_text:
                    probe[inp.id] = inp.values[int(where * (len(inp.values) - 1))] if inp.values else ""
                elif inp.lo is not None and inp.hi is not None:
                    x = inp.lo + where * (inp.hi - inp.lo)
                    x = float(round(x)) if (inp.item_type if inp.is_list else inp.type) == "integer" else x
                    probe[inp.id] = [x] if inp.is_list else x
            out += [probe, dict(probe)]
        return out
