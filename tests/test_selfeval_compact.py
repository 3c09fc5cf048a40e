"""The compact 自评表 form: expansion identical to the hand-written full specs, located errors,
warnings naming the row, and the profiles' budget lines."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from xlcalc.errors import SpecError
from xlcalc.scorer import Scorer, UnitInputs
from xlcalc.spec.loader import load_spec

ROOT = Path(__file__).resolve().parent.parent
EZHOU = ("legal_advisor", "rule_of_law", "legislation", "enforcement", "pufa")


def _bare(node):
    return dataclasses.replace(node, line=0, path="", children=())


@pytest.mark.parametrize("table", EZHOU)
def test_compact_spec_expands_to_the_former_full_spec(table: str) -> None:
    new = load_spec(ROOT / "rubric_specs" / f"ezhou_2021_{table}.yaml")
    old = load_spec(ROOT / "tests" / "golden" / "ezhou_full" / f"ezhou_2021_{table}.yaml")
    assert new.meta == old.meta
    assert new.inputs == old.inputs
    assert [_bare(n) for n in new.nodes()] == [_bare(n) for n in old.nodes()]
    assert new.warnings == ()
    # every guess is recorded, naming its rows
    assert {n for c in new.choices for n in c.nodes} >= {
        n.id for n in new.nodes() if n.rule is not None and n.rule.KIND == "discretionary"
    }


@pytest.mark.parametrize("table", EZHOU)
def test_compact_spec_is_at_least_five_times_shorter(table: str) -> None:
    new = (ROOT / "rubric_specs" / f"ezhou_2021_{table}.yaml").read_text(encoding="utf-8")
    old = (ROOT / "tests" / "golden" / "ezhou_full" / f"ezhou_2021_{table}.yaml").read_text(encoding="utf-8")
    assert len(new) * 5 <= len(old)
    assert len(new.splitlines()) * 5 <= len(old.splitlines())


HEAD = (
    "selfeval: {id: t, project: 测试项目, department: 测试局, unit: 测试科, year: 2023, profile: %s}\nrows:\n"
)


def _load(tmp_path: Path, rows: str, profile: str = "national"):
    p = tmp_path / "t.yaml"
    p.write_text(HEAD % profile + rows, encoding="utf-8")
    return load_spec(p)


def _errors(tmp_path: Path, rows: str, profile: str = "national") -> list[str]:
    with pytest.raises(SpecError) as exc:
        _load(tmp_path, rows, profile)
    return [str(d) for d in exc.value.diagnostics]


ROWS = """\
  - [产出指标, 数量指标, 开展培训, "≥12次", 30]
  - ["", 质量指标, 合格率, "≥90%", 20]
  - ["", 成本指标, 控制成本, "≤7万", 10]
  - [效益指标, 社会效益指标, 排名, 前三, 20]
  - [满意度指标, 服务对象满意度指标, 全面完成任务, 全面完成年度任务, 10]
"""


def test_rules_parsed_from_the_targets(tmp_path: Path) -> None:
    spec = _load(tmp_path, ROWS)
    rules = {n.id: n.rule for n in spec.nodes() if n.rule is not None}
    assert (rules["r1"].target, rules["r1"].direction) == (12, "positive")
    assert (rules["r2"].target, rules["r2"].direction) == (0.9, "positive")
    assert (rules["r3"].target, rules["r3"].direction) == (7, "reverse")
    assert (rules["r4"].target, rules["r4"].direction) == (3, "reverse")
    assert rules["r5"].KIND == "discretionary"
    units = {i.id: i.unit for i in spec.inputs}
    assert (units["actual_r1"], units["actual_r3"], units["actual_r4"]) == ("次", "万元", "名")
    assert [n.id for n in spec.root.children] == ["budget", "output", "benefit", "satisfaction"]
    assert spec.root.points == 100 and spec.meta.title == "2023年度测试项目项目支出绩效自评表"
    r = Scorer(spec).score(
        [UnitInputs("u", {"budget_year": 100, "executed": 95, "actual_r1": 6, "actual_r3": 7.7})]
    )[0]
    assert (r.node("budget").score, r.node("r1").score, r.node("r3").score) == (9.5, 15, 9)


def test_unparseable_target_becomes_qualitative_with_a_warning(tmp_path: Path) -> None:
    spec = _load(tmp_path, '  - [产出指标, 数量指标, 开展活动, "≥若干次", 10]\n')
    assert list(spec.nodes())[-1].rule.KIND == "discretionary"
    assert [w.message for w in spec.warnings] == ["“开展活动”的年度指标值“≥若干次”无法解析，按定性指标处理"]
    assert spec.warnings[0].line == 3


def test_typo_in_the_unit_is_warned(tmp_path: Path) -> None:
    spec = _load(tmp_path, '  - [产出指标, 数量指标, 接听电话, "≥1800次次", 10]\n')
    assert list(spec.nodes())[-1].rule.target == 1800
    assert [w.message for w in spec.warnings] == ["“接听电话”的年度指标值：“≥1800次次”中单位“次”重复"]


@pytest.mark.parametrize(
    ("rows", "profile", "message"),
    [
        (
            "  - [产出指标, 数量指标, 开展培训]\n",
            "national",
            "每行应为 [一级指标, 二级指标, 三级指标, 年度指标值, 分值]",
        ),
        ('  - ["", 数量指标, 开展培训, 1次, 5]\n', "national", "首行必须写出一级和二级"),
        ("  - [产出指标, 数量指标, 开展培训, 1次, 五分]\n", "national", "分值“五分”不是数字"),
        ("  - [产出指标, 数量指标, 开展培训, 1次, 5]\n", "shanghai", "未知的 profile“shanghai”"),
        ("  - [产出指标, 数量指标, 开展培训, 1次, 5, {kind: rate}]\n", "national", "'kind'"),
        (
            "  - [产出指标, 数量指标, 甲, 1次, 5, {id: a}]\n  - [产出指标, 数量指标, 乙, 1次, 5, {id: a}]\n",
            "national",
            "指标编号“a”重复",
        ),
        ("  - [产出指标, 数量指标, 甲, 全面完成, 5, {kind: quantitative}]\n", "national", "没有可计分的数值"),
    ],
)
def test_mistakes_are_located(tmp_path: Path, rows: str, profile: str, message: str) -> None:
    errors = _errors(tmp_path, rows, profile)
    assert any(message in e and "t.yaml:" in e for e in errors), errors


def _budget(tmp_path: Path, profile: str, values: dict) -> float | None:
    spec = _load(tmp_path, "  - [产出指标, 数量指标, 开展培训, 1次, 90]\n", profile)
    return Scorer(spec).score([UnitInputs("u", values)])[0].node("budget").score


@pytest.mark.parametrize(
    ("profile", "values", "score"),
    [
        ("national", {"budget_year": 100, "executed": 88}, 8.8),
        ("national", {"budget_year": 100, "executed": 120}, 10),
        ("hubei", {"budget_year": 100, "executed": 88}, 17.6),
        ("jiangxi", {"budget_year": 100, "executed": 100}, 10),
        ("jiangxi", {"budget_year": 100, "executed": 85}, 7),
        ("jiangxi", {"budget_year": 100, "executed": 60}, 5),
        ("jiangxi", {"budget_year": 100, "executed": 59}, 0),
        ("zhejiang", {"budget_year": 100, "executed": 80, "backfill": 10}, 9),
        ("zhejiang", {"budget_year": 0, "executed": 0, "backfill": 0}, 10),
        ("national", {"budget_year": 0, "executed": 0}, None),
        ("sichuan", {"budget_year": 50, "executed": 45}, 9),
    ],
)
def test_profile_budget_lines(tmp_path: Path, profile: str, values: dict, score: float | None) -> None:
    assert _budget(tmp_path, profile, values) == score


def test_sichuan_labels_its_figures_as_printed(tmp_path: Path) -> None:
    spec = _load(tmp_path, "  - [产出指标, 数量指标, 开展培训, 1次, 90]\n", "sichuan")
    labels = {i.id: i.label for i in spec.inputs}
    assert (labels["budget_year"], labels["executed"]) == ("总额：调整后预算数", "总额：预算执行数")
    assert spec.meta.title == "2023年度测试项目部门预算项目支出绩效自评表"


@pytest.mark.parametrize(
    ("profile", "values", "flags"),
    [
        (
            "guangxi",
            {"actual_r1": 13},
            ["完成值为指标值的130%，指标值可能偏低", "完成值达到指标值130%及以上，未填偏差原因"],
        ),
        ("guangxi", {"actual_r1": 13, "why_r1": "需求增加"}, ["完成值为指标值的130%，指标值可能偏低"]),
        ("guangxi", {"actual_r1": 12}, []),
        ("national", {"actual_r1": 13}, ["完成值为指标值的130%，指标值可能偏低"]),
    ],
)
def test_guangxi_wants_a_reason_for_over_completion(
    tmp_path: Path, profile: str, values: dict, flags: list[str]
) -> None:
    from xlcalc import audit

    spec = _load(tmp_path, "  - [产出指标, 数量指标, 培训, ≥10次, 90]\n", profile)
    base = {"budget_year": 10, "executed": 10, "self_budget": 10, "self_r1": 90}
    a = audit.audit(spec, [UnitInputs("u", base | values)])[0]
    assert [r.flags for r in a.rows if r.id == "r1"] == [flags]


def _doc_block(marker: str) -> str:
    text = (ROOT / "docs" / "authoring.md").read_text(encoding="utf-8")
    return text.split(f"<!-- {marker} -->", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]


def test_the_guides_compact_example_scores_as_its_full_form(tmp_path: Path) -> None:
    p = tmp_path / "compact.yaml"
    p.write_text(_doc_block("compact-spec"), encoding="utf-8")
    spec = load_spec(p)
    values = {
        "budget_year": 50,
        "executed": 46.2,
        "actual_r1": 282,
        "actual_r2": "100%",
        "actual_r3": "97%",
        "actual_r4": 8,
        "tier_r5": "达成",
        "self_r5": 10,
        "actual_r6": "85%",
        "actual_r7": "96%",
    }
    result = Scorer(spec).score([UnitInputs("u", values)])[0]
    assert (result.total, result.complete) == (96.57, True)  # as the full spec of part 1
    assert spec.warnings == ()


def test_the_guide_shows_the_installed_command_only() -> None:
    text = (ROOT / "docs" / "authoring.md").read_text(encoding="utf-8")
    assert "python -m xlcalc" not in text and "python3 -m xlcalc" not in text
    assert "未被任何规则使用" not in text  # lint does not warn on self-scores and reasons


def test_equal_sign_reads_as_equality(tmp_path: Path) -> None:
    spec = _load(tmp_path, "  - [产出指标, 数量指标, 甲, ＝1次, 90]\n")
    assert list(spec.nodes())[-1].rule.direction == "equal"


def test_a_duplicated_row_left_at_its_points_is_found_and_the_total_explained(tmp_path: Path) -> None:
    from xlcalc import audit

    rows = (
        "  - [产出指标, 数量指标, 开展培训, ≥10次, 40]\n"
        "  - ['', '', 开展培训, ≥10次, 10]\n"
        "  - [效益指标, 社会效益指标, 知晓率, ≥80%, 30]\n"
        "  - [满意度指标, 服务对象满意度指标, 满意度, ≥90%, 10]\n"
    )
    spec = _load(tmp_path, rows)
    values = {"budget_year": 10, "executed": 10, "self_budget": 10, "self_total": 100}
    values |= {"actual_r1": 10, "self_r1": 40, "actual_r2": 10, "self_r2": 10}
    values |= {"actual_r3": "80%", "self_r3": 30, "actual_r4": "90%", "self_r4": 10}
    a = audit.audit(spec, [UnitInputs("u", values)])[0]
    assert a.verdict.startswith("公布总分100，与按本表计分方式")
    assert [r.findings for r in a.rows if r.id == "r2"] == [
        ["与“产出指标 › 数量指标 › 开展培训”名称和评分标准相同，疑为重复行"]
    ]
