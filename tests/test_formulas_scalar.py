"""The single-value shortcuts for formulas' function wrappers return exactly what the wrapped
function returns (value, type and array class) on every kind of argument, and leave anything
unusual to formulas."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import schedula as sh
from formulas.functions import Error, get_functions
from formulas.ranges import Ranges

from xlcalc.engines.formulas_scalar import faster_filter, ranges_shortcut


def _cell(value: Any) -> np.ndarray:
    return np.asarray([[value]], object)


def _function(name: str) -> Any:
    fn = get_functions()[name]
    return fn["function"] if isinstance(fn, dict) else fn


def _shape(value: Any) -> Any:
    """What a caller can observe: the class, and each element's type and repr."""
    if isinstance(value, np.ndarray):
        return (
            type(value).__name__,
            value.shape,
            [(type(v).__name__, repr(v)) for v in value.ravel().tolist()],
        )
    return type(value).__name__, repr(value)


VALUE = Error.errors["#VALUE!"]
ARGS: list[tuple[Any, ...]] = [
    (_cell(1.0), _cell(True)),
    (_cell(0.0), _cell(2)),
    (_cell(True), _cell(False), _cell(True)),
    (_cell(float("nan")),),
    (_cell(np.float64(3.5)), _cell(np.bool_(True))),
    (_cell("是"), _cell(True)),  # text: formulas' own rule
    (_cell(sh.EMPTY), _cell(1.0)),  # a blank cell
    (_cell(VALUE), _cell(1.0)),  # an error
    (np.asarray([[1.0, 0.0]], object),),  # a range
    (_cell(sh.EMPTY),),
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
    assert _shape(fast(*args)) == _shape(fn(*args))


def test_and_or_on_numbers_skip_formulas_path() -> None:
    fast = ranges_shortcut(_function("AND"))
    assert fast is not None
    out = fast(_cell(1.0), _cell(0.0))
    assert type(out) is np.bool_ and not out


def test_ranges_are_read_as_their_values(tmp_path: Any) -> None:
    rng = Ranges().push("A1:A1", _cell(2.0))
    fn = _function("ISNUMBER")
    fast = ranges_shortcut(fn)
    assert fast is not None
    assert _shape(fast(rng)) == _shape(fn(rng))


def test_other_functions_are_left_alone() -> None:
    assert ranges_shortcut(lambda x: x) is None
    assert faster_filter(len) is len
