"""Grade-boundary cohorts: each one really puts its unit's total where its description says, the
search is deterministic, and it leaves the generator's other cases as they were."""

from __future__ import annotations

import pytest
from conftest import ANQING, ROOT

from xlcalc.scorer import Scorer, UnitInputs, resolve_params
from xlcalc.spec.loader import load_spec
from xlcalc.verify.boundary import boundary_cohorts, goals
from xlcalc.verify.cases import BOUNDARIES_AFTER, CaseGenerator

EZHOU = sorted((ROOT / "rubric_specs").glob("ezhou_*.yaml"))


def _totals(scorer: Scorer, units: list[dict]) -> list[float | None]:
    """Totals of the units that are complete (a grade is given), None for the others."""
    rows = [scorer.normalize(UnitInputs(str(k), u), keep_invalid=True) for k, u in enumerate(units)]
    cells = scorer.evaluate(rows, resolve_params(scorer.spec))
    return [c[scorer.spec.root.id] if not c["pending_count"] else None for c in cells]


@pytest.mark.parametrize(
    ("thresholds", "expected"),
    [
        (
            [80.0],
            [[("总分恰为80", 80.0, 80.0), ("总分略高于80", 80.0, 81.0)], [("总分略低于80", 79.0, 80.0)]],
        ),
        (
            [60.0, 90.0],
            [
                ["总分恰为90", "总分略高于90"],
                ["总分略低于90"],
                ["总分恰为60", "总分略高于60"],
                ["总分略低于60"],
            ],
        ),
        ([], []),
    ],
)
def test_goals_per_threshold(thresholds: list[float], expected: list) -> None:
    got = [
        [g if isinstance(e, tuple) else g[0] for g, e in zip(choice, exp, strict=True)]
        for choice, exp in zip(goals(thresholds), expected, strict=True)
    ]
    assert got == expected


# exactly on each threshold (or, second best, in the point above it), and in the point below it
SIX_GOALS = ["总分恰为90", "总分略低于90", "总分恰为80", "总分略低于80", "总分恰为60", "总分略低于60"]


def _lands(label: str, total: float | None) -> bool:
    t = float(label[-2:])
    if total is None:
        return False
    if "恰为" in label:
        return total == t
    if "高于" in label:
        return t <= total < t + 1
    return t - 1 <= total < t


@pytest.mark.parametrize(
    ("spec_path", "n_units"),
    [(p, 1) for p in EZHOU] + [(ANQING, 10)],
    ids=lambda v: getattr(v, "stem", str(v)),
)
def test_every_grade_boundary_is_reached(spec_path, n_units: int) -> None:
    """Each cohort puts a complete unit where its label says; on 安庆 the unit's total depends
    on the other nine (ranking items), so it is checked inside its cohort."""
    spec = load_spec(spec_path)
    scorer = Scorer(spec)
    found = boundary_cohorts(CaseGenerator(spec, n_units, seed=1), scorer)
    assert [label.replace("略高于", "恰为") for label, _ in found] == SIX_GOALS
    for label, units in found:
        totals = _totals(scorer, units)
        assert any(_lands(label, x) for x in totals), (label, totals)


def test_search_is_deterministic_and_leaves_other_cases_alone(anqing) -> None:
    """The boundary cohorts come after the first probe cases; every other case is the one the generator
    makes without them (their search has its own random stream)."""
    spec = anqing.spec
    a = list(CaseGenerator(spec, 10, seed=3).cases(30, anqing))
    b = list(CaseGenerator(spec, 10, seed=3).cases(30, anqing))
    assert [c.units for c in a] == [c.units for c in b]
    boundary = [k for k, c in enumerate(a) if c.label.startswith("总分")]
    assert boundary == list(range(BOUNDARIES_AFTER + 1, BOUNDARIES_AFTER + 1 + len(boundary))) and boundary
    without = [c.units for c in CaseGenerator(spec, 10, seed=3).cases(30 - len(boundary))]
    assert [c.units for k, c in enumerate(a) if k not in boundary] == without
