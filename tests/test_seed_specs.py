"""The source rubrics as specs: published numbers reproduced, lint clean, scores and audit findings
as computed by hand, and the filled examples evaluated identically in LibreOffice."""

from __future__ import annotations

from pathlib import Path

import pytest

from xlcalc import audit
from xlcalc.inputs import load_inputs
from xlcalc.lint import lint
from xlcalc.scorer import Scorer
from xlcalc.spec.loader import load_spec

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "rubric_specs"
EXAMPLES = ROOT / "examples"

EZHOU = ("legal_advisor", "rule_of_law", "legislation", "enforcement", "pufa")
NEW_SPECS = ("huidong_2020_2022", *(f"ezhou_2021_{t}" for t in EZHOU), "qingyunpu_2023")


def spec_of(name: str):
    return load_spec(SPECS / f"{name}.yaml")


def audited(name: str, params: dict | None = None) -> audit.UnitAudit:
    return audit.audit(spec_of(name), load_inputs(EXAMPLES / f"{name}.yaml"), params)[0]


def scored(name: str, params: dict | None = None):
    return Scorer(spec_of(name)).score(load_inputs(EXAMPLES / f"{name}.yaml"), params)[0]


# ---- lint -------------------------------------------------------------------------------------
# Warnings these specs are expected to draw: inputs read only by the audit (self-scores, reasons)
# until lint counts node references; 0-point rows of a monitoring table and of the duplicated row;
# the rule that promises 10 points on a weight of 5.
ALLOWED_WARNINGS = ("未被任何规则使用", "分值为0，只有扣分项才应为0分", "规则满分 10 分超过指标分值 5 分")


@pytest.mark.parametrize("name", NEW_SPECS)
def test_lint_has_no_errors_and_only_expected_warnings(name: str) -> None:
    diags = lint(spec_of(name))
    assert [str(d) for d in diags if d.level == "error"] == []
    unexpected = [str(d) for d in diags if not any(w in d.message for w in ALLOWED_WARNINGS)]
    assert unexpected == []


def test_the_rule_promising_more_than_its_weight_is_linted() -> None:
    diags = lint(spec_of("huidong_2020_2022"))
    assert [d.path for d in diags if "规则满分 10 分" in d.message] == [
        "tree.children[3].children[0].children[0].children[3]"
    ]


# ---- 鄂州: published numbers ------------------------------------------------------------------
PUBLISHED = {
    # table: (budget line score, published total, Σ self-scores, arithmetic of 100 − Σ deductions)
    "legal_advisor": (8.8, 97.8, 97.8, "100 − (10−8.8) − (5−4) = 97.8"),
    "rule_of_law": (8.7, 96.7, 106.7, "100 − (10−8.7) − (5−3) = 96.7"),
    "legislation": (3, 91, 91, "100 − (10−3) − (6−5) − (5−4) = 91"),
    "enforcement": (8.4, 91.4, 91.4, "100 − (10−8.4) − (3−0) − (3−0) − (5−4) = 91.4"),
    "pufa": (9.5, 97.5, 97.5, "100 − (10−9.5) − (6−5) − (10−9) = 97.5"),
}


@pytest.mark.parametrize("table", EZHOU)
def test_ezhou_budget_line_as_published(table: str) -> None:
    budget, *_ = PUBLISHED[table]
    assert scored(f"ezhou_2021_{table}").node("budget").score == budget


@pytest.mark.parametrize("table", EZHOU)
def test_ezhou_total_as_published(table: str) -> None:
    _, total, total_sum, arithmetic = PUBLISHED[table]
    a = audited(f"ezhou_2021_{table}")
    assert a.published == total
    assert a.total_net == pytest.approx(total)
    assert a.total_sum == pytest.approx(total_sum)
    assert a.arithmetic == arithmetic
    assert "与按本表计分方式（满分减扣分）计算的自评分合计一致" in a.verdict


def test_rule_of_law_weights_do_not_add_up_and_the_audit_says_so() -> None:
    a = audited("ezhou_2021_rule_of_law")
    assert (
        a.verdict
        == "公布总分96.7，与按本表计分方式（满分减扣分）计算的自评分合计一致；按各项相加为106.7，两种算法不一致"
    )
    assert a.findings == ["表列总分100，下级权重之和 10+90+10 = 110（本规格按下级计110分；满分减扣分）"]
    total = scored("ezhou_2021_rule_of_law").node("total")
    assert (total.points, total.score, total.deduction) == (100, 96.7, pytest.approx(3.3))


RULE_TOTALS = {
    # table: (rule-computed total, complete?, rows where self-score − rule score ≠ 0, rows 待填)
    "legal_advisor": (93.8, False, {}, {"public_satisfaction"}),
    "rule_of_law": (96.7, True, {}, set()),
    "legislation": (87.7, False, {"cleanup": -0.7}, {"awareness"}),
    "enforcement": (92.2, True, {"file_quality": -0.8}, set()),
    "pufa": (97.9, True, {"awareness": -0.4}, set()),
}


@pytest.mark.parametrize("table", EZHOU)
def test_ezhou_rule_scores_beside_self_scores(table: str) -> None:
    total, complete, diffs, pending = RULE_TOTALS[table]
    a = audited(f"ezhou_2021_{table}")
    assert (a.rule_total, a.complete) == (pytest.approx(total), complete)
    assert {r.id: pytest.approx(r.diff) for r in a.rows if r.diff} == diffs
    assert {r.id for r in a.rows if r.own is not None and r.score is None} == pending


def test_ezhou_over_completion_flags() -> None:
    rows = {r.id: r.flags for r in audited("ezhou_2021_enforcement").rows}
    assert rows["exams"] == ["完成值为指标值的300%，指标值可能偏低"]
    assert rows["win_rate"] == []  # 100% of 85% is 118%


# ---- 惠东 ------------------------------------------------------------------------------------
def test_huidong_rows() -> None:
    a = audited("huidong_2020_2022")
    rows = {r.id: r for r in a.rows}
    flagged = {r.id: r.flags for r in a.rows if r.flags}
    assert flagged == {
        "argument_1": ["规则得分待填，无法核对"],
        "safeguards_system": ["自评分超过分值1分", "自评分高于规则得分1分"],
        "safeguards_plan": ["未填自评分"],
        "spend_rate": ["自评分高于规则得分2.07分"],
        "cases": ["规则得分待填，无法核对"],
        "closure": ["规则得分待填，无法核对"],
        "complaints_dup": ["自评分超过分值0分", "自评分高于规则得分5分"],
    }
    # 资金支出率: 6 × 89/136 = 3.93 against the self-assigned 6 ("资金支出率百分百").
    assert (rows["spend_rate"].score, rows["spend_rate"].own) == (3.93, 6)


def test_huidong_structure() -> None:
    found = {(f.node, f.kind) for f in audit.structural_findings(spec_of("huidong_2020_2022"))}
    assert found == {
        ("assign_timely", "full_marks"),
        ("complaints_dup", "duplicate"),
        ("output", "weights"),
        ("benefit", "weights"),
        ("progress", "weights"),
        ("effect", "weights"),
        ("social", "weights"),
        ("cases", "target"),
        ("complaints", "unit"),
        ("complaints", "target"),
    }


def test_huidong_totals() -> None:
    a = audited("huidong_2020_2022")
    # Σ self-scores = 105 with the duplicated row's 5; the published 合计 is 100.
    assert (a.total_sum, a.published) == (105, 100)
    assert a.arithmetic == "100 − (1−2) − (1−未填) − (0−5) = 105"
    assert a.verdict == "公布总分100，按本表计分方式（各项相加）计算的自评分合计为105，相差-5"
    assert not a.complete


def test_huidong_years_or_pooled() -> None:
    per_year = scored("huidong_2020_2022")
    assert [
        per_year.node(n).score for n in ("quality_rate", "coverage", "assign_timely", "closure", "cases")
    ] == [10, 10, 5, None, None]
    assert "待填：请填写2020年法律援助案件结案率" in per_year.node("closure").explanation
    pooled = scored("huidong_2020_2022", {"period_mode": "pooled"})
    assert pooled.node("closure").score == 10
    assert "2020-2022年法律援助案件结案率77.5%，达到60%" in pooled.node("closure").explanation
    # 办案数量 has no pooled reading: the rule is annual (4000 cases a year).
    assert pooled.node("cases").score is None


# ---- 青云谱 ----------------------------------------------------------------------------------
def test_qingyunpu_statuses() -> None:
    cells = scored("qingyunpu_2023").cells
    statuses = {k.removesuffix("__status"): v for k, v in cells.items() if k.endswith("__status")}
    assert statuses.pop("cost_control") == "轻微偏差"
    assert set(statuses.values()) == {"正常"} and len(statuses) == 12
    assert cells["monitor_summary"] == "正常12项，轻微偏差1项，严重偏差0项，待填0项"
    # 4.3816/5 = 87.632% against the time progress 10/12 = 83.333%: 5.2% ahead.
    assert cells["execution__dev"] == pytest.approx(0.87632 / (10 / 12) - 1, abs=1e-9)


# ---- 烈山: the 安庆 rubric filled from a report that lacks many inputs --------------------------
LIESHAN_PENDING = {
    "goals_1",
    "funding_2",
    "org_2",
    "balance_3",
    "pub_2",
    "quality_h1_a",
    "quality_h1_b",
    "quality_h1_c",
    "quality_h2_a",
    "quality_h2_b",
    "quality_h2_c",
    "quality_3",
    "quality_4",
    "use_3",
    "use_4",
    "sat_1",
    "sat_2",
}


def test_lieshan_is_pending_exactly_where_the_report_lacks_inputs() -> None:
    spec = spec_of("anqing_2023")
    unit = load_inputs(EXAMPLES / "lieshan_2023.yaml")[0]
    result = Scorer(spec).score([unit])[0]
    derived = {d.id: d for d in spec.derived}

    def base(ref: str) -> set[str]:
        return set().union(*(base(a) for a in derived[ref].args)) if ref in derived else {ref}

    lacking = set()
    for node in spec.nodes():
        if node.rule is not None:
            rule = node.rule
            refs = rule.refs() + [p.count for p in rule.penalties] + [v.flag for v in rule.vetoes]
            if set().union(*(base(r) for r in refs)) - set(unit.values):
                lacking.add(node.id)
    pending = {n.id for n in result.nodes if n.is_rule and n.score is None}
    assert pending == lacking == LIESHAN_PENDING
    assert (result.pending, result.total) == (17, 37)


# ---- workbooks ------------------------------------------------------------------------------
@pytest.mark.parametrize("name", NEW_SPECS)
def test_audit_sheet_only_where_there_are_self_scores(name: str) -> None:
    from xlcalc.workbook.build import build_workbook

    names = build_workbook(spec_of(name)).workbook.sheetnames
    assert ("审核" in names) == (name != "qingyunpu_2023")


def _libreoffice():
    from xlcalc.engines import get_engine

    engine = get_engine("libreoffice", shared=True)
    ok, why = engine.available()
    if not ok:
        pytest.skip(f"LibreOffice unavailable: {why}")
    return engine


@pytest.mark.engine
@pytest.mark.parametrize("name", NEW_SPECS)
def test_filled_example_in_libreoffice(name: str, tmp_path: Path) -> None:
    """The filled example, computed by LibreOffice: every compiled cell as the reference scorer has
    it, no error anywhere in the workbook, and the 审核 sheet showing the audit's numbers."""
    from xlcalc.verify.cases import Case
    from xlcalc.verify.runner import run_engine
    from xlcalc.verify.target import load_target

    engine = _libreoffice()
    target = load_target(SPECS / f"{name}.yaml", tmp_path)
    unit = load_inputs(EXAMPLES / f"{name}.yaml")[0]
    book = engine.open(target.path)
    try:
        run = run_engine(
            target, book, "libreoffice", [Case([dict(unit.values)], {}, "filled example")], tmp_path
        )
        assert run.mismatches == [], "\n".join(m.describe() for m in run.mismatches)
        assert book.errors() == []
        if name == "qingyunpu_2023":
            return
        a = audited(name)
        rows = book.read("审核", "A4:H80")
        by_id = {r[0]: r for r in rows if r and r[0]}
        for r in a.rows:
            if r.own is not None:
                assert by_id[r.id][5] == pytest.approx(r.own)
            if r.flags:
                assert by_id[r.id][7] == "；".join(r.flags) + "；"
        texts = [c for row in book.read("审核", "B4:C90") for c in row if isinstance(c, str)]
        assert a.verdict in texts and a.arithmetic in texts
    finally:
        book.close()


# ---- the worked example of docs/authoring.md ----------------------------------------------------
def _doc_block(marker: str) -> str:
    text = (ROOT / "docs" / "authoring.md").read_text(encoding="utf-8")
    after = text.split(f"<!-- {marker} -->", 1)[1]
    return after.split("```yaml\n", 1)[1].split("```", 1)[0]


def test_authoring_guide_example_works(tmp_path: Path) -> None:
    spec_path = tmp_path / "example.yaml"
    spec_path.write_text(_doc_block("example-spec"), encoding="utf-8")
    inputs_path = tmp_path / "example_inputs.yaml"
    inputs_path.write_text(_doc_block("example-inputs"), encoding="utf-8")
    spec = load_spec(spec_path)
    assert [d for d in lint(spec) if d.level == "error"] == []
    units = load_inputs(inputs_path)
    result = Scorer(spec).score(units)[0]
    assert (result.total, result.complete, result.grade) == (96.57, True, "优")
    assert result.node("days").score == 8.57
    a = audit.audit(spec, units)[0]
    assert a.arithmetic == "100 − (10−9.2) − (20−18) − (10−8) = 95.2"
    assert {r.id: r.flags for r in a.rows if r.flags} == {
        "cases": ["自评分低于规则得分0.8分"],
        "days": ["自评分低于规则得分0.57分"],
    }
    # The guide shows this output; keep it true.
    guide = (ROOT / "docs" / "authoring.md").read_text(encoding="utf-8")
    for line in audit.format_report(spec, [a]).splitlines():
        assert line in guide
