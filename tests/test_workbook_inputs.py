"""Input cells as a user meets them: the validation rule each cell carries, applied to what a
user types (openpyxl writes skip validation, so a refused text went unnoticed), and the input
message every input shows before typing."""

from __future__ import annotations

import functools

import pytest
from conftest import ROOT

from xlcalc.cells import Role
from xlcalc.engines.lo_typing import Typed, type_text
from xlcalc.spec.loader import load_spec
from xlcalc.workbook.build import Compiled, build_workbook
from xlcalc.workbook.layout import PARAM_SHEET, SHEET_NAMES
from xlcalc.workbook.sheets import param_rows

SPECS = ROOT / "rubric_specs"

# (spec, input id, what a user types, accepted?)
TYPED = [
    ("qingyunpu_2023", "fund_compliance", "合规", True),  # text: any text
    ("qingyunpu_2023", "standard_actual", "提升，已完成3个工作站标准化建设", True),
    ("qingyunpu_2023", "subsidy_actual", "98%", True),  # percent typed either way
    ("qingyunpu_2023", "subsidy_actual", "0.98", True),
    ("qingyunpu_2023", "subsidy_actual", "150%", False),
    ("qingyunpu_2023", "subsidy_actual", "很好", False),
    ("qingyunpu_2023", "months_elapsed", "10", True),  # integer
    ("qingyunpu_2023", "months_elapsed", "10.5", False),
    ("qingyunpu_2023", "months_elapsed", "13", False),
    ("qingyunpu_2023", "budget", "5.2", True),  # number with a unit
    ("qingyunpu_2023", "budget", "-1", False),
    ("ezhou_2021_pufa", "why_campaigns", "受疫情影响，部分活动改为线上开展", True),
    ("ezhou_2021_pufa", "self_campaigns", "12", True),  # self-score: up to the row's points
    ("ezhou_2021_pufa", "self_campaigns", "13", False),
    ("ezhou_2021_legislation", "tier_filing_time", "部分达成", True),  # 完成档次: the three bands
    ("ezhou_2021_legislation", "tier_filing_time", "基本达成", False),
    ("anqing_2023", "in_budget", "是", True),  # bool: the list
    ("anqing_2023", "in_budget", "否", True),
    ("anqing_2023", "in_budget", "对", False),
    ("anqing_2023", "population", "385000", True),  # integer with a unit
    ("anqing_2023", "population", "38.5万", False),
    ("anqing_2023", "h1_avg", "92.5", True),  # number
    ("anqing_2023", "h1_avg", "101", False),
    ("anqing_2023", "caseloads", "120", True),  # a list's item (明细 sheet): integer
    ("anqing_2023", "caseloads", "120.5", False),
    ("anqing_2023", "caseloads", "-3", False),
    ("anqing_2023", "survey_scores", "96.5", True),  # a list's item: number
    ("anqing_2023", "survey_scores", "满意", False),
    # Parameters are the evaluator's: the 参数 sheet is protected and its values locked, so a
    # valid value is refused as much as an invalid one.
    ("anqing_2023", "param:partial_step", "按比例扣", False),
    ("anqing_2023", "param:score_decimals", "2", False),
]


def _input_specs() -> list[str]:
    return sorted(p.stem for p in SPECS.glob("*.yaml"))


@pytest.mark.parametrize("name", _input_specs())
def test_every_input_has_a_chinese_message_and_text_is_never_a_number(name: str) -> None:
    spec = load_spec(SPECS / f"{name}.yaml")
    compiled = build_workbook(spec)
    ws = compiled.workbook[SHEET_NAMES[Role.INPUT]]
    by_cell = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            by_cell[rng.coord.split(":")[0]] = dv
    inputs = {i.id: i for i in spec.inputs}
    for cell in compiled.layout.role_cells[Role.INPUT]:
        dv = by_cell[compiled.layout.address(cell.id, 0)]
        inp = inputs[cell.id]
        assert dv.showInputMessage and dv.prompt and len(dv.prompt) <= 255, cell.id
        assert cell.id not in dv.prompt and cell.id not in (dv.promptTitle or "")
        if inp.is_text:  # a drop-down of its values, or any text (never a number)
            assert dv.type == ("list" if inp.values else "textLength"), cell.id
        if inp.unit and inp.type in ("number", "integer"):
            assert inp.unit in dv.error and inp.unit in dv.prompt, cell.id
        if inp.is_percent:
            assert "98%" in dv.prompt and "0.98" in dv.prompt
        if inp.source:
            assert f"数据来源：{inp.source}" in dv.prompt


def _typed_value(typed: str) -> float | str:
    """What a spreadsheet makes of typed text: numbers and percents become numbers."""
    text = typed.strip()
    try:
        return float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        return typed


def _accepts(dv, typed: str) -> bool:
    """The validation rule of Excel, WPS and LibreOffice applied to a typed value."""
    value = _typed_value(typed)
    if dv.type == "list":
        return typed in dv.formula1.strip('"').split(",")
    if dv.type == "textLength":
        length = len(str(typed))
        return float(dv.formula1) <= length <= float(dv.formula2)
    if isinstance(value, str):
        return False
    if dv.type == "whole" and not value.is_integer():
        return False
    return float(dv.formula1) <= value <= float(dv.formula2)


@functools.cache
def _built(name: str) -> Compiled:
    return build_workbook(load_spec(SPECS / f"{name}.yaml"))


def _where(name: str, target: str) -> tuple[str, str]:
    """The cell a TYPED entry types into: an input's (first unit's) cell, a list's first item cell,
    or a parameter's value cell (``param:<name>``)."""
    compiled = _built(name)
    lay = compiled.layout
    if target.startswith("param:"):
        return PARAM_SHEET, f"B{param_rows(compiled.spec, compiled.params_used)[target[6:]]}"
    if any(li.id == target for li in lay.graph.lists):
        sheet, rng = lay.list_range(target, 0)
        return sheet, rng.split(":")[0]
    return SHEET_NAMES[Role.INPUT], lay.address(target, 0)


@pytest.mark.parametrize(("name", "input_id", "typed", "accepted"), TYPED)
def test_validation_of_typed_values(name: str, input_id: str, typed: str, accepted: bool) -> None:
    sheet, where = _where(name, input_id)
    ws = _built(name).workbook[sheet]
    dv = next(d for d in ws.data_validations.dataValidation if any(where in r.coord for r in d.sqref.ranges))
    cell = ws[where]  # a list's item cells take their (unlocked) style from the row
    locked = cell.protection.locked if cell.has_style else ws.row_dimensions[cell.row].protection.locked
    protected = bool(ws.protection.sheet) and locked
    assert (_accepts(dv, typed) and not protected) is accepted, (input_id, typed, dv.type)


@pytest.fixture(scope="module")
def typed_in_libreoffice(libreoffice) -> dict[tuple[str, str, str], Typed]:
    """Every TYPED entry typed into the shipped template in LibreOffice, one book per template."""
    engine = libreoffice
    out: dict[tuple[str, str, str], Typed] = {}
    for name in sorted({row[0] for row in TYPED}):
        book = engine.open(ROOT / "templates" / f"{name}.xlsx")
        try:
            for spec_name, input_id, typed, _ in TYPED:
                if spec_name == name:
                    out[(name, input_id, typed)] = type_text(book, *_where(name, input_id), typed)
        finally:
            book.close()
    return out


@pytest.mark.engine
@pytest.mark.parametrize(("name", "input_id", "typed", "accepted"), TYPED)
def test_libreoffice_validation_of_typed_values(
    typed_in_libreoffice: dict[tuple[str, str, str], Typed],
    name: str,
    input_id: str,
    typed: str,
    accepted: bool,
) -> None:
    """The same table, decided by LibreOffice's own validation of what was typed."""
    result = typed_in_libreoffice[(name, input_id, typed)]
    assert result.accepted is accepted, (input_id, typed, result.error_message)
    if not accepted:
        assert result.error_title and result.error_message, "a refused entry explains itself"
