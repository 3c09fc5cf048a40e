"""The Python back end: one method per IR node kind, generated source, and agreement with the
rule snippets' hand-computed values."""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import pytest
from rule_snippets import RULES, rule_spec

from xlcalc import ir, xlruntime
from xlcalc.excelgen import ExcelGenerator
from xlcalc.lowering import lower
from xlcalc.pygen import PythonGenerator, compile_graph, generate_source
from xlcalc.scorer import Scorer, UnitInputs, resolve_params
from xlcalc.spec.loader import load_spec


@pytest.mark.parametrize("node_type", ir.NODE_TYPES, ids=lambda t: t.__name__)
def test_every_ir_node_has_a_method_in_both_back_ends(node_type):
    name = node_type.__name__.lower()
    assert callable(getattr(PythonGenerator, name, None)), f"Python back end lacks {name}"
    assert callable(getattr(ExcelGenerator, name, None)), f"Excel back end lacks {name}"


def test_unknown_node_is_a_loud_error():
    class Odd(ir.Expr):
        pass

    with pytest.raises(NotImplementedError, match="Unsupported IR node type Odd"):
        PythonGenerator({}, [], {}).gen(Odd())


def test_generated_source_evaluates_every_cell_for_every_rule_kind(tmp_path):
    """The generated run() computes each cell of the graph exactly once per unit, for every kind."""
    for kind in RULES:
        spec = rule_spec(kind, tmp_path)
        graph = lower(spec)
        compile(generate_source(graph), kind, "exec")
        blank = Scorer(spec).normalize(UnitInputs("u", {}))
        (values,) = compile_graph(graph)([blank], resolve_params(spec))
        assert list(values) == [c.id for c in graph.cells if c.id in values]  # strata keep graph order
        assert set(values) == {c.id for c in graph.cells}, kind


SNIPPET_CASES = [
    # kind, inputs, expected score of node r
    ("threshold", {"a": 110, "flag": "是"}, 10),
    ("threshold", {"a": 109, "flag": "是"}, 0),
    ("threshold", {"a": 200, "flag": "否"}, 0),
    ("threshold", {"a": 200}, None),
    # decided as Excel's AND decides it: one condition false on filled values, the other blank
    ("threshold", {"a": 100}, 0),
    ("threshold", {"flag": "否"}, 0),
    ("tiered", {"a": 100}, 10),
    ("tiered", {"a": 99}, 9),
    ("tiered", {"a": 0}, 8),
    ("deduction", {"a": 18, "b": 20}, 9),
    ("deduction", {"a": 0, "b": 30}, 0),
    ("step_deduction", {"rate": 0.9, "n": 0}, 9),
    ("step_deduction", {"rate": 0.9, "n": 2}, 8),
    ("step_deduction", {"rate": 0.0, "n": 0}, 0),
    ("step_deduction", {"rate": 1.48, "n": 0}, 10),
    ("banded_penalty", {"xs": [89, 90, 149, 150]}, -5),
    ("banded_penalty", {"xs": []}, None),
    ("bonus", {"n": 3}, 1.2),
    ("bonus", {"n": 9}, 2),
    ("conversion", {"xs": [90, 80], "flag": "否"}, 8.5),
    ("conversion", {"xs": [90], "flag": "是"}, 0),
    ("proportional", {"a": 100}, 10),
    ("proportional", {"a": 150}, 5),
    ("proportional", {"a": 250}, 0),
    ("budget_execution", {"a": 88, "b": 100}, 8.8),
    ("budget_execution", {"a": 845, "b": 1000}, 8.5),
    ("budget_execution", {"a": 1, "b": 0}, None),
    ("discretionary", {"s": 1}, 2),
    ("discretionary", {"s": 7.5}, 7.5),
]


@pytest.mark.parametrize(("kind", "inputs", "expected"), SNIPPET_CASES)
def test_rule_snippet_scores(kind, inputs, expected, tmp_path):
    spec = rule_spec(kind, tmp_path)
    units = [UnitInputs("甲", inputs)] + (
        [UnitInputs("乙", {}), UnitInputs("丙", {})] if spec.meta.ranked else []
    )
    assert Scorer(spec).score(units)[0].node("r").score == expected


def test_scores_only_mode_skips_explanations(tmp_path):
    spec = rule_spec("deduction", tmp_path)
    full = Scorer(spec).score([UnitInputs("甲", {"a": 18, "b": 20})])[0]
    quiet = Scorer(spec, explain=False).score([UnitInputs("甲", {"a": 18, "b": 20})])[0]
    assert full.node("r").score == quiet.node("r").score == 9
    assert "少2件" in full.node("r").explanation and quiet.node("r").explanation == ""


def test_compile_refuses_to_skip_a_cell_others_read(tmp_path):
    from xlcalc.cells import Role

    graph = lower(rule_spec("deduction", tmp_path))
    with pytest.raises(ValueError, match="reads skipped cells"):
        compile_graph(graph, frozenset({Role.DERIVED}))


# Names the generated scorer may contain: Python syntax, the Excel runtime, a few builtins, its own
# locals (c0, c1... for cells, p0, p1... for parameters). Spec text only ever appears inside literals.
_VOCABULARY = {
    *("def", "return", "for", "in", "if", "else", "and", "or", "not", "is", "True", "False", "None"),
    *("run", "U", "P", "n", "V", "COL", "i", "j", "u", "v", "get", "update", "_"),
    *("len", "dict", "range", "min", "max", "abs", "bool", "float", "type"),
    *(name for name in dir(xlruntime) if not name.startswith("_")),
}


ROOT = Path(__file__).resolve().parent.parent


def _names_outside_vocabulary(source: str) -> set[str]:
    names = {
        t.string for t in tokenize.generate_tokens(io.StringIO(source).readline) if t.type == tokenize.NAME
    }
    return {n for n in names if n not in _VOCABULARY and not re.fullmatch(r"[cp]\d+", n)}


@pytest.mark.parametrize("spec_path", sorted(ROOT.glob("rubric_specs/*.yaml")), ids=lambda p: p.stem)
def test_generated_source_uses_only_the_allowed_vocabulary(spec_path):
    assert _names_outside_vocabulary(generate_source(lower(load_spec(spec_path)))) == set()


def test_hostile_parameter_name_cannot_reach_generated_code():
    """Even if a name slipped past the loader, the generated code names parameters by slot."""
    evil = "monitor_tolerance[__import__('os').system('touch /tmp/xlcalc-pwned')]"
    graph_source = PythonGenerator({}, [], {evil: "p0"}).gen(ir.Param(evil))
    assert graph_source == "p0"


def test_unknown_operator_is_refused():
    with pytest.raises(NotImplementedError, match="Unsupported operator"):
        PythonGenerator({}, [], {}).gen(ir.BinOp("+ __import__('os') +", ir.Num(1), ir.Num(2)))
