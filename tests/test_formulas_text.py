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
