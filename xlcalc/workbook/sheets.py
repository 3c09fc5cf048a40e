"""The explanatory sheets: 填写说明, 参数 (with data-validation lists and defined names),
规则原文 and the hidden formula index ``_公式`` used by the integrity check."""

from __future__ import annotations

from collections.abc import Callable

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

from xlcalc import audit_cells, audit_findings, ir
from xlcalc.cells import Role
from xlcalc.excelgen import ExcelGenerator
from xlcalc.rules import REGISTRY, Rule
from xlcalc.scorer import resolve_params
from xlcalc.spec.model import Spec
from xlcalc.workbook import fit, style
from xlcalc.workbook.layout import (
    FIRST_ROW,
    FORMULA_SHEET,
    GUIDE_SHEET,
    PARAM_SHEET,
    SHEET_NAMES,
    SPEC_SHEET,
    TEXT_SHEET,
    Layout,
    param_name,
    quote,
)

FORMULA_INDEX_HEADERS = ("工作表", "区域", "首格公式")


def rule_kind_label(kind: str) -> str:
    """The kind as a spreadsheet user reads it (asked of the kind)."""
    return REGISTRY[kind].LABEL if kind in REGISTRY else Rule.LABEL


# Tool names in parameter texts written for developers, as a spreadsheet user reads them.
_PLAIN = (
    ("（Excel ROUND，半数远离零）", ""),
    ("，Excel RANK.EQ）", "）"),
    ("Excel ", ""),
    ("表列权重记为 stated_points，", "表列权重单独记录，"),
)


def plain(text: str) -> str:
    for old, new in _PLAIN:
        text = text.replace(old, new)
    return text


def _guide_lines(wb: Workbook, spec: Spec, layout: Layout) -> list[tuple[str, str]]:
    """What 填写说明 says, from what this workbook really contains."""
    names = set(wb.sheetnames)
    inputs = [i for i in spec.inputs if not i.is_list]
    input_sheet = SHEET_NAMES[Role.INPUT]
    if layout.ranked:
        who = (
            f"每个{spec.meta.unit_kind or '单位'}填写“{input_sheet}”表中本单位所在行的黄色单元格；"
            "评价机关汇总各单位后，排名与得分自动计算。"
        )
    elif layout.input_positions:
        who = (
            f"项目单位填写“{input_sheet}”表（项目支出绩效自评表）中的黄色单元格：全年预算数、全年执行数、"
            "各指标的实际完成值、得分和偏差原因分析及改进措施，与纸质自评表相同；该表可直接打印上报。"
            "得分低于分值而未填偏差原因的，偏差原因栏显示为红色。"
        )
    else:
        who = f"项目单位填写“{input_sheet}”表“数值”列的黄色单元格。"
    how = ["只填黄色单元格，选中单元格时会提示填写内容、单位、有效范围和数据来源。"]
    if any(i.type in ("number", "integer") and i.unit for i in inputs):
        how.append("数字按提示中的单位填写（不要带单位文字）。")
    if any(i.is_percent for i in inputs):
        how.append("百分比可输入 98% 或 0.98。")
    if any(i.is_bool for i in inputs):
        how.append("是/否从下拉列表选择。")
    if any(i.is_text for i in inputs):
        how.append("文字栏（如偏差原因、核查结论）直接输入文字。")
    if layout.list_sheets:
        lists = "、".join(f"“{n}”" for n in layout.list_sheets.values())
        how.append(f"{lists}表每个单元格填一项。")
    how.append("其他单元格为公式，工作表已保护（无密码）以免误改。")
    shown = [SHEET_NAMES[r] for r in (Role.SCORE, Role.EXPLAIN, Role.RANK) if SHEET_NAMES[r] in names]
    update = "、".join(f"“{n}”" for n in shown)
    lines = [
        ("谁来填", who),
        ("怎么填", "".join(how)),
        (
            "得分如何更新",
            f"所有得分由公式实时计算：填写后{update}立即更新。缺少数据的细则显示“待填”，"
            "此时总分不完整" + ("、不评等级。" if spec.meta.grades else "。"),
        ),
    ]
    if PARAM_SHEET in names and wb[PARAM_SHEET].max_row >= FIRST_ROW:
        lines.append(
            (
                "参数",
                f"评分标准中未写明的取舍列在“{PARAM_SHEET}”表，由评价机关设定（撤销该表保护后修改，无密码）；"
                "该表已保护，填报单位请勿更改，与评价机关设定值不同的参数在检查时会被列出。",
            )
        )
    lines.append(("评分标准", f"每条细则的原文与计算方式见“{TEXT_SHEET}”表。"))
    if AUDIT_SHEET in names:
        lines.append(("审核", f"“{AUDIT_SHEET}”表列出按规则计算的得分与自评分的差异，供审核使用。"))
    printable = [ws.title for ws in wb.worksheets if ws.sheet_state == "visible" and ws.title != GUIDE_SHEET]
    lines.append(
        ("打印", "各表已设为A4纸打印，页眉为表名，页脚为页码和打印日期：" + "、".join(printable) + "。")
    )
    lines.append(("打开方式", "Excel、WPS 与 LibreOffice 打开即自动计算，结果一致，无需宏。"))
    if spec.meta.notes:
        lines.append(("说明", spec.meta.notes))
    return lines


# The .xlsm buttons sit on 填写说明's empty row 3 (made tall enough), where they cover nothing.
BUTTON_CELL = "A3"
BUTTON_ROW_PT = 30


def guide_sheet(wb: Workbook, spec: Spec, layout: Layout) -> None:
    """填写说明, written last (it describes the other sheets) and moved to the front."""
    ws = wb.create_sheet(GUIDE_SHEET, 0)
    style.title(ws, spec.meta.title, f"{spec.meta.issuer} {spec.meta.year}")
    for k, (head, text) in enumerate(_guide_lines(wb, spec, layout)):
        row = FIRST_ROW + k
        style.header(ws, row, 1, head)
        c = ws.cell(row=row, column=2, value=text)
        c.alignment = style.WRAP
    ws.row_dimensions[int(BUTTON_CELL[1:])].height = BUTTON_ROW_PT
    ws.column_dimensions["A"].width = 14
    ws.column_dimensions["B"].width = 68
    style.finish_sheet(ws, title_rows="1:2", landscape=False)


def param_rows(spec: Spec, used: set[str]) -> dict[str, int]:
    """Row of each parameter the formulas use on the 参数 sheet (spec order)."""
    names = [p.name for p in spec.params if p.name in used]
    return {name: FIRST_ROW + k for k, name in enumerate(names)}


def params_sheet(wb: Workbook, spec: Spec, used: set[str]) -> None:
    """One row per parameter: value cell (a defined name), explanation, allowed values."""
    ws = wb.create_sheet(PARAM_SHEET)
    style.title(ws, "参数：评分标准未写明之处的取舍（由评价机关设定，填报单位请勿更改）", spec.meta.title)
    for col, text in enumerate(("参数", "取值", "说明", "可选值"), start=1):
        style.header(ws, FIRST_ROW - 1, col, text)
    values = resolve_params(spec)
    rows = param_rows(spec, used)
    for p in spec.params:
        if p.name not in rows:
            continue
        row = rows[p.name]
        ws.cell(row=row, column=1, value=p.label).border = style.BORDER
        value = ws.cell(row=row, column=2, value=values[p.name])
        # The evaluator's setting: grey, not styled as an input, locked like every other cell of the
        # protected sheet (the evaluator lifts the protection, no password, to change it). The
        # verifier's engines write parameters through Book.write_protected; `xlcalc check` reports
        # values differing from the spec's default or the evaluator's.
        value.fill = style.PARAM_FILL
        value.border = style.BORDER
        doc = ws.cell(row=row, column=3, value=plain(p.doc))
        doc.alignment = style.WRAP
        if p.is_choice:
            for j, (_, label) in enumerate(p.choices):
                ws.cell(row=row, column=4 + j, value=label).border = style.BORDER
            last = get_column_letter(3 + len(p.choices))
            dv = DataValidation(type="list", formula1=f"$D${row}:${last}${row}", allow_blank=False)
            dv.error = "请从可选值中选择"
        else:
            kind = "whole" if p.integer else "decimal"
            lo = p.lo if p.lo is not None else -1e9
            hi = p.hi if p.hi is not None else 1e9
            dv = DataValidation(
                type=kind, operator="between", formula1=str(lo), formula2=str(hi), allow_blank=False
            )
            dv.error = f"请输入{lo:g}到{hi:g}之间的数"
            ws.cell(row=row, column=4, value=f"{lo:g}–{hi:g}")
        dv.errorTitle = "参数无效"
        dv.showErrorMessage = True
        ws.add_data_validation(dv)
        dv.add(value.coordinate)
        ws.row_dimensions[row].height = 60
        wb.defined_names[param_name(p.name)] = DefinedName(
            param_name(p.name), attr_text=f"{quote(PARAM_SHEET)}!$B${row}"
        )
    for row in ws.iter_rows(min_row=FIRST_ROW, min_col=1, max_col=3):
        for c in row:
            c.alignment = style.WRAP
    ws.column_dimensions["A"].width = 20
    ws.column_dimensions["C"].width = 40
    n_choices = max((len(p.choices) for p in spec.params if p.name in rows and p.is_choice), default=1)
    fit.fit_columns(ws, FIRST_ROW, {"B": (10, 24)})
    fit.fit_columns(ws, FIRST_ROW, {get_column_letter(4 + j): (8, 14) for j in range(n_choices)})
    for row in ws.iter_rows(min_row=FIRST_ROW, min_col=4, max_col=3 + n_choices):
        for c in row:
            c.alignment = style.WRAP
    style.finish_sheet(ws, freeze=f"A{FIRST_ROW}")


def rule_text_sheet(wb: Workbook, spec: Spec) -> None:
    ws = wb.create_sheet(TEXT_SHEET)
    style.title(ws, "规则原文与解释", spec.meta.title)
    heads = ("编号", "指标", "层级", "分值", "评分标准原文", "规则类型", "解释与取舍")
    for col, text in enumerate(heads, start=1):
        style.header(ws, FIRST_ROW - 1, col, text)
    notes: dict[str, list[str]] = {}
    for c in spec.choices:
        for nid in c.nodes:
            notes.setdefault(nid, []).append(plain(f"{c.topic}：{c.decision}（{c.reason}）"))
    for k, node in enumerate(spec.nodes()):
        row = FIRST_ROW + k
        level = ("总分", "一级", "二级", "三级", "四级", "五级")[min(node.level, 5)]
        text = node.text
        if node.extra.get("note"):
            text = (text + "\n" if text else "") + f"注：{node.extra['note']}"
        values = (
            node.id,
            "　" * node.level + node.label,
            level,
            node.points,
            text,
            rule_kind_label(node.rule.KIND) if node.rule else "汇总",
            "\n".join(notes.get(node.id, [])),
        )
        for col, v in enumerate(values, start=1):
            c = ws.cell(row=row, column=col, value=v)
            c.alignment = style.WRAP
            c.border = style.BORDER
    for col, width in zip("ABCDEFG", (16, 24, 6, 6, 50, 10, 36), strict=True):
        ws.column_dimensions[col].width = width
    ws.column_dimensions["A"].hidden = True  # internal ids, kept for tools
    style.finish_sheet(ws, freeze=f"A{FIRST_ROW}")


def formula_index_sheet(wb: Workbook, blocks: list[tuple[str, str, str]]) -> None:
    """Hidden sheet listing every formula block: (sheet, range, formula of its first cell).

    Every cell of a block has the same R1C1 formula as its first cell, so the recalculation macro
    checks integrity by comparing each cell's FormulaR1C1 with the first's, and the first cell's
    formula with column C (sheet-name quotes ignored, as Excel drops them when reading back).
    """
    ws = wb.create_sheet(FORMULA_SHEET)
    for col, text in enumerate(FORMULA_INDEX_HEADERS, start=1):
        ws.cell(row=1, column=col, value=text)
    for k, (sheet, rng, formula) in enumerate(blocks):
        ws.cell(row=2 + k, column=1, value=sheet)
        ws.cell(row=2 + k, column=2, value=rng)
        # Stored without the leading "=" (so it stays text) and without _xlfn., as Range.Formula reads.
        ws.cell(row=2 + k, column=3, value=formula.removeprefix("=").replace("_xlfn.", ""))
    ws.sheet_state = "hidden"
    ws.protection.sheet = True


def spec_sheet(wb: Workbook, spec: Spec) -> None:
    """Hidden sheet holding the spec's YAML, one line per row, so the workbook is self-describing."""

    ws = wb.create_sheet(SPEC_SHEET)
    for k, line in enumerate(spec.source_text.splitlines(), start=1):
        # A line starting with "=" stays text: build_workbook makes every non-compiled formula a string.
        ws.cell(row=k, column=1, value=line if line else None)
    ws.sheet_state = "hidden"
    ws.protection.sheet = True


AUDIT_SHEET = "审核"
AUDIT_HEADERS = (
    "编号",
    "指标",
    "分值（表列）",
    "年度指标值",
    "规则得分",
    "自评分",
    "自评分−规则得分",
    "审核标记",
    "结构问题",
)


def audit_sheet(wb: Workbook, spec: Spec, layout: Layout, sink: Callable[[str, str, str], None]) -> None:
    """审核: per indicator the rule-computed score beside the self-assigned one, the difference, the
    flags and the table's structural problems; below, the self-assigned total computed both ways.

    Every value is a formula reading the compiled audit cells (on 扣分说明), so the sheet shows
    what ``xlcalc audit`` reports. Form layout only: a ranked workbook keeps its audit cells on
    扣分说明, one row per unit.
    """

    ws = wb.create_sheet(AUDIT_SHEET)
    style.title(ws, "审核：规则得分与自评分（公式自动计算）", spec.meta.title)
    for col, text in enumerate(AUDIT_HEADERS, start=1):
        style.header(ws, FIRST_ROW - 1, col, text)
    gen = ExcelGenerator(layout.resolver(AUDIT_SHEET, 0))
    findings: dict[str, list[str]] = {}
    for f in audit_findings.structural_findings(spec):
        findings.setdefault(f.node, []).append(f.message)

    def put(row: int, col: int, value: object, fmt: str = "General", wrap: bool = False) -> None:
        c = ws.cell(row=row, column=col)
        if isinstance(value, ir.Expr):
            c.value = gen.formula(value)
            sink(ws.title, c.coordinate, c.value)
            layout.display_cells.append((ws.title, c.coordinate, value))
        else:
            c.value = value
        c.number_format = fmt
        c.border = style.BORDER
        if wrap:
            c.alignment = style.WRAP

    def own(input_id: str) -> ir.Expr:
        return ir.if_(ir.isnum(ir.Ref(input_id)), ir.Ref(input_id), "")

    row = FIRST_ROW
    for node in spec.nodes():
        if node is spec.root:
            continue
        put(row, 1, node.id)
        put(row, 2, "　" * (node.level - 1) + node.label, wrap=True)
        put(row, 3, audit_findings.shown_points(node))
        put(row, 4, node.target or None, wrap=True)
        put(row, 5, ir.Ref(node.id), style.SCORE_FORMAT)
        if node.self_score:
            put(row, 6, own(node.self_score), style.SCORE_FORMAT)
            put(row, 7, ir.Ref(audit_cells.diff_id(node.id)), "0.00")
            put(row, 8, ir.Ref(audit_cells.flag_id(node.id)), wrap=True)
        else:
            for col in (6, 7, 8):
                put(row, col, None)
        put(row, 9, "；".join(findings.get(node.id, [])) or None, wrap=True)
        row += 1
    row += 1
    root = spec.root
    totals: list[tuple[str, object, str]] = [("规则计算总分", ir.Ref(root.id), style.SCORE_FORMAT)]
    if audit_cells.frontier(spec):
        totals += [
            ("自评分：各项相加", ir.Ref(audit_cells.SUM), "0.00"),
            ("自评分：满分减扣分", ir.Ref(audit_cells.NET), "0.00"),
            ("满分减扣分算式", ir.Ref(audit_cells.ARITH), "@"),
        ]
        if root.self_score:
            totals += [
                ("公布总分", own(root.self_score), "0.00"),
                ("公布总分−规则计算总分", ir.Ref(audit_cells.RULE_GAP), "0.00"),
            ]
        totals.append(("总分核对", ir.Ref(audit_cells.VERDICT), "@"))
    totals += [("结构问题（总分）", m, "@") for m in findings.get(root.id, [])]
    for label, value, fmt in totals:
        style.header(ws, row, 2, label)
        put(row, 3, value, fmt, wrap=True)
        ws.merge_cells(start_row=row, start_column=3, end_row=row, end_column=9)
        row += 1
    for col, width in zip("ABCDEFGHI", (16, 28, 8, 14, 10, 10, 10, 28, 30), strict=True):
        ws.column_dimensions[col].width = width
    ws.column_dimensions["A"].hidden = True  # internal ids, kept for tools
    style.finish_sheet(ws, freeze=f"C{FIRST_ROW}")
