"""The cohort workbook's bytes, prepared while the returned files are read; the collected values and
the problem list are written into its sheet XML at the end.

openpyxl needs about 14 s to serialize a 3,000-unit cohort; done after the last file is read it ran
on one core while the other waited. Only three kinds of part depend on what was collected (填报, the
明细 sheets and 问题清单), so the whole package is serialized early (:mod:`xlcalc.round.zipstamp`
keeps every other member's compressed bytes) and those parts are rewritten with plain string edits
of XML this process wrote itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from openpyxl.utils import column_index_from_string, get_column_letter

from xlcalc.cells import Role
from xlcalc.round.returned import Problem
from xlcalc.round.zipstamp import Stamp
from xlcalc.workbook.build import Compiled, workbook_bytes
from xlcalc.workbook.layout import FIRST_ROW, SHEET_NAMES

_EMPTY_CELL = re.compile(r'<c r="([A-Z]+)(\d+)"([^>]*?)(?:/>|></c>)')
_ROW = re.compile(r'<row r="(\d+)"([^>]*)>')
_STYLE = re.compile(r' s="(\d+)"')
_TYPE = re.compile(r' t="[^"]*"')


class CohortPackage:
    """A serialized cohort workbook whose input and problem sheets are filled in at the end."""

    def __init__(self, compiled: Compiled, problem_sheet: str) -> None:
        self.compiled = compiled
        package = workbook_bytes(compiled)
        # openpyxl records each sheet's zip member while saving
        self.parts = {ws.title: ws.path.lstrip("/") for ws in compiled.workbook.worksheets}
        self.problem_sheet = problem_sheet
        filled = [SHEET_NAMES[Role.INPUT], problem_sheet, *compiled.layout.list_sheets.values()]
        self.stamp = Stamp(package, keep={self.parts[s] for s in filled})

    def write(self, values: Mapping[str, Mapping[str, Any]], problems: Sequence[Problem], path: Path) -> Path:
        lay = self.compiled.layout
        replace: dict[str, bytes] = {}
        cells: dict[tuple[int, int], Any] = {}
        lists: dict[str, dict[int, list[Any]]] = {}
        for u, unit in enumerate(self.compiled.units):
            got = values.get(unit) or {}
            for cell in lay.role_cells[Role.INPUT]:
                if got.get(cell.id) is not None:
                    cells[lay.row_col(cell.id, u)] = got[cell.id]
            for li in lay.graph.lists:
                if got.get(li.id):
                    lists.setdefault(lay.list_sheets[li.id], {})[lay.unit_row(u)] = got[li.id][: li.capacity]
        part = self.parts[SHEET_NAMES[Role.INPUT]]
        replace[part] = _fill_cells(self.stamp.texts[part].decode(), cells).encode()
        for sheet, rows in lists.items():
            part = self.parts[sheet]
            replace[part] = _fill_rows(self.stamp.texts[part].decode(), rows).encode()
        part = self.parts[self.problem_sheet]
        replace[part] = _problem_rows(self.stamp.texts[part].decode(), problems).encode()
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(self.stamp.copy(replace))
        tmp.replace(path)  # a half-written file never replaces a good one
        return path


def _value_xml(ref: str, attrs: str, value: Any) -> str:
    attrs = _TYPE.sub("", attrs)
    if isinstance(value, str):
        return f'<c r="{ref}"{attrs} t="inlineStr"><is><t xml:space="preserve">{escape(value)}</t></is></c>'
    return f'<c r="{ref}"{attrs} t="n"><v>{float(value)!r}</v></c>'


def _fill_cells(xml: str, cells: Mapping[tuple[int, int], Any]) -> str:
    """Empty cells written by openpyxl (inputs: styled, no value) given their values."""

    def put(m: re.Match[str]) -> str:
        key = (int(m.group(2)), column_index_from_string(m.group(1)))
        if key not in cells:
            return m.group(0)
        return _value_xml(m.group(1) + m.group(2), m.group(3), cells[key])

    return _EMPTY_CELL.sub(put, xml)


def _fill_rows(xml: str, rows: Mapping[int, list[Any]]) -> str:
    """List items appended to their unit's row (column B on); the cells take the row's style."""
    out: list[str] = []
    pos = 0
    for m in _ROW.finditer(xml):
        items = rows.get(int(m.group(1)))
        if not items:
            continue
        style = _STYLE.search(m.group(2))
        attrs = f' s="{style.group(1)}"' if style else ""
        cells = "".join(
            _value_xml(f"{get_column_letter(2 + k)}{m.group(1)}", attrs, v) for k, v in enumerate(items)
        )
        if m.group(2).endswith("/"):  # a row without cells
            out += [xml[pos : m.start()], f'<row r="{m.group(1)}"{m.group(2)[:-1]}>', cells, "</row>"]
            pos = m.end()
        else:
            end = xml.index("</row>", m.end())
            out += [xml[pos:end], cells]
            pos = end
    out.append(xml[pos:])
    return "".join(out)


def _problem_rows(xml: str, problems: Sequence[Problem]) -> str:
    """问题清单's rows in place of its placeholder row (its style: wrapped text)."""
    if not problems:
        return xml
    start = xml.index(f'<row r="{FIRST_ROW}"')
    end = xml.index("</sheetData>", start)
    style = _STYLE.search(xml[start:end])
    attrs = f' s="{style.group(1)}"' if style else ""
    rows = []
    for k, p in enumerate(problems):
        row = FIRST_ROW + k
        cells = "".join(
            _value_xml(f"{get_column_letter(col)}{row}", attrs, text)
            for col, text in enumerate(p.row() + [p.unit], start=1)
        )
        rows.append(f'<row r="{row}">{cells}</row>')
    last = FIRST_ROW + len(problems) - 1
    xml = xml[:start] + "".join(rows) + xml[end:]
    return re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="A1:E{last}"/>', xml, count=1)
