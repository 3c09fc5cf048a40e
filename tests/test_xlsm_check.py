"""inspect_xlsm: static checks of a macro-enabled workbook, on good and on damaged packages."""

from __future__ import annotations

import importlib.util
import zipfile
from pathlib import Path

import openpyxl
import pytest

from xlcalc.xlsm import MACRO_ENABLED_MAIN, make_xlsm, vba_modules
from xlcalc.xlsm_check import EXPECTED_MODULES, _buttons_in_vml, _macro_name, inspect_xlsm


def _workbook(path: Path) -> Path:
    wb = openpyxl.Workbook()
    entry = wb.active
    entry.title = "填报"
    entry["B2"] = 4
    score = wb.create_sheet("评分")
    score["B2"] = "=填报!B2+1"
    score.protection.sheet = True
    formulas = wb.create_sheet("_公式")
    formulas.sheet_state = "hidden"
    formulas.append(["工作表", "单元格", "公式"])
    formulas.append(["评分", "B2", "=填报!B2+1"])
    formulas["C2"].data_type = "s"
    wb.save(path)
    return path


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("check")
    xlsm = folder / "good.xlsm"
    make_xlsm(_workbook(folder / "good.xlsx"), xlsm, button_cell="D2")
    return xlsm


def _rewrite(source: Path, target: Path, edits: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            new.writestr(info.filename, edits.get(info.filename, old.read(info.filename)))
    return target


def test_good_workbook(good: Path) -> None:
    report = inspect_xlsm(good)
    assert report.ok, report.problems
    assert report.content_type_ok and report.main_content_type == MACRO_ENABLED_MAIN
    assert report.vba_part_related and report.vba_part_content_type == "application/vnd.ms-office.vbaProject"
    assert report.vba_project_version == 0xFFFF
    assert report.missing_modules == []
    assert set(EXPECTED_MODULES) <= set(report.modules)
    # Document modules Excel would make: the workbook and one per sheet.
    assert {"ThisWorkbook", "Sheet1", "Sheet2", "Sheet3"} <= set(report.modules)
    assert report.macros["xlcalc_recalc"] == ["XlcalcRecalculate"]
    assert report.macros["xlcalc_verify"] == ["XlcalcVerify"]
    assert "xlwings" not in report.modules  # only on request (make_xlsm's xlwings=True)
    for module in vba_modules():
        assert report.modules[module.name].replace("\r\n", "\n") == module.source.replace("\r\n", "\n")
    assert [(b.sheet, b.caption, b.macro_name, b.bound) for b in report.buttons] == [
        ("评分", "重新计算", "XlcalcRecalculate", True),
        ("评分", "校验", "XlcalcVerify", True),
    ]


def test_xlwings_build_holds_its_modules(tmp_path: Path) -> None:
    """An Excel-only build (xlwings=True) embeds xlwings' VBA; a class module's Subs are not macros."""
    xlsm = tmp_path / "excel.xlsm"
    make_xlsm(_workbook(tmp_path / "excel.xlsx"), xlsm, button_cell="D2", xlwings=True)
    report = inspect_xlsm(xlsm, expected_modules=[*EXPECTED_MODULES, "xlwings", "Dictionary"])
    assert report.ok, report.problems
    assert report.macros["Dictionary"] == []
    for module in vba_modules(xlwings=True):
        assert report.modules[module.name].replace("\r\n", "\n") == module.source.replace("\r\n", "\n")


def test_plain_xlsx_renamed(tmp_path: Path) -> None:
    renamed = tmp_path / "renamed.xlsm"
    renamed.write_bytes(_workbook(tmp_path / "w.xlsx").read_bytes())
    report = inspect_xlsm(renamed)
    assert not report.ok
    assert not report.content_type_ok
    assert not report.vba_part_related
    assert report.missing_modules == list(EXPECTED_MODULES)
    assert any("content type" in problem for problem in report.problems)


def test_button_bound_to_missing_macro(good: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(good) as archive:
        vml_name = next(name for name in archive.namelist() if name.endswith(".vml"))
        vml = archive.read(vml_name)
    broken = _rewrite(good, tmp_path / "broken.xlsm", {vml_name: vml.replace(b"XlcalcVerify<", b"Missing<")})
    report = inspect_xlsm(broken)
    assert not report.ok
    assert [(b.macro_name, b.bound) for b in report.buttons] == [
        ("XlcalcRecalculate", True),
        ("Missing", False),
    ]
    assert any("Missing" in problem for problem in report.problems)


def test_compiled_project_version_reported(good: Path, tmp_path: Path) -> None:
    from pyopenvba.cfb import CFB

    with zipfile.ZipFile(good) as archive:
        cfb = CFB.from_bytes(archive.read("xl/vbaProject.bin"))
    cfb.write_stream_in_storage("VBA", "_VBA_PROJECT", b"\xcc\x61\xb5\x00\x00\x03\x00")
    compiled = _rewrite(good, tmp_path / "compiled.xlsm", {"xl/vbaProject.bin": cfb.to_bytes()})
    report = inspect_xlsm(compiled)
    assert report.vba_project_version == 0x00B5
    assert any("0x00B5" in problem for problem in report.problems)


def test_missing_module_reported(good: Path) -> None:
    report = inspect_xlsm(good, expected_modules=[*EXPECTED_MODULES, "NotThere"])
    assert report.missing_modules == ["NotThere"]
    assert not report.ok


def test_xlwings_quickstart_standalone_uses_ffff() -> None:
    """The fact make_xlsm copies: xlwings' own standalone workbook has version 0xFFFF."""
    spec = importlib.util.find_spec("xlwings")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("xlwings not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "quickstart_standalone.xlsm"
    report = inspect_xlsm(path, expected_modules=["xlwings", "Dictionary"])
    assert report.ok, report.problems
    assert report.vba_project_version == 0xFFFF


def test_macro_name_forms() -> None:
    assert _macro_name("[0]!XlcalcVerify") == "XlcalcVerify"
    assert _macro_name("'Book 1.xlsm'!Module1.Go") == "Go"
    assert _macro_name("Go") == "Go"


def test_vml_that_is_not_xml() -> None:
    """Excel's own VML can hold <br> in captions; the pattern fallback still finds the button."""
    vml = (
        '<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:x="urn:schemas-microsoft-com:office:excel">'
        '<v:shape id="_x0000_s1025"><v:textbox><div><font>重新<br>计算</font></div></v:textbox>'
        '<x:ClientData ObjectType="Button"><x:FmlaMacro>[0]!XlcalcRecalculate</x:FmlaMacro>'
        "</x:ClientData></v:shape></xml>"
    )
    assert _buttons_in_vml(vml) == [("重新计算", "[0]!XlcalcRecalculate")]
