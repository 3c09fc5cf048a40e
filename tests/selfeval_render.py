"""Test helper: a 自评表 grid (as read from Word-copied text) rendered as the .xlsx a finance system
exports (numbers as numbers, percentages formatted, label columns merged down) and as a .docx
table (the same merges), so the importer can be tried on all three formats of one table."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from xlcalc.importer.form import number
from xlcalc.importer.grid import Grid

WIDTH = 9


def _merges_down(rows: list[list[str]]) -> list[tuple[int, int, int]]:
    """(column, first row, last row) for blank label cells continuing the cell above."""
    out = []
    for c in range(3):
        r = 1
        while r < len(rows):
            if len(rows[r]) >= 5 and c < len(rows[r]) and not rows[r][c] and len(rows[r - 1]) >= 5:
                start = r - 1
                while r < len(rows) and len(rows[r]) >= 5 and c < len(rows[r]) and not rows[r][c]:
                    r += 1
                out.append((c, start, r - 1))
            else:
                r += 1
    return out


def write_xlsx(grids: list[Grid], path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "自评表"
    base = 0
    for g in grids:
        rows = [[c.text for c in r] for r in g.rows]
        for i, row in enumerate(rows):
            for j, text in enumerate(row):
                cell = ws.cell(base + i + 1, j + 1)
                value = number(text) if text and "\n" not in text else None
                if value is not None:
                    cell.value = value
                    if text.endswith("%"):
                        cell.number_format = "0%" if float(value * 100).is_integer() else "0.0%"
                else:
                    cell.value = text or None
                    if text.startswith("="):
                        cell.data_type = "s"
            if len(row) < WIDTH:
                ws.merge_cells(
                    f"{get_column_letter(len(row))}{base + i + 1}:{get_column_letter(WIDTH)}{base + i + 1}"
                )
        for c, a, b in _merges_down(rows):
            ws.merge_cells(
                f"{get_column_letter(c + 1)}{base + a + 1}:{get_column_letter(c + 1)}{base + b + 1}"
            )
        base += len(rows) + 2
    wb.save(path)


def write_docx(grids: list[Grid], path: Path) -> None:
    import docx

    doc = docx.Document()
    for g in grids:
        for line in g.preamble:
            doc.add_paragraph(line)
        rows = [[c.text for c in r] for r in g.rows]
        table = doc.add_table(rows=len(rows), cols=WIDTH)
        cells = [r.cells for r in table.rows]  # before any merge: one lookup per row
        for i, row in enumerate(rows):
            for j, text in enumerate(row):
                if text:
                    cells[i][j].text = text
        for c, a, b in _merges_down(rows):
            cells[a][c].merge(cells[b][c])
        for i, row in enumerate(rows):
            if len(row) < WIDTH:
                cells[i][len(row) - 1].merge(cells[i][WIDTH - 1])
    doc.save(str(path))
