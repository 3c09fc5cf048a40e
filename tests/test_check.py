"""xlcalc check on workbooks filled and saved by LibreOffice: clean passes, tampering is found,
and the file is never modified."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from conftest import ROOT

from xlcalc.check import check_workbook, normalize_formula
from xlcalc.engines import get_engine
from xlcalc.inputs import load_inputs
from xlcalc.scorer import resolve_params
from xlcalc.verify.runner import Runner
from xlcalc.verify.target import load_target


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("='填报'!A4", "=填报!A4", True),
        ("=_xlfn.RANK.EQ(B4,$B$4:$B$13,0)", "=RANK.EQ(b4, $B$4:$B$13, 0)", True),
        ('=IF(A1="是","是 ","否")', '=IF(A1="是","是","否")', False),
        ("=A1+1", "=A1+2", False),
    ],
)
def test_formula_normalisation(a, b, same):
    assert (normalize_formula(a) == normalize_formula(b)) is same


def _saved_by_libreoffice(tmp_path: Path, tamper=None) -> Path:
    engine = get_engine("libreoffice", shared=True)
    ok, why = engine.available()
    if not ok:
        pytest.skip(why)
    target = load_target(ROOT / "templates" / "anqing_2023.xlsx")
    book = engine.open(target.path)
    try:
        units = load_inputs(ROOT / "examples" / "anqing_2023_units.yaml")
        rows = [target.scorer.normalize(u) for u in units]
        Runner(target, book, "libreoffice", tmp_path).write_case(rows, resolve_params(target.spec))
        if tamper:
            tamper(book)
        book.recalc()
        from xlcalc.engines.libreoffice import import_uno

        uno = import_uno()
        prop = uno.createUnoStruct("com.sun.star.beans.PropertyValue")
        prop.Name, prop.Value = "FilterName", "Calc MS Excel 2007 XML"
        out = tmp_path / "filled.xlsx"
        book.doc.storeToURL(out.resolve().as_uri(), (prop,))
    finally:
        book.close()
    return out


@pytest.mark.engine
def test_filled_and_saved_workbook_passes(tmp_path):
    path = _saved_by_libreoffice(tmp_path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    report = check_workbook(path)
    assert report.ok, report.render()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest


@pytest.mark.engine
def test_tampering_is_reported_in_chinese(tmp_path):
    def tamper(book):
        sheet = book.doc.Sheets.getByName("评分")
        sheet.getCellRangeByName("E4").setValue(6)  # a formula overwritten by a number
        sheet.getCellRangeByName("C5").setFormula("=5")  # a formula edited
        book.doc.Sheets.getByName("填报").getCellRangeByName("C6").setValue(-4)  # out of range

    report = check_workbook(_saved_by_libreoffice(tmp_path, tamper))
    text = report.render()
    assert not report.ok
    assert any("评分!E4" in p and "覆盖" in p for p in report.formula_problems), text
    assert any("评分!C5" in p and "修改" in p for p in report.formula_problems), text
    assert any("填报!C6" in p and "超出允许范围" in p for p in report.input_problems), text
    assert report.value_problems, text
    assert "结论：发现问题" in text


def test_fresh_template_notes_missing_cached_values():
    report = check_workbook(ROOT / "templates" / "anqing_2023.xlsx")
    assert report.ok and any("未保存计算结果" in n for n in report.notes)


def test_not_an_xlcalc_workbook(tmp_path):
    from openpyxl import Workbook

    from xlcalc.errors import XlcalcError

    p = tmp_path / "other.xlsx"
    Workbook().save(p)
    with pytest.raises(XlcalcError, match="不是 xlcalc 生成的工作簿"):
        check_workbook(p)


@pytest.mark.engine
def test_libreoffice_saved_input_formula_link_and_parameter_are_reported(tmp_path):
    from xlcalc.spec.loader import load_spec

    spec = load_spec(ROOT / "rubric_specs" / "anqing_2023.yaml")
    p = spec.param("partial_step")
    other = next(label for _, label in p.choices if label != p.label_of(str(p.default)))

    def tamper(book):
        book.doc.Sheets.getByName("填报").getCellRangeByName("B4").setFormula("=1+1")
        book.write_protected("参数", "B4", [[other]])  # the sheet is protected, B4 locked

    path = _saved_by_libreoffice(tmp_path, tamper)
    report = check_workbook(path, spec)
    text = report.render()
    assert any(x.startswith("填报!B4：") and "公式" in x for x in report.input_formula_problems), text
    assert any(x.startswith("参数!B4：") and other in x for x in report.param_problems), text
    assert not report.structure_problems, text
    assert check_workbook(path, spec, params={"partial_step": other}).param_problems == []


def test_workbook_without_formula_index_is_not_an_xlcalc_workbook(tmp_path):
    from openpyxl import Workbook

    from xlcalc.errors import XlcalcError

    p = tmp_path / "other.xlsx"
    wb = Workbook()
    wb.active.title = "_规格"
    wb.save(p)
    with pytest.raises(XlcalcError, match="_公式"):
        check_workbook(p)


def _anqing_with_partial_step(tmp_path: Path, label: str | None) -> tuple[Path, object]:
    """安庆's workbook as built, its 参数 partial_step set to ``label`` (None: left at the default)."""
    import openpyxl

    from xlcalc.spec.loader import load_spec
    from xlcalc.workbook.build import build_workbook, write_workbook

    spec = load_spec(ROOT / "rubric_specs" / "anqing_2023.yaml")
    path = write_workbook(build_workbook(spec), tmp_path / "anqing.xlsx")
    if label is not None:
        wb = openpyxl.load_workbook(path)
        wb["参数"]["B4"] = label
        wb.save(path)
    return path, spec


def _labels() -> tuple[str, str]:
    from xlcalc.spec.loader import load_spec

    p = load_spec(ROOT / "rubric_specs" / "anqing_2023.yaml").param("partial_step")
    default = p.label_of(str(p.default))
    return default, next(label for _, label in p.choices if label != default)


DEFAULT, OTHER = _labels()


@pytest.mark.parametrize(
    ("in_file", "evaluator", "problem", "note"),
    [
        (None, None, None, None),  # as built: nothing to say
        (OTHER, None, f"为 '{OTHER}'，规格默认值为 '{DEFAULT}'", None),  # changed by the unit
        (OTHER, OTHER, None, f"与评价机关设定的值相同，规格默认值为 '{DEFAULT}'"),  # the evaluator's choice
        (None, OTHER, f"为 '{DEFAULT}'，评价机关设定的值为 '{OTHER}'（规格默认值为 '{DEFAULT}'）", None),
    ],
)
def test_parameter_compared_with_the_default_and_the_evaluators_value(
    tmp_path, in_file, evaluator, problem, note
):
    """参数!B4 differing from the evaluator's value (--param), else from the spec's default, is a
    located problem; equal to the evaluator's but not to the default, a note."""
    path, spec = _anqing_with_partial_step(tmp_path, in_file)
    params = {"partial_step": evaluator} if evaluator else None
    report = check_workbook(path, spec, params=params)
    assert [p.split("：", 1)[0] for p in report.param_problems] == (["参数!B4"] if problem else [])
    assert all(problem in p for p in report.param_problems)
    noted = [n for n in report.notes if n.startswith("参数!B4")]
    assert noted == ([] if note is None else [n for n in noted if note in n]) and len(noted) == (
        note is not None
    )
