"""Streaming handlers for worksheet and shared-string parts of an untrusted workbook.

They run as pyexpat callbacks (no tree, no SAX wrapper objects: about 3x faster than xml.sax on a
flood of cells), keep only the requested cells and shared strings, cap every text at
``Limits.cell_chars`` and raise :class:`Stop` to end a stream early. :func:`parser` refuses any DTD,
entity declaration or external entity, as defusedxml does with ``forbid_dtd``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from xml.parsers import expat

from openpyxl.utils.cell import column_index_from_string, get_column_letter

if TYPE_CHECKING:
    from xlcalc.workbook.untrusted import UntrustedBook

_CELL_REF = re.compile(r"^([A-Z]{1,3})([0-9]{1,7})$")
_STRING = re.compile(r'"(?:[^"]|"")*"')
_EXTERNAL = re.compile(r"\[\d+\]")


@dataclass
class Cell:
    value: Any = None
    formula: str | None = None  # with the leading "=", as openpyxl gives it
    sst: int | None = None  # shared-string index, resolved after the sheet pass
    shared: str | None = None  # shared-formula id of a dependent cell


class Stop(Exception):
    """Raised inside the SAX handler to end a sheet's stream early."""


def external_ref(formula: str) -> bool:
    """Whether a formula refers to another file (``[1]Sheet!A1``), string literals aside."""
    return bool(_EXTERNAL.search(_STRING.sub("", formula)))


class SheetHandler:
    """Collects the wanted cells of one worksheet stream; stops past the last wanted row."""

    def __init__(
        self,
        book: UntrustedBook,
        sheet: str,
        wanted: set[tuple[int, int]],
        store: dict[tuple[int, int], Cell],
    ) -> None:
        self.book, self.sheet, self.wanted, self.store = book, sheet, wanted, store
        self.max_row = max(r for r, _ in wanted)
        self.cap = book.limits.cell_chars
        self.row = 0
        self.col = 0
        self.last_row = 0
        self.cell: Cell | None = None
        self.kind = "n"
        self.text: list[str] = []
        self.size = 0
        self.collect: str | None = None  # "v", "f" or "t" while inside one
        self.in_phonetic = False
        self.f_attrs: dict[str, str] = {}
        self.masters = book.shared_formulas.setdefault(sheet, {})

    def start(self, name: str, attrs: dict[str, str]) -> None:
        local = name.rpartition("}")[2]
        if local == "row":
            r = attrs.get("r")
            self.row = _int(r) if r is not None else self.row + 1
            self.col = 0
            if self.row > self.max_row:
                raise Stop
        elif local == "c":
            ref = attrs.get("r")
            m = _CELL_REF.match(ref or "")
            if m:
                self.col = column_index_from_string(m.group(1))
                self.row = int(m.group(2))
                if self.row > self.max_row:
                    raise Stop
            else:
                self.col += 1
            self.last_row = max(self.last_row, self.row)
            self.kind = attrs.get("t", "n")
            self.cell = Cell()
            self.text = []
            self.size = 0
        elif self.cell is not None and local in ("v", "f", "t"):
            if local == "f":
                self.f_attrs = attrs
            self.collect = local
            self.text = [] if local != "t" else self.text
            if local != "t":
                self.size = 0
        elif local == "rPh":
            self.in_phonetic = True

    def characters(self, content: str) -> None:
        if self.collect is None or self.in_phonetic:
            return
        if self.size < self.cap:
            self.text.append(content[: self.cap - self.size])
        self.size += len(content)

    def end(self, name: str) -> None:
        local = name.rpartition("}")[2]
        cell = self.cell
        if local == "rPh":
            self.in_phonetic = False
        elif cell is None:
            return
        elif local == "f":
            self._formula(cell, "".join(self.text))
            self.collect = None
        elif local == "v":
            self._value(cell, "".join(self.text))
            self.collect = None
        elif local == "t":
            self.collect = None
        elif local == "is":
            cell.value = "".join(self.text)
        elif local == "c":
            if self.size > self.cap:
                self.book.problems[(self.sheet, self.a1(), f"单元格内容超过 {self.cap} 个字符，已截断")] = (
                    None
                )
            if (self.row, self.col) in self.wanted:
                self.store[(self.row, self.col)] = cell
            self.cell = None

    def a1(self) -> str:
        return a1(self.row, max(self.col, 1))

    def _formula(self, cell: Cell, text: str) -> None:
        attrs = self.f_attrs
        if text and external_ref(text):
            self.book.problems[(self.sheet, self.a1(), f"公式引用了其他文件：={text}")] = None
        if attrs.get("t") == "shared" and attrs.get("si") is not None:
            si = attrs["si"]
            if text:
                if len(self.masters) < self.book.limits.shared_formulas:
                    self.masters[si] = ("=" + text, self.row, max(self.col, 1))
            else:
                cell.shared = si
                return
        cell.formula = "=" + text

    def _value(self, cell: Cell, text: str) -> None:
        kind = self.kind
        if text == "" and kind != "str":
            return  # openpyxl writes an empty <v/> for a formula with no cached value
        if kind == "s":
            idx = _int(text)
            if idx < 0:
                self.book.problems[(self.sheet, self.a1(), "共享字符串编号无效")] = None
            else:
                cell.sst = idx
        elif kind == "b":
            cell.value = text.strip() in ("1", "true")
        elif kind in ("str", "e", "d", "inlineStr"):
            cell.value = text
        else:
            cell.value = cast_number(text)


class StringsHandler:
    """Keeps the shared strings whose index is wanted; stops after the largest one."""

    def __init__(self, wanted: set[int], found: dict[int, str], cap: int) -> None:
        self.wanted, self.found, self.cap = wanted, found, cap
        self.last = max(wanted)
        self.index = -1
        self.depth_rph = 0
        self.collect = False
        self.text: list[str] = []
        self.size = 0
        self.truncated: list[int] = []

    def start(self, name: str, attrs: dict[str, str]) -> None:
        local = name.rpartition("}")[2]
        if local == "si":
            self.index += 1
            if self.index > self.last:
                raise Stop
            self.text, self.size = [], 0
        elif local == "rPh":
            self.depth_rph += 1
        elif local == "t" and not self.depth_rph and self.index in self.wanted:
            self.collect = True

    def characters(self, content: str) -> None:
        if self.collect:
            if self.size < self.cap:
                self.text.append(content[: self.cap - self.size])
            elif not self.truncated or self.truncated[-1] != self.index:
                self.truncated.append(self.index)
            self.size += len(content)

    def end(self, name: str) -> None:
        local = name.rpartition("}")[2]
        if local == "t":
            self.collect = False
        elif local == "rPh":
            self.depth_rph -= 1
        elif local == "si" and self.index in self.wanted:
            self.found[self.index] = "".join(self.text)


class Forbidden(Exception):
    """A DTD or entity declaration in a part: refused, never expanded."""


def parser(handler: SheetHandler | StringsHandler) -> Any:
    """A namespace-aware pyexpat parser feeding ``handler``, refusing DTDs and entities."""
    p = expat.ParserCreate(namespace_separator="}")
    p.buffer_text = True
    p.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def forbid(*_: Any) -> None:
        raise Forbidden("含有 DOCTYPE 或实体声明")

    p.StartDoctypeDeclHandler = forbid
    p.EntityDeclHandler = forbid
    p.UnparsedEntityDeclHandler = forbid
    p.ExternalEntityRefHandler = forbid
    p.StartElementHandler = handler.start
    p.EndElementHandler = handler.end
    p.CharacterDataHandler = handler.characters
    return p


def a1(row: int, col: int) -> str:
    return f"{get_column_letter(min(max(col, 1), 16384))}{row}"


def _int(text: str | None) -> int:
    try:
        return int(text or "")
    except ValueError:
        return -1


def cast_number(text: str) -> Any:
    """As openpyxl casts: int without a point or exponent, else float; junk stays text."""
    t = text.strip()
    try:
        return float(t) if any(ch in t for ch in ".eE") else int(t)
    except ValueError:
        return text
