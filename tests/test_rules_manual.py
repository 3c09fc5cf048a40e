"""Qualitative bands of the discretionary rule: 达成 [0.8w, w], 部分达成 [0.6w, 0.8w), 未达成 [0, 0.6w);
a blank tier is 待填, a misspelt one is named and never taken for a band."""

from __future__ import annotations

from pathlib import Path

import pytest

from xlcalc.scorer import Scorer, UnitInputs
from xlcalc.spec.loader import load_spec

SPEC = """\
meta: {id: t, title: 测试, total: 10}
inputs:
  - {id: tier, label: 完成档次, type: text}
  - {id: s, label: 自评分, type: number, min: 0, max: 20}
tree:
  id: total
  label: 总分
  points: 10
  children:
    - {id: q, label: 任务完成, points: 10, rule: {kind: discretionary, score: s, tier: tier}}
"""


@pytest.fixture(scope="module")
def scorer(tmp_path_factory: pytest.TempPathFactory) -> Scorer:
    p = Path(tmp_path_factory.mktemp("m")) / "t.yaml"
    p.write_text(SPEC, encoding="utf-8")
    return Scorer(load_spec(p))


@pytest.mark.parametrize(
    ("tier", "score", "expected", "text"),
    [
        ("达成", 8, 8, "评定得分8分（达成），得8分"),
        ("达成", 10, 10, "评定得分10分（达成），得10分"),
        ("达成", 7, 8, "超出允许范围8-10分"),
        ("部分达成", 8, 7.99, "超出允许范围6-7.99分"),  # 0.8w belongs to 达成
        ("部分达成", 7.99, 7.99, "评定得分7.99分（部分达成），得7.99分"),
        ("部分达成", 6, 6, "评定得分6分（部分达成），得6分"),
        ("未达成", 6, 5.99, "超出允许范围0-5.99分"),  # 0.6w belongs to 部分达成
        ("未达成", 0, 0, "评定得分0分（未达成），得0分"),
        ("", 8, None, "待填：请填写完成档次、自评分"),
        ("部份达成", 8, None, "完成档次“部份达成”不是达成、部分达成、未达成之一，请改正"),
        ("达成 ", 8, None, "不是达成、部分达成、未达成之一"),
        ("达成", None, None, "待填：请填写完成档次、自评分"),
    ],
)
def test_bands(scorer: Scorer, tier: str, score: float | None, expected: float | None, text: str) -> None:
    values = {"tier": tier} | ({"s": score} if score is not None else {})
    node = scorer.score([UnitInputs("u", values)])[0].node("q")
    assert node.score == expected
    assert text in node.explanation
