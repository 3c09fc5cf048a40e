"""Microsoft Excel through xlwings (Windows and macOS only).

On Linux :meth:`ExcelEngine.available` returns ``(False, reason)`` and :meth:`ExcelEngine.open`
raises :class:`~xlcalc.engines.base.EngineUnavailable`; xlwings itself raises "only supported
on Windows and macOS" there.

One hidden Excel instance per engine (``xw.App(visible=False, add_book=False)``), started on
the first ``open``, with alerts and screen updating off and calculation set to manual. Books are
private copies of the file; ``recalc`` runs ``CalculateFull`` (Windows) or ``app.calculate()``.
Text values are written with a leading apostrophe so Excel never turns ``"5"`` into a number or
``"=x"`` into a formula.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import itertools
import shutil
import sys
import tempfile
import weakref
from pathlib import Path
from typing import Any

from .base import (
    EXCEL_ERROR_CODES,
    Book,
    Engine,
    EngineError,
    EngineUnavailable,
    ErrorValue,
    cell_name,
    normalize_rows,
    parse_cell,
    parse_range,
)

__all__ = ["ExcelBook", "ExcelEngine"]

INSTALL_HINT = "install Microsoft Excel and `pip install xlwings` on Windows or macOS"
_EXCEL_EPOCH = _dt.datetime(1899, 12, 30)


def _platform_ok() -> bool:
    return sys.platform in ("win32", "darwin")


class ExcelEngine(Engine):
    """Excel via xlwings; one hidden Excel instance per engine.

    Args:
        visible: Show the Excel window (debugging).
    """

    name = "excel"

    def __init__(self, visible: bool = False):
        self.visible = visible
        self._app: Any = None
        self._tmp: Path | None = None
        self._books: weakref.WeakSet[ExcelBook] = weakref.WeakSet()
        self._counter = itertools.count(1)

    def available(self) -> tuple[bool, str]:
        """Check the platform and that xlwings imports (does not start Excel).

        Returns:
            ``(True, "")`` or ``(False, reason)``.
        """
        if not _platform_ok():
            return False, (
                f"Excel via xlwings is only supported on Windows and macOS (this is {sys.platform}); "
                "use the 'libreoffice' or 'formulas' engine here"
            )
        try:
            import xlwings  # noqa: F401
        except Exception as exc:
            return False, f"xlwings cannot be imported ({exc}); {INSTALL_HINT}"
        return True, ""

    def open(self, path: str | Path) -> ExcelBook:
        """Open a private copy of a workbook in the hidden Excel instance.

        Args:
            path: The .xlsx/.xlsm file; it is never modified.

        Returns:
            The open book.

        Raises:
            FileNotFoundError: If ``path`` does not exist.
            EngineUnavailable: Off Windows/macOS, without xlwings or without Excel.
        """
        ok, why = self.available()
        if not ok:
            raise EngineUnavailable(why)
        src = Path(path)
        if not src.is_file():
            raise FileNotFoundError(str(src))
        app = self._ensure_app()
        assert self._tmp is not None
        copy = self._tmp / f"{next(self._counter):04d}_{src.name}"
        shutil.copyfile(src, copy)
        try:
            wb = app.books.open(str(copy), update_links=False, read_only=False)
        except Exception as exc:
            raise EngineError(f"Excel could not open {src}: {exc}") from exc
        with contextlib.suppress(Exception):
            app.calculation = "manual"
        book = ExcelBook(self, wb, src, copy)
        self._books.add(book)
        return book

    def close(self) -> None:
        """Close every book and quit the Excel instance."""
        for book in list(self._books):
            with contextlib.suppress(Exception):
                book.close()
        app, self._app = self._app, None
        if app is not None:
            with contextlib.suppress(Exception):
                app.quit()
            with contextlib.suppress(Exception):
                app.kill()
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def _ensure_app(self) -> Any:
        if self._app is not None:
            return self._app
        try:
            import xlwings as xw

            app = xw.App(visible=self.visible, add_book=False)
        except Exception as exc:
            raise EngineUnavailable(
                f"Excel could not be started through xlwings: {exc}; {INSTALL_HINT}"
            ) from exc
        with contextlib.suppress(Exception):
            app.display_alerts = False
        with contextlib.suppress(Exception):
            app.screen_updating = False
        self._app = app
        self._tmp = Path(tempfile.mkdtemp(prefix="xlcalc-excel-"))
        return app

    def _forget(self, book: ExcelBook) -> None:
        self._books.discard(book)


class ExcelBook(Book):
    """A workbook open in Excel (a private copy of the file)."""

    def __init__(self, engine: ExcelEngine, wb: Any, source: Path, copy: Path):
        self.engine = engine
        self.wb = wb
        self.source = source
        self._copy = copy
        self._dirty = True
        self._closed = False

    @property
    def sheet_names(self) -> list[str]:
        """Names of the sheets, in order."""
        return [s.name for s in self.wb.sheets]

    def write(self, sheet: str, top_left: str, rows: list[list[Any]]) -> None:
        """Write a block with one range assignment (text is written with a leading apostrophe).

        Args:
            sheet: Sheet name.
            top_left: A1 address of the top-left cell.
            rows: Row-major values; None/"" clears a cell.
        """
        block = normalize_rows(rows)
        data = [[("'" + v) if isinstance(v, str) else v for v in row] for row in block]
        self._sheet(sheet).range(top_left).value = data
        self._dirty = True

    def write_protected(self, sheet: str, top_left: str, rows: list[list[Any]]) -> None:
        """:meth:`write` with the sheet's protection lifted (empty password) and restored after
        (Excel raises error 1004 on a locked cell of a protected sheet). ``sheet.api`` is the COM
        Worksheet on Windows, an appscript reference on macOS."""
        api = self._sheet(sheet).api
        windows = sys.platform == "win32"
        if not (api.ProtectContents if windows else api.protect_contents.get()):
            self.write(sheet, top_left, rows)
            return
        if windows:
            api.Unprotect("")
        else:
            api.unprotect(password="")
        try:
            self.write(sheet, top_left, rows)
        finally:
            if windows:
                api.Protect("")
            else:
                api.protect_worksheet(password="")

    def read(self, sheet: str, a1_range: str) -> list[list[Any]]:
        """Read a block with one range read (errors via ``err_to_str``).

        Args:
            sheet: Sheet name.
            a1_range: A1 range; whole columns/rows are trimmed to the used range.

        Returns:
            Rows of float/str/bool/None/ErrorValue (dates come back as Excel serial numbers).
        """
        self._ensure_calculated()
        sh = self._sheet(sheet)
        rng = parse_range(a1_range)
        if rng.whole:
            used = sh.used_range
            rng = rng.trimmed(used.last_cell.row, used.last_cell.column)
        values = sh.range(rng.a1()).options(ndim=2, err_to_str=True).value
        return [[_from_excel(v) for v in row] for row in values]

    def recalc(self) -> None:
        """Full recalculation (``Application.CalculateFull`` on Windows, ``calculate()`` elsewhere)."""
        app = self.wb.app
        if sys.platform == "win32":
            try:
                app.api.CalculateFull()
            except Exception:
                app.calculate()
        else:
            app.calculate()
        self._dirty = False

    def errors(self) -> list[tuple[str, str, str]]:
        """Every formula cell holding an error (two bulk reads of each sheet's used range).

        Returns:
            ``(sheet, address, error text)`` in sheet order, then row, then column.
        """
        self._ensure_calculated()
        found: list[tuple[str, str, str]] = []
        for sh in self.wb.sheets:
            used = sh.used_range
            r0, c0 = used.row, used.column
            formulas = used.options(ndim=2).formula
            values = used.options(ndim=2, err_to_str=True).value
            if (
                not isinstance(formulas, (list, tuple))
                or formulas
                and not isinstance(formulas[0], (list, tuple))
            ):
                formulas = [[formulas]]
            for i, (frow, vrow) in enumerate(zip(formulas, values, strict=False)):
                for j, (f, v) in enumerate(zip(frow, vrow, strict=False)):
                    if (
                        isinstance(f, str)
                        and f.startswith("=")
                        and isinstance(v, str)
                        and v in EXCEL_ERROR_CODES
                    ):
                        found.append((sh.name, cell_name(r0 + i, c0 + j), v))
        return found

    def formula(self, sheet: str, cell: str) -> str:
        """Formula text of a cell (``""`` if it holds no formula)."""
        parse_cell(cell)
        f = self._sheet(sheet).range(cell).formula
        return f if isinstance(f, str) and f.startswith("=") else ""

    def close(self) -> None:
        """Close the book without saving and delete the private copy."""
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(Exception):
            self.wb.close()
        with contextlib.suppress(OSError):
            self._copy.unlink()
        self.engine._forget(self)

    def _ensure_calculated(self) -> None:
        if self._dirty:
            self.recalc()

    def _sheet(self, name: str) -> Any:
        if self._closed:
            raise EngineError("book is closed")
        try:
            return self.wb.sheets[name]
        except Exception as exc:
            raise KeyError(f"no sheet {name!r}; sheets: {self.sheet_names}") from exc


def _from_excel(v: Any) -> Any:
    if v is None or isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str):
        return ErrorValue(v) if v in EXCEL_ERROR_CODES else v
    if isinstance(v, _dt.datetime):
        return (v.replace(tzinfo=None) - _EXCEL_EPOCH).total_seconds() / 86400.0
    if isinstance(v, _dt.date):
        return float((v - _EXCEL_EPOCH.date()).days)
    return v
