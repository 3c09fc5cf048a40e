"""xlcalc/workbook/readback.py: a built workbook's inputs, parameters and embedded spec read back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl.utils import range_boundaries
from openpyxl.workbook import Workbook
from rule_snippets import rule_spec

from xlcalc.cells import Role
from xlcalc.workbook.build import build_workbook, used_params
from xlcalc.workbook.layout import SHEET_NAMES
from xlcalc.workbook.readback import embedded_spec_text, make_layout, n_units_from_index, read_inputs


def _reader(wb: Workbook):
    def read(sheet: str, rng: str) -> list[list[Any]]:
        c1, r1, c2, r2 = range_boundaries(rng)
        return [list(row) for row in wb[sheet].iter_rows(r1, r2, c1, c2, values_only=True)]

    return read


def _put(wb: Workbook, lay: Any, cell_id: str, value: Any, unit: int = 0) -> str:
    sheet, (row, col) = lay.sheet_of(cell_id), lay.row_col(cell_id, unit)
    wb[sheet].cell(row=row, column=col, value=value)
    return f"{sheet}!{lay.address(cell_id, unit)}"


def test_inputs_written_where_the_layout_says_are_read_back(tmp_path: Path) -> None:
    spec = rule_spec("threshold", tmp_path)
    compiled = build_workbook(spec)
    wb, lay = compiled.workbook, compiled.layout
    _put(wb, lay, "a", 110)
    _put(wb, lay, "flag", "是")
    back = read_inputs(spec, lay, _reader(wb))
    assert back.problems == []
    assert back.units[0].values["a"] == 110 and back.units[0].values["flag"] == "是"
    assert set(back.params) == used_params(lay.graph)  # the 参数 sheet holds the parameters formulas read


def test_a_bad_input_is_a_located_problem_not_a_value(tmp_path: Path) -> None:
    spec = rule_spec("threshold", tmp_path)
    compiled = build_workbook(spec)
    where = _put(compiled.workbook, compiled.layout, "a", "很多")
    back = read_inputs(spec, compiled.layout, _reader(compiled.workbook))
    assert [str(p).split("：")[0] for p in back.problems] == [where]
    assert "a" not in back.units[0].values


def test_ranked_unit_names_come_from_column_a(tmp_path: Path) -> None:
    spec = rule_spec("rank_tiers", tmp_path)
    compiled = build_workbook(spec)
    back = read_inputs(spec, compiled.layout, _reader(compiled.workbook))
    assert [u.name for u in back.units] == list(spec.meta.units)
    assert make_layout(spec, 3).positions == compiled.layout.positions
    assert compiled.layout.sheet_of("a") == SHEET_NAMES[Role.INPUT]


def test_embedded_spec_round_trips(tmp_path: Path) -> None:
    spec = rule_spec("deduction", tmp_path)
    wb = build_workbook(spec).workbook
    lines = spec.source_text.splitlines()
    text = embedded_spec_text(_reader(wb), len(lines), "t.xlsx")
    assert text.rstrip("\n") == spec.source_text.rstrip("\n")


def test_unit_count_from_the_formula_index() -> None:
    assert n_units_from_index([["评分", "C4:C13", "=1"]]) == 10
    assert n_units_from_index([["评分", "C4:C100000", "=1"]], cap=50) == 50  # untrusted: capped
    assert n_units_from_index([["评分", "C4", "=1"]]) == 1
    assert n_units_from_index([["评分", "not a range:", "=1"]]) == 1
