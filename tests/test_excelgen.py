"""Formula text: precedence, literals, prefixes, and golden formulas for every rule kind."""

from __future__ import annotations

from pathlib import Path

import pytest
from rule_snippets import RULES, rule_spec

from xlcalc import ir
from xlcalc.excelgen import ExcelGenerator, format_number
from xlcalc.workbook.build import build_workbook

GOLDEN = Path(__file__).parent / "golden" / "rule_formulas.tsv"


class Flat:
    """A resolver that names cells by id, to test the generator alone."""

    def ref(self, cell: str) -> str:
        return cell.upper()

    def column(self, cell: str) -> str:
        return f"$COL_{cell}"

    def column_prefix(self, cell: str) -> str:
        return f"$PRE_{cell}"

    def list_range(self, input_id: str) -> str:
        return f"LIST_{input_id}"

    def unit_scores(self) -> str:
        return "SCORES"

    def param(self, name: str) -> str:
        return f"P_{name}"


A, B, C = ir.Ref("a"), ir.Ref("b"), ir.Ref("c")
EXPR_CASES = [
    (A - (B - C), "=A-(B-C)"),
    ((A - B) - C, "=A-B-C"),
    (A / (B * C), "=A/(B*C)"),
    ((A + B) * C, "=(A+B)*C"),
    (A * B + C, "=A*B+C"),
    (-(A + B), "=-(A+B)"),
    (A - ir.Num(-0.5), "=A-(-0.5)"),
    (ir.concat("共", ir.num_text(A, 2), "件"), '="共"&ROUND(A,2)&"件"'),
    (ir.num_text(A, 2), '=ROUND(A,2)&""'),
    (ir.pct_text(A, 1), '=TEXT(ROUND(A,3),"0.0%")'),
    (ir.fixed_text(A, 1), '=TEXT(ROUND(A,1),"0.0")'),
    (ir.concat('说"明"', A), '="说""明"""&A'),
    (ir.call("RANK.EQ", A, ir.Column("a"), 0), "=_xlfn.RANK.EQ(A,$COL_a,0)"),
    (ir.if_(A.cmp(">=", 0.8), "是", "否"), '=IF(A>=0.8,"是","否")'),
    (ir.and_(ir.and_(A.cmp(">", 1), B.cmp(">", 1)), C.cmp(">", 1)), "=AND(A>1,B>1,C>1)"),
    ((A + B).cmp("=", C), "=A+B=C"),
    (ir.concat("a", A).cmp("=", "x"), '="a"&A="x"'),
    (ir.Param("partial_step").cmp("=", "按比例扣"), '=P_partial_step="按比例扣"'),
    (ir.call("COUNTIFS", ir.ListRange("xs"), ">=90"), '=COUNTIFS(LIST_xs,">=90")'),
    (ir.num_text(5.0, 2), '="5"'),
]


@pytest.mark.parametrize(("expr", "text"), EXPR_CASES)
def test_formula_text(expr, text):
    assert ExcelGenerator(Flat()).formula(expr) == text


@pytest.mark.parametrize(
    ("x", "text"), [(5.0, "5"), (0.5, "0.5"), (100000.0, "100000"), (1e-10, "1e-10"), (-2.0, "-2")]
)
def test_number_literals(x, text):
    assert format_number(x) == text


def test_functions_outside_the_portable_set_are_refused():
    with pytest.raises(ValueError, match="portable"):
        ir.call("XLOOKUP", A, B, C)


def _golden() -> list[tuple[str, str, str]]:
    rows = [line.split("\t") for line in GOLDEN.read_text(encoding="utf-8").splitlines() if line]
    return [(k, c, f) for k, c, f in rows]


@pytest.mark.parametrize(("kind", "cell", "formula"), _golden())
def test_golden_rule_formulas(kind, cell, formula, tmp_path):
    compiled = build_workbook(rule_spec(kind, tmp_path))
    lay = compiled.layout
    got = compiled.workbook[lay.sheet_of(cell)][lay.address(cell, 0)].value
    assert got == formula


def test_every_rule_kind_has_a_golden_formula():
    from xlcalc.rules import REGISTRY

    covered = {k for k, _, _ in _golden()}
    assert set(REGISTRY) == covered == set(RULES), set(REGISTRY) ^ covered


LITERALS = [
    ("短", '"短"'),
    ("a" * 255, '"' + "a" * 255 + '"'),
    ("a" * 256, '("' + "a" * 255 + '"&"a")'),
    ('"' * 300, '("' + '""' * 255 + '"&"' + '""' * 45 + '")'),
    ("😀" * 128, '("' + "😀" * 127 + '"&"😀")'),  # outside the BMP: two UTF-16 units each
]


@pytest.mark.parametrize(("text", "formula"), LITERALS)
def test_string_literals_stay_within_excels_255_characters(text, formula):
    assert ExcelGenerator(Flat()).gen(ir.Str(text)) == formula
