"""Named conventions of the 项目支出绩效自评表: the national practice (财预〔2020〕10号) and the
provincial variants of FORMS.md. A profile decides the budget line, the printed total, the
expected categories and what the audit asks for; the row rules are national everywhere."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from xlcalc.spec.model import Spec


@dataclass(frozen=True)
class Profile:
    name: str
    label: str
    doc: str
    form: str = "项目支出绩效自评表"
    budget_points: float = 10.0
    budget_line: str = "年度资金总额"  # the row label of the funds block
    budget_label: str = "全年预算数"  # the denominator's column
    executed_label: str = "全年执行数"
    budget_mode: str = "linear"  # linear: 分值×MIN(执行率,1); banded: 江西 bands
    bands: tuple[tuple[float, float], ...] = ()
    backfill: bool = False  # 浙江: 执行回溯 added to the numerator; 0/0 counts as 100%
    indicator_points: float | None = None  # 四川: the indicator block is worth 90
    stated_total: float = 100.0
    weights: dict[str, float] = field(default_factory=dict)  # guidance only, never a rule
    expected: tuple[str, ...] = ("产出指标", "效益指标", "满意度指标")
    expected_sub: tuple[str, ...] = ("时效指标", "成本指标")  # under 产出指标 (财预〔2021〕101号 practice)
    reason_over: float | None = None  # 广西: 偏差原因 also when actual ≥ this × target

    def budget_text(self) -> str:
        ratio = f"执行率={self.executed_label}{'（含执行回溯）' if self.backfill else ''}/{self.budget_label}"
        if self.budget_mode == "banded":
            steps = "，".join(
                f"{'达到' if lo >= 1 else '≥'}{lo * 100:g}%得{share * self.budget_points:g}分"
                for lo, share in sorted(self.bands, reverse=True)
            )
            return f"{self.budget_line}：{ratio}；{steps}，否则0分。"
        return f"{self.budget_line}：{ratio}，得分=分值×执行率（100%封顶），保留1位小数。"


NATIONAL_WEIGHTS = {"产出指标": 50, "效益指标": 30, "满意度指标": 10, "预算执行率": 10}

PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile(
            "national",
            "全国通行",
            "预算执行率10分=10×MIN(全年执行数/全年预算数,1)，保留1位小数；产出50、效益30、满意度10、预算10为参考权重。",
            weights=NATIONAL_WEIGHTS,
        ),
        Profile(
            "hubei",
            "湖北",
            "同全国通行规则，预算执行率一栏分值为20分。",
            budget_points=20.0,
            weights={**NATIONAL_WEIGHTS, "预算执行率": 20},
        ),
        Profile(
            "jiangxi",
            "江西",
            "预算执行率分档计分：执行率100%得10分，≥80%得7分，≥60%得5分，否则0分。",
            budget_mode="banded",
            bands=((1.0, 1.0), (0.8, 0.7), (0.6, 0.5)),
            weights=NATIONAL_WEIGHTS,
        ),
        Profile(
            "zhejiang",
            "浙江",
            "执行率=（全年执行数+执行回溯）/全年预算数；预算数与执行数均为0的按100%计。",
            backfill=True,
            weights=NATIONAL_WEIGHTS,
        ),
        Profile(
            "sichuan",
            "四川",
            "部门预算项目支出绩效自评表：预算执行情况10分+绩效指标90分；执行率=预算执行数/调整后预算数；"
            "指标性质（≥/≤/=）与度量单位分列。",
            form="部门预算项目支出绩效自评表",
            budget_line="总额",
            budget_label="调整后预算数",
            executed_label="预算执行数",
            indicator_points=90.0,
            expected_sub=(),
            weights={"绩效指标": 90, "预算执行率": 10},
        ),
        Profile(
            "guangxi",
            "广西",
            "同全国通行规则；实际完成值达到指标值130%及以上的，也须填写偏差原因。",
            reason_over=1.3,
            weights=NATIONAL_WEIGHTS,
        ),
    )
}


def get_profile(name: str) -> Profile | None:
    return PROFILES.get(name)


def profile_of(spec: Spec) -> Profile | None:
    """The profile a compact spec was expanded under (recorded in its ``profile`` choice)."""
    choice = next((c for c in spec.choices if c.id == "profile"), None)
    m = re.search(r"profile: (\w+)", choice.decision) if choice else None
    return PROFILES.get(m[1]) if m else None
