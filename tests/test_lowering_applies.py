"""``applies_when`` (issue 13, item 13): a node that does not apply to a unit is 不适用 (never 待填,
never 0) in scores, JSON and explanations; its points are excluded from the scored total (converted
back over the points that apply) or reallocated to a sibling at that sibling's scoring rate. Both back
ends get it through the IR: the workbook agrees with the scorer in LibreOffice and formulas."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import agreement_run, examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lang_specs import COUNTY_MIX, SINGLE, load_text

from xlcalc.errors import InputError
from xlcalc.round.unitbook import unit_template
from xlcalc.scorer import Scorer, UnitInputs, resolve_params
from xlcalc.verify.cases import rule_probes
from xlcalc.workbook.build import build_workbook
from xlcalc.workbook.layout import SHEET_NAMES, Role

BASE = {"cases": 100, "target": 100, "rural": 0.85, "street": 3, "trained": "是"}


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory):
    return load_text(COUNTY_MIX, tmp_path_factory.mktemp("mix"), "county_mix")


# (level, changed inputs, rural_item, street_item, group, total, final, pending). One unit alone ranks
# first: rank_item 20, rank_bonus 2.
CASES = [
    ("县级", {}, 18.0, "不适用", 20.0, 98.0, 100.0, 0),  # street's 10 points at train_item's rate 10/10
    ("区级", {}, "不适用", 6.0, 16.0, 95.0, 97.0, 0),  # 76 of the 80 points that apply → 95
    ("区级", {"trained": "否"}, "不适用", 6.0, 6.0, 82.5, 84.5, 0),  # 66 / 80 × 100
    ("县级", {"trained": "否"}, 18.0, "不适用", 0.0, 78.0, 80.0, 0),  # the reallocated share is 0 too
    (None, {}, "待填", "待填", 10.0, 70.0, 72.0, 2),  # attribute blank: undecided, never 不适用
]


@pytest.mark.parametrize(("level", "changed", "rural", "street", "group", "total", "final", "pending"), CASES)
def test_scores_by_level(spec, level, changed, rural, street, group, total, final, pending) -> None:
    result = Scorer(spec).score([UnitInputs("某县", {**BASE, **changed, "level": level})])[0]
    shown = {n.id: (n.score if n.status == "完成" else n.status) for n in result.nodes}
    assert (shown["rural_item"], shown["street_item"], shown["group"]) == (rural, street, group)
    assert (shown["total"], result.total, result.pending) == (total, final, pending)


def test_not_applicable_in_json_and_explanations(spec) -> None:
    result = Scorer(spec).score([UnitInputs("甲区", {**BASE, "level": "区级"})])[0]
    nodes = {n["id"]: n for n in result.to_json()["nodes"]}
    assert nodes["rural_item"]["status"] == "不适用" and nodes["rural_item"]["score"] is None
    assert nodes["rural_item"]["deduction"] is None
    assert nodes["county"]["status"] == "不适用"
    assert nodes["rural_item"]["explanation"] == (
        "不适用（单位层级：区级），乡镇工作（县级）的20分不计入满分，考核得分按适用指标的满分折算"
    )
    county = Scorer(spec).score([UnitInputs("乙县", {**BASE, "level": "县级"})])[0]
    assert county.node("street_item").explanation == (
        "不适用（单位层级：县级），街道工作站（区级）的10分按“业务培训”的得分率计入上级指标"
    )
    blank = Scorer(spec).score([UnitInputs("丙县", BASE)])[0]
    assert blank.node("rural_item").explanation == "待填：请填写单位层级"


def test_a_value_outside_the_attribute_values_is_refused(spec) -> None:
    with pytest.raises(InputError, match="单位层级.*应为县级、区级之一"):
        Scorer(spec).score([UnitInputs("甲区", {**BASE, "level": "市级"})])


def test_single_project_form_reads_the_attribute_as_an_input(tmp_path: Path) -> None:
    spec = load_text(SINGLE, tmp_path)
    scorer = Scorer(spec)
    county, district = scorer.score(
        [
            UnitInputs("项目", {"level": "县级", "has_plan": "否", "staffed": "是"}),
            UnitInputs("项目", {"level": "区级", "has_plan": "否", "staffed": "是"}),
        ]
    )
    assert (county.total, county.node("plan").status) == (6.0, "完成")
    assert (district.total, district.node("plan").status) == (10.0, "不适用")  # 6 of 6 → 10 of 10


def test_probes_try_every_value_and_blank(spec) -> None:
    probes = [p for node, p in rule_probes(spec) if node in ("county", "street_item")]
    assert {"level": "县级"} in probes and {"level": "区级"} in probes and {"level": None} in probes


def test_the_workbook_and_each_unit_file_hold_the_unit_levels(spec) -> None:
    compiled = build_workbook(spec)
    ws = compiled.workbook[SHEET_NAMES[Role.INPUT]]
    levels = [ws.cell(*compiled.layout.row_col("level", u)).value for u in range(len(spec.meta.units))]
    assert levels == ["区级", "县级", "县级", "区级"]
    template = unit_template(spec, resolve_params(spec))
    body = b"".join(template.stamp.texts[p] for p in template.parts)
    assert b"XLCALC-UNIT-VALUE-0" in body
    stamped = template.package("乙县")
    assert b"XLCALC-UNIT-VALUE" not in stamped


def _unit(level: str | None) -> st.SearchStrategy:
    return st.fixed_dictionaries(
        {
            "level": st.just(level),
            "cases": st.one_of(st.none(), st.integers(0, 1000)),
            "target": st.one_of(st.none(), st.integers(1, 1000)),
            "rural": st.one_of(st.none(), st.floats(0, 1).map(lambda x: round(x, 4))),
            "street": st.one_of(st.none(), st.integers(0, 50)),
            "trained": st.sampled_from(["是", "否", None]),
        }
    )


@settings(
    max_examples=examples(60), deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(st.lists(st.sampled_from(["县级", "区级", None]).flatmap(_unit), min_size=1, max_size=4))
def test_no_score_leaves_its_range(spec, units) -> None:
    """Every node, totals included, within [0, points] for every valid cohort; 不适用 never scores."""
    results = Scorer(spec).score([UnitInputs(f"单位{k}", u) for k, u in enumerate(units)])
    for result in results:
        for n in result.nodes:
            if n.score is not None:
                assert -1e-9 <= n.score <= n.points + 1e-9, (n.id, n.score, n.explanation)
            if not n.applicable:
                assert n.score is None and n.deduction is None


@pytest.mark.engine
@pytest.mark.parametrize("engine_name", ["libreoffice", "formulas"])
@pytest.mark.parametrize("text", [COUNTY_MIX, SINGLE], ids=["county_mix", "single_level"])
def test_workbook_agrees_with_the_scorer(tmp_path: Path, text: str, engine_name: str) -> None:
    agreement_run(load_text(text, tmp_path), tmp_path, engine_name, cases=80, seed=5)
