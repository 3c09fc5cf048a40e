"""A node's ``cap`` and a rule's ``pool`` (issue 13, items 11 and 12), on tests/specs/bonus_pool.yaml:
a 加分项目 group of 0 points capped at 10 whose items go above their own points, a total allowed up
to 110, and pure deductions with no points of their own (少于3人的扣2分，人员不到位的扣2分) taken
from the 30-point 队伍建设 section — one listed under a sub-indicator — floored at its floor."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import agreement_run

from xlcalc.errors import SpecError
from xlcalc.scorer import Scorer, UnitInputs
from xlcalc.spec.loader import load_spec
from xlcalc.verify.cases import rule_probes

SPEC_PATH = Path(__file__).parent / "specs" / "bonus_pool.yaml"
TEXT = SPEC_PATH.read_text(encoding="utf-8")
# Fees 3万 above the fixed base of 2万 (3 points on the whole-increase item, nothing on the marginal
# one), every other item at full marks, no bonus: 0 + 3 + 30 + 30 + 0.
BASE = {
    "fees": 5,
    "base_fees": 5,
    "nat": 0,
    "prov": 0,
    "city": 0,
    "staff": 3,
    "staff_in_place": "是",
    "trained": 1,
    "done": 10,
    "reports": 0,
}


@pytest.fixture(scope="module")
def spec():
    return load_spec(SPEC_PATH)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, {"staff_few": 0, "staff_absent": 0, "staff_mgmt": 10, "team": 30, "total": 63}),
        # Both pure deductions hit: each shows −2; the one under 人员管理 leaves that sub-indicator whole
        # and lands on 队伍建设 with the other.
        (
            {"staff": 2, "staff_in_place": "否"},
            {"staff_few": -2, "staff_absent": -2, "staff_mgmt": 10, "team": 26, "total": 59},
        ),
        # Nothing left to deduct from: 队伍建设 stops at its floor of 0, not at −4.
        (
            {"staff": 2, "staff_in_place": "否", "trained": 0, "done": 0},
            {"training": 0, "tasks": 0, "team": 0, "total": 33},
        ),
        # 5 + 3×2 + 2 = 13 in bonus items: the group stops at its cap of 10.
        ({"nat": 1, "prov": 2, "city": 1}, {"extra_nat": 5, "extra_prov": 6, "extra_city": 2, "extra": 10}),
        ({"nat": 3}, {"extra_nat": 10, "extra": 10}),  # an item stops at its own cap
        ({"nat": 1, "city": 1}, {"extra": 7, "total": 70}),
        # Everything at its best: 100 + 10 bonus, the total allowed up to 110 by the root's cap.
        ({"fees": 40, "base_fees": 0, "nat": 2}, {"fees_part": 40, "extra": 10, "total": 110}),
    ],
)
def test_caps_and_pools_score_as_the_rubric_says(spec, changes: dict, expected: dict) -> None:
    result = Scorer(spec).score([UnitInputs("甲", {**BASE, **changes})])[0]
    got = {k: (result.total if k == "total" else result.node(k).score) for k in expected}
    assert got == expected


def test_the_pooled_leaf_explains_its_deduction_in_chinese(spec) -> None:
    result = Scorer(spec).score([UnitInputs("甲", {**BASE, "staff": 2, "staff_in_place": "否"})])[0]
    few, absent = result.node("staff_few"), result.node("staff_absent")
    assert few.explanation == "专职人员数2人，未达到3人，不符合得分条件，从“队伍建设”中扣2分"
    assert absent.explanation.endswith("每项扣2分，扣2分，从“队伍建设”中扣2分")
    assert (few.deduction, absent.deduction) == (2, 2)
    fine = Scorer(spec).score([UnitInputs("甲", BASE)])[0].node("staff_few")
    assert fine.explanation.endswith("，不扣分") and fine.deduction == 0


def test_a_bonus_item_above_its_points_is_no_deduction(spec) -> None:
    result = Scorer(spec).score([UnitInputs("甲", {**BASE, "nat": 3, "fees": 40, "base_fees": 0})])[0]
    item = result.node("extra_nat")
    assert item.deduction == 0
    assert (result.node("extra").deduction, result.node("total").deduction) == (0, 0)
    assert item.explanation == "国家级表彰3项，每项得5分，以10分为限，得10分"


def test_probes_push_the_group_past_its_cap_and_the_pool_to_its_floor(spec) -> None:
    probes = rule_probes(spec)
    group = [p for n, p in probes if n == "extra"]
    assert any(
        5 * p["nat"] + 3 * p["prov"] + 2 * p["city"] > 10 for p in group if {"nat", "prov", "city"} <= set(p)
    )
    pool = [p for n, p in probes if n == "team"]
    assert any(p.get("staff_in_place") == "否" and p.get("staff", 3) < 3 for p in pool)
    # Some probe, laid over full marks elsewhere, leaves less to deduct from than is deducted.
    scorer = Scorer(spec)
    floored = []
    for p in pool:
        result = scorer.score([UnitInputs("甲", {**BASE, **p})])[0]
        parts = [result.node(k).score for k in ("training", "staff_mgmt", "staff_few", "staff_absent")]
        if all(x is not None for x in parts) and sum(parts) < 0:
            floored.append(result.node("team").score)
    assert floored and set(floored) == {0}


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("pool: team}", "pool: fees_part}", "pool 'fees_part' must name an ancestor of this rule"),
        ("      floor: 0\n      text: 队伍建设", "      text: 队伍建设", "pool 'team' declares no 'floor'"),
        (
            "      label: 人员不足\n          points: 0",
            "      label: 人员不足\n          points: 2",
            "write points: 0, found 2",
        ),
        (
            "      cap: 10\n      text: 加分",
            "      cap: 3\n      floor: 5\n      text: 加分",
            "'cap' 3 is below",
        ),
        (
            "per: 2, unit: 项}}",
            "per: 2, unit: 项, pool: total}}",
            "a node whose rule deducts from a pool takes no 'cap'",
        ),
    ],
)
def test_misplaced_pools_and_caps_are_located_errors(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    assert old in TEXT
    path = tmp_path / "bad.yaml"
    path.write_text(TEXT.replace(old, new), encoding="utf-8")
    with pytest.raises(SpecError, match=message) as info:
        load_spec(path)
    line = next(d for d in info.value.diagnostics if message.split("'")[0] in d.message).line
    assert line is not None and f"bad.yaml:{line}" in str(info.value)


@pytest.mark.engine
@pytest.mark.parametrize("engine_name", ["libreoffice", "formulas"])
def test_workbook_agrees_with_the_scorer(spec, tmp_path: Path, engine_name: str) -> None:
    agreement_run(spec, tmp_path, engine_name, cases=150, seed=5)
