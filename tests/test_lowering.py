"""Lowering: the cell graph's explanations and bounds, checked through the reference scorer."""

from __future__ import annotations

import pytest

from xlcalc.lowering import Lowering
from xlcalc.scorer import Scorer, UnitInputs
from xlcalc.spec.loader import load_spec

SPEC = """
meta: {id: t, title: 测试, total: 10}
inputs:
  - {id: price, label: 单价, unit: 元, type: number, min: 0, max: 100}
  - {id: rate, label: 到位率, type: percent, min: 0, max: 2}
  - {id: a, label: 甲, unit: 件, type: integer, min: 0, max: 50}
  - {id: b, label: 乙, unit: 件, type: integer, min: 0, max: 80}
derived:
  - {id: d, label: 差, kind: difference, of: [a, b], decimals: 0}
  - {id: s, label: 和, kind: sum, of: [a, b], decimals: 0, cap: 100}
tree:
  id: total
  label: 总分
  points: 10
  children:
    - {id: p, label: 单价达标, points: 5, rule: {kind: threshold, when: [{value: price, op: '>=', than: 0.4}]}}
    - {id: r, label: 到位, points: 5, rule: {kind: threshold, when: [{value: rate, op: '>=', than: 100%}]}}
  # the same quantities, ranked in tiers (first matching tier)
    - id: t
      label: 分档
      points: 0
      rule:
        kind: tiered
        tiers:
          - {when: [{value: a, op: '>=', than: 10}, {value: b, op: '>=', than: 10}], points: 0, label: 双达标}
          - {when: [{value: a, op: '>=', than: 5}], points: 0, label: 基本达标}
        default: {points: 0, label: 未达标}
"""


@pytest.fixture(scope="module")
def spec(tmp_path_factory):
    p = tmp_path_factory.mktemp("lowering") / "t.yaml"
    p.write_text(SPEC, encoding="utf-8")
    return load_spec(p)


SHOWN = [
    # inputs, node, text the explanation must contain
    ({"price": 0.3999}, "p", "单价0.3999元，未达到0.4元"),
    ({"price": 0.41}, "p", "单价0.41元，达到0.4元"),
    ({"price": 0.4}, "p", "单价0.4元，达到0.4元"),
    ({"rate": 0.99996}, "r", "到位率99.996%，未达到100%"),
    ({"rate": 0.92}, "r", "到位率92.0%，未达到100%"),
]


@pytest.mark.parametrize(("inputs", "node", "text"), SHOWN)
def test_shown_value_agrees_with_the_comparison(spec, inputs, node, text):
    result = Scorer(spec).score([UnitInputs("甲", {"price": 1, "rate": 1, **inputs})])[0]
    assert text in result.node(node).explanation


DECIDED = [
    # inputs (a, b), tiered result: a label when decided, None when 待填; the 待填 text names only blanks
    ({"a": 12, "b": 11}, "双达标"),
    ({"a": 3}, "未达标"),  # first tier fails on a, second tier fails on a: default, b irrelevant
    ({"a": 7}, "基本达标"),  # first tier fails on a already; the second holds
    ({"a": 12}, None),  # first tier open (b blank): not decided
    ({"a": 7, "b": 3}, "基本达标"),
    ({"b": 3}, None),  # first tier fails on b, but the second tier needs a
]


@pytest.mark.parametrize(("inputs", "label"), DECIDED)
def test_tiers_decided_on_filled_values(spec, inputs, label):
    node = Scorer(spec).score([UnitInputs("甲", {"price": 1, "rate": 1, **inputs})])[0].node("t")
    if label is None:
        assert node.score is None
        blank = {"a": "甲", "b": "乙"}
        missing = "、".join(name for k, name in blank.items() if k not in inputs)
        assert node.explanation == f"待填：请填写{missing}"
    else:
        assert node.score == 0 and f"，{label}，得0分" in node.explanation, node.explanation


RANGES = [("a", (0, 50)), ("d", (-80, 50)), ("s", (0, 100)), ("price", (0, 100))]


@pytest.mark.parametrize(("ref", "expected"), RANGES)
def test_value_range_by_interval_arithmetic(spec, ref, expected):
    assert Lowering(spec).value_range(ref) == expected
