"""Engine-neutral interface for recalculating .xlsx workbooks in real spreadsheet engines.

A verifier opens a workbook in an :class:`Engine`, writes input cases into it, recalculates
and reads the outputs back through a :class:`Book`. The adapters (LibreOffice over UNO, the
``formulas`` pure-Python engine, Excel through xlwings) all follow the same value conventions:

* ``write`` accepts ``float``/``int``/``bool``/``str`` values and ``None`` (clear the cell);
  an empty string also clears the cell (LibreOffice and Excel cannot store an empty text
  constant, so every engine treats ``""`` like ``None``).
* ``read`` returns numbers as ``float``, text as ``str``, empty cells as ``None`` and error
  results as :class:`ErrorValue` instances. A formula whose result is the empty string reads
  back as ``""``, a truly empty cell as ``None``. Booleans come back as ``bool`` from the
  ``formulas`` and Excel engines and as ``1.0``/``0.0`` from LibreOffice, which has no boolean
  cell type (``True == 1.0`` in Python, so equality comparisons still agree).
* ``read`` and ``errors`` always reflect every write made so far: if writes are pending, the
  book recalculates first (once per write batch, not per cell).
* Whole-column (``"B:B"``) and whole-row (``"2:2"``) ranges are trimmed to the sheet's used
  area, so ``read(sheet, "B:B")`` returns rows 1..last used row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

__all__ = [
    "MAX_COLS",
    "MAX_ROWS",
    "Book",
    "CellRange",
    "Engine",
    "EngineError",
    "EngineUnavailable",
    "ErrorValue",
    "cell_name",
    "col_index",
    "col_letter",
    "normalize_rows",
    "parse_cell",
    "parse_range",
]

MAX_ROWS = 1_048_576
MAX_COLS = 16_384

EXCEL_ERROR_CODES = frozenset(
    {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA", "#SPILL!", "#CALC!"}
)


class EngineUnavailable(Exception):
    """The requested engine cannot run here; the message says why and how to install it."""


class EngineError(RuntimeError):
    """An engine failed while running (office process died, load failed, ...)."""


@dataclass(frozen=True)
class ErrorValue:
    """An error result of a formula cell.

    Attributes:
        code: Error text as the engine shows it: Excel codes such as ``"#NAME?"``,
            ``"#VALUE!"``, ``"#DIV/0!"``, ``"#N/A"``, ``"#REF!"``, ``"#NUM!"``, or
            LibreOffice-only codes such as ``"Err:504"``.
    """

    code: str

    def __str__(self) -> str:
        return self.code


@runtime_checkable
class Book(Protocol):
    """An open workbook inside an engine."""

    def write(self, sheet: str, top_left: str, rows: list[list[Any]]) -> None:
        """Write a rectangular block of values whose top-left cell is ``top_left``.

        Args:
            sheet: Sheet name, e.g. ``"填报"``.
            top_left: A1 address of the block's top-left cell, e.g. ``"B2"``.
            rows: Row-major values: float/int/bool/str, ``None`` clears a cell.
        """
        ...

    def write_protected(self, sheet: str, top_left: str, rows: list[list[Any]]) -> None:
        """Write a block into locked cells of a protected sheet (the evaluator's parameters on 参数):
        an engine enforcing protection lifts the sheet's (password-less) protection for the write and
        restores it. :meth:`write` keeps refusing locked cells, as Excel and LibreOffice do. This
        default suits engines that do not enforce protection."""
        self.write(sheet, top_left, rows)

    def read(self, sheet: str, a1_range: str) -> list[list[Any]]:
        """Read a block of values (numbers as float, text as str, empty as None, errors as ErrorValue).

        Args:
            sheet: Sheet name.
            a1_range: ``"B2"``, ``"B2:D9"``, ``"B:B"`` or ``"2:3"``.

        Returns:
            Row-major list of rows.
        """
        ...

    def recalc(self) -> None:
        """Recalculate the whole workbook."""
        ...

    def errors(self) -> list[tuple[str, str, str]]:
        """List every formula cell of the workbook holding an error.

        Returns:
            ``(sheet, cell address, error text)`` tuples, e.g. ``("评分", "E2", "#DIV/0!")``.
        """
        ...

    def formula(self, sheet: str, cell: str) -> str:
        """Return the formula text of a cell (``""`` if the cell holds no formula)."""
        ...

    def close(self) -> None:
        """Close the workbook, discarding changes (the file on disk is never modified)."""
        ...

    def __enter__(self) -> Book:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@runtime_checkable
class Engine(Protocol):
    """A spreadsheet engine able to open .xlsx workbooks."""

    name: str

    def available(self) -> tuple[bool, str]:
        """Tell whether the engine can run here.

        Returns:
            ``(True, "")`` or ``(False, reason)`` where the reason says how to install it.
        """
        ...

    def open(self, path: str | Path) -> Book:
        """Open a workbook (a private copy; the file itself is never modified).

        Raises:
            EngineUnavailable: If the engine cannot run here.
        """
        ...

    def close(self) -> None:
        """Close every open book and shut the engine down cleanly."""
        ...

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ----------------------------------------------------------------------------- A1 helpers

_CELL_RE = re.compile(r"^\$?([A-Za-z]{1,3})\$?([0-9]{1,7})$")
_COL_RE = re.compile(r"^\$?([A-Za-z]{1,3})$")
_ROW_RE = re.compile(r"^\$?([0-9]{1,7})$")


@dataclass(frozen=True)
class CellRange:
    """A rectangular range with 1-based inclusive bounds.

    ``r2``/``c2`` are ``None`` for open-ended whole-column/whole-row ranges that still have
    to be trimmed to a sheet's used area.
    """

    r1: int
    c1: int
    r2: int | None
    c2: int | None

    @property
    def whole(self) -> bool:
        """True for whole-column or whole-row ranges."""
        return self.r2 is None or self.c2 is None

    def trimmed(self, max_row: int, max_col: int) -> CellRange:
        """Close open bounds at the used area (never smaller than one row/column)."""
        r2 = self.r2 if self.r2 is not None else max(max_row, self.r1)
        c2 = self.c2 if self.c2 is not None else max(max_col, self.c1)
        return CellRange(self.r1, self.c1, r2, c2)

    @property
    def shape(self) -> tuple[int, int]:
        """``(rows, columns)`` of a closed range."""
        if self.r2 is None or self.c2 is None:
            raise ValueError("open-ended range has no shape; call trimmed() first")
        return self.r2 - self.r1 + 1, self.c2 - self.c1 + 1

    def a1(self) -> str:
        """A1 text of a closed range (``"B2"`` or ``"B2:D5"``)."""
        if self.r2 is None or self.c2 is None:
            raise ValueError("open-ended range")
        first = cell_name(self.r1, self.c1)
        if (self.r1, self.c1) == (self.r2, self.c2):
            return first
        return f"{first}:{cell_name(self.r2, self.c2)}"


def col_index(letters: str) -> int:
    """Convert column letters to a 1-based index (``"A"`` → 1, ``"AA"`` → 27)."""
    n = 0
    for ch in letters.upper():
        if not "A" <= ch <= "Z":
            raise ValueError(f"bad column letters {letters!r}")
        n = n * 26 + ord(ch) - 64
    if not 1 <= n <= MAX_COLS:
        raise ValueError(f"column out of range: {letters!r}")
    return n


def col_letter(index: int) -> str:
    """Convert a 1-based column index to letters (27 → ``"AA"``)."""
    if not 1 <= index <= MAX_COLS:
        raise ValueError(f"column index out of range: {index}")
    out = ""
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def cell_name(row: int, col: int) -> str:
    """A1 name of a 1-based (row, column) position."""
    return f"{col_letter(col)}{row}"


def parse_cell(ref: str) -> tuple[int, int]:
    """Parse ``"B2"`` (``$`` allowed) into 1-based ``(row, column)``.

    Raises:
        ValueError: If ``ref`` is not a single-cell A1 address.
    """
    m = _CELL_RE.match(ref.strip())
    if not m:
        raise ValueError(f"not an A1 cell address: {ref!r}")
    row = int(m.group(2))
    if not 1 <= row <= MAX_ROWS:
        raise ValueError(f"row out of range: {ref!r}")
    return row, col_index(m.group(1))


def parse_range(ref: str) -> CellRange:
    """Parse an A1 range: ``"B2"``, ``"B2:D5"``, ``"B:D"`` (whole columns) or ``"2:5"`` (whole rows).

    Raises:
        ValueError: If ``ref`` is not an A1 range.
    """
    text = ref.strip()
    if "!" in text:
        raise ValueError(f"pass the sheet separately, not inside the range: {ref!r}")
    parts = text.split(":")
    if len(parts) == 1:
        r, c = parse_cell(parts[0])
        return CellRange(r, c, r, c)
    if len(parts) != 2:
        raise ValueError(f"not an A1 range: {ref!r}")
    a, b = parts
    if _CELL_RE.match(a) and _CELL_RE.match(b):
        (ra, ca), (rb, cb) = parse_cell(a), parse_cell(b)
        return CellRange(min(ra, rb), min(ca, cb), max(ra, rb), max(ca, cb))
    ma, mb = _COL_RE.match(a), _COL_RE.match(b)
    if ma and mb:
        ca, cb = col_index(ma.group(1)), col_index(mb.group(1))
        return CellRange(1, min(ca, cb), None, max(ca, cb))
    ma, mb = _ROW_RE.match(a), _ROW_RE.match(b)
    if ma and mb:
        ra, rb = int(ma.group(1)), int(mb.group(1))
        if not (1 <= ra <= MAX_ROWS and 1 <= rb <= MAX_ROWS):
            raise ValueError(f"row out of range: {ref!r}")
        return CellRange(min(ra, rb), 1, max(ra, rb), None)
    raise ValueError(f"not an A1 range: {ref!r}")


def normalize_rows(rows: list[list[Any]]) -> list[list[Any]]:
    """Validate a block of values for ``Book.write`` and normalise it.

    ``""`` becomes ``None`` (clear), ints become floats, bools stay bools, numpy scalars are
    unwrapped.

    Raises:
        ValueError: If the block is empty or ragged, or holds NaN/infinity.
        TypeError: If a value is not float/int/bool/str/None.
    """
    if not rows or not isinstance(rows, (list, tuple)):
        raise ValueError("rows must be a non-empty list of lists")
    width = None
    out: list[list[Any]] = []
    for row in rows:
        if not isinstance(row, (list, tuple)):
            raise ValueError("rows must be a list of lists (one list per row)")
        if width is None:
            width = len(row)
            if width == 0:
                raise ValueError("rows must not be empty")
        elif len(row) != width:
            raise ValueError("rows must be rectangular (all rows the same length)")
        new_row: list[Any] = []
        for v in row:
            if hasattr(v, "item") and not isinstance(v, (str, bytes)):
                v = v.item()  # numpy scalar
            if v is None or v == "" and isinstance(v, str):
                new_row.append(None)
            elif isinstance(v, bool):
                new_row.append(v)
            elif isinstance(v, (int, float)):
                f = float(v)
                if f != f or f in (float("inf"), float("-inf")):
                    raise ValueError(f"cannot write {v!r} into a cell")
                new_row.append(f)
            elif isinstance(v, str):
                new_row.append(v)
            else:
                raise TypeError(f"unsupported cell value {v!r} of type {type(v).__name__}")
        out.append(new_row)
    return out
