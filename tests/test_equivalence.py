"""The equivalence check: its comparison of values, the values it tries, and its verdicts on mutants."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from xlcalc.verify.cases import CaseGenerator
from xlcalc.verify.equivalence import _around, _differs, check_equivalence, formula_numbers
from xlcalc.verify.mutate import Mutant, write_mutant
from xlcalc.verify.target import load_target


@pytest.mark.parametrize(
    ("a", "b", "differs"),
    [
        ([[5]], [[5.0]], False),  # formulas keeps 5 from a constant, 5.0 from arithmetic
        ([[0.1 + 0.2]], [[0.3]], False),
        ([[5]], [[5.5]], True),
        ([[True]], [[1]], True),  # a boolean is not the number 1 for the check
        ([["良"]], [["良"]], False),
        ([["良"]], [["中"]], True),
        (None, [[1]], True),
        ([[1, "a"]], [[1.0, "a"]], False),
    ],
)
def test_differs(a: Any, b: Any, differs: bool) -> None:
    assert _differs(a, b) is differs


@pytest.mark.parametrize(
    ("formulas", "numbers"),
    [
        (['=IF(E6>0,F6/E6,"")', '=IF(E6>1,F6/E6,"")'], (0.0, 1.0)),
        (['=IF(D29>=90,"优",IF(D29>=80.5,"良","中"))'], (90.0, 80.5)),
        (["='明细-案件数'!B4:BI4+$B$13+ROUND(A1/3,10)"], (3.0, 10.0)),
        ([12.5], (12.5,)),  # a formula overwritten by a number
    ],
)
def test_formula_numbers(formulas: list[Any], numbers: tuple[float, ...]) -> None:
    assert formula_numbers(*formulas) == numbers


def test_values_around_a_number_stay_in_the_inputs_range(anqing_spec) -> None:
    staff = next(i for i in anqing_spec.inputs if i.id == "staff")  # a whole number of people
    around = _around((0.0, 10.0), anqing_spec, "staff")
    # one step past each end and a text first (typed past validation), then whole numbers in range
    assert around == [staff.lo - 1, staff.hi + 1, "无", 0.0, 1.0, 9.0, 10.0, 11.0]
    assert _around((1.0,), anqing_spec, "in_budget") == []  # 是/否: nothing around a number


def _mutant(
    template: Path, operator: str, sheet: str, cell: str, old: str, new: str, tmp_path: Path
) -> tuple[Any, str, str, Path]:
    """(target, original formula, mutated formula, mutant file): ``old`` replaced by ``new`` once."""
    target = load_target(template)
    original = target.formulas[(sheet, cell)]
    mutated = original.replace(old, new, 1)
    assert mutated != original
    mutant = tmp_path / "mutant.xlsx"
    write_mutant(template, Mutant(operator, sheet, cell, original, mutated), mutant)
    return target, original, mutated, mutant


PUFA = Path(__file__).resolve().parent.parent / "templates" / "ezhou_2021_pufa.xlsx"
RATIO = '=IF(AND(ISNUMBER(E6),ISNUMBER(F6)),IF(E6>0,F6/E6,""),"")'


@pytest.mark.engine
@pytest.mark.parametrize(
    ("mutated", "equivalent"),
    [
        ('=IF(AND(ISNUMBER(E6),ISNUMBER(F6)),IF(0<E6,F6/E6,""),"")', True),  # the same test written backwards
        ('=IF(AND(ISNUMBER(E6),ISNUMBER(F6)),IF(E6>=0,F6/E6,""),"")', False),  # E6=0 now divides by zero
        ('=IF(AND(ISNUMBER(E6),ISNUMBER(F6)),IF(E6>1,F6/E6,""),"")', False),  # 0 < E6 <= 1 now blank
    ],
)
def test_the_mutated_cell_is_compared_over_the_inputs_it_reads(
    tmp_path: Path, mutated: str, equivalent: bool
) -> None:
    target = load_target(PUFA)
    assert target.formulas[("填报", "H6")] == RATIO
    mutant = tmp_path / "mutant.xlsx"
    write_mutant(PUFA, Mutant("comparison", "填报", "H6", RATIO, mutated), mutant)
    cases = list(CaseGenerator(target.spec, 1, seed=3).cases(6, target.scorer))
    verdict = check_equivalence(target, mutant, ("填报", "H6"), (RATIO, mutated), cases, max_evaluations=400)
    assert verdict.inputs_read == 2  # 年度预算数 and 执行数
    assert verdict.equivalent is equivalent, verdict.evidence
    if equivalent:
        # every combination of the chosen values of both inputs fitted under the cap
        assert verdict.sweep == "exhaustive" and verdict.evaluations > 20
        assert "全组合" in verdict.describe()
    else:
        assert verdict.evidence.startswith("填报!H6：原工作簿")


LEGISLATION = Path(__file__).resolve().parent.parent / "templates" / "ezhou_2021_legislation.xlsx"


@pytest.mark.engine
def test_random_combinations_find_what_one_at_a_time_cannot(tmp_path: Path) -> None:
    """The validity test of a self-score reads the next row's self-score (a shifted reference):
    the cell differs only when its 完成档次 is filled *and* a self-score is negative. Every base
    case here leaves the 档次 blank, so no single change shows it; a random combination does."""
    target, original, mutated, mutant = _mutant(
        LEGISLATION, "shift_row", "中间计算", "D14", "AND('填报'!H21>=0", "AND('填报'!H22>=0", tmp_path
    )
    cases = list(CaseGenerator(target.spec, 1, seed=1).cases(12, target.scorer))
    for case in cases:
        if case.units[0].get("tier_filing_time") not in (None, ""):
            case.units[0]["tier_filing_time"] = ""  # the cases never fill the 档次...
    cases[-1].units[0]["tier_filing_time"] = "达成"  # ...but one, so the sweep knows the value
    cases[-1].units[0]["self_filing_time"] = 5.0
    cases[-1].units[0]["self_consultation"] = 5.0
    verdict = check_equivalence(
        target, mutant, ("中间计算", "D14"), (original, mutated), cases, max_evaluations=400
    )
    assert not verdict.equivalent
    assert verdict.evidence.count("=") >= 3, verdict.evidence  # found by a combination of all three inputs


ANQING = Path(__file__).resolve().parent.parent / "templates" / "anqing_2023.xlsx"


@pytest.mark.engine
def test_every_row_of_an_edited_block_is_compared(tmp_path: Path) -> None:
    """A mutant of a ranked layout edits its block of unit rows; a difference in any row, not
    only the first, makes it non-equivalent (here only the second unit's row is changed)."""
    target, _, _, mutant = _mutant(ANQING, "constant", "扣分说明", "AK5", "<=10000", "<=10001", tmp_path)
    cases = list(CaseGenerator(target.spec, 10, seed=1).cases(3, target.scorer))
    cases[-1].units[1]["h2_excellent"] = 10001.0  # 扣分说明!AK5 reads it (填报!Z5): past the bound
    first = target.formulas[("扣分说明", "AK4")]
    kwargs: dict[str, Any] = {"max_evaluations": 0}  # the cases alone: a sweep of 安庆 takes minutes
    alone = check_equivalence(target, mutant, ("扣分说明", "AK4"), (first, first), cases, **kwargs)
    assert alone.equivalent  # the first row is untouched
    verdict = check_equivalence(
        target, mutant, ("扣分说明", "AK4"), (first, first), cases, rows=("AK5",), **kwargs
    )
    assert not verdict.equivalent and verdict.evidence.startswith("扣分说明!AK5：原工作簿"), verdict.evidence


HUIDONG = Path(__file__).resolve().parent.parent / "templates" / "huidong_2020_2022.xlsx"


@pytest.mark.engine
def test_each_setting_of_a_named_parameter_is_swept_even_if_no_case_used_it(tmp_path: Path) -> None:
    """A constant changed in the branch of 惠东's pooled period mode differs only under that
    mode; a short run whose cases all kept the default must not call it equivalent."""
    target, original, mutated, mutant = _mutant(
        HUIDONG, "constant", "中间计算", "D74", '一次",10-D73', '一次",11-D73', tmp_path
    )
    cases = list(CaseGenerator(target.spec, 1, seed=1).cases(4, target.scorer))
    for case in cases:
        case.params = {}  # every case under the default (per-year) mode
    verdict = check_equivalence(
        target, mutant, ("中间计算", "D74"), (original, mutated), cases, max_evaluations=200
    )
    assert not verdict.equivalent
    assert "period_mode=pooled" in verdict.evidence, verdict.evidence
