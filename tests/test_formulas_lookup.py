"""The INDEX shortcut returns what formulas' INDEX returns (the picked cell's reference and value,
or the same error) on every kind of index, and leaves the unusual ones to formulas."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import schedula as sh
from formulas.functions import Error, get_functions
from formulas.ranges import Ranges

from xlcalc.engines.formulas_lookup import index_shortcut

INDEX = get_functions()["INDEX"]["function"]


def _range(ref: str, rows: int, cols: int) -> Ranges:
    values = np.asarray(
        [[f"v{r}{c}" if (r + c) % 3 else float(r * 10 + c) for c in range(cols)] for r in range(rows)], object
    )
    return Ranges().push(f"'[book.xlsx]评分'!{ref}", values)


def _cell(value: Any) -> np.ndarray:
    return np.asarray([[value]], object)


def _observed(value: Any) -> Any:
    """What a caller can observe of INDEX's result: its reference(s) and values, or the array."""
    if isinstance(value, Ranges):
        return (
            "Ranges",
            [(r["name"], r["r1"], r["n1"], r["sheet_id"]) for r in value.ranges],
            [(type(v).__name__, repr(v)) for v in value.value.ravel().tolist()],
        )
    if isinstance(value, np.ndarray):
        return type(value).__name__, value.shape, [repr(v) for v in value.ravel().tolist()]
    return type(value).__name__, repr(value)


BLOCK = _range("B4:E6", 3, 4)
COLUMN = _range("C2:C5", 4, 1)
ROW = _range("B9:F9", 1, 5)
CASES: list[tuple[str, Ranges, tuple[Any, ...]]] = [
    ("block, row and column", BLOCK, (_cell(2), _cell(3))),
    ("block, plain numbers", BLOCK, (1.0, 4.0)),
    ("block, fractional index", BLOCK, (_cell(2.7), _cell(1.2))),
    ("block, numpy index", BLOCK, (_cell(np.int64(3)), _cell(np.float64(2)))),
    ("block, blank column index", BLOCK, (_cell(1), _cell(sh.EMPTY))),
    ("block, blank row index", BLOCK, (_cell(sh.EMPTY), _cell(1))),
    ("block, row out of range", BLOCK, (_cell(4), _cell(1))),
    ("block, column 0 (whole row)", BLOCK, (_cell(1), _cell(0))),
    ("block, text index", BLOCK, (_cell("2"), _cell(1))),
    ("block, empty text row (no unit picked)", BLOCK, (_cell(""), _cell(3))),
    ("block, word as column", BLOCK, (_cell(2), _cell("x"))),
    ("block, both texts", BLOCK, (_cell("a"), _cell("b"))),
    ("block, decimal text", BLOCK, (_cell("2.5"), _cell(1))),
    ("block, text row, error column", BLOCK, (_cell(""), _cell(Error.errors["#N/A"]))),
    ("block, text row, boolean column", BLOCK, (_cell(""), _cell(True))),
    ("block, error index", BLOCK, (_cell(Error.errors["#N/A"]), _cell(1))),
    ("block, negative index", BLOCK, (_cell(-1), _cell(1))),
    ("block, no column", BLOCK, (_cell(2),)),
    ("column, one index", COLUMN, (_cell(3),)),
    ("column, last", COLUMN, (_cell(4), _cell(1))),
    ("row, one index", ROW, (_cell(5),)),
    ("row, blank index", ROW, (_cell(sh.EMPTY),)),
    ("block, area 2", BLOCK, (_cell(1), _cell(1), _cell(2))),
]


@pytest.mark.parametrize(("array", "index"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_index_shortcut_equals_formulas_index(array: Ranges, index: tuple[Any, ...]) -> None:
    fast = index_shortcut(INDEX)
    assert fast is not None
    assert _observed(fast(False, array, *index)) == _observed(INDEX(False, array, *index))


def test_index_shortcut_only_for_index_and_not_while_compiling() -> None:
    assert index_shortcut(get_functions()["MATCH"]) is None
    fast = index_shortcut(INDEX)
    assert fast(True, BLOCK, _cell(1), _cell(1)) is sh.NONE


def test_array_argument_is_left_to_formulas() -> None:
    array = np.asarray([[1.0, 2.0], [3.0, 4.0]], object)
    fast = index_shortcut(INDEX)
    assert _observed(fast(False, array, _cell(2), _cell(1))) == _observed(
        INDEX(False, array, _cell(2), _cell(1))
    )
