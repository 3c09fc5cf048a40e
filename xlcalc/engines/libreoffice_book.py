"""A workbook open in LibreOffice over UNO: the engine Book protocol, and the sheet operations the
Excel bridge needs (add, clear, protect, column widths, save) when it runs against LibreOffice."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .base import (
    Book,
    CellRange,
    EngineError,
    ErrorValue,
    cell_name,
    normalize_rows,
    parse_cell,
    parse_range,
)
from .libreoffice_uno import _const, _prop, error_text, import_uno

if TYPE_CHECKING:
    from .libreoffice import LibreOfficeEngine


class LibreOfficeBook(Book):
    """A workbook open in LibreOffice (a private copy of the file)."""

    def __init__(self, engine: LibreOfficeEngine, doc: Any, source: Path, copy: Path):
        self.engine = engine
        self.doc = doc
        self.source = source
        self._copy = copy
        self._dirty = True  # cached values in the file may be stale: recalculate before the first read
        self._sheets: dict[str, Any] = {}
        self._ranges: dict[tuple[str, int, int, int, int], Any] = {}
        self._parser: Any = None
        self._closed = False

    # ------------------------------------------------------------------ book protocol
    @property
    def sheet_names(self) -> list[str]:
        """Names of the sheets, in order."""
        return list(self.doc.Sheets.getElementNames())

    def write(self, sheet: str, top_left: str, rows: list[list[Any]]) -> None:
        """Write a block of values with one ``setDataArray`` call (None/"" clears, bool → 1.0/0.0).

        Args:
            sheet: Sheet name.
            top_left: A1 address of the top-left cell.
            rows: Row-major values.
        """
        block = normalize_rows(rows)
        r, c = parse_cell(top_left)
        data = tuple(tuple(_to_lo(v) for v in row) for row in block)
        key = (sheet, r, c, len(block), len(block[0]))
        rng = self._ranges.get(key)
        if rng is None:  # looking a range up costs a UNO round trip as dear as the write itself
            sh = self._sheet(sheet)
            rng = sh.getCellRangeByPosition(c - 1, r - 1, c - 2 + len(block[0]), r - 2 + len(block))
            self._ranges[key] = rng
        rng.setDataArray(data)
        self._dirty = True

    def write_protected(self, sheet: str, top_left: str, rows: list[list[Any]]) -> None:
        """:meth:`write` with the sheet's protection lifted (empty password) and restored after."""
        sh = self._sheet(sheet)
        if not sh.isProtected():
            self.write(sheet, top_left, rows)
            return
        sh.unprotect("")
        try:
            self.write(sheet, top_left, rows)
        finally:
            sh.protect("")

    def read(self, sheet: str, a1_range: str) -> list[list[Any]]:
        """Read a block with one ``getDataArray`` call, plus one query each for empty and error cells
        when the block holds values that may be either.

        Args:
            sheet: Sheet name.
            a1_range: A1 range; whole columns/rows are trimmed to the used area.

        Returns:
            Rows of float/str/None/ErrorValue (booleans come back as 1.0/0.0).
        """
        self._ensure_calculated()
        sh = self._sheet(sheet)
        rng = self._resolve(sh, a1_range)
        assert rng.r2 is not None and rng.c2 is not None
        key = (sheet, rng.r1, rng.c1, rng.r2 - rng.r1 + 1, rng.c2 - rng.c1 + 1)
        cells = self._ranges.get(key)
        if cells is None:
            cells = sh.getCellRangeByPosition(rng.c1 - 1, rng.r1 - 1, rng.c2 - 1, rng.r2 - 1)
            self._ranges[key] = cells
        # getDataArray gives "" for an empty cell and for a formula's "", and None for an error; the
        # dearer queries (a few ms each) run only when the block holds such values.
        out: list[list[Any]] = [list(row) for row in cells.getDataArray()]
        if any(v == "" for row in out for v in row):
            for row, texts in zip(out, cells.getFormulaArray(), strict=True):
                for c, text in enumerate(texts):
                    if text == "":  # nothing in the cell, not even a formula
                        row[c] = None
        if any(v is None for row in out for v in row):
            for addr in cells.queryFormulaCells(
                _const("com.sun.star.sheet.FormulaResult.ERROR")
            ).getRangeAddresses():
                for r in range(addr.StartRow, addr.EndRow + 1):
                    for c in range(addr.StartColumn, addr.EndColumn + 1):
                        code = sh.getCellByPosition(c, r).getError()
                        out[r - rng.r1 + 1][c - rng.c1 + 1] = ErrorValue(error_text(code))
        return out

    def invalidate(self) -> None:
        """Cells were changed through UNO directly: recalculate before the next read."""
        self._dirty = True

    def recalc(self) -> None:
        """Recalculate every formula (``calculateAll``)."""
        if self._closed:  # else UNO's DisposedException, which names nothing
            raise EngineError("book is closed")
        self.doc.calculateAll()
        self._dirty = False

    def errors(self) -> list[tuple[str, str, str]]:
        """Every formula cell holding an error, found with ``queryFormulaCells(ERROR)`` per sheet.

        Returns:
            ``(sheet, address, error text)`` in sheet order, then row, then column.
        """
        error = _const("com.sun.star.sheet.FormulaResult.ERROR")
        self._ensure_calculated()
        found: list[tuple[str, str, str]] = []
        sheets = self.doc.Sheets
        for name in sheets.getElementNames():
            sh = sheets.getByName(name)
            hits: list[tuple[int, int, str]] = []
            for addr in sh.queryFormulaCells(error).getRangeAddresses():
                for r in range(addr.StartRow, addr.EndRow + 1):
                    for c in range(addr.StartColumn, addr.EndColumn + 1):
                        hits.append((r, c, error_text(sh.getCellByPosition(c, r).getError())))
            found.extend((name, cell_name(r + 1, c + 1), text) for r, c, text in sorted(hits))
        return found

    def formula(self, sheet: str, cell: str) -> str:
        """Formula of a cell in Excel (OOXML) syntax, e.g. ``=_xlfn.RANK.EQ(B2,$B$2:$B$5,0)``.

        Returns:
            The formula with a leading ``=``, or ``""`` for a cell without formula.
        """
        r, c = parse_cell(cell)
        xcell = self._sheet(sheet).getCellByPosition(c - 1, r - 1)
        if xcell.getType().value != "FORMULA":
            return ""
        try:
            return "=" + self._formula_parser().printFormula(xcell.getTokens(), xcell.getCellAddress())
        except Exception:  # fall back to LibreOffice's own syntax
            return str(xcell.getFormula())

    def close(self) -> None:
        """Close the document (discarding changes) and delete the private copy."""
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(Exception):
            self.doc.close(True)
        with contextlib.suppress(OSError):
            self._copy.unlink()
        self.engine._forget(self)

    # ------------------------------------------------------------------ sheet operations
    # Beyond the Book protocol: what the Excel bridge does to a workbook (xlcalc/bridge), here so
    # that every UNO call lives in the engine.
    def add_sheet(self, name: str, after: str | None = None) -> None:
        """Insert a new sheet after ``after`` (or last)."""
        sheets = self.doc.Sheets
        names = list(sheets.getElementNames())
        position = names.index(after) + 1 if after in names else len(names)
        sheets.insertNewByName(name, position)

    def clear_sheet(self, sheet: str) -> None:
        """Clear values, formulas, notes and formats of every used cell."""
        uno_sheet = self._uno_sheet(sheet)
        cursor = uno_sheet.createCursor()
        cursor.gotoEndOfUsedArea(False)
        end = cursor.getRangeAddress()
        block = uno_sheet.getCellRangeByPosition(0, 0, end.EndColumn, end.EndRow)
        block.clearContents(1023)  # com.sun.star.sheet.CellFlags: every flag up to FORMATTED

    def is_protected(self, sheet: str) -> bool:
        """Whether the sheet is protected."""
        return bool(self._uno_sheet(sheet).isProtected())

    def unprotect(self, sheet: str) -> None:
        """Unprotect with the empty password.

        Raises:
            EngineError: If a password is set.
        """
        try:
            self._uno_sheet(sheet).unprotect("")
        except Exception as exc:  # com.sun.star.lang.IllegalArgumentException: wrong password
            raise EngineError(f"sheet {sheet!r} is protected with a password") from exc

    def protect(self, sheet: str) -> None:
        """Protect with the empty password."""
        self._uno_sheet(sheet).protect("")

    def set_column_widths(self, sheet: str, widths: list[float] | tuple[float, ...]) -> None:
        """Column widths in characters (about 2.5 mm each in the default font)."""
        columns = self._uno_sheet(sheet).getColumns()
        for k, width in enumerate(widths):
            columns.getByIndex(k).Width = int(width * 250)

    def save_as(self, path: str | Path) -> Path:
        """Save the document as .xlsx, or .xlsm (macros kept) for a .xlsm path."""
        uno = import_uno()
        target = Path(path).resolve()
        target.parent.mkdir(parents=True, exist_ok=True)
        xlsm = target.suffix.lower() == ".xlsm"
        filter_name = _prop(
            uno, "FilterName", "Calc MS Excel 2007 VBA XML" if xlsm else "Calc MS Excel 2007 XML"
        )
        self.doc.storeToURL(
            uno.systemPathToFileUrl(str(target)), (filter_name, _prop(uno, "Overwrite", True))
        )
        return target

    def _uno_sheet(self, sheet: str) -> Any:
        sheets = self.doc.Sheets
        if not sheets.hasByName(sheet):
            raise KeyError(sheet)
        return sheets.getByName(sheet)

    # ------------------------------------------------------------------ helpers
    def used_extent(self, sheet: str) -> tuple[int, int]:
        """``(last used row, last used column)`` of a sheet, 1-based (at least ``(1, 1)``)."""
        return _used_extent(self._sheet(sheet))

    def _ensure_calculated(self) -> None:
        if self._dirty:
            self.recalc()

    def _sheet(self, name: str) -> Any:
        if self._closed:
            raise EngineError("book is closed")
        sh = self._sheets.get(name)
        if sh is None:
            sheets = self.doc.Sheets
            if not sheets.hasByName(name):
                raise KeyError(f"no sheet {name!r}; sheets: {list(sheets.getElementNames())}")
            sh = self._sheets[name] = sheets.getByName(name)
        return sh

    def _resolve(self, sh: Any, a1_range: str) -> CellRange:
        rng = parse_range(a1_range)
        if rng.whole:
            rng = rng.trimmed(*_used_extent(sh))
        return rng

    def _formula_parser(self) -> Any:
        if self._parser is None:
            parser = self.doc.createInstance("com.sun.star.sheet.FormulaParser")
            mapper = self.doc.createInstance("com.sun.star.sheet.FormulaOpCodeMapper")
            parser.FormulaConvention = _const("com.sun.star.sheet.AddressConvention.XL_A1")
            parser.CompileEnglish = True
            parser.OpCodeMap = mapper.getAvailableMappings(
                _const("com.sun.star.sheet.FormulaLanguage.OOXML"),
                _const("com.sun.star.sheet.FormulaMapGroup.ALL_EXCEPT_SPECIAL"),
            )
            self._parser = parser
        return self._parser


def _used_extent(sh: Any) -> tuple[int, int]:
    cursor = sh.createCursor()
    cursor.gotoEndOfUsedArea(False)
    addr = cursor.getRangeAddress()
    return addr.EndRow + 1, addr.EndColumn + 1


def _to_lo(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    return v
