"""The workbook one unit fills in a round: its own row only, the evaluator's parameters, and the
round's identity.

Built once per spec and parameter values with a placeholder for the unit's name; each unit's file is
then a copy with the placeholder replaced in the few sheet parts that hold it (:mod:`xlcalc.round.zipstamp`).

A unit alone cannot be ranked: every cell that depends on other units' values (ranking items, and the
indicators and total above them) holds the formula ``="待汇总"`` with a note, and the 排名 sheet is
left out. Those cells are formulas so that ``collect`` reports a file where one was overwritten, the
same way as any other formula.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from openpyxl import Workbook
from openpyxl.comments import Comment

from xlcalc.cells import CellGraph, Role
from xlcalc.errors import XlcalcError
from xlcalc.round.identity import Identity, identity_sheet, round_identity
from xlcalc.round.zipstamp import Stamp
from xlcalc.spec.model import Spec
from xlcalc.workbook import sheets, style
from xlcalc.workbook.build import Compiled, build_workbook, formula_blocks, workbook_bytes
from xlcalc.workbook.layout import FORMULA_SHEET, GUIDE_SHEET, PARAM_SHEET, SHEET_NAMES, Layout
from xlcalc.workbook.package import normalize
from xlcalc.workbook.rankview import RANK_VIEW_SHEET, drop_provisional_mark
from xlcalc.workbook.unitsheet import UNIT_SHEET

# Stands for the unit's name until each copy is stamped: plain ASCII, so its XML text is itself.
UNIT_TOKEN = "XLCALC-UNIT-NAME-7F3A9C"
PENDING = "待汇总"
PENDING_NOTE = (
    "排名项：按全部单位的数据计算，由评价机关汇总各单位的文件后得出；本文件只有本单位的数据，不计算名次。"
)


@dataclass
class UnitTemplate:
    spec: Spec
    params: dict[str, Any]  # resolved values
    identity: Identity  # unit: the placeholder
    compiled: Compiled  # what a returned file is checked against
    pending: set[str]  # cell ids shown as 待汇总
    stamp: Stamp

    def package(self, unit: str) -> bytes:
        """The .xlsx bytes of one unit's file (its name, and the values meta.units fixes for it)."""
        pairs = [(UNIT_TOKEN.encode(), escape(unit).encode("utf-8"))]
        fixed = self.spec.meta.fixed_values(unit)
        pairs += [
            (value_token(k).encode(), escape(fixed.get(key, "")).encode("utf-8"))
            for k, key in enumerate(fixed_keys(self.spec))
        ]
        texts = {}
        for part in self.parts:
            body = self.stamp.texts[part]
            for token, value in pairs:
                body = body.replace(token, value)
            texts[part] = body
        return self.stamp.copy(texts)

    @property
    def parts(self) -> list[str]:
        """Members holding the placeholder (the workbook is written with inline strings)."""
        return [name for name, body in self.stamp.texts.items() if UNIT_TOKEN.encode() in body]


def value_token(k: int) -> str:
    """Stands for the k-th value meta.units fixes per unit (单位层级) until each copy is stamped."""
    return f"XLCALC-UNIT-VALUE-{k}-7F3A9C"


def fixed_keys(spec: Spec) -> list[str]:
    """The inputs meta.units fixes per unit, in a stable order."""
    return list(dict.fromkeys(key for _, values in spec.meta.unit_values for key, _ in values))


def pending_cells(graph: CellGraph) -> set[str]:
    """Cells whose value needs other units: cross-unit references and everything computed from them.
    Status cells only count 待填 among the scores and stay live."""
    out: set[str] = set()
    for cell in graph.order:
        if cell.kind == "status":
            continue
        local, cross = graph.deps(cell)
        if cross or cell.role is Role.RANK or local & out:
            out.add(cell.id)
    return out


def unit_template(spec: Spec, params: dict[str, Any]) -> UnitTemplate:
    if not spec.meta.ranked:
        raise XlcalcError(
            f"{spec.file}：评分标准“{spec.meta.title}”没有列出参评单位（meta.units），不是多单位排名的评分，无需分发与汇总"
        )
    compiled = build_workbook(spec, [UNIT_TOKEN])
    wb, lay = compiled.workbook, compiled.layout
    rows = sheets.param_rows(spec, compiled.params_used)
    for name, row in rows.items():
        wb[PARAM_SHEET].cell(row=row, column=2).value = params[name]
    pending = pending_cells(lay.graph)
    for cid in pending:
        if cid not in lay.positions:
            continue
        cell = wb[lay.sheet_of(cid)].cell(*lay.row_col(cid, 0))
        cell.value = f'="{PENDING}"'
        if lay.graph.by_id[cid].role is Role.SCORE:
            cell.comment = Comment(PENDING_NOTE, "评价机关", width=260, height=90)
    if RANK_VIEW_SHEET in wb.sheetnames:
        wb.remove(wb[RANK_VIEW_SHEET])
    drop_provisional_mark(wb)  # its ranking items wait for the cohort: 待汇总, not provisional
    if UNIT_SHEET in wb.sheetnames:
        wb[UNIT_SHEET]["B2"].value = UNIT_TOKEN
    for k, key in enumerate(fixed_keys(spec)):
        wb[lay.sheet_of(key)].cell(*lay.row_col(key, 0)).value = value_token(k)
    _guide_note(wb, spec, lay)
    blocks = _reindex(wb)
    ident = round_identity(spec, params, UNIT_TOKEN)
    identity_sheet(wb, ident)
    wb.active = wb.sheetnames.index(SHEET_NAMES[Role.INPUT])  # sheets moved: the county opens on 填报
    compiled = dataclasses.replace(compiled, formula_blocks=blocks)
    stamp = Stamp(normalize(workbook_bytes(compiled)))
    template = UnitTemplate(spec, params, ident, compiled, pending, stamp)
    if not template.parts:
        raise XlcalcError("内部错误：工作簿中找不到单位名称占位符")  # a build change would break copies
    return template


def _guide_note(wb: Workbook, spec: Spec, layout: Layout) -> None:
    """填写说明 as it now applies (the 排名 sheet is gone), plus what a per-unit file is."""
    ws = wb[GUIDE_SHEET]
    lines = dict(sheets._guide_lines(wb, spec, layout))
    for head, text in ws.iter_rows(min_row=1, max_col=2):
        if head.value in lines:
            text.value = lines[head.value]
    row = ws.max_row + 1
    style.header(ws, row, 1, "本单位填报文件")
    text = ws.cell(
        row=row,
        column=2,
        value=(
            "本文件只含本单位一行：请在“填报”及明细表的黄色单元格填写本单位数据，保存后原文件发回评价机关。"
            f"排名项及其所在指标、总分、等级显示“{PENDING}”，由评价机关汇总全部单位后计算。"
            "请勿修改单位名称、参数和公式，也不要改动工作表。"
        ),
    )
    text.alignment = style.WRAP
    ws.row_dimensions[row].height = 66  # four lines at the column's width; the build fitted the others


def _reindex(wb: Workbook) -> list[tuple[str, str, str]]:
    """Rebuild the hidden formula index from the formulas the workbook now holds."""
    cells = [
        (ws.title, row, col, c.value)
        for ws in wb.worksheets
        for (row, col), c in sorted(ws._cells.items())
        if c.data_type == "f"
    ]
    blocks = formula_blocks(cells, True)
    at = wb.sheetnames.index(FORMULA_SHEET)
    wb.remove(wb[FORMULA_SHEET])
    sheets.formula_index_sheet(wb, blocks)
    wb.move_sheet(FORMULA_SHEET, at - len(wb.sheetnames) + 1)
    return blocks
