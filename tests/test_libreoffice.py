"""LibreOffice headless over UNO: runs for real wherever soffice.bin is installed."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from test_engines_base import build_sample_workbook, check_sample_book
from test_formulas_engine import CORRECTIONS, LO_DIFFERS, build_corrections_workbook

from xlcalc.engines import EngineError, ErrorValue, get_engine
from xlcalc.engines.libreoffice import (
    LibreOfficeEngine,
    error_text,
    find_soffice,
    import_uno,
    shared_engine,
)

pytestmark = pytest.mark.engine  # every test here starts or talks to LibreOffice

if find_soffice() is None:
    pytest.skip(
        "LibreOffice soffice.bin is not installed (apt-get install libreoffice-calc-nogui python3-uno)",
        allow_module_level=True,
    )


@pytest.fixture(scope="module")
def engine() -> Iterator[LibreOfficeEngine]:
    eng = shared_engine()
    ok, why = eng.available()
    if not ok:
        pytest.skip(why)
    yield eng


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_sample_workbook(tmp_path_factory.mktemp("lo") / "样本.xlsx")


def test_uno_imports_without_dist_packages_on_path() -> None:
    uno = import_uno()
    assert hasattr(uno, "systemPathToFileUrl")
    import sys

    assert "/usr/lib/python3/dist-packages" not in sys.path


def test_error_codes() -> None:
    assert error_text(532) == "#DIV/0!"
    assert error_text(525) == "#NAME?"
    assert error_text(519) == "#VALUE!"
    assert error_text(502) == error_text(503) == "#NUM!"
    assert error_text(32767) == "#N/A"
    assert error_text(504) == "Err:504"


def test_sample_workbook(engine: LibreOfficeEngine, sample: Path) -> None:
    with engine.open(sample) as book:
        check_sample_book(book, bool_as_float=True)


def test_second_book_is_independent(engine: LibreOfficeEngine, sample: Path) -> None:
    b1 = engine.open(sample)
    b2 = engine.open(sample)
    b1.write("填报", "B2", [[4]])
    assert b1.read("评分", "A2") == [[10.0]]
    assert b2.read("评分", "A2") == [["待填"]]
    b1.close()
    assert b2.read("评分", "A3") == [["待填"]]
    b2.close()
    b2.close()  # idempotent


def test_source_file_untouched_and_no_lock_file(engine: LibreOfficeEngine, sample: Path) -> None:
    before = sample.read_bytes()
    with engine.open(sample) as book:
        book.write("填报", "B2", [[1]])
        book.recalc()
    assert sample.read_bytes() == before
    assert not [p for p in sample.parent.iterdir() if p.name.startswith(".~lock")]


def test_errors_and_empty_reads(engine: LibreOfficeEngine, sample: Path) -> None:
    with engine.open(sample) as book:
        # before any input RANK.EQ of an empty cell is #VALUE! in LibreOffice (formulas: #N/A)
        errs = book.errors()
        assert ("评分", "H2", "#DIV/0!") in errs and ("评分", "H3", "#NAME?") in errs
        assert ("评分", "B2", "#VALUE!") in errs
        assert book.read("评分", "H2:H3") == [[ErrorValue("#DIV/0!")], [ErrorValue("#NAME?")]]
        assert book.read("填报", "D1:E2") == [[None, None], [None, None]]
        with pytest.raises(KeyError):
            book.read("没有", "A1")


def test_bool_written_as_number(engine: LibreOfficeEngine, sample: Path) -> None:
    with engine.open(sample) as book:
        book.write("填报", "B2", [[True]])
        assert book.read("填报", "B2") == [[1.0]]
        assert book.read("评分", "A2") == [[3.0]]  # ROUND(1*2.5,0): LibreOffice has no boolean cells


def test_corrections_agree_with_libreoffice(engine: LibreOfficeEngine, tmp_path: Path) -> None:
    """The corrected formulas answers are what LibreOffice computes (except documented Excel-only cases)."""
    path = build_corrections_workbook(tmp_path / "corr.xlsx")
    with engine.open(path) as book:
        got = [row[0] for row in book.read("E", f"H1:H{len(CORRECTIONS)}")]
    for (expr, _upstream, corrected), value in zip(CORRECTIONS, got, strict=True):
        if expr in LO_DIFFERS:
            assert value == LO_DIFFERS[expr], expr
        elif isinstance(corrected, float):
            assert value == pytest.approx(corrected, rel=1e-12, abs=1e-12), expr
        else:
            assert value == corrected, expr


def test_close_stops_office_and_restarts(sample: Path) -> None:
    eng = get_engine("libreoffice")
    assert isinstance(eng, LibreOfficeEngine)
    with eng:
        book = eng.open(sample)
        pid = eng.pid
        assert pid is not None and eng.running
        tmp = eng._tmp
        assert tmp is not None and tmp.exists()
    assert not eng.running
    assert not tmp.exists()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    with pytest.raises(EngineError, match="closed"):  # the document is gone with the office
        book.read("评分", "A2")
    # a closed engine starts again on the next open
    with eng.open(sample) as again:
        assert again.read("评分", "A2") == [["待填"]]
    eng.close()
    assert not eng.running


@pytest.mark.engine
@pytest.mark.parametrize("protected", [True, False])
def test_write_protected_writes_a_locked_cell_and_keeps_the_protection(
    engine: LibreOfficeEngine, tmp_path: Path, protected: bool
) -> None:
    """The evaluator's parameters sit in locked cells of a protected sheet: write refuses them, as
    Calc refuses a user; write_protected lifts the protection for the write and restores it."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "参数"
    ws["B4"] = 1
    ws["C4"] = "=B4*10"
    ws.protection.sheet = protected
    path = tmp_path / "params.xlsx"
    wb.save(path)
    with engine.open(path) as book:
        if protected:
            with pytest.raises(Exception):  # noqa: B017  (UNO's RuntimeException)
                book.write("参数", "B4", [[5]])
        book.write_protected("参数", "B4", [[2]])
        book.recalc()
        assert book.read("参数", "B4:C4") == [[2.0, 20.0]]
        assert book.is_protected("参数") is protected
