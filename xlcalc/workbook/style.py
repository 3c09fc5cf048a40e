"""Shared cell styles, number formats and sheet set-up (print, panes, protection)."""

from __future__ import annotations

from copy import copy

from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Protection, Side
from openpyxl.worksheet.worksheet import Worksheet

INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")  # unlocked cells a user fills in
PARAM_FILL = PatternFill("solid", fgColor="EDEDED")  # evaluator's settings: locked, grey
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
TOTAL_FILL = PatternFill("solid", fgColor="E2EFDA")
TITLE_FONT = Font(bold=True, size=14)
HEADER_FONT = Font(bold=True)
THIN = Side(style="thin", color="BFBFBF")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="top")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
UNLOCKED = Protection(locked=False)
PRINT_ATTR = "_xlcalc_print"  # worksheet attribute: (title rows, title columns, landscape)

SCORE_FORMAT = '0.00"分"'
FORMATS = {"0.00": "0.00", "0.0%": "0.0%", "0": "0", "@": "@", "0.0000": "0.0000", "General": "General"}


def number_format(fmt: str, is_score: bool = False) -> str:
    if is_score:
        return SCORE_FORMAT
    return FORMATS.get(fmt, fmt)


def named_style(wb, kind: str, fmt: str = "General") -> str:
    """Name of a registered NamedStyle for a kind of cell and number format.

    Assigning a named style sets fill, border, alignment, protection and number format in one
    step; setting them one by one makes openpyxl hash every style object per cell, which
    dominated build time for large workbooks (3,000 units: 106 s).
    """
    name = f"xlcalc-{kind}-{fmt}"
    if name in wb.named_styles:
        return name
    ns = NamedStyle(name=name, border=BORDER, number_format=fmt)
    if kind in ("input", "input-text"):
        ns.fill = INPUT_FILL
        ns.protection = Protection(locked=False)
        if kind == "input-text":
            ns.alignment = WRAP
    elif kind == "indicator":
        ns.fill = TOTAL_FILL
    elif kind == "explanation":
        ns.alignment = WRAP
    wb.add_named_style(ns)
    return name


def style_setter(wb, kind: str, fmt: str = "General"):
    """A fast ``cell.style = named_style(...)``: the named style's array is resolved once.

    openpyxl resolves a named style by scanning its registry on every assignment; for the
    hundreds of thousands of cells of a 3,000-unit workbook that scan dominated build time. The
    setter copies the same ``as_tuple()`` array openpyxl's own descriptor would assign.
    """

    array = wb._named_styles[named_style(wb, kind, fmt)].as_tuple()

    def apply(cell) -> None:
        cell._style = copy(array)

    return apply


def finish_sheet(
    ws: Worksheet,
    *,
    title_rows: str = "1:3",
    freeze: str | None = None,
    protect: bool = True,
    landscape: bool = True,
) -> None:
    """Frozen panes and protection without password (so users can still unprotect when they must).
    The print set-up (A4, scale, titles, header and footer) is applied by ``build_workbook`` once
    every sheet is complete, from what is recorded here."""
    setattr(ws, PRINT_ATTR, (title_rows, "A:A" if freeze and freeze.startswith("B") else None, landscape))
    if freeze:
        ws.freeze_panes = freeze
    if protect:
        ws.protection.sheet = True
        ws.protection.formatColumns = False
        ws.protection.formatRows = False
        ws.protection.autoFilter = False


def header(ws: Worksheet, row: int, col: int, text: str) -> None:
    c = ws.cell(row=row, column=col, value=text)
    c.font = HEADER_FONT
    c.fill = HEADER_FILL
    c.alignment = CENTER
    c.border = BORDER


def title(ws: Worksheet, text: str, subtitle: str = "") -> None:
    ws.cell(row=1, column=1, value=text).font = TITLE_FONT
    if subtitle:
        ws.cell(row=2, column=1, value=subtitle)
