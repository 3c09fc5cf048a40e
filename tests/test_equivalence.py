"""The equivalence check's comparison: values equal in every engine are not differences."""

from __future__ import annotations

from typing import Any

import pytest

from xlcalc.verify.equivalence import _differs


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
