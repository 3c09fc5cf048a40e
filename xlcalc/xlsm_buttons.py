"""Form-control buttons on a sheet of an .xlsm: a VML legacy drawing with one button per macro
(``x:ClientData ObjectType="Button"`` with ``x:FmlaMacro``), the markup XlsxWriter's
``insert_button`` writes, anchored by the sheet's own column widths and row heights. An existing
legacy drawing (openpyxl writes one for cell comments) is extended rather than replaced.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

import defusedxml.ElementTree as DefusedET

from xlcalc import opc

_NS_VML = "urn:schemas-microsoft-com:vml"


_NS_OFFICE = "urn:schemas-microsoft-com:office:office"


_NS_EXCEL = "urn:schemas-microsoft-com:office:excel"


#: Worksheet children that come after ``legacyDrawing`` in CT_Worksheet's sequence.
_AFTER_LEGACY_DRAWING = frozenset(
    {
        "legacyDrawingHF",
        "drawingHF",
        "picture",
        "oleObjects",
        "controls",
        "webPublishItems",
        "tableParts",
        "extLst",
    }
)


def _cell_to_indexes(cell: str) -> tuple[int, int]:
    """Zero-based (row, column) of an A1 reference such as ``"B3"``."""
    found = re.fullmatch(r"\$?([A-Za-z]{1,3})\$?([1-9][0-9]*)", cell.strip())
    if not found:
        raise ValueError(f"not a cell reference: {cell!r}")
    column = 0
    for letter in found.group(1).upper():
        column = column * 26 + (ord(letter) - 64)
    return int(found.group(2)) - 1, column - 1


def _width_pixels(width: float) -> int:
    """Pixels of a column of stored OOXML width ``width`` (Calibri 11: max digit width 7 px)."""
    return int(((256 * width + int(128 / 7)) / 256) * 7)


@dataclass
class _Grid:
    """Column widths and row heights of a sheet, in pixels."""

    default_col: int
    default_row: int
    cols: dict[int, int]
    rows: dict[int, int]

    def col(self, index: int) -> int:
        return self.cols.get(index, self.default_col)

    def row(self, index: int) -> int:
        return self.rows.get(index, self.default_row)


def _sheet_grid(sheet_xml: bytes) -> _Grid:
    root = DefusedET.fromstring(sheet_xml)
    ns = {"m": opc.NS_MAIN}
    default_col, default_row = 64, 20
    fmt = root.find("m:sheetFormatPr", ns)
    if fmt is not None:
        if fmt.get("defaultColWidth"):
            default_col = _width_pixels(float(fmt.get("defaultColWidth", "0")))
        elif fmt.get("baseColWidth"):
            base = int(float(fmt.get("baseColWidth", "8")))
            default_col = -(-(base * 7 + 5) // 8) * 8  # Excel rounds up to a multiple of 8 px
        if fmt.get("defaultRowHeight"):
            default_row = int(float(fmt.get("defaultRowHeight", "15")) * 4 / 3)
    cols: dict[int, int] = {}
    for col in root.iterfind("m:cols/m:col", ns):
        hidden = col.get("hidden") in ("1", "true")
        pixels = (
            0 if hidden else (_width_pixels(float(col.get("width"))) if col.get("width") else default_col)
        )
        for index in range(int(col.get("min", "1")) - 1, min(int(col.get("max", "1")), 16384)):
            cols[index] = pixels
    rows: dict[int, int] = {}
    for row in root.iterfind("m:sheetData/m:row", ns):
        if row.get("r") is None:
            continue
        hidden = row.get("hidden") in ("1", "true")
        if hidden:
            rows[int(row.get("r", "1")) - 1] = 0
        elif row.get("ht") is not None:
            rows[int(row.get("r", "1")) - 1] = int(float(row.get("ht", "15")) * 4 / 3)
    return _Grid(default_col, default_row, cols, rows)


def _vertices(grid: _Grid, row: int, col: int, x1: int, y1: int, width: int, height: int) -> list[int]:
    """XlsxWriter's ``_position_object_pixels``: anchor cells and offsets, and absolute position."""
    x_abs = sum(grid.col(c) for c in range(col)) + x1
    y_abs = sum(grid.row(r) for r in range(row)) + y1
    while x1 >= grid.col(col) and col < 16383:
        x1 -= grid.col(col)
        col += 1
    while y1 >= grid.row(row) and row < 1048575:
        y1 -= grid.row(row)
        row += 1
    col_end, row_end = col, row
    width += x1
    height += y1
    while width >= grid.col(col_end) and col_end < 16383:
        width -= grid.col(col_end)
        col_end += 1
    while height >= grid.row(row_end) and row_end < 1048575:
        height -= grid.row(row_end)
        row_end += 1
    return [col, row, x1, y1, col_end, row_end, width, height, x_abs, y_abs]


_BUTTON_SHAPETYPE = (
    '<v:shapetype id="_x0000_t201" coordsize="21600,21600" o:spt="201" path="m,l,21600r21600,l21600,xe">'
    '<v:stroke joinstyle="miter"/>'
    '<v:path shadowok="f" o:extrusionok="f" strokeok="f" fillok="f" o:connecttype="rect"/>'
    '<o:lock v:ext="edit" shapetype="t"/>'
    "</v:shapetype>"
)


def _button_shape(
    shape_id: int, z_index: int, caption: str, macro: str, vertices: list[int], size: tuple[int, int]
) -> str:
    col, row, x1, y1, col_end, row_end, x2, y2, x_abs, y_abs = vertices
    width, height = size
    style = (
        f"position:absolute;margin-left:{x_abs * 0.75:.15g}pt;margin-top:{y_abs * 0.75:.15g}pt;"
        f"width:{width * 0.75:.15g}pt;height:{height * 0.75:.15g}pt;z-index:{z_index};mso-wrap-style:tight"
    )
    return (
        f'<v:shape id="_x0000_s{shape_id}" type="#_x0000_t201" style={quoteattr(style)} o:button="t" '
        'fillcolor="buttonFace [67]" strokecolor="windowText [64]" o:insetmode="auto">'
        '<v:fill color2="buttonFace [67]" o:detectmouseclick="t"/>'
        '<o:lock v:ext="edit" rotation="t"/>'
        '<v:textbox style="mso-direction-alt:auto" o:singleclick="f">'
        f'<div style="text-align:center"><font face="Calibri" size="220" color="#000000">{escape(caption)}</font></div>'
        "</v:textbox>"
        '<x:ClientData ObjectType="Button">'
        f"<x:Anchor>{col}, {x1}, {row}, {y1}, {col_end}, {x2}, {row_end}, {y2}</x:Anchor>"
        "<x:PrintObject>False</x:PrintObject>"
        "<x:AutoFill>False</x:AutoFill>"
        f"<x:FmlaMacro>[0]!{escape(macro)}</x:FmlaMacro>"
        "<x:TextHAlign>Center</x:TextHAlign>"
        "<x:TextVAlign>Center</x:TextVAlign>"
        "</x:ClientData>"
        "</v:shape>"
    )


def _idmap_blocks(vml_text: str) -> list[int]:
    found = re.search(r'<(?:\w+:)?idmap\b[^>]*\bdata="([^"]*)"', vml_text)
    if not found:
        return []
    return [int(value) for value in re.findall(r"\d+", found.group(1))]


def add_buttons(
    parts: dict[str, bytes],
    main_part: str,
    sheet_name: str,
    buttons: Sequence[tuple[str, str]],
    cell: str,
    size: tuple[int, int],
    gap: int,
) -> None:
    sheet_part = opc.sheet_part(parts, main_part, sheet_name)
    sheet_xml = parts[sheet_part]
    grid = _sheet_grid(sheet_xml)
    row, col = _cell_to_indexes(cell)
    width, height = size

    children, root_end = opc.top_level_elements(sheet_xml)
    legacy = next((attrs for name, _, attrs in children if name == "legacyDrawing"), None)
    vml_part: str | None = None
    if legacy is not None:
        rel_id = legacy.get(f"{opc.NS_R} id")
        rel = next((r for r in opc.relationships(parts, sheet_part) if r.get("Id") == rel_id), None)
        if rel is None:
            raise ValueError(f"{sheet_part}: legacyDrawing {rel_id!r} has no relationship")
        vml_part = opc.resolve(sheet_part, rel["Target"])

    if vml_part is not None:
        text = parts[vml_part].decode("utf-8")
        ids = [int(found) for found in re.findall(r'"_x0000_s(\d+)"', text)]
        blocks = _idmap_blocks(text) or [1]
        next_id = max(ids, default=1024 * min(blocks)) + 1
        z_start = len(re.findall(r"<(?:\w+:)?shape\b", text)) + 1
    else:
        used_blocks = [
            block
            for name, data in parts.items()
            if name.endswith(".vml")
            for block in _idmap_blocks(data.decode("utf-8", errors="replace"))
        ]
        block = max(used_blocks, default=0) + 1
        next_id = 1024 * block + 1
        z_start = 1

    shapes = []
    for index, (caption, macro) in enumerate(buttons):
        vertices = _vertices(grid, row, col, index * (width + gap), 0, width, height)
        shapes.append(_button_shape(next_id + index, z_start + index, caption, macro, vertices, size))

    if vml_part is not None:
        text = parts[vml_part].decode("utf-8")
        root = re.search(r"<xml\b[^>]*>", text)
        if root is None:
            raise ValueError(f"{vml_part}: no <xml> root")
        declarations = ""
        for prefix, uri in (("v", _NS_VML), ("o", _NS_OFFICE), ("x", _NS_EXCEL)):
            if f"xmlns:{prefix}=" not in root.group():
                declarations += f' xmlns:{prefix}="{uri}"'
        opening = root.group()[:-1] + declarations + ">"
        shapetype = "" if '"_x0000_t201"' in text else _BUTTON_SHAPETYPE
        closing = text.rindex("</xml>")
        text = (
            text[: root.start()]
            + opening
            + text[root.end() : closing]
            + shapetype
            + "".join(shapes)
            + text[closing:]
        )
        parts[vml_part] = text.encode("utf-8")
        return

    number = 1
    while f"xl/drawings/vmlDrawing{number}.vml" in parts:
        number += 1
    vml_part = f"xl/drawings/vmlDrawing{number}.vml"
    parts[vml_part] = (
        f'<xml xmlns:v="{_NS_VML}" xmlns:o="{_NS_OFFICE}" xmlns:x="{_NS_EXCEL}">'
        f'<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="{block}"/></o:shapelayout>'
        + _BUTTON_SHAPETYPE
        + "".join(shapes)
        + "</xml>"
    ).encode("utf-8")
    rel_id = opc.add_rel(
        parts, sheet_part, opc.REL_VML, posixpath.relpath(vml_part, posixpath.dirname(sheet_part))
    )
    element = f'<legacyDrawing xmlns:r="{opc.NS_R}" r:id="{rel_id}"/>'.encode()
    at = next((offset for name, offset, _ in children if name in _AFTER_LEGACY_DRAWING), root_end)
    parts[sheet_part] = sheet_xml[:at] + element + sheet_xml[at:]
    parts[opc.CONTENT_TYPES] = opc.ensure_default_content_type(parts[opc.CONTENT_TYPES], "vml", opc.CT_VML)
