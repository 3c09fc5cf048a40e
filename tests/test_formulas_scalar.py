"""The single-value shortcuts for formulas' function wrappers return exactly what the wrapped
function returns (value, type and array class) on every kind of argument, and leave anything
unusual to formulas."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import schedula as sh
from formulas.functions import Array, Error, get_functions
from formulas.ranges import Ranges
from formulas_values import cell, observed, zero_d

from xlcalc.engines.formulas_corrections import corrected_formulas
from xlcalc.engines.formulas_scalar import faster_filter, ranges_shortcut, scalar_shortcut


def _function(name: str) -> Any:
    fn = get_functions()[name]
    return fn["function"] if isinstance(fn, dict) else fn


VALUE = Error.errors["#VALUE!"]
ARGS: list[tuple[Any, ...]] = [
    (cell(1.0), cell(True)),
    (cell(0.0), cell(2)),
    (cell(True), cell(False), cell(True)),
    (cell(float("nan")),),
    (cell(np.float64(3.5)), cell(np.bool_(True))),
    (cell("是"), cell(True)),  # text: formulas' own rule
    (cell(sh.EMPTY), cell(1.0)),  # a blank cell
    (cell(VALUE), cell(1.0)),  # an error
    (np.asarray([[1.0, 0.0]], object),),  # a range
    (cell(sh.EMPTY),),
    (1.0, True),  # plain values (constants in a formula)
]


@pytest.mark.parametrize("name", ["AND", "OR", "ISNUMBER", "ISTEXT", "ISERROR", "SUM", "MAX"])
@pytest.mark.parametrize("args", ARGS, ids=range(len(ARGS)))
def test_ranges_shortcut_equals_the_function(name: str, args: tuple[Any, ...]) -> None:
    fn = _function(name)
    fast = ranges_shortcut(fn)
    if fast is None:
        pytest.skip(f"{name} is not a one-output ranges wrapper")
    if name.startswith("IS") and len(args) != 1:
        args = args[:1]
    assert observed(fast(*args)) == observed(fn(*args))


def test_and_or_on_numbers_skip_formulas_path() -> None:
    fast = ranges_shortcut(_function("AND"))
    assert fast is not None
    out = fast(cell(1.0), cell(0.0))
    assert type(out) is np.bool_ and not out


def test_ranges_are_read_as_their_values(tmp_path: Any) -> None:
    rng = Ranges().push("A1:A1", cell(2.0))
    fn = _function("ISNUMBER")
    fast = ranges_shortcut(fn)
    assert fast is not None
    assert observed(fast(rng)) == observed(fn(rng))


def test_other_functions_are_left_alone() -> None:
    assert ranges_shortcut(lambda x: x) is None
    assert faster_filter(len) is len


# Arguments as the fast plan meets them: cells (1×1), constants of the formula (Python scalars),
# results of functions on constants (0-d arrays, numpy scalars), mixed.
SCALAR_ARGS: list[tuple[Any, ...]] = [
    (cell(2.5), cell(1.0)),
    (10, 8.0),  # both constants: formulas answers a 0-d array
    (zero_d(2.0), 3),
    (cell(7.0), zero_d(2.0)),
    (zero_d(sh.EMPTY), cell(1.0)),
    (np.bool_(True), "是"),
    (cell(sh.EMPTY), 0.5),
    (cell("甲"), zero_d("乙")),
    (cell(VALUE), 1),
    (np.float64(0.1), np.int64(3)),
    (cell(1.0), np.float64(0.5)),
    (np.bool_(False), cell(2.0)),
    (cell("甲"), cell(sh.EMPTY)),  # a blank beside a text: "" for & and the comparisons
    (cell(sh.EMPTY), cell(sh.EMPTY)),
    (cell(sh.EMPTY), zero_d(0.0)),
    (cell(1e308), 1e308),  # a sum or product past the largest float: #NUM!, not inf
    (cell(True), cell(False)),  # booleans: a comparison's result is checked as a number too
    (cell(-1e308), cell(1e308)),
]
SCALAR_FUNCTIONS = ["+", "-", "*", "/", "=", "<>", "<", ">=", "&", "ROUND", "INT", "ABS", "IF", "TEXT", "MOD"]


def _operator_or_function(name: str) -> Any:
    from formulas.functions.operators import OPERATORS

    fn = OPERATORS.get(name) or get_functions()[name]
    return fn["function"] if isinstance(fn, dict) else fn


@pytest.mark.parametrize("name", SCALAR_FUNCTIONS)
@pytest.mark.parametrize("args", SCALAR_ARGS, ids=range(len(SCALAR_ARGS)))
def test_scalar_shortcut_equals_the_function(name: str, args: tuple[Any, ...]) -> None:
    """Same value, element type and array class (1×1 or 0-d) as formulas' wrapper, with the
    project's corrections in place, as the fast plan runs them."""
    with corrected_formulas():
        fn = _operator_or_function(name)
        fast = scalar_shortcut(fn)
        assert fast is not None, f"{name} has a single-value shortcut"
        if name == "TEXT":
            args = (args[0], "0.00")
        elif name in ("ROUND", "INT", "ABS"):
            args = args[: 1 if name != "ROUND" else 2]
        elif name == "IF":
            args = (args[0], *args, "否")[:3]
        with np.errstate(divide="ignore", invalid="ignore"):
            assert observed(fast(*args)) == observed(fn(*args))


def _ranges_state(r: Ranges) -> Any:
    return (
        [dict(x) for x in r.ranges],
        {k: (dict(rng), type(v).__name__, v.shape, v.ravel().tolist()) for k, (rng, v) in r.values.items()},
        observed(r.value),
    )


@pytest.mark.parametrize(
    "value",
    [
        cell(2.5).view(Array),
        np.asarray([["是"]], object).view(Array),
        cell(True),  # a plain ndarray: formulas' own path
        3.0,
        "待填",
        zero_d(1.0),
    ],
    ids=["Array", "text Array", "ndarray", "number", "text", "0-d"],
)
@pytest.mark.parametrize("rows", ["text", "int"], ids=["formula cell", "blank input cell"])
def test_one_cell_output_equals_format_output(value: Any, rows: str) -> None:
    """The cell-output filter builds the same Ranges as formulas' format_output, for a formula's
    cell (row bounds as text) and a cell the template leaves blank (row bounds as numbers)."""
    import functools

    from formulas.cell import format_output

    rng = Ranges().push("'[book.xlsx]评分'!B4").ranges[0]
    if rows == "int":
        rng = {**rng, "r1": 4, "r2": 4}
    filt = functools.partial(format_output, rng)
    fast = faster_filter(filt)
    assert fast is not filt
    assert _ranges_state(fast(value)) == _ranges_state(filt(value))


def test_the_blank_replacing_parsers_are_found_in_formulas() -> None:
    """The default parser (blank → 0), the comparisons' (blank kept) and &'s (blank → ""): if a
    formulas release renames them, the shortcut falls back to its slower general path."""
    from xlcalc.engines.formulas_scalar import _blank_parsers

    assert sorted(map(repr, _blank_parsers().values())) == sorted(map(repr, [0, sh.EMPTY, ""]))
