"""Speed only: the criteria functions (COUNTIF, COUNTIFS, SUMIFS …) without numpy's vectorizer
around a single condition.

formulas computes every criteria function through ``_xfilter``, an ``np.vectorize`` over the
conditions (a range of conditions gives a range of counts). A rubric's conditions are one value
each (a cell, ``">"&B4``, or a constant ``">=90"``), where building the vectorizer costs more
than the count. :func:`single_condition` calls the very function ``np.vectorize`` wraps with the
elements it would pass and shapes the result as it would; anything else goes to the vectorizer.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from .formulas_scalar import PLAIN_TYPES

__all__ = ["single_condition"]


def single_condition(vectorized: Any) -> Callable[..., Any]:
    """``vectorized(accumulator, operating_range, test_ranges, *conditions)`` (``np.vectorize``
    with ``otypes=[object]`` and the first three arguments excluded) for conditions that are each
    a plain value or a 1×1 object array.

    ``np.vectorize`` hands the wrapped function a 1×1 object array's element as it is and a plain
    value as the same Python value (its object cast), and returns an object array: 1×1 when a
    condition is 1×1, else 0-d.
    """
    pyfunc = vectorized.pyfunc
    ndarray, obj = np.ndarray, object

    def xfilter(accumulator: Any, operating_range: Any, test_ranges: Any, *conditions: Any) -> Any:
        elems = []
        one_cell = False
        for c in conditions:
            if type(c) in PLAIN_TYPES:
                elems.append(c)
            elif isinstance(c, ndarray) and c.shape == (1, 1) and c.dtype == obj:
                elems.append(c[0, 0])
                one_cell = True
            else:
                return vectorized(accumulator, operating_range, test_ranges, *conditions)
        out = np.empty((1, 1) if one_cell else (), obj)
        out[(0, 0) if one_cell else ()] = pyfunc(accumulator, operating_range, test_ranges, *elems)
        return out

    out = functools.update_wrapper(xfilter, pyfunc)
    out.vectorized = vectorized  # type: ignore[attr-defined]  # formulas' own, for tests to compare
    return out
