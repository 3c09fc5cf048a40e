"""Reading and checking unit attributes, ``applies_when`` and rules that rank a node
(xlcalc/spec/applicability.py): every mistake is a located error naming the file and line."""

from __future__ import annotations

from pathlib import Path

import pytest
from lang_specs import COUNTY_MIX, load_text
from rule_snippets import HEADER

from xlcalc.errors import SpecError
from xlcalc.spec.applicability import excluded_from, reallocation_targets
from xlcalc.spec.loader import load_spec


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory):
    return load_text(COUNTY_MIX, tmp_path_factory.mktemp("mix"), "county_mix")


def test_units_are_names_or_mappings_fixing_inputs(spec, tmp_path: Path) -> None:
    assert spec.meta.units == ("甲区", "乙县", "丙县", "丁区")
    assert spec.meta.fixed_values("乙县") == {"level": "县级"}
    assert spec.meta.fixed_values("别处") == {}
    plain = load_text(COUNTY_MIX.replace("{name: 甲区, level: 区级}", "{name: 甲区, level: 区级}"), tmp_path)
    assert plain.meta.units == spec.meta.units


def test_node_clauses(spec) -> None:
    assert spec.node("county").applies_when == (("level", ("县级",)),)
    assert excluded_from(spec, spec.node("county")) == "total"
    street = spec.node("street_item")
    assert [t.id for t in reallocation_targets(spec, street)] == ["train_item"]
    assert spec.node("rank_bonus").rule.nodes_read() == ["total"]


COUNTY = "applies_when: {level: 县级}"
# (text replaced, replacement, error message): each a located error.
BAD = [
    (COUNTY, "applies_when: {levle: 县级}", "'levle', which is not a 是/否 input or a text input"),
    (COUNTY, "applies_when: {level: 市级}", "'市级' is not one of 县级, 区级"),
    (COUNTY, "applies_when: {level: [县级, 市级]}", "'市级' is not one of 县级, 区级"),
    (COUNTY, "applies_when: {}", "'applies_when' needs at least one condition"),
    ("not_applicable: {excluded_from: total}", "not_applicable: {excluded_from: group}", "not an ancestor"),
    (
        "not_applicable: {excluded_from: total}",
        "not_applicable: dropped",
        "must be one of excluded, reallocated",
    ),
    ("not_applicable: {reallocate: [train_item]}", "not_applicable: {reallocate: [county]}", "not a sibling"),
    ("{name: 甲区, level: 区级}", "{name: 甲区, level: 市级}", "unit '甲区': '市级' is not one of"),
    ("{name: 甲区, level: 区级}", "{name: 甲区, cases: 3}", "fixes 'cases', which is not"),
    ("{name: 甲区, level: 区级}", "甲区", "unit '甲区' does not give level"),
    (
        "type: text, values: [县级, 区级]}",
        "type: bool, values: [县级, 区级]}",
        "'values' applies only to text",
    ),
    ("node: total,", "node: total_x,", "ranks unknown indicator 'total_x'"),
    ("node: total,", "node: final,", "a ranking cannot feed what it ranks"),
    ("node: total,", "node: rank_bonus,", "a ranking cannot feed what it ranks"),
]


@pytest.mark.parametrize(("old", "new", "message"), BAD)
def test_mistakes_are_located_errors(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in COUNTY_MIX
    with pytest.raises(SpecError, match=message) as info:
        load_text(COUNTY_MIX.replace(old, new, 1), tmp_path, "bad")
    assert "bad.yaml:" in str(info.value)


def test_not_applicable_needs_applies_when(tmp_path: Path) -> None:
    text = COUNTY_MIX.replace(
        "              label: 业务培训\n",
        "              label: 业务培训\n              not_applicable: excluded\n",
    )
    with pytest.raises(SpecError, match="'not_applicable' needs 'applies_when'"):
        load_text(text, tmp_path, "bad")


def test_a_ranking_inside_what_it_ranks_is_refused(tmp_path: Path) -> None:
    """Ranking the scored total from inside it would be a circular reference in the workbook."""
    text = COUNTY_MIX.replace(
        "      rule: {kind: threshold, when: [{flag: trained}]}",
        "      rule: {kind: rank_node, node: total, tiers: [{upto: 1, points: 10}]}",
    )
    with pytest.raises(SpecError, match="a ranking cannot feed what it ranks") as info:
        load_text(text, tmp_path, "cycle")
    assert "(tree.children[0].children[2].children[1].rule)" in str(info.value)


@pytest.mark.parametrize(
    "rule",
    [
        "{kind: rank_tiers, key: ratio, tiers: [{upto: 1, points: 10}]}",
        "{kind: rank_node, node: total, tiers: [{upto: 1, points: 10}]}",
    ],
)
def test_a_ranking_needs_a_cohort(tmp_path: Path, rule: str) -> None:
    """Without meta.units every rank would be 1: a ranking rule there is a located error."""
    path = tmp_path / "solo.yaml"
    path.write_text(HEADER.replace("{RULE}", rule), encoding="utf-8")
    with pytest.raises(SpecError, match="list them in meta.units") as info:
        load_spec(path)
    assert "solo.yaml:" in str(info.value)
