"""Compile one spec into a workbook: sheets in a fixed order, every score a live formula.

``build_workbook`` returns the openpyxl Workbook plus the layout (the verifier needs both to
know where inputs go and which cells to compare); ``write_workbook`` saves it deterministically.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from io import BytesIO
from pathlib import Path

from openpyxl import Workbook
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string, get_column_letter
from openpyxl.workbook.properties import CalcProperties

from xlcalc import ir
from xlcalc.cells import Cell, CellGraph, Role
from xlcalc.errors import Diagnostic, SpecError
from xlcalc.excelgen import MAX_FORMULA
from xlcalc.lowering import lower
from xlcalc.spec.model import Spec
from xlcalc.workbook import fit, rankview, sheets, style, unitsheet
from xlcalc.workbook.layout import FIRST_ROW, Layout
from xlcalc.workbook.package import write_normalized
from xlcalc.workbook.tables import TableWriter


@dataclass
class Compiled:
    spec: Spec
    graph: CellGraph
    layout: Layout
    units: list[str]
    workbook: Workbook
    formula_blocks: list[tuple[str, str, str]]

    # Computed once when many returned files are checked against one expected workbook (collect).
    @cached_property
    def params_used(self) -> set[str]:
        return used_params(self.graph)

    @cached_property
    def formula_cells(self) -> list[tuple[str, int, int, str]]:
        """(sheet, row, column, formula) of every formula cell, sheet by sheet, row by row."""
        return [
            (ws.title, c.row, c.column, c.value)
            for ws in self.workbook.worksheets
            for row in ws.iter_rows()
            for c in row
            if isinstance(c.value, str) and c.value.startswith("=")
        ]


def default_units(spec: Spec) -> list[str]:
    return list(spec.meta.units) if spec.meta.ranked else [spec.meta.unit_kind or "本项目"]


def used_params(graph: CellGraph) -> set[str]:
    return {
        n.name for c in graph.cells if c.expr is not None for n in ir.walk(c.expr) if isinstance(n, ir.Param)
    }


def _score_sub(cell: Cell) -> str:
    if cell.kind in ("score", "indicator") and cell.max_points:  # a monitoring table scores nothing
        return f"满分{cell.max_points:g}分"
    return {"status": "状态", "grade": "等级"}.get(cell.kind, "")


def _explain_sub(cell: Cell) -> str:
    return {"deduction": "扣分", "explanation": "说明"}.get(cell.kind, "")


def _derived_sub(cell: Cell) -> str:
    return {"derived": "派生量", "helper": "中间量", "status": "状态"}.get(cell.kind, "")


def build_workbook(spec: Spec, units: list[str] | None = None) -> Compiled:
    graph = lower(spec)
    units = units if units is not None else default_units(spec)
    layout = Layout(graph, spec.meta.ranked, len(units), spec=spec)
    wb = Workbook()
    wb.remove(wb.active)
    formula_cells: list[tuple[str, int, int, str]] = []

    def sink(sheet: str, coord: str, formula: str) -> None:
        letters, row = coordinate_from_string(coord)
        formula_cells.append((sheet, row, column_index_from_string(letters), formula))

    sheets.params_sheet(wb, spec, used_params(graph))
    writer = TableWriter(wb, spec, layout, units, sink)
    writer.inputs_sheet()
    writer.list_sheets()
    writer.computed_sheet(Role.SCORE, _score_sub)
    writer.computed_sheet(Role.EXPLAIN, _explain_sub)
    if not layout.ranked and any(n.self_score for n in spec.nodes()):
        sheets.audit_sheet(wb, spec, layout, sink)
    unitsheet.unit_sheet(wb, spec, layout, sink)
    rankview.rank_sheet(wb, spec, layout, sink)
    rankview.mark_provisional(wb, layout, sink)
    rank_ws = writer.computed_sheet(Role.RANK, lambda c: "排名依据")
    if rank_ws is not None:
        rank_ws.sheet_state = "hidden"  # helper columns (0/1 flags, raw ratios) of ranking items
    derived_ws = writer.computed_sheet(Role.DERIVED, _derived_sub)
    if derived_ws is not None:
        derived_ws.sheet_state = "hidden"  # raw intermediate values (117.8947…), not for users
    sheets.rule_text_sheet(wb, spec)
    blocks = formula_blocks(formula_cells, layout.ranked)
    sheets.formula_index_sheet(wb, blocks)
    sheets.spec_sheet(wb, spec)
    sheets.guide_sheet(wb, spec, layout)
    _text_is_never_a_formula(wb, formula_cells)
    _print_setup(wb, spec)
    problems = excel_limit_problems(wb, formula_cells)
    if problems:
        raise SpecError([Diagnostic("error", p, spec.file) for p in problems])
    # Store no cached values and ask every engine for a full recalculation on load.
    wb.calculation = CalcProperties(fullCalcOnLoad=True)
    wb.active = wb.sheetnames.index("填报") if "填报" in wb.sheetnames else 0
    return Compiled(spec, graph, layout, units, wb, blocks)


def _print_setup(wb: Workbook, spec: Spec) -> None:
    """Row heights that show wrapped text whole, then the print set-up of every visible sheet."""
    for ws in wb.worksheets:
        prefs = getattr(ws, style.PRINT_ATTR, None)
        if ws.sheet_state != "visible" or prefs is None:
            continue
        title_rows, title_cols, landscape = prefs
        fit.fit_rows(ws, 1)
        fit.print_setup(
            ws,
            title=spec.meta.title,
            issuer=spec.meta.issuer,
            title_rows=title_rows,
            title_cols=title_cols,
            landscape=landscape,
        )


def _text_is_never_a_formula(wb: Workbook, formulas: list[tuple[str, int, int, str]]) -> None:
    """Only the compiler's own formulas are formulas: any other text that openpyxl took for one (a unit
    name, label or title starting with "=", e.g. a DDE ``=cmd|'/c calc'!A1``) is written as a string."""
    compiled = {(sheet, row, col) for sheet, row, col, _ in formulas}
    for ws in wb.worksheets:
        for (row, col), c in ws._cells.items():
            if c.data_type == "f" and (ws.title, row, col) not in compiled:
                c.data_type = "s"


MAX_ROWS, MAX_COLUMNS, MAX_CELL_TEXT = 1_048_576, 16_384, 32_767


def excel_limit_problems(wb: Workbook, formulas: list[tuple[str, int, int, str]]) -> list[str]:
    """Where a built workbook exceeds what Excel can open: formula length, text length, sheet size."""
    problems: list[str] = []
    long_columns: set[tuple[str, int]] = set()
    for sheet, row, col, f in formulas:
        if len(f) > MAX_FORMULA and (sheet, col) not in long_columns:
            long_columns.add((sheet, col))
            problems.append(
                f"{sheet}!{get_column_letter(col)}{row}：公式长 {len(f):,} 字符，超过 Excel 的 {MAX_FORMULA:,} 字符上限"
                f"（请缩短该规则的说明文字或拆分规则）"
            )
    for ws in wb.worksheets:
        if ws.max_row > MAX_ROWS or ws.max_column > MAX_COLUMNS:
            problems.append(
                f"{ws.title}：需要 {ws.max_row:,} 行 × {ws.max_column:,} 列，超过 Excel 的 {MAX_ROWS:,} 行 × {MAX_COLUMNS:,} 列"
            )
        for (row, col), c in ws._cells.items():
            # openpyxl silently cuts longer text to exactly the limit, so reaching it means text was lost.
            if c.data_type == "s" and isinstance(c.value, str) and len(c.value) >= MAX_CELL_TEXT:
                problems.append(
                    f"{ws.title}!{get_column_letter(col)}{row}：文字达到 Excel 单元格的 {MAX_CELL_TEXT:,} 字符上限，"
                    f"超出部分会被截断（请缩短）"
                )
    return problems


def formula_blocks(cells: list[tuple[str, int, int, str]], ranked: bool) -> list[tuple[str, str, str]]:
    """Group formula cells into blocks sharing one R1C1 formula: a run of consecutive rows of one
    column (ranked layout: the unit rows) or a single cell (form layout). Returns (sheet, A1
    range, first cell's formula)."""
    if not ranked:
        return [(sheet, f"{get_column_letter(col)}{row}", f) for sheet, row, col, f in cells]
    columns: dict[tuple[str, int], dict[int, str]] = {}
    for sheet, row, col, f in cells:
        columns.setdefault((sheet, col), {})[row] = f
    blocks: list[tuple[str, str, str]] = []
    for (sheet, col), by_row in columns.items():
        letter = get_column_letter(col)
        rows = sorted(by_row)
        start = prev = rows[0]
        for row in rows[1:] + [None]:
            if row is not None and row == prev + 1:
                prev = row
                continue
            rng = f"{letter}{start}:{letter}{prev}" if prev > start else f"{letter}{start}"
            blocks.append((sheet, rng, by_row[start]))
            if row is not None:
                start = prev = row
    return blocks


def workbook_bytes(compiled: Compiled) -> bytes:
    buf = BytesIO()
    compiled.workbook.save(buf)
    return buf.getvalue()


def write_workbook(compiled: Compiled, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_normalized(workbook_bytes(compiled), path)
    return path


def template_name(spec: Spec) -> str:
    return f"{spec.meta.id}.xlsx"


__all__ = ["Compiled", "build_workbook", "write_workbook", "template_name", "FIRST_ROW"]
