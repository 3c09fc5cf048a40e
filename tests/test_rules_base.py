"""The shared reading of rule fields (``rules.base.read_declared``): every kind that declares its
fields gets the same located errors, its choices checked and its cross-field checks run."""

from __future__ import annotations

import pytest
from rule_snippets import HEADER

from xlcalc.errors import SpecError
from xlcalc.rules.base import Penalty, Veto
from xlcalc.rules.monitor import Monitor
from xlcalc.rules.proportional import Proportional
from xlcalc.rules.step import StepDeduction
from xlcalc.spec.loader import load_spec


def _load(rule: str):
    return load_spec("t.yaml", text=HEADER.replace("{RULE}", rule))


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
