"""Tab-separated text as copying a Word table produces it (the seed documents): one cell per line
after a TAB, a line without the TAB continues the cell above, a blank line ends a table row."""

from __future__ import annotations

from pathlib import Path

from xlcalc.errors import InputError
from xlcalc.importer.grid import MAX_ROWS, Cell, Grid, check_size

TITLES = ("项目支出绩效自评表",)


def decode(path: Path) -> str:
    check_size(path)
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        from charset_normalizer import from_bytes  # the last resort, rarely reached: loaded lazily

        best = from_bytes(data).best()
        if best is None:
            raise InputError(f"{path}：无法识别文本编码") from None
        return str(best)


def read_text(path: Path) -> list[Grid]:
    return split_text(decode(path), str(path))


def split_text(text: str, source: str) -> list[Grid]:
    grids: list[Grid] = []
    preamble: list[str] = []
    rows: list[list[Cell]] = []
    row: list[Cell] = []
    for n, line in enumerate(text.splitlines(), 1):
        if line.startswith("\t"):
            row.append(Cell(line[1:].strip(), f"{source} 第{n}行"))
        elif line.strip() == "":
            if row:
                rows.append(row)
                row = []
        elif row:  # a line break inside a cell
            last = row[-1]
            row[-1] = Cell(f"{last.text}\n{line.strip()}", last.where)
        else:  # text outside a table: a new table's 附件 line
            if rows:
                grids.append(Grid(rows, source, preamble))
                rows, preamble = [], []
            preamble.append(line.strip())
        if len(rows) > MAX_ROWS * 10:
            raise InputError(f"{source}：表格行数超过上限")
    if row:
        rows.append(row)
    if rows:
        grids.append(Grid(rows, source, preamble))
    return _split_on_titles(grids)


def _split_on_titles(grids: list[Grid]) -> list[Grid]:
    """Several 自评表 copied one after another without text between them."""
    out: list[Grid] = []
    for g in grids:
        starts = [i for i, r in enumerate(g.rows) if i and len(r) == 1 and r[0].text.endswith(TITLES)]
        bounds = [0, *starts, len(g.rows)]
        for k, (a, b) in enumerate(zip(bounds, bounds[1:], strict=False)):
            out.append(Grid(g.rows[a:b], g.source, g.preamble if k == 0 else []))
    return out
