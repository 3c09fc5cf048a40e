"""per_period (P13): a rule applied to each year, the years' deductions summed. Hand-computed."""

from __future__ import annotations

import pytest

from xlcalc.errors import SpecError
from xlcalc.scorer import Scorer, UnitInputs
from xlcalc.spec.loader import load_spec

SPEC = """
meta: {id: pp, title: 多年度测试, total: 25}
params:
  - name: period_mode
    label: 多年度指标的计算方式
    doc: 逐年或合并
    default: per_period
    choices:
      - {code: per_period, label: 逐年评分、扣分累加}
      - {code: pooled, label: 按合计评分一次}
inputs:
  - {id: r1, label: 2020年优良率, type: percent, min: 0, max: 1}
  - {id: r2, label: 2021年优良率, type: percent, min: 0, max: 1}
  - {id: r3, label: 2022年优良率, type: percent, min: 0, max: 1}
  - {id: rall, label: 三年优良率, type: percent, min: 0, max: 1}
  - {id: a1, label: 2020年指派及时率, type: percent, min: 0, max: 1}
  - {id: a2, label: 2021年指派及时率, type: percent, min: 0, max: 1}
  - {id: n1, label: 2020年办案数, unit: 件, type: integer, min: 0, max: 100000}
  - {id: n2, label: 2021年办案数, unit: 件, type: integer, min: 0, max: 100000}
  - {id: g1, label: 2020年同比增长, type: bool}
  - {id: g2, label: 2021年同比增长, type: bool}
  - {id: c1, label: 2020年有效投诉, unit: 起, type: integer, min: 0, max: 100}
  - {id: c2, label: 2021年有效投诉, unit: 起, type: integer, min: 0, max: 100}
tree:
  id: total
  label: 合计
  points: 25
  children:
    - id: rate
      label: 优良率
      points: 10
      rule:
        kind: per_period
        mode_param: period_mode
        each: {kind: step_deduction, value: v, threshold: 60%, step: 1%, per_step: 1}
        periods:
          - {period: 2020年, v: r1}
          - {period: 2021年, v: r2}
          - {period: 2022年, v: r3}
        pooled: {period: 三年合计, v: rall}
    - id: assign
      label: 指派及时率
      points: 5
      rule:
        kind: per_period
        each: {kind: step_deduction, value: v, threshold: 100%, step: 1%, per_step: 1, full_marks: 10}
        periods:
          - {period: 2020年, v: a1}
          - {period: 2021年, v: a2}
    - id: cases
      label: 办案数量
      points: 10
      rule:
        kind: per_period
        each:
          kind: tiered
          tiers:
            - {when: [{value: n, op: ">=", than: 4000}], points: 10, label: 达到4000件}
            - {when: [{flag: g}], points: 9, label: 同比增长}
          default: {points: 8, label: 均未达标}
        periods:
          - {period: 2020年, n: n1, g: g1}
          - {period: 2021年, n: n2, g: g2}
    - id: complaints
      label: 有效投诉
      points: 0
      rule:
        kind: per_period
        floor: zero
        each: {kind: deduction, count: c, per: 1, unit: 起}
        periods:
          - {period: 2020年, c: c1}
          - {period: 2021年, c: c2}
"""

BASE = {
    "r1": 1,
    "r2": 1,
    "r3": 1,
    "rall": 1,
    "a1": 1,
    "a2": 1,
    "n1": 5000,
    "n2": 5000,
    "g1": "否",
    "g2": "否",
    "c1": 0,
    "c2": 0,
}


@pytest.fixture(scope="module")
def scorer() -> Scorer:
    return Scorer(load_spec("pp.yaml", text=SPEC))


CASES = [
    # (node, inputs over BASE, params, expected score or None for 待填, text the explanation contains)
    ("rate", {}, {}, 10, "2020年：2020年优良率100.0%，达到60%（本期扣0分）"),
    ("rate", {"r1": 0.59, "r2": 0.59, "r3": 0.59}, {}, 7, "各期合计扣3分"),
    # 57.5% is 2.5 points short: two whole steps by default, three when a partial step counts.
    ("rate", {"r2": 0.575}, {}, 8, "低于60%共2.5个百分点"),
    ("rate", {"r2": 0.575}, {"partial_step": "ceil"}, 7, ""),
    # A year loses at most the full 10 points; three bad years do not go below 0 ...
    ("rate", {"r1": 0.0}, {}, 0, "（本期扣10分）"),
    ("rate", {"r1": 0.55, "r2": 0.55, "r3": 0.55}, {}, 0, "各期合计扣15分，扣完为止"),
    # ... unless negative scores are allowed: 10 − 3×5.
    ("rate", {"r1": 0.55, "r2": 0.55, "r3": 0.55}, {"negative_scores": "allow"}, -5, ""),
    ("rate", {"r2": None}, {}, None, "待填：请填写2020年优良率、2021年优良率、2022年优良率"),
    # Pooled: the whole-period figure once (55% → 5 steps), per-year figures not needed.
    ("rate", {"rall": 0.55, "r2": None}, {"period_mode": "pooled"}, 5, "合并计算，三年合计：三年优良率55.0%"),
    ("rate", {"rall": None}, {"period_mode": "pooled"}, None, "待填：请填写三年优良率"),
    # The rule promises 10 on a weight of 5: deductions come off 10, the score is capped at 5.
    ("assign", {"a1": 0.98}, {}, 5, "以本项分值5分为限"),
    ("assign", {"a1": 0.97, "a2": 0.97}, {}, 4, "各期合计扣6分"),
    ("assign", {"a1": 0.9}, {}, 0, "（本期扣10分）"),
    ("cases", {}, {}, 10, "达到4000件（本期扣0分）"),
    ("cases", {"n1": 3999, "g1": "是"}, {}, 9, "同比增长（本期扣1分）"),
    ("cases", {"n1": 3999, "n2": 100}, {}, 6, "各期合计扣4分"),
    ("cases", {"g2": None}, {}, None, "待填"),
]


@pytest.mark.parametrize(("node", "over", "params", "expected", "text"), CASES)
def test_per_period(
    scorer: Scorer, node: str, over: dict, params: dict, expected: float | None, text: str
) -> None:
    r = scorer.score([UnitInputs("u", {**BASE, **over})], params)[0].node(node)
    assert r.score == expected, r.explanation
    assert text in r.explanation


def test_complaints_sum_over_years_down_to_zero() -> None:
    spec = load_spec(
        "pp.yaml",
        text=SPEC.replace(
            "points: 0\n      rule:\n        kind: per_period\n        floor",
            "points: 5\n      rule:\n        kind: per_period\n        floor",
        )
        .replace("total: 25", "total: 30")
        .replace("points: 25", "points: 30"),
    )
    s = Scorer(spec)
    for c1, c2, expected in ((0, 0, 5), (1, 2, 2), (3, 3, 0)):
        assert (
            s.score([UnitInputs("u", {**BASE, "c1": c1, "c2": c2})])[0].node("complaints").score == expected
        )


def test_full_marks_are_the_per_period_rule_s() -> None:
    spec = load_spec("pp.yaml", text=SPEC)
    assert spec.node("assign").rule.full_marks() == 10
    assert spec.node("rate").rule.full_marks() is None


def test_refs_are_the_period_inputs() -> None:
    spec = load_spec("pp.yaml", text=SPEC)
    assert spec.node("rate").rule.refs() == ["r1", "r2", "r3", "rall"]
    assert spec.node("cases").rule.refs() == ["n1", "g1", "n2", "g2"]


ERRORS = [
    (
        "        pooled: {period: 三年合计, v: rall}\n",
        "        pooled: {period: 三年合计, w: rall}\n",
        "must map the same slots",
    ),
    (
        "          - {period: 2021年, v: r2}\n",
        "          - {period: 2021年, w: r2}\n",
        "every period must map the same slots",
    ),
    ("        mode_param: period_mode\n", "", "'pooled' needs 'mode_param'"),
    (
        "kind: step_deduction, value: v, threshold: 60%",
        "kind: nonsense, value: v, threshold: 60%",
        "unknown per-period rule kind",
    ),
    (
        "          - {period: 2020年, v: r1}\n",
        "          - {period: 2020年, v: nope}\n",
        "unknown input or derived quantity 'nope'",
    ),
    (
        "per_step: 1}\n        periods:\n          - {period: 2020年, v: r1}",
        "per_step: 1, penalties: [{count: c1, per: 1}]}\n        periods:\n          - {period: 2020年, v: r1}",
        "cannot carry penalties",
    ),
]


@pytest.mark.parametrize(("old", "new", "message"), ERRORS)
def test_spec_errors_are_located(old: str, new: str, message: str) -> None:
    assert old in SPEC
    with pytest.raises(SpecError) as exc:
        load_spec("pp.yaml", text=SPEC.replace(old, new, 1))
    assert message in str(exc.value)
    assert "pp.yaml:" in str(exc.value)


def test_slot_lowering_maps_every_method_that_takes_a_quantity():
    """A period's rule reads its slots through SlotLowering: any Lowering method taking a quantity
    name that it does not map would silently read the unmapped slot name."""
    import inspect

    from xlcalc.lowering import Lowering
    from xlcalc.rules.period import SlotLowering

    takes_quantity = {
        name
        for name, fn in inspect.getmembers(Lowering, inspect.isfunction)
        if not name.startswith("_")
        and list(inspect.signature(fn).parameters)[1:2] in (["ref"], ["deps"], ["like"])
    }
    assert takes_quantity <= set(vars(SlotLowering)), takes_quantity - set(vars(SlotLowering))
