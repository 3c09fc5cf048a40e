"""The data sheets: 填报 (inputs), list sheets, 中间计算, 评分, 扣分说明 and 排名, all written
from the layout so every formula is compiled from the cell graph."""

from __future__ import annotations

from collections.abc import Callable

from openpyxl import Workbook
from openpyxl.cell.cell import Cell as OpenpyxlCell
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from xlcalc import ir
from xlcalc.cells import Cell, Role
from xlcalc.excelgen import ExcelGenerator
from xlcalc.spec.model import InputDef, Spec
from xlcalc.workbook import fit, form, style
from xlcalc.workbook.layout import FIRST_ROW, FORM_VALUE_COL, SHEET_NAMES, UNIT_COL, Layout, quote
from xlcalc.workbook.validation import input_roles, input_validation, list_validation, unit_text

SHEET_TITLES = {
    Role.INPUT: "填报：请在黄色单元格中填写",
    Role.DERIVED: "中间计算：由公式自动计算的比率、档数与原始得分",
    Role.SCORE: "评分：各细则、指标、小计与总分（公式自动计算）",
    Role.EXPLAIN: "扣分说明：每条细则的扣分与计算过程（公式自动生成）",
    Role.RANK: "排名计算：排名项的中间量（隐藏）",
}

FormulaSink = Callable[[str, str, str], None]
ROW_MARKER = "\x00"  # stands for the current unit's row in a formula template


# Monitoring status colours: green 正常, yellow 轻微偏差, red 严重偏差 (conditional formats survive
# LibreOffice and WPS round trips).
_STATUS_FILLS = (("正常", "C6EFCE"), ("轻微偏差", "FFEB9C"), ("严重偏差", "FFC7CE"))


def _traffic_light(ws: Worksheet, coordinate: str) -> None:
    for status, colour in _STATUS_FILLS:
        fill = PatternFill("solid", start_color=colour, end_color=colour, bgColor=colour)
        ws.conditional_formatting.add(
            coordinate, CellIsRule(operator="equal", formula=[f'"{status}"'], fill=fill)
        )


def _label_with_unit(inp: InputDef) -> str:
    if inp.is_bool:
        return f"{inp.label}（是/否）"
    if inp.is_percent:
        return f"{inp.label}（%）"
    return f"{inp.label}（{inp.unit}）" if inp.unit else inp.label


class TableWriter:
    """Writes the role sheets of one workbook."""

    def __init__(self, wb: Workbook, spec: Spec, layout: Layout, units: list[str], sink: FormulaSink) -> None:
        self.wb = wb
        self.spec = spec
        self.layout = layout
        self.units = units
        self.sink = sink
        self.inputs = {i.id: i for i in spec.inputs}
        self.roles = input_roles(spec)
        self._templates: dict[str, list[str]] = {}
        self._setters: dict[tuple[str, str], Callable] = {}

    def _styler(self, kind: str, fmt: str) -> Callable:
        key = (kind, fmt)
        if key not in self._setters:
            self._setters[key] = style.style_setter(self.wb, kind, fmt)
        return self._setters[key]

    # ---- helpers ------------------------------------------------------------------------
    def _sheet(self, name: str, title: str) -> Worksheet:
        ws = self.wb.create_sheet(name)
        style.title(ws, title, self.spec.meta.title)
        return ws

    def _unit_names(self, ws: Worksheet, from_inputs: bool) -> None:
        """Ranked layout: column A lists the units (typed on 填报, referenced elsewhere)."""
        style.header(ws, FIRST_ROW - 1, UNIT_COL, self.spec.meta.unit_kind or "单位")
        ws.column_dimensions["A"].width = 14
        for u, name in enumerate(self.units):
            row = FIRST_ROW + u
            c = ws.cell(row=row, column=UNIT_COL)
            if from_inputs:
                c.value = name
                c.style = style.named_style(self.wb, "input", "@")
            else:
                c.value = f"={quote(SHEET_NAMES[Role.INPUT])}!A{row}"
                c.style = style.named_style(self.wb, "formula", "@")
                self.sink(ws.title, c.coordinate, c.value)

    def _formula(self, ws: Worksheet, cell: Cell, unit: int) -> None:
        assert cell.expr is not None
        row, col = self.layout.row_col(cell.id, unit)
        c = ws.cell(row=row, column=col, value=self._formula_text(ws.title, cell, unit))
        is_score = cell.role is Role.SCORE and cell.kind in ("score", "indicator")
        fmt = style.number_format(cell.fmt, is_score or cell.kind == "deduction")
        kind = cell.kind if cell.kind in ("explanation", "indicator") else "formula"
        self._styler(kind, fmt)(c)
        if cell.kind == "monitor":
            _traffic_light(ws, c.coordinate)
        self.sink(ws.title, c.coordinate, c.value)

    def _formula_text(self, sheet: str, cell: Cell, unit: int) -> str:
        """Formula of a cell for one unit.

        In the ranked layout every unit's formula is the first unit's with its own row, so the
        generator runs once per cell with a row marker and each unit fills in its row number (the
        formula text still comes from the generator alone, never from editing formulas).
        """
        assert cell.expr is not None
        if not self.layout.ranked:
            return ExcelGenerator(self.layout.resolver(sheet, unit)).formula(cell.expr)
        parts = self._templates.get(cell.id)
        if parts is None:
            resolver = self.layout.resolver(sheet, 0)
            resolver.row_marker = ROW_MARKER
            parts = ExcelGenerator(resolver).formula(cell.expr).split(ROW_MARKER)
            self._templates[cell.id] = parts
        return str(FIRST_ROW + unit).join(parts)

    def _headers(self, ws: Worksheet, cells: list[Cell], sub: Callable[[Cell], str]) -> None:
        """Column headers (ranked) or row labels (form) for a role sheet."""
        if self.layout.ranked:
            for k, cell in enumerate(cells):
                col = UNIT_COL + 1 + k
                style.header(ws, FIRST_ROW - 2, col, sub(cell))
                style.header(ws, FIRST_ROW - 1, col, cell.label)
                width = 36 if cell.kind == "explanation" else 14
                ws.column_dimensions[get_column_letter(col)].width = width
        else:
            for text, col in (("编号", 1), ("项目", 2), ("说明", 3), ("数值", FORM_VALUE_COL)):
                style.header(ws, FIRST_ROW - 1, col, text)
            for k, cell in enumerate(cells):
                row = FIRST_ROW + k
                # Column A keeps the internal id for tools; it is hidden and never printed.
                ws.cell(row=row, column=1, value=cell.node or cell.id).border = style.BORDER
                ws.cell(row=row, column=2, value=cell.label).border = style.BORDER
                ws.cell(row=row, column=3, value=sub(cell)).border = style.BORDER
                ws.cell(row=row, column=2).alignment = style.WRAP
                ws.cell(row=row, column=3).alignment = style.WRAP
            ws.column_dimensions["A"].hidden = True
            fit.fit_columns(ws, FIRST_ROW, {"B": (16, 40), "C": (8, 30)})
            wide = any(c.kind == "explanation" for c in cells) or any(
                self.inputs[c.id].is_text for c in cells if c.id in self.inputs
            )
            ws.column_dimensions[get_column_letter(FORM_VALUE_COL)].width = 50 if wide else 16

    def _freeze(self) -> str:
        return f"B{FIRST_ROW}" if self.layout.ranked else f"A{FIRST_ROW}"

    # ---- sheets -------------------------------------------------------------------------
    def inputs_sheet(self) -> None:
        if self.layout.input_positions:
            self.form_sheet()
            return
        ws = self._sheet(SHEET_NAMES[Role.INPUT], SHEET_TITLES[Role.INPUT])
        cells = self.layout.role_cells[Role.INPUT]

        def sub(cell: Cell) -> str:
            inp = self.inputs[cell.id]
            src = f"；数据来源：{inp.source}" if inp.source else ""
            unit = unit_text(inp)
            return (unit + src).lstrip("；") if not self.layout.ranked else unit

        self._headers(ws, cells, sub)
        if self.layout.ranked:
            self._unit_names(ws, from_inputs=True)
            for k, cell in enumerate(cells):
                ws.cell(
                    row=FIRST_ROW - 1, column=UNIT_COL + 1 + k, value=_label_with_unit(self.inputs[cell.id])
                )
        for cell in cells:
            inp = self.inputs[cell.id]
            dv = input_validation(inp, self.roles.get(cell.id))
            ws.add_data_validation(dv)
            apply = self._styler("input-text" if inp.is_text else "input", style.number_format(cell.fmt))
            for u in range(self.layout.n_units):
                row, col = self.layout.row_col(cell.id, u)
                apply(ws.cell(row=row, column=col))
                if self.layout.ranked:  # a value meta.units fixes for the unit (单位层级)
                    fixed = self.spec.meta.fixed_values(self.units[u]).get(cell.id)
                    if fixed is not None:
                        ws.cell(row=row, column=col).value = fixed
            first = self.layout.address(cell.id, 0)
            last = self.layout.address(cell.id, self.layout.n_units - 1)
            dv.add(f"{first}:{last}" if first != last else first)
        style.finish_sheet(ws, freeze=self._freeze())

    def form_sheet(self) -> None:
        """The national 项目支出绩效自评表, its inputs typed into the form's own cells."""
        ws = self.wb.create_sheet(SHEET_NAMES[Role.INPUT])
        fmt = {c.id: c.fmt for c in self.layout.role_cells[Role.INPUT]}

        def style_input(input_id: str, row: int, col: int) -> None:
            inp = self.inputs[input_id]
            c = ws.cell(row=row, column=col)
            self._styler("input-text" if inp.is_text else "input", style.number_format(fmt[input_id]))(c)
            dv = input_validation(inp, self.roles.get(input_id))
            ws.add_data_validation(dv)
            dv.add(c.coordinate)

        gen = ExcelGenerator(self.layout.resolver(ws.title, 0))

        def shown(cell: OpenpyxlCell, expr: ir.Expr) -> None:
            cell.value = gen.formula(expr)
            self.sink(ws.title, cell.coordinate, cell.value)
            self.layout.display_cells.append((ws.title, cell.coordinate, expr))

        form.write_form(ws, self.spec, self.layout.input_positions, style_input, shown)
        style.finish_sheet(ws, title_rows=f"{form.TABLE_ROW}:{form.TABLE_ROW}", landscape=False)

    def list_sheets(self) -> None:
        for li in self.layout.graph.lists:
            name = self.layout.list_sheets[li.id]
            ws = self._sheet(name, f"{li.label}（{li.unit}）：每个单元格填一项，最多{li.capacity}项")
            dv = list_validation(li.label, li.unit, li.lo, li.hi, li.integer)
            ws.add_data_validation(dv)
            if self.layout.ranked:
                self._unit_names(ws, from_inputs=False)
                for j in range(li.capacity):
                    style.header(ws, FIRST_ROW - 1, 2 + j, f"第{j + 1}项")
                    ws.column_dimensions[get_column_letter(2 + j)].width = 8
            else:
                style.header(ws, FIRST_ROW - 1, 1, "序号")
                style.header(ws, FIRST_ROW - 1, 2, f"{li.label}（{li.unit}）")
                ws.column_dimensions["B"].width = 24
                for j in range(li.capacity):
                    ws.cell(row=FIRST_ROW + j, column=1, value=j + 1)
            apply = self._styler("input", "General")
            _, first = self.layout.list_range(li.id, 0)
            _, last = self.layout.list_range(li.id, self.layout.n_units - 1)
            dv.add(f"{first.split(':')[0]}:{last.split(':')[1]}")
            if self.layout.ranked:
                # One row format per unit instead of a styled cell per item: a list row of 200
                # items × 3,000 units would otherwise be 600,000 empty cells in the file.
                # Column A keeps its own (locked) cell style.
                for u in range(self.layout.n_units):
                    dim = ws.row_dimensions[FIRST_ROW + u]
                    dim.fill = style.INPUT_FILL
                    dim.protection = style.UNLOCKED
                    dim.border = style.BORDER
            else:
                _, rng = self.layout.list_range(li.id, 0)
                for row in ws[rng]:
                    for c in row:
                        apply(c)
            style.finish_sheet(ws, freeze=self._freeze())

    def computed_sheet(self, role: Role, sub: Callable[[Cell], str]) -> Worksheet | None:
        cells = self.layout.role_cells[role]
        if not cells:
            return None
        ws = self._sheet(SHEET_NAMES[role], SHEET_TITLES[role])
        self._headers(ws, cells, sub)
        if self.layout.ranked:
            self._unit_names(ws, from_inputs=False)
        for cell in cells:
            for u in range(self.layout.n_units):
                self._formula(ws, cell, u)
        style.finish_sheet(ws, freeze=self._freeze())
        return ws
