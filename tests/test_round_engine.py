"""The round trip in a real spreadsheet engine: distribute 安庆 to its ten units, type each unit's
figures into its file in LibreOffice as a user would, save, collect. Every total and rank equals
the reference scorer's (in the JSON and in the cohort workbook recalculated by LibreOffice), and
tampered files are each reported with their location."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from conftest import ANQING, ROOT
from openpyxl.utils import get_column_letter

from xlcalc.cells import Role
from xlcalc.cli import main
from xlcalc.engines.lo_typing import type_text
from xlcalc.inputs import load_inputs
from xlcalc.round.collect import collect, ranked
from xlcalc.scorer import Scorer
from xlcalc.spec.loader import load_spec
from xlcalc.workbook.layout import SHEET_NAMES
from xlcalc.workbook.readback import make_layout

pytestmark = pytest.mark.engine
EXAMPLE = ROOT / "examples" / "anqing_2023_units.yaml"


def _typed(value: object) -> str:
    """What a user types for a cell value: 380000, 24.64, 是."""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _save(book, path: Path) -> None:
    from xlcalc.engines.libreoffice import import_uno

    uno = import_uno()
    props = []
    for name, value in (("FilterName", "Calc MS Excel 2007 XML"), ("Overwrite", True)):
        prop = uno.createUnoStruct("com.sun.star.beans.PropertyValue")
        prop.Name, prop.Value = name, value
        props.append(prop)
    book.doc.storeToURL(path.resolve().as_uri(), tuple(props))


def _fill(engine, path: Path, values: dict, tamper=None) -> None:
    """Open the file in LibreOffice, type every value into its cell as a user does (the cell's
    validation decides; every example value must pass it), save over the file."""
    spec = load_spec(ANQING)
    lay = make_layout(spec, 1)
    book = engine.open(path)
    try:
        typed = []
        for cell in lay.role_cells[Role.INPUT]:
            if values.get(cell.id) is not None:
                where = lay.address(cell.id, 0)
                typed.append(type_text(book, SHEET_NAMES[Role.INPUT], where, _typed(values[cell.id])))
        for li in lay.graph.lists:
            name, _ = lay.list_range(li.id, 0)
            for k, item in enumerate(values.get(li.id) or []):
                typed.append(type_text(book, name, f"{get_column_letter(2 + k)}4", _typed(item)))
        refused = [t for t in typed if not t.accepted]
        assert not refused, refused
        if tamper:
            tamper(book)
        book.recalc()
        _save(book, path)
    finally:
        book.close()


@pytest.fixture(scope="module")
def engine(libreoffice):
    return libreoffice


@pytest.fixture(scope="module")
def filled(engine, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("round") / "发出"
    assert main(["distribute", str(ANQING), "--out", str(out)]) == 0
    scorer = Scorer(load_spec(ANQING))
    for unit in load_inputs(EXAMPLE):
        _fill(engine, out / f"{unit.name}.xlsx", scorer.normalize(unit))
    return out


def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_round_trip_totals_and_ranks_equal_the_reference(filled, engine, tmp_path):
    spec = load_spec(ANQING)
    before = _hashes(filled)
    coll = collect(spec, [str(filled)], out=tmp_path / "汇总.xlsx")
    assert _hashes(filled) == before  # returned files never modified
    assert coll.status == 0, [p.row() for p in coll.problems]
    reference = Scorer(spec).score(load_inputs(EXAMPLE))
    totals = [r.total for r in reference]
    expected = {r.unit: (r.total, 1 + sum(t > r.total for t in totals)) for r in reference}
    got = {r.unit: (r.total, coll.ranks[r.unit]) for r in coll.results}
    assert got == expected
    # The cohort workbook, recalculated by LibreOffice, ranks the same way on 汇总.
    book = engine.open(tmp_path / "汇总.xlsx")
    try:
        book.recalc()
        rows = book.read("汇总", "A4:C13")
    finally:
        book.close()
    shown = {unit: (round(total, 2), int(rank)) for rank, unit, total in rows}
    assert shown == {u: (round(t, 2), k) for u, (t, k) in expected.items()}
    assert [r.unit for r in ranked(coll)] == [row[1] for row in rows]


def test_tampered_files_are_each_reported_with_their_location(filled, engine, tmp_path):
    spec = load_spec(ANQING)
    folder = tmp_path / "收回"
    shutil.copytree(filled, folder)
    p = spec.param("partial_step")
    other = next(label for _, label in p.choices if label != p.label_of(str(p.default)))

    def overwrite(book):
        book.doc.Sheets.getByName("评分").getCellRangeByName("B4").setValue(4)

    def parameter(book):
        book.write_protected("参数", "B4", [[other]])  # the sheet is protected, B4 locked

    scorer = Scorer(spec)
    units = {u.name: scorer.normalize(u) for u in load_inputs(EXAMPLE)}
    _fill(engine, folder / "迎江区.xlsx", units["迎江区"], overwrite)
    _fill(engine, folder / "大观区.xlsx", units["大观区"], parameter)
    twice = folder / "宜秀区-第二份.xlsx"
    shutil.copyfile(folder / "宜秀区.xlsx", twice)
    _fill(engine, twice, {**units["宜秀区"], "cases": 1})
    foreign_spec = tmp_path / "other.yaml"
    foreign_spec.write_text(ANQING.read_text(encoding="utf-8").replace("id: anqing_2023", "id: anqing_2024"))
    assert main(["distribute", str(foreign_spec), "--units", "怀宁县", "--out", str(tmp_path / "外")]) == 0
    shutil.copyfile(tmp_path / "外" / "怀宁县.xlsx", folder / "外来.xlsx")
    before = _hashes(folder)
    coll = collect(spec, [str(folder)], out=tmp_path / "汇总.xlsx")
    assert _hashes(folder) == before
    found = {(Path(p.file).name, p.sheet, p.cell) for p in coll.problems}
    messages = {(Path(p.file).name, p.sheet, p.cell): p.message for p in coll.problems}
    assert ("迎江区.xlsx", "评分", "B4") in found, messages
    assert "覆盖" in messages[("迎江区.xlsx", "评分", "B4")]
    assert ("大观区.xlsx", "参数", "B4") in found, messages
    assert ("外来.xlsx", "_轮次", "B2") in found, messages
    assert ("宜秀区.xlsx", "填报", "A4") in found and ("宜秀区-第二份.xlsx", "填报", "A4") in found, messages
    assert "宜秀区" not in coll.merged.values  # two different versions: left blank, not guessed
    assert coll.status == 1


def test_validation_applies_in_a_distributed_file(filled, engine):
    """The per-unit file keeps the template's validation: a user cannot type a negative population."""
    book = engine.open(filled / "迎江区.xlsx")
    try:
        assert not type_text(book, "填报", "B4", "-5").accepted
        assert not type_text(book, "填报", "G4", "也许").accepted  # 是/否 only
        assert type_text(book, "填报", "B4", "420000").accepted
    finally:
        book.close()
