"""The fast formulas scheduler: on every template and a spread of generated cases, every node's
value equals formulas' own evaluation (its schedula dispatcher) of the same workbook and inputs."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import ROOT
from test_engines_base import build_sample_workbook

from xlcalc.engines.formulas_book import _node_values
from xlcalc.engines.formulas_engine import FormulasBook, FormulasEngine
from xlcalc.engines.formulas_fast import Fallback, FastPlan, Unsupported
from xlcalc.scorer import UnitInputs, resolve_params
from xlcalc.verify.cases import CaseGenerator
from xlcalc.verify.runner import Runner
from xlcalc.verify.target import load_target

TEMPLATES = sorted((ROOT / "templates").glob("*.xlsx"))
CASES = 4  # the empty case, then generated ones; each compares ~2,000-4,000 nodes
# 安庆's ten-unit workbook costs formulas' own dispatcher ~15 s a case: the empty case and one more
# (its 1,000 unit-cases in test_verify run on the fast plan, and any fallback there is counted).
CASES_BY_TEMPLATE = {"anqing_2023": 2}


def _plain(value: Any) -> Any:
    rows = _node_values(value)
    if rows is None:
        return None
    out = []
    for row in rows:
        for v in row:
            if isinstance(v, np.generic):
                v = v.item()
            if isinstance(v, float) and math.isnan(v):
                v = "nan"
            out.append((type(v).__name__, repr(v)))
    return out


def differences(book: FormulasBook) -> list[str]:
    """Nodes whose fast value differs from formulas' dispatcher (type and repr of every element)."""
    book.recalc()
    fast = book._solution
    assert fast is not None
    slow = book.dispatch_solution()
    keys = set(fast) | set(slow)
    return sorted(
        f"{k}: fast {_plain(fast.get(k))} formulas {_plain(slow.get(k))}"
        for k in keys
        if _plain(fast.get(k)) != _plain(slow.get(k))
    )


@pytest.mark.engine
@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.stem)
def test_fast_plan_equals_formulas_on_template(template: Path, tmp_path: Path) -> None:
    target = load_target(template)
    book = FormulasEngine().open(target.path)
    try:
        assert book.plan is not None, "the fast plan should handle every template"
        runner = Runner(target, book, "formulas", tmp_path)
        gen = CaseGenerator(target.spec, target.layout.n_units, seed=11)
        for case in gen.cases(CASES_BY_TEMPLATE.get(template.stem, CASES), target.scorer):
            rows = [
                target.scorer.normalize(UnitInputs(name, values), keep_invalid=True)
                for name, values in zip(target.units, case.units, strict=True)
            ]
            runner.write_case(rows, resolve_params(target.spec, case.params))
            diff = differences(book)
            assert not diff, "\n".join(diff[:10])
        assert book.fallbacks == 0
    finally:
        book.close()


def _workbook(path: Path, cells: dict[str, Any], names: dict[str, str] | None = None) -> Path:
    import openpyxl
    from openpyxl.workbook.defined_name import DefinedName

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "S"
    for ref, value in cells.items():
        ws[ref] = value
    for name, ref in (names or {}).items():
        wb.defined_names[name] = DefinedName(name, attr_text=ref)
    wb.save(path)
    return path


def test_sample_workbook_equals_formulas(tmp_path: Path) -> None:
    book = FormulasEngine().open(build_sample_workbook(tmp_path / "样本.xlsx"))
    assert book.plan is not None and book.plan.inline_cells > 0
    assert not differences(book)
    book.write("填报", "B2", [[1], [2], [3], [4]])
    book.write("填报", "C2", [["是"], ["否"], [None], ["是"]])
    assert not differences(book)
    book.write("填报", "B40", [[100]])  # inside a range the model only partly knows: rebuild
    assert not differences(book)
    book.close()


@pytest.mark.parametrize(
    ("cells", "names", "has_plan"),
    [
        ({"A1": 2, "B1": '=INDIRECT("A1")*2', "C1": "=SUM(A1:A3)/COUNT(A1:A3)"}, None, True),
        ({"A1": 2, "B1": "=P*3", "C1": '=IF(B1>5,"高","低")&TEXT(B1,"0.0")'}, {"P": "S!$A$1"}, True),
        ({"A1": 2, "D1": "=E1+A1", "E1": "=D1+1"}, None, False),  # circular: formulas' scheduler
        # lazy IF: conditions of every kind (number, text, blank, error, TRUE), a branch that errs,
        # a branch over a range (not one value: both computed), nested IFs, constants folded
        (
            {
                "A1": 2,
                "B1": '=IF(A1>1,"大"&ROUND(A1/3,2),"小"&(1-0.9))',
                "C1": '=IF(A1,1/0,"否")',
                "D1": "=IF(A1>0,SUM(A1:A3),A2:A3)",
                "E1": '=IF(ISNUMBER(A1),IF(A1>5,"高",IF(A1<0,"负","中")),"待填："&A1)',
                "F1": '=IF(1/A1>0,"正","非")',
                "G1": '=IF(A1="",0,A1*2)&"分"',
                "A2": 3,
                "A3": 4,
            },
            None,
            True,
        ),
        # chains of &: left and right nested, an operand read twice (not fused into the chain),
        # an operand that is a range (the chain of & calls itself), errors and blanks among them
        (
            {
                "A1": 2,
                "B1": '="得"&A1&"分，"&IF(A1>1,"高","低")&(A1/3)&A2',
                "C1": '="甲"&(A1&("乙"&A3))&"丙"',
                "D1": '=IF(A1>0,"x"&A1&"y","z"&A1)&"w"',
                "E1": '="r"&A1:A3&"s"',
                "F1": '=A1&1/0&"t"',
                "A2": 3,
            },
            None,
            True,
        ),
        # INDEX over one reference: in range, out of range, blank and text indexes, one-index form
        (
            {
                "A1": 2,
                "B1": "=INDEX(C1:E3,A1,2)",
                "B2": "=INDEX(C1:C3,A1)",
                "B3": '=IF(ISNUMBER(A1),INDEX(C1:E3,A1,A1+1),"")',
                "C1": 1,
                "D2": "x",
                "E3": 9,
            },
            None,
            True,
        ),
    ],
)
def test_small_books(
    tmp_path: Path, cells: dict[str, Any], names: dict[str, str] | None, has_plan: bool
) -> None:
    book = FormulasEngine().open(_workbook(tmp_path / "b.xlsx", cells, names))
    assert (book.plan is not None) is has_plan
    if has_plan:
        for value in (2, 7, "x", None, True, 0, -1, 3.5, "#N/A"):
            book.write("S", "A1", [[value]])
            assert not differences(book)
    book.close()


def test_writing_a_defined_name_falls_back(tmp_path: Path) -> None:
    book = FormulasEngine().open(_workbook(tmp_path / "n.xlsx", {"A1": 2, "B1": "=P*3"}, {"P": "S!$A$1"}))
    assert book.plan is not None
    name = next(k for k in book.plan.inverse_inputs if isinstance(k, str) and k.endswith("!P"))
    with pytest.raises(Fallback, match="inverse"):
        book.plan.run({name: [[5]]})


def test_fallback_is_counted_and_correct(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    book = FormulasEngine().open(_workbook(tmp_path / "f.xlsx", {"A1": 2, "B1": "=A1*3"}))
    assert book.plan is not None

    def refuse(inputs: Any) -> Any:
        raise Fallback("test")

    monkeypatch.setattr(book.plan, "run", refuse)
    book.write("S", "A1", [[4]])
    assert book.read("S", "B1") == [[12.0]]
    assert book.fallbacks == 1


def test_untested_formulas_version_is_unsupported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import formulas

    book = FormulasEngine().open(_workbook(tmp_path / "v.xlsx", {"A1": 2, "B1": "=A1*3"}))
    monkeypatch.setattr(formulas, "__version__", "0.0.1")
    with pytest.raises(Unsupported, match="0.0.1"):
        FastPlan(book.model.dsp)
    monkeypatch.undo()
    assert FormulasEngine(fast=False).open(tmp_path / "v.xlsx").plan is None
