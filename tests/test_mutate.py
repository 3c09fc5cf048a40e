"""Mutation operators and the self-test loop: each kind of mistake is generated at token level,
and the verifier kills real mutants of the 安庆 workbook."""

from __future__ import annotations

import pytest
from conftest import ANQING, ROOT

from xlcalc.verify.mutate import Mutant, block_rows, candidate_mutants, mutations, run_mutants, sample
from xlcalc.verify.target import load_target

MUTATION_CASES = [
    ("=IF(A1>=2,1,0)", "comparison", "=IF(A1>2,1,0)"),
    ("=IF(A1>=2,1,0)", "constant", "=IF(A1>=3,1,0)"),
    ("=A4+'填报'!B4", "shift_row", "=A5+'填报'!B4"),
    ("=A4+'填报'!B4", "shift_col", "=B4+'填报'!B4"),
    ("=ROUND(MAX(0,A4),2)", "floor_cap", "=ROUND(A4,2)"),
    ("=MIN(5,A4*2)", "floor_cap", "=A4*2"),
    ("=SUM($B$4:$B$13)", "shift_row", "=SUM($B$5:$B$14)"),
]


@pytest.mark.parametrize(("formula", "operator", "mutated"), MUTATION_CASES)
def test_operators(formula, operator, mutated):
    assert (operator, mutated) in list(mutations(formula))


def test_max_with_three_arguments_is_not_a_floor():
    assert not [m for op, m in mutations("=MAX(0,A1,B1)") if op == "floor_cap"]


def test_sample_spreads_over_operators():
    ms = [Mutant(op, "s", f"A{k}", "=1", "=2") for op in ("comparison", "constant") for k in range(10)]
    picked = sample(ms, 6, seed=1)
    assert sorted(m.operator for m in picked) == ["comparison"] * 3 + ["constant"] * 3


def test_a_mutant_goes_down_its_block_translated_to_each_row():
    m = Mutant(
        "constant", "评分", "C4", "=IF(B4>=2,'填报'!D4,$E$4)", "=IF(B4>=3,'填报'!D4,$E$4)", ("C5", "C6")
    )
    assert m.edits() == [
        ("C4", "=IF(B4>=3,'填报'!D4,$E$4)"),
        ("C5", "=IF(B5>=3,'填报'!D5,$E$4)"),
        ("C6", "=IF(B6>=3,'填报'!D6,$E$4)"),
    ]
    assert Mutant("overwrite", "评分", "C4", "=B4", 2.0, ("C5",)).edits() == [("C4", 2.0), ("C5", 2.0)]
    assert "及以下2行同样" in m.describe()


def test_block_rows_are_the_units_rows_holding_the_same_formula(tmp_path):
    """安庆's ten units: each formula of the first unit's row is written down the other nine; a
    one-unit form has no block below its cells."""
    anqing = load_target(ANQING, tmp_path)
    assert block_rows(anqing, "扣分说明", "AK4") == tuple(f"AK{r}" for r in range(5, 14))
    assert {len(m.rows) for m in candidate_mutants(anqing, {})} == {9}
    form = load_target(ROOT / "rubric_specs" / "ezhou_2021_pufa.yaml", tmp_path)
    assert {m.rows for m in candidate_mutants(form, {})} == {()}


@pytest.mark.engine
def test_mutants_of_anqing_are_killed(libreoffice, tmp_path):
    """Twelve mutants over 安庆's sheets and operators, each down its block of ten unit rows, all
    killed in 20 cases. (Edited in the first unit's row only, 5 of them survived: a boundary
    probe lands on one unit.) No survivor is left for the equivalence check, which the
    single-table templates below exercise."""
    target = load_target(ANQING, tmp_path)
    report = run_mutants(
        target,
        libreoffice.open,
        "libreoffice",
        limit=12,
        cases=20,
        seed=11,
        workdir=tmp_path / "m",
        equivalence=False,
    )
    assert len(report.mutants) == 12
    # the sample spreads over sheets first (审核/评分 are not drowned by the explanation texts)
    assert len({m.sheet for m in report.mutants}) >= 5
    assert len({m.operator for m in report.mutants}) >= 4
    assert len(report.killed) == 12, "\n".join(m.describe() + " " + e for m, e in report.survived)


SINGLE_TABLES = sorted(p for p in (ROOT / "rubric_specs").glob("*.yaml") if p.stem != "anqing_2023")


@pytest.mark.engine
@pytest.mark.parametrize("spec", SINGLE_TABLES, ids=lambda p: p.stem)
def test_every_non_equivalent_mutant_of_a_single_table_is_killed(libreoffice, spec, tmp_path):
    """A sampled mutation self-test on every single-table template, 审核 cells included; survivors
    are checked for equivalence (case replay and an input sweep in the formulas engine)."""
    target = load_target(spec, tmp_path)
    report = run_mutants(
        target,
        libreoffice.open,
        "libreoffice",
        limit=6,
        cases=1000,  # as CI verifies: the probes at 0 and past validation come after the first 20
        seed=11,
        workdir=tmp_path / "m",
        equivalence_evaluations=200,
    )
    assert len(report.mutants) == 6
    assert report.survived == [], "\n".join(m.describe() + " " + e for m, e in report.survived)
