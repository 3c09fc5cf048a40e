"""Grade-boundary cohorts: each one really puts its unit's total where its description says, the
search is deterministic, and it leaves the generator's other cases as they were."""

from __future__ import annotations

import pytest
from conftest import ROOT

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


@pytest.mark.parametrize("spec_path", EZHOU, ids=lambda p: p.stem)
def test_every_boundary_of_a_form_is_reached(spec_path) -> None:
    spec = load_spec(spec_path)
    scorer = Scorer(spec)
    found = boundary_cohorts(CaseGenerator(spec, 1, seed=1), scorer)
    labels = [label.replace("略高于", "恰为") for label, _ in found]  # exactly on it, or in the point above
    assert labels == [
        "总分恰为90",
        "总分略低于90",
        "总分恰为80",
        "总分略低于80",
        "总分恰为60",
        "总分略低于60",
    ]
    for label, units in found:
        (total,) = _totals(scorer, units)
        t = float(label[-2:])
        assert (total == t) if "恰为" in label else (t - 1 <= total < t), (label, total)


def test_cohort_boundaries_hold_in_the_cohort(anqing) -> None:
    """On 安庆 the unit's total depends on the other nine (ranking items): checked in its cohort,
    and only a complete unit counts (no grade is given while an item is pending)."""
    found = boundary_cohorts(CaseGenerator(anqing.spec, 10, seed=1), anqing)
    labels = [label.replace("略高于", "恰为") for label, _ in found]  # exactly on it, or in the point above
    assert labels == [
        "总分恰为90",
        "总分略低于90",
        "总分恰为80",
        "总分略低于80",
        "总分恰为60",
        "总分略低于60",
    ]
    for number, (label, units) in enumerate(found):
        totals = _totals(anqing, units)
        t = float(label[-2:])
        hit = [
            x
            for x in totals
            if x is not None
            and (x == t if "恰为" in label else (t <= x < t + 1 if "高于" in label else t - 1 <= x < t))
        ]
        assert hit, (number, label, totals)


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
