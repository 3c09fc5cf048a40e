"""threshold_or_manual (P1 + P14): full marks when the condition holds, else a judged score within
its range. Hand-computed."""

from __future__ import annotations

import pytest

from xlcalc.errors import SpecError
from xlcalc.scorer import Scorer, UnitInputs
from xlcalc.spec.loader import load_spec

SPEC = """
meta: {id: fb, title: 论证测试, total: 6}
inputs:
  - {id: has_study, label: 有可行性研究报告等文字材料, type: bool}
  - {id: judged, label: 论证充分性核定分数, unit: 分, type: number, min: 0, max: 100}
  - {id: experts, label: 咨询专家人数, unit: 人, type: integer, min: 0, max: 100}
  - {id: judged2, label: 专家论证核定分数, unit: 分, type: number, min: 0, max: 100}
tree:
  id: total
  label: 合计
  points: 6
  children:
    - id: argument
      label: 论证充分性
      points: 4
      rule:
        kind: threshold_or_manual
        when: [{flag: has_study, label: 具有可行性研究报告等文字材料}]
        otherwise: {score: judged, min: 0, max: 3}
    - id: experts_n
      label: 专家论证
      points: 2
      rule:
        kind: threshold_or_manual
        when: [{value: experts, op: ">=", than: 3}]
        otherwise: {score: judged2}
"""


@pytest.fixture(scope="module")
def scorer() -> Scorer:
    return Scorer(load_spec("fb.yaml", text=SPEC))


CASES = [
    # (node, inputs, expected score or None for 待填, text the explanation contains)
    ("argument", {"has_study": "是"}, 4, "具有可行性研究报告等文字材料：是，符合得分条件，得4分"),
    # The judged score is ignored while the condition holds.
    ("argument", {"has_study": "是", "judged": 1}, 4, ""),
    ("argument", {"has_study": "否", "judged": 2.5}, 2.5, "不符合得分条件，根据实际情况核定2.5分，得2.5分"),
    ("argument", {"has_study": "否", "judged": 4}, 3, "超出允许范围0-3分，按范围取值"),
    ("argument", {"has_study": "否", "judged": 0}, 0, ""),
    ("argument", {"has_study": "否"}, None, "待填：不符合得分条件，请填写论证充分性核定分数"),
    ("argument", {"judged": 4}, None, "待填：请填写有可行性研究报告等文字材料"),
    ("experts_n", {"experts": 3}, 2, "咨询专家人数3人，达到3人，符合得分条件"),
    ("experts_n", {"experts": 2, "judged2": 1.5}, 1.5, "咨询专家人数2人，未达到3人"),
    # Without 'max' the judged score is limited to the indicator's points.
    ("experts_n", {"experts": 2, "judged2": 5}, 2, "超出允许范围0-2分"),
]


@pytest.mark.parametrize(("node", "inputs", "expected", "text"), CASES)
def test_threshold_or_manual(
    scorer: Scorer, node: str, inputs: dict, expected: float | None, text: str
) -> None:
    r = scorer.score([UnitInputs("u", inputs)])[0].node(node)
    assert r.score == expected, r.explanation
    assert text in r.explanation


def test_refs_and_bounds() -> None:
    rule = load_spec("fb.yaml", text=SPEC).node("argument").rule
    assert rule.refs() == ["has_study", "judged"]
    assert rule.full_marks() is None


def test_range_must_be_ordered() -> None:
    with pytest.raises(SpecError) as exc:
        load_spec(
            "fb.yaml", text=SPEC.replace("{score: judged, min: 0, max: 3}", "{score: judged, min: 3, max: 1}")
        )
    assert "min 3 is above max 1" in str(exc.value)
