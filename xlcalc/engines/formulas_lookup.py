"""A cheaper ``INDEX`` over one cell reference for the fast plan.

``formulas``' INDEX on a reference (``INDEX(评分!B4:AR13, r, c)``) first builds a one-cell
``Ranges`` for *every* cell of the range and then picks one: on 安庆's 单位评分表 and 排名 views
(112 INDEX cells over ranges of ~400 cells) that was two thirds of a recalculation.
:func:`index_shortcut` builds only the picked cell's ``Ranges``, with the same code, when the call
is the common one: a single rectangular reference, whole-number row and column within it, area 1.
Anything else (an array, several areas, row or column 0, text or errors as indexes, out of range)
is handed to formulas' own INDEX, so formulas decides it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["index_shortcut"]


def _whole(v: Any) -> int | None:
    """The index a plain number or 1×1 array of one stands for, or None (formulas decides)."""
    if isinstance(v, np.ndarray):
        if v.shape != (1, 1):
            return None
        v = v[0, 0]
    if type(v) in (float, int, np.float64, np.int64):
        return int(v)  # _index truncates with int(), as Excel does for positive indexes
    return None


def _blank(v: Any) -> bool:
    import schedula as sh

    if isinstance(v, np.ndarray):
        return v.shape == (1, 1) and v[0, 0] is sh.EMPTY
    return v is sh.EMPTY


def _not_whole_text(row: Any, col: Any) -> bool:
    """A text ``int()`` refuses as one index, the other a whole number or a text like it:
    formulas' ``_index`` raises ValueError on it, which its wrapper turns into #VALUE!."""
    texts = 0
    for v in (row, col):
        if isinstance(v, np.ndarray):
            if v.shape != (1, 1):
                return False
            v = v[0, 0]
        if type(v) is str:  # (formulas' error values are a str subclass)
            try:
                int(v)
            except ValueError:
                texts += 1
                continue
        elif _whole(v) is None:
            return False  # an error (reported first), a blank or a boolean: formulas decides
    return texts > 0


def index_shortcut(fn: Any) -> Callable[..., Any] | None:
    """The shortcut for ``fn`` when it is formulas' INDEX function object, else None."""
    from formulas.functions import Error, parse_ranges
    from formulas.functions.look import FUNCTIONS
    from formulas.ranges import Ranges
    from formulas.tokens.operand import _index2col

    if fn is not FUNCTIONS["INDEX"]["function"]:
        return None

    value_error = Error.errors["#VALUE!"]

    def pick(array: Any, row_num: Any, col_num: Any, area_num: Any) -> Any:
        if not isinstance(array, Ranges) or array.is_set or len(array.ranges) != 1:
            return None
        (row, col, area), _ = parse_ranges(row_num, col_num, area_num)
        rng = array.ranges[0]
        r1, n1 = int(rng["r1"]), rng["n1"]
        rows, cols = int(rng["r2"]) - r1 + 1, rng["n2"] - n1 + 1
        a = _whole(area)
        if col is None:  # INDEX(column, r) or INDEX(row, c): the one index runs along the line
            if cols == 1:
                col = 1
            elif rows == 1:
                row, col = 1, row
            else:
                return None
        if a == 1 and (_blank(row) or _blank(col) or _not_whole_text(row, col)):
            # xindex raises (a blank index; the 单位评分表 view's row is "" until a unit is
            # picked and int("") fails); formulas' wrapper says #VALUE!
            return np.asarray([[value_error]], object)
        r, c = _whole(row), _whole(col)
        if r is None or c is None or a != 1:
            return None
        if not (1 <= r <= rows and 1 <= c <= cols):
            return None
        value = array.value  # = Ranges((rng,), array.values).value, and cached for the next pick
        sheet_id = rng["sheet_id"]
        at_row, at_col = r1 + r - 1, n1 + c - 1
        letters = _index2col(at_col)
        ref = f"{letters}{at_row}"
        # the very dict xindex builds for this cell (look.py), for the one cell picked
        cell = {
            "r1": at_row,
            "r2": at_row,
            "c1": letters,
            "c2": letters,
            "n1": at_col,
            "n2": at_col,
            "ref": ref,
            "name": f"{sheet_id}!{ref}" if sheet_id else ref,
            "sheet_id": sheet_id,
        }
        out = Ranges(values=dict(array.values)).set_value(cell, value[r - 1, c - 1])
        # its value is the cell's own entry: set now, not found later by splitting every entry
        out._value = out.values[cell["name"]][1]
        return out

    def index(compiling: Any, array: Any, row_num: Any, col_num: Any = None, area_num: Any = 1) -> Any:
        if not compiling:
            try:
                picked = pick(array, row_num, col_num, area_num)
            except Exception:  # formulas' wrappers turn these into error values: let them
                picked = None
            if picked is not None:
                return picked
        return fn(compiling, array, row_num, col_num, area_num)

    return functools.update_wrapper(index, fn)
