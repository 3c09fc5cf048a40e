"""monitor (P28): status of an indicator against its stage target, no score. Hand-computed."""

from __future__ import annotations

import pytest

from xlcalc.errors import SpecError
from xlcalc.scorer import Scorer, UnitInputs
from xlcalc.spec.loader import load_spec

SPEC = """
meta: {id: mon, title: 监控测试, total: 0}
params:
  - {name: monitor_tolerance, label: 轻微偏差的容差, doc: 相对阶段目标, default: 0.1, min: 0, max: 1}
inputs:
  - {id: cost, label: 成本控制数, unit: 万元, type: number, min: 0, max: 100}
  - {id: cases, label: 办案数量, unit: 件, type: integer, min: 0, max: 10000}
  - {id: rate, label: 合规率, type: percent, min: 0, max: 1}
  - {id: level, label: 标准化规范化水平, type: text}
tree:
  id: total
  label: 合计
  points: 0
  children:
    - id: cost_m
      label: 成本控制数
      points: 0
      rule: {kind: monitor, actual: cost, op: "<=", stage: 4, final: 5, tolerance_param: monitor_tolerance}
    - id: cases_m
      label: 办案数量
      points: 0
      rule: {kind: monitor, actual: cases, op: ">=", stage: 158, final: 70, tolerance_param: monitor_tolerance}
    - id: rate_m
      label: 合规率
      points: 0
      rule: {kind: monitor, actual: rate, op: "=", stage: 100%, tolerance_param: monitor_tolerance}
    - id: level_m
      label: 标准化规范化水平提升
      points: 0
      rule: {kind: monitor, actual: level, expect: 提升}
"""

BASE = {"cost": 4, "cases": 158, "rate": 1, "level": "提升"}


@pytest.fixture(scope="module")
def scorer() -> Scorer:
    return Scorer(load_spec("mon.yaml", text=SPEC))


CASES = [
    # (node, inputs over BASE, params, status, text the explanation contains)
    ("cost_m", {}, {}, "正常", "成本控制数4万元，本阶段目标不超过4万元，正常；项目完成时目标不超过5万元"),
    ("cost_m", {"cost": 3}, {}, "正常", ""),
    # (4.4−4)/4 is exactly the 10% tolerance: still 轻微偏差.
    ("cost_m", {"cost": 4.4}, {}, "轻微偏差", "轻微偏差（偏离10.0%，容差10.0%）"),
    ("cost_m", {"cost": 4.3816}, {}, "轻微偏差", "偏离9.5%"),
    ("cost_m", {"cost": 4.41}, {}, "严重偏差", "偏离10.3%"),
    ("cost_m", {"cost": 4.1}, {"monitor_tolerance": 0}, "严重偏差", "容差0.0%"),
    ("cases_m", {"cases": 170}, {}, "正常", "本阶段目标高于全年目标，请核对"),
    ("cases_m", {"cases": 143}, {}, "轻微偏差", "偏离-9.5%"),
    ("cases_m", {"cases": 142}, {}, "严重偏差", "偏离-10.1%"),
    ("rate_m", {}, {}, "正常", "合规率100.0%，本阶段目标等于100%，正常"),
    ("rate_m", {"rate": 0.95}, {}, "轻微偏差", "偏离-5.0%"),
    ("rate_m", {"rate": 0.8}, {}, "严重偏差", ""),
    ("level_m", {}, {}, "正常", "标准化规范化水平：提升，本阶段目标：提升，正常"),
    ("level_m", {"level": "基本持平"}, {}, "严重偏差", ""),
    ("level_m", {"level": None}, {}, "待填", "待填：请填写标准化规范化水平"),
    ("cost_m", {"cost": None}, {}, "待填", "待填：请填写成本控制数"),
]


@pytest.mark.parametrize(("node", "over", "params", "status", "text"), CASES)
def test_monitor_status(scorer: Scorer, node: str, over: dict, params: dict, status: str, text: str) -> None:
    result = scorer.score([UnitInputs("u", {**BASE, **over})], params)[0]
    assert result.cells[f"{node}__status"] == status
    n = result.node(node)
    assert n.score == (None if status == "待填" else 0)
    assert text in n.explanation
    assert "得0分" not in n.explanation


def test_summary_counts_each_status(scorer: Scorer) -> None:
    cells = scorer.score([UnitInputs("u", {"cost": 4.3816, "cases": 170, "rate": 0.5})])[0].cells
    assert cells["monitor_summary"] == "正常1项，轻微偏差1项，严重偏差1项，待填1项"


def test_status_cells_sit_on_the_score_sheet(scorer: Scorer) -> None:
    cell = scorer.graph.by_id["cost_m__status"]
    assert (cell.role.value, cell.kind) == ("score", "monitor")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("actual: level, expect: 提升}", "actual: level, expect: 提升, stage: 1}", "exactly one of 'stage'"),
        ("actual: level, expect: 提升}", "actual: level}", "exactly one of 'stage'"),
        ('op: "=", stage: 100%', 'op: "~", stage: 100%', "'op' must be one of"),
        (
            "tolerance_param: monitor_tolerance}\n    - id: cases_m",
            "tolerance_param: nope}\n    - id: cases_m",
            "rule names parameter 'nope'",
        ),
    ],
)
def test_spec_errors(old: str, new: str, message: str) -> None:
    assert old in SPEC
    with pytest.raises(SpecError) as exc:
        load_spec("mon.yaml", text=SPEC.replace(old, new, 1))
    assert message in str(exc.value)
