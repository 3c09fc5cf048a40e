"""A 自评表 submitted as a Word document: each table read through python-docx, horizontally
merged cells once, vertically merged ones blank below their first row (as a Word copy gives them),
the paragraphs above a table kept as its title."""

from __future__ import annotations

from pathlib import Path

from xlcalc.errors import InputError
from xlcalc.importer.grid import MAX_ROWS, Cell, Grid, checked_package


def read_docx(path: Path) -> list[Grid]:
    import docx  # python-docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    data = checked_package(path, ".docx")
    try:
        document = docx.Document(data)
    except Exception as exc:  # an untrusted file may fail in any way: say so, no traceback
        raise InputError(f"{path}：无法作为 .docx 打开（{exc}）") from None
    grids: list[Grid] = []
    preamble: list[str] = []
    number = 0
    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            text = Paragraph(child, document).text.strip()
            if text:
                preamble.append(text)
        elif tag == "tbl":
            number += 1
            grids.append(
                Grid(_rows(Table(child, document), f"{path} 表{number}"), f"{path} 表{number}", preamble)
            )
            preamble = []
    return grids


def _rows(table, where: str) -> list[list[Cell]]:
    rows: list[list[Cell]] = []
    above: list = []
    for i, row in enumerate(table.rows, 1):
        if i > MAX_ROWS:
            raise InputError(f"{where}：超过{MAX_ROWS}行，不像自评表")
        tcs = [c._tc for c in row.cells]
        cells: list[Cell] = []
        for j, (cell, tc) in enumerate(zip(row.cells, tcs, strict=True)):
            if j and tcs[j - 1] is tc:
                continue  # the same cell spanning columns
            merged_down = j < len(above) and above[j] is tc
            cells.append(
                Cell("" if merged_down else cell.text.strip(), f"{where} 第{i}行第{len(cells) + 1}格")
            )
        above = tcs
        rows.append(cells)
    return rows
