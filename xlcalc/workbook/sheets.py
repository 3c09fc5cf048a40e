"""The explanatory sheets: 填写说明, 参数 (with data-validation lists and defined names),
规则原文 and the hidden formula index ``_公式`` used by the integrity check."""

from __future__ import annotations

from collections.abc import Callable

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

from xlcalc import ir
from xlcalc.cells import Role
from xlcalc.excelgen import ExcelGenerator
from xlcalc.scorer import resolve_params
from xlcalc.spec.model import Spec
from xlcalc.workbook import style
from xlcalc.workbook.layout import (
    FIRST_ROW,
    FORMULA_SHEET,
    GUIDE_SHEET,
    PARAM_SHEET,
    SHEET_NAMES,
    TEXT_SHEET,
    Layout,
    param_name,
    quote,
)

FORMULA_INDEX_HEADERS = ("工作表", "区域", "首格公式")


def guide_sheet(wb: Workbook, spec: Spec, layout: Layout) -> None:
    ws = wb.create_sheet(GUIDE_SHEET, 0)
    style.title(ws, spec.meta.title, f"{spec.meta.issuer} {spec.meta.year}")
    who = (
        f"每个{spec.meta.unit_kind}填写“{SHEET_NAMES[Role.INPUT]}”表中本单位所在行的黄色单元格；评价机关汇总各单位后，排名与得分自动计算。"
        if layout.ranked
        else f"项目单位填写“{SHEET_NAMES[Role.INPUT]}”表D列的黄色单元格。"
    )
    lines = [
        ("谁来填", who),
        (
            "怎么填",
            "只填黄色单元格。数字按表头中的单位填写（万元、件、人…）；百分比直接输入如 92.5%；是/否从下拉列表选择。"
            "明细表（如“明细-…”）每个单元格填一项。其他单元格为公式，工作表已保护（无密码）以免误改。",
        ),
        (
            "得分如何更新",
            "所有得分由公式实时计算：填写后“评分”“扣分说明”立即更新。缺少数据的细则显示“待填”，"
            "总分旁的填报状态显示待填项数，此时总分不完整、不评等级。",
        ),
        (
            "解释性参数",
            f"评分标准中未写明的取舍（如不足一档如何扣分、并列排名方式）列在“{PARAM_SHEET}”表，可从下拉列表更改，得分随之重算。",
        ),
        ("评分标准", f"每条细则的原文见“{TEXT_SHEET}”表；计算过程见“{SHEET_NAMES[Role.EXPLAIN]}”表。"),
        ("来源文件", spec.meta.source or "—"),
        (
            "WPS 与 LibreOffice",
            "本表只使用 Excel 2010、WPS 与 LibreOffice 计算结果一致的函数，打开即自动重算，无需宏。",
        ),
        (
            "桌面 Excel",
            "同名 .xlsm 文件带有“重新计算”和“校验”按钮：重新计算并检查公式是否被改动；校验需安装 xlwings。",
        ),
    ]
    if spec.meta.notes:
        lines.append(("说明", spec.meta.notes))
    for k, (head, text) in enumerate(lines):
        row = FIRST_ROW + k
        style.header(ws, row, 1, head)
        c = ws.cell(row=row, column=2, value=text)
        c.alignment = style.WRAP
        ws.row_dimensions[row].height = 48
    ws.column_dimensions["A"].width = 18
    ws.column_dimensions["B"].width = 100
    style.finish_sheet(ws, title_rows="1:2", landscape=False)


def param_rows(spec: Spec, used: set[str]) -> dict[str, int]:
    """Row of each parameter the formulas use on the 参数 sheet (spec order)."""
    names = [p.name for p in spec.params if p.name in used]
    return {name: FIRST_ROW + k for k, name in enumerate(names)}


def params_sheet(wb: Workbook, spec: Spec, used: set[str]) -> None:
    """One row per parameter: value cell (a defined name), explanation, allowed values."""
    ws = wb.create_sheet(PARAM_SHEET)
    style.title(ws, "参数：评分标准未写明之处的取舍（可更改，得分随之重算）", spec.meta.title)
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
        value.protection = style.UNLOCKED
        value.fill = style.INPUT_FILL
        value.border = style.BORDER
        doc = ws.cell(row=row, column=3, value=p.doc)
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
    ws.column_dimensions["A"].width = 26
    ws.column_dimensions["B"].width = 30
    ws.column_dimensions["C"].width = 70
    for j in range(4, 9):
        ws.column_dimensions[get_column_letter(j)].width = 22
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
            notes.setdefault(nid, []).append(f"{c.topic}：{c.decision}（{c.reason}）")
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
            node.rule.KIND if node.rule else "汇总",
            "\n".join(notes.get(node.id, [])),
        )
        for col, v in enumerate(values, start=1):
            c = ws.cell(row=row, column=col, value=v)
            c.alignment = style.WRAP
            c.border = style.BORDER
    for col, width in zip("ABCDEFG", (16, 30, 6, 6, 70, 16, 60), strict=True):
        ws.column_dimensions[col].width = width
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
    from xlcalc.workbook.readback import SPEC_SHEET

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
    from xlcalc import audit

    ws = wb.create_sheet(AUDIT_SHEET)
    style.title(ws, "审核：规则得分与自评分（公式自动计算）", spec.meta.title)
    for col, text in enumerate(AUDIT_HEADERS, start=1):
        style.header(ws, FIRST_ROW - 1, col, text)
    gen = ExcelGenerator(layout.resolver(AUDIT_SHEET, 0))
    findings: dict[str, list[str]] = {}
    for f in audit.structural_findings(spec):
        findings.setdefault(f.node, []).append(f.message)

    def put(row: int, col: int, value: object, fmt: str = "General", wrap: bool = False) -> None:
        c = ws.cell(row=row, column=col)
        if isinstance(value, ir.Expr):
            c.value = gen.formula(value)
            sink(ws.title, c.coordinate, c.value)
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
        put(row, 3, audit.shown_points(node))
        put(row, 4, node.target or None, wrap=True)
        put(row, 5, ir.Ref(node.id), style.SCORE_FORMAT)
        if node.self_score:
            put(row, 6, own(node.self_score), style.SCORE_FORMAT)
            put(row, 7, ir.Ref(audit.diff_id(node.id)), "0.00")
            put(row, 8, ir.Ref(audit.flag_id(node.id)), wrap=True)
        else:
            for col in (6, 7, 8):
                put(row, col, None)
        put(row, 9, "；".join(findings.get(node.id, [])) or None, wrap=True)
        row += 1
    row += 1
    root = spec.root
    totals: list[tuple[str, object, str]] = [("规则计算总分", ir.Ref(root.id), style.SCORE_FORMAT)]
    if audit.frontier(spec):
        totals += [
            ("自评分：各项相加", ir.Ref(audit.SUM), "0.00"),
            ("自评分：满分减扣分", ir.Ref(audit.NET), "0.00"),
            ("满分减扣分算式", ir.Ref(audit.ARITH), "@"),
        ]
        if root.self_score:
            totals += [
                ("公布总分", own(root.self_score), "0.00"),
                ("公布总分−规则计算总分", ir.Ref(audit.RULE_GAP), "0.00"),
            ]
        totals.append(("总分核对", ir.Ref(audit.VERDICT), "@"))
    totals += [("结构问题（总分）", m, "@") for m in findings.get(root.id, [])]
    for label, value, fmt in totals:
        style.header(ws, row, 2, label)
        put(row, 3, value, fmt, wrap=True)
        ws.merge_cells(start_row=row, start_column=3, end_row=row, end_column=9)
        row += 1
    for col, width in zip("ABCDEFGHI", (16, 36, 10, 22, 12, 12, 14, 40, 48), strict=True):
        ws.column_dimensions[col].width = width
    style.finish_sheet(ws, freeze=f"C{FIRST_ROW}")
