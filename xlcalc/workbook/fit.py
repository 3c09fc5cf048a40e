"""Sizes that fit Chinese text: column widths and row heights from display width, and print
set-up whose scale never makes printed text smaller than ``MIN_PRINT_PT``.

Excel measures column width in characters of the default font; a CJK character takes two.
Row heights are in points; a wrapped cell needs one line per ``width`` display columns.
"""

from __future__ import annotations

import math
import re
import unicodedata

from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

FONT_PT = 11.0  # the workbook's default font size
LINE_PT = 15.0  # height of one line of 11 pt text, CJK included
MIN_PRINT_PT = 8.0  # smallest effective printed font on A4
MIN_SCALE = math.ceil(100 * MIN_PRINT_PT / FONT_PT)  # 73 %
MAX_ROW_PT = 409.0  # Excel's row height limit
# A4 printable width in points with the margins set by ``print_setup`` (0.5 in left and right).
A4_WIDTH_PT = {"portrait": 595.0 - 72.0, "landscape": 842.0 - 72.0}


def display_width(text: object) -> int:
    """Columns a text takes on screen: wide (CJK, full-width) characters count two."""
    s = "" if text is None else str(text)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def lines_needed(text: object, width: float) -> int:
    """Lines a wrapped text takes in a column ``width`` characters wide (explicit breaks kept)."""
    if text is None or text == "":
        return 1
    usable = max(width - 1.0, 1.0)
    return sum(max(1, math.ceil(display_width(part) / usable)) for part in str(text).split("\n"))


# Pixels per width unit: 7 with Calibri, 9.3 where it is missing and a wider font (DejaVu Sans in
# LibreOffice, WPS on Linux) sets the unit. The wider one, so the page width holds in both.
CHAR_PX = 9.3


def column_width_pt(width: float) -> float:
    """Printed width of a column ``width`` characters wide (``CHAR_PX`` per character + 5 px)."""
    return (width * CHAR_PX + 5) * 0.75


def fit_columns(ws: Worksheet, first_row: int, limits: dict[str, tuple[float, float]]) -> None:
    """Set each listed column's width to its widest text from ``first_row`` on, within (min, max)."""
    widths: dict[str, int] = {}
    for row in ws.iter_rows(min_row=first_row):
        for c in row:
            letter = c.column_letter
            if (
                letter in limits
                and isinstance(c.value, str | int | float)
                and not str(c.value).startswith("=")
            ):
                widest = max(display_width(part) for part in str(c.value).split("\n"))
                widths[letter] = max(widths.get(letter, 0), widest)
    for letter, (lo, hi) in limits.items():
        ws.column_dimensions[letter].width = min(max(widths.get(letter, 0) + 2, lo), hi)


def fit_rows(ws: Worksheet, first_row: int, last_row: int | None = None) -> None:
    """Row heights that show every text whole in its (wrapped) column width."""
    last = last_row or ws.max_row
    merged = {(r.min_row, r.min_col): r for r in ws.merged_cells.ranges}
    for row in ws.iter_rows(min_row=first_row, max_row=last):
        n = 1
        for c in row:
            if not isinstance(c.value, str) or not c.alignment.wrap_text:
                continue
            rng = merged.get((c.row, c.column))
            cols = range(c.column, (rng.max_col if rng else c.column) + 1)
            rows = (rng.max_row - rng.min_row + 1) if rng else 1
            width = sum(_width(ws, col) for col in cols)
            if width <= 0:  # hidden column: never shown, never printed
                continue
            if c.value.startswith("="):
                lines = min(lines_needed(formula_text(c.value), width), MAX_FORMULA_LINES)
            else:
                lines = lines_needed(c.value, width)
            n = max(n, math.ceil(lines / rows))
        if n > 1:
            ws.row_dimensions[row[0].row].height = min(n * LINE_PT, MAX_ROW_PT)


_LITERAL = re.compile(r'"((?:[^"]|"")*)"')
MAX_FORMULA_LINES = 6  # a computed explanation gets at most this many lines of room


def formula_text(formula: str, share: int = 3) -> str:
    """A computed text's likely length: one branch of its string literals shows at once,
    approximated by the first ``1/share`` of them (rows stay moderate)."""
    literals = [m.group(1).replace('""', '"') for m in _LITERAL.finditer(formula)]
    text = "".join(literals)
    budget = max(len(text) // share, 10)
    return text[:budget] if len(text) > budget else text


def _width(ws: Worksheet, col: int) -> float:
    dim = ws.column_dimensions.get(get_column_letter(col))
    if dim is None or dim.width is None:
        return 8.43
    return 0.0 if dim.hidden else float(dim.width)


def sheet_width_pt(ws: Worksheet) -> float:
    last = ws.max_column
    return sum(column_width_pt(w) for w in (_width(ws, c) for c in range(1, last + 1)) if w > 0)


def print_scale(ws: Worksheet, orientation: str) -> int:
    """Percent scale that fits the sheet's width on A4 but never below ``MIN_SCALE`` (wider sheets
    continue on further pages, with their title columns repeated)."""
    width = sheet_width_pt(ws)
    if width <= 0:
        return 100
    # 5 % slack: engines round column widths to whole pixels and add grid lines.
    return max(MIN_SCALE, min(100, math.floor(95 * A4_WIDTH_PT[orientation] / width)))


def _escape(text: str) -> str:
    return text.replace("&", "&&")


def print_setup(
    ws: Worksheet,
    *,
    title: str,
    issuer: str,
    title_rows: str | None,
    title_cols: str | None = None,
    landscape: bool = True,
) -> None:
    """A4, explicit scale (see ``print_scale``), print area, repeated titles, a header with the
    title and issuer and a footer with 第N页 共M页 and the print date."""
    orientation = "landscape" if landscape else "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = orientation
    ws.sheet_properties.pageSetUpPr.fitToPage = False
    ws.page_setup.scale = print_scale(ws, orientation)
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.75
    ws.page_margins.header = ws.page_margins.footer = 0.3
    if title_rows:
        ws.print_title_rows = title_rows
    if title_cols:
        ws.print_title_cols = title_cols
    ws.print_area = f"A1:{get_column_letter(max(ws.max_column, 1))}{max(ws.max_row, 1)}"
    # Header and footer in the default font: scaled with the sheet they stay at MIN_PRINT_PT or more.
    ws.oddHeader.left.text = _escape(title[:80])
    ws.oddHeader.right.text = _escape(issuer[:60])
    ws.oddFooter.center.text = "第&P页 共&N页"
    ws.oddFooter.right.text = "打印日期：&D"


def effective_min_font(ws: Worksheet) -> float:
    """Smallest font size on the printed sheet times its print scale (points)."""
    sizes = [FONT_PT]
    for row in ws.iter_rows():
        for c in row:
            if c.value is not None and c.font is not None and c.font.sz:
                sizes.append(float(c.font.sz))
    scale = (ws.page_setup.scale or 100) / 100
    return min(sizes) * scale
