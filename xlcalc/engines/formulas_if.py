"""IF in the fast plan: which branch a condition takes, and IF's value once that is known.

formulas' IF is ``wrap_ufunc(xif)``: its value is the taken branch's element, with a blank made
0, in a 1×1 array when the condition is a cell. The lazy IF of the inliner asks
:func:`branch_taken` first and computes only that branch; :func:`taken_value` then builds IF's
value from it directly (a third of the 安庆 explanation texts' function calls were these IFs),
and calls IF itself for anything else: an error or text condition, a branch that is a range.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .formulas_scalar import NOT_ONE, QUIET_TYPES, element_reader

__all__ = ["branch_taken", "taken_value"]

# IF's answer to these two texts says which branch it takes
_TAKE_X, _TAKE_Y = "\x00xlcalc-if-true", "\x00xlcalc-if-false"
_TRUTHY = QUIET_TYPES - {str}  # numbers and booleans, Python's or numpy's


def branch_taken(if_fn: Callable[..., Any]) -> Callable[[Any], int]:
    """``decide(condition)``: 1 when IF takes its second argument, 2 its third, 3 neither (the
    condition is an error or text: IF's value is that error), 0 when unknown (not one cell)."""
    ndarray = np.ndarray

    def decide(cond: Any) -> int:
        value = getattr(cond, "value", cond) if not isinstance(cond, ndarray) else cond
        if not (isinstance(value, ndarray) and value.shape == (1, 1)):
            return 0
        e = value[0, 0]
        if type(e) in _TRUTHY:  # xif takes ``x if condition else y`` after its checks find nothing
            return 1 if e else 2
        res = if_fn(cond, _TAKE_X, _TAKE_Y)  # text, blank, error: IF's own rules
        if not (isinstance(res, ndarray) and res.shape == (1, 1)):
            return 0
        e = res[0, 0]
        return 1 if e == _TAKE_X else 2 if e == _TAKE_Y else 3

    return decide


def taken_value(if_fn: Callable[..., Any]) -> Callable[[int, Any, Any, Any], Any]:
    """``value(taken, cond, x, y)``: IF(cond, x, y) given ``taken`` from :func:`branch_taken`.

    For a branch that is one value, IF's value is a 1×1 ``Array`` (the condition is a cell)
    holding that value as ``np.vectorize`` hands it to ``xif`` (a blank made 0, a numpy scalar as
    its Python value), which ``xif`` returns unchanged. Anything else is left to ``if_fn``.
    """
    import schedula as sh
    from formulas.functions import Array

    EMPTY, obj, element = sh.EMPTY, object, element_reader()

    def value(taken: int, cond: Any, x: Any, y: Any) -> Any:
        if taken == 1 or taken == 2:
            e, _ = element(x if taken == 1 else y)
            if e is not NOT_ONE:
                out = Array((1, 1), obj)
                out[0, 0] = 0 if e is EMPTY else e
                return out
        return if_fn(cond, x, y)

    return value
