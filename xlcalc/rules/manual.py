"""Scores that people assign: discretionary items within an allowed range or the national
qualitative bands (P14), with the 偏差原因 that must accompany any score below full marks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from xlcalc import ir
from xlcalc.rules.base import Lowered, Probe, ProbeSolver, Rule, register

if TYPE_CHECKING:
    from xlcalc.lowering import Lowering
    from xlcalc.spec.model import Node

# National qualitative bands (财预〔2020〕10号): 达成 [80%,100%], 部分达成 [60%,80%), 未达成 [0,60%).
QUALITATIVE_BANDS = (("达成", 0.8, 1.0), ("部分达成", 0.6, 0.8), ("未达成", 0.0, 0.6))
STEP = 0.01  # scores carry two decimals: the largest score below a half-open bound


@register
@dataclass(frozen=True)
class Discretionary(Rule):
    """A score an evaluator assigns (酌情扣分 / 根据实际情况核定), kept within ``[min, max]``
    (default 0..points) or, with ``tier``, within the national band of the chosen tier."""

    KIND = "discretionary"
    LABEL = "酌情评分"
    PATTERNS = ("P14", "P15")
    FIELDS_DOC = "`score`, `min`, `max`, `tier` (达成/部分达成/未达成 bands), `reason`"
    SCORE_DOC = "the assigned score, kept within its allowed range"
    score: str
    lo: float | None = field(default=None, metadata={"key": "min"})
    hi: float | None = field(default=None, metadata={"key": "max"})
    tier: str = ""
    reason: str = ""

    def refs(self) -> list[str]:
        return [x for x in (self.score, self.tier, self.reason) if x]

    def probes(self, pm: ProbeSolver, points: float) -> list[Probe]:
        out: list[Probe] = [{self.score: v} for v in (0, 1, 2.5, 100)]
        if self.tier:
            out += [{self.tier: name, self.score: 1} for name, _, _ in QUALITATIVE_BANDS]
        if self.reason:
            out += [{self.reason: "", self.score: 0.5}, {self.reason: "原因", self.score: 0.5}]
        return out

    def reason_input(self) -> str:
        return self.reason

    def tier_input(self) -> str:
        return self.tier

    def lower(self, lw: Lowering, node: Node) -> Lowered:
        s = lw.val(self.score)
        w = node.points
        lo: ir.Expr = ir.Num(self.lo if self.lo is not None else 0.0)
        hi: ir.Expr = ir.Num(self.hi if self.hi is not None else w)
        if self.tier:
            t = lw.val(self.tier)
            for name, a, b in QUALITATIVE_BANDS:
                lo = ir.if_(t.cmp("=", name), ir.round_(w * a, 2), lo)
                # Half-open below the top band: 部分达成 [0.6w, 0.8w) holds at most 0.8w − 0.01.
                top = ir.round_(w * b, 2) if b >= 1.0 else ir.round_(w * b, 2) - STEP
                hi = ir.if_(t.cmp("=", name), top, hi)
        raw = ir.min_(hi, ir.max_(lo, s))
        parts: list[ir.ExprLike] = ["评定得分", ir.num_text(s, 2), "分"]
        if self.tier:
            parts += ["（", lw.val(self.tier), "）"]
        parts.append(
            ir.if_(
                ir.or_(s.cmp(">", hi), s.cmp("<", lo)),
                ir.concat("，超出允许范围", ir.num_text(lo, 2), "-", ir.num_text(hi, 2), "分，按范围取值"),
                "",
            )
        )
        if self.reason:
            reason = lw.val(self.reason)
            parts.append(ir.if_(ir.and_(s.cmp("<", w), call_len_zero(reason)), "；未填写偏差原因", ""))
        deps = (self.score,) + ((self.tier,) if self.tier else ())
        hi_bound = w if self.tier else (self.hi if self.hi is not None else w)
        ready = self.valid_tier(lw) if self.tier else None
        return Lowered(
            raw, ir.concat(*parts), deps, ready=ready, lo=self.lo if self.lo is not None else 0.0, hi=hi_bound
        )

    def valid_tier(self, lw: Lowering) -> ir.Expr:
        t = lw.val(self.tier)
        return ir.or_(*(t.cmp("=", name) for name, _, _ in QUALITATIVE_BANDS))

    def pending_text(self, lw: Lowering, node: Node, deps: list[str]) -> ir.ExprLike:
        """A blank tier is 待填; a misspelt one ("部份达成") is named, never taken for a band."""
        labels = [lw.label(x) for x in ((self.tier,) if self.tier else ()) + (self.score,)]
        missing = "待填：请填写" + "、".join(labels)
        if not self.tier:
            return missing
        t = lw.val(self.tier)
        wrong = ir.concat("完成档次“", t, "”不是达成、部分达成、未达成之一，请改正")
        return ir.if_(ir.or_(t.cmp("=", ""), self.valid_tier(lw)), missing, wrong)


def call_len_zero(x: ir.Expr) -> ir.Expr:
    """Blank text cell: ``x=""`` is TRUE for an empty cell in every engine."""
    return x.cmp("=", "")
