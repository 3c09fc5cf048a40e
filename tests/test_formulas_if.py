"""IF in the fast plan: the branch decided up front and IF's value built from it are what formulas'
own IF returns, for every kind of condition and branch."""

from __future__ import annotations

import functools
from typing import Any

import formulas_values
import numpy as np
import pytest
import schedula as sh
from formulas.functions import Array, Error, get_functions
from formulas.ranges import Ranges
from formulas_values import observed, zero_d

from xlcalc.engines.formulas_corrections import corrected_formulas
from xlcalc.engines.formulas_if import branch_taken, taken_value
from xlcalc.engines.formulas_scalar import scalar_shortcut

cell = functools.partial(formulas_values.cell, array=True)  # a cell as a function result holds it
NA = Error.errors["#N/A"]
CONDITIONS = [
    cell(True),
    cell(False),
    cell(2.5),
    cell(0.0),
    cell(np.bool_(True)),
    cell(sh.EMPTY),  # a blank condition: false
    cell("是"),  # text: #VALUE!
    cell(NA),  # an error: that error
    Ranges().push("'[book.xlsx]评分'!B4", cell(1.0)),  # a cell reference
]
RANGE = np.asarray([[1.0, 2.0]], object).view(Array)  # a range: left to IF itself
BRANCHES = [
    cell(3.5),
    cell("待填"),
    cell(True),
    cell(sh.EMPTY),  # a blank cell: 0
    cell(NA),
    zero_d(7.0),  # a constant sub-result
    "",
    4,
    np.float64(0.25),
    np.bool_(False),
    np.asarray([[1.5]]),  # a float array
    Ranges().push("'[book.xlsx]填报'!C6", cell("甲")),
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
            assert observed(value(taken, cond, lazy_x, lazy_y)) == observed(if_fn(cond, x, y))
