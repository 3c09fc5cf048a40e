"""Conformance of every registered rule kind: one row per kind in ``rule_snippets.KINDS`` is all a new
kind needs here; the checks below then cover it.

Each kind must parse from its snippet, have golden formulas (tests/golden/rule_formulas.tsv, checked
cell by cell in test_excelgen.py), score its example as stated, make boundary probes, and appear in
docs/spec.md's generated rule-kind table.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from pathlib import Path

import pytest
from rule_snippets import CLAUSES, KINDS, clause_spec, rule_spec

from xlcalc.rules import REGISTRY, Rule
from xlcalc.rules.doc import SPEC_DOC, kind_row, stale
from xlcalc.scorer import Scorer, UnitInputs
from xlcalc.verify.cases import rule_probes
from xlcalc.workbook.build import build_workbook

GOLDEN = Path(__file__).parent / "golden" / "rule_formulas.tsv"
WRITE_HINT = "XLCALC_WRITE_GOLDENS=1 python3 -m pytest tests/test_rule_kinds.py appends them (review them)"


def test_one_row_per_registered_kind() -> None:
    assert set(KINDS) == set(REGISTRY)


@pytest.mark.parametrize("kind", sorted(REGISTRY))
def test_kind_conforms(kind: str, tmp_path: Path) -> None:
    spec = rule_spec(kind, tmp_path)
    node = spec.node("r")
    assert type(node.rule) is REGISTRY[kind] and kind == node.rule.KIND
    assert kind in _golden_kinds(), f"no golden formulas: {WRITE_HINT}"
    _, inputs, score = KINDS[kind]
    assert Scorer(spec).score([UnitInputs("u", inputs)])[0].node("r").score == score
    assert [p for n, p in rule_probes(spec) if n == "r"], "no boundary probes"
    cls = REGISTRY[kind]
    assert cls.PATTERNS and cls.FIELDS_DOC and cls.SCORE_DOC
    assert cls.LABEL != Rule.LABEL, "no LABEL: the 规则原文 sheet would say 评分规则"
    assert kind_row(kind) in SPEC_DOC.read_text(encoding="utf-8")


@pytest.mark.parametrize("clause", sorted(CLAUSES))
def test_clause_conforms(clause: str, tmp_path: Path) -> None:
    """A node's ``cap`` and a rule's ``pool``: score as stated, compile, make probes that push the
    capped or pooled node to its limit, and have their section in docs/spec.md."""
    spec = clause_spec(clause, tmp_path)
    _, inputs, expected = CLAUSES[clause]
    result = Scorer(spec).score([UnitInputs("u", inputs)])[0]
    assert {k: result.total if k == "total" else result.node(k).score for k in expected} == expected
    limited = {n.id for n in spec.nodes() if n.children and n.cap is not None} | {
        n.rule.pool for n in spec.nodes() if n.rule is not None and n.rule.pool
    }
    assert limited and all(any(n == node for n, _ in rule_probes(spec)) for node in limited)
    build_workbook(spec)
    assert f": `{clause}`\n" in SPEC_DOC.read_text(encoding="utf-8")


@pytest.mark.parametrize("kind", sorted(REGISTRY))
def test_kind_under_applies_when(kind: str, tmp_path: Path) -> None:
    """Any kind may sit under ``applies_when``: scored where it applies, 不适用 where it does not,
    待填 while the attribute is blank; the verifier probes each value of the attribute."""
    spec = rule_spec(kind, tmp_path, applies=True)
    _, inputs, score = KINDS[kind]
    units = [UnitInputs(f"u{k}", {**inputs, "scope": v}) for k, v in enumerate(("本级", "其他", None))]
    here, elsewhere, blank = Scorer(spec).score(units)
    assert (here.node("r").score, here.node("r").status) == (score, "完成")
    assert (elsewhere.node("r").score, elsewhere.node("r").status) == (None, "不适用")
    assert elsewhere.node("r").explanation.startswith("不适用（适用范围：其他）")
    assert blank.node("r").status == "待填"
    assert ("r", {"scope": "其他"}) in rule_probes(spec)


@pytest.mark.parametrize("kind", sorted(REGISTRY))
def test_a_derived_parse_documents_every_key(kind: str) -> None:
    """Kinds that read their declared fields (no parse of their own) list each YAML key in the docs."""
    cls = REGISTRY[kind]
    if cls.parse.__func__ is not Rule.parse.__func__:  # type: ignore[attr-defined]
        pytest.skip("parses nested YAML itself")
    declared = [f for f in dataclasses.fields(cls) if not f.kw_only]
    for f in declared:
        key = f.metadata.get("key", f.name)
        assert f"`{key}`" in cls.FIELDS_DOC or f"`{key}:" in cls.FIELDS_DOC, (key, cls.FIELDS_DOC)
        # A field limited to a few words lists them all (`direction: below\|above`).
        words = f.metadata.get("choices", ())
        assert all(w in cls.FIELDS_DOC for w in words), (key, words, cls.FIELDS_DOC)


def test_docs_rule_kind_tables_are_current() -> None:
    assert not stale(), "stale docs: run python3 -m xlcalc.rules.doc"


def _golden_kinds() -> set[str]:
    return {line.split("\t")[0] for line in GOLDEN.read_text(encoding="utf-8").splitlines() if line}


def _write_missing_goldens(kinds: list[str]) -> None:
    """Append the formulas of kinds that have none yet (review them: they become the golden)."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind in kinds:
            compiled = build_workbook(rule_spec(kind, Path(tmp)))
            lay = compiled.layout
            for cell in ("r__raw", "r"):
                formula = compiled.workbook[lay.sheet_of(cell)][lay.address(cell, 0)].value
                rows.append(f"{kind}\t{cell}\t{formula}\n")
    with GOLDEN.open("a", encoding="utf-8") as f:
        f.writelines(rows)


def test_every_kind_has_golden_formulas() -> None:
    missing = sorted(set(REGISTRY) - _golden_kinds())
    if missing and os.environ.get("XLCALC_WRITE_GOLDENS"):
        _write_missing_goldens(missing)
        missing = sorted(set(REGISTRY) - _golden_kinds())
    assert not missing, f"no golden formulas for {missing}: {WRITE_HINT}"
