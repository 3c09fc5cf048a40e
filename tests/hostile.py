"""Hostile and damaged returned workbooks, built from a clean template's bytes (no binaries in git).

Each builder takes the template's bytes and returns the hostile file's bytes. Used by the regression
tests (tests/test_untrusted_workbook.py), the fuzz tests and bench/hostile_files.py.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from xml.sax.saxutils import escape

from defusedxml.ElementTree import fromstring

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


def pack(parts: dict[str, bytes], level: int = 6) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as z:
        for name, body in parts.items():
            z.writestr(name, body)
    return out.getvalue()


def sheet_part(data: bytes, sheet: str) -> str:
    """The zip member of a sheet (from workbook.xml and its relationships)."""
    parts = members(data)
    wb = fromstring(parts["xl/workbook.xml"])
    rid = next(el.get(f"{{{REL}}}id") for el in wb.iter(f"{{{MAIN}}}sheet") if el.get("name") == sheet)
    rels = fromstring(parts["xl/_rels/workbook.xml.rels"])
    target = next(r.get("Target") for r in rels.iter(f"{{{PKG}}}Relationship") if r.get("Id") == rid)
    return target.lstrip("/") if target.startswith("/") else "xl/" + target


def edit_sheet(data: bytes, sheet: str, fn: Callable[[str], str]) -> bytes:
    parts = members(data)
    name = sheet_part(data, sheet)
    parts[name] = fn(parts[name].decode("utf-8")).encode("utf-8")
    return pack(parts)


def set_cell(xml: str, ref: str, inner: str, attrs: str = "") -> str:
    """Replace (or add to its row) one cell's XML."""
    row = int(re.sub(r"[A-Z]", "", ref))
    cell = f'<c r="{ref}"{attrs}>{inner}</c>'
    pattern = re.compile(rf'<c r="{ref}"(?:[^>]*/>|[^>]*>.*?</c>)', re.S)
    if pattern.search(xml):
        return pattern.sub(lambda _: cell, xml, count=1)
    m = re.search(rf'<row r="{row}"[^>]*>', xml)
    if m:
        return xml[: m.end()] + cell + xml[m.end() :]
    return xml.replace("</sheetData>", f'<row r="{row}">{cell}</row></sheetData>')


# ---- the attacker study's files --------------------------------------------------------------
def giant_index(data: bytes) -> bytes:
    """The formula index claims 20,000 unit rows."""
    return edit_sheet(
        data,
        "_公式",
        lambda x: set_cell(x, "B2", "<is><t>A4:A20003</t></is>", ' t="inlineStr"'),
    )


def far_cell(data: bytes) -> bytes:
    """A value typed at XFD1048576 of 填报, with a matching dimension."""

    def fn(x: str) -> str:
        x = re.sub(r'<dimension ref="[^"]*"/>', '<dimension ref="A1:XFD1048576"/>', x)
        return set_cell(x, "XFD1048576", "<v>1</v>")

    return edit_sheet(data, "填报", fn)


def stray_hidden_row(data: bytes) -> bytes:
    """One stray cell in the last row of the hidden spec sheet."""
    return edit_sheet(data, "_规格", lambda x: set_cell(x, "A1048576", "<v>7</v>"))


ALIAS_BOMB = (
    "meta:\n  id: anqing_2023\n"
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    + "".join(f"{chr(98 + k)}: &{chr(98 + k)} [{','.join(['*' + chr(97 + k)] * 9)}]\n" for k in range(8))
)


def alias_bomb(data: bytes) -> bytes:
    """The embedded spec replaced by a YAML alias bomb (9**9 strings once expanded)."""

    def fn(x: str) -> str:
        rows = "".join(
            f'<row r="{k}"><c r="A{k}" t="inlineStr"><is><t xml:space="preserve">{escape(line)}</t></is></c></row>'
            for k, line in enumerate(ALIAS_BOMB.splitlines(), start=1)
        )
        return re.sub(r"<sheetData>.*</sheetData>", lambda _: f"<sheetData>{rows}</sheetData>", x, flags=re.S)

    return edit_sheet(data, "_规格", fn)


def _with_shared_strings(data: bytes, sst: bytes, level: int = 9) -> bytes:
    """Add a sharedStrings part (and make 填报!A4 use string 0)."""
    data = edit_sheet(data, "填报", lambda x: set_cell(x, "A4", "<v>0</v>", ' t="s"'))
    parts = members(data)
    parts["xl/sharedStrings.xml"] = sst
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        b'<Relationship Id="rIdSst" Target="sharedStrings.xml" Type="http://schemas.openxmlformats.org/'
        b'officeDocument/2006/relationships/sharedStrings"/></Relationships>',
    )
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
        b'officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    )
    return pack(parts, level)


def sst_bomb(data: bytes, megabytes: int = 200) -> bytes:
    """A shared-strings part of one string of ``megabytes`` MB (about 1,000:1 compressed)."""
    head = f'<sst xmlns="{MAIN}" count="1" uniqueCount="1"><si><t>'.encode()
    return _with_shared_strings(data, head + b"A" * (megabytes << 20) + b"</t></si></sst>")


def sst_long_string(data: bytes) -> bytes:
    """One 3 MB shared string of varied text (under the compression-ratio cap): streamed, truncated."""
    import random

    rnd = random.Random(0)
    text = "".join(rnd.choices("甲乙丙丁abcdefghij0123456789", k=3 << 20)).encode()
    head = f'<sst xmlns="{MAIN}" count="1" uniqueCount="1"><si><t>'.encode()
    return _with_shared_strings(data, head + text + b"</t></si></sst>")


def cell_flood(data: bytes, megabytes: int = 16) -> bytes:
    """填报 with ``megabytes`` MB of varied cells in a row the check reads (under every cap): the
    worst case for time (bench only)."""
    import random

    rnd = random.Random(0)
    cells = "".join(f'<c r="B5"><v>{rnd.randint(0, 10**9)}</v></c>' for _ in range((megabytes << 20) // 30))
    return edit_sheet(
        data, "填报", lambda x: x.replace("</sheetData>", f'<row r="13">{cells}</row></sheetData>')
    )


def sst_bomb_lying(data: bytes) -> bytes:
    """As :func:`sst_bomb`, with the zip headers declaring a 100-byte member."""
    out = bytearray(sst_bomb(data, 64))
    name = b"xl/sharedStrings.xml"
    info = zipfile.ZipFile(io.BytesIO(bytes(out))).getinfo(name.decode())
    out[info.header_offset + 22 : info.header_offset + 26] = (100).to_bytes(4, "little")
    pos = out.find(b"PK\x01\x02")
    while pos != -1:
        name_len = int.from_bytes(out[pos + 28 : pos + 30], "little")
        if out[pos + 46 : pos + 46 + name_len] == name:
            out[pos + 24 : pos + 28] = (100).to_bytes(4, "little")
        pos = out.find(b"PK\x01\x02", pos + 4)
    return bytes(out)


def billion_laughs(data: bytes) -> bytes:
    """An entity-expansion bomb in the workbook part."""
    parts = members(data)
    dtd = (
        b'<?xml version="1.0"?><!DOCTYPE workbook [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
        b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]>'
    )
    parts["xl/workbook.xml"] = dtd + parts["xl/workbook.xml"].replace(
        b"<workbookPr/>", b"<workbookPr/>&c;", 1
    )
    return pack(parts)


def sheet_entities(data: bytes) -> bytes:
    """An entity-expansion bomb in a worksheet (streamed, not parsed as a tree)."""
    dtd = '<!DOCTYPE worksheet [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    return edit_sheet(data, "填报", lambda x: dtd + x.replace("<sheetData>", "<sheetData><!-- &b; -->", 1))


def input_formula(data: bytes) -> bytes:
    """A formula typed into the first input cell of 填报."""
    return edit_sheet(data, "填报", lambda x: set_cell(x, "B4", "<f>1+1</f><v>2</v>"))


def external_formula(data: bytes) -> bytes:
    """An input linked to another file (``[1]Sheet1!A1``), without the externalLink part."""
    return edit_sheet(data, "填报", lambda x: set_cell(x, "B4", "<f>[1]Sheet1!A1</f><v>5</v>"))


def external_part(data: bytes) -> bytes:
    """An externalLink part and its relationship, as Excel writes for ``[1]Sheet1!A1``."""
    parts = members(data)
    parts["xl/externalLinks/externalLink1.xml"] = (
        f'<externalLink xmlns="{MAIN}"><externalBook xmlns:r="{REL}" r:id="rId1"/></externalLink>'.encode()
    )
    parts["xl/externalLinks/_rels/externalLink1.xml.rels"] = (
        f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" TargetMode="External" '
        f'Target="file:///C:/secret.xlsx" Type="{REL}/externalLinkPath"/></Relationships>'.encode()
    )
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        f'<Relationship Id="rIdExt" Target="externalLinks/externalLink1.xml" Type="{REL}/externalLink"/>'
        "</Relationships>".encode(),
    )
    return pack(parts)


def rename_sheet(data: bytes, old: str = "评分", new: str = "评分（改）") -> bytes:
    parts = members(data)
    parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(
        f'name="{old}"'.encode(), f'name="{new}"'.encode()
    )
    return pack(parts)


def delete_sheet(data: bytes, name: str = "评分") -> bytes:
    parts = members(data)
    parts["xl/workbook.xml"] = re.sub(
        rf'<sheet [^>]*name="{re.escape(name)}"[^>]*/>'.encode(), b"", parts["xl/workbook.xml"], count=1
    )
    return pack(parts)


def damaged_zip(data: bytes) -> bytes:
    return data[: len(data) // 2]


def not_a_zip(data: bytes) -> bytes:
    return "姓名,得分\n迎江区,95\n".encode()


def encrypted(data: bytes) -> bytes:
    """What Excel writes for a password-protected workbook: an OLE file with EncryptedPackage."""
    return (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\0" * 504
        + "EncryptedPackage".encode("utf-16-le")
        + b"\0" * 512
    )


def old_xls(data: bytes) -> bytes:
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504 + "Workbook".encode("utf-16-le") + b"\0" * 512


def xlsb(data: bytes) -> bytes:
    """A binary workbook (.xlsb) renamed .xlsx."""
    parts = members(data)
    parts["xl/workbook.bin"] = b"\x83\x01\x00"
    parts["_rels/.rels"] = parts["_rels/.rels"].replace(b"xl/workbook.xml", b"xl/workbook.bin")
    return pack(parts)


def empty(data: bytes) -> bytes:
    return b""


#: name -> (builder, how it must end: "error" or the report section that must hold a problem, text in it)
CASES: dict[str, tuple[Callable[[bytes], bytes], str, str]] = {
    "giant_index": (giant_index, "structure_problems", "超过上限"),
    "far_cell": (far_cell, "ok", ""),
    "stray_hidden_row": (stray_hidden_row, "ok", ""),
    "alias_bomb": (alias_bomb, "structure_problems", "内嵌的规格"),
    "sst_bomb": (sst_bomb, "error", "压缩炸弹"),
    "sst_bomb_lying": (sst_bomb_lying, "error", "sharedStrings"),
    "sst_long_string": (sst_long_string, "structure_problems", "已截断"),
    "billion_laughs": (billion_laughs, "error", "DTD"),
    "sheet_entities": (sheet_entities, "error", "DTD"),
    "input_formula": (input_formula, "input_formula_problems", "填报!B4"),
    "external_formula": (external_formula, "structure_problems", "其他文件"),
    "external_part": (external_part, "structure_problems", "外部链接"),
    "renamed_sheet": (rename_sheet, "structure_problems", "改名"),
    "deleted_sheet": (delete_sheet, "structure_problems", "删除"),
    "damaged_zip": (damaged_zip, "error", "损坏"),
    "not_a_zip": (not_a_zip, "error", "不是 zip"),
    "encrypted": (encrypted, "error", "加密"),
    "old_xls": (old_xls, "error", ".xls"),
    "empty": (empty, "error", "为空"),
    "xlsb": (xlsb, "error", ".xlsb"),
}
