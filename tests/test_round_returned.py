"""Each kind of returned file read and checked: every problem located (file, sheet, cell), a bad
value left blank, a hostile or broken file one problem and never an exception."""

from __future__ import annotations

import hostile
import openpyxl
import pytest
from lang_specs import COUNTY_MIX, load_text
from round_files import example_values, fill, spec, template, unit_file

from xlcalc.round.returned import read_returned, split_location
from xlcalc.round.unitbook import unit_template
from xlcalc.scorer import resolve_params

UNIT = "迎江区"


def _cell(cid: str) -> tuple[str, str]:
    lay = template().compiled.layout
    return lay.sheet_of(cid), lay.address(cid, 0)


def _other_choice() -> str:
    p = spec().param("partial_step")
    return next(label for _, label in p.choices if label != p.label_of(str(p.default)))


def _set(sheet: str, addr: str, value):
    def edit(wb):
        wb[sheet][addr] = value

    return edit


def _delete(sheet: str):
    def edit(wb):
        del wb[sheet]

    return edit


def _rename(sheet: str, new: str):
    def edit(wb):
        wb[sheet].title = new

    return edit


TOTAL = _cell("total")
# (tampering, expected (sheet, cell, words in the message), input id left blank)
CASES = {
    "clean": (None, None, None),
    "formula overwritten": (_set("评分", "B4", 4), ("评分", "B4", "覆盖"), None),
    "formula edited": (_set("评分", "C4", "=5"), ("评分", "C4", "修改"), None),
    "待汇总 overwritten": (_set(*TOTAL, 95), (*TOTAL, "覆盖"), None),
    "parameter changed": (_set("参数", "B4", _other_choice()), ("参数", "B4", _other_choice()), None),
    "text in a number cell": (_set("填报", "B4", "三十八万"), ("填报", "B4", "留空"), "population"),
    "out of range": (_set("填报", "C4", -4), ("填报", "C4", "超出允许范围"), "cases"),
    "formula in an input cell": (_set("填报", "B4", "=1+1"), ("填报", "B4", "公式"), None),
    "unit name changed": (_set("填报", "A4", "大观区"), ("填报", "A4", "单位名称被改为“大观区”"), None),
    "sheet deleted": (_delete("扣分说明"), ("扣分说明", "", "删除"), None),
    "sheet renamed": (_rename("评分", "评分2"), ("评分", "", "改名"), None),
    "another spec": (_set("_轮次", "B2", "huidong_2020_2022"), ("_轮次", "B2", "另一评分标准"), None),
    "another round": (_set("_轮次", "B5", "0000"), ("_轮次", "B2", "另一轮"), None),
}


@pytest.mark.parametrize("case", list(CASES))
def test_unit_workbook(tmp_path, case):
    edit, expected, blank = CASES[case]
    path = unit_file(tmp_path, UNIT, edit=edit)
    result = read_returned(path, template())
    found = [(p.sheet, p.cell, p.message) for p in result.problems]
    if expected is None:
        assert found == [] and result.kind == "unit"
        assert result.units == [(UNIT, example_values()[UNIT])]
        return
    sheet, cell, words = expected
    assert any(s == sheet and c == cell and words in m for s, c, m in found), found
    assert all(p.file == str(path) for p in result.problems)
    if "_轮次" in sheet:
        assert result.kind == "foreign" and result.units == [] and len(found) == 1
        return
    assert result.units[0][0] == UNIT  # the unit the file was made for
    values = result.units[0][1]
    if blank:
        assert values.get(blank) is None  # never corrected, never guessed
        others = {k: v for k, v in example_values()[UNIT].items() if k != blank}
        assert {k: values[k] for k in others} == others


def test_parameter_compared_with_the_value_distributed(tmp_path):
    """A round distributed with a parameter the evaluator changed: a file whose 参数 was put back to
    the spec's default is located and named against the distributed value."""
    other = _other_choice()
    round_template = unit_template(spec(), resolve_params(spec(), {"partial_step": other}))
    p = spec().param("partial_step")
    path = tmp_path / f"{UNIT}.xlsx"
    path.write_bytes(round_template.package(UNIT))
    fill(path, example_values()[UNIT], _set("参数", "B4", p.label_of(str(p.default))))
    found = [(x.sheet, x.cell, x.message) for x in read_returned(path, round_template).problems]
    assert [(s, c) for s, c, _ in found] == [("参数", "B4")], found
    assert f"评价机关下发的值为 '{other}'" in found[0][2]
    untouched = tmp_path / "untouched.xlsx"
    untouched.write_bytes(round_template.package(UNIT))
    fill(untouched, example_values()[UNIT])
    assert read_returned(untouched, round_template).problems == []  # the distributed value is no problem


HOSTILE = {
    "not a zip": (hostile.not_a_zip, "不是 .xlsx"),
    ".xls": (hostile.old_xls, ".xls"),
    "encrypted": (hostile.encrypted, "加密"),
    "empty": (hostile.empty, "为空"),
    "damaged zip": (hostile.damaged_zip, "损坏"),
    "truncated": (lambda data: data[: len(data) // 2], "损坏"),
    "entity bomb in workbook.xml": (hostile.billion_laughs, "DTD"),
    "entities in a sheet": (hostile.sheet_entities, "DTD"),
    "zip bomb in shared strings": (hostile.sst_bomb, "压缩炸弹"),
    ".xlsb": (hostile.xlsb, ".xlsb"),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_or_broken_file_is_one_problem(tmp_path, case):
    build, words = HOSTILE[case]
    good = unit_file(tmp_path, UNIT).read_bytes()
    path = tmp_path / "returned.xlsx"
    path.write_bytes(build(good))
    result = read_returned(path, template())
    assert result.kind == "unreadable" and result.units == []
    assert len(result.problems) == 1, result.problems
    p = result.problems[0]
    assert p.file == str(path) and words in p.message and str(path) not in p.message, p


def test_cohort_workbook_is_checked_as_xlcalc_check_does(tmp_path):
    from conftest import ROOT

    from xlcalc.workbook.build import build_workbook, write_workbook

    compiled = build_workbook(spec())
    path = write_workbook(compiled, tmp_path / "cohort.xlsx")
    wb = openpyxl.load_workbook(path)
    lay = compiled.layout
    for u, unit in enumerate(["迎江区", "大观区"]):
        for cid, value in example_values()[unit].items():
            if not isinstance(value, list):
                wb["填报"].cell(*lay.row_col(cid, u)).value = value
    wb["填报"]["C5"] = "很多"  # 大观区's cases: text
    wb["评分"]["B6"] = 3  # a formula overwritten in a row nobody filled
    wb.save(path)
    result = read_returned(path, template())
    assert result.kind == "cohort"
    assert [u for u, _ in result.units] == ["迎江区", "大观区"]  # empty rows are not returns
    assert result.units[1][1].get("cases") is None
    found = {(p.sheet, p.cell) for p in result.problems}
    assert {("填报", "C5"), ("评分", "B6")} <= found, result.problems
    assert (ROOT / "templates" / "anqing_2023.xlsx").exists()


@pytest.mark.parametrize(
    ("suffix", "text", "problem", "blank"),
    [
        (".csv", "unit,population,cases\n迎江区,380000,448\n", None, None),
        (".csv", "unit,population,cases\n迎江区,三十八万,448\n", "常住人口", "population"),
        (".csv", "unit,population,colour\n迎江区,380000,red\n", "未知的输入项“colour”", None),
        (".yaml", "unit: 迎江区\ninputs: {population: -5, cases: 448}\n", "常住人口", "population"),
        (".json", '{"units": [{"unit": "迎江区", "inputs": {"cases": "x"}}]}', "办案数量", "cases"),
    ],
)
def test_inputs_files(tmp_path, suffix, text, problem, blank):
    path = tmp_path / f"data{suffix}"
    path.write_text(text, encoding="utf-8")
    result = read_returned(path, template())
    assert result.kind == "inputs" and result.units[0][0] == "迎江区"
    values = result.units[0][1]
    if problem is None:
        assert result.problems == [] and values == {"population": 380000.0, "cases": 448.0}
        return
    assert len(result.problems) == 1 and problem in result.problems[0].message, result.problems
    assert result.problems[0].cell and result.problems[0].unit == "迎江区"
    if blank:
        assert values.get(blank) is None


def test_an_inputs_file_that_cannot_be_read(tmp_path):
    path = tmp_path / "data.yaml"
    path.write_text("units: [a: &x [*x]]\n", encoding="utf-8")
    result = read_returned(path, template())
    assert result.kind == "unreadable" and len(result.problems) == 1


@pytest.mark.parametrize(
    ("message", "where"),
    [
        ("评分!W4：公式被覆盖", ("评分", "W4", "公式被覆盖")),
        ("/x/a.xlsx（xl/workbook.xml）：XML 无效", ("xl/workbook.xml", "", "XML 无效")),
        ("扣分说明：工作表被删除", ("扣分说明", "", "工作表被删除")),
        ("没有位置的消息", ("", "", "没有位置的消息")),
    ],
)
def test_split_location(message, where):
    assert split_location(message, "/x/a.xlsx") == where


@pytest.mark.parametrize(("written", "problems"), [("区级", 0), (None, 0), ("县级", 1)])
def test_a_unit_cannot_move_itself_to_other_items(tmp_path, written, problems):
    """单位层级 comes from meta.units: a per-unit file or an inputs file saying otherwise is a located
    problem and the listed value is used (applies_when reads it)."""
    mix = load_text(COUNTY_MIX, tmp_path)
    tpl = unit_template(mix, resolve_params(mix))
    path = tmp_path / "甲区.xlsx"
    path.write_bytes(tpl.package("甲区"))
    lay = tpl.compiled.layout
    wb = openpyxl.load_workbook(path)
    cell = wb[lay.sheet_of("level")].cell(*lay.row_col("level", 0))
    assert cell.value == "区级"  # stamped into the unit's own file
    cell.value = written
    wb.save(path)
    csv = tmp_path / "data.csv"
    csv.write_text(f"unit,level,cases\n甲区,{written or ''},5\n", encoding="utf-8")
    for result in (read_returned(path, tpl), read_returned(csv, tpl)):
        assert result.units[0][1]["level"] == "区级"
        assert len(result.problems) == problems, result.problems
        if problems:
            message = result.problems[0].message
            assert message == "“单位层级”被改为“县级”，评分标准中该单位为“区级”；按“区级”汇总"
            assert result.problems[0].cell.endswith(("B4", "level"))
