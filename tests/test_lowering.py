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


RANGES = [("a", (0, 50)), ("d", (-80, 50)), ("s", (0, 100)), ("price", (0, 100))]


@pytest.mark.parametrize(("ref", "expected"), RANGES)
def test_value_range_by_interval_arithmetic(spec, ref, expected):
    assert Lowering(spec).value_range(ref) == expected
