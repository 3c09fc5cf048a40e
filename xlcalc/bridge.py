"""The Excel bridge: re-score an open workbook with the Python reference scorer and write a 校验 sheet.

The 校验 button of each ``.xlsm`` template runs ``RunPython "import xlcalc.bridge;
xlcalc.bridge.verify_caller()"`` through the xlwings VBA embedded in the workbook; the xlwings
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
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from openpyxl.utils import get_column_letter

from xlcalc.check import open_returned
from xlcalc.engines import EngineError, EngineUnavailable, get_engine
from xlcalc.errors import InputError, XlcalcError
from xlcalc.lowering import GRADE, STATUS
from xlcalc.scorer import Scorer, UnitResult, resolve_params
from xlcalc.spec.loader import load_spec
from xlcalc.spec.model import Spec
from xlcalc.verify.compare import REL_TOL, same_value
from xlcalc.workbook.embedded import same_spec, trusted_spec
from xlcalc.workbook.layout import FIRST_ROW, FORMULA_SHEET, PARAM_SHEET, Layout
from xlcalc.workbook.readback import (
    SPEC_SHEET,
    CellProblem,
    embedded_spec_text,
    make_layout,
    n_units_from_index,
    read_inputs,
)
from xlcalc.xlsm import XLWINGS_VBA_VERSION

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
    "main",
    "run_in_excel",
    "values_match",
    "verify_book",
    "verify_caller",
    "write_check_sheet",
    "write_runner",
]

#: Name of the sheet the bridge writes.
CHECK_SHEET = "校验"

#: Column headers of the 校验 table (row 3).
CHECK_HEADERS: tuple[str, ...] = (
    "单位",
    "编号",
    "指标",
    "工作簿得分",
    "参考得分",
    "是否一致",
    "参考说明",
    "说明是否一致",
    "工作簿说明（不一致时）",
    "单元格",
)

#: Tolerance for comparing numbers (relative, absolute near zero); text must match exactly.
TOLERANCE = REL_TOL

_HEADER_ROW = 3
_COLUMN_WIDTHS = (12, 14, 26, 11, 11, 9, 60, 10, 40, 12)
_EXTRA_ROWS = ((STATUS, "填报状态"), (GRADE, "等级"))


class BridgeError(XlcalcError):
    """A problem the Excel user can act on (message in Chinese)."""


class SheetProtectedError(BridgeError):
    """A write into a protected sheet (what Excel reports as run-time error 1004)."""


# ---------------------------------------------------------------------------------- adapters


@runtime_checkable
class BookAdapter(Protocol):
    """What the bridge needs from an open workbook.

    Values follow :mod:`xlcalc.engines.base`: numbers as ``float``, text as ``str``, blank as
    ``None``; an error result may come back as an error object or as its text (``"#DIV/0!"``).
    """

    name: str

    def sheet_names(self) -> list[str]:
        """Names of all sheets, hidden ones included, in order."""
        ...

    def read(self, sheet: str, a1_range: str) -> list[list[Any]]:
        """Values of a rectangular range as rows (always two-dimensional)."""
        ...

    def used_rows(self, sheet: str) -> int:
        """Number of the last used row of a sheet (at least 1)."""
        ...

    def write(self, sheet: str, top_left: str, rows: list[list[Any]]) -> None:
        """Write a rectangular block of constants whose top-left cell is ``top_left``.

        Raises:
            SheetProtectedError: If the sheet is protected.
        """
        ...

    def add_sheet(self, name: str, after: str | None = None) -> None:
        """Add an empty worksheet after sheet ``after`` (after the last sheet if None)."""
        ...

    def clear_sheet(self, sheet: str) -> None:
        """Clear every cell of a sheet (values and formats)."""
        ...

    def is_protected(self, sheet: str) -> bool:
        """Whether a sheet's contents are protected."""
        ...

    def unprotect(self, sheet: str) -> None:
        """Remove a sheet's protection (empty password)."""
        ...

    def protect(self, sheet: str) -> None:
        """Protect a sheet (empty password)."""
        ...

    def set_column_widths(self, sheet: str, widths: Sequence[float]) -> None:
        """Set the widths of columns A, B, ... in characters (best effort)."""
        ...

    def recalc(self) -> None:
        """Recalculate the workbook."""
        ...

    def now(self) -> datetime:
        """The current local time (the check's timestamp)."""
        ...


class EngineBook:
    """A :class:`BookAdapter` over an :mod:`xlcalc.engines` Book.

    Reading works with every engine. Sheet operations (add, clear, protect) need a
    LibreOffice book (they use its UNO document, ``book.doc``). Like Excel, :meth:`write`
    refuses a protected sheet with :class:`SheetProtectedError`.

    Args:
        book: The open engine book.
        name: A name for messages (defaults to the book's source file name).
        clock: Returns the current time; ``datetime.now`` if omitted (tests pass a fixed clock).
    """

    def __init__(
        self, book: Any, name: str | None = None, clock: Callable[[], datetime] | None = None
    ) -> None:
        self.book = book
        source = getattr(book, "source", None)
        self.name = name or (Path(source).name if source else "workbook")
        self._clock = clock or datetime.now

    # -- helpers
    def _ops(self) -> Any:
        """The engine book, when it can change sheets (LibreOffice's can; see libreoffice_book.py)."""
        if getattr(self.book, "doc", None) is None:
            raise BridgeError(
                f"引擎 {type(self.book).__name__} 不支持增删工作表或保护工作表，请使用 LibreOffice"
            )
        return self.book

    # -- protocol
    def sheet_names(self) -> list[str]:
        """Names of all sheets, in order."""
        return list(self.book.sheet_names)

    def read(self, sheet: str, a1_range: str) -> list[list[Any]]:
        """Values of a range (see :meth:`xlcalc.engines.base.Book.read`)."""
        return self.book.read(sheet, a1_range)

    def used_rows(self, sheet: str) -> int:
        """Last used row of a sheet."""
        extent = getattr(self.book, "used_extent", None)
        if extent is not None:
            return int(extent(sheet)[0])
        return max(1, len(self.book.read(sheet, "A:A")))

    def write(self, sheet: str, top_left: str, rows: list[list[Any]]) -> None:
        """Write constants; like Excel, LibreOffice refuses locked cells of a protected sheet.

        Raises:
            SheetProtectedError: If the write was refused because the sheet is protected.
        """
        try:
            self.book.write(sheet, top_left, rows)
        except Exception as exc:
            if getattr(self.book, "doc", None) is not None and self.is_protected(sheet):
                raise SheetProtectedError(_protected_message(sheet)) from exc
            raise

    def add_sheet(self, name: str, after: str | None = None) -> None:
        """Insert a new sheet after ``after`` (or last)."""
        self._ops().add_sheet(name, after)

    def clear_sheet(self, sheet: str) -> None:
        """Clear values, formulas, notes and formats of every used cell."""
        self._ops().clear_sheet(sheet)

    def is_protected(self, sheet: str) -> bool:
        """Whether the sheet is protected."""
        return bool(self._ops().is_protected(sheet))

    def unprotect(self, sheet: str) -> None:
        """Unprotect with the empty password (LibreOffice raises if a password is set)."""
        try:
            self._ops().unprotect(sheet)
        except EngineError as exc:
            raise BridgeError(f"工作表“{sheet}”设有密码保护，无法撤销保护") from exc

    def protect(self, sheet: str) -> None:
        """Protect with the empty password."""
        self._ops().protect(sheet)

    def set_column_widths(self, sheet: str, widths: Sequence[float]) -> None:
        """Column widths in characters (about 2.5 mm each in the default font)."""
        self._ops().set_column_widths(sheet, tuple(widths))

    def recalc(self) -> None:
        """Recalculate every formula."""
        self.book.recalc()

    def now(self) -> datetime:
        """The clock's current time."""
        return self._clock()

    def save_as(self, path: str | Path) -> Path:
        """Save the (LibreOffice) document as .xlsx, or .xlsm (macros kept) for a .xlsm path."""
        return self._ops().save_as(path)


class XlwingsBook:
    """A :class:`BookAdapter` over an ``xlwings.Book``.

    Sheet protection goes through ``sheet.api``, which differs by platform: on Windows it is the
    COM Worksheet (``ProtectContents``, ``Unprotect(Password)``, ``Protect(Password)``), on macOS
    an appscript reference (``protect_contents.get()``, ``unprotect(password=)``,
    ``protect_worksheet(password=)``). Book objects xlwings builds without Excel (its remote
    engine) have no protection: sheets count as unprotected there.

    Args:
        book: The ``xlwings.Book``, e.g. ``xw.Book.caller()``.
        clock: Returns the current time; ``datetime.now`` if omitted.
    """

    def __init__(self, book: Any, clock: Callable[[], datetime] | None = None) -> None:
        self.book = book
        self.name = str(getattr(book, "name", "workbook"))
        self._clock = clock or datetime.now

    # -- helpers
    def _sheet(self, name: str) -> Any:
        return self.book.sheets[name]

    def _platform(self) -> str:
        """``"win"``, ``"mac"`` or ``"other"``, from the module of the book's implementation."""
        module = type(getattr(self.book, "impl", None)).__module__ or ""
        if module.endswith("_xlwindows"):
            return "win"
        if module.endswith("_xlmac"):
            return "mac"
        return "other"

    # -- protocol
    def sheet_names(self) -> list[str]:
        """Names of all sheets, in order."""
        return [sheet.name for sheet in self.book.sheets]

    def read(self, sheet: str, a1_range: str) -> list[list[Any]]:
        """Values as rows; errors as their text (``err_to_str``), whole numbers as float."""
        value = self._sheet(sheet).range(a1_range).options(ndim=2, err_to_str=True).value
        return [[_plain(v) for v in row] for row in (value or [[None]])]

    def used_rows(self, sheet: str) -> int:
        """Last row of the sheet's used range."""
        used = self._sheet(sheet).used_range
        return max(1, int(used.last_cell.row))

    def write(self, sheet: str, top_left: str, rows: list[list[Any]]) -> None:
        """Write constants; text that Excel would parse (``=…``, ``+…``, ``-…``, ``@…``) gets a ``'``.

        Raises:
            SheetProtectedError: If Excel refused the write (error 1004) because the sheet is protected.
        """
        block = [[_excel_constant(v) for v in row] for row in rows]
        try:
            self._sheet(sheet).range(top_left).value = block
        except Exception as exc:
            if self.is_protected(sheet):
                raise SheetProtectedError(_protected_message(sheet)) from exc
            raise

    def add_sheet(self, name: str, after: str | None = None) -> None:
        """Add a sheet after ``after`` (after the last sheet if None)."""
        sheets = self.book.sheets
        anchor = sheets[after] if after is not None else sheets[len(sheets) - 1]
        sheets.add(name, after=anchor)

    def clear_sheet(self, sheet: str) -> None:
        """Clear contents and formats (contents only where the engine cannot clear formats)."""
        target = self._sheet(sheet)
        try:
            target.clear()
        except NotImplementedError:
            target.clear_contents()

    def is_protected(self, sheet: str) -> bool:
        """``ProtectContents`` of the worksheet (False where xlwings has no Excel behind it)."""
        api = self._sheet(sheet).api
        platform = self._platform()
        if platform == "win":
            return bool(api.ProtectContents)
        if platform == "mac":
            return bool(api.protect_contents.get())
        return False

    def unprotect(self, sheet: str) -> None:
        """Unprotect with the empty password."""
        api = self._sheet(sheet).api
        platform = self._platform()
        try:
            if platform == "win":
                api.Unprotect("")
            elif platform == "mac":
                api.unprotect(password="")
        except Exception as exc:
            raise BridgeError(f"工作表“{sheet}”设有密码保护，无法撤销保护") from exc

    def protect(self, sheet: str) -> None:
        """Protect with the empty password."""
        api = self._sheet(sheet).api
        platform = self._platform()
        if platform == "win":
            api.Protect("")
        elif platform == "mac":
            api.protect_worksheet(password="")

    def set_column_widths(self, sheet: str, widths: Sequence[float]) -> None:
        """Column widths in characters (ignored where the engine cannot set them)."""
        target = self._sheet(sheet)
        for k, width in enumerate(widths, start=1):
            with contextlib.suppress(NotImplementedError, AttributeError):
                target.range((1, k)).column_width = width

    def recalc(self) -> None:
        """``App.calculate()`` (a no-op where the engine cannot calculate)."""
        with contextlib.suppress(NotImplementedError, AttributeError):
            self.book.app.calculate()

    def now(self) -> datetime:
        """The clock's current time."""
        return self._clock()


def _protected_message(sheet: str) -> str:
    return f"工作表“{sheet}”受保护，不能写入（Excel 报错 1004）"


def _plain(value: Any) -> Any:
    """xlwings value → bridge value: whole numbers as float, bool and text unchanged."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return float(value)
    if hasattr(value, "item"):  # numpy scalar
        return _plain(value.item())
    return value


def _excel_constant(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


# ---------------------------------------------------------------------------------- comparison


def values_match(workbook: Any, reference: Any) -> bool:
    """Whether a workbook value equals a reference value: :func:`xlcalc.verify.compare.same_value`,
    the comparison ``xlcalc verify`` and ``xlcalc check`` make."""
    return same_value(reference, workbook)


@dataclass(frozen=True)
class CheckRow:
    """One compared cell: a node's score for one unit, with its explanation.

    Attributes:
        unit: Unit name (column A of 填报), or the form's unit kind.
        unit_index: 0-based unit row.
        node_id: Node id (``"goals_1"``), or ``"status"``/``"grade"`` for the summary cells.
        label: The node's label.
        cell: Where the workbook value is, ``"评分!B4"``.
        workbook_value: The workbook's value (errors as their text).
        reference_value: The reference scorer's value.
        match: Whether the two values agree (:func:`values_match`).
        reference_explanation: The reference explanation text ("" if the node has none).
        workbook_explanation: The workbook's explanation cell (None if the node has none).
        explanation_cell: Where the explanation is, ``"扣分说明!C4"`` (None if none).
        explanation_match: Whether the explanations agree (None if the node has none).
    """

    unit: str
    unit_index: int
    node_id: str
    label: str
    cell: str
    workbook_value: Any
    reference_value: Any
    match: bool
    reference_explanation: str = ""
    workbook_explanation: Any = None
    explanation_cell: str | None = None
    explanation_match: bool | None = None

    @property
    def ok(self) -> bool:
        """Score and explanation (where there is one) both agree."""
        return self.match and self.explanation_match is not False


@dataclass
class BridgeReport:
    """Result of :func:`verify_book`.

    Attributes:
        book: The workbook's name.
        spec_id: The embedded spec's id.
        title: The rubric's title.
        n_units: Number of unit rows compared.
        rows: One row per unit and node (then status and grade).
        problems: Input or parameter cells the reference could not use (treated as blank/default).
    """

    book: str
    spec_id: str
    title: str
    n_units: int
    rows: list[CheckRow] = field(default_factory=list)
    problems: list[CellProblem] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Number of compared rows."""
        return len(self.rows)

    @property
    def mismatches(self) -> list[CheckRow]:
        """Rows whose score or explanation differs."""
        return [row for row in self.rows if not row.ok]

    @property
    def score_mismatches(self) -> list[CheckRow]:
        """Rows whose score differs."""
        return [row for row in self.rows if not row.match]

    @property
    def explanation_mismatches(self) -> list[CheckRow]:
        """Rows whose explanation differs."""
        return [row for row in self.rows if row.explanation_match is False]

    @property
    def ok(self) -> bool:
        """Everything agrees."""
        return not self.mismatches

    def summary(self) -> str:
        """``共N项，M项不一致`` (with the split into scores and explanations when M > 0)."""
        text = f"共{self.total}项，{len(self.mismatches)}项不一致"
        if self.mismatches:
            text += f"（得分不一致{len(self.score_mismatches)}项，说明不一致{len(self.explanation_mismatches)}项）"
        if self.problems:
            text += f"；{len(self.problems)}个输入单元格无法识别"
        return text


# ---------------------------------------------------------------------------------- verify


def _index_units(book: BookAdapter, spec_ranked: bool, default: int) -> int:
    if not spec_ranked:
        return 1
    if FORMULA_SHEET not in book.sheet_names():
        return default
    rows = book.read(FORMULA_SHEET, f"A2:B{min(max(book.used_rows(FORMULA_SHEET), 2), 60)}")
    n = n_units_from_index(rows)
    return n if n >= 1 else default


def _safe_params(
    book: BookAdapter, spec: Any, params: dict[str, Any], problems: list[CellProblem]
) -> dict[str, Any]:
    """Parameters the reference accepts; an out-of-range one is reported and left at its default."""
    ok: dict[str, Any] = {}
    bad: dict[str, str] = {}
    for name, value in params.items():
        try:
            resolve_params(spec, {name: value})
        except InputError as exc:
            bad[name] = str(exc)
            continue
        ok[name] = value
    if bad:
        labels = book.read(PARAM_SHEET, f"A{FIRST_ROW}:A{FIRST_ROW + len(spec.params) + 1}")
        rows = {str(r[0]): FIRST_ROW + k for k, r in enumerate(labels) if r and r[0] is not None}
        for name, message in bad.items():
            row = rows.get(spec.param(name).label)
            problems.append(
                CellProblem(PARAM_SHEET, f"B{row}" if row else name, f"{message}，参考评分按默认值计算")
            )
    return ok


def _read_cells(book: BookAdapter, layout: Layout, ids: list[str]) -> dict[tuple[str, int], tuple[str, Any]]:
    """``(cell id, unit) -> ("sheet!A1", value)``, read with one rectangle per sheet."""
    where: dict[str, list[tuple[str, int, int, int]]] = {}
    for cid in ids:
        for u in range(layout.n_units):
            row, col = layout.row_col(cid, u)
            where.setdefault(layout.sheet_of(cid), []).append((cid, u, row, col))
    out: dict[tuple[str, int], tuple[str, Any]] = {}
    for sheet, cells in where.items():
        r1 = min(c[2] for c in cells)
        r2 = max(c[2] for c in cells)
        c1 = min(c[3] for c in cells)
        c2 = max(c[3] for c in cells)
        block = book.read(sheet, f"{get_column_letter(c1)}{r1}:{get_column_letter(c2)}{r2}")
        for cid, u, row, col in cells:
            line = block[row - r1] if row - r1 < len(block) else []
            value = line[col - c1] if col - c1 < len(line) else None
            out[(cid, u)] = (f"{sheet}!{get_column_letter(col)}{row}", value)
    return out


def verify_book(
    book: BookAdapter, *, recalc: bool = True, spec: Spec | None = None, use_embedded: bool = True
) -> BridgeReport:
    """Re-score a workbook with the reference scorer and compare it cell by cell.

    Reads the spec embedded in ``_规格``, the number of unit rows from ``_公式``, the inputs
    and parameters; scores them with :class:`~xlcalc.scorer.Scorer`; compares every node's
    score cell (and its ``__why`` explanation cell where it has one) for every unit, then the
    status and grade cells. Nothing is written to the workbook.

    The embedded spec is untrusted: it is read within the size limits and the reference scores with
    ``spec``, else the trusted spec its ``meta.id`` names (:mod:`xlcalc.workbook.embedded`), else
    (``use_embedded``, the 校验 button in a workbook the user opened) the embedded spec itself. An
    embedded spec differing from the one used is reported as a problem of ``_规格!A1``.

    Args:
        book: The open workbook.
        recalc: Recalculate the workbook before reading it.
        spec: The trusted spec.
        use_embedded: Fall back on the embedded spec when no trusted one is known.

    Returns:
        The report.

    Raises:
        BridgeError: If the workbook is not an xlcalc template or its spec cannot be read.
    """
    names = book.sheet_names()
    if SPEC_SHEET not in names:
        raise BridgeError(
            f"工作簿“{book.name}”没有隐藏工作表“{SPEC_SHEET}”：它不是由 xlcalc 生成的评分模板，无法校验"
        )
    if recalc:
        book.recalc()
    try:
        embedded = embedded_spec_text(book.read, book.used_rows(SPEC_SHEET), book.name)
        spec, _ = trusted_spec(embedded, f"{book.name}!{SPEC_SHEET}", spec, use_embedded)
    except XlcalcError as exc:
        raise BridgeError(f"无法读取工作簿内嵌的评分规格（{SPEC_SHEET}）：{exc}") from exc
    problems: list[CellProblem] = []
    if not same_spec(spec, embedded):
        problems.append(
            CellProblem(SPEC_SHEET, "A1", f"工作簿内嵌的规格与所用规格（{spec.meta.id}）内容不同")
        )
    default_units = len(spec.meta.units) if spec.meta.ranked else 1
    layout = make_layout(spec, _index_units(book, spec.meta.ranked, default_units))
    readback = read_inputs(spec, layout, book.read)
    problems += readback.problems
    params = _safe_params(book, spec, readback.params, problems)
    scorer = Scorer(spec)
    try:
        results = scorer.score(readback.units, params)
    except XlcalcError as exc:  # should not happen: read_inputs drops cells it cannot use
        raise BridgeError(f"参考评分无法运行：{exc}") from exc

    nodes = list(spec.nodes())
    ids = [n.id for n in nodes if n.id in layout.positions]
    ids += [f"{n.id}__why" for n in nodes if f"{n.id}__why" in layout.positions]
    ids += [cid for cid, _ in _EXTRA_ROWS if cid in layout.positions]
    cells = _read_cells(book, layout, ids)

    report = BridgeReport(book.name, spec.meta.id, spec.meta.title, layout.n_units, problems=problems)
    for u, result in enumerate(results):
        report.rows.extend(_unit_rows(u, result, nodes, layout, cells))
    return report


def _unit_rows(
    u: int,
    result: UnitResult,
    nodes: list[Any],
    layout: Layout,
    cells: dict[tuple[str, int], tuple[str, Any]],
) -> Iterator[CheckRow]:
    for node in nodes:
        if node.id not in layout.positions:
            continue
        where, value = cells[(node.id, u)]
        reference = result.cells.get(node.id)
        why_id = f"{node.id}__why"
        ref_why = result.cells.get(why_id) or ""
        wb_why: Any = None
        why_cell: str | None = None
        why_match: bool | None = None
        if why_id in layout.positions:
            why_cell, wb_why = cells[(why_id, u)]
            why_match = values_match(wb_why, ref_why)
        yield CheckRow(
            result.unit,
            u,
            node.id,
            node.label,
            where,
            _shown(value),
            reference,
            values_match(value, reference),
            str(ref_why),
            _shown(wb_why),
            why_cell,
            why_match,
        )
    for cid, label in _EXTRA_ROWS:
        if cid not in layout.positions:
            continue
        where, value = cells[(cid, u)]
        reference = result.cells.get(cid)
        yield CheckRow(
            result.unit, u, cid, label, where, _shown(value), reference, values_match(value, reference)
        )


def _shown(value: Any) -> Any:
    """Error objects as their text, so the report holds plain values only."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


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
                row.node_id,
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


# ---------------------------------------------------------------------------------- Excel entries


def _embedded_xlwings() -> str:
    """The xlwings version whose VBA the .xlsm templates embed."""

    return XLWINGS_VBA_VERSION


def _version_note() -> str:
    """A hint when Python's xlwings differs from the VBA embedded in the templates ("" if equal)."""
    try:
        import xlwings

        found, wanted = xlwings.__version__, _embedded_xlwings()
    except Exception:
        return ""
    if found == wanted:
        return ""
    return f"\n注意：本机 Python 中的 xlwings 为 {found}，模板内嵌的 xlwings VBA 为 {wanted}；建议 pip install xlwings=={wanted}。"


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


# ---------------------------------------------------------------------------------- without Excel


def check_file(
    path: str | Path, out: str | Path, spec: Spec | None = None, *, use_embedded: bool = False
) -> BridgeReport:
    """Verify a workbook in LibreOffice (no Excel needed) and save a copy holding the 校验 sheet.

    The file is untrusted: before LibreOffice opens it, the bounded reader of ``xlcalc check``
    (:func:`xlcalc.check.open_returned`) screens it and refuses, with the located problems, a damaged
    or hostile package, deleted or renamed sheets, links to other files, formulas in input cells and
    an embedded spec differing from the trusted one.

    Args:
        path: The filled workbook (.xlsx or .xlsm); it is not modified.
        out: Where to save the checked copy (.xlsx; .xlsm keeps the macros).
        spec: The trusted spec (default: found by the embedded ``meta.id``, as ``xlcalc check``).
        use_embedded: Without a known spec, use the workbook's own (untrusted) one.

    Returns:
        The report.

    Raises:
        BridgeError: As :func:`verify_book`, or if LibreOffice is not available.
    """

    screened = open_returned(path, spec, use_embedded=use_embedded)
    unsafe = screened.report.unsafe
    if unsafe:
        shown = "\n  ".join(unsafe[:20]) + (f"\n  …另有{len(unsafe) - 20}处" if len(unsafe) > 20 else "")
        raise BridgeError(f"{path}：工作簿未通过安全检查，未用 LibreOffice 打开：\n  {shown}")
    engine = get_engine("libreoffice")
    try:
        with engine.open(path) as opened:
            adapter = EngineBook(opened, name=Path(path).name)
            report = verify_book(adapter, spec=screened.spec, use_embedded=False)
            write_check_sheet(adapter, report)
            adapter.save_as(out)
    except EngineUnavailable as exc:
        raise BridgeError(f"没有 Excel 时校验需要 LibreOffice：{exc}") from exc
    finally:
        engine.close()
    return report


def cli(argv: Sequence[str] | None = None) -> int:
    """``python -m xlcalc.bridge``: ``check`` a workbook in LibreOffice, or write a ``runner`` module."""
    parser = argparse.ArgumentParser(prog="python -m xlcalc.bridge", description="xlcalc 校验（Excel 之外）")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("check", help="用 LibreOffice 重算并校验工作簿，另存一份带“校验”表的副本")
    p.add_argument("workbook")
    p.add_argument("--out", help="副本路径（默认：<文件名>_校验.xlsx）")
    p.add_argument("--spec", help="可信的评分规格（默认：按内嵌 meta.id 在 ./rubric_specs 中查找）")
    p.add_argument("--embedded", action="store_true", help="找不到规格时使用工作簿内嵌的（不可信）规格")
    p = sub.add_parser("runner", help="在工作簿旁写入 <文件名>.py，供 xlwings 加载项的“Run main”使用")
    p.add_argument("workbook")
    args = parser.parse_args(argv)
    try:
        if args.command == "runner":
            sys.stdout.write(f"{write_runner(args.workbook)}\n")
            return 0
        source = Path(args.workbook)
        out = Path(args.out) if args.out else source.with_name(f"{source.stem}_校验.xlsx")

        spec = load_spec(args.spec) if args.spec else None
        report = check_file(source, out, spec, use_embedded=args.embedded)
    except XlcalcError as exc:
        sys.stderr.write(f"{exc}\n")
        return 2
    sys.stdout.write(f"{report.summary()}\n{out}\n")
    for row in report.mismatches[:20]:
        sys.stdout.write(
            f"不一致：{row.unit} {row.node_id}（{row.cell}）：工作簿 {row.workbook_value!r}，参考 {row.reference_value!r}\n"
        )
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(cli())
