"""Which inputs a formula reads, through every formula it references.

The equivalence check of a mutant compares one cell, so it only needs to vary the inputs that
cell can depend on: the input cells (of any unit) reached by following the cell's references
through the workbook's formulas. Defined names (the rubric parameters) are not followed; the
check takes the parameters from its cases.
"""

from __future__ import annotations

import re

from openpyxl.formula.tokenizer import Token, Tokenizer
from openpyxl.utils.cell import column_index_from_string, get_column_letter

from xlcalc.cells import Role
from xlcalc.verify.target import Target

__all__ = ["InputCell", "Reads"]

InputCell = tuple[str, int]  # (input id, unit)
_PART = re.compile(r"^\$?([A-Z]{1,3})?\$?(\d+)?$")


def _sheet_and_range(ref: str, home: str) -> tuple[str, str]:
    sheet, sep, rng = ref.rpartition("!")
    if not sep:
        return home, ref
    if sheet.startswith("'") and sheet.endswith("'"):
        sheet = sheet[1:-1].replace("''", "'")
    return sheet, rng


class Reads:
    """The input cells each formula cell of a target depends on (memoised per cell)."""

    def __init__(self, target: Target) -> None:
        self.formulas = target.formulas
        lay = target.layout
        self.inputs: dict[tuple[str, str], InputCell] = {}
        self._last_row: dict[str, int] = {}
        for c in lay.role_cells[Role.INPUT]:
            for u in range(lay.n_units):
                self.inputs[(lay.sheet_of(c.id), lay.address(c.id, u))] = (c.id, u)
        for li in lay.graph.lists:
            for u in range(lay.n_units):
                sheet, rng = lay.list_range(li.id, u)
                for addr in self._cells(sheet, rng):
                    self.inputs[(sheet, addr)] = (li.id, u)
        # whole-column references stop at the last row anything is known on the sheet
        for sheet, addr in [*self.formulas, *self.inputs]:
            row = int(re.sub(r"^[A-Z]+", "", addr))
            self._last_row[sheet] = max(self._last_row.get(sheet, 0), row)
        self._memo: dict[tuple[str, str], frozenset[InputCell]] = {}
        self._refs: dict[tuple[str, str], list[tuple[str, str]]] = {}

    def of_formula(self, sheet: str, formula: object) -> frozenset[InputCell]:
        """Inputs read by ``formula`` if it stood on ``sheet`` (a number reads nothing)."""
        found: set[InputCell] = set()
        for cell in self._referenced(sheet, formula):
            found |= self._of_cell(cell)
        return frozenset(found)

    def _of_cell(self, cell: tuple[str, str]) -> frozenset[InputCell]:
        if cell in self.inputs:
            return frozenset([self.inputs[cell]])
        if cell not in self.formulas:
            return frozenset()
        # post-order walk with an explicit stack: chains of formulas outgrow the recursion limit
        stack = [(cell, False)]
        while stack:
            c, expanded = stack.pop()
            if c in self._memo:
                continue
            refs = self._references(c)
            if not expanded:
                stack.append((c, True))
                stack.extend((d, False) for d in refs if d in self.formulas and d not in self._memo)
                continue
            acc: set[InputCell] = set()
            for d in refs:  # (a circular reference would leave its loop's inputs out: none are built)
                if d in self.inputs:
                    acc.add(self.inputs[d])
                else:
                    acc |= self._memo.get(d, frozenset())
            self._memo[c] = frozenset(acc)
        return self._memo[cell]

    def _references(self, cell: tuple[str, str]) -> list[tuple[str, str]]:
        refs = self._refs.get(cell)
        if refs is None:
            refs = self._refs[cell] = self._referenced(cell[0], self.formulas[cell])
        return refs

    def _referenced(self, home: str, formula: object) -> list[tuple[str, str]]:
        if not isinstance(formula, str) or not formula.startswith("="):
            return []
        out: list[tuple[str, str]] = []
        for t in Tokenizer(formula).items:
            if t.type == Token.OPERAND and t.subtype == Token.RANGE:
                sheet, rng = _sheet_and_range(t.value, home)
                out.extend((sheet, a) for a in self._cells(sheet, rng))
        return out

    def _cells(self, sheet: str, rng: str) -> list[str]:
        """A1 addresses of a range (empty for a defined name)."""
        ends = rng.split(":")
        parsed = [_PART.match(p) for p in ends]
        if not all(parsed) or len(ends) > 2:
            return []
        c1, r1 = parsed[0].group(1), parsed[0].group(2)  # type: ignore[union-attr]
        c2, r2 = parsed[-1].group(1), parsed[-1].group(2)  # type: ignore[union-attr]
        if (c1 is None and r1 is None) or (len(ends) == 1 and (c1 is None or r1 is None)):
            return []  # a name such as P_score_decimals
        last = self._last_row.get(sheet, 0)
        col1 = column_index_from_string(c1) if c1 else 1
        col2 = column_index_from_string(c2) if c2 else max(col1, 200)
        row1 = int(r1) if r1 else 1
        row2 = int(r2) if r2 else max(row1, last)
        return [f"{get_column_letter(c)}{r}" for r in range(row1, row2 + 1) for c in range(col1, col2 + 1)]
