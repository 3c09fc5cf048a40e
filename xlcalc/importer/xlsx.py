"""A 自评表 workbook as finance systems export it: merged cells hold their text in the top-left
cell only, several tables may follow one another on a sheet."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook

from xlcalc import xlruntime
from xlcalc.errors import InputError
from xlcalc.importer.grid import MAX_ROWS, Cell, Grid, checked_package

TITLE = "项目支出绩效自评表"


def _text(value: object, fmt: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | float):
        if "%" in fmt:
            return f"{round(value * 100, 8):g}%"
        return xlruntime.general_text(value)
    return str(value).strip()


def read_xlsx(path: Path) -> list[Grid]:
    data = checked_package(path, ".xlsx")
    try:
        book = load_workbook(data, data_only=True)
    except Exception as exc:  # an untrusted file may fail in any way: say so, no traceback
        raise InputError(f"{path}：无法作为 .xlsx 打开（{exc}）") from None
    grids: list[Grid] = []
    for ws in book.worksheets:
        if ws.max_row > MAX_ROWS:
            raise InputError(f"{path}：工作表“{ws.title}”超过{MAX_ROWS}行，不像自评表")
        rows: list[list[Cell]] = []
        for row in ws.iter_rows(max_col=min(ws.max_column, 40)):
            cells = [
                Cell(_text(c.value, c.number_format or ""), f"{path} {ws.title}!{c.coordinate}") for c in row
            ]
            while cells and not cells[-1].text:
                cells.pop()
            if not cells:
                continue
            if rows and any(c.text.endswith(TITLE) for c in cells) and len([c for c in cells if c.text]) == 1:
                grids.append(Grid(rows, f"{path} {ws.title}"))
                rows = []
            rows.append(cells)
        if rows:
            grids.append(Grid(rows, f"{path} {ws.title}"))
    return grids
