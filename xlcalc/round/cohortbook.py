"""The cohort workbook ``collect`` writes: a fresh build for every unit of the rubric with the
collected inputs typed in (live formulas, so ranking runs over the real cohort), the evaluator's
parameters, a 汇总 sheet sorted by total and a 问题清单 sheet.

A value that had a problem is not written: its cell stays blank and the formulas show 待填.
汇总 reads the 排名 sheet's sort with INDEX/MATCH (portable to Excel 2010, WPS and LibreOffice).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from xlcalc.cells import Role
from xlcalc.lowering import GRADE, STATUS
from xlcalc.round.returned import Problem
from xlcalc.spec.model import Spec
from xlcalc.workbook import sheets, style
from xlcalc.workbook.build import Compiled, build_workbook, workbook_bytes
from xlcalc.workbook.layout import FIRST_ROW, PARAM_SHEET, SHEET_NAMES, Layout, quote
from xlcalc.workbook.rankview import RANK_VIEW_SHEET

SUMMARY_SHEET = "汇总"
PROBLEM_SHEET = "问题清单"
PROBLEM_HEADS = ("文件", "工作表", "单元格", "问题", "单位")
_RANK_FORMAT = '"第"0"名"'


def build_cohort(spec: Spec) -> Compiled:
    """The empty cohort workbook (slow for thousands of units: ``collect`` builds it while the
    returned files are being read)."""
    return build_workbook(spec, list(spec.meta.units))


def fill_cohort(
    compiled: Compiled,
    values: Mapping[str, Mapping[str, Any]],
    params: Mapping[str, Any],
    problems: Sequence[Problem],
) -> None:
    """Type every unit's accepted values and the parameters in, then add 汇总 and 问题清单."""
    wb, lay, spec = compiled.workbook, compiled.layout, compiled.spec
    inputs_ws = wb[SHEET_NAMES[Role.INPUT]]
    input_cells = lay.role_cells[Role.INPUT]
    lists = {li.id: li for li in lay.graph.lists}
    for u, unit in enumerate(compiled.units):
        got = values.get(unit)
        if not got:
            continue
        for cell in input_cells:
            v = got.get(cell.id)
            if v is not None:
                inputs_ws.cell(*lay.row_col(cell.id, u)).value = v
        for lid in lists:
            items = got.get(lid) or []
            if items:
                sheet, rng = lay.list_range(lid, u)
                ws = wb[sheet]
                row = lay.unit_row(u)
                for k, item in enumerate(items[: lists[lid].capacity]):
                    ws.cell(row=row, column=2 + k).value = item
    for name, row in sheets.param_rows(spec, compiled.params_used).items():
        wb[PARAM_SHEET].cell(row=row, column=2).value = params[name]
    problem_ws = _problem_sheet(compiled, problems)
    summary = _summary_sheet(compiled, len(problems))
    wb.move_sheet(summary, 1 - wb.sheetnames.index(SUMMARY_SHEET))
    wb.move_sheet(problem_ws, 2 - wb.sheetnames.index(PROBLEM_SHEET))
    wb.active = 1


def save_cohort(compiled: Compiled, path: Path) -> Path:
    """Written as openpyxl saves it: the fixed-timestamp repacking of templates (3.6 s of CPU for
    3,000 units) buys nothing for a one-off result."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(workbook_bytes(compiled))
    tmp.replace(path)  # a half-written file never replaces a good one
    return path


def _score_columns(lay: Layout, spec: Spec) -> list[tuple[str, str, float | None]]:
    """(label, column letter on 评分, full marks) of every item score, the total excluded."""
    out = []
    for cell in lay.role_cells[Role.SCORE]:
        if cell.kind in ("score", "indicator") and cell.id != spec.root.id:
            letter = get_column_letter(lay.row_col(cell.id, 0)[1])
            out.append((cell.label, letter, cell.max_points))
    return out


def _summary_sheet(compiled: Compiled, n_problems: int) -> Worksheet:
    wb, lay, spec = compiled.workbook, compiled.layout, compiled.spec
    ws = wb.create_sheet(SUMMARY_SHEET)
    n = lay.n_units
    last = FIRST_ROW + n - 1
    style.title(ws, f"{spec.meta.title}：汇总（按总分排序）")
    ws.cell(row=2, column=1, value=f"问题清单共{n_problems}处；有问题的数值已留空（待填），未作更正。")
    items = _score_columns(lay, spec)
    heads = ["名次", spec.meta.unit_kind or "单位", "总分", "等级", "填报状态", "问题数"]
    heads += [f"{label}（满分{pts:g}分）" if pts else label for label, _, pts in items]
    helper = len(heads) + 1
    for col, text in enumerate(heads, start=1):
        style.header(ws, FIRST_ROW - 1, col, text)
    rank = quote(RANK_VIEW_SHEET)
    scores = quote(SHEET_NAMES[Role.SCORE])
    names = f"{quote(SHEET_NAMES[Role.INPUT])}!$A${FIRST_ROW}:$A${last}"
    problems = f"{quote(PROBLEM_SHEET)}!$E${FIRST_ROW}:$E${FIRST_ROW + max(n_problems, 1) - 1}"
    h = get_column_letter(helper)

    def pick(letter: str, row: int) -> str:
        return f'=IF(${h}{row}="","",INDEX({scores}!${letter}${FIRST_ROW}:${letter}${last},${h}{row}))'

    grade = get_column_letter(lay.row_col(GRADE, 0)[1]) if GRADE in lay.positions else None
    status = get_column_letter(lay.row_col(STATUS, 0)[1]) if STATUS in lay.positions else None
    for k in range(n):
        row = FIRST_ROW + k
        ws.cell(row=row, column=1, value=f"={rank}!F{row}").number_format = _RANK_FORMAT
        ws.cell(row=row, column=2, value=f"={rank}!G{row}")
        ws.cell(row=row, column=3, value=f"={rank}!H{row}").number_format = style.SCORE_FORMAT
        ws.cell(row=row, column=4, value=pick(grade, row) if grade else "")
        ws.cell(row=row, column=5, value=pick(status, row) if status else "")
        ws.cell(row=row, column=6, value=f'=IF($B{row}="","",COUNTIF({problems},$B{row}))')
        for j, (_, letter, _) in enumerate(items):
            ws.cell(row=row, column=7 + j, value=pick(letter, row)).number_format = style.SCORE_FORMAT
        ws.cell(row=row, column=helper, value=f'=IF($B{row}="","",MATCH($B{row},{names},0))')
    ws.column_dimensions[h].hidden = True
    ws.column_dimensions["B"].width = 16
    for j in range(len(heads) - 2):
        ws.column_dimensions[get_column_letter(3 + j)].width = 11
    ws.freeze_panes = f"C{FIRST_ROW}"
    return ws


def _problem_sheet(compiled: Compiled, problems: Sequence[Problem]) -> Worksheet:
    ws = compiled.workbook.create_sheet(PROBLEM_SHEET)
    style.title(ws, "问题清单：汇总时发现的问题（有问题的数值已留空待填，未作任何更正）")
    for col, text in enumerate(PROBLEM_HEADS, start=1):
        style.header(ws, FIRST_ROW - 1, col, text)
    if not problems:
        ws.cell(row=FIRST_ROW, column=1, value="无")
    for k, p in enumerate(problems):
        for col, value in enumerate(p.row() + [p.unit], start=1):
            # Text from returned files is data: a message quoting a formula stays text.
            c = ws.cell(row=FIRST_ROW + k, column=col, value=value)
            c.data_type = "s"
            c.alignment = style.WRAP
    for col, width in zip("ABCDE", (28, 16, 10, 70, 14), strict=True):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = f"A{FIRST_ROW}"
    return ws
