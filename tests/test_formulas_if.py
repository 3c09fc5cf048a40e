"""IF in the fast plan: the branch decided up front and IF's value built from it are what formulas'
own IF returns, for every kind of condition and branch."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import schedula as sh
from formulas.functions import Array, Error, get_functions
from formulas.ranges import Ranges

from xlcalc.engines.formulas_corrections import corrected_formulas
from xlcalc.engines.formulas_if import branch_taken, taken_value
from xlcalc.engines.formulas_scalar import scalar_shortcut


def _cell(value: Any) -> np.ndarray:
    return np.asarray([[value]], object).view(Array)


def _zero_d(value: Any) -> np.ndarray:
    out = np.empty((), object)
    out[()] = value
    return out.view(Array)


def _shape(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return (
            type(value).__name__,
            value.shape,
            [(type(v).__name__, repr(v)) for v in value.ravel().tolist()],
        )
    return type(value).__name__, repr(value)


NA = Error.errors["#N/A"]
CONDITIONS = [
    _cell(True),
    _cell(False),
    _cell(2.5),
    _cell(0.0),
    _cell(np.bool_(True)),
    _cell(sh.EMPTY),  # a blank condition: false
    _cell("是"),  # text: #VALUE!
    _cell(NA),  # an error: that error
    Ranges().push("'[book.xlsx]评分'!B4", _cell(1.0)),  # a cell reference
]
RANGE = np.asarray([[1.0, 2.0]], object).view(Array)  # a range: left to IF itself
BRANCHES = [
    _cell(3.5),
    _cell("待填"),
    _cell(True),
    _cell(sh.EMPTY),  # a blank cell: 0
    _cell(NA),
    _zero_d(7.0),  # a constant sub-result
    "",
    4,
    np.float64(0.25),
    np.bool_(False),
    np.asarray([[1.5]]),  # a float array
    Ranges().push("'[book.xlsx]填报'!C6", _cell("甲")),
    RANGE,
]


@pytest.mark.parametrize("cond", CONDITIONS, ids=range(len(CONDITIONS)))
@pytest.mark.parametrize("branch", BRANCHES, ids=range(len(BRANCHES)))
def test_taken_value_equals_formulas_if(cond: Any, branch: Any) -> None:
    with corrected_formulas():
        if_fn = scalar_shortcut(get_functions()["IF"]["function"])
        assert if_fn is not None
        decide, value = branch_taken(if_fn), taken_value(if_fn)
        for x, y in ((branch, "否"), ("是", branch)):
            taken = decide(cond)
            assert taken in (1, 2, 3)
            untaken = y if taken == 1 else x if taken == 2 else None
            if untaken is RANGE:
                continue  # the lazy IF needs both branches to be one value: IF's shape is the range's
            # the lazy IF passes "" for the branch not taken
            lazy_x, lazy_y = (x, "") if taken == 1 else ("", y) if taken == 2 else (x, y)
            assert _shape(value(taken, cond, lazy_x, lazy_y)) == _shape(if_fn(cond, x, y))
