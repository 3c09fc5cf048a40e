"""单位评分表: one unit's scores printed vertically (指标 | 满分 | 得分 | 扣分说明) for cohort rubrics.

The evaluator picks a unit from a dropdown; every row reads that unit's cells on 评分 and
扣分说明 with INDEX. All rows of a column share one relative formula (the source column offset
sits in a hidden column), so the formula index keeps one block per column.
"""

from __future__ import annotations

from collections.abc import Callable

from openpyxl import Workbook
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from xlcalc.cells import Role
from xlcalc.spec.model import Spec
from xlcalc.workbook import fit, style
from xlcalc.workbook.layout import FIRST_ROW, SHEET_NAMES, UNIT_COL, Layout, ViewCell, ViewState, quote

UNIT_SHEET = "单位评分表"
# Functions the view sheets use beyond the rule IR's: portable to Excel 2010, WPS, LibreOffice
# and the `formulas` engine (no dynamic arrays).
VIEW_FUNCTIONS = frozenset({"INDEX", "MATCH"})  # also used by 排名 (rankview)
_PICK = "$E$2"
MIDDLE_WRAP = Alignment(
    wrap_text=True, vertical="center"
)  # hidden: the picked unit's row number among the units


def _picked_cell(cell_id: str) -> Callable[[ViewState], object]:
    """What a row shows: the picked unit's value of the cell, blank while no unit is picked."""
    return lambda v: "" if v.picked is None else v.cells[v.picked][cell_id]


def unit_sheet(wb: Workbook, spec: Spec, layout: Layout, sink: Callable[[str, str, str], None]) -> None:
    if not layout.ranked or not layout.role_cells[Role.SCORE]:
        return
    n = layout.n_units
    ws = wb.create_sheet(UNIT_SHEET)
    style.title(ws, f"{spec.meta.title}：单位评分表")
    ws.cell(
        row=2, column=1, value=f"{spec.meta.unit_kind or '单位'}（从下拉列表选择）"
    ).font = style.HEADER_FONT
    names = f"{quote(SHEET_NAMES[Role.INPUT])}!$A${FIRST_ROW}:$A${FIRST_ROW + n - 1}"
    pick = ws.cell(row=2, column=2, value=None)
    pick.protection = style.UNLOCKED
    pick.fill = style.INPUT_FILL
    pick.border = style.BORDER
    ws.merge_cells("B2:D2")
    dv = DataValidation(type="list", formula1=names, allow_blank=True)
    dv.promptTitle = "选择单位"
    dv.prompt = "从下拉列表选择要打印的单位"
    dv.showInputMessage = True
    dv.showErrorMessage = True
    dv.error = "请从下拉列表选择单位"
    ws.add_data_validation(dv)
    dv.add("B2")

    def formula(row: int, col: int, text: str, expect: Callable[[ViewState], object]) -> None:
        c = ws.cell(row=row, column=col, value=text)
        sink(ws.title, c.coordinate, text)
        layout.view_cells.append(ViewCell(ws.title, c.coordinate, expect))

    layout.view_pickers.append((ws.title, "B2"))
    formula(2, 5, f'=IF(B2="","",MATCH(B2,{names},0))', lambda v: "" if v.picked is None else v.picked + 1)
    for col, text in enumerate(("指标", "满分", "得分", "扣分说明"), start=1):
        style.header(ws, FIRST_ROW - 1, col, text)

    scores = [c for c in layout.role_cells[Role.SCORE] if c.kind in ("score", "indicator")]
    root = spec.root.id
    scores = [c for c in scores if c.id != root] + [c for c in scores if c.id == root]
    levels = {node.id: node.level for node in spec.nodes()}
    explain = {c.node: c for c in layout.role_cells[Role.EXPLAIN] if c.kind == "explanation"}
    last_row = FIRST_ROW + n - 1

    def block(role: Role) -> str:
        cells = layout.role_cells[role]
        last_col = get_column_letter(UNIT_COL + len(cells))
        return f"{quote(SHEET_NAMES[role])}!$B${FIRST_ROW}:${last_col}${last_row}"

    score_block, explain_block = block(Role.SCORE), block(Role.EXPLAIN)
    for k, cell in enumerate(scores):
        row = FIRST_ROW + k
        label = "　" * max(levels.get(cell.node or "", 1) - 1, 0) + cell.label
        ws.cell(row=row, column=1, value=label).alignment = MIDDLE_WRAP
        ws.cell(row=row, column=2, value=cell.max_points).number_format = '0.##"分"'
        ws.cell(row=row, column=5, value=layout.row_col(cell.id, 0)[1] - UNIT_COL)
        why = explain.get(cell.node or "")
        if why is not None and cell.kind == "score":
            ws.cell(row=row, column=6, value=layout.row_col(why.id, 0)[1] - UNIT_COL)
        formula(
            row, 3, f'=IF(ISNUMBER({_PICK}),INDEX({score_block},{_PICK},$E{row}),"")', _picked_cell(cell.id)
        )
        shows_why = why is not None and cell.kind == "score"
        formula(
            row,
            4,
            f'=IF(OR(NOT(ISNUMBER({_PICK})),$F{row}=""),"",INDEX({explain_block},{_PICK},$F{row}))',
            _picked_cell(why.id) if shows_why and why is not None else lambda v: "",
        )
        ws.cell(row=row, column=3).number_format = style.SCORE_FORMAT
        ws.cell(row=row, column=4).alignment = MIDDLE_WRAP
        for col in (2, 3):
            ws.cell(row=row, column=col).alignment = Alignment(vertical="center")
        for col in range(1, 5):
            ws.cell(row=row, column=col).border = style.BORDER
        if cell.id == root:
            for col in range(1, 5):
                ws.cell(row=row, column=col).fill = style.TOTAL_FILL
    for col, width in zip("ABCD", (26, 6, 9, 40), strict=True):
        ws.column_dimensions[col].width = width
    for col in "EF":
        ws.column_dimensions[col].hidden = True
    # Explanations are formulas: size each row from its explanation formula's text (2–5 lines).
    explain_ws = wb[SHEET_NAMES[Role.EXPLAIN]]
    for k, cell in enumerate(scores):
        why = explain.get(cell.node or "")
        if cell.kind == "score" and why is not None:
            row, col = layout.row_col(why.id, 0)
            f = explain_ws.cell(row=row, column=col).value
            lines = fit.lines_needed(fit.formula_text(f, share=2) if isinstance(f, str) else "", 40)
            ws.row_dimensions[FIRST_ROW + k].height = min(max(lines, 2), 5) * fit.LINE_PT
    style.finish_sheet(ws, title_rows=f"1:{FIRST_ROW - 1}", landscape=False)
