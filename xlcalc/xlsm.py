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
one per sheet), the modules from ``xlcalc/vba/*.bas`` and, only when asked
(``xlwings=True``, an Excel-only build), xlwings' own VBA in its standalone form
(module ``xlwings`` and class ``Dictionary``, read from the installed xlwings
package, as xlwings' ``quickstart_standalone.xlsm`` embeds them).  The ``_VBA_PROJECT`` stream is
the 7-byte header form with version 0xFFFF ([MS-OVBA] 2.3.4.1), the same
bytes as in ``quickstart_standalone.xlsm``: there is no compiled-code cache,
so Office compiles the modules from their source on open.

VBA keeps module source in the project's ANSI code page (1252 here), which
cannot hold Chinese; so string literals holding non-ASCII characters in the
``.bas`` files are rewritten into ``ChrW(n)`` calls (:func:`lower_vba_source`).
The module text is then the same on every Windows locale, on macOS and in LibreOffice (a
message box on Windows still shows Chinese only where the system code page has it, as on
Chinese Windows).

By job: the VBA sources are in vba_source.py, the buttons in xlsm_buttons.py, the package (zip,
relationships, content types) helpers in opc.py; this module puts them together (:func:`make_xlsm`).

Output is deterministic: zip entries sorted (``[Content_Types].xml`` first),
fixed timestamps and attributes, so the same ``.xlsx`` always gives the same
bytes.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Sequence
from pathlib import Path

from pyopenvba import ExcelFile, VBAModuleKind
from pyopenvba.cfb import CFB

from xlcalc import opc
from xlcalc.vba_source import (  # noqa: F401  (re-exported: the xlsm module's public names)
    XLWINGS_VBA_VERSION,
    VbaModule,
    lower_vba_source,
    public_macros,
    vba_modules,
)
from xlcalc.xlsm_buttons import add_buttons

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


#: Content type of a macro-enabled workbook's main part.
MACRO_ENABLED_MAIN = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"

#: ``VBA/_VBA_PROJECT``: Reserved1 0x61CC, Version 0xFFFF, Reserved2 0x00, Reserved3 0x0001 -- the
#: bytes of xlwings' quickstart_standalone.xlsm.  Version 0xFFFF tells Office there is no usable
#: compiled-code cache, so it compiles from source.
VBA_PROJECT_STREAM = b"\xcc\x61\xff\xff\x00\x01\x00"

#: (caption, macro) of the buttons put on the scoring sheet by default.
DEFAULT_BUTTONS: tuple[tuple[str, str], ...] = (("重新计算", "XlcalcRecalculate"), ("校验", "XlcalcVerify"))

_VBA_PART = "xl/vbaProject.bin"


# ---------------------------------------------------------------------------
# VBA sources
# ---------------------------------------------------------------------------


# ---------------------------------------------------------------------------
# Package helpers
# ---------------------------------------------------------------------------


def _set_main_content_type(types: bytes, main_part: str) -> bytes:
    text = types.decode("utf-8")
    pattern = re.compile(r'<Override\b[^>]*PartName="/' + re.escape(main_part) + r'"[^>]*/>')
    found = pattern.search(text)
    if found is None:
        raise ValueError(f"[Content_Types].xml has no Override for /{main_part}")
    tag = re.sub(r'ContentType="[^"]*"', f'ContentType="{MACRO_ENABLED_MAIN}"', found.group())
    return (text[: found.start()] + tag + text[found.end() :]).encode("utf-8")


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
        staged.write_bytes(opc.zip_bytes(parts))
        with ExcelFile(staged) as book:
            if book.has_vba_project():
                raise ValueError("the workbook already has a VBA project")
            project = book.add_vba_project()
            for module in modules:
                kind = VBAModuleKind.other if module.kind == "class" else VBAModuleKind.standard
                project.add_module(module.name, module.source, kind=kind)
            book.save(built)
        result = opc.read_zip(built)
    cfb = CFB.from_bytes(result[_VBA_PART])
    cfb.write_stream_in_storage("VBA", "_VBA_PROJECT", VBA_PROJECT_STREAM)
    result[_VBA_PART] = cfb.to_bytes()
    return result


# ---------------------------------------------------------------------------
# Buttons
# ---------------------------------------------------------------------------


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
    xlwings: bool = False,
) -> None:
    """Write ``xlsm_path``: the workbook of ``xlsx_path`` with xlcalc's macros and buttons.

    ``buttons`` are ``(caption, macro)`` pairs, placed left to right on ``button_sheet`` starting
    at the top-left corner of ``button_cell`` (pick a free area: buttons float over the cells).
    Each is ``button_size`` = (width, height) pixels, ``button_gap`` pixels from the next; the
    anchor follows the sheet's own column widths and row heights.  Every macro must be a public
    argument-less Sub of an embedded module, else ValueError (so is an unknown sheet).

    ``include_verify=False`` leaves out the verify module (and so any button naming ``XlcalcVerify``
    must be dropped too). ``xlwings=True`` embeds xlwings' standalone VBA, which the verify button
    calls: one-click verification in desktop Excel, but LibreOffice then runs no macro (it compiles
    the project's modules together and xlwings' VBA does not compile there). Without it (the
    templates) both buttons' modules compile everywhere; the verify button asks for xlwings' VBA.

    Nothing else in the workbook changes.  The same input gives byte-identical output.
    """
    xlsx_path, xlsm_path = Path(xlsx_path), Path(xlsm_path)
    modules = vba_modules(include_verify=include_verify, xlwings=xlwings)
    available = {macro for module in modules for macro in public_macros(module.source)}
    for caption, macro in buttons:
        if macro not in available:
            raise ValueError(f"button {caption!r} names macro {macro!r}, which no embedded module defines")
    width, height = button_size
    if width <= 0 or height <= 0 or button_gap < 0:
        raise ValueError("button_size must be positive and button_gap not negative")

    parts = opc.read_zip(xlsx_path)
    if _VBA_PART in parts:
        raise ValueError(f"{xlsx_path} already holds {_VBA_PART}")
    main_part = opc.main_part(parts)
    parts[opc.CONTENT_TYPES] = _set_main_content_type(parts[opc.CONTENT_TYPES], main_part)
    parts = _add_vba_project(parts, modules)
    if buttons:
        add_buttons(parts, main_part, button_sheet, buttons, button_cell, (width, height), button_gap)
    xlsm_path.write_bytes(opc.zip_bytes(parts))
