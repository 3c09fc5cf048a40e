"""The per-unit workbook: the unit's own row, the evaluator's parameters, ranking items 待汇总,
no ranking view, the round's identity; copies differ only in the unit's name."""

from __future__ import annotations

import io

import openpyxl
import pytest
from round_files import spec, template

from xlcalc.check import CheckReport, Returned, check_structure
from xlcalc.lowering import lower
from xlcalc.round.unitbook import PENDING, UNIT_TOKEN, pending_cells, unit_template
from xlcalc.scorer import resolve_params
from xlcalc.workbook.untrusted import UntrustedBook


@pytest.mark.parametrize(
    ("cell", "pending"),
    [
        ("quality_h1_c", True),  # a ranking item
        ("quality_h1_c__rank", True),  # its helper
        ("quality_h1_c__why", True),  # its explanation
        ("quality_h1", True),  # the indicator above it
        ("total", True),
        ("grade", True),
        ("status", False),  # counts 待填 only: still useful to the unit
        ("pending_count", False),
        ("quality_h1_a", False),  # another rule of the same indicator
        ("l1_input", False),
    ],
)
def test_pending_cells(cell, pending):
    assert (cell in pending_cells(lower(spec()))) is pending


def _book(unit: str = "迎江区", params=None):
    t = template() if params is None else unit_template(spec(), resolve_params(spec(), params))
    return openpyxl.load_workbook(io.BytesIO(t.package(unit))), t


def test_one_unit_row_name_everywhere_and_no_ranking_view():
    wb, t = _book("迎江区")
    assert wb["填报"]["A4"].value == "迎江区" and wb["填报"]["A5"].value is None
    assert wb["单位评分表"]["B2"].value == "迎江区"
    assert wb["_轮次"]["B6"].value == "迎江区"
    assert "排名" not in wb.sheetnames
    assert wb.sheetnames[1] == "_轮次" and wb["_轮次"].sheet_state == "hidden"
    assert wb.active.title == "填报"
    guide = {r[0]: r[1] for r in wb["填写说明"].iter_rows(values_only=True) if r[0]}
    assert "、排名、" not in guide["打印"] and "单位评分表" in guide["打印"]
    assert "待汇总" in guide["本单位填报文件"]


def test_ranking_items_read_pending_with_a_note():
    wb, t = _book()
    lay = t.compiled.layout
    for cid in ("quality_h1_c", "total", "grade"):
        c = wb[lay.sheet_of(cid)].cell(*lay.row_col(cid, 0))
        assert c.value == f'="{PENDING}"', cid
    note = wb["评分"].cell(*lay.row_col("quality_h1_c", 0)).comment
    assert note is not None and "排名" in note.text


def test_no_provisional_mark_in_a_unit_file():
    """The cohort workbook marks ranking items provisional while units are missing; a unit's own file
    shows them 待汇总 instead, so its 评分 title is plain text and 单位评分表 ends at the total."""
    wb, _ = _book()
    assert wb["评分"]["A1"].value == "评分：各细则、指标、小计与总分（公式自动计算）"
    marks = [c.coordinate for ws in wb for row in ws.iter_rows() for c in row if "排名项暂按" in str(c.value)]
    assert marks == []
    index = [r[2].value for r in wb["_公式"].iter_rows(min_row=2)]
    assert not any("排名项暂按" in str(f) for f in index)


def test_parameters_are_the_evaluators():
    wb, t = _book(params={"partial_step": "ceil"})
    assert wb["参数"]["B4"].value == resolve_params(spec(), {"partial_step": "ceil"})["partial_step"]
    assert wb["参数"]["B4"].value != resolve_params(spec())["partial_step"]


def test_formula_index_lists_the_pending_formulas_not_the_old_ones():
    wb, t = _book()
    index = {(r[0].value, r[1].value): r[2].value for r in wb["_公式"].iter_rows(min_row=2)}
    lay = t.compiled.layout
    row, col = lay.row_col("total", 0)
    addr = f"{openpyxl.utils.get_column_letter(col)}{row}"
    assert index[("评分", addr)] == f'"{PENDING}"'
    assert not any(sheet == "排名" for sheet, _ in index)


@pytest.mark.parametrize("unit", ["迎江区", "A&B<县>", 'O\'Neil "县"'])
def test_copies_differ_only_in_the_name_and_pass_the_structure_check(tmp_path, unit):
    path = tmp_path / "u.xlsx"
    path.write_bytes(template().package(unit))
    wb = openpyxl.load_workbook(path)
    assert wb["填报"]["A4"].value == unit
    book = UntrustedBook(path)
    r = Returned(book, spec(), template().compiled, CheckReport(str(path)))
    check_structure(r)
    assert r.report.ok, r.report.render()
    assert UNIT_TOKEN.encode() not in path.read_bytes()


def test_a_rubric_without_units_cannot_be_distributed():
    from conftest import ROOT

    from xlcalc.errors import XlcalcError
    from xlcalc.spec.loader import load_spec

    form = load_spec(ROOT / "rubric_specs" / "huidong_2020_2022.yaml")
    with pytest.raises(XlcalcError, match="无需分发与汇总"):
        unit_template(form, resolve_params(form))
