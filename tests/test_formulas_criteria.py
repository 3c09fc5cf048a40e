"""The criteria functions without a vectorizer around one condition return exactly what
formulas' vectorized ``_xfilter`` returns (value, shape, array class), with the project's
corrections in place, and hand any other condition to it."""

from __future__ import annotations

from typing import Any

import formulas.functions as ffunc
import numpy as np
import pytest
import schedula as sh
from formulas.functions import Error, get_functions
from formulas_values import cell, observed, zero_d

from xlcalc.engines.formulas_corrections import corrected_formulas
from xlcalc.engines.formulas_criteria import single_condition

VALUE = Error.errors["#VALUE!"]
RANGE = np.asarray([[1.0, 2.5, "2.5", "", sh.EMPTY, "待填", True, VALUE, 90.0, 149.0]], object)
CONDITIONS: list[Any] = [
    cell(">2"),
    cell(2.5),
    cell("2.5"),
    cell("待填"),
    cell("<>"),
    cell("="),
    cell("<>待*"),
    cell(sh.EMPTY),
    cell(VALUE),
    cell(True),
    ">=90",  # a constant of the formula
    90.0,
    "<=149",
    zero_d(">1"),  # a computed constant: left to the vectorizer
    np.asarray([[">1"], ["<3"]], object),  # a range of conditions: left to the vectorizer
]


def _function(name: str) -> Any:
    fn = get_functions()[name]
    return fn["function"] if isinstance(fn, dict) else fn


@pytest.mark.parametrize("condition", CONDITIONS, ids=range(len(CONDITIONS)))
@pytest.mark.parametrize("name", ["COUNTIF", "SUMIF", "COUNTIFS"])
def test_single_condition_equals_the_vectorizer(name: str, condition: Any) -> None:
    with corrected_formulas():
        fast = ffunc.__dict__["_xfilter"]
        args = (RANGE, condition) if name != "COUNTIFS" else (RANGE, condition, RANGE, "<>")
        got = observed(_function(name)(*args))
        ffunc.__dict__["_xfilter"] = fast.vectorized  # formulas' own, for the same call
        try:
            want = observed(_function(name)(*args))
        finally:
            ffunc.__dict__["_xfilter"] = fast
    assert got == want


def test_other_conditions_go_to_the_vectorizer() -> None:
    calls = []

    def pyfunc(acc: Any, rng: Any, tests: Any, *conds: Any) -> Any:
        calls.append(conds)
        return 1

    vectorized = np.vectorize(pyfunc, otypes=[object], excluded={0, 1, 2})
    fast = single_condition(vectorized)
    assert fast(None, None, None, cell(">1")).shape == (1, 1)
    assert fast(None, None, None, ">1").shape == ()
    assert fast(None, None, None, np.asarray([[">1"], ["<3"]], object)).shape == (2, 1)
    assert calls[:2] == [(">1",), (">1",)]
