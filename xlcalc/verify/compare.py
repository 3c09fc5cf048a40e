"""The one comparison of a spreadsheet's cell with the reference scorer's value.

``xlcalc verify`` (every engine, every case), ``xlcalc check`` (values a returned workbook saved) and
the Excel bridge (its 校验 sheet) all decide "same cell value" with :func:`same_value` and report a
difference as a :class:`Mismatch`, so they cannot disagree about the same cell.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from xlcalc.engines import ErrorValue

# Numbers agree to this relative (and, near zero, absolute) tolerance; text must be identical.
REL_TOL = 1e-9


def same_value(expected: Any, actual: Any) -> bool:
    """Whether a spreadsheet's value ``actual`` equals the reference value ``expected``.

    Numbers to 1e-9 relative; text exactly; blank and "" alike; a boolean reference equals the
    number it stands for, but a boolean in the sheet never equals a number (a formula returning
    TRUE where a score belongs is wrong); an error value equals only the same error's text.
    """
    if isinstance(actual, ErrorValue):
        return isinstance(expected, str) and str(actual) == expected
    if expected is None or expected == "":
        return actual is None or actual == ""
    if isinstance(expected, str):
        return isinstance(actual, str) and actual == expected
    if isinstance(expected, bool):
        return isinstance(actual, int | float) and float(actual) == float(expected)
    if isinstance(actual, bool) or not isinstance(actual, int | float):
        return False
    return math.isclose(float(expected), float(actual), rel_tol=REL_TOL, abs_tol=REL_TOL)


@dataclass
class Mismatch:
    """One cell whose value differs from the reference: where, what it computes, from what."""

    sheet: str
    cell: str
    cell_id: str
    unit: str
    formula: str
    expected: Any
    actual: Any
    case: str = ""
    inputs: dict[str, Any] = field(repr=False, default_factory=dict)
    label: str = ""

    def describe(self) -> str:
        """The verifier's report: case, both values, the formula and the unit's inputs."""
        shown = {k: v for k, v in self.inputs.items() if v not in (None, [])}
        return (
            f"{self.sheet}!{self.cell}（{self.cell_id}，单位“{self.unit}”，{self.case}）：\n"
            f"  参考评分 = {self.expected!r}\n  工作簿   = {self.actual!r}\n  公式：{self.formula}\n"
            f"  输入：{shown}"
        )

    def saved_line(self, actual_name: str = "文件保存的值") -> str:
        """One line for a user: ``xlcalc check``'s saved value, or the bridge's workbook value
        (``actual_name="工作簿的值"``), against the reference."""
        return (
            f"{self.sheet}!{self.cell}（{self.label}，{self.unit}）：{actual_name} {self.actual!r}，"
            f"参考评分 {self.expected!r}"
        )
