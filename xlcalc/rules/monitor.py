"""Monitoring (绩效运行监控, P28): no score, a status per indicator comparing the actual value
with the stage target (本阶段应完成的绩效目标值) by the indicator's operator.

Status: 正常 when the actual meets the stage target; 轻微偏差 when it misses by no more than the
tolerance (a parameter, relative to the stage target); 严重偏差 beyond it. A qualitative
indicator (text actual such as “提升”) is 正常 when the actual states the expected text and
严重偏差 otherwise. The rubric's conclusion counts the indicators in each status.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from xlcalc import ir
from xlcalc.cells import Cell, Role
from xlcalc.rules.base import (
    OP_WORDS,
    OPS,
    Lowered,
    Probe,
    ProbeSolver,
    Rule,
    choices,
    register,
)
from xlcalc.yamlread import Reader

if TYPE_CHECKING:
    from xlcalc.lowering import Lowering
    from xlcalc.spec.model import Node

OK, MINOR, SEVERE = "正常", "轻微偏差", "严重偏差"
STATUSES = (OK, MINOR, SEVERE)
STATUS_KIND = "monitor"
SUMMARY_ID = "monitor_summary"


def is_filled_text(x: ir.Expr) -> ir.Expr:
    """``x&""<>""``: TRUE for a cell holding text. Comparing the cell itself with "" would not do:
    a blank cell equals "" in a spreadsheet but the reference scorer holds it as no value."""
    return ir.BinOp("&", x, ir.Str("")).cmp("<>", "")


@register
@dataclass(frozen=True)
class Monitor(Rule):
    """Status of one monitored indicator; the node carries 0 points."""

    KIND = "monitor"
    LABEL = "偏差监控"
    SCORELESS = True
    PATTERNS = ("P28",)
    FIELDS_DOC = (
        "`actual`, `op: >=\\|>\\|<=\\|<\\|=` (the indicator's direction), `stage` (amount or id; numeric "
        "actual) \\| `expect` (text actual), `final` (项目完成时目标, optional), `tolerance_param`"
    )
    SCORE_DOC = "no score: 正常 / 轻微偏差 / 严重偏差 against the stage target (within `tolerance_param`)"
    PARAM_FIELDS = ("tolerance_param",)
    actual: str
    op: str = field(default=">=", metadata=choices(*OPS))
    stage: float | str | None = None
    expect: str = ""
    final: float | str | None = None
    tolerance_param: str = ""

    def check_fields(self, r: Reader) -> None:
        if (self.stage is None) == (not self.expect):
            r.error("a monitor rule needs exactly one of 'stage' (numeric actual) or 'expect' (text actual)")
        if self.expect and (self.final is not None or self.tolerance_param):
            r.error("'final' and 'tolerance_param' apply to numeric indicators, not to 'expect'")

    def refs(self) -> list[str]:
        return [self.actual] + [x for x in (self.stage, self.final) if isinstance(x, str)]

    def full_marks(self) -> float | None:
        return 0.0

    # ---- lowering -----------------------------------------------------------------------
    def _amount(self, lw: Lowering, value: float | str) -> tuple[ir.Expr, ir.Expr]:
        """(value, its text as explanations show it)."""
        if isinstance(value, str):
            return lw.val(value), lw.show(value)
        return ir.Num(value), lw.show_literal(self.actual, value)

    @classmethod
    def lower_summary(cls, lw: Lowering) -> None:
        if any(c.kind == STATUS_KIND for c in lw.cells):
            lower_summary(lw)

    def probes(self, pm: ProbeSolver, points: float) -> list[Probe]:
        """The actual on the stage target, just inside and just outside the tolerance, far off."""
        if self.expect:
            return [{self.actual: self.expect}, {self.actual: "未" + self.expect}, {self.actual: None}]
        if not isinstance(self.stage, int | float):
            return []
        s = float(self.stage)
        out = []
        for factor in (1.0, 0.95, 1.05, 0.9, 1.1, 0.89, 1.11, 0.5, 2.0, 0.0):
            if (p := pm.set_value(self.actual, float(f"{s * factor:.10g}"))) is not None:
                out.append(p)
        return out

    def lower(self, lw: Lowering, node: Node) -> Lowered:
        if self.expect:
            return self._lower_text(lw, node)
        assert self.stage is not None
        a = lw.val(self.actual)
        s, s_text = self._amount(lw, self.stage)
        ready = lw.ready(self.refs())
        gap = ir.round_(a - s, 9)
        dev = lw.helper(
            node,
            "dev",
            "相对阶段目标的偏离",
            ir.if_(ready, ir.if_(s.cmp("=", 0), gap, ir.round_((a - s) / ir.call("ABS", s), 9)), ir.PENDING)
            if ready is not None
            else ir.PENDING,
            "0.0%",
        )
        met = gap.cmp(self.op, 0)
        miss = {">=": -dev, ">": -dev, "<=": dev, "<": dev, "=": ir.call("ABS", dev)}[self.op]
        tol: ir.Expr = lw.param(self.tolerance_param) if self.tolerance_param else ir.Num(0)
        status_expr = ir.if_(met, OK, ir.if_(miss.cmp("<=", tol), MINOR, SEVERE))
        status = self._status_cell(lw, node, ir.if_(ir.isnum(dev), status_expr, ir.PENDING))
        word = OP_WORDS[self.op]
        parts: list[ir.ExprLike] = [
            lw.label(self.actual),
            lw.show(self.actual),
            "，本阶段目标",
            word,
            s_text,
            "，",
            status,
            ir.if_(
                met,
                "",
                ir.concat(
                    "（偏离",
                    ir.pct_text(dev, 1),
                    ir.concat("，容差", ir.pct_text(tol, 1)) if self.tolerance_param else "",
                    "）",
                ),
            ),
        ]
        if self.final is not None:
            f, f_text = self._amount(lw, self.final)
            parts += ["；项目完成时目标", word, f_text]
            if self.op in (">=", ">", "<=", "<"):
                parts.append(ir.if_(s.cmp(">", f), "；本阶段目标高于全年目标，请核对", ""))
        return Lowered(ir.Num(0), ir.concat(*parts), tuple(self.refs()), lo=0.0, hi=0.0)

    def _lower_text(self, lw: Lowering, node: Node) -> Lowered:
        a = lw.val(self.actual)
        filled = is_filled_text(a)
        self._status_cell(lw, node, ir.if_(filled, ir.if_(a.cmp("=", self.expect), OK, SEVERE), ir.PENDING))
        why = ir.concat(
            lw.label(self.actual),
            "：",
            a,
            "，本阶段目标：",
            self.expect,
            "，",
            ir.if_(a.cmp("=", self.expect), OK, SEVERE),
        )
        return Lowered(ir.Num(0), why, (), ready=filled, lo=0.0, hi=0.0)

    def _status_cell(self, lw: Lowering, node: Node, expr: ir.Expr) -> ir.Ref:
        return lw.add(
            Cell(f"{node.id}__status", Role.SCORE, f"{node.label}：监控状态", expr, "@", node.id, STATUS_KIND)
        )

    def pending_text(self, lw: Lowering, node: Node, deps: list[str]) -> str:
        names = "、".join(lw.label(x) for x in dict.fromkeys(lw.base_inputs(self.refs())))
        return f"待填：请填写{names}"


def lower_summary(lw: Lowering) -> None:
    """监控结论: how many indicators are in each status (and how many are still 待填)."""
    cells = [ir.Ref(c.id) for c in lw.cells if c.kind == STATUS_KIND]
    parts: list[ir.ExprLike] = []
    for k, status in enumerate((*STATUSES, ir.PENDING)):
        count = ir.call("SUM", *(ir.if_(c.cmp("=", status), 1, 0) for c in cells))
        parts += ["，" if k else "", status, count, "项"]
    lw.add(
        Cell(SUMMARY_ID, Role.SCORE, "监控结论", ir.concat(*parts), "@", lw.spec.root.id, "monitor_summary")
    )


# ---- verifier -------------------------------------------------------------------------------
