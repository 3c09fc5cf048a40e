"""Values as formulas passes them between functions, for the formulas engine's tests."""

from __future__ import annotations

from typing import Any

import numpy as np
from formulas.functions import Array


def cell(value: Any, array: bool = False) -> np.ndarray:
    """A one-cell value: a 1×1 object array (formulas' ``Array`` when ``array``)."""
    out = np.asarray([[value]], object)
    return out.view(Array) if array else out


def zero_d(value: Any) -> np.ndarray:
    """A constant sub-result: a 0-d ``Array``."""
    out = np.empty((), object)
    out[()] = value
    return out.view(Array)


def observed(value: Any) -> Any:
    """What a caller can observe of a result: its class, shape and each element's type and repr."""
    if isinstance(value, np.ndarray):
        return (
            type(value).__name__,
            value.shape,
            [(type(v).__name__, repr(v)) for v in value.ravel().tolist()],
        )
    return type(value).__name__, repr(value)
