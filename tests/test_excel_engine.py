"""Excel through xlwings: on Linux only the 'unavailable' path can run."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from test_engines_base import build_sample_workbook, check_sample_book

from xlcalc.engines import EngineUnavailable, ErrorValue, get_engine
from xlcalc.engines.excel import ExcelEngine, _from_excel

ON_EXCEL_PLATFORM = sys.platform in ("win32", "darwin")


@pytest.mark.skipif(ON_EXCEL_PLATFORM, reason="Excel may be available on Windows/macOS")
def test_unavailable_off_windows_and_macos(tmp_path: Path) -> None:
    engine = get_engine("excel")
    ok, why = engine.available()
    assert not ok
    assert "only supported on Windows and macOS" in why and "libreoffice" in why
    path = build_sample_workbook(tmp_path / "样本.xlsx")
    with pytest.raises(EngineUnavailable, match="Windows and macOS"):
        engine.open(path)
    engine.close()  # closing an engine that never started is fine


def test_xlwings_itself_refuses_on_linux() -> None:
    if ON_EXCEL_PLATFORM:
        pytest.skip("only meaningful off Windows/macOS")
    xw = pytest.importorskip("xlwings")
    with pytest.raises(Exception, match="only supported on Windows and macOS"):
        xw.Book()


def test_value_conversion() -> None:
    import datetime as dt

    assert _from_excel(None) is None
    assert _from_excel(True) is True
    assert _from_excel(3) == 3.0 and isinstance(_from_excel(3), float)
    assert _from_excel("#DIV/0!") == ErrorValue("#DIV/0!")
    assert _from_excel("是") == "是"
    assert _from_excel(dt.datetime(2024, 1, 1)) == 45292.0
    assert _from_excel(dt.date(2024, 1, 1)) == 45292.0


@pytest.mark.skipif(not ON_EXCEL_PLATFORM, reason="Excel runs only on Windows and macOS")
def test_sample_workbook_in_excel(tmp_path: Path) -> None:
    engine = ExcelEngine()
    ok, why = engine.available()
    if not ok:
        pytest.skip(why)
    path = build_sample_workbook(tmp_path / "样本.xlsx")
    try:
        book = engine.open(path)
    except EngineUnavailable as exc:
        pytest.skip(str(exc))
    with engine:
        check_sample_book(book, bool_as_float=False)
