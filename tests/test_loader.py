"""Spec loading: every mistake located by file, line and YAML path; all mistakes at once."""

from __future__ import annotations

import pytest
from conftest import ANQING

from xlcalc.errors import SpecError
from xlcalc.spec.loader import load_spec

GOOD = ANQING.read_text(encoding="utf-8")


def _load(tmp_path, text):
    p = tmp_path / "spec.yaml"
    p.write_text(text, encoding="utf-8")
    return load_spec(p)


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


BROKEN = [
    # (replace this, with that, message fragment, line-finding needle in the broken text or None)
    (
        "                per_step: 0.5\n",
        "                per_step: 0.5\n                per_stp: 1\n",
        "unknown key 'per_stp'",
        "per_stp: 1",
    ),
    ("  total: 100\n", "  total: hundred\n", "'total' must be a number", "total: hundred"),
    (
        "of: [cases, population]",
        "of: [cases, populaton]",
        "unknown quantity 'populaton'",
        "of: [cases, populaton]",
    ),
    ("    nodes: [sat_1]\n", "    nodes: [sat_9]\n", "names unknown node 'sat_9'", "  - id: survey_sample"),
    (
        "kind: bonus, count: adopted_cases",
        "kind: bonuss, count: adopted_cases",
        "unknown rule kind 'bonuss'",
        "kind: bonuss",
    ),
    ("value: arrival_rate", "value: arival_rate", "unknown input or derived quantity 'arival_rate'", None),
    (
        "type: integer, min: 1, max: 20000000",
        "type: integr, min: 1, max: 20000000",
        "must be one of",
        "type: integr",
    ),
    (
        "{code: l1_process, label: 过程（一级指标）}",
        "{code: org, label: 过程（一级指标）}",
        "must choose among this rule's ancestors",
        None,
    ),
    (
        "- {id: trainings,",
        "- {id: staff,",
        "id 'staff' is already used by the input at line 66",
        "label: 开展法律援助案件质量",
    ),
]


@pytest.mark.parametrize(("old", "new", "message", "needle"), BROKEN)
def test_errors_are_located(tmp_path, old, new, message, needle):
    assert old in GOOD, old
    text = GOOD.replace(old, new, 1)
    with pytest.raises(SpecError) as exc:
        _load(tmp_path, text)
    found = [d for d in exc.value.diagnostics if message in d.message]
    assert found, str(exc.value)
    assert str(tmp_path / "spec.yaml") in str(found[0])
    if needle is not None:
        assert found[0].line == _line_of(text, needle)


def test_all_errors_reported_at_once(tmp_path):
    text = GOOD.replace("  total: 100\n", "  total: x\n").replace(
        "                per_step: 0.5\n", "                per_step: 0.5\n                oops: 1\n", 1
    )
    with pytest.raises(SpecError) as exc:
        _load(tmp_path, text)
    assert len(exc.value.diagnostics) >= 2


def test_yaml_syntax_error_has_a_line(tmp_path):
    with pytest.raises(SpecError) as exc:
        _load(tmp_path, "meta: {id: x\ninputs: [")
    assert exc.value.diagnostics[0].line is not None


def test_missing_file_is_a_located_error(tmp_path):
    with pytest.raises(SpecError, match="无法读取"):
        load_spec(tmp_path / "nope.yaml")


def test_anqing_loads_with_its_structure(anqing_spec):
    assert anqing_spec.meta.total == 100
    assert len(anqing_spec.meta.units) == 10
    second = [n for n in anqing_spec.nodes() if n.level == 2]
    assert [n.label for n in second] == [
        "绩效目标",
        "资金拨付",
        "机构建设",
        "均衡指派",
        "宣传公示",
        "案件质量",
        "资金使用",
        "社会满意度",
    ]
    assert sum(n.points for n in second) == 100
    leaves = [n for n in anqing_spec.nodes() if n.rule is not None]
    assert len(leaves) == 26
    assert {c.param for c in anqing_spec.choices if c.param} >= {
        "partial_step",
        "negative_scores",
        "caseload_pool",
        "veto_scope",
    }
