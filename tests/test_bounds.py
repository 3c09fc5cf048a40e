"""Scores stay within [floor, cap] for every valid input, on every spec (issue: bounds must come
from the inputs' declared ranges through derived quantities, never from assumptions). The cap of a
node is its points unless it declares ``cap`` (bonus items and groups, a total above 100); a rule
deducting from a pool never adds; an indicator never leaves [its floor, its cap]."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lang_specs import COUNTY_MIX, SINGLE, load_text

from xlcalc.lowering import Lowering
from xlcalc.scorer import Scorer, UnitInputs
from xlcalc.spec.loader import load_spec
from xlcalc.spec.model import InputDef, Spec

ROOT = Path(__file__).resolve().parent.parent
SPEC_PATHS = sorted((ROOT / "rubric_specs").glob("*.yaml")) + sorted(
    (ROOT / "tests" / "specs").glob("*.yaml")
)

# A 规费 bonus: every 1万元 collected above the assessment base adds 0.4 points (the count is a derived
# difference, which falls below zero when the fee is under the base).
BONUS_OVER_BASE = """
meta: {id: bonus_over_base, title: 规费加分, total: 2}
inputs:
  - {id: fee, label: 规费收入, unit: 万元, type: number, min: 0, max: 100}
  - {id: base, label: 考核基数, unit: 万元, type: number, min: 0, max: 100}
derived:
  - {id: above, label: 超出基数, kind: difference, of: [fee, base], decimals: 2}
tree:
  id: total
  label: 总分
  points: 2
  children:
    - {id: fee_bonus, label: 规费征收, points: 2, rule: {kind: bonus, count: above, per: 0.4, unit: 万元}}
"""


def _value(inp: InputDef) -> st.SearchStrategy:
    if inp.is_bool:
        return st.sampled_from(["是", "否", None])
    if inp.is_text and inp.values:  # a unit attribute (applies_when)
        return st.sampled_from([*inp.values, None])
    if inp.is_text:
        return st.sampled_from(["", "原因"])
    lo = inp.lo if inp.lo is not None else -1e6
    hi = inp.hi if inp.hi is not None else 1e6
    integer = (inp.item_type if inp.is_list else inp.type) == "integer"
    num = (
        st.integers(int(lo), int(hi)).map(float)
        if integer
        else st.floats(lo, hi, allow_nan=False).map(lambda x: round(x, 4))
    )
    if inp.is_list:
        return st.lists(num, max_size=min(inp.capacity, 25))
    return st.one_of(st.none(), num)


def _units(spec: Spec) -> st.SearchStrategy:
    return st.fixed_dictionaries({i.id: _value(i) for i in spec.inputs})


def _check(spec: Spec, scorer: Scorer, values: dict) -> None:
    lw = Lowering(spec)
    n_units = max(1, len(spec.meta.units))
    result = scorer.score([UnitInputs(f"单位{k}", values) for k in range(n_units)])[0]
    for node, res in zip(scorer.nodes, result.nodes, strict=True):
        if res.score is None:
            continue
        if node.rule is None:  # an indicator: [its floor, its cap (its full marks without one)]
            top = node.cap if node.cap is not None else node.base_points
            assert res.score <= top + 1e-9, (node.id, res.score)
            assert node.floor is None or res.score >= node.floor - 1e-9, (node.id, res.score)
            continue
        if node.rule.pool:  # no points of its own: deducts, never adds
            assert res.score <= 1e-9, (node.id, res.score, res.explanation)
            continue
        if not node.rule.lower(lw, node).clamp:
            continue
        assert res.score <= node.max_score + 1e-9, (node.id, res.score, res.explanation)
        if node.rule.floor != "none" and node.max_score > 0:
            assert res.score >= -1e-9, (node.id, res.score, res.explanation)


SETTINGS = settings(
    max_examples=examples(80), deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)


def _holds_for_every_valid_unit(spec: Spec) -> None:
    scorer = Scorer(spec)

    @SETTINGS
    @given(_units(spec))
    def check(values):
        _check(spec, scorer, values)

    check()


@pytest.mark.parametrize("path", SPEC_PATHS, ids=lambda p: p.stem)
def test_no_rule_score_leaves_its_range(path):
    _holds_for_every_valid_unit(load_spec(path))


def test_bonus_on_a_negative_difference_is_floored(tmp_path):
    p = tmp_path / "bonus.yaml"
    p.write_text(BONUS_OVER_BASE, encoding="utf-8")
    spec = load_spec(p)
    result = Scorer(spec).score([UnitInputs("甲", {"fee": 5, "base": 6})])[0]
    assert result.node("fee_bonus").score == 0
    assert result.total == 0
    assert "扣完为止" in result.node("fee_bonus").explanation


def test_bonus_property_on_a_difference(tmp_path):
    p = tmp_path / "bonus.yaml"
    p.write_text(BONUS_OVER_BASE, encoding="utf-8")
    _holds_for_every_valid_unit(load_spec(p))


@pytest.mark.parametrize("text", [COUNTY_MIX, SINGLE], ids=["county_mix", "single_level"])
def test_no_rule_score_leaves_its_range_with_applies_when_and_rank_node(tmp_path, text):
    _holds_for_every_valid_unit(load_text(text, tmp_path))
