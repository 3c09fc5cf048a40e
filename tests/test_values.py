"""Input values read as a Chinese office user writes them, or refused with a located message."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xlcalc.errors import InputError
from xlcalc.spec.model import InputDef
from xlcalc.values import normalize_value

AMOUNT = InputDef("funds", "到位资金", "万元", "number", 0, 100000)
FREE = InputDef("x", "差额", "", "number")
RATE = InputDef("rate", "完成率", "%", "percent", 0, 10)
POINTS = replace(RATE, percent_points=True)
CASES = InputDef("cases", "办案数", "件", "integer", 0, 100000)
FLAG = InputDef("flag", "纳入预算", "", "bool")
NOTE = InputDef("note", "说明", "", "text")
LIST = InputDef("loads", "承办案件数", "件", "list", 0, 5000, capacity=5, item_type="integer")

ACCEPTED = [
    # typed numbers (workbook cells, the API): a percent cell's number is the fraction it holds
    (AMOUNT, 90, 90.0),
    (AMOUNT, 90.5, 90.5),
    (RATE, 1.2, 1.2),
    (CASES, 7.0, 7.0),
    # written numbers
    (FREE, "1,234,567.89", 1234567.89),
    (FREE, "1,234", 1234.0),
    (FREE, " 12.5 ", 12.5),
    (FREE, "-3.5", -3.5),
    (FREE, "－３．５", -3.5),  # full-width minus, digits and point
    (FREE, "−2", -2.0),  # the minus sign U+2212
    (FREE, "１，２３４", 1234.0),
    (FREE, ".5", 0.5),
    (FREE, "1e3", 1000.0),
    (AMOUNT, "80万元", 80.0),  # the unit the header names
    (CASES, "12件", 12.0),
    (CASES, "12.0", 12.0),
    (RATE, "98%", 0.98),
    (RATE, "98％", 0.98),
    (RATE, "99.98%", 0.9998),
    (RATE, "12.345%", 0.12345),  # exact: not 12.345 / 100
    (RATE, "120%", 1.2),
    (RATE, "0.98", 0.98),
    (RATE, "1", 1.0),
    (POINTS, "98", 0.98),
    (POINTS, "0.5", 0.005),
    (POINTS, "98%", 0.98),
    (POINTS, 0.98, 0.98),  # typed numbers stay fractions
    # blanks
    (LIST, "", []),
    (LIST, None, []),
    # booleans
    *[
        (FLAG, t, "是")
        for t in ("是", "√", "✓", "✔", "有", "TRUE", "true", "True", "Y", "y", "yes", "1", 1, 1.0, True)
    ],
    *[(FLAG, f, "否") for f in ("否", "×", "✗", "✘", "无", "FALSE", "false", "N", "no", "0", 0, 0.0, False)],
    (FLAG, "ｙｅｓ", "是"),
    # text is kept as written
    (NOTE, " 已整改\n", " 已整改\n"),
    (NOTE, 12.5, "12.5"),
    # lists: ; ； 、 and line breaks, never commas
    (LIST, "95;90;88", [95.0, 90.0, 88.0]),
    (LIST, "95；90、88\n70", [95.0, 90.0, 88.0, 70.0]),
    (LIST, "95;90;", [95.0, 90.0]),
    (LIST, ["1,234", "72"], [1234.0, 72.0]),  # explicit items: the comma can only be a thousands separator
    (LIST, [30, 45.0], [30.0, 45.0]),
]

REFUSED = [
    # the study's silent mis-scorings, each a named regression
    pytest.param(FREE, "1.234,5", "小数点还是千位分隔符", id="decimal-comma-after-point"),
    pytest.param(FREE, "1,5", "逗号是小数点还是千位分隔符", id="decimal-comma"),
    pytest.param(FREE, "12,34", "逗号是小数点还是千位分隔符", id="malformed-grouping"),
    pytest.param(FREE, "1.234.567", "应为数字", id="dotted-thousands"),
    pytest.param(AMOUNT, "1234.5%", "不是百分比，不能带“%”", id="percent-in-amount"),
    pytest.param(AMOUNT, "80%", "（单位：万元）不是百分比", id="amount-80-percent"),
    pytest.param(RATE, "5", "请写5%或0.05", id="bare-5-in-percent"),
    pytest.param(RATE, "98", "请写98%或0.98", id="bare-98-in-percent"),
    pytest.param(LIST, "1,234;72", "含逗号", id="comma-in-list-text"),
    pytest.param(LIST, "90,150", "含逗号", id="comma-list"),
    pytest.param(FREE, "1_2_3", "应为数字", id="underscores"),
    pytest.param(FREE, "NaN", "应为数字", id="nan-text"),
    pytest.param(FREE, float("nan"), "不是有效数字", id="nan-float"),
    pytest.param(FREE, "inf", "应为数字", id="inf-text"),
    pytest.param(FREE, float("inf"), "超出可计算范围", id="inf-float"),
    pytest.param(FREE, "1e999", "超出可计算范围", id="overflowing-exponent"),
    pytest.param(FREE, "9" * 5000, "不超过64个字符", id="5000-digits"),
    pytest.param(FREE, "1" * 31, "有效数字过多", id="31-digits"),
    pytest.param(FREE, 10**5000, "超出可计算范围", id="5000-digit-int"),
    pytest.param(FREE, 10**16, "超出可计算范围", id="beyond-excel-precision"),
    # other refusals
    pytest.param(FREE, "١٢", "应为数字", id="arabic-indic-digits"),
    pytest.param(FREE, "1 234", "应为数字", id="space-grouping"),
    pytest.param(FREE, "①", "应为数字", id="circled-digit"),
    pytest.param(FREE, "10²", "应为数字", id="superscript"),
    pytest.param(FREE, "0x1F", "应为数字", id="hex"),
    pytest.param(FREE, True, "应为数字", id="bool-as-number"),
    pytest.param(FREE, [1], "应为数字", id="list-as-number"),
    pytest.param(CASES, "1.5", "应为整数", id="fraction-in-integer"),
    pytest.param(CASES, "-1", "超出允许范围 0–100000件", id="below-min"),
    pytest.param(RATE, "1234.5%", "超出允许范围 0%–1000%", id="percent-above-max"),
    pytest.param(AMOUNT, "1,234,567.89", "超出允许范围", id="grouped-above-max"),
    pytest.param(AMOUNT, "5元", "应为数字", id="other-unit"),
    pytest.param(FLAG, "可能", "应填“是”或“否”", id="bool-unknown"),
    pytest.param(FLAG, 2, "应填“是”或“否”", id="bool-two"),
    pytest.param(FLAG, "x", "应填“是”或“否”", id="bool-x-is-ambiguous"),
    pytest.param(NOTE, "字" * 40_000, "过长", id="text-beyond-a-cell"),
    pytest.param(NOTE, {"a": 1}, "应为文字", id="text-mapping"),
    pytest.param(LIST, "1;2;3;4;5;6", "最多5项", id="over-capacity"),
    pytest.param(LIST, "1;x", "第2项", id="bad-item"),
    pytest.param(LIST, {"a": 1}, "应为数字列表", id="list-mapping"),
    pytest.param(LIST, [[[1]]], "第1项", id="nested-list"),
]


@pytest.mark.parametrize(("inp", "raw", "expected"), ACCEPTED)
def test_accepted(inp, raw, expected):
    assert normalize_value(inp, raw, "甲") == expected


@pytest.mark.parametrize("raw", [None, "", "  ", "\u3000"])
def test_blank_is_none_never_zero(raw):
    assert normalize_value(AMOUNT, raw, "甲") is None


@pytest.mark.parametrize(("inp", "raw", "message"), REFUSED)
def test_refused_with_located_message(inp, raw, message):
    with pytest.raises(InputError) as exc:
        normalize_value(inp, raw, "u.csv:3 单位“甲”")
    text = str(exc.value)
    assert text.startswith("u.csv:3 单位“甲”") and message in text and f"“{inp.label}”" in text
    assert len(text) < 300  # the raw value is quoted shortened, never whole


_DECIMALS = st.decimals(min_value=-(10**12), max_value=10**12, places=4, allow_nan=False)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(_DECIMALS)
def test_grouped_and_full_width_forms_read_as_the_plain_number(d):
    plain = f"{d:f}"
    expected = float(plain)
    assert normalize_value(FREE, plain, "") == expected
    assert normalize_value(FREE, f"{d:,f}", "") == expected
    full = plain.translate(str.maketrans("0123456789.-", "０１２３４５６７８９．－"))
    assert normalize_value(FREE, full, "") == expected


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.decimals(min_value=0, max_value=1000, places=3, allow_nan=False))
def test_percent_text_is_the_exact_fraction(d):
    expected = float(Decimal(d).scaleb(-2))
    assert normalize_value(RATE, f"{d:f}%", "") == expected
    assert normalize_value(POINTS, f"{d:f}", "") == expected


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.decimals(min_value=Decimal("1.001"), max_value=1000, places=3, allow_nan=False))
def test_bare_number_above_one_in_a_percent_input_is_never_guessed(d):
    with pytest.raises(InputError, match="含义不明"):
        normalize_value(RATE, f"{d:f}", "")
