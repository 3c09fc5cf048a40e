"""Scores proportional to a quantity: 100-point averages converted to points (P7), completion
ratios against targets in the three national directions (P6, P17, P18, P19) and the budget
execution line of the national self-evaluation table (P16)."""

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
    parse_common,
    read_amount,
    register,
)
from xlcalc.yamlread import Reader

if TYPE_CHECKING:
    from xlcalc.lowering import Lowering
    from xlcalc.spec.model import Node


@register
@dataclass(frozen=True)
class Conversion(Rule):
    """``points × average / scale`` (根据平均得分进行分值换算), with an optional minimum sample
    whose consequence is the parameter ``sample_param`` (keep, zero, or pro-rate)."""

    KIND = "conversion"
    LABEL = "折算得分"
    PATTERNS = ("P7",)
    FIELDS_DOC = "`average` (number or list), `scale` (100), `min_sample`, `sample_param`"
    SCORE_DOC = "points × average / scale"
    PARAM_FIELDS = ("sample_param",)
    average: str
    scale: float = 100.0
    min_sample: int = 0
    sample_param: str = ""

    def refs(self) -> list[str]:
        return [self.average]

    def probes(self, pm: ProbeSolver, points: float) -> list[Probe]:
        inp = pm.inputs.get(self.average)
        if inp is not None and inp.is_list:
            out: list[Probe] = [
                {self.average: [88.5] * 20},
                {self.average: [100.0] * 20},
                {self.average: [0.0]},
            ]
            if self.min_sample:
                out += [
                    {self.average: [90.0] * (self.min_sample - 1)},
                    {self.average: [90.0] * self.min_sample},
                ]
            return out
        return [p for v in (0, 88.5, 100, 66.666) if (p := pm.set_value(self.average, v))]

    def lower(self, lw: Lowering, node: Node) -> Lowered:
        src = lw.val(self.average)
        is_list = isinstance(src, ir.ListRange)
        avg = lw.helper(
            node,
            "avg",
            "平均得分",
            ir.if_(
                lw.ready([self.average]),
                ir.round_(ir.call("AVERAGE", src), 10) if is_list else src,
                ir.PENDING,
            ),
        )
        raw: ir.Expr = ir.Num(node.points) * avg / self.scale
        why_parts: list[ir.ExprLike] = [
            "平均得分",
            ir.num_text(avg, 2),
            "分（百分制），按",
            ir.num_text(ir.Num(node.points)),
            "×平均分/",
            xlruntime.general_text(self.scale),
            "折算",
        ]
        if is_list and self.min_sample and self.sample_param:
            n = ir.call("COUNT", src)
            short = n.cmp("<", self.min_sample)
            p = self.sample_param
            # Pro-rated: points × average/scale × n/min_sample = points × SUM/(scale × min_sample). Taken
            # from the sum, so the rounded average is not multiplied back up (round once, at the end).
            prorated = ir.Num(node.points) * ir.call("SUM", src) / (self.scale * self.min_sample)
            raw = ir.if_(
                short,
                ir.if_(lw.param_is(p, "zero"), 0, ir.if_(lw.param_is(p, "prorate"), prorated, raw)),
                raw,
            )
            why_parts.append(
                ir.if_(
                    short,
                    ir.concat("；调查", n, "人，少于", str(self.min_sample), "人（", lw.param(p), "）"),
                    "",
                )
            )
        lo_v, hi_v = lw.value_range(self.average)
        if is_list:
            item = lw.inputs[self.average]
            lo_v, hi_v = item.lo, item.hi
        lo = 0.0 if lo_v is not None and lo_v >= 0 else None
        hi = node.points * hi_v / self.scale if hi_v is not None else None
        return Lowered(raw, ir.concat(*why_parts), (self.average,), lo=lo, hi=hi)


@register
@dataclass(frozen=True)
class Proportional(Rule):
    """Completion against a target, nationally: positive (≥) ``w×min(1,a/t)``; reverse (≤) full
    at or under the target, decaying linearly to 0 at twice the target; equality (=) as positive
    unless the target is 0. ``completion: true`` means the actual is already a completion ratio."""

    KIND = "proportional"
    LABEL = "按完成比例得分"
    PATTERNS = ("P6", "P17", "P18", "P19", "P24")
    FIELDS_DOC = "`actual`, `target`, `direction: positive\\|reverse\\|equal`, `completion`, `cap`"
    SCORE_DOC = "national completion rules"
    actual: str
    target: float | str | None = None
    direction: str = field(default="positive", metadata=choices("positive", "reverse", "equal"))
    completion: bool = False
    cap: bool = True

    def check_fields(self, r: Reader) -> None:
        if self.target is None and not self.completion:
            r.error("a proportional rule needs 'target' unless 'completion: true'")

    def refs(self) -> list[str]:
        return [self.actual] + ([self.target] if isinstance(self.target, str) else [])

    def probes(self, pm: ProbeSolver, points: float) -> list[Probe]:
        if self.completion:
            return [p for v in (0, 0.5, 0.995, 1, 1.3) if (p := pm.set_value(self.actual, v))]
        if isinstance(self.target, int | float):
            t = float(self.target)
            return [
                p
                for v in (0, t / 2, t, t * 1.5, t * 2, t * 3)
                if (p := pm.set_value(self.actual, clean_number(v)))
            ]
        return []

    def stated_threshold(self) -> tuple[str, float] | None:
        if self.completion or not isinstance(self.target, int | float):
            return None
        return ({"positive": ">=", "reverse": "<=", "equal": "="}[self.direction], float(self.target))

    def completion_ratio(self, lw: Lowering) -> ir.Expr | None:
        if self.direction == "reverse":
            return None
        a = lw.val(self.actual)
        if self.completion:
            return a
        if isinstance(self.target, int | float) and self.target > 0:
            return ir.if_(ir.isnum(a), a / self.target, "")
        return None

    def lower(self, lw: Lowering, node: Node) -> Lowered:
        w = ir.Num(node.points)
        a = lw.val(self.actual)
        if self.completion:
            ratio: ir.Expr = a
            raw: ir.Expr = w * (ir.min_(1, ratio) if self.cap else ratio)
            why = ir.concat("完成率", ir.pct_text(ratio, 1), "，按完成率×分值计")
            return Lowered(
                raw, why, tuple(self.refs()), lo=self._lo(lw), hi=node.points if self.cap else None
            )
        t = lw.val(self.target) if isinstance(self.target, str) else ir.Num(self.target or 0.0)
        t_text = (
            lw.show(self.target)
            if isinstance(self.target, str)
            else lw.show_literal(self.actual, self.target or 0.0)
        )
        head = ir.concat(lw.label(self.actual), lw.show(self.actual), "，目标值", t_text)
        literal = not isinstance(self.target, str)
        t_value = float(self.target or 0.0) if literal else None
        share = w * (ir.min_(1, ir.round_(a / t, 10)) if self.cap else ir.round_(a / t, 10))
        zero_target = ir.if_(a.cmp(">=", t), w, 0)
        # A literal target decides the zero-target branch at compile time (no dead formula code).
        if literal:
            positive: ir.Expr = zero_target if t_value is not None and t_value <= 0 else share
        else:
            positive = ir.if_(t.cmp("<=", 0), zero_target, share)
        if self.direction == "positive":
            raw = positive
            why = ir.concat(
                head,
                ir.if_(t.cmp(">", 0), ir.concat("，完成率", ir.pct_text(a / t, 1)), ""),
                "，按完成值/目标值×分值计",
            )
        elif self.direction == "equal":
            at_zero = ir.if_(a.cmp("<=", 0), w, 0)
            if literal:
                raw = at_zero if t_value == 0 else positive
            else:
                raw = ir.if_(t.cmp("=", 0), at_zero, positive)
            why = ir.concat(head, "，等于型指标（目标为0时须为0，否则按完成比例）")
        else:
            decay = w * (1 - ir.round_((a - t) / t, 10))
            if literal and t_value and t_value > 0:
                raw = ir.if_(a.cmp("<=", t), w, ir.if_(a.cmp(">=", 2 * t_value), 0, decay))
            elif literal:
                raw = ir.if_(a.cmp("<=", t), w, 0)
            else:
                raw = ir.if_(a.cmp("<=", t), w, ir.if_(ir.or_(t.cmp("<=", 0), a.cmp(">=", t * 2)), 0, decay))
            why = ir.concat(head, "，反向指标（不超过目标得满分，超出部分按超出比例扣减，达到目标2倍不得分）")
        hi = node.points if (self.cap or self.direction == "reverse") else None
        return Lowered(raw, why, tuple(self.refs()), lo=self._lo(lw), hi=hi)

    def _lo(self, lw: Lowering) -> float | None:
        lo, _ = lw.value_range(self.actual)
        return 0.0 if lo is not None and lo >= 0 else None


@register
@dataclass(frozen=True)
class BudgetExecution(Rule):
    """预算执行率 line: ``ROUND(points × MIN(执行数/预算数, cap), decimals)``, or the banded
    variant (江西: 100% → full, ≥80% → 7, ≥60% → 5, else 0, scaled to the points)."""

    KIND = "budget_execution"
    LABEL = "按预算执行率得分"
    PATTERNS = ("P16",)
    FIELDS_DOC = (
        "`executed`, `budget`, `decimals` (1), `mode: linear\\|banded`, `bands`, `extra` (id added to the "
        "numerator, 浙江 执行回溯), `zero_budget: pending\\|full` (0 budget and 0 executed count as 100%)"
    )
    SCORE_DOC = "ROUND(points × MIN(executed/budget, 1), decimals)"
    executed: str
    budget: str
    decimals: int = 1
    mode: str = "linear"
    bands: tuple[tuple[float, float], ...] = ((1.0, 1.0), (0.8, 0.7), (0.6, 0.5))
    extra: str = ""
    zero_budget: str = "pending"

    @classmethod
    def parse(cls, r: Reader) -> BudgetExecution:
        bands = []
        for b in r.readers("bands"):
            bands.append((read_amount(b, "min") or 0.0, read_amount(b, "share") or 0.0))
            b.finish()
        return cls(
            r.get("executed", str) or "",
            r.get("budget", str) or "",
            r.get("decimals", int, 1),
            r.choice("mode", ("linear", "banded"), "linear") or "linear",
            tuple(bands) or cls.bands,
            r.get("extra", str, ""),
            r.choice("zero_budget", ("pending", "full"), "pending") or "pending",
            **parse_common(r),
        )

    def refs(self) -> list[str]:
        return [self.executed, self.budget] + ([self.extra] if self.extra else [])

    def probes(self, pm: ProbeSolver, points: float) -> list[Probe]:
        out = []
        for rate in (1, 0.88, 0.845, 0.8, 0.6, 0.3, 1.2):
            a, b = pm.set_value(self.budget, 100), pm.set_value(self.executed, clean_number(100 * rate))
            if a and b:
                out.append({**a, **b})
        return out

    def funds_line(self) -> tuple[str, str] | None:
        return self.budget, self.executed

    def lower(self, lw: Lowering, node: Node) -> Lowered:
        budget = lw.val(self.budget)
        spent: ir.Expr = lw.val(self.executed) + lw.val(self.extra) if self.extra else lw.val(self.executed)
        # 浙江: nothing budgeted and nothing spent counts as full execution.
        on_zero: ir.ExprLike = (
            ir.if_(spent.cmp("=", 0), 1, ir.PENDING) if self.zero_budget == "full" else ir.PENDING
        )
        rate = lw.helper(
            node,
            "rate",
            "预算执行率",
            ir.if_(
                lw.ready(self.refs()),
                ir.if_(budget.cmp(">", 0), ir.round_(spent / budget, 10), on_zero),
                ir.PENDING,
            ),
            "0.0%",
        )
        w = ir.Num(node.points)
        if self.mode == "linear":
            raw: ir.Expr = ir.round_(w * ir.min_(rate, 1), self.decimals)
            rule_text = f"按执行率×{xlruntime.general_text(node.points)}计（执行率100%封顶，保留{self.decimals}位小数）"
        else:
            raw = ir.Num(0)
            for lo, share in sorted(self.bands):
                raw = ir.if_(rate.cmp(">=", lo), node.points * share, raw)
            rule_text = "按执行率分档计分"
        why = ir.concat(
            "全年执行数",
            ir.num_text(lw.val(self.executed), 4),
            "，全年预算数",
            ir.num_text(budget, 4),
            "，执行率",
            ir.pct_text(rate, 1),
            "，",
            rule_text,
        )
        return Lowered(raw, why, tuple(self.refs()), ready=ir.isnum(rate), lo=0.0, hi=node.points)
