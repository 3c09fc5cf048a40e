"""The shared reading of rule fields (``rules.base.read_declared``): every kind that declares its
fields gets the same located errors, its choices checked and its cross-field checks run."""

from __future__ import annotations

import pytest
from rule_snippets import HEADER

from xlcalc.errors import SpecError
from xlcalc.rules.base import Penalty, Veto
from xlcalc.rules.monitor import Monitor
from xlcalc.rules.proportional import Proportional
from xlcalc.rules.rank import RankTier, RankTiers
from xlcalc.rules.step import StepDeduction
from xlcalc.spec.loader import load_spec


def _load(rule: str):
    text = HEADER.replace("{RULE}", rule)
    if "rank_" in rule:  # ranking needs a cohort
        text = text.replace("total: 10}", "total: 10, units: [甲, 乙, 丙]}")
    return load_spec("t.yaml", text=text)


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (
            "{kind: step_deduction, value: rate, threshold: 100%, step: 5%, per_step: 0.5}",
            StepDeduction("rate", 1.0, 0.05, 0.5),
        ),
        (
            "{kind: step_deduction, value: rate, threshold: 1, step: 0.1, per_step: 1, direction: above, "
            "full_marks: 8}",
            StepDeduction("rate", 1.0, 0.1, 1.0, "above", 8.0),
        ),
        ("{kind: proportional, actual: a, target: b}", Proportional("a", "b")),
        ("{kind: proportional, actual: a, target: 80%}", Proportional("a", 0.8)),
        (
            "{kind: proportional, actual: rate, completion: true, direction: reverse, cap: false}",
            Proportional("rate", None, "reverse", True, False),
        ),
        (
            "{kind: rank_tiers, key: ratio, tiers: [{upto: 1, points: 10}, {upto: 3, points: 8}], order: asc}",
            RankTiers("ratio", (RankTier(1, 10.0), RankTier(3, 8.0)), "asc"),
        ),
        (
            "{kind: step_deduction, value: rate, threshold: 1, step: 0.1, per_step: 1, "
            "penalties: [{count: n, per: 0.5}], vetoes: [{flag: flag, label: 查实}]}",
            StepDeduction(
                "rate", 1.0, 0.1, 1.0, penalties=(Penalty("n", 0.5),), vetoes=(Veto("flag", "查实"),)
            ),
        ),
    ],
)
def test_declared_fields_are_read(rule: str, expected: object) -> None:
    assert _load(rule).node("r").rule == expected


def test_monitor_reads_an_amount_or_an_id() -> None:
    spec = load_spec(
        "m.yaml",
        text=HEADER.replace("{RULE}", "{kind: monitor, actual: a, stage: b, final: 120}").replace(
            "points: 10\n      rule", "points: 0\n      rule"
        ),
    )
    assert spec.node("r").rule == Monitor("a", ">=", "b", "", 120.0)


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (
            "{kind: step_deduction, value: rate, threshold: 1, step: 0, per_step: 1}",
            "'step' must be positive",
        ),
        (
            "{kind: step_deduction, value: rate, threshold: 1, step: -1, per_step: 1}",
            "'step' must be positive",
        ),
        ("{kind: step_deduction, value: rate, step: 1, per_step: 1}", "missing required key 'threshold'"),
        (
            "{kind: step_deduction, value: rate, threshold: 1, step: 1, per_step: 1, direction: sideways}",
            "'direction' must be one of below, above, found 'sideways'",
        ),
        (
            "{kind: step_deduction, value: rate, threshold: 一百, step: 1, per_step: 1}",
            "'threshold' must be a number",
        ),
        ("{kind: proportional, actual: a}", "a proportional rule needs 'target' unless 'completion: true'"),
        (
            "{kind: rank_tiers, key: ratio, tiers: [{upto: 3, points: 8}, {upto: 1, points: 10}]}",
            "rank tiers must be listed in increasing 'upto' order",
        ),
        ("{kind: rank_tiers, key: ratio}", "missing required key 'tiers'"),
        ("{kind: rank_tiers, key: ratio, tiers: [{upto: 1}]}", "missing required key 'points'"),
        # a tier without its rank is reported, not a crash in the order check (found by the spec fuzzer)
        (
            "{kind: rank_tiers, key: ratio, tiers: [{points: 1}, {upto: 2, points: 1}]}",
            "missing required key 'upto'",
        ),
        ("{kind: rank_tiers, key: ratio, tiers: [{upto: 1, points: 1, bonus: 2}]}", "bonus"),
        (
            "{kind: rank_tiers, key: ratio, tiers: [{upto: 1, points: 1}], order: up}",
            "'order' must be one of desc, asc",
        ),
        ("{kind: proportional, actual: a, target: b, directon: reverse}", "directon"),
        (
            "{kind: step_deduction, value: rate, threshold: 1, step: 1, per_step: 1, penalties: [{count: n}]}",
            "missing required key 'per'",
        ),
        (
            "{kind: step_deduction, value: rate, threshold: 1, step: 1, per_step: 1, vetoes: [{flag: flag, why: x}]}",
            "why",
        ),
    ],
)
def test_refused_fields_are_located_errors(rule: str, message: str) -> None:
    with pytest.raises(SpecError) as exc:
        _load(rule)
    text = str(exc.value)
    assert message in text and "t.yaml:" in text, text
