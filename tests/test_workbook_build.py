"""The compiled workbook: sheets, formulas that parse and stay portable, validation, protection,
print set-up, determinism, staleness of templates/, and a clean LibreOffice evaluation."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ANQING, ROOT
from openpyxl import load_workbook
from openpyxl.cell.cell import MergedCell
from openpyxl.formula.tokenizer import Token, Tokenizer

from xlcalc.excelgen import EMITTED_FUNCTIONS
from xlcalc.ir import FUNCTIONS
from xlcalc.spec.loader import load_spec
from xlcalc.workbook.build import build_workbook, workbook_bytes, write_workbook
from xlcalc.workbook.package import normalize
from xlcalc.workbook.unitsheet import VIEW_FUNCTIONS

# A text literal in a formula ("" escapes a quote).
_STRING = re.compile(r'"(?:[^"]|"")*"')

SHEETS = [
    "填写说明",
    "参数",
    "填报",
    "明细-法律援助人员年承办案件数",
    "明细-受援对象满意度电话调查得分（百分制）",
    "评分",
    "扣分说明",
    "单位评分表",
    "排名",
    "排名计算",
    "中间计算",
    "规则原文",
    "_公式",
    "_规格",
]


@pytest.fixture(scope="module")
def compiled():
    return build_workbook(load_spec(ANQING))


def _formulas(wb):
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str) and c.value.startswith("="):
                    yield ws.title, c


def test_sheets_in_order(compiled):
    assert compiled.workbook.sheetnames == SHEETS
    assert compiled.workbook["_公式"].sheet_state == "hidden"


def test_every_formula_parses_and_uses_portable_functions(compiled):
    allowed = {f"_XLFN.{f}" if f == "RANK.EQ" else f for f in FUNCTIONS} | EMITTED_FUNCTIONS | VIEW_FUNCTIONS
    n = 0
    for sheet, cell in _formulas(compiled.workbook):
        n += 1
        assert len(cell.value) < 8192, f"{sheet}!{cell.coordinate} too long"
        tokens = Tokenizer(cell.value).items
        for t in tokens:
            if t.type == Token.FUNC and t.subtype == Token.OPEN:
                name = t.value[:-1].upper()
                assert name in allowed, f"{sheet}!{cell.coordinate} uses {name}"
        code = _STRING.sub('""', cell.value)  # brackets inside text literals do not count
        assert code.count("(") == code.count(")"), f"{sheet}!{cell.coordinate} unbalanced"
    assert n > 1500


def test_no_whole_column_references(compiled):
    for _, cell in _formulas(compiled.workbook):
        assert not re.search(r"\$?[A-Z]{1,3}:\$?[A-Z]{1,3}(?![0-9])", cell.value.split('"')[0]), cell.value


def test_parameters_are_defined_names_with_lists(compiled):
    wb = compiled.workbook
    names = set(wb.defined_names)
    assert {
        "P_partial_step",
        "P_negative_scores",
        "P_score_decimals",
        "P_rank_ties",
        "P_caseload_pool",
    } <= names
    ws = wb["参数"]
    assert any(dv.type == "list" for dv in ws.data_validations.dataValidation)
    # The evaluator's settings: on a protected sheet, not shaded like an input.
    assert ws.protection.sheet is True
    assert not ws["B4"].fill.fgColor.rgb.endswith("FFF2CC")


def test_inputs_are_validated_unlocked_and_shaded(compiled):
    ws = compiled.workbook["填报"]
    kinds = {dv.type for dv in ws.data_validations.dataValidation}
    assert {"whole", "decimal", "list"} <= kinds
    cell = ws["B4"]
    assert cell.protection.locked is False and cell.fill.fgColor.rgb.endswith("FFF2CC")
    assert ws.protection.sheet is True
    assert compiled.workbook["评分"]["B4"].protection.locked is True


def test_print_setup_and_panes(compiled):
    ws = compiled.workbook["评分"]
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4)
    assert ws.print_title_rows == "$1:$3" and ws.freeze_panes == "B4"
    assert ws.print_title_cols == "$A:$A" and ws.print_area
    assert ws["B4"].number_format == '0.00"分"'


def test_full_recalculation_is_requested_and_no_values_cached(compiled, tmp_path):
    path = write_workbook(compiled, tmp_path / "a.xlsx")
    values = load_workbook(path, data_only=True)
    assert values["评分"]["B4"].value is None
    assert compiled.workbook.calculation.fullCalcOnLoad is True


def test_build_is_deterministic():
    first, again = (build_workbook(load_spec(ANQING)) for _ in range(2))
    assert normalize(workbook_bytes(first)) == normalize(workbook_bytes(again))


def test_templates_are_up_to_date():
    result = subprocess.run(
        [sys.executable, str(ROOT / "build_workbooks.py"), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def _lo_book(path: Path):
    from xlcalc.engines import get_engine

    engine = get_engine("libreoffice", shared=True)
    ok, why = engine.available()
    if not ok:
        pytest.skip(why)
    return engine.open(path)


@pytest.mark.engine
def test_empty_template_evaluates_to_pending_without_errors():
    book = _lo_book(ROOT / "templates" / "anqing_2023.xlsx")
    try:
        assert book.errors() == []
        scores = book.read("评分", "B4:B13")
        assert all(row[0] == "待填" for row in scores)
        why = book.read("扣分说明", "C4:C4")[0][0]
        assert why.startswith("待填：请填写")
    finally:
        book.close()


@pytest.mark.engine
def test_example_inputs_evaluate_without_errors_and_match(anqing):
    from xlcalc.inputs import load_inputs
    from xlcalc.scorer import resolve_params
    from xlcalc.verify.runner import Runner
    from xlcalc.verify.target import load_target

    target = load_target(ROOT / "templates" / "anqing_2023.xlsx")
    book = _lo_book(target.path)
    try:
        units = load_inputs(ROOT / "examples" / "anqing_2023_units.yaml")
        rows = [anqing.normalize(u) for u in units]
        Runner(target, book, "libreoffice", Path("/tmp")).write_case(rows, resolve_params(anqing.spec))
        book.recalc()
        assert book.errors() == []
        totals = [
            r[0]
            for r in book.read(
                "评分", f"{target.layout.address('total', 0)}:{target.layout.address('total', 9)}"
            )
        ]
        expected = [r.total for r in anqing.score(units)]
        assert totals == pytest.approx(expected)
    finally:
        book.close()


_HOSTILE_TEXTS = {
    # where in the 安庆 spec, what it becomes
    "  title: 2023年度全市法律援助工作绩效评价指标（征求意见稿）\n": '  title: \'=HYPERLINK("http://evil.example","点击")\'\n',
    "  units: [迎江区, 大观区,": "  units: [\"=cmd|'/c calc'!A1\", 大观区,",
    "    label: 排名第10名及以后的得分\n": "    label: '@SUM(1+1)*cmd|calc'\n",
    "  issuer: 安庆市司法局\n": "  issuer: '=1+1'\n",
}


def test_spec_text_starting_with_equals_is_never_a_formula(tmp_path):
    """Formula injection: titles, unit names, labels that start with "=" or "@" stay text in every sheet."""
    text = ANQING.read_text(encoding="utf-8")
    for old, new in _HOSTILE_TEXTS.items():
        assert old in text, old
        text = text.replace(old, new, 1)
    spec_path = tmp_path / "hostile.yaml"
    spec_path.write_text(text, encoding="utf-8")
    out = write_workbook(build_workbook(load_spec(spec_path)), tmp_path / "hostile.xlsx")
    wb = load_workbook(out)
    formulas = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.data_type == "f"]
    assert formulas, "the workbook should still hold its compiled formulas"
    for f in formulas:
        assert "cmd|" not in f and "HYPERLINK" not in f and not f.startswith("=1+1"), f
    texts = {c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.data_type == "s"}
    assert "=cmd|'/c calc'!A1" in texts
    assert '=HYPERLINK("http://evil.example","点击")' in texts


def test_excel_limits_are_located_errors(compiled):
    from xlcalc.workbook.build import excel_limit_problems

    wb = compiled.workbook
    problems = excel_limit_problems(wb, [("评分", 5, 3, "=" + "1+" * 4100 + "1")])
    assert problems == [problems[0]] and problems[0].startswith("评分!C5：公式长 8,202 字符")
    ws = wb.create_sheet("长文本")
    ws["A1"] = "长" * 32_768
    assert any(
        p.startswith("长文本!A1：文字达到 Excel 单元格的 32,767 字符上限")
        for p in excel_limit_problems(wb, [])
    )
    wb.remove(ws)


@pytest.mark.parametrize("template", sorted((ROOT / "templates").glob("*.xlsx")), ids=lambda p: p.stem)
def test_every_sheet_protected_and_only_inputs_unlocked(template: Path) -> None:
    """Protection is off only where a user types (shaded as input): the 参数 sheet, the evaluator's,
    has no unlocked cell at all."""
    wb = load_workbook(template)
    for ws in wb.worksheets:
        assert ws.protection.sheet, ws.title
        cells = [c for row in ws.iter_rows() for c in row if not isinstance(c, MergedCell)]  # part of a range
        unlocked = [c for c in cells if c.has_style and not c.protection.locked]
        if ws.title == "参数":
            assert unlocked == [] and ws.max_row >= 4
        for c in unlocked:
            assert c.fill.fgColor.rgb.endswith("FFF2CC"), (ws.title, c.coordinate)
