"""The Excel bridge: re-score an open workbook with the Python reference scorer and write a 校验 sheet.

The 校验 button of each ``.xlsm`` template runs ``RunPython "import xlcalc.bridge;
xlcalc.bridge.verify_caller()"`` through xlwings' VBA in the workbook (embedded by ``xlcalc build
--xlwings`` or imported by the user: the templates leave it out so their macros run in LibreOffice); the xlwings
add-in's "Run main" on a plain ``.xlsx`` runs ``<workbook name>.main()``, which a one-line module
beside the workbook forwards to :func:`main` (see :func:`write_runner`).

Everything the bridge does to a workbook goes through a small adapter protocol,
:class:`BookAdapter`: read a range, write a block, list/add/clear a sheet, unprotect/protect a
sheet, recalculate, the current time. Two adapters ship:

* :class:`XlwingsBook` over an ``xlwings.Book`` (desktop Excel on Windows through COM, on macOS
  through appscript; also the Book objects xlwings builds without Excel);
* :class:`EngineBook` over an :mod:`xlcalc.engines` Book, so the same logic runs against
  LibreOffice on Linux (tests, and ``python -m xlcalc.bridge check`` for WPS/LibreOffice users).

:func:`verify_book` reads the spec embedded in the hidden ``_规格`` sheet, the inputs and
parameters (:mod:`xlcalc.workbook.readback`), scores them with :class:`xlcalc.scorer.Scorer` and
compares, per unit and node, the workbook's score and explanation cells with the reference values.
:func:`write_check_sheet` writes the result into the sheet 校验, unprotecting it first if needed
(Excel raises error 1004 when anything writes into a protected cell).

The package, by job: adapters.py (the workbook protocol and its two adapters), report.py
(re-score, compare, the 校验 sheet), excel.py (entry points inside Excel), command.py (the
LibreOffice re-check without Excel, ``python -m xlcalc.bridge``).
"""

from xlcalc.bridge.adapters import (
    BookAdapter,
    BridgeError,
    EngineBook,
    SheetProtectedError,
    XlwingsBook,
)
from xlcalc.bridge.command import check_file, cli
from xlcalc.bridge.excel import main, run_in_excel, verify_caller, write_runner
from xlcalc.bridge.report import (
    TOLERANCE,
    BridgeReport,
    CheckRow,
    values_match,
    verify_book,
)
from xlcalc.bridge.sheet import CHECK_HEADERS, CHECK_SHEET, write_check_sheet

__all__ = [
    "CHECK_HEADERS",
    "CHECK_SHEET",
    "TOLERANCE",
    "BookAdapter",
    "BridgeError",
    "BridgeReport",
    "CheckRow",
    "EngineBook",
    "SheetProtectedError",
    "XlwingsBook",
    "check_file",
    "cli",
    "main",
    "run_in_excel",
    "values_match",
    "verify_book",
    "verify_caller",
    "write_check_sheet",
    "write_runner",
]
