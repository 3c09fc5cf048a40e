"""Entry points inside Excel: the 校验 button of the .xlsm templates (:func:`verify_caller`) and the
xlwings add-in's "Run main" on a plain .xlsx (:func:`main`, through :func:`write_runner`)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from xlcalc.bridge.adapters import BridgeError, XlwingsBook
from xlcalc.bridge.report import BridgeReport, verify_book
from xlcalc.bridge.sheet import CHECK_SHEET, write_check_sheet
from xlcalc.errors import XlcalcError
from xlcalc.xlsm import XLWINGS_VBA_VERSION

# ---------------------------------------------------------------------------------- Excel entries


def _embedded_xlwings() -> str:
    """The xlwings version whose VBA an .xlsm embeds (``xlcalc build --xlwings``) or imports."""

    return XLWINGS_VBA_VERSION


def _version_note() -> str:
    """A hint when Python's xlwings differs from the VBA the workbooks are to hold ("" if equal)."""
    try:
        import xlwings

        found, wanted = xlwings.__version__, _embedded_xlwings()
    except Exception:
        return ""
    if found == wanted:
        return ""
    return f"\n注意：本机 Python 中的 xlwings 为 {found}，工作簿中的 xlwings VBA 应为 {wanted}；建议 pip install xlwings=={wanted}。"


def _import_xlwings() -> Any:
    try:
        import xlwings
    except ImportError as exc:
        raise BridgeError(f"未安装 xlwings：请运行 pip install xlwings=={_embedded_xlwings()}") from exc
    return xlwings


def _caller_book() -> Any:
    xw = _import_xlwings()
    try:
        return xw.Book.caller()
    except Exception as exc:
        raise BridgeError(
            "校验只能从桌面 Excel（Windows 或 macOS）中运行：请在 .xlsm 工作簿的“评分”表点击“校验”按钮，"
            "或在 .xlsx 工作簿中使用 xlwings 加载项的“Run main”。本机没有可调用的 Excel"
            f"（xlwings：{type(exc).__name__}: {exc}）。没有 Excel 时可改用命令 "
            "python -m xlcalc.bridge check 文件.xlsx（需要 LibreOffice）。"
        ) from None


def _alert(book: Any, message: str) -> None:
    with contextlib.suppress(Exception):
        book.app.alert(message, title="校验")


def run_in_excel(book: Any, clock: Callable[[], datetime] | None = None) -> BridgeReport | None:
    """Verify an ``xlwings.Book``, write 校验, activate it and tell the user.

    Problems the user can act on (not an xlcalc workbook, a password-protected 校验 sheet)
    are shown in a message box and give None; anything else propagates (xlwings shows it).

    Args:
        book: The ``xlwings.Book``.
        clock: Returns the current time (tests).

    Returns:
        The report, or None after a user-level problem was shown.
    """
    adapter = XlwingsBook(book, clock=clock)
    try:
        report = verify_book(adapter)
        write_check_sheet(adapter, report)
    except XlcalcError as exc:
        _alert(book, f"校验未完成：{exc}")
        return None
    with contextlib.suppress(Exception):
        book.sheets[CHECK_SHEET].activate()
    state = "全部一致" if report.ok else "请查看“校验”表中标为“不一致”的行"
    _alert(book, f"校验完成：{report.summary()}。{state}。{_version_note()}")
    return report


def verify_caller() -> BridgeReport | None:
    """Entry of the 校验 button: ``RunPython "import xlcalc.bridge; xlcalc.bridge.verify_caller()"``.

    Returns:
        The report (None after a user-level problem was shown in Excel).

    Raises:
        BridgeError: If there is no calling Excel workbook (e.g. run outside Excel, or on Linux),
            with a Chinese message saying how to run it instead.
    """
    return run_in_excel(_caller_book())


def main() -> None:
    """Entry of the xlwings add-in's "Run main" on a plain .xlsx (through :func:`write_runner`'s module).

    Raises:
        BridgeError: As :func:`verify_caller`.
    """
    verify_caller()


def write_runner(workbook: str | Path) -> Path:
    """Write ``<workbook stem>.py`` beside a workbook so the xlwings add-in's "Run main" verifies it.

    "Run main" runs ``import <stem>; <stem>.main()`` with the workbook's folder on the Python
    path; the module written here only forwards to :func:`main`.

    Args:
        workbook: The .xlsx (or .xlsm) path.

    Returns:
        The module's path.

    Raises:
        BridgeError: If the workbook name is not a valid Python module name.
    """
    path = Path(workbook)
    if not path.stem.isidentifier():
        raise BridgeError(
            f"“Run main”要求工作簿文件名是合法的 Python 模块名（如 anqing_2023.xlsx），得到“{path.name}”"
        )
    target = path.with_name(f"{path.stem}.py")
    target.write_text(
        '"""xlwings "Run main" for this workbook: the xlcalc check (校验)."""\n\nfrom xlcalc.bridge import main\n\n'
        '__all__ = ["main"]\n',
        encoding="utf-8",
    )
    return target
