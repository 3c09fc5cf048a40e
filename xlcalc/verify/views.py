"""Cohort views in the verifier: the 单位评分表 and 排名 sheets show several units' cells through
hand-written INDEX/MATCH/COUNTIF formulas (registered as :class:`~xlcalc.workbook.layout.ViewCell`
by the sheets that write them). Each case selects a unit in the views' picker cells (in turn every
unit, then none), and every view cell is compared with what it must show given the reference."""

from __future__ import annotations

from typing import Any

from xlcalc.engines import Book
from xlcalc.workbook.layout import Layout, ViewState


class Views:
    """The view cells of one layout and the unit picked for the current case."""

    def __init__(self, layout: Layout, names: list[str]) -> None:
        self.cells = list(layout.view_cells)
        self.pickers = list(layout.view_pickers)
        self.keys = [f"#{c.sheet}!{c.addr}" for c in self.cells]
        self.names = names
        self.picked: int | None = 0
        self._count = 0

    @property
    def addresses(self) -> list[tuple[str, str]]:
        return [(c.sheet, c.addr) for c in self.cells]

    def next_case(self) -> None:
        """Pick the next unit: 1st, 2nd, … last, then none (a blank picker), and again."""
        k = self._count % (len(self.names) + 1)
        self.picked = None if k == len(self.names) else k
        self._count += 1

    def write(self, book: Book) -> None:
        """Select the picked unit (by name, as the dropdown does) in every picker cell."""
        value = None if self.picked is None else self.names[self.picked]
        for sheet, addr in self.pickers:
            book.write(sheet, addr, [[value]])

    def expect(self, expected: list[dict[str, Any]]) -> None:
        """Add every view cell's value (keyed "#sheet!A1", on the first unit's row of values)."""
        if not self.cells:
            return
        state = ViewState(self.names, expected, self.picked)
        expected[0].update({k: c.expect(state) for k, c in zip(self.keys, self.cells, strict=True)})
