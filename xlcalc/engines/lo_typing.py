"""Typing into a cell as a user does in LibreOffice Calc, with the cell's data validation applied.

Writes through the engine interface (``Book.write``) and openpyxl skip validation, so they prove
nothing about what a user can type. Here the text goes through ``setFormula``, which parses it as
the input line does ("98%" → 0.98, "abc" → text, "=A1" → a formula), and validity is decided by
LibreOffice's own check, the detective's "mark invalid data" (``XSheetAuditing.showInvalid``): it
circles every cell whose content breaks its validation. A refused entry is undone, as Calc undoes
an entry refused by a STOP alert (the alert style xlcalc's workbooks use).

Validation formulas are evaluated only while automatic calculation is on, so it is switched on for
the check and restored afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from xlcalc.engines.libreoffice import LibreOfficeBook

_CIRCLE = "com.sun.star.drawing.EllipseShape"


@dataclass(frozen=True)
class Typed:
    """The outcome of typing ``text`` into ``sheet!cell``."""

    sheet: str
    cell: str
    text: str
    accepted: bool
    error_title: str  # the validation's error title and message a user would have seen
    error_message: str


#: What Calc says when a user types into a locked cell of a protected sheet (setFormula, a program's
#: write, would go through: the refusal is decided here, as Calc's input line decides it).
PROTECTED = ("单元格受保护", "受保护的单元格不能被修改。")


def type_text(book: LibreOfficeBook, sheet: str, cell: str, text: str) -> Typed:
    """Type ``text`` into ``sheet!cell`` (A1 address); keep it if the cell's validation accepts it.
    A locked cell of a protected sheet takes nothing."""
    sh = book.doc.Sheets.getByName(sheet)
    target = sh.getCellRangeByName(cell)
    if sh.isProtected() and target.getPropertyValue("CellProtection").IsLocked:
        return Typed(sheet, cell, text, False, *PROTECTED)
    before = target.getFormula()
    target.setFormula(text)
    book.invalidate()
    accepted = not _is_circled(book, sh, target)
    validation = target.getPropertyValue("Validation")
    if not accepted:
        target.setFormula(before)
    return Typed(
        sheet, cell, text, accepted, str(validation.ErrorTitle or ""), str(validation.ErrorMessage or "")
    )


def _is_circled(book: LibreOfficeBook, sh: Any, target: Any) -> bool:
    auto = book.doc.isAutomaticCalculationEnabled()
    book.doc.enableAutomaticCalculation(True)
    try:
        page = sh.getDrawPage()
        _remove_circles(page)
        sh.showInvalid()
        pos, size = target.getPropertyValue("Position"), target.getPropertyValue("Size")
        hit = False
        for i in range(page.getCount()):
            shape = page.getByIndex(i)
            if shape.getShapeType() != _CIRCLE:
                continue
            p, s = shape.getPosition(), shape.getSize()
            # The circle is drawn a little larger than the cell it marks.
            if _overlap(p.X, s.Width, pos.X, size.Width) and _overlap(p.Y, s.Height, pos.Y, size.Height):
                hit = True
        _remove_circles(page)
        return hit
    finally:
        book.doc.enableAutomaticCalculation(auto)


def _overlap(a: int, a_len: int, b: int, b_len: int) -> bool:
    return max(a, b) < min(a + a_len, b + b_len)


def _remove_circles(page: Any) -> None:
    for i in reversed(range(page.getCount())):
        shape = page.getByIndex(i)
        if shape.getShapeType() == _CIRCLE:
            page.remove(shape)
