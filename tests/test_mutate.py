"""Mutation operators and the self-test loop: each kind of mistake is generated at token level,
and the verifier kills real mutants of the 安庆 workbook."""

from __future__ import annotations

import pytest
from conftest import ANQING

from xlcalc.verify.mutate import Mutant, mutations, run_mutants, sample
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


@pytest.mark.engine
def test_mutants_of_anqing_are_killed(tmp_path):
    from xlcalc.engines import get_engine

    engine = get_engine("libreoffice", shared=True)
    ok, why = engine.available()
    if not ok:
        pytest.skip(why)
    target = load_target(ANQING, tmp_path)
    report = run_mutants(
        target,
        engine.open,
        "libreoffice",
        limit=12,
        cases=30,
        seed=11,
        workdir=tmp_path / "m",
        equivalence_evaluations=20,
    )
    assert len(report.mutants) == 12
    # the sample spreads over sheets first (审核/评分 are not drowned by the explanation texts)
    assert len({m.sheet for m in report.mutants}) >= 5
    assert len({m.operator for m in report.mutants}) >= 4
    caught = len(report.killed) + len(report.equivalent)
    assert caught >= 10, "\n".join(m.describe() + " " + e for m, e in report.survived)
