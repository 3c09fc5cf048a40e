"""The national 项目支出绩效自评表 as the sheet a project unit fills (single-project 自评表 specs).

Layout as printed (docs: FORMS.md): title and year; 项目名称, 主管部门 | 实施单位; the 项目资金
block (年初预算数 | 全年预算数 | 全年执行数 | 分值 | 执行率 | 得分, with the 其中 rows); 年度总体目标
(预期目标 | 实际完成情况); the indicator table with merged 一级/二级 cells, 年度指标值, 实际完成值,
分值, 得分, 偏差原因分析及改进措施; 总分. The spec's inputs are typed into the form's own cells
(全年预算数, 全年执行数, 得分, 实际完成值, 偏差原因); ``form_positions`` says where, and the
layout addresses inputs through it. The rule-computed scores stay on 评分 and 审核.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from openpyxl.cell.cell import Cell
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from xlcalc import ir
from xlcalc.spec.model import Node, Spec
from xlcalc.workbook import style
from xlcalc.workbook.validation import input_roles

# Columns A..I of the printed form.
# Column heads of the national form's indicator table, as the paper form prints them.
INDICATOR_HEADS = (
    "一级指标",
    "二级指标",
    "三级指标",
    "年度指标值",
    "实际完成值",
    "分值",
    "得分",
    "偏差原因分析及改进措施",
)
COLS = 9
WIDTHS = (4, 7, 8, 19, 9, 9, 5, 7, 18)  # 86 units: portrait A4 at ≥80 %
(C_LABEL, C_L1, C_L2, C_L3, C_TARGET, C_ACTUAL, C_POINTS, C_SCORE, C_REASON) = range(1, 10)
FUNDS_ROW = 5  # header row of the 项目资金 block; 年度资金总额 is the next row
GOAL_ROW = 10
TABLE_ROW = 12  # header row of the indicator table
REQUIRED_FILL = PatternFill("solid", start_color="FFC7CE", end_color="FFC7CE", bgColor="FFC7CE")


@dataclass(frozen=True)
class FormRow:
    node: Node
    l1: Node
    l2: Node
    actual: str
    row: int


def _budget_node(spec: Spec) -> Node | None:
    return next(
        (n for n in spec.root.children if n.rule is not None and n.rule.funds_line() is not None), None
    )


def execution_rate(budget_node: Node) -> ir.Expr:
    """The form's 执行率: 全年执行数 / 全年预算数 once both are numbers and the budget is positive,
    else blank."""
    assert budget_node.rule is not None
    line = budget_node.rule.funds_line()
    assert line is not None
    budget, executed = ir.Ref(line[0]), ir.Ref(line[1])
    return ir.if_(
        ir.and_(ir.isnum(budget), ir.isnum(executed)), ir.if_(budget.cmp(">", 0), executed / budget, ""), ""
    )


def is_national_form(spec: Spec) -> bool:
    """A single-project 自评表: a 预算执行率 line and self-scored 三级 indicators."""
    if spec.meta.ranked or _budget_node(spec) is None:
        return False
    return any(n.self_score and n.level == 3 for n in spec.nodes())


def _rows(spec: Spec) -> list[FormRow]:

    roles = input_roles(spec)
    actual = {
        r.node.id: i for i, r in roles.items() if r.node is not None and not (r.is_self_score or r.is_reason)
    }
    rows: list[FormRow] = []
    budget = _budget_node(spec)
    for l1 in spec.root.children:
        if l1 is budget:
            continue
        for l2 in l1.children:
            for leaf in l2.children or (l2,):
                rows.append(FormRow(leaf, l1, l2, actual.get(leaf.id, ""), TABLE_ROW + 1 + len(rows)))
    return rows


def form_positions(spec: Spec) -> dict[str, tuple[int, int]]:
    """(row, column) of every input on the form; inputs the form has no cell for follow 总分."""
    if not is_national_form(spec):
        return {}
    pos: dict[str, tuple[int, int]] = {}
    budget = _budget_node(spec)
    assert budget is not None and budget.rule is not None
    budget_id, executed_id = budget.rule.funds_line() or ("", "")
    pos[budget_id] = (FUNDS_ROW + 1, 5)
    pos[executed_id] = (FUNDS_ROW + 1, 6)
    if budget.self_score:
        pos[budget.self_score] = (FUNDS_ROW + 1, 9)
    rows = _rows(spec)
    for r in rows:
        if r.actual:
            pos.setdefault(r.actual, (r.row, C_ACTUAL))
        if r.node.self_score:
            pos.setdefault(r.node.self_score, (r.row, C_SCORE))
        if r.node.reason:
            pos.setdefault(r.node.reason, (r.row, C_REASON))
    total_row = TABLE_ROW + 1 + len(rows)
    if spec.root.self_score:
        pos[spec.root.self_score] = (total_row, C_SCORE)
    extra = total_row + 2
    for inp in spec.inputs:
        if inp.id not in pos and not inp.is_list:
            pos[inp.id] = (extra, C_ACTUAL)
            extra += 1
    return pos


def _points(node: Node) -> float:
    return node.stated_points if node.stated_points is not None else node.points


def _box(ws: Worksheet, r1: int, c1: int, r2: int, c2: int, value: object = None, head: bool = False) -> None:
    for r in range(r1, r2 + 1):
        for c in range(c1, c2 + 1):
            ws.cell(row=r, column=c).border = style.BORDER
    cell = ws.cell(row=r1, column=c1, value=value)
    cell.alignment = style.CENTER if head else Alignment(wrap_text=True, vertical="center")
    if head:
        cell.font = style.HEADER_FONT
    if (r1, c1) != (r2, c2):
        ws.merge_cells(start_row=r1, start_column=c1, end_row=r2, end_column=c2)


def _free(ws: Worksheet, r1: int, c1: int, r2: int, c2: int, value: object = None) -> None:
    """A cell the user may type into that no rule reads (header facts, 年初预算数, 年度总体目标)."""
    _box(ws, r1, c1, r2, c2, value)
    cell = ws.cell(row=r1, column=c1)
    cell.protection = style.UNLOCKED
    cell.alignment = style.WRAP
    cell.fill = style.INPUT_FILL


def write_form(
    ws: Worksheet,
    spec: Spec,
    positions: dict[str, tuple[int, int]],
    style_input: Callable[[str, int, int], None],
    shown: Callable[[Cell, ir.Expr], None],
) -> None:
    """Write the form's fixed text; ``style_input(input_id, row, col)`` formats and validates an
    input cell; ``shown(cell, expr)`` writes a computed display cell (compiled from ``expr``, so the
    verifier compares it with the reference)."""
    meta = spec.meta
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=COLS)
    ws.cell(row=1, column=1, value="项目支出绩效自评表").font = Font(bold=True, size=16)
    ws.cell(row=1, column=1).alignment = style.CENTER
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=COLS)
    ws.cell(row=2, column=1, value=f"（{meta.year}年度）").alignment = style.CENTER
    # Header facts from the spec's meta; older specs give them only in the title and notes.
    name = meta.project or meta.title.replace("项目支出绩效自评表", "").removeprefix(f"{meta.year}年度")
    unit = re.search(r"实施单位[：:]([^。；]+)", meta.notes or "")
    _box(ws, 3, 1, 3, 2, "项目名称", head=True)
    _free(ws, 3, 3, 3, COLS, name or meta.title)
    _box(ws, 4, 1, 4, 2, "主管部门", head=True)
    _free(ws, 4, 3, 4, 5, meta.department or meta.issuer)
    _box(ws, 4, 6, 4, 7, "实施单位", head=True)
    _free(ws, 4, 8, 4, COLS, meta.implementer or (unit.group(1) if unit else None))

    # 项目资金（万元）
    f = FUNDS_ROW
    _box(ws, f, 1, f + 4, 2, "项目资金（万元）", head=True)
    for col, text in zip(
        range(3, 10), ("", "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"), strict=True
    ):
        _box(ws, f, col, f, col, text, head=True)
    budget = _budget_node(spec)
    assert budget is not None
    for k, label in enumerate(("年度资金总额", "其中：当年财政拨款", "上年结转资金", "其他资金")):
        row = f + 1 + k
        _box(ws, row, 3, row, 3, label)
        if k == 0:
            _free(ws, row, 4, row, 4)
            _box(ws, row, 7, row, 7, _points(budget))
            rate = ws.cell(row=row, column=8)
            shown(rate, execution_rate(budget))
            rate.number_format = "0%"
            rate.border = style.BORDER
        else:
            for col in (4, 5, 6, 8):
                _free(ws, row, col, row, col)
            _box(ws, row, 7, row, 7, "—")
            _box(ws, row, 9, row, 9, "—")
    # 年度总体目标
    g = GOAL_ROW
    _box(ws, g, 1, g + 1, 2, "年度总体目标", head=True)
    _box(ws, g, 3, g, 5, "预期目标", head=True)
    _box(ws, g, 6, g, COLS, "实际完成情况", head=True)
    _free(ws, g + 1, 3, g + 1, 5, meta.goal or None)
    _free(ws, g + 1, 6, g + 1, COLS)
    ws.row_dimensions[g + 1].height = 75  # raised by fit_rows for a longer 预期目标

    # 绩效指标
    rows = _rows(spec)
    t = TABLE_ROW
    last = t + len(rows)
    _box(ws, t, 1, last, 1, "绩效指标", head=True)
    for col, text in enumerate(INDICATOR_HEADS, start=2):
        _box(ws, t, col, t, col, text, head=True)
    for col, attr in ((C_L1, "l1"), (C_L2, "l2")):
        start = 0
        for k in range(1, len(rows) + 1):
            if k == len(rows) or getattr(rows[k], attr) is not getattr(rows[start], attr):
                _box(ws, rows[start].row, col, rows[k - 1].row, col, getattr(rows[start], attr).label)
                start = k
    for r in rows:
        _box(ws, r.row, C_L3, r.row, C_L3, r.node.label)
        _box(ws, r.row, C_TARGET, r.row, C_TARGET, r.node.target or None)
        ws.cell(row=r.row, column=C_TARGET).alignment = style.CENTER
        _box(ws, r.row, C_POINTS, r.row, C_POINTS, _points(r.node))
        for col in (C_ACTUAL, C_SCORE, C_REASON):
            ws.cell(row=r.row, column=col).border = style.BORDER
        if r.node.reason and r.node.self_score:
            s, w = positions[r.node.self_score], positions[r.node.reason]
            score, why = f"{get_column_letter(s[1])}{s[0]}", f"{get_column_letter(w[1])}{w[0]}"
            ws.conditional_formatting.add(
                why,
                FormulaRule(
                    formula=[f'AND(ISNUMBER({score}),{score}<{get_column_letter(C_POINTS)}{r.row},{why}="")'],
                    fill=REQUIRED_FILL,
                ),
            )
    total = last + 1
    _box(ws, total, 1, total, C_ACTUAL, "总分", head=True)
    _box(ws, total, C_POINTS, total, C_POINTS, _points(spec.root))
    _box(ws, total, C_SCORE, total, C_SCORE)
    _box(ws, total, C_REASON, total, C_REASON)
    placed = {(r, c) for r, c in positions.values()}
    extra = [i for i in spec.inputs if i.id in positions and positions[i.id][0] > total]
    if extra:
        _box(ws, total + 1, 1, total + 1, COLS, "其他填报项（评分规则需要、表中无对应栏目的数据）", head=True)
        for inp in extra:
            row = positions[inp.id][0]
            _box(ws, row, 1, row, C_TARGET, inp.label + (f"（{inp.unit}）" if inp.unit else ""))
    for input_id, (row, col) in positions.items():
        style_input(input_id, row, col)
    assert len(placed) == len(positions), "two inputs share a form cell"
    for col, width in enumerate(WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = f"A{TABLE_ROW + 1}"
