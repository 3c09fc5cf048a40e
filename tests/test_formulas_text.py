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
