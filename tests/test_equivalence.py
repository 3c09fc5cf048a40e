"""The equivalence check's comparison: values equal in every engine are not differences."""

from __future__ import annotations

from typing import Any

import pytest

from xlcalc.verify.equivalence import _around, _differs, formula_numbers


@pytest.mark.parametrize(
    ("a", "b", "differs"),
    [
        ([[5]], [[5.0]], False),  # formulas keeps 5 from a constant, 5.0 from arithmetic
        ([[0.1 + 0.2]], [[0.3]], False),
        ([[5]], [[5.5]], True),
        ([[True]], [[1]], True),  # a boolean is not the number 1 for the check
        ([["良"]], [["良"]], False),
        ([["良"]], [["中"]], True),
        (None, [[1]], True),
        ([[1, "a"]], [[1.0, "a"]], False),
    ],
)
def test_differs(a: Any, b: Any, differs: bool) -> None:
    assert _differs(a, b) is differs


@pytest.mark.parametrize(
    ("formulas", "numbers"),
    [
        (['=IF(E6>0,F6/E6,"")', '=IF(E6>1,F6/E6,"")'], (0.0, 1.0)),
        (['=IF(D29>=90,"优",IF(D29>=80.5,"良","中"))'], (90.0, 80.5)),
        (["='明细-案件数'!B4:BI4+$B$13+ROUND(A1/3,10)"], (3.0, 10.0)),
        ([12.5], (12.5,)),  # a formula overwritten by a number
    ],
)
def test_formula_numbers(formulas: list[Any], numbers: tuple[float, ...]) -> None:
    assert formula_numbers(*formulas) == numbers


def test_values_around_a_number_stay_in_the_inputs_range(anqing_spec) -> None:
    staff = next(i for i in anqing_spec.inputs if i.id == "staff")  # a whole number of people
    around = _around((0.0, 10.0), anqing_spec, "staff")
    # one step past each end and a text first (typed past validation), then whole numbers in range
    assert around == [staff.lo - 1, staff.hi + 1, "无", 0.0, 1.0, 9.0, 10.0, 11.0]
    assert _around((1.0,), anqing_spec, "in_budget") == []  # 是/否: nothing around a number
