"""A threshold with a discretionary fallback (P1 + P14): full marks when the conditions hold,
otherwise a score the evaluator assigns within an allowed range.

惠东 论证充分性: "具有前期可行性研究报告…且有文字材料的得4分。如无，则根据实际情况核定分数。"
"""

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
from xlcalc.rules.threshold import _conditions, _describe_all
from xlcalc.yamlread import Reader

if TYPE_CHECKING:
    from xlcalc.lowering import Lowering
    from xlcalc.spec.model import Node


@register
@dataclass(frozen=True)
class ThresholdOrManual(Rule):
    """``points`` when every condition of ``when`` holds, else the score ``otherwise.score`` kept
    within ``[otherwise.min, otherwise.max]`` (default 0..points)."""

    KIND = "threshold_or_manual"
    LABEL = "达标得分或酌情评分"
    PATTERNS = ("P1", "P14")
    FIELDS_DOC = "`when: [conditions]`, `otherwise: {score: id, min, max}`"
    SCORE_DOC = "points if every condition holds, else the judged score within its range"
    when: tuple[Condition, ...]
    score: str
    lo: float | None = None
    hi: float | None = None

    @classmethod
    def parse(cls, r: Reader) -> ThresholdOrManual:
        when = _conditions(r, "when")
        o = r.child("otherwise")
        score, lo, hi = "", None, None
        if o is not None:
            score = o.get("score", str) or ""
            lo = read_amount(o, "min", None, required=False)
            hi = read_amount(o, "max", None, required=False)
            if lo is not None and hi is not None and lo > hi:
                o.error(f"min {lo:g} is above max {hi:g}", "min")
            o.finish()
        return cls(when, score, lo, hi, **parse_common(r))

    def cond_refs(self) -> list[str]:
        return [x for c in self.when for x in c.refs()]

    def refs(self) -> list[str]:
        return [*self.cond_refs(), self.score]

    def probes(self, pm: ProbeSolver, points: float) -> list[Probe]:
        """Each condition on its boundary, with the judged score inside, on and outside its range."""
        out = [p for c in self.when for p in condition_probes(pm, c)]
        hi = self.hi if self.hi is not None else 100.0
        lo = self.lo if self.lo is not None else 0.0
        for v in (lo, (lo + hi) / 2, hi, hi + 1, None):
            out.append({self.score: v} | {c.value: "否" for c in self.when if c.flag})
        return out

    def stated_threshold(self) -> tuple[str, float] | None:
        return single_threshold(self.when)

    def lower(self, lw: Lowering, node: Node) -> Lowered:
        ok = ir.and_(*(c.expr(lw) for c in self.when))
        s = lw.val(self.score)
        lo = self.lo if self.lo is not None else 0.0
        hi = self.hi if self.hi is not None else node.points
        raw = ir.if_(ok, node.points, ir.min_(hi, ir.max_(lo, s)))
        judged = ir.concat(
            "，不符合得分条件，根据实际情况核定",
            ir.num_text(s, 2),
            "分",
            ir.if_(
                ir.or_(s.cmp("<", lo), s.cmp(">", hi)),
                ir.concat("，超出允许范围", ir.num_text(lo, 2), "-", ir.num_text(hi, 2), "分，按范围取值"),
                "",
            ),
        )
        why = ir.concat(_describe_all(lw, self.when), ir.if_(ok, "，符合得分条件", judged))
        # The judged score is needed only when the conditions fail.
        return Lowered(
            raw,
            why,
            tuple(self.cond_refs()),
            ready=ir.or_(ok, ir.isnum(s)),
            lo=min(lo, node.points),
            hi=max(hi, node.points),
        )

    def pending_text(self, lw: Lowering, node: Node, deps: list[str]) -> ir.Expr:
        conds = "、".join(lw.label(x) for x in dict.fromkeys(lw.base_inputs(self.cond_refs())))
        ready = lw.ready(self.cond_refs())
        judged = f"待填：不符合得分条件，请填写{lw.label(self.score)}"
        return ir.if_(ready, judged, f"待填：请填写{conds}") if ready is not None else ir.Str(judged)


# ---- verifier -------------------------------------------------------------------------------
