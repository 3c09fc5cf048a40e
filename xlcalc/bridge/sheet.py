"""The 校验 sheet: the bridge's comparison written into the workbook, one row per unit and node."""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any

from xlcalc.bridge.adapters import BookAdapter, BridgeError
from xlcalc.bridge.report import BridgeReport

#: Name of the sheet the bridge writes.
CHECK_SHEET = "校验"

#: Column headers of the 校验 table (row 3).
CHECK_HEADERS: tuple[str, ...] = (
    "单位",
    "所属",
    "指标",
    "工作簿得分",
    "参考得分",
    "是否一致",
    "参考说明",
    "说明是否一致",
    "工作簿说明（不一致时）",
    "单元格",
)

_COLUMN_WIDTHS = (12, 26, 26, 11, 11, 9, 60, 10, 40, 12)


# ---------------------------------------------------------------------------------- 校验 sheet


def _check_rows(report: BridgeReport, timestamp: datetime) -> list[list[Any]]:
    width = len(CHECK_HEADERS)
    rows: list[list[Any]] = [
        [
            "校验结果",
            f"校验时间：{timestamp:%Y-%m-%d %H:%M:%S}",
            report.summary(),
            None,
            None,
            None,
            f"{report.title}（{report.spec_id}）",
        ],
        [
            "说明",
            "“工作簿得分”是本工作簿公式的计算结果；“参考得分”由 xlcalc 的 Python 参考评分程序按工作簿内嵌的"
            "同一评分规格、同一填报数据与参数独立计算。数值允许 1e-9 的误差，文字须完全一致。",
        ],
        list(CHECK_HEADERS),
    ]
    for row in report.rows:
        why_state = {None: None, True: "一致", False: "不一致"}[row.explanation_match]
        rows.append(
            [
                row.unit,
                row.section or None,
                row.label,
                row.workbook_value,
                row.reference_value,
                "一致" if row.match else "不一致",
                row.reference_explanation or None,
                why_state,
                row.workbook_explanation if row.explanation_match is False else None,
                row.cell,
            ]
        )
    if report.problems:
        rows.append([None])
        rows.append(["输入问题", "以下单元格的内容无法识别，参考评分按空白（参数按默认值）处理："])
        rows.extend([None, str(problem)] for problem in report.problems)
    return [list(r) + [None] * (width - len(r)) for r in rows]


def write_check_sheet(book: BookAdapter, report: BridgeReport) -> int:
    """Write the report into the sheet 校验 (created after the last sheet if missing).

    An existing 校验 sheet is cleared first; if it is protected it is unprotected with the empty
    password before and protected again after (Excel refuses writes into a protected sheet with
    error 1004). Row 1 holds the timestamp and the summary, row 3 the headers, rows 4… one row
    per compared cell, then any input problems.

    Args:
        book: The open workbook.
        report: What :func:`verify_book` returned.

    Returns:
        The number of rows written.

    Raises:
        BridgeError: If the sheet cannot be created or unprotected (e.g. a password is set, or
            the workbook structure is protected).
    """
    rows = _check_rows(report, book.now())
    reprotect = False
    if CHECK_SHEET in book.sheet_names():
        if book.is_protected(CHECK_SHEET):
            book.unprotect(CHECK_SHEET)
            reprotect = True
        book.clear_sheet(CHECK_SHEET)
    else:
        try:
            book.add_sheet(CHECK_SHEET)
        except Exception as exc:
            raise BridgeError(
                f"无法新建“{CHECK_SHEET}”工作表（工作簿结构可能受保护，请在“审阅→保护工作簿”中撤销）：{exc}"
            ) from exc
    try:
        book.write(CHECK_SHEET, "A1", rows)
        with contextlib.suppress(Exception):
            book.set_column_widths(CHECK_SHEET, _COLUMN_WIDTHS)
    finally:
        if reprotect:
            book.protect(CHECK_SHEET)
    return len(rows)
