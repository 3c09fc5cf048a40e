"""Which inputs a formula reads: followed through formulas, across sheets, units and ranges."""

from __future__ import annotations

from pathlib import Path

import pytest

from xlcalc.verify.reads import Reads
from xlcalc.verify.target import load_target

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def pufa() -> Reads:
    return Reads(load_target(ROOT / "templates" / "ezhou_2021_pufa.xlsx"))


@pytest.fixture(scope="module")
def anqing() -> Reads:
    return Reads(load_target(ROOT / "templates" / "anqing_2023.xlsx"))


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        ('=IF(AND(ISNUMBER(E6),ISNUMBER(F6)),IF(E6>0,F6/E6,""),"")', {("budget_year", 0), ("executed", 0)}),
        ("=H6", {("budget_year", 0), ("executed", 0)}),  # through the formula in H6
        ("=5", set()),
        (12.5, set()),  # a formula overwritten by a number
        ("=P_score_decimals", set()),  # a parameter's defined name is not followed
    ],
)
def test_national_form_cells(pufa: Reads, formula: object, expected: set[tuple[str, int]]) -> None:
    assert pufa.of_formula("填报", formula) == expected


def test_a_unit_row_reads_its_own_unit(anqing: Reads) -> None:
    read = anqing.of_formula("中间计算", anqing.formulas[("中间计算", "AK8")])
    assert read and {u for _, u in read} == {4}  # row 8 is the fifth unit


def test_a_shifted_reference_reads_the_next_unit(anqing: Reads) -> None:
    own = anqing.of_formula("中间计算", "=G8")
    below = anqing.of_formula("中间计算", "=G9")
    assert {u for _, u in own} == {4} and {u for _, u in below} == {5}
    assert {i for i, _ in own} == {i for i, _ in below}


def test_ranks_read_every_unit(anqing: Reads) -> None:
    read = anqing.of_formula("评分", anqing.formulas[("评分", "AP6")])
    assert {u for _, u in read} == set(range(10))
    # a list input (the unit's row of items on its 明细 sheet) counts once, by its id
    assert ("caseloads", 2) in read and ("caseloads", 3) not in read


def test_ranges_and_other_sheets(anqing: Reads) -> None:
    one = anqing.of_formula("评分", "='填报'!B4")
    block = anqing.of_formula("评分", "=SUM('填报'!B4:B13)")
    assert len(one) == 1 and {u for _, u in block} == set(range(10))
    assert {i for i, _ in block} == {i for i, _ in one}
