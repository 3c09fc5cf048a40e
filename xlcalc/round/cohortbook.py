"""The cohort workbook ``collect`` writes: a fresh build for every unit of the rubric (live
formulas, so ranking runs over the real cohort), the evaluator's parameters, a 汇总 sheet sorted by
total and a 问题清单 sheet; the collected inputs are written in by :mod:`xlcalc.round.cohortxml`.

A value that had a problem is not written: its cell stays blank and the formulas show 待填.
汇总 reads the 排名 sheet's sort with INDEX/MATCH (portable to Excel 2010, WPS and LibreOffice).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from xlcalc.cells import Role
from xlcalc.lowering import GRADE, STATUS
from xlcalc.round.cohortxml import CohortPackage
from xlcalc.spec.model import Spec
from xlcalc.workbook import sheets, style
from xlcalc.workbook.build import Compiled, build_workbook
from xlcalc.workbook.layout import FIRST_ROW, PARAM_SHEET, SHEET_NAMES, Layout, quote
from xlcalc.workbook.rankview import RANK_VIEW_SHEET

SUMMARY_SHEET = "汇总"
PROBLEM_SHEET = "问题清单"
PROBLEM_HEADS = ("文件", "工作表", "单元格", "问题", "单位")
_RANK_FORMAT = '"第"0"名"'


def build_cohort(spec: Spec, params: Mapping[str, Any]) -> CohortPackage:
    """The cohort workbook before anything is collected, serialized (slow for thousands of units:
    ``collect`` runs this while the returned files are being read)."""
    compiled = build_workbook(spec, list(spec.meta.units))
    wb = compiled.workbook
    for name, row in sheets.param_rows(spec, compiled.params_used).items():
        wb[PARAM_SHEET].cell(row=row, column=2).value = params[name]
    problem_ws = _problem_sheet(compiled)
    summary = _summary_sheet(compiled)
    wb.move_sheet(summary, 1 - wb.sheetnames.index(SUMMARY_SHEET))
    wb.move_sheet(problem_ws, 2 - wb.sheetnames.index(PROBLEM_SHEET))
    wb.active = 1
    return CohortPackage(compiled, PROBLEM_SHEET)


def _score_columns(lay: Layout, spec: Spec) -> list[tuple[str, str, float | None]]:
    """(label, column letter on 评分, full marks) of every item score, the total excluded."""
    out = []
    for cell in lay.role_cells[Role.SCORE]:
        if cell.kind in ("score", "indicator") and cell.id != spec.root.id:
            letter = get_column_letter(lay.row_col(cell.id, 0)[1])
            out.append((cell.label, letter, cell.max_points))
    return out


def _summary_sheet(compiled: Compiled) -> Worksheet:
    wb, lay, spec = compiled.workbook, compiled.layout, compiled.spec
    ws = wb.create_sheet(SUMMARY_SHEET)
    n = lay.n_units
    last = FIRST_ROW + n - 1
    style.title(ws, f"{spec.meta.title}：汇总（按总分排序）")
    ws.cell(row=2, column=1, value="有问题的数值已留空（待填），未作更正；问题见“问题清单”。")
    items = _score_columns(lay, spec)
    heads = ["名次", spec.meta.unit_kind or "单位", "总分", "等级", "填报状态", "问题数"]
    heads += [f"{label}（满分{pts:g}分）" if pts else label for label, _, pts in items]
    helper = len(heads) + 1
    for col, text in enumerate(heads, start=1):
        style.header(ws, FIRST_ROW - 1, col, text)
    rank = quote(RANK_VIEW_SHEET)
    scores = quote(SHEET_NAMES[Role.SCORE])
    names = f"{quote(SHEET_NAMES[Role.INPUT])}!$A${FIRST_ROW}:$A${last}"
    problems = f"{quote(PROBLEM_SHEET)}!$E:$E"  # filled in after this sheet is written (cohortxml)
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


def _problem_sheet(compiled: Compiled) -> Worksheet:
    """Headers and one placeholder row; :mod:`xlcalc.round.cohortxml` writes the problems over it
    with the placeholder's style (wrapped text)."""
    ws = compiled.workbook.create_sheet(PROBLEM_SHEET)
    style.title(ws, "问题清单：汇总时发现的问题（有问题的数值已留空待填，未作任何更正）")
    for col, text in enumerate(PROBLEM_HEADS, start=1):
        style.header(ws, FIRST_ROW - 1, col, text)
    for col in range(1, len(PROBLEM_HEADS) + 1):
        ws.cell(row=FIRST_ROW, column=col, value="无" if col == 1 else None).alignment = style.WRAP
    for col, width in zip("ABCDE", (28, 16, 10, 70, 14), strict=True):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = f"A{FIRST_ROW}"
    return ws
