"""xlcalc/workbook/tables.py: the role sheets, one formula per computed cell and unit."""

from __future__ import annotations

from pathlib import Path

import pytest
from rule_snippets import RULES, rule_spec

from xlcalc.cells import Role
from xlcalc.excelgen import ExcelGenerator
from xlcalc.workbook.build import build_workbook
from xlcalc.workbook.layout import FIRST_ROW, SHEET_NAMES, UNIT_COL


@pytest.mark.parametrize("kind", ["rank_tiers", "deduction", "per_period"])
def test_each_unit_row_holds_the_generators_own_formula(kind: str, tmp_path: Path) -> None:
    """The ranked layout writes unit rows from one template per cell; the text must still be exactly
    what the generator gives for that unit."""
    compiled = build_workbook(
        rule_spec(kind, tmp_path), units=["甲", "乙", "丙"] if kind != "rank_tiers" else None
    )
    lay, wb = compiled.layout, compiled.workbook
    n = 0
    for cell in lay.graph.cells:
        if cell.expr is None:
            continue
        sheet = lay.sheet_of(cell.id)
        for u in range(lay.n_units):
            row, col = lay.row_col(cell.id, u)
            want = ExcelGenerator(lay.resolver(sheet, u)).formula(cell.expr)
            assert wb[sheet].cell(row=row, column=col).value == want, (cell.id, u)
            n += 1
    assert n > 0


@pytest.mark.parametrize("kind", sorted(RULES))
def test_inputs_are_constants_and_computed_cells_formulas(kind: str, tmp_path: Path) -> None:
    compiled = build_workbook(rule_spec(kind, tmp_path))
    lay, wb = compiled.layout, compiled.workbook
    for cell in lay.graph.cells:
        row, col = lay.row_col(cell.id, 0)
        value = wb[lay.sheet_of(cell.id)].cell(row=row, column=col).value
        if cell.role is Role.INPUT:
            assert not (isinstance(value, str) and value.startswith("=")), cell.id
        else:
            assert isinstance(value, str) and value.startswith("="), cell.id


def test_ranked_sheets_name_the_units_in_column_a(tmp_path: Path) -> None:
    spec = rule_spec("rank_tiers", tmp_path)
    wb = build_workbook(spec).workbook
    inputs = wb[SHEET_NAMES[Role.INPUT]]
    assert [inputs.cell(row=FIRST_ROW + u, column=UNIT_COL).value for u in range(3)] == list(spec.meta.units)
    scores = wb[SHEET_NAMES[Role.SCORE]]
    assert (
        scores.cell(row=FIRST_ROW + 1, column=UNIT_COL).value
        == f"='{SHEET_NAMES[Role.INPUT]}'!A{FIRST_ROW + 1}"
    )
