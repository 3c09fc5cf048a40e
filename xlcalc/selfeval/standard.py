"""The fixed parts of the national 自评表 a compact spec expands to: the rule texts printed on the
workbook, the ids of the standard categories, the budget line under a profile and the choices every
table records."""

from __future__ import annotations

from typing import Any

from ruamel.yaml.comments import CommentedMap

from xlcalc.selfeval.profiles import Profile
from xlcalc.selfeval.targets import format_number

QUAL_TEXT = (
    "定性指标：按达成年度指标、部分达成年度指标并具有一定效果、未达成年度指标且效果较差三档，分别在该指标分值的"
    "100%-80%（含80%）、80%-60%（含60%）、60%-0%区间内核定得分。"
)
TEXTS = {
    "completion": "定量指标：实际完成值以完成率填报，按完成率×分值记分（完成率100%封顶）。",
    "positive": "定量指标（正向）：实际完成值达到年度指标值的，记该指标全部分值；未达到的，按实际完成值/年度指标值×分值记分。",
    "reverse": "定量指标（反向）：实际完成值不超过年度指标值的，记全部分值；超过的，按超出比例扣减（1−超出部分/指标值），达到指标值2倍不得分。",
    "equal": "定量指标（等于）：指标值大于0时按正向指标记分；指标值为0时，实际完成值为0记全部分值，否则不得分。",
}
GROUP_IDS = {
    "产出指标": "output",
    "效益指标": "benefit",
    "满意度指标": "satisfaction",
    "成本指标": "cost",
    "数量指标": "quantity",
    "质量指标": "quality",
    "时效指标": "timeliness",
    "经济效益指标": "economic",
    "社会效益指标": "social",
    "生态效益指标": "ecological",
    "可持续影响指标": "sustainable",
    "服务对象满意度指标": "service_satisfaction",
    "绩效指标": "indicators",
}
GRADES = (("优", 90), ("良", 80), ("中", 60), ("差", 0))


def at(line: int | None, **items: Any) -> CommentedMap:
    """A mapping that reports ``line`` in the loader's diagnostics."""
    m = CommentedMap(items)
    if line is not None:
        m.lc.line = line - 1
    return m


def budget_line(p: Profile) -> tuple[CommentedMap, list[CommentedMap]]:
    """The 预算执行率 node and its inputs under a profile."""
    inputs: list[CommentedMap] = []
    line = p.budget_line
    inputs += [
        at(
            None,
            id="budget_year",
            label=f"{line}：{p.budget_label}",
            unit="万元",
            type="number",
            min=0,
            max=100000,
        ),
        at(
            None,
            id="executed",
            label=f"{line}：{p.executed_label}",
            unit="万元",
            type="number",
            min=0,
            max=100000,
        ),
    ]
    executed = "executed"
    if p.backfill:
        inputs.append(
            at(
                None,
                id="backfill",
                label=f"{line}：执行回溯",
                unit="万元",
                type="number",
                min=0,
                max=100000,
            )
        )
    inputs.append(
        at(
            None,
            id="self_budget",
            label="预算执行率：得分（自评）",
            unit="分",
            type="number",
            min=0,
            max=format_number(2 * p.budget_points),
        )
    )
    rule = CommentedMap(kind="budget_execution", executed=executed, budget="budget_year", decimals=1)
    if p.backfill:
        rule["extra"] = "backfill"
        rule["zero_budget"] = "full"
    if p.budget_mode == "banded":
        rule["mode"] = "banded"
        rule["bands"] = [{"min": lo, "share": share} for lo, share in p.bands]
    node = at(
        None,
        id="budget",
        label="预算执行率",
        points=format_number(p.budget_points),
        self_score="self_budget",
        text=p.budget_text(),
        rule=rule,
    )
    return node, inputs


def standard_choices(p: Profile) -> list[CommentedMap]:
    """The choices every expanded 自评表 records (profile, budget line, total, self-scores)."""
    out = [
        CommentedMap(
            id="profile",
            topic="自评表规则",
            decision=f"按“{p.label}”规则（profile: {p.name}）：{p.doc}",
            reason="简表未写明的计分约定取所选 profile 的约定。",
        ),
        CommentedMap(
            id="budget_line",
            topic="预算执行率得分",
            decision=p.budget_text(),
            reason=f"{p.label}自评表的预算执行率一栏。",
            nodes=["budget"],
        ),
        CommentedMap(
            id="total_by_deductions",
            topic="总分的算法",
            decision=f"总分={p.stated_total:g}−Σ各项扣分（扣分=分值−得分），与表列总分一栏一致。",
            reason="各项分值之和不等于表列总分时，按各项得分相加无法得到公布值，审核列出两种算法。",
        ),
        CommentedMap(
            id="self_scores",
            topic="表中的得分",
            decision="各行“得分”与“总分”作为自评分填报，不参与规则计分；审核逐行比较。",
            reason="公布的得分可能与规则不一致，照录原表以便核对。",
        ),
    ]
    return out
