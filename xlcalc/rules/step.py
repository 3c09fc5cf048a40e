"""Step deductions (P3): full marks at the threshold, minus a fixed amount per step beyond it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from xlcalc import ir, xlruntime
from xlcalc.rules.base import (
    Lowered,
    Probe,
    ProbeSolver,
    Rule,
    choices,
    clean_number,
    register,
)
from xlcalc.yamlread import Reader

if TYPE_CHECKING:
    from xlcalc.lowering import Lowering
    from xlcalc.spec.model import Node

PARTIAL_STEP_PARAM = "partial_step"


@register
@dataclass(frozen=True)
class StepDeduction(Rule):
    """Full marks at the threshold, minus ``per_step`` for each ``step`` below it (每降低五个百分点
    扣0.5分). Partial steps follow the rubric parameter ``partial_step``."""

    KIND = "step_deduction"
    LABEL = "按档扣分"
    PATTERNS = ("P3",)
    FIELDS_DOC = "`value`, `threshold`, `step`, `per_step`, `direction: below\\|above`, `full_marks`"
    SCORE_DOC = "points − per_step × steps; steps from `ROUND((threshold − value)/step, 9)` by `partial_step`"
    value: str
    threshold: float
    step: float
    per_step: float
    direction: str = field(default="below", metadata=choices("below", "above"))
    full: float | None = field(default=None, metadata={"key": "full_marks"})

    def check_fields(self, r: Reader) -> None:
        if self.step <= 0:
            r.error("'step' must be positive", "step")

    def refs(self) -> list[str]:
        return [self.value]

    def full_marks(self) -> float | None:
        return self.full

    def probes(self, pm: ProbeSolver, points: float) -> list[Probe]:
        probes = []
        for k in (0, 1, 2, 3, 0.5, 1.5, 4, 10, 20):
            v = (
                self.threshold - k * self.step
                if self.direction == "below"
                else self.threshold + k * self.step
            )
            p = pm.set_value(self.value, clean_number(v))
            if p is not None:
                probes.append(p)
        return probes

    def stated_threshold(self) -> tuple[str, float] | None:
        return (">=" if self.direction == "below" else "<=", self.threshold)

    def lower(self, lw: Lowering, node: Node) -> Lowered:
        a = lw.val(self.value)
        t = ir.Num(self.threshold)
        diff = (t - a) if self.direction == "below" else (a - t)
        # ROUND(...,9) before stepping: (1-0.9)/0.05 is 1.9999999999999996 in binary.
        gap = lw.helper(
            node,
            "gap",
            "差距档数（未取整）",
            ir.if_(lw.ready([self.value]), ir.max_(0, ir.round_(diff / self.step, 9)), ir.PENDING),
        )
        p = PARTIAL_STEP_PARAM
        steps_expr = ir.if_(
            lw.param_is(p, "floor"),
            ir.call("INT", gap),
            ir.if_(
                lw.param_is(p, "ceil"),
                ir.call("ROUNDUP", gap, 0),
                ir.if_(lw.param_is(p, "proportional"), gap, ir.round_(gap, 0)),
            ),
        )
        steps = lw.helper(node, "steps", "扣分档数", ir.if_(ir.isnum(gap), steps_expr, ir.PENDING))
        full = self.full if self.full is not None else node.points
        raw = full - ir.Num(self.per_step) * steps
        pct = lw.is_percent(self.value)
        word = "低于" if self.direction == "below" else "高于"
        if pct:
            gap_text = ir.concat(ir.fixed_text(gap * (self.step * 100), 1), "个百分点")
            step_text = f"每{xlruntime.general_text(self.step * 100)}个百分点"
        else:
            unit = lw.unit(self.value)
            gap_text = ir.concat(ir.num_text(gap * self.step, 2), unit)
            step_text = f"每{xlruntime.general_text(self.step)}{unit}"
        why = ir.concat(
            lw.label(self.value),
            lw.show(self.value),
            ir.if_(
                gap.cmp(">", 0),
                ir.concat(
                    "，",
                    word,
                    lw.show_literal(self.value, self.threshold),
                    "共",
                    gap_text,
                    "，按",
                    step_text,
                    "扣",
                    ir.num_text(self.per_step, 2),
                    "分计（",
                    lw.param(p),
                    "），扣",
                    ir.num_text(steps * self.per_step, 2),
                    "分",
                ),
                ir.concat(
                    "，",
                    "达到" if self.direction == "below" else "未超过",
                    lw.show_literal(self.value, self.threshold),
                ),
            ),
        )
        lo_v, hi_v = lw.value_range(self.value)
        far = (
            (self.threshold - lo_v)
            if self.direction == "below" and lo_v is not None
            else ((hi_v - self.threshold) if self.direction == "above" and hi_v is not None else None)
        )
        lowest = None if far is None else full - self.per_step * max(0.0, far / self.step)
        return Lowered(raw, why, (self.value,), lo=lowest, hi=full)
