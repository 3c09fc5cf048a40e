"""Values written into the cohort's own sheet XML: numbers, text (escaped), list items in their
unit's row, problem rows over the placeholder."""

from __future__ import annotations

import pytest

from xlcalc.round.cohortxml import _fill_cells, _fill_rows, _problem_rows
from xlcalc.round.returned import Problem


@pytest.mark.parametrize(
    ("xml", "cells", "expected"),
    [
        ('<c r="B4" s="7" t="n"></c>', {(4, 2): 380000.0}, '<c r="B4" s="7" t="n"><v>380000.0</v></c>'),
        ('<c r="B4" s="7"/>', {(4, 2): 0.925}, '<c r="B4" s="7" t="n"><v>0.925</v></c>'),
        (
            '<c r="G4" s="6" t="n"></c>',
            {(4, 7): "是<&>"},
            '<c r="G4" s="6" t="inlineStr"><is><t xml:space="preserve">是&lt;&amp;&gt;</t></is></c>',
        ),
        ('<c r="A4" s="6"><f>X</f><v></v></c>', {(4, 1): 5.0}, '<c r="A4" s="6"><f>X</f><v></v></c>'),
    ],
)
def test_fill_cells(xml, cells, expected):
    assert _fill_cells(xml, cells) == expected


def test_fill_cells_only_the_named_ones():
    xml = '<c r="B4" s="7" t="n"></c><c r="C4" s="7" t="n"></c>'
    assert _fill_cells(xml, {(4, 3): 1.0}) == '<c r="B4" s="7" t="n"></c><c r="C4" s="7" t="n"><v>1.0</v></c>'


@pytest.mark.parametrize(
    ("xml", "expected"),
    [
        (
            '<row r="4" s="9"><c r="A4"><f>F</f></c></row><row r="5"><c r="A5"/></row>',
            '<row r="4" s="9"><c r="A4"><f>F</f></c><c r="B4" s="9" t="n"><v>72.0</v></c>'
            '<c r="C4" s="9" t="n"><v>91.0</v></c></row><row r="5"><c r="A5"/></row>',
        ),
        (
            '<row r="4" s="9"/>',
            '<row r="4" s="9"><c r="B4" s="9" t="n"><v>72.0</v></c><c r="C4" s="9" t="n"><v>91.0</v></c></row>',
        ),
        ('<row r="14"><c r="A14"/></row>', '<row r="14"><c r="A14"/></row>'),  # not row 4
    ],
)
def test_fill_rows(xml, expected):
    assert _fill_rows(xml, {4: [72.0, 91.0]}) == expected


def test_problem_rows_replace_the_placeholder():
    xml = (
        '<worksheet><dimension ref="A1:E4"/><sheetData><row r="3"><c r="A3"/></row>'
        '<row r="4"><c r="A4" s="12" t="inlineStr"><is><t>无</t></is></c></row></sheetData></worksheet>'
    )
    problems = [
        Problem("a.xlsx", "评分", "B4", "=公式被修改", "迎江区"),
        Problem("", "", "", "缺少", "潜山市"),
    ]
    got = _problem_rows(xml, problems)
    assert "无" not in got and '<dimension ref="A1:E5"/>' in got
    assert '<c r="D4" s="12" t="inlineStr"><is><t xml:space="preserve">=公式被修改</t></is></c>' in got
    assert '<row r="5">' in got and got.endswith("</sheetData></worksheet>")
    assert _problem_rows(xml, []) == xml
