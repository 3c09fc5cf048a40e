"""Gnumeric as a third, independent engine: ``ssconvert --recalc`` over copies of the workbook.

Gnumeric has no server mode here, so a book's writes are patched into a copy of the .xlsx (its
sheet XML, no openpyxl round trip) and ``ssconvert --recalc`` recalculates and saves it; values
are read back from the saved file's XML. Start-up and loading dominate (~0.3-0.5 s per call), so
:meth:`GnumericEngine.open_batch` gives several books that recalculate in *one* ssconvert call:
their copies are merged into one workbook (``--merge-to``), whose sheets come out in order with
``(2)``, ``(3)``... suffixes. Gnumeric refuses to merge workbooks that define the same names, so
every copy but the first has its defined names replaced by the ranges they name (the first copy
keeps them, so name resolution is still exercised in every batch). This is a change of the
formula text made by the adapter only; see docs/engines.md.

Text results are read with :func:`fifteen_digit_text`: Gnumeric writes numbers inside text with
up to 20 significant digits where Excel and LibreOffice write 15 (documented difference).
"""

from __future__ import annotations

import copy
import io
import re
import shutil
import subprocess
import tempfile
import weakref
import zipfile
from pathlib import Path
from typing import Any

from lxml import etree
from openpyxl.formula.tokenizer import Token, Tokenizer

from xlcalc.xlruntime import number_text

from .base import (
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

__all__ = ["GnumericBook", "GnumericEngine"]

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RNS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_RNS = "http://schemas.openxmlformats.org/package/2006/relationships"
INSTALL_HINT = "install Gnumeric (`apt-get install gnumeric`, which provides ssconvert)"
_Q = f"{{{NS}}}"
_ADDR = re.compile(r"^([A-Z]+)(\d+)$")
_PARSER = etree.XMLParser(resolve_entities=False, huge_tree=True)


def _col(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _sheet_members(files: dict[str, bytes]) -> list[tuple[str, str]]:
    """``(title, member path)`` of every worksheet, in workbook order."""
    wb = etree.fromstring(files["xl/workbook.xml"], _PARSER)
    rels = etree.fromstring(files["xl/_rels/workbook.xml.rels"], _PARSER)
    targets = {r.get("Id"): r.get("Target") for r in rels.iter(f"{{{PKG_RNS}}}Relationship")}
    out = []
    for s in wb.iter(f"{_Q}sheet"):
        target = targets[s.get(f"{{{RNS}}}id")].lstrip("/")
        out.append((s.get("name"), target if target.startswith("xl/") else "xl/" + target))
    return out


class _Template:
    """The workbook's package, parsed once: sheet trees with and without defined names."""

    def __init__(self, path: Path):
        with zipfile.ZipFile(path) as z:
            self.files = {n: z.read(n) for n in z.namelist()}
        self.sheets = _sheet_members(self.files)
        self.member = dict(self.sheets)
        wb = etree.fromstring(self.files["xl/workbook.xml"], _PARSER)
        names = {
            d.get("name").upper(): d.text
            for d in wb.iter(f"{_Q}definedName")
            if d.get("localSheetId") is None
        }
        self.trees = {m: etree.fromstring(self.files[m], _PARSER) for _, m in self.sheets}
        self.formulas = {
            title: {
                c.get("r"): "=" + (c.findtext(f"{_Q}f") or "")
                for c in self.trees[m].iter(f"{_Q}c")
                if c.find(f"{_Q}f") is not None
            }
            for title, m in self.sheets
        }
        # the same package with names inlined (for the 2nd, 3rd ... copy of a merged batch)
        self.inlined: dict[str, bytes] = {}
        if names:
            for d in list(wb.iter(f"{_Q}definedNames")):
                d.getparent().remove(d)
            self.inlined["xl/workbook.xml"] = etree.tostring(
                wb, xml_declaration=True, encoding="UTF-8", standalone=True
            )
            for _, m in self.sheets:
                tree = copy.deepcopy(self.trees[m])
                for f in tree.iter(f"{_Q}f"):
                    if f.text:
                        f.text = _inline_names(f.text, names)
                self.inlined[m] = etree.tostring(
                    tree, xml_declaration=True, encoding="UTF-8", standalone=True
                )
        self.inlined_trees = {
            m: etree.fromstring(b, _PARSER) for m, b in self.inlined.items() if m != "xl/workbook.xml"
        }

    def package(self, writes: dict[str, dict[tuple[int, int], Any]], keep_names: bool) -> bytes:
        """An .xlsx with ``writes`` (title → {(row, col): value}) patched into the sheets."""
        patched: dict[str, bytes] = {}
        for title, cells in writes.items():
            member = self.member[title]
            inlined = not keep_names and member in self.inlined_trees
            tree = copy.deepcopy(self.inlined_trees[member] if inlined else self.trees[member])
            _patch_cells(tree, cells)
            patched[member] = etree.tostring(tree, xml_declaration=True, encoding="UTF-8", standalone=True)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:  # one entry per member: gsf reads the first
            for name, data in self.files.items():
                if name in patched:
                    data = patched[name]
                elif not keep_names and name in self.inlined:
                    data = self.inlined[name]
                z.writestr(name, data)
        return out.getvalue()


def _inline_names(formula: str, names: dict[str, str]) -> str:
    """Replace defined names in a formula by the ranges they name (outside string literals)."""

    tok = Tokenizer("=" + formula)
    for t in tok.items:
        if t.type == Token.OPERAND and t.subtype == Token.RANGE and t.value.upper() in names:
            t.value = names[t.value.upper()]
    return "".join(t.value for t in tok.items)


def _patch_cells(tree: Any, cells: dict[tuple[int, int], Any]) -> None:
    data = tree.find(f"{_Q}sheetData")
    rows = {int(r.get("r")): r for r in data.iter(f"{_Q}row")}
    for (r, c), value in sorted(cells.items()):
        row = rows.get(r)
        if row is None:
            row = etree.Element(f"{_Q}row", r=str(r))
            after = [k for k in rows if k < r]
            if after:
                rows[max(after)].addnext(row)
            else:
                data.insert(0, row)
            rows[r] = row
        ref = cell_name(r, c)
        cell = next((x for x in row if x.get("r") == ref), None)
        if cell is None:
            cell = etree.Element(f"{_Q}c", r=ref)
            later = [x for x in row if _col(_ADDR.match(x.get("r")).group(1)) > c]
            if later:
                later[0].addprevious(cell)
            else:
                row.append(cell)
            row.attrib.pop("spans", None)
        for child in list(cell):
            cell.remove(child)
        cell.attrib.pop("t", None)
        if value is None:
            continue
        if isinstance(value, bool):
            cell.set("t", "b")
            etree.SubElement(cell, f"{_Q}v").text = "1" if value else "0"
        elif isinstance(value, float):
            etree.SubElement(cell, f"{_Q}v").text = repr(value)
        else:
            cell.set("t", "inlineStr")
            t = etree.SubElement(etree.SubElement(cell, f"{_Q}is"), f"{_Q}t")
            t.text = str(value)
            t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")


_LONG_DECIMAL = re.compile(r"(?<![\d.])\d+\.\d+(?![\d.])")


def fifteen_digit_text(text: str) -> str:
    """Re-render decimals with more than 15 significant digits inside a text as Excel would show them.

    Gnumeric computes in long double and turns numbers into text (``"x"&2.63``) with up to ~20
    significant digits ("2.6300000000000000001"); Excel and LibreOffice show at most 15 ("2.63").
    A correct workbook cannot produce a longer decimal in Excel, so only that rendering
    difference is accepted here; every other character is compared as it is.
    """

    def fix(m: re.Match[str]) -> str:
        digits = m.group().replace(".", "").lstrip("0")
        if len(digits) <= 15:
            return m.group()

        return number_text(float(m.group()))

    return _LONG_DECIMAL.sub(fix, text)


def _read_values(path: Path) -> list[tuple[str, dict[tuple[int, int], Any], set[tuple[int, int]]]]:
    """Every sheet of a saved .xlsx: (title, {(row, col): value}, formula cells)."""
    with zipfile.ZipFile(path) as z:
        files = {n: z.read(n) for n in z.namelist() if n.endswith((".xml", ".rels"))}
    shared: list[str] = []
    if "xl/sharedStrings.xml" in files:
        for si in etree.fromstring(files["xl/sharedStrings.xml"], _PARSER).iter(f"{_Q}si"):
            shared.append("".join(t.text or "" for t in si.iter(f"{_Q}t")))
    out = []
    for title, member in _sheet_members(files):
        values: dict[tuple[int, int], Any] = {}
        formulas: set[tuple[int, int]] = set()
        for c in etree.fromstring(files[member], _PARSER).iter(f"{_Q}c"):
            m = _ADDR.match(c.get("r"))
            key = (int(m.group(2)), _col(m.group(1)))
            if c.find(f"{_Q}f") is not None:
                formulas.add(key)
            t = c.get("t", "n")
            v = c.findtext(f"{_Q}v")
            if t == "inlineStr":
                values[key] = fifteen_digit_text("".join(x.text or "" for x in c.iter(f"{_Q}t")))
            elif v is None:
                if t == "str":
                    values[key] = ""
                continue
            elif t == "s":
                values[key] = fifteen_digit_text(shared[int(v)])
            elif t == "str":
                values[key] = fifteen_digit_text(v)
            elif t == "b":
                values[key] = v.strip() in ("1", "true", "TRUE")
            elif t == "e":
                values[key] = ErrorValue(v)
            else:
                values[key] = float(v)
        out.append((title, values, formulas))
    return out


class _Batch:
    """Books whose copies recalculate together in one ssconvert call."""

    def __init__(self, engine: GnumericEngine, template: _Template, size: int):
        self.engine = engine
        self.template = template
        self.books = [GnumericBook(self, i) for i in range(size)]

    def compute(self) -> None:
        tmp = Path(tempfile.mkdtemp(prefix="xlcalc-gnumeric-", dir=self.engine.workdir))
        try:
            inputs = []
            for book in self.books:
                p = tmp / f"case{book.index}.xlsx"
                p.write_bytes(self.template.package(book.writes, keep_names=book.index == 0))
                inputs.append(str(p))
            out = tmp / "out.xlsx"
            cmd = [self.engine.ssconvert, "--recalc"]
            cmd += [f"--merge-to={out}", *inputs] if len(inputs) > 1 else [inputs[0], str(out)]
            proc = subprocess.run(
                cmd, capture_output=True, text=True, timeout=self.engine.timeout, check=False
            )
            if proc.returncode != 0 or not out.is_file():
                raise EngineError(f"ssconvert failed ({proc.returncode}): {proc.stderr.strip()[-500:]}")
            sheets = _read_values(out)
            n = len(self.template.sheets)
            if len(sheets) != n * len(self.books):
                raise EngineError(f"ssconvert gave {len(sheets)} sheets for {len(self.books)} copies of {n}")
            for book in self.books:
                part = sheets[book.index * n : (book.index + 1) * n]
                book.result = {
                    title: (vals, fs)
                    for (title, _), (_, vals, fs) in zip(self.template.sheets, part, strict=True)
                }
                book.dirty = False
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


class GnumericBook(Book):
    """One copy of the workbook: writes are kept until the batch recalculates."""

    def __init__(self, batch: _Batch, index: int):
        self.batch = batch
        self.index = index
        self.writes: dict[str, dict[tuple[int, int], Any]] = {}
        self.result: dict[str, tuple[dict[tuple[int, int], Any], set[tuple[int, int]]]] = {}
        self.dirty = True
        self.closed = False

    def _title(self, sheet: str) -> str:
        titles = [t for t, _ in self.batch.template.sheets]
        if sheet in titles:
            return sheet
        for t in titles:
            if t.upper() == sheet.upper():
                return t
        raise KeyError(f"no sheet {sheet!r}; sheets: {titles}")

    def write(self, sheet: str, top_left: str, rows: list[list[Any]]) -> None:
        """Record a block of values (applied to the copy on the next recalculation)."""
        title = self._title(sheet)
        r0, c0 = parse_cell(top_left)
        cells = self.writes.setdefault(title, {})
        for i, row in enumerate(normalize_rows(rows)):
            for j, v in enumerate(row):
                cells[(r0 + i, c0 + j)] = v
        self.dirty = True

    def recalc(self) -> None:
        """Recalculate every book of the batch whose writes are pending (one ssconvert call)."""
        self.batch.compute()

    def read(self, sheet: str, a1_range: str) -> list[list[Any]]:
        """Values after the last recalculation (recalculating first if writes are pending)."""
        title = self._title(sheet)
        if self.dirty:
            self.recalc()
        values, _ = self.result[title]
        rng = parse_range(a1_range)
        if rng.whole:
            rng = rng.trimmed(max((r for r, _ in values), default=1), max((c for _, c in values), default=1))
        assert rng.r2 is not None and rng.c2 is not None
        return [[values.get((r, c)) for c in range(rng.c1, rng.c2 + 1)] for r in range(rng.r1, rng.r2 + 1)]

    def errors(self) -> list[tuple[str, str, str]]:
        """Formula cells holding an error after the last recalculation."""
        if self.dirty:
            self.recalc()
        out = []
        for title, _ in self.batch.template.sheets:
            values, formulas = self.result[title]
            for r, c in sorted(formulas):
                v = values.get((r, c))
                if isinstance(v, ErrorValue):
                    out.append((title, cell_name(r, c), v.code))
        return out

    def formula(self, sheet: str, cell: str) -> str:
        """Formula text as stored in the workbook (``""`` if none or overwritten by a write)."""
        title = self._title(sheet)
        if parse_cell(cell) in self.writes.get(title, {}):
            return ""
        return self.batch.template.formulas[title].get(cell.replace("$", "").upper(), "")

    def close(self) -> None:
        """Forget the writes and results."""
        self.closed = True
        self.result = {}


class GnumericEngine(Engine):
    """Gnumeric's ``ssconvert`` as a recalculation engine.

    Args:
        ssconvert: Path of the ssconvert program (default: found on PATH).
        timeout: Seconds one ssconvert call may take.
    """

    name = "gnumeric"

    def __init__(self, ssconvert: str | None = None, timeout: float = 600.0):
        self.ssconvert = ssconvert or shutil.which("ssconvert") or "ssconvert"
        self.timeout = timeout
        self._tmp = tempfile.mkdtemp(prefix="xlcalc-gnumeric-")
        self.workdir = self._tmp
        self._cleanup = weakref.finalize(self, shutil.rmtree, self._tmp, True)

    def available(self) -> tuple[bool, str]:
        """ssconvert must be installed."""
        if shutil.which(self.ssconvert) is None:
            return False, f"ssconvert not found; {INSTALL_HINT}"
        return True, ""

    def open(self, path: str | Path) -> GnumericBook:
        """One book (one ssconvert call per recalculation)."""
        return self.open_batch(path, 1)[0]

    def open_batch(self, path: str | Path, size: int) -> list[GnumericBook]:
        """``size`` books on copies of one workbook, recalculated together by one ssconvert call."""
        ok, why = self.available()
        if not ok:
            raise EngineUnavailable(why)
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(str(path))
        return _Batch(self, _Template(path), size).books

    def close(self) -> None:
        """Remove the working directory."""
        self._cleanup()
