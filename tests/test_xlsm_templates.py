"""Static checks of every shipped ``templates/*.xlsm`` (nothing here runs Excel or a macro).

For each macro-enabled template: the macro-enabled content type, every VBA module present and
readable back (by oletools, not by the library that wrote it) and equal to the current sources,
the two buttons on 填写说明 (row 3, kept empty for them) bound to existing macros, the same cells as its ``.xlsx`` twin, and the
formula index ``_公式`` honouring the block contract the 重新计算 macro relies on.
"""

from __future__ import annotations

import re
import warnings
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.formula.translate import Translator
from openpyxl.utils.cell import get_column_letter, range_boundaries

from xlcalc.xlsm import MACRO_ENABLED_MAIN, XLWINGS_VBA_VERSION, vba_modules
from xlcalc.xlsm_check import EXPECTED_MODULES, inspect_xlsm

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
XLSM = sorted(TEMPLATES.glob("*.xlsm"))


def _load(path: Path) -> openpyxl.Workbook:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return openpyxl.load_workbook(path)


def test_every_template_has_both_files() -> None:
    xlsx = sorted(TEMPLATES.glob("*.xlsx"))
    assert XLSM, "no .xlsm in templates/"
    assert [p.stem for p in XLSM] == [p.stem for p in xlsx]


@pytest.fixture(scope="module", params=XLSM, ids=[p.name for p in XLSM])
def template(request: pytest.FixtureRequest) -> Path:
    return request.param


def test_macro_enabled_package(template: Path) -> None:
    report = inspect_xlsm(template)
    assert report.ok, report.problems
    assert report.main_content_type == MACRO_ENABLED_MAIN
    assert report.vba_part_related
    assert report.vba_project_version == 0xFFFF  # no compiled cache: Office compiles from source


def test_modules_present_readable_and_current(template: Path) -> None:
    report = inspect_xlsm(template)
    assert set(EXPECTED_MODULES) <= set(report.modules)
    assert "XlcalcRecalculate" in report.macros["xlcalc_recalc"]
    assert "Public Function XlcalcIntegrityReport() As String" in report.modules["xlcalc_recalc"]
    assert "XlcalcVerify" in report.macros["xlcalc_verify"]
    assert "xlcalc.bridge.verify_caller()" in report.modules["xlcalc_verify"]
    # No xlwings VBA: it does not compile in LibreOffice, where it would stop every macro.
    assert "xlwings" not in report.modules and "Dictionary" not in report.modules
    assert f'XLCALC_XLWINGS_VERSION As String = "{XLWINGS_VBA_VERSION}"' in report.modules["xlcalc_verify"]
    for module in vba_modules():
        # Equal to what the .bas files give today: a stale template fails here (python build_workbooks.py).
        assert report.modules[module.name] == module.source, f"{template.name}: module {module.name} is stale"


def test_buttons_bound(template: Path) -> None:
    report = inspect_xlsm(template)
    assert [(b.sheet, b.caption, b.macro_name, b.bound) for b in report.buttons] == [
        ("填写说明", "重新计算", "XlcalcRecalculate", True),
        ("填写说明", "校验", "XlcalcVerify", True),
    ]


def test_buttons_cover_no_cell(template: Path) -> None:
    """Every cell under a button (its VML anchor: from column, dx, row, dy, to column, dx, row, dy;
    zero-based) is empty on every sheet holding buttons: a button hides no text."""
    with zipfile.ZipFile(template) as archive:
        vmls = {n: archive.read(n).decode("utf-8") for n in archive.namelist() if n.endswith(".vml")}
    anchors = [
        [int(v) for v in anchor.split(",")]
        for text in vmls.values()
        for anchor in re.findall(r"<x:Anchor>([^<]*)</x:Anchor>", text)
    ]
    assert len(anchors) == 2
    guide = _load(template)["填写说明"]  # the sheet holding both buttons (test_buttons_bound)
    for c1, _, r1, _, c2, dx2, r2, dy2 in anchors:
        last_col, last_row = c2 + (dx2 > 0), r2 + (dy2 > 0)  # 1-based: a zero offset reaches no cell
        under = [
            guide.cell(row=r, column=c).value
            for r in range(r1 + 1, last_row + 1)
            for c in range(c1 + 1, last_col + 1)
        ]
        assert under and all(v is None for v in under), (template.name, under)


def _cells(wb: openpyxl.Workbook) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for ws in wb.worksheets:
        out[ws.title] = {
            "state": ws.sheet_state,
            "protected": bool(ws.protection.sheet),
            "cells": {
                c.coordinate: (c.value, c.data_type, c.protection.locked)
                for row in ws.iter_rows()
                for c in row
                if c.value is not None or not c.protection.locked
            },
        }
    return out


def test_same_cells_as_xlsx(template: Path) -> None:
    xlsm, xlsx = _load(template), _load(template.with_suffix(".xlsx"))
    assert xlsm.sheetnames == xlsx.sheetnames
    assert _cells(xlsm) == _cells(xlsx)
    assert {n: d.attr_text for n, d in xlsm.defined_names.items()} == {
        n: d.attr_text for n, d in xlsx.defined_names.items()
    }


def _plain(formula: str) -> str:
    return re.sub(r"_xlfn\.", "", formula)


def test_formula_index_block_contract(template: Path) -> None:
    """_公式: A sheet, B block, C first-cell formula without "=" and _xlfn.; the block shares one R1C1 formula.

    This is what the 重新计算 macro checks in Excel; here it is checked on the file itself, and
    every formula cell of the workbook must belong to exactly one block.
    """
    wb = _load(template)
    index = wb["_公式"]
    assert index.sheet_state == "hidden"
    assert [c.value for c in index[1]] == ["工作表", "区域", "首格公式"]
    covered: set[tuple[str, str]] = set()
    blocks = 0
    for sheet, block, first in index.iter_rows(min_row=2, max_col=3, values_only=True):
        if sheet is None:
            continue
        blocks += 1
        assert isinstance(first, str) and not first.startswith("=") and "_xlfn." not in first
        ws = wb[sheet]
        c1, r1, c2, r2 = range_boundaries(block)
        origin = f"{get_column_letter(c1)}{r1}"
        assert _plain(ws[origin].value) == "=" + first, f"{sheet}!{origin}"
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                here = f"{get_column_letter(c)}{r}"
                expected = Translator("=" + first, origin=origin).translate_formula(here)
                assert _plain(ws[here].value) == expected, f"{sheet}!{here}"
                covered.add((sheet, here))
    assert blocks > 0
    formulas = {
        (ws.title, c.coordinate)
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for c in row
        if c.data_type == "f"
    }
    assert formulas == covered
