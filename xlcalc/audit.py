"""Self-evaluation audit (自评审核): the rule-computed score beside the self-assigned one.

A self-evaluation table (项目支出绩效自评表, 自评指标评分表) carries the unit's own score on each
row. Indicators name the input holding it (``self_score``) and, where the table has one, the
偏差原因 column (``reason``). The audit reports, per row: the score the rule computes, the
self-assigned score, the difference and flags; for the table: the self-assigned total computed
both ways (Σ scores, and full marks − Σ deductions, with the arithmetic) against the published
total; and structural problems of the table itself (a rule promising more than its weight,
duplicated rows, weights that do not sum, a target inconsistent with the rule's threshold).

Per-row flags and the totals are cells of the compiled graph (:func:`lower_audit`), so the 审核
sheet of the workbook and ``xlcalc audit`` show the same values and the verifier checks them in
every engine. Structural findings depend on the spec only (:mod:`xlcalc.audit_findings`).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from xlcalc import xlruntime
from xlcalc.audit_cells import (  # noqa: F401  (re-exported: workbook/sheets.py, tests)
    ARITH,
    GAP,
    NET,
    OVER_COMPLETION,
    REASON_OVER,
    RULE_GAP,
    SUM,
    VERDICT,
    diff_id,
    flag_id,
    frontier,
    lower_audit,
    reason_of,
    self_scored,
)
from xlcalc.audit_findings import (  # noqa: F401  (re-exported: workbook/sheets.py, auditbatch)
    TOL,
    Finding,
    node_path,
    parse_target,
    rule_threshold,
    shown_points,
    structural_findings,
)
from xlcalc.errors import InputError
from xlcalc.rules.manual import QUALITATIVE_BANDS
from xlcalc.scorer import Scorer, UnitInputs
from xlcalc.spec.model import Spec

if TYPE_CHECKING:
    pass


def check_tiers(spec: Spec, units: Sequence[UnitInputs], source: str) -> None:
    """A misspelt 完成档次 ("部份达成") is a located input error, never a band."""
    names = {name for name, _, _ in QUALITATIVE_BANDS}
    bad = []
    for u in units:
        for n in spec.nodes():
            tier = n.rule.tier_input() if n.rule is not None else ""
            if tier:
                v = u.values.get(tier)
                if v not in (None, "") and str(v) not in names:
                    bad.append(
                        f"{source}：单位“{u.name}”的 {tier}（{n.label}的完成档次）为“{v}”，"
                        "应为达成、部分达成或未达成"
                    )
    if bad:
        raise InputError("\n".join(bad))


# ---- the report -----------------------------------------------------------------------------
@dataclass
class RowAudit:
    id: str
    label: str
    path: str
    level: int
    points: float
    target: str
    score: float | None
    own: float | None
    diff: float | None
    flags: list[str]
    findings: list[str]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": self.label,
            "path": self.path,
            "points": self.points,
            "target": self.target,
            "rule_score": self.score,
            "self_score": self.own,
            "difference": self.diff,
            "flags": self.flags,
            "structure": self.findings,
        }


@dataclass
class UnitAudit:
    unit: str
    rows: list[RowAudit]
    total_sum: float | None
    total_net: float | None
    arithmetic: str
    verdict: str
    published: float | None
    rule_total: float
    complete: bool
    findings: list[str] = field(default_factory=list)  # structural findings on the table as a whole

    @property
    def flagged(self) -> int:
        """Rows with a flag or a structural finding."""
        return sum(1 for r in self.rows if r.flags or r.findings)

    def to_json(self) -> dict[str, Any]:
        return {
            "unit": self.unit,
            "rows": [r.to_json() for r in self.rows],
            "self_total_sum": self.total_sum,
            "self_total_net": self.total_net,
            "arithmetic": self.arithmetic,
            "verdict": self.verdict,
            "published_total": self.published,
            "rule_total": self.rule_total,
            "rule_total_complete": self.complete,
        }


def _num(v: Any) -> float | None:
    return float(v) if xlruntime.isnumber(v) else None


def _flags(text: Any) -> list[str]:
    return [x for x in str(text or "").split("；") if x]


def audit(
    spec: Spec, units: Sequence[UnitInputs], params: Mapping[str, Any] | None = None
) -> list[UnitAudit]:
    """Audit every unit's self-evaluation against the rules."""
    scorer = Scorer(spec)
    findings = structural_findings(spec)
    by_node: dict[str, list[str]] = {}
    for f in findings:
        by_node.setdefault(f.node, []).append(f.message)
    out = []
    for result in scorer.score(units, params):
        c = result.cells
        rows = []
        for n in spec.nodes():
            if n is spec.root or not (n.self_score or n.id in by_node):
                continue
            rows.append(
                RowAudit(
                    n.id,
                    n.label,
                    node_path(spec, n),
                    n.level,
                    shown_points(n),
                    n.target,
                    _num(c[n.id]),
                    _num(c.get(n.self_score)) if n.self_score else None,
                    _num(c.get(diff_id(n.id))),
                    _flags(c.get(flag_id(n.id))) if n.self_score else [],
                    by_node.get(n.id, []),
                )
            )
        root = spec.root
        out.append(
            UnitAudit(
                result.unit,
                rows,
                _num(c.get(SUM)),
                _num(c.get(NET)),
                str(c.get(ARITH, "")),
                str(c.get(VERDICT, "")),
                _num(c.get(root.self_score)) if root.self_score else None,
                result.total,
                result.complete,
                [f.message for f in findings if f.node == root.id],
            )
        )
    return out


def _fmt(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f}"


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool = False) -> str:
    """Pad to a display width (CJK characters take two columns in a terminal)."""
    while _width(text) > width:
        text = text[:-1]
    fill = " " * (width - _width(text))
    return fill + text if right else text + fill


def format_report(spec: Spec, audits: list[UnitAudit]) -> str:
    """The audit as a plain-text table, one block per unit."""
    lines: list[str] = []
    for a in audits:
        lines.append(f"== {spec.meta.title}（{a.unit}）：自评审核")
        head = [
            _pad("指标", 40),
            _pad("分值", 6, True),
            _pad("规则得分", 9, True),
            _pad("自评分", 8, True),
            _pad("差额", 8, True),
        ]
        lines.append("".join(head) + "  审核标记 / 结构问题")
        for r in a.rows:
            notes = "；".join(r.flags + [f"[结构] {m}" for m in r.findings])
            cells = [
                _pad("  " * max(0, r.level - 1) + r.label, 40),
                _pad(f"{r.points:g}", 6, True),
                _pad(_fmt(r.score), 9, True),
                _pad(_fmt(r.own), 8, True),
                _pad(_fmt(r.diff), 8, True),
            ]
            lines.append("".join(cells) + ("  " + notes if notes else ""))
        lines.append("合计")
        if a.total_sum is not None:
            lines.append(f"  各项自评分相加：{a.total_sum:g}")
            lines.append(f"  满分减扣分：{a.arithmetic}")
        if a.verdict:
            lines.append(f"  {a.verdict}")
        state = "完整" if a.complete else "不完整，有待填项"
        lines.append(f"  规则计算总分：{a.rule_total:g}（{state}）")
        if a.published is not None and a.complete and abs(a.published - a.rule_total) > TOL:
            lines.append(f"  公布总分与规则计算总分相差{a.published - a.rule_total:+.2f}")
        for message in a.findings:
            lines.append(f"  [结构] 总分：{message}")
    return "\n".join(lines)


def exit_status(audits: list[UnitAudit]) -> int:
    """0 nothing to report, 1 findings."""
    return 1 if any(a.flagged or a.findings for a in audits) else 0


# ---- command line ----------------------------------------------------------------------------
