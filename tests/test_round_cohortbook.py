"""The cohort workbook: collected values typed in (problem values blank), the evaluator's
parameters, 汇总 reading the 排名 sort, 问题清单 as text."""

from __future__ import annotations

import openpyxl
import pytest
from round_files import example_values, spec

from xlcalc.round.cohortbook import PROBLEM_SHEET, SUMMARY_SHEET, build_cohort
from xlcalc.round.returned import Problem
from xlcalc.scorer import resolve_params


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    params = resolve_params(spec(), {"partial_step": "ceil"})
    package = build_cohort(spec(), params)
    values = dict(example_values())
    values["大观区"] = {**values["大观区"], "cases": None}  # a value with a problem: blank
    del values["宜秀区"]  # a unit with no file
    problems = [
        Problem("大观区.xlsx", "填报", "C4", "“年度法律援助办案数量”应为数字；该项留空（待填）", "大观区"),
        Problem("=1+1.xlsx", "评分", "B4", "公式被修改为 =1+1（应为 =A1）", "迎江区"),
    ]
    path = package.write(values, problems, tmp_path_factory.mktemp("cohort") / "汇总.xlsx")
    return openpyxl.load_workbook(path), package.compiled, params


def test_sheets_and_order(saved):
    wb, _, _ = saved
    assert wb.sheetnames[:3] == ["填写说明", SUMMARY_SHEET, PROBLEM_SHEET]
    assert "排名" in wb.sheetnames and wb.active.title == SUMMARY_SHEET


def test_inputs_typed_in_and_problem_values_blank(saved):
    wb, compiled, _ = saved
    lay = compiled.layout
    u = {unit: k for k, unit in enumerate(compiled.units)}
    ws = wb["填报"]
    assert ws.cell(*lay.row_col("cases", u["迎江区"])).value == 448
    assert ws.cell(*lay.row_col("population", u["大观区"])).value is not None
    assert ws.cell(*lay.row_col("cases", u["大观区"])).value is None
    assert ws.cell(*lay.row_col("cases", u["宜秀区"])).value is None
    sheet, _ = lay.list_range("caseloads", 0)
    assert (
        wb[sheet].cell(row=lay.unit_row(u["迎江区"]), column=2).value
        == example_values()["迎江区"]["caseloads"][0]
    )


def test_parameters(saved):
    wb, _, params = saved
    assert wb["参数"]["B4"].value == params["partial_step"]


def test_summary_reads_the_sorted_ranking_with_portable_functions(saved):
    wb, compiled, _ = saved
    ws = wb[SUMMARY_SHEET]
    heads = [c.value for c in ws[3]]
    assert heads[:6] == ["名次", "县（市、区）", "总分", "等级", "填报状态", "问题数"]
    assert any(h and h.startswith("上半年优秀案卷比率排名") for h in heads)
    row4 = [c.value for c in ws[4]]
    assert row4[:3] == ["='排名'!F4", "='排名'!G4", "='排名'!H4"]
    formulas = " ".join(str(v) for r in ws.iter_rows(min_row=4) for v in (c.value for c in r) if v)
    for banned in ("XLOOKUP", "LET(", "IFS(", "TEXTJOIN", "MAXIFS", "FILTER(", "SORT("):
        assert banned not in formulas
    assert ws.max_row == 3 + len(compiled.units)


def test_problem_list_is_text(saved):
    wb, _, _ = saved
    ws = wb[PROBLEM_SHEET]
    assert [c.value for c in ws[3]] == ["文件", "工作表", "单元格", "问题", "单位"]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=4)]
    # a file name from outside that looks like a formula stays text
    assert rows[1][:3] == ["=1+1.xlsx", "评分", "B4"] and rows[1][3].startswith("公式被修改为")
    assert ws.cell(row=5, column=1).data_type == "s"
    assert ws.max_row == 5 and ws.cell(row=5, column=4).alignment.wrap_text


def test_no_problems_leaves_the_placeholder(tmp_path):
    package = build_cohort(spec(), resolve_params(spec()))
    wb = openpyxl.load_workbook(package.write({}, [], tmp_path / "c.xlsx"))
    assert [c.value for c in wb[PROBLEM_SHEET][4]][:2] == ["无", None]
