"""Tests of the engine-neutral layer, plus the sample workbook shared by the engine tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.workbook.defined_name import DefinedName

from xlcalc.engines import ENGINE_NAMES, Book, Engine, ErrorValue, available_engines, get_engine
from xlcalc.engines.base import (
    CellRange,
    cell_name,
    col_index,
    col_letter,
    normalize_rows,
    parse_cell,
    parse_range,
)

# ----------------------------------------------------------------------------- sample workbook

#: Inputs written into 填报!B2:C5 by the engine tests.
INPUTS: list[list[Any]] = [[3, "是"], [1.005, "否"], [3, "是"], [2, None]]

#: 评分!A2:F5 after writing INPUTS (RANK ties: both 3s rank 1).
EXPECTED_SCORES: list[list[Any]] = [
    [8.0, 1.0, "3.00", "符合", "3", 6.0],
    [3.0, 4.0, "1.01", "不符合", "1.005", 2.01],
    [8.0, 1.0, "3.00", "符合", "3", 6.0],
    [5.0, 3.0, "2.00", "不符合", "2", 4.0],
]

#: 评分!H1:H10 after writing INPUTS (H8 is FALSE: False in formulas, 0.0 in LibreOffice).
EXPECTED_EXTRAS: list[Any] = [
    2.0,
    ErrorValue("#DIV/0!"),
    ErrorValue("#NAME?"),
    9.005,
    "err",
    3.0,
    "单位1-是",
    False,
    3.0,
    2.0,
]

EXPECTED_ERRORS = [("评分", "H2", "#DIV/0!"), ("评分", "H3", "#NAME?")]


def build_sample_workbook(path: Path) -> Path:
    """Write a small rubric-like workbook (Chinese sheet names, a defined name, live formulas)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "填报"
    ws.append(["单位", "得分率", "是否"])
    for i in range(1, 5):
        ws.append([f"单位{i}"])
    par = wb.create_sheet("参数")
    par["A1"], par["B1"] = "系数", 2.5
    wb.defined_names["系数"] = DefinedName("系数", attr_text="参数!$B$1")
    sc = wb.create_sheet("评分")
    sc.append(["得分", "排名", "文本", "判断", "拼接", "空串"])
    for r in range(2, 6):
        sc[f"A{r}"] = f'=IF(ISNUMBER(填报!B{r}),ROUND(填报!B{r}*系数,0),"待填")'
        sc[f"B{r}"] = f"=_xlfn.RANK.EQ(填报!B{r},填报!$B$2:$B$5,0)"
        sc[f"C{r}"] = f'=TEXT(填报!B{r},"0.00")'
        sc[f"D{r}"] = f'=IF(填报!C{r}="是","符合","不符合")'
        sc[f"E{r}"] = f'=填报!B{r}&""'
        sc[f"F{r}"] = f'=IF(填报!B{r}="","",填报!B{r}*2)'
    extras = [
        '=COUNTIF(填报!B2:B5,">"&参数!B1)',
        "=1/0",
        "=XLOOKUP(1,填报!B2:B5,填报!A2:A5)",  # no _xlfn. prefix: #NAME? in Excel and LibreOffice
        "=SUM(填报!B2:B50)",
        '=IFERROR(1/0,"err")',
        "=LEN(填报!A2)",
        '=CONCATENATE(填报!A2,"-",填报!C2)',
        "=ISBLANK(填报!B2)",
        "=MAX(填报!B2:B5)",
        "=SUMPRODUCT(--(填报!B2:B5>2))",
    ]
    for i, f in enumerate(extras, start=1):
        sc[f"H{i}"] = f
    wb.save(path)
    return path


def check_sample_book(book: Book, bool_as_float: bool = False) -> None:
    """Drive a book over the sample workbook and assert the expected values (shared by engine tests)."""
    assert book.read("评分", "A2:A3") == [["待填"], ["待填"]]
    book.write("填报", "B2", INPUTS)
    book.recalc()
    assert book.read("评分", "A2:F5") == EXPECTED_SCORES
    extras = [row[0] for row in book.read("评分", "H1:H10")]
    assert extras[:3] + extras[4:7] == EXPECTED_EXTRAS[:3] + EXPECTED_EXTRAS[4:7]
    # SUM(填报!B2:B50): formulas gives 9.004999999999999 (exact sum of the binary values), LibreOffice 9.005
    assert extras[3] == pytest.approx(EXPECTED_EXTRAS[3], rel=1e-14)
    assert extras[7] == EXPECTED_EXTRAS[7] and (isinstance(extras[7], float) == bool_as_float)
    assert extras[8:] == EXPECTED_EXTRAS[8:]
    assert book.errors() == EXPECTED_ERRORS
    # inputs read back; whole-column read is trimmed to the used area
    assert book.read("填报", "B:B") == [["得分率"], [3.0], [1.005], [3.0], [2.0]]
    assert book.read("填报", "1:1") == [["单位", "得分率", "是否"]]
    # empty cell -> None, formula result "" -> ""
    book.write("填报", "B5", [[None]])
    assert book.read("填报", "B5:C5") == [[None, None]]
    assert book.read("评分", "F5") == [[""]]
    # text that looks like a number stays text
    book.write("填报", "B2", [["5"]])
    assert book.read("填报", "B2") == [["5"]]
    assert book.read("评分", "A2") == [["待填"]]
    assert book.formula("评分", "B2") == "=_xlfn.RANK.EQ(填报!B2,填报!$B$2:$B$5,0)"
    assert book.formula("评分", "A2") == '=IF(ISNUMBER(填报!B2),ROUND(填报!B2*系数,0),"待填")'
    assert book.formula("填报", "A2") == ""


# ----------------------------------------------------------------------------- base helpers


def test_error_value_is_hashable_and_prints_its_code() -> None:
    e = ErrorValue("#DIV/0!")
    assert str(e) == "#DIV/0!"
    assert e == ErrorValue("#DIV/0!") and e != ErrorValue("#N/A")
    assert len({e, ErrorValue("#DIV/0!")}) == 1


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("B2", CellRange(2, 2, 2, 2)),
        ("$B$2", CellRange(2, 2, 2, 2)),
        ("B2:D5", CellRange(2, 2, 5, 4)),
        ("D5:B2", CellRange(2, 2, 5, 4)),
        ("B:B", CellRange(1, 2, None, 2)),
        ("B:D", CellRange(1, 2, None, 4)),
        ("2:3", CellRange(2, 1, 3, None)),
        ("AA10", CellRange(10, 27, 10, 27)),
    ],
)
def test_parse_range(ref: str, expected: CellRange) -> None:
    assert parse_range(ref) == expected


@pytest.mark.parametrize("bad", ["", "B", "2", "B2:C", "Sheet!B2", "A0", "XFE1", "B2:C3:D4"])
def test_parse_range_rejects(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_range(bad)


def test_column_letters_round_trip() -> None:
    for n in (1, 26, 27, 52, 702, 703, 16384):
        assert col_index(col_letter(n)) == n
    assert col_letter(28) == "AB" and cell_name(5, 3) == "C5" and parse_cell("c5") == (5, 3)


def test_trimmed_whole_ranges() -> None:
    assert parse_range("B:C").trimmed(7, 9) == CellRange(1, 2, 7, 3)
    assert parse_range("3:3").trimmed(7, 9).a1() == "A3:I3"
    assert parse_range("B:B").trimmed(0, 0).a1() == "B1"


def test_normalize_rows() -> None:
    assert normalize_rows([[1, "", None, True, "x", 2.5]]) == [[1.0, None, None, True, "x", 2.5]]
    with pytest.raises(ValueError):
        normalize_rows([[1], [1, 2]])
    with pytest.raises(ValueError):
        normalize_rows([[float("nan")]])
    with pytest.raises(TypeError):
        normalize_rows([[object()]])
    with pytest.raises(ValueError):
        normalize_rows([])


def test_get_engine_names() -> None:
    for name in ENGINE_NAMES:
        engine = get_engine(name)
        assert isinstance(engine, Engine)
        assert engine.name == name
    assert get_engine("LibreOffice").name == "libreoffice"
    assert get_engine("Gnumeric").name == "gnumeric"
    with pytest.raises(ValueError, match="unknown engine"):
        get_engine("wps")


def test_available_engines_reports_reasons() -> None:
    report = available_engines()
    assert set(report) == set(ENGINE_NAMES)
    assert report["formulas"] == (True, "")
    for ok, why in report.values():
        assert ok or why


def test_sample_workbook_builds(tmp_path: Path) -> None:
    path = build_sample_workbook(tmp_path / "样本.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["填报", "参数", "评分"]
    assert "系数" in wb.defined_names
