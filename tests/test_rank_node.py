"""Ranking any indicator across the cohort (issue 13, item 14): 总分排名前2名加2分 in the test rubric,
with the tie parameter of ``rank_tiers``; in a round's per-unit files the ranking and everything above
it read 待汇总, like the other ranking items."""

from __future__ import annotations

from pathlib import Path

import pytest
from lang_specs import COUNTY_MIX, load_text

from xlcalc.cohort import has_cross_unit_items
from xlcalc.errors import SpecError
from xlcalc.lowering import lower
from xlcalc.round.unitbook import pending_cells
from xlcalc.scorer import Scorer, UnitInputs
from xlcalc.verify.cases import rule_probes


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory):
    return load_text(COUNTY_MIX, tmp_path_factory.mktemp("mix"), "county_mix")


def _units(cases: list[int]) -> list[UnitInputs]:
    base = {"level": "县级", "target": 100, "rural": 0.85, "street": 3, "trained": "是"}
    return [UnitInputs(f"单位{k}", {**base, "cases": c}) for k, c in enumerate(cases)]


# (cases of four 县级 units, rank_ties, totals of 考核得分, 总分排名加分 of each unit).
# Completion rates 100%, 100%, 95%, 90% rank 1,1,3,4 (competition) or 1,1,2,3 (dense) on 完成率排名 too.
CASES = [
    ([100, 100, 95, 90], "competition", [98.0, 98.0, 73.0, 68.0], [2.0, 2.0, 0.0, 0.0]),
    ([100, 100, 95, 90], "dense", [98.0, 98.0, 91.0, 68.0], [2.0, 2.0, 2.0, 0.0]),
    ([90, 95, 100, 99], "competition", [68.0, 73.0, 98.0, 95.0], [0.0, 0.0, 2.0, 2.0]),
]


@pytest.mark.parametrize(("cases", "ties", "totals", "bonus"), CASES)
def test_top_two_by_total(spec, cases, ties, totals, bonus) -> None:
    results = Scorer(spec).score(_units(cases), {"rank_ties": ties})
    assert [r.node("total").score for r in results] == totals
    assert [r.node("rank_bonus").score for r in results] == bonus
    assert [r.total for r in results] == [t + b for t, b in zip(totals, bonus, strict=True)]
    assert results[0].node("rank_bonus").explanation.startswith(f"考核得分{totals[0]:g}分，排名第")


def test_beyond_the_listed_ranks_is_the_parameter(spec) -> None:
    results = Scorer(spec).score(_units([100, 95, 90]), {"rank_beyond": 0.5})
    assert [r.node("rank_bonus").score for r in results] == [2.0, 2.0, 0.5]


def test_a_ranking_of_a_node_is_cross_unit(spec) -> None:
    assert has_cross_unit_items(spec)
    pending = pending_cells(lower(spec))
    assert {"rank_bonus__key", "rank_bonus", "final"} <= pending
    assert not {"cases_item", "group", "county"} & pending


def test_probes_tie_whole_units(spec) -> None:
    probes = [p for node, p in rule_probes(spec) if node == "rank_bonus"]
    assert len(probes) == 6 and probes[0] == probes[1] and probes[0]["level"] == "县级"


def test_a_ranked_node_must_apply_to_every_unit(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="which does not apply to every unit") as info:
        load_text(COUNTY_MIX.replace("node: total,", "node: county,"), tmp_path, "bad")
    assert "bad.yaml:" in str(info.value)
