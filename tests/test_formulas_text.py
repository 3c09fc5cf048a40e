"""What the corrected text functions count as a number."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import schedula as sh
from formulas.functions import Error

from xlcalc.engines.formulas_text import _is_real_number


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, True),
        (1.5, True),
        (np.float64(2), True),
        (np.int32(3), True),
        (np.float32(1), True),
        (True, False),
        (np.bool_(False), False),
        ("1", False),
        (Error.errors["#N/A"], False),
        (sh.EMPTY, False),
        (None, False),
    ],
)
def test_is_real_number(value: Any, expected: bool) -> None:
    assert _is_real_number(value) is expected


TEXT2NUM_VALUES = [
    [1.0, "2.5", "", "待填"],
    ["2020-1-1", "3月5日", Error.errors["#N/A"], sh.EMPTY],
    [True, " 7 ", "1e3", "原因说明"],
]


def test_memo_text2num_equals_formulas_and_converts_each_text_once() -> None:
    from formulas.functions import _text2num, text2num

    from xlcalc.engines.formulas_text import memo_text2num

    calls: list[Any] = []

    def counted(v: Any) -> Any:
        calls.append(v)
        return _text2num(v)

    memo = memo_text2num(counted)
    raw = np.asarray(TEXT2NUM_VALUES, object)
    expected = text2num(raw)
    for _ in range(3):
        got = memo(raw)
        assert [(type(v), repr(v)) for v in got.ravel()] == [(type(v), repr(v)) for v in expected.ravel()]
    texts = [v for v in raw.ravel() if type(v) is str]
    assert sorted(v for v in calls if type(v) is str) == sorted(texts)  # once each, not three times


def test_memo_text2num_forgets_on_a_new_day(monkeypatch: pytest.MonkeyPatch) -> None:
    import datetime

    import xlcalc.engines.formulas_text as ft

    calls: list[Any] = []
    memo = ft.memo_text2num(lambda v: calls.append(v) or v)

    class Day(datetime.date):
        today_is = datetime.date(2026, 12, 31)

        @classmethod
        def today(cls) -> datetime.date:
            return cls.today_is

    monkeypatch.setattr(ft.datetime, "date", Day)
    memo(np.asarray([["3月5日"]], object))
    memo(np.asarray([["3月5日"]], object))
    Day.today_is = datetime.date(2027, 1, 1)  # a partial date's year has changed
    memo(np.asarray([["3月5日"]], object))
    assert calls.count("3月5日") == 2


def test_concat_shortcut_equals_a_chain_of_amp() -> None:
    """``a & b & c`` in one call equals formulas' ``&`` applied left to right, for every mix of
    cells, constants, blanks, errors, numpy scalars, references and ranges (3 operands, 15 kinds)."""
    import functools
    import itertools

    import formulas_values
    from formulas.functions import Array
    from formulas.functions.operators import OPERATORS
    from formulas.ranges import Ranges
    from formulas_values import observed, zero_d

    from xlcalc.engines.formulas_corrections import corrected_formulas
    from xlcalc.engines.formulas_scalar import scalar_shortcut
    from xlcalc.engines.formulas_text import concat_shortcut

    def one(v: Any) -> np.ndarray:
        return formulas_values.cell(v, array=True)

    kinds = [
        one(2.63),
        one("甲"),
        one(sh.EMPTY),
        one(True),
        one(Error.errors["#N/A"]),
        zero_d(0.1 + 0.2),
        zero_d(sh.EMPTY),
        "乙",
        3,
        np.float64(1.5),
        np.bool_(False),
        Error.errors["#VALUE!"],
        Ranges().push("'[book.xlsx]A'!B4", one(7.0)),
        np.asarray([[1.0, 2.0]], object).view(Array),  # a range
        np.asarray([[4.5]]),  # a float array
    ]
    with corrected_formulas():
        amp = scalar_shortcut(OPERATORS["&"])
        concat = concat_shortcut(amp)
        for operands in itertools.product(kinds, repeat=3):
            assert observed(concat(*operands)) == observed(functools.reduce(amp, operands)), operands
