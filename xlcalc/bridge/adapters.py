"""What the bridge does to a workbook, behind one small protocol (:class:`BookAdapter`), and its two
adapters: :class:`XlwingsBook` (desktop Excel through xlwings) and :class:`EngineBook` (an
:mod:`xlcalc.engines` book; sheet operations need LibreOffice's)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from xlcalc.engines import EngineError
from xlcalc.errors import XlcalcError


class BridgeError(XlcalcError):
    """A problem the Excel user can act on (message in Chinese)."""

    # Excel's error popup shows the traceback's last line: keep the name users have always seen.
    __module__ = "xlcalc.bridge"


class SheetProtectedError(BridgeError):
    """A write into a protected sheet (what Excel reports as run-time error 1004)."""

    __module__ = "xlcalc.bridge"


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
