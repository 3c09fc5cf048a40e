"""Where every cell of the cell graph lives in the workbook.

Two orientations share one addressing scheme. Rubrics that compare units (``meta.units``) put
one row per unit on every sheet and one column per quantity; single-project rubrics are forms,
one row per quantity and one value column. Data starts on row ``FIRST_ROW``; rows above hold the
title and headers (repeated when printing).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from openpyxl.utils import get_column_letter

from xlcalc import ir
from xlcalc.cells import Cell, CellGraph, ListInput, Role
from xlcalc.spec.model import Spec
from xlcalc.workbook.form import form_positions

FIRST_ROW = 4

SHEET_NAMES = {
    Role.INPUT: "填报",
    Role.DERIVED: "中间计算",
    Role.SCORE: "评分",
    Role.EXPLAIN: "扣分说明",
    Role.RANK: "排名计算",
}
PARAM_SHEET = "参数"
GUIDE_SHEET = "填写说明"
TEXT_SHEET = "规则原文"
FORMULA_SHEET = "_公式"
SPEC_SHEET = "_规格"  # the embedded spec (hidden), read back by readback.py
UNIT_COL = 1  # ranked layout: column A holds the unit name
FORM_VALUE_COL = 4  # form layout: column D holds the value
_BAD_SHEET_CHARS = set("[]:*?/\\")


def quote(sheet: str) -> str:
    """A sheet name quoted for a formula (always quoted: Chinese names, spaces, hyphens)."""
    return "'" + sheet.replace("'", "''") + "'"


def param_name(name: str) -> str:
    """Defined name of a rubric parameter (prefixed so it can never read as a cell address)."""
    return f"P_{name}"


def list_sheet_name(li: ListInput, taken: set[str]) -> str:
    base = "明细-" + "".join(ch for ch in li.label if ch not in _BAD_SHEET_CHARS)
    name = base[:31]
    k = 2
    while name in taken:
        suffix = f"{k}"
        name = base[: 31 - len(suffix)] + suffix
        k += 1
    return name


@dataclass(frozen=True)
class ViewState:
    """What a view cell shows, from the reference: every unit's name and cell values, and the unit
    a picker cell selects (0-based; None while the picker is blank)."""

    names: list[str]
    cells: list[dict[str, Any]]
    picked: int | None
    # What several view cells derive from the same state (a ranking), computed once per case.
    memo: dict[Any, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ViewCell:
    """A cell of a cohort view (单位评分表, 排名) computed from several units' cells by a hand-written
    formula: ``expect`` gives the value the formula must show, so the verifier compares it too."""

    sheet: str
    addr: str
    expect: Callable[[ViewState], Any]


@dataclass
class Layout:
    graph: CellGraph
    ranked: bool
    n_units: int
    positions: dict[str, tuple[Role, int]] = field(default_factory=dict)
    role_cells: dict[Role, list[Cell]] = field(default_factory=dict)
    list_sheets: dict[str, str] = field(default_factory=dict)
    # Single-project 自评表 specs: the spec, so inputs sit in the cells of the national form.
    spec: Spec | None = None
    input_positions: dict[str, tuple[int, int]] = field(default_factory=dict, init=False)
    # Cells of display sheets (审核) that show graph cells through an IR expression, as
    # (sheet, A1 address, expression over unit 0's cells): the verifier compares them too.
    display_cells: list[tuple[str, str, ir.Expr]] = field(default_factory=list, init=False)
    # Cells of cohort views, and the picker cells (sheet, A1) in which the verifier selects a unit.
    view_cells: list[ViewCell] = field(default_factory=list, init=False)
    view_pickers: list[tuple[str, str]] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        if self.spec is not None and not self.ranked:
            self.input_positions = form_positions(self.spec)
        for role in Role:
            cells = self.graph.role(role)
            if role is Role.SCORE:
                counted = set(self.graph.counted_scores())
                cells = [c for c in cells if c.id in counted] + [c for c in cells if c.id not in counted]
            self.role_cells[role] = cells
            for k, c in enumerate(cells):
                self.positions[c.id] = (role, k)
        taken = set(SHEET_NAMES.values()) | {PARAM_SHEET, GUIDE_SHEET, TEXT_SHEET, FORMULA_SHEET}
        for li in self.graph.lists:
            name = list_sheet_name(li, taken)
            taken.add(name)
            self.list_sheets[li.id] = name

    # ---- geometry -----------------------------------------------------------------------
    def sheet_of(self, cell_id: str) -> str:
        return SHEET_NAMES[self.positions[cell_id][0]]

    def row_col(self, cell_id: str, unit: int) -> tuple[int, int]:
        role, k = self.positions[cell_id]
        if role is Role.INPUT and cell_id in self.input_positions:
            return self.input_positions[cell_id]
        if self.ranked:
            return FIRST_ROW + unit, UNIT_COL + 1 + k
        return FIRST_ROW + k, FORM_VALUE_COL

    def address(self, cell_id: str, unit: int, absolute: bool = False) -> str:
        row, col = self.row_col(cell_id, unit)
        letter = get_column_letter(col)
        return f"${letter}${row}" if absolute else f"{letter}{row}"

    def unit_row(self, unit: int) -> int:
        return FIRST_ROW + unit

    def list_range(self, input_id: str, unit: int) -> tuple[str, str]:
        """(sheet, A1 range) of a list input's items for one unit."""
        li = next(x for x in self.graph.lists if x.id == input_id)
        sheet = self.list_sheets[input_id]
        if self.ranked:
            row = FIRST_ROW + unit
            return sheet, f"B{row}:{get_column_letter(1 + li.capacity)}{row}"

        return sheet, f"B{FIRST_ROW}:B{FIRST_ROW + li.capacity - 1}"

    def resolver(self, home: str, unit: int) -> Resolver:
        return Resolver(self, home, unit)


class Resolver:
    """Addresses as seen from one formula cell (sheet ``home``, unit ``unit``)."""

    def __init__(self, layout: Layout, home: str, unit: int) -> None:
        self.layout = layout
        self.home = home
        self.unit = unit
        # When set, relative row numbers of the current unit are written as this marker, so one
        # generated formula serves every unit row (see TableWriter._formula_text).
        self.row_marker: str | None = None

    def _row(self, row: int) -> str:
        return self.row_marker if self.row_marker is not None and row == FIRST_ROW + self.unit else str(row)

    def _qualify(self, sheet: str, ref: str) -> str:
        return ref if sheet == self.home else f"{quote(sheet)}!{ref}"

    def _address(self, cell: str) -> str:
        row, col = self.layout.row_col(cell, self.unit)
        return f"{get_column_letter(col)}{self._row(row)}"

    def ref(self, cell: str) -> str:
        return self._qualify(self.layout.sheet_of(cell), self._address(cell))

    def column(self, cell: str) -> str:
        lay = self.layout
        first = lay.address(cell, 0, absolute=True)
        last = lay.address(cell, lay.n_units - 1, absolute=True)
        return self._qualify(lay.sheet_of(cell), f"{first}:{last}")

    def column_prefix(self, cell: str) -> str:
        lay = self.layout
        first = lay.address(cell, 0, absolute=True)
        return self._qualify(lay.sheet_of(cell), f"{first}:{self._address(cell)}")

    def list_range(self, input_id: str) -> str:
        sheet, _ = self.layout.list_range(input_id, self.unit)
        li = next(x for x in self.layout.graph.lists if x.id == input_id)
        if self.layout.ranked:
            row = self._row(FIRST_ROW + self.unit)
            return self._qualify(sheet, f"B{row}:{get_column_letter(1 + li.capacity)}{row}")
        return self._qualify(sheet, f"B{FIRST_ROW}:B{FIRST_ROW + li.capacity - 1}")

    def unit_scores(self) -> str:
        counted = self.layout.graph.counted_scores()
        return self._qualify(
            SHEET_NAMES[Role.SCORE], f"{self._address(counted[0])}:{self._address(counted[-1])}"
        )

    def param(self, name: str) -> str:
        return param_name(name)
