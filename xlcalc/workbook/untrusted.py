"""Bounded reading of returned .xlsx/.xlsm files, which are untrusted input.

A workbook sent back by a county may be damaged or hostile. This reader never trusts what the file
says about itself (declared sizes, a sheet's ``<dimension>``, row counts): it

* reads at most ``Limits.file_bytes`` of the file and recognises empty files, .xls/encrypted files
  (OLE compound documents) and non-zip files with one Chinese message each;
* checks the zip directory (entry count, duplicate names, each member's declared size, the total,
  the compression ratio) and caps every member while decompressing it, so a zip bomb or a lying
  size field stops at ``Limits.member_bytes`` / ``Limits.total_bytes`` of output;
* parses XML without DTDs or entities: small parts with defusedxml, sheets and shared strings as a
  pyexpat stream with the same refusals (:mod:`xlcalc.workbook.sheetxml`);
* reads only the cells it is asked for, stopping each sheet's stream at the first row past the
  last requested one, so a stray cell in row 1048576 costs nothing;
* keeps only the shared strings those cells use, and caps every cell's text at Excel's own limit.

Bounds for a hostile file, with the default limits: time linear in the bytes decompressed, at most
``total_bytes`` (96 MB; parsing costs about 0.25 s of CPU per MB of cells on the 2-core test machine,
so at most about 25 s); memory: the file itself (at most 64 MB) plus the requested cells (each at most
32,767 characters) plus one small XML part (at most 4 MB) at a time.
``bench/hostile_files.py`` measures both for the known hostile files.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from defusedxml.ElementTree import fromstring
from openpyxl.formula.translate import Translator
from openpyxl.utils.cell import range_boundaries

from xlcalc.workbook.sheetxml import (
    Cell,
    SheetHandler,
    Stop,
    StringsHandler,
    a1,
    external_ref,
    parser,
)
from xlcalc.workbook.zippackage import Limits, ZipPackage


@dataclass
class SheetInfo:
    name: str
    state: str
    part: str | None  # zip member; None when the relationship is missing


class UntrustedBook(ZipPackage):
    """One returned workbook, opened for bounded, read-only access by sheet and cell."""

    def __init__(self, path: str | Path, limits: Limits | None = None) -> None:
        # (sheet or part, cell, message): non-fatal findings, once each though a sheet is re-read
        self.problems: dict[tuple[str, str, str], None] = {}
        self.external_links: list[str] = []
        self._cells: dict[str, dict[tuple[int, int], Cell]] = {}
        self._loaded: dict[str, set[tuple[int, int]]] = {}
        self.rows_seen: dict[str, int] = {}  # last row holding cells within each streamed region
        self.shared_formulas: dict[str, dict[str, tuple[str, int, int]]] = {}
        super().__init__(path, limits)
        self._read_structure()

    def _xml(self, part: str) -> Any:
        data = self._read_part(part)
        return self._guard(part, lambda: fromstring(data, forbid_dtd=True))

    def _rels(self, part: str) -> dict[str, tuple[str, str, str]]:
        """Relationships of a part: id -> (type suffix, resolved target, target mode)."""
        p = PurePosixPath(part)
        rels_part = str(p.parent / "_rels" / (p.name + ".rels")).lstrip("./")
        if not self.has(rels_part):
            return {}
        out = {}
        for rel in _named(self._xml(rels_part), "Relationship"):
            target = rel.get("Target", "")
            mode = rel.get("TargetMode", "Internal")
            if mode != "External":
                base = PurePosixPath("/") if target.startswith("/") else PurePosixPath("/") / p.parent
                target = _normpath(str(base / target.lstrip("/")))
            out[rel.get("Id", "")] = (rel.get("Type", "").rsplit("/", 1)[-1], target, mode)
        return out

    def _read_structure(self) -> None:
        root_rels = self._rels("")
        wb_part = next(
            (t for kind, t, _ in root_rels.values() if kind == "officeDocument"), "xl/workbook.xml"
        )
        if not self.has(wb_part):
            raise self.fail("zip 包中没有工作簿部件（xl/workbook.xml），不是 .xlsx 工作簿")
        if wb_part.endswith(".bin"):
            raise self.fail("这是 .xlsb 二进制工作簿，不是 .xlsx；请在 Excel/WPS 中另存为 .xlsx")
        self.workbook_part = wb_part
        rels = self._rels(wb_part)
        root = self._xml(wb_part)
        self.sheets: list[SheetInfo] = []
        for el in _named(root, "sheet"):
            rid = next((v for k, v in el.attrib.items() if k.startswith("{") and k.endswith("}id")), "")
            target = rels.get(rid)
            part = target[1] if target and target[0] == "worksheet" and self.has(target[1]) else None
            self.sheets.append(SheetInfo(el.get("name", ""), el.get("state", "visible"), part))
        self.defined_names = {el.get("name", ""): (el.text or "") for el in _named(root, "definedName")}
        for kind, target, mode in rels.values():
            if kind == "externalLink" or mode == "External":
                self.external_links.append(target)
        if any(True for _ in _named(root, "externalReference")) and not self.external_links:
            self.external_links.append("externalReferences")
        self.external_links += [
            n
            for n in self._zip.namelist()
            if n.startswith("xl/externalLinks/") and "/_rels/" not in n and n not in self.external_links
        ]
        sst = [t for kind, t, _ in rels.values() if kind == "sharedStrings" and self.has(t)]
        self.sst_part = sst[0] if sst else None

    @property
    def sheet_names(self) -> list[str]:
        return [s.name for s in self.sheets]

    def sheet(self, name: str) -> SheetInfo | None:
        return next((s for s in self.sheets if s.name == name), None)

    # ---- cells -----------------------------------------------------------------------------
    def load(self, wanted: dict[str, set[tuple[int, int]]]) -> None:
        """Read the given (row, col) cells of each sheet, one stream per sheet, then their strings."""
        pending: list[Cell] = []
        for name, cells in wanted.items():
            info = self.sheet(name)
            missing = cells - self._loaded.setdefault(name, set())
            if info is None or info.part is None or not missing:
                continue
            store = self._cells.setdefault(name, {})
            handler = SheetHandler(self, name, missing, store)
            self._parse(info.part, handler)
            self._loaded[name] |= missing
            self.rows_seen[name] = max(self.rows_seen.get(name, 0), handler.last_row)
            pending += [c for c in store.values() if c.sst is not None]
            self._translate_shared(name, store)
        if pending:
            self._resolve_strings(pending)

    def _parse(self, part: str, handler: SheetHandler | StringsHandler) -> None:
        xml = parser(handler)
        with self._stream(part) as fh:

            def run() -> None:
                try:
                    while chunk := fh.read(64 * 1024):
                        self.used += len(chunk)
                        xml.Parse(chunk, False)
                    xml.Parse(b"", True)
                except Stop:
                    pass

            self._guard(part, run)

    def _translate_shared(self, sheet: str, store: dict[tuple[int, int], Cell]) -> None:
        masters = self.shared_formulas.get(sheet, {})
        for (row, col), cell in store.items():
            if cell.shared is None or cell.formula is not None:
                continue
            master = masters.get(cell.shared)
            if master is None:
                self.problems[(sheet, a1(row, col), "共享公式缺少主单元格，无法读取公式")] = None
                cell.formula = "=#共享公式缺失"
                continue
            text, mrow, mcol = master
            try:
                cell.formula = Translator(text, origin=a1(mrow, mcol)).translate_formula(a1(row, col))
            except Exception:  # openpyxl's tokenizer rejects malformed text in many ways
                cell.formula = text

    def _resolve_strings(self, cells: list[Cell]) -> None:
        need = {c.sst for c in cells if c.sst is not None}
        found: dict[int, str] = {}
        if self.sst_part is not None:
            handler = StringsHandler(need, found, self.limits.cell_chars)
            self._parse(self.sst_part, handler)
            for idx in handler.truncated:
                self.problems[
                    (
                        self.sst_part,
                        f"第{idx + 1}项",
                        f"共享字符串超过 {self.limits.cell_chars} 个字符，已截断",
                    )
                ] = None
        for c in cells:
            if c.sst is not None:
                c.value = found.get(c.sst)
                c.sst = None

    def cell(self, sheet: str, row: int, col: int) -> Cell:
        if (row, col) not in self._loaded.get(sheet, set()):
            self.load({sheet: {(row, col)}})
        return self._cells.get(sheet, {}).get((row, col)) or Cell()

    def read(self, sheet: str, rng: str) -> list[list[Any]]:
        """Values of an A1 range as rows (a :data:`~xlcalc.workbook.readback.CellReader`)."""
        c1, r1, c2, r2 = range_boundaries(rng)
        coords = {(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)}
        self.load({sheet: coords})
        store = self._cells.get(sheet, {})
        return [[(store.get((r, c)) or Cell()).value for c in range(c1, c2 + 1)] for r in range(r1, r2 + 1)]

    def formula(self, sheet: str, row: int, col: int) -> str | None:
        return self.cell(sheet, row, col).formula

    def spec_text(self, sheet: str) -> str:
        """Column A of the embedded-spec sheet as text, within the line and character caps."""
        lim = self.limits
        rows = self.read(sheet, f"A1:A{lim.spec_lines}")
        last = max((r for r in range(len(rows)) if rows[r][0] not in (None, "")), default=-1)
        lines = ["" if v is None else str(v) for (v,) in rows[: last + 1]]
        if self.rows_seen.get(sheet, 0) > lim.spec_lines:
            raise self.fail(f"内嵌规格超过 {lim.spec_lines} 行，超出检查上限", sheet)
        text = "\n".join(lines).rstrip() + "\n"
        if len(text) > lim.spec_chars:
            raise self.fail(f"内嵌规格超过 {lim.spec_chars} 个字符，超出检查上限", sheet)
        return text


def _named(root: Any, local: str) -> Iterator[Any]:
    """Elements of a local name in any namespace (transitional and strict OOXML differ)."""
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag.rsplit("}", 1)[-1] == local:
            yield el


def _normpath(path: str) -> str:
    parts: list[str] = []
    for p in path.split("/"):
        if p in ("", "."):
            continue
        if p == "..":
            if parts:
                parts.pop()
        else:
            parts.append(p)
    return "/".join(parts)


def cells_of(rng: str) -> Iterator[tuple[int, int]]:
    c1, r1, c2, r2 = range_boundaries(rng)
    for r in range(r1, r2 + 1):
        for c in range(c1, c2 + 1):
            yield r, c


__all__ = ["Cell", "Limits", "SheetInfo", "UntrustedBook", "cells_of", "external_ref"]
