"""make_xlsm: the .xlsm keeps the workbook as it was and adds macros and bound buttons."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import textwrap
import warnings
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.comments import Comment
from openpyxl.styles import Protection
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

from xlcalc import vba_source
from xlcalc.xlsm import (
    DEFAULT_BUTTONS,
    MACRO_ENABLED_MAIN,
    VBA_PROJECT_STREAM,
    XLWINGS_VBA_VERSION,
    lower_vba_source,
    make_xlsm,
    vba_modules,
)
from xlcalc.xlsm_check import inspect_xlsm

VBA_DIR = Path(__file__).resolve().parents[1] / "xlcalc" / "vba"
SOFFICE_BIN = Path("/usr/lib/libreoffice/program/soffice.bin")
SYSTEM_PYTHON = Path("/usr/bin/python3")

# Formula as written, and as the formula index (_公式) stores it: the block's first-cell formula
# without the leading "=" and without the _xlfn. prefix. Every block here is a single cell.
FORMULAS = {
    "C5": ("=填报!B2*2", "'填报'!B2*2"),
    "C6": ("=SUM(填报!B2:B3)", "SUM(填报!B2:B3)"),
    "C7": ("=_xlfn.RANK.EQ(C5,C5:C6)", "RANK.EQ(C5,C5:C6)"),
    "C8": ('=IF(分值>3,"高","低")', 'IF(分值>3,"高","低")'),
}


def build_workbook(path: Path, *, comment_on_score: bool = False, overwrite: str | None = None) -> Path:
    """A small rubric-like workbook as the compiler writes it with openpyxl.

    ``overwrite`` names a 评分 cell whose formula is replaced by a constant (a user overwrite), so the
    formula list disagrees with the sheet there.
    """
    wb = openpyxl.Workbook()
    notes = wb.active
    notes.title = "填写说明"
    notes["A1"] = "请在填报表中填写黄色单元格。"
    entry = wb.create_sheet("填报")
    entry["A2"] = "单位甲"
    entry["B2"] = 5
    entry["B3"] = 2
    entry["C2"] = "是"
    for ref in ("B2", "B3", "C2"):
        entry[ref].protection = Protection(locked=False)
    entry.protection.sheet = True
    entry.column_dimensions["A"].width = 18
    validation = DataValidation(type="list", formula1='"是,否"', allow_blank=True)
    entry.add_data_validation(validation)
    validation.add("C2:C10")
    score = wb.create_sheet("评分")
    score["A1"] = "评分结果"
    for ref, (formula, _) in FORMULAS.items():
        score[ref] = formula
    if overwrite:
        score[overwrite] = 99
    score.column_dimensions["B"].width = 24
    score.row_dimensions[3].height = 30
    score.protection.sheet = True
    if comment_on_score:
        score["A4"].comment = Comment("说明：得分自动计算", "xlcalc")
    formula_list = wb.create_sheet("_公式")
    formula_list.sheet_state = "hidden"
    formula_list.append(["工作表", "区域", "首格公式"])
    for ref, (_, shown) in FORMULAS.items():
        formula_list.append(["评分", ref, shown])
    for row in formula_list.iter_rows(min_row=2):
        row[2].data_type = "s"  # the text of a formula, not a formula
    formula_list.protection.sheet = True
    wb.defined_names["分值"] = DefinedName("分值", attr_text="填报!$B$2")
    wb.save(path)
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("xlsm")
    xlsx = build_workbook(folder / "rubric.xlsx")
    xlsm = folder / "rubric.xlsm"
    make_xlsm(xlsx, xlsm, button_cell="E2")
    return xlsx, xlsm


def _load(path: Path) -> openpyxl.Workbook:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return openpyxl.load_workbook(path)


def _snapshot(path: Path) -> dict[str, object]:
    """Everything of the workbook the conversion must leave alone, as openpyxl reads it."""
    wb = _load(path)
    sheets: dict[str, object] = {}
    for ws in wb.worksheets:
        cells = {
            cell.coordinate: (cell.value, cell.data_type, cell.protection.locked, cell.protection.hidden)
            for row in ws.iter_rows()
            for cell in row
            if cell.value is not None or not cell.protection.locked
        }
        protection = {
            key: getattr(ws.protection, key)
            for key in (
                "sheet",
                "objects",
                "scenarios",
                "formatCells",
                "selectLockedCells",
                "selectUnlockedCells",
                "password",
            )
        }
        validations = sorted(
            (str(dv.sqref), dv.type, dv.formula1, dv.allow_blank) for dv in ws.data_validations.dataValidation
        )
        widths = {key: dim.width for key, dim in ws.column_dimensions.items() if dim.customWidth}
        heights = {key: dim.height for key, dim in ws.row_dimensions.items() if dim.height}
        comments = {c.coordinate: c.comment.text for row in ws.iter_rows() for c in row if c.comment}
        sheets[ws.title] = {
            "cells": cells,
            "state": ws.sheet_state,
            "protection": protection,
            "validations": validations,
            "widths": widths,
            "heights": heights,
            "comments": comments,
        }
    names = {name: (dn.attr_text, dn.localSheetId) for name, dn in wb.defined_names.items()}
    return {"order": wb.sheetnames, "sheets": sheets, "names": names}


def test_workbook_content_unchanged(built: tuple[Path, Path]) -> None:
    xlsx, xlsm = built
    assert _snapshot(xlsm) == _snapshot(xlsx)


def test_only_expected_parts_change(built: tuple[Path, Path]) -> None:
    """Every original part is kept; the edited ones differ only by what make_xlsm adds."""
    xlsx, xlsm = built
    with zipfile.ZipFile(xlsx) as a, zipfile.ZipFile(xlsm) as b:
        before = {name: a.read(name) for name in a.namelist()}
        after = {name: b.read(name) for name in b.namelist()}
    assert set(before) <= set(after)
    assert set(after) - set(before) == {
        "xl/vbaProject.bin",
        "xl/drawings/vmlDrawing1.vml",
        "xl/worksheets/_rels/sheet3.xml.rels",
    }
    for name, data in before.items():
        new = after[name]
        if name.startswith("xl/worksheets/sheet") or name == "xl/workbook.xml":
            text = new.decode("utf-8")
            text = re.sub(r'\s*codeName="[^"]*"', "", text)
            text = re.sub(r"<legacyDrawing [^>]*/>", "", text)

            # openpyxl writes "<workbookPr />" through ElementTree and "<workbookPr/>" through lxml.
            def canon(xml: str) -> str:
                return xml.replace("<workbookPr />", "<workbookPr/>")

            assert canon(text) == canon(data.decode("utf-8")), name
        elif name in ("[Content_Types].xml", "xl/_rels/workbook.xml.rels"):
            continue
        else:
            assert new == data, name


def test_content_type_and_project_part(built: tuple[Path, Path]) -> None:
    _, xlsm = built
    with zipfile.ZipFile(xlsm) as archive:
        types = archive.read("[Content_Types].xml").decode()
        rels = archive.read("xl/_rels/workbook.xml.rels").decode()
    assert f'PartName="/xl/workbook.xml" ContentType="{MACRO_ENABLED_MAIN}"' in types
    assert '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>' in types
    assert 'Extension="vml"' in types
    assert (
        'Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject" Target="vbaProject.bin"'
        in rels
    )


def _unlower(source: str) -> str:
    """Undo lower_vba_source: ``CStr(ChrW(n) & "x")`` back into one string literal."""

    def literal(match: re.Match[str]) -> str:
        if "ChrW(" not in match.group(1):
            return match.group(0)
        text = ""
        for piece in re.finditer(r'ChrW\((\d+)\)|"((?:[^"]|"")*)"', match.group(1)):
            text += chr(int(piece.group(1))) if piece.group(1) else piece.group(2)
        return f'"{text}"'

    return re.sub(
        r'CStr\(((?:ChrW\(\d+\)|"(?:[^"]|"")*")(?: & (?:ChrW\(\d+\)|"(?:[^"]|"")*"))*)\)', literal, source
    )


def _lines(text: str) -> list[str]:
    return text.replace("\r\n", "\n").rstrip("\n").split("\n")


def test_modules_read_back_equal_sources(built: tuple[Path, Path]) -> None:
    _, xlsm = built
    report = inspect_xlsm(xlsm)
    assert report.ok, report.problems
    for module in vba_modules():
        assert report.modules[module.name] == module.source, module.name
    # The xlcalc modules read back as their .bas files, once ChrW runs are turned back into literals.
    for bas, name in (("recalc.bas", "xlcalc_recalc"), ("verify.bas", "xlcalc_verify")):
        original = (VBA_DIR / bas).read_text(encoding="utf-8")
        stored = report.modules[name]
        assert stored.isascii()
        assert _lines(_unlower(stored)) == _lines(original)
    assert "xlcalc.bridge.verify_caller()" in report.modules["xlcalc_verify"]
    assert "RunPython" not in report.modules["xlcalc_recalc"]
    assert "xlwings" not in report.modules  # embedded only in an Excel-only build (xlwings=True)


def test_xlwings_build_embeds_the_pinned_release(tmp_path: Path) -> None:
    xlsm = tmp_path / "excel.xlsm"
    make_xlsm(build_workbook(tmp_path / "excel.xlsx"), xlsm, button_cell="E2", xlwings=True)
    report = inspect_xlsm(xlsm, expected_modules=["xlcalc_recalc", "xlcalc_verify", "xlwings", "Dictionary"])
    assert report.ok, report.problems
    assert f'XLWINGS_VERSION As String = "{XLWINGS_VBA_VERSION}"' in report.modules["xlwings"]


def test_vba_project_recompiles_from_source(built: tuple[Path, Path]) -> None:
    _, xlsm = built
    import olefile

    with zipfile.ZipFile(xlsm) as archive, olefile.OleFileIO(archive.read("xl/vbaProject.bin")) as ole:
        assert ole.openstream("VBA/_VBA_PROJECT").read() == VBA_PROJECT_STREAM
        assert not [entry for entry in ole.listdir() if entry[-1].startswith("__SRP_")]
    assert inspect_xlsm(xlsm).vba_project_version == 0xFFFF


def test_buttons_bound_to_macros(built: tuple[Path, Path]) -> None:
    _, xlsm = built
    report = inspect_xlsm(xlsm)
    assert [(b.sheet, b.caption, b.macro, b.bound) for b in report.buttons] == [
        ("评分", "重新计算", "[0]!XlcalcRecalculate", True),
        ("评分", "校验", "[0]!XlcalcVerify", True),
    ]
    with zipfile.ZipFile(xlsm) as archive:
        vml = archive.read("xl/drawings/vmlDrawing1.vml").decode()
        sheet = archive.read("xl/worksheets/sheet3.xml").decode()
    # E2 is column 4, row 1 (zero-based); 96 x 28 px buttons over 64 px columns and 20 px rows;
    # the second one starts 96 + 8 px further right.
    assert "<x:Anchor>4, 0, 1, 0, 5, 32, 2, 8</x:Anchor>" in vml
    assert "<x:Anchor>5, 40, 1, 0, 7, 8, 2, 8</x:Anchor>" in vml
    # Absolute position: columns A-D are 64 + 168 + 64 + 64 px (B has width 24), row 1 is 20 px.
    assert "margin-left:270pt;margin-top:15pt;width:72pt;height:21pt" in vml
    assert sheet.count("<legacyDrawing ") == 1
    assert sheet.index("<legacyDrawing ") > sheet.index("<pageMargins")


def test_deterministic(built: tuple[Path, Path], tmp_path: Path) -> None:
    xlsx, xlsm = built
    again = tmp_path / "again.xlsm"
    make_xlsm(xlsx, again, button_cell="E2")
    assert again.read_bytes() == xlsm.read_bytes()
    with zipfile.ZipFile(again) as archive:
        names = archive.namelist()
        assert names[0] == "[Content_Types].xml"
        assert names[1:] == sorted(names[1:])
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_buttons_join_existing_comment_drawing(tmp_path: Path) -> None:
    xlsx = build_workbook(tmp_path / "commented.xlsx", comment_on_score=True)
    xlsm = tmp_path / "commented.xlsm"
    make_xlsm(xlsx, xlsm, button_cell="E2")
    assert _snapshot(xlsm) == _snapshot(xlsx)
    with zipfile.ZipFile(xlsm) as archive:
        sheet = archive.read("xl/worksheets/sheet3.xml").decode()
        vmls = [name for name in archive.namelist() if name.endswith(".vml")]
        vml = archive.read(vmls[0]).decode()
    assert sheet.count("<legacyDrawing ") == 1
    assert len(vmls) == 1
    assert 'ObjectType="Note"' in vml and vml.count('ObjectType="Button"') == 2
    ids = re.findall(r'id="(_x0000_s\d+)"', vml)
    assert len(ids) == len(set(ids)) == 3
    report = inspect_xlsm(xlsm)
    assert report.ok, report.problems
    assert [b.caption for b in report.buttons] == ["重新计算", "校验"]


def test_without_verify(tmp_path: Path) -> None:
    xlsx = build_workbook(tmp_path / "plain.xlsx")
    xlsm = tmp_path / "plain.xlsm"
    make_xlsm(xlsx, xlsm, buttons=[DEFAULT_BUTTONS[0]], include_verify=False)
    report = inspect_xlsm(xlsm, expected_modules=["xlcalc_recalc"])
    assert report.ok, report.problems
    assert "xlwings" not in report.modules and "xlcalc_verify" not in report.modules
    assert [b.macro_name for b in report.buttons] == ["XlcalcRecalculate"]


def test_rejects_unknown_macro_and_sheet(tmp_path: Path) -> None:
    xlsx = build_workbook(tmp_path / "w.xlsx")
    with pytest.raises(ValueError, match="Nope"):
        make_xlsm(xlsx, tmp_path / "a.xlsm", buttons=[("x", "Nope")])
    with pytest.raises(ValueError, match="XlcalcVerify"):
        make_xlsm(xlsx, tmp_path / "b.xlsm", include_verify=False)
    with pytest.raises(ValueError, match="没有"):
        make_xlsm(xlsx, tmp_path / "c.xlsm", button_sheet="没有")


def test_lower_vba_source() -> None:
    lowered = lower_vba_source('x = "重新a""b"  \' ok\n')
    assert lowered == 'x = CStr(ChrW(37325) & ChrW(26032) & "a""b")  \' ok\r\n'
    assert lower_vba_source("Sub A()\nEnd Sub") == "Sub A()\r\nEnd Sub\r\n"
    with pytest.raises(ValueError, match="comments"):
        lower_vba_source("x = 1 ' 中文\n")
    with pytest.raises(ValueError, match="Const"):
        lower_vba_source('Private Const A As String = "中"\n')
    with pytest.raises(ValueError, match="outside a string"):
        lower_vba_source("Dim 中 As Long\n")


# ---------------------------------------------------------------------------
# LibreOffice (installed on this project's machines; skipped where absent)
# ---------------------------------------------------------------------------

needs_soffice = pytest.mark.skipif(
    not SOFFICE_BIN.exists() or shutil.which("soffice") is None, reason="LibreOffice not installed"
)


@needs_soffice
@pytest.mark.engine
def test_libreoffice_opens_and_converts(built: tuple[Path, Path], tmp_path: Path) -> None:
    xlsx, xlsm = built
    out = tmp_path / "out"
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(out),
            str(xlsm),
        ],
        check=True,
        capture_output=True,
        timeout=240,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "SAL_ENABLE_FILE_LOCKING": "0"},
    )
    converted = out / "rubric.xlsx"
    assert converted.exists()
    wb = _load(converted)
    original = _load(xlsx)
    assert wb.sheetnames == original.sheetnames
    assert wb["_公式"].sheet_state == "hidden"
    assert wb["填报"].protection.sheet and not wb["填报"]["B2"].protection.locked
    assert wb["评分"]["C5"].value == "=填报!B2*2"
    assert wb["填报"].data_validations.dataValidation[0].formula1 == '"是,否"'
    assert "分值" in wb.defined_names


LO_DRIVER = textwrap.dedent(
    """
    import os, subprocess, sys, time, uno
    from com.sun.star.beans import PropertyValue

    doc_path, profile, pipe = sys.argv[1:4]
    env = dict(os.environ, SAL_ENABLE_FILE_LOCKING="0")
    office = "/usr/lib/libreoffice/program/soffice.bin"
    subprocess.run([office, "--headless", "--terminate_after_init", "-env:UserInstallation=" + profile],
                   env=env, timeout=180, capture_output=True)
    proc = subprocess.Popen([office, "--headless", "--invisible", "--norestore", "--nodefault",
                             "-env:UserInstallation=" + profile,
                             "--accept=pipe,name=%s;urp;StarOffice.ComponentContext" % pipe],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    desktop = None
    try:
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        for _ in range(240):
            try:
                ctx = resolver.resolve("uno:pipe,name=%s;urp;StarOffice.ComponentContext" % pipe)
                break
            except Exception:
                time.sleep(0.25)
        desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)

        def prop(name, value):
            p = PropertyValue()
            p.Name, p.Value = name, value
            return p

        doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(doc_path), "_blank", 0,
                                           (prop("Hidden", True), prop("MacroExecutionMode", 4)))
        provider = doc.getScriptProvider()
        for name in sys.argv[4:]:
            script = provider.getScript(
                "vnd.sun.star.script:VBAProject.%s?language=Basic&location=document" % name)
            result = script.invoke((), (), ())[0]
            sys.stdout.write("%s=%s\\n" % (name, ascii(result)))
        doc.close(True)
    finally:
        if desktop is not None:
            try:
                desktop.terminate()
            except Exception:
                pass
        try:
            proc.wait(timeout=30)
        except Exception:
            proc.kill()
    """
)


def _system_python_has_uno() -> bool:
    if not SYSTEM_PYTHON.exists():
        return False
    probe = subprocess.run([str(SYSTEM_PYTHON), "-c", "import uno"], capture_output=True, timeout=60)
    return probe.returncode == 0


def _run_in_libreoffice(xlsm: Path, tmp_path: Path, *procedures: str) -> dict[str, object]:
    """Open ``xlsm`` in headless LibreOffice (macros allowed) and call each ``module.procedure``."""
    if not _system_python_has_uno():
        pytest.skip("no Python with the uno module")
    driver = tmp_path / "driver.py"
    driver.write_text(LO_DRIVER, encoding="utf-8")
    profile = (tmp_path / "profile").as_uri()
    done = subprocess.run(
        [str(SYSTEM_PYTHON), str(driver), str(xlsm), profile, f"xlcalc{tmp_path.name}", *procedures],
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert done.returncode == 0, done.stderr
    lines = [line.split("=", 1) for line in done.stdout.splitlines() if "=" in line]
    return {name: ast.literal_eval(value) for name, value in lines}  # ascii() of each result


@needs_soffice
@pytest.mark.engine
def test_libreoffice_runs_recalculate_macro(tmp_path: Path) -> None:
    """The plain recalc module runs in LibreOffice and reports the overwritten formula."""
    xlsx = build_workbook(tmp_path / "over.xlsx", overwrite="C6")
    xlsm = tmp_path / "over.xlsm"
    make_xlsm(xlsx, xlsm, buttons=[DEFAULT_BUTTONS[0]], include_verify=False)
    results = _run_in_libreoffice(
        xlsm, tmp_path, "xlcalc_recalc.XlcalcIntegrityReport", "xlcalc_recalc.XlcalcRecalculate"
    )
    assert results["xlcalc_recalc.XlcalcIntegrityReport"] == (
        "重新计算完成。公式完整性检查：共4个公式，1个被修改或覆盖\n\n被修改或覆盖的单元格：\n评分!C6"
    )
    # The button's Sub runs to its end (CalculateFull's error trapped, message box shown headless).
    assert "xlcalc_recalc.XlcalcRecalculate" in results


TEMPLATE = Path(__file__).resolve().parents[1] / "templates" / "qingyunpu_2023.xlsm"


@needs_soffice
@pytest.mark.engine
def test_libreoffice_runs_a_templates_macros(tmp_path: Path) -> None:
    """A shipped template's project compiles in LibreOffice: 重新计算 checks every formula of the
    workbook, and 校验 (no xlwings VBA here) runs to its end, its failure trapped in its own handler."""
    template = tmp_path / TEMPLATE.name  # a copy: LibreOffice failed to load it from the checkout
    shutil.copyfile(TEMPLATE, template)
    results = _run_in_libreoffice(
        template,
        tmp_path,
        "xlcalc_recalc.XlcalcIntegrityReport",
        "xlcalc_recalc.XlcalcRecalculate",
        "xlcalc_verify.XlcalcVerifyCommand",
        "xlcalc_verify.XlcalcVerify",
    )
    report = results["xlcalc_recalc.XlcalcIntegrityReport"]
    found = re.fullmatch(r"重新计算完成。公式完整性检查：共(\d+)个公式，0个被修改或覆盖", str(report))
    assert found and int(found.group(1)) > 50, report
    assert "xlcalc_recalc.XlcalcRecalculate" in results and "xlcalc_verify.XlcalcVerify" in results
    assert (
        results["xlcalc_verify.XlcalcVerifyCommand"] == "import xlcalc.bridge; xlcalc.bridge.verify_caller()"
    )


@needs_soffice
@pytest.mark.engine
def test_libreoffice_runs_no_macro_of_an_xlwings_build(tmp_path: Path) -> None:
    """Why the templates leave xlwings' VBA out: with it in the project LibreOffice compiles none of
    the modules, so even 重新计算 returns nothing (an Excel-only build, documented in docs/excel.md)."""
    xlsm = tmp_path / "excel.xlsm"
    make_xlsm(build_workbook(tmp_path / "excel.xlsx"), xlsm, button_cell="E2", xlwings=True)
    results = _run_in_libreoffice(xlsm, tmp_path, "xlcalc_recalc.XlcalcIntegrityReport")
    assert results["xlcalc_recalc.XlcalcIntegrityReport"] == ""


def test_xlwings_version_must_match(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Embedding another xlwings release's VBA than the one recorded is refused, not done silently."""
    monkeypatch.setattr(vba_source, "XLWINGS_VBA_VERSION", "0.0.1")
    with pytest.raises(RuntimeError, match="0.0.1"):
        make_xlsm(build_workbook(tmp_path / "w.xlsx"), tmp_path / "w.xlsm", xlwings=True)
    # Without the verify button nothing of xlwings is embedded, so its version does not matter.
    make_xlsm(tmp_path / "w.xlsx", tmp_path / "w.xlsm", buttons=[DEFAULT_BUTTONS[0]], include_verify=False)
