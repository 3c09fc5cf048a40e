"""Printing and what users see: every visible sheet prints on A4 at an effective font of at least
8 pt (scale × font size), with print area, repeated titles, header and footer; no internal text
(ids, rule-kind codes, paths, tool names) in any shown cell; rendered PDFs when LibreOffice is here."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import ROOT
from openpyxl.utils import get_column_letter

from xlcalc.spec.loader import load_spec
from xlcalc.workbook import fit, pdfcheck
from xlcalc.workbook.build import build_workbook, write_workbook

SPECS = sorted((ROOT / "rubric_specs").glob("*.yaml"))


@pytest.fixture(scope="module", params=SPECS, ids=lambda p: p.stem)
def compiled(request):
    return build_workbook(load_spec(request.param))


def test_every_visible_sheet_prints_readably_on_a4(compiled) -> None:
    for ws in compiled.workbook.worksheets:
        if ws.sheet_state != "visible":
            continue
        assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4), ws.title
        assert fit.effective_min_font(ws) >= fit.MIN_PRINT_PT, ws.title
        assert ws.print_area and ws.print_title_rows, ws.title
        assert "&P" in ws.oddFooter.center.text and "&N" in ws.oddFooter.center.text
        assert ws.oddHeader.left.text


def test_no_internal_text_in_shown_cells(compiled) -> None:
    for ws in compiled.workbook.worksheets:
        if ws.sheet_state != "visible":
            continue
        for row in ws.iter_rows():
            for c in row:
                dim = ws.column_dimensions.get(get_column_letter(c.column))
                if dim is not None and dim.hidden or not isinstance(c.value, str) or c.value.startswith("="):
                    continue
                assert not pdfcheck.INTERNAL.search(c.value), f"{ws.title}!{c.coordinate}: {c.value}"


def test_intermediate_sheet_hidden(compiled) -> None:
    if "中间计算" in compiled.workbook.sheetnames:
        assert compiled.workbook["中间计算"].sheet_state == "hidden"


@pytest.mark.skipif(
    not pdfcheck.tools_available() or os.environ.get("XLCALC_RENDER") != "1",
    reason="rendering needs soffice and poppler; set XLCALC_RENDER=1 (slow)",
)
def test_rendered_pdf_is_readable(compiled, tmp_path: Path) -> None:
    xlsx = write_workbook(compiled, tmp_path / "book.xlsx")
    report = pdfcheck.measure(pdfcheck.to_pdf(xlsx, tmp_path))
    assert report.min_font_pt >= fit.MIN_PRINT_PT - 0.2
    assert report.internal == []


def test_no_full_marks_of_zero(compiled) -> None:
    """A monitoring table (青云谱) scores nothing: no 满分0分 anywhere."""
    for ws in compiled.workbook.worksheets:
        for row in ws.iter_rows(values_only=True):
            assert not any(isinstance(v, str) and "满分0分" in v for v in row), ws.title
