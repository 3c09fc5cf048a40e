"""排名: every unit's 总分 and 名次 (competition ranking: ties share the better place), the units
sorted by total, and a chart of the sorted totals with data labels.

Sorting uses only functions every target engine evaluates (COUNTIF, INDEX, MATCH; no dynamic
arrays): a hidden sort key gives each unit a distinct position (its 名次 plus the number of
equal totals above it), and row k of the sorted table looks up the unit whose key is k. While
any unit is incomplete the sheet says the ranking is provisional and on how many units it rests.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.label import DataLabelList
from openpyxl.styles import Alignment, Font

from xlcalc.cells import Role
from xlcalc.spec.model import Spec
from xlcalc.workbook import fit, style
from xlcalc.workbook.layout import FIRST_ROW, SHEET_NAMES, Layout, ViewCell, ViewState, quote
from xlcalc.workbook.unitsheet import UNIT_SHEET

RANK_VIEW_SHEET = "排名"
STATUS_ID = "status"


MARK_FONT = Font(bold=True, color="C00000")
#: The words every provisional mark holds (the scorer's JSON says the same: cohort.provisional).
MARK = "排名项暂按"
_TITLE_MARK = re.compile(r'^="((?:[^"]|"")*)"&IF\(')


def complete_units(layout: Layout) -> str | None:
    """An expression counting the units whose inputs are all in (评分's status column says 完整),
    or None when the layout has no status column."""
    if STATUS_ID not in layout.positions:
        return None
    last = FIRST_ROW + layout.n_units - 1
    col = layout.address(STATUS_ID, 0).rstrip("0123456789")
    return f'COUNTIF({quote(SHEET_NAMES[Role.SCORE])}!${col}${FIRST_ROW}:${col}${last},"完整")'


def _complete(v: ViewState) -> int:
    """How many units 评分's status column calls 完整 (what ``complete_units`` counts)."""
    return sum(1 for cells in v.cells if cells.get(STATUS_ID) == "完整")


# The provisional marks, "{}" standing for the number of complete units: the formula counts them
# (complete_units), the verifier's expectation formats the reference's count into the same words.
PENDING = f"暂定：尚有单位未填完，{MARK}{{}}个单位计算，排名项、总分和等级可能变化"
RANK_PENDING = f"暂定：尚有单位未填完，{MARK}{{}}个单位计算，总分和名次可能变化"
FINAL = "全部单位已填完，排名为最终结果"


def _text_formula(template: str, count: str) -> str:
    """``template`` as a formula's text expression with ``count`` (an expression) in place of {}."""
    before, after = template.split("{}")
    return f'"{before}"&{count}&"{after}"'


def _is_number(x: object) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _ranking(v: ViewState, root: str) -> tuple[list[object], list[object], list[int | None]]:
    """The 名次 column (competition ranking of the numeric totals, "" for the others), the hidden
    sort keys (名次 plus the equal totals above), and for sorted position k the unit row shown
    there (None: no unit has that key). Computed once per case: every 排名 cell reads it."""
    if ("ranking", root) in v.memo:
        return v.memo[("ranking", root)]
    totals = [cells[root] for cells in v.cells]
    ranks: list[object] = []
    keys: list[object] = []
    for u, t in enumerate(totals):
        if not _is_number(t):
            ranks.append("")
            keys.append("")
            continue
        rank = 1 + sum(1 for x in totals if _is_number(x) and x > t)
        ranks.append(rank)
        keys.append(rank + sum(1 for x in totals[: u + 1] if _is_number(x) and x == t) - 1)
    shown = [keys.index(k) if k in keys else None for k in range(1, len(totals) + 1)]
    v.memo[("ranking", root)] = ranks, keys, shown
    return ranks, keys, shown


def _sorted(v: ViewState, root: str, k: int, show: Callable[[int], object]) -> object:
    """What row ``k`` of the sorted table shows of the unit in sorted position k + 1 ("" if none)."""
    row = _ranking(v, root)[2][k]
    return "" if row is None else show(row)


def mark_provisional(wb: Workbook, layout: Layout, sink: Callable[[str, str, str], None]) -> None:
    """While a unit is incomplete the ranking items are computed on fewer units than the cohort, so
    the totals and grades they feed are provisional: 评分's title says so (it is printed on every
    page), as the 排名 sheet does. Only a cohort with cross-unit items has such a mark."""
    complete = complete_units(layout)
    name = SHEET_NAMES[Role.SCORE]
    if not layout.ranked or not layout.role_cells[Role.RANK] or complete is None or name not in wb.sheetnames:
        return
    cell = wb[name]["A1"]
    plain_title, n = str(cell.value), layout.n_units
    layout.view_cells.append(
        ViewCell(
            name,
            "A1",
            lambda v: plain_title + ("　" + PENDING.format(_complete(v)) if _complete(v) < n else ""),
        )
    )
    title = plain_title.replace('"', '""')
    pending = _text_formula(PENDING, complete)
    cell.value = f'="{title}"&IF({complete}<{layout.n_units},"　"&{pending},"")'
    sink(name, "A1", cell.value)
    if UNIT_SHEET in wb.sheetnames:  # one unit's printout: the mark below its total
        ws = wb[UNIT_SHEET]
        row = ws.max_row + 1
        note = ws.cell(row=row, column=1, value=f'=IF({complete}<{layout.n_units},{pending},"")')
        note.font = MARK_FONT
        note.alignment = Alignment(wrap_text=True, vertical="top")
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=4)
        ws.row_dimensions[row].height = 2 * fit.LINE_PT  # about 40 characters: room for a wrap
        sink(UNIT_SHEET, note.coordinate, str(note.value))
        layout.view_cells.append(
            ViewCell(
                UNIT_SHEET,
                note.coordinate,
                lambda v: PENDING.format(_complete(v)) if _complete(v) < n else "",
            )
        )


def drop_provisional_mark(wb: Workbook) -> None:
    """评分's title as plain text again (a per-unit file, whose ranking items wait for the cohort)."""
    name = SHEET_NAMES[Role.SCORE]
    found = _TITLE_MARK.match(str(wb[name]["A1"].value)) if name in wb.sheetnames else None
    if found:
        wb[name]["A1"].value = found.group(1).replace('""', '"')
    if UNIT_SHEET in wb.sheetnames:
        for row in wb[UNIT_SHEET].iter_rows(min_col=1, max_col=1):
            if isinstance(row[0].value, str) and row[0].value.startswith("=IF(") and MARK in row[0].value:
                row[0].value = None


def rank_sheet(wb: Workbook, spec: Spec, layout: Layout, sink: Callable[[str, str, str], None]) -> None:
    if not layout.ranked or spec.root.id not in layout.positions:
        return
    n = layout.n_units
    last = FIRST_ROW + n - 1
    ws = wb.create_sheet(RANK_VIEW_SHEET)
    style.title(ws, f"{spec.meta.title}：总分排名")

    def formula(
        row: int, col: int, text: str, expect: Callable[[ViewState], object], fmt: str = "General"
    ) -> None:
        c = ws.cell(row=row, column=col, value=text)
        c.number_format = fmt
        c.border = style.BORDER
        sink(ws.title, c.coordinate, text)
        layout.view_cells.append(ViewCell(ws.title, c.coordinate, expect))

    root = spec.root.id

    units = f"{quote(SHEET_NAMES[Role.INPUT])}!A"
    scores = quote(SHEET_NAMES[Role.SCORE])
    total_col = layout.address(spec.root.id, 0).rstrip("0123456789")
    tot = f"$B${FIRST_ROW}:$B${last}"
    key = f"$D${FIRST_ROW}:$D${last}"
    complete = complete_units(layout)
    if complete is not None:
        formula(
            2,
            1,
            f'=IF({complete}<{n},{_text_formula(RANK_PENDING, complete)},"{FINAL}")',
            lambda v: RANK_PENDING.format(_complete(v)) if _complete(v) < n else FINAL,
        )
        ws["A2"].font = MARK_FONT
        ws["A2"].border = style.Border()
    heads = (
        (1, spec.meta.unit_kind or "单位"),
        (2, "总分"),
        (3, "名次"),
        (6, "排序名次"),
        (7, "单位（按总分排序）"),
        (8, "总分"),
    )
    for col, text in heads:
        style.header(ws, FIRST_ROW - 1, col, text)
    for u in range(n):
        row = FIRST_ROW + u
        formula(row, 1, f"={units}{row}", lambda v, u=u: v.names[u])
        formula(row, 2, f"={scores}!{total_col}{row}", lambda v, u=u: v.cells[u][root], style.SCORE_FORMAT)
        formula(
            row,
            3,
            f'=IF(ISNUMBER(B{row}),1+COUNTIF({tot},">"&B{row}),"")',
            lambda v, u=u: _ranking(v, root)[0][u],
            '"第"0"名"',
        )
        formula(
            row,
            4,
            f'=IF(ISNUMBER(B{row}),C{row}+COUNTIF($B${FIRST_ROW}:B{row},B{row})-1,"")',
            lambda v, u=u: _ranking(v, root)[1][u],
        )
        ws.cell(row=row, column=5, value=u + 1)  # hidden: position k of the sorted table
        found = f"COUNTIF({key},$E{row})=0"
        pick = f"MATCH($E{row},{key},0)"
        formula(
            row,
            6,
            f'=IF({found},"",INDEX($C${FIRST_ROW}:$C${last},{pick}))',
            lambda v, u=u: _sorted(v, root, u, lambda j: _ranking(v, root)[0][j]),
            '"第"0"名"',
        )
        formula(
            row,
            7,
            f'=IF({found},"",INDEX($A${FIRST_ROW}:$A${last},{pick}))',
            lambda v, u=u: _sorted(v, root, u, lambda j: v.names[j]),
        )
        formula(
            row,
            8,
            f'=IF({found},"",INDEX({tot},{pick}))',
            lambda v, u=u: _sorted(v, root, u, lambda j: v.cells[j][root]),
            style.SCORE_FORMAT,
        )
    for col, width in zip("ABCDEFGH", (16, 10, 8, 4, 4, 10, 20, 10), strict=True):
        ws.column_dimensions[col].width = width
    for col in "DE":
        ws.column_dimensions[col].hidden = True

    chart = BarChart()
    chart.type = "bar"  # horizontal bars: the first (highest) unit at the top
    chart.title = "各单位总分（按总分排序）"
    chart.y_axis.title = "分"
    chart.x_axis.scaling.orientation = "maxMin"
    chart.add_data(Reference(ws, min_col=8, min_row=FIRST_ROW - 1, max_row=last), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=7, min_row=FIRST_ROW, max_row=last))
    chart.dataLabels = DataLabelList()
    chart.dataLabels.showVal = True
    chart.legend = None
    chart.height = max(6.0, 0.7 * n + 2)
    chart.width = 16
    ws.add_chart(chart, f"A{last + 2}")
    # Reach below the chart with an (empty) cell so the print area, taken from the used range, holds it.
    ws.cell(row=last + 3 + math.ceil(chart.height * 28.35 / 15), column=8).border = style.Border()
    style.finish_sheet(ws, freeze=f"A{FIRST_ROW}", landscape=False)
