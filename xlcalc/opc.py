"""Helpers for OPC packages (.xlsx/.xlsm as zip parts): reading and writing the zip, relationships,
content types, the main and sheet parts. Used by the .xlsm writer (xlsm.py, xlsm_buttons.py) and
its static checker (xlsm_check.py).

``zip_bytes`` writes the .xlsm's own deterministic form; the .xlsx templates' bytes are fixed by
workbook/package.py, which keeps its own (different, and shipped) zip layout.
"""

from __future__ import annotations

import io
import posixpath
import re
import xml.parsers.expat
import zipfile
from collections.abc import Mapping
from pathlib import Path
from xml.sax.saxutils import quoteattr

import defusedxml.ElementTree as DefusedET

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
NS_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
REL_OFFICE_DOCUMENT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
REL_VBA = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
REL_VML = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/vmlDrawing"
CT_VML = "application/vnd.openxmlformats-officedocument.vmlDrawing"
CT_VBA = "application/vnd.ms-office.vbaProject"
CONTENT_TYPES = "[Content_Types].xml"
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def read_zip(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist() if not info.is_dir()}


def zip_bytes(parts: dict[str, bytes]) -> bytes:
    """The package as a zip: sorted entries (content types first), fixed metadata."""
    names = sorted(parts, key=lambda name: (name != CONTENT_TYPES, name))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0
            info.external_attr = 0
            archive.writestr(info, parts[name], compresslevel=6)
    return buffer.getvalue()


def rels_name(part: str) -> str:
    folder, _, name = part.rpartition("/")
    return f"{folder}/_rels/{name}.rels" if folder else f"_rels/{name}.rels"


def resolve(source_part: str, target: str) -> str:
    if target.startswith("/"):
        return target[1:]
    folder = posixpath.dirname(source_part)
    return posixpath.normpath(posixpath.join(folder, target))


def relationships(parts: Mapping[str, bytes] | zipfile.ZipFile, part: str) -> list[dict[str, str]]:
    """The relationships of ``part`` (``""``: the package's), from parts in memory or an open zip."""
    name = rels_name(part)
    if isinstance(parts, zipfile.ZipFile):
        try:
            raw: bytes | None = parts.read(name)
        except KeyError:
            raw = None
    else:
        raw = parts.get(name)
    if raw is None:
        return []
    root = DefusedET.fromstring(raw)
    return [dict(element.attrib) for element in root.iter(f"{{{NS_PKG_REL}}}Relationship")]


def main_part(parts: dict[str, bytes]) -> str:
    for rel in relationships(parts, ""):
        if rel.get("Type") == REL_OFFICE_DOCUMENT:
            return resolve("", rel["Target"])
    raise ValueError("package has no officeDocument relationship")


def ensure_default_content_type(types: bytes, extension: str, content_type: str) -> bytes:
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


def top_level_elements(raw: bytes) -> tuple[list[tuple[str, int, dict[str, str]]], int]:
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


def sheet_part(parts: dict[str, bytes], main_part: str, sheet_name: str) -> str:
    workbook = DefusedET.fromstring(parts[main_part])
    targets = {rel.get("Id"): rel for rel in relationships(parts, main_part)}
    names = []
    for sheet in workbook.iterfind(f"{{{NS_MAIN}}}sheets/{{{NS_MAIN}}}sheet"):
        names.append(sheet.get("name"))
        if sheet.get("name") == sheet_name:
            rel = targets.get(sheet.get(f"{{{NS_R}}}id"))
            if rel is None:
                raise ValueError(f"sheet {sheet_name!r} has no relationship")
            return resolve(main_part, rel["Target"])
    raise ValueError(f"no sheet named {sheet_name!r} (sheets: {names})")


def add_rel(parts: dict[str, bytes], part: str, rel_type: str, target: str) -> str:
    """Add a relationship from ``part``; returns its Id."""
    rels = rels_name(part)
    existing = relationships(parts, part)
    taken = {rel.get("Id") for rel in existing}
    number = 1
    while f"rId{number}" in taken:
        number += 1
    rel_id = f"rId{number}"
    element = f'<Relationship Id="{rel_id}" Type="{rel_type}" Target={quoteattr(target)}/>'
    if rels in parts:
        text = parts[rels].decode("utf-8")
        at = text.rindex("</Relationships>")
        parts[rels] = (text[:at] + element + text[at:]).encode("utf-8")
    else:
        parts[rels] = (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Relationships xmlns="{NS_PKG_REL}">{element}</Relationships>'
        ).encode()
    return rel_id
