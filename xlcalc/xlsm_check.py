"""Static checks of a macro-enabled workbook made by :func:`xlcalc.xlsm.make_xlsm`.

Nothing here runs Excel or a macro.  :func:`inspect_xlsm` reads the package and reports:

* the main part's content type (must be the macro-enabled one) and whether ``xl/vbaProject.bin``
  is related from the workbook with the vbaProject content type;
* every VBA module's source, read back with oletools' ``olevba`` (an independent reader, not the
  library that wrote the project), and which expected modules are missing;
* the ``_VBA_PROJECT`` stream's version field (0xFFFF: Office recompiles from source);
* every form-control button (VML ``x:ClientData ObjectType="Button"``) on every worksheet, with
  the macro its ``x:FmlaMacro`` names and whether a module defines that macro.
"""

from __future__ import annotations

import io
import logging
import re
import struct
import warnings
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as DefusedET

from xlcalc import opc
from xlcalc.vba_source import public_macros
from xlcalc.xlsm import MACRO_ENABLED_MAIN

__all__ = ["EXPECTED_MODULES", "ButtonInfo", "XlsmReport", "inspect_xlsm", "read_vba_modules"]

#: Modules make_xlsm embeds by default (xlwings' VBA only on request: see make_xlsm).
EXPECTED_MODULES: tuple[str, ...] = ("xlcalc_recalc", "xlcalc_verify")


@dataclass(frozen=True)
class ButtonInfo:
    """One form-control button: where it is, its caption and the macro it runs."""

    sheet: str
    caption: str
    macro: str  # as written in x:FmlaMacro, e.g. "[0]!XlcalcRecalculate"
    macro_name: str  # the procedure name alone, e.g. "XlcalcRecalculate"
    bound: bool  # a module defines macro_name as a public argument-less Sub


@dataclass
class XlsmReport:
    """What :func:`inspect_xlsm` found; ``ok`` when ``problems`` is empty."""

    path: Path
    main_part: str = ""
    main_content_type: str = ""
    vba_part_related: bool = False
    vba_part_content_type: str = ""
    modules: dict[str, str] = field(default_factory=dict)
    missing_modules: list[str] = field(default_factory=list)
    macros: dict[str, list[str]] = field(default_factory=dict)
    vba_project_version: int | None = None
    buttons: list[ButtonInfo] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def content_type_ok(self) -> bool:
        return self.main_content_type == MACRO_ENABLED_MAIN

    @property
    def ok(self) -> bool:
        return not self.problems


def _content_type(types_root: Element, part: str) -> str:
    """The content type of ``part``: its Override, else the Default for its extension."""
    for override in types_root.iter(f"{{{opc.NS_CT}}}Override"):
        if override.get("PartName") == "/" + part:
            return override.get("ContentType", "")
    extension = part.rsplit(".", 1)[-1].lower()
    for default in types_root.iter(f"{{{opc.NS_CT}}}Default"):
        if default.get("Extension", "").lower() == extension:
            return default.get("ContentType", "")
    return ""


def read_vba_modules(data: bytes) -> dict[str, str]:
    """Module name -> source of a ``vbaProject.bin`` (or a whole .xlsm), read by oletools' olevba."""
    with warnings.catch_warnings():
        # oletools 0.60 uses pyparsing names deprecated in pyparsing 3.
        warnings.simplefilter("ignore", DeprecationWarning)
        from oletools.olevba import VBA_Parser

    logging.getLogger("olevba").setLevel(logging.ERROR)
    parser = VBA_Parser("vbaProject.bin", data=data)
    try:
        modules: dict[str, str] = {}
        for _container, stream_path, _filename, code in parser.extract_macros():
            name = stream_path.rsplit("/", 1)[-1]
            modules[name] = code if isinstance(code, str) else code.decode("latin-1")
        return modules
    finally:
        parser.close()


def _vba_project_version(data: bytes) -> tuple[int | None, str | None]:
    import olefile

    with olefile.OleFileIO(io.BytesIO(data)) as ole:
        if not ole.exists("VBA/_VBA_PROJECT"):
            return None, "no VBA/_VBA_PROJECT stream"
        stream = ole.openstream("VBA/_VBA_PROJECT").read()
    if len(stream) < 5:
        return None, f"_VBA_PROJECT stream is {len(stream)} bytes"
    reserved1, version = struct.unpack_from("<HH", stream, 0)
    if reserved1 != 0x61CC:
        return version, f"_VBA_PROJECT Reserved1 is 0x{reserved1:04X}, not 0x61CC"
    return version, None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _buttons_in_vml(text: str) -> list[tuple[str, str]]:
    """(caption, FmlaMacro) of each Button ClientData in a VML drawing."""
    found: list[tuple[str, str]] = []
    try:
        root = DefusedET.fromstring(text.encode("utf-8"))
    except DefusedET.ParseError:
        root = None
    if root is not None:
        for shape in root.iter():
            if _local(shape.tag) != "shape":
                continue
            client = next((c for c in shape if _local(c.tag) == "ClientData"), None)
            if client is None or client.get("ObjectType") != "Button":
                continue
            macro = next((c.text or "" for c in client if _local(c.tag) == "FmlaMacro"), "")
            textbox = next((c for c in shape if _local(c.tag) == "textbox"), None)
            caption = "".join(textbox.itertext()).strip() if textbox is not None else ""
            found.append((caption, macro.strip()))
        return found
    # Excel's own VML is not always well-formed XML (<br> in captions): fall back to patterns.
    for shape in re.findall(r"<(?:\w+:)?shape\b.*?</(?:\w+:)?shape>", text, flags=re.DOTALL):
        if not re.search(r'ObjectType="Button"', shape):
            continue
        macro = re.search(r"<(?:\w+:)?FmlaMacro>(.*?)</(?:\w+:)?FmlaMacro>", shape, flags=re.DOTALL)
        box = re.search(r"<(?:\w+:)?textbox\b[^>]*>(.*?)</(?:\w+:)?textbox>", shape, flags=re.DOTALL)
        caption = unescape(re.sub(r"<[^>]+>", "", box.group(1))).strip() if box else ""
        found.append((caption, unescape(macro.group(1)).strip() if macro else ""))
    return found


def _macro_name(fmla_macro: str) -> str:
    """``[0]!Module.Macro`` / ``'Book.xlsm'!Macro`` / ``Macro`` -> ``Macro``."""
    name = fmla_macro.rsplit("!", 1)[-1].strip().strip("'")
    return name.rsplit(".", 1)[-1]


def inspect_xlsm(path: Path | str, expected_modules: Iterable[str] = EXPECTED_MODULES) -> XlsmReport:
    """Check a macro-enabled workbook statically; see the module docstring for what is checked."""
    report = XlsmReport(path=Path(path))
    problems = report.problems
    with zipfile.ZipFile(report.path) as archive:
        names = set(archive.namelist())
        main_part = next(
            (
                opc.resolve("", rel["Target"])
                for rel in opc.relationships(archive, "")
                if rel.get("Type") == opc.REL_OFFICE_DOCUMENT
            ),
            "",
        )
        report.main_part = main_part
        if not main_part or main_part not in names:
            problems.append("no workbook part (officeDocument relationship)")
            return report
        types_root = DefusedET.fromstring(archive.read("[Content_Types].xml"))
        report.main_content_type = _content_type(types_root, main_part)
        if not report.content_type_ok:
            problems.append(
                f"main part content type is {report.main_content_type!r}, not {MACRO_ENABLED_MAIN!r}"
            )

        workbook_rels = opc.relationships(archive, main_part)
        vba_part = next(
            (opc.resolve(main_part, r["Target"]) for r in workbook_rels if r.get("Type") == opc.REL_VBA), None
        )
        report.vba_part_related = vba_part is not None and vba_part in names
        if not report.vba_part_related or vba_part is None:
            problems.append("no vbaProject part related from the workbook")
        else:
            report.vba_part_content_type = _content_type(types_root, vba_part)
            if report.vba_part_content_type != opc.CT_VBA:
                problems.append(f"{vba_part} content type is {report.vba_part_content_type!r}")
            data = archive.read(vba_part)
            try:
                report.modules = read_vba_modules(data)
            except Exception as error:  # olevba raises many kinds on a damaged project
                problems.append(f"VBA modules unreadable: {error}")
            report.vba_project_version, version_problem = _vba_project_version(data)
            if version_problem:
                problems.append(version_problem)
            elif report.vba_project_version != 0xFFFF:
                problems.append(f"_VBA_PROJECT version is 0x{report.vba_project_version:04X}, not 0xFFFF")
        report.missing_modules = [name for name in expected_modules if name not in report.modules]
        if report.missing_modules:
            problems.append(f"missing modules: {', '.join(report.missing_modules)}")
        report.macros = {name: public_macros(source) for name, source in report.modules.items()}
        defined = {macro.casefold() for macros in report.macros.values() for macro in macros}

        workbook = DefusedET.fromstring(archive.read(main_part))
        targets = {r.get("Id"): r for r in workbook_rels}
        for sheet in workbook.iterfind(f"{{{opc.NS_MAIN}}}sheets/{{{opc.NS_MAIN}}}sheet"):
            rel = targets.get(sheet.get(f"{{{opc.NS_R}}}id"))
            if rel is None:
                continue
            sheet_part = opc.resolve(main_part, rel["Target"])
            if sheet_part not in names:
                continue
            sheet_root = DefusedET.fromstring(archive.read(sheet_part))
            legacy = sheet_root.find(f"{{{opc.NS_MAIN}}}legacyDrawing")
            if legacy is None:
                continue
            sheet_rels = {r.get("Id"): r for r in opc.relationships(archive, sheet_part)}
            vml_rel = sheet_rels.get(legacy.get(f"{{{opc.NS_R}}}id"))
            if vml_rel is None or vml_rel.get("Type") != opc.REL_VML:
                problems.append(
                    f"sheet {sheet.get('name')!r}: legacyDrawing without a vmlDrawing relationship"
                )
                continue
            vml_part = opc.resolve(sheet_part, vml_rel["Target"])
            if vml_part not in names:
                problems.append(f"sheet {sheet.get('name')!r}: missing {vml_part}")
                continue
            text = archive.read(vml_part).decode("utf-8", errors="replace")
            for caption, macro in _buttons_in_vml(text):
                macro_name = _macro_name(macro)
                bound = bool(macro_name) and macro_name.casefold() in defined
                report.buttons.append(ButtonInfo(sheet.get("name", ""), caption, macro, macro_name, bound))
                if not bound:
                    problems.append(
                        f"button {caption!r} on {sheet.get('name')!r} runs {macro!r}, which no module defines"
                    )
    return report
