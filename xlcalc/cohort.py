"""The cohort of a ranked rubric: who may be scored, and whether cross-unit results are final.

Ranking items compare every unit with the others, so a unit's score is final only when every
unit's inputs are in. While any unit is incomplete, totals and grades of a rubric with ranking
items are provisional ("排名项暂按N个单位计算"), as the workbook's 排名 sheet says too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from xlcalc.cells import Role
from xlcalc.errors import InputError
from xlcalc.lowering import lower
from xlcalc.scorer import UnitInputs, UnitResult
from xlcalc.spec.model import Spec


def check_units(spec: Spec, units: Sequence[UnitInputs], origin: str) -> None:
    """In a file of the rubric's cohort (it names at least one unit of ``meta.units``) a unit not
    in ``meta.units`` is an error located in the file, never a silent extra cohort member (it
    would change every other unit's ranking items). A file naming none of them scores another
    cohort by the same rubric (examples/lieshan_2023.yaml) and is left alone."""
    known = set(spec.meta.units)
    if not spec.meta.ranked or not any(u.name in known for u in units):
        return
    for k, unit in enumerate(units):
        if unit.name not in known:
            where = unit.where or f"{origin}：units[{k}]"  # file:line where the loader knows it
            raise InputError(
                f"{where}：单位“{unit.name}”不在评分标准的单位名单中（{'、'.join(spec.meta.units)}）"
            )


def has_cross_unit_items(spec: Spec) -> bool:

    return spec.meta.ranked and bool(lower(spec).role(Role.RANK))


def provisional(spec: Spec, results: Sequence[UnitResult]) -> dict[str, Any]:
    """Whether cross-unit results are provisional, on how many complete units they rest."""
    complete = sum(1 for r in results if r.complete)
    expected = len(spec.meta.units) if spec.meta.ranked else len(results)
    flag = has_cross_unit_items(spec) and complete < expected
    return {
        "provisional": flag,
        "complete_units": complete,
        "expected_units": expected,
        "note": f"排名项暂按{complete}个单位计算" if flag else "",
    }


def with_fixed_values(spec: Spec, units: Sequence[UnitInputs], origin: str) -> list[UnitInputs]:
    """Units with the values ``meta.units`` fixes for them (单位层级) filled in where the inputs file
    leaves them blank; a different value written for a listed unit is an error located in the file."""
    out: list[UnitInputs] = []
    for k, unit in enumerate(units):
        fixed = spec.meta.fixed_values(unit.name)
        values = dict(unit.values)
        for key, value in fixed.items():
            written = values.get(key)
            if written is None or str(written).strip() == "":
                values[key] = value
            elif str(written).strip() != value:
                raise InputError(
                    f"{origin}：units[{k}] 的单位“{unit.name}”的“{spec.input(key).label}”填写为“{written}”，"
                    f"与评分标准单位名单中的“{value}”不一致"
                )
        out.append(UnitInputs(unit.name, values, unit.where) if fixed else unit)
    return out
