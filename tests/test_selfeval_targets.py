"""Printed 年度指标值 / 实际完成值 → operator, number, unit."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xlcalc.selfeval.targets import UNITS, format_percent, parse_actual, parse_target

CASES = [
    # text, kind, op, value, unit
    ("≥12次", "number", ">=", 12, "次"),
    ("≤7万", "number", "<=", 7, "万元"),
    ("100%", "percent", None, 1.0, "%"),
    ("≦10万", "number", "<=", 10, "万元"),
    ("＜80%", "percent", "<", 0.8, "%"),
    ("前三", "rank", "<=", 3, "名"),
    ("≤第12名", "rank", "<=", 12, "名"),
    ("并列第一", "rank", "<=", 1, "名"),
    ("2021年12月底前完成", "date", None, None, ""),
    ("全面完成市法治建设绩效考核目标任务", "text", None, None, ""),
    ("≧90%", "percent", ">=", 0.9, "%"),
    ("》=5个", "number", ">=", 5, "个"),
    ("《=60天", "number", "<=", 60, "天"),
    ("＝1次", "number", "=", 1, "次"),
    ("≥5个工作日", "number", ">=", 5, "个工作日"),
    ("≤4500元/部", "number", "<=", 4500, "元/部"),
    ("≥3000场次", "number", ">=", 3000, "场次"),
    ("≤8课时", "number", "<=", 8, "课时"),
    ("≥8小时", "number", ">=", 8, "小时"),
    ("1,200人", "number", None, 1200, "人"),
    ("不低于95%", "percent", ">=", 0.95, "%"),
    ("前10", "rank", "<=", 10, "名"),
]


@pytest.mark.parametrize(("text", "kind", "op", "value", "unit"), CASES)
def test_printed_targets(text: str, kind: str, op: str | None, value: float | None, unit: str) -> None:
    t = parse_target(text)
    assert (t.kind, t.op, t.unit) == (kind, op, unit)
    assert t.value == (pytest.approx(value) if value is not None else None)
    assert t.problems == ()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("≥1800次次", "“≥1800次次”中单位“次”重复"),
        ("≥5吨吨", "“≥5吨吨”中单位“吨”重复"),
        ("≥3匹", "“≥3匹”的单位“匹”不在常用单位中"),
    ],
)
def test_typos_are_reported(text: str, problem: str) -> None:
    t = parse_target(text)
    assert t.numeric and problem in t.problems


def test_two_figures_in_an_actual_read_as_the_smaller_and_flagged() -> None:
    a = parse_actual("接话满意率99%，办案满意率100%")
    assert (a.kind, a.value) == ("percent", pytest.approx(0.99))
    assert a.problems == ("“接话满意率99%，办案满意率100%”含2个数值，取最小值99%",)


def test_inequality_actual_keeps_its_operator() -> None:
    a = parse_actual("≥8小时")
    assert (a.op, a.value, a.unit) == (">=", 8, "小时")


@given(st.integers(0, 10**6), st.sampled_from(UNITS), st.sampled_from(["≥", "≧", "≤", "≦", "", "＞", "＜"]))
def test_any_number_with_a_known_unit_round_trips(n: int, unit: str, op: str) -> None:
    t = parse_target(f"{op}{n}{unit}")
    assert t.kind == "number" and t.value == n and t.problems == ()
    assert t.unit == ("万元" if unit == "万" else unit)


@given(st.text(max_size=40))
def test_never_raises(text: str) -> None:
    parse_target(text)
    parse_actual(text)


def test_format_percent() -> None:
    assert [format_percent(x) for x in (1.0, 0.85, 0.333)] == ["100%", "85%", "33.3%"]
