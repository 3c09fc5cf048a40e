"""Across the returned files: which unit's values go into the cohort, and what is wrong across files
(a unit not in the rubric, the same unit in several files, a unit no file holds).

Nothing is guessed: a unit sent twice with different values is left blank and both files are
listed; sent twice with the same values it is used once and still listed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from xlcalc.cells import Role
from xlcalc.round.returned import FileResult, Problem
from xlcalc.spec.model import Spec
from xlcalc.workbook.layout import FIRST_ROW, SHEET_NAMES


@dataclass
class Merged:
    values: dict[str, dict[str, Any]] = field(default_factory=dict)  # unit → accepted values
    sources: dict[str, list[str]] = field(default_factory=dict)  # unit → files that hold it
    problems: list[Problem] = field(default_factory=list)  # across files only
    missing: list[str] = field(default_factory=list)


def _where(result: FileResult) -> tuple[str, str]:
    """Where a unit's name sits in a file of this kind."""
    if result.kind == "unit":
        return SHEET_NAMES[Role.INPUT], f"A{FIRST_ROW}"
    return "", ""


def merge(spec: Spec, results: Sequence[FileResult]) -> Merged:
    known = set(spec.meta.units)
    out = Merged()
    seen: dict[str, list[tuple[FileResult, dict[str, Any]]]] = {}
    for result in results:
        for unit, values in result.units:
            if unit not in known:
                sheet, cell = _where(result)
                out.problems.append(
                    Problem(result.path, sheet, cell, f"单位“{unit}”不在评分标准的单位名单中，未汇总", unit)
                )
                continue
            seen.setdefault(unit, []).append((result, values))
    for unit in spec.meta.units:
        found = seen.get(unit)
        if not found:
            out.missing.append(unit)
            out.problems.append(
                Problem("", "", "", f"单位“{unit}”没有提交填报文件，该单位留空（待填）", unit)
            )
            continue
        files = [r.path for r, _ in found]
        out.sources[unit] = files
        same = all(v == found[0][1] for _, v in found[1:])
        if len(found) > 1:
            why = "数据相同，按一份汇总" if same else "数据不同，无法判断以哪份为准，该单位留空（待定）"
            for r, _ in found:
                others = "、".join(f for f in files if f != r.path) or r.path
                sheet, cell = _where(r)
                out.problems.append(
                    Problem(r.path, sheet, cell, f"单位“{unit}”重复提交（另见 {others}），{why}", unit)
                )
        if same:
            out.values[unit] = found[0][1]
    return out
