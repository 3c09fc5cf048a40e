"""Turn an openpyxl-built ``.xlsx`` into a macro-enabled ``.xlsm`` with xlcalc's buttons.

The workbook's cells, formulas, defined names, validations and protection are
left exactly as they are.  What changes, all at the zip/XML level:

* ``[Content_Types].xml``: the main part becomes
  ``application/vnd.ms-excel.sheet.macroEnabled.main+xml``; ``bin`` (and, if
  needed, ``vml``) get their Default content types.
* ``xl/vbaProject.bin`` is added (written by pyOpenVBA, see below) and related
  from ``xl/_rels/workbook.xml.rels``; ``workbookPr`` and every sheet's
  ``sheetPr`` get the ``codeName`` Excel gives them (``ThisWorkbook``,
  ``Sheet1`` ...), as Excel does when a first macro is added.
* The button sheet gets a VML legacy drawing holding one form-control button
  per macro (``x:ClientData ObjectType="Button"`` with ``x:FmlaMacro``), the
  markup XlsxWriter's ``insert_button`` writes, which Excel reads as form
  buttons.  An existing legacy drawing (openpyxl writes one for cell
  comments) is extended rather than replaced.

The VBA project holds the document modules Excel would create (workbook and
one per sheet), the modules from ``xlcalc/vba/*.bas`` and, for the verify
button, xlwings' own VBA in its standalone form (module ``xlwings`` and class
``Dictionary``, read from the installed xlwings package, as xlwings'
``quickstart_standalone.xlsm`` embeds them).  The ``_VBA_PROJECT`` stream is
the 7-byte header form with version 0xFFFF ([MS-OVBA] 2.3.4.1), the same
bytes as in ``quickstart_standalone.xlsm``: there is no compiled-code cache,
so Office compiles the modules from their source on open.

VBA keeps module source in the project's ANSI code page (1252 here), which
cannot hold Chinese; so string literals holding non-ASCII characters in the
``.bas`` files are rewritten into ``ChrW(n)`` calls (:func:`lower_vba_source`).
The module text is then the same on every Windows locale, on macOS and in LibreOffice (a
message box on Windows still shows Chinese only where the system code page has it, as on
Chinese Windows).

Output is deterministic: zip entries sorted (``[Content_Types].xml`` first),
fixed timestamps and attributes, so the same ``.xlsx`` always gives the same
bytes.
"""

from __future__ import annotations

import importlib.util
import io
import posixpath
import re
import tempfile
import xml.parsers.expat
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import defusedxml.ElementTree as DefusedET
from pyopenvba import ExcelFile, VBAModuleKind
from pyopenvba.cfb import CFB
from pyopenvba.vba import normalize_class_source

__all__ = [
    "DEFAULT_BUTTONS",
    "MACRO_ENABLED_MAIN",
    "VBA_PROJECT_STREAM",
    "XLWINGS_VBA_VERSION",
    "VbaModule",
    "lower_vba_source",
    "make_xlsm",
    "public_macros",
    "vba_modules",
]

#: The xlwings release whose VBA (``xlwings.bas`` + ``Dictionary.cls``) is embedded.
#: Users' Python xlwings must be this exact version (``pip install xlwings==0.37.8``).
XLWINGS_VBA_VERSION = "0.37.8"

#: Content type of a macro-enabled workbook's main part.
MACRO_ENABLED_MAIN = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"

#: ``VBA/_VBA_PROJECT``: Reserved1 0x61CC, Version 0xFFFF, Reserved2 0x00, Reserved3 0x0001 -- the
#: bytes of xlwings' quickstart_standalone.xlsm.  Version 0xFFFF tells Office there is no usable
#: compiled-code cache, so it compiles from source.
VBA_PROJECT_STREAM = b"\xcc\x61\xff\xff\x00\x01\x00"

#: (caption, macro) of the buttons put on the scoring sheet by default.
DEFAULT_BUTTONS: tuple[tuple[str, str], ...] = (("重新计算", "XlcalcRecalculate"), ("校验", "XlcalcVerify"))

_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_REL_OFFICE_DOCUMENT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
_REL_VML = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/vmlDrawing"
_CT_VML = "application/vnd.openxmlformats-officedocument.vmlDrawing"
_NS_VML = "urn:schemas-microsoft-com:vml"
_NS_OFFICE = "urn:schemas-microsoft-com:office:office"
_NS_EXCEL = "urn:schemas-microsoft-com:office:excel"
_CONTENT_TYPES = "[Content_Types].xml"
_VBA_PART = "xl/vbaProject.bin"

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
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_VBA_LINE_LIMIT = 1023


@dataclass(frozen=True)
class VbaModule:
    """One module as embedded: its VBA name, kind and source (CRLF line ends)."""

    name: str
    kind: str  # "standard" or "class"
    source: str
    origin: str  # where the source came from, for messages and reports


# ---------------------------------------------------------------------------
# VBA sources
# ---------------------------------------------------------------------------


def _crlf(text: str) -> str:
    """``text`` with every line ending CRLF and a final line end."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return "".join(line + "\r\n" for line in lines)


def _split_code_comment(line: str) -> tuple[list[tuple[str, str]], str]:
    """Split a VBA line into code pieces and a trailing comment.

    Returns ``([(kind, text), ...], comment)`` where kind is ``"code"`` or ``"string"`` (a literal
    with its quotes, ``""`` escapes kept) and ``comment`` starts at the ``'`` (or is empty).
    ``Rem`` comments are only recognised at the start of a line.
    """
    if re.match(r"\s*Rem(\s|$)", line, flags=re.IGNORECASE):
        return [], line
    pieces: list[tuple[str, str]] = []
    i, start, n = 0, 0, len(line)
    while i < n:
        ch = line[i]
        if ch == '"':
            if i > start:
                pieces.append(("code", line[start:i]))
            j = i + 1
            while j < n:
                if line[j] == '"':
                    if j + 1 < n and line[j + 1] == '"':
                        j += 2
                        continue
                    break
                j += 1
            if j >= n:
                raise ValueError(f"unterminated string literal in VBA line: {line!r}")
            pieces.append(("string", line[i : j + 1]))
            i = start = j + 1
            continue
        if ch == "'":
            if i > start:
                pieces.append(("code", line[start:i]))
            return pieces, line[i:]
        i += 1
    if start < n:
        pieces.append(("code", line[start:]))
    return pieces, ""


def _lower_literal(literal: str) -> str:
    """A VBA expression equal to the string ``literal`` (quotes included) using only ASCII."""
    body = literal[1:-1]
    if body.isascii():
        return literal
    parts: list[str] = []
    ascii_run = ""
    for ch in body:
        if ch.isascii():
            ascii_run += ch
            continue
        if ascii_run:
            parts.append(f'"{ascii_run}"')
            ascii_run = ""
        code = ord(ch)
        if code > 0xFFFF:
            raise ValueError(f"character {ch!r} is outside the Basic Multilingual Plane: ChrW cannot make it")
        parts.append(f"ChrW({code})")
    if ascii_run:
        parts.append(f'"{ascii_run}"')
    # CStr(...) rather than bare parentheses: a call statement whose first argument starts with "("
    # (MsgBox ("x") & y, ...) is one VBA's parser may take for a parenthesised argument list.
    return "CStr(" + " & ".join(parts) + ")"


def lower_vba_source(source: str, origin: str = "<vba>") -> str:
    """Rewrite non-ASCII string literals into ``ChrW`` calls; CRLF line ends.

    ``"重新计算"`` becomes ``CStr(ChrW(37325) & ChrW(26032) & ChrW(35745) & ChrW(31639))`` (decimal code
    points: ``&H`` literals above 7FFF are negative Integers in VBA and LibreOffice Basic).  Anything
    else must already be ASCII: a comment or identifier with non-ASCII text, a ``Const`` holding it
    (a Const cannot call ChrW), or a line that grows past VBA's 1023 characters raises ValueError.
    ASCII-only source comes back unchanged except for line ends.
    """
    out: list[str] = []
    for number, line in enumerate(_crlf(source).split("\r\n")[:-1], start=1):
        if line.isascii():
            out.append(line)
            continue
        where = f"{origin}:{number}"
        pieces, comment = _split_code_comment(line)
        if not comment.isascii():
            raise ValueError(f"{where}: comments in VBA sources must be ASCII")
        code_text = "".join(text for kind, text in pieces if kind == "code")
        if not code_text.isascii():
            raise ValueError(f"{where}: non-ASCII text outside a string literal")
        if re.match(r"\s*((Public|Private|Global)\s+)?Const\s", code_text, flags=re.IGNORECASE):
            raise ValueError(f"{where}: a Const cannot hold non-ASCII text (use a Function)")
        lowered = "".join(text if kind == "code" else _lower_literal(text) for kind, text in pieces) + comment
        if len(lowered) > _VBA_LINE_LIMIT:
            raise ValueError(f"{where}: line is {len(lowered)} characters once lowered (VBA allows 1023)")
        out.append(lowered)
    return "".join(line + "\r\n" for line in out)


def _module_name(source: str, origin: str) -> str:
    found = re.search(r'^Attribute VB_Name = "([^"]+)"', source, flags=re.MULTILINE)
    if not found:
        raise ValueError(f"{origin}: no 'Attribute VB_Name' line")
    return found.group(1)


#: VB_Base of a plain class module: its Subs are methods, not macros a button can run.
_CLASS_MODULE_BASE = "0{FCFB3D2A-A0FA-1068-A738-08002B3371B5}"


def public_macros(source: str) -> list[str]:
    """Names of the argument-less public Subs in a module: what a button can run.

    A class module (``Attribute VB_Base`` of a plain class, or an exported ``VERSION ... CLASS``
    file) has none.
    """
    if _CLASS_MODULE_BASE in source or source.startswith("VERSION "):
        return []
    found = re.finditer(
        r"^[ \t]*(?:Public[ \t]+)?Sub[ \t]+([A-Za-z_][A-Za-z0-9_]*)[ \t]*\([ \t]*\)",
        _crlf(source),
        flags=re.MULTILINE | re.IGNORECASE,
    )
    return [match.group(1) for match in found]


def _read_text(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252")


def _xlcalc_bas(name: str) -> Path:
    return Path(__file__).resolve().parent / "vba" / name


def _xlwings_dir() -> Path:
    spec = importlib.util.find_spec("xlwings")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("xlwings is not installed: its VBA is needed for the verify button")
    return Path(next(iter(spec.submodule_search_locations)))


def _embedded_version(source: str, pattern: str) -> str | None:
    found = re.search(pattern, source)
    return found.group(1) if found else None


def vba_modules(*, include_verify: bool = True) -> list[VbaModule]:
    """The modules xlcalc embeds, sources as they go into the project (lowered, CRLF).

    ``xlcalc_recalc`` always; with ``include_verify`` also ``xlcalc_verify`` and xlwings'
    standalone VBA (``xlwings`` and the ``Dictionary`` class it uses on macOS), read from the
    installed xlwings package, which must be :data:`XLWINGS_VBA_VERSION`.
    """
    recalc_path = _xlcalc_bas("recalc.bas")
    recalc = lower_vba_source(_read_text(recalc_path), recalc_path.name)
    modules = [VbaModule(_module_name(recalc, recalc_path.name), "standard", recalc, str(recalc_path))]
    if not include_verify:
        return modules
    verify_path = _xlcalc_bas("verify.bas")
    verify = lower_vba_source(_read_text(verify_path), verify_path.name)
    declared = _embedded_version(verify, r'XLCALC_XLWINGS_VERSION As String = "([^"]+)"')
    if declared != XLWINGS_VBA_VERSION:
        raise RuntimeError(
            f"verify.bas declares xlwings {declared!r}, xlcalc.xlsm.XLWINGS_VBA_VERSION is {XLWINGS_VBA_VERSION!r}"
        )
    modules.append(VbaModule(_module_name(verify, verify_path.name), "standard", verify, str(verify_path)))
    xlwings_dir = _xlwings_dir()
    xlwings_path = xlwings_dir / "xlwings.bas"
    dictionary_path = xlwings_dir / "addin" / "Dictionary.cls"
    xlwings_source = _crlf(_read_text(xlwings_path))
    found_version = _embedded_version(xlwings_source, r'Public Const XLWINGS_VERSION As String = "([^"]+)"')
    if found_version != XLWINGS_VBA_VERSION:
        raise RuntimeError(
            f"the installed xlwings ships VBA version {found_version!r}, but xlcalc embeds "
            f"{XLWINGS_VBA_VERSION!r} (pin xlwings=={XLWINGS_VBA_VERSION}, or update XLWINGS_VBA_VERSION "
            "and verify.bas together)"
        )
    if not xlwings_source.isascii():
        raise RuntimeError(f"{xlwings_path} is not ASCII; cannot embed it unchanged")
    modules.append(
        VbaModule(_module_name(xlwings_source, "xlwings.bas"), "standard", xlwings_source, str(xlwings_path))
    )
    # In the stream form VBA stores (the .cls export preamble dropped, VB_Base added), so the
    # source here is what reads back from the project.
    dictionary_source = _crlf(normalize_class_source(_crlf(_read_text(dictionary_path))))
    modules.append(
        VbaModule(
            _module_name(dictionary_source, "Dictionary.cls"),
            "class",
            dictionary_source,
            str(dictionary_path),
        )
    )
    return modules


# ---------------------------------------------------------------------------
# Package helpers
# ---------------------------------------------------------------------------


def _read_zip(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist() if not info.is_dir()}


def _zip_bytes(parts: dict[str, bytes]) -> bytes:
    """The package as a zip: sorted entries (content types first), fixed metadata."""
    names = sorted(parts, key=lambda name: (name != _CONTENT_TYPES, name))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0
            info.external_attr = 0
            archive.writestr(info, parts[name], compresslevel=6)
    return buffer.getvalue()


def _rels_name(part: str) -> str:
    folder, _, name = part.rpartition("/")
    return f"{folder}/_rels/{name}.rels" if folder else f"_rels/{name}.rels"


def _resolve(source_part: str, target: str) -> str:
    if target.startswith("/"):
        return target[1:]
    folder = posixpath.dirname(source_part)
    return posixpath.normpath(posixpath.join(folder, target))


def _relationships(parts: dict[str, bytes], part: str) -> list[dict[str, str]]:
    raw = parts.get(_rels_name(part))
    if raw is None:
        return []
    root = DefusedET.fromstring(raw)
    return [dict(element.attrib) for element in root.iter(f"{{{_NS_PKG_REL}}}Relationship")]


def _main_part(parts: dict[str, bytes]) -> str:
    for rel in _relationships(parts, ""):
        if rel.get("Type") == _REL_OFFICE_DOCUMENT:
            return _resolve("", rel["Target"])
    raise ValueError("package has no officeDocument relationship")


def _set_main_content_type(types: bytes, main_part: str) -> bytes:
    text = types.decode("utf-8")
    pattern = re.compile(r'<Override\b[^>]*PartName="/' + re.escape(main_part) + r'"[^>]*/>')
    found = pattern.search(text)
    if found is None:
        raise ValueError(f"[Content_Types].xml has no Override for /{main_part}")
    tag = re.sub(r'ContentType="[^"]*"', f'ContentType="{MACRO_ENABLED_MAIN}"', found.group())
    return (text[: found.start()] + tag + text[found.end() :]).encode("utf-8")


def _ensure_default_content_type(types: bytes, extension: str, content_type: str) -> bytes:
    text = types.decode("utf-8")
    if re.search(r'<Default\b[^>]*Extension="' + re.escape(extension) + r'"', text, flags=re.IGNORECASE):
        return types
    defaults = list(re.finditer(r"<Default\b[^>]*/>", text))
    if defaults:
        at = defaults[-1].end()
    else:
        root = re.search(r"<Types\b[^>]*>", text)
        if root is None:
            raise ValueError("[Content_Types].xml has no Types element")
        at = root.end()
    element = f'<Default Extension="{extension}" ContentType="{content_type}"/>'
    return (text[:at] + element + text[at:]).encode("utf-8")


def _top_level_elements(raw: bytes) -> tuple[list[tuple[str, int, dict[str, str]]], int]:
    """Each child of the root as (local name, byte offset of its start tag, attributes), and the
    byte offset of the root's end tag."""
    parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")
    children: list[tuple[str, int, dict[str, str]]] = []
    depth = 0
    root_end = -1

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal depth
        depth += 1
        if depth == 2:
            children.append((name.rsplit(" ", 1)[-1], parser.CurrentByteIndex, dict(attrs)))

    def end(_name: str) -> None:
        nonlocal depth, root_end
        if depth == 1:
            root_end = parser.CurrentByteIndex
        depth -= 1

    def no_doctype(*_args: object) -> None:
        raise ValueError("DOCTYPE not allowed in package XML")

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.StartDoctypeDeclHandler = no_doctype
    parser.Parse(raw, True)
    return children, root_end


# ---------------------------------------------------------------------------
# VBA project
# ---------------------------------------------------------------------------


def _add_vba_project(parts: dict[str, bytes], modules: Sequence[VbaModule]) -> dict[str, bytes]:
    """The package with a VBA project holding ``modules``, written by pyOpenVBA.

    pyOpenVBA's ``add_vba_project`` adds what Excel adds with a first macro (document modules, code
    names, the project part, its relationship and content type).
    """
    with tempfile.TemporaryDirectory(prefix="xlcalc-xlsm-") as tmp:
        staged = Path(tmp) / "staged.xlsm"
        built = Path(tmp) / "built.xlsm"
        staged.write_bytes(_zip_bytes(parts))
        with ExcelFile(staged) as book:
            if book.has_vba_project():
                raise ValueError("the workbook already has a VBA project")
            project = book.add_vba_project()
            for module in modules:
                kind = VBAModuleKind.other if module.kind == "class" else VBAModuleKind.standard
                project.add_module(module.name, module.source, kind=kind)
            book.save(built)
        result = _read_zip(built)
    cfb = CFB.from_bytes(result[_VBA_PART])
    cfb.write_stream_in_storage("VBA", "_VBA_PROJECT", VBA_PROJECT_STREAM)
    result[_VBA_PART] = cfb.to_bytes()
    return result


# ---------------------------------------------------------------------------
# Buttons
# ---------------------------------------------------------------------------


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
    ns = {"m": _NS_MAIN}
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


def _sheet_part(parts: dict[str, bytes], main_part: str, sheet_name: str) -> str:
    workbook = DefusedET.fromstring(parts[main_part])
    targets = {rel.get("Id"): rel for rel in _relationships(parts, main_part)}
    names = []
    for sheet in workbook.iterfind(f"{{{_NS_MAIN}}}sheets/{{{_NS_MAIN}}}sheet"):
        names.append(sheet.get("name"))
        if sheet.get("name") == sheet_name:
            rel = targets.get(sheet.get(f"{{{_NS_R}}}id"))
            if rel is None:
                raise ValueError(f"sheet {sheet_name!r} has no relationship")
            return _resolve(main_part, rel["Target"])
    raise ValueError(f"no sheet named {sheet_name!r} (sheets: {names})")


def _idmap_blocks(vml_text: str) -> list[int]:
    found = re.search(r'<(?:\w+:)?idmap\b[^>]*\bdata="([^"]*)"', vml_text)
    if not found:
        return []
    return [int(value) for value in re.findall(r"\d+", found.group(1))]


def _add_rel(parts: dict[str, bytes], part: str, rel_type: str, target: str) -> str:
    """Add a relationship from ``part``; returns its Id."""
    rels_name = _rels_name(part)
    existing = _relationships(parts, part)
    taken = {rel.get("Id") for rel in existing}
    number = 1
    while f"rId{number}" in taken:
        number += 1
    rel_id = f"rId{number}"
    element = f'<Relationship Id="{rel_id}" Type="{rel_type}" Target={quoteattr(target)}/>'
    if rels_name in parts:
        text = parts[rels_name].decode("utf-8")
        at = text.rindex("</Relationships>")
        parts[rels_name] = (text[:at] + element + text[at:]).encode("utf-8")
    else:
        parts[rels_name] = (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Relationships xmlns="{_NS_PKG_REL}">{element}</Relationships>'
        ).encode()
    return rel_id


def _add_buttons(
    parts: dict[str, bytes],
    main_part: str,
    sheet_name: str,
    buttons: Sequence[tuple[str, str]],
    cell: str,
    size: tuple[int, int],
    gap: int,
) -> None:
    sheet_part = _sheet_part(parts, main_part, sheet_name)
    sheet_xml = parts[sheet_part]
    grid = _sheet_grid(sheet_xml)
    row, col = _cell_to_indexes(cell)
    width, height = size

    children, root_end = _top_level_elements(sheet_xml)
    legacy = next((attrs for name, _, attrs in children if name == "legacyDrawing"), None)
    vml_part: str | None = None
    if legacy is not None:
        rel_id = legacy.get(f"{_NS_R} id")
        rel = next((r for r in _relationships(parts, sheet_part) if r.get("Id") == rel_id), None)
        if rel is None:
            raise ValueError(f"{sheet_part}: legacyDrawing {rel_id!r} has no relationship")
        vml_part = _resolve(sheet_part, rel["Target"])

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
    rel_id = _add_rel(parts, sheet_part, _REL_VML, posixpath.relpath(vml_part, posixpath.dirname(sheet_part)))
    element = f'<legacyDrawing xmlns:r="{_NS_R}" r:id="{rel_id}"/>'.encode()
    at = next((offset for name, offset, _ in children if name in _AFTER_LEGACY_DRAWING), root_end)
    parts[sheet_part] = sheet_xml[:at] + element + sheet_xml[at:]
    parts[_CONTENT_TYPES] = _ensure_default_content_type(parts[_CONTENT_TYPES], "vml", _CT_VML)


# ---------------------------------------------------------------------------
# Public entry point
# ---------------------------------------------------------------------------


def make_xlsm(
    xlsx_path: Path,
    xlsm_path: Path,
    *,
    button_sheet: str = "评分",
    buttons: Sequence[tuple[str, str]] = DEFAULT_BUTTONS,
    button_cell: str = "A1",
    button_size: tuple[int, int] = (96, 28),
    button_gap: int = 8,
    include_verify: bool = True,
) -> None:
    """Write ``xlsm_path``: the workbook of ``xlsx_path`` with xlcalc's macros and buttons.

    ``buttons`` are ``(caption, macro)`` pairs, placed left to right on ``button_sheet`` starting
    at the top-left corner of ``button_cell`` (pick a free area: buttons float over the cells).
    Each is ``button_size`` = (width, height) pixels, ``button_gap`` pixels from the next; the
    anchor follows the sheet's own column widths and row heights.  Every macro must be a public
    argument-less Sub of an embedded module, else ValueError (so is an unknown sheet).

    ``include_verify=False`` leaves out the verify module and xlwings' VBA (and so any button
    naming ``XlcalcVerify`` must be dropped too): a project with only the plain recalculate module,
    which also runs in LibreOffice, where xlwings' VBA does not compile.

    Nothing else in the workbook changes.  The same input gives byte-identical output.
    """
    xlsx_path, xlsm_path = Path(xlsx_path), Path(xlsm_path)
    modules = vba_modules(include_verify=include_verify)
    available = {macro for module in modules for macro in public_macros(module.source)}
    for caption, macro in buttons:
        if macro not in available:
            raise ValueError(f"button {caption!r} names macro {macro!r}, which no embedded module defines")
    width, height = button_size
    if width <= 0 or height <= 0 or button_gap < 0:
        raise ValueError("button_size must be positive and button_gap not negative")

    parts = _read_zip(xlsx_path)
    if _VBA_PART in parts:
        raise ValueError(f"{xlsx_path} already holds {_VBA_PART}")
    main_part = _main_part(parts)
    parts[_CONTENT_TYPES] = _set_main_content_type(parts[_CONTENT_TYPES], main_part)
    parts = _add_vba_project(parts, modules)
    if buttons:
        _add_buttons(parts, main_part, button_sheet, buttons, button_cell, (width, height), button_gap)
    xlsm_path.write_bytes(_zip_bytes(parts))
