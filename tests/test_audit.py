"""xlcalc audit: per-row flags, the self-assigned total both ways, structural findings, the command."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from xlcalc import audit, audit_command
from xlcalc.scorer import UnitInputs
from xlcalc.spec.loader import load_spec

SPEC = """
meta: {id: au, title: 审核测试表, total: 30}
inputs:
  - {id: budget_year, label: 全年预算数, unit: 万元, type: number, min: 0, max: 1000}
  - {id: executed, label: 全年执行数, unit: 万元, type: number, min: 0, max: 1000}
  - {id: self_budget, label: 预算执行率得分, unit: 分, type: number, min: 0, max: 100}
  - {id: actual_a, label: 培训次数, unit: 次, type: integer, min: 0, max: 100}
  - {id: self_a, label: 培训次数得分, unit: 分, type: number, min: 0, max: 100}
  - {id: why_a, label: 培训次数偏差原因, type: text}
  - {id: tier_q, label: 任务完成档次, type: text}
  - {id: self_q, label: 任务完成得分, unit: 分, type: number, min: 0, max: 100}
  - {id: why_q, label: 任务完成偏差原因, type: text}
  - {id: actual_c, label: 宣传场次完成率, type: percent, min: 0, max: 10}
  - {id: self_c, label: 宣传场次得分, unit: 分, type: number, min: 0, max: 100}
  - {id: self_total, label: 公布总分, unit: 分, type: number, min: 0, max: 1000}
tree:
  id: total
  label: 总分
  points: 30
  stated_points: 25
  aggregate: deductions
  self_score: self_total
  children:
    - id: budget
      label: 预算执行率
      points: 10
      self_score: self_budget
      rule: {kind: budget_execution, executed: executed, budget: budget_year}
    - id: a
      label: 培训次数
      points: 10
      target: ≥5次
      self_score: self_a
      reason: why_a
      rule: {kind: proportional, actual: actual_a, target: 5}
    - id: q
      label: 任务完成
      points: 5
      target: 全面完成
      self_score: self_q
      rule: {kind: discretionary, score: self_q, tier: tier_q, reason: why_q}
    - id: c
      label: 宣传场次
      points: 5
      target: ≥12场次
      self_score: self_c
      rule: {kind: proportional, actual: actual_c, completion: true}
"""

FULL = {
    "budget_year": 100,
    "executed": 100,
    "self_budget": 10,
    "actual_a": 5,
    "self_a": 10,
    "tier_q": "达成",
    "self_q": 5,
    "actual_c": 1,
    "self_c": 5,
    "self_total": 25,
}


@pytest.fixture(scope="module")
def spec():
    return load_spec("au.yaml", text=SPEC)


def run(spec, **over):
    return audit.audit(spec, [UnitInputs("u", {**FULL, **over})])[0]


def row(result, node_id):
    return next(r for r in result.rows if r.id == node_id)


ROWS = [
    # (inputs over FULL, node, rule score, self-score − rule score, flags)
    ({}, "a", 10, 0, []),
    ({"actual_a": 4}, "a", 8, 2, ["自评分高于规则得分2分"]),
    ({"self_a": 9}, "a", 10, -1, ["自评分低于规则得分1分", "低于满分未填偏差原因"]),
    ({"self_a": 9, "why_a": "培训推迟"}, "a", 10, -1, ["自评分低于规则得分1分"]),
    ({"self_a": 11}, "a", 10, 1, ["自评分超过分值10分", "自评分高于规则得分1分"]),
    ({"actual_a": None}, "a", None, None, ["规则得分待填，无法核对"]),
    ({"self_a": None}, "a", 10, None, ["未填自评分"]),
    # 7 of 5 is 140%: at or above 130% the target may have been set too low.
    ({"actual_a": 7}, "a", 10, 0, ["完成值为指标值的140%，指标值可能偏低"]),
    ({"actual_c": 1.5}, "c", 5, 0, ["完成值为指标值的150%，指标值可能偏低"]),
    ({"actual_c": 1.29}, "c", 5, 0, []),
    # National bands, 80% belonging to the upper band: 4 of 5 is 达成, not 部分达成 ([3, 4)); the
    # rule holds 部分达成 at most 3.99 (scores carry two decimals).
    (
        {"tier_q": "部分达成", "self_q": 4, "why_q": "部分完成"},
        "q",
        3.99,
        0.01,
        ["自评分高于规则得分0.01分", "自评分不在“部分达成”档的分值区间（不低于3分且低于4分）"],
    ),
    ({"tier_q": "部分达成", "self_q": 3.5, "why_q": "部分完成"}, "q", 3.5, 0, []),
    (
        {"tier_q": "达成", "self_q": 3.9, "why_q": "x"},
        "q",
        4,
        -0.1,
        ["自评分低于规则得分0.1分", "自评分不在“达成”档的分值区间（4至5分）"],
    ),
    (
        {"tier_q": "未达成", "self_q": 3, "why_q": "x"},
        "q",
        2.99,
        0.01,
        ["自评分高于规则得分0.01分", "自评分不在“未达成”档的分值区间（低于3分）"],
    ),
    ({"tier_q": "达成", "self_q": 4.5}, "q", 4.5, 0, ["低于满分未填偏差原因"]),
    ({"executed": 87.6, "self_budget": 8.8}, "budget", 8.8, 0, []),
]


@pytest.mark.parametrize(("over", "node", "score", "diff", "flags"), ROWS)
def test_row_flags(spec, over, node, score, diff, flags) -> None:
    r = row(run(spec, **over), node)
    assert r.score == score
    assert r.diff == (None if diff is None else pytest.approx(diff))
    assert r.flags == flags


def test_totals_both_ways_with_the_arithmetic(spec) -> None:
    a = run(spec, executed=87.6, self_budget=8.8, self_a=9, why_a="原因", self_total=22.8)
    # Weights sum to 30 but the table says 25: Σ self-scores and 25 − Σ deductions differ by 5.
    assert a.total_sum == pytest.approx(27.8)
    assert a.total_net == pytest.approx(22.8)
    assert a.arithmetic == "25 − (10−8.8) − (10−9) = 22.8"
    assert (
        a.verdict
        == "公布总分22.8，与按本表计分方式（满分减扣分）计算的自评分合计一致；按各项相加为27.8，两种算法不一致"
    )
    # The rule gives 培训次数 its full 10 (5 of 5 done): the self-assessment took one point more off.
    assert a.rule_total == pytest.approx(23.8)


def test_published_total_that_does_not_add_up(spec) -> None:
    a = run(spec, self_total=24)
    assert a.verdict.startswith("公布总分24，按本表计分方式（满分减扣分）计算的自评分合计为25，相差-1")


def test_blank_self_score_counts_as_a_full_deduction(spec) -> None:
    a = run(spec, self_c=None)
    assert a.arithmetic == "25 − (5−未填) = 20"
    assert a.total_net == 20


def test_audit_cells_are_compiled_cells(spec) -> None:
    from xlcalc.lowering import lower

    graph = lower(spec)
    for cid in ("a__selfdiff", "a__audit", audit.SUM, audit.NET, audit.ARITH, audit.VERDICT, audit.GAP):
        assert graph.by_id[cid].role.value == "explain"


def test_specs_without_self_scores_get_no_audit_cells() -> None:
    from xlcalc.lowering import lower

    text = "\n".join(line for line in SPEC.splitlines() if "self_score" not in line)
    graph = lower(load_spec("au.yaml", text=text))
    assert not [c for c in graph.cells if c.kind == "audit"]


# ---- structural findings ------------------------------------------------------------------
STRUCT = """
meta: {id: st, title: 结构测试, total: 20}
inputs:
  - {id: rate, label: 指派及时率, type: percent, min: 0, max: 1}
  - {id: n, label: 办案数, unit: 件, type: integer, min: 0, max: 100000}
  - {id: complaints, label: 有效投诉, unit: 起, type: integer, min: 0, max: 100}
tree:
  id: total
  label: 合计
  points: 20
  stated_points: 20
  children:
    - id: g1
      label: 效率性
      points: 10
      stated_points: 50
      children:
        - id: timely
          label: 指派及时率(%)
          points: 5
          target: 100%
          text: 达到100%的, 得10分; 每少1个百分点扣1分。
          rule: {kind: step_deduction, value: rate, threshold: 100%, step: 1%, per_step: 1, full_marks: 10}
        - id: cases
          label: 办案数量
          points: 5
          target: ≥60000
          text: 年办案量达到4000件以上的, 得5分。
          rule: {kind: threshold, when: [{value: n, op: ">=", than: 4000}]}
    - id: g2
      label: 效果性
      points: 10
      children:
        - id: c1
          label: 有效投诉率(‰)
          points: 5
          target: ≤0.5%
          text: 每出现一起有效投诉扣1分。
          rule: {kind: deduction, count: complaints, per: 1}
        - id: c2
          label: 有效投诉率（‰）
          points: 5
          target: ≤0.5‰
          text: 每出现一起有效投诉扣1分。
          rule: {kind: deduction, count: complaints, per: 1}
"""


def test_structural_findings() -> None:
    found = [
        (f.node, f.kind, f.message) for f in audit.structural_findings(load_spec("st.yaml", text=STRUCT))
    ]
    assert found == [
        ("timely", "full_marks", "评分标准写明满分10分，超过指标分值5分（得分以指标分值为限）"),
        ("c2", "duplicate", "与“效果性 › 有效投诉率(‰)”名称和评分标准相同，疑为重复行"),
        ("total", "weights", "表列总分20，下级权重之和 50+10 = 60"),
        ("g1", "weights", "表列权重50，下级权重之和 5+5 = 10（本规格按下级计10分；下级得分相加）"),
        ("cases", "target", "表列指标值“≥60000”与评分标准的阈值≥4000不一致"),
        ("c1", "unit", "指标名称的单位为‰，表列指标值“≤0.5%”的单位为%"),
        ("c1", "target", "表列指标值“≤0.5%”是比率，评分标准按件数扣分，未使用该指标值"),
        ("c2", "target", "表列指标值“≤0.5‰”是比率，评分标准按件数扣分，未使用该指标值"),
    ]


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("≥60%", (">=", 0.6, "%")),
        (">=70 件", (">=", 70.0, "")),
        ("≤0.5‰", ("<=", 0.0005, "‰")),
        ("100%", (None, 1.0, "%")),
        ("1次", (None, 1.0, "")),
        ("＜80%", ("<", 0.8, "%")),
        ("前三", None),
        ("全面完成市法治建设绩效考核目标任务", None),
        ("≤第12名", None),
    ],
)
def test_parse_target(text: str, parsed) -> None:
    got = audit.parse_target(text)
    if parsed is None:
        assert got is None
    else:
        assert got[0] == parsed[0] and got[1] == pytest.approx(parsed[1]) and got[2] == parsed[2]


# ---- the command --------------------------------------------------------------------------
def _cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="xlcalc")
    audit_command.add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["audit", *argv])
    return args.func(args)


def _files(tmp_path: Path, **over) -> tuple[str, str]:
    spec = tmp_path / "au.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    inputs = tmp_path / "in.json"
    inputs.write_text(
        json.dumps({"unit": "项目甲", "inputs": {**FULL, **over}}, ensure_ascii=False), encoding="utf-8"
    )
    return str(spec), str(inputs)


def test_command_text_and_exit_status(tmp_path: Path, capsys) -> None:
    spec, inputs = _files(tmp_path, actual_a=4)
    assert _cli([spec, "--inputs", inputs]) == 1
    out = capsys.readouterr().out
    assert "== 审核测试表（项目甲）：自评审核" in out
    assert "自评分高于规则得分2分" in out
    assert "满分减扣分：25 = 25" in out
    assert "总分：表列总分25，下级权重之和 10+10+5+5 = 30" in out


def test_command_json(tmp_path: Path, capsys) -> None:
    spec, inputs = _files(tmp_path)
    _cli([spec, "--inputs", inputs, "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert (doc["format"], doc["version"], doc["spec"]) == ("xlcalc.audit", 1, "au")
    unit = doc["units"][0]
    assert unit["published_total"] == 25 and unit["self_total_net"] == 25 and unit["self_total_sum"] == 30
    assert {r["id"]: r["difference"] for r in unit["rows"]} == {"budget": 0, "a": 0, "q": 0, "c": 0}
    assert doc["structure"] == [
        {
            "node": "total",
            "kind": "weights",
            "message": "表列总分25，下级权重之和 10+10+5+5 = 30（本规格按下级计30分；满分减扣分）",
        }
    ]


def test_command_reports_bad_inputs_without_traceback(tmp_path: Path) -> None:
    from xlcalc.errors import XlcalcError

    spec, inputs = _files(tmp_path, self_a="十")
    with pytest.raises(XlcalcError, match="培训次数得分.*应为数字"):
        _cli([spec, "--inputs", inputs])


def test_misspelt_tier_is_a_located_input_error() -> None:
    from xlcalc.errors import InputError

    spec = load_spec(Path(__file__).resolve().parent.parent / "rubric_specs" / "ezhou_2021_rule_of_law.yaml")
    audit.check_tiers(spec, [UnitInputs("甲", {"tier_city_tasks": "达成"})], "in.yaml")
    with pytest.raises(InputError) as exc:
        audit.check_tiers(spec, [UnitInputs("甲", {"tier_city_tasks": "部份达成"})], "in.yaml")
    assert str(exc.value) == (
        "in.yaml：单位“甲”的 tier_city_tasks（鄂州市法治建设绩效考核任务完成率的完成档次）为“部份达成”，"
        "应为达成、部分达成或未达成"
    )
